"""Rule settings: shipped defaults, merging a project's [rules], and error messages."""

from __future__ import annotations

import math
import tomllib

import pytest

from landclear.errors import ProjectError
from landclear.rules.config import (
    default_rules,
    default_settings,
    load_rule_settings,
    load_settings,
)


def test_defaults_match_the_law_and_the_plan():
    s = load_rule_settings()
    assert (s.idle.years_to_idle, s.idle.fee_rate, s.idle.recover_years) == (1, 0.2, 2)
    assert s.idle.developed_share == pytest.approx(1 / 3, abs=1e-15)
    assert s.idle.invested_share == 0.25
    assert "规划调整" in s.idle.government_causes and "非政府" in s.idle.enterprise_causes
    assert (s.lists.stopped_years, s.lists.tax_years) == (2, 2)
    assert not s.lists.include_half_stopped
    assert {"银行", "信用社", "农商行", "信托", "小额贷款", "资产管理"} <= set(
        s.lists.financial_keywords
    )
    assert s.efficiency.min_mu == 3
    assert s.efficiency.utility_codes == ("44", "45", "46")
    assert (
        s.efficiency.manufacturing_codes[0] == "13" and len(s.efficiency.manufacturing_codes) == 31
    )
    assert sum(s.efficiency.class_shares.values()) == pytest.approx(1.0)
    assert sum(s.efficiency.weights_above.values()) == 100
    assert sum(s.efficiency.weights_below.values()) == 100
    assert s.intensity.min_building_coverage == 0.30
    table = s.intensity.min_plot_ratio
    assert sorted(table) == [str(c) for c in range(13, 44)]
    assert (table["13"], table["17"], table["25"], table["26"], table["39"]) == (
        1.0,
        0.8,
        0.5,
        0.6,
        1.0,
    )
    assert math.isnan(s.intensity.default_min_plot_ratio)
    assert s.actions.rules[-1]["when"] == {}
    assert default_settings().idle == s.idle and default_settings().lists == s.lists
    assert s.efficiency.as_dict()["utility_codes"] == ["44", "45", "46"]


def test_merge_overrides_only_given_keys():
    s = load_rule_settings(
        {
            "idle": {"fee_rate": 0.1, "government_causes": ["政府"]},
            "efficiency": {"weights_below": {"tax_per_mu": 60, "tax_per_kwh": 40}},
            "intensity": {"min_plot_ratio": {"13": 1.2, "44": 0.3}},
        }
    )
    assert s.idle.fee_rate == 0.1 and s.idle.recover_years == 2
    assert s.idle.government_causes == ("政府",)  # a list replaces the default list
    assert s.efficiency.weights_below == {"tax_per_mu": 60, "tax_per_kwh": 40}
    assert s.efficiency.weights_above["tax_per_mu"] == 30
    assert s.intensity.min_plot_ratio["13"] == 1.2
    assert s.intensity.min_plot_ratio["44"] == 0.3
    assert s.intensity.min_plot_ratio["17"] == 0.8
    # the shipped defaults are not mutated by a merge
    assert default_rules()["intensity"]["min_plot_ratio"]["13"] == 1.0


@pytest.mark.parametrize(
    ("user", "bad", "nearest"),
    [
        ({"idle": {"fee_rat": 0.1}}, "rules.idle.fee_rat", "fee_rate"),
        ({"list": {}}, "rules.list", "lists"),
        ({"lists": {"stoped_years": 3}}, "stoped_years", "stopped_years"),
        (
            {"efficiency": {"weights_above": {"tax_per_m": 30}}},
            "rules.efficiency.weights_above.tax_per_m",
            "tax_per_mu",
        ),
        ({"intensity": {"min_coverage": 0.4}}, "min_coverage", "min_building_coverage"),
    ],
)
def test_unknown_key_names_nearest(user, bad, nearest):
    with pytest.raises(ProjectError) as err:
        load_rule_settings(user, file="project.toml")
    msg = str(err.value)
    assert bad in msg and nearest in msg and "project.toml" in msg


def test_bad_values():
    with pytest.raises(ProjectError, match="number"):
        load_rule_settings({"idle": {"fee_rate": "20%"}})
    with pytest.raises(ProjectError, match="bool"):
        load_rule_settings({"lists": {"include_half_stopped": "yes"}})
    with pytest.raises(ProjectError, match="负"):
        load_rule_settings({"lists": {"tax_years": -1}})
    with pytest.raises(ProjectError, match="str"):
        load_rule_settings({"lists": {"land_tax_types": [1]}})
    with pytest.raises(ProjectError, match="之和"):
        load_rule_settings({"efficiency": {"class_shares": {"A": 0.3}}})
    with pytest.raises(ProjectError, match="0–1"):
        load_rule_settings({"idle": {"fee_rate": 2}})
    with pytest.raises(ProjectError, match="两位"):
        load_rule_settings({"intensity": {"min_plot_ratio": {"C13": 1.0}}})
    with pytest.raises(ProjectError, match="table"):
        load_rule_settings({"efficiency": {"class_shares": 0.2}})


def test_from_a_project_file_table():
    text = """
    as_of = "2024-06-30"
    [rules.lists]
    include_half_stopped = true
    stopped_years = 3
    [[rules.actions.rules]]
    id = "only"
    when = {}
    action = "继续监管"
    priority = 5
    """
    project = tomllib.loads(text)
    s = load_rule_settings(project["rules"])
    assert s.lists.include_half_stopped and s.lists.stopped_years == 3
    assert [r["id"] for r in s.actions.rules] == ["only"]


def test_pipeline_settings_and_action_validation_at_load():
    s = load_settings({"match_min_score": 85, "area_tolerance": 0.02})
    assert (s.match_min_score, s.area_tolerance) == (85.0, 0.02)
    assert load_settings().match_min_score == 90.0
    with pytest.raises(ProjectError, match="0–100"):
        load_settings({"match_min_score": 120})
    bad = {
        "actions": {
            "rules": [
                {"id": "x", "when": {"idel": True}, "action": "a", "priority": 1},
                {"id": "z", "action": "b", "priority": 2},
            ]
        }
    }
    with pytest.raises(ProjectError) as err:
        load_settings(bad, file="project.toml")
    assert (
        "idel" in str(err.value) and "idle" in str(err.value) and "project.toml" in str(err.value)
    )
