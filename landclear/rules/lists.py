"""The three lists of the Shizuishan plan and their cross-list (DOMAIN §2, §5.2–5.4).

石政办发〔2022〕24号 三(一)3: finance lists enterprises owing 城镇土地使用税
for two years or more; finance/banks list idle land mortgaged to financial
institutions; industry lists enterprises stopped (停产) for two years or more.
The three are crossed and disposed of one enterprise at a time.

All functions are pure and vectorised. Reference-date arithmetic is calendar
based and the same as for idle land (:func:`landclear.rules.idle.add_years`):
a date reaches *n* years on its *n*-th anniversary, ``add_years(date, n) <= as_of``,
and the anniversary of 29 February in a common year is 28 February.

Example
-------
>>> import pandas as pd
>>> e = pd.DataFrame({"status": ["停产"], "stopped_since": pd.to_datetime(["2022-06-30"])})
>>> r = stopped_enterprises(e, "2024-06-30")
>>> bool(r.loc[0, "stopped_2y"]), float(r.loc[0, "stopped_years"])
(True, 2.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import isin, positions
from landclear.errors import DataError
from landclear.rules.config import ListSettings, default_settings
from landclear.rules.idle import (
    DateLike,
    add_years,
    as_dates,
    column,
    contains_any,
    fmt_date,
    fmt_num,
    fmt_years,
    numeric,
    reached,
    select_text,
    text,
    to_timestamp,
    years_between,
)

PLAN = "石政办发〔2022〕24号"
_TRUE_WORDS = ("true", "1", "1.0", "是", "y", "yes", "闲置", "t")


def _flag(frame: pd.DataFrame, name: str) -> pd.Series:
    """A boolean column with NA → False; text 是/否, true/false accepted."""
    col = column(frame, name)
    if pd.api.types.is_bool_dtype(col):
        return col.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(col):
        return (col.fillna(0) != 0).astype(bool)
    return col.astype("string").str.strip().str.lower().isin(_TRUE_WORDS).fillna(False).astype(bool)


def _series(values: np.ndarray | str, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=str)


def stopped_enterprises(
    enterprises: pd.DataFrame, as_of: DateLike, settings: ListSettings | None = None
) -> pd.DataFrame:
    """Long-term stopped enterprises (DOMAIN §5.2).

    Parameters
    ----------
    enterprises : DataFrame
        Columns ``status`` (生产状态) and ``stopped_since`` (停产时间).
    as_of : date-like
    settings : ListSettings, optional
        Default ``rules.toml [lists]``: 停产 counts, 半停产 only with
        ``include_half_stopped``; a status containing 复产/未停产/… never counts.

    Returns
    -------
    DataFrame, index-aligned
        stopped_2y (bool: stopped, and the ``stopped_years``-th anniversary of
        stopped_since ≤ as_of),
        stopped_years (float: calendar years stopped, NaN when not stopped or
        no date), stopped_reason (str).

    Example
    -------
    >>> e = pd.DataFrame({"status": ["半停产"], "stopped_since": pd.to_datetime(["2020-01-01"])})
    >>> bool(stopped_enterprises(e, "2024-06-30").loc[0, "stopped_2y"])
    False
    """
    s = settings or default_settings().lists
    t = to_timestamp(as_of)
    idx = enterprises.index
    status = text(enterprises, "status")
    never = contains_any(status, s.not_stopped_markers)
    half = contains_any(status, s.half_stopped_statuses) & ~never
    full = contains_any(status, s.stopped_statuses) & ~half & ~never
    counted = full | (half & s.include_half_stopped)

    since = as_dates(column(enterprises, "stopped_since"))
    dated = counted & since.notna() & (since <= t)
    stopped_2y = (counted & reached(since, s.stopped_years, t)).astype(bool)
    years = pd.Series(np.nan, index=idx, dtype="float64")
    at = dated.to_numpy(dtype=bool)
    if at.any():  # only the dated stops (few of all enterprises) are measured
        years[at] = years_between(since[at], t).to_numpy(dtype="float64")

    facts = pd.DataFrame({"status": status, "since": since, "years": years}, index=idx)
    n = s.stopped_years

    def stopped_since(f: pd.DataFrame) -> pd.Series:
        return "自 " + fmt_date(f["since"]) + " 停产 (" + fmt_years(f["years"]) + "年)"

    reason = select_text(
        facts,
        [
            (
                stopped_2y,
                lambda f: f"停产{n}年以上({PLAN}): 状态 " + f["status"] + ", " + stopped_since(f),
            ),
            (
                dated,
                lambda f: (
                    f"停产未满{n}年: "
                    + stopped_since(f)
                    + f", 满{n}年之日 "
                    + fmt_date(add_years(f["since"], n))
                ),
            ),
            (
                counted & since.isna(),
                lambda f: "状态为 " + f["status"] + " 但缺少停产时间, 无法判定",
            ),
            (counted, lambda f: "停产时间 " + fmt_date(f["since"]) + " 晚于基准日, 不计入"),
            (
                half & ~counted,
                lambda f: (
                    "状态 "
                    + f["status"]
                    + ", 半停产按设置不计入 (rules.lists.include_half_stopped)"
                ),
            ),
        ],
        "",
    )
    no = reason.eq("").to_numpy()
    if no.any():  # not stopped: one text per distinct status
        reason[no] = "未停产: 状态 " + status[no].where(status[no] != "", "(空)")
    return pd.DataFrame(
        {"stopped_2y": stopped_2y, "stopped_years": years, "stopped_reason": reason},
        index=idx,
    )


def tax_arrears(
    arrears: pd.DataFrame, as_of: DateLike, settings: ListSettings | None = None
) -> pd.DataFrame:
    """Enterprises owing urban land-use tax for two years or more (DOMAIN §5.3).

    Parameters
    ----------
    arrears : DataFrame
        One row per arrears record: ``enterprise_id`` (set by matching),
        ``tax_type``, ``amount`` (万元), ``period_start``. Rows without an
        enterprise_id are left out (the matching step reports them).
    as_of : date-like
    settings : ListSettings, optional
        ``land_tax_types``: a tax_type containing one of them is land-use tax;
        other taxes never count. Records with amount ≤ 0 are ignored; a
        missing amount still counts as an arrears record.

    Returns
    -------
    DataFrame, one row per enterprise_id (default RangeIndex)
        enterprise_id, tax_arrears_2y (bool: the ``tax_years``-th anniversary of
        the earliest land-tax period_start ≤ as_of), land_tax_amount, other_tax_amount (万元),
        earliest_land_tax_period (datetime64, NaT when none),
        arrears_years (float), tax_reason (str).

    Example
    -------
    >>> a = pd.DataFrame({"enterprise_id": ["E1"], "tax_type": ["城镇土地使用税"],
    ...                   "amount": [3.0], "period_start": pd.to_datetime(["2022-01-01"])})
    >>> bool(tax_arrears(a, "2024-06-30").loc[0, "tax_arrears_2y"])
    True
    """
    s = settings or default_settings().lists
    if "enterprise_id" not in arrears.columns:
        raise DataError("欠税台账缺少 enterprise_id 列 (需先匹配企业)", column="enterprise_id")
    t = to_timestamp(as_of)
    tax_type = text(arrears, "tax_type")
    amount = numeric(arrears, "amount")
    start = as_dates(column(arrears, "period_start"))
    owed = ~(amount <= 0)
    land = contains_any(tax_type, s.land_tax_types) & owed
    other = ~contains_any(tax_type, s.land_tax_types) & owed
    dated = land & start.notna() & (start <= t)

    key = arrears["enterprise_id"]
    frame = pd.DataFrame(
        {
            "enterprise_id": key,
            "land_amt": amount.where(land),
            "other_amt": amount.where(other),
            "land": land,
            "earliest": start.where(dated),
            "other_type": tax_type.where(other & (tax_type != "")),
        }
    )
    g = frame.groupby("enterprise_id", sort=True, dropna=True)
    out = pd.DataFrame(
        {
            "land_tax_amount": g["land_amt"].sum(min_count=0),
            "other_tax_amount": g["other_amt"].sum(min_count=0),
            "has_land": g["land"].any(),
            "earliest_land_tax_period": g["earliest"].min(),
        }
    )
    other_types = (
        frame.dropna(subset=["other_type"])
        .drop_duplicates(["enterprise_id", "other_type"])
        .groupby("enterprise_id")["other_type"]
        .agg("、".join)
    )
    out["other_types"] = other_types.reindex(out.index).fillna("").astype(str)
    out.index.name = "enterprise_id"
    out = out.reset_index()

    earliest = out["earliest_land_tax_period"]
    out["arrears_years"] = years_between(earliest, t).where(earliest.notna())
    out["tax_arrears_2y"] = reached(earliest, s.tax_years, t)

    e_s, y_s = fmt_date(earliest), fmt_years(out["arrears_years"])
    land_s, other_s = fmt_num(out["land_tax_amount"]), fmt_num(out["other_tax_amount"])
    r_yes = (
        f"欠缴城镇土地使用税满{s.tax_years}年({PLAN}): 最早所属期 "
        + e_s
        + " ("
        + y_s
        + "年), 欠缴 "
        + land_s
        + "万元"
    )
    r_short = (
        f"欠缴城镇土地使用税未满{s.tax_years}年: 最早所属期 "
        + e_s
        + " ("
        + y_s
        + "年), 欠缴 "
        + land_s
        + "万元"
    )
    r_nodate = "欠缴城镇土地使用税 " + land_s + "万元, 但缺少所属期起或晚于基准日, 无法判定"
    r_other = "仅欠其他税种(" + out["other_types"] + "), 不计入欠缴土地使用税清单"
    has_land = out["has_land"].astype(bool)
    reason = pd.Series(
        np.select(
            [out["tax_arrears_2y"], earliest.notna(), has_land],
            [r_yes, r_short, r_nodate],
            default=r_other,
        ),
        index=out.index,
        dtype=str,
    )
    also = has_land & (out["other_tax_amount"] > 0)
    reason = reason + pd.Series(
        np.where(also, "; 另欠其他税种 " + other_s + "万元(不计入)", ""), index=out.index
    )
    out["tax_reason"] = reason.astype(str)
    return out[
        [
            "enterprise_id",
            "tax_arrears_2y",
            "land_tax_amount",
            "other_tax_amount",
            "earliest_land_tax_period",
            "arrears_years",
            "tax_reason",
        ]
    ]


def active_mortgages(
    mortgages: pd.DataFrame, as_of: DateLike, settings: ListSettings | None = None
) -> pd.DataFrame:
    """Which mortgages are in force on ``as_of`` and held by a financial institution.

    Parameters
    ----------
    mortgages : DataFrame
        Columns ``start``, ``end`` (抵押起始/终止), ``mortgagee`` (抵押权人).
    as_of : date-like
    settings : ListSettings, optional
        ``financial_keywords``: a mortgagee containing one is a financial institution.

    Returns
    -------
    DataFrame, index-aligned
        active (bool: start ≤ as_of and (no end or end ≥ as_of)), financial
        (bool), mortgage_reason (str).

    Example
    -------
    >>> m = pd.DataFrame({"mortgagee": ["石嘴山银行"], "start": pd.to_datetime(["2020-01-01"]),
    ...                   "end": pd.to_datetime(["2024-06-30"])})
    >>> active_mortgages(m, "2024-06-30").loc[0, ["active", "financial"]].tolist()
    [True, True]
    """
    s = settings or default_settings().lists
    t = to_timestamp(as_of)
    idx = mortgages.index
    start = as_dates(column(mortgages, "start"))
    end = as_dates(column(mortgages, "end"))
    who = text(mortgages, "mortgagee")
    active = (start.notna() & (start <= t) & (end.isna() | (end >= t))).astype(bool)
    financial = contains_any(who, s.financial_keywords).astype(bool)

    who_s = who.where(who != "", "(未填)")
    period = (
        " 抵押期 "
        + fmt_date(start)
        + " 至 "
        + pd.Series(np.where(end.isna(), "未约定终止", fmt_date(end)), index=idx)
    )
    r_fin = "有效抵押: 抵押权人 " + who_s + " (金融机构)," + period
    r_nonfin = "有效抵押, 但抵押权人 " + who_s + " 非金融机构, 不计入闲置抵押清单;" + period
    r_ended = "抵押已于 " + fmt_date(end) + " 终止, 基准日不在抵押期内"
    r_future = "抵押自 " + fmt_date(start) + " 起, 晚于基准日"
    reason = np.select(
        [active & financial, active, start.isna(), start > t],
        [r_fin, r_nonfin, pd.Series("缺少抵押起始日期, 无法判定", index=idx), r_future],
        default=r_ended,
    )
    return pd.DataFrame(
        {"active": active, "financial": financial, "mortgage_reason": _series(reason, idx)},
        index=idx,
    )


def mortgaged_idle(
    parcels: pd.DataFrame, mortgages: pd.DataFrame, settings: ListSettings | None = None
) -> pd.DataFrame:
    """Idle land mortgaged to financial institutions (DOMAIN §5.4), per parcel.

    Parameters
    ----------
    parcels : DataFrame
        ``parcel_id``, ``idle`` (from :func:`landclear.rules.idle.idle_land`),
        ``stopped_2y`` (of the parcel's enterprise). NA counts as False.
    mortgages : DataFrame
        Linked mortgages: ``parcel_id``, ``active``, ``financial`` (from
        :func:`active_mortgages`), ``idle_flag`` (bank ledger), ``amount`` (万元),
        ``mortgagee``. Rows without parcel_id are ignored.
    settings : ListSettings, optional
        Unused today; kept so every list rule takes the same arguments.

    Returns
    -------
    DataFrame, index-aligned with ``parcels``
        mortgaged_idle (bool), mortgage_amount (万元, Σ over active financial
        mortgages, 0 when none), mortgagees ("、"-joined), mortgage_reason.

    Example
    -------
    >>> p = pd.DataFrame({"parcel_id": ["P1"], "idle": [True], "stopped_2y": [False]})
    >>> m = pd.DataFrame({"parcel_id": ["P1"], "active": [True], "financial": [True],
    ...                   "idle_flag": [False], "amount": [800.0], "mortgagee": ["某银行"]})
    >>> r = mortgaged_idle(p, m)
    >>> bool(r.loc[0, "mortgaged_idle"]), float(r.loc[0, "mortgage_amount"])
    (True, 800.0)
    """
    del settings
    idx = parcels.index
    pid = column(parcels, "parcel_id").astype("string")
    q = _flag(mortgages, "active") & _flag(mortgages, "financial")
    m = pd.DataFrame(
        {
            "parcel_id": column(mortgages, "parcel_id").astype("string"),
            "amount": numeric(mortgages, "amount"),
            "mortgagee": text(mortgages, "mortgagee"),
            "flag": _flag(mortgages, "idle_flag"),
        }
    )[q.to_numpy()]
    m = m.dropna(subset=["parcel_id"])
    g = m.groupby("parcel_id", sort=False)
    amount = g["amount"].sum(min_count=1)
    flag = g["flag"].any()
    named = m.loc[(m["mortgagee"] != "").to_numpy(dtype=bool), ["parcel_id", "mortgagee"]]
    named = named.drop_duplicates()
    # Most parcels have one mortgagee: only the others are joined in Python.
    several = named["parcel_id"].duplicated(keep=False).to_numpy()
    names = pd.concat(
        [
            named[~several].set_index("parcel_id")["mortgagee"].astype(object),
            named[several].groupby("parcel_id", sort=False)["mortgagee"].agg("、".join),
        ]
    )

    def spread(table: pd.Series, fill: Any) -> tuple[np.ndarray, np.ndarray]:
        """Each parcel's value in a per-parcel table, ``fill`` where it has none."""
        at = positions(pid, table.index)
        out = np.full(len(idx), fill, dtype=object if isinstance(fill, str) else type(fill))
        hit = at >= 0
        out[hit] = table.to_numpy()[at[hit]]
        return out, hit

    amounts, has = spread(amount, 0.0)
    amt = pd.Series(amounts, index=idx, dtype="float64")
    who = pd.Series(spread(names, "")[0], index=idx, dtype=str)
    bank_flag = spread(flag, False)[0].astype(bool)
    idle = _flag(parcels, "idle").to_numpy(dtype=bool)
    stopped = _flag(parcels, "stopped_2y").to_numpy(dtype=bool)
    result = has & (idle | stopped | bank_flag)

    facts = pd.DataFrame(
        {"who": who, "amt": amt, "idle": idle, "stopped": stopped, "bank": bank_flag}, index=idx
    )

    def head(f: pd.DataFrame) -> pd.Series:
        who = f["who"].where(f["who"] != "", "未填抵押权人")
        return "抵押给金融机构(" + who + ") " + fmt_num(f["amt"]) + "万元"

    def why(f: pd.DataFrame) -> pd.Series:
        i, st, bk = (f[c].to_numpy() for c in ("idle", "stopped", "bank"))
        return (
            _series(np.where(i, "土地闲置", ""), f.index)
            + _series(np.where(i & (st | bk), "、", ""), f.index)
            + _series(np.where(st, "企业长期停产", ""), f.index)
            + _series(np.where(st & bk, "、", ""), f.index)
            + _series(np.where(bk, "银行台账标记闲置", ""), f.index)
        )

    reason = select_text(
        facts,
        [
            (result, lambda f: "闲置土地抵押(" + PLAN + "): " + head(f) + ", 且" + why(f)),
            (has, lambda f: head(f) + ", 但地块未闲置、企业未长期停产、银行未标记闲置"),
        ],
        "无有效的金融机构抵押",
    )
    return pd.DataFrame(
        {
            "mortgaged_idle": pd.Series(result, index=idx, dtype=bool),
            "mortgage_amount": amt,
            "mortgagees": who,
            "mortgage_reason": reason,
        },
        index=idx,
    )


def count_lists(parcels: pd.DataFrame) -> pd.Series:
    """Number of lists (0–3) a parcel is on: tax_arrears_2y + mortgaged_idle + stopped_2y.

    NA or a missing column counts as False.

    Example
    -------
    >>> p = pd.DataFrame({"tax_arrears_2y": [True, pd.NA], "stopped_2y": [True, False]})
    >>> count_lists(p).tolist()
    [2, 0]
    """
    n = (
        _flag(parcels, "tax_arrears_2y").astype("int8")
        + _flag(parcels, "mortgaged_idle").astype("int8")
        + _flag(parcels, "stopped_2y").astype("int8")
    )
    return n.astype("Int8").rename("lists")


def cross_list(parcels: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The cross-list: one row per enterprise on at least one list.

    Parameters
    ----------
    parcels : DataFrame
        ``enterprise_id``, ``parcel_id``, ``area_mu``, ``idle``,
        ``tax_arrears_2y``, ``mortgaged_idle``, ``stopped_2y`` and, when the
        disposal rules have run, ``action``, ``action_rule``, ``priority``.
    enterprises : DataFrame
        ``enterprise_id``, ``name``, ``credit_code``; optional enterprise-level
        ``stopped_2y`` and ``tax_arrears_2y`` so that an enterprise with no
        matched parcel still appears. Duplicate ids: the first row names it.

    Returns
    -------
    DataFrame (RangeIndex)
        enterprise_id, name, credit_code, on_tax_list, on_mortgage_list,
        on_stopped_list, lists (0–3), parcel_ids ("、"-joined), parcel_count,
        area_mu, idle_mu, action, action_rule, priority (the most urgent
        recommendation among its parcels; NA without parcels), sorted by lists
        desc, then area_mu desc, then enterprise_id.

    Example
    -------
    >>> p = pd.DataFrame({"enterprise_id": ["E1"], "parcel_id": ["P1"], "area_mu": [12.0],
    ...                   "idle": [True], "tax_arrears_2y": [True], "mortgaged_idle": [False],
    ...                   "stopped_2y": [True]})
    >>> e = pd.DataFrame({"enterprise_id": ["E1"], "name": ["甲公司"], "credit_code": [None]})
    >>> r = cross_list(p, e)
    >>> int(r.loc[0, "lists"]), float(r.loc[0, "idle_mu"])
    (2, 12.0)
    """
    p = parcels[column(parcels, "enterprise_id").notna()]
    ent = enterprises[column(enterprises, "enterprise_id").notna()]
    # Only enterprises on a list appear: keep their parcels (all of them) and rows.
    on_a_list = _flag(p, "tax_arrears_2y") | _flag(p, "mortgaged_idle") | _flag(p, "stopped_2y")
    ent_listed = _flag(ent, "tax_arrears_2y") | _flag(ent, "stopped_2y")
    listed_ids = pd.concat(
        [
            p.loc[on_a_list.to_numpy(), "enterprise_id"],
            ent.loc[ent_listed.to_numpy(), "enterprise_id"],
        ]
    ).unique()
    keep_cols = [
        c
        for c in ("enterprise_id", "parcel_id", "area_mu", "idle", "tax_arrears_2y",
                  "mortgaged_idle", "stopped_2y", "priority", "action", "action_rule")
        if c in p.columns
    ]  # fmt: skip
    p = p.loc[isin(p["enterprise_id"], listed_ids), keep_cols]
    ent = ent[isin(ent["enterprise_id"], listed_ids)]
    pf = pd.DataFrame(
        {
            "enterprise_id": p["enterprise_id"] if len(p) else pd.Series(dtype="string"),
            "parcel_id": column(p, "parcel_id").astype("string").fillna("").astype(str),
            "area_mu": numeric(p, "area_mu"),
            "idle": _flag(p, "idle"),
            "tax": _flag(p, "tax_arrears_2y"),
            "mort": _flag(p, "mortgaged_idle"),
            "stop": _flag(p, "stopped_2y"),
        },
        index=p.index,
    )
    pf["idle_area"] = pf["area_mu"].where(pf["idle"], 0.0)
    g = pf.groupby("enterprise_id", sort=False)
    per = pd.DataFrame(
        {
            "tax": g["tax"].any(),
            "mort": g["mort"].any(),
            "stop": g["stop"].any(),
            "parcel_count": g.size(),
            "area_mu": g["area_mu"].sum(min_count=0),
            "idle_mu": g["idle_area"].sum(min_count=0),
        }
    )

    ef = pd.DataFrame(
        {
            "enterprise_id": ent["enterprise_id"] if len(ent) else pd.Series(dtype="string"),
            "tax": _flag(ent, "tax_arrears_2y"),
            "stop": _flag(ent, "stopped_2y"),
        },
        index=ent.index,
    )
    eg = ef.groupby("enterprise_id", sort=False)[["tax", "stop"]].any()
    names = ent.drop_duplicates("enterprise_id").set_index("enterprise_id")

    ids = per.index.union(eg.index)
    per = per.reindex(ids)
    eg = eg.reindex(ids)
    out = pd.DataFrame(index=ids)
    out["name"] = column(names, "name").reindex(ids)
    out["credit_code"] = column(names, "credit_code").reindex(ids)
    out["on_tax_list"] = per["tax"].fillna(False).astype(bool) | eg["tax"].fillna(False).astype(
        bool
    )
    out["on_mortgage_list"] = per["mort"].fillna(False).astype(bool)
    out["on_stopped_list"] = per["stop"].fillna(False).astype(bool) | eg["stop"].fillna(
        False
    ).astype(bool)
    out["lists"] = (
        out["on_tax_list"].astype("int8")
        + out["on_mortgage_list"].astype("int8")
        + out["on_stopped_list"].astype("int8")
    ).astype("Int8")
    out["parcel_ids"] = ""  # joined below, for listed enterprises only (a join per group is slow)
    out["parcel_count"] = per["parcel_count"].fillna(0).astype("int64")
    out["area_mu"] = per["area_mu"].fillna(0.0).astype("float64")
    out["idle_mu"] = per["idle_mu"].fillna(0.0).astype("float64")

    if "priority" in p.columns:
        best = (
            p.assign(_prio=pd.to_numeric(p["priority"], errors="coerce"))
            .sort_values("_prio", kind="stable", na_position="last")
            .drop_duplicates("enterprise_id")
            .set_index("enterprise_id")
        )
        out["action"] = column(best, "action").reindex(ids).astype("string")
        out["action_rule"] = column(best, "action_rule").reindex(ids).astype("string")
        out["priority"] = best["_prio"].reindex(ids).astype("Int64")
    else:
        out["action"] = pd.Series(pd.NA, index=ids, dtype="string")
        out["action_rule"] = pd.Series(pd.NA, index=ids, dtype="string")
        out["priority"] = pd.Series(pd.NA, index=ids, dtype="Int64")

    out.index.name = "enterprise_id"
    out = out[out["lists"] > 0]
    listed = pf[isin(pf["enterprise_id"], out.index)]
    joined = listed.groupby("enterprise_id", sort=False)["parcel_id"].agg("、".join)
    out["parcel_ids"] = joined.reindex(out.index).fillna("").astype(str)
    out = out.reset_index()
    out = out.sort_values(
        ["lists", "area_mu", "enterprise_id"],
        ascending=[False, False, True],
        kind="stable",
        na_position="last",
    )
    return out.reset_index(drop=True)


__all__ = [
    "active_mortgages",
    "count_lists",
    "cross_list",
    "mortgaged_idle",
    "stopped_enterprises",
    "tax_arrears",
]
