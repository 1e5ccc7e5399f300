"""Tests of landclear.raster against exactextract, rasterstats, published values and hand sums."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.transform import from_origin

from landclear.errors import CRSError
from landclear.raster import raster_evidence, raster_overlay_png, rasterize_column, zonal_stats

DATA = Path(__file__).parent / "data" / "rasterstats"
SLOPE = DATA / "slope.tif"
POLYS = DATA / "polygons.shp"


def _write(path: Path, arrays: np.ndarray, transform, crs, nodata=None, dtype=None) -> Path:
    arrays = np.atleast_3d(arrays) if arrays.ndim == 3 else arrays[np.newaxis]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arrays.shape[2],
        height=arrays.shape[1],
        count=arrays.shape[0],
        dtype=dtype or arrays.dtype.name,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(arrays)
    return path


@pytest.fixture
def grid3(tmp_path: Path) -> Path:
    """exactextract's synthetic raster: [[1,2,3],[4,5,6],[7,8,9]], x/y 0..3, cell 1."""
    arr = np.arange(1, 10, dtype="int32").reshape(3, 3)
    return _write(tmp_path / "grid3.tif", arr, from_origin(0, 3, 1, 1), "EPSG:4544", nodata=-1)


def _shapely_weighted(raster: Path, polygons: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Independent reference: coverage = area(cell ∩ polygon) / area(cell), via shapely."""
    with rasterio.open(raster) as ds:
        vals = ds.read(1, masked=True)
        t = ds.transform
        rows, cols = np.indices(vals.shape)
        x0, y0 = t * (cols.ravel(), rows.ravel())
        x1, y1 = t * (cols.ravel() + 1, rows.ravel() + 1)
        cells = shapely.box(
            np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)
        )
        cell_area = abs(t.a * t.e)
        polygons = polygons.to_crs(ds.crs)
    data = ~np.ma.getmaskarray(vals).ravel()
    means, counts = [], []
    for poly in polygons:
        w = shapely.area(shapely.intersection(cells, poly)) / cell_area * data
        counts.append(w.sum())
        means.append((w * vals.filled(0).ravel()).sum() / w.sum() if w.sum() else np.nan)
    return np.array(means), np.array(counts)


# --------------------------------------------------------------------------- reference suites
def _expected_rows() -> list[dict[str, str]]:
    with open(DATA / "zonal_expected.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", ["slope.tif", "slope_nodata.tif"])
def test_equals_exactextract_called_directly(name: str) -> None:
    from exactextract import exact_extract

    polys = gpd.read_file(POLYS)
    ours = zonal_stats(polys, DATA / name, ("mean", "count", "min", "max", "median"))
    ref = exact_extract(
        str(DATA / name), polys, ["mean", "count", "min", "max", "median"], output="pandas"
    )
    for stat in ("mean", "count", "min", "max", "median"):
        np.testing.assert_allclose(ours[stat].to_numpy(), ref[stat].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["slope.tif", "slope_nodata.tif"])
def test_equals_independent_shapely_weighting(name: str) -> None:
    polys = gpd.read_file(POLYS)
    means, counts = _shapely_weighted(DATA / name, polys.geometry)
    ours = zonal_stats(polys, DATA / name, ("mean", "count"))
    np.testing.assert_allclose(ours["count"], counts, rtol=1e-7)
    np.testing.assert_allclose(ours["mean"], means, rtol=1e-7)


def test_close_to_rasterstats_within_partial_cell_tolerance() -> None:
    """rasterstats counts whole cells by centre; the gap is bounded by boundary cells.

    Documented tolerance: means within 3 %, counts within perimeter / cell size.
    """
    from rasterstats import zonal_stats as rs_zonal

    polys = gpd.read_file(POLYS)
    ours = zonal_stats(polys, SLOPE, ("mean", "count"))
    theirs = pd.DataFrame(rs_zonal(str(POLYS), str(SLOPE), stats=["mean", "count"]))
    # published rasterstats values (zonal_expected.csv, test_main)
    assert theirs["count"].tolist() == [75, 50]
    assert round(theirs["mean"][0], 2) == 14.66
    np.testing.assert_allclose(ours["mean"], theirs["mean"], rtol=0.03)
    boundary_cells = polys.length.to_numpy() / 25.525
    assert (np.abs(ours["count"] - theirs["count"]) <= boundary_cells).all()
    # exact weighting counts the polygon's own area in cells
    np.testing.assert_allclose(ours["count"], polys.area / 25.525**2, rtol=1e-4)


def test_published_values_where_method_is_the_same() -> None:
    polys = gpd.read_file(POLYS)
    rows = _expected_rows()
    same = [
        r
        for r in rows
        if r["raster"]
        in ("rasterstats_tests_data/all_nodata.tif", "rasterstats_tests_data/dataset_mask.tif")
        and r["stat"] == "count"
        and r["expected"] == "0"
    ]
    assert len(same) == 3  # all_nodata ×2, dataset_mask feature 1
    for r in same:
        out = zonal_stats(
            polys, DATA / Path(r["raster"]).name, ("mean", "count", "coverage_fraction")
        )
        i = int(r["feature_index"])
        assert out["count"][i] == 0
        assert np.isnan(out["mean"][i])
        assert out["coverage_fraction"][i] == 0


def _exactextract_rows() -> list[dict[str, str]]:
    rows = _expected_rows()
    return [
        r
        for r in rows
        if r["source"].startswith("isciences/exactextract")
        and r["options"].startswith("default")
        and r["stat"] not in ("coverage",)
        and "center" not in r["stat"]
    ]


@pytest.mark.parametrize("row", _exactextract_rows(), ids=lambda r: r["stat"])
def test_exactextract_published_synthetic(grid3: Path, row: dict[str, str]) -> None:
    stat = row["stat"]
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0.5, 0.5, 2.5, 2.5)], crs="EPSG:4544")
    out = zonal_stats(parcels, grid3, (stat,))
    assert out.iloc[0, 0] == pytest.approx(float(row["expected"]))


# --------------------------------------------------------------------------- hand-computed
def test_half_cell_and_sub_cell_polygons(grid3: Path) -> None:
    parcels = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 0.5, 1), shapely.box(1.2, 1.2, 1.4, 1.5)], crs="EPSG:4544"
    )
    out = zonal_stats(parcels, grid3, ("mean", "count", "sum", "coverage_fraction"))
    # bottom-left cell holds 7; half of it is covered
    assert out["count"][0] == pytest.approx(0.5)
    assert out["mean"][0] == 7
    assert out["sum"][0] == pytest.approx(3.5)
    # 0.2 × 0.3 inside the centre cell (value 5)
    assert out["count"][1] == pytest.approx(0.06)
    assert out["mean"][1] == 5
    assert out["coverage_fraction"].tolist() == pytest.approx([1.0, 1.0])


def test_parcels_in_4490_over_raster_in_4544(tmp_path: Path) -> None:
    x0, y0, res = 500_000.0, 4_330_000.0, 10.0
    values = np.tile(np.arange(20, dtype="float32"), (20, 1))  # value = column index
    path = _write(tmp_path / "gk.tif", values, from_origin(x0, y0, res, res), "EPSG:4544")
    # a rectangle in the raster's CRS: cols 1 (half) 2, 3 (full) 4 (half), rows 0–1 full
    rect = shapely.box(x0 + 15, y0 - 20, x0 + 45, y0)
    geo = gpd.GeoSeries([rect], crs="EPSG:4544").to_crs("EPSG:4490")
    out = zonal_stats(gpd.GeoDataFrame(geometry=geo), path, ("mean", "count"))
    assert out["mean"][0] == pytest.approx((0.5 * 1 + 2 + 3 + 0.5 * 4) / 3, rel=1e-6)
    assert out["count"][0] == pytest.approx(6.0, rel=1e-6)
    # a lon/lat rectangle becomes a slightly rotated quadrilateral in the GK zone
    lon, lat = geo.total_bounds[0], geo.total_bounds[1]
    box_ll = gpd.GeoSeries([shapely.box(lon, lat, lon + 0.0015, lat + 0.001)], crs="EPSG:4490")
    means, counts = _shapely_weighted(path, box_ll)
    out = zonal_stats(box_ll, path, ("mean", "count"))
    np.testing.assert_allclose(out["mean"], means, rtol=1e-7)
    np.testing.assert_allclose(out["count"], counts, rtol=1e-7)


def test_all_nodata_outside_and_missing_geometry(grid3: Path, tmp_path: Path) -> None:
    nod = _write(
        tmp_path / "nod.tif",
        np.full((3, 3), -9999.0, dtype="float32"),
        from_origin(0, 3, 1, 1),
        "EPSG:4544",
        nodata=-9999.0,
    )
    parcels = gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(50, 50, 51, 51), None, shapely.Point(1, 1)],
        crs="EPSG:4544",
        index=[10, 20, 30, 40],
    )
    out = zonal_stats(parcels, nod, ("mean", "count", "coverage_fraction"))
    assert list(out.index) == [10, 20, 30, 40]
    assert out["mean"].isna().all()
    assert out["count"].tolist() == [0, 0, 0, 0]
    assert out["coverage_fraction"].tolist() == [0, 0, 0, 0]
    # the same parcels over real data: only the first has a value
    out = zonal_stats(parcels, grid3, ("mean",))
    assert out["mean"][10] == 7 and out["mean"].iloc[1:].isna().all()


def test_no_usable_parcels(grid3: Path) -> None:
    parcels = gpd.GeoDataFrame(geometry=[None, shapely.Point(1, 1)], crs="EPSG:4544")
    out = zonal_stats(parcels, grid3, ("mean", "count", "frac"))
    assert out["mean"].isna().all() and out["count"].tolist() == [0, 0]
    assert out["frac"].tolist() == [{}, {}]
    empty = zonal_stats(parcels.iloc[:0], grid3)
    assert list(empty.columns) == ["mean", "count", "coverage_fraction"] and len(empty) == 0


def test_partial_nodata_coverage_fraction(tmp_path: Path) -> None:
    arr = np.array([[1.0, -9999.0], [3.0, 4.0]], dtype="float32")
    path = _write(tmp_path / "p.tif", arr, from_origin(0, 2, 1, 1), "EPSG:4544", nodata=-9999.0)
    # parcel spans all 4 cells plus 2 m² outside the raster to the east
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 3, 2)], crs="EPSG:4544")
    out = zonal_stats(parcels, path, ("mean", "count", "coverage_fraction"))
    assert out["count"][0] == pytest.approx(3)
    assert out["mean"][0] == pytest.approx(8 / 3)
    assert out["coverage_fraction"][0] == pytest.approx(3 / 6)


def test_multiband_columns_are_suffixed(tmp_path: Path) -> None:
    arr = np.arange(1, 10, dtype="float64").reshape(3, 3)
    path = _write(
        tmp_path / "mb.tif",
        np.stack([arr, arr * 10, arr + 100]),
        from_origin(0, 3, 1, 1),
        "EPSG:4544",
    )
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 2, 2, 3)], crs="EPSG:4544")
    out = zonal_stats(parcels, path, ("mean", "max"), prefix="x_")
    assert list(out.columns) == [
        "x_mean_b1",
        "x_max_b1",
        "x_mean_b2",
        "x_max_b2",
        "x_mean_b3",
        "x_max_b3",
    ]
    assert out.iloc[0].tolist() == pytest.approx([1.5, 2, 15, 20, 101.5, 102])
    one = zonal_stats(parcels, path, ("mean",), bands=[2])
    assert list(one.columns) == ["mean"] and one["mean"][0] == pytest.approx(15)


def test_categorical_frac_and_unique(grid3: Path) -> None:
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1.5, 1)], crs="EPSG:4544")
    out = zonal_stats(parcels, grid3, ("frac", "unique", "majority"))
    assert out["frac"][0] == pytest.approx({7: 2 / 3, 8: 1 / 3})
    assert sorted(out["unique"][0].tolist()) == [7, 8]
    assert out["majority"][0] == 7


def test_small_memory_budget_gives_same_answer() -> None:
    polys = gpd.read_file(POLYS)
    full = zonal_stats(polys, SLOPE, ("mean", "count"))
    small = zonal_stats(polys, SLOPE, ("mean", "count"), max_cells_in_memory=16)
    seq = zonal_stats(
        polys, SLOPE, ("mean", "count"), strategy="raster-sequential", max_cells_in_memory=100
    )
    pd.testing.assert_frame_equal(full, small)
    pd.testing.assert_frame_equal(full, seq)


def test_open_dataset_and_progress(grid3: Path) -> None:
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 3, 3)], crs="EPSG:4544")
    with rasterio.open(grid3) as ds:
        out = zonal_stats(parcels, ds, ("mean",), progress=True)
        assert not ds.closed
    assert out["mean"][0] == pytest.approx(5)


def test_crs_errors(tmp_path: Path, grid3: Path) -> None:
    no_crs = _write(
        tmp_path / "nocrs.tif", np.ones((2, 2), "float32"), from_origin(0, 2, 1, 1), None
    )
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4544")
    with pytest.raises(CRSError, match="nocrs.tif"):
        zonal_stats(parcels, no_crs)
    with pytest.raises(CRSError, match="坐标系"):
        zonal_stats(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]), grid3)
    with pytest.raises(ValueError, match="不支持"):
        zonal_stats(parcels, grid3, ("average",))


# --------------------------------------------------------------------------- evidence mapping
def test_raster_evidence_names_and_scale(tmp_path: Path, grid3: Path) -> None:
    pct = _write(
        tmp_path / "bu.tif", np.full((3, 3), 40.0, "float32"), from_origin(0, 3, 1, 1), "EPSG:4544"
    )
    parcels = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(2.5, 0, 3.5, 1)], crs="EPSG:4544"
    )
    ev = raster_evidence(
        parcels,
        {"built_up": pct, "ndvi": grid3, "night_lights": grid3, "dem": grid3},
        scales={"built_up": 0.01},
    )
    assert list(ev.columns) == [
        "built_up_frac",
        "built_up_frac_coverage",
        "ndvi_mean",
        "ndvi_mean_coverage",
        "night_light_mean",
        "night_light_mean_coverage",
        "dem_mean",
        "dem_mean_coverage",
    ]
    assert ev["built_up_frac"].tolist() == pytest.approx([0.4, 0.4])
    assert ev["ndvi_mean"].tolist() == [7, 9]
    assert ev["dem_mean_coverage"].tolist() == pytest.approx([1.0, 0.5])


# --------------------------------------------------------------------------- rasterize / overlay
def test_rasterize_numeric_and_categorical(tmp_path: Path) -> None:
    parcels = gpd.GeoDataFrame(
        {"score": [1.5, 7.0], "grade": ["D", "A"]},
        geometry=[shapely.box(0, 0, 20, 10), shapely.box(20, 0, 40, 10)],
        crs="EPSG:4544",
    )
    out = rasterize_column(parcels, "score", tmp_path / "score.tif", resolution=10)
    with rasterio.open(out) as ds:
        assert ds.shape == (1, 4) and ds.res == (10, 10)
        assert ds.read(1).tolist() == [[1.5, 1.5, 7.0, 7.0]]
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    cat = rasterize_column(parcels, "grade", tmp_path / "grade.tif", like=out)
    with rasterio.open(cat) as ds:
        table = json.loads(ds.tags()["LANDCLEAR_CATEGORIES"])
        assert table == {"1": "A", "2": "D"}
        assert ds.read(1).tolist() == [[2, 2, 1, 1]] and ds.nodata == 0
    with pytest.raises(CRSError):
        rasterize_column(parcels.to_crs("EPSG:4490"), "score", tmp_path / "x.tif", resolution=10)


def test_overlay_png(tmp_path: Path) -> None:
    arr = np.array([[1.0, 2.0], [3.0, -9999.0]], dtype="float32")
    path = _write(
        tmp_path / "o.tif",
        arr,
        from_origin(500_000, 4_330_000, 100, 100),
        "EPSG:4544",
        nodata=-9999.0,
    )
    png, bounds = raster_overlay_png(path, cmap="viridis", max_size=64)
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA" and max(img.size) <= 64
    alpha = np.asarray(img)[..., 3]
    assert alpha[-1, -1] == 0 and alpha[0, 0] == 255  # nodata corner transparent
    (south, west), (north, east) = bounds
    # CM 105°E, false easting 500 km → the raster starts on the meridian at ~39.1°N
    assert west == pytest.approx(105.0, abs=1e-4)
    assert 39.0 < south < north < 39.2 and east - west == pytest.approx(200 / 86_400, rel=0.05)
    written, _ = raster_overlay_png(path, out_path=tmp_path / "o.png")
    assert written.read_bytes().startswith(b"\x89PNG")
