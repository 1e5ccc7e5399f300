"""Tests of landclear.raster against exactextract, rasterstats, published values and hand sums."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.transform import from_origin
from sample_copy import sample_project

from landclear.errors import CRSError
from landclear.raster import raster_evidence, raster_overlay_png, rasterize_column, zonal_stats

DATA = Path(__file__).parent / "data" / "rasterstats"
SLOPE = DATA / "slope.tif"
POLYS = DATA / "polygons.shp"
#: Every rasterstats test raster shipped under tests/data (BSD-3-Clause, see LICENSE there).
RASTERS = [
    "slope.tif",
    "slope_nodata.tif",
    "all_nodata.tif",
    "dataset_mask.tif",
    "slope_classes.tif",
]


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


def _shapely_weighted(
    raster: Path, polygons: gpd.GeoSeries, nodata: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Independent reference: coverage = area(cell ∩ polygon) / area(cell), via shapely."""
    with rasterio.open(raster) as ds:
        vals = ds.read(1, masked=True)
        if nodata is not None:
            vals = np.ma.masked_where(np.ma.getdata(vals) == nodata, vals)
        t = ds.transform
        rows, cols = np.indices(vals.shape)
        x0, y0 = t @ (cols.ravel(), rows.ravel())
        x1, y1 = t @ (cols.ravel() + 1, rows.ravel() + 1)
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


@pytest.mark.parametrize("name", RASTERS)
def test_equals_exactextract_called_directly(name: str) -> None:
    from exactextract import exact_extract

    polys = gpd.read_file(POLYS)
    ours = zonal_stats(polys, DATA / name, ("mean", "count", "min", "max", "median"))
    ref = exact_extract(
        str(DATA / name), polys, ["mean", "count", "min", "max", "median"], output="pandas"
    )
    for stat in ("mean", "count", "min", "max", "median"):
        np.testing.assert_allclose(
            ours[stat].to_numpy(), ref[stat].to_numpy(dtype=float), rtol=1e-12
        )
    assert ours["count"].notna().all()


@pytest.mark.parametrize("nodata", [None, 1.0])
@pytest.mark.parametrize("name", RASTERS)
def test_equals_independent_shapely_weighting(name: str, nodata: float | None) -> None:
    polys = gpd.read_file(POLYS)
    means, counts = _shapely_weighted(DATA / name, polys.geometry, nodata)
    ours = zonal_stats(polys, DATA / name, ("mean", "count"), nodata=nodata)
    np.testing.assert_allclose(ours["count"], counts, rtol=1e-7, atol=1e-9)
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


def _rasterstats_rows() -> list[dict[str, str]]:
    """Published rasterstats rows on the polygons and a raster shipped under tests/data."""
    return [
        r
        for r in _expected_rows()
        if r["source"].startswith("perrygeo/python-rasterstats")
        and r["vector"].endswith("/polygons.shp")
        and Path(r["raster"]).name in RASTERS
    ]


def test_every_published_polygon_row_is_compared() -> None:
    rows = _rasterstats_rows()
    # 23 rows of test_zonal.py on polygons.shp; the points/lines/multipolygons rows need
    # vectors that are not polygons (parcels are) and are not shipped.
    assert len(rows) == 23
    assert {Path(r["raster"]).name for r in rows} == set(RASTERS)


def _rs_kwargs(options: str) -> dict[str, object]:
    kw: dict[str, object] = {}
    if "all_touched=True" in options:
        kw["all_touched"] = True
    if "categorical=True" in options:
        kw["categorical"] = True
    m = re.search(r"nodata=([-\d.]+)", options)
    if m:
        kw["nodata"] = float(m.group(1))
    return kw


@pytest.mark.parametrize(
    "row",
    _rasterstats_rows(),
    ids=lambda r: f"{Path(r['raster']).stem}-{r['feature_index']}-{r['options'][:24]}-{r['stat']}",
)
def test_rasterstats_published_rows(row: dict[str, str]) -> None:
    """Each published rasterstats value, reproduced, then ours against it.

    rasterstats counts whole cells (centre inside, or all touched); ours weights
    each cell by its covered fraction. So: equal where the answer is "nothing"
    (0 / None), never more than the all-touched count, within the boundary cells
    (perimeter / cell size) of the centre count, means within 3 %, the same
    categories present and the same minority class.
    """
    from rasterstats import zonal_stats as rs_zonal

    raster = DATA / Path(row["raster"]).name
    kw = _rs_kwargs(row["options"])
    polys = gpd.read_file(POLYS)
    stat, expected = row["stat"], row["expected"]
    cell = 25.525146547619357
    boundary = (polys.length / cell).to_numpy()
    nodata = kw.get("nodata")
    ours = zonal_stats(
        polys,
        raster,
        ("count", "mean", "frac", "minority", "coverage_fraction", "percentile_90"),
        nodata=nodata,
    )
    if stat == "percentile_90":  # "[None, 5.0]" for both features
        theirs = rs_zonal(str(POLYS), str(raster), stats=["percentile_90"], **kw)
        assert [t["percentile_90"] for t in theirs] == [None, 5.0]
        assert np.isnan(ours["percentile_90"][0])
        assert 2.0 <= ours["percentile_90"][1] <= 5.0  # between the classes present
        return
    i = int(row["feature_index"])
    rs_stats = "*" if "stats=*" in row["options"] else ["count", "mean", "minority", "nodata"]
    theirs = rs_zonal(str(POLYS), str(raster), stats=rs_stats, **kw)[i]
    count, all_touched = (
        ours["count"][i],
        rs_zonal(str(POLYS), str(raster), stats=["count"], all_touched=True, nodata=nodata)[i][
            "count"
        ],
    )
    if stat == "count":
        assert theirs["count"] == int(expected)  # the published value, reproduced
        assert count <= all_touched + 1e-9
        if kw.get("all_touched"):
            assert count <= int(expected) + 1e-9
        elif int(expected) == 0:
            assert count == 0 and np.isnan(ours["mean"][i])
            assert ours["coverage_fraction"][i] == 0
        else:
            assert abs(count - int(expected)) <= boundary[i]
    elif stat == "mean":
        assert round(theirs["mean"], 2) == float(expected)
        assert ours["mean"][i] == pytest.approx(theirs["mean"], rel=0.03)
    elif stat == "nodata":  # nodata cells inside: ours is the uncovered share of the parcel
        assert theirs["nodata"] == float(expected)
        nodata_cells = (1 - ours["coverage_fraction"][i]) * polys.area[i] / cell**2
        assert abs(nodata_cells - float(expected)) <= boundary[i]
    elif stat == "minority":
        assert theirs["minority"] == float(expected) == ours["minority"][i]
    elif stat.startswith("count of class"):
        value = float(stat.split()[-1])
        assert theirs[value] == int(expected)
        assert abs(ours["frac"][i][value] * count - int(expected)) <= boundary[i]
    elif stat.startswith("class") and stat.endswith("present"):
        value = float(stat.split()[1])
        assert value in theirs and value in ours["frac"][i]
    else:  # pragma: no cover - a new kind of published row must be handled here
        pytest.fail(f"unhandled published row {stat!r}")


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


def test_raster_in_lonlat_parcels_in_gauss_kruger(tmp_path: Path) -> None:
    """A geographic raster (VIIRS-style, 15″ cells) under GK parcels: the parcels are reprojected."""
    res = 15 / 3600
    west, north = 106.3, 39.1
    values = np.arange(12 * 16, dtype="float32").reshape(12, 16)
    path = _write(tmp_path / "ll.tif", values, from_origin(west, north, res, res), "EPSG:4490")
    # a cell-aligned rectangle in lon/lat, half of column 3 and all of 4: rows 2–3
    rect = shapely.box(west + 3.5 * res, north - 4 * res, west + 5 * res, north - 2 * res)
    gk = gpd.GeoSeries([rect], crs="EPSG:4490").to_crs("EPSG:4544").segmentize(5)
    out = zonal_stats(gpd.GeoDataFrame(geometry=gk), path, ("mean", "count"))
    rows = values[2:4]
    expected = (0.5 * rows[:, 3].sum() + rows[:, 4].sum()) / 3
    assert out["mean"][0] == pytest.approx(expected, rel=1e-4)
    assert out["count"][0] == pytest.approx(3.0, rel=1e-3)
    # arbitrary GK parcels: equal to the shapely reference in the raster's own grid
    x, y = gk.iloc[0].centroid.x, gk.iloc[0].centroid.y
    parcels = gpd.GeoSeries(
        [shapely.box(x, y, x + 180, y + 90), shapely.box(x - 300, y - 40, x - 250, y - 10)],
        crs="EPSG:4544",
    )
    means, counts = _shapely_weighted(path, parcels)
    out = zonal_stats(parcels, path, ("mean", "count"))
    # coverage fractions are single precision in exactextract: 1e-6 relative
    np.testing.assert_allclose(out["mean"], means, rtol=1e-6)
    np.testing.assert_allclose(out["count"], counts, rtol=1e-6)
    with rasterio.open(path) as ds:  # the raster itself is read as is, never resampled
        assert (ds.width, ds.height, ds.crs.to_epsg()) == (16, 12, 4490)


def test_dataset_mask_inside_a_larger_window(tmp_path: Path) -> None:
    """Cells under a per-dataset mask are nodata even when the read window is larger than
    the parcel (exactextract 0.3 drops a masked array's mask there)."""
    path = tmp_path / "m.tif"
    arr = np.arange(1, 17, dtype="float32").reshape(4, 4)
    with rasterio.open(
        path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
        crs="EPSG:4544", transform=from_origin(0, 4, 1, 1),
    ) as dst:  # fmt: skip
        dst.write(arr, 1)
        mask = np.full((4, 4), 255, dtype="uint8")
        mask[0, 0] = 0  # top-left cell (value 1) invalid
        dst.write_mask(mask)
    parcels = gpd.GeoDataFrame(
        geometry=[
            shapely.box(0.1, 3.1, 0.9, 3.9),  # inside the masked cell only
            shapely.box(0.5, 3.0, 1.5, 4.0),  # half masked cell, half cell value 2
            shapely.box(0.0, 2.0, 2.0, 4.0),  # cells 1 (masked), 2, 5, 6
        ],
        crs="EPSG:4544",
    )
    out = zonal_stats(parcels, path, ("mean", "count", "coverage_fraction"))
    assert out["count"].tolist() == pytest.approx([0.0, 0.5, 3.0])
    assert np.isnan(out["mean"][0]) and out["mean"][1] == 2.0
    assert out["mean"][2] == pytest.approx((2 + 5 + 6) / 3)
    assert out["coverage_fraction"].tolist() == pytest.approx([0.0, 0.5, 0.75])
    # the same with a nodata value the raster does not declare (rasterstats' nodata=)
    plain = _write(tmp_path / "p.tif", arr, from_origin(0, 4, 1, 1), "EPSG:4544")
    again = zonal_stats(parcels, plain, ("mean", "count"), nodata=1.0)
    assert again["count"].tolist() == pytest.approx([0.0, 0.5, 3.0])
    assert again["mean"][2] == pytest.approx(13 / 3)


def test_scaled_integer_raster(tmp_path: Path) -> None:
    """Integer cells with a scale factor (e.g. VIIRS radiance × 0.01) and a nodata value."""
    path = tmp_path / "s.tif"
    arr = np.array([[100, 250], [-1, 400]], dtype="int16")
    with rasterio.open(
        path, "w", driver="GTiff", width=2, height=2, count=1, dtype="int16",
        crs="EPSG:4544", transform=from_origin(0, 2, 1, 1), nodata=-1,
    ) as dst:  # fmt: skip
        dst.write(arr, 1)
        dst.scales = (0.01,)
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 2), shapely.box(0, 0, 1, 1)])
    parcels = parcels.set_crs("EPSG:4544")
    out = zonal_stats(parcels, path, ("mean", "count", "max"))
    assert out["mean"][0] == pytest.approx((1.0 + 2.5 + 4.0) / 3)
    assert out["max"][0] == pytest.approx(4.0) and out["count"][0] == pytest.approx(3.0)
    assert out["count"][1] == 0 and np.isnan(out["mean"][1])


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


_MEMORY_CHILD = """
import json, resource, sys
import geopandas as gpd, rasterio, shapely
from landclear.raster import zonal_stats
path, cells = sys.argv[1], int(sys.argv[2])
with rasterio.open(path) as ds:
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(*ds.bounds)], crs=ds.crs)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = zonal_stats(parcel, path, ("mean", "count"), max_cells_in_memory=cells)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"mean": float(out["mean"][0]), "count": float(out["count"][0]),
                  "delta_mb": (peak - base) / 1024}))
"""


def test_windowed_reads_keep_memory_below_the_raster_size(tmp_path: Path) -> None:
    """One parcel over a whole 6000 × 6000 float32 raster (144 MB decoded, ~1 MB on disk):
    with a 1e6-cell budget the extra peak memory stays under a third of the raster, so a
    raster larger than memory is read window by window."""
    import subprocess
    import sys

    from rasterio.windows import Window

    n = 6000
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "float32",
        "crs": "EPSG:4544", "transform": from_origin(500_000, 4_300_000, 10, 10),
        "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "DEFLATE",
        "predictor": 3, "nodata": -9999.0,
    }  # fmt: skip
    row = (np.arange(n) % 100).astype("float32")  # mean over whole rows: 49.5
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, n, 512):
            h = min(512, n - r0)
            dst.write(np.broadcast_to(row, (h, n)), 1, window=Window(0, r0, n, h))
    env = dict(os.environ, GDAL_CACHEMAX="16")
    res = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path), "1000000"],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["mean"] == pytest.approx(49.5) and got["count"] == pytest.approx(n * n)
    raster_mb = n * n * 4 / 2**20
    assert got["delta_mb"] < raster_mb / 3, got


def test_open_dataset_and_progress(grid3: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 3, 3)], crs="EPSG:4544")
    with rasterio.open(grid3) as ds:
        out = zonal_stats(parcels, ds, ("mean",), progress=True)
        assert not ds.closed
    assert out["mean"][0] == pytest.approx(5)
    bar = capsys.readouterr().err  # tqdm writes to stderr
    assert "zonal_stats" in bar and "100%" in bar
    zonal_stats(parcels, grid3, ("mean",))
    assert capsys.readouterr().err == ""  # no bar unless asked


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


def test_raster_evidence_band_by_name_scale_and_nodata(tmp_path: Path) -> None:
    """``{path, band, scale, nodata}`` entries: a named band of a multi-band stack."""
    bands = np.stack(
        [
            np.full((3, 3), 11.0, "float32"),
            np.array([[0.6, 0.2, 0.0], [0.6, 0.2, 0.0], [0.6, 0.2, 0.0]], "float32"),
        ]
    )
    path = _write(tmp_path / "stack.tif", bands, from_origin(0, 3, 1, 1), "EPSG:4544")
    with rasterio.open(path, "r+") as ds:
        ds.descriptions = ("B4", "NDVI")
    pct = _write(
        tmp_path / "pct.tif", np.array([[35.0, 255.0, 80.0]] * 3, "float32"),
        from_origin(0, 3, 1, 1), "EPSG:4544",
    )  # fmt: skip
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 3)], crs="EPSG:4544")
    ev = raster_evidence(
        parcels,
        {
            "ndvi": {"path": path, "band": "ndvi"},
            "red": {"path": path, "band": 1},
            "built_up": {"path": pct, "scale": 0.01, "nodata": 255},  # percent, 255 = no data
        },
    )
    assert ev["ndvi_mean"][0] == pytest.approx(0.4)
    assert ev["red_mean"][0] == pytest.approx(11.0)
    assert ev["built_up_frac"][0] == pytest.approx(0.35)  # the 255 column is ignored
    assert ev["built_up_frac_coverage"][0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="NIR"):
        raster_evidence(parcels, {"ndvi": {"path": path, "band": "NIR"}})
    with pytest.raises(ValueError, match="3"):
        raster_evidence(parcels, {"ndvi": {"path": path, "band": 3}})
    with pytest.raises(ValueError, match="scael"):
        raster_evidence(parcels, {"ndvi": {"path": path, "scael": 2}})


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


@pytest.fixture
def checkerboard() -> gpd.GeoDataFrame:
    """1,200 m × 1,200 m of 10 m parcels: grades A/C alternating, one 100 m block of B.

    The worst case for overviews: any averaging of codes 1 (A) and 3 (C) gives 2 (B).
    """
    xs, ys = np.meshgrid(np.arange(0, 1200, 10), np.arange(0, 1200, 10))
    x, y = xs.ravel() + 500_000.0, ys.ravel() + 4_300_000.0
    grade = np.where((xs.ravel() // 10 + ys.ravel() // 10) % 2 == 0, "A", "C")
    board = gpd.GeoDataFrame(
        {"grade": grade, "score": np.where(grade == "A", 0.0, 100.0)},
        geometry=shapely.box(x, y, x + 10, y + 10),
        crs="EPSG:4544",
    )
    block = gpd.GeoDataFrame(
        {"grade": ["B"], "score": [50.0]},
        geometry=[shapely.box(500_000, 4_301_100, 500_100, 4_301_200)],
        crs="EPSG:4544",
    )
    return pd.concat([board, block], ignore_index=True)


@pytest.mark.parametrize("column", ["grade", "score"])
def test_rasterized_column_is_a_valid_cog(
    tmp_path: Path, checkerboard: gpd.GeoDataFrame, column: str
) -> None:
    """Really a COG: rio-cogeo's validator (tiles, overviews, IFDs before the image data),
    GDAL's own LAYOUT=COG, and overviews that keep categories categories."""
    from rio_cogeo.cogeo import cog_info, cog_validate

    path = rasterize_column(checkerboard, column, tmp_path / f"{column}.tif", resolution=1)
    valid, errors, warnings = cog_validate(str(path), strict=True)
    assert valid and not errors and not warnings
    info = cog_info(str(path))
    assert info.COG and info.Tags["Image Structure"]["LAYOUT"] == "COG"
    assert (info.Profile.Tiled, info.Profile.Width, info.Profile.Height) == (True, 1200, 1200)
    # full resolution and two overviews, every one tiled 512 × 512
    assert [(d.Level, d.Width, d.Blocksize) for d in info.IFD] == [
        (0, 1200, (512, 512)),
        (1, 600, (512, 512)),
        (2, 300, (512, 512)),
    ]
    with rasterio.open(path) as ds:
        assert ds.overviews(1) == [2, 4]  # down to one 512² tile
        assert ds.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
        full = ds.read(1)
    for level in range(2):
        with rasterio.open(path, OVERVIEW_LEVEL=level) as ov:
            small = ov.read(1)
        if column == "grade":
            # mode resampling: the B block stays one block, A/C never average into B
            b_share = float((small == 2).mean())
            assert b_share == pytest.approx(float((full == 2).mean()), rel=0.05)
            assert set(np.unique(small)) == {1, 2, 3}
        else:  # average resampling stays within the data range (no cubic overshoot)
            assert small.min() >= 0.0 and small.max() <= 100.0


def test_rasterize_on_an_explicit_grid(tmp_path: Path) -> None:
    from affine import Affine

    parcels = gpd.GeoDataFrame(
        {"lists": [2, 0]},
        geometry=[shapely.box(500_002, 4_300_000, 500_028, 4_300_010), shapely.box(0, 0, 1, 1)],
        crs="EPSG:4544",
    )
    grid = Affine(10, 0, 500_000, 0, -10, 4_300_010)
    out = rasterize_column(parcels, "lists", tmp_path / "l.tif", transform=grid, shape=(1, 4))
    with rasterio.open(out) as ds:
        assert ds.transform == grid and ds.shape == (1, 4) and ds.crs.to_epsg() == 4544
        values = ds.read(1)
    # cell centres at 5, 15, 25, 35 m: the first three inside; the far parcel is off-grid
    assert values[0, :3].tolist() == [2.0, 2.0, 2.0] and np.isnan(values[0, 3])
    with pytest.raises(ValueError, match="transform"):
        rasterize_column(parcels, "lists", tmp_path / "x.tif", transform=grid)
    with pytest.raises(ValueError, match="exactly one"):
        rasterize_column(parcels, "lists", tmp_path / "x.tif", resolution=10, like=out)


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


def test_overlay_png_band_by_name_and_extra_nodata(tmp_path: Path) -> None:
    bands = np.stack(
        [np.full((2, 2), 5.0, "float32"), np.array([[1.0, 2.0], [3.0, 255.0]], "float32")]
    )
    path = _write(tmp_path / "s.tif", bands, from_origin(500_000, 4_330_000, 100, 100), "EPSG:4544")
    with rasterio.open(path, "r+") as ds:
        ds.descriptions = ("B4", "NDVI")
    png, _ = raster_overlay_png(path, band="ndvi", nodata=255, max_size=64)
    alpha = np.asarray(Image.open(io.BytesIO(png)))[..., 3]
    assert alpha[-1, -1] == 0 and alpha[0, 0] == 255  # 255 is transparent, as nodata
    with pytest.raises(ValueError, match="NIR"):
        raster_overlay_png(path, band="NIR")


def raster_table_project(tmp_path: Path) -> Path:
    """The sample project with ``built_up = { path = "built_up.tif", band = 1 }``."""
    return sample_project(
        tmp_path,
        replace={'built_up = "built_up.tif"': 'built_up = { path = "built_up.tif", band = 1 }'},
    )


def test_project_raster_table_end_to_end(tmp_path: Path, sample_result) -> None:
    """``[inputs.rasters] built_up = {path, band}``: evidence, map overlay and history as with a path."""
    from landclear.analysis import run
    from landclear.history import input_hashes

    project = raster_table_project(tmp_path)
    result = run(project)
    entry = result.project.rasters["built_up"]
    assert entry["band"] == 1 and entry["path"].name == "built_up.tif"
    got = result.parcels.set_index("parcel_id")
    want = sample_result.parcels.set_index("parcel_id").loc[got.index]
    for column in ("built_up_frac", "built_up_frac_coverage"):
        np.testing.assert_allclose(got[column].to_numpy(), want[column].to_numpy(), rtol=1e-12)
    assert got["suspected_idle"].tolist() == want["suspected_idle"].tolist()
    assert got["suspected_idle"].sum() == 25
    ((title, png, bounds),) = result.extras["raster_overlays"]
    assert title == "遥感建成覆盖率" and png.startswith(b"\x89PNG")
    assert (png, bounds) == sample_result.extras["raster_overlays"][0][1:]
    assert "raster:built_up" in {row["input"] for row in input_hashes(result.project)}
