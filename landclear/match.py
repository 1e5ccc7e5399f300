"""Link ledger rows and parcels to enterprises, with a report for people to confirm.

Bureaus write the same enterprise differently: with or without its
统一社会信用代码, with a code that fails the check, with full-width brackets,
有限责任公司 for 有限公司, stray spaces, a branch suffix or a typo. This module
builds one table of enterprises (:func:`build_entities`) and links any
ledger to it (:func:`link_to_entities`; :func:`link_parcels` for parcels) in
this order:

1. ``code``  — the normalised credit code is valid and equal;
2. ``name``  — the normalised name (:func:`landclear.ids.normalise_name`) is
   equal to a name the enterprise is known by;
3. ``branch`` — the name without its branch suffix (…分公司, …分厂) equals
   an enterprise's name: a branch linked to its parent;
4. ``fuzzy`` — the most similar name scores at least ``min_score`` with
   ``rapidfuzz.fuzz.ratio`` (normalised Indel similarity, 0–100).

A code match whose names disagree (similarity below ``conflict_score``) is
kept but labelled ``code_conflict``. Every link that is not a plain code
match, and every record left unmatched (``none``), is listed in the match
report with its score, for a person to confirm. The report is data: writers
that put it in HTML or Excel must escape it (names come from ledgers).

Examples
--------
>>> import pandas as pd
>>> ent = pd.DataFrame({"credit_code": ["91110000600037341L"], "name": ["甲钢铁有限公司"]})
>>> par = pd.DataFrame({"credit_code": [None], "owner_name": ["甲钢铁有限责任公司"]})
>>> entities = build_entities(ent, par)
>>> entities[["enterprise_id", "name", "in_ledger"]].values.tolist()
[['91110000600037341L', '甲钢铁有限公司', True]]
>>> tax = pd.DataFrame({"credit_code": ["9111000060003734lN"], "name": ["甲钢跌有限公司"]})
>>> ids, report = link_to_entities(tax, entities, source="tax_arrears", min_score=80)
>>> report[["method", "enterprise_id", "score"]].values.tolist()
[['fuzzy', '91110000600037341L', 85.7]]
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from landclear.arrays import first_per_group, group_ids, isin, positions
from landclear.ids import (
    CREDIT_CODE_MESSAGES,
    credit_code_status,
    normalise_credit_code,
    normalise_name,
)
from landclear.schema import SOURCE_FILE, SOURCE_ROW

__all__ = [
    "ENTITY_COLUMNS",
    "EntityIndex",
    "METHODS",
    "RecordKeys",
    "REPORT_COLUMNS",
    "build_entities",
    "link_parcels",
    "link_to_entities",
    "report_records",
]

#: Columns of the table :func:`build_entities` returns.
ENTITY_COLUMNS = (
    "enterprise_id", "credit_code", "name", "name_norm", "code_valid", "in_ledger",
    "name_variants",
)  # fmt: skip

#: Columns of the match report.
REPORT_COLUMNS = (
    "source", "source_file", "source_row", "record_name", "record_code", "enterprise_id",
    "entity_name", "method", "score", "note",
)  # fmt: skip

#: Match methods, strongest first.
METHODS = ("code", "code_conflict", "name", "branch", "fuzzy", "none")

#: A failed fuzzy match at least this similar is named in the note ("closest").
_NEAR_MISS = 50.0

#: Fuzzy scoring compares this many query×choice cells at a time (float32).
_CHUNK_CELLS = 20_000_000

# --------------------------------------------------------------------------
# entities
# --------------------------------------------------------------------------


def _flag(mask: pd.Series) -> np.ndarray:
    return mask.fillna(False).to_numpy(dtype=bool)


def _column(df: pd.DataFrame | None, col: str) -> pd.Series:
    if df is None:
        return pd.Series([], dtype="string")
    if col in df.columns:
        return df[col]
    return pd.Series(pd.NA, index=df.index, dtype="string")


def _side(
    df: pd.DataFrame | None, name_col: str, in_ledger: bool, keys: RecordKeys | None = None
) -> pd.DataFrame:
    # Rows repeating a (code, name) pair (one per year or per parcel) add nothing.
    keys = _keys_for(df, keys, "credit_code", name_col)
    return pd.DataFrame(  # Arrow text stays Arrow: no round trip through Python strings
        {
            "credit_code": keys.code.array,
            "code_valid": keys.valid,
            "name": keys.raw_name.array,
            "name_norm": keys.name.array,
            "in_ledger": in_ledger,
        }
    )


def build_entities(
    enterprises: pd.DataFrame | None,
    parcels: pd.DataFrame | None = None,
    *,
    keys: tuple[RecordKeys | None, RecordKeys | None] = (None, None),
) -> pd.DataFrame:
    """One row per distinct enterprise known from the enterprise ledger and parcel owners.

    Rows are the same enterprise when their valid credit codes are equal, or,
    when one side has no valid code, when their normalised names are equal
    (a name known under several codes joins the one seen in the enterprise
    ledger first). Rows with neither a valid code nor a name are left out —
    :func:`link_to_entities` reports them as ``none``.

    Parameters
    ----------
    enterprises : DataFrame or None
        The enterprise ledger, columns ``credit_code`` and ``name`` (either
        may be missing).
    parcels : DataFrame or None
        Parcels, columns ``credit_code`` and ``owner_name``.
    keys : (RecordKeys or None, RecordKeys or None)
        :class:`RecordKeys` of ``enterprises`` (code, ``name``) and of
        ``parcels`` (code, ``owner_name``), when the caller links the same
        frames afterwards and shares them (built here otherwise).

    Returns
    -------
    DataFrame with columns :data:`ENTITY_COLUMNS`:
    ``enterprise_id`` (the valid normalised code, else ``"N:" + name_norm``;
    text from ledgers, so not a safe file name), ``credit_code`` (normalised;
    an invalid one is kept for people to read), ``name`` (as written,
    preferring the enterprise ledger), ``name_norm``, ``code_valid``,
    ``in_ledger`` (seen in the enterprise ledger) and ``name_variants``
    (tuple of every normalised name the enterprise appears under).

    Examples
    --------
    >>> ent = pd.DataFrame({"credit_code": ["91340600ma2pbm9hxd", None], "name": ["乙公司", "丙厂"]})
    >>> par = pd.DataFrame({"credit_code": ["91340600MA2PBM9HXD"], "owner_name": ["乙 公司（石嘴山）"]})
    >>> build_entities(ent, par)[["enterprise_id", "name_variants"]].values.tolist()
    [['91340600MA2PBM9HXD', ('乙公司', '乙公司(石嘴山)')], ['N:丙厂', ('丙厂',)]]
    """
    rows = pd.concat(
        [
            _side(enterprises, "name", True, keys[0]),
            _side(parcels, "owner_name", False, keys[1]),
        ],
        ignore_index=True,
    )
    # Rows are in preference order already: the enterprise ledger's first, then parcels'.
    coded = rows["code_valid"].to_numpy(dtype=bool)
    name_id, names_uniq = pd.factorize(rows["name_norm"])
    keep = coded | (name_id >= 0)
    rows, coded, name_id = rows[keep].reset_index(drop=True), coded[keep], name_id[keep]
    code_id, codes_uniq = pd.factorize(rows["credit_code"])
    n_codes = len(codes_uniq)

    # A name-only row joins the coded enterprise first known by the same name.
    coded_of_name = first_per_group(
        np.flatnonzero(coded & (name_id >= 0)), name_id, len(names_uniq)
    )
    group = np.where(coded, code_id, -1)
    joins = ~coded & (coded_of_name[np.maximum(name_id, 0)] >= 0)
    group[joins] = code_id[coded_of_name[name_id[joins]]]
    alone = ~coded & ~joins
    group[alone] = n_codes + name_id[alone]
    # Groups renumbered in order of first appearance (the entities' order).
    group, n = group_ids(group)

    # The enterprise id: its valid code, else "N:" + its name.
    lead_code = np.full(n, -1, dtype=np.int64)
    lead_name = np.full(n, -1, dtype=np.int64)
    coded_rows = np.flatnonzero(coded)
    lead_code[group[coded_rows]] = code_id[coded_rows]
    alone_rows = np.flatnonzero(alone)
    lead_name[group[alone_rows]] = name_id[alone_rows]
    ids = np.empty(n, dtype=object)
    has_code = lead_code >= 0
    ids[has_code] = np.asarray(codes_uniq, dtype=object)[lead_code[has_code]]
    ids[~has_code] = "N:" + np.asarray(names_uniq, dtype=object)[lead_name[~has_code]]

    def first_valid(values: pd.Series, among: np.ndarray | None = None) -> np.ndarray:
        ok = values.notna().to_numpy().copy()
        if among is not None:
            ok &= among
        return first_per_group(np.flatnonzero(ok), group, n)

    def take(column: str, at: np.ndarray) -> pd.Series:
        values = rows[column].iloc[np.maximum(at, 0)].reset_index(drop=True)
        return values.where(pd.Series(at >= 0))

    # First non-missing value in preference order (as a groupby "first" gives);
    # the credit code prefers a valid one.
    code_at = first_valid(rows["credit_code"], coded)
    code_at = np.where(code_at >= 0, code_at, first_valid(rows["credit_code"]))
    out = pd.DataFrame(
        {
            "enterprise_id": pd.array(ids, dtype="string"),
            "credit_code": take("credit_code", code_at).astype("string"),
            "name": take("name", first_valid(rows["name"])).astype("string"),
            "name_norm": take("name_norm", first_valid(rows["name_norm"])).astype("string"),
            "code_valid": np.bincount(group, weights=coded, minlength=n) > 0,
            "in_ledger": np.bincount(group, weights=rows["in_ledger"].to_numpy(bool), minlength=n)
            > 0,
        }
    )
    # Every distinct normalised name per enterprise, in order of first appearance.
    named = np.flatnonzero(name_id >= 0)
    pair = group[named] * (len(names_uniq) + 1) + name_id[named]
    _, first_pair = np.unique(pair, return_index=True)
    at = named[np.sort(first_pair)]
    by_group = at[np.argsort(group[at], kind="stable")]
    texts = np.asarray(names_uniq, dtype=object)[name_id[by_group]].tolist()
    cuts = np.searchsorted(group[by_group], np.arange(n + 1)).tolist()
    # Python lists and ints: slicing them is several times faster than numpy's.
    out["name_variants"] = pd.Series(
        [tuple(texts[lo:hi]) for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)], dtype=object
    )
    return out[list(ENTITY_COLUMNS)]


# --------------------------------------------------------------------------
# linking
# --------------------------------------------------------------------------


def _variants(entities: pd.DataFrame) -> pd.DataFrame:
    """Long table (name, enterprise_id, ...) sorted so the preferred entity comes first."""
    ent = entities
    if "name_variants" in ent.columns:
        names = ent["name_variants"]
    else:
        base = ent["name_norm"] if "name_norm" in ent.columns else normalise_name(ent["name"])
        names = base.map(lambda v: (v,) if isinstance(v, str) else ())
    tuples = names.to_numpy(dtype=object)
    lengths = np.fromiter(map(len, tuples), dtype=np.int64, count=len(tuples))
    owner = np.repeat(np.arange(len(ent)), lengths)
    flat = list(itertools.chain.from_iterable(tuples))
    in_ledger = (
        ent["in_ledger"].to_numpy(dtype=bool) if "in_ledger" in ent else np.ones(len(ent), bool)
    )
    long = pd.DataFrame(
        {
            "enterprise_id": ent["enterprise_id"].astype("string").to_numpy()[owner],
            "variant": pd.array(flat, dtype="string"),
            "in_ledger": in_ledger[owner],
            "code_valid": ent["code_valid"].to_numpy(dtype=bool)[owner],
            "credit_code": ent["credit_code"].astype("string").to_numpy()[owner],
            "position": owner,
        }
    )
    long = long[long["variant"].notna().to_numpy()]
    # Ties go to the ledger enterprise, then a coded one, then the first listed.
    long = long.sort_values(
        ["in_ledger", "code_valid", "position"], ascending=[False, False, True], kind="stable"
    )
    return long.drop_duplicates(["variant", "enterprise_id"]).reset_index(drop=True)


class _Names:
    """Entity name variants prepared once for the exact-name stages."""

    def __init__(self, var: pd.DataFrame) -> None:
        self.var = var
        self.first = var.drop_duplicates("variant").reset_index(drop=True)
        count = var["variant"].value_counts(sort=False)
        self.tied = count[count > 1]

    def subset(self, in_ledger: bool) -> _Names:
        return _Names(self.var[self.var["in_ledger"].to_numpy() == in_ledger])


class EntityIndex:
    """Lookups on a table of entities, built once and shared by every link.

    Parameters
    ----------
    entities : DataFrame
        From :func:`build_entities`.

    Examples
    --------
    >>> ent = build_entities(pd.DataFrame({"name": ["甲公司"]}), None)
    >>> EntityIndex(ent).variants["variant"].tolist()
    ['甲公司']
    """

    def __init__(self, entities: pd.DataFrame) -> None:
        self.entities = entities
        self.variants = _variants(entities)
        self.names = _Names(self.variants)
        coded = entities[entities["code_valid"].to_numpy(dtype=bool)]
        self.coded = coded.drop_duplicates("credit_code").reset_index(drop=True)
        self._subsets: dict[bool, _Names] = {}

    def names_of(self, in_ledger: bool) -> _Names:
        """Name variants of the ledger's enterprises (True) or of the others (False)."""
        if in_ledger not in self._subsets:
            self._subsets[in_ledger] = self.names.subset(in_ledger)
        return self._subsets[in_ledger]


class RecordKeys:
    """The distinct (code, name) pairs of a frame and their normalised forms.

    Built once per frame and shared when the same frame both makes
    enterprises (:func:`build_entities`) and is linked to them
    (:func:`link_to_entities`, :func:`link_parcels`).

    Parameters
    ----------
    records : DataFrame or None
    code_col, name_col : str
        Columns of the credit code and the name (either may be missing).

    Attributes
    ----------
    rows : ndarray
        The pair of each row of ``records`` (pairs in order of first appearance).
    first_row : ndarray
        The first row of each pair.
    raw_name, code, status, name : Series
        Per pair: the stripped name, the normalised code, its
        :func:`~landclear.ids.credit_code_status` and the normalised name.
    valid : ndarray
        Per pair: the code is a valid 统一社会信用代码.

    Examples
    --------
    >>> k = RecordKeys(pd.DataFrame({"name": ["甲 公司", "甲 公司"]}), "credit_code", "name")
    >>> k.rows.tolist(), k.name.tolist()
    ([0, 0], ['甲公司'])
    """

    def __init__(self, records: pd.DataFrame | None, code_col: str, name_col: str) -> None:
        raw_code = _column(records, code_col).astype("string")
        raw_name = _column(records, name_col).astype("string")
        # Work on positions: a caller's index may repeat (concatenated files).
        self.rows, n_pairs = group_ids(raw_code, raw_name)
        first = first_per_group(np.arange(len(self.rows)), self.rows, n_pairs)
        self.first_row = first
        idx = pd.RangeIndex(len(first))
        self.raw_name = raw_name.iloc[first].set_axis(idx).str.strip()
        self.code = normalise_credit_code(raw_code.iloc[first].set_axis(idx))
        self.status = credit_code_status(self.code)
        self.valid = (self.status == "valid").to_numpy(dtype=bool)
        self.name = normalise_name(self.raw_name)


def _keys_for(
    records: pd.DataFrame | None, keys: RecordKeys | None, code_col: str, name_col: str
) -> RecordKeys:
    """``keys`` when they were made from ``records`` (one pair per row), else new ones.

    Raises
    ------
    ValueError
        ``keys`` of another frame: linking with them would give rows the
        enterprise of other rows.
    """
    if keys is None:
        return RecordKeys(records, code_col, name_col)
    n = 0 if records is None else len(records)
    if len(keys.rows) != n:
        raise ValueError(
            f"RecordKeys of {len(keys.rows)} rows given for a frame of {n} rows: "
            "keys must be made from the same frame"
        )
    return keys


class _State:
    """Per-record normalised keys (:class:`RecordKeys`) and the links found so far.

    Records are the distinct (code, name) pairs of the input; ``rows`` maps
    every input row to its pair, so each pair is linked once.
    """

    def __init__(self, keys: RecordKeys) -> None:
        self.rows, self.first_row = keys.rows, keys.first_row
        self.raw_name, self.code, self.status = keys.raw_name, keys.code, keys.status
        self.valid, self.name = keys.valid, keys.name
        idx = pd.RangeIndex(len(self.first_row))
        self.eid = pd.Series(pd.NA, index=idx, dtype="string")
        self.method = pd.Series("none", index=idx, dtype=object)
        self.score = pd.Series(np.nan, index=idx, dtype=float)
        self.note = pd.Series("", index=idx, dtype=object)

    def open(self) -> np.ndarray:
        return self.eid.isna().to_numpy()

    def named_open(self) -> np.ndarray:
        return self.open() & self.name.notna().to_numpy()

    def set(self, mask: np.ndarray, eid: Any, method: str, score: Any) -> None:
        self.eid[mask] = eid
        self.method[mask] = method
        self.score[mask] = score

    def add_note_at(self, positions: np.ndarray, text: Any) -> None:
        mask = np.zeros(len(self.note), dtype=bool)
        mask[positions] = True
        self.add_note(mask, text)

    def add_note(self, mask: np.ndarray, text: Any) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        prev = self.note[mask]
        text = pd.Series(text, index=prev.index) if not isinstance(text, pd.Series) else text
        self.note[mask] = np.where(prev == "", text, prev + "；" + text)


def _best_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Elementwise fuzz.ratio (NaN where either side is missing)."""
    ok = (left.notna() & right.notna()).to_numpy()
    out = np.full(len(left), np.nan)
    if ok.any():
        out[ok] = process.cpdist(
            left[ok].tolist(), right[ok].tolist(), scorer=fuzz.ratio, workers=-1
        )
    return out


def _stage_code(st: _State, index: EntityIndex, conflict_score: float) -> None:
    ent, var = index.coded, index.variants
    hit = np.flatnonzero(st.open() & st.valid)
    row = positions(st.code.iloc[hit], ent["credit_code"])
    hit_idx = pd.Index(hit[row >= 0])
    if not len(hit_idx):
        return
    row = row[row >= 0]
    eid = ent["enterprise_id"].iloc[row].astype("string").reset_index(drop=True)
    # Score = how well the record's name agrees with any name the entity has:
    # 100 when it is one of them (mostly its main name), else the best similarity.
    names = st.name[hit_idx].reset_index(drop=True)
    main = (
        ent["name_norm"].iloc[row].astype("string").reset_index(drop=True)
        if "name_norm" in ent
        else None
    )
    exact = names.isna().to_numpy().copy()
    if main is not None:
        exact |= _flag(names == main)
    other = np.flatnonzero(~exact)
    if len(other):
        pair = (
            eid.iloc[other].reset_index(drop=True)
            + "\x1f"
            + names.iloc[other].reset_index(drop=True)
        )
        mine = var[isin(var["enterprise_id"], eid.iloc[other])]
        exact[other] = isin(pair, mine["enterprise_id"] + "\x1f" + mine["variant"])
    best = pd.Series(100.0, index=range(len(hit_idx)))
    rest = np.flatnonzero(~exact)
    if len(rest):
        pairs = pd.DataFrame({"pos": rest, "enterprise_id": eid.to_numpy()[rest]})
        pairs = pairs.merge(var[["enterprise_id", "variant"]], on="enterprise_id", how="left")
        left = names.to_numpy()[pairs["pos"].to_numpy()]
        sim = _best_similarity(pd.Series(left, dtype="string"), pairs["variant"].astype("string"))
        got = pd.Series(sim).groupby(pairs["pos"].to_numpy()).max()
        best[got.index] = got.fillna(100.0).to_numpy()
    score = best.to_numpy()
    mask = np.zeros(len(st.eid), dtype=bool)
    mask[hit_idx] = True
    st.set(mask, eid.to_numpy(), "code", np.round(score, 1))
    conflict = np.zeros(len(st.eid), dtype=bool)
    conflict[hit_idx[score < conflict_score]] = True
    st.method[conflict] = "code_conflict"
    st.add_note(conflict, "信用代码相同但名称不符 / same credit code, different name")


def _tie_note(n: pd.Series, ids: pd.Series) -> pd.Series:
    return "并列候选" + n.astype(str) + "个 / " + n.astype(str) + " tied candidates: " + ids


def _stage_name(st: _State, names: _Names, keys: pd.Series, method: str) -> None:
    """Exact lookup of ``keys`` (normalised names) among entity name variants."""
    todo = st.named_open() & keys.notna().to_numpy()
    if not todo.any() or names.var.empty:
        return
    first = names.first
    at = np.flatnonzero(todo)
    row = positions(keys.iloc[at], first["variant"])
    hit_idx = pd.Index(at[row >= 0])
    if not len(hit_idx):
        return
    row = row[row >= 0]
    mask = np.zeros(len(st.eid), dtype=bool)
    mask[hit_idx] = True
    st.set(mask, first["enterprise_id"].iloc[row].astype("string").to_numpy(), method, 100.0)
    k = keys[hit_idx]
    ent_code = first["credit_code"].iloc[row].set_axis(hit_idx)
    ent_valid = first["code_valid"].iloc[row].to_numpy(dtype=bool)
    rec_valid = st.valid[mask]
    differ = rec_valid & ent_valid & _flag(st.code[hit_idx] != ent_code)
    st.add_note_at(
        np.flatnonzero(mask)[differ],
        "信用代码不同 / credit codes differ: " + ent_code[differ].astype(str),
    )
    tied = k.isin(names.tied.index).to_numpy()
    if tied.any():
        var = names.var[names.var["variant"].isin(k[tied])]
        ids = k[tied].map(var.groupby("variant")["enterprise_id"].agg(lambda s: "、".join(s)))
        st.add_note_at(np.flatnonzero(mask)[tied], _tie_note(k[tied].map(names.tied), ids))
    if method == "branch":
        st.add_note(mask, "按总机构名称匹配 / matched by the parent's name")


def _parent_names(st: _State) -> pd.Series:
    """The parent's normalised name of each open named record whose name has a branch suffix.

    Only the records still open can use it, so only theirs is worked out;
    <NA> elsewhere, and where dropping the branch changes nothing.
    """
    todo = st.named_open()
    parent = normalise_name(st.raw_name[todo], drop_branch=True)
    parent = parent.where(parent != st.name[todo])
    return parent.reindex(st.name.index)


def _stage_fuzzy(st: _State, var: pd.DataFrame, min_score: float) -> None:
    todo = st.named_open()
    if not todo.any() or var.empty or min_score > 100:
        return
    q = pd.DataFrame({"name": st.name[todo].to_numpy(), "coded": st.valid[todo]})
    queries = q.drop_duplicates().reset_index(drop=True)
    choices = var["variant"].tolist()
    c_coded = var["code_valid"].to_numpy(dtype=bool)
    c_eid = var["enterprise_id"].to_numpy(dtype=object)
    best_score = np.zeros(len(queries))
    best_col = np.zeros(len(queries), dtype=np.int64)
    ties: dict[int, np.ndarray] = {}
    step = max(1, _CHUNK_CELLS // max(1, len(choices)))
    for lo in range(0, len(queries), step):
        part = queries.iloc[lo : lo + step]
        # No score_cutoff: the closest miss is worth showing to the reviewer.
        sc = process.cdist(
            part["name"].tolist(), choices, scorer=fuzz.ratio, dtype=np.float32, workers=-1
        )
        # A record whose valid code is unknown is a different legal person
        # from any enterprise that has a valid code: only name-only ones qualify.
        sc[np.ix_(part["coded"].to_numpy(dtype=bool), c_coded)] = 0
        col = sc.argmax(axis=1)  # choices are sorted by preference: first max wins
        top = sc[np.arange(len(part)), col]
        best_score[lo : lo + len(part)] = top
        best_col[lo : lo + len(part)] = col
        for i in np.flatnonzero((top >= min_score) & ((sc == top[:, None]).sum(axis=1) > 1)):
            tied = np.unique(c_eid[sc[i] == top[i]])
            if len(tied) > 1:
                ties[lo + int(i)] = tied
    ok = best_score >= min_score
    queries["score"] = np.where(ok, np.round(best_score, 1), 0.0)
    queries["enterprise_id"] = np.where(ok, c_eid[best_col], None)
    near = ~ok & (best_score >= _NEAR_MISS)
    queries["note"] = np.where(
        near,
        "最接近 / closest: "
        + var["variant"].array.take(best_col).to_numpy(dtype=object)
        + " ("
        + np.char.mod("%.1f", np.round(best_score, 1)).astype(object)
        + ")",
        "",
    )
    for i, tied in ties.items():
        queries.loc[i, "note"] = _tie_note(pd.Series([len(tied)]), pd.Series(["、".join(tied)]))[0]
    looked = q.merge(queries, on=["name", "coded"], how="left")
    hit = looked["enterprise_id"].notna().to_numpy()
    where = np.flatnonzero(todo)[hit]
    mask = np.zeros(len(st.eid), dtype=bool)
    mask[where] = True
    st.set(mask, looked["enterprise_id"][hit].to_numpy(), "fuzzy", looked["score"][hit].to_numpy())
    notes = looked["note"].to_numpy()
    has = notes != ""
    st.add_note_at(np.flatnonzero(todo)[has], notes[has])


def _finish(st: _State, records: pd.DataFrame, entities: pd.DataFrame, source: str):
    bad = st.code.notna().to_numpy() & ~st.valid & (st.method != "code").to_numpy()
    st.add_note(bad, st.status[bad].map(CREDIT_CODE_MESSAGES).astype(str))
    unnamed = (st.method == "none").to_numpy() & st.name.isna().to_numpy()
    st.add_note(unnamed & ~bad, "无可用名称或有效代码 / no usable name or valid code")
    st.score[(st.method == "none").to_numpy()] = 0.0
    rows = st.rows
    # Taken by position from the pairs (Arrow takes): a row per record, few of them reported.
    eid = pd.Series(st.eid.array.take(rows), index=records.index)
    show = (st.method != "code").to_numpy()[rows]
    shown_rows = np.flatnonzero(show)
    at = rows[show]
    shown = st.eid.iloc[np.unique(at)]
    names = entities[isin(entities["enterprise_id"], shown)]
    names = names.drop_duplicates("enterprise_id").set_index("enterprise_id")["name"]
    report = pd.DataFrame(
        {
            "source": source,
            "source_file": _column(records, SOURCE_FILE).iloc[shown_rows].to_numpy(),
            "source_row": _column(records, SOURCE_ROW).iloc[shown_rows].to_numpy(),
            "record_name": st.raw_name.iloc[at].to_numpy(),
            "record_code": st.code.iloc[at].to_numpy(),
            "enterprise_id": st.eid.iloc[at].to_numpy(),
            "method": st.method.to_numpy()[at],
            "score": st.score.to_numpy()[at],
            "note": st.note.to_numpy()[at],
        },
        index=records.index[show],
    )
    report["entity_name"] = report["enterprise_id"].map(names)
    for col in ("source", "record_name", "record_code", "enterprise_id", "entity_name", "note"):
        report[col] = report[col].astype("string")
    report["method"] = report["method"].astype("string")
    return eid.rename("enterprise_id"), report[list(REPORT_COLUMNS)]


def link_to_entities(
    records: pd.DataFrame,
    entities: pd.DataFrame,
    *,
    code_col: str = "credit_code",
    name_col: str = "name",
    min_score: float = 90.0,
    source: str = "",
    conflict_score: float = 60.0,
    branch: bool = True,
    index: EntityIndex | None = None,
    keys: RecordKeys | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Find the enterprise of every record (a ledger row or a parcel).

    Parameters
    ----------
    records : DataFrame
        Rows to link; ``code_col`` and ``name_col`` may be missing. When the
        frame carries ``source_file``/``source_row`` they go to the report.
    entities : DataFrame
        From :func:`build_entities` (``enterprise_id``, ``credit_code``,
        ``code_valid``, ``name`` and ``name_variants`` or ``name_norm``;
        ``in_ledger`` if present makes ledger enterprises preferred).
    code_col, name_col : str
        Columns holding the credit code and the enterprise name.
    min_score : float, default 90
        Lowest ``fuzz.ratio`` accepted for a fuzzy match; above 100 disables
        fuzzy matching. 90 accepts one character changed in a name of 10 or
        more characters (ratio = 100·(1 − 2/(2n))) and rejects it in
        shorter names.
    source : str
        Input name written to the report (``"tax_arrears"``, ...).
    conflict_score : float, default 60
        A code match whose name similarity is below this is ``code_conflict``.
    branch : bool, default True
        Try the parent's name for names with a branch suffix.
    index : EntityIndex, optional
        ``EntityIndex(entities)``, when the caller links several ledgers to
        the same entities (built here otherwise).
    keys : RecordKeys, optional
        ``RecordKeys(records, code_col, name_col)``, when the caller has it
        already (from :func:`build_entities`; built here otherwise).

    Returns
    -------
    enterprise_id : Series
        ``string`` Series aligned with ``records.index``, ``<NA>`` when unmatched.
    report : DataFrame
        One row per record that was not a plain code match, indexed like
        ``records``, columns :data:`REPORT_COLUMNS`: ``source``,
        ``source_file``, ``source_row``, ``record_name`` (as written),
        ``record_code`` (normalised), ``enterprise_id``, ``entity_name``,
        ``method`` (``code_conflict``, ``name``, ``branch``, ``fuzzy`` or
        ``none``), ``score`` (0–100; name similarity), ``note`` (tied
        candidates, differing or invalid codes, the closest name when a
        fuzzy match scored from 50 to below ``min_score``; Chinese / English).

    Examples
    --------
    >>> ent = build_entities(pd.DataFrame({"credit_code": [None], "name": ["石嘴山市华兴化工有限公司"]}), None)
    >>> rec = pd.DataFrame({"name": ["石嘴山市华星化工有限公司", "石嘴山华兴公司"]})
    >>> ids, rep = link_to_entities(rec, ent)
    >>> ids.tolist(), rep["score"].tolist()
    (['N:石嘴山市华兴化工有限公司', <NA>], [91.7, 0.0])
    """
    st = _State(_keys_for(records, keys, code_col, name_col))
    if len(entities):
        index = index if index is not None else EntityIndex(entities)
        names, var = index.names, index.variants
        _stage_code(st, index, conflict_score)
        _stage_name(st, names, st.name, "name")
        if branch:
            _stage_name(st, names, _parent_names(st), "branch")
        _stage_fuzzy(st, var, min_score)
    return _finish(st, records, entities, source)


def link_parcels(
    parcels: pd.DataFrame,
    entities: pd.DataFrame,
    *,
    min_score: float = 90.0,
    source: str = "parcels",
    conflict_score: float = 60.0,
    index: EntityIndex | None = None,
    keys: RecordKeys | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Link parcels (``credit_code``, ``owner_name``) to enterprises, ledger first.

    :func:`build_entities` makes every parcel owner an enterprise, so a plain
    :func:`link_to_entities` would link a misspelt owner to itself. This
    links by valid code against all enterprises, then by name, branch and
    fuzzy name against the enterprise ledger only, and only then by exact
    name to the owners absent from the ledger (reported as ``name`` with the
    note "企业台账中无此企业 / not in the enterprise ledger").

    Parameters
    ----------
    parcels, entities, min_score, source, conflict_score, index
        As in :func:`link_to_entities`.
    keys : RecordKeys, optional
        ``RecordKeys(parcels, "credit_code", "owner_name")``, when the caller
        has it already.

    Returns
    -------
    Same as :func:`link_to_entities`.

    Examples
    --------
    >>> ent = pd.DataFrame({"name": ["宁夏甲乙丙丁新材料有限公司"]})
    >>> par = pd.DataFrame({"owner_name": ["宁夏甲乙丙丁新材料有限公司", "宁夏甲乙丙丁新材料有公司"]})
    >>> ids, rep = link_parcels(par, build_entities(ent, par))
    >>> ids.tolist(), rep["method"].tolist()
    (['N:宁夏甲乙丙丁新材料有限公司', 'N:宁夏甲乙丙丁新材料有限公司'], ['name', 'fuzzy'])
    """
    st = _State(_keys_for(parcels, keys, "credit_code", "owner_name"))
    if len(entities):
        index = index if index is not None else EntityIndex(entities)
        ledger_names = index.names_of(True)
        _stage_code(st, index, conflict_score)
        _stage_name(st, ledger_names, st.name, "name")
        _stage_name(st, ledger_names, _parent_names(st), "branch")
        _stage_fuzzy(st, ledger_names.var, min_score)
        before = st.open()
        _stage_name(st, index.names_of(False), st.name, "name")
        st.add_note(before & ~st.open(), "企业台账中无此企业 / not in the enterprise ledger")
    return _finish(st, parcels, entities, source)


def report_records(report: pd.DataFrame) -> list[dict[str, Any]]:
    """The match report as plain dicts (``<NA>`` → None) for ``QualityLog.add_matches``.

    Examples
    --------
    >>> report_records(pd.DataFrame({"method": ["none"], "enterprise_id": [pd.NA]}))
    [{'method': 'none', 'enterprise_id': None}]
    """
    clean = report.astype(object).where(report.notna(), None)
    return clean.to_dict("records")
