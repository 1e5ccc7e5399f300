"""Per-mu indicators and grading (DOMAIN §5.5) on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from landclear.errors import ProjectError
from landclear.rules.efficiency import (
    assign_classes,
    grade_enterprises,
    industry_division,
    low_efficiency,
    per_mu_indicators,
    screening_scope,
)


def above_five() -> tuple[pd.DataFrame, pd.Series]:
    """Five above-scale enterprises, 10 mu each (50 mu in all).

    Group aggregates (benchmarks), by hand:
      tax/mu      Σtax 200 / 50 mu            = 4
      VA/mu       ΣVA 1000 / 50 mu            = 20
      VA/tce      ΣVA 1000 / Σtce 500         = 2
      VA/emission ΣVA 1000 / Σemissions 50    = 20
      VA/employee ΣVA 1000 / Σemployees 160   = 6.25
      R&D ratio   Σrd 30 / Σrevenue 3000      = 0.01
    """
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E4", "E5"],
            "above_scale": [True] * 5,
            "industry_code": ["C3311", "C2611", "C3011", "C3130", "C2614"],
            "tax_paid": [100.0, 50, 30, 20, 0],
            "value_added": [400.0, 200, 200, 100, 100],
            "energy_tce": [100.0, 100, 200, 50, 50],
            "emissions": [10.0, 20, 10, 5, 5],
            "employees": [40.0, 20, 40, 10, 50],
            "rd_spend": [20.0, 5, 0, 5, 0],
            "revenue": [1000.0, 500, 500, 500, 500],
            "output_value": [1200.0, 600, 600, 600, 600],
            "investment": [3000.0, 1500, 0, 800, 700],
            "electricity_kwh": [1e6, 5e5, 5e5, 2e5, 0.0],
        }
    )
    mu = pd.Series({"E1": 10.0, "E2": 10.0, "E3": 10.0, "E4": 10.0, "E5": 10.0})
    return ent, mu


def test_per_mu_indicators_values_and_division_by_zero():
    ent, mu = above_five()
    ent.loc[1, "employees"] = 0.0
    ind = per_mu_indicators(ent, mu)
    e1 = ind.iloc[0]
    assert e1["land_mu"] == 10.0
    assert e1["investment_per_mu"] == pytest.approx(300.0, abs=1e-12)
    assert e1["output_per_mu"] == pytest.approx(120.0, abs=1e-12)
    assert e1["tax_per_mu"] == pytest.approx(10.0, abs=1e-12)
    assert e1["value_added_per_mu"] == pytest.approx(40.0, abs=1e-12)
    assert e1["value_added_per_tce"] == pytest.approx(4.0, abs=1e-12)
    assert e1["value_added_per_emission"] == pytest.approx(40.0, abs=1e-12)
    assert e1["labour_productivity"] == pytest.approx(10.0, abs=1e-12)
    assert e1["rd_ratio"] == pytest.approx(0.02, abs=1e-12)
    # 100 万元 tax / 1,000,000 kWh = 1,000,000 元 / 1,000,000 kWh = 1 元/kWh
    assert e1["tax_per_kwh"] == pytest.approx(1.0, abs=1e-12)
    # employees 0 and electricity 0: NaN, never inf
    assert np.isnan(ind.iloc[1]["labour_productivity"])
    assert np.isnan(ind.iloc[4]["tax_per_kwh"])
    assert not np.isinf(ind.select_dtypes("number").to_numpy()).any()


def test_per_mu_zero_or_missing_land_gives_nan():
    ent = pd.DataFrame({"enterprise_id": ["a", "b", "c"], "tax_paid": [5.0, 5.0, 5.0]})
    ind = per_mu_indicators(ent, pd.Series({"a": 0.0, "b": -1.0}))
    assert ind["tax_per_mu"].isna().all()
    assert np.isnan(ind.loc[2, "land_mu"])  # no parcels at all
    # Absent optional columns are missing, not an error.
    assert ind["rd_ratio"].isna().all()


def test_grade_above_scale_hand_computed():
    ent, mu = above_five()
    g = grade_enterprises(per_mu_indicators(ent, mu))
    # Terms wᵢ·xᵢ/Bᵢ, by hand:
    # E1: 30*10/4 + 20*40/20 + 20*4/2 + 10*40/20 + 10*10/6.25 + 10*.02/.01
    #   = 75 + 40 + 40 + 20 + 16 + 20 = 211
    # E2: 37.5 + 20 + 20 + 5 + 16 + 10 = 108.5
    # E3: 22.5 + 20 + 10 + 10 + 8 + 0 = 70.5
    # E4: 15 + 10 + 20 + 10 + 16 + 10 = 81
    # E5: 0 + 10 + 20 + 10 + 3.2 + 0 = 43.2
    assert g["score"].tolist() == pytest.approx([211.0, 108.5, 70.5, 81.0, 43.2], abs=1e-9)
    # n = 5: last ranks of A/B/C = round(1.0)=1, round(3.5)=4, round(4.5)=5 → 1/3/1/0
    assert g["grade"].tolist() == ["A", "B", "B", "B", "C"]
    assert g["grade_group"].tolist() == ["above"] * 5
    assert g["grade_rank"].tolist() == [1, 2, 4, 3, 5]
    assert g.attrs["benchmarks"]["above"]["tax_per_mu"] == pytest.approx(4.0, abs=1e-12)
    assert g.attrs["benchmarks"]["above"]["labour_productivity"] == pytest.approx(6.25, abs=1e-12)
    assert g["bench_rd_ratio"].iloc[0] == pytest.approx(0.01, abs=1e-12)
    assert g["term_tax_per_mu"].iloc[0] == pytest.approx(75.0, abs=1e-9)
    assert "规上组第1/5名" in g["grade_reason"].iloc[0]
    assert "A类" in g["grade_reason"].iloc[0]


def test_missing_emission_gets_group_average_term():
    ent, mu = above_five()
    ent.loc[2, "emissions"] = np.nan  # E3
    g = grade_enterprises(per_mu_indicators(ent, mu))
    # Benchmark without E3: ΣVA 800 / Σem 40 = 20 (unchanged); terms of the others
    # 20, 5, 10, 10 → average 45/4 = 11.25 for E3: 22.5+20+10+11.25+8+0 = 71.75
    assert g["term_value_added_per_emission"].iloc[2] == pytest.approx(11.25, abs=1e-9)
    assert g["score"].tolist() == pytest.approx([211.0, 108.5, 71.75, 81.0, 43.2], abs=1e-9)


def test_other_missing_indicator_scores_zero_or_average():
    ent, mu = above_five()
    ent.loc[4, "energy_tce"] = np.nan  # E5
    g = grade_enterprises(per_mu_indicators(ent, mu))
    # VA/tce benchmark without E5: 900/450 = 2 (unchanged); E5 loses its 20 points.
    assert g["score"].iloc[4] == pytest.approx(23.2, abs=1e-9)
    assert g["score"].iloc[0] == pytest.approx(211.0, abs=1e-9)
    g2 = grade_enterprises(per_mu_indicators(ent, mu), {"missing_score": "average"})
    # average of E1..E4 VA/tce terms: (40+20+10+20)/4 = 22.5 → 43.2 - 20 + 22.5
    assert g2["score"].iloc[4] == pytest.approx(45.7, abs=1e-9)


def test_below_scale_and_t_cases():
    ent = pd.DataFrame(
        {
            "enterprise_id": ["B1", "B2", "B3", "B4", "U1", "N1", "X1", "L1"],
            "above_scale": ["否", "否", "否", "否", "是", "否", "否", "是"],
            "industry_code": ["C3311", "C3311", "2611", "C3311", "D4411", "C33", "C33", "C33"],
            "tax_paid": [10.0, 5, 5, 100, 100, 100, np.nan, 50],
            "electricity_kwh": [1e5, 5e4, 1e5, 1e5, 1e5, 1e5, np.nan, 1e5],
            "is_new": [False, False, False, False, False, True, False, False],
        }
    )
    mu = pd.Series({"B1": 5.0, "B2": 5.0, "B3": 10.0, "B4": 2.5, "U1": 50.0, "N1": 20.0,
                    "X1": 10.0})  # fmt: skip
    g = grade_enterprises(per_mu_indicators(ent, mu))
    # Below-scale group B1..B3 (T rows excluded from the benchmarks):
    #   tax/mu bench 20/20 = 1 → x 2, 1, .5 → 50x: 100, 50, 25
    #   tax/kWh bench 20e4/250000 = .8 元/kWh → x 1, 1, .5 → 50x/.8: 62.5, 62.5, 31.25
    assert g["score"].iloc[:3].tolist() == pytest.approx([162.5, 112.5, 56.25], abs=1e-9)
    assert g["bench_tax_per_kwh"].iloc[0] == pytest.approx(0.8, abs=1e-12)
    # n = 3: last ranks round(.6)=1, round(2.1)=2, round(2.7)=3 → A B C
    assert g["grade"].tolist() == ["A", "B", "C", "T", "T", "T", "T", "T"]
    assert g["grade_group"].tolist() == ["below"] * 3 + ["T"] * 5
    assert g["score"].iloc[3:].isna().all()
    reasons = g["grade_reason"].tolist()
    assert "不足3亩" in reasons[3]
    assert "公用事业" in reasons[4]
    assert "新建" in reasons[5]
    assert "无当年数据" in reasons[6]
    assert "无用地面积" in reasons[7]
    assert "above" not in g.attrs["benchmarks"] or not g.attrs["benchmarks"]["above"]


def test_assign_classes_ten_and_seven():
    scores = pd.Series([float(s) for s in range(10, 0, -1)] + [70.0, 60, 50, 40, 30, 20, 10])
    groups = pd.Series(["ten"] * 10 + ["seven"] * 7)
    grade, rank, size = assign_classes(scores, groups)
    # n = 10: 2/5/2/1; n = 7: cum .2/.7/.9 → 1.4→1, 4.9→5, 6.3→6 → 1/4/1/1
    assert "".join(grade.iloc[:10]) == "AABBBBBCCD"
    assert "".join(grade.iloc[10:]) == "ABBBBCD"
    assert size.tolist() == [10] * 10 + [7] * 7


def test_assign_classes_ties_and_custom_shares():
    grade, rank, _ = assign_classes(pd.Series([9.0, 9.0, 5.0, 1.0]), pd.Series(["g"] * 4))
    # n=4: A up to round(.8)=1; the tie at 9 takes rank 1 for both → both A.
    assert grade.tolist() == ["A", "A", "B", "C"]
    assert rank.tolist() == [1, 1, 3, 4]
    custom = {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}
    grade, _, _ = assign_classes(pd.Series([4.0, 3, 2, 1]), pd.Series(["g"] * 4), custom)
    assert grade.tolist() == ["A", "B", "C", "D"]
    with pytest.raises(ProjectError):
        assign_classes(pd.Series([1.0]), pd.Series(["g"]), {"A": 0.5, "B": 0.4})


def test_unknown_setting_is_an_error_with_hint():
    ent, mu = above_five()
    with pytest.raises(ProjectError, match="missing_score"):
        grade_enterprises(per_mu_indicators(ent, mu), {"missing_scor": 0.0})
    with pytest.raises(ProjectError, match="average"):
        grade_enterprises(per_mu_indicators(ent, mu), {"missing_score": "avg"})


def test_settings_in_the_shape_of_rules_toml():
    """The [efficiency] table of landclear/data/rules.toml is accepted as is."""
    ent, mu = above_five()
    ent.loc[4, "energy_tce"] = np.nan
    cfg = {
        "min_mu": 3,
        "utility_codes": ["44", "45", "46"],
        "manufacturing_codes": [str(c) for c in range(13, 44)],
        "missing_score": 5.0,
        "class_shares": {"A": 0.2, "B": 0.5, "C": 0.2, "D": 0.1},
        "weights_above": {},  # empty table = defaults
        "weights_below": {"tax_per_mu": 50, "tax_per_kwh": 50},
    }
    g = grade_enterprises(per_mu_indicators(ent, mu), cfg)
    # E5 misses VA/tce: fixed term 5 instead of 20 → 43.2 - 20 + 5
    assert g["score"].iloc[4] == pytest.approx(28.2, abs=1e-9)


def test_industry_division_and_screening_scope():
    codes = pd.Series(["C3311", " c26 ", "4411", 3311, "3311.0", "x", None])
    assert industry_division(codes).tolist()[:5] == ["33", "26", "44", "33", "33"]
    assert industry_division(codes).iloc[5:].isna().all()
    ind = pd.DataFrame(
        {
            "above_scale": [True, False, False, True, False, None],
            "industry_code": ["C13", "C43", "C33", "D4411", "C33", "C33"],
            "land_mu": [0.5, 3.0, 2.99, 100.0, np.nan, 50.0],
        }
    )
    assert screening_scope(ind).tolist() == [True, True, False, False, False, False]


def test_low_efficiency():
    grade = pd.Series(["D", "C", "C", "C", "B", "T", None])
    stopped = pd.Series([False, True, False, False, True, True, True])
    idle = pd.Series([False, False, True, None, True, True, True], dtype="boolean")
    assert low_efficiency(grade, stopped, idle).tolist() == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_ratio_cap_limits_a_dominant_indicator():
    ent, mu = above_five()
    g = grade_enterprises(per_mu_indicators(ent, mu), {"ratio_cap": 2.0})
    # E1's tax ratio 2.5 is capped at 2 → 60 instead of 75: 211 - 15 = 196
    assert g["score"].iloc[0] == pytest.approx(196.0, abs=1e-9)
    assert math.isclose(g["score"].iloc[1], 108.5, abs_tol=1e-9)
