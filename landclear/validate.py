"""Row-level validation of a loaded input, after :func:`landclear.io.parse.harmonise`.

Three checks, all vectorised, every dropped row logged with its reason:

1. **Required keys** (``schema.REQUIRED`` and ``schema.REQUIRED_ANY``): a row
   with an empty required value is rejected.
2. **Exact duplicates**: a row whose canonical values (and geometry, for
   parcels) equal an earlier row is rejected as a duplicate of that row.
3. **Conflicting duplicates** on the record key (:data:`KEYS`): the first row
   is kept; later rows with the same key are rejected with the first row and
   the differing columns named, and a warning is added.

Negative values in amount/area columns are blanked (a repair, the row stays).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landclear.arrays import first_per_group, group_ids, nfkc
from landclear.quality import QualityLog
from landclear.schema import FIELDS, REQUIRED, REQUIRED_ANY, SOURCE_FILE, SOURCE_ROW

__all__ = ["KEYS", "SIGNED", "certified_area_mismatch", "check_certified_area", "validate"]

#: Record keys per input: (identifier columns, tried in order, first non-empty wins;
#: other key columns). Rows whose identifier is empty everywhere are not compared.
KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "parcels": (("parcel_id",), ()),
    "enterprises": (("credit_code", "name"), ("year",)),
    "tax_arrears": (("credit_code", "name"), ("tax_type", "period_start", "period_end")),
    "mortgages": (("parcel_id", "cert_no", "credit_code", "name"), ("mortgagee", "start")),
    "disposals": (("parcel_id", "credit_code", "name"), ("method", "completed_on")),
    "parks": (("park",), ()),
}

#: Number columns that may legitimately be negative (losses); others must be ≥ 0.
SIGNED: frozenset[str] = frozenset({"value_added"})

_GEOMETRY, _GEOMETRY_LABEL = "__geometry__", "geometry"

_LABELS = {
    "parcels": "宗地代码重复",
    "enterprises": "同一企业同一年度重复",
    "tax_arrears": "同一企业同一税种所属期重复",
    "mortgages": "同一宗地同一抵押权人同一起始日重复",
    "disposals": "同一对象同一处置方式完成时间重复",
    "parks": "园区名称重复",
}


def _where(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    files = (
        df[SOURCE_FILE].astype(str).to_numpy()
        if SOURCE_FILE in df
        else np.full(len(df), "<memory>", dtype=object)
    )
    rows = (
        df[SOURCE_ROW].to_numpy(dtype="int64")
        if SOURCE_ROW in df
        else np.arange(1, len(df) + 1, dtype="int64")
    )
    return files, rows


def _empty(col: pd.Series) -> np.ndarray:
    blank = col.isna().to_numpy().copy()
    if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        text = col.astype("string").str.strip()
        blank |= text.eq("").fillna(True).to_numpy(dtype=bool)
    return blank


def _comparable(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Canonical columns (plus geometry as WKB) in a form ``duplicated`` can hash."""
    out = pd.DataFrame(df[columns])
    geom_col = getattr(df, "_geometry_column_name", None)
    if geom_col is not None and geom_col in df.columns:
        import shapely

        out[_GEOMETRY] = shapely.to_wkb(np.asarray(df[geom_col].array), hex=True)
    return out


def _identifier(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The first non-empty identifier of each row, normalised and tagged with its column."""
    ident = pd.Series(pd.NA, index=df.index, dtype="string")
    for c in reversed(columns):
        text = nfkc(df[c]).str.strip().str.upper()
        text = text.mask(text.eq(""))
        ident = (c + ":" + text).fillna(ident)
    return ident


def _first_of_group(positions: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """For each position, the first position of its group (``gid`` aligned with ``positions``)."""
    first = first_per_group(np.arange(len(gid)), gid, int(gid.max(initial=-1)) + 1)
    return positions[first[gid]]


def _row_ref(files: np.ndarray, rows: np.ndarray, first: np.ndarray, later: np.ndarray) -> list:
    """'第N行' or 'file 第N行' when the earlier row is in another file."""
    same = files[first] == files[later]
    return [
        f"第{r}行" if s else f"{f} 第{r}行"
        for f, r, s in zip(files[first], rows[first], same, strict=True)
    ]


def _kept(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of ``df`` to keep; ``df`` itself (not a copy) when that is all of them."""
    return df if keep.all() else df[keep]


def validate(df: pd.DataFrame, input_name: str, log: QualityLog) -> pd.DataFrame:
    """Reject rows with empty keys or duplicates; blank negative amounts.

    Parameters
    ----------
    df : pandas.DataFrame or geopandas.GeoDataFrame
        Output of :func:`~landclear.io.parse.harmonise` (with ``source_file``
        / ``source_row``; without them rows are reported as 1..n).
    input_name : str
        Key of ``schema.FIELDS``.
    log : QualityLog
        Receives one rejection per dropped row, repairs and warnings.

    Returns
    -------
    pandas.DataFrame
        The kept rows, in input order, with the original index.

    Notes
    -----
    Keys (:data:`KEYS`): parcels ``parcel_id``; enterprises credit code (or
    name when the code is empty) + ``year``; tax arrears code/name +
    ``tax_type`` + ``period_start`` + ``period_end``; mortgages
    ``parcel_id``/``cert_no``/code/name (first non-empty) + ``mortgagee`` +
    ``start``; disposals ``parcel_id``/code/name + ``method`` +
    ``completed_on``; parks ``park``. Identifiers are compared after NFKC,
    trimming and upper-casing.

    Examples
    --------
    >>> log = QualityLog()
    >>> df = pd.DataFrame({"parcel_id": ["A", "A", "A", None],
    ...                    "certified_area": [10.0, 10.0, 12.0, 5.0]})
    >>> validate(df, "parcels", log)["certified_area"].tolist()
    [10.0]
    >>> [(r["row"], r["reason"].split(" / ")[0][:10]) for r in log.inputs["parcels"].rejected]
    [(4, '必填字段 parce'), (2, '与第1行完全重复,已'), (3, '宗地代码重复,与第1')]
    """
    rec = log.input(input_name)
    fields = FIELDS.get(input_name, {})
    canonical = [c for c in fields if c in df.columns]
    files, rows = _where(df)
    n = len(df)
    keep = np.ones(n, dtype=bool)
    out = df.copy(deep=False)  # columns are replaced, never changed in place (copy-on-write)

    # 1. Required values.
    for column in REQUIRED.get(input_name, ()):
        if column not in out.columns:
            continue
        bad = keep & _empty(out[column])
        if bad.any():
            rec.reject(
                files[bad].tolist(),
                rows[bad].tolist(),
                f"必填字段 {column} 为空 / required field {column} is empty",
                column,
            )
            keep &= ~bad
    for group in REQUIRED_ANY.get(input_name, ()):
        present = [c for c in group if c in out.columns]
        if not present:
            continue
        bad = keep & np.logical_and.reduce([_empty(out[c]) for c in present])
        if bad.any():
            names = " / ".join(present)
            rec.reject(
                files[bad].tolist(),
                rows[bad].tolist(),
                f"{names} 均为空,无法识别 / all of {names} are empty",
                present[0],
            )
            keep &= ~bad

    # 2. Negative amounts and areas: blank the value, keep the row.
    for column in canonical:
        if fields[column] != "number" or column in SIGNED:
            continue
        values = pd.to_numeric(out[column], errors="coerce")
        neg = keep & (values < 0).fillna(False).to_numpy(dtype=bool)
        if neg.any():
            reasons = [
                f"{column} 为负数 {v:g},已置空 / negative value set to empty"
                for v in values.to_numpy()[neg]
            ]
            rec.repair(files[neg].tolist(), rows[neg].tolist(), reasons, column)
            out[column] = out[column].mask(pd.Series(neg, index=out.index))

    if not canonical or input_name not in KEYS:
        # Buildings have no record key: equal attributes are different buildings.
        return _kept(out, keep)

    idents, others = KEYS[input_name]
    idents = [c for c in idents if c in out.columns]
    others = [c for c in others if c in out.columns]
    ident = _identifier(out, idents)
    has_id = keep & ident.notna().to_numpy()
    key_gid = np.full(n, -1, dtype=np.int64)
    if has_id.any():
        pos = np.flatnonzero(has_id)
        key_gid[pos] = group_ids(ident.iloc[pos], *(out[c].iloc[pos] for c in others))[0]

    # 3a. Exact duplicates among the rows still kept. Equal rows have equal keys, so
    # only rows sharing a key (or without one) are compared in full, geometry included.
    shared = np.zeros(n, dtype=bool)
    if has_id.any():
        size = np.bincount(key_gid[has_id])
        shared[has_id] = size[key_gid[has_id]] > 1
    candidates = np.flatnonzero(keep & (shared | ~has_id))
    comp = _comparable(out.iloc[candidates], canonical)
    if len(candidates):
        gid = group_ids(*(comp[c] for c in comp.columns))[0]
        first_of_group = _first_of_group(candidates, gid)
        dup = first_of_group != candidates
        if dup.any():
            later, first = candidates[dup], first_of_group[dup]
            reasons = [
                f"与{ref}完全重复,已合并 / exact duplicate of row {r}"
                for ref, r in zip(_row_ref(files, rows, first, later), rows[first], strict=True)
            ]
            rec.reject(
                files[later].tolist(),
                rows[later].tolist(),
                reasons,
                kept_file=files[first].tolist(),
                kept_row=rows[first].tolist(),
            )
            keep[later] = False

    # 3b. Conflicting duplicates on the record key.
    pos = np.flatnonzero(keep & has_id & shared)
    if len(pos):
        first_of_group = _first_of_group(pos, key_gid[pos])
        dup = first_of_group != pos
        if dup.any():
            later, first = pos[dup], first_of_group[dup]
            at = pd.Series(np.arange(len(candidates)), index=candidates)
            compared = list(comp.columns)
            diff = np.zeros((len(later), len(compared)), dtype=bool)
            for j, c in enumerate(compared):
                a = comp[c].iloc[at[later].to_numpy()].reset_index(drop=True)
                b = comp[c].iloc[at[first].to_numpy()].reset_index(drop=True)
                same = (a == b).fillna(False).to_numpy(dtype=bool)
                both_na = (a.isna() & b.isna()).to_numpy(dtype=bool)
                diff[:, j] = ~(same | both_na)
            compared = [_GEOMETRY_LABEL if c == _GEOMETRY else c for c in compared]
            label = _LABELS.get(input_name, "记录重复")
            refs = _row_ref(files, rows, first, later)
            reasons = [
                f"{label},与{ref}冲突,保留第一条;不同字段:{', '.join(cols) or '-'} / "
                f"duplicate key, conflicts with row {r}; differing: {', '.join(cols) or '-'}"
                for ref, r, cols in zip(
                    refs,
                    rows[first],
                    ([compared[j] for j in np.flatnonzero(d)] for d in diff),
                    strict=True,
                )
            ]
            rec.reject(
                files[later].tolist(),
                rows[later].tolist(),
                reasons,
                idents[0],
                kept_file=files[first].tolist(),
                kept_row=rows[first].tolist(),
            )
            keep[later] = False
            log.warn(
                f"{input_name}: {len(later)} 行{label}且内容不一致,已保留每组第一行,请核对 / "
                f"{len(later)} conflicting duplicate rows rejected; first kept",
                input=input_name,
                count=len(later),
            )
    return _kept(out, keep)


def certified_area_mismatch(parcels: pd.DataFrame, tolerance: float = 0.05) -> pd.DataFrame:
    """Parcels whose certified area (亩) differs from ``area_mu`` by more than ``tolerance``.

    Vectorised. Parcels without a positive certified area are not compared.

    Returns
    -------
    DataFrame
        ``parcel_id``, ``certified_area``, ``area_mu``, ``diff_ratio``
        (|area_mu − certified| / certified), index-aligned with ``parcels``;
        empty when the parcels carry no ``certified_area``.

    Examples
    --------
    >>> p = pd.DataFrame({"parcel_id": ["A", "B"], "certified_area": [10.0, 10.0],
    ...                   "area_mu": [10.4, 11.0]})
    >>> certified_area_mismatch(p)["parcel_id"].tolist()
    ['B']
    """
    cols = ["parcel_id", "certified_area", "area_mu", "diff_ratio"]
    if "certified_area" not in parcels or "area_mu" not in parcels:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    cert = pd.to_numeric(parcels["certified_area"], errors="coerce").astype("float64")
    diff = (parcels["area_mu"].astype("float64") - cert).abs() / cert.where(cert > 0)
    bad = (diff > tolerance).fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame(parcels.loc[bad, ["parcel_id", "certified_area", "area_mu"]])
    out["diff_ratio"] = diff[bad].to_numpy()
    return out


def check_certified_area(parcels: pd.DataFrame, tolerance: float, log: QualityLog) -> pd.DataFrame:
    """:func:`certified_area_mismatch`, each parcel also a quality warning with file and row.

    Run when the parcels are loaded, so that ``landclear validate`` lists them
    as ``landclear run`` does (``[rules] area_tolerance``, default 5 %).
    """
    bad = certified_area_mismatch(parcels, tolerance)
    if len(bad):
        files, rows = _where(parcels.loc[bad.index])
        for pid, f, r, cert, geo_mu in zip(
            bad["parcel_id"], files, rows, bad["certified_area"], bad["area_mu"], strict=True
        ):
            log.warn(
                f"宗地 {pid} 证载面积 {cert:.2f} 亩与图形面积 {geo_mu:.2f} 亩相差超过 "
                f"{tolerance:.0%} / certified area differs from geometry",
                file=f,
                row=int(r),
                parcel_id=pid,
                kind="area_mismatch",
            )
    return bad
