"""Park indicators against the plan targets (DOMAIN §5.7), hand-computed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from landclear.rules.parks import default_targets, park_indicators, targets_for

PLAN = {
    "2022": {"investment": 160, "output": 120, "tax": 4.5},
    "2023": {"investment": 175, "output": 150, "tax": 6},
    "2024": {"investment": 185, "output": 175, "tax": 8},
}


@pytest.fixture
def data():
    parcels = pd.DataFrame(
        {
            "parcel_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "park": ["甲园区", "甲园区", "乙园区", "乙园区", "乙园区", None],
            "area_mu": [10.0, 20.0, 30.0, 10.0, 5.0, 10.0],
            "enterprise_id": ["E1", "E2", "E2", None, "E3", "E1"],
            "land_use_industrial": [True, True, True, True, False, True],
        }
    )
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3"],
            "investment": [4000.0, 10000.0, 999.0],
            "output_value": [3000.0, 6000.0, 999.0],
            "tax_paid": [100.0, 250.0, 999.0],
        }
    )
    return parcels, ent


def test_two_parks_with_split_enterprise(data):
    parcels, ent = data
    out = park_indicators(parcels, ent, PLAN, 2022).set_index("park")
    assert out.index.tolist() == ["乙园区", "甲园区", "全市"]
    # E1: 20 industrial mu, 10 in 甲 (50 %), 10 outside parks (not counted).
    # E2: 50 industrial mu, 20 in 甲 (40 %), 30 in 乙 (60 %).
    # E3 only has a non-industrial parcel: ignored. p4 (乙, 10 mu) has no enterprise.
    # 甲: 30 mu; inv 2000 + 4000 = 6000; out 1500 + 2400 = 3900; tax 50 + 100 = 150
    jia = out.loc["甲园区"]
    assert jia["industrial_mu"] == 30.0
    assert jia[["investment", "output", "tax"]].tolist() == pytest.approx([6000, 3900, 150])
    assert jia["investment_per_mu"] == pytest.approx(200.0, abs=1e-9)
    assert jia["output_per_mu"] == pytest.approx(130.0, abs=1e-9)
    assert jia["tax_per_mu"] == pytest.approx(5.0, abs=1e-9)
    assert jia["gap_investment"] == pytest.approx(40.0, abs=1e-9)
    assert jia["gap_output"] == pytest.approx(10.0, abs=1e-9)
    assert jia["gap_tax"] == pytest.approx(0.5, abs=1e-9)
    assert [jia["pass_investment"], jia["pass_output"], jia["pass_tax"]] == [True, True, True]
    assert jia["enterprises"] == 2
    # 乙: 40 mu (30 of E2 + 10 unowned); inv 6000, out 3600, tax 150
    yi = out.loc["乙园区"]
    assert yi["industrial_mu"] == 40.0
    assert yi["investment_per_mu"] == pytest.approx(150.0, abs=1e-9)
    assert yi["output_per_mu"] == pytest.approx(90.0, abs=1e-9)
    assert yi["tax_per_mu"] == pytest.approx(3.75, abs=1e-9)
    assert yi["gap_output"] == pytest.approx(-30.0, abs=1e-9)
    assert [yi["pass_investment"], yi["pass_output"], yi["pass_tax"]] == [False, False, False]
    assert yi["mu_without_data"] == 10.0
    # 全市 = both parks: 70 mu; 12000 / 7500 / 300
    city = out.loc["全市"]
    assert city["industrial_mu"] == 70.0
    assert city["investment_per_mu"] == pytest.approx(12000 / 70, abs=1e-9)
    assert city["output_per_mu"] == pytest.approx(7500 / 70, abs=1e-9)
    assert city["tax_per_mu"] == pytest.approx(300 / 70, abs=1e-9)
    assert [city["pass_investment"], city["pass_output"], city["pass_tax"]] == [True, False, False]
    assert city["enterprises"] == 2
    assert city["target_tax"] == 4.5
    out_attrs = park_indicators(parcels, ent, PLAN, 2022).attrs
    assert out_attrs["outside_parks_mu"] == 10.0


def test_enterprise_without_year_data(data):
    parcels, ent = data
    out = park_indicators(parcels, ent[ent["enterprise_id"] != "E2"], PLAN, 2024)
    out = out.set_index("park")
    # E2's 20 mu in 甲 now produce nothing: 甲 inv = 2000 / 30 mu
    assert out.at["甲园区", "investment_per_mu"] == pytest.approx(2000 / 30, abs=1e-9)
    assert out.at["甲园区", "mu_without_data"] == 20.0
    assert out.at["乙园区", "investment"] == 0.0
    assert out.at["乙园区", "mu_without_data"] == 40.0
    assert out.at["全市", "target_investment"] == 185.0


def test_year_without_targets(data):
    parcels, ent = data
    out = park_indicators(parcels, ent, PLAN, 2025)
    assert out["target_investment"].isna().all()
    assert out["gap_tax"].isna().all()
    assert out["pass_output"].isna().all()
    assert out["note"].iloc[0] == "2025年无园区亩均目标 / no park targets for 2025"
    # values are still computed
    assert out.set_index("park").at["甲园区", "tax_per_mu"] == pytest.approx(5.0)


def test_duplicate_enterprise_rows_are_summed(data):
    parcels, ent = data
    extra = pd.DataFrame({"enterprise_id": ["E1"], "investment": [2000.0],
                          "output_value": [0.0], "tax_paid": [0.0]})  # fmt: skip
    out = park_indicators(parcels, pd.concat([ent, extra]), PLAN, 2022).set_index("park")
    # E1 now 6000 → half in 甲 = 3000; + 4000 of E2 = 7000 / 30
    assert out.at["甲园区", "investment_per_mu"] == pytest.approx(7000 / 30, abs=1e-9)
    assert any(
        "重复" in n
        for n in park_indicators(parcels, pd.concat([ent, extra]), PLAN, 2022).attrs["notes"]
    )


def test_targets_for_and_shipped_defaults():
    assert targets_for(2023, PLAN) == {"investment": 175.0, "output": 150.0, "tax": 6.0}
    assert targets_for(2024, {2024: {"tax": 8}})["tax"] == 8.0
    assert math.isnan(targets_for(2024, {2024: {"tax": 8}})["output"])
    t = default_targets()
    assert (t["enterprises"], t["mu"], t["deadline"]) == (80, 4000, "2024-12-31")
    assert targets_for(2022, t) == {"investment": 160.0, "output": 120.0, "tax": 4.5}
    assert targets_for(2024, t) == {"investment": 185.0, "output": 175.0, "tax": 8.0}
    assert t["rectification"] == {"2022": 0.5, "2023": 0.8, "2024": 1.0}


def test_no_industrial_land():
    parcels = pd.DataFrame({"park": ["甲"], "area_mu": [5.0], "enterprise_id": ["E"],
                            "land_use_industrial": [False]})  # fmt: skip
    ent = pd.DataFrame({"enterprise_id": ["E"], "investment": [1.0], "output_value": [1.0],
                        "tax_paid": [1.0]})  # fmt: skip
    out = park_indicators(parcels, ent, PLAN, 2022)
    assert out["park"].tolist() == ["全市"]
    assert np.isnan(out["investment_per_mu"].iloc[0])
    assert pd.isna(out["pass_investment"].iloc[0])


@pytest.mark.parametrize(
    ("passes", "targets", "want"),
    [
        ((True, True, True), (185, 175, 8), True),  # all met
        ((True, False, True), (185, 175, 8), False),  # one fails
        ((False, None, None), (185, 175, 8), False),  # a failure decides, unknowns or not
        ((True, None, True), (185, 175, 8), None),  # a measure with a target has no value
        ((True, True, None), (185, 175, None), True),  # no tax target: two of two met
        ((None, None, None), (None, None, None), None),  # no target at all
        ((None, None, None), (185, 175, 8), None),  # nothing known
        ((True, True, True), (None, None, None), None),  # passes without targets do not count
    ],
)
def test_all_targets_met_rule(passes, targets, want):
    from landclear.rules.parks import all_targets_met

    row = {f"pass_{m}": [p] for m, p in zip(("investment", "output", "tax"), passes, strict=True)}
    row |= {
        f"target_{m}": [math.nan if t is None else float(t)]
        for m, t in zip(("investment", "output", "tax"), targets, strict=True)
    }
    got = all_targets_met(pd.DataFrame(row)).iloc[0]
    assert (got is pd.NA) if want is None else (got is not pd.NA and bool(got) is want)


def test_all_targets_met_reads_suffixed_pass_columns():
    from landclear.rules.parks import all_targets_met

    t = pd.DataFrame(
        {
            "pass_investment_after": [True, True],
            "pass_output_after": [True, False],
            "pass_tax_after": [True, True],
            "pass_investment": [False, False],  # the "before" columns are not read
            "pass_output": [False, False],
            "pass_tax": [False, False],
            "target_investment": [185.0, 185.0],
            "target_output": [175.0, 175.0],
            "target_tax": [8.0, 8.0],
        },
        index=[5, 9],
    )
    got = all_targets_met(t, "_after")
    assert got.dtype == "boolean" and got.index.tolist() == [5, 9]
    assert got.tolist() == [True, False]


def test_shared_park_land_gives_the_same_table_every_year():
    """park_land computed once (as progress does per year) changes nothing."""
    from landclear.rules.parks import park_indicators, park_land

    parcels = pd.DataFrame(
        {
            "park": ["甲园", "甲园", "乙园", " ", "乙园"],
            "area_mu": [10.0, 5.0, 8.0, 3.0, np.nan],
            "enterprise_id": ["E1", "E2", "E1", "E3", None],
            "land_use_industrial": [True, True, True, True, False],
        }
    )
    land = park_land(parcels)
    for year, scale in ((2022, 1.0), (2023, 2.0)):
        ent = pd.DataFrame(
            {
                "enterprise_id": ["E1", "E2", "E3"],
                "investment": [100.0 * scale, np.nan, 30.0],
                "output_value": [200.0, 50.0 * scale, np.nan],
                "tax_paid": [10.0, 2.0, 1.0],
            }
        )
        want = park_indicators(parcels, ent, {}, year)
        got = park_indicators(None, ent, {}, year, land=land)
        pd.testing.assert_frame_equal(got, want)
        assert got.attrs == want.attrs
    assert land.outside_mu == 3.0 and sorted(land.park_names) == ["乙园", "甲园"]


@pytest.mark.parametrize("dtype", ["string", object])
def test_park_land_lookup_keys_in_either_dtype_give_the_same_table(dtype):
    """The ids kept in their own dtype for the yearly lookup, or rebuilt from ent_names: same."""
    import dataclasses

    from landclear.rules.parks import park_indicators, park_land

    parcels = pd.DataFrame(
        {
            "park": ["甲园", "甲园", "乙园", "乙园"],
            "area_mu": [10.0, 5.0, 8.0, 4.0],
            "enterprise_id": pd.array(["E1", "E2", "E1", None], dtype=dtype),
            "land_use_industrial": [True, True, True, True],
        }
    )
    ent = pd.DataFrame(
        {
            "enterprise_id": pd.array(["E2", "E1", "E9"], dtype=dtype),
            "investment": [50.0, 180.0, 999.0],
            "output_value": [20.0, 90.0, 999.0],
            "tax_paid": [1.0, 9.0, 999.0],
        }
    )
    land = park_land(parcels)
    assert land.ent_keys is not None and list(land.ent_keys) == ["E1", "E2"]
    without = dataclasses.replace(land, ent_keys=None)
    got = park_indicators(None, ent, {}, 2023, land=land)
    pd.testing.assert_frame_equal(got, park_indicators(None, ent, {}, 2023, land=without))
    # 甲园: E1 has 10 of its 18 mu there (180 · 10/18 = 100) and E2 all of its 5 mu (50).
    assert got.set_index("park").loc["甲园", "investment"] == pytest.approx(150.0)


def test_duplicate_enterprise_rows_are_summed_and_noted_with_text_ids():
    from landclear.rules.parks import park_indicators

    parcels = pd.DataFrame(
        {
            "park": ["甲园"],
            "area_mu": [10.0],
            "enterprise_id": pd.array(["E1"], dtype="string"),
            "land_use_industrial": [True],
        }
    )
    ent = pd.DataFrame(
        {
            "enterprise_id": pd.array(["E1", "E1"], dtype="string"),
            "investment": [100.0, 50.0],
            "output_value": [1.0, np.nan],
            "tax_paid": [np.nan, np.nan],
        }
    )
    got = park_indicators(parcels, ent, {}, 2023).set_index("park")
    # Summed with min_count=1: a figure missing in both rows is none (0 in the park total).
    assert got.loc["甲园", ["investment", "output", "tax"]].tolist() == [150.0, 1.0, 0.0]
    assert got.attrs["notes"][0].startswith("企业年度数据重复,已合计: E1")
