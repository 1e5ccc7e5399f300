"""Typed rule settings: shipped defaults merged with a project's ``[rules]`` table.

The defaults live in ``landclear/data/rules.toml`` (one table per rule family:
``idle``, ``lists``, ``efficiency``, ``intensity``, ``actions``). A user table
is merged over them key by key; every key the user writes must exist in the
defaults, so a typo is an error that names the nearest valid key instead of a
silently ignored setting. Lists (keywords, ``actions.rules``) replace the
default list as a whole; ``intensity.min_plot_ratio`` is an open table keyed
by GB/T 4754 two-digit industry code, where user codes are added or override.

Examples
--------
>>> s = load_rule_settings({"idle": {"fee_rate": 0.1}})
>>> s.idle.fee_rate, s.idle.recover_years
(0.1, 2)
"""

from __future__ import annotations

import copy
import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from landclear.errors import ProjectError

#: Tables whose keys are data (industry codes), not setting names.
_OPEN_TABLES = frozenset({"intensity.min_plot_ratio"})

#: Settings that take a number or the word ``"average"`` (DOMAIN §5.5: a
#: missing indicator scores a fixed value or the group's mean term).
_NUMBER_OR_AVERAGE = frozenset({"efficiency.missing_score", "efficiency.missing_emission"})


@dataclass(frozen=True)
class IdleSettings:
    """Thresholds of 国土资源部令第53号 (DOMAIN §5.1); see ``rules.toml [idle]``."""

    years_to_idle: int = 1
    grant_to_start_years: int = 1
    developed_share: float = 1 / 3
    invested_share: float = 0.25
    suspended_years: int = 1
    fee_rate: float = 0.20
    fee_min_years: int = 1
    recover_years: int = 2
    government_causes: tuple[str, ...] = ("政府",)
    enterprise_causes: tuple[str, ...] = ("非政府", "企业原因")


@dataclass(frozen=True)
class ListSettings:
    """Thresholds of the three lists (DOMAIN §5.2–5.4); see ``rules.toml [lists]``."""

    stopped_years: int = 2
    stopped_statuses: tuple[str, ...] = ("停产",)
    half_stopped_statuses: tuple[str, ...] = ("半停产",)
    include_half_stopped: bool = False
    not_stopped_markers: tuple[str, ...] = ("复产", "未停产")
    tax_years: int = 2
    land_tax_types: tuple[str, ...] = ("城镇土地使用税", "土地使用税")
    financial_keywords: tuple[str, ...] = ("银行",)


@dataclass(frozen=True)
class EfficiencySettings:
    """Grading defaults (DOMAIN §5.5), consumed by ``rules/efficiency.py``."""

    min_mu: float = 3
    utility_codes: tuple[str, ...] = ("44", "45", "46")
    manufacturing_codes: tuple[str, ...] = ()
    missing_score: float | str = 0.0
    missing_emission: float | str = "average"
    ratio_cap: float = math.nan  # nan = no cap (TOML has no null)
    year: int = 0  # ledger year to grade; 0 = automatic (landclear.analysis._evaluation_year)
    year_min_coverage: float = 0.5
    class_shares: dict[str, float] = field(default_factory=dict)
    weights_above: dict[str, float] = field(default_factory=dict)
    weights_below: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (lists instead of tuples) for functions that take a dict."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class IntensitySettings:
    """Building-intensity defaults (DOMAIN §5.6), consumed by ``rules/intensity.py``."""

    min_building_coverage: float = 0.30
    default_min_plot_ratio: float = math.nan
    dedupe_buildings: bool = True
    min_plot_ratio: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for functions that take a dict."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class ActionSettings:
    """The ordered disposal rules table (raw TOML dicts; see ``rules/actions.py``)."""

    rules: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class EvidenceSettings:
    """Remote-sensing evidence thresholds (DOMAIN §7), consumed by ``rules/evidence.py``."""

    idle_years: float = 2
    built_up_max: float = 0.15
    dark_below: float = 1.0
    lit_above: float = 5.0
    ndvi_high: float = 0.4
    min_coverage: float = 0.5
    producing_statuses: tuple[str, ...] = ("正常生产", "生产", "在产", "正常")
    stopped_statuses: tuple[str, ...] = ("停产", "停业", "关停")

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RuleSettings:
    """All rule settings of one run."""

    idle: IdleSettings
    lists: ListSettings
    efficiency: EfficiencySettings
    intensity: IntensitySettings
    actions: ActionSettings
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    match_min_score: float = 90.0
    area_tolerance: float = 0.05


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@cache
def _defaults_text() -> str:
    return resources.files("landclear.data").joinpath("rules.toml").read_text("utf-8")


def default_rules() -> dict[str, Any]:
    """The shipped defaults of ``landclear/data/rules.toml`` as a fresh dict.

    Example
    -------
    >>> default_rules()["lists"]["tax_years"]
    2
    """
    return tomllib.loads(_defaults_text())


def _nearest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.0)
    return close[0] if close else ""


def _unknown(path: str, key: str, valid: list[str], file: str | Path | None) -> ProjectError:
    near = _nearest(key, valid)
    where = f"rules.{path}.{key}" if path else f"rules.{key}"
    hint = f"; 最接近的有效键 / nearest valid key: {near}" if near else ""
    return ProjectError(f"未知的规则设置 {where} / unknown rules key '{key}'{hint}", file=file)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _check_value(path: str, default: Any, value: Any, file: str | Path | None) -> Any:
    if path in _NUMBER_OR_AVERAGE:
        return _check_number_or_average(path, value, file)
    want, got = _type_name(default), _type_name(value)
    if want != got:
        raise ProjectError(
            f"规则设置 rules.{path} 应为 {want}, 实为 {got} / rules.{path} must be {want}, "
            f"got {value!r}",
            file=file,
        )
    if want == "number" and isinstance(value, int | float) and not math.isnan(value) and value < 0:
        raise ProjectError(f"规则设置 rules.{path} 不能为负数 / must not be negative", file=file)
    if want == "list" and default and path != "actions.rules":
        elem = _type_name(default[0])
        bad = [v for v in value if _type_name(v) != elem]
        if bad:
            raise ProjectError(
                f"规则设置 rules.{path} 的元素应为 {elem} / elements must be {elem}: {bad[0]!r}",
                file=file,
            )
    return value


def _check_number_or_average(path: str, value: Any, file: str | Path | None) -> Any:
    """A non-negative number, or ``"average"`` (any case, stripped)."""
    if isinstance(value, str) and value.strip().lower() == "average":
        return "average"
    if _type_name(value) == "number" and not math.isnan(value) and value >= 0:
        return value
    raise ProjectError(
        f'规则设置 rules.{path} 应为非负数或 "average", 实为 {value!r} / rules.{path} must be '
        f'a non-negative number or "average", got {value!r}',
        file=file,
    )


def _merge(
    default: dict[str, Any], user: Mapping[str, Any], path: str, file: str | Path | None
) -> dict[str, Any]:
    out = copy.deepcopy(default)
    for key, value in user.items():
        sub = f"{path}.{key}" if path else str(key)
        if path in _OPEN_TABLES:
            code = str(key)
            if not (len(code) == 2 and code.isdigit()):
                raise ProjectError(
                    f"rules.{path} 的键应为两位 GB/T 4754 行业代码 / keys must be two-digit "
                    f"industry codes, got '{key}'",
                    file=file,
                )
            out[code] = _check_value(sub, 1.0, value, file)
            continue
        if key not in default:
            raise _unknown(path, str(key), sorted(default), file)
        if isinstance(default[key], dict):
            if not isinstance(value, Mapping):
                _check_value(sub, default[key], value, file)
            out[key] = _merge(default[key], value, sub, file)
        else:
            out[key] = _check_value(sub, default[key], value, file)
    return out


def _validate(merged: dict[str, Any], file: str | Path | None) -> None:
    shares = merged["efficiency"]["class_shares"]
    if abs(sum(shares.values()) - 1.0) > 1e-9:
        raise ProjectError(
            f"rules.efficiency.class_shares 之和应为 1 / must sum to 1, got {sum(shares.values())}",
            file=file,
        )
    if merged["match_min_score"] > 100:
        raise ProjectError(
            "rules.match_min_score 应在 0–100 之间 / must be within 0–100", file=file
        )
    if not 0 <= merged["efficiency"]["year_min_coverage"] <= 1:
        raise ProjectError(
            "rules.efficiency.year_min_coverage 应在 0–1 之间 / must be within 0–1", file=file
        )
    year = merged["efficiency"]["year"]
    if year != int(year) or (year and not 1990 <= year <= 2100):
        raise ProjectError(
            f"rules.efficiency.year = {year!r} 应为年份（如 2023）或 0（自动）/ must be a year or 0",
            file=file,
        )
    cap = merged["efficiency"]["ratio_cap"]
    if not math.isnan(cap) and cap <= 0:
        raise ProjectError(
            f"rules.efficiency.ratio_cap = {cap!r} 应为正数或 nan（不封顶）/ must be positive "
            "or nan (no cap)",
            file=file,
        )
    for key in ("developed_share", "invested_share", "fee_rate"):
        if not 0 <= merged["idle"][key] <= 1:
            raise ProjectError(f"rules.idle.{key} 应在 0–1 之间 / must be within 0–1", file=file)


def load_rule_settings(
    user: Mapping[str, Any] | None = None, *, file: str | Path | None = None
) -> RuleSettings:
    """Merge a project's ``[rules]`` table over the shipped defaults.

    Parameters
    ----------
    user : mapping, optional
        The ``[rules]`` table of the project file (already parsed TOML).
    file : path, optional
        The project file, named in error messages.

    Returns
    -------
    RuleSettings

    Raises
    ------
    ProjectError
        For an unknown key (naming the nearest valid key), a value of the wrong
        type, a negative threshold, or class shares that do not sum to 1.

    Example
    -------
    >>> load_rule_settings({"lists": {"include_half_stopped": True}}).lists.include_half_stopped
    True
    """
    merged = _merge(default_rules(), user or {}, "", file)
    _validate(merged, file)

    def tup(d: dict[str, Any]) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}

    rules = merged["actions"].get("rules", [])
    # Parse the actions table now so that a bad rule fails when the project loads.
    from landclear.rules.actions import load_action_rules

    try:
        load_action_rules(rules)
    except ProjectError as exc:
        if exc.file is None and file is not None:
            exc.file = str(file)
        raise
    return RuleSettings(
        idle=IdleSettings(**tup(merged["idle"])),
        lists=ListSettings(**tup(merged["lists"])),
        efficiency=EfficiencySettings(**tup(merged["efficiency"])),
        intensity=IntensitySettings(**merged["intensity"]),
        actions=ActionSettings(rules=tuple(rules)),
        evidence=EvidenceSettings(**tup(merged["evidence"])),
        match_min_score=float(merged["match_min_score"]),
        area_tolerance=float(merged["area_tolerance"]),
    )


def load_settings(
    user: Mapping[str, Any] | None = None, *, file: str | Path | None = None
) -> RuleSettings:
    """Alias of :func:`load_rule_settings` (the name the pipeline uses).

    Example
    -------
    >>> load_settings({}).lists.stopped_years
    2
    """
    return load_rule_settings(user, file=file)


@cache
def default_settings() -> RuleSettings:
    """The shipped defaults, parsed once (used when a rule gets ``settings=None``).

    Example
    -------
    >>> default_settings().idle.fee_rate
    0.2
    """
    return load_rule_settings()


__all__ = [
    "ActionSettings",
    "EfficiencySettings",
    "IdleSettings",
    "IntensitySettings",
    "ListSettings",
    "RuleSettings",
    "default_rules",
    "default_settings",
    "load_rule_settings",
    "load_settings",
]
