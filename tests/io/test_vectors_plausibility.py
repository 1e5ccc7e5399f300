"""A CRS that does not fit the coordinates is a recorded warning, not a silent misplacement."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from landclear.errors import CRSError
from landclear.geo import gk_zone_epsg
from landclear.io.vectors import read_vectors
from landclear.quality import QualityLog


def test_zone_prefixed_eastings_in_a_no_prefix_crs_warn(tmp_path):
    # 35-zone-prefixed eastings (EPSG:4523 style) written as EPSG:4544 (no prefix)
    gdf = gpd.GeoDataFrame(
        {"宗地代码": ["640202001001GB00001"]},
        geometry=[box(35_589_000, 4_318_000, 35_589_100, 4_318_100)],
        crs="EPSG:4544",
    )
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    log = QualityLog()
    # Reprojected from the wrong zone the coordinates are infinite: one CRS error naming
    # the file and the CRS that would fit, not "invalid geometry", and no shapely warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(CRSError) as err:
            read_vectors(path, log=log)
    msg = str(err.value)
    assert "p.gpkg" in msg and "EPSG:4523" in msg
    assert "几何" not in msg and "geometry" not in msg


def test_metres_declared_as_degrees_name_the_likely_crs(tmp_path):
    """crs = "EPSG:4490" on GK metres (no .prj): a CRS error, not a pyproj traceback."""
    gdf = gpd.GeoDataFrame(
        {"ZDDM": ["640205001001GB00001"]},
        geometry=[box(370_000, 4_320_000, 370_150, 4_320_150)],
        crs=None,
    )
    path = tmp_path / "p.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "crs was not provided": on purpose
        gdf.to_file(path)
    with pytest.raises(CRSError) as err:
        read_vectors(path, crs="EPSG:4490", log=QualityLog())
    msg = str(err.value)
    assert "p.shp" in msg and "不是有效的度数" in msg
    assert "EPSG:4545" in msg  # the GK zone that puts these metres in Shizuishan
    assert "[inputs.parcels_options] crs" in msg


def test_plausible_data_gives_no_crs_warning(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"宗地代码": ["640202001001GB00001"]},
        geometry=[box(589_000, 4_318_000, 589_100, 4_318_100)],
        crs="EPSG:4544",
    )
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    log = QualityLog()
    read_vectors(path, log=log)
    assert not [w for w in log.warnings if w.get("kind") == "crs_plausibility"]


# --- a wrong GK zone in the .prj (issue: no warning for EPSG:4544 on EPSG:4545 data) --------

SAMPLE = Path(__file__).resolve().parents[2] / "shapefiles"


def _sample_project(tmp_path: Path, swap: bool, city: str | None = None) -> Path:
    """The sample's parcel files, with the two shapefiles' .prj swapped when ``swap``."""
    work = tmp_path / "parcels"
    shutil.copytree(SAMPLE / "parcels", work)
    if swap:  # 高新区 is EPSG:4544 and 经开区 EPSG:4545: label each with the other zone
        gaoxin, jingkai = (work / "gaoxin.prj").read_bytes(), (work / "jingkai.prj").read_bytes()
        (work / "gaoxin.prj").write_bytes(jingkai)
        (work / "jingkai.prj").write_bytes(gaoxin)
    project = tmp_path / "project.toml"
    text = 'as_of = "2024-06-30"\n' + (f'city = "{city}"\n' if city else "")
    text += '[inputs]\nparcels = ["parcels/gaoxin.shp", "parcels/jingkai.shp", "parcels/pingluo.gpkg"]\n'
    text += '[columns.parcels]\ncredit_code = "统一社会信"\n'
    project.write_text(text, "utf-8")
    return project


def _crs_warnings(project: Path) -> list[dict]:
    from landclear.loading import load_inputs
    from landclear.project import load_project

    log = QualityLog()
    load_inputs(load_project(project), log)
    return [w for w in log.warnings if w.get("kind") == "crs_plausibility"]


def test_sample_parcels_in_the_wrong_gk_zone_warn_naming_file_and_zone(tmp_path):
    hits = {
        Path(w["file"]).name: w["message"] for w in _crs_warnings(_sample_project(tmp_path, True))
    }
    assert set(hits) == {"gaoxin.shp", "jingkai.shp"}
    # each names the file, the declared zone and the zone that puts the data in Shizuishan
    assert "gaoxin.shp" in hits["gaoxin.shp"] and "按 EPSG:4545 换算" in hits["gaoxin.shp"]
    assert "坐标看起来像 EPSG:4544" in hits["gaoxin.shp"]
    assert (
        "按 EPSG:4544 换算" in hits["jingkai.shp"] and "看起来像 EPSG:4545" in hits["jingkai.shp"]
    )
    assert "study region" in hits["jingkai.shp"]


def test_sample_parcels_correctly_labelled_give_no_crs_warning(tmp_path):
    assert _crs_warnings(_sample_project(tmp_path, False)) == []


def test_region_check_only_for_a_known_city(tmp_path):
    from landclear.geo import SHIZUISHAN_BOUNDS, study_region

    assert study_region("石嘴山市") == study_region("640200") == SHIZUISHAN_BOUNDS
    assert study_region("银川市") is None and study_region(None) is None
    # another city: no study region to compare with, and the eastings alone look fine
    assert _crs_warnings(_sample_project(tmp_path, True, city="银川市")) == []


@pytest.mark.parametrize(
    ("lon", "warned"),
    [
        (105.95, False),  # Shizuishan's west edge in the 108°E zone: 2.05° off, plausible
        (108.0 - 2.7, True),  # 2.7° off the central meridian: outside the 3° zone
        (108.0 + 2.6, True),
    ],
)
def test_longitudes_outside_the_declared_zone_warn(tmp_path, lon, warned):
    """After reprojection, more than half the zone width + 1° from its meridian: a warning."""
    to_gk = Transformer.from_crs(4490, 4545, always_xy=True)
    x, y = to_gk.transform(lon, 39.0)
    assert abs(x - 500_000) < 300_000  # the 300 km easting check alone would not fire
    gdf = gpd.GeoDataFrame(
        {"宗地代码": ["640202001001GB00001"]}, geometry=[box(x, y, x + 100, y + 100)], crs=4545
    )
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    log = QualityLog()
    read_vectors(path, log=log)
    hits = [w for w in log.warnings if w.get("kind") == "crs_plausibility"]
    assert bool(hits) is warned
    if warned:
        msg = hits[0]["message"]
        assert "p.gpkg" in msg and "EPSG:4545" in msg and "不在该 3 度带内" in msg
        assert f"EPSG:{gk_zone_epsg(lon)}" in msg  # the zone the position falls in
