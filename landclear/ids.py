"""Identifiers found in bureau ledgers (DOMAIN §4), normalised and checked.

Every function takes a Series (or anything array-like) and returns a Series
or DataFrame on the same index; all work is vectorised (pandas ``.str``
methods and numpy), so a million-row ledger is fine. Missing or empty values
become ``<NA>``; nothing here raises on bad data — bad values are flagged.

- 统一社会信用代码 (GB 32100-2015): :func:`normalise_credit_code`,
  :func:`credit_code_valid`, :func:`credit_code_status`,
  :func:`credit_code_check_char`.
- 企业名称: :func:`normalise_name`.
- 宗地代码 / 不动产单元代码 (GB/T 37346-2019): :func:`parcel_code_parts`.
- 地类编码 (GB/T 21010-2017, 三调 工作分类): :func:`normalise_land_use`,
  :func:`is_industrial_land_use`.

Examples
--------
>>> import pandas as pd
>>> codes = pd.Series([" 9111 0000-6000 3734 1l ", "91110000600037341N", None])
>>> normalise_credit_code(codes).tolist()
['91110000600037341L', '91110000600037341N', <NA>]
>>> credit_code_valid(codes).tolist()
[True, False, False]
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from landclear.arrays import arrow_text, nfkc

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_MESSAGES",
    "INDUSTRIAL_LAND_USE",
    "LAND_USE_NAMES",
    "WHITESPACE",
    "ZERO_WIDTH",
    "credit_code_check_char",
    "credit_code_status",
    "credit_code_valid",
    "is_industrial_land_use",
    "memo_snapshot",
    "merge_memo",
    "normalise_credit_code",
    "normalise_land_use",
    "normalise_name",
    "parcel_code_parts",
    "warm_memo",
]

# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------

#: Python's ``\s`` (every character ``str.isspace`` accepts) as a regex class body
#: of literal characters: pyarrow's RE2 reads a narrower ``\s`` and no ``\u``
#: escapes, and pandas falls back to a Python loop for patterns holding either.
WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Zero-width marks (a class body, like :data:`WHITESPACE`).
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
#: Characters that are layout, not content: whitespace (incl. U+3000 after
#: NFKC), zero-width marks, dashes, dots, slashes and common separators.
_SEPARATORS = "[" + WHITESPACE + ZERO_WIDTH + "\\-\u2010-\u2015\u2212_.·•/\\\\|,、;:'\"‘’“”]+"

#: Placeholders bureaus type into an empty cell.
_PLACEHOLDERS = ("无", "暂无", "空", "NULL", "NONE", "NAN", "N/A", "NA", "<NA>")

_UNIQUE_MIN_ROWS = 2_000
#: Distinct values remembered per function (and arguments) across calls.
_MEMO_MAX = 4_000_000
_MEMO: dict[tuple[Any, ...], tuple[pa.Array, pd.DataFrame]] = {}
_MEMO_LOCK = threading.Lock()


def clear_memo() -> None:
    """Forget every remembered result of the :func:`on_uniques` functions."""
    with _MEMO_LOCK:
        _MEMO.clear()


def memo_snapshot() -> dict[tuple[Any, ...], tuple[pa.Array, pd.DataFrame]]:
    """The results the :func:`on_uniques` functions remember, to hand to another process.

    The loader's ledger worker normalises every ledger name and code; its
    snapshot, given to :func:`merge_memo` in the main process, spares that
    process normalising the parcel owners that are the same enterprises.

    Examples
    --------
    >>> snapshot = memo_snapshot()
    >>> merge_memo(snapshot)  # a no-op in the same process
    """
    with _MEMO_LOCK:
        return dict(_MEMO)


def merge_memo(snapshot: dict[tuple[Any, ...], tuple[pa.Array, pd.DataFrame]]) -> None:
    """Remember the results of another process's :func:`memo_snapshot` too.

    Results are pure functions of the string and the arguments, so both
    processes computed the same values: strings this process remembers
    already keep their entry, the others are appended (within
    :data:`_MEMO_MAX` per function).

    Examples
    --------
    >>> merge_memo({})
    """
    with _MEMO_LOCK:
        for key, (keys, table) in snapshot.items():
            have = _MEMO.get(key)
            if have is None:
                if len(keys) <= _MEMO_MAX:
                    _MEMO[key] = (keys, table)
                continue
            old_keys, old_table = have
            if keys.type != old_keys.type or list(table.columns) != list(old_table.columns):
                continue  # not the same function's results: keep this process's own
            new = np.flatnonzero(~np.asarray(pc.is_in(keys, value_set=old_keys), dtype=bool))
            if not len(new) or len(old_keys) + len(new) > _MEMO_MAX:
                continue
            merged = pd.concat([old_table, table.iloc[new]], ignore_index=True)
            merged.attrs.update(old_table.attrs)
            _MEMO[key] = (pa.concat_arrays([old_keys, keys.take(pa.array(new))]), merged)


def _memo_key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, ...] | None:
    key = (fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _memoised(
    fn: Callable[..., Any], strings: pa.Array, dtype: Any, key: tuple[Any, ...] | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """``fn`` of distinct strings, reusing the results of earlier calls.

    The same names and codes pass through several stages (entities, each
    ledger, parcels); each distinct string is computed once per process.
    Known strings are found with Arrow's hash lookup (no Python loop).
    Returns the table of results (one column per returned Series; attrs
    ``tuple`` and ``names``) and the row of each string in it.
    """
    with _MEMO_LOCK:
        keys, table = _MEMO.get(key, (None, None)) if key is not None else (None, None)
    if keys is not None and len(keys) + len(strings) > _MEMO_MAX:
        keys = table = None  # full: this call works alone and remembers nothing
        key = None
    rows = np.full(len(strings), -1, dtype=np.int64)
    if keys is not None and len(strings) >= len(keys):
        found = pc.index_in(strings, value_set=keys).fill_null(-1)
        rows = found.to_numpy(zero_copy_only=False).astype(np.int64)
    elif keys is not None:
        # Hash the smaller side: look the remembered strings up among this call's few.
        at = pc.index_in(keys, value_set=strings).fill_null(-1)
        at = at.to_numpy(zero_copy_only=False).astype(np.int64)
        hit = at >= 0
        rows[at[hit]] = np.flatnonzero(hit)
    missing = rows < 0
    if missing.any():
        new = strings.filter(pa.array(missing))
        done = fn(pd.Series(pd.array(new, dtype=dtype)))
        is_tuple = isinstance(done, tuple)
        parts = list(done) if is_tuple else [done]
        fresh = pd.concat([p.reset_index(drop=True) for p in parts], axis=1, ignore_index=True)
        start = 0 if table is None else len(table)
        table = fresh if table is None else pd.concat([table, fresh], ignore_index=True)
        table.attrs.update({"tuple": is_tuple, "names": [p.name for p in parts]})
        rows[missing] = np.arange(start, start + len(new))
        if key is not None:
            keys = new if keys is None else pa.concat_arrays([keys, new])
            with _MEMO_LOCK:
                _MEMO[key] = (keys, table)
    return table, rows


def on_uniques(
    func: Callable[..., Any] | None = None,
    *,
    kinds: tuple[str, ...] = ("string", "empty"),
    remember: bool = False,
) -> Any:
    """Run an elementwise function once per distinct value, then broadcast.

    Ledgers repeat names, codes, dates and statuses many times; working on
    each distinct value once gives the same result for a fraction of the work.
    The function returns a Series or a tuple of Series aligned to its input.
    Only columns whose inferred kind is in ``kinds`` qualify: by default text,
    because in an object column 1, 1.0 and True hash alike.

    With ``remember=True`` (names and codes, which pass through several
    stages), results for pure text are also kept across calls, keyed by the
    function and its arguments; :func:`clear_memo` forgets them.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(values, *args, **kwargs):
            s = values if isinstance(values, pd.Series) else None
            if s is None or len(s) < _UNIQUE_MIN_ROWS:
                return fn(values, *args, **kwargs)
            kind = "string" if isinstance(s.dtype, pd.StringDtype) else None
            if kind is None and s.dtype == object:
                kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind not in kinds:
                return fn(values, *args, **kwargs)
            if remember and kind in ("string", "empty"):
                # Pure text: distinct strings (Arrow dictionary), remembered across calls.
                text = arrow_text(s)
                if isinstance(text, pa.ChunkedArray):
                    text = text.combine_chunks()
                encoded = pc.dictionary_encode(text)
                strings = encoded.dictionary
                if not len(strings):
                    return fn(values, *args, **kwargs)
                codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                dtype = s.dtype if isinstance(s.dtype, pd.StringDtype) else "string"
                table, rows = _memoised(
                    lambda u: fn(u, *args, **kwargs), strings, dtype, _memo_key(fn, args, kwargs)
                )
                is_tuple = bool(table.attrs.get("tuple"))
                names = table.attrs.get("names") or [None] * table.shape[1]
                take = rows[np.maximum(codes, 0)]
                na = codes < 0
                if na.any():
                    done = fn(pd.Series([None], dtype=s.dtype), *args, **kwargs)
                    na_row = pd.concat(
                        [p.reset_index(drop=True) for p in (done if is_tuple else [done])],
                        axis=1,
                        ignore_index=True,
                    )
                    table = pd.concat([table, na_row], ignore_index=True)
                    take = np.where(na, len(table) - 1, take)
                out = [
                    table[c].iloc[take].set_axis(s.index).rename(name)
                    for c, name in zip(table.columns, names, strict=True)
                ]
                return tuple(out) if is_tuple else out[0]
            codes, uniques = pd.factorize(s, use_na_sentinel=False)
            if len(uniques) > 0.7 * len(s):
                return fn(values, *args, **kwargs)
            done = fn(pd.Series(uniques, dtype=s.dtype), *args, **kwargs)

            def spread(part: pd.Series) -> pd.Series:
                out = part.iloc[codes]
                out.index = s.index
                return out

            return tuple(spread(p) for p in done) if isinstance(done, tuple) else spread(done)

        return wrapper

    return decorate(func) if func is not None else decorate


def _as_text(values: pd.Series | Iterable[object]) -> pd.Series:
    """Any array-like as a nullable ``string`` Series, NFKC-normalised.

    Integers (codes read as numbers) become their decimal digits; floats keep
    their repr ("601.0"), which callers that expect numbers strip.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Int64")
    return nfkc(s.astype("string"))


def _flag(mask: pd.Series) -> np.ndarray:
    """A nullable boolean result as a plain numpy mask, missing → False."""
    return mask.fillna(False).to_numpy(dtype=bool)


def _empty_to_na(s: pd.Series) -> pd.Series:
    blank = s.isna().to_numpy() | _flag(s.str.len() == 0) | _flag(s.str.upper().isin(_PLACEHOLDERS))
    return s.mask(blank)


# --------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)
# --------------------------------------------------------------------------

#: The 31 characters of GB 32100; a character's value is its index.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_LUT = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(CREDIT_CODE_ALPHABET):
    _LUT[ord(_c)] = _i
del _i, _c

#: User-facing text of each :func:`credit_code_status` value.
CREDIT_CODE_MESSAGES: dict[str, str] = {
    "valid": "统一社会信用代码有效 / credit code valid",
    "missing": "未填统一社会信用代码 / credit code missing",
    "bad_length": "统一社会信用代码不是18位 / credit code is not 18 characters",
    "bad_chars": (
        "统一社会信用代码含非法字符(不可含I、O、Z、S、V，第3–8位须为数字)"
        " / credit code has characters outside GB 32100"
    ),
    "bad_check": "统一社会信用代码校验位错误 / credit code check character is wrong",
}


@on_uniques(remember=True)
def normalise_credit_code(codes: pd.Series | Iterable[object]) -> pd.Series:
    """Canonical form of 统一社会信用代码 values.

    NFKC (full-width → half-width), upper case, and every space, hyphen, dot,
    slash and similar separator removed. Empty cells and placeholders
    (无, 暂无, NULL, ...) become ``<NA>``. Letters are never guessed: an ``O``
    typed for ``0`` stays ``O`` and the code is invalid.

    Parameters
    ----------
    codes : Series or array-like
        Raw values as read from a ledger (text or numbers).

    Returns
    -------
    Series of dtype ``string`` on the same index.

    Examples
    --------
    >>> normalise_credit_code(pd.Series(["９１３４ ０６００-ma2pbm9hxd", "/", ""])).tolist()
    ['91340600MA2PBM9HXD', <NA>, <NA>]
    """
    s = _as_text(codes).str.upper().str.replace(_SEPARATORS, "", regex=True)
    # Removing a space can leave a combining mark next to a letter: recompose.
    return _empty_to_na(nfkc(s))


def _check_values(matrix: np.ndarray) -> np.ndarray:
    """Expected check value for each row of a (n, 17) matrix of values."""
    total = matrix @ _WEIGHTS
    return (31 - total % 31) % 31


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character (18th) for the first 17 characters.

    Parameters
    ----------
    first17 : str
        17 characters from :data:`CREDIT_CODE_ALPHABET` (normalised first).

    Returns
    -------
    str
        One character of the alphabet.

    Raises
    ------
    ValueError
        When ``first17`` is not 17 characters of the alphabet.

    Examples
    --------
    >>> credit_code_check_char("91110000600037341")
    'L'
    >>> credit_code_check_char("91340600MA2PBM9HX")
    'D'
    """
    text = normalise_credit_code(pd.Series([first17])).iloc[0]
    if pd.isna(text) or len(text) != 17 or any(c not in CREDIT_CODE_ALPHABET for c in text):
        raise ValueError(
            f"需要17位GB 32100字符 / need 17 characters of {CREDIT_CODE_ALPHABET}: {first17!r}"
        )
    values = _LUT[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    return CREDIT_CODE_ALPHABET[int(_check_values(values[None, :])[0])]


@on_uniques(remember=True)
def credit_code_status(codes: pd.Series | Iterable[object]) -> pd.Series:
    """Why each credit code is or is not valid under GB 32100.

    Codes are normalised first (:func:`normalise_credit_code`). Values:
    ``"valid"``, ``"missing"``, ``"bad_length"`` (not 18 characters),
    ``"bad_chars"`` (a character outside the alphabet, or a letter in
    positions 3–8), ``"bad_check"`` (check character wrong).
    :data:`CREDIT_CODE_MESSAGES` gives the text for users.

    Examples
    --------
    >>> credit_code_status(["91110000600037341L", "91110000600037341N", "123", None]).tolist()
    ['valid', 'bad_check', 'bad_length', 'missing']
    """
    norm = normalise_credit_code(codes)
    status = np.full(len(norm), "missing", dtype=object)
    present = norm.notna().to_numpy()
    length18 = _flag(norm.str.len() == 18)
    status[present & ~length18] = "bad_length"
    # Only pure-ASCII alphanumerics may go through the byte matrix below.
    ascii18 = _flag(norm.str.fullmatch(r"[0-9A-Z]{18}"))
    status[length18 & ~ascii18] = "bad_chars"
    idx = np.flatnonzero(ascii18)
    if idx.size:
        joined = "".join(norm.to_numpy(dtype=object)[idx]).encode("ascii")
        values = _LUT[np.frombuffer(joined, dtype=np.uint8).reshape(-1, 18)]
        chars_ok = (values >= 0).all(axis=1) & (values[:, 2:8] < 10).all(axis=1)
        check_ok = _check_values(np.where(values[:, :17] < 0, 0, values[:, :17])) == values[:, 17]
        status[idx] = np.where(~chars_ok, "bad_chars", np.where(check_ok, "valid", "bad_check"))
    return pd.Series(status, index=norm.index, dtype="string")


def credit_code_valid(codes: pd.Series | Iterable[object]) -> pd.Series:
    """True where a code is a valid GB 32100 统一社会信用代码 after normalising.

    Valid means: 18 characters of ``0123456789ABCDEFGHJKLMNPQRTUWXY``,
    characters 3–8 (the administrative-division code) digits, and the 18th
    equal to ``alphabet[(31 − Σ vᵢwᵢ mod 31) mod 31]`` with weights
    1, 3, 9, …, 28 (3ⁱ mod 31). Missing values are ``False``. Some codes
    issued in early pilot regions fail the check although they are real
    (see ``docs/matching.md``): treat ``False`` as "cannot key on the code,
    fall back to the name", never as proof that the enterprise is fake.

    Returns
    -------
    Series of bool on the same index.

    Examples
    --------
    >>> credit_code_valid(["91340600MA2PBM9HXD", "91110000600037341N"]).tolist()
    [True, False]
    """
    return (credit_code_status(codes) == "valid").astype(bool)


# --------------------------------------------------------------------------
# 企业名称
# --------------------------------------------------------------------------

_OPEN = r"[\[【〔{〈〖]"
_CLOSE = r"[\]】〕}〉〗]"
_EDGE_PUNCT = "[" + WHITESPACE + ".,;:!?、。，；：！？·'\"“”‘’\\-_/\\\\|*#~]+"
_BRANCH_WORDS = "分公司|分厂|分店|分部|营业部|办事处"
#: "(石嘴山分公司)" written in brackets at the end of a name.
_BRANCH_BRACKET = rf"\((?:[^()]*?)(?:{_BRANCH_WORDS})\)$"
#: "XX有限公司石嘴山分公司" → "XX有限公司": keep up to the last 公司/厂/集团 before
#: the branch words; a name with no such parent part is left alone.
_BRANCH_TAIL = rf"^(.*(?:公司|厂|集团))[^()]*?(?:{_BRANCH_WORDS})$"


@on_uniques(remember=True)
def normalise_name(names: pd.Series | Iterable[object], drop_branch: bool = False) -> pd.Series:
    """Comparable form of enterprise names.

    Rules, in order: NFKC (full-width → half-width, ``（）`` → ``()``); Latin
    letters upper-cased; all whitespace and zero-width characters removed;
    ``【】 〔〕 [] {} 〈〉 〖〗`` → ``()``; ``有限责任公司`` → ``有限公司`` (one legal form
    under 《公司法》, which registrations and bureaus write either way); punctuation
    stripped from both ends; empty → ``<NA>``.

    ``股份有限公司`` is kept distinct from ``有限公司``: it is a different legal
    form and a converted company keeps its credit code, so code matching
    links it; by name the two differ by two characters and surface as a
    reported fuzzy match instead of a silent exact one.

    Parameters
    ----------
    names : Series or array-like
    drop_branch : bool, default False
        Also strip a branch suffix (``…分公司``, ``…分厂``, ``…分店``,
        ``…分部``, ``…营业部``, ``…办事处``, also in brackets) to get the
        parent's key: ``XX有限公司石嘴山分公司`` → ``XX有限公司``.

    Returns
    -------
    Series of dtype ``string`` on the same index.

    Examples
    --------
    >>> normalise_name(pd.Series([" 锤子科贸（上海）有限责任公司。", "ab 公司【石嘴山】"])).tolist()
    ['锤子科贸(上海)有限公司', 'AB公司(石嘴山)']
    >>> normalise_name(pd.Series(["宁夏XX化工有限公司大武口分公司"]), drop_branch=True).tolist()
    ['宁夏XX化工有限公司']
    """
    if drop_branch:
        return _drop_branch(normalise_name(names))
    s = _as_text(names).str.upper()
    s = s.str.replace("[" + WHITESPACE + ZERO_WIDTH + "]+", "", regex=True)
    s = s.str.replace(_OPEN, "(", regex=True).str.replace(_CLOSE, ")", regex=True)
    s = s.str.replace("有限责任公司", "有限公司", regex=False)
    s = s.str.replace(rf"^{_EDGE_PUNCT}|{_EDGE_PUNCT}$", "", regex=True)
    return _empty_to_na(nfkc(s))


def _drop_branch(norm: pd.Series) -> pd.Series:
    """Normalised names without their branch suffix (only names with a branch word change)."""
    out = norm.copy()
    has = _flag(norm.str.contains(_BRANCH_WORDS, regex=True))
    if not has.any():
        return out
    s = norm[has].str.replace(_BRANCH_BRACKET, "", regex=True)
    # A branch of a branch ("…公司分公司分公司") needs one pass per level.
    for _ in range(5):
        stripped = s.str.replace(_BRANCH_TAIL, r"\1", regex=True)
        if stripped.equals(s):
            break
        s = stripped
    out[has] = _empty_to_na(nfkc(s))
    return out


# --------------------------------------------------------------------------
# 宗地代码 (GB/T 37346-2019)
# --------------------------------------------------------------------------

#: 宗地特征码: first letter 土地所有权 (G 国有, J 集体, Z 未确定/争议), second the
#: right type (A 集体所有权, B 建设用地使用权地表, S 地上, X 地下, C 宅基地, D 耕地承包,
#: E 林地, F 草原, G 其他用地承包, H 海域, W 使用权未确定, Y 其他).
_PARCEL = r"(?P<county_code>\d{6})(?P<cadastral_district>\d{3})(?P<cadastral_subdistrict>\d{3})(?P<feature_code>[GJZ][A-Z])(?P<serial>\d{5})"
#: The 9 trailing characters of a 不动产单元代码: 定着物特征码 F/L/Q/W + 8 digits.
_UNIT_TAIL = r"(?:[FLQW]\d{8})?"


def parcel_code_parts(codes: pd.Series | Iterable[object]) -> pd.DataFrame:
    """Split 宗地代码 (19 chars) or 不动产单元代码 (28 chars) into its parts.

    Codes are normalised like credit codes (NFKC, upper case, separators
    removed). A 28-character 不动产单元代码 contributes its first 19
    characters. ``valid`` is True when the code is 19 characters (or 28 with
    a well-formed 定着物 part: F/L/Q/W and 8 digits) of the form county 6
    digits, 地籍区 3 digits, 地籍子区 3 digits, 特征码 ``[GJZ][A-Z]``, serial 5
    digits; parts are ``<NA>`` where invalid.

    Returns
    -------
    DataFrame on the same index with columns ``parcel_code`` (the 19-char
    宗地代码), ``county_code``, ``cadastral_district``,
    ``cadastral_subdistrict``, ``feature_code``, ``serial``, ``valid``.

    Examples
    --------
    >>> p = parcel_code_parts(["640202 003 001 GB 00012 F00010001", "X1"])
    >>> p.loc[0, ["county_code", "feature_code", "serial"]].tolist()
    ['640202', 'GB', '00012']
    >>> p["valid"].tolist()
    [True, False]
    """
    norm = normalise_credit_code(codes)
    parts = norm.str.extract(rf"^{_PARCEL}{_UNIT_TAIL}$")
    valid = parts["county_code"].notna()
    out = parts.astype("string")
    out.insert(0, "parcel_code", norm.str.slice(0, 19).where(valid))
    out["valid"] = valid.astype(bool)
    return out


# --------------------------------------------------------------------------
# 地类编码 (GB/T 21010-2017; 三调 工作分类)
# --------------------------------------------------------------------------

#: Names as written in ledgers → code. First-level classes of GB/T 21010-2017,
#: the 06 family, 三调 0508 and the residential second level.
LAND_USE_NAMES: dict[str, str] = {
    "耕地": "01", "园地": "02", "林地": "03", "草地": "04", "商服用地": "05",
    "商业服务业用地": "05", "工矿仓储用地": "06", "工矿用地": "06", "住宅用地": "07",
    "公共管理与公共服务用地": "08", "特殊用地": "09", "交通运输用地": "10",
    "水域及水利设施用地": "11", "其他土地": "12",
    "工业用地": "0601", "工业": "0601", "采矿用地": "0602", "采矿": "0602", "盐田": "0603",
    "仓储用地": "0604", "仓储": "0604", "物流仓储用地": "0508", "物流仓储": "0508",
    "城镇住宅用地": "0701", "农村宅基地": "0702",
}  # fmt: skip

#: GB/T 21010-2007 3-digit codes → 2017 codes (only those that matter here).
_OLD_CODES = {"061": "0601", "062": "0602", "063": "0604"}

#: Codes counted as industrial-type land: 工矿仓储用地 (06) and its 0601 工业,
#: 0602 采矿, 0604 仓储, plus 三调 0508 物流仓储.
INDUSTRIAL_LAND_USE: tuple[str, ...] = ("06", "0601", "0602", "0604", "0508")


@on_uniques
def normalise_land_use(codes: pd.Series | Iterable[object]) -> pd.Series:
    """地类编码 in GB/T 21010-2017 form, from codes, numbers or names.

    - numbers and float text lose their ``.0`` and regain leading zeros:
      ``601``, ``601.0``, ``"601.0"`` → ``0601``; ``6`` → ``06``;
    - a 2-digit value above 12 is a 3-digit code that lost its zero
      (``61`` → ``061``);
    - GB/T 21010-2007 codes ``061/062/063`` → ``0601/0602/0604``;
    - a code followed by a name (``"0601工业用地"``) keeps the code; a name
      alone (``工业用地``, ``物流仓储用地``; see :data:`LAND_USE_NAMES`) becomes
      its code, ignoring a bracketed remark (``工业用地（出让）``);
    - 三调 codes such as ``0508`` and ``05H1`` are kept;
    - anything else is returned cleaned but unchanged, so nothing is lost.

    Other 3-digit values are read as 4-digit codes without the zero
    (``101`` → ``0101``), which misreads the old 2007 codes 101–127; none
    of those is industrial.

    Examples
    --------
    >>> normalise_land_use(pd.Series([601.0, "061", "0508", "工业用地(出让)", "63", None])).tolist()
    ['0601', '0601', '0508', '0601', '0604', <NA>]
    """
    s = _as_text(codes).str.upper().str.replace("[" + WHITESPACE + "]+", "", regex=True)
    s = s.str.replace(r"^(\d+)\.0*$", r"\1", regex=True)
    code = s.str.extract(r"^(\d{1,4}(?:[A-Z]\d?)?)(?![0-9A-Z])", expand=False)
    digits = _flag(code.str.fullmatch(r"\d+"))
    n = code.str.len().fillna(0).to_numpy(dtype=np.int64)
    number = pd.to_numeric(code.where(digits), errors="coerce").fillna(0).to_numpy()
    leading_zero = _flag(code.str.startswith("0"))
    pad = digits & ((n == 1) | ((n == 2) & (number > 12)) | ((n == 3) & ~leading_zero))
    code = code.mask(pad, "0" + code)
    code = code.replace(_OLD_CODES)
    name = s.str.replace(r"\([^()]*\)$", "", regex=True).map(LAND_USE_NAMES)
    out = code.fillna(name.astype("string")).fillna(s)
    return _empty_to_na(nfkc(out))


def is_industrial_land_use(
    codes: pd.Series | Iterable[object], industrial: Iterable[str] = INDUSTRIAL_LAND_USE
) -> pd.Series:
    """True where the land use is industrial-type (工业、采矿、仓储、物流仓储).

    Parameters
    ----------
    codes : Series or array-like
        Codes, numbers or names; normalised with :func:`normalise_land_use`.
    industrial : iterable of str, default :data:`INDUSTRIAL_LAND_USE`
        Normalised codes that count (configurable, e.g. drop ``"0602"``).

    Examples
    --------
    >>> is_industrial_land_use(["0601", 602, "物流仓储用地", "0701", None]).tolist()
    [True, True, True, False, False]
    """
    norm = normalise_land_use(codes)
    return pd.Series(_flag(norm.isin(list(industrial))), index=norm.index)


def warm_memo(names: pd.Series | None = None, codes: pd.Series | None = None) -> None:
    """Normalise names and credit codes ahead of matching, so matching finds them remembered.

    The loader calls this on the parcel owners while the ledgers are still
    being read in another process: the work moves off the critical path.
    Names are taken as matching sees them (stripped text).

    Examples
    --------
    >>> warm_memo(pd.Series(["甲公司 "] * 3000), pd.Series(["91110000600037341L"] * 3000))
    """
    if names is not None and len(names):
        stripped = names.astype("string").str.strip()
        normalise_name(stripped)
        normalise_name(stripped, drop_branch=True)
    if codes is not None and len(codes):
        normalised = normalise_credit_code(codes)
        credit_code_status(normalised)
