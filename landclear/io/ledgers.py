"""Read bureau ledgers (Excel / CSV) into frames with canonical column names.

Real ledgers have a title row, a "填报单位：…" line, merged cells, a 序号
column, a 合计 row, blank rows, units in headers and dates typed in several
styles (DOMAIN §4). :func:`read_ledger` finds the header row, skips the
non-data rows (and logs them as skipped), maps the headers
(:func:`landclear.io.headers.map_headers`), then converts values
(:func:`landclear.io.parse.harmonise`). Every output row keeps its source file
name and the 1-based row number as Excel shows it.

Excel files are read with python-calamine (fast; it reports merged ranges,
which are filled with their top-left value); from :data:`FAST_XLSX_MIN_BYTES`
.xlsx sheets are read by :mod:`landclear.io.xlsx`, which gives the same cell
values in less time and leaves what it does not handle to calamine. Small .xlsx files (< 5 MB) are
also opened once with openpyxl to find formula cells that carry no cached
value (saved by a tool that does not compute formulas): those read as empty
and are reported as a warning.
"""

from __future__ import annotations

import csv
import difflib
import glob
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landclear._memory import gc_paused
from landclear.arrays import nfkc
from landclear.errors import InputFileError, MissingColumnError, ProjectError
from landclear.ids import WHITESPACE
from landclear.io.headers import map_headers, normalise_header
from landclear.io.parse import harmonise
from landclear.quality import QualityLog
from landclear.schema import FIELDS, MONEY, REQUIRED, REQUIRED_ANY, SOURCE_FILE, SOURCE_ROW

__all__ = ["HEADER_SCAN_ROWS", "read_ledger", "resolve_sources"]

#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 20
#: Above this size, .xlsx files are not re-opened with openpyxl for formula checks.
FORMULA_CHECK_MAX_BYTES = 5 * 1024 * 1024
#: From this size, .xlsx sheets are read by :mod:`landclear.io.xlsx` (calamine below it,
#: and for whatever that reader leaves to calamine): the same values, in less time.
FAST_XLSX_MIN_BYTES = 2 * 1024 * 1024

_EXCEL = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_TEXT = {".csv", ".txt", ".tsv"}
_SERIAL_HEADERS = {"序号", "序", "no", "no.", "编号序号"}
_TOTAL_PREFIXES = ("合计", "小计", "总计", "总合计", "其中:")
_NOTE_PREFIXES = (
    "注", "备注", "说明", "填表人", "填报人", "制表人", "制表", "审核人", "审核", "负责人",
    "联系人", "联系电话", "填表日期", "填报日期", "制表日期", "数据来源",
)  # fmt: skip
# "单位：万元" on a line above the header sets the money unit of the whole sheet;
# "填报单位：" names the bureau and must not match.
_SHEET_UNIT = re.compile(
    r"(?<!填报)(?<!报送)(?<!填表)单位[:：]\s*(亿元|万元|元)(?![\u4e00-\u9fff])"
)

_EMPTY_DTYPES = {
    "str": "string",
    "code": "string",
    "date": "datetime64[ns]",
    "number": "float64",
    "int": "Int64",
    "bool": "boolean",
}


@dataclass
class _Sheet:
    """One sheet (or CSV) as a rectangular grid of raw cells."""

    path: Path
    name: str | None
    grid: list[list[Any]]  # every row; only the top rows when ``columns`` is set
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    columns: list[np.ndarray] | None = None  # every row, by column (the fast .xlsx reader)
    blank: np.ndarray | None = None  # (rows, columns) emptiness of ``columns``
    encoding: str | None = None
    formulas: list[tuple[int, int]] = field(default_factory=list)  # 0-based, no cached value
    formulas_unchecked: bool = False  # a large workbook with formulas, not itemised
    units: dict[str, str] = field(default_factory=dict)  # project units, over the header's


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def resolve_sources(sources: Any, base_dir: str | Path | None) -> list[Path]:
    """Expand paths and globs (relative to ``base_dir``) into existing files."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    files: list[Path] = []
    for src in sources:
        path = Path(src)
        if not path.is_absolute():
            path = base / path
        if glob.has_magic(str(path)):
            hits = sorted(Path(p) for p in glob.glob(str(path)))
            if not hits:
                raise InputFileError(
                    "没有文件与该模式匹配 / no file matches this pattern", file=src
                )
            files.extend(hits)
        elif path.is_dir():
            raise InputFileError(
                "这是一个文件夹,不是台账文件;请写出文件名或通配符(如 ledgers/*.xlsx)"
                " / is a directory, not a ledger file",
                file=path,
            )
        elif not path.is_file():
            raise InputFileError("文件不存在 / file not found", file=path)
        else:
            files.append(path)
    if not files:
        raise InputFileError("没有指定输入文件 / no input file given")
    return files


def _read_text(path: Path, encoding: str | None = None, input_name: str = "") -> _Sheet:
    """A CSV/TSV as a grid: UTF-8 (BOM allowed), else GB18030, or the ``encoding`` given.

    A declared encoding is strict: text that does not decode in it is an
    :class:`InputFileError` naming the line, not silently replaced characters.
    """
    data = path.read_bytes()
    if encoding is not None:
        import codecs

        from landclear.io.vectors import option_encoding, python_codec

        gdal = option_encoding(encoding, input_name, path)
        codec = codecs.lookup(python_codec(gdal)).name
        codec = "utf-8-sig" if codec == "utf-8" else codec
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputFileError(
                f"该行起不是 {encoding} 编码的文本；请检查项目文件 "
                f"[inputs.{input_name}_options] encoding / not valid {encoding} from this line",
                file=path,
                row=line,
            ) from None
        label = f"{gdal} (option)"
    else:
        for label in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(label)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes almost any byte string
            raise InputFileError(
                "无法识别文件编码(试过 UTF-8 与 GB18030) / unknown encoding", file=path
            )
        label = "utf-8" if label == "utf-8-sig" else label
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _Sheet(path, None, rows, encoding=label)


def _open_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types
        raise InputFileError(
            f"无法读取 Excel 文件(已损坏、加密或不是 Excel 格式):{exc} / cannot read the workbook",
            file=path,
        ) from exc


def _header_score(grid: list[list[Any]], input_name: str, overrides: Mapping[str, str]) -> int:
    best = 0
    for row in grid[:HEADER_SCAN_ROWS]:
        names = [t for t in (_cell_text(v) for v in row) if t]
        if names:
            best = max(best, len(map_headers(names, input_name, overrides).mapping))
    return best


def _read_large_xlsx(path: Path, sheet: int | str | None) -> _Sheet | None:
    """A large .xlsx through :func:`landclear.io.xlsx.read_columns`, or None for calamine.

    Small workbooks with formulas go to calamine too: openpyxl itemises their
    formula cells without a cached value, which this reader does not.
    """
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return None
    size = path.stat().st_size
    if size < FAST_XLSX_MIN_BYTES:
        return None
    from landclear.io.xlsx import read_columns

    with gc_paused():  # an object per cell
        read = read_columns(path, sheet)
    if read is None or (read.has_formulas and size <= FORMULA_CHECK_MAX_BYTES):
        return None
    blank = read.blank
    columns = read.columns
    for (r0, c0), (r1, c1) in read.merged:
        if r0 >= read.nrows or c0 >= len(columns):
            continue
        r1, c1 = min(r1, read.nrows - 1), min(c1, len(columns) - 1)
        value, empty = columns[c0][r0], blank[r0, c0]
        for c in range(c0, c1 + 1):
            columns[c][r0 : r1 + 1] = value
        blank[r0 : r1 + 1, c0 : c1 + 1] = empty
    top = [[c[i] for c in columns] for i in range(min(read.nrows, HEADER_SCAN_ROWS + 2))]
    # Workbooks this large with formulas are not itemised (as with calamine, below).
    return _Sheet(path, read.name, top, columns=columns, blank=blank,
                  formulas_unchecked=read.has_formulas)  # fmt: skip


def _read_excel(
    path: Path, sheet: int | str | None, input_name: str, overrides: Mapping[str, str]
) -> _Sheet:
    wb = _open_workbook(path)
    try:
        names = [
            m.name
            for m in wb.sheets_metadata
            if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith("Visible")
        ] or list(wb.sheet_names)
        if isinstance(sheet, int):
            if not 0 <= sheet < len(wb.sheet_names):
                raise InputFileError(
                    f"工作表序号 {sheet} 超出范围(共 {len(wb.sheet_names)} 个) / no such sheet",
                    file=path,
                )
            chosen = wb.sheet_names[sheet]
        elif isinstance(sheet, str):
            if sheet not in wb.sheet_names:
                raise InputFileError(
                    f"没有名为 {sheet!r} 的工作表,现有:{wb.sheet_names} / no such sheet", file=path
                )
            chosen = sheet
        elif len(names) == 1:
            chosen = names[0]
        else:
            # A workbook often starts with a 说明 sheet: take the sheet whose top rows
            # look most like this input's header.
            scores = [
                _header_score(
                    wb.get_sheet_by_name(n).to_python(
                        skip_empty_area=False, nrows=HEADER_SCAN_ROWS
                    ),
                    input_name,
                    overrides,
                )
                for n in names
            ]
            chosen = names[int(np.argmax(scores))]
        ws = wb.get_sheet_by_name(chosen)
        with gc_paused():  # a list per row and an object per cell
            grid = ws.to_python(skip_empty_area=False)
        merged = getattr(ws, "merged_cell_ranges", None)
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(f"读取工作表失败:{exc} / cannot read the sheet", file=path) from exc
    if merged is None:
        merged = _openpyxl_merged(path, chosen)
    return _Sheet(path, chosen, grid, list(merged or []))


def _openpyxl_merged(path: Path, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges via openpyxl, for readers that do not report them (small .xlsx only)."""
    if (
        path.suffix.lower() not in {".xlsx", ".xlsm"}
        or path.stat().st_size > FORMULA_CHECK_MAX_BYTES
    ):
        return []
    import openpyxl

    try:
        ws = openpyxl.load_workbook(path, read_only=False)[sheet]
    except Exception:
        return []
    return [
        ((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
        for r in ws.merged_cells.ranges
    ]


def _fill_merged(
    grid: list[list[Any]], merged: Iterable[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """Give every cell of a merged range its top-left value (in place)."""
    n = len(grid)
    for (r0, c0), (r1, c1) in merged:
        if r0 >= n or not grid[r0] or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        for r in range(r0, min(r1, n - 1) + 1):
            row = grid[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
#: Bytes before and after the "f" of a formula tag (``<f>``, ``<x:f t=…>``, ``<f/>``).
_TAG_OPEN = np.zeros(256, dtype=bool)
_TAG_OPEN[list(b"<:")] = True
_TAG_CLOSE = np.zeros(256, dtype=bool)
_TAG_CLOSE[list(b"> /\t\n\r\x0b\x0c")] = True


def _maybe_formula(block: bytes) -> bool:
    """Whether ``block`` may hold a formula tag: an "f" between "<" or ":" and its end.

    A vectorised pass over the bytes (a byte search for "<f" crawls, "<"
    being everywhere in XML); the regex confirms the rare hits.
    """
    data = np.frombuffer(block, dtype=np.uint8)
    at = np.flatnonzero(data[1:-1] == ord("f")) + 1
    return bool((_TAG_OPEN[data[at - 1]] & _TAG_CLOSE[data[at + 1]]).any())


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of an .xlsx holds a formula (a scan of its XML, no parsing)."""
    import zipfile

    from isal.isal_zlib import error as InflateError

    from landclear.io.xlsx import member_blocks

    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    tail = b""
                    for chunk in member_blocks(path, zf, info, 1 << 21):
                        block = tail + chunk
                        if _maybe_formula(block) and _FORMULA_TAG.search(block):
                            return True
                        tail = chunk[-16:]
    except (OSError, zipfile.BadZipFile, InflateError):
        return True  # let the full check decide
    return False


def _formula_scan(path: Path) -> Future[bool] | None:
    """Start :func:`_has_formulas` beside the sheet read (zlib releases the GIL)."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return None
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(_has_formulas, path)
    pool.shutdown(wait=False)
    return future


def _uncached_formulas(sheet: _Sheet, scan: Future[bool] | None) -> list[tuple[int, int]]:
    """Cells (0-based row, column) holding a formula without a cached value.

    Workbooks above :data:`FORMULA_CHECK_MAX_BYTES` that hold formulas are not
    itemised (openpyxl is slow on them): ``sheet.formulas_unchecked`` is set
    and one warning says so.
    """
    path = sheet.path
    if scan is None or not scan.result():
        return []
    if path.stat().st_size > FORMULA_CHECK_MAX_BYTES:
        sheet.formulas_unchecked = True
        return []
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        ws = wb[sheet.name] if sheet.name else wb.active
        cells = []
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    cached = (
                        sheet.grid[r][c] if r < len(sheet.grid) and c < len(sheet.grid[r]) else ""
                    )
                    if cached in ("", None):
                        cells.append((r, c))
        wb.close()
    except Exception:
        return []
    return cells


#: Characters a totals label starts with, and the compatibility blocks NFKC folds.
_TOTAL_CHARS = re.compile("[合小总其\u2e80-\u2fdf\uf900-\ufaff]")


def _flag_text(col: pd.Series, pattern: re.Pattern[str]) -> np.ndarray:
    """Cells that are text containing ``pattern``, as a numpy mask."""
    search = pattern.search
    values = col.to_numpy(dtype=object)
    return np.array([isinstance(x, str) and search(x) is not None for x in values], dtype=bool)


def _is_blank(frame: pd.DataFrame) -> np.ndarray:
    """Cell-wise emptiness of a raw object frame (None, NaN, '' or spaces).

    A plain loop over the cells: readers give Python objects (str, float,
    int, bool, datetime, None), and testing each one is faster than
    converting whole columns to pandas text.
    """
    out = np.empty(frame.shape, dtype=bool)
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        out[:, j] = [
            x is None or (x.__class__ is str and not x.strip()) or (x.__class__ is float and x != x)
            for x in col.to_numpy(dtype=object)
        ]
        out[:, j] |= col.isna().to_numpy()  # numpy NaN, NaT, pd.NA from other readers
    return out


def _pad(row: list[str], width: int) -> list[str]:
    return row + [""] * (width - len(row))


def _two_row_names(
    upper: list[str], lower: list[str], input_name: str, overrides: Mapping[str, str]
) -> tuple[list[str], dict[str, str], int]:
    """Column names of a header whose lower row may be split under a group header.

    A group header merged above the names ("税款所属期" over "起" / "止") is joined
    to the lower cell where the lower cell alone does not map.
    """
    joined = [
        u + lo if u and lo and u != lo else (lo or u) for u, lo in zip(upper, lower, strict=True)
    ]
    hm_lower = map_headers([t for t in lower if t], input_name, overrides)
    hm_joined = map_headers([t for t in joined if t], input_name, overrides)
    names = []
    for lo, jo in zip(lower, joined, strict=True):
        if lo and lo in hm_lower.mapping:
            names.append(lo)
        elif jo and jo in hm_joined.mapping:
            names.append(jo)
        else:
            names.append(lo)
    hm = map_headers([t for t in names if t], input_name, overrides)
    units = dict(hm.units)
    for j, name in enumerate(names):
        canonical = hm.mapping.get(name)
        if canonical and canonical not in units and upper[j] and upper[j] != lower[j]:
            group_unit = normalise_header(upper[j])[1]
            if group_unit:
                units[canonical] = group_unit
    return names, units, len(hm.mapping)


def _choose_header(
    grid: list[list[Any]], input_name: str, overrides: Mapping[str, str], file: Path
) -> tuple[int, list[str], dict[str, str], list[str], list[int]]:
    """Find the header row.

    Returns the index of the (last) header row, the column names, the units by
    canonical name, the header texts found (for messages) and the indices of
    all header rows (one or two).
    """
    scan = [[_cell_text(v) for v in row] for row in grid[:HEADER_SCAN_ROWS]]
    scores = []
    for row in scan:
        names = [t for t in row if t]
        scores.append(len(map_headers(names, input_name, overrides).mapping) if names else 0)
    if not scores or max(scores) == 0:
        seen = next((r for r in scan if any(r)), [])
        raise MissingColumnError(
            f"前 {HEADER_SCAN_ROWS} 行中找不到{input_name}的表头;首个非空行为 "
            f"{[t for t in seen if t][:12]}。请检查工作表,或在项目文件 [columns.{input_name}] "
            f"中指定列名 / no header row found",
            file=file,
        )
    h = int(np.argmax(scores))
    width = max(len(r) for r in scan[: h + 2])
    blank = [""] * width
    # The best single row is either the lower row of a two-row header (group header
    # above it) or the upper row (split names such as 起/止 below it).
    options = [
        (
            h,
            [h - 1, h] if h > 0 else [h],
            _pad(scan[h - 1], width) if h > 0 else blank,
            _pad(scan[h], width),
        )
    ]
    if h + 1 < len(scan):
        options.append((h + 1, [h, h + 1], _pad(scan[h], width), _pad(scan[h + 1], width)))
    best = None
    for last, rows, upper, lower in options:
        names, units, score = _two_row_names(upper, lower, input_name, overrides)
        used_upper = any(n and n != lo for n, lo in zip(names, lower, strict=True))
        header_rows = rows if used_upper or last == h + 1 else [last]
        if best is None or score > best[0]:
            best = (score, last, names, units, header_rows, lower)
    _, last, names, units, header_rows, lower = best
    found = [t for t in _pad(scan[h], width) if t]
    return last, names, units, found, header_rows


def _sheet_money_unit(grid: list[list[Any]], header_row: int) -> str | None:
    for row in grid[:header_row]:
        for value in row:
            m = _SHEET_UNIT.search(_cell_text(value))
            if m:
                return m.group(1)
    return None


def _load_sheet(
    sheet: _Sheet,
    input_name: str,
    overrides: Mapping[str, str],
    log: QualityLog,
) -> pd.DataFrame:
    rec = log.input(input_name)
    file_label = sheet.path.name
    grid = sheet.grid
    if not grid or not any(any(_cell_text(v) for v in row) for row in grid[:HEADER_SCAN_ROWS]):
        raise InputFileError("文件为空或前 20 行没有内容 / empty file", file=sheet.path)
    if sheet.columns is None:
        _fill_merged(grid, sheet.merged)
    h, names, units, found, header_rows = _choose_header(grid, input_name, overrides, sheet.path)
    hm = map_headers([t for t in names if t], input_name, overrides)

    missing = [c for c in REQUIRED.get(input_name, ()) if c not in hm.canonical]
    missing_any = [
        g for g in REQUIRED_ANY.get(input_name, ()) if not any(c in hm.canonical for c in g)
    ]
    if missing or missing_any:
        parts = [", ".join(missing)] if missing else []
        parts += ["其中之一 / one of: " + " | ".join(g) for g in missing_any]
        example = (missing or [missing_any[0][0]])[0]
        raise MissingColumnError(
            f"缺少必需列 / missing required column(s): {'; '.join(parts)}。"
            f"表头为 / headers found: {found}。"
            f"若列名不同,请在项目文件中指定 / map it in the project file: "
            f'[columns.{input_name}] {example} = "表中的列名"',
            file=sheet.path,
        )
    for canonical, wanted in overrides.items():
        if canonical not in hm.canonical:
            log.warn(
                f"[columns.{input_name}] {canonical} = {wanted!r}: 文件中没有该列 / header not found",
                input=input_name,
                file=file_label,
            )

    # Rows above the header (title, 填报单位, group header, blank) and the header itself.
    above = grid[:h]
    blank_above = [i + 1 for i, row in enumerate(above) if not any(_cell_text(v) for v in row)]
    text_above = [i + 1 for i, row in enumerate(above) if any(_cell_text(v) for v in row)]
    if text_above:
        rec.skip(
            file_label, text_above, "表头上方的标题或说明行 / title or note row above the header"
        )
    if blank_above:
        rec.skip(file_label, blank_above, "空行 / blank row")
    rec.skip(file_label, [h + 1], "表头行 / header row")

    if sheet.columns is None:
        body = pd.DataFrame(grid[h + 1 :], dtype=object)
    else:
        body = pd.DataFrame(
            {j: c[h + 1 :] for j, c in enumerate(sheet.columns)},
            index=pd.RangeIndex(len(sheet.columns[0]) - h - 1 if sheet.columns else 0),
            dtype=object,
        )
    width = body.shape[1]
    if body.shape[1] < len(names):
        for j in range(body.shape[1], len(names)):
            body[j] = None
    body.columns = range(body.shape[1])
    excel_rows = np.arange(h + 2, h + 2 + len(body))
    positions = {}
    for j, name in enumerate(names):
        canonical = hm.mapping.get(name) if name else None
        if canonical and canonical not in positions.values():
            positions[j] = canonical
    serial_cols = [
        j for j, name in enumerate(names) if normalise_header(name)[0] in _SERIAL_HEADERS
    ]

    keep = np.ones(len(body), dtype=bool)
    if len(body):
        if sheet.blank is None:
            blank = _is_blank(body)
        else:
            blank = np.ones(body.shape, dtype=bool)
            blank[:, :width] = sheet.blank[h + 1 :]
        other = [j for j in range(body.shape[1]) if j not in serial_cols]
        is_blank_row = blank[:, other].all(axis=1) if other else blank.all(axis=1)
        # Totals: 合计/小计/总计 in the 序号 column or the first three text columns.
        lead = serial_cols + [j for j in other if not blank[:, j].all()][:3]
        is_total = np.zeros(len(body), dtype=bool)
        for j in lead:
            # Only text holding a character of 合计/小计/总计/其中 (or a compatibility
            # form NFKC folds into one) can be a totals label: normalise just those.
            col = body[j]
            cand = np.flatnonzero(_flag_text(col, _TOTAL_CHARS))
            if not len(cand):
                continue
            text = nfkc(col.iloc[cand]).fillna("")
            text = text.str.replace("[" + WHITESPACE + "]+", "", regex=True)
            is_total[cand] |= text.str.startswith(_TOTAL_PREFIXES).to_numpy(dtype=bool)
        # 合计 written only in the 序号 column must not pass for a blank template row.
        is_blank_row &= ~is_total
        # Repeated header rows (sheets pasted together): cells equal to the header cells.
        hits = np.zeros(len(body), dtype=int)
        header_cells = grid[h] + [None] * (len(names) - len(grid[h]))
        for j in positions:
            cell = header_cells[j]
            if isinstance(cell, str) and cell.strip():
                hits += body[j].to_numpy(dtype=object) == cell
        is_header = (hits >= min(2, len(positions))) & ~is_blank_row & ~is_total
        # Footnotes: one text (possibly spread by a merge) starting with 注/填表人/…
        nonempty = (~blank).sum(axis=1)
        first_pos = np.argmax(~blank, axis=1)
        first = np.empty(len(body), dtype=object)
        for j in np.unique(first_pos):
            at = first_pos == j
            first[at] = body[j].to_numpy(dtype=object)[at]
        cand = ~is_blank_row & ~is_total & ~is_header
        cand &= np.array(
            [isinstance(x, str) and x.strip().startswith(_NOTE_PREFIXES) for x in first],
            dtype=bool,
        )
        is_note = np.zeros(len(body), dtype=bool)
        for i in np.flatnonzero(cand):
            row = body.iloc[i].to_numpy(dtype=object)
            is_note[i] = (row == first[i]).sum() == nonempty[i]
        for mask, reason in (
            (is_blank_row, "空行 / blank row"),
            (is_total, "合计/小计行 / totals row"),
            (is_header, "重复的表头行 / repeated header row"),
            (is_note, "表尾说明行 / footnote row"),
        ):
            if mask.any():
                rec.skip(file_label, excel_rows[mask].tolist(), reason)
                keep &= ~mask

    if sheet.formulas_unchecked:
        log.warn(
            f"{file_label}: 工作簿含公式,文件较大未逐格检查;没有缓存值的公式按空值读取"
            f"(请用 Excel/WPS 打开并保存后重试) / the workbook holds formulas; cells "
            f"without cached values read as empty (not itemised in a file this large)",
            input=input_name,
            file=file_label,
        )
    if sheet.formulas:
        _warn_formulas(sheet, set(excel_rows[keep] - 1), set(positions), input_name, log)

    # Blank cells ('' or spaces from the reader) become None, so that typed
    # parsing sees one kind of value per column.
    columns = {}
    for j, canonical in positions.items():
        values = body[j].to_numpy(dtype=object)[keep]
        if len(body):
            values[blank[keep, j]] = None
        columns[canonical] = values
    data = pd.DataFrame(columns, index=pd.RangeIndex(int(keep.sum())), dtype=object)
    data[SOURCE_FILE] = file_label
    data[SOURCE_ROW] = excel_rows[keep]
    rec.rows_read += len(data)
    rec.files.append(str(sheet.path))
    if sheet.encoding:
        rec.encoding = sheet.encoding
    if hm.unmapped:
        rec.notes.append(f"{file_label}: 未使用的列 / unused columns: {hm.unmapped}")
    rec.notes.extend(f"{file_label}: {n}" for n in hm.notes)

    sheet_unit = _sheet_money_unit(grid, h)
    if sheet_unit:
        for column in MONEY.get(input_name, ()):
            if column in data.columns and column not in units:
                units[column] = sheet_unit
        rec.notes.append(f"{file_label}: 表上方注明 单位:{sheet_unit} / sheet unit {sheet_unit}")
    return harmonise(data, input_name, {**units, **sheet.units}, log)


def _warn_formulas(
    sheet: _Sheet, data_rows: set[int], columns: set[int], input_name: str, log: QualityLog
) -> None:
    """Warn about formula cells without cached values that fall in used data cells."""
    from openpyxl.utils import get_column_letter

    cells = [
        f"{get_column_letter(c + 1)}{r + 1}"
        for r, c in sheet.formulas
        if r in data_rows and c in columns
    ]
    if not cells:
        return
    shown = ", ".join(cells[:20]) + (" …" if len(cells) > 20 else "")
    log.warn(
        f"{sheet.path.name}: {len(cells)} 个公式单元格没有缓存值,按空值读取"
        f"(请用 Excel/WPS 打开并保存后重试):{shown} / formula cells without cached "
        f"values were read as empty",
        input=input_name,
        file=sheet.path.name,
        cells=cells,
    )


def _typed_empty(kind: str, n: int) -> pd.Series:
    value = {"date": pd.NaT, "number": np.nan}.get(kind, pd.NA)
    return pd.Series(value, index=range(n), dtype=_EMPTY_DTYPES[kind])


def read_ledger(
    sources: str | Path | Iterable[str | Path],
    input_name: str,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: int | str | None = None,
    log: QualityLog | None = None,
    base_dir: str | Path | None = None,
    units: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read one or several ledger files into a frame with canonical columns.

    Parameters
    ----------
    sources : path, glob, or list of them
        .xlsx/.xlsm/.xls/.xlsb/.ods or .csv/.txt/.tsv (UTF-8 or GB18030).
        Relative paths and globs are resolved against ``base_dir``.
    input_name : str
        ``"enterprises"``, ``"tax_arrears"``, ``"mortgages"``, ``"disposals"``,
        ``"parcels"`` (a parcel attribute table), ...
    columns : mapping, optional
        ``{canonical: header as in the file}`` (the project's ``[columns.<input>]``).
    sheet : int or str, optional
        Sheet index or name. By default the only visible sheet, or the one
        whose top rows best match the input's headers.
    log : QualityLog, optional
        Receives rows read/skipped, repairs and warnings.
    base_dir : path, optional
        Directory of the project file.
    units : mapping, optional
        ``{canonical: unit}`` (project ``[inputs.<input>_options] units``, e.g.
        ``{"amount": "元"}``): wins over the unit written in the header or above it.
    encoding : str, optional
        Encoding of CSV/TSV files (``"gbk"``); default UTF-8, else GB18030.
        Ignored for Excel files (noted in the log).

    Returns
    -------
    pandas.DataFrame
        Every canonical column of ``schema.FIELDS[input_name]`` (typed; an
        absent column is all-missing and noted in the log), then
        ``source_file`` (file name) and ``source_row`` (1-based Excel row).

    Raises
    ------
    InputFileError
        A file is missing, unreadable, empty or of an unknown type.
    MissingColumnError
        A required column is absent after header mapping.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "tax.csv").write_text("企业名称,税种,所属期起,欠税金额(元)\\n甲公司,城镇土地使用税,2021/1/1,"
    ...                             "\\"12,000\\"\\n合计,,,12000\\n", encoding="gb18030")
    >>> df = read_ledger(d / "tax.csv", "tax_arrears")
    >>> df[["name", "amount", "source_row"]].values.tolist()
    [['甲公司', 1.2, 2]]
    """
    if input_name not in FIELDS:
        near = difflib.get_close_matches(input_name, list(FIELDS), n=1)
        raise ProjectError(
            f"未知的输入名 {input_name!r}"
            + (f",是否为 {near[0]!r}?" if near else "")
            + " / unknown input"
        )
    overrides = dict(columns or {})
    unknown = [c for c in overrides if c not in FIELDS[input_name]]
    if unknown:
        c = unknown[0]
        near = difflib.get_close_matches(c, list(FIELDS[input_name]), n=1)
        raise ProjectError(
            f"[columns.{input_name}] 中的 {c!r} 不是规范列名"
            + (f",是否为 {near[0]!r}?" if near else "")
            + f" / unknown canonical column; valid: {list(FIELDS[input_name])}"
        )
    log = log if log is not None else QualityLog()
    frames = []
    for path in resolve_sources(sources, base_dir):
        suffix = path.suffix.lower()
        if suffix in _EXCEL:
            sh = _read_large_xlsx(path, sheet)
            if sh is None:
                scan = _formula_scan(path)
                sh = _read_excel(path, sheet, input_name, overrides)
                sh.formulas = _uncached_formulas(sh, scan)
            if encoding is not None:
                log.input(input_name).notes.append(
                    f"{path.name}: encoding 选项只用于 CSV,Excel 不需要 / encoding option ignored"
                )
        elif suffix in _TEXT:
            sh = _read_text(path, encoding, input_name)
        else:
            raise InputFileError(
                f"不支持的文件类型 {suffix!r}(支持 xlsx/xls/csv) / unsupported file type", file=path
            )
        sh.units = dict(units or {})
        frames.append(_load_sheet(sh, input_name, overrides, log))

    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    absent = [c for c in FIELDS[input_name] if c not in df.columns]
    for c in absent:
        df[c] = _typed_empty(FIELDS[input_name][c], len(df))
    if absent:
        log.input(input_name).notes.append(f"文件中没有这些列(全部为空) / absent columns: {absent}")
    order = list(FIELDS[input_name]) + [SOURCE_FILE, SOURCE_ROW]
    df = df[order]
    df[SOURCE_FILE] = df[SOURCE_FILE].astype("string")
    df[SOURCE_ROW] = df[SOURCE_ROW].astype("int64")
    return df
