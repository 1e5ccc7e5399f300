"""The sample data end to end: every planted case is found, and nothing else."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from landclear.geo import MU_M2


def _ids(frame: pd.DataFrame, mask) -> set[str]:
    return set(frame.loc[mask, "parcel_id"].astype(str))


def test_quality_accounting_adds_up(sample_result, planted):
    q = sample_result.quality
    for name, rec in q.inputs.items():
        assert rec.rows_read == rec.rows_used + rec.rows_rejected, name
    parcels = q.inputs["parcels"]
    assert parcels.rows_read == planted["counts"]["parcel_features"]
    assert parcels.rows_used == planted["counts"]["parcel_ids"] == len(sample_result.parcels)
    reasons = " ".join(r["reason"] for r in parcels.rejected)
    assert "重复" in reasons  # the planted duplicate id is the one rejection
    assert {
        r["row"]
        for r in parcels.repairs
        if "make_valid" in str(r["repair"]) or "修复" in str(r["repair"])
    }, "the planted invalid ring is repaired and recorded"


def test_idle_land_exact(sample_result, planted):
    p = sample_result.parcels
    assert _ids(p, p["idle"]) == set(planted["idle"])
    by_id = p.set_index("parcel_id")
    for pid, truth in planted["idle"].items():
        row = by_id.loc[pid]
        assert row["idle_type"] == truth["type"], pid
        assert row["idle_cause"] == truth["cause"], pid
        assert int(row["idle_years"]) == truth["idle_years"], pid
        assert bool(row["recoverable"]) == truth["recoverable"], pid
        assert row["idle_fee"] == pytest.approx(truth["idle_fee"], abs=1e-6), pid
    for pid in planted["not_idle_boundary"]:
        assert not by_id.loc[pid, "idle"], pid


def test_three_lists_exact(sample_result, planted):
    e = sample_result.enterprises
    assert set(e.loc[e["stopped_2y"], "credit_code"]) == set(planted["stopped_2y"])
    assert set(e.loc[e["tax_arrears_2y"], "credit_code"]) == set(planted["tax_arrears_2y"])
    p = sample_result.parcels
    assert _ids(p, p["mortgaged_idle"]) == set(planted["mortgaged_idle"])
    on_lists = p[p["lists"] > 0].set_index("parcel_id")["lists"].astype(int).to_dict()
    assert on_lists == planted["lists"]
    cross = sample_result.cross_list
    assert set(cross["credit_code"]) == set(planted["enterprise_lists"])
    three = cross.set_index("credit_code").loc[planted["three_lists_enterprise"], "lists"]
    assert int(three) == 3


def test_matching_recovers_bad_codes_and_name_variants(sample_result, planted):
    matches = pd.DataFrame(sample_result.quality.matches)
    for bad in planted["bad_credit_code"]:
        hit = matches[matches["record_code"] == bad["code"]]
        assert len(hit) and hit["enterprise_id"].iloc[0] == bad["valid_code"], bad
    for var in planted["name_variants"]:
        assert var["credit_code"] in set(sample_result.enterprises["enterprise_id"])


def test_parks_assigned_by_location(sample_result, planted):
    p = sample_result.parcels.set_index("parcel_id")
    truth = pd.Series(planted["parcel_park"])
    assert (p.loc[truth.index, "park"] == truth).all()


def test_area_mismatch_is_warned_once(sample_result):
    """Warned when the parcels load (validate and run alike), tabulated in the result."""
    warned = [w for w in sample_result.quality.warnings if w.get("kind") == "area_mismatch"]
    assert len(warned) == len(sample_result.area_mismatch) > 0
    assert {w["parcel_id"] for w in warned} == set(sample_result.area_mismatch["parcel_id"])


def _geodesic_mu(geoms) -> np.ndarray:
    """GRS80 geodesic area in mu; exteriors counter-clockwise and holes clockwise first.

    ``Geod.geometry_area_perimeter`` adds each ring's signed area, so a hole is
    subtracted only when it runs opposite to its exterior.
    """
    import shapely

    geod = Geod(ellps="GRS80")
    oriented = shapely.orient_polygons(np.asarray(geoms), exterior_cw=False)
    return np.array([geod.geometry_area_perimeter(g)[0] for g in oriented]) / MU_M2


def test_area_matches_geodesic(sample_result):
    p = sample_result.parcels.sample(200, random_state=1)
    ref = _geodesic_mu(p.to_crs(4490).geometry.array)
    assert np.allclose(p["area_mu"].to_numpy(), ref, rtol=1e-4)
    assert MU_M2 == (10000 / 15)


def test_area_of_parcels_with_holes_matches_geodesic():
    """A hole drawn in the exterior's direction must still be subtracted by the reference."""
    import geopandas as gpd
    import shapely

    from landclear.geo import area_mu

    x0, y0 = 370_000, 4_320_000
    outer = [(x0, y0), (x0 + 300, y0), (x0 + 300, y0 + 300), (x0, y0 + 300)]
    hole = [(x0 + 100, y0 + 100), (x0 + 200, y0 + 100), (x0 + 200, y0 + 200), (x0 + 100, y0 + 200)]
    g = gpd.GeoSeries([shapely.Polygon(outer, [hole])], crs=4545).to_crs(4490)
    assert area_mu(g).iloc[0] == pytest.approx(_geodesic_mu(g.array)[0], rel=1e-6)
    assert area_mu(g).iloc[0] == pytest.approx(80_000 / MU_M2, rel=1e-3)


def test_every_parcel_has_a_recommendation(sample_result):
    p = sample_result.parcels
    assert p["action"].notna().all() and p["action_rule"].notna().all()
    assert (p.loc[p["recoverable"] & ~p["cleared"], "priority"] <= 2).all()


def test_outputs_follow_contract(sample_result, tmp_path):
    import pyogrio

    written = sample_result.to_files(tmp_path, maps=False)
    layers = {name for name, _ in pyogrio.list_layers(written["gpkg"])}
    assert {"parcels", "enterprises", "parks"} <= layers
    parcels = pyogrio.read_dataframe(written["gpkg"], layer="parcels")
    required = {
        "parcel_id",
        "credit_code",
        "park",
        "area_mu",
        "idle",
        "idle_years",
        "idle_fee",
        "recoverable",
        "stopped_2y",
        "tax_arrears_2y",
        "mortgaged_idle",
        "lists",
        "grade",
        "low_efficiency",
        "action",
        "action_rule",
        "priority",
    }
    assert required <= set(parcels.columns)
    assert len(parcels) == len(sample_result.parcels)
    # Flags are GDAL booleans, not text, in both layers (QGIS filters on them).
    types = dict(zip(*(pyogrio.read_info(written["gpkg"], layer="parcels")[k]
                       for k in ("fields", "dtypes")), strict=True))  # fmt: skip
    assert types["idle"] == "bool" and types["recoverable"] == "bool"
    ent_info = pyogrio.read_info(written["gpkg"], layer="enterprises")
    ent_types = dict(zip(ent_info["fields"], ent_info["dtypes"], strict=True))
    assert ent_types["screening_scope"] in ("bool", "int16", "int8")
    assert ent_info["features"] == len(sample_result.enterprises)
    quality = json.loads(written["quality"].read_text("utf-8"))
    for rec in quality["inputs"].values():
        assert rec["rows_read"] == rec["rows_used"] + rec["rows_rejected"]
        assert {"files", "encoding", "crs", "rows_skipped", "rejected", "repairs"} <= set(rec)


def test_parcels_only_project_runs(sample_dir):
    """No ledgers at all: every ledger rule finds nothing, nothing crashes."""
    import landclear

    r = landclear.run(
        {"as_of": "2024-06-30", "inputs": {"parcels": str(sample_dir / "parcels" / "gaoxin.shp")}}
    )
    s = r.summary()
    assert s["tax_list"] == s["stopped_list"] == s["mortgage_list"] == 0
    assert s["idle_parcels"] > 0
    assert (r.parcels["grade"] == "T").all()
    assert "parcels=" in repr(r)


def test_output_path_that_is_a_file_is_a_clear_error(sample_result, tmp_path):
    from landclear.errors import LandclearError

    f = tmp_path / "x"
    f.write_text("")
    with pytest.raises(LandclearError, match="不是文件夹"):
        sample_result.to_files(f, maps=False)


def test_jupyter_summary_is_chinese_and_escaped(sample_result):
    import copy

    r = copy.copy(sample_result)
    r.project = copy.copy(sample_result.project)
    r.project.city = "<script>alert(1)</script>"
    html = r._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    for text in ("已出清企业", "欠缴土地使用税两年以上企业清单", "园区指标", "数据质量"):
        assert text in html
    assert f"{len(sample_result.parcels)}" in html


def test_ledger_row_for_unknown_enterprise_is_kept_on_its_list(sample_dir, tmp_path):
    """A land-tax debtor known to no other bureau still makes the tax list, with a warning."""
    import shutil
    import tomllib

    import landclear

    work = tmp_path / "s"
    shutil.copytree(sample_dir, work)
    (work / "extra_tax.csv").write_text(
        "企业名称,统一社会信用代码,税种,欠税金额(元),所属期起,所属期止\n"
        '宁夏外地未登记化工有限公司,,城镇土地使用税,"120,000",2020/1/1,2020/12/31\n',
        encoding="utf-8",
    )
    raw = tomllib.loads((work / "project.toml").read_text("utf-8"))
    raw["inputs"]["tax_arrears"] = [raw["inputs"]["tax_arrears"], "extra_tax.csv"]
    raw.pop("scenarios", None)
    r = landclear.run(landclear.load_project(raw, base_dir=work))
    tax = r.tax_list
    hit = tax[tax["name"] == "宁夏外地未登记化工有限公司"]
    assert len(hit) == 1
    assert hit["land_tax_amount"].iloc[0] == pytest.approx(12.0)
    assert any(w.get("kind") == "unmatched_enterprise" for w in r.quality.warnings)
    assert r.quality.inputs["tax_arrears"].rows_used == r.quality.inputs["tax_arrears"].rows_read


def test_screening_scope_follows_the_plan(sample_result):
    """规上 manufacturing, and 规下 manufacturing using ≥ 3 mu (石政办发〔2022〕24号 三(一)1)."""
    e = sample_result.enterprises.dropna(subset=["industry_code"])
    div = e["industry_code"].astype(str).str.extract(r"(\d{2})")[0].astype(float)
    manuf = div.between(13, 43)
    above = e["above_scale"].astype("boolean").fillna(False).astype(bool)
    expected = manuf & (above | (~above & (e["land_mu"] >= 3)))
    assert (e["screening_scope"].astype(bool) == expected).all()
    assert 0 < expected.sum() < len(e)


# -- small projects built in code (review findings) ----------------------------


def _small_project(
    tmp_path,
    *,
    ledgers: dict[str, str] | None = None,
    extra: str = "",
    owners: tuple[str, ...] = ("甲公司", "乙公司", "丙公司", "丁公司"),
):
    """Four 150 m squares (GBK shapefile, EPSG:4545) owned by ``owners``, plus CSV ledgers.

    ``ledgers`` maps an input name to CSV text; ``extra`` is appended to the project file.
    """
    import geopandas as gpd
    from shapely import box

    (tmp_path / "parcels").mkdir()
    x0, y0 = 370000, 4_320_000
    g = gpd.GeoDataFrame(
        {
            "宗地代码": [f"640205001001GB0000{i}" for i in range(1, 5)],
            "权利人": list(owners),
            "约定开工": ["2020-01-01", "2023-07-01", "2021-06-30", "2022-06-30"],
            "出让价款": [100.0, 200.0, 300.0, 400.0],
            "园区": ["石嘴山经济技术开发区"] * 4,
        },
        geometry=[box(x0 + i * 200, y0, x0 + i * 200 + 150, y0 + 150) for i in range(4)],
        crs="EPSG:4545",
    )
    g.to_file(tmp_path / "parcels" / "p.shp", encoding="gbk")
    lines = ['as_of = "2024-06-30"', "[inputs]", 'parcels = "parcels/p.shp"']
    for name, text in (ledgers or {}).items():
        (tmp_path / f"{name}.csv").write_text(text, "utf-8")
        lines.append(f'{name} = "{name}.csv"')
    body = "\n".join(lines) + "\n" + extra + '\n[columns.parcels]\nagreed_start = "约定开工"\n'
    (tmp_path / "project.toml").write_text(body, "utf-8")
    return tmp_path / "project.toml"


def test_ledger_units_option_is_applied(tmp_path):
    """[inputs.tax_arrears_options] units reach the ledger reader (they were ignored)."""
    import landclear

    f = _small_project(
        tmp_path,
        ledgers={
            "tax_arrears": '企业名称,税种,欠税金额,所属期起\n甲公司,城镇土地使用税,"12,000",2021/1/1\n'
        },
        extra='[inputs.tax_arrears_options]\nunits = { amount = "元" }\n',
    )
    r = landclear.run(f)
    assert r.tax_arrears["amount"].tolist() == [pytest.approx(1.2)]


def test_evaluation_year_is_not_taken_over_by_a_thin_latest_year(tmp_path):
    """One 2024 row must not switch grading and the park table from the full 2023 ledger."""
    import landclear

    rows = "".join(
        f"{n}公司,正常,是,2023,{t},C3311\n"
        for n, t in zip("甲乙丙丁", (10, 20, 30, 40), strict=True)
    )
    ent = (
        "企业名称,生产状态,是否规上,年度,实缴税金,行业代码\n"
        + rows
        + "甲公司,正常,是,2024,99,C3311\n"
    )
    f = _small_project(tmp_path, ledgers={"enterprises": ent})
    r = landclear.run(f)
    assert r.evaluation_year == 2023
    assert r.enterprises["grade"].isin(list("ABCD")).sum() == 4
    warned = [w for w in r.quality.warnings if w.get("kind") == "evaluation_year"]
    assert len(warned) == 1 and "2023" in warned[0]["message"] and "2024" in warned[0]["message"]
    # the park table uses the same year: Σ tax / Σ mu of the 2023 rows
    city = r.parks.set_index("park").loc["石嘴山经济技术开发区"]
    assert city["tax_per_mu"] == pytest.approx(100 / r.parcels["area_mu"].sum())
    # an explicit year wins
    f.write_text(f.read_text("utf-8") + "[rules.efficiency]\nyear = 2024\n", "utf-8")
    assert landclear.run(f).evaluation_year == 2024


def test_evaluation_year_coverage_rule():
    import datetime as dt

    from landclear.analysis import _evaluation_year
    from landclear.quality import QualityLog
    from landclear.rules.config import load_settings

    e = pd.DataFrame(
        {
            "enterprise_id": list("ABCD") + list("ABC") + ["A"],
            "year": pd.array([2022] * 4 + [2023] * 3 + [2024], dtype="Int64"),
        }
    )
    as_of = dt.date(2024, 6, 30)
    log = QualityLog()
    # 2023 has 3 of the best 4 (≥ 50 %): chosen; 2024 has 1 (< 50 %)
    assert _evaluation_year(e, as_of, log=log) == 2023
    assert [w["kind"] for w in log.warnings] == ["evaluation_year"]
    strict = load_settings({"efficiency": {"year_min_coverage": 0.8}}).efficiency
    assert _evaluation_year(e, as_of, strict) == 2022
    assert _evaluation_year(e, dt.date(2022, 12, 31)) == 2022  # never a year after as_of
    fixed = load_settings({"efficiency": {"year": 2024}}).efficiency
    assert _evaluation_year(e, as_of, fixed) == 2024


def test_one_enterprise_year_under_two_identities_is_reported_and_used_once(tmp_path):
    """A coded and a name-only row of one enterprise and year: one row, used everywhere."""
    import landclear

    ent = (
        "企业名称,统一社会信用代码,生产状态,停产时间,是否规上,年度,实缴税金,行业代码\n"
        "甲公司,,停产,2020-01-01,是,2023,20,C3311\n"
        "甲公司,91640202MAJP38PP6F,正常,,是,2023,10,C3311\n"
        "乙公司,,正常,,是,2023,5,C3311\n"
    )
    r = landclear.run(_small_project(tmp_path, ledgers={"enterprises": ent}))
    row = r.enterprises.set_index("enterprise_id").loc["91640202MAJP38PP6F"]
    # the coded row (ledger row 3) is kept for the latest state and for the grading alike
    assert row["status"] == "正常" and not row["stopped_2y"]
    assert row["tax_paid"] == 10
    assert row["tax_per_mu"] == pytest.approx(10 / row["land_mu"])
    warned = [w for w in r.quality.warnings if w.get("kind") == "duplicate_enterprise_year"]
    assert len(warned) == 1
    assert (warned[0]["file"], warned[0]["row"]) == ("enterprises.csv", 2)
    assert "第 2 行" in warned[0]["message"] and "第 3 行" in warned[0]["message"]
    rec = r.quality.inputs["enterprises"]
    assert [x["row"] for x in rec.rejected] == [2]
    assert rec.rows_read == rec.rows_used + rec.rows_rejected
    assert (r.enterprise_years["enterprise_id"] == "91640202MAJP38PP6F").sum() == 1


def test_one_row_per_year_takes_the_code_flags_the_matching_made():
    """Given the matching's per-row flags, the rows' credit codes are not checked again."""
    from landclear.analysis import _one_row_per_year

    e = pd.DataFrame(
        {
            "enterprise_id": ["X", "X", "Y"],
            "credit_code": [None, "91640202MAJP38PP6F", None],
            "year": [2023, 2023, 2023],
        }
    )
    assert _one_row_per_year(e).index.tolist() == [1, 2]  # the coded row is kept
    same = _one_row_per_year(e, valid_code=np.array([False, True, False]))
    assert same.index.tolist() == [1, 2]
    flagged = _one_row_per_year(e, valid_code=np.array([True, False, False]))
    assert flagged.index.tolist() == [0, 2]  # the flags decide, as given


_MORTGAGE_HEAD = "抵押人,宗地代码,不动产权证号,抵押权人,抵押金额(万元),抵押起始,抵押终止\n"


def test_mortgage_with_unmatched_certificate_is_not_spread_over_the_owner(tmp_path):
    import landclear

    m = (
        _MORTGAGE_HEAD
        + "甲公司,,宁(2019)石嘴山市不动产权第3号,石嘴山银行,500,2020-01-01,2026-01-01\n"
    )
    f = _small_project(
        tmp_path, ledgers={"mortgages": m}, owners=("甲公司", "乙公司", "甲公司", "丁公司")
    )
    r = landclear.run(f)
    assert r.parcels["mortgage_amount"].sum() == 0
    assert not r.parcels["mortgaged_idle"].any()
    warned = [w for w in r.quality.warnings if w.get("kind") == "mortgage_unmatched"]
    assert [(w["file"], w["row"]) for w in warned] == [("mortgages.csv", 2)]
    assert "不动产权证号" in warned[0]["message"]
    assert not any("无宗地代码" in w["message"] for w in r.quality.warnings)


def test_mortgage_named_by_owner_only_is_split_not_copied(tmp_path):
    import landclear

    m = _MORTGAGE_HEAD + "甲公司,,,石嘴山银行,500,2020-01-01,2026-01-01\n"
    f = _small_project(
        tmp_path, ledgers={"mortgages": m}, owners=("甲公司", "乙公司", "甲公司", "丁公司")
    )
    r = landclear.run(f)
    amounts = r.parcels.set_index("parcel_id")["mortgage_amount"]
    assert amounts.sum() == pytest.approx(500)  # split by area, never 500 per parcel
    assert amounts.iloc[[0, 2]].to_numpy() == pytest.approx([250, 250], rel=1e-3)
    assert r.mortgages["amount_split"].sum() == 2
    warned = [w for w in r.quality.warnings if w.get("kind") == "mortgage_by_owner"]
    assert [(w["file"], w["row"]) for w in warned] == [("mortgages.csv", 2)]


def test_disposal_recorded_by_enterprise_clears_its_parcels(tmp_path):
    import landclear

    disp = "企业名称,处置方式,处置状态,完成时间\n甲公司,兼并重组,已完成,2024-01-01\n"
    f = _small_project(
        tmp_path, ledgers={"disposals": disp}, owners=("甲公司", "乙公司", "甲公司", "丁公司")
    )
    r = landclear.run(f)
    assert r.extras["progress"].cleared_enterprises == 1
    assert r.parcels["cleared"].tolist() == [True, False, True, False]
    assert (r.parcels.loc[r.parcels["cleared"], "action"] == "已处置").all()


def test_unmatched_row_with_failing_code_and_no_name_stays_on_its_list(tmp_path):
    import landclear

    tax = (
        "企业名称,统一社会信用代码,税种,欠税金额(元),所属期起\n"
        ',91640202MAJP38PP60,城镇土地使用税,"12,000",2021/1/1\n'
    )
    r = landclear.run(_small_project(tmp_path, ledgers={"tax_arrears": tax}))
    hit = r.tax_list[r.tax_list["enterprise_id"] == "91640202MAJP38PP60"]
    assert len(hit) == 1 and hit["land_tax_amount"].iloc[0] == pytest.approx(1.2)
    ent = r.enterprises.set_index("enterprise_id").loc["91640202MAJP38PP60"]
    assert not ent["code_valid"] and ent["tax_arrears_2y"]
    warned = [w for w in r.quality.warnings if w.get("kind") == "unmatched_enterprise"]
    assert [(w["file"], w["row"]) for w in warned] == [("tax_arrears.csv", 2)]
    assert "校验未通过" in warned[0]["message"]


def test_result_reports_returns_both_index_files(sample_result, tmp_path):
    """``Result.reports()`` names index.html and index.xlsx, and to_files passes both on."""
    import dataclasses

    from openpyxl import load_workbook

    result = dataclasses.replace(sample_result, extras={})
    pid = str(result.parcels.loc[result.parcels["lists"] >= 1, "parcel_id"].iloc[0])
    written = result.reports(tmp_path / "r", pdf=False, progress=False, parcel_ids=[pid])
    assert written == {
        "reports_index": tmp_path / "r" / "index.html",
        "reports_xlsx": tmp_path / "r" / "index.xlsx",
    }
    assert all(p.is_file() for p in written.values())
    assert load_workbook(written["reports_xlsx"]).active.max_row == 2  # header + the parcel
    assert result.extras["report_index"].index_xlsx == written["reports_xlsx"]


def test_spread_mortgage_shares_add_up_when_some_parcels_have_no_area():
    """An owner-only mortgage over parcels of 10, NaN and 0 mu: all of it on the 10 mu one."""
    from landclear.analysis import _cleared, _link_mortgages
    from landclear.quality import QualityLog

    parcels = pd.DataFrame(
        {
            "parcel_id": ["P1", "P2", "P3", "Q1", "Q2"],
            "enterprise_id": ["E", "E", "E", "F", "F"],
            "area_mu": [10.0, np.nan, 0.0, np.nan, 0.0],
        }
    )
    m = pd.DataFrame(
        {
            "parcel_id": pd.array([pd.NA, pd.NA], dtype="string"),
            "enterprise_id": ["E", "F"],
            "amount": [100.0, 60.0],
            "source_file": "m.csv",
            "source_row": [2, 3],
        }
    )
    out = _link_mortgages(parcels, m, QualityLog()).set_index("parcel_id")["amount"]
    assert out[["P1", "P2", "P3"]].tolist() == [100.0, 0.0, 0.0]
    assert out[["Q1", "Q2"]].tolist() == [30.0, 30.0]  # no usable area at all: equal shares
    # A disposal ledger without a parcel column clears by enterprise only.
    disposals = pd.DataFrame(
        {
            "enterprise_id": ["E"],
            "status": ["已完成"],
            "completed_on": pd.to_datetime(["2024-01-01"]),
        }
    )
    import datetime as dt

    got = _cleared(parcels, disposals, dt.date(2024, 6, 30))
    assert got.tolist() == [True, True, True, False, False]
