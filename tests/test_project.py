"""The project file: validation errors name the problem and the nearest valid key."""

from __future__ import annotations

import pytest

from landclear.errors import ProjectError
from landclear.project import load_project


def test_defaults_are_the_shizuishan_plan():
    p = load_project({"as_of": "2024-06-30"}, base_dir=".")
    assert (p.targets.enterprises, p.targets.mu) == (80, 4000.0)
    assert p.targets.deadline.isoformat() == "2024-12-31"
    assert p.targets.per_mu_for(2023) == {"investment": 175.0, "output": 150.0, "tax": 6.0}
    assert p.targets.milestones == {2022: 0.5, 2023: 0.8, 2024: 1.0}


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"as_off": "2024-06-30"}, "'as_of'"),
        ({"inputs": {"parcel": "x.shp"}}, "'parcels'"),
        ({"targets": {"mu_": 1}}, "'mu'"),
        ({"targets": {"per_mu": {"2024": {"taxes": 1}}}}, "'tax'"),
        ({"rules": {"idle": {"fee_rat": 0.2}}}, "fee_rate"),
        ({"as_of": "2024-13-01"}, "不是日期"),
        ({"inputs": {"parcels_options": {"encodng": "gbk"}, "parcels": "a.shp"}}, "'encoding'"),
    ],
)
def test_bad_keys_name_the_nearest(raw, needle, tmp_path):
    with pytest.raises(ProjectError) as err:
        load_project(raw, base_dir=tmp_path, check_files=False)
    assert needle in str(err.value)


def test_missing_file_and_empty_glob_are_named(tmp_path):
    with pytest.raises(ProjectError, match="missing.shp"):
        load_project({"inputs": {"parcels": "missing.shp"}}, base_dir=tmp_path)
    with pytest.raises(ProjectError, match="glob"):
        load_project({"inputs": {"parcels": "parcels/*.shp"}}, base_dir=tmp_path)


def test_paths_relative_to_file(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.geojson").write_text("{}")
    f = tmp_path / "project.toml"
    f.write_text('as_of = 2024-06-30\n[inputs]\nparcels = ["d/*.geojson"]\n', "utf-8")
    p = load_project(f)
    assert p.base_dir == tmp_path.resolve()
    assert p.inputs["parcels"].sources == ["d/*.geojson"]
    assert p.as_of.isoformat() == "2024-06-30"


def test_invalid_toml_names_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("as_of = \n", "utf-8")
    with pytest.raises(ProjectError, match="bad.toml"):
        load_project(f)


@pytest.mark.parametrize(
    ("inputs", "columns", "needle"),
    [
        ({"parcels": "a.shp"}, {"parcels": {"parkk": "园区"}}, "'park'"),
        ({"parcels": "a.shp"}, {"parcels": {"parcelid": "宗地代码"}}, "'parcel_id'"),
        ({"parcels": "a.shp", "parks": "p.geojson"}, {"parks": {"prk": "名称"}}, "'park'"),
        ({"parcels": "a.shp", "buildings": "b.gpkg"}, {"buildings": {"floor": "层数"}}, "floors"),
        ({"parcels": "a.shp", "tax_arrears": "t.csv"}, {"tax_arrears": {"amout": "x"}}, "amount"),
    ],
)
def test_unknown_canonical_column_key_names_the_nearest(inputs, columns, needle, tmp_path):
    """A typo in [columns.X] must not silently swallow the header (the column would be lost)."""
    table = next(iter(columns))
    with pytest.raises(ProjectError) as err:
        load_project({"inputs": inputs, "columns": columns}, base_dir=tmp_path, check_files=False)
    assert f"[columns.{table}]" in str(err.value)
    assert needle in str(err.value)


def test_valid_column_overrides_are_accepted(tmp_path):
    p = load_project(
        {"inputs": {"parcels": "a.shp"}, "columns": {"parcels": {"credit_code": "统一社会信"}}},
        base_dir=tmp_path,
        check_files=False,
    )
    assert p.inputs["parcels"].columns == {"credit_code": "统一社会信"}


@pytest.mark.parametrize("name", ["parcels", "tax_arrears"])
def test_unknown_encoding_option_names_the_key(name, tmp_path):
    inputs = {"parcels": "a.shp", name: "t.csv", f"{name}_options": {"encoding": "klingon"}}
    with pytest.raises(ProjectError) as err:
        load_project({"inputs": inputs}, base_dir=tmp_path, check_files=False)
    assert f"[inputs.{name}_options] encoding = 'klingon'" in str(err.value)


def test_units_option_keys_are_canonical_columns(tmp_path):
    inputs = {"parcels": "a.shp", "tax_arrears": "t.csv"}
    inputs["tax_arrears_options"] = {"units": {"amuont": "元"}}
    with pytest.raises(ProjectError, match="'amount'"):
        load_project({"inputs": inputs}, base_dir=tmp_path, check_files=False)


def test_readme_project_file_example_loads():
    """The README's project-file example is valid (its rules table ends with a catch-all)."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text("utf-8")
    section = readme[readme.index("## The project file") :]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    p = load_project(tomllib.loads(block), base_dir=root / "shapefiles")
    assert [r["id"] for r in p.rules["actions"]["rules"]] == ["R01", "R99"]
    assert p.inputs["parcels"].options["units"] == {"certified_area": "平方米"}
