"""A CRS that does not fit the coordinates is a recorded warning, not a silent misplacement."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
from shapely.geometry import box

from landclear.errors import CRSError
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
