"""Generate the Shizuishan sample data set and the answers planted in it.

The sample imitates what a Shizuishan analyst receives from the bureaus:
parcel layers of three industrial parks in three formats and two CRSs, a
buildings layer, a built-up raster, park boundaries and four Excel ledgers,
all with the mess of real exports (GBK without .cpg, truncated dBASE field
names, dates in several styles, title/total rows, 元 vs 万元, dirty credit
codes, name variants).  Every case the rules must find is planted on purpose
and written, with its exact expected value, to ``planted.json``.

The generator is independent of ``landclear`` on purpose: the expected answers
are computed here from the generator's own ground truth, so they can test the
package instead of echoing it.  It is seeded (``numpy.random.default_rng
(20240630)``) and deterministic: re-running gives byte-identical files.

Example
-------
::

    python shapefiles/make_sample.py            # writes beside this script
    python shapefiles/make_sample.py --out /tmp/sample
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyogrio
import rasterio
import shapely
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pyproj import Geod, Transformer
from rasterio import features as rfeatures
from rasterio.transform import Affine
from shapely.geometry import Polygon, box

SEED = 20240630
AS_OF = dt.date(2024, 6, 30)
MU_M2 = 10000 / 15  # 1 mu in m² (DOMAIN §3)
FIXED_STAMP = (2024, 7, 5, 9, 0, 0)  # timestamp written into every file that needs one
GEOD = Geod(ellps="GRS80")

# --------------------------------------------------------------------------- parks


@dataclass(frozen=True)
class ParkSpec:
    """One industrial park and the file its parcels are exported to."""

    key: str
    name: str
    county: str
    county_code: str
    lon: float
    lat: float
    gen_epsg: int  # CRS the geometry is drawn in (metres)
    out_epsg: int  # CRS of the exported parcel file
    file: str
    n_parcels: int
    theta: float  # street-grid bearing, degrees
    aspect: float  # east-west / north-south stretch of the park


PARKS = (
    ParkSpec(
        "gaoxin",
        "石嘴山高新技术产业开发区",
        "大武口区",
        "640202",
        106.400,
        39.000,
        4544,
        4544,
        "parcels/gaoxin.shp",
        860,
        12.0,
        0.85,
    ),
    ParkSpec(
        "jingkai",
        "石嘴山经济技术开发区",
        "惠农区",
        "640205",
        106.775,
        39.225,
        4545,
        4545,
        "parcels/jingkai.shp",
        760,
        -8.0,
        1.2,
    ),
    ParkSpec(
        "pingluo",
        "平罗工业园区",
        "平罗县",
        "640221",
        106.530,
        38.900,
        4544,
        4490,
        "parcels/pingluo.gpkg",
        500,
        3.0,
        1.0,
    ),
)
PINGLUO_LAYER = "平罗工业园区宗地"

# Field names of the dBASE exports (≤ 10 bytes in GBK) and of the GeoPackage.
DBF_FIELDS = {
    "parcel_id": "宗地代码",
    "owner_name": "权利人",
    "credit_code": "统一社会信",
    "cert_no": "不动产权证",
    "park": "园区",
    "county": "县区",
    "land_use": "地类编码",
    "certified_area": "宗地面积",
    "grant_date": "供地日期",
    "agreed_start": "约定开工",
    "actual_start": "实际开工",
    "suspended_since": "停工日期",
    "developed_area": "已开发面积",
    "land_price": "出让价款",
    "planned_investment": "约定投资",
    "invested": "已完成投资",
    "floor_area": "总建筑面积",
    "footprint_area": "建筑占地",
    "delay_cause": "闲置原因",
}
GPKG_FIELDS = dict(
    DBF_FIELDS,
    credit_code="统一社会信用代码",
    cert_no="不动产权证号",
    agreed_start="约定开工日期",
    actual_start="实际开工日期",
    planned_investment="约定投资总额",
    footprint_area="建筑占地面积",
)
DATE_FIELDS = ("grant_date", "agreed_start", "actual_start", "suspended_since")

GOV_CAUSES = (
    "规划调整,延期交地",
    "政府未按约定交地",
    "因信访问题暂缓建设",
    "文物勘探未完成",
    "政策调整暂缓建设",
)
ENT_CAUSES = ("企业资金不足", "企业经营困难", "市场行情变化", "", "企业自身原因", "")
# Mirrors the shared rule semantics (第八条 keywords); used to assert the texts above.
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
FINANCIAL_WORDS = (
    "银行",
    "信用社",
    "农商行",
    "农信",
    "信托",
    "金融",
    "小额贷款",
    "财务公司",
    "资产管理",
)

BANKS = (
    "中国工商银行股份有限公司石嘴山分行",
    "中国农业银行股份有限公司石嘴山分行",
    "中国银行股份有限公司石嘴山分行",
    "中国建设银行股份有限公司石嘴山分行",
    "石嘴山银行股份有限公司",
    "宁夏银行股份有限公司石嘴山分行",
    "宁夏黄河农村商业银行股份有限公司",
    "宁夏平罗农村商业银行股份有限公司",
)
NON_BANK_FINANCIAL = "中国华融资产管理股份有限公司宁夏回族自治区分公司"
NON_FINANCIAL = "石嘴山市鑫源商贸有限公司"

# GB/T 4754-2017 class codes seen in Shizuishan (first two digits = division).
INDUSTRIES = (
    ("3140", "铁合金", 10),
    ("3091", "碳素", 8),
    ("2614", "化工", 8),
    ("2619", "电石", 6),
    ("2520", "煤化工", 6),
    ("3216", "铝业", 4),
    ("3099", "新材料", 6),
    ("3011", "建材", 5),
    ("3073", "陶瓷", 3),
    ("3422", "机械制造", 5),
    ("3511", "装备制造", 4),
    ("3831", "电气", 3),
    ("1310", "粮油加工", 3),
    ("1469", "食品", 3),
    ("1751", "纺织", 2),
    ("2221", "纸业", 2),
    ("2710", "生物制药", 3),
    ("2922", "塑料制品", 3),
    ("3311", "钢结构", 4),
    ("4210", "再生资源", 3),
    ("3982", "电子材料", 2),
    ("4430", "热力", 0.4),
    ("4411", "发电", 0.3),
    ("4511", "燃气", 0.3),
)
NAME_CHARS = "恒达鑫源宏泰丰盛华瑞晟嘉金鼎昌隆凯润德祥兴旺天元博新聚正宝远通富创佳和益永锦辉腾宇峰"
SUFFIXES = (("有限公司", 60), ("有限责任公司", 22), ("股份有限公司", 10), ("（集团）有限公司", 8))
PREFIX = {
    "640202": ("宁夏", "石嘴山市", "石嘴山"),
    "640205": ("宁夏", "石嘴山市", "惠农"),
    "640221": ("宁夏", "平罗县", "平罗"),
}

# --------------------------------------------------------------------------- identifiers

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(body17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters.

    Example
    -------
    >>> uscc_check_char("91110000600037341")
    'L'
    """
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    c9 = 11 - sum(v * w for v, w in zip(values, ORG_WEIGHTS, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


assert uscc_check_char("91340600MA2PBM9HX") == "D"


def make_credit_code(rng: np.random.Generator, county_code: str) -> str:
    """A valid credit code of a company registered in ``county_code``."""
    letters = [c for c in USCC_ALPHABET if c.isalpha()]
    if rng.random() < 0.7:  # post-2015 registrations: MA + 6
        body = "MA" + "".join(rng.choice(list(USCC_ALPHABET), 6))
    else:  # pre-2015 organisation codes: 8 digits, sometimes a letter
        body = "".join(rng.choice(list("0123456789"), 8))
        if rng.random() < 0.3:
            body = body[:7] + str(rng.choice(letters))
    org = body + org_check_char(body)
    head = "91" + county_code + org
    return head + uscc_check_char(head)


def to_fullwidth(text: str) -> str:
    """ASCII → full-width forms, as some ledgers store codes."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --------------------------------------------------------------------------- dates


def add_years(d: dt.date, n: int) -> dt.date:
    """Calendar ``d + n years``; Feb 29 → Feb 28 (same as pandas DateOffset)."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def full_years(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (0 when end < start + 1 y)."""
    n = end.year - start.year
    if add_years(start, n) > end:
        n -= 1
    return max(n, 0)


def rand_date(rng: np.random.Generator, lo: str, hi: str) -> dt.date:
    a, b = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
    return a + dt.timedelta(days=int(rng.integers(0, (b - a).days + 1)))


def fmt_date(d: dt.date | None, style: str) -> object:
    """Write a date the way one of the bureaus does."""
    if d is None:
        return None
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "compact":
        return d.strftime("%Y%m%d")
    if style == "month":  # only used where the day cannot change any answer
        return f"{d.year}年{d.month}月"
    if style == "serial":
        return (d - dt.date(1899, 12, 30)).days
    if style == "datetime":
        return dt.datetime(d.year, d.month, d.day)
    raise ValueError(style)


TEXT_STYLES = ("iso", "slash", "cn", "compact")
EXCEL_STYLES = ("iso", "slash", "cn", "compact", "serial", "datetime")

# --------------------------------------------------------------------------- geometry


@dataclass
class Block:
    park: ParkSpec
    origin: tuple[float, float]  # park-frame (u, v) of the block's lower-left corner
    size: tuple[float, float]
    matrix: tuple[float, float, float, float, float, float]  # local (s, t) → CRS x, y
    vacant: bool
    i: int
    j: int


@dataclass
class Lot:
    block: Block
    local: Polygon
    comps: list[tuple[float, float, float, float]]  # rectangles (s0, s1, t0, t1)
    hole: tuple[float, float, float, float] | None = None
    extra: dict = field(default_factory=dict)


def _block_matrix(
    park: ParkSpec,
    cx: float,
    cy: float,
    u0: float,
    v0: float,
    w: float,
    d: float,
    delta: float,
    shift: tuple[float, float],
):
    """Compose block-local (s, t) → park frame → map CRS as one affine matrix."""
    bu, bv = u0 + w / 2, v0 + d / 2
    cd, sd = math.cos(math.radians(delta)), math.sin(math.radians(delta))
    # local → park frame: rotate about the block centre, then shift
    a1, b1, d1, e1 = cd, -sd, sd, cd
    x1 = bu + shift[0] - (cd * (w / 2) - sd * (d / 2))
    y1 = bv + shift[1] - (sd * (w / 2) + cd * (d / 2))
    ct, st = math.cos(math.radians(park.theta)), math.sin(math.radians(park.theta))
    a = ct * a1 - st * d1
    b = ct * b1 - st * e1
    dd = st * a1 + ct * d1
    e = st * b1 + ct * e1
    xo = ct * x1 - st * y1 + cx
    yo = st * x1 + ct * y1 + cy
    return (a, b, dd, e, xo, yo)


def apply_matrix(geoms, m):
    """Element-wise affine transform (no BLAS: shared vertices stay bit-identical)."""
    a, b, d, e, xo, yo = m

    def fn(xy):
        x, y = xy[:, 0], xy[:, 1]
        return np.column_stack([a * x + b * y + xo, d * x + e * y + yo])

    return shapely.transform(geoms, fn)


def _cuts(rng: np.random.Generator, width: float, depth: float) -> list[float]:
    cuts, s = [0.0], 0.0
    while True:
        area_mu = float(np.clip(rng.lognormal(math.log(38), 0.6), 6, 240))
        w = max(area_mu * MU_M2 / depth, 35.0)
        if width - (s + w) < 40:
            cuts.append(width)
            return cuts
        s += w
        cuts.append(s)


def _ring(a, b, t0, t1, below, above) -> Polygon:
    # Neighbours' cut points are inserted as vertices so shared edges are noded alike.
    bottom = [(a, t0)] + [(c, t0) for c in below if a < c < b] + [(b, t0)]
    top = [(b, t1)] + [(c, t1) for c in sorted(above, reverse=True) if a < c < b] + [(a, t1)]
    return Polygon(bottom + top)


def make_park_lots(rng: np.random.Generator, park: ParkSpec) -> tuple[list[Lot], list[Block]]:
    """Draw the street grid and plots of one park in its generation CRS."""
    cx, cy = Transformer.from_crs(4490, park.gen_epsg, always_xy=True).transform(park.lon, park.lat)

    def axis(lo, hi, half=7000.0):
        spans, x = [], -half
        while x < half:
            x += float(rng.choice([24.0, 30.0, 40.0, 60.0], p=[0.35, 0.35, 0.2, 0.1]))
            w = float(rng.uniform(lo, hi))
            spans.append((x, w))
            x += w
        return spans

    us, vs = axis(300, 680), axis(270, 520)
    cand = []
    for i, (u0, w) in enumerate(us):
        for j, (v0, d) in enumerate(vs):
            uc, vc = u0 + w / 2, v0 + d / 2
            cand.append((math.hypot(uc / park.aspect, vc) + rng.normal(0, 350), i, j, u0, w, v0, d))
    cand.sort()
    lots: list[Lot] = []
    blocks: list[Block] = []
    for _, i, j, u0, w, v0, d in cand:
        if len(lots) >= park.n_parcels:
            break
        delta = float(rng.uniform(-0.8, 0.8))
        shift = (float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3)))
        m = _block_matrix(park, cx, cy, u0, v0, w, d, delta, shift)
        vacant = bool(rng.random() < 0.06)
        blk = Block(park, (u0, v0), (w, d), m, vacant, i, j)
        blocks.append(blk)
        if vacant:
            continue
        if d >= 300 and rng.random() < 0.7:
            mid = d * float(rng.uniform(0.42, 0.58))
            rows = [(0.0, mid), (mid, d)]
        else:
            rows = [(0.0, d)]
        cuts = [_cuts(rng, w, t1 - t0) for t0, t1 in rows]
        row_lots: list[list[Lot]] = []
        for r, (t0, t1) in enumerate(rows):
            below = cuts[r - 1] if r == 1 else []
            above = cuts[1] if (r == 0 and len(rows) == 2) else []
            row_lots.append(
                [
                    Lot(blk, _ring(a, b, t0, t1, below, above), [(a, b, t0, t1)])
                    for a, b in zip(cuts[r][:-1], cuts[r][1:], strict=True)
                ]
            )
        if len(rows) == 2:  # merge a few front/back pairs into L-shaped plots
            used: set[int] = set()
            for front in list(row_lots[0]):
                if rng.random() >= 0.08:
                    continue
                a, b = front.comps[0][:2]
                for k, back in enumerate(row_lots[1]):
                    if back is None:
                        continue
                    a2, b2 = back.comps[0][:2]
                    overlap = min(b, b2) - max(a, a2)
                    if k in used or overlap < 35 or (abs(a - a2) < 1 and abs(b - b2) < 1):
                        continue
                    if (front.local.area + back.local.area) / MU_M2 > 280:
                        continue
                    merged = shapely.union(front.local, back.local)
                    if merged.geom_type != "Polygon":
                        continue
                    front.local = shapely.normalize(merged)
                    front.comps = front.comps + back.comps
                    row_lots[1][k] = None  # type: ignore[call-overload]
                    used.add(k)
                    break
            row_lots[1] = [x for x in row_lots[1] if x is not None]
        for row in row_lots:
            lots.extend(row)
    return lots, blocks


# --------------------------------------------------------------------------- helpers


def geodesic_mu(geoms_4490) -> np.ndarray:
    """Ellipsoidal (GRS80) area in mu of lon/lat polygons — the 三调 convention."""
    # pyproj sums signed ring areas: holes must wind against the shell to be subtracted.
    oriented = shapely.orient_polygons(np.asarray(geoms_4490, dtype=object))
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / MU_M2 for g in oriented])


def pick(rng: np.random.Generator, pool: list, n: int, where=None) -> list:
    """Remove and return ``n`` items of ``pool`` (optionally matching ``where``)."""
    idx = [k for k, x in enumerate(pool) if where is None or where(x)]
    if len(idx) < n:
        raise RuntimeError(f"pool too small: need {n}, have {len(idx)}")
    chosen = sorted(rng.choice(idx, n, replace=False).tolist())
    out = [pool[k] for k in chosen]
    for k in reversed(chosen):
        del pool[k]
    return out


def _normalise_zip(path: Path) -> None:
    """Rewrite an .xlsx with fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    stamp = dt.datetime(*FIXED_STAMP).strftime("%Y-%m-%dT%H:%M:%SZ")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data
                )
            info = zipfile.ZipInfo(name, date_time=FIXED_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_ledger(
    path: Path,
    sheet: str,
    title: str,
    unit_line: str,
    headers: list[str],
    rows: list[list],
    sum_cols: list[str],
    *,
    formula_totals: bool,
    blank_after: int,
    date_formats: dict[str, str] | None = None,
) -> int:
    """Write a bureau-style ledger; return the number of data rows.

    Layout: merged title row, merged 填报单位 row, header row (序号 first), data
    rows with one fully blank row after ``blank_after`` rows, and a 合计 row
    whose sums are formulas without cached values (``formula_totals``) or
    numbers.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ncol = len(headers) + 1
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(2, 1, unit_line)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    for c, h in enumerate(["序号", *headers], start=1):
        ws.cell(3, c, h).font = Font(bold=True)
    r = 4
    for k, row in enumerate(rows):
        if k == blank_after:
            r += 1  # a blank line left in by whoever merged two sheets
        ws.cell(r, 1, k + 1)
        for c, v in enumerate(row, start=2):
            cell = ws.cell(r, c, v)
            if isinstance(v, dt.datetime):
                cell.number_format = (date_formats or {}).get(headers[c - 2], "yyyy-mm-dd")
        r += 1
    last = r - 1
    ws.cell(r, 1, "合计")
    for h in sum_cols:
        c = headers.index(h) + 2
        if formula_totals:
            col = get_column_letter(c)
            ws.cell(r, c, f"=SUM({col}4:{col}{last})")
        else:
            total = 0.0
            for row in rows:
                v = row[c - 2]
                if isinstance(v, int | float):
                    total += v
                elif isinstance(v, str) and v:
                    total += float(v.replace(",", ""))
            ws.cell(r, c, round(total, 2))
    for c in range(1, ncol + 1):
        ws.column_dimensions[get_column_letter(c)].width = 16
    wb.properties.creator = "landclear sample"
    wb.properties.created = dt.datetime(*FIXED_STAMP)
    wb.save(path)
    _normalise_zip(path)
    return len(rows)


# --------------------------------------------------------------------------- the world


def build(out: Path) -> dict:
    """Generate every file under ``out`` and return the planted answers."""
    rng = np.random.default_rng(SEED)
    # GeoPackages stamp the write time in gpkg_contents; pin it for reproducible bytes.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-06-30T00:00:00Z"})

    # ---- geometry -------------------------------------------------------------
    lots: list[Lot] = []
    blocks: list[Block] = []
    for park in PARKS:
        pl, pb = make_park_lots(rng, park)
        lots += pl
        blocks += pb
    n = len(lots)
    park_of = np.array([lot.block.park.key for lot in lots])
    spec_of = {p.key: p for p in PARKS}
    gen_geom = np.empty(n, dtype=object)
    for park in PARKS:
        for blk in (b for b in blocks if b.park is park):
            ids = [k for k, lot in enumerate(lots) if lot.block is blk]
            if ids:
                gen_geom[ids] = apply_matrix(np.array([lots[k].local for k in ids]), blk.matrix)

    # ---- enterprises: consecutive plots of a park belong to one holder -----------
    ent_of = np.full(n, -1)
    ents: list[dict] = []
    names_seen: set[str] = set()
    norm_seen: set[str] = set()
    ind_codes = [c for c, _, _ in INDUSTRIES]
    ind_p = np.array([w for _, _, w in INDUSTRIES], float)
    ind_p /= ind_p.sum()
    codes_seen: set[str] = set()
    for park in PARKS:
        idx = [k for k in range(n) if park_of[k] == park.key]
        k = 0
        while k < len(idx):
            size = int(rng.choice([1, 2, 3, 4, 5], p=[0.68, 0.19, 0.08, 0.035, 0.015]))
            members = idx[k : k + size]
            k += size
            ii = int(rng.choice(len(INDUSTRIES), p=ind_p))
            while True:
                zh = "".join(rng.choice(list(NAME_CHARS), 2))
                suffix = SUFFIXES[int(rng.choice(len(SUFFIXES), p=[s[1] / 100 for s in SUFFIXES]))][
                    0
                ]
                name = str(rng.choice(PREFIX[park.county_code])) + zh + INDUSTRIES[ii][1] + suffix
                norm = (
                    name.replace("（", "(").replace("）", ")").replace("有限责任公司", "有限公司")
                )
                if name not in names_seen and norm not in norm_seen:
                    break
            names_seen.add(name)
            norm_seen.add(norm)
            while (code := make_credit_code(rng, park.county_code)) in codes_seen:
                pass
            codes_seen.add(code)
            e = dict(
                id=len(ents),
                name=name,
                code=code,
                park=park.key,
                county=park.county,
                industry=ind_codes[ii],
                parcels=members,
            )
            ents.append(e)
            ent_of[members] = e["id"]

    # ---- parcel identifiers and certificates ---------------------------------------
    pid = np.empty(n, dtype=object)
    cert = np.empty(n, dtype=object)
    serial: dict[tuple, int] = {}
    cert_serial = {p.key: int(rng.integers(100, 900)) for p in PARKS}
    for k, lot in enumerate(lots):
        p = lot.block.park
        zone = (p.county_code, f"{lot.block.i % 40 + 1:03d}", f"{lot.block.j % 30 + 1:03d}")
        serial[zone] = serial.get(zone, 0) + int(rng.integers(1, 4))
        pid[k] = f"{zone[0]}{zone[1]}{zone[2]}GB{serial[zone]:05d}"
    assert len(set(pid)) == n

    # ---- geodesic truth area ---------------------------------------------------------
    geom_4490 = np.empty(n, dtype=object)
    for park in PARKS:
        sel = park_of == park.key
        geom_4490[sel] = gpd.GeoSeries(gen_geom[sel], crs=park.gen_epsg).to_crs(4490).values
    area_mu = geodesic_mu(geom_4490)

    # ---- clean attributes (vectorised), then planted overrides ------------------------
    def rdates(lo: str, hi: str, size: int) -> list[dt.date]:
        a, b = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
        off = rng.integers(0, (b - a).days + 1, size)
        return [a + dt.timedelta(days=int(o)) for o in off]

    grant = rdates("2008-01-01", "2021-12-31", n)
    gap = rng.integers(90, 366, n)
    agreed: list[dt.date | None] = [
        g + dt.timedelta(days=int(x)) for g, x in zip(grant, gap, strict=True)
    ]
    missing_agreed = rng.random(n) < 0.12
    early = rng.integers(0, 81, n)
    actual: list[dt.date | None] = []
    for k in range(n):
        eff = agreed[k] if not missing_agreed[k] else add_years(grant[k], 1)
        actual.append(max(grant[k] + dt.timedelta(days=30), eff - dt.timedelta(days=int(early[k]))))
        if missing_agreed[k]:
            agreed[k] = None
    grant_l: list[dt.date | None] = list(grant)
    suspended: list[dt.date | None] = [None] * n
    cert_noise = np.where(rng.random(n) < 0.1, rng.uniform(-0.03, 0.03, n), 0.0)
    certified = np.round(area_mu * (1 + cert_noise), 2)
    developed = np.round(certified * rng.uniform(0.6, 1.0, n), 2)
    land_price = np.round(certified * rng.uniform(4, 12, n), 2)
    planned = np.round(certified * rng.uniform(120, 320, n), 2)
    invested = np.round(planned * rng.uniform(0.55, 1.25, n), 2)
    coverage = rng.uniform(0.36, 0.62, n)  # target building coverage
    land_use = np.where(rng.random(n) < 0.15, "061", "0601").astype(object)
    delay = np.array([""] * n, dtype=object)
    status = np.array(["clean"] * n, dtype=object)  # parcel role, for the raster
    for k in range(n):
        y = grant[k].year
        cert_serial[park_of[k]] += int(rng.integers(1, 30))
        place = "平罗县" if park_of[k] == "pingluo" else "石嘴山市"
        cert[k] = f"宁({y}){place}不动产权第{cert_serial[park_of[k]]:07d}号"

    single = [e["id"] for e in ents if len(e["parcels"]) == 1]
    multi = [e["id"] for e in ents if len(e["parcels"]) >= 2]
    single = [single[k] for k in rng.permutation(len(single))]
    multi = [multi[k] for k in rng.permutation(len(multi))]

    # -- idle and near-miss specifications (DOMAIN §5.1, shared semantics) --
    specs: list[dict] = []
    for _ in range(11):
        specs.append(dict(kind="A", agreed=rand_date(rng, "2014-01-01", "2022-05-31")))
    specs.append(dict(kind="A", agreed=dt.date(2022, 6, 30), note="exactly 2 y → recoverable"))
    specs.append(dict(kind="A", agreed=dt.date(2022, 7, 1), note="1 y → fee, not recoverable"))
    for _ in range(5):
        specs.append(dict(kind="A", agreed=rand_date(rng, "2022-07-02", "2023-06-29")))
    specs.append(dict(kind="A", agreed=dt.date(2023, 6, 30), note="exactly 1 y → idle"))
    specs.append(dict(kind="A", agreed=None, grant=dt.date(2020, 2, 29), note="Feb 29 grant"))
    for _ in range(3):
        specs.append(dict(kind="A", agreed=None, grant=rand_date(rng, "2014-01-01", "2021-06-30")))
    specs.append(
        dict(kind="A", agreed=None, grant=dt.date(2022, 6, 30), note="grant+1 y = 2023-06-30")
    )
    for g, lo, hi in (
        (0, "2016-01-01", "2019-12-31"),
        (1, "2018-01-01", "2021-12-31"),
        (2, "2019-01-01", "2022-06-30"),
        (3, "2022-08-01", "2023-05-31"),
    ):
        specs.append(dict(kind="A", agreed=rand_date(rng, lo, hi), cause=GOV_CAUSES[g]))
    b_cases = ["dev"] * 4 + ["inv"] * 3 + ["both"] * 2
    for case in b_cases:
        specs.append(
            dict(
                kind="B",
                agreed=rand_date(rng, "2012-01-01", "2020-12-31"),
                low=case,
                suspended=rand_date(rng, "2019-01-01", "2023-06-29"),
            )
        )
    specs.append(
        dict(
            kind="B",
            agreed=rand_date(rng, "2014-01-01", "2020-12-31"),
            low="dev",
            suspended=dt.date(2023, 6, 30),
            note="suspended exactly 1 y → idle",
        )
    )
    specs.append(
        dict(
            kind="B",
            agreed=rand_date(rng, "2014-01-01", "2020-12-31"),
            low="dev",
            suspended=rand_date(rng, "2020-01-01", "2022-12-31"),
            cause=GOV_CAUSES[4],
        )
    )
    near = [
        dict(
            kind="A",
            agreed=dt.date(2023, 7, 1),
            not_idle="约定开工2023-07-01,未满1年 / agreed start + 1 y is after as_of",
            boundary=True,
        ),
        dict(
            kind="A",
            agreed=None,
            grant=dt.date(2022, 7, 1),
            not_idle="供地2022-07-01+1年=2023-07-01,未满1年 / grant + 1 y + 1 y is after as_of",
            boundary=True,
        ),
        dict(
            kind="B",
            agreed=rand_date(rng, "2016-01-01", "2020-12-31"),
            low="dev",
            suspended=dt.date(2023, 7, 30),
            not_idle="停工仅11个月 / suspended 11 months",
        ),
        dict(
            kind="B",
            agreed=rand_date(rng, "2016-01-01", "2020-12-31"),
            low="inv",
            suspended=dt.date(2023, 7, 1),
            not_idle="停工差1天满1年 / suspended one day short of 1 y",
            boundary=True,
        ),
        dict(
            kind="B",
            agreed=rand_date(rng, "2014-01-01", "2019-12-31"),
            low="none",
            suspended=dt.date(2021, 6, 30),
            not_idle="开发≥1/3且投资≥25%,停工3年 / developed ≥ 1/3 and invested ≥ 25 %",
        ),
    ]
    specs += near
    specs.append(dict(kind="none", agreed=None, grant=None, not_evaluable=True))

    idle: dict[str, dict] = {}
    not_idle: dict[str, str] = {}
    not_idle_boundary: list[str] = []
    not_evaluable: list[str] = []
    idle_parcels: list[int] = []
    construction_parcels: list[int] = []  # parcels with no operating plant
    for s_i, sp in enumerate(specs):
        # two idle plots belong to enterprises that produce on other plots
        if s_i in (3, 20):
            e = ents[multi.pop()]
            k = e["parcels"][0]
        else:
            e = ents[single.pop()]
            k = e["parcels"][0]
        construction_parcels.append(k)
        ag = sp["agreed"]
        gr = sp.get("grant", "auto")
        if gr == "auto":
            gr = ag - dt.timedelta(days=int(rng.integers(90, 366)))
        agreed[k], grant_l[k] = ag, gr
        eff = ag if ag is not None else (add_years(gr, 1) if gr is not None else None)
        cause_text = sp.get("cause", str(rng.choice(ENT_CAUSES)))
        if sp["kind"] == "A" or sp["kind"] == "none":
            actual[k], suspended[k] = None, None
            developed[k] = 0.0
            invested[k] = round(float(planned[k] * rng.uniform(0.0, 0.08)), 2)
            coverage[k] = 0.0
            status[k] = "unbuilt"
        else:
            actual[k] = eff + dt.timedelta(days=int(rng.integers(-60, 120)))
            # construction stops at least half a year after it started
            sp["suspended"] = max(sp["suspended"], actual[k] + dt.timedelta(days=180))
            suspended[k] = sp["suspended"]
            low = sp["low"]
            dev_f = rng.uniform(0.05, 0.28) if low in ("dev", "both") else rng.uniform(0.40, 0.70)
            inv_f = rng.uniform(0.05, 0.20) if low in ("inv", "both") else rng.uniform(0.35, 0.70)
            developed[k] = round(float(certified[k] * dev_f), 2)
            invested[k] = round(float(planned[k] * inv_f), 2)
            coverage[k] = rng.uniform(0.04, 0.12) if low != "none" else rng.uniform(0.16, 0.24)
            status[k] = "partial"
        delay[k] = cause_text if (sp["kind"] != "none" and "not_idle" not in sp) else ""
        p_id = pid[k]
        if sp.get("not_evaluable"):
            not_evaluable.append(p_id)
            land_use[k] = "0601"
            continue
        if "not_idle" in sp:
            not_idle[p_id] = sp["not_idle"]
            if sp.get("boundary"):
                not_idle_boundary.append(p_id)
            continue
        gov = any(w in cause_text for w in GOV_KEYWORDS)
        years = full_years(eff, AS_OF)
        if sp["kind"] == "A":
            assert add_years(eff, 1) <= AS_OF
        else:
            assert add_years(sp["suspended"], 1) <= AS_OF
        fee = round(0.20 * float(land_price[k]), 4) if (years >= 1 and not gov) else 0.0
        idle[p_id] = dict(
            type=sp["kind"],
            cause="government" if gov else "enterprise",
            agreed_start=eff.isoformat(),
            agreed_start_from_grant=ag is None,
            idle_years=years,
            idle_fee=fee,
            recoverable=bool(years >= 2 and not gov),
            land_price=float(land_price[k]),
            delay_cause=cause_text,
        )
        if "note" in sp:
            idle[p_id]["note"] = sp["note"]
        idle_parcels.append(k)
    for t in ENT_CAUSES:
        assert not any(w in t for w in GOV_KEYWORDS)

    # Enterprises whose every plot is unbuilt or under (suspended) construction
    # have never produced: they are absent from the enterprise ledger.
    constr = set(construction_parcels)
    for e in ents:
        e["in_ledger"] = any(p not in constr for p in e["parcels"])
    ledger_pool = [e["id"] for e in ents if e["in_ledger"] and not (set(e["parcels"]) & constr)]
    ledger_pool = [ledger_pool[k] for k in rng.permutation(len(ledger_pool))]

    # ---- enterprise roles ----------------------------------------------------------
    n_parc = {e["id"]: len(e["parcels"]) for e in ents}
    stopped2 = pick(rng, ledger_pool, 4, lambda x: n_parc[x] >= 2)
    stopped2 += pick(rng, ledger_pool, 11, lambda x: n_parc[x] <= 3)
    stopped_recent = pick(rng, ledger_pool, 5)
    half = pick(rng, ledger_pool, 5)
    ext_high = pick(rng, ledger_pool, 3, lambda x: n_parc[x] >= 3)
    ext_low = pick(rng, ledger_pool, 3, lambda x: n_parc[x] >= 3)
    utilities = [
        e["id"] for e in ents if e["in_ledger"] and e["industry"][:2] in ("44", "45", "46")
    ]
    tax_recent = pick(rng, ledger_pool, 5)
    tax_other = pick(rng, ledger_pool, 5)
    tax_normal = pick(rng, ledger_pool, 5)
    dup_pair = pick(rng, ledger_pool, 1, lambda x: n_parc[x] == 1)
    dup_park = ents[dup_pair[0]]["park"]
    dup_pair += pick(rng, ledger_pool, 1, lambda x: n_parc[x] == 1 and ents[x]["park"] == dup_park)
    bowtie_ent = pick(rng, ledger_pool, 1, lambda x: n_parc[x] == 1)[0]
    low_int_ents = pick(rng, ledger_pool, 8)
    variant_ents = pick(rng, ledger_pool, 1)  # tax-ledger name variant (tax ≥ 2 y)
    normal_mort = pick(rng, ledger_pool, 45)
    holes_ents = pick(
        rng,
        ledger_pool,
        3,
        lambda x: (
            n_parc[x] == 1
            and len(lots[ents[x]["parcels"][0]].comps) == 1
            and area_mu[ents[x]["parcels"][0]] > 60
        ),
    )
    # name variants: these two are spelt with （集团） and 有限责任公司 in the master data
    for eid in (variant_ents[0], stopped2[6]):
        base = re.sub(r"(（集团）)?(股份|有限责任|有限)+公司$", "", ents[eid]["name"])
        ents[eid]["name"] = base + "（集团）有限责任公司"
        assert _variant(ents[eid]["name"]) not in names_seen
    idle_only_ents = sorted(
        {int(ent_of[k]) for k in idle_parcels if not ents[int(ent_of[k])]["in_ledger"]}
    )

    stop_since: dict[int, dt.date] = {}
    stop_style: dict[int, str] = {}
    for q, eid in enumerate(stopped2):
        if q == 0:
            stop_since[eid], stop_style[eid] = dt.date(2022, 6, 30), "iso"
        elif q in (1, 2):  # month-only ledger value: any day of that month gives the same answer
            d = rand_date(rng, "2018-01-01", "2022-03-31").replace(day=1)
            stop_since[eid], stop_style[eid] = d, "month"
        else:
            stop_since[eid] = rand_date(rng, "2017-01-01", "2022-06-29")
            stop_style[eid] = EXCEL_STYLES[q % len(EXCEL_STYLES)]
    for q, eid in enumerate(stopped_recent):
        stop_since[eid] = (
            dt.date(2022, 7, 1) if q == 0 else rand_date(rng, "2022-09-01", "2023-12-31")
        )
        stop_style[eid] = EXCEL_STYLES[(q + 2) % len(EXCEL_STYLES)]
    half_since = {}
    for q, eid in enumerate(half):
        half_since[eid] = (
            rand_date(rng, "2019-01-01", "2022-03-31")
            if q < 3
            else rand_date(rng, "2022-09-01", "2023-10-31")
        )
        stop_style[eid] = EXCEL_STYLES[(q + 4) % len(EXCEL_STYLES)]

    # invalid ring, duplicated id, holes, low intensity
    k_bow = ents[bowtie_ent]["parcels"][0]
    if len(lots[k_bow].comps) != 1:
        raise RuntimeError("bow-tie parcel must be a plain rectangle")
    a, b, t0, t1 = lots[k_bow].comps[0]
    lots[k_bow].local = Polygon([(a, t0), (b, t0), (a, t1), (b, t1)])  # self-intersecting
    gen_geom[k_bow] = apply_matrix(np.array([lots[k_bow].local]), lots[k_bow].block.matrix)[0]
    coverage[k_bow] = 0.0
    k_dup_a, k_dup_b = (ents[x]["parcels"][0] for x in dup_pair)
    pid[k_dup_b] = pid[k_dup_a]
    for eid in holes_ents:
        lot = lots[ents[eid]["parcels"][0]]
        a, b, t0, t1 = lot.comps[0]
        sc, tc = (a + b) / 2, (t0 + t1) / 2
        lot.hole = (sc - 12, sc + 12, tc - 12, tc + 12)
        ring = lot.local.exterior.coords
        hole = box(sc - 12, tc - 12, sc + 12, tc + 12).exterior.coords
        lot.local = Polygon(ring, [hole])
        k = ents[eid]["parcels"][0]
        gen_geom[k] = apply_matrix(np.array([lot.local]), lot.block.matrix)[0]
        geom_4490[k] = (
            gpd.GeoSeries([gen_geom[k]], crs=spec_of[park_of[k]].gen_epsg).to_crs(4490).values[0]
        )
        area_mu[k] = geodesic_mu([geom_4490[k]])[0]
    k_bow_4490 = (
        gpd.GeoSeries([gen_geom[k_bow]], crs=spec_of[park_of[k_bow]].gen_epsg)
        .to_crs(4490)
        .values[0]
    )
    geom_4490[k_bow] = k_bow_4490
    area_mu[k_bow] = geodesic_mu([shapely.make_valid(k_bow_4490)])[0]
    low_int_parcels = [ents[e]["parcels"][0] for e in low_int_ents]
    coverage[low_int_parcels] = rng.uniform(0.10, 0.25, len(low_int_parcels))

    # parcels without the park attribute (~3 %), some of them planted cases
    eligible = [k for k in range(n) if k not in (k_bow, k_dup_a, k_dup_b)]
    no_park = sorted(
        set(rng.choice(eligible, int(0.03 * n), replace=False).tolist()) | set(idle_parcels[::12])
    )

    # credit code and owner on the parcel record: a few codes missing (name only)
    parcel_code = np.array([ents[int(e)]["code"] for e in ent_of], dtype=object)
    parcel_name = np.array([ents[int(e)]["name"] for e in ent_of], dtype=object)
    no_code = rng.random(n) < 0.01
    parcel_code[no_code] = ""

    # ---- buildings -------------------------------------------------------------------
    b_geoms, b_floors, b_use, b_parcel = [], [], [], []
    foot = np.zeros(n)
    floor_area = np.zeros(n)
    for k, lot in enumerate(lots):
        c = float(coverage[k])
        if c <= 0:
            continue
        comp_area = [(s1 - s0) * (u1 - u0) for s0, s1, u0, u1 in lot.comps]
        target = c * lot.local.area
        locals_: list[Polygon] = []
        for (s0, s1, u0, u1), ca in zip(lot.comps, comp_area, strict=True):
            f_c = target * ca / sum(comp_area)
            wc, dc = (s1 - s0) - 16, (u1 - u0) - 16
            nb = int(np.clip(1 + wc // 110, 1, 4))
            avail = wc - (nb - 1) * 10
            need = f_c / (avail * dc)
            f_d = min(0.95, max(need, min(0.95, need * rng.uniform(1.05, 1.5))))
            bw = f_c / (f_d * dc) / nb
            off = rng.uniform(0, max(dc * (1 - f_d), 0))
            x = s0 + 8
            for _ in range(nb):
                locals_.append(box(x, u0 + 8 + off, x + bw, u0 + 8 + off + f_d * dc))
                x += bw + 10
        if lot.hole is not None:
            hb = box(lot.hole[0], lot.hole[2], lot.hole[1], lot.hole[3]).buffer(
                2, join_style="mitre"
            )
            locals_ = [g.difference(hb) for g in locals_]
            locals_ = [
                g if g.geom_type == "Polygon" else max(g.geoms, key=lambda p: p.area)
                for g in locals_
            ]
        glist = apply_matrix(np.array(locals_), lot.block.matrix)
        for g in glist:
            fl = int(rng.choice([1, 1, 1, 2, 2, 3, 4, 5]))
            b_geoms.append(g)
            b_floors.append(fl)
            b_use.append("办公楼" if fl >= 3 else str(rng.choice(["厂房", "厂房", "仓库", "车间"])))
            b_parcel.append(k)
            foot[k] += g.area
            floor_area[k] += g.area * fl
    b_parcel_arr = np.array(b_parcel)
    b_4490 = np.empty(len(b_geoms), dtype=object)
    b_gen = np.array(b_geoms, dtype=object)
    for park in PARKS:
        sel = park_of[b_parcel_arr] == park.key
        b_4490[sel] = gpd.GeoSeries(b_gen[sel], crs=park.gen_epsg).to_crs(4490).values
    b_area = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in b_4490])
    foot_geod = np.bincount(b_parcel_arr, weights=b_area, minlength=n)
    cov_geod = foot_geod / (area_mu * MU_M2)

    # ---- ledgers: enterprises ----------------------------------------------------------
    out.mkdir(parents=True, exist_ok=True)
    (out / "parcels").mkdir(exist_ok=True)
    (out / "ledgers").mkdir(exist_ok=True)
    ent_area = {e["id"]: float(area_mu[e["parcels"]].sum()) for e in ents}
    ext_tax_mu: dict[str, float] = {}
    ent_rows_by_year: dict[int, list[list]] = {2022: [], 2023: []}
    dirty_codes: list[dict] = []
    dirty_targets = set(pick(rng, ledger_pool, 8))
    ledger_ents = [e for e in ents if e["in_ledger"]]
    for e in ledger_ents:
        eid, area = e["id"], ent_area[e["id"]]
        tax_mu = float(rng.lognormal(math.log(6.0), 0.55))
        if eid in ext_high:
            tax_mu = float(rng.uniform(60, 120))
        if eid in ext_low:
            tax_mu = float(rng.uniform(0.005, 0.02))
        out_mu = float(rng.lognormal(math.log(150), 0.5))
        va_share = float(rng.uniform(0.2, 0.35))
        tce_eff = float(rng.lognormal(math.log(0.8), 0.7))  # 万元 value added per tce
        emp_mu = float(rng.lognormal(math.log(1.2), 0.5))
        inv_mu = float(rng.lognormal(math.log(180), 0.4))
        rd_share = float(rng.uniform(0.0, 0.04))
        no_emission = rng.random() < 0.05
        for year in (2022, 2023):
            f = 1.0 if year == 2023 else float(rng.uniform(0.85, 1.1))
            act = 1.0
            st, since, style = "正常生产", None, None
            since_d = stop_since.get(eid)
            if since_d is not None and since_d <= dt.date(year, 12, 31):
                st, since, style = "停产", since_d, stop_style[eid]
                year_start = dt.date(year, 1, 1)
                act = 0.0 if since_d <= year_start else (since_d - year_start).days / 365
            if eid in half_since and half_since[eid] <= dt.date(year, 12, 31):
                st, since, style = "半停产", half_since[eid], stop_style[eid]
                act = 0.35
            output = round(area * out_mu * f * act, 2)
            revenue = round(output * float(rng.uniform(0.9, 1.1)), 2)
            tax_wan = area * tax_mu * f * (act if act > 0 else 0.01)
            if year == 2023 and eid in ext_high + ext_low:
                ext_tax_mu[e["code"]] = round(tax_wan * 10000) / 10000 / area
            va = round(output * va_share, 2)
            tce = round(va / tce_eff, 2) if va > 0 else 0.0
            row = [
                year,
                e["name"],
                e["code"],
                e["county"],
                e["industry"] if rng.random() < 0.85 else e["industry"][:2],
                "是" if revenue >= 2000 else "否",
                st,
                fmt_date(since, style) if since else None,
                output,
                revenue,
                int(round(tax_wan * 10000)),
                va,
                tce,
                round(output * float(rng.uniform(300, 900)), 0),
                None if no_emission else round(tce * float(rng.uniform(0.005, 0.02)), 3),
                max(int(round(area * emp_mu * (act if act > 0 else 0.1))), 2),
                round(revenue * rd_share, 2),
                round(area * inv_mu * f, 2),
                "",
            ]
            if eid in dirty_targets and year == 2023:
                kind = ["lower", "space", "full"][len(dirty_codes) % 3]
                raw = (
                    e["code"].lower()
                    if kind == "lower"
                    else " ".join([e["code"][:8], e["code"][8:]])
                    if kind == "space"
                    else to_fullwidth(e["code"])
                )
                row[2] = raw
                dirty_codes.append(dict(raw=raw, code=e["code"], ledger="enterprises"))
            ent_rows_by_year[year].append(row)
    ent_headers = [
        "年度",
        "企业名称",
        "统一社会信用代码",
        "县区",
        "行业代码",
        "是否规上",
        "生产状态",
        "停产时间",
        "工业总产值(万元)",
        "营业收入(万元)",
        "实缴税金(元)",
        "工业增加值(万元)",
        "综合能耗(吨标准煤)",
        "用电量(千瓦时)",
        "排放量(吨)",
        "从业人员(人)",
        "研发经费(万元)",
        "固定资产投资(万元)",
        "备注",
    ]
    ent_rows = ent_rows_by_year[2022] + ent_rows_by_year[2023]
    n_ent_rows = write_ledger(
        out / "ledgers" / "enterprises.xlsx",
        "企业数据",
        "石嘴山市规模以上及重点工业企业亩均效益评价基础数据台账（2022—2023年度）",
        "填报单位：石嘴山市工业和信息化局      填报日期：2024年7月5日",
        ent_headers,
        ent_rows,
        ["工业总产值(万元)", "营业收入(万元)", "实缴税金(元)", "工业增加值(万元)", "从业人员(人)"],
        formula_totals=True,
        blank_after=len(ent_rows) // 2 + 7,
        date_formats={"停产时间": "yyyy/m/d"},
    )

    # ---- ledgers: tax arrears ---------------------------------------------------------------
    tax_2y_ents = stopped2[:4] + idle_only_ents[:3] + tax_normal + variant_ents
    tax_rows: list[list] = []
    bad_codes: list[dict] = []
    name_variants: list[dict] = []

    def land_rows(e: dict, first: dt.date, last: dt.date) -> list[tuple]:
        rate = float(rng.uniform(3, 9))  # 元/m²/年
        m2 = ent_area[e["id"]] * MU_M2
        rows, d = [], first
        while d <= last:
            end = dt.date(d.year, 6, 30) if d.month <= 6 else dt.date(d.year, 12, 31)
            rows.append(
                (
                    "城镇土地使用税" if rng.random() < 0.85 else "土地使用税",
                    d,
                    end,
                    round(m2 * rate / 2, 2),
                )
            )
            d = end + dt.timedelta(days=1)
        return rows

    arrears: dict[int, list[tuple]] = {}
    firsts_2y = [
        dt.date(2019, 1, 1),
        dt.date(2020, 7, 1),
        dt.date(2021, 1, 1),
        dt.date(2021, 7, 1),
        dt.date(2022, 1, 1),
    ]
    for q, eid in enumerate(tax_2y_ents):
        first = firsts_2y[q % len(firsts_2y)]
        last = rand_date(rng, "2022-07-01", "2024-01-01")
        arrears[eid] = land_rows(ents[eid], first, max(first, last))
        if q % 3 == 0:
            arrears[eid].append(
                (
                    "增值税",
                    dt.date(2023, 10, 1),
                    dt.date(2023, 12, 31),
                    round(float(rng.uniform(2e4, 5e5)), 2),
                )
            )
    for q, eid in enumerate(tax_recent):
        first = [
            dt.date(2022, 7, 1),
            dt.date(2023, 1, 1),
            dt.date(2023, 7, 1),
            dt.date(2024, 1, 1),
            dt.date(2023, 1, 1),
        ][q]
        arrears[eid] = land_rows(ents[eid], first, dt.date(2024, 1, 1))
    for eid in tax_other:
        arrears[eid] = []
        for _ in range(int(rng.integers(1, 4))):
            tt = str(rng.choice(["增值税", "企业所得税", "房产税"]))
            d = rand_date(rng, "2018-01-01", "2021-12-31")
            arrears[eid].append(
                (tt, d, d + dt.timedelta(days=89), round(float(rng.uniform(1e4, 8e5)), 2))
            )
    bad_target = tax_normal[0]
    variant_target = variant_ents[0]
    ents[variant_target]["name_variant"] = True
    for eid in sorted(arrears):
        e = ents[eid]
        for r_i, (tt, p0, p1, amt) in enumerate(sorted(arrears[eid], key=lambda r: r[1])):
            name, code = e["name"], e["code"]
            if eid == bad_target:  # every row: only the name can identify this one
                wrong = next(c for c in USCC_ALPHABET if c != code[-1])
                code = code[:-1] + wrong
                if r_i == 0:
                    bad_codes.append(
                        dict(code=code, valid_code=e["code"], name=name, ledger="tax_arrears")
                    )
            if eid == variant_target:
                variant = _variant(name)
                name, code = variant, ""
                if r_i == 0:
                    name_variants.append(
                        dict(
                            name=e["name"],
                            variant=variant,
                            credit_code=e["code"],
                            ledger="tax_arrears",
                        )
                    )
            style = TEXT_STYLES[(eid + r_i) % 4] if rng.random() < 0.8 else "datetime"
            amount: object = amt
            if rng.random() < 0.3:
                amount = f"{amt:,.2f}"
            tax_rows.append(
                [
                    name,
                    code,
                    tt,
                    fmt_date(p0, style),
                    fmt_date(p1, style),
                    amount,
                    "国家税务总局" + e["county"] + "税务局",
                ]
            )
    order = rng.permutation(len(tax_rows))
    tax_rows = [tax_rows[k] for k in order]
    n_tax_rows = write_ledger(
        out / "ledgers" / "tax.xlsx",
        "欠税清单",
        "石嘴山市欠缴税款企业台账（截至2024年6月30日）",
        "填报单位：国家税务总局石嘴山市税务局      填报日期：2024年7月3日",
        [
            "纳税人名称",
            "统一社会信用代码",
            "税种",
            "所属期起",
            "所属期止",
            "欠税金额(元)",
            "主管税务机关",
        ],
        tax_rows,
        ["欠税金额(元)"],
        formula_totals=False,
        blank_after=len(tax_rows) - 4,
    )

    # ---- ledgers: mortgages ----------------------------------------------------------------
    by_kind = {pid[k]: idle[pid[k]] for k in idle_parcels}
    idle_a_ent = [
        k
        for k in idle_parcels
        if by_kind[pid[k]]["type"] == "A" and by_kind[pid[k]]["cause"] == "enterprise"
    ]
    idle_a_gov = [
        k
        for k in idle_parcels
        if by_kind[pid[k]]["type"] == "A" and by_kind[pid[k]]["cause"] == "government"
    ]
    idle_b = [k for k in idle_parcels if by_kind[pid[k]]["type"] == "B"]
    idle_taxed = [k for k in idle_parcels if int(ent_of[k]) in tax_2y_ents]
    mort: list[dict] = []  # truth rows

    def m_row(
        k: int, lender: str, start: dt.date, end: dt.date | None, flag: str, counted: bool, why: str
    ):
        mort.append(
            dict(k=k, lender=lender, start=start, end=end, flag=flag, counted=counted, why=why)
        )

    avail_a = [k for k in idle_a_ent if k not in idle_taxed]
    idle_a_gov = [k for k in idle_a_gov if k not in idle_taxed]
    idle_b = [k for k in idle_b if k not in idle_taxed]

    def take(lst: list) -> int:
        return lst.pop(0)

    def rs() -> dt.date:
        return rand_date(rng, "2018-01-01", "2023-12-31")

    def re_() -> dt.date:
        return rand_date(rng, "2024-09-01", "2027-12-31")

    m_row(take(avail_a), BANKS[0], rs(), re_(), "是", True, "idle")
    m_row(take(avail_a), BANKS[4], rs(), re_(), "否", True, "idle (bank flag 否)")
    m_row(idle_a_gov[0], BANKS[6], rs(), re_(), "", True, "idle, government-caused")
    m_row(idle_b[0], BANKS[1], rs(), re_(), "是", True, "idle type B")
    m_row(idle_taxed[0], BANKS[5], rs(), re_(), "是", True, "idle + tax arrears")
    m_row(
        take(avail_a),
        BANKS[2],
        rand_date(rng, "2021-01-01", "2022-06-30"),
        AS_OF,
        "",
        True,
        "ends on as_of",
    )
    m_row(take(avail_a), BANKS[7], rs(), None, "是", True, "no end date")
    three_list = stopped2[0]  # stopped ≥ 2 y + tax ≥ 2 y + mortgaged
    m_row(
        ents[three_list]["parcels"][0], BANKS[3], rs(), re_(), "否", True, "long-stopped enterprise"
    )
    m_row(
        ents[stopped2[6]]["parcels"][0], BANKS[0], rs(), re_(), "", True, "long-stopped enterprise"
    )
    m_row(
        ents[stopped2[7]]["parcels"][0],
        NON_BANK_FINANCIAL,
        rs(),
        re_(),
        "否",
        True,
        "long-stopped, asset-management company",
    )
    flag_only = ents[normal_mort.pop()]["parcels"][0]
    m_row(flag_only, BANKS[4], rs(), re_(), "是", True, "bank ledger marks idle")
    not_counted = [
        (
            take(avail_a),
            BANKS[1],
            rand_date(rng, "2016-01-01", "2019-12-31"),
            dt.date(2024, 6, 29),
            "是",
            "抵押已于2024-06-29到期 / expired the day before as_of",
        ),
        (
            take(avail_a),
            NON_FINANCIAL,
            rs(),
            re_(),
            "是",
            "抵押权人非金融机构 / mortgagee not a financial institution",
        ),
        (
            take(avail_a),
            BANKS[2],
            dt.date(2024, 7, 10),
            dt.date(2027, 7, 9),
            "是",
            "抵押起始晚于基准日 / starts after as_of",
        ),
        (
            ents[stopped_recent[0]]["parcels"][0],
            BANKS[0],
            rs(),
            re_(),
            "否",
            "企业停产不足2年 / enterprise stopped < 2 y",
        ),
    ]
    near_11m = next(k for k in construction_parcels if "11个月" in not_idle.get(pid[k], ""))
    not_counted.append(
        (near_11m, BANKS[5], rs(), re_(), "否", "停工不满1年,非闲置 / suspended < 1 y, not idle")
    )
    for k, lender, s, e_, flag, why in not_counted:
        m_row(k, lender, s, e_, flag, False, why)
    for eid in normal_mort:
        k = ents[eid]["parcels"][0]
        if rng.random() < 0.85:
            m_row(
                k,
                BANKS[int(rng.integers(0, len(BANKS)))],
                rs(),
                re_(),
                str(rng.choice(["否", ""])),
                False,
                "正常宗地 / normal parcel",
            )
        else:
            m_row(
                k,
                BANKS[int(rng.integers(0, len(BANKS)))],
                rand_date(rng, "2014-01-01", "2018-12-31"),
                rand_date(rng, "2019-01-01", "2024-05-31"),
                "否",
                False,
                "已到期 / expired, normal parcel",
            )
    mort_rows = []
    variant_mort_ent = stopped2[6]
    for q, m in enumerate(mort):
        k = m["k"]
        e = ents[int(ent_of[k])]
        mode = q % 5  # 0,1,2: parcel id; 3: certificate only; 4: both
        name = e["name"]
        if e["id"] == variant_mort_ent:
            name = _variant(name)
            name_variants.append(
                dict(name=e["name"], variant=name, credit_code=e["code"], ledger="mortgages")
            )
        style = EXCEL_STYLES[q % len(EXCEL_STYLES)]
        mort_rows.append(
            [
                cert[k] if mode in (3, 4) else None,
                pid[k] if mode != 3 else None,
                name,
                m["lender"],
                round(float(area_mu[k] * rng.uniform(20, 80)), 2),
                fmt_date(m["start"], style),
                fmt_date(m["end"], style) if m["end"] else None,
                m["flag"] or None,
            ]
        )
    order = rng.permutation(len(mort_rows))
    mort_rows = [mort_rows[k] for k in order]
    n_mort_rows = write_ledger(
        out / "ledgers" / "mortgages.xlsx",
        "抵押登记",
        "石嘴山市工业用地抵押情况台账",
        "填报单位：石嘴山市自然资源局、人民银行石嘴山市分行      填报日期：2024年7月2日",
        [
            "不动产权证号",
            "宗地代码",
            "抵押人",
            "抵押权人",
            "抵押金额(万元)",
            "抵押起始",
            "抵押终止",
            "是否闲置",
        ],
        mort_rows,
        ["抵押金额(万元)"],
        formula_totals=False,
        blank_after=11,
    )

    # ---- ledgers: disposals ------------------------------------------------------------------
    stopped_parcels = [k for eid in stopped2 for k in ents[eid]["parcels"]]
    two_disp_ent = next(eid for eid in stopped2[1:4] if n_parc[eid] >= 2)
    pool_idle = [k for k in idle_parcels if k not in {m["k"] for m in mort}]
    pool_stop = [
        k
        for k in stopped_parcels
        if int(ent_of[k]) != two_disp_ent and k not in {m["k"] for m in mort}
    ]
    months = pd.period_range("2022-04", "2024-06", freq="M")
    done_months = sorted(rng.choice(len(months), 18, replace=False).tolist())
    disp: list[dict] = []
    completed_targets = (pool_idle[:10] + ents[two_disp_ent]["parcels"][:2] + pool_stop[:7])[:19]
    rest_idle, rest_stop = pool_idle[10:], pool_stop[7:]
    for q, k in enumerate(completed_targets):
        if q < len(done_months):
            mth = months[done_months[q]]
            d = rand_date(rng, str(mth.start_time.date()), str(mth.end_time.date()))
        else:
            d = AS_OF  # completed on the reference date: counts
        disp.append(dict(k=k, status="已完成", date=d))
    disp[3]["status"], disp[8]["status"] = "完成", "办结"
    disp.append(
        dict(
            k=near_11m,
            status="已完成",
            date=rand_date(rng, "2023-09-01", "2024-03-31"),
            not_counted_mu=True,
        )
    )
    for k, d in zip(
        rest_idle[:2] + rest_stop[:1], ("2024-07-15", "2024-08-20", "2024-09-30"), strict=True
    ):
        disp.append(dict(k=k, status="已完成", date=dt.date.fromisoformat(d), after=True))
    for k in rest_idle[2:5] + rest_stop[1:4]:
        disp.append(dict(k=k, status="推进中", date=None))
    for k in rest_idle[5:7] + rest_stop[4:6]:
        disp.append(dict(k=k, status="计划", date=None))
    methods_idle = ("依法处置闲置土地", "政府收储", "协议收回")
    methods_stop = ("兼并重组", "整体腾退", "搬迁入园", "改造提升", "债转股", "依法处置")
    disp_rows = []
    for q, dsp in enumerate(disp):
        k = dsp["k"]
        e = ents[int(ent_of[k])]
        is_idle = pid[k] in idle
        method = str(rng.choice(methods_idle if is_idle else methods_stop))
        area_val: float | None = round(float(area_mu[k]), 2)
        if q == 5:
            area_val = None  # blank: the parcel's own area counts
        elif q == 9:
            area_val = round(float(area_mu[k]) * 0.6, 2)  # part of the parcel
        dsp["area"] = area_val
        dsp["ent"] = e["id"]
        code = e["code"]
        if q == 12:
            code = code[:-1] + next(c for c in USCC_ALPHABET if c != code[-1])
            bad_codes.append(
                dict(code=code, valid_code=e["code"], name=e["name"], ledger="disposals")
            )
        style = "month" if q == 2 else EXCEL_STYLES[q % len(EXCEL_STYLES)]
        d = dsp["date"]
        if style == "month" and d is not None:
            dsp["date"] = d = d.replace(day=1)
        disp_rows.append(
            [
                e["county"],
                spec_of[park_of[k]].name,
                pid[k],
                e["name"],
                code,
                method,
                dsp["status"],
                fmt_date(d, style) if d else None,
                area_val,
                "" if dsp["status"] != "计划" else "计划2024年底前完成",
            ]
        )
    order = rng.permutation(len(disp_rows))
    disp_rows = [disp_rows[k] for k in order]
    n_disp_rows = write_ledger(
        out / "ledgers" / "disposals.xlsx",
        "处置台账",
        "石嘴山市闲置低效工业用地及长期停产企业处置进展台账",
        "填报单位：石嘴山市清理闲置低效工业用地工作专班      填报日期：2024年10月8日",
        [
            "县区",
            "园区",
            "宗地代码",
            "企业名称",
            "统一社会信用代码",
            "处置方式",
            "处置状态",
            "完成时间",
            "处置面积(亩)",
            "备注",
        ],
        disp_rows,
        ["处置面积(亩)"],
        formula_totals=False,
        blank_after=len(disp_rows) // 3,
    )

    # ---- parcel files ----------------------------------------------------------------------
    style_of = rng.choice(TEXT_STYLES, n)
    attrs = {
        "parcel_id": pid,
        "owner_name": parcel_name,
        "credit_code": parcel_code,
        "cert_no": cert,
        "park": np.array([spec_of[p].name for p in park_of], dtype=object),
        "county": np.array([spec_of[p].county for p in park_of], dtype=object),
        "land_use": land_use,
        "certified_area": certified,
        "grant_date": grant_l,
        "agreed_start": agreed,
        "actual_start": actual,
        "suspended_since": suspended,
        "developed_area": developed,
        "land_price": land_price,
        "planned_investment": planned,
        "invested": invested,
        "floor_area": np.round(floor_area, 2),
        "footprint_area": np.round(foot, 2),
        "delay_cause": delay,
    }
    attrs["park"][no_park] = ""
    files_count: dict[str, int] = {}
    for park in PARKS:
        sel = np.flatnonzero(park_of == park.key)
        names = GPKG_FIELDS if park.out_epsg == 4490 else DBF_FIELDS
        cols = {}
        for canon, values in attrs.items():
            vals = [values[k] for k in sel]
            if canon in DATE_FIELDS:
                if park.key == "pingluo":  # real date fields in the GeoPackage
                    vals = pd.Series(vals, dtype=pd.ArrowDtype(pa.date32()))
                else:
                    vals = [
                        fmt_date(v, style_of[k]) if v else ""
                        for v, k in zip(vals, sel, strict=True)
                    ]
            cols[names[canon]] = vals
        gdf = gpd.GeoDataFrame(cols, geometry=list(gen_geom[sel]), crs=park.gen_epsg)
        files_count[park.file] = len(gdf)
        path = out / park.file
        if park.key == "pingluo":
            gdf = gpd.GeoDataFrame(
                gdf.drop(columns="geometry"), geometry=list(geom_4490[sel]), crs=4490
            )
            path.unlink(missing_ok=True)
            pyogrio.write_dataframe(gdf, path, layer=PINGLUO_LAYER, driver="GPKG", use_arrow=True)
        else:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                path.with_suffix(ext).unlink(missing_ok=True)
            pyogrio.write_dataframe(
                gdf,
                path,
                driver="ESRI Shapefile",
                encoding="GBK",
                layer_options={"DBF_DATE_LAST_UPDATE": "2024-06-30"},
            )
            dbf = bytearray(path.with_suffix(".dbf").read_bytes())
            if park.key == "jingkai":
                path.with_suffix(".cpg").unlink()
                dbf[29] = 0x00  # LDID 0: nothing in the file says GBK
            else:
                dbf[29] = 0x4D  # LDID 0x4D = code page 936, as ArcGIS writes it
            path.with_suffix(".dbf").write_bytes(bytes(dbf))

    # ---- parks and buildings -----------------------------------------------------------------
    park_polys = []
    for park in PARKS:
        sel = park_of == park.key
        g = (
            shapely.union_all(shapely.make_valid(gen_geom[sel]))
            .buffer(260, join_style="mitre")
            .buffer(-90)
        )
        if g.geom_type != "Polygon":
            g = shapely.convex_hull(g)
        g = Polygon(g.exterior).simplify(5)
        park_polys.append(gpd.GeoSeries([g], crs=park.gen_epsg).to_crs(4490).values[0])
    parks_gdf = gpd.GeoDataFrame(
        {"园区名称": [p.name for p in PARKS], "县区": [p.county for p in PARKS]},
        geometry=park_polys,
        crs=4490,
    )
    (out / "parks.geojson").unlink(missing_ok=True)
    pyogrio.write_dataframe(
        parks_gdf,
        out / "parks.geojson",
        driver="GeoJSON",
        layer_options={"COORDINATE_PRECISION": "7"},
    )
    bld = gpd.GeoDataFrame(
        {
            "层数": np.array(b_floors, dtype="int32"),
            "建筑面积": np.round([g.area * f for g, f in zip(b_geoms, b_floors, strict=True)], 2),
            "用途": b_use,
        },
        geometry=list(b_4490),
        crs=4490,
    )
    (out / "buildings.gpkg").unlink(missing_ok=True)
    pyogrio.write_dataframe(bld, out / "buildings.gpkg", layer="buildings", driver="GPKG")

    # ---- built-up raster -----------------------------------------------------------------------
    to4544 = {}
    for park in PARKS:
        sel = park_of == park.key
        to4544[park.key] = gpd.GeoSeries(gen_geom[sel], crs=park.gen_epsg).to_crs(4544).values
    parks_4544 = parks_gdf.to_crs(4544).geometry.values
    minx, miny, maxx, maxy = shapely.total_bounds(parks_4544)
    res = 10.0
    x0, y1 = math.floor(minx / res) * res - 50, math.ceil(maxy / res) * res + 50
    width = int(math.ceil((maxx - x0) / res)) + 5
    height = int(math.ceil((y1 - miny) / res)) + 5
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)
    built_value = np.clip(0.35 + coverage + rng.normal(0, 0.05, n), 0.5, 0.85)
    built_value[status == "unbuilt"] = rng.uniform(0.02, 0.05, int((status == "unbuilt").sum()))
    built_value[status == "partial"] = rng.uniform(0.15, 0.28, int((status == "partial").sum()))
    built_value[k_bow] = 0.6
    shapes_base = [(g, 0.6) for g in parks_4544]
    vac = []
    for blk in blocks:
        if blk.vacant:
            g = apply_matrix(np.array([box(0, 0, *blk.size)]), blk.matrix)[0]
            vac.append((gpd.GeoSeries([g], crs=blk.park.gen_epsg).to_crs(4544).values[0], 0.08))
    allk = np.concatenate([np.flatnonzero(park_of == p.key) for p in PARKS])
    all_g = np.concatenate([to4544[p.key] for p in PARKS])
    built_shapes = [
        (shapely.make_valid(g), float(built_value[k]))
        for g, k in zip(all_g, allk, strict=True)
        if status[k] == "clean"
    ]
    low_shapes = [
        (g, float(built_value[k])) for g, k in zip(all_g, allk, strict=True) if status[k] != "clean"
    ]
    arr = rfeatures.rasterize(
        shapes_base + vac + built_shapes,
        out_shape=(height, width),
        transform=transform,
        fill=-1.0,
        dtype="float32",
    )
    # Low-cover plots win every pixel they touch, so edge pixels never lift their mean.
    low = rfeatures.rasterize(
        low_shapes,
        out_shape=(height, width),
        transform=transform,
        fill=-1.0,
        dtype="float32",
        all_touched=True,
    )
    inside = arr >= 0
    arr = np.where(low >= 0, low, arr)
    noise = np.clip(rng.standard_normal(arr.shape, dtype=np.float32) * 0.02, -0.04, 0.04)
    arr = np.where(inside | (low >= 0), np.clip(np.round(arr + noise, 2), 0, 1), -1.0).astype(
        "float32"
    )
    # Shapes must stay within 0.45–0.9 (built) and < 0.1 (unbuilt) after noise.
    prof = dict(
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4544",
        transform=transform,
        nodata=-1.0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
        predictor=3,
        zlevel=9,
    )
    with rasterio.open(out / "built_up.tif", "w", **prof) as dst:
        dst.write(arr, 1)
        dst.update_tags(source="landclear synthetic sample", as_of=AS_OF.isoformat())

    # ---- project file ------------------------------------------------------------------------------
    (out / "project.toml").write_text(PROJECT_TOML, encoding="utf-8")

    # ---- planted answers ---------------------------------------------------------------------------
    code_of = {e["id"]: e["code"] for e in ents}
    stopped_2y_codes = sorted(code_of[x] for x in stopped2)
    tax_2y_codes = sorted(code_of[x] for x in tax_2y_ents)
    mortgaged_idle = sorted(pid[m["k"]] for m in mort if m["counted"])
    mort_not = {pid[m["k"]]: m["why"] for m in mort if not m["counted"]}
    assert not set(mortgaged_idle) & set(mort_not)
    lists: dict[str, int] = {}
    for k in range(n):
        c = code_of[int(ent_of[k])]
        v = (c in tax_2y_codes) + (pid[k] in mortgaged_idle) + (c in stopped_2y_codes)
        if v:
            lists[pid[k]] = int(v)
    ent_lists: dict[str, list[str]] = {}
    for e in ents:
        names = []
        if e["code"] in tax_2y_codes:
            names.append("tax_arrears_2y")
        if any(pid[k] in mortgaged_idle for k in e["parcels"]):
            names.append("mortgaged_idle")
        if e["code"] in stopped_2y_codes:
            names.append("stopped_2y")
        if names:
            ent_lists[e["code"]] = names

    # progress (shared semantics: completed ≤ as_of; mu only on idle / long-stopped plots;
    # no completed disposal sits on a plot whose eligibility would depend on grading)
    done = [
        d
        for d in disp
        if d["status"] in ("已完成", "完成", "办结") and d["date"] and d["date"] <= AS_OF
    ]
    by_park: dict[str, dict] = {
        p.name: {"cleared_enterprises": 0, "cleared_mu": 0.0} for p in PARKS
    }
    by_county: dict[str, dict] = {
        p.county: {"cleared_enterprises": 0, "cleared_mu": 0.0} for p in PARKS
    }
    monthly = []

    def mu_of(d: dict) -> float:
        k = d["k"]
        eligible = pid[k] in idle or int(ent_of[k]) in stopped2
        if not eligible:
            return 0.0
        return d["area"] if d["area"] is not None else float(area_mu[k])

    for d in done:
        assert pid[d["k"]] in idle or int(ent_of[d["k"]]) in stopped2 or d.get("not_counted_mu")
    for group, keyf in (
        (by_park, lambda d: spec_of[park_of[d["k"]]].name),
        (by_county, lambda d: spec_of[park_of[d["k"]]].county),
    ):
        for key in group:
            sub = [d for d in done if keyf(d) == key]
            group[key]["cleared_enterprises"] = len({d["ent"] for d in sub})
            group[key]["cleared_mu"] = round(sum(mu_of(d) for d in sub), 4)
    for m_ in months:
        end = m_.end_time.date()
        sub = [d for d in done if d["date"] <= end]
        monthly.append(
            dict(
                month=str(m_),
                enterprises=len({d["ent"] for d in sub}),
                mu=round(sum(mu_of(d) for d in sub), 4),
            )
        )
    progress = dict(
        cleared_enterprises=len({d["ent"] for d in done}),
        cleared_mu=round(sum(mu_of(d) for d in done), 4),
        completed_after_as_of=sorted(pid[d["k"]] for d in disp if d.get("after")),
        not_counted_mu=sorted(pid[d["k"]] for d in done if mu_of(d) == 0),
        completed_parcels=sorted(pid[d["k"]] for d in done),
        blank_area_parcels=sorted(pid[d["k"]] for d in disp if d["area"] is None),
        two_disposals_enterprise=code_of[two_disp_ent],
        by_park=by_park,
        by_county=by_county,
        monthly=monthly,
    )

    evaluated = [k for k in range(n) if coverage[k] > 0 and k not in (k_bow, k_dup_a, k_dup_b)]
    low_intensity = sorted(pid[k] for k in evaluated if cov_geod[k] < 0.30)
    assert all(abs(cov_geod[k] - 0.30) > 0.02 for k in evaluated)
    no_buildings = sorted(pid[k] for k in range(n) if coverage[k] <= 0)
    total_valid = [k for k in range(n) if k != k_bow]
    planted = {
        "as_of": AS_OF.isoformat(),
        "seed": SEED,
        "files": {
            "parcels": [p.file for p in PARKS],
            "parks": "parks.geojson",
            "buildings": "buildings.gpkg",
            "built_up": "built_up.tif",
            "enterprises": "ledgers/enterprises.xlsx",
            "tax_arrears": "ledgers/tax.xlsx",
            "mortgages": "ledgers/mortgages.xlsx",
            "disposals": "ledgers/disposals.xlsx",
            "project": "project.toml",
        },
        "crs": {
            "parcels/gaoxin.shp": 4544,
            "parcels/jingkai.shp": 4545,
            "parcels/pingluo.gpkg": 4490,
            "parks.geojson": 4490,
            "buildings.gpkg": 4490,
            "built_up.tif": 4544,
        },
        "encoding": {
            "parcels/gaoxin.shp": "GBK (.cpg 'GBK', LDID 0x4D)",
            "parcels/jingkai.shp": "GBK (no .cpg, LDID 0)",
            "parcels/pingluo.gpkg": "UTF-8",
        },
        "counts": {
            "parcel_features": n,
            "parcel_ids": len(set(pid)),
            "by_park": {p.name: int((park_of == p.key).sum()) for p in PARKS},
            "by_file": files_count,
            "enterprises_total": len(ents),
            "enterprises_in_ledger": len(ledger_ents),
            "ledger_rows": {
                "enterprises": n_ent_rows,
                "tax_arrears": n_tax_rows,
                "mortgages": n_mort_rows,
                "disposals": n_disp_rows,
            },
            "buildings": len(b_geoms),
        },
        "area_mu": {
            "note": "GRS80 geodesic; invalid bow-tie parcel excluded (its make_valid area is under invalid_geometry)",
            "total": round(float(area_mu[total_valid].sum()), 4),
            "by_park": {
                p.name: round(
                    float(area_mu[[k for k in total_valid if park_of[k] == p.key]].sum()), 4
                )
                for p in PARKS
            },
        },
        "idle": {k: idle[k] for k in sorted(idle)},
        "not_idle": dict(sorted(not_idle.items())),
        "not_idle_boundary": sorted(not_idle_boundary),
        "not_evaluable": not_evaluable,
        "stopped_2y": stopped_2y_codes,
        "stopped_recent": sorted(code_of[x] for x in stopped_recent),
        "stopped_since": {code_of[x]: stop_since[x].isoformat() for x in sorted(stop_since)},
        "half_stopped": {code_of[x]: half_since[x].isoformat() for x in sorted(half_since)},
        "half_stopped_2y": sorted(
            code_of[x] for x in half_since if half_since[x] <= add_years(AS_OF, -2)
        ),
        "tax_arrears_2y": tax_2y_codes,
        "tax_recent": sorted(code_of[x] for x in tax_recent),
        "tax_other_only": sorted(code_of[x] for x in tax_other),
        "mortgaged_idle": mortgaged_idle,
        "mortgage_not_counted": dict(sorted(mort_not.items())),
        "mortgaged_idle_reason": {pid[m["k"]]: m["why"] for m in mort if m["counted"]},
        "lists": dict(sorted(lists.items())),
        "enterprise_lists": dict(sorted(ent_lists.items())),
        "three_lists_enterprise": code_of[three_list],
        "invalid_geometry": [pid[k_bow]],
        "invalid_geometry_area_mu": round(float(area_mu[k_bow]), 4),
        "duplicate_id": [pid[k_dup_a]],
        "holes": sorted(pid[ents[x]["parcels"][0]] for x in holes_ents),
        "bad_credit_code": bad_codes,
        "name_variants": name_variants,
        "dirty_credit_codes": dirty_codes,
        "parcels_without_credit_code": sorted(str(pid[k]) for k in np.flatnonzero(no_code)),
        "low_intensity": low_intensity,
        "low_intensity_planted": sorted(pid[k] for k in low_int_parcels),
        "building_coverage": {
            pid[k]: round(float(cov_geod[k]), 4)
            for k in sorted(evaluated, key=lambda k: pid[k])
            if cov_geod[k] < 0.30
        },
        "no_buildings": no_buildings,
        "extreme_high": sorted(code_of[x] for x in ext_high),
        "extreme_low": sorted(code_of[x] for x in ext_low),
        "tax_per_mu_2023": {c: round(v, 4) for c, v in sorted(ext_tax_mu.items())},
        "utilities": sorted(code_of[x] for x in utilities),
        "not_in_enterprise_ledger": sorted(e["code"] for e in ents if not e["in_ledger"]),
        "progress": progress,
        "no_park_attribute": sorted(pid[k] for k in no_park),
        "parcel_area_mu": {
            pid[k]: round(float(area_mu[k]), 4)
            for k in sorted(range(n), key=lambda k: pid[k])
            if k != k_dup_b
        },
        "parcel_park": {
            pid[k]: spec_of[park_of[k]].name
            for k in sorted(range(n), key=lambda k: pid[k])
            if k != k_dup_b
        },
        "parcel_enterprise": {
            pid[k]: code_of[int(ent_of[k])]
            for k in sorted(range(n), key=lambda k: pid[k])
            if k != k_dup_b
        },
        "raster": {
            "built_min": 0.45,
            "built_max": 0.9,
            "idle_a_max_mean": 0.1,
            "nodata": -1.0,
            "res_m": res,
            "crs": 4544,
        },
    }
    (out / "planted.json").write_text(
        json.dumps(planted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return planted


def _variant(name: str) -> str:
    """The same enterprise as another bureau spells it."""
    return name.replace("（", "(").replace("）", ")").replace("有限责任公司", "有限公司")


PROJECT_TOML = """\
# landclear project file for the Shizuishan sample (DOMAIN §9). Paths are relative to this file.
as_of = "2024-06-30"
city = "石嘴山市"

[inputs]
# 高新区: Shapefile EPSG:4544, GBK with .cpg; 经开区: Shapefile EPSG:4545, GBK without .cpg
# and LDID 0 (encoding must be detected); 平罗: GeoPackage EPSG:4490, UTF-8, real date fields.
parcels = ["parcels/gaoxin.shp", "parcels/jingkai.shp", "parcels/pingluo.gpkg"]
enterprises = "ledgers/enterprises.xlsx"
tax_arrears = "ledgers/tax.xlsx"
mortgages = "ledgers/mortgages.xlsx"
disposals = "ledgers/disposals.xlsx"
parks = "parks.geojson"
buildings = "buildings.gpkg"

[inputs.rasters]
built_up = "built_up.tif"

# No [inputs.parcels_options]: encoding and CRS are left to the .cpg/.prj and to detection.
# To force them, add e.g.:  [inputs.parcels_options]  encoding = "gbk"

[columns.parcels]
# dBASE field names are cut at 10 bytes (5 Chinese characters in GBK).
credit_code = "统一社会信"
footprint_area = "建筑占地"
cert_no = "不动产权证"

# What-if scenarios (issue 8): shown in the workbook, the maps and the bulletin.
[scenarios.recommended_2024]
title = "推荐处置对2024年目标的影响"
clear = "recommended"
relet = "target"
year = 2024

[scenarios.least_land_2024]
title = "2024年达标最少腾退方案"
plan = true
year = 2024
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    out = args.out
    for sub in ("parcels", "ledgers"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    planted = build(out)
    c = planted["counts"]
    print(
        f"parcels {c['parcel_features']}, enterprises {c['enterprises_total']}, "
        f"idle {len(planted['idle'])}, buildings {c['buildings']} → {out}"
    )


if __name__ == "__main__":
    main()
