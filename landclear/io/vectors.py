"""Read parcel, park and building polygons from the files bureaus send.

One call reads any mix of shapefiles (also zipped), GeoPackages, GeoJSON and
GeoParquet, and returns one GeoDataFrame in CGCS2000 geographic coordinates
(EPSG:4490) with canonical column names (DOMAIN §6), the two source columns
``source_file`` / ``source_row``, and only valid polygonal geometries. Every
feature that is dropped is rejected in the :class:`~landclear.quality.QualityLog`
with its file and 1-based feature number; every repaired geometry is logged.

Encoding of a shapefile's .dbf, in order: the .cpg file, the ``encoding``
option, the dBASE language-driver byte (LDID, header byte 29), and finally a
check of the raw bytes (valid multibyte UTF-8 → UTF-8, else GB18030). Values
are returned raw (value types are converted later by
:func:`landclear.io.parse.harmonise`), except columns with a unit in their
header (``"面积(平方米)"``) or in the ``units`` option: those are converted per
file, since two files may use different units. Header units are also listed
in ``gdf.attrs["units"]``.

Geometry is checked and repaired in the source CRS, then reprojected;
coordinates that cannot be what their CRS says (metres labelled as degrees,
GK eastings with a zone prefix in a CRS without one) are a
:class:`~landclear.errors.CRSError` naming the file and the likely CRS.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from landclear._memory import gc_paused
from landclear.errors import CRSError, DataError, InputFileError, MissingColumnError
from landclear.io.headers import map_headers
from landclear.quality import InputRecord, QualityLog
from landclear.schema import REQUIRED, REQUIRED_ANY, SOURCE_FILE, SOURCE_ROW, aliases

#: Output CRS of every vector input: CGCS2000 geographic.
OUTPUT_CRS = "EPSG:4490"

VECTOR_SUFFIXES = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".parquet", ".geoparquet")
_SIDECARS = {".dbf", ".shx", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".xml", ".qmd", ".fix"}
_GLOB_CHARS = set("*?[")

# dBASE language-driver IDs that name an East-Asian code page. Western LDIDs
# are not trusted: Chinese tools often leave a default Western LDID on GBK data.
_LDID = {
    0x4D: "GB18030",
    0x7A: "GB18030",  # code page 936 (GBK; GB18030 is its superset)
    0x4F: "BIG5",
    0x78: "BIG5",  # 950
    0x4E: "CP949",
    0x79: "CP949",  # 949
    0x13: "CP932",
    0x7B: "CP932",  # 932
}
# Python codec name -> name GDAL's iconv understands. GBK/GB2312/CP936 are read
# as GB18030, a strict superset, so rare characters outside GBK still decode.
_GDAL_NAME = {
    "gbk": "GB18030",
    "gb2312": "GB18030",
    "gb18030": "GB18030",
    "utf-8": "UTF-8",
    "big5": "BIG5",
    "big5hkscs": "BIG5-HKSCS",
    "cp950": "CP950",
    "euc_kr": "EUC-KR",
    "cp949": "CP949",
    "shift_jis": "SHIFT_JIS",
    "cp932": "CP932",
    "euc_jp": "EUC-JP",
    "iso8859-1": "ISO-8859-1",
    "latin-1": "ISO-8859-1",
    "cp1252": "CP1252",
    "ascii": "ASCII",
}
_PY_NAME = {v: k for k, v in _GDAL_NAME.items()} | {"GB18030": "gb18030", "ASCII": "ascii"}
_GCJ = {"GCJ02": "GCJ-02", "BD09": "BD-09"}
_DETECT_SAMPLE = 50_000  # records scanned by the encoding check
_DETECT_BYTES = 16 * 2**20  # at most this much of a .dbf is read for it

_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


# --------------------------------------------------------------------------- sources


def _expand(sources: object, base_dir: str | Path | None) -> list[tuple[Path, str]]:
    """Paths on disk with the name to report for each (as the user wrote it)."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    items = [sources] if isinstance(sources, str | os.PathLike) else list(sources)  # type: ignore[arg-type]
    if not items:
        raise InputFileError("未指定输入文件 / no input file given")
    out: list[tuple[Path, str]] = []
    for item in items:
        text = os.fspath(item)
        full = text if os.path.isabs(text) else os.path.join(base, text)
        if _GLOB_CHARS & set(text):
            hits = sorted(
                Path(h)
                for h in glob.glob(full, recursive=True)
                if Path(h).suffix.lower() in VECTOR_SUFFIXES and Path(h).is_file()
            )
            if not hits:
                raise InputFileError(
                    f"没有文件匹配 {text!r}（相对于 {base}）/ no vector file matches the pattern",
                    file=text,
                )
            for h in hits:
                try:
                    shown = h.relative_to(base).as_posix()
                except ValueError:
                    shown = h.as_posix()
                out.append((h, shown))
        else:
            path = Path(full)
            if not path.exists():
                raise InputFileError(f"文件不存在：{path} / file not found", file=text)
            out.append((path, Path(text).as_posix()))
    seen: set[Path] = set()
    unique = []
    for path, shown in out:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, shown))
    return unique


def list_sources(
    sources: str | Path | Sequence[str | Path], base_dir: str | Path | None = None
) -> list[Path]:
    """Expand paths and glob patterns to the vector files they name.

    Parameters
    ----------
    sources : str, Path or list of them
        File paths or glob patterns (``"parcels/*.shp"``), relative to ``base_dir``.
    base_dir : str or Path, optional
        Directory of the project file; default the current directory.

    Returns
    -------
    list of Path
        Existing files, in the order given (each glob sorted), without duplicates.
        Globs only match vector files, never .dbf/.shx/.prj side files.

    Raises
    ------
    InputFileError
        A path does not exist or a pattern matches no vector file.

    Examples
    --------
    >>> list_sources("parcels/*.shp", base_dir="project")  # doctest: +SKIP
    [PosixPath('project/parcels/a.shp'), PosixPath('project/parcels/b.shp')]
    """
    return [p for p, _ in _expand(sources, base_dir)]


@dataclass
class _Dataset:
    """One readable dataset: a file on disk or a member of a .zip."""

    path: Path  # the file on disk (the .zip for members)
    shown: str  # name written to SOURCE_FILE and the quality log
    member: str | None = None  # path inside the zip

    @property
    def suffix(self) -> str:
        return Path(self.member or self.path.name).suffix.lower()

    @property
    def gdal_path(self) -> str:
        if self.member is None:
            return str(self.path)
        return f"/vsizip/{self.path.resolve()}/{self.member}"

    def sidecar(self, suffix: str, limit: int = -1) -> bytes | None:
        """Bytes of the file beside this one with another suffix (.dbf, .cpg ...).

        ``limit`` caps the bytes read (``-1``: all).
        """
        if self.member is None:
            for cand in (self.path.with_suffix(suffix), self.path.with_suffix(suffix.upper())):
                if cand.exists():
                    with open(cand, "rb") as fh:
                        return fh.read(limit)
            return None
        stem = self.member[: -len(Path(self.member).suffix)]
        with zipfile.ZipFile(self.path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            name = names.get((stem + suffix).lower())
            if name is None:
                return None
            with zf.open(name) as fh:
                return fh.read(limit)

    def read_bytes(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.member)


def _datasets(path: Path, shown: str) -> list[_Dataset]:
    if path.suffix.lower() != ".zip":
        return [_Dataset(path, shown)]
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"不是有效的 zip 文件 / not a valid zip: {exc}", file=shown) from exc
    members = sorted(
        (i for i in infos if Path(i.filename).suffix.lower() in VECTOR_SUFFIXES),
        key=lambda i: i.filename,
    )
    members = [
        i
        for i in members
        if Path(i.filename).suffix.lower() != ".zip" and not i.filename.startswith("__MACOSX/")
    ]
    if not members:
        raise InputFileError(
            "zip 中没有 .shp/.gpkg/.geojson 文件 / no vector file inside the zip", file=shown
        )
    return [_Dataset(path, f"{shown}/{_member_label(i)}", i.filename) for i in members]


def _member_label(info: zipfile.ZipInfo) -> str:
    """Readable name of a zip member: Windows zips store GBK names without a UTF-8 flag."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


# --------------------------------------------------------------------------- encoding


def option_encoding(value: object, input_name: str, file: object = None) -> str:
    """The GDAL name of an ``[inputs.<name>_options] encoding``; one clear error if unknown.

    Examples
    --------
    >>> option_encoding("gbk", "parcels")
    'GB18030'
    """
    gdal = normalise_encoding(value) if isinstance(value, str) else None
    if gdal is None:
        from landclear.errors import ProjectError

        raise ProjectError(
            f"[inputs.{input_name}_options] encoding = {value!r} 不是已知的编码"
            "（可用 gbk、gb18030、utf-8、big5）/ unknown encoding",
            file=file,
        )
    return gdal


def python_codec(gdal: str) -> str:
    """The Python codec of a GDAL encoding name (``GB18030`` → ``gb18030``)."""
    return _PY_NAME.get(gdal, gdal)


def normalise_encoding(name: str) -> str | None:
    """GDAL name of an encoding written in a .cpg file or the project file.

    ``None`` when Python knows no such codec. GBK and GB2312 become GB18030
    (a strict superset); ``"ANSI 936"`` and ``"936"`` (code pages) are accepted.

    Examples
    --------
    >>> normalise_encoding("gbk"), normalise_encoding("ANSI 936"), normalise_encoding("klingon")
    ('GB18030', 'GB18030', None)
    """
    import codecs

    text = name.strip().strip("\x00").strip()
    key = text.upper().replace("-", "").replace("_", "").replace(" ", "")
    if key in {"BIG5", "BIG5TW"}:
        return "BIG5"
    if key.startswith("ANSI") and key[4:].isdigit():  # "ANSI 936"
        key = key[4:]
    for cand in (text, key, f"cp{key}"):
        try:
            py = codecs.lookup(cand).name
        except LookupError:
            continue
        return _GDAL_NAME.get(py, py.upper().replace("_", "-"))
    return None


def _dbf_layout(data: bytes) -> tuple[int, int, int, list[tuple[bytes, str, int, int]]]:
    """Record count, header length, record length and fields (name, type, offset, length)."""
    if len(data) < 32:
        raise ValueError("dbf header too short")
    nrec = int.from_bytes(data[4:8], "little")
    hdr_len = int.from_bytes(data[8:10], "little")
    rec_len = int.from_bytes(data[10:12], "little")
    fields = []
    offset = 1  # byte 0 of a record is the deletion flag
    for pos in range(32, min(hdr_len, len(data)) - 31, 32):
        if data[pos] == 0x0D:
            break
        name = data[pos : pos + 11].split(b"\x00", 1)[0]
        ftype = chr(data[pos + 11])
        flen = data[pos + 16]
        fields.append((name, ftype, offset, flen))
        offset += flen
    return nrec, hdr_len, rec_len, fields


def _dbf_text_cells(data: bytes) -> list[tuple[bytes, int]]:
    """Non-ASCII field names and text columns of a .dbf as ``(bytes, cell width)``.

    Each text column is the concatenation of its distinct non-ASCII cells
    (the first ``_DETECT_SAMPLE`` records), so one decode checks it all.
    """
    nrec, hdr_len, rec_len, fields = _dbf_layout(data)
    cells = [(name, len(name)) for name, *_ in fields if any(b >= 0x80 for b in name)]
    n = min(nrec, _DETECT_SAMPLE, max(0, (len(data) - hdr_len) // max(rec_len, 1)))
    if n == 0 or rec_len == 0:
        return cells
    table = np.frombuffer(data, dtype=np.uint8, count=n * rec_len, offset=hdr_len)
    table = table.reshape(n, rec_len)
    for _, ftype, off, flen in fields:
        if ftype != "C" or flen == 0 or off + flen > rec_len:
            continue
        block = table[:, off : off + flen]
        rows = np.ascontiguousarray(block[(block >= 0x80).any(axis=1)])
        if len(rows):
            distinct = np.unique(rows.view(f"V{flen}").ravel())
            cells.append((distinct.tobytes(), flen))
    return cells


def _clean_decode(cells: Sequence[tuple[bytes, int]], codec: str) -> list[str] | None:
    """Decoded text, or None if any cell is not valid in ``codec``.

    A multibyte character cut off at the end of a cell is accepted: writers
    truncate text to the field width in bytes, not characters.
    """
    out = []
    for blob, width in cells:
        try:
            out.append(blob.decode(codec))
            continue
        except UnicodeDecodeError:
            pass
        for k in range(0, len(blob), width):
            cell = blob[k : k + width].rstrip(b" \x00")
            try:
                out.append(cell.decode(codec))
            except UnicodeDecodeError as exc:
                if exc.start < len(cell) - 3:
                    return None
                try:
                    out.append(cell[: exc.start].decode(codec))
                except UnicodeDecodeError:
                    return None
    return out


def _guess_encoding(cells: Sequence[tuple[bytes, int]]) -> tuple[str, str | None]:
    """Encoding of raw dbf text and a note when the guess is weak."""
    if not cells:
        return "ASCII", None
    if _clean_decode(cells, "utf-8") is not None:
        return "UTF-8", None
    texts = _clean_decode(cells, "gb18030")
    if texts is not None:
        chars = Counter(c for t in texts for c in t if ord(c) >= 0x80)
        total = sum(chars.values())
        common = sum(k for c, k in chars.items() if _in_gb2312(c))
        # GBK text is mostly GB 2312 characters; other bytes read as GBK are mostly not
        if total and common / total >= 0.5:
            return "GB18030", None
        latin = _clean_decode(cells, "latin-1") or []
        if latin and all(
            ord(c) < 0x80 or (0xC0 <= ord(c) <= 0xFF and c.isalpha()) for t in latin for c in t
        ):
            return "ISO-8859-1", None
    return "GB18030", (
        "编码无法可靠判断，按 GB18030 读取；如有乱码请在项目文件中指定 encoding / "
        "encoding uncertain, read as GB18030"
    )


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _choose_encoding(
    dbf: bytes | None, cpg: bytes | None, option: str | None
) -> tuple[str, str, list[str]]:
    """(GDAL encoding, how it was chosen, notes) for one shapefile."""
    notes: list[str] = []
    if cpg is not None:
        text = cpg.decode("ascii", "replace")
        enc = normalise_encoding(text)
        if enc is not None:
            if option and normalise_encoding(option) not in (None, enc):
                notes.append(
                    f".cpg 声明 {text.strip()}，与项目文件 encoding = {option!r} 不一致，按 .cpg 读取"
                    " / .cpg and option disagree; .cpg used"
                )
            return enc, ".cpg", notes
        notes.append(f".cpg 内容无法识别（{text.strip()!r}）/ unknown .cpg code page")
    if option:
        return normalise_encoding(option) or option, "option", notes
    if dbf is None:
        return "UTF-8", "default", notes
    ldid = dbf[29] if len(dbf) > 29 else 0
    cells = _dbf_text_cells(dbf)
    if ldid in _LDID:
        enc = _LDID[ldid]
        if _clean_decode(cells, _PY_NAME.get(enc, enc)) is not None:
            return enc, "LDID", notes
        notes.append(
            f"LDID 0x{ldid:02X} 声明 {enc}，但数据不符，改为自动判断 / LDID contradicted by the data"
        )
    enc, note = _guess_encoding(cells)
    if note:
        notes.append(note)
    return enc, "detected", notes


def detect_dbf_encoding(dbf_path: str | Path) -> tuple[str, str]:
    """Encoding of a shapefile's .dbf and how it was found.

    Order: a ``.cpg`` beside the file; the LDID byte (header byte 29) when it
    names an East-Asian code page (0x4D/0x7A → GB18030 (GBK), 0x4F/0x78 →
    Big5); else the raw bytes of the field names and text fields: valid
    multibyte UTF-8 → ``"UTF-8"``; bytes that decode as GB18030 to mostly
    common (GB 2312) characters → ``"GB18030"``; Latin letters →
    ``"ISO-8859-1"``; pure ASCII → ``"ASCII"``. Big5 without .cpg cannot be
    told from GBK: name it in the project file.

    Parameters
    ----------
    dbf_path : str or Path
        The ``.dbf`` (or the ``.shp``; its ``.dbf`` is used).

    Returns
    -------
    (encoding, how)
        GDAL encoding name and one of ``".cpg"``, ``"LDID"``, ``"detected"``.

    Examples
    --------
    >>> detect_dbf_encoding("parcels.dbf")  # doctest: +SKIP
    ('GB18030', 'detected')
    """
    ds = _Dataset(Path(dbf_path).with_suffix(".shp"), str(dbf_path))
    dbf = ds.sidecar(".dbf", _DETECT_BYTES)
    if dbf is None:
        raise InputFileError("找不到 .dbf 文件 / .dbf not found", file=str(dbf_path))
    enc, how, _ = _choose_encoding(dbf, ds.sidecar(".cpg"), None)
    return enc, how


def _broken_names(dbf: bytes, enc: str) -> bool:
    codec = _PY_NAME.get(enc, enc)
    try:
        for name, *_ in _dbf_layout(dbf)[3]:
            name.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return True
    return False


def _fixed_header(dbf: bytes, enc: str) -> tuple[bytes, list[str]]:
    """The .dbf with field names cut mid-character trimmed to whole characters."""
    codec = _PY_NAME.get(enc, enc)
    out = bytearray(dbf)
    fixed = []
    for i, (name, *_) in enumerate(_dbf_layout(dbf)[3]):
        try:
            name.decode(codec)
            continue
        except UnicodeDecodeError as exc:
            good = name[: exc.start]
        pos = 32 + 32 * i
        out[pos : pos + 11] = good.ljust(11, b"\x00")
        fixed.append(good.decode(codec, "replace"))
    return bytes(out), fixed


@contextmanager
def _readable(ds: _Dataset, enc: str, dbf: bytes | None) -> Iterator[tuple[str, list[str]]]:
    """GDAL path of a shapefile, patched in a temporary copy if its field names are cut.

    GDAL cuts long UTF-8 field names at 10 bytes, mid-character, and then
    cannot read them back; only such files are copied.
    """
    if dbf is None or not _broken_names(dbf, enc):
        yield ds.gdal_path, []
        return
    fixed_dbf, fixed = _fixed_header(ds.sidecar(".dbf") or dbf, enc)
    with tempfile.TemporaryDirectory(prefix="landclear-") as tmp:
        target = Path(tmp) / "layer.shp"
        for suffix in (".shp", ".shx", ".prj"):
            if ds.member is None:
                src = ds.path.with_suffix(suffix)
                if src.exists():
                    shutil.copyfile(src, target.with_suffix(suffix))
                continue
            data = ds.read_bytes() if suffix == ".shp" else ds.sidecar(suffix)
            if data is not None:
                target.with_suffix(suffix).write_bytes(data)
        target.with_suffix(".dbf").write_bytes(fixed_dbf)
        yield str(target), fixed


# --------------------------------------------------------------------------- reading


def _read_ogr(path: str | bytes, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    kwargs = {"layer": layer, "encoding": encoding}
    with gc_paused():  # one geometry object per feature
        try:
            return pyogrio.read_dataframe(path, use_arrow=True, **kwargs)
        except Exception:  # noqa: BLE001 - arrow readers refuse some encodings/drivers; retry
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return pyogrio.read_dataframe(path, use_arrow=False, **kwargs)


def _choose_layer(ds: _Dataset, layer: str | None, rec: InputRecord, log: QualityLog) -> str | None:
    try:
        layers = pyogrio.list_layers(ds.gdal_path)
    except Exception:  # noqa: BLE001 - single-layer formats answer in read
        return layer
    names = [str(n) for n, _ in layers]
    spatial = [str(n) for n, g in layers if g is not None] or names
    if layer is not None:
        if layer not in names:
            raise InputFileError(
                f"图层 {layer!r} 不存在；文件中的图层：{', '.join(names)} / layer not found",
                file=ds.shown,
            )
        return layer
    if len(spatial) > 1:
        msg = (
            f"文件有 {len(spatial)} 个图层（{', '.join(spatial)}），读取第一个 {spatial[0]!r}；"
            f'可在项目文件 [inputs.{rec.name}_options] layer = "…" 指定 / several layers, first read'
        )
        log.warn(msg, input=rec.name, file=ds.shown)
        rec.notes.append(f"{ds.shown}: {msg}")
    return spatial[0] if spatial else None


def _read_dataset(
    ds: _Dataset, *, encoding: str | None, layer: str | None, rec: InputRecord, log: QualityLog
) -> tuple[gpd.GeoDataFrame, str]:
    """Raw GeoDataFrame of one dataset and the encoding label to record."""
    suffix = ds.suffix
    try:
        if suffix in (".parquet", ".geoparquet"):
            src = io.BytesIO(ds.read_bytes()) if ds.member else ds.path
            with gc_paused():  # one geometry object per row
                gdf = gpd.read_parquet(src)
            if gdf.geometry.name != "geometry":
                gdf = gdf.rename_geometry("geometry")
            return gdf, "UTF-8 (Parquet)"
        if suffix in (".geojson", ".json"):
            return _read_geojson(ds, encoding)
        if suffix == ".shp":
            dbf = ds.sidecar(".dbf", _DETECT_BYTES)
            enc, how, notes = _choose_encoding(dbf, ds.sidecar(".cpg"), encoding)
            for note in notes:
                rec.notes.append(f"{ds.shown}: {note}")
                log.warn(note, input=rec.name, file=ds.shown)
            with _readable(ds, enc, dbf) as (path, fixed):
                gdf = _read_ogr(path, layer=None, encoding="UTF-8" if enc == "ASCII" else enc)
            if fixed:
                rec.notes.append(
                    f"{ds.shown}: 字段名在 10 字节处被截断，已去掉不完整的字符：{', '.join(fixed)}"
                    " / field names cut mid-character were trimmed"
                )
            return gdf, f"{enc} ({how})"
        if encoding:
            rec.notes.append(f"{ds.shown}: encoding 选项只用于 shapefile / encoding option ignored")
        chosen = _choose_layer(ds, layer, rec, log)
        label = "UTF-8 (GeoPackage)" if suffix == ".gpkg" else "UTF-8"
        return _read_ogr(ds.gdal_path, layer=chosen, encoding=None), label
    except (InputFileError, CRSError):
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL/arrow errors become one readable error
        raise InputFileError(f"无法读取：{exc} / cannot read the file", file=ds.shown) from exc


def _read_geojson(ds: _Dataset, encoding: str | None) -> tuple[gpd.GeoDataFrame, str]:
    """GeoJSON, also GBK-encoded files and the bare JSON array of Features (DataV)."""
    raw = ds.read_bytes()
    label = "UTF-8 (GeoJSON)"
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    changed = body is not raw
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        enc = normalise_encoding(encoding) if encoding else "GB18030"
        body = body.decode(_PY_NAME.get(enc or "GB18030", "gb18030"), "replace").encode("utf-8")
        label, changed = f"{enc} ({'option' if encoding else 'detected'})", True
    if body.lstrip()[:1] == b"[":
        features = json.loads(body)
        body = json.dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")
        label, changed = label + "; 裸要素数组 / bare Feature array", True
    return _read_ogr(body if changed else ds.gdal_path, layer=None, encoding=None), label


# --------------------------------------------------------------------------- CRS


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def _declared(option: str | None) -> str | None:
    if option is None:
        return None
    key = option.upper().replace("-", "").replace("_", "").replace(" ", "")
    return _GCJ.get(key)


def _to_output_crs(
    gdf: gpd.GeoDataFrame,
    option: str | None,
    ds: _Dataset,
    rec: InputRecord,
    log: QualityLog,
    region: tuple[float, float, float, float] | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject one dataset to EPSG:4490; return it and the CRS label to record.

    ``region`` (lon/lat box of the study area) adds the check that the data
    fall inside it, naming the GK zone that would put them there.
    """
    file_crs = gdf.crs
    shifted = _declared(option)
    if shifted and (file_crs is None or file_crs.is_geographic):
        from landclear.geo import from_declared_crs

        if file_crs is not None:
            rec.notes.append(
                f"{ds.shown}: 文件标注 {_crs_label(file_crs)}，按项目文件按 {shifted} 处理"
                " / file label overridden by declared shifted datum"
            )
        try:
            return from_declared_crs(gdf, shifted), f"{shifted} (option)"
        except CRSError as exc:
            raise CRSError(exc.message, file=ds.shown) from exc
    opt_crs = None
    if option and not shifted:
        try:
            opt_crs = CRS.from_user_input(option)
        except Exception as exc:  # noqa: BLE001 - pyproj raises CRSError subclasses
            raise CRSError(
                f'无法识别的坐标系 crs = {option!r}（例如 "EPSG:4545"）/ unknown CRS',
                file=ds.shown,
            ) from exc
    shapefile = isinstance(ds, _Dataset) and ds.suffix == ".shp"  # PostGIS passes a stand-in
    prj = ds.sidecar(".prj", 4096) if file_crs is None and shapefile else None
    if prj is not None:  # a .prj GDAL cannot parse is not the same as no .prj
        shown_prj = prj.decode("utf-8", "replace").strip()[:60]
        if opt_crs is None:
            raise CRSError(
                f"无法识别 .prj 文件中的坐标系（内容：{shown_prj!r}）；请换用正确的 .prj，或在项目文件 "
                f'[inputs.{rec.name}_options] crs = "EPSG:4545" 指定 / unreadable .prj',
                file=ds.shown,
            )
        rec.notes.append(f"{ds.shown}: .prj 无法识别，按项目文件 crs 读取 / unreadable .prj")
    if file_crs is None:
        if opt_crs is None:
            raise CRSError(
                f"缺少坐标系（没有 .prj 或坐标系定义）；请在项目文件 [inputs.{rec.name}_options] "
                f'crs = "EPSG:4545" 指定，例如 CGCS2000 3度带 EPSG:4544（中央经线105°）或 '
                f"EPSG:4545（108°）/ no CRS in the file: set crs in the project file",
                file=ds.shown,
            )
        gdf = gdf.set_crs(opt_crs)
        label = f"{_crs_label(opt_crs)} (option)"
    else:
        label = _crs_label(file_crs)
        other = opt_crs or (option if shifted else None)
        if other is not None and not (
            opt_crs is not None and file_crs.equals(opt_crs, ignore_axis_order=True)
        ):
            shown_opt = _crs_label(opt_crs) if opt_crs is not None else str(option)
            msg = (
                f"文件坐标系 {label} 与项目文件 crs = {shown_opt} 不一致，使用文件中的坐标系"
                " / file CRS differs from the option; the file's is used"
            )
            log.warn(msg, input=rec.name, file=ds.shown)
            rec.notes.append(f"{ds.shown}: {msg}")
    # Coordinates that do not fit their declared CRS (a GK zone prefix in a
    # no-prefix CRS, the wrong zone, swapped axes) are warned about before reprojection.
    from landclear.geo import bounds_text, check_plausible, is_degrees, likely_crs

    problem = check_plausible(gdf, region)
    bounds = np.asarray(gdf.total_bounds, dtype=np.float64)
    finite = bool(len(gdf)) and np.isfinite(bounds).all()
    if finite and gdf.crs.is_geographic and not is_degrees(bounds):
        # Metres labelled as degrees: every later step (area, maps) would fail or lie.
        raise CRSError(
            f"坐标系 {label} 是经纬度，但坐标范围 {bounds_text(bounds)} 不是有效的度数"
            f"（像投影坐标，单位米）；{likely_crs(bounds, region)}。请修正 .prj，或在项目文件 "
            f"[inputs.{rec.name}_options] crs 中写明 / coordinates are not degrees: wrong CRS",
            file=ds.shown,
        )
    if problem:
        log.warn(f"{ds.shown}: {problem}", input=rec.name, file=ds.shown, kind="crs_plausibility")
    if not gdf.crs.equals(CRS.from_user_input(OUTPUT_CRS)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = gdf.to_crs(OUTPUT_CRS)
        if finite and not np.isfinite(np.asarray(out.total_bounds, dtype=np.float64)).all():
            # e.g. GK eastings with a zone prefix (36xxxxxx) in a CRS without one
            raise CRSError(
                f"坐标无法按 {label} 转换为经纬度（坐标范围 {bounds_text(bounds)}），坐标与坐标系不符"
                f"{'：' + problem if problem else '；' + likely_crs(bounds, region)}。请修正 .prj，或在"
                f"项目文件 [inputs.{rec.name}_options] crs 中写明 / coordinates do not fit the CRS",
                file=ds.shown,
            )
        gdf = out
    return gdf, label


def _check_extent(gdf: gpd.GeoDataFrame, ds: _Dataset, rec: InputRecord, log: QualityLog) -> None:
    if gdf.empty:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (
        np.isfinite([minx, maxx]).all() and 73 <= minx <= maxx <= 136 and 3 <= miny <= maxy <= 54
    ):
        msg = (
            f"坐标转换后超出中国范围（{minx:.3f}, {miny:.3f} – {maxx:.3f}, {maxy:.3f}），坐标系可能有误"
            " / coordinates fall outside China: wrong CRS?"
        )
        log.warn(msg, input=rec.name, file=ds.shown)
        rec.notes.append(f"{ds.shown}: {msg}")


# --------------------------------------------------------------------------- headers


def _map_columns(
    gdf: gpd.GeoDataFrame,
    input_name: str,
    columns: Mapping[str, str] | None,
    ds: _Dataset,
    rec: InputRecord,
    log: QualityLog | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    hm = map_headers(attrs, input_name, overrides=columns)
    rec.notes.extend(f"{ds.shown}: {n}" for n in hm.notes)
    have = hm.canonical
    table = aliases().get(input_name, {})
    groups = [(c,) for c in REQUIRED.get(input_name, ())] + list(REQUIRED_ANY.get(input_name, ()))
    for group in groups:
        if have & set(group):
            continue
        name = group[0]
        common = "、".join(table.get(name, [])[:4]) or name
        given = (columns or {}).get(name)
        hint = (
            f"项目文件 [columns.{input_name}] 中 {name} = {given!r} 在文件中找不到"
            if given
            else f'如表头不同，请在项目文件 [columns.{input_name}] 中指定，例如 {name} = "文件中的列名"'
        )
        raise MissingColumnError(
            f"缺少必需列 {' / '.join(group)}（常见表头：{common}）。{hint}。"
            f"文件中的列：{', '.join(attrs) or '（无）'} / missing required column",
            file=ds.shown,
            column=name,
        )
    for canonical, header in (columns or {}).items():
        if canonical not in have:
            # A quality warning, as for the ledgers: the column is silently empty otherwise.
            msg = f"[columns.{input_name}] {canonical} = {header!r}: 文件中没有该列 / header not found"
            if log is not None:
                log.warn(msg, input=input_name, file=ds.shown, column=canonical)
            else:
                rec.notes.append(f"{ds.shown}: {msg}")
    reserved = set(hm.mapping.values()) | {SOURCE_FILE, SOURCE_ROW, "geometry"}
    rename = dict(hm.mapping)
    for h in hm.unmapped:
        if h in reserved:
            rename[h] = f"{h}_原"
    return gdf.rename(columns=rename), hm.units


# --------------------------------------------------------------------------- geometry


def _polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygons of each geometry: Polygon, MultiPolygon, or None when none."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # collections may hold multipolygons: split until only simple parts remain
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        idx = idx[sub]
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
    parts, idx = parts[keep], idx[keep]
    out = np.full(len(geoms), None, dtype=object)
    if not len(parts):
        return out
    owners, counts = np.unique(idx, return_counts=True)
    single = owners[counts == 1]
    is_single = np.isin(idx, single)
    out[idx[is_single]] = parts[is_single]
    multi = ~is_single
    if multi.any():
        rank = np.searchsorted(np.unique(idx[multi]), idx[multi])
        out[np.unique(idx[multi])] = shapely.multipolygons(parts[multi], indices=rank)
    return out


def _clean_geometry(gdf: gpd.GeoDataFrame, ds: _Dataset, rec: InputRecord) -> gpd.GeoDataFrame:
    """Drop empty and non-polygonal rows, repair invalid ones; all logged by row.

    Runs in the source CRS, before reprojection: reprojecting a collapsed
    (zero-area) ring to degrees can bend it into a tiny valid polygon, so the
    check must see the coordinates as drawn. A polygon with zero area and
    nothing polygonal left after repair is rejected as zero-area.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    rows = gdf[SOURCE_ROW].to_numpy()
    if len(geoms) and shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        rec.notes.append(f"{ds.shown}: 已去掉 Z/M 坐标 / Z/M coordinates dropped")
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rec.reject(ds.shown, rows[empty], "几何为空 / empty geometry", "geometry")

    types = shapely.get_type_id(geoms)
    collection = ~empty & (types == 7)
    wrong = ~empty & ~np.isin(types, (3, 6, 7))
    if wrong.any():
        reasons = [
            f"几何类型为 {_TYPE_NAMES.get(int(t), t)}，不是面 / not a polygon" for t in types[wrong]
        ]
        rec.reject(ds.shown, rows[wrong], reasons, "geometry")

    candidates = ~empty & ~wrong
    invalid = candidates & ~shapely.is_valid(geoms)
    fix = invalid | collection
    if fix.any():
        why = np.where(
            invalid[fix], shapely.is_valid_reason(geoms[fix]), "几何集合 / GeometryCollection"
        )
        try:
            repaired = shapely.make_valid(geoms[fix], method="structure", keep_collapsed=False)
        except (TypeError, ValueError, shapely.errors.GEOSException):
            repaired = shapely.make_valid(geoms[fix])
        polys = _polygonal_parts(repaired)
        lost = pd.isna(polys)
        fixed_rows = rows[fix]
        if lost.any():
            flat = shapely.area(geoms[fix][lost]) == 0
            rec.reject(
                ds.shown,
                fixed_rows[lost],
                [
                    f"面积为零（面退化为线或点，{w}）/ zero-area polygon"
                    if z
                    else f"几何无效且修复后不含面（{w}）/ no polygon left after repair"
                    for w, z in zip(why[lost], flat, strict=True)
                ],
                "geometry",
            )
        if (~lost).any():
            rec.repair(
                ds.shown,
                fixed_rows[~lost],
                [
                    f"无效几何已修复（{w}），保留面部分 / invalid geometry repaired"
                    for w in why[~lost]
                ],
                "geometry",
            )
        geoms = geoms.copy()
        geoms[np.flatnonzero(fix)] = polys
        drop = np.zeros(len(geoms), dtype=bool)
        drop[np.flatnonzero(fix)[lost]] = True
    else:
        drop = np.zeros(len(geoms), dtype=bool)
    keep = ~(empty | wrong | drop)
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return out.loc[keep]


# --------------------------------------------------------------------------- public


def read_vectors(
    sources: str | Path | Sequence[str | Path],
    *,
    input_name: str = "parcels",
    encoding: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    log: QualityLog | None = None,
    base_dir: str | Path | None = None,
    units: Mapping[str, str] | None = None,
    region: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read polygon layers into one GeoDataFrame in EPSG:4490 with canonical names.

    Parameters
    ----------
    sources : str, Path or list of them
        Paths or glob patterns relative to ``base_dir``: shapefiles (also a
        ``.zip`` holding one or more), GeoPackage, GeoJSON (also a bare JSON
        array of Features), GeoParquet. Several files are concatenated.
    input_name : str
        ``"parcels"``, ``"parks"`` or ``"buildings"``: selects header aliases,
        required columns and the quality-log record.
    encoding : str, optional
        Shapefile .dbf encoding when there is no .cpg (``"gbk"``).
    crs : str, optional
        CRS of files that have none (``"EPSG:4545"``); ``"GCJ-02"`` or
        ``"BD-09"`` declare shifted lon/lat (web maps) and are converted.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage); default the first.
    columns : mapping, optional
        ``{canonical: header in the file}`` (project ``[columns.<input>]``).
    log : QualityLog, optional
        Receives files, encoding, CRS, rows read, rejections and repairs.
    base_dir : str or Path, optional
        Directory relative paths start from (the project file's).
    units : mapping, optional
        ``{canonical: unit}`` (project ``[inputs.<input>]_options units``), over
        the unit of every file's header.
    region : (min lon, min lat, max lon, max lat), optional
        The study area (:func:`landclear.geo.study_region` of the project's
        city): a file lying outside it is a ``crs_plausibility`` warning naming
        the GK zone that would put it inside (a wrong zone in the .prj).

    Returns
    -------
    GeoDataFrame
        EPSG:4490; canonical columns, unmapped columns under their own names,
        ``source_file``, ``source_row`` (1-based feature number), polygonal
        ``geometry``. Values are raw, except columns with a unit (in the
        header or ``units``): those are converted per file, before the files
        are concatenated, to the canonical unit (亩, 万元 …) by
        :func:`landclear.io.parse.harmonise`, since two files may write the
        same column in different units. ``attrs["units"]`` holds the header
        units found, per column (the first file's when files differ).

    Raises
    ------
    InputFileError, MissingColumnError, CRSError, DataError

    Examples
    --------
    >>> log = QualityLog()
    >>> gdf = read_vectors("parcels/*.shp", crs="EPSG:4545", log=log)  # doctest: +SKIP
    >>> log.inputs["parcels"].encoding  # doctest: +SKIP
    'GB18030 (detected)'
    """
    log = log if log is not None else QualityLog()
    if encoding is not None:
        encoding = option_encoding(encoding, input_name)  # one clear error, before any file
    rec = log.input(input_name)
    frames: list[gpd.GeoDataFrame] = []
    found_units: dict[str, str] = {}
    encodings: list[str] = []
    crss: list[str] = []
    for path, shown in _expand(sources, base_dir):
        for ds in _datasets(path, shown):
            raw, enc_label = _read_dataset(ds, encoding=encoding, layer=layer, rec=rec, log=log)
            rec.files.append(ds.shown)
            rec.rows_read += len(raw)
            if len(raw) == 0:
                log.warn("文件没有要素 / no features", input=input_name, file=ds.shown)
            mapped, file_units = _map_columns(raw, input_name, columns, ds, rec, log)
            mapped[SOURCE_FILE] = ds.shown
            mapped[SOURCE_ROW] = np.arange(1, len(mapped) + 1, dtype=np.int64)
            n_rejected = rec.rows_rejected
            clean = _clean_geometry(mapped, ds, rec)  # in the source CRS, before reprojection
            if len(raw) and clean.empty:
                reasons = pd.Series([r["reason"] for r in rec.rejected[n_rejected:]]).value_counts()
                raise DataError(
                    f"全部 {len(raw)} 个要素均被拒绝，主要原因：{reasons.index[0]} / every feature rejected",
                    file=ds.shown,
                )
            clean, crs_label = _to_output_crs(clean, crs, ds, rec, log, region)
            _check_extent(clean, ds, rec, log)
            for k, v in file_units.items():
                if found_units.setdefault(k, v) != v:
                    rec.notes.append(
                        f"{ds.shown}: {k} 单位 {v} 与其他文件 {found_units[k]} 不同，"
                        "已按各自文件的单位换算 / unit differs; each file converted by its own"
                    )
            clean = _convert_units(clean, input_name, {**file_units, **(units or {})}, log)
            encodings.append(enc_label)
            crss.append(crs_label)
            frames.append(clean)
    rec.encoding = "; ".join(dict.fromkeys(encodings)) or None
    rec.crs = "; ".join(dict.fromkeys(crss)) or None
    out = (
        pd.concat(frames, ignore_index=True)
        if len(frames) > 1
        else frames[0].reset_index(drop=True)
    )
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=OUTPUT_CRS)
    ordered = [c for c in out.columns if c not in (SOURCE_FILE, SOURCE_ROW, "geometry")]
    out = out[[*ordered, SOURCE_FILE, SOURCE_ROW, "geometry"]]
    out[SOURCE_ROW] = out[SOURCE_ROW].astype("int64")
    out.attrs["units"] = found_units
    return out


def _convert_units(
    gdf: gpd.GeoDataFrame, input_name: str, units: Mapping[str, str], log: QualityLog
) -> gpd.GeoDataFrame:
    """Columns with a unit converted to their canonical unit (float), the rest untouched."""
    from landclear.io.parse import harmonise

    cols = [c for c in units if c in gdf.columns]
    if not cols:
        return gdf
    part = harmonise(
        pd.DataFrame(gdf[[*cols, SOURCE_FILE, SOURCE_ROW]]), input_name, dict(units), log
    )
    gdf = gdf.copy()
    for c in cols:
        gdf[c] = part[c]
    return gdf
