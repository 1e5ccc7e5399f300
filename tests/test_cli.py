"""The command line on the sample data and on bad input (no tracebacks)."""

from __future__ import annotations

import json
import shutil

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
