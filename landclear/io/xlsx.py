"""A fast reader for large .xlsx worksheets that gives what calamine gives.

At a million ledger rows most of a run's ledger time went to python-calamine
(parsing the XML, then one Python object per cell in a list per row) and to
the per-cell loops that follow. :func:`read_columns` scans the inflated
sheet XML once in compiled code (:mod:`landclear.io._xlsxscan`, numba) and
builds one object column per sheet column, each cell the value calamine's
``to_python(skip_empty_area=False)`` has there: ``float`` for numbers,
``str`` for text (shared or inline, entities decoded, rich-text runs joined,
phonetic runs left out), ``bool``, ``datetime.date`` / ``datetime`` for
numbers styled as dates, ``""`` for empty and error cells. A test compares
the two readers cell by cell on workbooks written by openpyxl and
xlsxwriter.

Whatever it does not handle exactly — a namespace prefix, ISO-date cells,
times and durations, dates before 1900-03-01 or in the 1904 system, Excel's
``_xHHHH_`` escapes, an unknown entity, cells out of order, a sheet the
caller leaves to be chosen among several — makes it return ``None``, and the
caller reads the workbook with calamine as before.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["SheetColumns", "member_blocks", "read_columns"]

_SHEET = re.compile(rb"<sheet\b([^>]*)/?>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REL = re.compile(rb"<Relationship\b([^>]*)/?>")
_NUMFMT = re.compile(rb"<numFmt\b([^>]*)/?>")
_CELLXFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(rb"<xf\b([^>]*?)/?>")
_MERGE = re.compile(rb'<mergeCell\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ANY_ENTITY = re.compile(r"&[^;&]*;?")
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_RUN_TEXT = re.compile(r"<t(\s[^>]*[^/>])?>(.*?)</t>", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>|<rPh\b[^>]*/>", re.S)
# calamine's date formats: builtin ids 14-22 (and 45-47, times and durations,
# which this reader leaves to calamine).
_BUILTIN_DATES = frozenset(range(14, 23))
_BUILTIN_UNSURE = frozenset({45, 46, 47})
_EPOCH = dt.datetime(1899, 12, 30)
# The first serial after the 1900 leap-year bug, and the last of year 9999.
_FIRST_SAFE_SERIAL = 61
_LAST_SERIAL = 2958465
#: Compressed bytes inflated at a time (a few tens of megabytes of XML).
BLOCK_BYTES = 4 << 20


@dataclass
class SheetColumns:
    """A worksheet as columns of calamine-identical cell values."""

    name: str
    columns: list[np.ndarray]  # one object array per column, every row
    nrows: int
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    has_formulas: bool
    blank: np.ndarray  # (nrows, ncols) bool: empty, or text of white space only


class _Unsupported(Exception):
    """Something this reader does not reproduce exactly: use calamine."""


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode(): html.unescape(v.decode("utf-8")) for k, v in _ATTR.findall(raw)}


def _local_name(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def member_blocks(
    path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, chunk: int = 4 << 20
) -> Iterator[bytes]:
    """The bytes of one zip member, inflated by ISA-L (about twice zlib's speed), block by block.

    A million-row sheet is half a gigabyte of XML. Members that are not
    plainly deflated (stored, or an unexpected header) go through
    :mod:`zipfile`.
    """
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        if info.compress_type != zipfile.ZIP_DEFLATED or header[:4] != b"PK\x03\x04":
            with zf.open(info) as member:
                while block := member.read(chunk * 4):
                    yield block
            return
        from isal import isal_zlib

        skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
        fh.seek(info.header_offset + 30 + skip)
        inflate = isal_zlib.decompressobj(-15)  # raw deflate, as zip stores it
        left = info.compress_size
        while left > 0 and (raw := fh.read(min(chunk, left))):
            left -= len(raw)
            if block := inflate.decompress(raw):
                yield block
        if block := inflate.flush():
            yield block


def _member(zf: zipfile.ZipFile, path: Path, name: str) -> bytes | None:
    """A whole (small) member, or None when the workbook has no such part."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    return b"".join(member_blocks(path, zf, info))


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    parts = (base + target).split("/")
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        elif part and part != ".":
            out.append(part)
    return "/".join(out)


def _choose_sheet(zf: zipfile.ZipFile, path: Path, sheet: int | str | None) -> tuple[str, str]:
    workbook = _member(zf, path, "xl/workbook.xml")
    rels = _member(zf, path, "xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        raise _Unsupported("no xl/workbook.xml")
    if re.search(rb"date1904\s*=\s*\"(1|true)\"", workbook):
        raise _Unsupported("1904 date system")
    targets = {}
    for raw in _REL.findall(rels):
        a = _attrs(raw)
        targets[a.get("Id")] = (a.get("Type", ""), a.get("Target", ""))
    sheets = []
    for raw in _SHEET.findall(workbook):
        a = {_local_name(k): v for k, v in _attrs(raw).items()}
        kind, target = targets.get(a.get("id"), ("", ""))
        sheets.append((a.get("name", ""), a.get("state", "visible"), kind, target))
    if isinstance(sheet, int):
        if not 0 <= sheet < len(sheets):
            raise _Unsupported("no such sheet")  # calamine gives the user's error
        chosen = sheets[sheet]
    elif isinstance(sheet, str):
        named = [s for s in sheets if s[0] == sheet]
        if not named:
            raise _Unsupported("no such sheet")
        chosen = named[0]
    else:
        visible = [s for s in sheets if s[1] == "visible" and s[2].endswith("/worksheet")]
        if len(visible) != 1:
            raise _Unsupported("several sheets: chosen by their headers")
        chosen = visible[0]
    if not chosen[2].endswith("/worksheet"):
        raise _Unsupported("not a worksheet")
    return chosen[0], _target("xl/", chosen[3])


def _is_custom_date(fmt: str) -> bool | None:
    """calamine's reading of a custom number format: date (True), number (False),
    or a time/duration this reader leaves to calamine (None)."""
    escaped = quoted = ampm = False
    brackets = 0
    prev = " "
    hms = False
    for ch in fmt:
        if escaped:
            escaped = False
        elif ch in "_\\":
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return False
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return None  # [h]:mm and the like: a duration
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not ampm and brackets == 0:
            ampm = True
        elif brackets == 0 and ch in ("pmP/M" if ampm else "dmhysDMHYS"):
            return True
        elif hms and ch.lower() == prev.lower():
            pass
        else:
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return False


def _style_kinds(styles: bytes | None) -> np.ndarray:
    """Per cell style index: 0 number, 1 date, 2 left to calamine."""
    if styles is None:
        return np.zeros(1, dtype=np.uint8)
    custom = {}
    for raw in _NUMFMT.findall(styles):
        a = _attrs(raw)
        if "numFmtId" in a:
            custom[int(a["numFmtId"])] = a.get("formatCode", "")
    block = _CELLXFS.search(styles)
    kinds = []
    for raw in _XF.findall(block.group(1)) if block else []:
        fid = int(_attrs(raw).get("numFmtId", "0"))
        if fid in custom:
            date = _is_custom_date(custom[fid])
            kinds.append(2 if date is None else int(date))
        elif fid in _BUILTIN_UNSURE:
            kinds.append(2)
        else:
            kinds.append(1 if fid in _BUILTIN_DATES else 0)
    return np.array(kinds or [0], dtype=np.uint8)


# Python's str.isspace characters: a text made only of these strips to "".
_NOT_SPACE = "[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _texts(data: np.ndarray, vs: np.ndarray, ve: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 spans ``data[vs:ve]`` as an object array of ``str``, and which are blank."""
    import pyarrow.compute as pc

    if not len(vs):
        return np.empty(0, dtype=object), np.zeros(0, dtype=bool)
    # Spans and the gaps between them as one string array over the buffer, then
    # only the spans: one copy of the text bytes, no Python object until the end.
    offsets = np.empty(2 * len(vs) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1:2] = vs
    offsets[2:-1:2] = ve[:-1]
    offsets[-1] = ve[-1]
    gaps = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )
    spans = gaps.take(pa.array(np.arange(1, len(offsets) - 1, 2)))
    try:
        spans.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise _Unsupported("not UTF-8") from exc
    blank = ~pc.match_substring_regex(spans, _NOT_SPACE).to_numpy(zero_copy_only=False)
    return spans.to_numpy(zero_copy_only=False), blank


def _unescape(text: str) -> str:
    for entity in _ANY_ENTITY.findall(text):
        if not _ENTITY.fullmatch(entity):
            raise _Unsupported("unknown entity")
    return html.unescape(text)


def _xml_text(raw: str, trim: bool) -> str:
    """Text content as calamine reads it: CR LF and CR as LF, entities decoded, and
    without ``xml:space="preserve"`` the XML white space at both ends stripped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw
    if "&" in text:
        text = _unescape(text)
    return text.strip(" \t\r\n") if trim else text


def _runs_text(raw: str) -> str:
    """The text of rich-text runs (``<r><t>…</t></r>…``), phonetic runs left out."""
    out = []
    for attrs, text in _RUN_TEXT.findall(_PHONETIC.sub("", raw)):
        out.append(_xml_text(text, "preserve" not in attrs))
    return "".join(out)


def _fix_texts(texts: np.ndarray, blank: np.ndarray, flags: np.ndarray) -> None:
    """Decode, trim and join, in place, the texts the scan flagged."""
    from landclear.io import _xlsxscan as scan

    todo = scan.F_AMP | scan.F_RUNS | scan.F_UNDERSCORE_X | scan.F_TRIM | scan.F_CR
    for k in np.flatnonzero(flags & todo):
        raw = texts[k]
        if flags[k] & scan.F_UNDERSCORE_X and _EXCEL_ESCAPE.search(raw):
            raise _Unsupported("Excel _xHHHH_ escape")
        if flags[k] & scan.F_RUNS:
            text = _runs_text(raw)
        else:
            text = _xml_text(raw, bool(flags[k] & scan.F_TRIM))
        texts[k] = text
        blank[k] = not text.strip()


def _numbers(buf: bytes, data: np.ndarray, vs: np.ndarray, ve: np.ndarray) -> np.ndarray:
    from landclear.io import _xlsxscan as scan

    values, ok = scan.parse_numbers(data, vs, ve)
    rest = np.flatnonzero(~ok)
    if len(rest):
        try:
            values[rest] = [float(buf[vs[k] : ve[k]]) for k in rest]
        except ValueError as exc:
            raise _Unsupported("a number cell that is not a number") from exc
    return values


def _shared_strings(zf: zipfile.ZipFile, path: Path) -> tuple[np.ndarray, np.ndarray]:
    from landclear.io import _xlsxscan as scan

    rels = _member(zf, path, "xl/_rels/workbook.xml.rels") or b""
    name = "xl/sharedStrings.xml"
    for raw in _REL.findall(rels):
        a = _attrs(raw)
        if a.get("Type", "").endswith("/sharedStrings"):
            name = _target("xl/", a.get("Target", ""))
    buf = _member(zf, path, name)
    if buf is None:
        return np.empty(0, dtype=object), np.zeros(0, dtype=bool)
    data = np.frombuffer(buf, dtype=np.uint8)
    capacity = buf.count(b"<si>") + buf.count(b"<si ") + buf.count(b"<si/") + 16
    status, _, n, vs, ve, flags = scan.scan_shared_strings(data, 0, len(buf), capacity)
    if status != scan.OK:
        raise _Unsupported(f"shared strings: scan status {status}")
    vs, ve, flags = vs[:n], ve[:n], flags[:n]
    texts, blank = _texts(data, vs, ve)
    _fix_texts(texts, blank, flags)
    return texts, blank


def _dates(serials: np.ndarray) -> np.ndarray:
    """Date-styled numbers as calamine gives them: ``date`` when whole, else ``datetime``."""
    out = np.empty(len(serials), dtype=object)
    if not len(serials):
        return out
    if serials.min() < _FIRST_SAFE_SERIAL or serials.max() >= _LAST_SERIAL + 1:
        raise _Unsupported("a date before 1900-03-01 or after 9999")
    whole = serials == np.floor(serials)
    if not whole.all():
        raise _Unsupported("a date with a time of day")
    days = serials.astype(np.int64)
    uniq, inverse = np.unique(days, return_inverse=True)
    base = _EPOCH.date()
    out[:] = np.array([base + dt.timedelta(days=int(d)) for d in uniq], dtype=object)[inverse]
    return out


class _Book:
    """The parts of a workbook a sheet's cells refer to, read once when first needed."""

    def __init__(self, zf: zipfile.ZipFile, path: Path) -> None:
        self.zf, self.path = zf, path
        self._kinds: np.ndarray | None = None
        self._sst: tuple[np.ndarray, np.ndarray] | None = None

    def style_kinds(self) -> np.ndarray:
        if self._kinds is None:
            self._kinds = _style_kinds(_member(self.zf, self.path, "xl/styles.xml"))
        return self._kinds

    def shared_strings(self) -> tuple[np.ndarray, np.ndarray]:
        if self._sst is None:
            self._sst = _shared_strings(self.zf, self.path)
        return self._sst


def _cell_values(
    buf: bytes, data: np.ndarray, typ: np.ndarray, style: np.ndarray, vs: np.ndarray,
    ve: np.ndarray, flags: np.ndarray, book: _Book,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Every recorded cell's value (object array) and whether it is blank."""
    from landclear.io import _xlsxscan as scan

    n = len(typ)
    values = np.empty(n, dtype=object)
    blank = np.zeros(n, dtype=bool)
    if (typ == scan.T_OTHER).any():
        raise _Unsupported("ISO-date or unknown cell type")

    number = np.flatnonzero(typ == scan.T_NUMBER)
    if len(number):
        kinds = book.style_kinds()
        at = style[number]
        if at.max() >= len(kinds):
            raise _Unsupported("a style index beyond cellXfs")
        kind = kinds[at]
        if (kind == 2).any():
            raise _Unsupported("a time or duration format")
        nums = _numbers(buf, data, vs[number], ve[number])
        plain = kind == 0
        values[number[plain]] = nums[plain]
        values[number[~plain]] = _dates(nums[~plain])
        blank[number[plain]] = np.isnan(nums[plain])

    shared = np.flatnonzero(typ == scan.T_SHARED)
    if len(shared):
        sst, sst_blank = book.shared_strings()
        idx = _numbers(buf, data, vs[shared], ve[shared])
        if (idx != np.floor(idx)).any() or idx.min() < 0 or idx.max() >= len(sst):
            raise _Unsupported("a shared-string index out of range")
        idx = idx.astype(np.int64)
        values[shared] = sst[idx]
        blank[shared] = sst_blank[idx]

    text = np.flatnonzero((typ == scan.T_INLINE) | (typ == scan.T_FORMULA_TEXT))
    if len(text):
        texts, text_blank = _texts(data, vs[text], ve[text])
        _fix_texts(texts, text_blank, flags[text])
        values[text] = texts
        blank[text] = text_blank

    boolean = np.flatnonzero(typ == scan.T_BOOL)
    if len(boolean):
        raw = [buf[vs[k] : ve[k]] for k in boolean]
        if any(r not in (b"0", b"1") for r in raw):
            raise _Unsupported("a boolean that is not 0 or 1")
        values[boolean] = [r == b"1" for r in raw]

    error = np.flatnonzero(typ == scan.T_ERROR)
    values[error] = ""

    blank[error] = True
    return values, blank


def read_columns(path: str | Path, sheet: int | str | None = None) -> SheetColumns | None:
    """One worksheet of an .xlsx as columns, or ``None`` to leave it to calamine.

    Parameters
    ----------
    path : path
        An .xlsx or .xlsm file.
    sheet : int, str or None
        Sheet index or name; ``None`` takes the only visible worksheet (with
        several, ``None`` is returned: the caller chooses by headers).

    Returns
    -------
    SheetColumns or None

    Example
    -------
    >>> import tempfile, pathlib, openpyxl
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> wb = openpyxl.Workbook(); wb.active.append(["名称", 1.5]); wb.save(f)
    >>> s = read_columns(f)
    >>> [c.tolist() for c in s.columns]
    [['名称'], [1.5]]
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            name, member = _choose_sheet(zf, path, sheet)
            if member not in zf.namelist():
                raise _Unsupported("sheet part missing")
            read = _SheetReader(_Book(zf, path))
            for block in member_blocks(path, zf, zf.getinfo(member), BLOCK_BYTES):
                read.feed(block)
            return read.finish(name)
    except (_Unsupported, zipfile.BadZipFile, OSError, ValueError):
        return None


class _SheetReader:
    """Sheet XML fed block by block, scanned a run of whole rows at a time.

    The inflated XML of a million-row sheet is half a gigabyte and the scan's
    arrays as much again; a block at a time, neither is ever whole in memory.
    """

    def __init__(self, book: _Book) -> None:
        self.book = book
        self.state = np.full(3, -1, dtype=np.int64)  # the scan's row bookkeeping
        self.pending = b""
        self.started = self.finished = self.formulas = False
        self.tail = b""  # after </sheetData>: the merged ranges
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def feed(self, block: bytes) -> None:
        if self.finished:
            self.tail += block
            return
        buf = self.pending + block
        self.pending = b""
        pos = 0
        if not self.started:
            start = buf.find(b"<sheetData")
            open_end = buf.find(b">", start) if start >= 0 else -1
            if open_end < 0:
                self.pending = buf  # the sheet's header is not complete yet
                return
            self.started = True
            if buf[open_end - 1] == ord("/"):  # <sheetData/>
                self.finished, self.tail = True, buf[open_end + 1 :]
                return
            pos = open_end + 1
        end = buf.find(b"</sheetData>", pos)
        if end >= 0:
            self.finished, self.tail = True, buf[end:]
        else:
            end = buf.rfind(b"</row>", pos)
            if end < 0:
                self.pending = buf[pos:]
                return
            end += len(b"</row>")
            self.pending = buf[end:]
        self._scan(buf, pos, end)

    def _scan(self, buf: bytes, pos: int, end: int) -> None:
        from landclear.io import _xlsxscan as scan

        data = np.frombuffer(buf, dtype=np.uint8)
        # An upper bound on the cells: compiled code is slower when it grows arrays.
        capacity = buf.count(b"<c ", pos, end) + buf.count(b"<c>", pos, end) + 16
        while True:
            status, _, n, row, col, typ, style, vs, ve, flags, formulas = scan.scan_sheet(
                data, pos, end, capacity, self.state
            )
            if status != scan.FULL:
                break
            capacity *= 2  # cells written as "<c\n": rare
        if status != scan.OK:
            raise _Unsupported(f"sheet: scan status {status}")
        self.formulas |= bool(formulas)
        values, blank = _cell_values(
            buf, data, typ[:n], style[:n], vs[:n], ve[:n], flags[:n], self.book
        )
        self.parts.append((row[:n].copy(), col[:n].copy(), values, blank))

    def finish(self, name: str) -> SheetColumns:
        if not self.finished:
            raise _Unsupported("unterminated <sheetData>")
        merged = [_merge_range(m) for m in _MERGE.findall(self.tail)]
        if self.parts:
            row, col, values, blank = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        else:
            row = col = np.zeros(0, dtype=np.int32)
            values, blank = np.empty(0, dtype=object), np.zeros(0, dtype=bool)
        self.parts = []
        return _assemble(name, row, col, values, blank, merged, self.formulas)


def _column_number(letters: bytes) -> int:
    out = 0
    for ch in letters:
        out = out * 26 + ch - 64
    return out - 1


def _merge_range(m: tuple[bytes, bytes, bytes, bytes]) -> tuple[tuple[int, int], tuple[int, int]]:
    c0, r0, c1, r1 = m
    first = (int(r0) - 1, _column_number(c0))
    last = (int(r1) - 1, _column_number(c1)) if c1 else first
    return first, last


def _assemble(
    name: str, row: np.ndarray, col: np.ndarray, values: np.ndarray, blank: np.ndarray,
    merged: list[Any], formulas: bool,
) -> SheetColumns:  # fmt: skip
    nrows = int(row.max()) + 1 if len(row) else 0
    ncols = int(col.max()) + 1 if len(col) else 0
    flat = np.full(nrows * ncols, "", dtype=object)
    at = col.astype(np.int64) * nrows + row
    flat[at] = values
    blank_flat = np.ones(nrows * ncols, dtype=bool)
    blank_flat[at] = blank
    columns = [flat[j * nrows : (j + 1) * nrows] for j in range(ncols)]
    return SheetColumns(name, columns, nrows, merged, formulas, blank_flat.reshape(ncols, nrows).T)
