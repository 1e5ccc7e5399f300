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


def test_raster_entries_path_or_table(tmp_path):
    (tmp_path / "b.tif").write_bytes(b"")
    text = (
        'as_of = 2024-06-30\n[inputs.rasters]\nbuilt_up = "b.tif"\n'
        'ndvi = { path = "b.tif", band = "NDVI", scale = 0.01, nodata = 255 }\n'
        'night_lights = { path = "b.tif", band = 2 }\n'
    )
    (tmp_path / "project.toml").write_text(text, "utf-8")
    p = load_project(tmp_path / "project.toml")
    here = (tmp_path / "b.tif").resolve()
    assert p.rasters["built_up"] == here
    assert p.rasters["ndvi"] == {"path": here, "band": "NDVI", "scale": 0.01, "nodata": 255}
    assert p.rasters["night_lights"] == {"path": here, "band": 2}
    from landclear.project import raster_path

    assert {raster_path(e) for e in p.rasters.values()} == {here}


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"path": "b.tif", "bnad": 2}, "did you mean 'band'"),
        ({"path": "b.tif", "scal": 0.01}, "did you mean 'scale'"),
        ({"pth": "b.tif"}, "did you mean 'path'"),
        ({"band": 1}, "缺少 path"),
        ({"path": "b.tif", "band": 0}, "波段号"),
        ({"path": "b.tif", "band": True}, "波段号"),
        ({"path": "b.tif", "scale": "0.01"}, "scale"),
        ({"path": "b.tif", "scale": 0}, "scale 不能为 0"),
        ({"path": "b.tif", "nodata": "255"}, "nodata"),
        (3, "应为路径或表"),
        ({"path": 3}, "应为路径或表"),
    ],
)
def test_bad_raster_entries_are_project_errors(tmp_path, entry, needle):
    raw = {"as_of": "2024-06-30", "inputs": {"rasters": {"built_up": entry}}}
    with pytest.raises(ProjectError) as err:
        load_project(raw, base_dir=tmp_path, check_files=False)
    assert needle in str(err.value) and "inputs.rasters.built_up" in str(err.value)


def test_missing_raster_file_in_a_table_is_named(tmp_path):
    raw = {"inputs": {"rasters": {"built_up": {"path": "nope.tif", "band": 1}}}}
    with pytest.raises(ProjectError, match="nope.tif"):
        load_project(raw, base_dir=tmp_path)
