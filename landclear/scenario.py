"""What-if scenarios: clear (and re-let) parcels, recompute every park's per-mu indicators.

The plan's "腾笼换鸟" logic: vacating low-efficiency land raises a park's
investment, output and tax per mu (DOMAIN §2, §5.7). :func:`scenario` answers
"if we clear these parcels, do we make 185 / 175 / 8?":

* the cleared parcels' mu leaves the park's industrial land;
* each enterprise loses the share of its year figures that matches the cleared
  share of its industrial mu (an enterprise keeping other parcels keeps its
  figures on those), so a cleared parcel takes away exactly what
  :func:`landclear.rules.parks.park_indicators` attributed to it;
* optionally the cleared mu is re-let (``relet="target"``: at the year's
  targets; or at given per-mu figures) to a new user.

The park arithmetic is never re-implemented here: every indicator comes from
``park_indicators`` (before, after, and per parcel via one pseudo-park per
parcel).

Selectors (``clear="idle|lists>=1"``) are parsed by a small grammar, never
``eval``: ``|`` or, ``&`` and, ``!`` not, parentheses; atoms ``column``
(a yes/no column), ``column OP value`` with OP one of ``= == != > >= < <= ~``
(``~``: contains), ``column in a,b`` / ``column not in a,b``; the keyword
``recommended`` (推荐处置) selects parcels whose recommended action vacates the
land (:data:`CLEARING_ACTIONS`). Columns are the parcel table's, by canonical
name or by their Chinese label.

Example
-------
>>> import landclear
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> s = scenario(result, clear="recommended", relet="target", year=2024)  # doctest: +SKIP
>>> s.table[["park", "tax_per_mu_before", "tax_per_mu_after", "pass_tax_after"]]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import math
import re
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landclear.errors import LandclearError, ProjectError
from landclear.labels import LABELS, label
from landclear.progress import _flag, enterprise_keys, qualifying
from landclear.rules.parks import (
    CITY_ROW,
    MEASURES,
    all_targets_met,
    park_indicators,
    targets_for,
)

if TYPE_CHECKING:  # pragma: no cover
    import click

    from landclear.result import Result

__all__ = [
    "CLEARING_ACTIONS",
    "SCENARIO_KEYS",
    "ScenarioResult",
    "SelectorError",
    "parcel_contributions",
    "parse_relet",
    "register_cli",
    "run_named",
    "scenario",
    "scenario_layers",
    "scenario_sheets",
    "scenario_tables",
    "select_parcels",
]

#: Recommended actions (DOMAIN §5.8, ``rules.toml [actions]``) that take the
#: land away from its present user; ``clear="recommended"`` selects them.
#: 兼并重组 and 债转股 hand the land to a new operator: read them with
#: ``relet`` set. 征缴闲置费, 改造提升, 依法处置, 继续监管 keep the user.
CLEARING_ACTIONS: tuple[str, ...] = (
    "无偿收回",
    "政府收储",
    "整体腾退",
    "搬迁入园",
    "兼并重组",
    "债转股",
)

#: Keys of a ``[scenarios.NAME]`` table in the project file.
SCENARIO_KEYS: tuple[str, ...] = (
    "clear",
    "relet",
    "year",
    "park",
    "plan",
    "candidates",
    "title",
    "max_exact",
    "time_limit",
)

_RECOMMENDED_WORDS = ("recommended", "推荐处置", "建议处置")
_RELET_PREFIX = "__relet__"

#: Labels of the scenario columns (zh, en); other columns use landclear.labels.
SCENARIO_LABELS: dict[str, tuple[str, str]] = {
    "industrial_mu_before": ("现状工业用地(亩)", "Industrial mu before"),
    "cleared_mu": ("腾退面积(亩)", "Cleared mu"),
    "relet_mu": ("再出让面积(亩)", "Re-let mu"),
    "industrial_mu_after": ("情景工业用地(亩)", "Industrial mu after"),
    "parcels_cleared": ("腾退宗地数", "Parcels cleared"),
    "enterprises_cleared": ("整体腾退企业数", "Enterprises fully cleared"),
    "enterprises_partly": ("部分腾退企业数", "Enterprises partly cleared"),
    "all_pass_before": ("现状三项全部达标", "All met before"),
    "all_pass_after": ("情景三项全部达标", "All met after"),
    "enterprise_fully_cleared": ("企业整体腾退", "Enterprise fully cleared"),
    "counts_for_progress": ("计入4000亩进度", "Counts toward the mu target"),
    "progress_mu": ("计入4000亩进度面积(亩)", "Mu counted toward 4000"),
    "progress_enterprises": ("计入80家进度企业数", "Enterprises counted toward 80"),
    "scenario": ("情景", "Scenario"),
    "figures_investment": ("扣减投资(万元)", "Investment removed"),
    "figures_output": ("扣减产值(万元)", "Output removed"),
    "figures_tax": ("扣减税收(万元)", "Tax removed"),
}
_MEASURE_ZH = {
    "investment": ("亩均投资", "Investment/mu"),
    "output": ("亩均产值", "Output/mu"),
    "tax": ("亩均税收", "Tax/mu"),
}
for _m, (_zh, _en) in _MEASURE_ZH.items():
    for _when, _wzh, _wen in (("before", "现状", "before"), ("after", "情景", "after")):
        SCENARIO_LABELS[f"{_m}_per_mu_{_when}"] = (f"{_wzh}{_zh}(万元/亩)", f"{_en} {_wen}")
        SCENARIO_LABELS[f"gap_{_m}_{_when}"] = (f"{_wzh}{_zh}差距", f"{_en} gap {_wen}")
        SCENARIO_LABELS[f"pass_{_m}_{_when}"] = (f"{_wzh}{_zh}达标", f"{_en} met {_wen}")


class SelectorError(LandclearError):
    """A parcel selector (``clear=`` / ``candidates=``) cannot be parsed or applied."""


def scenario_label(name: str, language: str = "zh") -> str:
    """User-facing label of a scenario column.

    Example
    -------
    >>> scenario_label("cleared_mu"), scenario_label("cleared_mu", "en")
    ('腾退面积(亩)', 'Cleared mu')
    """
    pair = SCENARIO_LABELS.get(name)
    if pair is None:
        return label(name, language)
    return pair[0] if language == "zh" else pair[1]


def _translate(df: pd.DataFrame, language: str) -> pd.DataFrame:
    return df.rename(
        columns={c: scenario_label(str(c), language) for c in df.columns if c != "geometry"}
    )


# --------------------------------------------------------------------------- selectors
_TOKEN = re.compile(r"\s*(\(|\)|\||&|!(?!=))\s*")
_ATOM = re.compile(
    r"^(?P<col>[^\s<>=!~]+?)\s*(?:(?P<op>>=|<=|!=|==|=|>|<|~)\s*(?P<val>.*?)"
    r"|\s+(?P<kw>not\s+in|in)\s+(?P<list>.+?))?$",
    re.IGNORECASE,
)
_TRUE = {"true", "1", "yes", "y", "是", "真", "t"}
_FALSE = {"false", "0", "no", "n", "否", "假", "f"}


def _tokens(text: str) -> list[str]:
    parts = [p for p in _TOKEN.split(text) if p is not None]
    return [p.strip() for p in parts if p.strip()]


def _column(frame: pd.DataFrame, name: str, text: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    by_label = {v[0]: k for k, v in LABELS.items()} | {v[0]: k for k, v in SCENARIO_LABELS.items()}
    if by_label.get(name) in frame.columns:
        return frame[by_label[name]]
    cols = [str(c) for c in frame.columns if c != "geometry"]
    close = difflib.get_close_matches(name, cols, n=1, cutoff=0.5)
    hint = f"; 是否应为 did you mean {close[0]!r}?" if close else ""
    raise SelectorError(f"筛选条件 {text!r}: 没有列 no column {name!r}{hint}")


def _is_bool(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype)


def _as_bool_value(value: str, text: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise SelectorError(f"筛选条件 {text!r}: {value!r} 不是 是/否 / not a yes/no value")


def _atom(frame: pd.DataFrame, text: str) -> pd.Series:
    if text.lower() in _RECOMMENDED_WORDS:
        if "action" not in frame:
            raise SelectorError(f"筛选条件 {text!r}: 没有处置建议列 action / no action column")
        return frame["action"].astype("string").str.strip().isin(CLEARING_ACTIONS).fillna(False)
    m = _ATOM.match(text)
    if not m:
        raise SelectorError(f"无法解析筛选条件 cannot parse selector {text!r}")
    s = _column(frame, m["col"], text)
    op = m["op"] or (m["kw"] and " ".join(m["kw"].lower().split()))
    raw = m["val"] if m["op"] else m["list"]
    if op is None:
        if not _is_bool(s):
            raise SelectorError(
                f"筛选条件 {text!r}: {m['col']} 不是是/否列, 需要比较 / needs a comparison "
                "(e.g. lists>=1, grade in C,D)"
            )
        return s.astype("boolean").fillna(False).astype(bool)
    if raw is None or raw.strip() == "":
        raise SelectorError(f"筛选条件 {text!r}: 缺少比较值 / missing value")
    values = (
        [v.strip() for v in re.split(r"[,，、]", raw)] if op in ("in", "not in") else [raw.strip()]
    )
    if _is_bool(s):
        if op not in ("=", "==", "!=", "in", "not in"):
            raise SelectorError(
                f"筛选条件 {text!r}: 是/否列只能用 = != in / yes-no column: = != in"
            )
        b = s.astype("boolean")
        hit = b.isin([_as_bool_value(v, text) for v in values])
    elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        is_date = pd.api.types.is_datetime64_any_dtype(s)
        try:
            nums = [pd.Timestamp(v) if is_date else float(v) for v in values]
        except (TypeError, ValueError):
            kind = "日期 date" if is_date else "数字 number"
            raise SelectorError(f"筛选条件 {text!r}: 需要{kind} / {values!r}") from None
        x = s if is_date else pd.to_numeric(s, errors="coerce").astype("float64")
        hit = _compare(x, op, nums, text)
    else:
        x = s.astype("string").str.strip()
        if op in (">", ">=", "<", "<="):
            raise SelectorError(f"筛选条件 {text!r}: 文字列不能比较大小 / text column: = != ~ in")
        hit = x.str.contains(values[0], regex=False) if op == "~" else _compare(x, op, values, text)
    return pd.Series(hit, index=frame.index).astype("boolean").fillna(False).astype(bool)


def _compare(x: pd.Series, op: str, values: list[Any], text: str) -> pd.Series:
    v = values[0]
    if op in ("=", "=="):
        return x == v
    if op == "!=":
        return (x != v) & x.notna()
    if op == ">":
        return x > v
    if op == ">=":
        return x >= v
    if op == "<":
        return x < v
    if op == "<=":
        return x <= v
    if op == "in":
        return x.isin(values)
    if op == "not in":
        return ~x.isin(values) & x.notna()
    raise SelectorError(f"筛选条件 {text!r}: 运算符 {op!r} 不适用 / operator not valid here")


def _parse(tokens: list[str], frame: pd.DataFrame, text: str) -> pd.Series:
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def or_expr() -> pd.Series:
        out = and_expr()
        while peek() == "|":
            take()
            out = out | and_expr()
        return out

    def and_expr() -> pd.Series:
        out = unary()
        while peek() == "&":
            take()
            out = out & unary()
        return out

    def unary() -> pd.Series:
        tok = peek()
        if tok is None or tok in ("|", "&", ")"):
            raise SelectorError(f"筛选条件 {text!r} 不完整 / incomplete selector")
        if tok == "!":
            take()
            return ~unary()
        if tok == "(":
            take()
            inner = or_expr()
            if peek() != ")":
                raise SelectorError(f"筛选条件 {text!r}: 括号不配对 / unbalanced parentheses")
            take()
            return inner
        return _atom(frame, take())

    out = or_expr()
    if pos != len(tokens):
        raise SelectorError(f"筛选条件 {text!r}: 多余的 {tokens[pos]!r} / unexpected token")
    return out


def select_parcels(
    parcels: pd.DataFrame,
    clear: str | Iterable[str] | pd.Series | np.ndarray | None,
) -> pd.Series:
    """Boolean mask (index of ``parcels``) of the parcels a ``clear`` spec names.

    Parameters
    ----------
    parcels : DataFrame
        The parcel table (``result.parcels``).
    clear : str, list of parcel ids, boolean Series/array, or None
        A selector string (grammar in the module docstring; "" or "none":
        nothing), parcel ids (every id must exist), or a boolean mask.

    Returns
    -------
    Series of bool

    Example
    -------
    >>> p = pd.DataFrame({"parcel_id": ["a", "b", "c"], "idle": [True, False, False],
    ...                   "lists": [0, 2, 0], "grade": ["A", "C", "D"]})
    >>> select_parcels(p, "idle|lists>=1").tolist()
    [True, True, False]
    >>> select_parcels(p, "grade in C,D & !(lists>=1)").tolist()
    [False, False, True]
    >>> select_parcels(p, ["c"]).tolist()
    [False, False, True]
    """
    index = parcels.index
    if clear is None:
        return pd.Series(False, index=index)
    if isinstance(clear, str):
        text = clear.strip()
        if text.lower() in ("", "none", "无"):
            return pd.Series(False, index=index)
        return _parse(_tokens(text), parcels, text)
    if isinstance(clear, pd.Series) and (_is_bool(clear)):
        return clear.reindex(index).astype("boolean").fillna(False).astype(bool)
    arr = np.asarray(list(clear) if not isinstance(clear, (np.ndarray, pd.Series)) else clear)
    if arr.dtype == bool:
        if len(arr) != len(index):
            raise SelectorError(f"布尔掩码长度 {len(arr)} ≠ 宗地数 {len(index)} / mask length")
        return pd.Series(arr, index=index)
    ids = pd.Index([str(v).strip() for v in arr])
    known = parcels["parcel_id"].astype("string").str.strip()
    unknown = ids.difference(pd.Index(known.dropna()))
    if len(unknown):
        shown = ", ".join(map(str, unknown[:5])) + (" ……" if len(unknown) > 5 else "")
        raise SelectorError(f"{len(unknown)} 个宗地代码不存在 / unknown parcel ids: {shown}")
    return known.isin(ids).fillna(False).astype(bool)


# --------------------------------------------------------------------------- the park model
def _industrial(parcels: pd.DataFrame) -> pd.Series:
    if "land_use_industrial" in parcels:
        return parcels["land_use_industrial"].astype("boolean").fillna(False).astype(bool)
    if "land_use" in parcels:
        from landclear.ids import is_industrial_land_use

        return pd.Series(
            is_industrial_land_use(parcels["land_use"]).to_numpy(), index=parcels.index
        )
    return pd.Series(True, index=parcels.index)


def _land_frame(parcels: pd.DataFrame) -> pd.DataFrame:
    """The columns ``park_indicators`` reads, with a clean ``park`` key."""
    return pd.DataFrame(
        {
            "park": parcels["park"].astype("string").str.strip().replace("", pd.NA),
            "area_mu": pd.to_numeric(parcels["area_mu"], errors="coerce").astype("float64"),
            "enterprise_id": parcels.get("enterprise_id", pd.NA),
            "land_use_industrial": _industrial(parcels),
        },
        index=parcels.index,
    )


def _targets(result: Result) -> dict[str, dict[str, float]]:
    return {str(y): dict(t) for y, t in result.project.targets.per_mu.items()}


def _figures(result: Result, year: int) -> tuple[pd.DataFrame, int | None]:
    """Enterprise figures used for ``year`` and the ledger year they come from.

    The ledger year is chosen by the pipeline's own rule
    (:func:`landclear.analysis._evaluation_year` with ``year`` as the reference
    year): ``[rules.efficiency] year`` when set, else the latest year ≤ ``year``
    covering at least ``year_min_coverage`` of the best-covered year's
    enterprises, so a thin latest year does not replace the full one before it.
    """
    from landclear.analysis import _evaluation_year
    from landclear.rules.config import load_settings

    ey = result.enterprise_years
    cols = ["enterprise_id", *MEASURES.values()]
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    if ey is None or len(ey) == 0 or "enterprise_id" not in ey:
        return empty, None
    fig_year: int | None = None
    if "year" in ey and ey["year"].notna().any():
        years = pd.to_numeric(ey["year"], errors="coerce")
        eff = load_settings(result.project.rules).efficiency
        fig_year = _evaluation_year(ey.assign(year=years), dt.date(year, 12, 31), eff)
        if fig_year is None:
            return empty, None
        ey = ey[years == fig_year]
    ey = ey.dropna(subset=["enterprise_id"]).drop_duplicates("enterprise_id")
    return ey[[c for c in cols if c in ey]].reset_index(drop=True), fig_year


def parcel_contributions(result: Result, year: int | None = None) -> pd.DataFrame:
    """Investment, output and tax (万元) that the park indicators attribute to each parcel.

    Wraps :func:`~landclear.rules.parks.park_indicators` with one pseudo-park
    per parcel, so a parcel's figure is its enterprise's year figure times the
    parcel's share of the enterprise's industrial mu — the amount clearing it
    removes. Non-industrial parcels get 0.

    Parameters
    ----------
    result : Result
    year : int, optional
        Target year (figures: the ledger year the pipeline would evaluate with
        this as the reference year); default the as_of year.

    Returns
    -------
    DataFrame
        Index of ``result.parcels``; columns ``investment, output, tax``.

    Example
    -------
    >>> parcel_contributions(result, 2024).groupby(result.parcels["park"]).sum()  # doctest: +SKIP
    """
    year = int(year or result.as_of.year)
    ent, _ = _figures(result, year)
    return _contributions(_land_frame(result.parcels), ent, year)


def _contributions(land: pd.DataFrame, ent: pd.DataFrame, year: int) -> pd.DataFrame:
    key = pd.Series([f"#{i}" for i in range(len(land))], index=land.index, dtype="string")
    pseudo = land.assign(park=key)
    per = park_indicators(pseudo, ent, {}, year)
    per = per[per["park"] != CITY_ROW].set_index("park")
    out = per.reindex(key.to_numpy())[list(MEASURES)].astype("float64").fillna(0.0)
    out.index = land.index
    return out


@dataclass
class _Model:
    """Inputs of a target year shared by :func:`scenario` and the planner (computed once)."""

    year: int
    targets: dict[str, dict[str, float]]
    ent: pd.DataFrame
    fig_year: int | None
    land: pd.DataFrame
    before: pd.DataFrame
    _contrib: pd.DataFrame | None = None

    def contributions(self) -> pd.DataFrame:
        if self._contrib is None:
            self._contrib = _contributions(self.land, self.ent, self.year)
        return self._contrib


def _build_model(result: Result, year: int) -> _Model:
    targets = _targets(result)
    ent, fig_year = _figures(result, year)
    land = _land_frame(result.parcels)
    before = park_indicators(land, ent, targets, year)
    return _Model(year, targets, ent, fig_year, land, before)


def parse_relet(
    relet: str | Mapping[str, float] | None, goal: Mapping[str, float]
) -> tuple[str, dict[str, float], float]:
    """Re-letting mode, per-mu figures (万元/亩) and the re-let share of the cleared mu.

    ``"none"`` (or None/False): land stays vacant. ``"target"``: the year's
    targets. A mapping ``{investment, output, tax, share}``: given per-mu
    figures (a missing measure is taken at the year's target), ``share``
    (0–1, default 1) the part of the cleared mu re-let.

    Example
    -------
    >>> parse_relet("target", {"investment": 185.0, "output": 175.0, "tax": 8.0})
    ('target', {'investment': 185.0, 'output': 175.0, 'tax': 8.0}, 1.0)
    >>> parse_relet({"tax": 12, "share": 0.5}, {"investment": 185.0, "output": 175.0, "tax": 8.0})
    ('custom', {'investment': 185.0, 'output': 175.0, 'tax': 12.0}, 0.5)
    """
    clean = {m: (0.0 if math.isnan(v) else float(v)) for m, v in goal.items()}
    if (
        relet is None
        or relet is False
        or (
            isinstance(relet, str) and relet.strip().lower() in ("none", "no", "", "无", "不再出让")
        )
    ):
        return "none", {m: 0.0 for m in MEASURES}, 0.0
    if isinstance(relet, str):
        if relet.strip().lower() in ("target", "targets", "目标", "按目标"):
            return "target", clean, 1.0
        raise LandclearError(
            f"relet = {relet!r}: 应为 'none'、'target' 或各项亩均数值 / "
            "must be 'none', 'target' or a table of per-mu figures"
        )
    if not isinstance(relet, Mapping):
        raise LandclearError(f"relet = {relet!r}: 类型无效 / invalid type")
    unknown = [k for k in relet if k not in (*MEASURES, "share")]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), [*MEASURES, "share"], n=1)
        hint = f"; 是否应为 did you mean {close[0]!r}?" if close else ""
        raise LandclearError(f"relet: 未知的项 unknown key {unknown[0]!r}{hint}")
    figs = dict(clean)
    try:
        for m in MEASURES:
            if m in relet:
                figs[m] = float(relet[m])
        share = float(relet.get("share", 1.0))
    except (TypeError, ValueError):
        raise LandclearError(f"relet = {dict(relet)!r}: 数值无效 / not numbers") from None
    if not 0.0 <= share <= 1.0 or any(v < 0 or math.isnan(v) for v in figs.values()):
        raise LandclearError(
            "relet: share 应在 0–1 之间, 亩均数值不能为负 / share in 0–1, figures ≥ 0"
        )
    return "custom", figs, share


def _after(
    land: pd.DataFrame,
    ent: pd.DataFrame,
    mask: pd.Series,
    relet_figs: Mapping[str, float],
    share: float,
    targets: Mapping[str, Any],
    year: int,
) -> tuple[pd.DataFrame, pd.Series]:
    """Park indicators with ``mask`` cleared; also the re-let mu per park."""
    ind = land["land_use_industrial"]
    owned = ind & land["enterprise_id"].notna()
    total = land[owned].groupby("enterprise_id")["area_mu"].sum()
    cleared = land[owned & mask].groupby("enterprise_id")["area_mu"].sum()
    keep = (1.0 - cleared.reindex(total.index, fill_value=0.0) / total.where(total > 0)).fillna(1.0)
    scaled = ent.copy()
    factor = scaled["enterprise_id"].map(keep).astype("float64").fillna(1.0).to_numpy()
    for col in MEASURES.values():
        if col in scaled:
            scaled[col] = pd.to_numeric(scaled[col], errors="coerce").astype("float64") * factor

    relet_mu = land[ind & mask].groupby("park")["area_mu"].sum() * share
    relet_mu = relet_mu[relet_mu > 0]
    kept = land[~mask]
    if len(relet_mu):
        ids = [f"{_RELET_PREFIX}{p}" for p in relet_mu.index]
        extra_land = pd.DataFrame(
            {
                "park": relet_mu.index.astype("string"),
                "area_mu": relet_mu.to_numpy(),
                "enterprise_id": ids,
                "land_use_industrial": True,
            }
        )
        extra_ent = pd.DataFrame(
            {"enterprise_id": ids}
            | {col: relet_mu.to_numpy() * relet_figs[m] for m, col in MEASURES.items()}
        )
        kept = pd.concat([kept, extra_land], ignore_index=True)
        scaled = pd.concat([scaled, extra_ent], ignore_index=True)
    after = park_indicators(kept, scaled, targets, year)
    if len(relet_mu):
        # The re-let pseudo-enterprise is a future user, not one of today's enterprises.
        has = after["park"].isin(relet_mu.index)
        after.loc[has, "enterprises"] -= 1
        after.loc[after["park"] == CITY_ROW, "enterprises"] -= len(relet_mu)
    return after, relet_mu


def _progress_effect(result: Result, mask: pd.Series) -> dict[str, Any]:
    """What clearing ``mask`` adds to the 80 / 4000 progress, counted as ``landclear.progress``.

    DOMAIN §5.9 as :func:`landclear.progress.compute_progress` applies it:
    an enterprise counts once, when a disposal of it completes (here: when
    any of its parcels is cleared), keyed like the disposal ledger
    (:func:`landclear.progress.enterprise_keys`); land counts by the mu of
    cleared parcels that are idle, low-efficiency or of a long-stopped
    enterprise (:func:`landclear.progress.qualifying`). Enterprises and
    parcels the ledger already counts as cleared on ``as_of`` are not
    counted again.

    Returns
    -------
    dict
        ``progress_mu_added``, ``progress_enterprises_added``,
        ``long_stopped_added`` (of those, long-stopped), the progress
        ``..._before`` / ``..._after`` when the run has one, and the
        per-parcel ``counts`` mask and ``stopped_ids`` (popped by the caller).
    """
    parcels = result.parcels
    progress = (getattr(result, "extras", None) or {}).get("progress")
    disposals = getattr(progress, "disposals", None)
    done_parcels: set[str] = set()
    done_keys: set[str] = set()
    if isinstance(disposals, pd.DataFrame) and len(disposals) and "done" in disposals:
        done = disposals[disposals["done"].astype(bool)]
        done_keys = set(done["ent_key"].dropna().astype(str)) if "ent_key" in done else set()
        if "parcel_id" in done:
            done_parcels = set(done["parcel_id"].dropna().astype(str))
    pid = parcels["parcel_id"].astype("string")
    already = _flag(parcels, "cleared") | pid.isin(done_parcels).fillna(False).astype(bool)
    counts = mask & qualifying(parcels) & ~already

    owners = pd.DataFrame(
        {
            "parcel_id": pid,
            "credit_code": parcels.get("credit_code", pd.Series(pd.NA, index=parcels.index)),
            "name": parcels.get("owner_name", pd.Series(pd.NA, index=parcels.index)),
        },
        index=parcels.index,
    )
    key = enterprise_keys(owners[mask], parcels)
    stopped = _flag(parcels, "stopped_2y")[mask]
    new_keys = set(key.dropna().astype(str)) - done_keys
    fresh = key.where(key.isin(list(new_keys)))  # per cleared parcel: its key if newly counted
    stopped_keys = set(key[stopped].dropna().astype(str))
    eid = (
        parcels["enterprise_id"]
        if "enterprise_id" in parcels
        else pd.Series(pd.NA, index=parcels.index)
    )
    stopped_ids = set(eid[_flag(parcels, "stopped_2y") & eid.notna()])
    out: dict[str, Any] = {
        "progress_mu_added": float(
            pd.to_numeric(parcels["area_mu"], errors="coerce").fillna(0.0)[counts].sum()
        ),
        "progress_enterprises_added": len(new_keys),
        "long_stopped_added": len(new_keys & stopped_keys),
        "progress_enterprises_before": None,
        "progress_enterprises_after": None,
        "progress_mu_before": None,
        "progress_mu_after": None,
    }
    if progress is not None:
        out["progress_enterprises_before"] = int(progress.cleared_enterprises)
        out["progress_enterprises_after"] = int(progress.cleared_enterprises) + len(new_keys)
        out["progress_mu_before"] = float(progress.cleared_mu)
        out["progress_mu_after"] = float(progress.cleared_mu) + out["progress_mu_added"]
    out["counts"] = counts
    out["new_keys"] = fresh
    out["stopped_ids"] = stopped_ids
    return out


# --------------------------------------------------------------------------- result object
@dataclass
class ScenarioResult:
    """A what-if: the cleared set and every park before/after.

    Attributes
    ----------
    table : DataFrame
        One row per park (and 全市): mu before/cleared/re-let/after, parcels and
        enterprises cleared, each measure's per-mu value, gap and pass before
        and after, ``all_pass_before/after``.
    before, after : DataFrame
        The full :func:`park_indicators` tables.
    cleared : GeoDataFrame
        The cleared parcels (see :meth:`map_layer`).
    summary : dict
        Headline figures, including what the scenario adds to the 80 / 4000
        progress targets.
    """

    name: str
    year: int
    figures_year: int | None
    relet: str
    relet_figures: dict[str, float]
    relet_share: float
    before: pd.DataFrame
    after: pd.DataFrame
    table: pd.DataFrame
    cleared: gpd.GeoDataFrame
    summary: dict[str, Any]
    language: str = "zh"
    notes: list[str] = field(default_factory=list)

    def park(self, park: str) -> pd.Series:
        """The table row of one park."""
        rows = self.table[self.table["park"] == park]
        if len(rows) == 0:
            raise LandclearError(f"情景中没有园区 no park {park!r}")
        return rows.iloc[0]

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """Workbook sheets (translated headers): parks, cleared parcels, 80 / 4000 progress.

        Example
        -------
        >>> [n for n, _ in scenario(result, "idle").sheets()]  # doctest: +SKIP
        ['情景-idle-园区', '情景-idle-宗地', '情景-idle-进度']
        """
        zh = self.language == "zh"
        base = sheet_name(("情景-" if zh else "Scenario-") + self.name, 24)
        cols = [c for c in self.cleared.columns if c != "geometry"]
        return [
            (f"{base}-{'园区' if zh else 'parks'}", _translate(self.table, self.language)),
            (
                f"{base}-{'宗地' if zh else 'parcels'}",
                _translate(pd.DataFrame(self.cleared[cols]), self.language),
            ),
            (f"{base}-{'进度' if zh else 'progress'}", self.progress_table()),
        ]

    def progress_table(self) -> pd.DataFrame:
        """What the scenario adds to the 80 enterprises / 4000 mu targets (two rows).

        Example
        -------
        >>> scenario(result, "recommended").progress_table()  # doctest: +SKIP
        """
        s, zh = self.summary, self.language == "zh"
        rows = [
            (
                "企业(家)" if zh else "Enterprises",
                s["target_enterprises"],
                s["progress_enterprises_before"],
                s["progress_enterprises_added"],
                s["progress_enterprises_after"],
            ),
            (
                "面积(亩)" if zh else "Mu",
                s["target_mu"],
                s["progress_mu_before"],
                s["progress_mu_added"],
                s["progress_mu_after"],
            ),
        ]
        head = (
            ("指标", "目标", "现状进度", "情景新增", "情景后进度")
            if zh
            else ("Measure", "Target", "Progress now", "Added", "Progress after")
        )
        df = pd.DataFrame(rows, columns=list(head))
        after, target = df[head[4]].astype("float64"), df[head[1]].astype("float64")
        df["完成率" if zh else "Share of target"] = (after / target).round(4)
        return df

    def map_layer(self) -> gpd.GeoDataFrame:
        """The cleared parcels for the maps (EPSG:4490; text columns untrusted: escape them)."""
        return self.cleared.copy()

    def bulletin_table(self) -> pd.DataFrame:
        """A compact per-park table for the half-year report (translated headers)."""
        cols = ["park", "cleared_mu", "relet_mu"]
        for m in MEASURES:
            cols += [f"{m}_per_mu_before", f"{m}_per_mu_after"]
        cols += ["all_pass_before", "all_pass_after"]
        return _translate(self.table[cols], self.language)

    def _repr_html_(self) -> str:
        s = self.summary
        e = html.escape
        head = (
            f"<h4>情景 scenario {e(self.name)} · {self.year}年目标 · "
            f"腾退 {s['parcels_cleared']} 宗 {s['mu_cleared']:,.1f} 亩 · "
            f"再出让 {e(self.relet)}</h4>"
        )
        body = self.bulletin_table().to_html(
            index=False, escape=True, na_rep="", float_format=lambda v: f"{v:,.2f}"
        )
        added = (
            f"<p>计入进度 adds to progress: +{s['progress_mu_added']:,.1f} 亩"
            f" / 目标 {s['target_mu']:,.0f} 亩, +{s['progress_enterprises_added']} 家企业"
            f"(其中长期停产 {s['long_stopped_added']} 家) / 目标 {s['target_enterprises']} 家"
        )
        if s.get("progress_mu_after") is not None:
            added += (
                f"; 进度 {s['progress_mu_before']:,.1f} → {s['progress_mu_after']:,.1f} 亩,"
                f" {s['progress_enterprises_before']} → {s['progress_enterprises_after']} 家"
            )
        prog = added + "</p>"
        return f"<div>{head}{body}{prog}</div>"


def sheet_name(text: str, limit: int = 31) -> str:
    """An Excel-safe sheet name (no ``[]:*?/\\``, at most ``limit`` characters).

    Example
    -------
    >>> sheet_name("情景:a/b*c")
    '情景_a_b_c'
    """
    clean = re.sub(r"[\[\]:*?/\\']", "_", str(text)).strip() or "scenario"
    return clean[:limit]


def safe_file_stem(text: str) -> str:
    """A file name stem that cannot leave its folder (letters, digits, ``-_.``, CJK).

    Example
    -------
    >>> safe_file_stem("../../etc/passwd"), safe_file_stem("腾退 2024")
    ('etc_passwd', '腾退_2024')
    """
    stem = re.sub(r"[^\w\-.]+", "_", str(text), flags=re.UNICODE).strip("._-")
    return stem[:80] or "scenario"


def _merge_tables(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    keep = ["park", "industrial_mu", "enterprises"]
    keep += [f"{m}_per_mu" for m in MEASURES] + [f"gap_{m}" for m in MEASURES]
    keep += [f"pass_{m}" for m in MEASURES]
    b = before[keep + [f"target_{m}" for m in MEASURES]]
    a = after[keep]
    t = b.merge(a, on="park", how="left", suffixes=("_before", "_after"))
    t["industrial_mu_after"] = t["industrial_mu_after"].fillna(0.0)
    t["enterprises_after"] = t["enterprises_after"].fillna(0).astype("int64")
    for m in MEASURES:
        t[f"pass_{m}_after"] = t[f"pass_{m}_after"].astype("boolean")
    for when in ("before", "after"):
        t[f"all_pass_{when}"] = all_targets_met(t, f"_{when}")
    return t


def scenario(
    result: Result,
    clear: str | Sequence[str] | pd.Series | np.ndarray | None = None,
    relet: str | Mapping[str, float] | None = "none",
    year: int | None = None,
    *,
    name: str | None = None,
    _model: _Model | None = None,
) -> ScenarioResult:
    """Recompute every park's per-mu indicators with parcels cleared (and re-let).

    Parameters
    ----------
    result : Result
        A pipeline run (``landclear.analysis.run``).
    clear : selector, parcel ids, boolean mask or None
        The parcels to clear (see :func:`select_parcels`; ``"recommended"``:
        parcels whose recommended action vacates the land).
    relet : "none", "target" or mapping
        See :func:`parse_relet`. Only cleared *industrial* land is re-let
        (non-industrial land is not in the park indicators).
    year : int, optional
        Target year (default: the as_of year); enterprise figures are the
        latest ledger year ≤ ``year``, as in the pipeline.
    name : str, optional
        Scenario name for sheets and layers (default: the selector text).

    Returns
    -------
    ScenarioResult

    Example
    -------
    >>> s = scenario(result, clear="idle|lists>=1", relet="target", year=2024)  # doctest: +SKIP
    >>> s.summary["mu_cleared"], s.table.loc[0, "tax_per_mu_after"]  # doctest: +SKIP
    """
    year = int(year or result.as_of.year)
    language = getattr(result.project, "language", "zh")
    parcels = result.parcels
    mask = select_parcels(parcels, clear)
    targets = _targets(result)
    goal = targets_for(year, targets)
    mode, figs, share = parse_relet(relet, goal)
    model = _model or _build_model(result, year)
    ent, fig_year, land, before = model.ent, model.fig_year, model.land, model.before
    after, relet_mu = _after(land, ent, mask, figs, share, targets, year)
    table = _merge_tables(before, after)

    ind = land["land_use_industrial"]
    cl_ind = mask & ind
    by_park = land["park"].fillna("")
    cleared_mu = land["area_mu"][cl_ind].groupby(by_park[cl_ind]).sum()
    n_cleared = cl_ind.groupby(by_park).sum()
    table["cleared_mu"] = table["park"].map(cleared_mu).fillna(0.0)
    table["relet_mu"] = table["park"].map(relet_mu).fillna(0.0)
    table["parcels_cleared"] = table["park"].map(n_cleared).fillna(0).astype("int64")

    # Enterprises: fully cleared = every parcel (any land use) of it cleared.
    eid = land["enterprise_id"]
    has_ent = eid.notna()
    all_cleared = mask[has_ent].groupby(eid[has_ent]).all()
    any_cleared = mask[has_ent].groupby(eid[has_ent]).any()
    full_ids = set(all_cleared[all_cleared].index)
    part_ids = set(any_cleared[any_cleared].index) - full_ids
    ent_park = pd.DataFrame({"park": by_park, "eid": eid})[has_ent & mask]
    full_by_park = ent_park[ent_park["eid"].isin(full_ids)].groupby("park")["eid"].nunique()
    part_by_park = ent_park[ent_park["eid"].isin(part_ids)].groupby("park")["eid"].nunique()
    table["enterprises_cleared"] = table["park"].map(full_by_park).fillna(0).astype("int64")
    table["enterprises_partly"] = table["park"].map(part_by_park).fillna(0).astype("int64")
    city = table["park"] == CITY_ROW
    in_parks = by_park.isin(table.loc[~city, "park"])
    table.loc[city, "cleared_mu"] = float(land["area_mu"][cl_ind & in_parks].sum())
    table.loc[city, "relet_mu"] = float(relet_mu.sum())
    table.loc[city, "parcels_cleared"] = int((cl_ind & in_parks).sum())
    table.loc[city, "enterprises_cleared"] = len(full_ids)
    table.loc[city, "enterprises_partly"] = len(part_ids)
    order = [
        "park",
        "industrial_mu_before",
        "cleared_mu",
        "relet_mu",
        "industrial_mu_after",
        "parcels_cleared",
        "enterprises_cleared",
        "enterprises_partly",
    ]
    for m in MEASURES:
        order += [
            f"target_{m}",
            f"{m}_per_mu_before",
            f"{m}_per_mu_after",
            f"gap_{m}_before",
            f"gap_{m}_after",
            f"pass_{m}_before",
            f"pass_{m}_after",
        ]
    order += ["all_pass_before", "all_pass_after"]
    table = table[order]

    # Progress (DOMAIN §5.9, counted as landclear.progress counts it).
    prog = _progress_effect(result, mask)
    counts = prog.pop("counts")
    fresh = prog.pop("new_keys")
    stopped_ids = prog.pop("stopped_ids")
    prog_mu = land["area_mu"][counts].groupby(by_park[counts]).sum()
    prog_ent = fresh.groupby(by_park[fresh.index]).nunique()
    at = table.columns.get_loc("enterprises_partly") + 1
    table.insert(at, "progress_mu", table["park"].map(prog_mu).fillna(0.0))
    table.insert(
        at + 1, "progress_enterprises", table["park"].map(prog_ent).fillna(0).astype("int64")
    )
    table.loc[city, "progress_mu"] = float(land["area_mu"][counts & in_parks].sum())
    table.loc[city, "progress_enterprises"] = int(fresh[in_parks[fresh.index]].nunique())

    keep_cols = [
        c
        for c in (
            "parcel_id",
            "owner_name",
            "credit_code",
            "park",
            "county",
            "area_mu",
            "land_use",
            "idle",
            "idle_years",
            "low_efficiency",
            "lists",
            "grade",
            "stopped_2y",
            "action",
            "action_rule",
            "priority",
        )
        if c in parcels
    ]
    cleared = gpd.GeoDataFrame(
        parcels.loc[mask, keep_cols + ["geometry"]],
        geometry="geometry",
        crs=getattr(parcels, "crs", None),
    )
    contrib = model.contributions().loc[mask]
    for m in MEASURES:
        cleared.insert(len(cleared.columns) - 1, f"figures_{m}", contrib[m].to_numpy())
    cleared.insert(
        len(cleared.columns) - 1, "enterprise_fully_cleared", eid[mask].isin(full_ids).to_numpy()
    )
    cleared.insert(len(cleared.columns) - 1, "counts_for_progress", counts[mask].to_numpy())
    label_text = name or (clear if isinstance(clear, str) else "selection")
    cleared.insert(0, "scenario", str(label_text))
    cleared = cleared.reset_index(drop=True)

    proj_targets = result.project.targets
    row_city = table[city].iloc[0] if city.any() else None
    summary = {
        "name": str(label_text),
        "year": year,
        "figures_year": fig_year,
        "relet": mode,
        "relet_figures": figs,
        "relet_share": share,
        "parcels_cleared": int(mask.sum()),
        "mu_cleared": float(land["area_mu"][mask].sum()),
        "industrial_mu_cleared": float(land["area_mu"][cl_ind].sum()),
        "relet_mu": float(relet_mu.sum()),
        "enterprises_cleared": len(full_ids),
        "enterprises_partly_cleared": len(part_ids),
        "long_stopped_cleared": len(full_ids & stopped_ids),
        **prog,
        "target_mu": float(proj_targets.mu),
        "target_enterprises": int(proj_targets.enterprises),
        "parks_meeting_before": int(table.loc[~city, "all_pass_before"].fillna(False).sum()),
        "parks_meeting_after": int(table.loc[~city, "all_pass_after"].fillna(False).sum()),
        "parks": int((~city).sum()),
        "city_meets_before": None if row_city is None else _opt_bool(row_city["all_pass_before"]),
        "city_meets_after": None if row_city is None else _opt_bool(row_city["all_pass_after"]),
    }
    notes = list(before.attrs.get("notes", []))
    if fig_year is not None and fig_year != year:
        notes.append(f"{year}年目标对照{fig_year}年企业数据 / {year} targets vs {fig_year} figures")
    return ScenarioResult(
        name=str(label_text),
        year=year,
        figures_year=fig_year,
        relet=mode,
        relet_figures=figs,
        relet_share=share,
        before=before,
        after=after,
        table=table,
        cleared=cleared,
        summary=summary,
        language=language,
        notes=notes,
    )


def _opt_bool(v: Any) -> bool | None:
    return None if v is pd.NA or v is None else bool(v)


# --------------------------------------------------------------------------- named scenarios
def _spec(result: Result, name: str) -> dict[str, Any]:
    from landclear.project import check_keys

    specs = result.project.scenarios or {}
    if name not in specs:
        avail = ", ".join(specs) or "-"
        raise ProjectError(
            f"项目文件中没有情景 [scenarios.{name}] / no such scenario; 已有 {avail}"
        )
    spec = dict(specs[name])
    check_keys(spec, SCENARIO_KEYS, f"scenarios.{name}")
    return spec


def run_named(result: Result, name: str) -> Any:
    """Run ``[scenarios.NAME]`` of the project file.

    ``plan = true`` runs :func:`landclear.optimize.plan_clearance` for ``park``
    (or every park when no park is given) and returns a list of plans;
    otherwise a :class:`ScenarioResult`.

    Example
    -------
    >>> run_named(result, "recommended_2024").summary["mu_cleared"]  # doctest: +SKIP
    """
    spec = _spec(result, name)
    # sheets, layers and tables all need the same runs: compute each named scenario once.
    cache = result.extras.setdefault("_scenario_runs", {})
    key = (name, repr(sorted(spec.items(), key=lambda kv: kv[0])))
    if key not in cache:
        cache[key] = _run_spec(result, name, spec)
    return cache[key]


def _run_spec(result: Result, name: str, spec: dict[str, Any]) -> Any:
    year = spec.get("year")
    relet = spec.get("relet", "none")
    if spec.get("plan", False):
        from landclear.optimize import DEFAULT_CANDIDATES, plan_clearance

        parks = spec.get("park") or [p for p in result.parks["park"] if p != CITY_ROW]
        parks = [parks] if isinstance(parks, str) else list(parks)
        extra = {k: spec[k] for k in ("max_exact", "time_limit") if k in spec}
        return [
            plan_clearance(
                result,
                park=p,
                year=year,
                relet=relet,
                candidates=spec.get("candidates", DEFAULT_CANDIDATES),
                name=name,
                **extra,
            )
            for p in parks
        ]
    clear = spec.get("clear")
    if clear is None:
        raise ProjectError(f"[scenarios.{name}] 需要 clear 或 plan = true / needs clear or plan")
    s = scenario(result, clear=clear, relet=relet, year=year, name=name)
    if spec.get("park"):
        parks = [spec["park"]] if isinstance(spec["park"], str) else list(spec["park"])
        s.table = s.table[s.table["park"].isin([*parks, CITY_ROW])].reset_index(drop=True)
    return s


def _as_list(obj: Any) -> list[Any]:
    return obj if isinstance(obj, list) else [obj]


def scenario_sheets(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """Workbook sheets of every ``[scenarios.NAME]`` (append to ``result.extras["sheets"]``).

    Example
    -------
    >>> result.extras.setdefault("sheets", []).extend(scenario_sheets(result))  # doctest: +SKIP
    """
    out: list[tuple[str, pd.DataFrame]] = []
    for name in result.project.scenarios or {}:
        objs = _as_list(run_named(result, name))
        if objs and hasattr(objs[0], "plan_rows"):
            from landclear.optimize import plans_sheets

            out.extend(plans_sheets(objs, name, getattr(result.project, "language", "zh")))
        else:
            for obj in objs:
                out.extend(obj.sheets())
    return out


def scenario_layers(result: Result) -> list[tuple[str, gpd.GeoDataFrame]]:
    """Map layers ``(name, GeoDataFrame of the cleared / proposed parcels)`` per named scenario.

    Example
    -------
    >>> for name, layer in scenario_layers(result): print(name, len(layer))  # doctest: +SKIP
    """
    out: list[tuple[str, gpd.GeoDataFrame]] = []
    for name in result.project.scenarios or {}:
        layers = [o.map_layer() for o in _as_list(run_named(result, name))]
        layers = [lay for lay in layers if len(lay)]
        out.append((name, _concat_layers(layers)))
    return out


def scenario_tables(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """Compact per-park tables ``(title, DataFrame)`` for the half-year bulletin.

    Example
    -------
    >>> for title, table in scenario_tables(result): print(title)  # doctest: +SKIP
    """
    out: list[tuple[str, pd.DataFrame]] = []
    for name, spec in (result.project.scenarios or {}).items():
        title = str(spec.get("title", name))
        objs = _as_list(run_named(result, name))
        if objs and hasattr(objs[0], "plan_rows"):
            from landclear.optimize import plans_table

            out.append((title, plans_table(objs, getattr(result.project, "language", "zh"))))
        else:
            out.extend((title, o.bulletin_table()) for o in objs)
    return out


def _concat_layers(layers: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    layers = [lay for lay in layers if len(lay)]
    if not layers:
        return gpd.GeoDataFrame(
            {"scenario": pd.Series(dtype="string")}, geometry=gpd.GeoSeries(crs="EPSG:4490")
        )
    return gpd.GeoDataFrame(
        pd.concat(layers, ignore_index=True), geometry="geometry", crs=layers[0].crs
    )


def write_scenario(
    result: Result, name: str, out: str | Path, objs: Sequence[Any] | None = None
) -> dict[str, Path]:
    """Write ``[scenarios.NAME]``: a workbook and the proposed set as GeoPackage and GeoJSON.

    Files are ``OUT/scenario-<name>.xlsx|.gpkg|.geojson`` with ``<name>`` made
    safe (:func:`safe_file_stem`), so nothing is written outside ``out``.

    Parameters
    ----------
    objs : list, optional
        Already computed :func:`run_named` output (avoids running it twice).

    Example
    -------
    >>> write_scenario(result, "recommended_2024", "out/")  # doctest: +SKIP
    """
    from landclear.io.write import _prepare_for_ogr, write_layer, write_workbook

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    objs = list(objs) if objs is not None else _as_list(run_named(result, name))
    if objs and hasattr(objs[0], "plan_rows"):
        from landclear.optimize import plans_sheets

        sheets = plans_sheets(objs, name, getattr(result.project, "language", "zh"))
    else:
        sheets = [sh for o in objs for sh in o.sheets()]
    stem = "scenario-" + safe_file_stem(name)
    written = {"workbook": write_workbook(sheets, out / f"{stem}.xlsx")}
    layer = _concat_layers([o.map_layer() for o in objs])
    gpkg, geojson = out / f"{stem}.gpkg", out / f"{stem}.geojson"
    for path in (gpkg, geojson):
        if path.exists():
            path.unlink()
    write_layer(layer, gpkg, "proposed")
    _prepare_for_ogr(layer.to_crs("EPSG:4490")).to_file(geojson, driver="GeoJSON")
    written["gpkg"] = gpkg
    written["geojson"] = geojson
    return written


def register_cli(main: click.Group) -> None:
    """Add ``landclear scenario PROJECT.toml NAME --out DIR`` to the CLI group.

    Example
    -------
    >>> from landclear.cli import main
    >>> register_cli(main)  # doctest: +SKIP
    """
    import click

    from landclear.cli import _friendly

    @main.command("scenario")
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.argument("name")
    @click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
    @_friendly
    def scenario_cmd(project: str, name: str, out: str) -> None:
        """Run [scenarios.NAME] of PROJECT; write OUT/scenario-NAME.xlsx/.gpkg/.geojson."""
        import json

        from landclear.analysis import run
        from landclear.project import load_project

        proj = load_project(project)
        specs = proj.scenarios or {}
        if name not in specs:  # before the (slow) analysis
            raise ProjectError(
                f"项目文件中没有情景 [scenarios.{name}] / no such scenario; "
                f"已有 {', '.join(specs) or '-'}"
            )
        result = run(proj)
        objs = _as_list(run_named(result, name))
        written = write_scenario(result, name, out, objs)
        for obj in objs:
            click.echo(json.dumps(obj.summary, ensure_ascii=False, default=str))
        for kind, path in written.items():
            click.echo(f"写出 wrote {kind}: {path}")


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`scenario`.

    ``landclear.scenario`` names both this module and its main function: the
    package re-exports the function, but importing the module (as the
    pipeline does for ``[scenarios.NAME]``) rebinds the package attribute to
    the module. Calling the module calls the function, so
    ``landclear.scenario(result, clear=...)`` works either way.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> ScenarioResult:
        return scenario(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
