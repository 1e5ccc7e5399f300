"""The ordered disposal rules table: first match, operators, NA, errors, overrides."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from landclear.errors import ProjectError
from landclear.rules.actions import load_action_rules, recommend
from landclear.rules.config import load_rule_settings

CATCH_ALL = {"id": "Z", "when": {}, "action": "继续监管", "priority": 9, "reason": "默认"}


def _rules(*rows):
    return load_action_rules([*rows, CATCH_ALL])


def test_first_match_wins_in_table_order():
    rules = _rules(
        {"id": "A", "when": {"idle": True}, "action": "依法处置", "priority": 3, "reason": "a"},
        {
            "id": "B",
            "when": {"idle": True, "recoverable": True},
            "action": "无偿收回",
            "priority": 1,
            "reason": "b",
        },
    )
    r = recommend(pd.DataFrame({"idle": [True], "recoverable": [True]}), rules)
    assert r.loc[0, "action_rule"] == "A"  # A comes first even though B is more specific
    swapped = load_action_rules(
        [
            {
                "id": "B",
                "when": {"idle": True, "recoverable": True},
                "action": "无偿收回",
                "priority": 1,
                "reason": "b",
            },
            {"id": "A", "when": {"idle": True}, "action": "依法处置", "priority": 3, "reason": "a"},
            CATCH_ALL,
        ]
    )
    r2 = recommend(pd.DataFrame({"idle": [True, True], "recoverable": [True, False]}), swapped)
    assert r2["action_rule"].tolist() == ["B", "A"]
    assert r2["priority"].tolist() == [1, 3]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"idle_years_gte": 2}, [False, False, True, True, False]),
        ({"idle_years_gt": 2}, [False, False, False, True, False]),
        ({"idle_years_lte": 1}, [True, True, False, False, False]),
        ({"idle_years_lt": 1}, [True, False, False, False, False]),
        ({"idle_years": 2}, [False, False, True, False, False]),
        ({"idle_years_ne": 2}, [True, True, False, True, False]),  # NA never matches
        ({"idle_years_in": [0, 3]}, [True, False, False, True, False]),
        ({"grade_in": ["C", "D"]}, [False, True, True, False, False]),
        ({"grade_ne": "D"}, [True, True, False, True, False]),
        ({"grade": "A"}, [True, False, False, False, False]),
        ({"in_park": False}, [False, True, False, False, False]),
        ({"in_park_ne": True}, [False, True, False, False, False]),
        ({"lists_gte": 1, "in_park": True}, [False, False, True, True, False]),
    ],
)
def test_operator_suffixes(when, expected):
    states = pd.DataFrame(
        {
            "idle_years": pd.array([0, 1, 2, 3, pd.NA], dtype="Int64"),
            "grade": ["A", "C", "D", "B", None],
            "in_park": pd.array([True, False, True, True, pd.NA], dtype="boolean"),
            "lists": [0, 0, 1, 3, 2],
        }
    )
    rules = _rules({"id": "X", "when": when, "action": "依法处置", "priority": 2, "reason": "x"})
    r = recommend(states, rules)
    assert (r["action_rule"] == "X").tolist() == expected


def test_missing_state_column_never_matches_and_text_booleans():
    rules = _rules(
        {"id": "C", "when": {"cleared": False}, "action": "依法处置", "priority": 2, "reason": "c"}
    )
    assert recommend(pd.DataFrame({"idle": [True]}), rules).loc[0, "action_rule"] == "Z"
    r = recommend(pd.DataFrame({"cleared": ["否", "是", "", None]}), rules)
    assert r["action_rule"].tolist() == ["C", "Z", "Z", "Z"]


def test_unknown_field_names_field_and_nearest():
    with pytest.raises(ProjectError) as err:
        _rules({"id": "U", "when": {"idle_year_gte": 2}, "action": "x", "priority": 1})
    msg = str(err.value)
    assert "idle_year_gte" in msg and "idle_years_gte" in msg and "U" in msg
    with pytest.raises(ProjectError, match="stopped_2y"):
        _rules({"id": "U", "when": {"stoped_2y": True}, "action": "x", "priority": 1})
    # ordered comparison on a yes/no field is not a valid key either
    with pytest.raises(ProjectError, match="idle_gte"):
        _rules({"id": "U", "when": {"idle_gte": 1}, "action": "x", "priority": 1})


def test_rule_table_validation():
    with pytest.raises(ProjectError, match="true/false"):
        _rules({"id": "T", "when": {"idle": "yes"}, "action": "x", "priority": 1})
    with pytest.raises(ProjectError, match="number"):
        _rules({"id": "T", "when": {"lists_gte": "2"}, "action": "x", "priority": 1})
    with pytest.raises(ProjectError, match="list"):
        _rules({"id": "T", "when": {"grade_in": "D"}, "action": "x", "priority": 1})
    with pytest.raises(ProjectError, match="priority"):
        _rules({"id": "T", "when": {}, "action": "x", "priority": 0})
    with pytest.raises(ProjectError, match="reason"):
        _rules({"id": "T", "when": {}, "action": "x", "priority": 1, "reasons": "typo"})
    with pytest.raises(ProjectError, match="action"):
        _rules({"id": "T", "when": {}, "priority": 1})
    with pytest.raises(ProjectError, match="重复"):
        _rules({"id": "Z", "when": {"idle": True}, "action": "x", "priority": 1})
    with pytest.raises(ProjectError, match="兜底"):
        load_action_rules([{"id": "A", "when": {"idle": True}, "action": "x", "priority": 1}])
    with pytest.raises(ProjectError, match="为空"):
        load_action_rules([])


def test_user_table_replaces_default():
    user = {
        "actions": {
            "rules": [
                {
                    "id": "U1",
                    "when": {"lists_gte": 2},
                    "action": "政府收储",
                    "priority": 1,
                    "reason": "两个以上清单",
                },
                {"id": "U9", "when": {}, "action": "继续监管", "priority": 5, "reason": "其余"},
            ]
        }
    }
    settings = load_rule_settings(user)
    rules = load_action_rules(settings.actions.rules)
    assert [r.id for r in rules] == ["U1", "U9"]
    states = pd.DataFrame({"lists": [2, 1], "cleared": [True, True], "idle": [True, True]})
    r = recommend(states, rules)
    # the default R00-cleared rule is gone: the user table is the whole table
    assert r["action_rule"].tolist() == ["U1", "U9"]
    assert r["priority"].tolist() == [1, 5]


def _state(**kw):
    base = {
        "cleared": False,
        "idle": False,
        "idle_type": None,
        "idle_cause": None,
        "idle_years": 0,
        "recoverable": False,
        "stopped_2y": False,
        "tax_arrears_2y": False,
        "mortgaged_idle": False,
        "lists": 0,
        "grade": "B",
        "low_efficiency": False,
        "in_park": True,
        "above_scale": True,
        "intensity_ok": True,
    }
    return base | kw


def test_default_table_paths():
    cases = [
        (_state(cleared=True, idle=True, recoverable=True), "R00-cleared", "已处置"),
        (
            _state(idle=True, idle_cause="government", idle_years=3),
            "R01-gov-idle",
            "协议收回/延期开工/调整规划",
        ),
        (
            _state(
                idle=True,
                idle_cause="enterprise",
                idle_years=2,
                recoverable=True,
                mortgaged_idle=True,
                lists=1,
            ),
            "R02-recover-mortgaged",
            "政府收储",
        ),
        (
            _state(idle=True, idle_cause="enterprise", idle_years=2, recoverable=True),
            "R03-recover",
            "无偿收回",
        ),
        (_state(idle=True, idle_cause="enterprise", idle_years=1), "R04-idle-fee", "征缴闲置费"),
        (
            _state(idle=True, idle_type="B", idle_cause="enterprise", idle_years=0),
            "R05-idle",
            "依法处置",
        ),
        (
            _state(stopped_2y=True, tax_arrears_2y=True, mortgaged_idle=True, lists=3),
            "R06-stopped-3-lists",
            "政府收储",
        ),
        (_state(stopped_2y=True, mortgaged_idle=True, lists=2), "R07-stopped-mortgaged", "债转股"),
        (_state(stopped_2y=True, tax_arrears_2y=True, lists=2), "R08-stopped-tax", "兼并重组"),
        (_state(stopped_2y=True, lists=1, in_park=False), "R09-stopped-outside-park", "搬迁入园"),
        (_state(stopped_2y=True, lists=1), "R10-stopped", "兼并重组"),
        (
            _state(grade="D", low_efficiency=True, intensity_ok=False),
            "R11-grade-d-weak-intensity",
            "整体腾退",
        ),
        (_state(grade="D", low_efficiency=True), "R12-low-efficiency", "改造提升"),
        (_state(tax_arrears_2y=True, lists=1), "R13-other-list", "依法处置"),
        (_state(), "R99-monitor", "继续监管"),
        (_state(stopped_2y=True, lists=1, in_park=None), "R10-stopped", "兼并重组"),
    ]
    states = pd.DataFrame([c[0] for c in cases], index=np.arange(100, 100 + len(cases)))
    r = recommend(states)
    assert list(r.index) == list(states.index)
    assert r["action_rule"].tolist() == [c[1] for c in cases]
    assert r["action"].tolist() == [c[2] for c in cases]
    assert r["priority"].dtype == np.int64
    reason = r.loc[102, "action_reason"]
    assert reason.startswith("[R02-recover-mortgaged]")
    assert "闲置=是" in reason and "闲置抵押=是" in reason
    assert "闲置原因=政府" in r.loc[101, "action_reason"]
    assert "清单数=3" in r.loc[106, "action_reason"]


def test_empty_states_and_speed():
    empty = recommend(pd.DataFrame({"idle": pd.Series([], dtype=bool)}))
    assert list(empty.columns) == ["action", "action_rule", "action_reason", "priority"]
    assert len(empty) == 0
    n = 100_000
    rng = np.random.default_rng(7)
    states = pd.DataFrame(
        {
            "idle": rng.random(n) < 0.2,
            "idle_cause": np.where(rng.random(n) < 0.1, "government", "enterprise"),
            "idle_years": rng.integers(0, 5, n),
            "recoverable": rng.random(n) < 0.1,
            "stopped_2y": rng.random(n) < 0.1,
            "lists": rng.integers(0, 4, n),
            "grade": rng.choice(["A", "B", "C", "D", "T"], n),
        }
    )
    t0 = time.perf_counter()
    r = recommend(states)
    elapsed = time.perf_counter() - t0
    assert len(r) == n and r["action"].notna().all()
    assert elapsed < 10  # vectorised: ~1 s on the 2-core box


def test_recommend_accepts_settings_object_and_raw_tables():
    settings = load_rule_settings()
    states = pd.DataFrame({"idle": [True], "recoverable": [True], "mortgaged_idle": [False]})
    assert recommend(states, settings.actions).loc[0, "action_rule"] == "R03-recover"
    raw = [{"id": "only", "when": {}, "action": "继续监管", "priority": 7}]
    r = recommend(states, raw)
    assert (r.loc[0, "action_rule"], r.loc[0, "priority"], r.loc[0, "action_reason"]) == (
        "only",
        7,
        "[only]",
    )
