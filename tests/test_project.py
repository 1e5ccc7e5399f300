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
