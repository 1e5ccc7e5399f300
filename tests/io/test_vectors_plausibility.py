"""A CRS that does not fit the coordinates is a recorded warning, not a silent misplacement."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from landclear.errors import DataError
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
    # Reprojected from the wrong zone the geometry is unusable: one clear error, and the
    # recorded warning names the CRS that would fit.
    with pytest.raises(DataError):
        read_vectors(path, log=log)
    messages = " ".join(w["message"] for w in log.warnings)
    assert "EPSG:4523" in messages


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
