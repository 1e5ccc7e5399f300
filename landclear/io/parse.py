"""Vectorised parsing of ledger cell values: dates, numbers, money, booleans.

Bureau ledgers mix Excel date cells, Excel serial numbers, text dates in
several styles, numbers with thousands separators and unit words, full-width
digits and yes/no words. Every parser here takes a :class:`pandas.Series` of
raw cells (any mix of ``str``, numbers, ``datetime``/``date``, ``None``) and
returns the parsed values plus a boolean ``bad`` mask: *non-empty* input that
could not be parsed. Empty cells ("", "-", "/", "无", "—", ...) are missing
values, never bad.

All work is done with pandas ``.str`` methods and numpy on whole columns; the
only per-element Python step is a ``type`` lookup on object columns.

:func:`harmonise` applies the parsers to a loaded frame according to
``landclear.schema.FIELDS`` and records every value it had to blank in the
:class:`~landclear.quality.QualityLog`.
"""

from __future__ import annotations

import datetime as _dt
import re
from fractions import Fraction

import numpy as np
import pandas as pd

from landclear.arrays import nfkc
from landclear.ids import WHITESPACE, ZERO_WIDTH, on_uniques
from landclear.quality import QualityLog
from landclear.schema import FIELDS, MONEY, SOURCE_FILE, SOURCE_ROW

__all__ = [
    "AREA_COLUMNS",
    "EMPTY_MARKERS",
    "harmonise",
    "parse_bools",
    "parse_dates",
    "parse_money",
    "parse_numbers",
    "parse_quantity",
    "to_text",
    "unit_factor",
]

#: Cell texts that mean "no value" (compared after NFKC, strip and casefold).
EMPTY_MARKERS: frozenset[str] = frozenset(
    {"", "-", "--", "/", "\\", "无", "—", "——", "nan", "none", "null", "nat", "n/a", "#n/a"}
)

# Bools: "无" means False there, so it has its own empty set.
_BOOL_EMPTY = frozenset({"", "-", "--", "/", "\\", "—", "——", "nan", "none", "null", "n/a"})

_TRUE = frozenset(
    {"是", "有", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "✔", "规上", "规模以上", "对"}
)
_FALSE = frozenset(
    {"否", "无", "n", "no", "false", "f", "0", "0.0", "×", "✗", "✘", "规下", "规模以下", "错"}
)

# Unit words a cell may carry after its number, longest first so that 万元 wins over 元.
_UNIT_WORDS = (
    "万平方米", "平方公里", "平方米", "万千瓦时", "千瓦时", "万kwh", "万度", "吨标准煤", "吨标煤",
    "万元", "亿元", "公顷", "平米", "kwh", "tce", "m2", "元", "亩", "吨", "人", "度", "ha",
)  # fmt: skip
_DIGITS = r"(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_NUMBER_RE = re.compile(
    rf"^(?P<neg>[-+])?(?:\((?P<pnum>{_DIGITS})\)|(?P<num>{_DIGITS}))"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _UNIT_WORDS) + r")?$"
)

#: Conversion of a unit (header or cell) into the canonical unit of a family.
_F = Fraction
#: Conversion of a unit (header or cell) into the canonical unit of a family, kept as
#: exact fractions so that 300 元 becomes exactly 0.03 万元 (a division, not × 1e-4).
_FAMILIES: dict[str, dict[str, Fraction]] = {
    # money → 万元 (DOMAIN §3)
    "money": {"万元": _F(1), "元": _F(1, 10000), "人民币元": _F(1, 10000), "亿元": _F(10000), "万": _F(1)},
    # land area → 亩 (1 亩 = 10000/15 m², exactly)
    "land": {
        "亩": _F(1), "平方米": _F(15, 10000), "m2": _F(15, 10000), "平米": _F(15, 10000),
        "公顷": _F(15), "ha": _F(15), "平方公里": _F(1500), "万平方米": _F(15),
    },
    # building area → m²
    "building": {
        "平方米": _F(1), "m2": _F(1), "平米": _F(1), "万平方米": _F(10000), "亩": _F(10000, 15),
        "公顷": _F(10000),
    },
    "kwh": {
        "千瓦时": _F(1), "kwh": _F(1), "度": _F(1), "万千瓦时": _F(10000), "万kwh": _F(10000),
        "万度": _F(10000),
    },
    "tce": {"吨标准煤": _F(1), "吨标煤": _F(1), "tce": _F(1), "吨": _F(1), "万吨标准煤": _F(10000)},
}  # fmt: skip

#: Area columns and their canonical unit family ("land" → 亩, "building" → m²).
AREA_COLUMNS: dict[str, dict[str, str]] = {
    "parcels": {
        "certified_area": "land",
        "developed_area": "land",
        "floor_area": "building",
        "footprint_area": "building",
    },
    "disposals": {"area_mu": "land"},
    "buildings": {"floor_area": "building"},
}

_OTHER_UNITS: dict[str, dict[str, str]] = {
    "enterprises": {"electricity_kwh": "kwh", "energy_tce": "tce"},
}

_FAMILY_LABEL = {
    "money": "万元",
    "land": "亩",
    "building": "平方米",
    "kwh": "千瓦时",
    "tce": "吨标准煤",
}

_DATE_YMD = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*(?:[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?)?\s*月?"
    r"(?:[t\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?$"
)
_DATE_DIGITS = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d*)?$")
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000  # 1954-10-03 … 2119-01-11
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_ZERO_WIDTH = "[" + ZERO_WIDTH + "]"


#: "2023年" / "2023 年度": the suffix of a year written as text (RE2-compatible).
_YEAR_SUFFIX = "[" + WHITESPACE + "]*年度?$"

_TYPE_KIND: dict[type, str] = {
    str: "str", np.str_: "str", float: "num", int: "num", bool: "bool", np.bool_: "bool",
    np.float64: "num", np.int64: "num", np.float32: "num", np.int32: "num",
    _dt.datetime: "dt", _dt.date: "dt", pd.Timestamp: "dt", np.datetime64: "dt",
    type(None): "na", type(pd.NaT): "na", type(pd.NA): "na",
}  # fmt: skip


#: ``infer_dtype`` results whose every non-missing cell has one kind.
_SINGLE_KIND = {
    "string": "str", "floating": "num", "integer": "num", "mixed-integer-float": "num",
    "boolean": "bool", "datetime": "dt", "datetime64": "dt", "date": "dt", "empty": "na",
}  # fmt: skip


def _as_series(values: object) -> pd.Series:
    """A Series with a fresh RangeIndex, so label and position agree inside parsers."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(values, dtype=object)


def _restore(index: pd.Index, *series: pd.Series) -> tuple[pd.Series, ...]:
    for s in series:
        s.index = index
    return series


def _kinds(values: pd.Series) -> pd.Series:
    """Classify each cell as 'na', 'bool', 'num', 'dt', 'str' or 'other'."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series(np.where(values.isna(), "na", "bool"), index=values.index)
    if pd.api.types.is_numeric_dtype(dtype):
        return pd.Series(np.where(values.isna(), "na", "num"), index=values.index)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.Series(np.where(values.isna(), "na", "dt"), index=values.index)
    if isinstance(dtype, pd.StringDtype):
        return pd.Series(np.where(values.isna(), "na", "str"), index=values.index)
    # One kind in the whole column (the usual case): no per-cell type lookup.
    single = _SINGLE_KIND.get(pd.api.types.infer_dtype(values, skipna=True))
    if single is not None:
        return pd.Series(np.where(values.isna(), "na", single), index=values.index, dtype=object)
    kinds = values.map(type).map(_TYPE_KIND).fillna("other").astype(object)
    # NaN floats are missing, not numbers.
    kinds[kinds.eq("num").to_numpy() & values.isna().to_numpy()] = "na"
    return kinds


@on_uniques
def _text(values: pd.Series) -> pd.Series:
    """NFKC-normalised, stripped, case-folded text of every cell (missing → "")."""
    out = nfkc(values).fillna("")
    out = out.str.replace(_ZERO_WIDTH, "", regex=True).str.strip()
    return out.str.lower()


def _is_empty_text(text: pd.Series, markers: frozenset[str] = EMPTY_MARKERS) -> pd.Series:
    return text.isin(markers).astype(bool)


def _ymd(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Build dates from numeric parts; impossible dates (2021-02-30) become NaT."""
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype("float64")
    ok = frame.notna().all(axis=1) & frame["year"].between(1800, 2300)
    out = pd.Series(pd.NaT, index=year.index, dtype="datetime64[ns]")
    if ok.any():
        parsed = pd.to_datetime(frame[ok].astype("int64"), errors="coerce")
        out[ok] = parsed.astype("datetime64[ns]")
    return out


def _dates_from_numbers(num: pd.Series) -> pd.Series:
    """Excel serials (20000–80000), yyyymmdd and yyyymm given as numbers."""
    out = pd.Series(pd.NaT, index=num.index, dtype="datetime64[ns]")
    serial = num.between(_SERIAL_MIN, _SERIAL_MAX)
    if serial.any():
        days = np.floor(num[serial].to_numpy(dtype="float64")).astype("int64")
        out[serial] = _EXCEL_EPOCH + days.astype("timedelta64[D]")
    integral = num.notna() & (num == np.floor(num))
    ymd = integral & num.between(18000101, 23001231)
    if ymd.any():
        v = num[ymd].astype("int64")
        out[ymd] = _ymd(v // 10000, (v // 100) % 100, v % 100)
    ym = integral & num.between(180001, 230012)
    if ym.any():
        v = num[ym].astype("int64")
        out[ym] = _ymd(v // 100, v % 100, pd.Series(1, index=v.index))
    return out


# Dates: datetime cells and text mixed in one column are fine here (no 1/True collision
# can change a date's outcome: both are unparseable).
@on_uniques(kinds=("string", "empty", "mixed", "datetime", "date"))
def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ledger dates in every common style.

    Accepted: date/datetime cells and Timestamps; ``"2021-06-30"``,
    ``"2021/6/30"``, ``"2021.6.30"``, ``"2021年6月30日"`` (a trailing time
    is ignored); month only ``"2021年6月"``, ``"2021-06"``, ``"202106"``
    (→ the first day of the month); ``"20210630"``; Excel serial numbers in
    20000–80000 (1954–2119, base 1899-12-30) given as numbers or text;
    full-width digits and surrounding spaces.

    Parameters
    ----------
    values : pandas.Series
        Raw cells.

    Returns
    -------
    dates : pandas.Series
        ``datetime64[ns]``; NaT where empty or unparseable.
    bad : pandas.Series
        bool; True where the cell was not empty but could not be parsed
        (including impossible dates such as 2021-02-30).

    Examples
    --------
    >>> d, bad = parse_dates(pd.Series(["2021年6月", 44377, "2021-02-30", "-"]))
    >>> [str(x.date()) if pd.notna(x) else None for x in d]
    ['2021-06-01', '2021-06-30', None, None]
    >>> bad.tolist()
    [False, False, True, False]
    """
    index = values.index if isinstance(values, pd.Series) else None
    values = _as_series(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    kinds = _kinds(values)

    dt = kinds.eq("dt")
    if dt.any():
        got = pd.to_datetime(values[dt], errors="coerce")
        if getattr(got.dt, "tz", None) is not None:
            got = got.dt.tz_localize(None)
        # Ledger dates are days: a time of day (from datetime cells) is dropped.
        out[dt] = got.astype("datetime64[ns]").dt.normalize()

    num = kinds.eq("num")
    if num.any():
        out[num] = _dates_from_numbers(pd.to_numeric(values[num], errors="coerce"))

    st = kinds.eq("str")
    empty = kinds.eq("na")
    if st.any():
        text = _text(values[st])
        blank = _is_empty_text(text)
        empty[blank[blank].index] = True
        rest = text[~blank]
        for pattern in (_DATE_YMD, _DATE_DIGITS):
            m = rest.str.extract(pattern)
            hit = m["y"].notna().to_numpy()
            if hit.any():
                m = m[hit].astype("float64").fillna({"d": 1.0})
                out[m.index] = _ymd(m["y"], m["m"], m["d"])
            rest = rest[~hit]
        serial = rest[rest.str.match(_SERIAL).astype(bool)]
        if len(serial):
            out[serial.index] = _dates_from_numbers(serial.astype("float64"))

    bad = (out.isna() & ~empty).astype(bool)
    return _restore(index, out, bad) if index is not None else (out, bad)


@on_uniques
def parse_quantity(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse numbers and return the unit word written in each cell.

    Handles thousands separators (``,`` and ``，``), full-width digits,
    spaces, a leading sign, accounting negatives ``"(12)"`` and a trailing
    unit word (元, 万元, 亿元, 亩, 平方米, ㎡, 公顷, 吨, 吨标准煤, 千瓦时, 万千瓦时,
    度, 人, kWh, tce).

    Returns
    -------
    number : pandas.Series (float64, NaN where empty or bad)
    unit : pandas.Series (string, <NA> where the cell had no unit)
    bad : pandas.Series (bool)

    Examples
    --------
    >>> n, u, bad = parse_quantity(pd.Series(["12.5万元", "１，２３４", "(3)", "abc"]))
    >>> n.tolist()[:3], u.tolist()[:2], bad.tolist()
    ([12.5, 1234.0, -3.0], ['万元', <NA>], [False, False, False, True])
    """
    index = values.index if isinstance(values, pd.Series) else None
    values = _as_series(values)
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    if not numeric and values.dtype == object:  # cells that are all numbers (or empty)
        numeric = _SINGLE_KIND.get(pd.api.types.infer_dtype(values, skipna=True)) == "num"
    if numeric:  # numbers already (GIS attribute tables, Excel number cells): nothing to parse
        number = pd.to_numeric(values, errors="coerce").astype("float64")
        unit = pd.Series(pd.NA, index=values.index, dtype="string")
        bad = pd.Series(False, index=values.index)
        return (number, unit, bad) if index is None else _restore(index, number, unit, bad)
    number = pd.Series(np.nan, index=values.index, dtype="float64")
    unit = pd.Series(pd.NA, index=values.index, dtype="string")
    bad = pd.Series(False, index=values.index)
    kinds = _kinds(values)

    num = kinds.eq("num")
    if num.any():
        number[num] = pd.to_numeric(values[num], errors="coerce").astype("float64")

    st = kinds.eq("str")
    if st.any():
        text = _text(values[st])
        blank = _is_empty_text(text)
        text = text[~blank].str.replace("[" + WHITESPACE + ",'_]", "", regex=True)
        m = text.str.extract(_NUMBER_RE)
        paren = m["pnum"].notna()
        digits = m["num"].fillna(m["pnum"])
        ok = digits.notna().to_numpy()
        val = digits[ok].astype("float64")
        negative = m.loc[ok, "neg"].eq("-").fillna(False).astype(bool) ^ paren[ok]
        number[val.index] = val.where(~negative, -val)
        unit[val.index] = m.loc[ok, "unit"]
        bad[text[~ok].index] = True

    bad |= kinds.isin(["dt", "other", "bool"])
    if index is None:
        return number, unit, bad
    return _restore(index, number, unit, bad)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers; unit words in the cell are stripped (see :func:`parse_quantity`).

    Examples
    --------
    >>> n, bad = parse_numbers(pd.Series(["1,234.5", "１５亩", "", "x"]))
    >>> n.tolist()[:2], bad.tolist()
    ([1234.5, 15.0], [False, False, False, True])
    """
    number, _, bad = parse_quantity(values)
    return number, bad


def unit_factor(unit: str | None, family: str) -> float | None:
    """Factor converting ``unit`` into the canonical unit of ``family``.

    ``family`` is "money" (万元), "land" (亩), "building" (m²), "kwh" or
    "tce". Returns None for a unit the family does not know.

    Examples
    --------
    >>> unit_factor("元", "money"), unit_factor("公顷", "land")
    (0.0001, 15.0)
    """
    factor = _fraction(unit, family)
    return None if factor is None else float(factor)


def _fraction(unit: str | None, family: str) -> Fraction | None:
    if unit is None:
        return Fraction(1)
    key = _text(pd.Series([unit])).iloc[0].replace(" ", "")
    key = re.sub(r"^(?:金额)?单位[:：]?", "", key)
    return _FAMILIES[family].get(key)


def _convert(
    values: pd.Series, header_unit: str | None, family: str
) -> tuple[pd.Series, pd.Series]:
    """Parse and convert to the family's canonical unit; the cell unit wins over the header."""
    number, unit, bad = parse_quantity(values)
    header = _fraction(header_unit, family) or Fraction(1)
    mul = pd.Series(float(header.numerator), index=number.index)
    div = pd.Series(float(header.denominator), index=number.index)
    has_unit = unit.notna()
    if has_unit.any():
        table = _FAMILIES[family]
        cell = unit[has_unit].astype(object).map(table)
        mul[has_unit] = cell.map(lambda f: float(f.numerator), na_action="ignore").astype(float)
        div[has_unit] = cell.map(lambda f: float(f.denominator), na_action="ignore").astype(float)
        bad = bad | (mul.isna() & number.notna())
    out = (number * mul / div).where(~bad)
    return out, bad


def parse_money(values: pd.Series, header_unit: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse amounts into 万元.

    A unit written in the cell wins; otherwise the header unit applies
    (``"元"`` → divide by 10000, ``"万元"`` or no unit → as is, ``"亿元"`` →
    × 10000). A cell with a non-money unit (``"15亩"``) is bad.

    Examples
    --------
    >>> m, bad = parse_money(pd.Series(["120,000", "3万元", "(5000)"]), "元")
    >>> m.tolist(), bad.tolist()
    ([12.0, 3.0, -0.5], [False, False, False])
    """
    return _convert(values, header_unit, "money")


def parse_bools(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no cells into a nullable ``boolean`` Series.

    True: 是, 有, Y, yes, true, 1, √, 规上 (规模以上); False: 否, 无, N, no,
    false, 0, ×, 规下 (规模以下). Case and width are ignored.

    Examples
    --------
    >>> b, bad = parse_bools(pd.Series(["是", "ｙｅｓ", "×", "规上", "", "也许"]))
    >>> b.tolist(), bad.tolist()
    ([True, True, False, True, <NA>, <NA>], [False, False, False, False, False, True])
    """
    index = values.index if isinstance(values, pd.Series) else None
    values = _as_series(values)
    kinds = _kinds(values)
    text = _text(values)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_TRUE).to_numpy(dtype=bool)] = True
    out[text.isin(_FALSE).to_numpy(dtype=bool)] = False
    empty = kinds.eq("na") | _is_empty_text(text, _BOOL_EMPTY)
    bad = (out.isna() & ~empty).astype(bool)
    return _restore(index, out, bad) if index is not None else (out, bad)


def to_text(values: pd.Series) -> pd.Series:
    """Cells as stripped NFKC text (pandas ``string``; "" → <NA>).

    Whole numbers read from Excel as floats become ``"640202"``, not
    ``"640202.0"``; date cells become ``"2021-06-30"``.

    Examples
    --------
    >>> to_text(pd.Series([" ＡＢ ", 640202.0, None, 1.5])).tolist()
    ['AB', '640202', <NA>, '1.5']
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        # Arrow text (GIS attributes): Arrow's kernels on every row beat
        # finding the distinct values first.
        return _arrow_text(values)
    return _any_text(values)


def _arrow_text(values: pd.Series) -> pd.Series:
    out = nfkc(values.astype("string"))  # <NA>-valued ``string``, whatever the reader gave
    out = out.str.replace(_ZERO_WIDTH, "", regex=True).str.strip()
    return out.mask(out.eq(""), pd.NA)


@on_uniques
def _any_text(values: pd.Series) -> pd.Series:
    index = values.index if isinstance(values, pd.Series) else None
    values = _as_series(values)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        values = values.astype("string")
    if isinstance(values.dtype, pd.StringDtype):  # text already: no round trip through objects
        out = _arrow_text(values)
        if index is not None:
            out.index = index
        return out
    kinds = _kinds(values)
    obj = values.astype(object).copy()
    num = kinds.eq("num")
    if num.any():
        v = pd.to_numeric(values[num], errors="coerce").astype("float64")
        whole = (v == np.floor(v)) & (v.abs() < 1e18)
        as_int = v[whole].astype("int64").astype(str)
        obj[as_int.index] = as_int
        obj[v[~whole].index] = v[~whole].astype(str)
    dt = kinds.eq("dt")
    if dt.any():
        d = pd.to_datetime(values[dt], errors="coerce")
        obj[dt] = d.dt.strftime("%Y-%m-%d").where(d.dt.normalize() == d, d.astype(str))
    obj[kinds.eq("na")] = None
    out = nfkc(obj).str.replace(_ZERO_WIDTH, "", regex=True)
    out = out.str.strip()
    out = out.mask(out.eq(""), pd.NA)
    if index is not None:
        out.index = index
    return out


def _whole_numbers(values: pd.Series) -> pd.Series | None:
    """The cells as float64 when every one is a whole number cell (or empty), else None.

    A year column read from Excel is floats (2023.0): going through text
    ("2023") and back gives the same numbers, so they are taken as they are.
    Anything else (text, booleans, fractions, magnitudes of 1e18 and more,
    which text writes with an exponent) takes the text path.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if values.dtype == object:
        if pd.api.types.infer_dtype(values, skipna=True) not in (
            "floating", "integer", "mixed-integer-float", "empty"
        ):  # fmt: skip
            return None
    elif not pd.api.types.is_numeric_dtype(values.dtype):
        return None
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    v = number.to_numpy()
    v = v[~np.isnan(v)]
    if not (np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 1e18)).all():
        return None
    return number


def _where(df: pd.DataFrame, file_col: str, row_col: str) -> tuple[pd.Series, pd.Series]:
    files = df[file_col] if file_col in df else pd.Series("<memory>", index=df.index)
    rows = df[row_col] if row_col in df else pd.Series(np.arange(1, len(df) + 1), index=df.index)
    return files.astype(str), rows


def _short(value: object) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:40] + "…"


_KIND_LABEL = {
    "date": ("日期", "date"),
    "number": ("数值", "number"),
    "int": ("整数", "integer"),
    "bool": ("是/否值", "yes/no value"),
}


def harmonise(
    df: pd.DataFrame,
    input_name: str,
    units: dict[str, str],
    log: QualityLog,
    *,
    file_col: str = SOURCE_FILE,
    row_col: str = SOURCE_ROW,
) -> pd.DataFrame:
    """Convert every canonical column of ``df`` to its type in ``schema.FIELDS``.

    - ``str``: stripped NFKC text (``string`` dtype); ``code``: the same
      (credit codes are normalised later by ``landclear.ids``).
    - ``date``: :func:`parse_dates` → ``datetime64[ns]``.
    - ``number``: float. Money columns (``schema.MONEY``) → 万元 by the
      header unit (``units[column]``) or the cell's own unit. Land areas
      (``certified_area``, ``developed_area``, ``area_mu``) → 亩, default 亩
      when no unit is written (no guessing from the values); building areas
      (``floor_area``, ``footprint_area``) → m², default m². 用电量 →
      kWh, 综合能耗 → tce.
    - ``int``: whole numbers (``Int64``); "2023年" → 2023.
    - ``bool``: :func:`parse_bools` → ``boolean``.

    A value that cannot be parsed becomes missing and is logged as a repair
    of its row (the row is kept); each column with such values adds one
    warning. Columns not in the schema are left untouched.

    Examples
    --------
    >>> log = QualityLog()
    >>> df = pd.DataFrame({"amount": ["1,000,000", "x"], "source_file": "t.xlsx",
    ...                    "source_row": [3, 4]})
    >>> harmonise(df, "tax_arrears", {"amount": "元"}, log)["amount"].tolist()
    [100.0, nan]
    >>> log.inputs["tax_arrears"].repairs[0]["row"]
    4
    """
    fields = FIELDS.get(input_name, {})
    money = set(MONEY.get(input_name, ()))
    families = {**{c: "money" for c in money}, **AREA_COLUMNS.get(input_name, {})}
    families.update(_OTHER_UNITS.get(input_name, {}))
    rec = log.input(input_name)
    out = df.copy(deep=False)  # columns are replaced, never changed in place (copy-on-write)
    files, rows = _where(df, file_col, row_col)
    for column, kind in fields.items():
        if column not in out.columns:
            continue
        raw = out[column]
        bad = None
        if kind in ("str", "code"):
            out[column] = to_text(raw)
            if kind == "code":
                _flag_numeric_codes(raw, column, files, rows, rec)
            continue
        if kind == "date":
            out[column], bad = parse_dates(raw)
        elif kind == "bool":
            out[column], bad = parse_bools(raw)
        elif kind == "int":
            number = _whole_numbers(raw)
            if number is None:
                text = to_text(raw).str.replace(_YEAR_SUFFIX, "", regex=True)
                number, bad = parse_numbers(text.astype(object).where(text.notna(), None))
            else:
                bad = pd.Series(False, index=raw.index)
            frac = number.notna() & (number != np.floor(number))
            bad = bad | frac
            out[column] = number.where(~frac).astype("Int64")
        else:
            family = families.get(column)
            unit = units.get(column)
            if family is None:
                out[column], bad = parse_numbers(raw)
            else:
                if unit is not None and unit_factor(unit, family) is None:
                    log.warn(
                        f"{input_name}.{column}: 表头单位 {_short(unit)!r} 无法识别,按"
                        f"{_FAMILY_LABEL[family]}读取 / unknown header unit, read as "
                        f"{_FAMILY_LABEL[family]}",
                        input=input_name,
                        column=column,
                    )
                elif unit is not None and unit_factor(unit, family) != 1.0:
                    rec.notes.append(
                        f"{column}: 表头单位 {unit} 已换算为 {_FAMILY_LABEL[family]} / "
                        f"converted from {unit}"
                    )
                out[column], bad = _convert(raw, unit, family)
        if bad is not None and bad.any():
            mask = bad.to_numpy(dtype=bool)
            zh, en = _KIND_LABEL.get(kind, ("值", "value"))
            reasons = [
                f"无法解析的{zh} {_short(v)!r} 已置空 / unparseable {en} set to empty"
                for v in raw[mask].tolist()
            ]
            rec.repair(files[mask].tolist(), rows[mask].tolist(), reasons, column)
            n = int(bad.sum())
            log.warn(
                f"{input_name}.{column}: {n} 个{zh}无法解析,已置空 / {n} unparseable "
                f"{en}s set to empty",
                input=input_name,
                column=column,
                count=n,
            )
    return out


def _flag_numeric_codes(
    raw: pd.Series, column: str, files: pd.Series, rows: pd.Series, rec: object
) -> None:
    """Codes stored as Excel numbers beyond 15 digits have already lost digits."""
    kinds = _kinds(raw)
    num = kinds.eq("num")
    if not num.any():
        return
    v = pd.to_numeric(raw[num.to_numpy(dtype=bool)], errors="coerce")
    lost = v.abs() >= 1e15
    if lost.any():
        mask = num.to_numpy(dtype=bool).copy()
        mask[mask] = lost.to_numpy(dtype=bool)
        rec.repair(  # type: ignore[attr-defined]
            files[mask].tolist(),
            rows[mask].tolist(),
            "代码以数字格式保存,超过15位的数字可能已被 Excel 截断 / code stored as a number; "
            "digits beyond 15 may be lost",
            column,
        )
