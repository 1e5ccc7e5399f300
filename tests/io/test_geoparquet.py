"""GeoParquet as input (parcels = "x.parquet") and as output (write_geoparquet)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from landclear.analysis import run
from landclear.io.geoparquet import geoparquet_writer, parquet_safe, write_geoparquet
from landclear.project import load_project

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "shapefiles"
COMPARE = [
    "parcel_id",
    "area_mu",
    "park",
    "idle",
    "idle_type",
    "idle_years",
    "idle_fee",
    "recoverable",
    "lists",
    "grade",
    "low_efficiency",
    "building_coverage",
    "action",
    "action_rule",
    "priority",
]


@pytest.fixture(scope="module")
def sample_result():
    return run(SAMPLE / "project.toml")


def test_parquet_safe_keeps_types_and_texts_mixed_objects():
    df = pd.DataFrame(
        {
            "n": [1.5, None],
            "b": pd.array([True, None], dtype="boolean"),
            "mixed": [3, "三"],
            "d": [pd.Timestamp("2024-06-30").date(), None],
        }
    )
    out = parquet_safe(df)
    assert out["n"].dtype == "float64" and out["b"].dtype == "boolean"
    assert out["mixed"].tolist() == ["3", "三"]
    assert out["d"].tolist()[0] == "2024-06-30" and out["d"].isna().tolist()[1]


def test_write_geoparquet_round_trip(sample_result, tmp_path):
    r = sample_result
    written = write_geoparquet(r, tmp_path)
    assert set(written) == {"parcels_parquet", "enterprises_parquet", "parks_parquet"}
    back = gpd.read_parquet(written["parcels_parquet"])
    layer = r.parcel_layer()
    assert back.crs.to_epsg() == 4490
    assert list(back.columns) == list(layer.columns)
    assert len(back) == len(layer)
    for col in COMPARE:
        a, b = back[col], layer[col]
        if pd.api.types.is_float_dtype(b) or pd.api.types.is_numeric_dtype(b):
            np.testing.assert_array_equal(
                a.to_numpy(dtype=float, na_value=np.nan),
                b.to_numpy(dtype=float, na_value=np.nan),
                err_msg=col,
            )
        else:
            assert (
                a.astype("string").fillna("<NA>").tolist()
                == b.astype("string").fillna("<NA>").tolist()
            ), col
    assert back.geometry.geom_equals_exact(layer.geometry.reset_index(drop=True), 0).all()
    ent = pd.read_parquet(written["enterprises_parquet"])
    assert len(ent) == len(r.enterprises)
    parks = gpd.read_parquet(written["parks_parquet"])
    assert sorted(parks["park"]) == sorted(r.parks["park"])
    shaped = set(r.park_shapes["park"])
    assert parks.loc[parks["park"].isin(shaped)].geometry.notna().all()  # 全市 has no polygon


def test_hook_writes_only_when_the_project_asks(sample_result, tmp_path):
    r = sample_result
    assert geoparquet_writer(r, tmp_path / "no") == {}
    r.project.output["geoparquet"] = True
    try:
        assert set(geoparquet_writer(r, tmp_path / "yes")) == {
            "parcels_parquet",
            "enterprises_parquet",
            "parks_parquet",
        }
    finally:
        r.project.output.pop("geoparquet")


def test_geoparquet_input_gives_the_same_result(sample_result, tmp_path):
    """The Pingluo GeoPackage as GeoParquet (same raw columns): same analysis."""
    for item in SAMPLE.iterdir():
        target = tmp_path / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        elif item.suffix != ".py":
            shutil.copy(item, target)
    raw = pyogrio.read_dataframe(SAMPLE / "parcels" / "pingluo.gpkg")
    raw.to_parquet(tmp_path / "parcels" / "pingluo.parquet")
    text = (tmp_path / "project.toml").read_text("utf-8").replace("pingluo.gpkg", "pingluo.parquet")
    (tmp_path / "project.toml").write_text(text, "utf-8")
    got = run(load_project(tmp_path / "project.toml"))
    want = sample_result
    a = got.parcels.sort_values(["parcel_id", "source_row"])[COMPARE].reset_index(drop=True)
    b = want.parcels.sort_values(["parcel_id", "source_row"])[COMPARE].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    rec = got.quality.inputs["parcels"]
    assert any(f.endswith("pingluo.parquet") for f in rec.files)
    assert rec.rows_read == want.quality.inputs["parcels"].rows_read
    assert "Parquet" in rec.encoding
