import numpy as np
import pytest

from landclear.errors import LandclearError
from landclear.geo import gcj02_to_wgs84, wgs84_to_gcj02
from landclear.maps.basemaps import basemap_tiles, map_options, needs_gcj02
from landclear.maps.layers import decode_geometries
from landclear.maps.park import park_map


def test_gcj02_published_vectors():
    # DOMAIN §3
    assert wgs84_to_gcj02(121.5272106, 31.1774276) == pytest.approx(
        (121.531541859215, 31.17530398364597), abs=1e-12
    )
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )
    assert wgs84_to_gcj02(10.0, 50.0) == (10.0, 50.0)  # outside China: unchanged
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(106.38, 38.98))
    assert (lon, lat) == pytest.approx((106.38, 38.98), abs=1e-9)


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(LandclearError, match="tianditu_key"):
        basemap_tiles("tianditu_vec")
    opts = map_options(None, basemap="tianditu_img")
    with pytest.raises(LandclearError, match="TIANDITU_KEY"):
        basemap_tiles(opts.basemap, tianditu_key=opts.tianditu_key)
    with pytest.raises(LandclearError):
        basemap_tiles("tianditu_vec", tianditu_key='abc"></script>')


def test_tianditu_key_from_env_and_w_layers(monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    opts = map_options(None, basemap="tianditu_vec")
    tiles = basemap_tiles(opts.basemap, tianditu_key=opts.tianditu_key)
    assert [("vec_w" in t.url, "cva_w" in t.url) for t in tiles] == [(True, False), (False, True)]
    assert all("tk=0123456789abcdef0123456789abcdef" in t.url for t in tiles)
    img = basemap_tiles("tianditu_img", tianditu_key="k123456")
    assert "img_w" in img[0].url and "cia_w" in img[1].url


def test_options_precedence(monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "envkey123")

    class P:
        maps = {"basemap": "gaode", "tianditu_key": "projkey123", "precision": 5}

    o = map_options(P())
    assert (o.basemap, o.tianditu_key, o.precision, o.offline) == ("gaode", "projkey123", 5, False)
    assert map_options(P(), basemap="osm", tianditu_key="argkey123").tianditu_key == "argkey123"
    assert map_options(None, offline=True).basemap == "none"
    assert needs_gcj02("gaode_satellite") and not needs_gcj02("osm")
    with pytest.raises(LandclearError, match="basemap"):
        map_options(None, basemap="baidu")


def _parcel_payload(m):
    data = next(
        c
        for c in m._children.values()
        if type(c).__name__ == "FeatureData" and "state" in c.data["cls"]
    )
    return data.data


def test_gaode_map_is_shifted_by_the_gcj02_offset(fake):
    osm = _parcel_payload(park_map(fake, "测试园区", basemap="osm"))
    gaode = _parcel_payload(park_map(fake, "测试园区", basemap="gaode"))
    a = np.vstack([r[0] for r in decode_geometries(osm["geo"])])
    b = np.vstack([r[0] for r in decode_geometries(gaode["geo"])])
    lon, lat = wgs84_to_gcj02(a[:, 0], a[:, 1])
    np.testing.assert_allclose(b[:, 0], lon, atol=1.5e-6)
    np.testing.assert_allclose(b[:, 1], lat, atol=1.5e-6)
    # Around Shizuishan the shift is some hundreds of metres east and tens north (DOMAIN §3).
    east_m = (b[:, 0] - a[:, 0]).mean() * 111_320 * np.cos(np.radians(39))
    north_m = (b[:, 1] - a[:, 1]).mean() * 110_574
    assert 300 < east_m < 700 and 30 < north_m < 150


def _all_payloads(m) -> list[np.ndarray]:
    """Every FeatureData's vertices (lon, lat) and every image overlay's corners, in map order."""
    out = []
    for c in m._children.values():
        name = type(c).__name__
        if name == "FeatureData":
            out.append(np.vstack([r for f in decode_geometries(c.data["geo"]) for r in f]))
        elif name == "ImageLayer":
            import json

            corners = np.asarray(json.loads(c.bounds))  # [[s, w], [n, e]]
            out.append(corners[:, ::-1])
    return out


def test_gaode_shifts_every_overlay_boundary_scenarios_rasters_and_overview(fake, tmp_path):
    from landclear.maps import overview_map

    sub = fake.parcels.iloc[:4][["parcel_id", "geometry"]]
    fake.extras = {
        "map_layers": [("情景", sub)],
        "raster_overlays": [("建成区", _png(tmp_path), (106.37, 38.97, 106.40, 39.0))],
    }
    try:
        for build in (
            lambda bm: park_map(fake, "测试园区", basemap=bm),
            lambda bm: overview_map(fake, basemap=bm),
        ):
            osm, gaode = _all_payloads(build("osm")), _all_payloads(build("gaode"))
            assert len(osm) == len(gaode) >= 3
            for a, b in zip(osm, gaode, strict=True):
                lon, lat = wgs84_to_gcj02(a[:, 0], a[:, 1])
                np.testing.assert_allclose(b, np.column_stack([lon, lat]), atol=1.5e-6)
                assert np.abs(b - a).max() > 3e-3  # really moved (~400 m)
    finally:
        fake.extras = {}


def _png(tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((4, 4, 4), 200, dtype=np.uint8)).save(buf, format="PNG")
    path = tmp_path / "r.png"
    path.write_bytes(buf.getvalue())
    return path


def test_gcj02_shift_on_the_sample_parks_matches_domain_figures():
    import geopandas as gpd
    import shapely
    from tests_root import ROOT

    parks = gpd.read_file(ROOT / "shapefiles" / "parks.geojson").to_crs(4490)
    xy = shapely.get_coordinates(parks.geometry.values)
    g_lon, g_lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    east = (g_lon - xy[:, 0]) * 111_320 * np.cos(np.radians(xy[:, 1]))
    north = (g_lat - xy[:, 1]) * 110_574
    # DOMAIN §3: ≈ 400 m east, 60–90 m north around Shizuishan.
    assert east.min() > 370 and east.max() < 420 and 380 < east.mean() < 420
    assert north.min() > 40 and north.max() < 100 and 60 < north.mean() < 90


def test_measure_converts_back_only_on_gcj02_maps(fake):
    gaode = park_map(fake, "测试园区", basemap="gaode").get_root().render()
    osm = park_map(fake, "测试园区", basemap="osm").get_root().render()
    call = "LandclearMaps.measureInWgs84("
    assert gaode.count(call) == 1 and call not in osm


def test_cli_key_precedence_argument_project_environment(monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "envkey123")

    class P:
        maps = {"tianditu_key": "projkey123"}

    assert map_options(P(), basemap="tianditu_vec").tianditu_key == "projkey123"
    assert map_options(None, basemap="tianditu_vec").tianditu_key == "envkey123"
    assert map_options(P(), tianditu_key="argkey123").tianditu_key == "argkey123"
