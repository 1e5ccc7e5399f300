"""Tests of landclear.geo against published vectors and pyproj.Geod.

Reference values come from other projects' test suites (tests/data/coord_transform,
see SOURCE.md there) and from pyproj's geodesic area (GeographicLib), never from
landclear itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon

from landclear import geo
from landclear.errors import CRSError

DATA = Path(__file__).parent / "data" / "coord_transform"
GEOD = pyproj.Geod(ellps="GRS80")
WGS84_GEOD = pyproj.Geod(ellps="WGS84")

FUNCS = {
    ("WGS84", "GCJ02"): geo.wgs84_to_gcj02,
    ("GCJ02", "WGS84"): geo.gcj02_to_wgs84,
    ("GCJ02", "BD09"): geo.gcj02_to_bd09,
    ("BD09", "GCJ02"): geo.bd09_to_gcj02,
    ("WGS84", "BD09"): geo.wgs84_to_bd09,
    ("BD09", "WGS84"): geo.bd09_to_wgs84,
}

# Gcoord's Shizuishan/大武口区 fixture (china-cities.json), also in coord_vectors.csv.
SZS_WGS = (106.3785968, 38.9823974)
SZS_GCJ = (106.3833067, 38.9832384)
SZS_BD = (106.3899075, 38.9889187)


def _vectors() -> pd.DataFrame:
    df = pd.read_csv(DATA / "coord_vectors.csv", dtype={"tolerance_deg_if_stated": str})
    df["note"] = df["note"].fillna("")
    # Rows whose expected value comes from the one-step approximate inverse 2g − f(g):
    # our inverse is exact, so they are checked separately (test_one_step_rows).
    df["approx"] = df["note"].str.contains("approximate inverse|NOT exact", regex=True)
    return df


VECTORS = _vectors()
GROUPS = sorted(
    {(r.source_lib, r.from_crs, r.to_crs) for r in VECTORS.itertuples() if not r.approx}
)


def _distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return WGS84_GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("lib", "src", "dst"), GROUPS)
def test_published_vectors(lib: str, src: str, dst: str) -> None:
    rows = VECTORS[
        (VECTORS.source_lib == lib)
        & (VECTORS.from_crs == src)
        & (VECTORS.to_crs == dst)
        & ~VECTORS.approx
    ]
    lon, lat = FUNCS[(src, dst)](rows.lon_in.to_numpy(), rows.lat_in.to_numpy())
    err = np.maximum(np.abs(lon - rows.lon_out.to_numpy()), np.abs(lat - rows.lat_out.to_numpy()))
    tol_deg = pd.to_numeric(rows.tolerance_deg_if_stated, errors="coerce").to_numpy()
    tol_m = rows.tolerance_m_if_stated.to_numpy(dtype=float)
    dist = _distance_m(lon, lat, rows.lon_out.to_numpy(), rows.lat_out.to_numpy())
    # No stated tolerance (printed values): 1e-9° ≈ 0.1 mm.
    ok = np.where(
        ~np.isnan(tol_deg), err <= tol_deg, np.where(~np.isnan(tol_m), dist < tol_m, err <= 1e-9)
    )
    bad = rows.assign(got_lon=lon, got_lat=lat, err=err)[~ok]
    assert ok.all(), bad[["lon_in", "lat_in", "lon_out", "lat_out", "got_lon", "got_lat", "err"]]
    assert len(rows) > 0


def test_vector_file_is_covered() -> None:
    # Every row is in a direction we implement, and is checked either by
    # test_published_vectors (2,014 rows) or by test_one_step_rows (6 rows).
    assert set(zip(VECTORS.from_crs, VECTORS.to_crs, strict=True)) <= set(FUNCS)
    assert len(VECTORS) == 2020
    assert VECTORS.approx.sum() == 6
    assert (~VECTORS.approx).sum() == 2014


def test_one_step_rows() -> None:
    """Rows from one-step inverses: within their 5 m bound of our exact inverse,
    and (where the row lists the one-step output) exactly what the one-step
    formula gives with our forward transform, which pins our forward to theirs."""
    rows = VECTORS[VECTORS.approx]
    assert len(rows) >= 6
    for r in rows.itertuples():
        lon, lat = FUNCS[(r.from_crs, r.to_crs)](r.lon_in, r.lat_in)
        assert _distance_m(lon, lat, r.lon_out, r.lat_out) < 5.0
        if not np.isnan(r.tolerance_m_if_stated):
            continue  # eviltransform lists the true WGS point, asserted to 5 m only
        if r.from_crs == "GCJ02":
            g_lon, g_lat = r.lon_in, r.lat_in
        else:
            g_lon, g_lat = geo.bd09_to_gcj02(r.lon_in, r.lat_in)
        f_lon, f_lat = geo.wgs84_to_gcj02(g_lon, g_lat)
        one_lon, one_lat = 2 * g_lon - f_lon, 2 * g_lat - f_lat
        tol = float(r.tolerance_deg_if_stated) if isinstance(r.tolerance_deg_if_stated, str) else 0
        assert abs(one_lon - r.lon_out) <= max(tol, 1e-9)
        assert abs(one_lat - r.lat_out) <= max(tol, 1e-9)
        # ...while our exact inverse maps forward onto the input, which theirs does not.
        back = geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(g_lon, g_lat))
        assert max(abs(back[0] - g_lon), abs(back[1] - g_lat)) < 1e-10


def test_vectors_are_the_vendored_sources_only() -> None:
    """Every vendored row comes from a source SOURCE.md lists; asesgeo (GPL) is not vendored."""
    listed = (DATA / "SOURCE.md").read_text("utf-8").split("| source_lib |", 1)[1]
    libs = {
        lib.strip()
        for line in listed.splitlines()[2:]
        if line.startswith("|")
        for lib in line.split("|")[1].split(",")
    }
    assert set(VECTORS.source_lib) == libs
    assert not VECTORS.source_lib.str.contains("asesgeo").any()


def test_no_test_reads_outside_the_clone() -> None:
    """A test reading a folder beside the clone would be defined or skipped only there."""
    word = "sha" + "red"  # spelt apart so that this file does not find itself
    names = (f'"{word}"', f"'{word}'", f"../{word}")
    root = Path(__file__).parent
    found = [
        str(f.relative_to(root))
        for f in sorted(root.rglob("*.py"))
        if any(n in f.read_text("utf-8") for n in names)
    ]
    assert found == []


def test_domain_published_vectors() -> None:
    assert geo.wgs84_to_gcj02(121.5272106, 31.1774276) == pytest.approx(
        (121.531541859215, 31.17530398364597), abs=1e-12
    )
    assert geo.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


def test_inverse_is_exact_to_1e7_degrees() -> None:
    lon, lat = geo.gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert abs(lon - 116.404) < 1e-7 and abs(lat - 39.915) < 1e-7
    g = np.array([[121.531541859215, 31.17530398364597], [113.9171764808363, 22.540796131694766]])
    w = np.array([[121.5272106, 31.1774276], [113.912316, 22.543847]])
    lon, lat = geo.gcj02_to_wgs84(g[:, 0], g[:, 1])
    assert np.abs(np.column_stack([lon, lat]) - w).max() < 1e-7


def test_outside_china_identity_and_nan() -> None:
    lon = np.array([-104.9903, 153.0251, 183.0, 0.0, 72.0, 138.0, 100.0, 100.0])
    lat = np.array([39.7392, -27.4698, 45.0, 0.0, 30.0, 30.0, 0.5, 56.0])
    for f in FUNCS.values():
        out_lon, out_lat = f(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
    out = geo.wgs84_to_gcj02(np.array([np.nan, 106.0]), np.array([39.0, np.nan]))
    assert np.isnan(out[0]).all() and np.isnan(out[1]).all()
    assert np.isnan(geo.gcj02_to_wgs84(np.nan, 39.0)[0])


def test_scalar_and_array_shapes() -> None:
    assert isinstance(geo.wgs84_to_gcj02(106.0, 39.0)[0], float)
    lon, lat = geo.wgs84_to_gcj02(np.full((2, 3), 106.0), 39.0)
    assert lon.shape == lat.shape == (2, 3)
    lon, lat = geo.bd09_to_wgs84([106.0, 107.0], [39.0, 39.0])
    assert lon.shape == (2,)


def test_gaode_shift_near_shizuishan() -> None:
    """DOMAIN §3: Gaode tiles are ≈ 400 m east and 60–90 m north of CGCS2000 here."""
    seats = {  # district seats: 大武口区, 惠农区, 平罗县, and the city centre
        "大武口": (106.38, 39.01),
        "惠农": (106.78, 39.24),
        "平罗": (106.54, 38.91),
        "centre": (106.47, 38.995),
    }
    for name, (lon, lat) in seats.items():
        g_lon, g_lat = geo.wgs84_to_gcj02(lon, lat)
        east = WGS84_GEOD.inv(lon, lat, g_lon, lat)[2] * np.sign(g_lon - lon)
        north = WGS84_GEOD.inv(lon, lat, lon, g_lat)[2] * np.sign(g_lat - lat)
        assert 375 < east < 430, name
        assert 50 < north < 100, name
        if name == "centre":
            assert 390 < east < 410 and 60 < north < 90


@settings(max_examples=300, deadline=None)
@given(
    st.floats(72.1, 137.7, allow_nan=False),
    st.floats(0.9, 55.7, allow_nan=False),
)
def test_round_trip_property(lon: float, lat: float) -> None:
    g_lon, g_lat = geo.wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = geo.gcj02_to_wgs84(g_lon, g_lat)
    assert abs(w_lon - lon) < 1e-7 and abs(w_lat - lat) < 1e-7
    # BD-09 uses the common approximate inverse: ~1e-6° (≈ 0.2 m), well under 1e-5°.
    b_lon, b_lat = geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lon, lat))
    assert abs(b_lon - lon) < 1e-5 and abs(b_lat - lat) < 1e-5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(73, 135), st.floats(18, 53)), min_size=1, max_size=50))
def test_round_trip_vectorised_property(points: list[tuple[float, float]]) -> None:
    lon, lat = np.array(points).T
    w_lon, w_lat = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lon, lat))
    assert np.abs(w_lon - lon).max() < 1e-6 and np.abs(w_lat - lat).max() < 1e-6


# ---------------------------------------------------------------- geometries


def _parcels_lonlat() -> gpd.GeoDataFrame:
    """Parcels in Shizuishan (CGCS2000 lon/lat): plain, irregular, multi with holes,
    and one straddling the 106.5°E zone boundary."""
    box = shapely.box(106.40, 39.00, 106.403, 39.002)
    irregular = Polygon(
        [
            (106.55, 38.95),
            (106.556, 38.951),
            (106.557, 38.955),
            (106.551, 38.956),
            (106.549, 38.953),
        ]
    )
    outer = shapely.box(106.70, 39.20, 106.71, 39.206)
    hole1 = shapely.box(106.702, 39.201, 106.704, 39.203)
    hole2 = shapely.box(106.706, 39.202, 106.708, 39.205)
    with_holes = Polygon(outer.exterior.coords, [hole1.exterior.coords, hole2.exterior.coords])
    multi = MultiPolygon([with_holes, shapely.box(106.72, 39.21, 106.722, 39.212)])
    straddle = shapely.box(106.497, 38.90, 106.503, 38.904)
    return gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c", "d"]},
        geometry=[box, irregular, multi, straddle],
        crs=4490,
        index=[10, 11, 12, 13],
    )


def _geod_mu(geoms: gpd.GeoSeries) -> np.ndarray:
    # Geod needs holes oriented against their shell (pyproj docs).
    lonlat = shapely.orient_polygons(np.asarray(geoms.to_crs(4490).array))
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in lonlat]) / geo.MU_M2


def test_mu_constant() -> None:
    assert geo.MU_M2 * 15 == 10000
    assert abs(geo.MU_M2 - 666.6666666666666) < 1e-12


@pytest.mark.parametrize("epsg", [4490, 4544, 4545, 4523, 4524, 4326])
def test_area_matches_geod_in_every_crs(epsg: int) -> None:
    gdf = _parcels_lonlat().to_crs(epsg)
    got = geo.area_mu(gdf)
    want = _geod_mu(gdf.geometry)
    assert got.name == "area_mu"
    assert list(got.index) == [10, 11, 12, 13]
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-4)
    assert np.abs(got.to_numpy() / want - 1).max() < 1e-6  # in practice far inside 0.01 %
    # Plausible sizes: the 0.003° × 0.002° box is ~260 m × 222 m ≈ 86 mu.
    assert 80 < got.loc[10] < 95


def test_planar_gk_area_is_off_but_area_mu_is_not() -> None:
    """A 1 ha square on the EPSG:4544 grid is 15 mu divided by the GK areal scale,
    which pyproj.Proj.get_factors computes independently."""
    x0, y0 = 590_000.0, 4_318_000.0
    sq = gpd.GeoSeries([shapely.box(x0, y0, x0 + 100, y0 + 100)], crs=4544)
    lon, lat = pyproj.Transformer.from_crs(4544, 4490, always_xy=True).transform(x0 + 50, y0 + 50)
    scale = pyproj.Proj(pyproj.CRS.from_epsg(4544)).get_factors(lon, lat).areal_scale
    assert scale > 1.0001  # planar GK area here is ~0.02 % high
    assert geo.area_mu(sq).iloc[0] == pytest.approx(15 / scale, rel=1e-7)


def test_multipolygon_hole_area() -> None:
    gdf = _parcels_lonlat()
    multi = gdf.geometry.loc[12]
    parts = [
        abs(GEOD.geometry_area_perimeter(shapely.box(106.70, 39.20, 106.71, 39.206))[0]),
        -abs(GEOD.geometry_area_perimeter(shapely.box(106.702, 39.201, 106.704, 39.203))[0]),
        -abs(GEOD.geometry_area_perimeter(shapely.box(106.706, 39.202, 106.708, 39.205))[0]),
        abs(GEOD.geometry_area_perimeter(shapely.box(106.72, 39.21, 106.722, 39.212))[0]),
    ]
    assert geo.area_mu(gpd.GeoSeries([multi], crs=4490)).iloc[0] == pytest.approx(
        sum(parts) / geo.MU_M2, rel=1e-6
    )


@pytest.mark.parametrize(
    "box", [(104.2, 35.2, 107.7, 39.4), (75.0, 18.0, 134.0, 53.0)], ids=["ningxia", "china"]
)
def test_area_over_large_spread(box: tuple[float, float, float, float]) -> None:
    rng = np.random.default_rng(42)
    n = 200
    x = rng.uniform(box[0], box[2], n)
    y = rng.uniform(box[1], box[3], n)
    w = rng.uniform(0.001, 0.02, n)
    h = rng.uniform(0.001, 0.02, n)
    gdf = gpd.GeoDataFrame(geometry=shapely.box(x, y, x + w, y + h), crs=4490)
    got = geo.area_mu(gdf).to_numpy()
    want = _geod_mu(gdf.geometry)
    assert np.abs(got / want - 1).max() < 1e-4
    # Also when the same spread arrives in a GK zone (data far outside the zone still
    # reprojects exactly; only the planar GK area would be wrong).
    got_gk = geo.area_mu(gdf.to_crs(4544)).to_numpy()
    assert np.abs(got_gk / want - 1).max() < 1e-4


def test_area_of_real_boundaries() -> None:
    """Whole districts (tens of km per edge) still agree with Geod (MIT AMap outlines)."""
    path = Path(__file__).resolve().parent / "data" / "shapefile_encoding" / "amap_shp_garybikini"
    gdf = gpd.read_file(path / "石嘴山市_districts.shp", encoding="utf-8").set_crs(4490)
    got = geo.area_mu(gdf).to_numpy()
    want = _geod_mu(gdf.geometry)
    assert np.abs(got / want - 1).max() < 1e-5
    # 大武口区 ~ 950 km², 惠农区 ~ 1,250 km², 平罗县 ~ 2,060 km² (1 km² = 1,500 mu)
    assert len(got) == 3 and (got > 1.0e6).all() and got.sum() == pytest.approx(6.4e6, rel=0.1)


def test_area_null_empty_point_and_no_crs() -> None:
    s = gpd.GeoSeries(
        [None, Polygon(), Point(106.4, 39.0), shapely.box(106.4, 39.0, 106.401, 39.001)],
        crs=4490,
    )
    got = geo.area_mu(s)
    assert np.isnan(got.iloc[0]) and np.isnan(got.iloc[1])
    assert got.iloc[2] == 0
    assert got.iloc[3] == pytest.approx(_geod_mu(s.iloc[[3]])[0], rel=1e-6)
    with pytest.raises(CRSError, match="坐标系"):
        geo.area_mu(gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))
    assert geo.area_mu(gpd.GeoSeries([None], crs=4490)).isna().all()


def test_area_keeps_custom_geometry_column() -> None:
    gdf = _parcels_lonlat().rename_geometry("shape")
    assert geo.area_mu(gdf).to_numpy() == pytest.approx(_geod_mu(gdf.geometry), rel=1e-6)


def test_equal_area_crs_centre() -> None:
    gdf = _parcels_lonlat().to_crs(4545)
    crs = geo.equal_area_crs(gdf)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert crs.coordinate_operation.method_name == "Lambert Azimuthal Equal Area"
    assert params["Longitude of natural origin"] == pytest.approx((106.40 + 106.722) / 2, abs=1e-3)
    assert params["Latitude of natural origin"] == pytest.approx((38.90 + 39.212) / 2, abs=1e-3)
    # CGCS2000's ellipsoid is GRS80 up to a 1e-10 difference in flattening.
    assert crs.ellipsoid.semi_major_metre == 6378137.0
    assert crs.ellipsoid.inverse_flattening == pytest.approx(298.257222101, rel=1e-9)


@pytest.mark.parametrize(
    ("lon", "plain", "prefixed", "cm"),
    [
        (105.0, 4544, 4523, 105),
        (108.0, 4545, 4524, 108),
        (106.49, 4544, 4523, 105),
        (106.5, 4545, 4524, 108),
        (75.0, 4534, 4513, 75),
        (73.0, 4534, 4513, 75),
        (135.0, 4554, 4533, 135),
        (137.8, 4554, 4533, 135),
        (116.4, 4548, 4527, 117),
    ],
)
def test_gk_zone_epsg(lon: float, plain: int, prefixed: int, cm: int) -> None:
    assert geo.gk_zone_epsg(lon) == plain
    assert geo.gk_zone_epsg(lon, with_zone_prefix=True) == prefixed
    for code, fe in ((plain, 500_000), (prefixed, (cm // 3) * 1_000_000 + 500_000)):
        params = {p.name: p.value for p in pyproj.CRS.from_epsg(code).coordinate_operation.params}
        assert params["Longitude of natural origin"] == cm
        assert params["False easting"] == fe


def test_gk_zone_every_code_matches_pyproj() -> None:
    for cm in range(75, 136, 3):
        for lon in (cm - 1.49, cm, cm + 1.49):
            for prefix in (False, True):
                crs = pyproj.CRS.from_epsg(geo.gk_zone_epsg(lon, with_zone_prefix=prefix))
                assert "CGCS2000" in crs.name
                cm_got = {p.name: p.value for p in crs.coordinate_operation.params}[
                    "Longitude of natural origin"
                ]
                assert cm_got == cm
    for bad in (60.0, 140.0, math.nan):
        with pytest.raises(ValueError):
            geo.gk_zone_epsg(bad)


def test_local_metric_crs() -> None:
    west = gpd.GeoSeries([Point(106.3, 39.0)], crs=4490)
    east = gpd.GeoSeries([Point(106.7, 39.0)], crs=4490).to_crs(4544)
    assert geo.local_metric_crs(west).to_epsg() == 4544
    assert geo.local_metric_crs(east).to_epsg() == 4545
    with pytest.raises(CRSError):
        geo.local_metric_crs(gpd.GeoSeries([Point(1, 1)]))


def test_transform_geoseries_keeps_structure_z_and_nulls() -> None:
    poly = _parcels_lonlat().geometry.loc[12]
    s = gpd.GeoSeries(
        [poly, None, Point(106.4, 39.0, 1234.5)], index=["p", "n", "z"], crs=4490, name="g"
    )
    out = geo.transform_geoseries(s, geo.wgs84_to_gcj02)
    assert list(out.index) == ["p", "n", "z"] and out.name == "g" and out.crs == s.crs
    assert out.iloc[1] is None
    assert out.iloc[2].has_z and out.iloc[2].z == 1234.5
    assert shapely.get_num_interior_rings(out.iloc[0].geoms[0]) == 2
    before = shapely.get_coordinates(poly)
    after = shapely.get_coordinates(out.iloc[0])
    want = np.column_stack(geo.wgs84_to_gcj02(before[:, 0], before[:, 1]))
    np.testing.assert_array_equal(after, want)


def test_to_gcj02_hits_published_fixture() -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["gov"]}, geometry=[Point(*SZS_WGS)], crs=4490, index=[7]
    ).to_crs(4544)
    out = geo.to_gcj02(gdf)
    assert out.crs.to_epsg() == 4326
    assert out.attrs["datum"] == "GCJ-02"
    assert list(out.columns) == ["name", "geometry"] and list(out.index) == [7]
    assert out.geometry.x.iloc[0] == pytest.approx(SZS_GCJ[0], abs=5e-5)
    assert out.geometry.y.iloc[0] == pytest.approx(SZS_GCJ[1], abs=5e-5)
    assert gdf.crs.to_epsg() == 4544  # input untouched
    with pytest.raises(CRSError):
        geo.to_gcj02(gpd.GeoSeries([Point(106, 39)]))


def test_from_declared_crs_web_datums() -> None:
    gcj = gpd.GeoDataFrame({"k": [1]}, geometry=[Point(*SZS_GCJ)], crs=4326)
    out = geo.from_declared_crs(gcj, "GCJ-02")
    assert out.crs.to_epsg() == 4490
    assert (out.geometry.x.iloc[0], out.geometry.y.iloc[0]) == pytest.approx(SZS_WGS, abs=5e-5)
    bd = gpd.GeoSeries([Point(*SZS_BD)])
    out = geo.from_declared_crs(bd, "bd09")
    assert out.crs.to_epsg() == 4490
    assert (out.x.iloc[0], out.y.iloc[0]) == pytest.approx(SZS_WGS, abs=5e-5)
    for spelling in ("gcj02", " GCJ-02 ", "Gcj_02"):
        assert geo.from_declared_crs(gcj, spelling).crs.to_epsg() == 4490
    metres = gpd.GeoSeries([Point(590000, 4318000)], crs=4544)
    with pytest.raises(CRSError, match="经纬度"):
        geo.from_declared_crs(metres, "GCJ-02")


def test_from_declared_crs_plain_labels() -> None:
    s = gpd.GeoSeries([Point(590000, 4318000)], crs=4545)
    assert geo.from_declared_crs(s, "EPSG:4544").crs.to_epsg() == 4544
    assert geo.from_declared_crs(s, "EPSG:4544").x.iloc[0] == 590000  # label only
    ll = gpd.GeoSeries([Point(106.4, 39.0)])
    assert geo.from_declared_crs(ll, "CGCS2000").crs.to_epsg() == 4490
    assert geo.from_declared_crs(ll, "wgs84").crs.to_epsg() == 4326
    with pytest.raises(CRSError, match="无法识别"):
        geo.from_declared_crs(ll, "EPSG:99999999")


def test_looks_like_lonlat_in_china() -> None:
    assert geo.looks_like_lonlat_in_china(_parcels_lonlat())
    assert not geo.looks_like_lonlat_in_china(_parcels_lonlat().to_crs(4544))
    assert not geo.looks_like_lonlat_in_china(gpd.GeoSeries([Point(-104.99, 39.74)]))
    assert not geo.looks_like_lonlat_in_china(gpd.GeoSeries([], crs=4490))


def test_check_plausible() -> None:
    parcels = _parcels_lonlat()
    gk = parcels.to_crs(4544)
    assert geo.check_plausible(gk, geo.SHIZUISHAN_BOUNDS) is None
    assert geo.check_plausible(parcels, geo.SHIZUISHAN_BOUNDS) is None
    assert geo.check_plausible(parcels.to_crs(4524)) is None

    # Eastings of zone 36 (CM 108°E) labelled as zone CM 105°E.
    wrong = parcels.to_crs(4545).set_crs(4544, allow_override=True)
    msg = geo.check_plausible(wrong, geo.SHIZUISHAN_BOUNDS)
    assert msg is not None and "EPSG:4545" in msg and "研究区" in msg

    prefixed = parcels.to_crs(4523).set_crs(4544, allow_override=True)
    assert "EPSG:4523" in geo.check_plausible(prefixed)
    unprefixed = gk.set_crs(4523, allow_override=True)
    assert "EPSG:4544" in geo.check_plausible(unprefixed)
    other_zone = parcels.to_crs(4524).set_crs(4523, allow_override=True)
    assert "带号" in geo.check_plausible(other_zone)

    far = gpd.GeoSeries([Point(900_000, 4_318_000)], crs=4544)
    assert "300 km" in geo.check_plausible(far)
    degrees_label = gk.set_crs(4490, allow_override=True)
    assert "投影坐标" in geo.check_plausible(degrees_label)
    swapped = gpd.GeoSeries([Point(39.0, 106.4)], crs=4490)
    assert "颠倒" in geo.check_plausible(swapped)
    assert "中国" in geo.check_plausible(gpd.GeoSeries([Point(-104.99, 39.74)], crs=4326))
    assert "坐标系" in geo.check_plausible(gpd.GeoSeries([Point(1, 1)]))


def test_project_geometries_equals_to_crs() -> None:
    rng = np.random.default_rng(5)
    lon, lat = 106.3 + rng.random(200) * 0.5, 38.9 + rng.random(200) * 0.3
    geoms = np.array(
        [shapely.box(x, y, x + 0.001, y + 0.002) for x, y in zip(lon, lat, strict=True)]
        + [None, Polygon(), Point(106.5, 39.0)],
        dtype=object,
    )
    want = gpd.GeoSeries(geoms, crs=4490).to_crs(4544)
    got = geo.project_geometries(geoms, "EPSG:4490", "EPSG:4544")
    assert shapely.equals_exact(got, np.asarray(want.array), 0)[:-3].all()
    assert got[-3] is None and got[-2].is_empty and got[-1].equals_exact(want.iloc[-1], 0)
    assert got[0] is not geoms[0] and geoms[0].bounds[0] < 180  # the input is untouched
    z = np.array([Point(106.5, 39.0, 12.0)])
    assert geo.project_geometries(z, 4490, 4544)[0].z == 12.0
