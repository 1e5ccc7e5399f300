"""Array helpers for the hot paths, where pandas' generic route is slow.

pandas 3 stores text in Arrow, but ``Series.isin`` on a text Series builds a
Python scalar for every candidate (≈ 4 µs each): looking a million parcel
ids up among another million costs seconds. :func:`isin` hands both sides to
Arrow's hash kernel instead and falls back to pandas for anything that is not
text.

Examples
--------
>>> import pandas as pd
>>> isin(pd.Series(["P1", "P2", None]), {"P2", "P3"}).tolist()
[False, True, False]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import take
from pandas.api.types import infer_dtype

__all__ = [
    "arrow_text",
    "first_per_group",
    "group_ids",
    "isin",
    "join_text",
    "left_join_unique",
    "lookup",
    "on_distinct",
    "nfkc",
    "number_text",
    "positions",
]


def arrow_text(values: Any) -> pa.Array | pa.ChunkedArray | None:
    """``values`` as an Arrow large_string array, or None when they are not all text."""
    if isinstance(values, (set, frozenset, dict)):
        values = list(values)
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.array
    elif isinstance(values, (np.ndarray, pd.api.extensions.ExtensionArray)):
        arr = values
    else:
        arr = np.asarray(list(values), dtype=object)
    if isinstance(getattr(arr, "dtype", None), pd.StringDtype):
        out = pa.array(arr)
    else:
        obj = np.asarray(arr, dtype=object)
        if infer_dtype(obj, skipna=True) not in ("string", "empty"):
            return None
        out = pa.array(obj, type=pa.large_string(), from_pandas=True)
    return out.cast(pa.large_string())


def nfkc(text: pd.Series) -> pd.Series:
    """A text Series NFKC-normalised by Arrow's kernel (pandas' ``str.normalize`` loops in Python).

    Keeps the Series' string dtype and index; any other dtype is cast to
    ``string`` first.

    Examples
    --------
    >>> nfkc(pd.Series(["ＡＢ１", None], dtype="string")).tolist()
    ['AB1', <NA>]
    """
    if not isinstance(text.dtype, pd.StringDtype) or text.dtype.storage != "pyarrow":
        text = text.astype("string")
    done = pc.utf8_normalize(pa.array(text.array), form="NFKC")
    return pd.Series(pd.array(done, dtype=text.dtype), index=text.index, name=text.name)


def isin(values: pd.Series | Iterable[Any], candidates: Iterable[Any]) -> np.ndarray:
    """Whether each value is among ``candidates``, as a numpy bool array.

    Missing values are never "in". Text on both sides goes through Arrow's
    ``is_in`` kernel; any other data through ``pandas.Series.isin``.

    Parameters
    ----------
    values : Series or array-like
    candidates : Series, Index, array, set or any iterable

    Returns
    -------
    numpy.ndarray of bool, one per value.

    Examples
    --------
    >>> isin(pd.Series(["甲", "乙"], dtype="string"), pd.Index(["乙"])).tolist()
    [False, True]
    >>> isin(pd.Series([1, 2]), [2]).tolist()
    [False, True]
    """
    left = arrow_text(values)
    right = arrow_text(candidates) if left is not None else None
    if left is None or right is None:
        series = values if isinstance(values, pd.Series) else pd.Series(list(values))
        if isinstance(candidates, (set, frozenset, dict)):
            candidates = list(candidates)
        out = series.isin(candidates).to_numpy(dtype=bool, na_value=False)
        return out & series.notna().to_numpy()
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    hit = pc.is_in(left, value_set=right, skip_nulls=True).fill_null(False)
    return np.array(hit, dtype=bool)


def positions(values: pd.Series | Iterable[Any], keys: pd.Series | pd.Index) -> np.ndarray:
    """Position of each value in ``keys`` (the first, if repeated); -1 when absent or missing.

    The lookup behind a ``Series.map`` on a text index, without building a
    pandas hash table of Python strings each time.

    Examples
    --------
    >>> positions(pd.Series(["b", "x", None]), pd.Index(["a", "b"])).tolist()
    [1, -1, -1]
    """
    left = arrow_text(values)
    right = arrow_text(keys) if left is not None else None
    if left is None or right is None:
        wanted = pd.Index(values)
        codes, unique = pd.factorize(pd.Index(keys))  # the first occurrence, as Arrow's
        first = first_per_group(np.flatnonzero(codes >= 0), codes, len(unique))
        found = pd.Index(unique).get_indexer(wanted)
        found = np.where(found >= 0, first[np.maximum(found, 0)], -1)
        return np.where(pd.isna(wanted), -1, found).astype(np.int64)
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    found = pc.index_in(left, value_set=right, skip_nulls=True).fill_null(-1)
    return np.array(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def group_ids(*columns: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """One integer per distinct combination of values (missing is a value), and their count.

    Groups are numbered in order of first appearance; the work is in numpy
    (``pandas.factorize`` of each column, combined), not in a pandas groupby.

    Examples
    --------
    >>> ids, n = group_ids(pd.Series(["a", "b", "a", None]), np.array([1, 1, 1, 2]))
    >>> ids.tolist(), n
    ([0, 1, 0, 2], 3)
    """
    n_rows = len(columns[0]) if columns else 0
    gid = np.zeros(n_rows, dtype=np.int64)
    n = 1 if n_rows else 0
    for col in columns:
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
        codes, uniq = pd.factorize(gid * (len(uniques) + 1) + codes)
        gid, n = codes.astype(np.int64), len(uniq)
    return gid, n


def first_per_group(positions: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """The smallest of ``positions`` in each of ``n`` groups (``group[positions]``); -1 if none.

    Examples
    --------
    >>> first_per_group(np.array([4, 1, 3]), np.array([0, 1, 1, 0, 1]), 3).tolist()
    [3, 1, -1]
    """
    positions = np.sort(np.asarray(positions, dtype=np.int64))
    out = np.full(n, -1, dtype=np.int64)
    if len(positions):
        groups, at = np.unique(group[positions], return_index=True)  # first occurrence
        out[groups] = positions[at]
    return out


def left_join_unique(
    left: pd.DataFrame,
    right: pd.DataFrame,
    on: str,
    suffixes: tuple[str, str] = ("_x", "_y"),
) -> pd.DataFrame:
    """``left.merge(right, on=on, how="left", suffixes=suffixes)``, by position lookup.

    When ``right[on]`` is unique (one row per enterprise, say) a left merge is
    a lookup: :func:`positions` finds each key's row, and unmatched rows get
    missing values with merge's dtypes (int → float, bool → object). A repeated
    or missing key on the right (merge pairs missing keys with each other) goes
    to ``DataFrame.merge``; keys that are not text take :func:`positions`'
    pandas path.

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["E1", "E2"], "x": [1, 2]})
    >>> b = pd.DataFrame({"id": ["E2"], "x": [5.0]})
    >>> left_join_unique(a, b, "id", suffixes=("", "_b")).values.tolist()
    [['E1', 1, nan], ['E2', 2, 5.0]]
    """
    keys = right[on]
    # merge pairs missing keys with each other; a lookup never does.
    plain = len(keys) and not keys.isna().any() and not keys.duplicated().any()
    if not plain:
        return left.merge(right, on=on, how="left", suffixes=suffixes)
    pos = positions(left[on], keys)
    rest = right.drop(columns=on)
    if (pos >= 0).all():
        taken = rest.iloc[pos].reset_index(drop=True)
    else:  # -1 takes the column's missing value, in merge's dtypes (int → float, bool → object)
        taken = pd.DataFrame(
            {c: take(rest[c].array, pos, allow_fill=True) for c in rest.columns},
            columns=rest.columns,
            copy=False,  # fresh arrays: no consolidating copy of a wide table
        )
    base = left.reset_index(drop=True)
    both = [c for c in taken.columns if c in base.columns]
    if both:
        base = base.rename(columns={c: f"{c}{suffixes[0]}" for c in both})
        taken = taken.rename(columns={c: f"{c}{suffixes[1]}" for c in both})
    return pd.concat([base, taken], axis=1)


def lookup(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """The values of ``mapping`` (unique text index) at ``values``, by :func:`positions`.

    What ``values.map(mapping)`` gives, in the mapping's own dtype rather
    than the Arrow dtypes ``map`` returns on Arrow text: missing and unknown
    values give a missing result (int → float, bool → object, as a left
    merge). A repeated index goes to ``Series.map``.

    Examples
    --------
    >>> lookup(pd.Series(["b", "x"]), pd.Series([1.0, 2.0], index=["a", "b"])).tolist()
    [2.0, nan]
    """
    if not len(mapping) or mapping.index.has_duplicates:
        return values.map(mapping)
    pos = positions(values, mapping.index)
    # -1 takes the missing value, in merge's dtypes (as left_join_unique).
    return pd.Series(
        take(mapping.array, pos, allow_fill=True), index=values.index, name=values.name
    )


def number_text(values: pd.Series) -> pd.Series:
    """``values.astype("string")`` of a numeric Series, formatted once per distinct value.

    Rounded figures (a plot ratio to two decimals, a share in percent, a
    rank) repeat across a million parcels: Python formats each distinct value
    once. Float zeros are written apart: hashing merges -0.0 with 0.0.

    Examples
    --------
    >>> number_text(pd.Series([1.5, None, 1.5, -0.0])).tolist()
    ['1.5', <NA>, '1.5', '-0.0']
    >>> number_text(pd.Series([3, None, 3], dtype="Int64")).tolist()
    ['3', <NA>, '3']
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not len(uniques):
        return pd.Series(pd.NA, index=values.index, dtype="string", name=values.name)
    text = pd.Series(uniques).astype("string")
    out = text.take(np.maximum(codes, 0)).set_axis(values.index).mask(codes < 0)
    if values.dtype.kind == "f":
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        zero = numbers == 0
        if zero.any():
            out[zero] = np.where(np.signbit(numbers[zero]), "-0.0", "0.0")
    return out.rename(values.name)


def join_text(*parts: pd.Series | str) -> pd.Series:
    """``parts[0] + parts[1] + …`` of text Series and strings, in one Arrow pass.

    A reason text of a million rows is a dozen pieces: ``+`` makes a new
    array for each. Each Series is read as ``string``; the result is <NA>
    where any Series is <NA> (as with ``+``) and has the first Series'
    index. The Series must be aligned (same length and order).

    Examples
    --------
    >>> join_text(pd.Series(["a", None], dtype="string"), "-", pd.Series(["x", "y"])).tolist()
    ['a-x', <NA>]
    """
    series = [p for p in parts if isinstance(p, pd.Series)]
    if not series:
        raise TypeError("join_text needs at least one Series")
    n = len(series[0])
    if any(len(p) != n for p in series):
        raise ValueError("join_text: the Series differ in length")
    args = [
        pa.array(p.astype("string").array).cast(pa.large_string())
        if isinstance(p, pd.Series)
        else pa.scalar(str(p), pa.large_string())
        for p in parts
    ]
    out = pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(out), index=series[0].index)


def on_distinct(values: pd.Series, fn: Callable[[pd.Series], Any], fill: Any) -> np.ndarray | None:
    """``fn`` of each distinct value of a typed Series, spread back to every row.

    For columns of one dtype (dates, numbers), whose values hash exactly;
    object text goes through :func:`landclear.ids.on_uniques`. ``fn`` gets
    the distinct non-missing values as a Series and returns one result each
    (array-like); missing rows get ``fill``. Returns None when nothing is
    gained — every row missing, or as many distinct values as rows — and the caller
    then applies ``fn`` to ``values`` itself, so that the result keeps
    ``fn``'s own dtype in those cases too.

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-06-30", None, "2024-06-30"]))
    >>> on_distinct(d, lambda u: u.dt.year.to_numpy(), -1).tolist()
    [2024, -1, 2024]
    >>> on_distinct(d.iloc[:1], lambda u: u.dt.year.to_numpy(), -1) is None
    True
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not 0 < len(uniques) < len(codes):
        return None
    done = np.asarray(fn(pd.Series(uniques)))
    out = done[np.maximum(codes, 0)]
    out[codes < 0] = fill
    return out
