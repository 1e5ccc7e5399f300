"""The maps in a real headless Chromium (Debian chromium via playwright), network cut."""

from __future__ import annotations

import io

import numpy as np
import pytest
from synthetic import XSS_NAMES

from landclear.geo import wgs84_to_gcj02
from landclear.maps import park_map
from landclear.maps.legend import STATE_ORDER, STATE_STYLES

pytestmark = pytest.mark.browser

PARK = "石嘴山经济技术开发区"
MAP = "Object.values(LandclearMaps.maps)[0]"


def _save(m, path):
    m.save(str(path))
    return path


def _screen_point(page, index: int) -> tuple[float, float]:
    """Viewport pixel of parcel ``index``'s centre."""
    return tuple(
        page.evaluate(
            f"""i => {{ const m = {MAP}; const l = m.parcels.getLayers().find(x => x._lc === i);
        const p = m.map.latLngToContainerPoint(l.getCenter());
        const r = m.map.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }}""",
            index,
        )
    )


def _wait_text(page, selector: str, text: str):
    """The element matching ``selector`` whose text contains ``text`` (waits for it)."""
    return page.wait_for_function(
        """([sel, t]) => [...document.querySelectorAll(sel)].find(e => e.textContent.includes(t))""",
        arg=[selector, text],
    ).as_element()


def test_sample_map_offline_loads_without_errors_and_draws_every_parcel(
    sample_result, page, tmp_path
):
    path = _save(park_map(sample_result, PARK, offline=True), tmp_path / "park.html")
    p = page.open(path)
    expected = int((sample_result.parcels["park"] == PARK).sum())
    assert p.evaluate(f"{MAP}.count") == expected
    assert p.evaluate(f"{MAP}.parcels.getLayers().length") == expected
    assert p.evaluate(f"{MAP}.map.hasLayer({MAP}.parcels)")
    # A list layer is built when switched on, with exactly the listed parcels.
    p.locator(".leaflet-control-layers-overlays label", has_text="在两个及以上清单").click()
    listed = int(
        (sample_result.parcels.loc[sample_result.parcels["park"] == PARK, "lists"] >= 2).sum()
    )
    assert p.evaluate(f"{MAP}.list_cross.getLayers().length") == listed
    p.locator(".leaflet-control-layers-overlays label", has_text="欠缴土地使用税").click()
    taxed = int(
        sample_result.parcels.loc[sample_result.parcels["park"] == PARK, "tax_arrears_2y"].sum()
    )
    assert p.evaluate(f"{MAP}.list_tax.getLayers().length") == taxed
    assert page.errors == [] and page.dialogs == []
    assert page.blocked == []  # offline + no basemap: not a single remote request


def _blend(hex_colour: str, alpha: float, bg: tuple[int, int, int]) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return alpha * rgb + (1 - alpha) * np.asarray(bg, dtype=float)


def test_screenshot_contains_every_state_colour(fake, page, tmp_path):
    from PIL import Image

    path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "fake.html")
    p = page.open(path)
    bg = p.evaluate(f"getComputedStyle({MAP}.map.getContainer()).backgroundColor")
    bg_rgb = tuple(int(v) for v in bg[bg.index("(") + 1 : bg.index(")")].split(",")[:3])
    p.evaluate(f"{MAP}.map.closePopup()")
    pixels = np.asarray(Image.open(io.BytesIO(p.screenshot())).convert("RGB"), dtype=float)
    flat = pixels.reshape(-1, 3)
    for state in STATE_ORDER:
        st = STATE_STYLES[state]
        want = _blend(str(st["fillColor"]), float(st["fillOpacity"]), bg_rgb)
        close = np.abs(flat - want).max(axis=1) <= 4
        assert close.sum() > 200, f"{state} colour {st['fillColor']} not on screen"
    assert page.errors == []


def test_untrusted_text_renders_as_text_in_tooltip_popup_search_and_layer_names(
    fake, page, tmp_path
):
    sub = fake.parcels.iloc[:2][["parcel_id", "geometry"]]
    fake.extras = {"map_layers": [("情景<img src=x onerror=alert(3)>", sub)]}
    try:
        path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "xss.html")
    finally:
        fake.extras = {}
    p = page.open(path)
    for i, name in enumerate(XSS_NAMES):
        p.evaluate(f"{MAP}.map.closePopup()")  # an open popup could cover the next parcel
        x, y = _screen_point(p, i)
        p.mouse.move(x, y)
        p.mouse.move(x + 1, y + 1)
        _wait_text(p, ".leaflet-tooltip", name)
        p.mouse.click(x, y)
        popup = _wait_text(p, ".leaflet-popup-content", name)
        if i == 0:
            assert "<b>bold</b>${alert(2)}" in popup.text_content()
            assert popup.query_selector("b") is None
    box = p.locator(".lc-search input")
    box.fill("<img")
    results = p.locator(".lc-search-results li").all_text_contents()
    assert results and any(XSS_NAMES[0] in r for r in results)
    box.fill("${alert")
    assert any(XSS_NAMES[1] in r for r in p.locator(".lc-search-results li").all_text_contents())
    assert "情景<img src=x onerror=alert(3)>" in p.locator(".leaflet-control-layers").text_content()
    assert p.evaluate(
        "document.querySelectorAll('img[src=\"x\"], b, script:not([src])').length"
    ) == (p.evaluate("document.querySelectorAll('script:not([src])').length"))
    assert page.dialogs == [] and page.errors == []


def test_search_zooms_to_a_parcel_and_opens_its_popup(fake, page, tmp_path):
    path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "s.html")
    p = page.open(path)
    pid = str(fake.parcels["parcel_id"].iloc[17])
    p.locator(".lc-search input").fill(pid[-5:])
    p.locator(".lc-search-results li").first.click()
    assert pid in p.wait_for_selector(".leaflet-popup-content").text_content()


def test_gaode_parcels_are_shifted_by_the_gcj02_offset_in_the_browser(fake, page, tmp_path):
    js = f"{MAP}.parcels.getLayers()[0].getLatLngs()[0].map(p => [p.lng, p.lat])"
    osm = _save(park_map(fake, "测试园区", basemap="osm", offline=True), tmp_path / "o.html")
    a = np.asarray(page.open(osm).evaluate(js))
    gaode = _save(park_map(fake, "测试园区", basemap="gaode", offline=True), tmp_path / "g.html")
    b = np.asarray(page.open(gaode).evaluate(js))
    lon, lat = wgs84_to_gcj02(a[:, 0], a[:, 1])
    np.testing.assert_allclose(b, np.column_stack([lon, lat]), atol=1.5e-6)
    assert any("autonavi.com" in u for u in page.blocked)  # Gaode tiles were asked for (and cut)


def test_measure_tool_works_offline_and_reports_mu(fake, page, tmp_path):
    import re

    from pyproj import Geod

    path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "m.html")
    p = page.open(path)
    box = p.locator(".leaflet-control-measure").bounding_box()
    p.mouse.move(box["x"] + 10, box["y"] + 10)
    p.click(".js-start")
    pts = ((400, 300), (700, 300), (700, 500))
    for x, y in pts:
        p.mouse.click(x, y)
        p.wait_for_timeout(100)
    lonlat = p.evaluate(
        f"""pts => {{ const m = {MAP}.map; const r = m.getContainer().getBoundingClientRect();
        return pts.map(([x, y]) => {{ const ll = m.containerPointToLatLng([x - r.left, y - r.top]);
        return [ll.lng, ll.lat]; }}); }}""",
        [list(q) for q in pts],
    )
    p.click(".js-finish")  # opens a popup, which may pan the map: read the points first
    text = _wait_text(p, ".leaflet-popup-content", "亩").text_content()
    mu = float(re.search(r"([\d,.]+)\s*亩", text).group(1).replace(",", ""))
    area_m2, _ = Geod(ellps="GRS80").polygon_area_perimeter(*zip(*lonlat, strict=True))
    assert mu == pytest.approx(abs(area_m2) * 0.0015, rel=0.01)
    assert page.errors == [] and page.blocked == []
