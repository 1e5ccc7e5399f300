"""Rule settings: shipped defaults, merging a project's [rules], and error messages."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from landclear.errors import ProjectError
from landclear.rules import efficiency
from landclear.rules.config import (
    default_rules,
    default_settings,
    load_rule_settings,
    load_settings,
)
from landclear.rules.intensity import building_intensity


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


# --- every documented key loads and is honoured -------------------------------

_DOCS = Path(__file__).resolve().parents[2] / "docs"
_KEY = re.compile(r"`([a-z][a-z0-9_]*)(?: = [^`]*)?`")


def _leaf_keys(table: dict, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted key, default) of every setting in rules.toml (open tables as one key)."""
    out = []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and path != "intensity.min_plot_ratio":
            out += _leaf_keys(value, path)
        elif path != "actions.rules":
            out.append((path, value))
    return out


def _documented_keys() -> dict[str, set[str]]:
    """Family → setting keys named in docs/efficiency.md and docs/rules.md."""
    found: dict[str, set[str]] = {}
    eff = (_DOCS / "efficiency.md").read_text("utf-8")
    settings = eff.split("### Settings", 1)[1].split("\n#", 1)[0]
    eff_part, int_part = settings.split("intensity:", 1)
    found["efficiency"] = set(_KEY.findall(eff_part))
    found["intensity"] = set(_KEY.findall(int_part))
    rules = (_DOCS / "rules.md").read_text("utf-8")
    family = None
    for line in rules.splitlines():
        header = re.search(r"设置键 `\[rules\.(\w+)\]`", line)
        if header:
            family = header.group(1)
        elif family and line.startswith("|") and not line.startswith("|---"):
            cell = line.rstrip("| ").rsplit("|", 1)[-1]
            found.setdefault(family, set()).update(_KEY.findall(cell))
        elif not line.startswith("|"):
            family = None
        bullet = re.match(r"- `\[rules\.(efficiency|intensity)\]`", line)
        if bullet:
            found[bullet.group(1)] |= set(_KEY.findall(line[bullet.end() :]))
    return {k: v - {"nan"} for k, v in found.items()}


def test_every_documented_and_shipped_rules_key_loads():
    defaults = default_rules()
    documented = _documented_keys()
    assert {"ratio_cap", "missing_emission", "missing_score"} <= documented["efficiency"]
    assert "dedupe_buildings" in documented["intensity"]
    assert {"fee_rate", "recover_years"} <= documented["idle"]
    assert {"stopped_years", "financial_keywords"} <= documented["lists"]
    for family, keys in documented.items():
        for key in sorted(keys):
            assert key in defaults[family], f"docs name rules.{family}.{key}, not in rules.toml"
            load_rule_settings({family: {key: defaults[family][key]}})
    for path, value in _leaf_keys(defaults):
        table: dict = {}
        node = table
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
        load_rule_settings(table)  # every shipped key is a valid user key


def test_number_or_average_and_ratio_cap_values():
    s = load_rule_settings(
        {"efficiency": {"missing_emission": 0, "missing_score": "Average", "ratio_cap": 3.0}}
    )
    assert (s.efficiency.missing_emission, s.efficiency.missing_score) == (0, "average")
    assert s.efficiency.ratio_cap == 3.0
    assert math.isnan(load_rule_settings().efficiency.ratio_cap)
    assert load_rule_settings().efficiency.missing_emission == "average"
    assert load_rule_settings().intensity.dedupe_buildings is True
    with pytest.raises(ProjectError, match="average"):
        load_rule_settings({"efficiency": {"missing_emission": "mean"}})
    with pytest.raises(ProjectError, match="average"):
        load_rule_settings({"efficiency": {"missing_score": -1}})
    with pytest.raises(ProjectError, match="ratio_cap"):
        load_rule_settings({"efficiency": {"ratio_cap": 0}})


def _graded(user: dict) -> pd.DataFrame:
    ind = pd.DataFrame(
        {
            "enterprise_id": ["a", "b", "c"],
            "above_scale": [True, True, True],
            "industry_code": ["C33"] * 3,
            "tax_paid": [100.0, 1.0, 1.0],
            "value_added": [10.0, 10.0, 10.0],
            "emissions": [1.0, 2.0, np.nan],
        }
    )
    ind = efficiency.per_mu_indicators(ind, pd.Series({"a": 10.0, "b": 10.0, "c": 10.0}))
    return efficiency.grade_enterprises(ind, load_settings(user).efficiency)


def test_efficiency_keys_are_honoured_through_the_loader():
    base = _graded({})
    capped = _graded({"efficiency": {"ratio_cap": 1.5}})
    # a: tax/mu 100/10 against the aggregate 102/30 → ratio 2.94, capped at 1.5.
    assert base.at[0, "term_tax_per_mu"] == pytest.approx(30 * 100 / (102 / 3))
    assert capped.at[0, "term_tax_per_mu"] == pytest.approx(30 * 1.5)
    # c has no emissions: the group's mean emission term by default, 4 when set.
    mean = base.loc[[0, 1], "term_value_added_per_emission"].mean()
    assert base.at[2, "term_value_added_per_emission"] == pytest.approx(mean)
    fixed = _graded({"efficiency": {"missing_emission": 4}})
    assert fixed.at[2, "term_value_added_per_emission"] == 4.0


def test_dedupe_buildings_is_honoured_through_the_loader():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1"], "industry_code": ["C3311"]},
        geometry=[box(359600, 4319700, 359700, 4319800)],
        crs="EPSG:4545",
    )
    b = box(359600, 4319700, 359650, 4319750)
    buildings = gpd.GeoDataFrame({"floors": [2.0, 2.0]}, geometry=[b, b], crs="EPSG:4545")
    on = building_intensity(parcels, buildings, load_settings().intensity)
    off = building_intensity(
        parcels, buildings, load_settings({"intensity": {"dedupe_buildings": False}}).intensity
    )
    assert off.at[0, "plot_ratio"] == pytest.approx(2 * on.at[0, "plot_ratio"], rel=1e-9)
