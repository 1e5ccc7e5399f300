"""Checks that the committed Shizuishan sample (shapefiles/) is what README.md says.

These tests read the files with plain GDAL/openpyxl and re-derive every planted
answer from the files themselves, so ``planted.json`` is known to be consistent
with the data. They do not use ``landclear``: the sample is the yardstick for
the package, not the other way round.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import math
import re
import sys
import tomllib
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1] / "shapefiles"
AS_OF = dt.date(2024, 6, 30)
MU_M2 = 10000 / 15
GOV_KEYWORDS = (
    "政府",
    "规划调整",
    "规划修改",
    "未按约定交地",
    "交地延迟",
    "政策调整",
    "信访",
    "军事管制",
    "文物",
    "不可抗力",
)
FINANCIAL = ("银行", "信用社", "农商行", "农信", "信托", "金融", "小额贷款", "财务公司", "资产管理")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Test-side header → canonical name (independent of landclear's alias table).
CANON = {
    "宗地代码": "parcel_id",
    "权利人": "owner_name",
    "统一社会信": "credit_code",
    "统一社会信用代码": "credit_code",
    "园区": "park",
    "县区": "county",
    "宗地面积": "certified_area",
    "地类编码": "land_use",
    "供地日期": "grant_date",
    "约定开工": "agreed_start",
    "约定开工日期": "agreed_start",
    "实际开工": "actual_start",
    "实际开工日期": "actual_start",
    "停工日期": "suspended_since",
    "已开发面积": "developed_area",
    "出让价款": "land_price",
    "约定投资": "planned_investment",
    "约定投资总额": "planned_investment",
    "已完成投资": "invested",
    "建筑占地": "footprint_area",
    "建筑占地面积": "footprint_area",
    "总建筑面积": "floor_area",
    "闲置原因": "delay_cause",
    "不动产权证": "cert_no",
    "不动产权证号": "cert_no",
}


# --------------------------------------------------------------------------- helpers


def uscc_ok(code: str) -> bool:
    if not re.fullmatch(f"[{ALPHABET}]{{18}}", code):
        return False
    s = sum(ALPHABET.index(c) * w for c, w in zip(code[:17], WEIGHTS, strict=True))
    return ALPHABET[(31 - s % 31) % 31] == code[17]


def norm_code(raw: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or ""))).upper()


def norm_name(raw: object) -> str:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or "")))
    return text.replace("有限责任公司", "有限公司")


def parse_date(v: object) -> dt.date | None:
    """The date styles README.md promises: ISO, y/m/d, 年月日, yyyymmdd, 年月, serials."""
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, int | float):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
    s = str(v).strip()
    if m := re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", s):
        return dt.date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s):
        return dt.date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月", s):
        return dt.date(int(m[1]), int(m[2]), 1)
    raise AssertionError(f"unexpected date {v!r}")


def add_years(d: dt.date, n: int) -> dt.date:
    return pd.Timestamp(d) + pd.DateOffset(years=n)


def whole_years(start: dt.date, end: dt.date) -> int:
    n = end.year - start.year
    return n - 1 if add_years(start, n).date() > end else n


def read_ledger(name: str) -> tuple[openpyxl.worksheet.worksheet.Worksheet, list[str], list[dict]]:
    ws = openpyxl.load_workbook(ROOT / "ledgers" / name).active
    headers = [c.value for c in ws[3]]
    rows = []
    for r in ws.iter_rows(min_row=4, values_only=True):
        if r[0] == "合计":
            break
        if all(v is None for v in r):
            continue
        rows.append(dict(zip(headers, r, strict=True)))
    return ws, headers, rows


def geodesic_mu(geoms) -> np.ndarray:
    geod = Geod(ellps="GRS80")
    oriented = shapely.orient_polygons(np.asarray(geoms, dtype=object))  # holes subtract
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) / MU_M2 for g in oriented])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def planted() -> dict:
    return json.loads((ROOT / "planted.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def parcels(planted) -> gpd.GeoDataFrame:
    """All three parcel files, canonical column names, in EPSG:4544."""
    frames = []
    for f in planted["files"]["parcels"]:
        kw = {"encoding": "GBK"} if f.endswith("jingkai.shp") else {}
        g = gpd.read_file(ROOT / f, **kw).rename(columns=CANON)
        g["file"] = f
        g["area_mu"] = geodesic_mu(shapely.make_valid(g.to_crs(4490).geometry.values))
        frames.append(g.to_crs(4544))
    g = pd.concat(frames, ignore_index=True)
    for c in ("grant_date", "agreed_start", "actual_start", "suspended_since"):
        g[c] = [parse_date(v) for v in g[c].astype(object)]
    g["delay_cause"] = g["delay_cause"].fillna("").astype(str)
    g["park"] = g["park"].fillna("").astype(str)
    return g


@pytest.fixture(scope="module")
def name_to_code(parcels) -> dict[str, str]:
    codes = parcels.loc[parcels["credit_code"].fillna("") != "", ["owner_name", "credit_code"]]
    return {norm_name(n): c for n, c in zip(codes["owner_name"], codes["credit_code"], strict=True)}


def resolve(code: object, name: object, name_to_code: dict[str, str]) -> str:
    """Credit code if it is valid, else the code of the enterprise of that name."""
    c = norm_code(code)
    return c if uscc_ok(c) else name_to_code[norm_name(name)]


# --------------------------------------------------------------------------- files


def test_files_exist_sizes_and_project_file(planted):
    files = planted["files"]
    paths = [ROOT / p for p in files["parcels"]] + [
        ROOT / v for k, v in files.items() if k != "parcels"
    ]
    assert all(p.exists() for p in paths)
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    assert total <= 10 * 1024 * 1024
    assert (ROOT / "built_up.tif").stat().st_size <= 4 * 1024 * 1024
    proj = tomllib.loads((ROOT / "project.toml").read_text("utf-8"))
    assert proj["as_of"] == "2024-06-30" and proj["city"] == "石嘴山市"
    assert proj["inputs"]["parcels"] == files["parcels"]
    assert proj["columns"]["parcels"]["credit_code"] == "统一社会信"
    assert proj["inputs"]["rasters"]["built_up"] == "built_up.tif"
    for key in ("enterprises", "tax_arrears", "mortgages", "disposals", "parks", "buildings"):
        assert (ROOT / proj["inputs"][key]).exists()


def test_encodings_and_ldid():
    gx, jk = ROOT / "parcels/gaoxin", ROOT / "parcels/jingkai"
    assert gx.with_suffix(".cpg").read_text() == "GBK"
    assert not jk.with_suffix(".cpg").exists()
    for path, ldid in ((gx, 0x4D), (jk, 0x00)):
        head = path.with_suffix(".dbf").read_bytes()[:2000]
        assert head[29] == ldid
        names = [head[32 + 32 * i : 43 + 32 * i].split(b"\0")[0] for i in range(19)]
        assert names[2].decode("gbk") == "统一社会信" and len(names[2]) == 10
        with pytest.raises(UnicodeDecodeError):
            names[1].decode("utf-8")  # 权利人 in GBK is not UTF-8: detection must notice
    # Without the .cpg, GDAL's default decoding garbles the Chinese names.
    raw = pyogrio.read_info(jk.with_suffix(".shp"))["fields"]
    assert "权利人" not in list(raw)
    assert pyogrio.list_layers(ROOT / "parcels/pingluo.gpkg")[0][0] == "平罗工业园区宗地"


def test_crs(planted):
    for path, epsg in planted["crs"].items():
        if path.endswith(".tif"):
            with rasterio.open(ROOT / path) as src:
                assert src.crs.to_epsg() == epsg
        else:
            assert gpd.read_file(ROOT / path, rows=1).crs.to_epsg() == epsg


# --------------------------------------------------------------------------- parcels


def test_counts_ids_and_duplicates(parcels, planted):
    c = planted["counts"]
    assert len(parcels) == c["parcel_features"] and 1500 <= len(parcels) <= 3000
    assert parcels["parcel_id"].nunique() == c["parcel_ids"] == len(parcels) - 1
    assert parcels.groupby("file").size().to_dict() == c["by_file"]
    assert parcels["parcel_id"].str.fullmatch(r"6402(02|05|21)\d{6}GB\d{5}").all()
    prefix = {
        "parcels/gaoxin.shp": "640202",
        "parcels/jingkai.shp": "640205",
        "parcels/pingluo.gpkg": "640221",
    }
    assert (parcels["parcel_id"].str[:6] == parcels["file"].map(prefix)).all()
    dup = parcels[parcels["parcel_id"].duplicated(keep=False)]
    assert sorted(set(dup["parcel_id"])) == planted["duplicate_id"]
    assert not dup.geometry.iloc[0].intersects(dup.geometry.iloc[1])
    assert parcels["land_use"].isin(["0601", "061"]).all() and (parcels["land_use"] == "061").any()


def test_geometry_valid_non_overlapping_and_sized(parcels, planted):
    invalid = parcels[~parcels.is_valid]
    assert invalid["parcel_id"].tolist() == planted["invalid_geometry"]
    assert "Self-intersection" in shapely.is_valid_reason(invalid.geometry.iloc[0])
    ok = parcels[parcels.is_valid]
    geoms = ok.geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]]))
    assert keep.sum() > 1000 and overlap.max() < 0.01  # plots touch, never overlap
    mu = ok["area_mu"]
    assert mu.min() >= 5 and mu.max() <= 300 and 20 <= mu.median() <= 80
    assert ((mu >= 20) & (mu <= 80)).mean() > 0.5
    holes = ok[shapely.get_num_interior_rings(geoms) > 0]["parcel_id"].tolist()
    assert sorted(holes) == planted["holes"]
    assert ok["area_mu"].sum() == pytest.approx(planted["area_mu"]["total"], abs=1e-3)
    bad = parcels[~parcels.is_valid]
    assert bad["area_mu"].iloc[0] == pytest.approx(planted["invalid_geometry_area_mu"], abs=1e-4)


def test_parks_locations_and_missing_attribute(parcels, planted):
    parks = gpd.read_file(ROOT / "parks.geojson")
    assert list(parks.columns[:2]) == ["园区名称", "县区"]
    bounds = {
        "石嘴山高新技术产业开发区": (106.35, 106.45, 38.95, 39.05),
        "石嘴山经济技术开发区": (106.70, 106.85, 39.15, 39.30),
        "平罗工业园区": (106.49, 106.62, 38.85, 38.95),
    }
    for name, geom in zip(parks["园区名称"], parks.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        bx0, bx1, by0, by1 = bounds[name]
        assert bx0 <= x0 and x1 <= bx1 and by0 <= y0 and y1 <= by1, name
    joined = gpd.sjoin(
        parcels.set_geometry(parcels.representative_point()),
        parks.to_crs(4544),
        predicate="within",
        how="left",
    )
    assert joined["园区名称"].notna().all()
    truth = pd.Series(planted["parcel_park"])
    one = joined.drop_duplicates("parcel_id", keep=False)
    assert (one["园区名称"].to_numpy() == truth[one["parcel_id"]].to_numpy()).all()
    missing = sorted(parcels.loc[parcels["park"] == "", "parcel_id"])
    assert missing == planted["no_park_attribute"]
    assert 0.02 <= len(missing) / len(parcels) <= 0.05
    has = parcels[parcels["park"] != ""]
    assert (has["park"].to_numpy() == truth[has["parcel_id"]].to_numpy()).sum() >= len(has) - 1
    by_park = joined.groupby("园区名称").size().to_dict()
    assert by_park == planted["counts"]["by_park"]


def test_idle_answers_follow_from_the_files(parcels, planted):
    """Re-apply the shared idle semantics to the raw attributes."""
    found, not_eval = {}, []
    for r in parcels.itertuples():
        agreed = r.agreed_start or (add_years(r.grant_date, 1).date() if r.grant_date else None)
        if agreed is None:
            not_eval.append(r.parcel_id)
            continue
        if r.actual_start is None:
            kind = "A" if add_years(agreed, 1).date() <= AS_OF else None
        elif (
            (r.developed_area < r.certified_area / 3 or r.invested < 0.25 * r.planned_investment)
            and r.suspended_since
            and add_years(r.suspended_since, 1).date() <= AS_OF
        ):
            kind = "B"
        else:
            kind = None
        if kind:
            gov = any(w in r.delay_cause for w in GOV_KEYWORDS)
            years = whole_years(agreed, AS_OF)
            found[r.parcel_id] = dict(
                type=kind,
                cause="government" if gov else "enterprise",
                idle_years=years,
                recoverable=years >= 2 and not gov,
                idle_fee=0.2 * r.land_price if years >= 1 and not gov else 0.0,
            )
    assert not_eval == planted["not_evaluable"]
    assert sorted(found) == sorted(planted["idle"])
    for pid, want in planted["idle"].items():
        got = found[pid]
        assert (got["type"], got["cause"], got["idle_years"], got["recoverable"]) == (
            want["type"],
            want["cause"],
            want["idle_years"],
            want["recoverable"],
        ), pid
        assert got["idle_fee"] == pytest.approx(want["idle_fee"], abs=1e-6)
    idle = planted["idle"]
    assert 20 <= sum(v["type"] == "A" for v in idle.values()) <= 35
    assert sum(v["type"] == "B" and v["cause"] == "enterprise" for v in idle.values()) >= 8
    assert sum(v["cause"] == "government" for v in idle.values()) >= 4
    assert sum(v["agreed_start_from_grant"] for v in idle.values()) >= 4
    assert "2023-06-30" in {v["agreed_start"] for v in idle.values()}
    assert set(planted["not_idle_boundary"]) <= set(planted["not_idle"])
    assert not set(planted["not_idle"]) & set(found)
    # every other parcel is clean: started, no suspension, no delay cause
    others = parcels[~parcels["parcel_id"].isin(list(idle) + list(planted["not_idle"]) + not_eval)]
    assert others["actual_start"].notna().all() and others["suspended_since"].isna().all()
    assert (others["delay_cause"] == "").all()
    assert (others["developed_area"] >= others["certified_area"] / 3).all()
    assert (others["invested"] >= 0.25 * others["planned_investment"]).all()


def test_credit_codes_on_parcels(parcels, planted):
    codes = parcels["credit_code"].fillna("")
    assert codes[codes != ""].map(uscc_ok).all()
    assert codes[codes != ""].str.match(r"9164020[25]|91640221").all()
    assert sorted(parcels.loc[codes == "", "parcel_id"]) == planted["parcels_without_credit_code"]
    # the generator's check character matches published GB 32100 vectors
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    assert mod.uscc_check_char("91110000600037341") == "L"
    assert mod.uscc_check_char("91340600MA2PBM9HX") == "D"
    vectors = ROOT.parent / "tests" / "data" / "uscc" / "uscc_vectors.csv"
    ref = pd.read_csv(vectors, dtype=str)
    ok = ref[ref["recomputed_gb32100_checkdigit_ok"].str.lower() == "true"]["code"].str.strip()
    ok = ok[ok.str.fullmatch(f"[{ALPHABET}]{{18}}")]
    assert len(ok) > 100
    assert all(mod.uscc_check_char(c[:17]) == c[17] for c in ok)


# --------------------------------------------------------------------------- ledgers


def test_ledger_layout(planted):
    for key, name in (
        ("enterprises", "enterprises.xlsx"),
        ("tax_arrears", "tax.xlsx"),
        ("mortgages", "mortgages.xlsx"),
        ("disposals", "disposals.xlsx"),
    ):
        ws, headers, rows = read_ledger(name)
        assert "石嘴山市" in ws["A1"].value and "台账" in ws["A1"].value
        assert any(str(r.coord).startswith("A1:") for r in ws.merged_cells.ranges)
        assert ws["A2"].value.startswith("填报单位：") and "填报日期：" in ws["A2"].value
        assert headers[0] == "序号"
        assert len(rows) == planted["counts"]["ledger_rows"][key]
        values = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=4)]
        assert sum(all(v is None for v in r) for r in values) == 1  # one blank line
        assert values[-1][0] == "合计"
    ws, headers, _ = read_ledger("enterprises.xlsx")
    total = [c.value for c in ws[ws.max_row]]
    assert str(total[headers.index("实缴税金(元)")]).startswith("=SUM(")  # no cached value
    assert "实缴税金(元)" in headers and "工业总产值(万元)" in headers


def test_enterprise_ledger_stopped_and_codes(planted, name_to_code):
    _, _, rows = read_ledger("enterprises.xlsx")
    df = pd.DataFrame(rows)
    assert sorted(df["年度"].unique()) == [2022, 2023]
    raw = df["统一社会信用代码"].astype(str)
    normed = raw.map(norm_code)
    assert normed.map(uscc_ok).all()
    dirty = sorted(r for r, n in zip(raw, normed, strict=True) if r != n)
    assert dirty == sorted(d["raw"] for d in planted["dirty_credit_codes"])
    assert any(re.search("[Ａ-Ｚ０-９]", d) for d in dirty) and any(" " in d for d in dirty)
    assert df["停产时间"].map(lambda v: isinstance(v, int)).any()  # Excel serials
    assert df["停产时间"].map(lambda v: isinstance(v, str) and v.endswith("月")).any()
    latest = df[df["年度"] == 2023].assign(code=normed[df["年度"] == 2023])
    since = latest["停产时间"].map(parse_date)
    limit = add_years(AS_OF, -2).date()
    stopped = latest["生产状态"] == "停产"
    assert sorted(latest.loc[stopped & (since <= limit), "code"]) == planted["stopped_2y"]
    assert sorted(latest.loc[stopped & (since > limit), "code"]) == planted["stopped_recent"]
    half = latest["生产状态"] == "半停产"
    assert sorted(latest.loc[half & (since <= limit), "code"]) == planted["half_stopped_2y"]
    assert set(latest["生产状态"]) == {"正常生产", "停产", "半停产"}
    assert len(latest) == planted["counts"]["enterprises_in_ledger"]
    assert not set(latest["code"]) & set(planted["not_in_enterprise_ledger"])
    divisions = latest["行业代码"].astype(str).str[:2].astype(int)
    assert divisions.between(13, 46).all()
    assert sorted(latest.loc[divisions >= 44, "code"]) == planted["utilities"]
    assert 0 < len(planted["utilities"]) < 0.03 * len(latest)
    assert set(latest["是否规上"]) == {"是", "否"}
    # tax per mu of the extreme enterprises (tax in 元 → 万元) over their parcels' area
    areas = pd.Series(planted["parcel_enterprise"])
    for code, value in planted["tax_per_mu_2023"].items():
        tax = latest.loc[latest["code"] == code, "实缴税金(元)"].iloc[0] / 10000
        assert value == pytest.approx(tax / _ent_area(code, areas), abs=1e-4)
    median = (latest["实缴税金(元)"] / 10000).median()
    assert all(planted["tax_per_mu_2023"][c] > 5 for c in planted["extreme_high"])
    assert all(planted["tax_per_mu_2023"][c] < 0.05 for c in planted["extreme_low"])
    assert median > 0


_AREA_CACHE: dict[str, float] = {}


def _ent_area(code: str, owner: pd.Series) -> float:
    if not _AREA_CACHE:
        g = []
        for f in ("parcels/gaoxin.shp", "parcels/jingkai.shp", "parcels/pingluo.gpkg"):
            kw = {"encoding": "GBK"} if f.endswith("jingkai.shp") else {}
            x = gpd.read_file(ROOT / f, **kw).rename(columns=CANON).to_crs(4490)
            g.append(x)
        allp = pd.concat(g, ignore_index=True).drop_duplicates("parcel_id")
        mu = geodesic_mu(shapely.make_valid(allp.geometry.values))
        s = (
            pd.Series(mu, index=allp["parcel_id"])
            .groupby(owner.reindex(allp["parcel_id"]).values)
            .sum()
        )
        _AREA_CACHE.update(s.to_dict())
    return _AREA_CACHE[code]


def test_tax_ledger_answers(planted, name_to_code):
    _, _, rows = read_ledger("tax.xlsx")
    df = pd.DataFrame(rows)
    df["code"] = [
        resolve(c, n, name_to_code)
        for c, n in zip(df["统一社会信用代码"], df["纳税人名称"], strict=True)
    ]
    df["start"] = df["所属期起"].map(parse_date)
    amounts = df["欠税金额(元)"]
    assert amounts.map(lambda v: isinstance(v, str) and "," in v).any()
    land = df[df["税种"].str.contains("土地使用税")]
    first = land.groupby("code")["start"].min()
    limit = add_years(AS_OF, -2).date()
    assert sorted(first[first <= limit].index) == planted["tax_arrears_2y"]
    assert sorted(first[first > limit].index) == planted["tax_recent"]
    other_only = sorted(set(df["code"]) - set(land["code"]))
    assert other_only == planted["tax_other_only"]
    assert set(df["税种"]) >= {"城镇土地使用税", "增值税", "企业所得税", "房产税"}
    bad = [b for b in planted["bad_credit_code"] if b["ledger"] == "tax_arrears"]
    assert bad and not uscc_ok(bad[0]["code"]) and bad[0]["code"] in set(df["统一社会信用代码"])
    assert bad[0]["valid_code"] not in set(df["统一社会信用代码"])  # only the name links it
    assert name_to_code[norm_name(bad[0]["name"])] == bad[0]["valid_code"]
    assert bad[0]["valid_code"] in planted["tax_arrears_2y"]
    variants = [v for v in planted["name_variants"] if v["ledger"] == "tax_arrears"]
    assert variants and variants[0]["variant"] in set(df["纳税人名称"])
    assert variants[0]["name"] not in set(df["纳税人名称"])
    assert "（" in variants[0]["name"] and "(" in variants[0]["variant"]


def test_mortgage_answers(parcels, planted):
    _, _, rows = read_ledger("mortgages.xlsx")
    df = pd.DataFrame(rows)
    by_cert = dict(zip(parcels["cert_no"], parcels["parcel_id"], strict=True))
    df["pid"] = [
        by_cert[c] if pd.isna(p) else p
        for p, c in zip(df["宗地代码"], df["不动产权证号"], strict=True)
    ]
    assert df["宗地代码"].isna().any() and df["不动产权证号"].notna().any()
    start, end = df["抵押起始"].map(parse_date), df["抵押终止"].map(parse_date)
    active = (start <= AS_OF) & end.map(lambda e: e is None or e >= AS_OF)
    financial = df["抵押权人"].map(lambda m: any(w in m for w in FINANCIAL))
    owner = pd.Series(planted["parcel_enterprise"])
    stopped = df["pid"].map(owner).isin(planted["stopped_2y"])
    flagged = df["是否闲置"] == "是"
    idle = df["pid"].isin(list(planted["idle"]))
    hit = active & financial & (idle | stopped | flagged)
    assert sorted(df.loc[hit, "pid"]) == planted["mortgaged_idle"]
    assert sorted(df.loc[~hit, "pid"]) == sorted(planted["mortgage_not_counted"])
    # the planted near-misses are all present
    reasons = " ".join(planted["mortgage_not_counted"].values())
    for word in ("到期", "非金融", "晚于", "不足2年", "不满1年", "正常宗地"):
        assert word in reasons
    assert (flagged & ~idle & ~stopped & hit).sum() == 1


def test_lists_cross(parcels, planted):
    owner = pd.Series(planted["parcel_enterprise"])
    tax, stop = set(planted["tax_arrears_2y"]), set(planted["stopped_2y"])
    mort = set(planted["mortgaged_idle"])
    lists = {p: (c in tax) + (p in mort) + (c in stop) for p, c in owner.items()}
    assert {p: n for p, n in lists.items() if n} == planted["lists"]
    assert {2, 3} <= set(planted["lists"].values())
    three = planted["three_lists_enterprise"]
    assert len(planted["enterprise_lists"][three]) == 3


def test_disposal_progress(parcels, planted):
    _, _, rows = read_ledger("disposals.xlsx")
    df = pd.DataFrame(rows)
    df["done"] = df["完成时间"].map(parse_date)
    completed = df["处置状态"].isin(["已完成", "完成", "办结"]) & df["done"].map(
        lambda d: d is not None and d <= AS_OF
    )
    after = df["处置状态"].isin(["已完成"]) & df["done"].map(lambda d: d is not None and d > AS_OF)
    assert sorted(df.loc[after, "宗地代码"]) == planted["progress"]["completed_after_as_of"]
    assert {"推进中", "计划"} <= set(df["处置状态"])
    owner = pd.Series(planted["parcel_enterprise"])
    area = parcels.drop_duplicates("parcel_id").set_index("parcel_id")["area_mu"]
    done = df[completed].copy()
    done["ent"] = done["宗地代码"].map(owner)
    eligible = done["宗地代码"].isin(list(planted["idle"])) | done["ent"].isin(
        planted["stopped_2y"]
    )
    mu = np.where(done["处置面积(亩)"].isna(), done["宗地代码"].map(area), done["处置面积(亩)"])
    prog = planted["progress"]
    assert done["ent"].nunique() == prog["cleared_enterprises"]
    assert float((mu * eligible).sum()) == pytest.approx(prog["cleared_mu"], abs=1e-3)
    assert sorted(done.loc[~eligible, "宗地代码"]) == prog["not_counted_mu"]
    assert (done["ent"].value_counts() >= 2).any()
    months = pd.Series([d.strftime("%Y-%m") for d in done["done"]])
    assert months.nunique() >= 12 and months.min() >= "2022-04" and months.max() == "2024-06"
    for park, v in prog["by_park"].items():
        sub = done["园区"] == park
        assert done.loc[sub, "ent"].nunique() == v["cleared_enterprises"]
        assert float((mu * eligible)[sub.to_numpy()].sum()) == pytest.approx(
            v["cleared_mu"], abs=1e-3
        )
    assert prog["monthly"][-1]["enterprises"] == prog["cleared_enterprises"]
    assert sum(v["cleared_mu"] for v in prog["by_county"].values()) == pytest.approx(
        prog["cleared_mu"]
    )
    bad = [b for b in planted["bad_credit_code"] if b["ledger"] == "disposals"]
    assert bad and bad[0]["code"] in set(df["统一社会信用代码"]) and not uscc_ok(bad[0]["code"])


# --------------------------------------------------------------------------- buildings, raster


def test_buildings_inside_parcels_and_coverage(parcels, planted):
    b = gpd.read_file(ROOT / "buildings.gpkg")
    assert b.crs.to_epsg() == 4490 and len(b) == planted["counts"]["buildings"]
    assert b["层数"].between(1, 5).all()
    b = b.to_crs(4544)
    ok = parcels[parcels.is_valid].drop_duplicates("parcel_id", keep=False)
    j = gpd.sjoin(b, ok[["parcel_id", "area_mu", "geometry"]], predicate="within", how="left")
    assert j["parcel_id"].notna().sum() >= len(b) - 12  # the duplicate-id pair's houses aside
    foot = pd.Series(geodesic_mu(b.to_crs(4490).geometry.values) * MU_M2, index=b.index)
    cov = foot.groupby(j["parcel_id"]).sum() / (ok.set_index("parcel_id")["area_mu"] * MU_M2)
    cov = cov.dropna()
    assert sorted(cov[cov < 0.30].index) == planted["low_intensity"]
    assert set(planted["low_intensity_planted"]) <= set(planted["low_intensity"])
    assert ((cov - 0.30).abs() > 0.02).all()
    attr = ok.set_index("parcel_id")["footprint_area"]
    planar = b.area.groupby(j["parcel_id"]).sum()
    assert np.allclose(planar, attr[planar.index], rtol=1e-3)
    assert sorted(set(ok["parcel_id"]) - set(cov.index)) == sorted(
        set(planted["no_buildings"]) - set(planted["invalid_geometry"])
    )


def test_built_up_raster(parcels, planted):
    from exactextract import exact_extract

    with rasterio.open(ROOT / "built_up.tif") as src:
        assert src.dtypes[0] == "float32" and src.nodata == -1.0
        assert src.res == (10.0, 10.0) and src.crs.to_epsg() == 4544
        assert src.profile["tiled"] and src.compression.name.lower() == "deflate"
        sample = src.read(1, out_shape=(src.height // 10, src.width // 10))
    assert ((sample == -1) | ((sample >= 0) & (sample <= 1))).all()
    ok = parcels[parcels.is_valid].drop_duplicates("parcel_id", keep=False)
    idle_a = [p for p, v in planted["idle"].items() if v["type"] == "A"]
    low = ok[ok["parcel_id"].isin(idle_a)]
    rng = np.random.default_rng(0)
    special = set(planted["idle"]) | set(planted["not_idle"]) | set(planted["not_evaluable"])
    built = ok[~ok["parcel_id"].isin(list(special))].iloc[
        rng.choice(len(ok) - 60, 150, replace=False)
    ]
    with rasterio.open(ROOT / "built_up.tif") as src:
        res_low = exact_extract(
            src, low[["parcel_id", "geometry"]], "mean", include_cols=["parcel_id"], output="pandas"
        )
        res_built = exact_extract(src, built[["parcel_id", "geometry"]], "mean", output="pandas")
    assert len(res_low) == len(idle_a) and (res_low["mean"] < 0.1).all()
    assert (res_built["mean"] >= 0.42).all() and (res_built["mean"] <= 0.9).all()


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_det", ROOT / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    mod.main(["--out", str(tmp_path)])
    for p in sorted(tmp_path.rglob("*")):
        if p.is_file():
            mine = ROOT / p.relative_to(tmp_path)
            assert (
                hashlib.sha256(p.read_bytes()).hexdigest()
                == hashlib.sha256(mine.read_bytes()).hexdigest()
            ), p.name


def test_plot_ratio_and_intensity_verdicts_match_an_independent_overlay(sample_result):
    """容积率 = Σ 建筑面积 of the buildings on a parcel / its ellipsoidal area (DOMAIN §5.6).

    The sample's plants are mostly one or two storeys: most parcels are below the
    2008 table's minimum (0.6–1.0 by industry), which the rule must report, no more
    and no fewer than this overlay finds.
    """
    from landclear.rules.intensity import MIN_PLOT_RATIO

    p = sample_result.parcels.set_index("parcel_id")
    b = gpd.read_file(ROOT / "buildings.gpkg").to_crs(4544)
    ok = p[p["intensity_source"] == "buildings"]
    parcels = gpd.GeoDataFrame(ok[["area_mu"]], geometry=ok.geometry.values, crs=p.crs).to_crs(4544)
    j = gpd.sjoin(b, parcels, predicate="within", how="inner")
    floor = j.groupby("parcel_id")["建筑面积"].sum()
    ratio = floor / (p.loc[floor.index, "area_mu"] * MU_M2)
    assert np.allclose(p.loc[floor.index, "plot_ratio"], ratio, rtol=1e-3)
    division = p.loc[floor.index, "industry_code"].astype("string").str.extract(r"(\d{2})")[0]
    minimum = division.map(MIN_PLOT_RATIO)
    judged = minimum.notna()
    low = ratio[judged] < minimum[judged] - 1e-9
    got = p.loc[low.index, "intensity_reason"].str.contains("容积率 [0-9.]+ < ", regex=True)
    assert (got == low).all()
    assert 0 < low.sum() < len(low)
