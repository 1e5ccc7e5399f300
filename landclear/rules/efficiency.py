"""Per-mu efficiency (亩均效益) indicators and A/B/C/D/T grading (DOMAIN §5.5).

Sources: the Shizuishan plan 石政办发〔2022〕24号 ("亩产论英雄", screening of
规上制造业 and 规下制造业 using ≥ 3 亩) and the Zhejiang/Shandong 亩均效益综合评价
practice for the weighted score: ``score = Σ wᵢ · xᵢ / Bᵢ`` where ``Bᵢ`` is
the aggregate of the evaluated group (Σ numerator / Σ denominator), so an
enterprise exactly at every group aggregate scores 100.

Everything here is pure and vectorised: frames in, frames out, no I/O.

Example
-------
>>> import pandas as pd
>>> ent = pd.DataFrame({"enterprise_id": ["a", "b"], "above_scale": [False, False],
...                     "industry_code": ["C3311", "C3311"], "tax_paid": [10.0, 5.0],
...                     "electricity_kwh": [1e5, 1e5]})
>>> ind = per_mu_indicators(ent, pd.Series({"a": 5.0, "b": 5.0}))
>>> grade_enterprises(ind)["score"].round(2).tolist()
[133.33, 66.67]
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import join_text, lookup, number_text
from landclear.errors import ProjectError
from landclear.ids import on_uniques

__all__ = [
    "DEFAULTS",
    "INDICATORS",
    "assign_classes",
    "grade_enterprises",
    "industry_division",
    "low_efficiency",
    "merge_settings",
    "per_mu_indicators",
    "screening_scope",
]

#: indicator -> (numerator column, denominator column, factor, unit).
#: The factor turns 万元/kWh into 元/kWh (= 万元/万kWh, numerically equal).
INDICATORS: dict[str, tuple[str, str, float, str]] = {
    "investment_per_mu": ("investment", "land_mu", 1.0, "万元/亩"),
    "output_per_mu": ("output_value", "land_mu", 1.0, "万元/亩"),
    "tax_per_mu": ("tax_paid", "land_mu", 1.0, "万元/亩"),
    "value_added_per_mu": ("value_added", "land_mu", 1.0, "万元/亩"),
    "value_added_per_tce": ("value_added", "energy_tce", 1.0, "万元/吨标准煤"),
    "value_added_per_emission": ("value_added", "emissions", 1.0, "万元/吨排放"),
    "labour_productivity": ("value_added", "employees", 1.0, "万元/人"),
    "rd_ratio": ("rd_spend", "revenue", 1.0, "比值"),
    "tax_per_kwh": ("tax_paid", "electricity_kwh", 1e4, "元/千瓦时"),
}

_NUMERIC = (
    "output_value", "revenue", "tax_paid", "value_added", "energy_tce", "electricity_kwh",
    "emissions", "employees", "rd_spend", "investment",
)  # fmt: skip

#: Columns whose presence means the enterprise reported data for the year.
_DATA_COLUMNS = (
    "output_value", "revenue", "tax_paid", "value_added", "energy_tce", "electricity_kwh",
)  # fmt: skip

#: Default grading settings; the project's ``[rules.efficiency]`` overrides them.
DEFAULTS: dict[str, Any] = {
    "weights_above": {
        "tax_per_mu": 30.0,
        "value_added_per_mu": 20.0,
        "value_added_per_tce": 20.0,
        "value_added_per_emission": 10.0,
        "labour_productivity": 10.0,
        "rd_ratio": 10.0,
    },
    "weights_below": {"tax_per_mu": 50.0, "tax_per_kwh": 50.0},
    # Shares of the evaluated group, best class first; must sum to 1.
    "class_shares": {"A": 0.20, "B": 0.50, "C": 0.20, "D": 0.10},
    # Missing emission data: "average" = the group's mean emission term, or a number.
    "missing_emission": "average",
    # Any other missing indicator: the term value (0.0), or "average".
    "missing_score": 0.0,
    # Optional upper cap on xᵢ/Bᵢ (e.g. 3.0) so one indicator cannot dominate.
    "ratio_cap": None,
    # GB/T 4754 two-digit divisions not evaluated (electricity, gas, water).
    "utility_codes": ["44", "45", "46"],
    # Below-scale enterprises using less land than this are not evaluated.
    "min_mu": 3.0,
    # Manufacturing divisions (GB/T 4754-2017 C 13–43) for the 高耗低效 screening.
    "manufacturing_codes": [str(c) for c in range(13, 44)],
    # Which ledger year is graded: read by the pipeline (landclear.analysis), not here.
    "year": 0,
    "year_min_coverage": 0.5,
}

#: Keys where an empty table means "not given" (an empty weight or class
#: table cannot grade anything).
_EMPTY_IS_DEFAULT = ("class_shares", "weights_above", "weights_below")

_GROUP_LABEL = {"above": "规上组", "below": "规下组"}
_CLASSES = ("A", "B", "C", "D")


def merge_settings(
    defaults: Mapping[str, Any], settings: Mapping[str, Any] | Any | None, family: str
) -> dict[str, Any]:
    """Overlay user ``settings`` on ``defaults``; unknown keys are an error.

    Parameters
    ----------
    defaults : mapping
        The module defaults.
    settings : mapping, dataclass or None
        User values (a dataclass is turned into a dict).
    family : str
        Rule family named in error messages (``"efficiency"``).

    Returns
    -------
    dict
        A new dict; nested dicts are replaced, not merged, so a user table of
        weights is the whole table.

    Example
    -------
    >>> merge_settings({"a": 1}, {"a": 2}, "x")
    {'a': 2}
    """
    out = dict(defaults)
    if settings is None:
        return out
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        settings = dataclasses.asdict(settings)
    for key, value in dict(settings).items():
        if key not in defaults:
            near = difflib.get_close_matches(key, list(defaults), n=1)
            hint = f",是否为 {near[0]}? / did you mean {near[0]}?" if near else ""
            raise ProjectError(f"[rules.{family}] 未知参数 {key}{hint} / unknown key {key}")
        if key in _EMPTY_IS_DEFAULT and not value:
            continue
        if isinstance(value, float) and math.isnan(value) and defaults[key] is None:
            value = None  # TOML has no null: nan stands for "none"
        out[key] = value
    return out


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    """A float column, all-NaN when absent (an optional ledger column)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _ratio(num: pd.Series, den: pd.Series, factor: float = 1.0) -> pd.Series:
    # A non-positive denominator (0 mu, 0 kWh, negative typo) has no meaning
    # as a divisor: NaN, never ±inf.
    return (num * factor) / den.where(den > 0)


_TRUE = {"true", "1", "是", "y", "yes", "t", "规上", "√"}
_FALSE = {"false", "0", "否", "n", "no", "f", "规下", "", "nan", "none", "<na>"}


def _as_bool(values: pd.Series) -> pd.Series:
    """Bool-like column to nullable boolean (是/否, 1/0, True/False)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    if pd.api.types.is_numeric_dtype(values):
        return (values != 0).astype("boolean").mask(values.isna())
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out = out.mask(text.isin(_TRUE), True).mask(text.isin(_FALSE) & text.notna(), False)
    return out


@on_uniques
def industry_division(codes: pd.Series) -> pd.Series:
    """Two-digit GB/T 4754 division (门类 letter and sub-codes dropped).

    ``"C3311"``, ``"3311"``, ``" c33 "`` and ``3311`` all give ``"33"``;
    anything without two leading digits gives ``<NA>``.

    Example
    -------
    >>> industry_division(pd.Series(["C3311", "4411", "x", None])).tolist()
    ['33', '44', <NA>, <NA>]
    """
    text = codes.astype("string").str.strip().str.upper()
    # Integer-valued floats from Excel ("3311.0") keep their digits.
    text = text.str.replace(r"\.0+$", "", regex=True)
    return text.str.extract(r"^[A-Z]?\s*(\d{2})", expand=False).astype("string")


def per_mu_indicators(enterprises: pd.DataFrame, parcel_mu: pd.Series) -> pd.DataFrame:
    """Per-mu and efficiency indicators of each enterprise for one year.

    Parameters
    ----------
    enterprises : DataFrame
        One row per enterprise for ONE year: ``enterprise_id``,
        ``above_scale``, ``industry_code`` and the money (万元) and quantity
        columns ``output_value, revenue, tax_paid, value_added, energy_tce,
        electricity_kwh`` (kWh), ``emissions``, ``employees``, ``rd_spend``,
        ``investment``. Absent optional columns count as missing.
    parcel_mu : Series
        Indexed by ``enterprise_id``: Σ ``area_mu`` of all its parcels.

    Returns
    -------
    DataFrame
        Same index as ``enterprises``; all input columns plus ``land_mu`` and
        the indicators of :data:`INDICATORS`: ``investment_per_mu,
        output_per_mu, tax_per_mu, value_added_per_mu`` (万元/亩),
        ``value_added_per_tce`` (万元/tce), ``value_added_per_emission``
        (万元 per unit of ``emissions``), ``labour_productivity`` (万元/人),
        ``rd_ratio`` (rd_spend / revenue), ``tax_per_kwh`` (元/kWh, equal to
        万元/万kWh). A zero, negative or missing denominator gives NaN.

    Example
    -------
    >>> ent = pd.DataFrame({"enterprise_id": ["a"], "tax_paid": [12.0],
    ...                     "electricity_kwh": [0.0]})
    >>> out = per_mu_indicators(ent, pd.Series({"a": 4.0}))
    >>> float(out.at[0, "tax_per_mu"]), bool(np.isnan(out.at[0, "tax_per_kwh"]))
    (3.0, True)
    """
    out = enterprises.copy()
    mu = pd.to_numeric(parcel_mu, errors="coerce").astype("float64")
    if mu.index.has_duplicates:
        mu = mu.groupby(level=0).sum(min_count=1)
    out["land_mu"] = lookup(out["enterprise_id"], mu).astype("float64")
    for column in _NUMERIC:
        if column in out.columns:
            out[column] = _num(out, column)
    for name, (num, den, factor, _unit) in INDICATORS.items():
        out[name] = _ratio(_num(out, num), _num(out, den), factor)
    return out


def assign_classes(
    score: pd.Series, group: pd.Series, shares: Mapping[str, float] | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Classes A–D by score rank within each group.

    The class boundaries are cumulative: with ``n`` enterprises in a group and
    cumulative shares 0.2, 0.7, 0.9, 1.0 the last ranks of A, B, C are
    ``round_half_up(0.2 n)``, ``round_half_up(0.7 n)``, ``round_half_up(0.9 n)``.
    Counts always add up to ``n``; 10 enterprises give 2/5/2/1, 7 give 1/4/1/1,
    5 give 1/3/1/0 and a single one is B. Ties share the better rank
    (``method="min"``) and so the same class.

    Parameters
    ----------
    score : Series of float
    group : Series of str
        Group label per row; rows with a missing group get no class.
    shares : mapping, optional
        Class → share, best first (default A .2, B .5, C .2, D .1).

    Returns
    -------
    (grade, rank, size) : Series
        Class letter, 1-based rank within the group, group size.

    Example
    -------
    >>> g, r, n = assign_classes(pd.Series([5.0, 4, 3, 2, 1, 0, -1]), pd.Series(["x"] * 7))
    >>> "".join(g)
    'ABBBBCD'
    """
    shares = dict(DEFAULTS["class_shares"] if shares is None else shares)
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ProjectError(
            f"[rules.efficiency] class_shares 之和应为 1,实为 {total} / must sum to 1"
        )
    valid = group.notna()
    rank = score[valid].groupby(group[valid]).rank(ascending=False, method="min")
    size = group[valid].map(group[valid].value_counts()).astype("float64")
    grade = pd.Series(pd.NA, index=score.index, dtype="string")
    cum = np.cumsum(list(shares.values()))
    labels = list(shares)
    # Upper rank of each class; the small epsilon absorbs 0.7*7 = 4.8999….
    prev = pd.Series(0.0, index=size.index)
    for label, c in zip(labels, cum, strict=True):
        upper = np.floor(size * c + 0.5 + 1e-9)
        hit = (rank > prev) & (rank <= upper)
        grade.loc[hit[hit].index] = label
        prev = upper
    rank_full = rank.reindex(score.index).astype("Int64")
    size_full = size.reindex(score.index).astype("Int64")
    return grade, rank_full, size_full


def _fmt(values: pd.Series, digits: int = 2) -> pd.Series:
    return number_text(values.round(digits)).fillna("—")


def grade_enterprises(ind: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Weighted per-mu score and A/B/C/D/T class of each enterprise.

    ``score = Σ wᵢ · xᵢ / Bᵢ`` with ``Bᵢ`` the aggregate of the evaluated
    group (Σ numerator / Σ denominator over the group members that have the
    indicator), computed separately for above-scale (规上) and below-scale
    (规下) enterprises. Missing emission data → the group's mean emission
    term; another missing indicator → 0 for that term (``missing_score``).

    Not evaluated (class ``T``): no data for the year (all of output, revenue,
    tax, value added, energy, electricity missing), utilities (GB/T 4754
    divisions 44–46), no land (``land_mu`` missing or 0), below-scale with
    ``land_mu`` < 3, ``is_new`` true, ``above_scale`` unknown.

    Parameters
    ----------
    ind : DataFrame
        Output of :func:`per_mu_indicators` (plus ``is_new`` when known).
    settings : mapping, optional
        Overrides of :data:`DEFAULTS` (``[rules.efficiency]``).

    Returns
    -------
    DataFrame
        Index of ``ind``; columns ``score`` (float, NaN for T), ``grade``
        (A/B/C/D/T), ``grade_group`` (above/below/T), ``grade_rank``,
        ``grade_group_size``, ``grade_reason`` (Chinese), ``term_<indicator>``
        and ``bench_<indicator>`` for every weighted indicator (NaN where it
        does not apply). ``attrs["benchmarks"]`` = {group: {indicator: Bᵢ}}
        and ``attrs["notes"]`` lists warnings (e.g. a zero benchmark).

    Example
    -------
    >>> ind = pd.DataFrame({"above_scale": [False, False, False],
    ...     "industry_code": ["C33"] * 3, "land_mu": [5.0, 5, 10],
    ...     "tax_paid": [10.0, 5, 5], "tax_per_mu": [2.0, 1, 0.5],
    ...     "electricity_kwh": [1e5, 5e4, 1e5], "tax_per_kwh": [1.0, 1, 0.5]})
    >>> grade_enterprises(ind)["grade"].tolist()
    ['A', 'B', 'C']
    """
    cfg = merge_settings(DEFAULTS, settings, "efficiency")
    idx = ind.index
    above = (
        _as_bool(ind["above_scale"])
        if "above_scale" in ind
        else pd.Series(pd.NA, index=idx, dtype="boolean")
    )
    division = (
        industry_division(ind["industry_code"])
        if "industry_code" in ind
        else pd.Series(pd.NA, index=idx, dtype="string")
    )
    land = _num(ind, "land_mu")
    has_data = pd.concat([_num(ind, c).notna() for c in _DATA_COLUMNS], axis=1).any(axis=1)
    is_new = (
        _as_bool(ind["is_new"]).fillna(False).astype(bool)
        if "is_new" in ind
        else pd.Series(False, index=idx)
    )
    utilities = {str(c) for c in cfg["utility_codes"]}
    min_mu = float(cfg["min_mu"])

    t_rules: list[tuple[pd.Series, str]] = [
        (~has_data, "无当年数据 / no data for the year"),
        (
            division.isin(utilities).fillna(False).astype(bool),
            "公用事业(电力热力燃气水,GB/T 4754 第44–46大类)不参评 / utility",
        ),
        (is_new, "新建投产企业不参评 / new enterprise"),
        (above.isna().astype(bool), "缺少是否规上标识 / above_scale unknown"),
        (~(land > 0), "无用地面积,无法计算亩均 / no land area"),
        (
            above.fillna(True).eq(False) & (land < min_mu),
            f"规下企业用地不足{min_mu:g}亩不参评 / below-scale under {min_mu:g} mu",
        ),
    ]
    t_reason = pd.Series("", index=idx, dtype="string")
    for mask, why in t_rules:
        mask = mask.astype(bool)
        sep = t_reason.where(t_reason == "", ";").fillna("")
        t_reason = t_reason.where(~mask, t_reason + sep + why)
    is_t = t_reason != ""

    group = pd.Series(pd.NA, index=idx, dtype="string")
    group = group.mask(~is_t & above.fillna(False).astype(bool), "above")
    group = group.mask(~is_t & above.fillna(True).eq(False), "below")

    weights = {"above": cfg["weights_above"], "below": cfg["weights_below"]}
    indicators = sorted(set(weights["above"]) | set(weights["below"]), key=list(INDICATORS).index)
    unknown = [k for k in indicators if k not in INDICATORS]
    if unknown:
        raise ProjectError(f"[rules.efficiency] 未知指标 {unknown} / unknown indicator")

    score = pd.Series(0.0, index=idx)
    result = pd.DataFrame(index=idx)
    benchmarks: dict[str, dict[str, float]] = {"above": {}, "below": {}}
    notes: list[str] = []
    cap = cfg["ratio_cap"]
    for name in indicators:
        result[f"term_{name}"] = np.nan
        result[f"bench_{name}"] = np.nan
    for g, w in weights.items():
        members = (group == g).fillna(False).astype(bool)
        if not members.any():
            continue
        for name, weight in w.items():
            num_col, den_col, factor, _unit = INDICATORS[name]
            x = (
                _num(ind, name)
                if name in ind
                else _ratio(_num(ind, num_col), _num(ind, den_col), factor)
            )
            have = members & x.notna()
            den_sum = _num(ind, den_col)[have].sum()
            bench = factor * _num(ind, num_col)[have].sum() / den_sum if den_sum > 0 else np.nan
            benchmarks[g][name] = float(bench)
            if not (bench > 0):
                notes.append(
                    f"{_GROUP_LABEL[g]}指标 {name} 的基准值不为正({bench}),该项计 0 分 / "
                    f"benchmark of {name} not positive: term 0"
                )
                term = pd.Series(0.0, index=idx)
            else:
                r = x / bench
                if cap is not None:
                    r = r.clip(upper=float(cap))
                term = float(weight) * r
                key = "missing_emission" if name == "value_added_per_emission" else "missing_score"
                term = term.where(have, _missing_fill(cfg[key], term[have], key))
            result.loc[members, f"term_{name}"] = term[members]
            result.loc[members, f"bench_{name}"] = bench
            score = score.where(~members, score + term)

    score = score.where(group.notna())
    grade, rank, size = assign_classes(score, group, cfg["class_shares"])
    grade = grade.where(~is_t, "T")

    label = group.map(_GROUP_LABEL).astype("string")
    share_txt = _share_text(cfg["class_shares"])
    reason = join_text(
        label, "第", number_text(rank), "/", number_text(size), "名,得分",
        _fmt(score), ",", grade, "类(", grade.map(share_txt).astype("string"), ")",
    )  # fmt: skip
    reason = reason.where(~is_t, "不参评(T):" + t_reason)

    result.insert(0, "score", score)
    result.insert(1, "grade", grade.astype("string"))
    result.insert(2, "grade_group", group.fillna("T").astype("string"))
    result.insert(3, "grade_rank", rank)
    result.insert(4, "grade_group_size", size)
    result.insert(5, "grade_reason", reason.astype("string"))
    result.attrs["benchmarks"] = benchmarks
    result.attrs["notes"] = notes
    return result


def _missing_fill(mode: Any, present: pd.Series, key: str) -> float:
    """Term value given to an enterprise without the indicator."""
    if isinstance(mode, str) and mode.strip().lower() == "average":
        mean = present.mean()
        return 0.0 if np.isnan(mean) else float(mean)
    try:
        return float(mode)
    except (TypeError, ValueError):
        raise ProjectError(
            f'[rules.efficiency] {key} 应为数值或 "average",实为 {mode!r} / '
            'must be a number or "average"'
        ) from None


def _share_text(shares: Mapping[str, float]) -> dict[str, str]:
    out, cum = {}, 0.0
    for label, share in shares.items():
        lo, cum = cum, cum + share
        out[label] = f"前{cum:.0%}" if lo == 0 else f"{lo:.0%}–{cum:.0%}"
    return out


def screening_scope(ind: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> pd.Series:
    """In scope of the 高耗低效 (high-energy, low-efficiency) screening.

    Above-scale manufacturing (GB/T 4754 divisions 13–43), and below-scale
    manufacturing actually using ≥ 3 mu (石政办发〔2022〕24号 三(一)1).
    Unknown scale or industry → not in scope.

    Returns
    -------
    Series of bool, index of ``ind``.

    Example
    -------
    >>> screening_scope(pd.DataFrame({"above_scale": [True, False, False],
    ...     "industry_code": ["C33", "C33", "D44"], "land_mu": [1.0, 3.0, 9.0]})).tolist()
    [True, True, False]
    """
    cfg = merge_settings(DEFAULTS, settings, "efficiency")
    manuf = industry_division(ind["industry_code"]).isin(
        {str(c) for c in cfg["manufacturing_codes"]}
    )
    manuf = manuf.fillna(False).astype(bool)
    above = _as_bool(ind["above_scale"])
    land = _num(ind, "land_mu")
    big_enough = (land >= float(cfg["min_mu"])).fillna(False)
    scope = manuf & (
        above.fillna(False).astype(bool) | (above.eq(False).fillna(False) & big_enough)
    )
    return scope.astype(bool)


def low_efficiency(grade: pd.Series, stopped_2y: pd.Series, any_idle: pd.Series) -> pd.Series:
    """Low-efficiency enterprise: class D, or class C and stopped ≥ 2 years or idle land.

    Inputs are index-aligned; a missing flag counts as false.

    Example
    -------
    >>> low_efficiency(pd.Series(["D", "C", "C", "B"]), pd.Series([False, True, False, True]),
    ...                pd.Series([False, False, False, True])).tolist()
    [True, True, False, False]
    """
    g = grade.astype("string")
    stopped = _as_bool(stopped_2y.reindex(grade.index)).fillna(False).astype(bool)
    idle = _as_bool(any_idle.reindex(grade.index)).fillna(False).astype(bool)
    out = (g == "D").fillna(False) | ((g == "C").fillna(False) & (stopped | idle))
    return out.astype(bool)
