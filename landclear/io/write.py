"""Writers: GeoPackage layers and the formula-safe ledger workbook.

Ledger text is untrusted: every string cell is written as a string (never a
formula), and a string beginning with ``= + - @`` (or a tab/CR) gets Excel's
quote-prefix so that editing the cell later cannot turn it into a formula.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from landclear._memory import gc_paused

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula.

    Examples
    --------
    >>> is_formula_like("=HYPERLINK(\\"http://x\\")"), is_formula_like("正常")
    (True, False)
    """
    return text.startswith(FORMULA_START)


def neutralise_formula(text: str) -> str:
    """Prefix ``'`` to formula-like text (for CSV and other plain-text exports)."""
    return "'" + text if is_formula_like(text) else text


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def objects_as_text(s: pd.Series) -> pd.Series:
    """An object column of mixed cells as nullable text: dates ISO, missing stays missing.

    GDAL, Arrow and psycopg each refuse a column mixing numbers and text; ledger
    columns do mix them, so writers store such a column as text.

    Examples
    --------
    >>> import datetime as dt
    >>> objects_as_text(pd.Series([1, "x", None, dt.date(2024, 6, 30)], dtype=object)).tolist()
    ['1', 'x', <NA>, '2024-06-30']
    """
    values = s.to_numpy(dtype=object)
    missing = pd.isna(values)
    text = np.array(
        [v.isoformat() if isinstance(v, dt.date) else str(v) for v in values], dtype=object
    )
    text[missing] = None
    return pd.Series(pd.array(text, dtype="string"), index=s.index, name=s.name)


def _prepare_for_ogr(df: pd.DataFrame) -> pd.DataFrame:
    """Types GDAL writes cleanly: nullable bools to small ints, objects to text.

    Only the converted columns are new; the others are shared with ``df``.
    """
    changes: dict[str, pd.Series] = {}
    for col in df.columns:
        if col == "geometry":
            continue
        s = df[col]
        if isinstance(s.dtype, pd.BooleanDtype):
            changes[col] = s.astype("Int8")
        elif s.dtype == object:
            changes[col] = objects_as_text(s)
    return df.assign(**changes) if changes else df


def write_layer(df: pd.DataFrame, path: str | Path, layer: str) -> None:
    """Write one GeoPackage layer (attribute-only when ``df`` has no geometry), via Arrow."""
    with gc_paused():  # the writer makes an object (WKB, multi-part shape) per feature
        pyogrio.write_dataframe(
            _prepare_for_ogr(df), path, layer=layer, driver="GPKG", use_arrow=True
        )


def write_workbook(
    sheets: Iterable[tuple[str, pd.DataFrame]],
    path: str | Path,
    *,
    headers: dict[str, str] | None = None,
    constant_memory: bool = False,
) -> Path:
    """Write sheets to an .xlsx with frozen headers, autofilter, widths and formats.

    Parameters
    ----------
    sheets : iterable of (sheet name, DataFrame)
        Sheet names are cut to Excel's 31 characters.
    headers : dict, optional
        Column name → header text (Chinese labels by default in callers).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> p = write_workbook([("表", pd.DataFrame({"a": ["=1+1"]}))],
    ...                    os.path.join(tempfile.mkdtemp(), "x.xlsx"))
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = headers or {}
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "constant_memory": constant_memory,
            "nan_inf_to_errors": False,
        },
    )
    fmt_head = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    fmt_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fmt_num = wb.add_format({"num_format": "#,##0.00"})
    fmt_int = wb.add_format({"num_format": "0"})
    fmt_quote = wb.add_format({"quote_prefix": True})
    used: set[str] = set()
    for name, df in sheets:
        sheet_name = name[:31]
        while sheet_name in used:
            sheet_name = sheet_name[:29] + f"{len(used)}"
        used.add(sheet_name)
        ws = wb.add_worksheet(sheet_name)
        df = df.reset_index(drop=True)
        if "geometry" in df.columns:
            df = df.drop(columns="geometry")
        for j, col in enumerate(df.columns):
            head = headers.get(col, str(col))
            ws.write_string(0, j, head, fmt_head)
            s = df[col]
            width = _display_width(head)
            if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype):
                vals = s.map({True: "是", False: "否"}).astype(object)
                for i, v in enumerate(vals, start=1):
                    if isinstance(v, str):
                        ws.write_string(i, j, v)
                width = max(width, 4)
            elif pd.api.types.is_datetime64_any_dtype(s):
                for i, v in enumerate(s, start=1):
                    if pd.notna(v):
                        ws.write_datetime(i, j, v.to_pydatetime(), fmt_date)
                width = max(width, 11)
            elif pd.api.types.is_integer_dtype(s):
                for i, v in enumerate(s, start=1):
                    if pd.notna(v):
                        ws.write_number(i, j, int(v), fmt_int)
                width = max(width, 6)
            elif pd.api.types.is_float_dtype(s):
                arr = s.to_numpy(dtype=float, na_value=np.nan)
                for i, v in enumerate(arr, start=1):
                    if np.isfinite(v):
                        ws.write_number(i, j, float(v), fmt_num)
                width = max(width, 10)
            else:
                for i, v in enumerate(s, start=1):
                    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                        continue
                    if isinstance(v, dt.date):
                        ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), fmt_date)
                        continue
                    text = str(v)
                    ws.write_string(i, j, text, fmt_quote if is_formula_like(text) else None)
                    if i < 500:
                        width = max(width, min(_display_width(text), 60))
            ws.set_column(j, j, min(width + 2, 62))
        ws.freeze_panes(1, 0)
        if len(df.columns):
            ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
        ws.set_row(0, 30)
    wb.close()
    return path
