"""The comparison every engine must pass: identical parcels, column by column.

A uniquely named module (not conftest) so tests import it whatever else is collected.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from landclear.result import Result

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PROJECT = ROOT / "shapefiles" / "project.toml"


def _by_parcel(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["parcel_id", "source_file", "source_row"], kind="stable")


def assert_same_result(got: Result, want: Result, *, quality: bool = True) -> None:
    """Every parcel column identical (values, dtypes, order); the tables and quality too."""
    a, b = _by_parcel(got.parcels), _by_parcel(want.parcels)
    assert list(a.columns) == list(b.columns)
    assert a.index.tolist() == b.index.tolist()
    for col in a.columns:
        if col == "geometry":
            assert isinstance(got.parcels, gpd.GeoDataFrame) and got.parcels.crs == want.parcels.crs
            assert a.geometry.geom_equals_exact(b.geometry, 0).all()
            continue
        pd.testing.assert_series_equal(a[col], b[col], check_exact=True, obj=f"parcels.{col}")
    pd.testing.assert_frame_equal(got.enterprises, want.enterprises, check_exact=True)
    pd.testing.assert_frame_equal(got.parks, want.parks, check_exact=True)
    pd.testing.assert_frame_equal(got.cross_list, want.cross_list, check_exact=True)
    pd.testing.assert_frame_equal(got.mortgages, want.mortgages, check_exact=True)
    assert got.summary() == want.summary()
    if quality:
        assert got.quality.to_dict() == want.quality.to_dict()
