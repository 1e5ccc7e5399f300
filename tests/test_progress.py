"""Progress toward 80 enterprises / 4000 mu (landclear.progress, DOMAIN §5.9)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from landclear.progress import (
    Progress,
    attach,
    compute_progress,
    disposal_table,
    qualifying,
    status_class,
    write_progress,
)
from landclear.project import load_project
from landclear.quality import QualityLog
from landclear.result import Result

ROOT = Path(__file__).resolve().parents[1]
E_CODE = "91340600MA2PBM9HXD"  # a valid credit code (DOMAIN §4)


def hand_made(tmp_path: Path, disposals: pd.DataFrame | None = None, **targets) -> Result:
    """A small Result: 5 parcels, 5 enterprises, 7 disposals (see test docstrings)."""
    project = load_project(
        {
            "as_of": "2024-06-30",
            "city": "测试市",
            "inputs": {},
            "targets": {"enterprises": 10, "mu": 100, "deadline": "2024-12-31", **targets},
        },
        base_dir=tmp_path,
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3", "P4", "P5"],
            "owner_name": ["甲公司", "甲公司", "乙公司", "丙公司", "丁公司"],
            "enterprise_id": ["A", "A", "B", "C", "D"],
            "park": ["一园", "二园", "一园", "二园", "一园"],
            "county": ["甲县", "乙县", "甲县", "乙县", "甲县"],
            "land_use": ["0601"] * 5,
            "land_use_industrial": [True] * 5,
            "area_mu": [10.0, 20.0, 30.0, 40.0, 5.0],
            "idle": [True, False, False, False, True],
            "recoverable": [True, False, False, False, False],
            "low_efficiency": [False, True, False, False, False],
            "stopped_2y": [False, False, True, False, False],
            "mortgaged_idle": [False] * 5,
            "lists": [0, 0, 1, 0, 0],
            "grade": ["C", "D", "C", "A", "B"],
            "action": ["收回"] * 5,
            "action_rule": ["R1"] * 5,
            "priority": [1, 2, 3, 4, 5],
            "tax_arrears_2y": [False] * 5,
            "cleared": [False] * 5,
            "idle_years": [2, 0, 0, 0, 1],
            "source_file": ["parcels.shp"] * 5,
            "source_row": [1, 2, 3, 4, 5],
        },
        geometry=[box(i, 0, i + 0.5, 0.5) for i in range(5)],
        crs="EPSG:4490",
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ["A", "B", "C", "D", E_CODE],
            "name": ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司"],
            "above_scale": [True, True, True, False, True],
            "industry_code": ["C33", "C30", "C33", "C25", "C31"],
            "land_mu": [30.0, 30.0, 40.0, 5.0, 0.0],
            "grade": ["D", "C", "A", "D", "T"],
            "low_efficiency": [True, True, False, True, False],
            "stopped_2y": [False, True, False, False, True],
            "tax_arrears_2y": [False] * 5,
        }
    )
    if disposals is None:
        disposals = pd.DataFrame(
            {
                "parcel_id": ["P1", "P2", "P3", "P4", "P5", None, None],
                "enterprise_id": ["A", "A", "B", "C", "D", None, None],
                "credit_code": [None, None, None, None, None, E_CODE, None],
                "name": [None, None, None, None, None, None, "己 公司（分厂）"],
                "method": [
                    "协议收回",
                    "整体腾退",
                    "政府收储",
                    "兼并重组",
                    "依法处置",
                    "政府收储",
                    "兼并重组",
                ],
                "status": ["已完成", "办结", "已完成", "已完成", "推进中", "已处置", " 完成 "],
                "completed_on": pd.to_datetime(
                    [
                        "2022-05-10",
                        "2023-01-15",
                        "2024-07-01",
                        "2023-06-01",
                        None,
                        "2024-02-01",
                        "2021-12-01",
                    ]
                ),
                "area_mu": [8.0, None, 30.0, 40.0, 5.0, 12.0, 3.0],
            }
        )
    years = pd.DataFrame(
        {
            "enterprise_id": ["A", "C", "A", "C"],
            "year": [2022, 2022, 2023, 2023],
            "investment": [3000.0, 8000.0, 3600.0, 9000.0],
            "output_value": [1500.0, 6000.0, 1800.0, 7000.0],
            "tax_paid": [60.0, 300.0, 90.0, 320.0],
        }
    )
    return Result(
        project=project,
        parcels=parcels,
        enterprises=enterprises,
        parks=pd.DataFrame({"park": ["一园", "二园"]}),
        cross_list=pd.DataFrame({"enterprise_id": ["B"]}),
        quality=QualityLog(),
        disposals=disposals,
        enterprise_years=years,
    )


def test_status_classes():
    got = status_class(
        pd.Series(["已完成", "办结", "已办结", "已处置", "完成", "推进中", "计划", "?"])
    )
    assert got.tolist() == ["completed"] * 5 + ["ongoing", "planned", "other"]


def test_qualifying_land_is_idle_low_efficiency_or_long_stopped():
    p = pd.DataFrame(
        {
            "idle": [True, False, False, False, None, False],
            "low_efficiency": [False, True, False, False, None, pd.NA],
            "stopped_2y": [False, False, True, False, None, False],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    got = qualifying(p)
    assert got.dtype == bool and got.index.tolist() == p.index.tolist()
    assert got.tolist() == [True, True, True, False, False, False]
    # A missing column is "no", not an error.
    assert qualifying(p[["stopped_2y"]]).tolist() == [False, False, True, False, False, False]
    assert not qualifying(pd.DataFrame(index=[1, 2])).any()


def test_hand_made_counts(tmp_path):
    """After-as_of completion not counted; two disposals of 甲 count once; only qualifying mu."""
    p = compute_progress(hand_made(tmp_path))
    # 甲 (A), 丙 (C: cleared but its land is normal), 戊 (by credit code only), 己 (by name only)
    assert p.cleared_enterprises == 4
    # 8 (P1 ledger) + 20 (P2: no ledger area → parcel) + 12 (戊: stopped, enterprise only)
    assert p.cleared_mu == pytest.approx(8 + 20 + 12)
    t = disposal_table(hand_made(tmp_path))
    assert t.loc[t["parcel_id"] == "P3", "done"].item() is False  # 2024-07-01 > as_of
    assert t.loc[t["parcel_id"] == "P4", "mu_counted"].item() == 0.0
    assert t["ent_key"].iloc[6] == "N:己公司(分厂)"
    assert p.by_park.set_index("park")["mu"].to_dict() == {
        "一园": 8.0,
        "二园": 20.0,
        "园区外": 12.0,
    }
    by_park_e = p.by_park.set_index("park")["enterprises"].to_dict()
    # 甲 counts once, in the park of its first completion (P1, 一园).
    assert by_park_e == {"一园": 1, "二园": 1, "园区外": 2}
    assert p.by_county.set_index("county")["mu"].sum() == pytest.approx(40.0)
    assert p.by_method.set_index("method")["mu"].to_dict()["整体腾退"] == 20.0


def test_monthly_series(tmp_path):
    p = compute_progress(hand_made(tmp_path))
    m = p.monthly.set_index("month")
    assert m.index[0] == "2022-03" and m.index[-1] == "2024-06"
    assert len(m) == 28
    # 己's 2021-12 completion predates the plan: it falls in the first month.
    assert m.loc["2022-03", "enterprises"] == 1 and m.loc["2022-03", "mu"] == 0
    assert m.loc["2022-05", "cumulative_enterprises"] == 2
    assert m.loc["2022-05", "cumulative_mu"] == pytest.approx(8)
    assert m.loc["2023-01", "enterprises"] == 0 and m.loc["2023-01", "mu"] == 20
    assert m.loc["2023-06", "cumulative_enterprises"] == 3
    assert m.loc["2024-06", "cumulative_enterprises"] == 4
    assert m.loc["2024-06", "cumulative_mu"] == pytest.approx(40)
    assert m["enterprises"].sum() == p.cleared_enterprises


def test_pace_arithmetic(tmp_path):
    p = compute_progress(hand_made(tmp_path))
    assert p.pace["months_left"] == 6  # July … December 2024
    assert p.pace["enterprises"]["remaining"] == 6
    assert p.pace["enterprises"]["needed_per_month"] == pytest.approx(6 / 6)
    assert p.pace["mu"]["needed_per_month"] == pytest.approx(60 / 6)
    assert p.pace["mu"]["actual_per_month"] == pytest.approx(40 / 28, abs=1e-4)
    assert p.pace["mu"]["projected_at_deadline"] == pytest.approx(40 + 40 / 28 * 6, abs=1e-3)
    assert p.pace["mu"]["on_track"] is False
    late = compute_progress(hand_made(tmp_path, deadline="2024-03-31"))
    assert late.pace["months_left"] == 0
    assert late.pace["mu"]["needed_per_month"] is None
    assert "已过目标期限" in late.pace["note"]
    done = compute_progress(hand_made(tmp_path, enterprises=3, mu=30))
    assert done.pace["mu"]["needed_per_month"] == 0 and done.pace["mu"]["on_track"] is True


def test_milestones(tmp_path):
    """Scope ∩ low-efficiency = 甲, 乙, 丁 (丁 below scale with 5 mu ≥ 3); 甲 rectified 2022."""
    m = compute_progress(hand_made(tmp_path)).milestones.set_index("year")
    # The plan's milestones: ≥ 50 % by end 2022, ≥ 80 % by end 2023, 100 % by end 2024.
    assert m["required_share"].to_dict() == {2022: 0.5, 2023: 0.8, 2024: 1.0}
    assert m["due"].to_dict() == {2022: "2022-12-31", 2023: "2023-12-31", 2024: "2024-12-31"}
    assert m.loc[2022, "scope_enterprises"] == 3 and m.loc[2022, "rectified"] == 1
    assert not m.loc[2022, "met"] and "未达标" in m.loc[2022, "status"]
    assert m.loc[2023, "share"] == pytest.approx(1 / 3) and not m.loc[2023, "met"]
    assert pd.isna(m.loc[2024, "met"]) and "进行中" in m.loc[2024, "status"]
    # 2024 counts what is done by as_of: 甲 (2022) only; 丁's disposal is still 推进中.
    assert m.loc[2024, "rectified"] == 1


def test_milestones_from_the_project_file(tmp_path):
    """``[targets.rectification]`` replaces a milestone; 1 of 3 by end 2022 meets 30 %."""
    m = compute_progress(hand_made(tmp_path, rectification={"2022": 0.3})).milestones
    m = m.set_index("year")
    assert m.loc[2022, "required_share"] == 0.3 and bool(m.loc[2022, "met"])
    assert "已达标" in m.loc[2022, "status"]
    assert m.loc[2023, "required_share"] == 0.8  # the others stay the plan's


def test_park_years(tmp_path):
    py = compute_progress(hand_made(tmp_path)).park_years
    assert sorted(py["year"].unique()) == [2022, 2023]
    row = py[(py["year"] == 2023) & (py["park"] == "二园")].iloc[0]
    # 二园 holds P2 (A, 20 of A's 30 mu) and P4 (C, 40 mu, all of C's).
    inv = 3600 * 20 / 30 + 9000
    assert row["industrial_mu"] == 60
    assert row["investment_per_mu"] == pytest.approx(inv / 60)
    assert row["target_investment"] == 175 and row["target_tax"] == 6
    assert py[py["year"] == 2022]["target_output"].iloc[0] == 120


def test_json_and_sheets(tmp_path):
    result = hand_made(tmp_path)
    p = attach(result)
    assert isinstance(p, Progress) and result.extras["progress"] is p
    written = write_progress(result, tmp_path / "out")
    data = json.loads(written["progress"].read_text("utf-8"))
    for key in (
        "as_of",
        "cleared_enterprises",
        "cleared_mu",
        "target_enterprises",
        "target_mu",
        "monthly",
        "by_park",
        "by_county",
        "pace",
        "milestones",
        "park_years",
    ):
        assert key in data
    assert data["as_of"] == "2024-06-30" and data["cleared_mu"] == 40
    assert data["by_county"]["甲县"]["mu"] == 8
    assert data["monthly"][-1]["cumulative_enterprises"] == 4
    assert written["progress_png"].name == "progress.png" and written["progress_png"].stat().st_size
    names = [n for n, _ in result.extras["sheets"]]
    assert names[0] == "清理进度" and "进度-按园区" in names
    attach(result)  # idempotent: no duplicate sheets or writers
    assert [n for n, _ in result.extras["sheets"]] == names
    assert result.extras["writers"].count(write_progress) == 1
    out = result.to_files(tmp_path / "full", maps=False)
    assert (tmp_path / "full" / "progress.json").exists() and "progress" in out
    import openpyxl

    wb = openpyxl.load_workbook(out["workbook"], read_only=True)
    assert "进度-按月累计" in wb.sheetnames


def test_formula_text_in_ledger_stays_text(tmp_path):
    result = hand_made(tmp_path)
    result.disposals.loc[0, "method"] = '=HYPERLINK("http://x","y")'
    attach(result)
    path = result.to_files(tmp_path / "o", maps=False)["workbook"]
    import openpyxl

    ws = openpyxl.load_workbook(path)["处置台账核算"]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert '=HYPERLINK("http://x","y")' in values  # stored as a string, not a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_empty_ledger(tmp_path):
    empty = pd.DataFrame(columns=["parcel_id", "status", "completed_on", "area_mu"])
    p = compute_progress(hand_made(tmp_path, disposals=empty))
    assert p.cleared_enterprises == 0 and p.cleared_mu == 0
    assert p.monthly["cumulative_mu"].iloc[-1] == 0
    assert p.pace["enterprises"]["needed_per_month"] == pytest.approx(10 / 6)


# ----------------------------------------------------------------- the sample
@pytest.fixture(scope="module")
def sample():
    import landclear.analysis

    result = landclear.analysis.run(ROOT / "shapefiles" / "project.toml")
    planted = json.loads((ROOT / "shapefiles" / "planted.json").read_text("utf-8"))["progress"]
    return compute_progress(result), planted


def test_sample_planted_totals(sample):
    p, planted = sample
    assert p.as_of == dt.date(2024, 6, 30)
    assert p.cleared_enterprises == planted["cleared_enterprises"]
    assert p.cleared_mu == pytest.approx(planted["cleared_mu"], abs=1e-3)
    assert (p.target_enterprises, p.target_mu) == (80, 4000)
    after = set(planted["completed_after_as_of"])
    t = p.disposals
    assert not t.loc[t["parcel_id"].isin(after), "done"].any()
    assert set(t.loc[t["done"], "parcel_id"].dropna()) == set(planted["completed_parcels"])
    not_counted = set(planted["not_counted_mu"])
    assert (t.loc[t["parcel_id"].isin(not_counted), "mu_counted"] == 0).all()


def test_sample_planted_groups(sample):
    p, planted = sample
    for col, table in (("park", p.by_park), ("county", p.by_county)):
        got = table.set_index(col)
        want = planted[f"by_{col}"]
        assert set(got.index) == set(want)
        for name, w in want.items():
            assert got.loc[name, "enterprises"] == w["cleared_enterprises"]
            assert got.loc[name, "mu"] == pytest.approx(w["cleared_mu"], abs=1e-3)


def test_sample_planted_monthly(sample):
    p, planted = sample
    m = p.monthly.set_index("month")
    for row in planted["monthly"]:
        assert m.loc[row["month"], "cumulative_enterprises"] == row["enterprises"], row
        assert m.loc[row["month"], "cumulative_mu"] == pytest.approx(row["mu"], abs=1e-3), row
    assert p.pace["months_left"] == 6
    remaining = 4000 - planted["cleared_mu"]
    assert p.pace["mu"]["needed_per_month"] == pytest.approx(remaining / 6, abs=1e-3)
    assert math.isclose(
        p.pace["enterprises"]["needed_per_month"],
        (80 - planted["cleared_enterprises"]) / 6,
        abs_tol=1e-3,
    )


def test_park_years_leave_land_outside_parks_out(tmp_path):
    # As the as_of park table (DOMAIN §5.7): 园区外 is no park and not in 全市.
    r = hand_made(tmp_path)
    r.parcels["in_park"] = True
    r.parcels.loc[3, ["park", "in_park"]] = ["园区外", False]  # P4, C's 40 mu
    py = compute_progress(r).park_years
    assert "园区外" not in set(py["park"])
    city = py[(py["year"] == 2023) & (py["park"] == "全市")].iloc[0]
    assert city["industrial_mu"] == 65  # 105 mu less P4
    assert city["investment"] == pytest.approx(3600.0)  # C's figures went with its land


def test_park_years_skip_ledger_rows_without_a_year(tmp_path):
    # A junk year (nullable Int64 <NA>) belongs to no year's table (the 1M bad-input bench).
    r = hand_made(tmp_path)
    want = compute_progress(r).park_years
    ey = r.enterprise_years.copy()
    ey["year"] = ey["year"].astype("Int64")
    extra = ey.iloc[[0]].assign(year=pd.array([pd.NA], dtype="Int64"))
    r.enterprise_years = pd.concat([ey, extra], ignore_index=True)
    got = compute_progress(r).park_years
    pd.testing.assert_frame_equal(got, want)


def test_park_years_from_the_runs_park_land_equal_a_fresh_one(tmp_path):
    """The run hands its in-park ParkLand to progress; the tables are those made afresh."""
    from landclear.rules.parks import park_land

    r = hand_made(tmp_path)
    r.parcels["in_park"] = True
    r.parcels.loc[3, ["park", "in_park"]] = ["园区外", False]
    r.parcels["land_use_industrial"] = True
    want = compute_progress(r).park_years
    land = park_land(r.parcels[r.parcels["in_park"]])
    got = compute_progress(r, land=land).park_years
    pd.testing.assert_frame_equal(got, want)
    assert "园区外" not in set(got["park"])
