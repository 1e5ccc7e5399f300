"""The command line on the sample data and on bad input (no tracebacks)."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
from click.testing import CliRunner

from landclear.cli import main


def test_help_for_every_verb():
    runner = CliRunner()
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0
    for verb in main.commands:
        sub = runner.invoke(main, [verb, "--help"])
        assert sub.exit_code == 0, verb
        assert "Usage" in sub.output


def test_validate_sample_writes_quality(sample_dir, tmp_path, planted):
    res = CliRunner().invoke(
        main, ["validate", str(sample_dir / "project.toml"), "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "石嘴山经济技术开发区" in res.output and "合计 total" in res.output  # area per park
    q = json.loads((tmp_path / "quality.json").read_text("utf-8"))
    assert q["inputs"]["parcels"]["rows_read"] == planted["counts"]["parcel_features"]
    assert q["inputs"]["parcels"]["rows_used"] == planted["counts"]["parcel_ids"]
    for name, rec in q["inputs"].items():
        assert rec["rows_read"] == rec["rows_used"] + rec["rows_rejected"], name
    # the 5 % certified-area check runs at load time, so validate lists it as run does
    mismatched = [w for w in q["warnings"] if w.get("kind") == "area_mismatch"]
    assert mismatched and all(w["file"] and w["row"] for w in mismatched)


def test_errors_exit_2_without_traceback(tmp_path, sample_dir):
    bad = tmp_path / "p.toml"
    bad.write_text('as_of = "2024-06-30"\n[inputs]\nparcel = "x.shp"\n', "utf-8")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "'parcels'" in res.output

    # a parcel file without any CRS: one clear error naming the option to set
    work = tmp_path / "s"
    shutil.copytree(sample_dir, work)
    for prj in (work / "parcels").glob("*.prj"):
        prj.unlink()
    res = CliRunner().invoke(
        main, ["validate", str(work / "project.toml"), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "crs" in res.output


def _square(lon: float) -> dict:
    ring = [[lon, 39.0], [lon + 0.001, 39.0], [lon + 0.001, 39.001], [lon, 39.001], [lon, 39.0]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize("verb", ["validate", "run"])
def test_no_usable_parcels_is_one_error(tmp_path, verb):
    """Every parcel rejected (blank ids) or no feature at all: exit 2 with one clear line."""
    features = [
        {
            "type": "Feature",
            "properties": {"宗地代码": pid, "权利人": "甲公司"},
            "geometry": _square(x),
        }
        for pid, x in (("", 106.38), (" ", 106.39), (None, 106.40))
    ]
    collection = {"type": "FeatureCollection", "features": features}
    (tmp_path / "blank.geojson").write_text(json.dumps(collection, ensure_ascii=False), "utf-8")
    gpd.read_file(tmp_path / "blank.geojson").iloc[:0].to_file(tmp_path / "zero.gpkg")
    for name, expected in (
        ("blank.geojson", ["3 个要素全部未通过校验", "parcel_id 为空", "commonest reason (3)"]),
        ("zero.gpkg", ["地块文件中没有任何要素", "contain no features"]),
    ):
        project = tmp_path / f"{name}.toml"
        project.write_text(f'as_of = "2024-06-30"\n[inputs]\nparcels = "{name}"\n', "utf-8")
        out = tmp_path / f"out-{name}"
        res = CliRunner().invoke(main, [verb, str(project), "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("错误 / error: " + name), res.output
        assert all(text in lines[0] for text in expected), lines[0]
        assert not (out / "landclear.gpkg").exists()
    if verb == "validate":  # the row-by-row reasons are still written
        q = json.loads((tmp_path / "out-blank.geojson" / "quality.json").read_text("utf-8"))
        assert q["inputs"]["parcels"]["rows_rejected"] == 3
