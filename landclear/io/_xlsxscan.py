"""Compiled byte scanners for worksheet and shared-string XML (numba).

One pass over the inflated XML records, for every cell that has a value,
its row, column, type, style and the byte span of its value; the caller
(:mod:`landclear.io.xlsx`) turns the spans into columns. Anything the
scanners do not understand stops them with a status code, and the caller
reads the workbook with calamine instead: these functions never guess.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Status codes (0 = read).
OK = 0
UNSUPPORTED_TAG = 1  # a tag that is not row / c / v / f / is / t / r / rPr / rPh
BAD_REFERENCE = 2  # a cell reference that is not letters then digits
OUT_OF_ORDER = 3  # cells not in row-major order (or one cell given twice)
UNTERMINATED = 4  # the XML ends inside a tag
FULL = 5  # more cells than the capacity given: call again with more

# Cell types (the ``t`` attribute).
T_NUMBER = 0  # n, or no t
T_SHARED = 1  # s
T_INLINE = 2  # inlineStr
T_FORMULA_TEXT = 3  # str
T_BOOL = 4  # b
T_ERROR = 5  # e
T_OTHER = 6  # d (ISO dates) and anything unknown

# Flags of a cell's value span.
F_AMP = 1  # holds "&" (an entity to decode)
F_RUNS = 2  # inline rich text: several <t> runs, the span covers the whole <is>
F_MAYBE_BLANK = 4  # only ASCII white space or non-ASCII bytes (Python decides)
F_FORMULA = 8  # the cell has a formula
F_UNDERSCORE_X = 16  # holds "_x" (Excel's _xHHHH_ escape, not decoded here)
F_TRIM = 32  # a <t> without xml:space="preserve" that may start or end with white space
F_CR = 64  # holds a carriage return (XML reads CR LF and CR as LF)

_LT = 60  # <
_GT = 62  # >
_SLASH = 47  # /
_QUOTE = 34
_APOS = 39
_EQ = 61


@njit(cache=True, nogil=True, inline="always")
def _is_space(b: int) -> bool:
    return b == 32 or b == 9 or b == 10 or b == 13


@njit(cache=True, nogil=True, inline="always")
def _tag_end(a: np.ndarray, i: int, end: int) -> int:
    """Index of the ``>`` closing the tag opened at ``i`` (skipping quoted values)."""
    quote = 0
    while i < end:
        b = a[i]
        if quote:
            if b == quote:
                quote = 0
        elif b == _QUOTE or b == _APOS:  # noqa: SIM109 (compiled: plain compares)
            quote = b
        elif b == _GT:
            return i
        i += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _next_tag(a: np.ndarray, i: int, end: int) -> tuple[int, int]:
    """The next tag from ``i``: the index of its ``<`` (``end`` when there is none)
    and of its ``>`` (-1 when the XML ends inside it)."""
    while i < end and a[i] != _LT:
        i += 1
    if i >= end:
        return end, 0
    return i, _tag_end(a, i, end)


@njit(cache=True, nogil=True, inline="always")
def _name_is(a: np.ndarray, i: int, name: bytes) -> bool:
    """Whether the tag name at ``i`` is exactly ``name`` (followed by space, > or /)."""
    n = len(name)
    if i + n >= len(a):
        return False
    for k in range(n):
        if a[i + k] != name[k]:
            return False
    b = a[i + n]
    return b == _GT or b == _SLASH or _is_space(b)  # noqa: SIM109


@njit(cache=True, nogil=True, inline="always")
def _span_flags(a: np.ndarray, s: int, e: int) -> int:
    flags = F_MAYBE_BLANK
    for k in range(s, e):
        b = a[k]
        if b == 38:  # &
            flags |= F_AMP
        elif b == 95 and k + 1 < e and a[k + 1] == 120:  # _x
            flags |= F_UNDERSCORE_X
        elif b == 13:
            flags |= F_CR
        if b < 128 and not (b == 32 or (9 <= b <= 13) or (28 <= b <= 31)):
            flags &= ~F_MAYBE_BLANK
    return flags


@njit(cache=True, nogil=True, inline="always")
def _preserves(a: np.ndarray, i: int, gt: int) -> bool:
    """Whether the tag ``a[i:gt]`` holds the attribute value ``preserve``."""
    for k in range(i, gt - 7):
        if (
            a[k] == 112 and a[k + 1] == 114 and a[k + 2] == 101 and a[k + 3] == 115
            and a[k + 4] == 101 and a[k + 5] == 114 and a[k + 6] == 118 and a[k + 7] == 101
        ):  # fmt: skip
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _trim_flag(a: np.ndarray, s: int, e: int, flags: int, preserve: bool) -> int:
    """``F_TRIM`` when calamine would strip this unpreserved text (ends in white space
    or holds an entity that may decode to it)."""
    if preserve or s == e:
        return 0
    if flags & F_AMP or _is_space(a[s]) or _is_space(a[e - 1]):
        return F_TRIM
    return 0


@njit(cache=True, nogil=True, inline="always")
def _skip_element(a: np.ndarray, i: int, end: int, name: bytes) -> int:
    """Index after ``</name>`` for the element whose start tag closes at ``i``."""
    n = len(name)
    while i < end:
        if a[i] == _LT and a[i + 1] == _SLASH:
            ok = True
            for k in range(n):
                if a[i + 2 + k] != name[k]:
                    ok = False
                    break
            if ok and a[i + 2 + n] == _GT:
                return i + 3 + n
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _text_runs(
    a: np.ndarray, i: int, end: int, close: bytes
) -> tuple[int, int, int, int, int, bool]:
    """The ``<t>`` runs of an ``<is>`` or ``<si>`` whose start tag closes at ``i - 1``.

    Returns (status, index after the closing tag, first run start, first
    run end, number of runs, whether the first run preserves white space);
    phonetic runs (``<rPh>``) are not text.
    """
    runs = 0
    s0 = -1
    e0 = -1
    keep = False
    while i < end:
        if a[i] != _LT:
            i += 1
            continue
        if a[i + 1] == _SLASH:
            gt = _tag_end(a, i, end)
            if gt < 0:
                return UNTERMINATED, i, s0, e0, runs, keep
            if _name_is(a, i + 2, close):
                return OK, gt + 1, s0, e0, runs, keep
            i = gt + 1  # </r>, </rPr>, ...
            continue
        gt = _tag_end(a, i, end)
        if gt < 0:
            return UNTERMINATED, i, s0, e0, runs, keep
        selfclosed = a[gt - 1] == _SLASH
        if _name_is(a, i + 1, b"t"):
            if selfclosed:
                runs += 1
                if s0 < 0:
                    s0 = gt + 1
                    e0 = gt + 1
                i = gt + 1
                continue
            k = gt + 1
            while k < end and a[k] != _LT:
                k += 1
            if k + 3 >= end or a[k + 1] != _SLASH or a[k + 2] != 116 or a[k + 3] != _GT:
                return UNSUPPORTED_TAG, k, s0, e0, runs, keep
            runs += 1
            if s0 < 0:
                s0 = gt + 1
                e0 = k
                keep = _preserves(a, i, gt)
            i = k + 4
        elif _name_is(a, i + 1, b"rPh") or _name_is(a, i + 1, b"rPr"):
            # A phonetic run or a run's properties: no text of the cell.
            if selfclosed:
                i = gt + 1
            else:
                i = _skip_element(a, gt + 1, end, b"rPh" if a[i + 3] == 104 else b"rPr")
                if i < 0:
                    return UNTERMINATED, gt, s0, e0, runs, keep
        elif _name_is(a, i + 1, b"r") or _name_is(a, i + 1, b"phoneticPr"):
            i = gt + 1
        else:
            return UNSUPPORTED_TAG, i, s0, e0, runs, keep
    return UNTERMINATED, i, s0, e0, runs, keep


@njit(cache=True, nogil=True)
def scan_sheet(a: np.ndarray, start: int, end: int, capacity: int, state: np.ndarray):  # noqa: C901
    """Cells with a value in ``a[start:end]`` (whole rows of ``<sheetData>``).

    ``state`` (int64: current row, last row and last column with a value,
    all -1 at the start of a sheet) carries a sheet read piece by piece from
    one call to the next. Returns (status, position, count, row, col, type,
    style, value start, value end, flags, any formula).
    """
    row = np.empty(capacity, dtype=np.int32)
    col = np.empty(capacity, dtype=np.int32)
    typ = np.empty(capacity, dtype=np.uint8)
    style = np.empty(capacity, dtype=np.int32)
    vs = np.empty(capacity, dtype=np.int64)
    ve = np.empty(capacity, dtype=np.int64)
    flags = np.empty(capacity, dtype=np.uint8)
    n = 0
    cur_row = state[0]
    next_col = 0
    last_row = state[1]
    last_col = state[2]
    formulas = False
    i = start
    while True:
        i, gt = _next_tag(a, i, end)
        if i >= end:
            break
        if gt < 0:
            return UNTERMINATED, i, n, row, col, typ, style, vs, ve, flags, formulas
        if a[i + 1] == _SLASH:  # </row>
            i = gt + 1
            continue
        if _name_is(a, i + 1, b"row"):
            r = -1
            k = i + 4
            while k < gt:
                if a[k] == 114 and a[k + 1] == _EQ and _is_space(a[k - 1]):  # r=
                    k += 3
                    r = 0
                    while k < gt and 48 <= a[k] <= 57:
                        r = r * 10 + (a[k] - 48)
                        k += 1
                    break
                k += 1
            cur_row = r - 1 if r > 0 else cur_row + 1
            next_col = 0
            i = gt + 1
            continue
        if not _name_is(a, i + 1, b"c"):
            return UNSUPPORTED_TAG, i, n, row, col, typ, style, vs, ve, flags, formulas
        # Attributes of <c>.
        c = next_col
        r = cur_row
        t = T_NUMBER
        s = 0
        k = i + 2
        while k < gt:
            b = a[k]
            if _is_space(b) or b == _SLASH:
                k += 1
                continue
            name0 = b
            name_len = 0
            while k < gt and a[k] != _EQ and not _is_space(a[k]):
                k += 1
                name_len += 1
            while k < gt and a[k] != _QUOTE and a[k] != _APOS:
                k += 1
            q = a[k]
            k += 1
            v0 = k
            while k < gt and a[k] != q:
                k += 1
            v1 = k
            k += 1
            if name_len != 1:
                continue
            if name0 == 114:  # r
                p = v0
                letters = 0
                while p < v1 and 65 <= a[p] <= 90:
                    letters = letters * 26 + (a[p] - 64)
                    p += 1
                digits = 0
                nd = 0
                while p < v1 and 48 <= a[p] <= 57:
                    digits = digits * 10 + (a[p] - 48)
                    p += 1
                    nd += 1
                if letters == 0 or nd == 0 or p != v1:
                    return BAD_REFERENCE, i, n, row, col, typ, style, vs, ve, flags, formulas
                c = letters - 1
                r = digits - 1
            elif name0 == 115:  # s
                s = 0
                for p in range(v0, v1):
                    s = s * 10 + (a[p] - 48)
            elif name0 == 116:  # t
                w = v1 - v0
                if w == 1 and a[v0] == 110:
                    t = T_NUMBER
                elif w == 1 and a[v0] == 115:
                    t = T_SHARED
                elif w == 9 and a[v0] == 105:
                    t = T_INLINE
                elif w == 3 and a[v0] == 115:
                    t = T_FORMULA_TEXT
                elif w == 1 and a[v0] == 98:
                    t = T_BOOL
                elif w == 1 and a[v0] == 101:
                    t = T_ERROR
                else:
                    t = T_OTHER
        next_col = c + 1
        if a[gt - 1] == _SLASH:  # <c .../>: no value
            i = gt + 1
            continue
        # Children of <c>, up to </c>.
        v_start = -1
        v_end = -1
        f = 0
        preserve = True  # <v> text is not trimmed
        i = gt + 1
        while True:
            while i < end and a[i] != _LT:
                i += 1
            if i >= end:
                return UNTERMINATED, i, n, row, col, typ, style, vs, ve, flags, formulas
            g = _tag_end(a, i, end)
            if g < 0:
                return UNTERMINATED, i, n, row, col, typ, style, vs, ve, flags, formulas
            if a[i + 1] == _SLASH:
                if not _name_is(a, i + 2, b"c"):
                    return UNSUPPORTED_TAG, i, n, row, col, typ, style, vs, ve, flags, formulas
                i = g + 1
                break
            closed = a[g - 1] == _SLASH
            if _name_is(a, i + 1, b"v"):
                if closed:
                    i = g + 1
                    continue
                p = g + 1
                while p < end and a[p] != _LT:
                    p += 1
                if a[p + 1] != _SLASH or a[p + 2] != 118 or a[p + 3] != _GT:
                    return UNSUPPORTED_TAG, p, n, row, col, typ, style, vs, ve, flags, formulas
                v_start = g + 1
                v_end = p
                i = p + 4
            elif _name_is(a, i + 1, b"f"):
                f = F_FORMULA
                formulas = True
                if closed:
                    i = g + 1
                else:
                    i = _skip_element(a, g + 1, end, b"f")
                    if i < 0:
                        return UNTERMINATED, g, n, row, col, typ, style, vs, ve, flags, formulas
            elif _name_is(a, i + 1, b"is"):
                if closed:
                    i = g + 1
                    continue
                st, after, s0, e0, runs, keep = _text_runs(a, g + 1, end, b"is")
                if st != OK:
                    return st, after, n, row, col, typ, style, vs, ve, flags, formulas
                if runs > 1:
                    v_start = g + 1
                    v_end = after - 5  # before </is>
                    f |= F_RUNS
                elif runs == 1:
                    v_start = s0
                    v_end = e0
                    preserve = keep
                i = after
            else:
                return UNSUPPORTED_TAG, i, n, row, col, typ, style, vs, ve, flags, formulas
        if v_start < 0:
            continue  # a formula without a cached value, or an empty element
        if r < last_row or (r == last_row and c <= last_col):
            return OUT_OF_ORDER, i, n, row, col, typ, style, vs, ve, flags, formulas
        last_row = r
        last_col = c
        if n == capacity:
            return FULL, i, n, row, col, typ, style, vs, ve, flags, formulas
        row[n] = r
        col[n] = c
        typ[n] = t
        style[n] = s
        vs[n] = v_start
        ve[n] = v_end
        if t != T_NUMBER:
            f |= _span_flags(a, v_start, v_end)
            f |= _trim_flag(a, v_start, v_end, f, preserve)
        flags[n] = f
        n += 1
    state[0] = cur_row
    state[1] = last_row
    state[2] = last_col
    return OK, i, n, row, col, typ, style, vs, ve, flags, formulas


@njit(cache=True, nogil=True)
def scan_shared_strings(a: np.ndarray, start: int, end: int, capacity: int):
    """Spans of the ``<si>`` items of ``sharedStrings.xml``.

    Returns (status, position, count, value start, value end, flags); an
    item of several runs (rich text) has ``F_RUNS`` and spans its whole
    content.
    """
    vs = np.empty(capacity, dtype=np.int64)
    ve = np.empty(capacity, dtype=np.int64)
    flags = np.empty(capacity, dtype=np.uint8)
    n = 0
    i = start
    while True:
        i, gt = _next_tag(a, i, end)
        if i >= end:
            break
        if gt < 0:
            return UNTERMINATED, i, n, vs, ve, flags
        if not _name_is(a, i + 1, b"si"):
            i = gt + 1  # <sst ...>, </sst>, ...
            continue
        if n == capacity:
            return FULL, i, n, vs, ve, flags
        if a[gt - 1] == _SLASH:  # <si/>
            vs[n] = gt + 1
            ve[n] = gt + 1
            flags[n] = 0
            n += 1
            i = gt + 1
            continue
        st, after, s0, e0, runs, keep = _text_runs(a, gt + 1, end, b"si")
        if st != OK:
            return st, after, n, vs, ve, flags
        if runs > 1:
            vs[n] = gt + 1
            ve[n] = after - 5
            flags[n] = F_RUNS | _span_flags(a, gt + 1, after - 5)
        elif runs == 1:
            vs[n] = s0
            ve[n] = e0
            f = _span_flags(a, s0, e0)
            flags[n] = f | _trim_flag(a, s0, e0, f, keep)
        else:
            vs[n] = gt + 1
            ve[n] = gt + 1
            flags[n] = 0
        n += 1
        i = after
    return OK, i, n, vs, ve, flags


@njit(cache=True, nogil=True)
def parse_numbers(a: np.ndarray, vs: np.ndarray, ve: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decimal text to float where the result is exact (Clinger's fast path).

    A mantissa of at most 2**53 times a power of ten of at most 22 is two
    exact doubles, so one IEEE multiplication or division rounds correctly:
    the same double as Python's ``float``. Other spellings (17 digits, large
    exponents, spaces, ``INF``) are left to the caller (``ok`` False).
    """
    n = len(vs)
    out = np.empty(n, dtype=np.float64)
    ok = np.ones(n, dtype=np.bool_)
    pow10 = np.empty(23, dtype=np.float64)
    pow10[0] = 1.0
    for k in range(1, 23):
        pow10[k] = pow10[k - 1] * 10.0
    for j in range(n):
        p = vs[j]
        e = ve[j]
        neg = False
        if p < e and a[p] == 45:  # -
            neg = True
            p += 1
        mant = 0
        digits = 0
        scale = 0
        seen = False
        while p < e and 48 <= a[p] <= 57:
            if mant > 0 or a[p] != 48:
                digits += 1
            mant = mant * 10 + (a[p] - 48) if digits <= 18 else mant
            if digits > 18:
                scale += 1
            p += 1
            seen = True
        if p < e and a[p] == 46:  # .
            p += 1
            while p < e and 48 <= a[p] <= 57:
                if mant > 0 or a[p] != 48:
                    digits += 1
                if digits <= 18:
                    mant = mant * 10 + (a[p] - 48)
                    scale -= 1
                p += 1
                seen = True
        exp = 0
        if p < e and (a[p] == 69 or a[p] == 101):  # E e
            p += 1
            eneg = False
            if p < e and (a[p] == 43 or a[p] == 45):
                eneg = a[p] == 45
                p += 1
            nd = 0
            while p < e and 48 <= a[p] <= 57 and nd < 6:
                exp = exp * 10 + (a[p] - 48)
                p += 1
                nd += 1
            if nd == 0:
                seen = False
            exp = -exp if eneg else exp
        scale += exp
        if not seen or p != e or digits > 15 or mant > 9007199254740992 or abs(scale) > 22:
            ok[j] = False
            out[j] = np.nan
            continue
        v = float(mant)
        v = v * pow10[scale] if scale >= 0 else v / pow10[-scale]
        out[j] = -v if neg else v
    return out, ok
