"""The least-land clearance that makes a park meet its per-mu targets.

For a park with industrial mu ``A`` and year figures ``S_k`` (investment,
output, tax; 万元) and the year's targets ``T_k`` (万元/亩), choose
``x_i ∈ {0, 1}`` over candidate parcels (mu ``a_i``, attributed figures
``s_ik``, see :func:`landclear.scenario.parcel_contributions`). After clearing,
with a share ``ρ`` of the cleared mu re-let at ``r_k`` per mu, the park meets
target ``k`` when

    S_k − Σ x_i s_ik + ρ r_k Σ x_i a_i  ≥  T_k (A − (1 − ρ) Σ x_i a_i),

which is linear in ``x`` (the ratio's denominator is multiplied out):

    Σ x_i c_ik ≤ b_k,   c_ik = s_ik − (ρ r_k + (1 − ρ) T_k) a_i,   b_k = S_k − T_k A.

Minimise ``Σ a_i x_i``. Without re-letting, clearing every parcel would leave
no land (a ratio of nothing), so when the candidates are all of the park's
land one parcel must stay.

Methods, in order:

1. ``exact``: :func:`scipy.optimize.milp` (HiGHS branch and cut, relative gap
   0) when there are at most ``max_exact`` candidates, within ``time_limit``
   seconds; if the time runs out with a solution, it is returned with HiGHS'
   optimality gap.
2. ``greedy`` (larger sets, or no MILP solution in time): candidates sorted
   by their *ratio deficit per mu* — Σ over unmet targets of the share of that
   target's shortfall the parcel's clearance closes, minus Σ over met targets
   of the share of their slack it uses up, divided by its mu — are added until
   every target is met, then parcels whose removal keeps every target met are
   dropped, largest first. It runs from nothing and from the parcels the LP
   relaxation clears whole, with and without the slack penalty, and keeps the
   smallest set. The LP relaxation's optimum is a lower bound on the least mu,
   hence the reported gap.

Infeasible targets are recognised without search when even the most
favourable fractional clearance cannot meet them (the LP relaxation is
infeasible), else by the MILP. The plan then reports how close the best set
gets: the largest ``θ`` such that every measure reaches ``θ`` × its target
(a fixed 20-step bisection on ``θ``, never an open loop), and the least-mu set
that reaches it.

Example
-------
>>> import numpy as np
>>> a = np.array([10.0, 20.0, 5.0])
>>> C = np.array([[-30.0, -50.0, -10.0]])   # clearing each lowers the shortfall
>>> sol = min_area_cover(a, C, np.array([-40.0]))
>>> sol.status, sol.x.tolist(), sol.objective
('optimal', [True, False, True], 15.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from landclear.errors import LandclearError
from landclear.rules.parks import CITY_ROW, MEASURES, targets_for
from landclear.scenario import (
    ScenarioResult,
    _build_model,
    _targets,
    _translate,
    parse_relet,
    scenario,
    select_parcels,
    sheet_name,
)

if TYPE_CHECKING:  # pragma: no cover
    from landclear.result import Result

__all__ = [
    "DEFAULT_CANDIDATES",
    "ClearancePlan",
    "Solution",
    "min_area_cover",
    "plan_clearance",
    "plans_sheets",
    "plans_table",
]

#: Default candidate parcels: idle, on a list, or graded C/D.
DEFAULT_CANDIDATES = "idle|lists>=1|grade in C,D"
#: Bisection steps for the best attainable share of the targets (2^-20 ≈ 1e-6).
BISECTION_STEPS = 20
# Rows are scaled to max |coefficient| = 1 and tightened by this much so that a
# solution HiGHS accepts within its feasibility tolerance (1e-6 scaled) is feasible.
_TIGHTEN = 2e-6
_TOL = 1e-9


@dataclass
class Solution:
    """A 0/1 solution of min ``a·x`` s.t. ``C x ≤ b``.

    ``status``: ``optimal``, ``feasible`` (a solution, optimality not proven),
    ``infeasible`` (proven), ``unknown`` (no solution found, none proven
    impossible). ``method``: ``trivial`` (nothing to clear), ``bound`` (even
    every helpful candidate cannot close one target's gap), ``exact`` (HiGHS),
    ``greedy``. ``bound`` is a lower bound on the optimum, ``gap`` =
    (objective − bound) / objective.
    """

    x: np.ndarray
    status: str
    method: str
    objective: float
    bound: float | None = None
    gap: float | None = None
    message: str = ""

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


def _prepare(C: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.maximum(np.abs(C).max(axis=1, initial=0.0), np.abs(b))
    scale = np.where(scale > 0, scale, 1.0)
    Cs, bs = C / scale[:, None], b / scale
    return Cs, bs - _TIGHTEN


def _feasible(C: np.ndarray, b: np.ndarray, x: np.ndarray) -> bool:
    lhs = C @ x.astype(float)
    tol = _TOL * np.maximum(1.0, np.abs(C).sum(axis=1) + np.abs(b))
    return bool(np.all(lhs <= b + tol))


def _lp_bound(
    a: np.ndarray, Cs: np.ndarray, bs: np.ndarray, time_limit: float
) -> tuple[float, np.ndarray | None] | None:
    """Least mu of the LP relaxation and its solution; None when the relaxation is infeasible."""
    res = milp(
        a,
        constraints=LinearConstraint(Cs, -np.inf, bs),
        bounds=Bounds(0, 1),
        integrality=np.zeros(len(a)),
        options={"time_limit": max(time_limit, 0.05)},
    )
    if res.status == 2:
        return None
    return (float(res.fun), res.x) if res.x is not None else (0.0, None)


def _greedy(
    a: np.ndarray,
    C: np.ndarray,
    b: np.ndarray,
    start: np.ndarray | None = None,
    penalise: bool = True,
) -> np.ndarray | None:
    """Ratio-deficit-per-mu greedy from ``start``, then drop what is not needed, largest first."""
    x = np.zeros(len(a), dtype=bool) if start is None else start.copy()
    base = C @ x.astype(float)
    rest = b - base
    # Each parcel: the share of every unmet target's shortfall it closes, minus the share of
    # every met target's slack it uses up (so it cannot silently break another target).
    short = np.where(rest < 0, -rest, 0.0)
    slack = np.where(rest >= 0, rest, 0.0)
    gain = np.where(short[:, None] > 0, -C / np.where(short > 0, short, 1.0)[:, None], 0.0)
    harm = np.where(
        (short[:, None] == 0) & (C > 0), C / np.where(slack > 0, slack, 1e-12)[:, None], 0.0
    )
    closes = gain.sum(axis=0) - harm.sum(axis=0) if penalise else np.clip(gain, 0, None).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        priority = np.where(a > 0, closes / a, np.inf)
    useful = np.flatnonzero((closes > 0) & ~x)
    order = useful[np.argsort(-priority[useful], kind="stable")]
    tol = _TOL * np.maximum(1.0, np.abs(b))
    if np.all(base <= b + tol):
        order = order[:0]
    else:
        if len(order) == 0:
            return None
        cum = base[:, None] + np.cumsum(C[:, order], axis=1)
        ok = np.all(cum <= (b + tol)[:, None], axis=0)
        if not ok.any():
            return None
        x[order[: int(np.argmax(ok)) + 1]] = True
    lhs = C @ x.astype(float)
    for i in sorted(np.flatnonzero(x), key=lambda j: -a[j]):
        trial = lhs - C[:, i]
        if np.all(trial <= b + tol):
            x[i] = False
            lhs = trial
    return x


def min_area_cover(
    a: np.ndarray,
    C: np.ndarray,
    b: np.ndarray,
    *,
    max_exact: int = 5000,
    time_limit: float = 10.0,
) -> Solution:
    """Minimise ``a·x`` subject to ``C x ≤ b``, ``x`` binary (exact, else greedy).

    Parameters
    ----------
    a : array (n,)
        Mu of each candidate (≥ 0).
    C : array (m, n)
        Constraint coefficients; ``b`` : array (m,) right-hand sides.
    max_exact : int
        Largest candidate count solved exactly with HiGHS.
    time_limit : float
        Seconds for HiGHS.

    Returns
    -------
    Solution

    Example
    -------
    >>> min_area_cover(np.array([1.0]), np.array([[-1.0]]), np.array([-2.0])).status
    'infeasible'
    """
    a = np.asarray(a, dtype=float)
    C = np.atleast_2d(np.asarray(C, dtype=float)).reshape(-1, len(a))
    b = np.asarray(b, dtype=float).reshape(-1)
    n = len(a)
    zero = np.zeros(n, dtype=bool)
    if _feasible(C, b, zero):
        return Solution(zero, "optimal", "trivial", 0.0, 0.0, 0.0, "无需腾退 / nothing to clear")
    # Row-wise bound: even taking every helpful parcel cannot reach b.
    if np.any(np.clip(C, None, 0.0).sum(axis=1) > b + _TOL * np.maximum(1.0, np.abs(b))):
        return Solution(
            zero,
            "infeasible",
            "bound",
            math.nan,
            message="即使腾退全部有利的候选宗地也无法达标 / unreachable even clearing every helpful candidate",
        )
    if n == 0:
        return Solution(
            zero, "infeasible", "trivial", math.nan, message="无候选宗地 / no candidates"
        )
    Cs, bs = _prepare(C, b)
    start = time.monotonic()
    relaxed = _lp_bound(a, Cs, bs + _TIGHTEN, time_limit / 4)
    if relaxed is None:
        return Solution(
            zero, "infeasible", "exact", math.nan, message="线性松弛无解 / LP relaxation infeasible"
        )
    lp = relaxed[0]
    if n <= max_exact:
        # Exact ties (a target met with equality) count as met, as in park_indicators: solve
        # the rows as given; only if HiGHS's answer breaks a row beyond rounding, re-solve
        # with rows tightened by its feasibility tolerance.
        for tighten in (0.0, _TIGHTEN):
            left = max(time_limit - (time.monotonic() - start), 0.05)
            res = milp(
                a,
                constraints=LinearConstraint(Cs, -np.inf, bs + _TIGHTEN - tighten),
                bounds=Bounds(0, 1),
                integrality=np.ones(n),
                options={"time_limit": left, "mip_rel_gap": 0.0},
            )
            if res.status == 2:
                return Solution(
                    zero,
                    "infeasible",
                    "exact",
                    math.nan,
                    lp,
                    None,
                    "整数规划无解 / MILP infeasible",
                )
            if res.x is None:
                break
            x = res.x > 0.5
            if not _feasible(C, b, x):
                continue
            obj = float(a @ x)
            if res.status == 0:
                return Solution(x, "optimal", "exact", obj, obj, 0.0, "HiGHS optimal")
            bound = getattr(res, "mip_dual_bound", None)
            bound = float(bound) if bound is not None and np.isfinite(bound) else lp
            gap = (obj - bound) / obj if obj > 0 else 0.0
            return Solution(
                x, "feasible", "exact", obj, bound, max(gap, 0.0), f"HiGHS stopped: {res.message}"
            )
    # Greedy from nothing and from the parcels the LP relaxation clears whole (a basic LP
    # solution has at most one fractional parcel per target), each with and without the
    # slack penalty; keep the smallest set.
    starts = [None] if relaxed[1] is None else [None, relaxed[1] > 1 - 1e-9]
    tries = [_greedy(a, C, b, st, pen) for st in starts for pen in (True, False)]
    tries = [t for t in tries if t is not None]
    x = min(tries, key=lambda t: float(a @ t)) if tries else None
    if x is None:
        return Solution(
            zero,
            "unknown",
            "greedy",
            math.nan,
            lp,
            None,
            "贪心法未找到可行组合 / greedy found no feasible set",
        )
    obj = float(a @ x)
    gap = (obj - lp) / obj if obj > 0 else 0.0
    return Solution(x, "feasible", "greedy", obj, lp, max(gap, 0.0), "greedy with LP bound")


# --------------------------------------------------------------------------- the plan
@dataclass
class ClearancePlan:
    """The least-mu clearance meeting one park's targets (or the closest one can get).

    Attributes
    ----------
    feasible : bool
        True when the chosen set meets every target of the year.
    method : str
        ``already met``, ``exact`` (HiGHS MILP), ``greedy`` (with LP bound),
        ``bound`` (infeasibility proven by a row-wise bound), ``none`` (no
        targets / no land).
    optimal : bool
        Proven: the least mu (feasible plan) or that no set meets the targets
        (infeasible plan).
    cleared_mu, lower_bound_mu, gap : float
        Mu of the set, a proven lower bound on the least mu, relative gap.
    best_attainment : float
        min over measures of (value after / target): ≥ 1 when feasible; for an
        infeasible plan, the best attainable (bisection, within 2^-20 of the best).
    attainment : dict
        Per measure, value after / target.
    scenario : ScenarioResult
        The what-if of the chosen set (as checked, via :func:`scenario`).
    """

    name: str
    park: str
    year: int
    feasible: bool
    method: str
    optimal: bool
    cleared_mu: float
    lower_bound_mu: float | None
    gap: float | None
    n_candidates: int
    candidates_mu: float
    best_attainment: float
    attainment: dict[str, float]
    reason: str
    scenario: ScenarioResult | None
    candidates: str
    relet: str
    elapsed_s: float
    parcel_ids: list[str] = field(default_factory=list)
    language: str = "zh"

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures (JSON-friendly)."""
        s = {
            k: getattr(self, k)
            for k in (
                "name",
                "park",
                "year",
                "feasible",
                "method",
                "optimal",
                "cleared_mu",
                "lower_bound_mu",
                "gap",
                "n_candidates",
                "candidates_mu",
                "best_attainment",
                "attainment",
                "reason",
                "candidates",
                "relet",
                "elapsed_s",
            )
        }
        s["parcels"] = len(self.parcel_ids)
        if self.scenario is not None:
            for key in (
                "progress_mu_added",
                "progress_enterprises_added",
                "long_stopped_added",
                "progress_mu_after",
                "progress_enterprises_after",
            ):
                s[key] = self.scenario.summary[key]
        return s

    @property
    def table(self) -> pd.DataFrame:
        """The park's before/after row of the scenario table."""
        if self.scenario is None:
            return pd.DataFrame()
        t = self.scenario.table
        return t[t["park"] == self.park].reset_index(drop=True)

    def plan_rows(self) -> pd.DataFrame:
        """One row: the plan and the park's indicators before/after."""
        row = {
            "park": self.park,
            "year": self.year,
            "feasible": self.feasible,
            "method": self.method,
            "optimal": self.optimal,
            "cleared_mu": self.cleared_mu,
            "parcels_cleared": len(self.parcel_ids),
            "lower_bound_mu": self.lower_bound_mu,
            "gap": self.gap,
            "n_candidates": self.n_candidates,
            "candidates_mu": self.candidates_mu,
            "best_attainment": self.best_attainment,
            "reason": self.reason,
        }
        df = pd.DataFrame([row])
        t = self.table
        if len(t):
            for m in MEASURES:
                for c in (f"target_{m}", f"{m}_per_mu_before", f"{m}_per_mu_after"):
                    df[c] = t[c].iloc[0]
        return df

    def map_layer(self) -> gpd.GeoDataFrame:
        """The proposed parcels (EPSG:4490; text columns untrusted: escape them)."""
        if self.scenario is None:
            return gpd.GeoDataFrame(
                {"scenario": pd.Series(dtype="string")}, geometry=gpd.GeoSeries(crs="EPSG:4490")
            )
        layer = self.scenario.map_layer()
        layer["scenario"] = self.name
        return layer

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """Workbook sheets: the plan row and the proposed parcels."""
        return plans_sheets([self], self.name, self.language)

    def _repr_html_(self) -> str:
        import html

        body = _translate(self.plan_rows(), self.language).to_html(
            index=False, escape=True, na_rep="", float_format=lambda v: f"{v:,.2f}"
        )
        return f"<div><h4>最少腾退方案 · {html.escape(self.park)} · {self.year}</h4>{body}</div>"


PLAN_LABELS: dict[str, tuple[str, str]] = {
    "feasible": ("可达标", "Feasible"),
    "method": ("求解方法", "Method"),
    "optimal": ("已证最优", "Proven optimal"),
    "lower_bound_mu": ("最少面积下界(亩)", "Lower bound (mu)"),
    "gap": ("最优性差距", "Optimality gap"),
    "n_candidates": ("候选宗地数", "Candidates"),
    "candidates_mu": ("候选面积(亩)", "Candidate mu"),
    "best_attainment": ("最低达标率", "Lowest attainment"),
    "reason": ("说明", "Explanation"),
    "year": ("目标年度", "Target year"),
}


def _plan_translate(df: pd.DataFrame, language: str) -> pd.DataFrame:
    pre = {
        c: (PLAN_LABELS[c][0] if language == "zh" else PLAN_LABELS[c][1])
        for c in df.columns
        if c in PLAN_LABELS
    }
    return _translate(df.rename(columns=pre), language)


def plans_table(plans: Sequence[ClearancePlan], language: str = "zh") -> pd.DataFrame:
    """One translated row per plan (for the workbook and the bulletin).

    Example
    -------
    >>> plans_table([plan_clearance(result, "某园区")])  # doctest: +SKIP
    """
    rows = [p.plan_rows() for p in plans]
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return _plan_translate(df, language)


def plans_sheets(
    plans: Sequence[ClearancePlan], name: str, language: str = "zh"
) -> list[tuple[str, pd.DataFrame]]:
    """Sheets ``方案-NAME`` (one row per park) and ``方案-NAME-宗地`` (proposed parcels).

    Example
    -------
    >>> plans_sheets([plan], "least_land")[0][0]  # doctest: +SKIP
    '方案-least_land'
    """
    zh = language == "zh"
    base = sheet_name(("方案-" if zh else "Plan-") + name, 24)
    layers = [p.map_layer() for p in plans if p.scenario is not None and len(p.parcel_ids)]
    parcels = pd.concat(layers, ignore_index=True) if layers else pd.DataFrame({"scenario": []})
    parcels = pd.DataFrame(parcels.drop(columns="geometry", errors="ignore"))
    return [
        (base, plans_table(plans, language)),
        (f"{base}-{'宗地' if zh else 'parcels'}", _translate(parcels, language)),
    ]


def _reason_infeasible(theta: float, worst: str, sol: Solution) -> str:
    names = {"investment": "投资强度", "output": "产出强度", "tax": "亩均税收"}
    return (
        f"候选宗地无论如何腾退都不能使三项指标全部达标; 最好能达到目标的 {theta:.1%} "
        f"(最差一项: {names.get(worst, worst)}) / targets cannot be met from these "
        f"candidates; best set reaches {theta:.1%} of every target ({worst} limits). "
        f"{sol.message}"
    )


def plan_clearance(
    result: Result,
    park: str,
    year: int | None = None,
    candidates: str | Sequence[str] | pd.Series = DEFAULT_CANDIDATES,
    relet: str | Mapping[str, float] | None = "none",
    *,
    max_exact: int = 5000,
    time_limit: float = 10.0,
    name: str | None = None,
) -> ClearancePlan:
    """The least cleared mu of ``park`` such that it meets the year's three per-mu targets.

    Parameters
    ----------
    result : Result
    park : str
        A park of ``result.parks`` (``"全市"``: all parks together).
    year : int, optional
        Target year (default the as_of year; figures: latest ledger year ≤ it).
    candidates : selector, parcel ids or mask
        Parcels that may be cleared (restricted to the park's industrial land
        with positive mu). Default :data:`DEFAULT_CANDIDATES`.
    relet : "none", "target" or mapping
        Re-letting of the cleared mu (see :func:`landclear.scenario.parse_relet`).
    max_exact : int
        Largest candidate count solved exactly; beyond it the greedy bound.
    time_limit : float
        Seconds for the whole search (HiGHS and bisection together, roughly).
    name : str, optional
        Label for sheets and layers.

    Returns
    -------
    ClearancePlan

    Example
    -------
    >>> plan = plan_clearance(result, "石嘴山高新技术产业开发区", 2024)  # doctest: +SKIP
    >>> plan.feasible, plan.cleared_mu, plan.method  # doctest: +SKIP
    """
    t0 = time.monotonic()
    year = int(year or result.as_of.year)
    language = getattr(result.project, "language", "zh")
    label = name or f"least-{park}"
    targets = _targets(result)
    goal = targets_for(year, targets)
    mode, figs, share = parse_relet(relet, goal)
    model = _build_model(result, year)
    land, before = model.land, model.before
    rows = before[before["park"] == park]
    if len(rows) == 0:
        parks = ", ".join(before["park"].astype(str))
        raise LandclearError(f"没有园区 no park {park!r}; 已有 parks: {parks}")
    row = rows.iloc[0]
    cand_text = candidates if isinstance(candidates, str) else "selection"

    def plan(
        feasible: bool,
        method: str,
        optimal: bool,
        mask: pd.Series,
        reason: str,
        sol: Solution | None,
    ) -> ClearancePlan:
        sc = scenario(result, clear=mask, relet=relet, year=year, name=label, _model=model)
        prow = sc.table[sc.table["park"] == park].iloc[0]
        att = {
            m: float(prow[f"{m}_per_mu_after"] / goal[m])
            for m in measures
            if goal[m] > 0 and pd.notna(prow[f"{m}_per_mu_after"])
        }
        best = min(att.values()) if att else math.nan
        ids = result.parcels.loc[mask, "parcel_id"].astype(str).tolist()
        return ClearancePlan(
            name=label,
            park=park,
            year=year,
            feasible=feasible,
            method=method,
            optimal=optimal,
            cleared_mu=float(land.loc[mask, "area_mu"].sum()),
            lower_bound_mu=None if sol is None else sol.bound,
            gap=None if sol is None else sol.gap,
            n_candidates=int(cand.sum()),
            candidates_mu=float(land.loc[cand, "area_mu"].sum()),
            best_attainment=best,
            attainment=att,
            reason=reason,
            scenario=sc,
            candidates=cand_text,
            relet=mode,
            elapsed_s=time.monotonic() - t0,
            parcel_ids=ids,
            language=language,
        )

    measures = [m for m in MEASURES if not math.isnan(goal[m])]
    nothing = pd.Series(False, index=result.parcels.index)
    if park == CITY_ROW:
        in_park = land["park"].isin(before.loc[before["park"] != CITY_ROW, "park"])
    else:
        in_park = land["park"] == park
    ind = land["land_use_industrial"]
    cand = (
        select_parcels(result.parcels, candidates)
        & ind
        & in_park.fillna(False)
        & (land["area_mu"] > 0)
    )
    if not measures:
        return plan(
            False, "none", False, nothing, f"{year}年无园区亩均目标 / no targets for {year}", None
        )
    A = float(row["industrial_mu"])
    if A <= 0:
        return plan(
            False, "none", False, nothing, "园区无工业用地 / the park has no industrial land", None
        )
    if all(bool(row[f"pass_{m}"]) for m in measures):
        return plan(
            True,
            "already met",
            True,
            nothing,
            f"现状已达到{year}年目标, 无需腾退 / already meets the {year} targets",
            Solution(np.zeros(0, bool), "optimal", "trivial", 0.0, 0.0, 0.0),
        )

    a = land.loc[cand, "area_mu"].to_numpy(float)
    s = model.contributions().loc[cand, measures].to_numpy(float).T
    S = np.array([float(row[m]) for m in measures])
    T = np.array([goal[m] for m in measures])
    r = np.array([figs[m] for m in measures])
    keep_one = share == 0 and A - a.sum() <= 1e-9 * A

    def system(theta: float) -> tuple[np.ndarray, np.ndarray]:
        C = s - ((share * r + theta * T * (1 - share))[:, None] * a[None, :])
        b = S - theta * T * A
        if keep_one:  # clearing every parcel leaves no land and no ratio
            C = np.vstack([C, np.ones((1, len(a)))])
            # n − 0.5, not n − 1: the solver's row tightening must not exclude Σx = n − 1.
            b = np.append(b, len(a) - 0.5)
        return C, b

    sol = min_area_cover(a, *system(1.0), max_exact=max_exact, time_limit=time_limit)
    if sol.found:
        mask = nothing.copy()
        mask[cand[cand].index[sol.x]] = True
        optimal = sol.status == "optimal"
        how = (
            "精确求解(HiGHS 整数规划), 已证最少"
            if optimal
            else ("贪心法上界" if sol.method == "greedy" else "整数规划限时未证最优")
        )
        reason = (
            f"{how}: 腾退 {len(sol.x.nonzero()[0])} 宗 {sol.objective:,.2f} 亩即可全部达标"
            + ("" if optimal else f", 距最优至多 {sol.gap:.1%}")
            + f" / least-mu set meeting all {year} targets ({sol.method})"
        )
        return plan(True, sol.method, optimal, mask, reason, sol)

    # Infeasible (or not found): the best attainable share θ of every target.
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = float(max(0.0, min(np.where(T > 0, S / (T * A), np.inf))))
    lo = min(lo, 1.0)
    hi = 1.0
    best_sol: Solution | None = None
    budget_end = t0 + time_limit
    for step in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        left = max((budget_end - time.monotonic()) / (BISECTION_STEPS - step), 0.05)
        trial = min_area_cover(a, *system(mid), max_exact=max_exact, time_limit=left)
        if trial.found:
            lo, best_sol = mid, trial
        else:
            hi = mid
    mask = nothing.copy()
    if best_sol is not None:
        mask[cand[cand].index[best_sol.x]] = True
    proven = sol.status == "infeasible"
    reason = (
        "大规模候选集贪心法未找到达标组合, 不能证明不可行; 以下为最接近目标的组合 / greedy "
        f"found no set and infeasibility is not proven; the closest set is shown. "
        f"{sol.message}"
    )
    out = plan(False, sol.method, proven, mask, reason, best_sol or sol)
    if proven and out.attainment:
        worst = min(out.attainment, key=out.attainment.get)
        out.reason = _reason_infeasible(out.best_attainment, worst, sol)
    return out
