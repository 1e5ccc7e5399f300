"""Progress toward the plan: cleared enterprises and mu over time (DOMAIN §5.9).

A disposal counts when its status is completed (已完成, 完成, 办结, 已办结, 已处置)
and its ``completed_on`` is on or before ``as_of``.

* **Cleared enterprises** — distinct enterprises with such a disposal. The
  enterprise is the ledger's linked ``enterprise_id``, else the owner of the
  disposal's parcel, else the credit code, else the normalised name. Two
  disposals of one enterprise count once, on the first completion date.
* **Cleared mu** — Σ of the disposal's ``area_mu`` (the ledger value, else the
  parcel's ``area_mu``) over completed disposals of parcels that are idle, or
  low-efficiency, or whose enterprise is long-stopped (the flags of
  ``result.parcels`` on ``as_of``).
* **A disposal naming an enterprise but no known parcel** counts its ledger
  area when the enterprise qualifies (long-stopped, low-efficiency, or holding
  a qualifying parcel); with no ledger area it counts the area of that
  enterprise's qualifying parcels.

Completions before the plan start fall in the first month of the series.

Example
-------
>>> import landclear  # doctest: +SKIP
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> p = compute_progress(result)  # doctest: +SKIP
>>> p.cleared_enterprises, round(p.cleared_mu, 2), p.pace["mu"]["needed_per_month"]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import isin

__all__ = [
    "DONE_STATUS",
    "Progress",
    "attach",
    "compute_progress",
    "disposal_table",
    "enterprise_keys",
    "qualifying",
    "register_cli",
    "status_class",
    "write_progress",
]

#: Status text of a completed disposal (compared stripped and lower-cased).
DONE_STATUS = ("已完成", "完成", "办结", "已办结", "已处置", "completed", "done")
ONGOING_STATUS = (
    "推进中",
    "进行中",
    "办理中",
    "实施中",
    "处置中",
    "在办",
    "ongoing",
    "in progress",
)
PLANNED_STATUS = ("计划", "计划中", "拟处置", "待处置", "未启动", "planned")
#: Ledger columns read as the expected completion date of an unfinished disposal.
DUE_COLUMNS = ("due_on", "planned_on", "planned_completion", "expected_on")
UNKNOWN = "未注明"
OUTSIDE = "园区外"


def _t(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


def status_class(status: pd.Series) -> pd.Series:
    """Classify disposal status text: ``completed``, ``ongoing``, ``planned`` or ``other``.

    Example
    -------
    >>> status_class(pd.Series([" 已完成", "推进中", "计划", None])).tolist()
    ['completed', 'ongoing', 'planned', 'other']
    """
    s = status.astype("string").str.strip().str.lower()
    out = np.select(
        [
            s.isin(DONE_STATUS).fillna(False),
            s.isin(ONGOING_STATUS).fillna(False),
            s.isin(PLANNED_STATUS).fillna(False),
        ],
        ["completed", "ongoing", "planned"],
        default="other",
    )
    return pd.Series(out, index=status.index, dtype="string")


def _col(df: pd.DataFrame, name: str, dtype: str = "string") -> pd.Series:
    if name in df:
        return (
            df[name].astype(dtype)
            if dtype != "datetime"
            else pd.to_datetime(df[name], errors="coerce")
        )
    if dtype == "datetime":
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return pd.Series(pd.NA, index=df.index, dtype=dtype)


def enterprise_keys(disposals: pd.DataFrame, parcels: pd.DataFrame | None = None) -> pd.Series:
    """The enterprise each disposal belongs to (see the module docstring).

    Example
    -------
    >>> d = pd.DataFrame({"credit_code": [None, "91110000600037341L"], "name": ["甲（公司）", None]})
    >>> enterprise_keys(d).tolist()
    ['N:甲(公司)', '91110000600037341L']
    """
    from landclear.ids import normalise_name

    key = _col(disposals, "enterprise_id")
    if parcels is not None and "parcel_id" in disposals and "enterprise_id" in parcels:
        owner = _lookup(parcels, "enterprise_id", disposals["parcel_id"])
        key = key.fillna(owner.astype("string"))
    code = _col(disposals, "credit_code").str.strip().replace("", pd.NA)
    key = key.fillna(code)
    name = normalise_name(_col(disposals, "name"))
    return key.fillna("N:" + name).astype("string")


def _lookup(parcels: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """``parcels[column]`` of each parcel id in ``ids`` (first row of a duplicated id)."""
    if column not in parcels:
        return pd.Series(pd.NA, index=ids.index, dtype="object")
    first = parcels.drop_duplicates("parcel_id")
    return ids.astype("string").map(
        pd.Series(first[column].to_numpy(), index=first["parcel_id"].astype(str))
    )


def _flag(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(False, index=frame.index)
    return frame[name].astype("boolean").fillna(False).astype(bool)


def qualifying(parcels: pd.DataFrame) -> pd.Series:
    """Whether a cleared parcel's land counts toward the mu target (DOMAIN §5.9).

    It counts when the parcel is idle, of low efficiency, or of an
    enterprise stopped for two years or more (``idle``, ``low_efficiency``,
    ``stopped_2y``); a missing column or value counts as no.

    Parameters
    ----------
    parcels : DataFrame

    Returns
    -------
    Series
        bool, index-aligned with ``parcels``.

    Example
    -------
    >>> p = pd.DataFrame({"idle": [True, False, None], "stopped_2y": [False, True, None]})
    >>> qualifying(p).tolist()
    [True, True, False]
    """
    return _flag(parcels, "idle") | _flag(parcels, "low_efficiency") | _flag(parcels, "stopped_2y")


def disposal_table(result: Any) -> pd.DataFrame:
    """Every disposal with its enterprise, state and counted area.

    Parameters
    ----------
    result : Result
        Uses ``disposals``, ``parcels``, ``enterprises`` and ``project.as_of``.

    Returns
    -------
    DataFrame
        The ledger rows plus ``ent_key``, ``status_class``, ``done`` (completed
        on or before ``as_of``), ``parcel_known``, ``qualifies``,
        ``mu_counted`` (area counted toward the mu target, 0 when not),
        ``park``, ``county``, ``method``, ``due`` (expected completion of an
        unfinished disposal: a due column, else its ``completed_on``),
        ``overdue`` and ``key`` (stable identity across runs).

    Example
    -------
    >>> t = disposal_table(result)  # doctest: +SKIP
    >>> t.loc[t["done"], "mu_counted"].sum()  # doctest: +SKIP
    """
    as_of = pd.Timestamp(result.project.as_of)
    d = result.disposals.copy().reset_index(drop=True)
    # Only the columns used here: the parcel table is wide and, at scale, long.
    wanted = ("parcel_id", "enterprise_id", "idle", "low_efficiency", "stopped_2y", "area_mu",
              "park", "county")  # fmt: skip
    parcels = pd.DataFrame(result.parcels[[c for c in wanted if c in result.parcels]])
    ents = result.enterprises
    if len(d) == 0:
        d = pd.DataFrame(
            {
                c: pd.Series(dtype="object")
                for c in (
                    "parcel_id",
                    "credit_code",
                    "name",
                    "method",
                    "status",
                    "completed_on",
                    "area_mu",
                )
            }
        )
    d["parcel_id"] = _col(d, "parcel_id").str.strip().replace("", pd.NA)
    d["completed_on"] = _col(d, "completed_on", "datetime")
    # Only the parcels a disposal names, and all the land of the enterprises it names.
    named = isin(parcels["parcel_id"], d["parcel_id"])
    d["ent_key"] = enterprise_keys(d, parcels[named])
    if "enterprise_id" in parcels:
        keys = d["ent_key"].dropna().unique()
        named |= isin(parcels["enterprise_id"], keys)
        if len(ents) and "enterprise_id" in ents:
            ents = ents[isin(ents["enterprise_id"], keys)]
    parcels = parcels[named]
    d["status_class"] = status_class(_col(d, "status"))
    d["done"] = (
        ((d["status_class"] == "completed") & (d["completed_on"] <= as_of))
        .fillna(False)
        .astype(bool)
    )

    d["parcel_known"] = isin(d["parcel_id"], parcels["parcel_id"])
    parcels = parcels.assign(_q=qualifying(parcels))
    d["qualifies"] = _lookup(parcels, "_q", d["parcel_id"]).astype("boolean").fillna(False)
    # An enterprise-only disposal: the enterprise qualifies through its state or its land.
    parts = []
    if "enterprise_id" in parcels:
        parts.append(parcels.groupby("enterprise_id")["_q"].any())
    if len(ents) and "enterprise_id" in ents:
        state = _flag(ents, "stopped_2y") | _flag(ents, "low_efficiency")
        parts.append(pd.Series(state.to_numpy(), index=ents["enterprise_id"].to_numpy()))
    ent_q = pd.concat(parts).groupby(level=0).any() if parts else pd.Series(dtype=bool)
    by_ent = d["ent_key"].map(ent_q).astype("boolean").fillna(False)
    d["qualifies"] = d["qualifies"].where(d["parcel_known"], by_ent).astype(bool)

    ledger_mu = pd.to_numeric(_col(d, "area_mu", "object"), errors="coerce").astype("float64")
    parcel_mu = pd.to_numeric(_lookup(parcels, "area_mu", d["parcel_id"]), errors="coerce")
    if "enterprise_id" in parcels:
        q_mu = parcels[parcels["_q"]].groupby("enterprise_id")["area_mu"].sum()
        ent_mu = d["ent_key"].map(q_mu).astype("float64")
    else:
        ent_mu = pd.Series(np.nan, index=d.index)
    fallback = parcel_mu.astype("float64").where(d["parcel_known"], ent_mu)
    area = ledger_mu.fillna(fallback).fillna(0.0)
    d["area_mu"] = area
    d["mu_counted"] = area.where(d["done"] & d["qualifies"], 0.0)

    # Park and county: the parcel's (authoritative), else the ledger's, else the enterprise's land.
    first_land = pd.DataFrame()
    if "enterprise_id" in parcels:
        first_land = (
            parcels.dropna(subset=["enterprise_id"])
            .drop_duplicates("enterprise_id")
            .set_index("enterprise_id")
        )
    for col, missing in (("park", OUTSIDE), ("county", UNKNOWN)):
        value = _lookup(parcels, col, d["parcel_id"]).astype("string")
        value = value.fillna(_col(d, col).str.strip().replace("", pd.NA))
        if col in first_land:
            value = value.fillna(d["ent_key"].map(first_land[col]).astype("string"))
        d[col] = value.fillna(missing)
    d["method"] = _col(d, "method").str.strip().replace("", pd.NA).fillna(UNKNOWN)
    due = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
    for c in DUE_COLUMNS:
        if c in d:
            due = due.fillna(pd.to_datetime(d[c], errors="coerce"))
    unfinished = d["status_class"] != "completed"
    due = due.fillna(d["completed_on"].where(unfinished))
    d["due"] = due
    d["overdue"] = (unfinished & (due < as_of)).fillna(False).astype(bool)
    base = d["parcel_id"].fillna("-") + "|" + d["ent_key"].fillna("-") + "|" + d["method"]
    d["key"] = base + "#" + (base.groupby(base).cumcount() + 1).astype(str)
    return d


def _months(start: dt.date, end: dt.date) -> pd.PeriodIndex:
    return pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")


def _month_diff(a: dt.date, b: dt.date) -> int:
    """Calendar months from ``a``'s month to ``b``'s month."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def milestone_shares(targets: Any) -> dict[int, float]:
    """The rectification milestones: the project's, else the shipped plan's."""
    if getattr(targets, "milestones", None):
        return {int(k): float(v) for k, v in targets.milestones.items()}
    from landclear.project import default_targets

    raw = default_targets().get("milestones") or default_targets().get("rectification") or {}
    return {int(k): float(v) for k, v in raw.items()}


@dataclass
class Progress:
    """Progress toward the clearance targets on ``as_of`` (see the module docstring).

    Attributes
    ----------
    monthly : DataFrame
        ``month`` (YYYY-MM), ``enterprises``, ``mu`` (newly cleared that
        month), ``cumulative_enterprises``, ``cumulative_mu``.
    by_county, by_park, by_method : DataFrame
        Index-free tables: the group, ``enterprises``, ``mu``, ``disposals``.
    pace : dict
        Per target: cleared, target, remaining, needed_per_month,
        actual_per_month, projected, on_track; plus months_left, note.
    milestones : DataFrame
        Rectification of 高耗低效 enterprises by year end vs the milestone.
    park_years : DataFrame
        :func:`landclear.rules.parks.park_indicators` for every ledger year.

    Example
    -------
    >>> p = compute_progress(result)  # doctest: +SKIP
    >>> p.to_json("out/progress.json")  # doctest: +SKIP
    """

    as_of: dt.date
    start: dt.date
    deadline: dt.date
    cleared_enterprises: int
    cleared_mu: float
    target_enterprises: int
    target_mu: float
    monthly: pd.DataFrame
    by_county: pd.DataFrame
    by_park: pd.DataFrame
    by_method: pd.DataFrame
    pace: dict[str, Any]
    milestones: pd.DataFrame
    park_years: pd.DataFrame
    disposals: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    language: str = "zh"
    city: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def share_enterprises(self) -> float:
        return (
            self.cleared_enterprises / self.target_enterprises
            if self.target_enterprises
            else math.nan
        )

    @property
    def share_mu(self) -> float:
        return self.cleared_mu / self.target_mu if self.target_mu else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The ``progress.json`` content (DOMAIN §8 keys first)."""

        def groups(df: pd.DataFrame, col: str) -> dict[str, Any]:
            return {
                str(r[col]): {
                    "enterprises": int(r["enterprises"]),
                    "mu": round(float(r["mu"]), 4),
                    "disposals": int(r["disposals"]),
                }
                for r in df.to_dict("records")
            }

        return {
            "as_of": self.as_of.isoformat(),
            "cleared_enterprises": int(self.cleared_enterprises),
            "cleared_mu": round(float(self.cleared_mu), 4),
            "target_enterprises": int(self.target_enterprises),
            "target_mu": float(self.target_mu),
            "deadline": self.deadline.isoformat(),
            "start": self.start.isoformat(),
            "share_enterprises": _num(self.share_enterprises),
            "share_mu": _num(self.share_mu),
            "monthly": _records(self.monthly),
            "by_park": groups(self.by_park, "park"),
            "by_county": groups(self.by_county, "county"),
            "by_method": groups(self.by_method, "method"),
            "pace": self.pace,
            "milestones": _records(self.milestones),
            "park_years": _records(self.park_years),
            "notes": list(self.notes),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write ``progress.json`` (UTF-8, Chinese kept readable)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")
        return path

    def summary_table(self) -> pd.DataFrame:
        """Headline figures as a two-column table (item, value)."""
        lang = self.language
        pe, pm = self.pace["enterprises"], self.pace["mu"]
        rows = [
            (_t(lang, "基准日", "As of"), self.as_of.isoformat()),
            (_t(lang, "目标期限", "Deadline"), self.deadline.isoformat()),
            (_t(lang, "已出清企业(家)", "Enterprises cleared"), self.cleared_enterprises),
            (_t(lang, "目标企业(家)", "Enterprise target"), self.target_enterprises),
            (_t(lang, "企业完成率", "Enterprise share"), f"{self.share_enterprises:.1%}"),
            (_t(lang, "已清理土地(亩)", "Land cleared (mu)"), round(self.cleared_mu, 2)),
            (_t(lang, "目标土地(亩)", "Land target (mu)"), self.target_mu),
            (_t(lang, "土地完成率", "Land share"), f"{self.share_mu:.1%}"),
            (_t(lang, "剩余月数", "Months left"), self.pace["months_left"]),
            (
                _t(lang, "每月需出清企业(家)", "Enterprises needed per month"),
                _fmt_pace(pe["needed_per_month"]),
            ),
            (
                _t(lang, "每月需清理土地(亩)", "Mu needed per month"),
                _fmt_pace(pm["needed_per_month"]),
            ),
            (_t(lang, "说明", "Note"), self.pace.get("note") or ""),
        ]
        return pd.DataFrame(
            rows, columns=[_t(lang, "项目", "Item"), _t(lang, "数值", "Value")]
        ).astype({_t(lang, "数值", "Value"): "string"})

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """Sheets for ``ledgers.xlsx``: [(Chinese sheet name, DataFrame)]."""
        lang = self.language
        done = self.disposals
        cols = [
            c
            for c in (
                "parcel_id",
                "ent_key",
                "name",
                "credit_code",
                "park",
                "county",
                "method",
                "status",
                "completed_on",
                "area_mu",
                "qualifies",
                "mu_counted",
                "done",
                "overdue",
            )
            if c in done
        ]
        return [
            (_t(lang, "清理进度", "Progress"), self.summary_table()),
            (_t(lang, "进度-按月累计", "Progress by month"), self.monthly),
            (_t(lang, "进度-按县区", "Progress by county"), self.by_county),
            (_t(lang, "进度-按园区", "Progress by park"), self.by_park),
            (_t(lang, "进度-按处置方式", "Progress by method"), self.by_method),
            (_t(lang, "整治目标节点", "Rectification milestones"), self.milestones),
            (_t(lang, "园区亩均分年度", "Park indicators by year"), self.park_years),
            (_t(lang, "处置台账核算", "Disposals counted"), done[cols] if cols else done),
        ]

    def _repr_html_(self) -> str:
        import html

        return (
            f"<div><b>{html.escape(self.city)} {html.escape(self.as_of.isoformat())}</b>"
            + self.summary_table().to_html(index=False, escape=True)
            + "</div>"
        )


def _num(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else round(float(v), 6)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (pd.Timestamp, dt.date)):
        return v.isoformat()[:10]
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            str(k): _num(v) if not (isinstance(v, float) and math.isnan(v)) else None
            for k, v in row.items()
        }
        for row in df.astype(object).where(df.notna(), None).to_dict("records")
    ]


def _fmt_pace(v: float | None) -> str:
    return "—" if v is None else f"{v:,.2f}"


def _groups(done: pd.DataFrame, first: pd.DataFrame, col: str) -> pd.DataFrame:
    mu = done.groupby(col)["mu_counted"].sum()
    n = done.groupby(col).size()
    ents = first.groupby(col)["ent_key"].nunique()
    out = pd.DataFrame({"enterprises": ents, "mu": mu, "disposals": n}).fillna(0)
    out = out.astype({"enterprises": "int64", "disposals": "int64", "mu": "float64"})
    return (
        out.rename_axis(col)
        .reset_index()
        .sort_values(["mu", col], ascending=[False, True], ignore_index=True)
    )


def _pace(cleared: float, target: float, months_left: int, months_elapsed: int) -> dict[str, Any]:
    remaining = max(float(target) - float(cleared), 0.0)
    needed = None if months_left <= 0 else remaining / months_left
    actual = float(cleared) / months_elapsed if months_elapsed > 0 else 0.0
    projected = float(cleared) + actual * max(months_left, 0)
    return {
        "cleared": _num(float(cleared)),
        "target": _num(float(target)),
        "remaining": _num(remaining),
        "needed_per_month": needed,
        "actual_per_month": actual,
        "projected_at_deadline": projected,
        "on_track": bool(projected >= float(target) - 1e-9),
    }


def _milestones(result: Any, first: pd.DataFrame, as_of: dt.date, language: str) -> pd.DataFrame:
    from landclear.rules.efficiency import screening_scope

    ents = result.enterprises
    shares = milestone_shares(result.project.targets)
    cols = [
        "year",
        "required_share",
        "due",
        "scope_enterprises",
        "rectified",
        "share",
        "met",
        "status",
    ]
    if not shares:
        return pd.DataFrame(columns=cols)
    if len(ents) and {"above_scale", "industry_code", "land_mu"} <= set(ents.columns):
        scope = screening_scope(ents)
    else:
        scope = pd.Series(True, index=ents.index)
    low = _flag(ents, "low_efficiency")
    ids = set(ents.loc[scope & low, "enterprise_id"].astype(str)) if len(ents) else set()
    rows = []
    for year, req in sorted(shares.items()):
        due = dt.date(year, 12, 31)
        upto = pd.Timestamp(min(due, as_of))
        done_ids = set(first.loc[first["completed_on"] <= upto, "ent_key"].astype(str))
        n = len(ids)
        k = len(ids & done_ids)
        share = k / n if n else math.nan
        if due <= as_of:
            met = bool(share >= req - 1e-12) if n else True
            status = _t(language, "已达标" if met else "未达标", "met" if met else "missed")
        else:
            met = None
            status = _t(
                language,
                f"进行中(截至{as_of.isoformat()})",
                f"in progress (as of {as_of.isoformat()})",
            )
        rows.append(
            {
                "year": year,
                "required_share": req,
                "due": due.isoformat(),
                "scope_enterprises": n,
                "rectified": k,
                "share": share,
                "met": met,
                "status": status,
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out["met"] = out["met"].astype("boolean")
    return out


def _park_years(result: Any, land: Any = None) -> pd.DataFrame:
    from landclear.ids import is_industrial_land_use
    from landclear.rules.parks import MEASURES, park_indicators, park_land

    ey = result.enterprise_years
    if len(ey) == 0 or "year" not in ey or "enterprise_id" not in ey:
        return pd.DataFrame()
    # Only the columns the park figures read: each year's rows are a slice of them.
    ey = ey[["enterprise_id", "year", *(c for c in MEASURES.values() if c in ey)]]
    if land is None:  # the same parcels every year
        wanted = ("park", "area_mu", "enterprise_id", "land_use_industrial", "land_use", "in_park")
        parcels = pd.DataFrame(result.parcels[[c for c in wanted if c in result.parcels]])
        if "in_park" in parcels:  # as the as_of table: land outside every park is not park land
            parcels = parcels[parcels["in_park"].astype(bool).to_numpy()]
        if "land_use_industrial" not in parcels:
            parcels["land_use_industrial"] = (
                is_industrial_land_use(parcels["land_use"]) if "land_use" in parcels else True
            )
        land = park_land(parcels)
    targets = {str(y): t for y, t in result.project.targets.per_mu.items()}
    years = pd.to_numeric(ey["year"], errors="coerce")
    frames = []
    for year in sorted(int(y) for y in years.dropna().unique()):
        one = ey[(years == year).fillna(False).to_numpy(dtype=bool)]
        one = one.dropna(subset=["enterprise_id"])
        frames.append(park_indicators(None, one, targets, year, land=land))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def compute_progress(result: Any, *, land: Any = None) -> Progress:
    """Progress of a run toward the project's targets.

    Parameters
    ----------
    result : Result
        A run (``landclear.analysis.run``); reads ``disposals``, ``parcels``,
        ``enterprises``, ``enterprise_years`` and ``project``.
    land : ParkLand, optional
        :func:`landclear.rules.parks.park_land` of the result's in-park
        parcels, when the caller has it (the run does); made here otherwise.

    Returns
    -------
    Progress

    Example
    -------
    >>> p = compute_progress(landclear.analysis.run("shapefiles/project.toml"))  # doctest: +SKIP
    >>> p.cleared_enterprises, p.target_enterprises  # doctest: +SKIP
    """
    project = result.project
    targets = project.targets
    as_of = project.as_of
    lang = getattr(project, "language", "zh")
    notes: list[str] = []
    table = disposal_table(result)
    done = table[table["done"]]
    keyed = done.dropna(subset=["ent_key"]).sort_values(["completed_on", "key"], kind="stable")
    first = keyed.drop_duplicates("ent_key", keep="first")
    late = table[(table["status_class"] == "completed") & ~table["done"]]
    if len(late):
        notes.append(
            _t(
                lang,
                f"{len(late)} 条处置记录完成时间晚于基准日或缺失,未计入",
                f"{len(late)} completed disposals dated after as_of (or undated) not counted",
            )
        )
    unqualified = done[~done["qualifies"]]
    if len(unqualified):
        notes.append(
            _t(
                lang,
                f"{len(unqualified)} 条已完成处置的宗地非闲置/低效/长期停产,面积未计入",
                f"{len(unqualified)} completed disposals on land that is not idle, "
                "low-efficiency or long-stopped: area not counted",
            )
        )

    start = targets.start
    months = _months(min(start, as_of), as_of)
    month_of = done["completed_on"].dt.to_period("M").clip(lower=months[0])
    mu_by_month = done.groupby(month_of)["mu_counted"].sum().reindex(months, fill_value=0.0)
    first_month = first["completed_on"].dt.to_period("M").clip(lower=months[0])
    ent_by_month = first.groupby(first_month).size().reindex(months, fill_value=0)
    monthly = pd.DataFrame(
        {
            "month": months.strftime("%Y-%m"),
            "enterprises": ent_by_month.to_numpy().astype("int64"),
            "mu": mu_by_month.to_numpy().astype("float64"),
        }
    )
    monthly["cumulative_enterprises"] = monthly["enterprises"].cumsum()
    monthly["cumulative_mu"] = monthly["mu"].cumsum()

    cleared_e = int(first["ent_key"].nunique())
    cleared_mu = float(done["mu_counted"].sum())
    months_left = _month_diff(as_of, targets.deadline)
    months_elapsed = len(months)
    pace = {
        "enterprises": _pace(cleared_e, targets.enterprises, months_left, months_elapsed),
        "mu": _pace(cleared_mu, targets.mu, months_left, months_elapsed),
        "months_left": max(months_left, 0),
        "months_elapsed": months_elapsed,
        "note": None,
    }
    if as_of > targets.deadline:
        pace["note"] = _t(
            lang,
            f"已过目标期限 {targets.deadline.isoformat()}",
            f"past the deadline {targets.deadline.isoformat()}",
        )
    elif months_left == 0:
        # The deadline falls in the as_of month: what remains is due this month.
        for k in ("enterprises", "mu"):
            pace[k]["needed_per_month"] = pace[k]["remaining"]
        pace["note"] = _t(lang, "目标期限在本月", "the deadline is this month")
    return Progress(
        as_of=as_of,
        start=start,
        deadline=targets.deadline,
        cleared_enterprises=cleared_e,
        cleared_mu=cleared_mu,
        target_enterprises=int(targets.enterprises),
        target_mu=float(targets.mu),
        monthly=monthly,
        by_county=_groups(done, first, "county"),
        by_park=_groups(done, first, "park"),
        by_method=_groups(done, first, "method"),
        pace=pace,
        milestones=_milestones(result, first, as_of, lang),
        park_years=_park_years(result, land),
        disposals=table,
        language=lang,
        city=getattr(project, "city", ""),
        notes=notes,
    )


def write_progress(result: Any, out_dir: str | Path) -> dict[str, Path]:
    """Writer hook for ``Result.to_files``: ``progress.json``, ``progress.png`` and the charts.

    Example
    -------
    >>> result.extras.setdefault("writers", []).append(write_progress)  # doctest: +SKIP
    """
    from landclear.charts import progress_charts

    out = Path(out_dir)
    progress = result.extras.get("progress") or compute_progress(result)
    written = {"progress": progress.to_json(out / "progress.json")}
    written.update(progress_charts(progress, out))
    return written


def attach(result: Any, *, land: Any = None) -> Progress:
    """Add the progress sheets and :func:`write_progress` to a result's outputs.

    Call once after a run; ``result.to_files`` then writes ``progress.json``,
    ``progress.png`` and the progress sheets of ``ledgers.xlsx``. ``land`` is
    passed to :func:`compute_progress`.

    Example
    -------
    >>> attach(result); result.to_files("out")  # doctest: +SKIP
    """
    progress = compute_progress(result, land=land)
    result.extras["progress"] = progress
    sheets = result.extras.setdefault("sheets", [])
    names = {n for n, _ in progress.sheets()}
    sheets[:] = [(n, df) for n, df in sheets if n not in names] + progress.sheets()
    writers = result.extras.setdefault("writers", [])
    if write_progress not in writers:
        writers.append(write_progress)
    return progress


def register_cli(main: Any) -> None:
    """Add ``snapshot``, ``changes`` and ``bulletin`` to the ``landclear`` command group."""
    import click

    from landclear.cli import _friendly

    @main.command()
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.option("--label", default=None, help="A name for the snapshot, e.g. 2024H1.")
    @click.option(
        "--store",
        type=click.Path(dir_okay=False),
        default=None,
        help="History file (default: landclear-history.sqlite next to PROJECT).",
    )
    @_friendly
    def snapshot(project: str, label: str | None, store: str | None) -> None:
        """Run PROJECT and record its key results in the history store."""
        from landclear.analysis import run
        from landclear.history import snapshot as take

        info = take(run(project), store=store, label=label)
        click.echo(f"快照 snapshot {info.id} ({info.created}, as_of {info.as_of}) → {info.store}")

    @main.command()
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.option("--since", required=True, help="Snapshot id, label, or date (YYYY-MM-DD).")
    @click.option("--until", default=None, help="Snapshot to compare to (default: a fresh run).")
    @click.option("--store", type=click.Path(dir_okay=False), default=None)
    @click.option(
        "--out",
        type=click.Path(file_okay=False),
        default=None,
        help="Write changes.xlsx and changes.json here.",
    )
    @_friendly
    def changes(
        project: str, since: str, until: str | None, store: str | None, out: str | None
    ) -> None:
        """List what changed since a snapshot: cleared, idle, grades, slipped disposals."""
        from landclear.analysis import run
        from landclear.history import changes as diff
        from landclear.project import load_project

        if until is not None:
            proj = load_project(project)
            from landclear.history import default_store

            ch = diff(store or default_store(proj), since, until)
        else:
            ch = diff(run(project), since, store=store)
        click.echo(ch.text())
        if out:
            for kind, path in ch.write(out).items():
                click.echo(f"写出 wrote {kind}: {path}")

    @main.command()
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
    @click.option("--since", default=None, help="Compare with this snapshot (default: the latest).")
    @click.option("--store", type=click.Path(dir_okay=False), default=None)
    @_friendly
    def bulletin(project: str, out: str, since: str | None, store: str | None) -> None:
        """Write the half-year progress bulletin (HTML and PDF) of PROJECT into OUT."""
        from landclear.analysis import run
        from landclear.reports.bulletin import write_bulletin

        for kind, path in write_bulletin(run(project), out, store=store, since=since).items():
            click.echo(f"写出 wrote {kind}: {path}")
