"""What-if scenarios (issue 8): hand-computed parks, selectors, named scenarios, CLI, sample."""

from __future__ import annotations

import datetime as dt
import json
import math
import types
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from documented import CLEARING_ACTIONS
from shapely.geometry import box

from landclear.errors import LandclearError, ProjectError
from landclear.optimize import plan_clearance
from landclear.project import Project, Targets
from landclear.quality import QualityLog
from landclear.result import Result
from landclear.rules.parks import park_indicators
from landclear.scenario import (
    SelectorError,
    parcel_contributions,
    parse_relet,
    run_named,
    safe_file_stem,
    scenario,
    scenario_layers,
    scenario_sheets,
    scenario_tables,
    select_parcels,
    write_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
PLAN_2024 = {2024: {"investment": 185.0, "output": 175.0, "tax": 8.0}}


def make_result(
    parcels: dict, figures: dict, *, scenarios: dict | None = None, per_mu: dict | None = None
) -> Result:
    """A real Result built from small tables (no pipeline run)."""
    n = len(parcels["parcel_id"])
    defaults = {
        "owner_name": [f"企业{i}" for i in range(n)],
        "idle": [False] * n,
        "low_efficiency": [False] * n,
        "lists": [0] * n,
        "grade": ["B"] * n,
        "action": ["继续监管"] * n,
        "stopped_2y": [False] * n,
        "cleared": [False] * n,
        "land_use_industrial": [True] * n,
    }
    data = {**defaults, **parcels}
    gdf = gpd.GeoDataFrame(
        data,
        geometry=[box(106 + i * 0.01, 39, 106.005 + i * 0.01, 39.005) for i in range(n)],
        crs="EPSG:4490",
    )
    gdf["parcel_id"] = gdf["parcel_id"].astype("string")
    gdf["park"] = gdf["park"].astype("string")
    years = pd.DataFrame(figures)
    project = Project(
        base_dir=Path("."),
        as_of=dt.date(2024, 6, 30),
        targets=Targets(per_mu=per_mu or PLAN_2024),
        scenarios=scenarios or {},
    )
    latest = years[years["year"] == years["year"].max()]
    targets = {str(y): t for y, t in project.targets.per_mu.items()}
    parks = park_indicators(gdf, latest, targets, 2024)
    return Result(
        project=project,
        parcels=gdf,
        enterprises=pd.DataFrame({"enterprise_id": latest["enterprise_id"]}),
        parks=parks,
        cross_list=pd.DataFrame(),
        quality=QualityLog(),
        enterprise_years=years,
    )


@pytest.fixture
def three():
    """Park 甲 with three parcels (E2 owns two of them) and park 乙 with one.

    Figures (万元, ledger year 2023; the 2022 rows must not be used):
    E1 1000 / 500 / 20 on p1 (10 mu), E2 10000 / 9000 / 450 on p2 (20 mu) + p3 (30 mu),
    E3 8000 / 8000 / 400 on p4 (40 mu, 乙) and p5 (10 mu, 乙, not industrial: ignored).
    """
    parcels = {
        "parcel_id": ["p1", "p2", "p3", "p4", "p5"],
        "park": ["甲", "甲", "甲", "乙", "乙"],
        "area_mu": [10.0, 20.0, 30.0, 40.0, 10.0],
        "enterprise_id": ["E1", "E2", "E2", "E3", "E3"],
        "land_use_industrial": [True, True, True, True, False],
        "idle": [True, False, False, False, False],
        "stopped_2y": [True, False, False, False, False],
        "lists": [1, 0, 0, 0, 0],
        "grade": ["D", "C", "C", "A", "A"],
        "action": ["无偿收回", "改造提升", "改造提升", "继续监管", "继续监管"],
    }
    figures = {
        "enterprise_id": ["E1", "E2", "E3", "E1", "E2", "E3"],
        "year": [2023, 2023, 2023, 2022, 2022, 2022],
        "investment": [1000.0, 10000.0, 8000.0, 1.0, 1.0, 1.0],
        "output_value": [500.0, 9000.0, 8000.0, 1.0, 1.0, 1.0],
        "tax_paid": [20.0, 450.0, 400.0, 1.0, 1.0, 1.0],
    }
    return make_result(
        parcels,
        figures,
        scenarios={
            "clear_p1": {"clear": ["p1"], "relet": "target", "title": "收回p1"},
            "least": {"plan": True, "park": "甲", "candidates": "lists>=0"},
        },
    )


def row(s, park):
    return s.table.set_index("park").loc[park]


def test_before_is_the_pipeline_table(three):
    s = scenario(three, None, year=2024)
    # 甲: 60 mu; 11000 / 9500 / 470 万元 → 183.333 / 158.333 / 7.8333: fails all three
    jia = row(s, "甲")
    assert jia["industrial_mu_before"] == 60.0
    assert jia["investment_per_mu_before"] == pytest.approx(11000 / 60)
    assert jia["output_per_mu_before"] == pytest.approx(9500 / 60)
    assert jia["tax_per_mu_before"] == pytest.approx(470 / 60)
    assert not jia["all_pass_before"]
    # 全市: 100 mu; 19000 / 17500 / 870 → 190 / 175 / 8.7: meets all (175 ≥ 175)
    city = row(s, "全市")
    assert city["output_per_mu_before"] == 175.0
    assert city["all_pass_before"]
    # nothing cleared: after = before
    assert jia["tax_per_mu_after"] == jia["tax_per_mu_before"]
    assert s.summary["figures_year"] == 2023 and s.summary["parcels_cleared"] == 0
    assert s.before["investment_per_mu"].tolist() == three.parks["investment_per_mu"].tolist()


def test_all_met_ignores_a_measure_without_a_target_and_is_unknown_without_land(three):
    """No tax target in 2024: two of two met is met; 乙 with all its land cleared is unknown."""
    r = make_result(
        {c: three.parcels[c].tolist() for c in ("parcel_id", "park", "area_mu", "enterprise_id")}
        | {"land_use_industrial": three.parcels["land_use_industrial"].tolist()},
        {c: three.enterprise_years[c].tolist() for c in three.enterprise_years.columns},
        per_mu={2024: {"investment": 180.0, "output": 150.0}},
    )
    s = scenario(r, ["p4"], year=2024)
    jia, yi = row(s, "甲"), row(s, "乙")
    # 甲: 183.3 ≥ 180 and 158.3 ≥ 150, no tax target; 乙: 200 / 200 before, no land after.
    assert jia["pass_tax_before"] is pd.NA
    assert bool(jia["all_pass_before"]) and bool(jia["all_pass_after"])
    assert bool(yi["all_pass_before"]) and yi["all_pass_after"] is pd.NA
    assert s.summary["parks_meeting_before"] == 2 and s.summary["parks_meeting_after"] == 1


def test_figures_year_is_the_pipelines_evaluation_year():
    """A thin latest ledger year (1 of 3 enterprises in 2024) is not used, as in the pipeline."""
    from landclear.analysis import _evaluation_year

    parcels = {
        "parcel_id": ["p1", "p2", "p3"],
        "park": ["甲", "甲", "甲"],
        "area_mu": [10.0, 20.0, 30.0],
        "enterprise_id": ["E1", "E2", "E3"],
    }
    figures = {
        "enterprise_id": ["E1", "E2", "E3", "E1"],
        "year": [2023, 2023, 2023, 2024],
        "investment": [1000.0, 2000.0, 3000.0, 5.0],
        "output_value": [100.0, 200.0, 300.0, 5.0],
        "tax_paid": [10.0, 20.0, 30.0, 5.0],
    }
    result = make_result(parcels, figures)
    pipeline = _evaluation_year(result.enterprise_years, result.as_of)
    assert pipeline == 2023
    s = scenario(result, None, year=2024)
    assert s.summary["figures_year"] == pipeline
    assert row(s, "甲")["investment_per_mu_before"] == pytest.approx(6000 / 60)
    assert parcel_contributions(result, 2024)["investment"].tolist() == [1000.0, 2000.0, 3000.0]
    # A configured [rules.efficiency] year wins, as in the pipeline.
    result.project.rules = {"efficiency": {"year": 2024}}
    assert scenario(result, None, year=2024).summary["figures_year"] == 2024


def test_clear_whole_enterprise(three):
    s = scenario(three, ["p1"], year=2024)
    # 甲 keeps E2 on 50 mu: 10000/50 = 200, 9000/50 = 180, 450/50 = 9 → meets all
    jia = row(s, "甲")
    assert jia["industrial_mu_after"] == 50.0
    assert jia["cleared_mu"] == 10.0 and jia["parcels_cleared"] == 1
    assert [
        jia["investment_per_mu_after"],
        jia["output_per_mu_after"],
        jia["tax_per_mu_after"],
    ] == pytest.approx([200.0, 180.0, 9.0])
    assert jia["gap_output_after"] == pytest.approx(5.0)
    assert jia["all_pass_after"] and jia["enterprises_cleared"] == 1
    assert s.after.set_index("park").loc["甲", "enterprises"] == 1
    # 乙 untouched: 8000 / 40 = 200
    assert row(s, "乙")["investment_per_mu_after"] == pytest.approx(200.0)
    # 全市: 90 mu; 18000 / 17000 / 850
    city = row(s, "全市")
    assert city["output_per_mu_after"] == pytest.approx(17000 / 90)
    # progress: p1 is idle (10 mu), E1 long-stopped and fully cleared
    assert s.summary["progress_mu_added"] == 10.0
    assert s.summary["progress_enterprises_added"] == 1
    assert s.summary["long_stopped_cleared"] == 1 and s.summary["long_stopped_added"] == 1
    assert jia["progress_mu"] == 10.0 and jia["progress_enterprises"] == 1
    assert row(s, "乙")["progress_mu"] == 0.0
    assert row(s, "全市")["progress_enterprises"] == 1
    assert s.summary["progress_mu_before"] is None  # this hand-made Result has no progress
    assert s.summary["enterprises_cleared"] == 1 and s.summary["enterprises_partly_cleared"] == 0
    assert s.summary["parks_meeting_before"] == 1 and s.summary["parks_meeting_after"] == 2


def test_enterprise_with_two_parcels_one_cleared(three):
    s = scenario(three, "parcel_id=p2", year=2024)
    # E2 loses 20 of its 50 mu → keeps 60 %: 6000 / 5400 / 270 on p3.
    # 甲: 40 mu; (1000+6000)/40 = 175, (500+5400)/40 = 147.5, (20+270)/40 = 7.25
    jia = row(s, "甲")
    assert [
        jia["investment_per_mu_after"],
        jia["output_per_mu_after"],
        jia["tax_per_mu_after"],
    ] == pytest.approx([175.0, 147.5, 7.25])
    assert jia["enterprises_cleared"] == 0 and jia["enterprises_partly"] == 1
    # p2 is neither idle, low-efficiency nor long-stopped: its mu does not count; but E2 has
    # a disposal completed, so it counts once among the cleared enterprises (DOMAIN §5.9, as
    # landclear.progress counts them) — and it is not long-stopped.
    assert s.summary["progress_mu_added"] == 0.0
    assert s.summary["progress_enterprises_added"] == 1
    assert s.summary["long_stopped_added"] == 0
    # what the cleared parcel took away: 40 % of E2
    cl = s.cleared.iloc[0]
    assert [cl["figures_investment"], cl["figures_output"], cl["figures_tax"]] == pytest.approx(
        [4000.0, 3600.0, 180.0]
    )
    assert not cl["enterprise_fully_cleared"]


def test_relet_at_target(three):
    s = scenario(three, ["p1"], relet="target", year=2024)
    # 甲: 60 mu; 10000 + 10×185 = 11850 → 197.5; 9000 + 1750 = 10750 → 179.1667;
    # 450 + 80 = 530 → 8.8333
    jia = row(s, "甲")
    assert jia["relet_mu"] == 10.0 and jia["industrial_mu_after"] == 60.0
    assert [
        jia["investment_per_mu_after"],
        jia["output_per_mu_after"],
        jia["tax_per_mu_after"],
    ] == pytest.approx([197.5, 10750 / 60, 530 / 60])
    assert jia["all_pass_after"]
    assert s.after.set_index("park").loc["甲", "enterprises"] == 1  # the new user is not counted
    s2 = scenario(three, ["p2"], relet="target", year=2024)
    # 甲: (7000 + 3700)/60 = 178.333, (5900 + 3500)/60 = 156.667, (290 + 160)/60 = 7.5
    assert [
        row(s2, "甲")[f"{m}_per_mu_after"] for m in ("investment", "output", "tax")
    ] == pytest.approx([10700 / 60, 9400 / 60, 7.5])


def test_relet_custom_share(three):
    s = scenario(three, ["p1"], relet={"investment": 300, "output": 100, "tax": 20, "share": 0.5})
    # 5 mu re-let: (10000+1500)/55 = 209.09, (9000+500)/55 = 172.73, (450+100)/55 = 10
    jia = row(s, "甲")
    assert jia["industrial_mu_after"] == 55.0
    assert [
        jia["investment_per_mu_after"],
        jia["output_per_mu_after"],
        jia["tax_per_mu_after"],
    ] == pytest.approx([11500 / 55, 9500 / 55, 10.0])
    assert [jia["pass_investment_after"], jia["pass_output_after"], jia["pass_tax_after"]] == [
        True,
        False,
        True,
    ]
    assert not jia["all_pass_after"]


def test_progress_already_counted_is_not_counted_again(three):
    # The disposal ledger already has p1 (E1) completed: clearing p1 and p2 adds E2 only,
    # and no mu (p1 is counted already, p2 does not qualify).
    three.extras["progress"] = types.SimpleNamespace(
        cleared_enterprises=5,
        cleared_mu=100.0,
        disposals=pd.DataFrame({"parcel_id": ["p1"], "ent_key": ["E1"], "done": [True]}),
    )
    s = scenario(three, ["p1", "p2"], year=2024)
    assert s.summary["progress_mu_added"] == 0.0
    assert s.summary["progress_enterprises_added"] == 1
    assert (s.summary["progress_enterprises_before"], s.summary["progress_enterprises_after"]) == (
        5,
        6,
    )
    assert (s.summary["progress_mu_before"], s.summary["progress_mu_after"]) == (100.0, 100.0)
    sheets = dict(s.sheets())
    prog = sheets["情景-selection-进度"]
    pd.testing.assert_frame_equal(prog, s.progress_table())
    assert prog.iloc[:, 1:5].to_numpy().tolist() == [[80, 5, 1, 6], [4000.0, 100.0, 0.0, 100.0]]
    assert prog["完成率"].tolist() == pytest.approx([6 / 80, 100 / 4000])


def test_landclear_scenario_is_callable_after_the_module_is_imported(three):
    import importlib

    import landclear

    importlib.import_module("landclear.scenario")  # rebinds landclear.scenario to the module
    s = landclear.scenario(three, clear=["p1"], relet="target", year=2024)
    assert s.table.set_index("park").loc["甲", "all_pass_after"]
    assert landclear.plan_clearance(three, park="甲", year=2024, candidates="lists>=0").feasible


def test_clear_whole_park_leaves_no_ratio(three):
    s = scenario(three, "park=甲", year=2024)
    jia = row(s, "甲")
    assert jia["industrial_mu_after"] == 0.0
    assert math.isnan(jia["tax_per_mu_after"]) and pd.isna(jia["all_pass_after"])


def test_parcel_contributions_sum_to_park(three):
    c = parcel_contributions(three, 2024)
    # p1: all of E1; p2: 40 % of E2; p3: 60 % of E2; p5 not industrial: 0
    assert c["tax"].tolist() == pytest.approx([20.0, 180.0, 270.0, 400.0, 0.0])


def test_parse_relet_errors():
    goal = {"investment": 185.0, "output": 175.0, "tax": 8.0}
    assert parse_relet("none", goal)[2] == 0.0
    assert parse_relet({"tax": 10}, goal)[1] == {"investment": 185.0, "output": 175.0, "tax": 10.0}
    for bad in ("someday", {"taxx": 1}, {"tax": -1}, {"share": 2}, {"tax": "x"}):
        with pytest.raises(LandclearError):
            parse_relet(bad, goal)
    with pytest.raises(LandclearError, match="tax"):
        parse_relet({"taxx": 1}, goal)


# --------------------------------------------------------------------------- selectors
@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "parcel_id": ["a", "b", "c", "d"],
            "idle": [True, False, False, pd.NA],
            "lists": [0, 2, 1, 0],
            "grade": ["A", "C", "D", None],
            "action": ["无偿收回", "改造提升", "政府收储", "继续监管"],
            "park": ["甲园区", "甲园区", "乙园区", "乙园区"],
            "grant_date": pd.to_datetime(["2018-01-01", "2020-06-01", "2022-01-01", None]),
            "area_mu": [1.0, 2.0, 3.0, 4.0],
        }
    ).astype({"idle": "boolean", "grade": "string", "action": "string", "park": "string"})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("idle", [True, False, False, False]),
        ("lists>=1", [False, True, True, False]),
        ("idle|lists>=1|grade in C,D", [True, True, True, False]),
        ("grade in C，D & lists>1", [False, True, False, False]),
        ("!idle", [False, True, True, True]),
        ("!(idle | lists>=2)", [False, False, True, True]),
        ("action=无偿收回", [True, False, False, False]),
        ("action ~ 收", [True, False, True, False]),
        ("grade != C", [True, False, True, False]),
        ("grade not in A,C", [False, False, True, False]),
        ("园区=乙园区", [False, False, True, True]),
        ("area_mu < 2.5 & area_mu > 1", [False, True, False, False]),
        ("grant_date >= 2020-01-01", [False, True, True, False]),
        ("idle = 否", [False, True, True, False]),
        ("recommended", [True, False, True, False]),
        ("", [False, False, False, False]),
        ("none", [False, False, False, False]),
    ],
)
def test_selector(table, text, expected):
    assert select_parcels(table, text).tolist() == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("gradee in C", "grade"),
        ("(idle | lists>=1", "括号"),
        ("idle |", "不完整"),
        ("grade > C", "文字列"),
        ("lists >= many", "数字"),
        ("grade", "比较"),
        ("__import__('os').system('echo hacked')", "没有列"),
        ("idle = maybe", "是/否"),
        ("lists>=", "缺少"),
    ],
)
def test_selector_errors(table, text, message):
    with pytest.raises(SelectorError, match=message):
        select_parcels(table, text)


def test_selector_ids_and_masks(table):
    assert select_parcels(table, ["b", " d"]).tolist() == [False, True, False, True]
    assert select_parcels(table, pd.Series([True, False], index=[0, 1])).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert select_parcels(table, np.array([0, 0, 1, 0], dtype=bool)).tolist() == [
        False,
        False,
        True,
        False,
    ]
    with pytest.raises(SelectorError, match="zz"):
        select_parcels(table, ["a", "zz"])
    with pytest.raises(SelectorError, match="长度"):
        select_parcels(table, np.array([True]))


# --------------------------------------------------------------------------- outputs
def test_named_scenarios_sheets_layers_tables(three, tmp_path):
    sheets = scenario_sheets(three)
    names = [n for n, _ in sheets]
    assert names == [
        "情景-clear_p1-园区",
        "情景-clear_p1-宗地",
        "情景-clear_p1-进度",
        "方案-least",
        "方案-least-宗地",
    ]
    parks = dict(sheets)["情景-clear_p1-园区"]
    assert "情景亩均税收(万元/亩)" in parks.columns and "园区" in parks.columns
    plan = dict(sheets)["方案-least"]
    assert plan["腾退面积(亩)"].tolist() == [10.0] and plan["可达标"].tolist() == [True]
    layers = dict(scenario_layers(three))
    assert layers["clear_p1"]["parcel_id"].tolist() == ["p1"]
    assert layers["least"]["parcel_id"].tolist() == ["p1"]
    assert layers["least"].crs.to_epsg() == 4490
    titles = [t for t, _ in scenario_tables(three)]
    assert titles == ["收回p1", "least"]
    written = write_scenario(three, "clear_p1", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "scenario-clear_p1.geojson",
        "scenario-clear_p1.gpkg",
        "scenario-clear_p1.xlsx",
    ]
    back = gpd.read_file(written["gpkg"], layer="proposed")
    assert back["parcel_id"].tolist() == ["p1"]
    gj = json.loads(written["geojson"].read_text("utf-8"))
    assert gj["features"][0]["properties"]["parcel_id"] == "p1"


def test_named_scenario_errors(three):
    three.project.scenarios["bad"] = {"clear": "idle", "relett": "target"}
    with pytest.raises(ProjectError, match="relet"):
        run_named(three, "bad")
    with pytest.raises(ProjectError, match="clear_p1"):
        run_named(three, "nope")
    three.project.scenarios["empty"] = {"relet": "target"}
    with pytest.raises(ProjectError, match="clear"):
        run_named(three, "empty")


def test_untrusted_text_stays_text(tmp_path):
    import openpyxl

    evil = '=HYPERLINK("http://x","<img src=x onerror=alert(1)>")'
    r = make_result(
        {
            "parcel_id": ["p1", "p2"],
            "park": ["甲", "甲"],
            "area_mu": [5.0, 5.0],
            "enterprise_id": ["E1", "E2"],
            "owner_name": [evil, "正常"],
        },
        {
            "enterprise_id": ["E1", "E2"],
            "year": [2023, 2023],
            "investment": [1.0, 2000.0],
            "output_value": [1.0, 2000.0],
            "tax_paid": [1.0, 100.0],
        },
        scenarios={"../../evil name": {"clear": ["p1"]}},
    )
    written = write_scenario(r, "../../evil name", tmp_path)
    assert all(p.parent == tmp_path for p in written.values())
    assert written["workbook"].name == "scenario-evil_name.xlsx"
    wb = openpyxl.load_workbook(written["workbook"])
    cells = [c for ws in wb for rw in ws.iter_rows() for c in rw]
    assert evil in [c.value for c in cells]
    assert not [c for c in cells if c.data_type == "f"]  # stored as text, never as a formula
    html = scenario(r, ["p1"], name="<b>x</b>")._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;" in html
    assert safe_file_stem("..") == "scenario"


@pytest.mark.parametrize("name", ["recommended_2024", "least_land_2024"])
def test_cli_scenario_on_the_sample(tmp_path, name):
    """``landclear scenario shapefiles/project.toml NAME --out DIR`` through the real CLI."""
    import openpyxl

    from landclear.cli import main

    project = ROOT / "shapefiles" / "project.toml"
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["scenario", str(project), name, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        f"scenario-{name}.geojson",
        f"scenario-{name}.gpkg",
        f"scenario-{name}.xlsx",
    ]
    summaries = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    layer = gpd.read_file(out / f"scenario-{name}.gpkg", layer="proposed")
    assert len(layer) > 0 and layer.crs is not None
    sheets = openpyxl.load_workbook(out / f"scenario-{name}.xlsx", read_only=True).sheetnames
    if name == "recommended_2024":
        (summary,) = summaries
        assert summary["parcels_cleared"] == len(layer)
        assert set(layer["action"]) <= CLEARING_ACTIONS
        assert sheets == [f"情景-{name}-园区", f"情景-{name}-宗地", f"情景-{name}-进度"]
    else:  # one least-land plan per park
        assert sorted(x["park"] for x in summaries) == [
            "平罗工业园区",
            "石嘴山经济技术开发区",
            "石嘴山高新技术产业开发区",
        ]
        assert sum(x["parcels"] for x in summaries) == len(layer)
        assert sheets == [f"方案-{name}", f"方案-{name}-宗地"]


def test_cli_unknown_scenario_exits_2(tmp_path):
    from landclear.cli import main

    project = ROOT / "shapefiles" / "project.toml"
    res = CliRunner().invoke(main, ["scenario", str(project), "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "recommended_2024" in res.output
    assert list(tmp_path.iterdir()) == []


def test_clearing_actions_are_the_documented_ones():
    """``clear="recommended"`` takes the actions docs/scenarios.md lists, no more, no fewer."""
    import landclear.scenario

    assert set(landclear.scenario.CLEARING_ACTIONS) == CLEARING_ACTIONS
    assert len(landclear.scenario.CLEARING_ACTIONS) == len(CLEARING_ACTIONS)  # no repeats
    docs = (ROOT / "docs" / "scenarios.md").read_text("utf-8")
    line = next(x for x in docs.splitlines() if x.startswith("| `recommended`"))
    assert set(line.rsplit(":", 1)[1].strip(" |").split("、")) == CLEARING_ACTIONS


# --------------------------------------------------------------------------- the sample
def test_sample_recommended_disposals(sample_result):
    r = sample_result
    for relet in ("none", "target"):
        s = scenario(r, "recommended", relet=relet, year=2024)
        chosen = r.parcels["action"].isin(CLEARING_ACTIONS)
        assert s.summary["parcels_cleared"] == int(chosen.sum())
        assert s.summary["mu_cleared"] == pytest.approx(
            float(r.parcels.loc[chosen, "area_mu"].sum())
        )
        # independent recomputation of each park's tax per mu after clearing
        c = parcel_contributions(r, 2024)
        ind = r.parcels["land_use_industrial"].astype(bool)
        for park, grp in r.parcels[ind].groupby("park"):
            keep = ~chosen[grp.index]
            mu = grp.loc[keep, "area_mu"].sum()
            cleared = grp.loc[~keep, "area_mu"].sum()
            tax = c.loc[grp.index[keep], "tax"].sum()
            if relet == "target":
                mu, tax = mu + cleared, tax + 8.0 * cleared
            assert row(s, park)["tax_per_mu_after"] == pytest.approx(tax / mu, rel=1e-9)
        assert s.summary["progress_mu_added"] <= s.summary["mu_cleared"] + 1e-9
    before = scenario(r, None)
    assert np.allclose(before.before["tax_per_mu"], r.parks["tax_per_mu"])


def test_sample_least_land_per_park(sample_result):
    r = sample_result
    parks = [p for p in r.parks["park"] if p != "全市"]
    for park in [*parks, "全市"]:
        plan = plan_clearance(r, park, 2024, time_limit=20)
        assert plan.method in ("exact", "bound", "already met"), plan.method
        assert plan.optimal
        prow = plan.table.iloc[0]
        if plan.feasible:
            assert bool(prow["all_pass_after"])
        else:
            assert 0.5 < plan.best_attainment < 1.0 and not bool(prow["all_pass_after"])
        assert plan.cleared_mu <= plan.candidates_mu + 1e-9


def test_sample_progress_added_is_what_the_progress_report_would_count(sample_result):
    """Add the cleared parcels to the disposal ledger as completed on as_of and recompute
    the real progress: it lands exactly on the scenario's "after" figures."""
    import copy

    from landclear.progress import compute_progress

    r = sample_result
    s = scenario(r, "recommended", relet="target", year=2024)
    ids = s.cleared["parcel_id"].astype("string")
    extra = pd.DataFrame(
        {
            "parcel_id": ids,
            "status": "已完成",
            "completed_on": pd.Timestamp(r.project.as_of),
            "method": "情景",
        }
    )
    ledger = copy.copy(r)
    ledger.disposals = pd.concat([r.disposals, extra], ignore_index=True)
    after = compute_progress(ledger)
    assert s.summary["progress_enterprises_before"] == r.extras["progress"].cleared_enterprises
    assert s.summary["progress_enterprises_after"] == after.cleared_enterprises
    assert s.summary["progress_mu_after"] == pytest.approx(after.cleared_mu, rel=1e-12)
    assert s.summary["progress_mu_added"] > 0 and s.summary["progress_enterprises_added"] > 0
    city = row(s, "全市")
    assert city["progress_mu"] == pytest.approx(s.summary["progress_mu_added"])


def test_sample_each_park_in_workbook_maps_and_bulletin(sample_result):
    """Issue 8 done-when: per park, what the recommended disposals do to the 2024 targets
    and the least-land set, in the workbook, on the park maps and in the bulletin."""
    from landclear.maps import park_map
    from landclear.reports.bulletin import bulletin_context

    r = sample_result
    parks = ["平罗工业园区", "石嘴山经济技术开发区", "石嘴山高新技术产业开发区"]
    sheets = dict(r.workbook_sheets())
    what_if = sheets["情景-recommended_2024-园区"].set_index("园区")
    assert list(what_if.index) == [*parks, "全市"]
    for col in (
        "现状亩均税收(万元/亩)",
        "情景亩均税收(万元/亩)",
        "情景亩均税收差距",
        "情景三项全部达标",
    ):
        assert what_if[col].notna().all(), col
    targets = what_if[["投资强度目标", "产出强度目标", "亩均税收目标"]].drop_duplicates()
    assert targets.to_numpy().tolist() == [[185.0, 175.0, 8.0]]  # the plan's 2024 targets
    gap = what_if["情景亩均税收(万元/亩)"] - what_if["亩均税收目标"]
    assert what_if["情景亩均税收差距"].to_numpy() == pytest.approx(gap.to_numpy())
    progress = sheets["情景-recommended_2024-进度"]
    assert progress.iloc[:, 1].tolist() == [80, 4000.0]
    plans = sheets["方案-least_land_2024"].set_index("园区")
    assert list(plans.index) == parks
    assert plans["已证最优"].all()  # exact (HiGHS) or proven infeasible
    proposed = sheets["方案-least_land_2024-宗地"]
    for park in parks:
        plan = next(p for p in run_named(r, "least_land_2024") if p.park == park)
        assert plans.loc[park, "腾退面积(亩)"] == pytest.approx(plan.cleared_mu)
        assert (proposed["园区"] == park).sum() == len(plan.parcel_ids)
        html = park_map(r, park, offline=True).get_root().render()
        for title in ("推荐处置对2024年目标的影响", "2024年达标最少腾退方案"):
            assert title in html or json.dumps(title)[1:-1] in html
        assert plan.parcel_ids[0] in html
    ctx = bulletin_context(r)
    titles = [sec["name"] for sec in ctx["scenarios"]]
    assert titles == ["推荐处置对2024年目标的影响", "2024年达标最少腾退方案"]
