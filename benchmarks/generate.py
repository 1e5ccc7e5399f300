"""Scale the Shizuishan sample to N parcels with consistent ledgers.

The sample (``shapefiles/``) is copied ``ceil(N / n_sample)`` times. Copy ``k``
is the same city moved to another place in China: every geometry (parcels,
buildings, parks) is carried over with equal-area projections (areas are
kept exactly, so certified areas still agree), and every identifier that
links the files is rewritten the same way in parcels and ledgers:

* 宗地代码: the 5-digit serial becomes ``k * 100 + serial`` (unique while
  ``k < 1000`` and sample serials < 100, i.e. N ≤ ~2 million);
* 统一社会信用代码: three body characters are shifted by a per-copy offset and
  the check character recomputed — valid codes stay valid, invalid ones stay
  invalid, and lowercase / full-width / spaced spellings keep their dirt;
* enterprise names and park names get a three-character per-copy token
  (any two tokens differ in at least two characters, so a fuzzy match can never
  prefer another copy's enterprise over its own);
* 不动产权证号 gets the same token.

So every planted case of the sample (idle types, the three lists, name
variants, bad codes, dates in five styles, 元 vs 万元 headers, title and 合计
rows) occurs once per copy, and the answers scale with the copies.

Optional damage for the bad-input benchmark: ``broken`` (share of parcels whose
geometry becomes a bow-tie, an empty polygon or a null) and ``garbage`` (share
of ledger rows replaced by junk: ``#REF!``, formulas, text in number columns,
impossible dates, blank names).

Outputs (``out/``): ``parcels.gpkg`` (or ``parcels.parquet``) in EPSG:4490,
``buildings.gpkg``, ``parks.geojson``, ``ledgers/*.xlsx`` (split so no sheet
exceeds Excel's row limit), ``project.toml`` and ``manifest.json`` (counts of
everything generated and damaged).

Example
-------
::

    .venv/bin/python benchmarks/generate.py 100000 --out benchmarks/data/n100000
    .venv/bin/python benchmarks/generate.py 1000000 --broken 0.01 --garbage 0.01
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "shapefiles"
DATA = Path(__file__).resolve().parent / "data"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
TOKEN_CHARS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土东南西北"  # 31
assert len(TOKEN_CHARS) == 31
SAMPLE_CENTRE = (106.55, 39.05)
EXCEL_MAX_ROWS = 1_048_576
LEDGER_ROWS_PER_FILE = 500_000

# Header (as in the sample files) → role in the rewrite.
NAME_HEADERS = ("权利人", "企业名称", "纳税人名称", "抵押人")
CODE_HEADERS = ("统一社会信用代码", "统一社会信")
PID_HEADERS = ("宗地代码",)
CERT_HEADERS = ("不动产权证号", "不动产权证")
PARK_HEADERS = ("园区", "园区名称")
# Short dBASE names of the shapefiles → the full header of the GeoPackage export.
FULL_HEADERS = {
    "统一社会信": "统一社会信用代码", "不动产权证": "不动产权证号", "约定开工": "约定开工日期",
    "实际开工": "实际开工日期", "约定投资": "约定投资总额", "建筑占地": "建筑占地面积",
}  # fmt: skip
PARCEL_FILES = (("parcels/gaoxin.shp", None), ("parcels/jingkai.shp", "GBK"),
                ("parcels/pingluo.gpkg", None))  # fmt: skip
LEDGER_FILES = ("enterprises", "tax", "mortgages", "disposals")
LEDGER_INPUTS = {"enterprises": "enterprises", "tax": "tax_arrears", "mortgages": "mortgages",
                 "disposals": "disposals"}  # fmt: skip
GARBAGE = ("#REF!", "=SUM(A1:A9)", "——", "N/A", "见附件", "-@cmd", "2024年13月45日", "1,2,3")


# --------------------------------------------------------------------------- identifiers


def token(k: int) -> str:
    """Per-copy name token; any two tokens differ in at least two characters.

    Examples
    --------
    >>> token(0), token(1), token(31)
    ('甲甲甲', '乙甲乙', '甲乙乙')
    """
    a, b = k % 31, (k // 31) % 31
    return TOKEN_CHARS[a] + TOKEN_CHARS[b] + TOKEN_CHARS[(a + b) % 31]


def uscc_check(body17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _norm_code(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).upper().replace(" ", "").replace("\u3000", "")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def shift_code(raw: object, k: int) -> object:
    """The credit code of copy ``k``: same validity, same spelling quirks.

    Examples
    --------
    >>> shift_code("91110000600037341L", 0)
    '91110000600037341L'
    >>> c = shift_code("91110000600037341L", 5); c[-1] == uscc_check(c[:17])
    True
    """
    if not isinstance(raw, str) or not raw.strip() or k == 0:
        return raw
    code = _norm_code(raw)
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return raw  # garbage stays garbage (it matches nothing anyway)
    valid = uscc_check(code[:17]) == code[17]
    body = list(code[:17])
    # Positions 10-12 belong to the organisation body; offsets differ per copy.
    for pos, off in zip((10, 11, 12), (k % 31, (k // 31) % 31, (k // 961) % 31), strict=True):
        body[pos] = USCC_ALPHABET[(USCC_ALPHABET.index(body[pos]) + off) % 31]
    new17 = "".join(body)
    check = uscc_check(new17)
    if not valid:
        check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1 + USCC_ALPHABET.index(code[17])) % 31]
        if check == uscc_check(new17):
            check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % 31]
    new = new17 + check
    # Re-apply the dirt of the original spelling.
    if raw != raw.upper() and raw.upper() == code:
        new = new.lower() if raw == raw.lower() else new[:-1] + new[-1].lower()
    if any("\uff01" <= c <= "\uff5e" for c in raw):
        new = _fullwidth(new)
    if " " in raw.strip():
        at = raw.strip().index(" ")
        new = new[:at] + " " + new[at:]
    if raw != raw.strip():
        new = raw[: len(raw) - len(raw.lstrip())] + new + raw[len(raw.rstrip()) :]
    return new


def _map_codes(values: pd.Series, k: np.ndarray) -> pd.Series:
    """Vectorised :func:`shift_code` over (value, copy) pairs, computed once per pair."""
    frame = pd.DataFrame({"v": values.astype(object).to_numpy(), "k": k})
    uniq = frame.drop_duplicates()
    uniq["new"] = [shift_code(v, int(kk)) for v, kk in zip(uniq["v"], uniq["k"], strict=True)]
    out = frame.merge(uniq, on=["v", "k"], how="left")["new"]
    return pd.Series(out.to_numpy(), index=values.index, dtype=object)


def _with_token(values: pd.Series, k: np.ndarray, *, blank_ok: bool = True) -> pd.Series:
    tokens = np.array([token(i) for i in range(int(k.max()) + 1)], dtype=object)[k]
    text = values.astype(object)
    present = text.map(lambda v: isinstance(v, str) and v.strip() != "").to_numpy()
    out = text.to_numpy(dtype=object).copy()
    out[present] = tokens[present] + np.asarray(out[present], dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def _cert_with_token(values: pd.Series, k: np.ndarray) -> pd.Series:
    tokens = np.array([token(i) for i in range(int(k.max()) + 1)], dtype=object)[k]
    out = values.astype(object).to_numpy(dtype=object).copy()
    for i in np.flatnonzero([isinstance(v, str) and "第" in v for v in out]):
        out[i] = out[i].replace("第", tokens[i] + "第", 1)
    return pd.Series(out, index=values.index, dtype=object)


def _pid(values: pd.Series, k: np.ndarray) -> pd.Series:
    text = values.astype(object).to_numpy(dtype=object)
    out = text.copy()
    ok = np.array([isinstance(v, str) and len(v) == 19 and v[14:].isdigit() for v in text])
    if ok.any():
        s = pd.Series(text[ok], dtype="string")
        serial = s.str[14:].astype(int).to_numpy() % 100 + k[ok] * 100
        out[ok] = (s.str[:14] + pd.Series(serial).map("{:05d}".format).astype("string")).to_numpy(
            dtype=object
        )
    return pd.Series(out, index=values.index, dtype=object)


# --------------------------------------------------------------------------- geometry


def copy_centres(n_copies: int) -> list[tuple[float, float]]:
    """Where each copy of the city goes: a grid over northern and central China."""
    centres = []
    lons = np.arange(98.0, 122.01, 0.6)
    lats = np.arange(28.0, 46.01, 0.5)
    for lat in lats:
        for lon in lons:
            centres.append((float(lon), float(lat)))
    if n_copies > len(centres):
        raise ValueError(f"at most {len(centres)} copies of the sample")
    # Copy 0 stays where the sample is: its answers are the sample's.
    centres.insert(0, SAMPLE_CENTRE)
    return centres[:n_copies]


def _laea(lon: float, lat: float) -> CRS:
    return CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m +no_defs")


def tile_geometries(geoms: np.ndarray, copies: np.ndarray, centres) -> np.ndarray:
    """Move ``geoms`` (EPSG:4490) of copy ``c`` to centre ``centres[c]``, areas kept."""
    origin = _laea(*SAMPLE_CENTRE)
    to_local = Transformer.from_crs(4490, origin, always_xy=True)
    local = shapely.transform(geoms, lambda xy: np.column_stack(to_local.transform(*xy.T)))
    out = np.empty(len(copies), dtype=object)
    for c in np.unique(copies):
        idx = np.flatnonzero(copies == c)
        if c == 0:
            out[idx] = geoms[idx % len(geoms)]
            continue
        back = Transformer.from_crs(_laea(*centres[c]), 4490, always_xy=True)
        src = local[idx % len(geoms)]
        out[idx] = shapely.transform(src, lambda xy, t=back: np.column_stack(t.transform(*xy.T)))
    return out


# --------------------------------------------------------------------------- reading the sample


def read_sample_parcels(sample: Path = SAMPLE) -> gpd.GeoDataFrame:
    """The three sample parcel files as one frame: full headers, EPSG:4490, text dates."""
    frames = []
    for rel, enc in PARCEL_FILES:
        gdf = pyogrio.read_dataframe(sample / rel, encoding=enc).rename(columns=FULL_HEADERS)
        gdf = gdf.to_crs(4490)
        for col in gdf.columns:
            if col == "geometry":
                continue
            s = gdf[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                gdf[col] = s.dt.strftime("%Y-%m-%d").astype(object)
            elif not pd.api.types.is_numeric_dtype(s):
                gdf[col] = s.astype(object).where(s.notna(), None)
        frames.append(gdf)
    cols = list(dict.fromkeys(c for f in frames for c in f.columns if c != "geometry"))
    out = pd.concat([f.reindex(columns=[*cols, "geometry"]) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4490)


def read_sample_ledger(path: Path) -> tuple[str, list[list], list[str], list[list], list]:
    """(sheet, lines above the header, header, data rows, totals row) of a sample ledger."""
    wb = CalamineWorkbook.from_path(str(path))
    sheet = wb.sheet_names[0]
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    head = next(i for i, r in enumerate(rows) if r and str(r[0]).strip() == "序号")
    data, total = [], None
    for r in rows[head + 1 :]:
        first = str(r[0]).strip() if r else ""
        if first.startswith("合计"):
            total = r
            break
        if any(str(v).strip() for v in r):
            data.append(r)
    return sheet, rows[:head], [str(h) for h in rows[head]], data, total


# --------------------------------------------------------------------------- writing


def _rewrite_ids(df: pd.DataFrame, k: np.ndarray) -> pd.DataFrame:
    """Apply the per-copy rewrite to every identifying column of ``df``."""
    for col in df.columns:
        if col in NAME_HEADERS or col in PARK_HEADERS:
            df[col] = _with_token(df[col], k)
        elif col in CODE_HEADERS:
            df[col] = _map_codes(df[col], k)
        elif col in PID_HEADERS:
            df[col] = _pid(df[col], k)
        elif col in CERT_HEADERS:
            df[col] = _cert_with_token(df[col], k)
    return df


def _garbage_rows(df: pd.DataFrame, share: float, rng: np.random.Generator) -> np.ndarray:
    """Overwrite ``share`` of the rows with junk; return their positions."""
    n = int(round(len(df) * share))
    if n == 0:
        return np.array([], dtype=int)
    rows = np.sort(rng.choice(len(df), size=n, replace=False))
    junk = rng.choice(np.array(GARBAGE, dtype=object), size=(n, df.shape[1]))
    keep_serial = df.columns[0] == "序号"
    for j, col in enumerate(df.columns):
        if keep_serial and j == 0:
            continue
        values = df[col].to_numpy(dtype=object).copy()
        values[rows] = junk[:, j]
        # A third of the junk rows lose every name and code: nothing can link them.
        if col in NAME_HEADERS or col in CODE_HEADERS:
            values[rows[::3]] = ""
        df[col] = values
    return rows


def write_ledger(
    path_stem: Path,
    sheet: str,
    above: list[list],
    header: list[str],
    data: pd.DataFrame,
    totals: list | None,
) -> list[Path]:
    """Write ledger rows like a bureau export; split into files under Excel's row limit."""
    import xlsxwriter

    written = []
    n_files = max(1, math.ceil(len(data) / LEDGER_ROWS_PER_FILE))
    for part in range(n_files):
        chunk = data.iloc[part * LEDGER_ROWS_PER_FILE : (part + 1) * LEDGER_ROWS_PER_FILE]
        path = path_stem.with_name(
            path_stem.name + (f"_{part + 1:02d}" if n_files > 1 else "") + ".xlsx"
        )
        wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        ws = wb.add_worksheet(sheet)
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        r = 0
        for line in above:
            ws.write_row(
                r, 0, [v if not isinstance(v, float) or not math.isnan(v) else "" for v in line]
            )
            r += 1
        ws.write_row(r, 0, header)
        r += 1
        cols = [chunk[c].to_numpy(dtype=object) for c in chunk.columns]
        for i in range(len(chunk)):
            for j, col in enumerate(cols):
                v = col[i]
                if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
                    continue
                if isinstance(v, dt.date | dt.datetime):
                    ws.write_datetime(
                        r,
                        j,
                        v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day),
                        date_fmt,
                    )
                elif isinstance(v, str):
                    ws.write_string(r, j, v)
                else:
                    ws.write_number(r, j, float(v))
            r += 1
        if totals is not None:
            row = ["合计"] + [""] * (len(header) - 1)
            for j in range(1, len(header)):
                if isinstance(totals[j], int | float) and not isinstance(totals[j], bool):
                    row[j] = float(pd.to_numeric(chunk.iloc[:, j], errors="coerce").sum())
            ws.write_row(r, 0, row)
        wb.close()
        written.append(path)
    return written


PROJECT = """\
# Generated by benchmarks/generate.py: the Shizuishan sample scaled to {n} parcels.
as_of = "2024-06-30"
city = "石嘴山市（放大 {copies} 倍）"

[inputs]
parcels = "{parcels}"
enterprises = {enterprises}
tax_arrears = {tax}
mortgages = {mortgages}
disposals = {disposals}
parks = "parks.geojson"
{buildings}
[output]
workbook_parcel_limit = 200000
"""


def generate(
    n: int,
    out: str | Path | None = None,
    *,
    broken: float = 0.0,
    garbage: float = 0.0,
    buildings: bool = True,
    fmt: str = "gpkg",
    seed: int = 20240630,
    sample: Path = SAMPLE,
) -> Path:
    """Write the sample scaled to ``n`` parcels into ``out``; return the project file.

    Parameters
    ----------
    n : int
        Number of parcels (features) to write, damaged ones included.
    out : path, optional
        Output folder; default ``benchmarks/data/n{n}[-bad]``.
    broken, garbage : float
        Share of parcels with broken geometry, of ledger rows replaced by junk.
    buildings : bool
        Also write the buildings layer (building intensity from footprints).
    fmt : {"gpkg", "parquet"}
        Parcel file format.

    Example
    -------
    >>> project = generate(10_000, "/tmp/lc10k")  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    out = Path(out) if out else DATA / (f"n{n}" + ("-bad" if broken or garbage else ""))
    (out / "ledgers").mkdir(parents=True, exist_ok=True)
    base = read_sample_parcels(sample)
    n_sample = len(base)
    n_copies = math.ceil(n / n_sample)
    centres = copy_centres(n_copies)
    k = np.repeat(np.arange(n_copies), n_sample)[:n]
    src = np.tile(np.arange(n_sample), n_copies)[:n]
    manifest: dict = {
        "n": n,
        "copies": n_copies,
        "sample_parcels": n_sample,
        "seed": seed,
        "broken": broken,
        "garbage": garbage,
    }

    # ---- parcels
    parcels = pd.DataFrame({c: base[c].to_numpy()[src] for c in base.columns if c != "geometry"})
    parcels = _rewrite_ids(parcels, k)
    geoms = tile_geometries(np.asarray(base.geometry.array), k, centres)
    damaged = {"bowtie": 0, "empty": 0, "null": 0}
    if broken:
        hit = np.sort(rng.choice(n, size=int(round(n * broken)), replace=False))
        kinds = np.array(["bowtie", "empty", "null"])[np.arange(len(hit)) % 3]
        for kind in damaged:
            damaged[kind] = int((kinds == kind).sum())
        bt = hit[kinds == "bowtie"]
        x0, y0, x1, y1 = shapely.bounds(geoms[bt]).T
        coords = np.stack(
            [np.c_[x0, y0], np.c_[x1, y1], np.c_[x1, y0], np.c_[x0, y1], np.c_[x0, y0]], axis=1
        )
        geoms[bt] = shapely.polygons(coords)  # self-intersecting: GDAL keeps it, we repair it
        geoms[hit[kinds == "empty"]] = shapely.from_wkt("POLYGON EMPTY")
        geoms[hit[kinds == "null"]] = None
    manifest["broken_geometries"] = damaged
    gdf = gpd.GeoDataFrame(parcels, geometry=gpd.GeoSeries(geoms, crs=4490))
    for col in gdf.columns:
        if gdf[col].dtype == object and col != "geometry":
            gdf[col] = gdf[col].astype("string")
    if fmt == "parquet":
        parcel_file = out / "parcels.parquet"
        gdf.to_parquet(parcel_file, index=False)
    else:
        parcel_file = out / "parcels.gpkg"
        parcel_file.unlink(missing_ok=True)
        pyogrio.write_dataframe(gdf, parcel_file, layer="宗地", driver="GPKG", use_arrow=True)
    manifest["parcels"] = n

    # ---- parks and buildings follow their copies
    parks = pyogrio.read_dataframe(sample / "parks.geojson").to_crs(4490)
    pk = np.repeat(np.arange(n_copies), len(parks))
    park_frame = pd.DataFrame(
        {
            c: np.tile(parks[c].to_numpy(dtype=object), n_copies)
            for c in parks.columns
            if c != "geometry"
        }
    )
    park_frame = _rewrite_ids(park_frame, pk)
    park_geoms = tile_geometries(np.asarray(parks.geometry.array), pk, centres)
    gpd.GeoDataFrame(park_frame, geometry=gpd.GeoSeries(park_geoms, crs=4490)).to_file(
        out / "parks.geojson", driver="GeoJSON", engine="pyogrio"
    )
    manifest["parks"] = int(len(park_frame))
    if buildings:
        b = pyogrio.read_dataframe(sample / "buildings.gpkg").to_crs(4490)
        # Buildings of copy c are those of the sample, moved; the last copy may be partial,
        # its buildings are all kept (they simply fall on no parcel).
        bk = np.repeat(np.arange(n_copies), len(b))
        bframe = pd.DataFrame(
            {c: np.tile(b[c].to_numpy(), n_copies) for c in b.columns if c != "geometry"}
        )
        bgeoms = tile_geometries(np.asarray(b.geometry.array), bk, centres)
        bpath = out / "buildings.gpkg"
        bpath.unlink(missing_ok=True)
        pyogrio.write_dataframe(
            gpd.GeoDataFrame(bframe, geometry=gpd.GeoSeries(bgeoms, crs=4490)),
            bpath,
            layer="建筑物",
            driver="GPKG",
            use_arrow=True,
        )
        manifest["buildings"] = int(len(bframe))

    # ---- ledgers: copies of the sample rows, same rewrite; ledgers follow the parcel copies
    ledger_paths: dict[str, list[str]] = {}
    manifest["ledger_rows"], manifest["garbage_rows"] = {}, {}
    for stem in LEDGER_FILES:
        sheet, above, header, data, totals = read_sample_ledger(sample / "ledgers" / f"{stem}.xlsx")
        width = len(header)
        rows = [list(r[:width]) + [""] * (width - len(r)) for r in data]
        frame = pd.DataFrame(rows, columns=header, dtype=object)
        lk = np.repeat(np.arange(n_copies), len(frame))
        big = pd.DataFrame(
            {c: np.tile(frame[c].to_numpy(dtype=object), n_copies) for c in frame.columns}
        )
        big = _rewrite_ids(big, lk)
        if "序号" in big.columns:
            big["序号"] = np.arange(1, len(big) + 1, dtype=float)
        bad = _garbage_rows(big, garbage, rng) if garbage else np.array([], dtype=int)
        paths = write_ledger(out / "ledgers" / stem, sheet, above, header, big, totals)
        ledger_paths[stem] = [str(p.relative_to(out)) for p in paths]
        manifest["ledger_rows"][stem] = int(len(big))
        manifest["garbage_rows"][stem] = int(len(bad))

    def toml_list(paths: list[str]) -> str:
        return json.dumps(paths if len(paths) > 1 else paths[0], ensure_ascii=False)

    project = out / "project.toml"
    project.write_text(
        PROJECT.format(
            n=n,
            copies=n_copies,
            parcels=parcel_file.name,
            enterprises=toml_list(ledger_paths["enterprises"]),
            tax=toml_list(ledger_paths["tax"]),
            mortgages=toml_list(ledger_paths["mortgages"]),
            disposals=toml_list(ledger_paths["disposals"]),
            buildings='buildings = "buildings.gpkg"\n' if buildings else "",
        ),
        encoding="utf-8",
    )
    manifest["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    return project


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of parcels")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--broken", type=float, default=0.0, help="share of broken geometries")
    ap.add_argument("--garbage", type=float, default=0.0, help="share of junk ledger rows")
    ap.add_argument("--no-buildings", action="store_true")
    ap.add_argument("--format", choices=("gpkg", "parquet"), default="gpkg")
    ap.add_argument("--seed", type=int, default=20240630)
    a = ap.parse_args(argv)
    project = generate(
        a.n,
        a.out,
        broken=a.broken,
        garbage=a.garbage,
        buildings=not a.no_buildings,
        fmt=a.format,
        seed=a.seed,
    )
    print(project)


if __name__ == "__main__":
    main()
