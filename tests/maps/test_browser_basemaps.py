"""Basemaps in headless Chromium (network cut): tile requests, GCJ-02 in JS, measuring on Gaode."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from landclear.geo import gcj02_to_wgs84, wgs84_to_gcj02
from landclear.maps import park_map
from landclear.maps.offline import ASSETS, asset_text
from landclear.project import load_project

pytestmark = pytest.mark.browser

MAP = "Object.values(LandclearMaps.maps)[0]"
KEY = "0123456789abcdef0123456789abcdef"


def _visible_tiles(page) -> set[tuple[int, int, int]]:
    """(z, x, y) of every 256-px tile in the current view, as Leaflet's grid computes it."""
    z, (x0, y0), (x1, y1) = page.evaluate(
        f"""() => {{ const m = {MAP}.map, b = m.getPixelBounds();
        return [m.getZoom(), [b.min.x, b.min.y], [b.max.x, b.max.y]]; }}"""
    )
    return {
        (int(z), x, y)
        for x in range(math.floor(x0 / 256), math.floor((x1 - 1) / 256) + 1)
        for y in range(math.floor(y0 / 256), math.floor((y1 - 1) / 256) + 1)
    }


def _tianditu_requests(blocked: list[str], layer: str) -> tuple[set, set]:
    tiles, keys = set(), set()
    for url in blocked:
        parts = urlsplit(url)
        if not re.fullmatch(r"t[0-7]\.tianditu\.gov\.cn", parts.hostname or ""):
            continue
        if parts.path != f"/{layer}_w/wmts":
            continue
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert q["LAYER"] == layer and q["TILEMATRIXSET"] == "w" and q["SERVICE"] == "WMTS"
        tiles.add((int(q["TILEMATRIX"]), int(q["TILECOL"]), int(q["TILEROW"])))
        keys.add(q["tk"])
    return tiles, keys


def _project(tmp_path, maps: str):
    toml = tmp_path / "project.toml"
    toml.write_text(
        f'as_of = "2024-06-30"\ncity = "石嘴山市"\n[inputs]\nparcels = "p.shp"\n[maps]\n{maps}\n',
        encoding="utf-8",
    )
    return load_project(toml, check_files=False)


def test_tianditu_tiles_are_asked_for_with_the_project_files_key(fake, page, tmp_path, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "envkey0000")  # the project file wins over the environment
    project = _project(
        tmp_path, f'basemap = "tianditu_img"\ntianditu_key = "{KEY}"\noffline = true'
    )
    result = replace(fake, project=project)
    path = tmp_path / "t.html"
    park_map(result, "测试园区").save(str(path))
    p = page.open(path)
    p.wait_for_timeout(300)
    want = _visible_tiles(p)
    for layer in ("img", "cia"):  # imagery and its labels
        tiles, keys = _tianditu_requests(page.blocked, layer)
        assert keys == {KEY}
        assert want <= tiles, layer
    assert page.errors == [] or all("ERR_FAILED" in e for e in page.errors)
    assert p.evaluate(f"{MAP}.parcels.getLayers().length") == int(
        (fake.parcels["park"] == "测试园区").sum()
    )


def test_tianditu_key_from_the_environment(fake, page, tmp_path, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "fedcba9876543210")
    result = replace(fake, project=_project(tmp_path, 'basemap = "tianditu_vec"'))
    path = tmp_path / "t.html"
    park_map(result, "测试园区", offline=True).save(str(path))
    p = page.open(path)
    p.wait_for_timeout(300)
    want = _visible_tiles(p)
    for layer in ("vec", "cva"):
        tiles, keys = _tianditu_requests(page.blocked, layer)
        assert keys == {"fedcba9876543210"} and want <= tiles, layer


def test_gaode_tiles_are_asked_for_at_the_visible_grid(fake, page, tmp_path):
    path = tmp_path / "g.html"
    park_map(fake, "测试园区", basemap="gaode", offline=True).save(str(path))
    p = page.open(path)
    p.wait_for_timeout(300)
    got = set()
    for url in page.blocked:
        parts = urlsplit(url)
        if re.fullmatch(r"webrd0[1-4]\.is\.autonavi\.com", parts.hostname or ""):
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            got.add((int(q["z"]), int(q["x"]), int(q["y"])))
    assert _visible_tiles(p) <= got


def test_gcj02_in_the_browser_matches_the_published_vectors_and_python(page, tmp_path, fake):
    path = tmp_path / "g.html"
    park_map(fake, "测试园区", offline=True).save(str(path))
    p = page.open(path)
    fwd = p.evaluate(
        "pts => pts.map(q => LandclearMaps.wgs84ToGcj02(q[0], q[1]))",
        [[121.5272106, 31.1774276], [116.404, 39.915], [10.0, 50.0]],
    )
    assert fwd[0] == [121.531541859215, 31.17530398364597]  # DOMAIN §3, to the last bit
    assert fwd[1] == [116.41024449916938, 39.91640428150164]
    assert fwd[2] == [10.0, 50.0]  # outside China: unchanged
    rng = np.random.default_rng(3)
    pts = np.column_stack([105.9 + rng.random(200) * 1.1, 38.5 + rng.random(200) * 0.9])
    js = np.asarray(
        p.evaluate("pts => pts.map(q => LandclearMaps.wgs84ToGcj02(q[0], q[1]))", pts.tolist())
    )
    np.testing.assert_array_equal(js, np.column_stack(wgs84_to_gcj02(pts[:, 0], pts[:, 1])))
    back = np.asarray(
        p.evaluate("pts => pts.map(q => LandclearMaps.gcj02ToWgs84(q[0], q[1]))", js.tolist())
    )
    np.testing.assert_allclose(back, pts, atol=1e-11)


def _measure_point(p, x: float, y: float) -> tuple[list[float], tuple[float, float]]:
    """Measure one point at viewport (x, y): the clicked lon/lat and the (lat, lon) shown."""
    box = p.locator(".leaflet-control-measure").bounding_box()
    p.mouse.move(box["x"] + 10, box["y"] + 10)
    p.click(".js-start")
    p.mouse.click(x, y)
    p.wait_for_timeout(100)
    clicked = p.evaluate(
        f"""([x, y]) => {{ const m = {MAP}.map; const r = m.getContainer().getBoundingClientRect();
        const ll = m.containerPointToLatLng([x - r.left, y - r.top]); return [ll.lng, ll.lat]; }}""",
        [x, y],
    )
    p.click(".js-finish")
    text = p.wait_for_selector(".leaflet-measure-resultpopup .leaflet-popup-content").text_content()
    lat, lon = re.search(r"(\d+\.\d{6})\s*/\s*(\d+\.\d{6})", text).groups()
    return clicked, (float(lat), float(lon))


def test_measuring_on_gaode_reports_true_cgcs2000_coordinates(fake, page, tmp_path):
    path = tmp_path / "g.html"
    park_map(fake, "测试园区", basemap="gaode", offline=True).save(str(path))
    p = page.open(path)
    (g_lon, g_lat), (lat, lon) = _measure_point(p, 600, 420)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert (lon, lat) == pytest.approx((w_lon, w_lat), abs=1.5e-6)  # shown with 6 decimals
    shift_m = math.hypot(
        (g_lon - lon) * 111_320 * math.cos(math.radians(lat)), (g_lat - lat) * 110_574
    )
    assert 350 < shift_m < 500  # the GCJ-02 offset was taken off (DOMAIN §3: ~400 m here)
    # The result is still drawn where it was clicked (on the Gaode tiles).
    drawn = p.evaluate(
        """() => { let ll = null; document.querySelector('.leaflet-measure-resultpopup') &&
        Object.values(LandclearMaps.maps)[0].map.eachLayer(l => { if (l.options && l.options.className
        === 'layer-measure-resultpoint') { ll = l.getLatLng(); } }); return [ll.lng, ll.lat]; }"""
    )
    assert drawn == pytest.approx([g_lon, g_lat], abs=1e-9)
    assert page.errors == [] or all("ERR_FAILED" in e for e in page.errors)


def test_measuring_on_osm_reports_the_clicked_coordinates(fake, page, tmp_path):
    path = tmp_path / "o.html"
    park_map(fake, "测试园区", offline=True).save(str(path))
    p = page.open(path)
    (c_lon, c_lat), (lat, lon) = _measure_point(p, 600, 420)
    assert (lon, lat) == pytest.approx((c_lon, c_lat), abs=1e-6)
    assert page.errors == []


def test_online_map_runs_on_the_cdn_files_it_links(fake, browser, tmp_path):
    """The online HTML links exactly the vendored versions: served locally, it loads cleanly."""
    path = tmp_path / "online.html"
    park_map(fake, "测试园区", basemap="osm").save(str(path))
    local = {a.url: a for a in ASSETS.values()}
    served, errors = [], []
    page = browser.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "ERR_FAILED" not in m.text else None
        ),
    )

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            return r.continue_()
        if url in local:
            a = local[url]
            served.append(a.file)
            ctype = "text/css" if a.kind == "css" else "application/javascript"
            return r.fulfill(status=200, body=asset_text(a.file), content_type=ctype)
        return r.abort()

    page.route("**/*", route)
    try:
        page.goto(path.as_uri(), wait_until="load")
        n = page.evaluate(f"{MAP}.parcels.getLayers().length")
        has_controls = page.evaluate(
            "['.leaflet-control-zoom-fullscreen', '.leaflet-control-measure', '.lc-search']"
            ".every(s => !!document.querySelector(s))"
        )
    finally:
        page.close()
    assert n == int((fake.parcels["park"] == "测试园区").sum()) and has_controls
    assert sorted(served) == sorted(a.file for k, a in ASSETS.items() if k != "measure_js_en")
    assert errors == []
