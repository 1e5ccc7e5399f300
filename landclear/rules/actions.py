"""The disposal recommendation: an ordered, configurable rules table (DOMAIN §5.8).

Each rule is data, never code: ``when`` is a table of conditions on state
columns, ``action`` a disposal path of the plan (DOMAIN §2), ``priority`` an
urgency (1 = most urgent) and ``reason`` the Chinese explanation. The first
rule whose conditions all hold fires; the last rule must have no condition.

Condition keys are a state field, optionally with an operator suffix:
``field`` (equals), ``field_ne``, ``field_in = [..]``, and for numeric fields
``field_gte``, ``field_lte``, ``field_gt``, ``field_lt``. A missing value
(NA, or a state column the frame does not have) never satisfies a condition.

Example
-------
>>> import pandas as pd
>>> rules = load_action_rules([
...     {"id": "R1", "when": {"idle": True, "idle_years_gte": 2}, "action": "无偿收回",
...      "priority": 1, "reason": "闲置满两年"},
...     {"id": "R9", "when": {}, "action": "继续监管", "priority": 9, "reason": "默认"},
... ])
>>> recommend(pd.DataFrame({"idle": [True, True], "idle_years": [2, 1]}), rules)["action"].tolist()
['无偿收回', '继续监管']
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landclear.errors import ProjectError
from landclear.rules.config import ActionSettings, default_settings

#: State columns a rule may test, with their kind.
STATE_FIELDS: dict[str, str] = {
    "idle": "bool",
    "idle_type": "str",
    "idle_cause": "str",
    "idle_years": "number",
    "recoverable": "bool",
    "stopped_2y": "bool",
    "tax_arrears_2y": "bool",
    "mortgaged_idle": "bool",
    "lists": "number",
    "grade": "str",
    "low_efficiency": "bool",
    "in_park": "bool",
    "above_scale": "bool",
    "intensity_ok": "bool",
    "cleared": "bool",
}

#: Chinese labels used in ``action_reason``.
LABELS: dict[str, str] = {
    "idle": "闲置",
    "idle_type": "闲置类型",
    "idle_cause": "闲置原因",
    "idle_years": "闲置年数",
    "recoverable": "可无偿收回",
    "stopped_2y": "停产满2年",
    "tax_arrears_2y": "欠土地使用税满2年",
    "mortgaged_idle": "闲置抵押",
    "lists": "清单数",
    "grade": "亩均等级",
    "low_efficiency": "低效",
    "in_park": "园区内",
    "above_scale": "规上",
    "intensity_ok": "强度达标",
    "cleared": "已处置",
}

_SUFFIXES: dict[str, str] = {
    "_gte": "gte",
    "_lte": "lte",
    "_gt": "gt",
    "_lt": "lt",
    "_in": "in",
    "_ne": "ne",
}
_ORDERED = {"gte", "lte", "gt", "lt"}
_RULE_KEYS = ("id", "when", "action", "priority", "reason")
_TRUE = ("true", "1", "1.0", "是", "y", "yes", "t")
_FALSE = ("false", "0", "0.0", "否", "n", "no", "f")
_VALUE_TEXT = {"government": "政府", "enterprise": "企业"}


def _valid_keys() -> list[str]:
    keys = list(STATE_FIELDS)
    keys += [
        f + sfx
        for f, kind in STATE_FIELDS.items()
        for sfx, op in _SUFFIXES.items()
        if kind == "number" or op not in _ORDERED
    ]
    return keys


def _nearest(key: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.0)
    return close[0] if close else ""


def _as_boolean(col: pd.Series) -> pd.Series:
    """Any column as nullable boolean: bools, 0/1, 是/否, true/false; else NA."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype("boolean")
    if pd.api.types.is_numeric_dtype(col):
        return (col != 0).astype("boolean").mask(col.isna())
    low = col.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=col.index, dtype="boolean")
    out[low.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    out[low.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    return out


def _state(states: pd.DataFrame, field: str) -> pd.Series:
    kind = STATE_FIELDS[field]
    col = (
        states[field]
        if field in states.columns
        else pd.Series(pd.NA, index=states.index, dtype="object")
    )
    if kind == "bool":
        return _as_boolean(col)
    if kind == "number":
        return pd.to_numeric(col, errors="coerce").astype("Float64")
    return col.astype("string").str.strip()


@dataclass(frozen=True)
class Condition:
    """One test ``field <op> value`` of a rule."""

    field: str
    op: str
    value: Any

    def mask(self, states: pd.DataFrame) -> np.ndarray:
        """Boolean numpy mask over ``states`` (NA → False)."""
        col = _state(states, self.field)
        present = col.notna()
        if self.op == "in":
            hit = col.isin(list(self.value))
        elif self.op == "eq":
            hit = col == self.value
        elif self.op == "ne":
            hit = col != self.value
        elif self.op == "gte":
            hit = col >= self.value
        elif self.op == "lte":
            hit = col <= self.value
        elif self.op == "gt":
            hit = col > self.value
        else:
            hit = col < self.value
        return (hit.fillna(False) & present).to_numpy(dtype=bool)


@dataclass(frozen=True)
class ActionRule:
    """One row of the ordered disposal table."""

    id: str
    action: str
    priority: int
    reason: str
    conditions: tuple[Condition, ...] = ()

    def mask(self, states: pd.DataFrame) -> np.ndarray:
        """True where every condition holds (all rows for a catch-all)."""
        out = np.ones(len(states), dtype=bool)
        for cond in self.conditions:
            out &= cond.mask(states)
        return out


def _check_value(rule_id: str, key: str, kind: str, op: str, value: Any) -> Any:
    def bad(want: str) -> ProjectError:
        return ProjectError(
            f"处置规则 {rule_id} 的条件 {key} 应为{want} / condition {key} must be {want}, "
            f"got {value!r}",
            column=key,
        )

    if op == "in":
        if not isinstance(value, list | tuple):
            raise bad("列表 list")
        for v in value:
            _check_value(rule_id, key, kind, "eq", v)
        return tuple(value)
    if kind == "bool" and not isinstance(value, bool):
        raise bad("true/false")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise bad("数字 number")
    if kind == "str" and not isinstance(value, str):
        raise bad("文本 string")
    return value


def _parse_condition(rule_id: str, key: str, value: Any) -> Condition:
    if key in STATE_FIELDS:
        field, op = key, "eq"
    else:
        field, op = "", ""
        for sfx, name in _SUFFIXES.items():
            if key.endswith(sfx) and key[: -len(sfx)] in STATE_FIELDS:
                field, op = key[: -len(sfx)], name
                break
        if not field or (op in _ORDERED and STATE_FIELDS[field] != "number"):
            near = _nearest(key, _valid_keys())
            raise ProjectError(
                f"处置规则 {rule_id} 的条件字段 '{key}' 未知 / unknown field in rule "
                f"condition; 最接近的有效字段 / nearest valid: {near}",
                column=key,
            )
    return Condition(field, op, _check_value(rule_id, key, STATE_FIELDS[field], op, value))


def _parse_rule(n: int, raw: Mapping[str, Any]) -> ActionRule:
    if not isinstance(raw, Mapping):
        raise ProjectError(f"处置规则第{n}条应为表 / rule {n} must be a table")
    rule_id = str(raw.get("id", f"#{n}"))
    for key in raw:
        if key not in _RULE_KEYS:
            raise ProjectError(
                f"处置规则 {rule_id} 有未知键 '{key}' / unknown key; 最接近的有效键 / "
                f"nearest valid key: {_nearest(str(key), _RULE_KEYS)}",
                column=str(key),
            )
    for key in ("id", "action", "priority"):
        if key not in raw:
            raise ProjectError(f"处置规则 {rule_id} 缺少 {key} / rule lacks '{key}'", column=key)
    priority = raw["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise ProjectError(
            f"处置规则 {rule_id} 的 priority 应为正整数 / must be a positive integer",
            column="priority",
        )
    when = raw.get("when", {}) or {}
    if not isinstance(when, Mapping):
        raise ProjectError(f"处置规则 {rule_id} 的 when 应为表 / 'when' must be a table")
    conds = tuple(_parse_condition(rule_id, str(k), v) for k, v in when.items())
    return ActionRule(
        id=rule_id,
        action=str(raw["action"]),
        priority=int(priority),
        reason=str(raw.get("reason", "")),
        conditions=conds,
    )


def load_action_rules(table: Sequence[Mapping[str, Any]] | None = None) -> list[ActionRule]:
    """Parse and validate an ordered rules table.

    Parameters
    ----------
    table : list of dict, optional
        ``[[actions.rules]]`` entries (keys id, when, action, priority, reason).
        None → the shipped default table of ``rules.toml``. A user table
        replaces the default as a whole.

    Returns
    -------
    list of ActionRule

    Raises
    ------
    ProjectError
        Empty table, unknown rule key or condition field (naming the nearest
        valid one), wrongly typed value, duplicate id, or a last rule that is
        not a catch-all.

    Example
    -------
    >>> [r.id for r in load_action_rules()][-1]
    'R99-monitor'
    """
    raw = list(default_settings().actions.rules if table is None else table)
    if not raw:
        raise ProjectError("处置规则表为空 / the actions rules table is empty")
    rules = [_parse_rule(n, r) for n, r in enumerate(raw, start=1)]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise ProjectError(f"处置规则 id 重复: {r.id} / duplicate rule id")
        seen.add(r.id)
    if rules[-1].conditions:
        raise ProjectError(
            f"最后一条处置规则 {rules[-1].id} 必须无条件(兜底) / the last rule must be a "
            "catch-all with an empty 'when'"
        )
    return rules


def _display(col: pd.Series, kind: str) -> pd.Series:
    if kind == "bool":
        txt = pd.Series(np.where(col.fillna(False), "是", "否"), index=col.index, dtype=str)
    elif kind == "number":
        arr = col.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(arr) & (arr == np.round(arr))
        txt = pd.Series(
            np.where(whole, np.char.mod("%d", np.nan_to_num(arr)), np.char.mod("%g", arr)),
            index=col.index,
            dtype=str,
        )
    else:
        txt = col.replace(_VALUE_TEXT).fillna("").astype(str)
    return txt.where(col.notna(), "缺失")


def _facts(states: pd.DataFrame, rule: ActionRule) -> pd.Series:
    """``闲置=是、闲置年数=3`` for the fields a rule tested (vectorised per field)."""
    out = pd.Series("", index=states.index, dtype=str)
    for i, field in enumerate(dict.fromkeys(c.field for c in rule.conditions)):
        part = LABELS[field] + "=" + _display(_state(states, field), STATE_FIELDS[field])
        out = out + ("、" if i else "") + part
    return out


def _as_rules(
    rules: Sequence[ActionRule] | Sequence[Mapping[str, Any]] | ActionSettings | None,
) -> list[ActionRule]:
    if rules is None:
        return load_action_rules()
    if isinstance(rules, ActionSettings):
        return load_action_rules(rules.rules)
    rules = list(rules)
    if all(isinstance(r, ActionRule) for r in rules) and rules:
        return rules
    return load_action_rules(rules)


def recommend(
    states: pd.DataFrame,
    rules: Sequence[ActionRule] | Sequence[Mapping[str, Any]] | ActionSettings | None = None,
) -> pd.DataFrame:
    """Apply the ordered rules table: the first rule that holds fires.

    Parameters
    ----------
    states : DataFrame
        One row per parcel (or enterprise) with any of :data:`STATE_FIELDS`.
    rules : list of ActionRule, ActionSettings or list of dict, optional
        Parsed rules (:func:`load_action_rules`), the ``actions`` part of
        :func:`landclear.rules.config.load_settings`, or raw TOML rule tables;
        default the shipped table.

    Returns
    -------
    DataFrame, index-aligned
        action (str), action_rule (rule id), action_reason (rule id, reason and
        the facts that fired it), priority (int64, 1 = most urgent).

    Example
    -------
    >>> recommend(pd.DataFrame({"cleared": [True]})).loc[0, "action_rule"]
    'R00-cleared'
    """
    rules = _as_rules(rules)
    idx = states.index
    if len(states) == 0:
        return pd.DataFrame(
            {
                "action": pd.Series(dtype=str),
                "action_rule": pd.Series(dtype=str),
                "action_reason": pd.Series(dtype=str),
                "priority": pd.Series(dtype="int64"),
            },
            index=idx,
        )
    masks = np.vstack([r.mask(states) for r in rules])
    first = masks.argmax(axis=0)
    hit = masks.any(axis=0)
    # load_action_rules guarantees a catch-all; rules built by hand may lack one.
    first = np.where(hit, first, len(rules) - 1)

    reason = np.empty(len(states), dtype=object)
    for i, rule in enumerate(rules):
        fired = first == i
        if not fired.any():
            continue
        head = f"[{rule.id}] {rule.reason}".rstrip()
        if rule.conditions:
            sub = states.iloc[np.flatnonzero(fired)]
            reason[fired] = (head + " (依据: " + _facts(sub, rule) + ")").to_numpy()
        else:
            reason[fired] = head
    return pd.DataFrame(
        {
            "action": pd.Series(
                np.array([r.action for r in rules], dtype=object)[first], index=idx, dtype=str
            ),
            "action_rule": pd.Series(
                np.array([r.id for r in rules], dtype=object)[first], index=idx, dtype=str
            ),
            "action_reason": pd.Series(reason, index=idx, dtype=str),
            "priority": pd.Series(
                np.array([r.priority for r in rules], dtype="int64")[first], index=idx
            ),
        },
        index=idx,
    )


__all__ = ["ActionRule", "Condition", "LABELS", "STATE_FIELDS", "load_action_rules", "recommend"]
