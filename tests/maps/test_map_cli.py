import json
import re

import numpy as np
from click.testing import CliRunner
from tests_root import ROOT

from landclear.cli import main
from landclear.geo import wgs84_to_gcj02
from landclear.maps.layers import decode_geometries

PROJECT = str(ROOT / "shapefiles" / "project.toml")


def _payload(html: str) -> dict:
    """The parcels' data payload of a saved park map (the FeatureData with state classes)."""
    for m in re.finditer(r"var landclear_data_\w+ = (\{.*?\});\n", html):
        data = json.loads(m.group(1))
        if "state" in data["cls"]:
            return data
    raise AssertionError("no parcel payload")


def test_landclear_map_one_park_on_gaode_offline_with_static(tmp_path, sample_result):
    res = CliRunner().invoke(
        main,
        [
            "map",
            PROJECT,
            "--park",
            "平罗工业园区",
            "--basemap",
            "gaode",
            "--offline",
            "--out",
            str(tmp_path),
            "--static",
            "png",
        ],
    )
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert files == ["平罗工业园区.html", "平罗工业园区.png"]
    html = (tmp_path / "maps" / "平罗工业园区.html").read_text("utf-8")
    assert "webrd0{s}.is.autonavi.com" in html and "cdn.jsdelivr" not in html
    # The parcels are drawn in GCJ-02: the first vertex is the sample's, shifted.
    parcels = sample_result.parcels[sample_result.parcels["park"] == "平罗工业园区"]
    first = decode_geometries(_payload(html)["geo"])[0][0][0]
    x, y = parcels.geometry.iloc[0].exterior.coords[0]
    assert parcels.crs.to_epsg() == 4490  # result.parcels: CGCS2000 lon/lat
    np.testing.assert_allclose(first, wgs84_to_gcj02(x, y), atol=1e-6)
    bad = CliRunner().invoke(main, ["map", PROJECT, "--park", "无", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "平罗工业园区" in bad.output


def test_landclear_map_tianditu_key_from_environment_or_a_clear_error(
    tmp_path, sample_result, monkeypatch
):
    import landclear.analysis

    monkeypatch.setattr(landclear.analysis, "run", lambda project: sample_result)
    args = ["map", PROJECT, "--park", "平罗工业园区", "--basemap", "tianditu_vec"]
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "TIANDITU_KEY" in res.output and "tianditu_key" in res.output
    monkeypatch.setenv("TIANDITU_KEY", "abcdef0123456789")
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "b" / "maps" / "平罗工业园区.html").read_text("utf-8")
    assert html.count("tk=abcdef0123456789") == 2  # vec_w and cva_w
    res = CliRunner().invoke(
        main, [*args, "--tianditu-key", "0000aaaa1111", "--out", str(tmp_path / "c")]
    )
    html = (tmp_path / "c" / "maps" / "平罗工业园区.html").read_text("utf-8")
    assert res.exit_code == 0 and html.count("tk=0000aaaa1111") == 2


def test_landclear_map_all_parks_and_overview(tmp_path, sample_result, monkeypatch):
    import landclear.analysis

    monkeypatch.setattr(landclear.analysis, "run", lambda project: sample_result)
    res = CliRunner().invoke(main, ["map", PROJECT, "--offline", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert files == sorted(
        [
            "overview.html",
            "平罗工业园区.html",
            "石嘴山经济技术开发区.html",
            "石嘴山高新技术产业开发区.html",
        ]
    )
