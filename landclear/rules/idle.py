"""Idle land (闲置土地) under 《闲置土地处置办法》(国土资源部令第53号, 2012).

DOMAIN §5.1. Pure and vectorised: a parcels frame in, index-aligned columns
out. Dates use calendar arithmetic: ``x + 1 year`` is
``pd.DateOffset(years=1)`` (29 Feb + 1 year = 28 Feb).

Legal basis
-----------
- 第二条 (第一款, type A): idle when not started one full year after the
  agreed start date; (第二款, type B) started, but developed area < 1/3 of the area to develop or
  investment < 25 % of the total, and construction suspended ≥ 1 year.
- 第八条: government-caused delays (late handover, plan changes, policy,
  petitions, military/heritage, force majeure) — still idle, but no fee and
  no recovery; handled under 第十二条.
- 第十四条: idle ≥ 1 year → fee of 20 % of the land price; ≥ 2 years →
  recovery without compensation.

Example
-------
>>> import pandas as pd
>>> p = pd.DataFrame({"agreed_start": pd.to_datetime(["2021-03-01"]), "land_price": [500.0]})
>>> r = idle_land(p, "2024-06-30")
>>> r.loc[0, ["idle", "idle_type", "idle_years", "idle_fee", "recoverable"]].to_dict()
{'idle': True, 'idle_type': 'A', 'idle_years': 3, 'idle_fee': 100.0, 'recoverable': True}
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import on_distinct
from landclear.quality import QualityLog
from landclear.rules.config import IdleSettings, default_settings
from landclear.schema import SOURCE_FILE, SOURCE_ROW

DateLike = dt.date | dt.datetime | pd.Timestamp | str

NOT_EVALUABLE = "缺少约定开工/供地日期,无法判定"


# -- calendar helpers (shared with lists.py) ---------------------------------


def to_timestamp(as_of: DateLike) -> pd.Timestamp:
    """The reference date as a midnight ``pd.Timestamp``.

    Example
    -------
    >>> to_timestamp(dt.date(2024, 6, 30))
    Timestamp('2024-06-30 00:00:00')
    """
    return pd.Timestamp(as_of).normalize()


def as_dates(values: pd.Series) -> pd.Series:
    """A column as ``datetime64`` at day precision; unparseable → NaT.

    Example
    -------
    >>> as_dates(pd.Series(["2021-03-01", None])).isna().tolist()
    [False, True]
    """
    out = pd.to_datetime(values, errors="coerce")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.dt.normalize()


_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype="float64")


def add_years(dates: pd.Series, years: float | np.ndarray | pd.Series) -> pd.Series:
    """Add calendar years, 29 Feb → 28 Feb in common years (as DateOffset).

    Vectorised also for a per-row number of years. A fractional number of
    years counts in whole months (``1.5`` = 18 months, rounded to the nearest
    month), the day clipped to the end of a shorter month (31 Aug + 0.5 years
    = 28/29 Feb), as ``DateOffset(months=…)``. "Has lasted *n* years" is
    ``add_years(date, n) <= as_of`` everywhere (idle land, lists, evidence).

    Example
    -------
    >>> add_years(pd.Series(pd.to_datetime(["2020-02-29"])), 1).dt.strftime("%Y-%m-%d").tolist()
    ['2021-02-28']
    >>> add_years(pd.Series(pd.to_datetime(["2022-08-31"])), 1.5).dt.strftime("%Y-%m-%d").tolist()
    ['2024-02-29']
    """
    if np.isscalar(years):
        # Dates repeat (a grant date per batch of parcels): each distinct one is moved once.
        n = float(years)
        out = on_distinct(dates, lambda u: _add_years(u, n).to_numpy(), np.datetime64("NaT"))
        return pd.Series(out, index=dates.index) if out is not None else _add_years(dates, n)
    return _add_years(dates, np.asarray(years, dtype="float64"))


def _add_years(dates: pd.Series, years: float | np.ndarray) -> pd.Series:
    months = np.rint(np.multiply(years, 12.0))
    y = dates.dt.year.astype("float64").to_numpy()
    m = dates.dt.month.astype("float64").to_numpy()
    d = dates.dt.day.astype("float64").to_numpy()
    total = y * 12.0 + (m - 1.0) + months  # months since year 0; NaN where no date
    y = np.floor(total / 12.0)
    m = total - 12.0 * y + 1.0
    with np.errstate(invalid="ignore"):
        leap = (np.mod(y, 4) == 0) & ((np.mod(y, 100) != 0) | (np.mod(y, 400) == 0))
    month0 = np.nan_to_num(m - 1.0, nan=0.0).astype("int64")
    last_day = _DAYS_IN_MONTH[month0] + ((month0 == 1) & leap)
    d = np.minimum(d, last_day)  # NaN stays NaN
    parts = pd.DataFrame({"year": y, "month": m, "day": d}, index=dates.index)
    return pd.to_datetime(parts, errors="coerce")


def reached(dates: pd.Series, years: float, as_of: pd.Timestamp) -> pd.Series:
    """True where ``dates`` lies ``years`` or more before ``as_of`` (its anniversary has come).

    The one rule for "has lasted *n* years" in idle land, the lists and the
    imagery evidence: ``add_years(date, n) <= as_of``, so 29 Feb 2020 reaches
    two years on 28 Feb 2022. Missing dates give False.

    Example
    -------
    >>> d = pd.Series(pd.to_datetime(["2020-02-29", "2020-03-01", None]))
    >>> reached(d, 2, pd.Timestamp("2022-02-28")).tolist()
    [True, False, False]
    """
    due = add_years(dates, years)
    return (due.notna() & (due <= as_of)).astype(bool)


def full_years(start: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Whole calendar years from ``start`` to ``as_of`` (Int64; NA where no date).

    ``full_years(s, t) >= k`` exactly when ``s + DateOffset(years=k) <= t``.

    Example
    -------
    >>> full_years(pd.Series(pd.to_datetime(["2021-03-01"])), pd.Timestamp("2024-02-29")).tolist()
    [2]
    """
    n = as_of.year - start.dt.year.astype("float64")
    late = (add_years(start, n.to_numpy()) > as_of).to_numpy()
    n = n - late
    return n.astype("Int64")


def years_between(start: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Elapsed years as a float: full calendar years plus the fraction of the next one.

    Example
    -------
    >>> years_between(pd.Series(pd.to_datetime(["2022-06-30"])), pd.Timestamp("2024-06-30")).tolist()
    [2.0]
    """
    n = full_years(start, as_of).astype("float64")
    lo = add_years(start, n.to_numpy())
    hi = add_years(start, n.to_numpy() + 1)
    frac = (as_of - lo).dt.days / (hi - lo).dt.days
    return (n + frac).astype("float64")


def fmt_date(dates: pd.Series) -> pd.Series:
    """ISO date text; NaT → empty string (each distinct date formatted once).

    Examples
    --------
    >>> fmt_date(pd.Series(pd.to_datetime(["2024-06-30", None, "2024-06-30"]))).tolist()
    ['2024-06-30', '', '2024-06-30']
    """
    dates = pd.to_datetime(dates)
    out = on_distinct(dates, lambda u: u.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), "")
    if out is None:
        out = dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    return pd.Series(out, index=dates.index, dtype=str)


def fmt_num(values: pd.Series, digits: int = 2) -> pd.Series:
    """Fixed-decimal text, vectorised; NaN → "?" (a reason must show the gap)."""
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    txt = np.char.mod(f"%.{digits}f", arr)
    return pd.Series(np.where(np.isnan(arr), "?", txt), index=values.index, dtype=str)


def fmt_years(values: pd.Series) -> pd.Series:
    """Elapsed years floored to 0.01, so 1.997 years never reads as "2.00"."""
    return fmt_num(np.floor(values.astype("float64") * 100 + 1e-9) / 100)


def select_text(
    facts: pd.DataFrame,
    branches: list[tuple[Any, Callable[[pd.DataFrame], pd.Series | str]]],
    default: str,
) -> pd.Series:
    """The reason text of each row: the first branch whose mask holds formats it.

    Each branch formats only its own rows (vectorised within the branch), so a
    rule over a million parcels builds its long texts only where they apply.

    Parameters
    ----------
    facts : DataFrame
        The values the texts are built from; branches get the rows they own.
    branches : list of (mask, build)
        ``mask`` a boolean array or Series aligned with ``facts``; ``build``
        takes those rows of ``facts`` and returns their text (or one string).
    default : str
        The text of rows no branch takes.

    Examples
    --------
    >>> f = pd.DataFrame({"n": [1, 5]})
    >>> select_text(f, [(f["n"] > 2, lambda r: "大 " + r["n"].astype(str))], "小").tolist()
    ['小', '大 5']
    """
    out = np.full(len(facts), default, dtype=object)
    todo = np.ones(len(facts), dtype=bool)
    for mask, build in branches:
        sel = todo & np.asarray(mask, dtype=bool)
        if sel.any():
            text = build(facts[sel])
            out[sel] = text if isinstance(text, str) else np.asarray(text, dtype=object)
        todo &= ~sel
    return pd.Series(out, index=facts.index, dtype=str)


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]``, or an all-missing column when the input lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as float64 (unparseable → NaN)."""
    return pd.to_numeric(column(frame, name), errors="coerce").astype("float64")


def text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped text, missing → ``""``."""
    col = column(frame, name)
    return col.astype("string").fillna("").str.strip().astype(str)


def contains_any(values: pd.Series, words: Sequence[str]) -> pd.Series:
    """True where the text contains any of ``words`` (literal, not regex)."""
    if not words:
        return pd.Series(False, index=values.index)
    pattern = "|".join(re.escape(w) for w in words)
    return values.str.contains(pattern, regex=True).fillna(False).astype(bool)


def matched_word(values: pd.Series, words: Sequence[str]) -> pd.Series:
    """The first of ``words`` found in each text ("" when none)."""
    if not words:
        return pd.Series("", index=values.index, dtype=str)
    pattern = "(" + "|".join(re.escape(w) for w in words) + ")"
    return values.str.extract(pattern, expand=False).fillna("").astype(str)


def _share_text(share: float) -> str:
    return "1/3" if abs(share - 1 / 3) < 1e-9 else f"{share:.0%}"


# -- the rule ----------------------------------------------------------------


def idle_land(
    parcels: pd.DataFrame,
    as_of: DateLike,
    settings: IdleSettings | None = None,
    *,
    log: QualityLog | None = None,
) -> pd.DataFrame:
    """Decide, per parcel, whether it is idle land and what follows from it.

    Parameters
    ----------
    parcels : DataFrame
        Canonical parcel columns (``landclear.schema.FIELDS["parcels"]``). Used:
        agreed_start, grant_date, actual_start, suspended_since, developed_area,
        certified_area, invested, planned_investment, land_price (万元),
        delay_cause. A missing column counts as all-missing.
    as_of : date-like
        Reference date.
    settings : IdleSettings, optional
        Thresholds; default ``rules.toml [idle]``.
    log : QualityLog, optional
        When given, one warning per parcel that cannot be evaluated (naming
        source_file/source_row when the frame carries them).

    Returns
    -------
    DataFrame, index-aligned
        idle (bool), idle_type ("A"/"B"/NA), idle_cause ("government"/
        "enterprise"/NA), idle_years (Int64, 0 when not idle), idle_fee (float,
        万元; NaN when due but the land price is unknown), recoverable (bool),
        idle_evaluable (bool), idle_reason (str).

    Notes
    -----
    - Agreed start = agreed_start, else grant_date + ``grant_to_start_years``.
    - An actual_start after ``as_of`` counts as not started on ``as_of``.
    - Type B needs at least one evaluable prong: developed/certified area
      (certified > 0) or invested/planned investment (planned > 0). A
      started, suspended parcel with neither is ``idle_evaluable`` False.
    - idle_years = full years past the agreed start (A and B alike).

    Example
    -------
    >>> p = pd.DataFrame({"grant_date": pd.to_datetime(["2022-06-30"])})
    >>> r = idle_land(p, "2024-06-30")
    >>> bool(r.loc[0, "idle"]), int(r.loc[0, "idle_years"])
    (True, 1)
    """
    s = settings or default_settings().idle
    t = to_timestamp(as_of)
    idx = parcels.index

    agreed = as_dates(column(parcels, "agreed_start"))
    grant = as_dates(column(parcels, "grant_date"))
    from_grant = agreed.isna() & grant.notna()
    start = agreed.where(agreed.notna(), add_years(grant, s.grant_to_start_years))
    has_start = start.notna()

    actual = as_dates(column(parcels, "actual_start"))
    started = actual.notna() & (actual <= t)
    susp = as_dates(column(parcels, "suspended_since"))
    suspended = reached(susp, s.suspended_years, t)

    dev, cert = numeric(parcels, "developed_area"), numeric(parcels, "certified_area")
    inv, plan = numeric(parcels, "invested"), numeric(parcels, "planned_investment")
    dev_ok = dev.notna() & (cert > 0)
    inv_ok = inv.notna() & (plan > 0)
    low_dev = dev_ok & (dev < cert * s.developed_share)
    low_inv = inv_ok & (inv < plan * s.invested_share)

    type_a = has_start & ~started & reached(start, s.years_to_idle, t)
    type_b = has_start & started & suspended & (low_dev | low_inv)
    b_unknown = has_start & started & suspended & ~dev_ok & ~inv_ok
    idle = (type_a | type_b).astype(bool)
    evaluable = (has_start & ~b_unknown).astype(bool)

    years = full_years(start, t).fillna(0).clip(lower=0)
    idle_years = years.where(idle, 0).astype("Int64")

    cause_txt = text(parcels, "delay_cause")
    gov = contains_any(cause_txt, s.government_causes) & ~contains_any(
        cause_txt, s.enterprise_causes
    )
    idle_cause = pd.Series(
        np.where(idle, np.where(gov, "government", "enterprise"), None), index=idx, dtype="string"
    )
    enterprise = idle & ~gov
    price = numeric(parcels, "land_price")
    fee_due = enterprise & (idle_years >= s.fee_min_years).to_numpy(dtype=bool)
    idle_fee = pd.Series(np.where(fee_due, s.fee_rate * price, 0.0), index=idx, dtype="float64")
    recoverable = (enterprise & (idle_years >= s.recover_years).to_numpy(dtype=bool)).astype(bool)

    facts = pd.DataFrame(
        {
            "start": start,
            "grant": grant,
            "from_grant": from_grant,
            "actual": actual,
            "susp": susp,
            "due_a": add_years(start, s.years_to_idle),
            "years": idle_years,
            "dev": dev,
            "cert": cert,
            "inv": inv,
            "plan": plan,
            "low_dev": low_dev,
            "low_inv": low_inv,
            "price": price,
            "fee": idle_fee,
            "fee_due": fee_due,
            "recoverable": recoverable,
            "gov": idle & gov,
            "cause": cause_txt,
            "type_a": type_a,
            "suspended": suspended,
        },
        index=idx,
    )
    branches = [
        (~has_start, lambda f: pd.Series(NOT_EVALUABLE, index=f.index)),
        (idle, lambda f: _reason_idle(f, s)),
        (b_unknown, lambda f: _reason_b_unknown(f, s)),
        (~started, lambda f: _reason_not_yet(f, s)),
        (pd.Series(True, index=idx), lambda f: _reason_started(f, s)),
    ]
    reason = select_text(facts, branches, "")

    if log is not None and (~evaluable).any():
        _warn_unevaluable(parcels, ~evaluable, reason, log)

    return pd.DataFrame(
        {
            "idle": idle,
            "idle_type": pd.Series(
                np.where(type_a, "A", np.where(type_b, "B", None)), index=idx, dtype="string"
            ),
            "idle_cause": idle_cause,
            "idle_years": idle_years,
            "idle_fee": idle_fee,
            "recoverable": recoverable,
            "idle_evaluable": evaluable,
            "idle_reason": reason,
        },
        index=idx,
    )


def _col(values: np.ndarray | pd.Series, index: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=str)


def _start_text(f: pd.DataFrame, s: IdleSettings) -> pd.Series:
    grant = "(供地 " + fmt_date(f["grant"]) + f" + {s.grant_to_start_years}年)"
    return "约定开工 " + fmt_date(f["start"]) + _col(np.where(f["from_grant"], grant, ""), f.index)


def _reason_idle(f: pd.DataFrame, s: IdleSettings) -> pd.Series:
    i = f.index
    start_txt, years = _start_text(f, s), f["years"].astype(str)
    r_a = (
        "53号令第二条第一款: " + start_txt + f" 后满{s.years_to_idle}年未动工 (已满" + years + "年)"
    )
    dev = _col(
        np.where(
            f["low_dev"],
            "已开发面积 "
            + fmt_num(f["dev"])
            + " < 宗地面积 "
            + fmt_num(f["cert"])
            + f" 的{_share_text(s.developed_share)}",
            "",
        ),
        i,
    )
    inv = _col(
        np.where(
            f["low_inv"],
            "已投资 "
            + fmt_num(f["inv"])
            + "万元 < 约定投资 "
            + fmt_num(f["plan"])
            + f"万元 的{_share_text(s.invested_share)}",
            "",
        ),
        i,
    )
    sep = _col(np.where(f["low_dev"] & f["low_inv"], "、", ""), i)
    r_b = (
        "53号令第二条第二款: 已开工 "
        + fmt_date(f["actual"])
        + ", "
        + dev
        + sep
        + inv
        + ", 自 "
        + fmt_date(f["susp"])
        + f" 停工满{s.suspended_years}年; "
        + start_txt
        + " (已满"
        + years
        + "年)"
    )
    fee = (
        f"; 第十四条(一): 闲置满{s.fee_min_years}年, 征缴闲置费 = 出让价款 "
        + fmt_num(f["price"])
        + f"万元 × {s.fee_rate:.0%} = "
        + fmt_num(f["fee"])
        + "万元"
    )
    rec = f"; 第十四条(二): 闲置满{s.recover_years}年, 可无偿收回"
    gov = (
        "; 第八条: 政府原因("
        + matched_word(f["cause"], s.government_causes)
        + "), 不征闲置费、不无偿收回, 按第十二条处置"
    )
    return (
        _col(np.where(f["type_a"], r_a, r_b), i)
        + _col(np.where(f["fee_due"], fee, ""), i)
        + _col(np.where(f["recoverable"], rec, ""), i)
        + _col(np.where(f["gov"], gov, ""), i)
    )


def _reason_b_unknown(f: pd.DataFrame, s: IdleSettings) -> pd.Series:
    return (
        "已开工且自 " + fmt_date(f["susp"]) + f" 停工满{s.suspended_years}年, "
        "但缺少开发面积和投资数据, 无法判定53号令第二条第二款"
    )


def _reason_not_yet(f: pd.DataFrame, s: IdleSettings) -> pd.Series:
    return (
        "未闲置: 未动工, "
        + _start_text(f, s)
        + f", 满{s.years_to_idle}年之日 "
        + fmt_date(f["due_a"])
    )


def _reason_started(f: pd.DataFrame, s: IdleSettings) -> pd.Series:
    head = "未闲置: 已开工 " + fmt_date(f["actual"])
    return head + _col(
        np.where(
            f["suspended"],
            ", 开发面积与投资比例均未低于53号令第二条第二款的标准",
            f", 无停工满{s.suspended_years}年记录",
        ),
        f.index,
    )


def _warn_unevaluable(
    parcels: pd.DataFrame, mask: pd.Series, reason: pd.Series, log: QualityLog
) -> None:
    cols = [c for c in ("parcel_id", SOURCE_FILE, SOURCE_ROW) if c in parcels.columns]
    rows = parcels.loc[mask, cols].assign(reason=reason[mask])
    for rec in rows.to_dict("records"):
        context = {
            "input": "parcels",
            "file": rec.get(SOURCE_FILE),
            "row": rec.get(SOURCE_ROW),
            "parcel_id": rec.get("parcel_id"),
        }
        log.warn(f"闲置土地无法判定 / idle land not evaluable: {rec['reason']}", **context)


__all__ = [
    "NOT_EVALUABLE",
    "add_years",
    "as_dates",
    "full_years",
    "idle_land",
    "to_timestamp",
    "years_between",
]
