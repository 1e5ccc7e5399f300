"""建筑系数 / 容积率 (DOMAIN §5.6) on squares with known overlapping buildings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely import box

from landclear.errors import CRSError
from landclear.rules.intensity import MIN_PLOT_RATIO, building_intensity

# A point in 大武口区 (106.38E, 39.0N) in CGCS2000 GK zone CM 108E (EPSG:4545),
# ~137 km off the central meridian, where GK planar area is ~0.05 % high.
X0, Y0 = 359600.0, 4319700.0
GEOD = pyproj.Geod(ellps="GRS80")
TO_LONLAT = pyproj.Transformer.from_crs(4545, 4490, always_xy=True)


def geodesic_area(geom) -> float:
    """Ellipsoidal area (m²) of a GK-zone polygon, independent of the module."""
    lonlat = shapely.transform(geom, TO_LONLAT.transform, interleaved=False)
    return abs(GEOD.geometry_area_perimeter(lonlat)[0])


def sq(x, y, w, h):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


@pytest.fixture
def layers():
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "industry_code": ["C3311", "C2614", "C1310"],
            "floor_area": [np.nan, np.nan, 7000.0],
        },
        geometry=[sq(0, 0, 100, 100), sq(100, 0, 100, 100), sq(0, 200, 100, 100)],
        crs="EPSG:4545",
        index=[10, 20, 30],
    )
    buildings = gpd.GeoDataFrame(
        {
            "floors": [2.0, 3.0, 1.0, 2.0, np.nan, np.nan],
            "floor_area": [np.nan, np.nan, np.nan, np.nan, 5000.0, np.nan],
        },
        geometry=[
            sq(0, 0, 40, 50),  # b1, 2 storeys
            sq(20, 0, 40, 50),  # b2 overlaps b1 by 20 × 50, 3 storeys
            sq(80, 80, 40, 20),  # b3 straddles P1 | P2, 20 × 20 in each
            sq(0, 0, 40, 50),  # b4 = b1 drawn twice: dropped
            sq(140, 20, 50, 50),  # b5 in P2, whole floor_area 5000 m²
            sq(10, 210, 50, 40),  # b6 in P3, storeys unknown
        ],
        crs="EPSG:4545",
    )
    return parcels, buildings


def test_footprint_counts_overlaps_once(layers):
    parcels, buildings = layers
    out = building_intensity(parcels, buildings)
    assert out.index.tolist() == [10, 20, 30]
    # Union in P1: 60 × 50 (b1 ∪ b2) + 20 × 20 (half of b3) = 3400 planar m².
    expected_p1 = geodesic_area(sq(0, 0, 60, 50)) + geodesic_area(sq(80, 80, 20, 20))
    assert out.at[10, "footprint_m2"] == pytest.approx(expected_p1, rel=1e-6)
    assert out.at[10, "area_m2"] == pytest.approx(geodesic_area(sq(0, 0, 100, 100)), rel=1e-6)
    # Scale is uniform over 100 m, so ratios equal the planar ratios.
    assert out.at[10, "building_coverage"] == pytest.approx(3400 / 10000, rel=1e-6)
    assert out.at[20, "building_coverage"] == pytest.approx((400 + 2500) / 10000, rel=1e-6)
    assert out.at[30, "building_coverage"] == pytest.approx(2000 / 10000, rel=1e-6)
    # The planar GK area would be ~0.05 % off: make sure we did not use it.
    assert abs(out.at[10, "area_m2"] - 10000.0) > 2.0


def test_plot_ratio_from_buildings_and_fallback(layers):
    parcels, buildings = layers
    out = building_intensity(parcels, buildings)
    # P1: b1 2000·2 + b2 2000·3 + b3 400·1 = 10400 → 1.04 (b4 duplicate dropped)
    assert out.at[10, "plot_ratio"] == pytest.approx(1.04, rel=1e-6)
    # P2: b3 ≈400·1 (measured) + b5 5000 (recorded, whole building inside) ≈ 5400 → ≈0.54
    area2 = geodesic_area(sq(100, 0, 100, 100))
    expected_p2 = (geodesic_area(sq(100, 80, 20, 20)) + 5000.0) / area2
    assert out.at[20, "plot_ratio"] == pytest.approx(expected_p2, rel=1e-6)
    # P3: b6 has no storeys → parcel attribute 7000 m² / ellipsoidal area
    area3 = geodesic_area(sq(0, 200, 100, 100))
    assert out.at[30, "plot_ratio"] == pytest.approx(7000 / area3, rel=1e-6)
    assert out["intensity_source"].tolist() == ["buildings"] * 3
    # P1: coverage .34 ≥ .3, plot 1.04 ≥ 0.7 (division 33) → ok
    # P2: coverage .29 < .3 → not ok; P3: coverage .2 < .3 → not ok
    assert out["intensity_ok"].tolist() == [True, False, False]
    assert out["min_plot_ratio"].tolist() == [0.7, 0.6, 1.0]
    assert out.at[20, "intensity_reason"].startswith("不达标:建筑系数 29.0% < 30%")


def test_duplicates_kept_when_dedupe_off(layers):
    parcels, buildings = layers
    out = building_intensity(parcels, buildings, {"dedupe_buildings": False})
    # b4 adds another 2000·2 of floor area, but no footprint (overlap counts once).
    assert out.at[10, "plot_ratio"] == pytest.approx(1.44, rel=1e-6)
    assert out.at[10, "building_coverage"] == pytest.approx(0.34, rel=1e-6)


def test_buildings_in_another_crs(layers):
    parcels, buildings = layers
    a = building_intensity(parcels, buildings)
    b = building_intensity(parcels, buildings.to_crs(4490))
    np.testing.assert_allclose(a["footprint_m2"], b["footprint_m2"], rtol=1e-7)


def test_attributes_without_buildings_layer():
    parcels = gpd.GeoDataFrame(
        {
            "area_mu": [15.0, 7.5, 15.0, 15.0, 0.0],
            "footprint_area": [3000.0, 1000.0, np.nan, 4000.0, 100.0],
            "floor_area": [7000.0, 2500.0, np.nan, 2000.0, 100.0],
            "industry_code": ["C3311", "C2511", "C3311", "C3311", "C3311"],
        },
        geometry=[sq(0, 0, 100, 100)] * 5,
        crs="EPSG:4545",
    )
    out = building_intensity(parcels, None)
    # 15 mu = 10000 m² exactly; 7.5 mu = 5000 m²
    assert out["area_m2"].tolist()[:4] == pytest.approx([10000.0, 5000.0, 10000.0, 10000.0])
    # exactly 30 % and exactly 0.7 are compliant (≥)
    assert out.at[0, "building_coverage"] == pytest.approx(0.30, abs=1e-12)
    assert out.at[1, "plot_ratio"] == pytest.approx(0.5, abs=1e-12)
    # row 0 ok; row 1: cov .2 fails; row 2 nothing known → <NA>;
    # row 3: cov .4 ok but plot .2 < .7 fails; row 4: zero area → NaN ratios → <NA>
    assert out["intensity_ok"].tolist() == [True, False, pd.NA, False, pd.NA]
    assert np.isnan(out.at[2, "building_coverage"]) and np.isnan(out.at[2, "plot_ratio"])
    assert np.isnan(out.at[4, "building_coverage"])
    assert out.at[2, "intensity_reason"].startswith("无法判定")
    assert "容积率 0.2 < 0.7" in out.at[3, "intensity_reason"]


def test_plot_ratio_table_lookup_and_overrides():
    codes = ["C2511", "C2611", "3011", "C3911", "c17", "F5111", None, "C2921", "C4310"]
    parcels = gpd.GeoDataFrame(
        {
            "area_mu": [15.0] * 9,
            "footprint_area": [5000.0] * 9,
            "floor_area": [5500.0] * 9,
            "industry_code": codes,
        },  # fmt: skip
        geometry=[sq(0, 0, 100, 100)] * 9,
        crs="EPSG:4545",
    )
    out = building_intensity(parcels, None)
    expected = [0.5, 0.6, 0.7, 1.0, 0.8, np.nan, np.nan, 0.8, 0.7]
    np.testing.assert_array_equal(out["min_plot_ratio"].to_numpy(), expected)
    # plot 0.55: passes 0.5, fails 0.6+; no control value → only coverage decides
    assert out["intensity_ok"].tolist() == [
        True,
        False,
        False,
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    assert "未检查容积率" in out.at[5, "intensity_reason"]
    custom = building_intensity(
        parcels, None, {"min_plot_ratio": {"25": 0.6, 51: 0.5}, "default_min_plot_ratio": 0.3}
    )
    # override replaces one entry, keeps the others; default fills the unknown code
    assert custom["min_plot_ratio"].tolist()[:2] == [0.6, 0.6]
    assert custom.at[5, "min_plot_ratio"] == 0.5
    assert custom.at[6, "min_plot_ratio"] == 0.3
    # rules.toml writes "none" as nan, and names the coverage threshold in full
    nan_default = building_intensity(
        parcels, None, {"default_min_plot_ratio": float("nan"), "min_building_coverage": 0.6}
    )
    assert np.isnan(nan_default.at[6, "min_plot_ratio"])
    assert not nan_default["intensity_ok"].any()  # coverage 0.5 < 0.6 everywhere
    assert MIN_PLOT_RATIO["25"] == 0.5  # the shipped table is not mutated


def test_settings_dataclass_from_config():
    """The lead passes landclear.rules.config's IntensitySettings directly."""
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class IntensitySettings:  # same shape as landclear.rules.config's
        min_building_coverage: float = 0.5
        default_min_plot_ratio: float = float("nan")
        min_plot_ratio: dict = field(default_factory=lambda: {"33": 0.9})

    parcels = gpd.GeoDataFrame(
        {
            "area_mu": [15.0],
            "footprint_area": [4000.0],
            "floor_area": [8000.0],
            "industry_code": ["C3311"],
        },  # fmt: skip
        geometry=[sq(0, 0, 100, 100)],
        crs="EPSG:4545",
    )
    out = building_intensity(parcels, None, IntensitySettings())
    assert out.at[0, "min_plot_ratio"] == 0.9
    assert out.at[0, "intensity_ok"] == False  # noqa: E712  (coverage .4 < .5)
    assert "40.0% < 50%" in out.at[0, "intensity_reason"]


def test_parcels_without_crs_are_refused():
    parcels = gpd.GeoDataFrame({"area_mu": [1.0]}, geometry=[sq(0, 0, 10, 10)])
    with pytest.raises(CRSError):
        building_intensity(parcels, None)


def test_areas_measured_under_another_dedupe_setting_are_measured_again(layers):
    """Buildings measured at load time are reused only under the same ``dedupe_buildings``."""
    from landclear.rules.intensity import building_areas

    parcels, buildings = layers
    deduped = building_areas(parcels, buildings, dedupe=True)
    reused = building_intensity(parcels, buildings, {"dedupe_buildings": True}, areas=deduped)
    again = building_intensity(parcels, buildings, {"dedupe_buildings": False}, areas=deduped)
    fresh = building_intensity(parcels, buildings, {"dedupe_buildings": False})
    pd.testing.assert_frame_equal(again, fresh)
    # b4 repeats b1 (2 storeys, 40 × 50 m) in P1: counted again without the dedupe
    assert again.loc[10, "floor_area_m2"] > reused.loc[10, "floor_area_m2"]


def test_clusters_match_a_union_find_over_every_intersecting_pair():
    """The box-then-exact cluster search equals the brute-force answer."""
    import shapely

    from landclear.rules.intensity import _clusters

    rng = np.random.default_rng(7)
    x, y, w = rng.random(400) * 60, rng.random(400) * 60, rng.random(400) * 4
    geoms = shapely.box(x, y, x + w, y + w)
    parent = list(range(len(geoms)))

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    hit = shapely.intersects(geoms[:, None], geoms[None, :])
    for a, b in zip(*np.nonzero(np.triu(hit, 1)), strict=True):
        parent[root(a)] = root(b)
    want = [root(k) for k in range(len(geoms))]
    got = _clusters(geoms)
    same_want = np.equal.outer(want, want)
    assert (np.equal.outer(got, got) == same_want).all()
    assert got[0] == 0 and (np.diff(np.maximum.accumulate(got)) <= 1).all()  # first-seen order
