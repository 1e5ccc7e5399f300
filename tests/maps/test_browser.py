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


# ------------------------------------------------------------ content on the sample


def _park(sample_result):
    p = sample_result.parcels
    return p[p["park"] == PARK].reset_index(drop=True)


def _zoom_to(page, index: int) -> tuple[float, float]:
    """Zoom to parcel ``index`` (no animation) and return its centre in viewport pixels."""
    page.evaluate(
        f"""i => {{ const m = {MAP}; const l = m.parcels.getLayers().find(x => x._lc === i);
        m.map.closePopup(); m.map.fitBounds(l.getBounds(), {{maxZoom: 18, animate: false}}); }}""",
        index,
    )
    return _screen_point(page, index)


def test_sample_title_and_chinese_legend_give_park_as_of_and_state_counts(
    sample_result, page, tmp_path
):
    from landclear.maps.legend import parcel_state, state_label

    path = _save(park_map(sample_result, PARK, offline=True), tmp_path / "park.html")
    p = page.open(path)
    assert p.locator(".lc-title-main").text_content() == PARK
    assert p.locator(".lc-title-sub").text_content() == "石嘴山市 · 基准日 2024-06-30"
    parcels = _park(sample_result)
    state = parcel_state(parcels)
    rows = p.locator(".lc-legend-row").all()
    want = []
    for s in STATE_ORDER:
        mask = (state == s).to_numpy()
        if mask.any():
            mu = float(parcels.loc[mask, "area_mu"].sum())
            want.append((state_label(s, "zh"), f"{int(mask.sum())} 宗 · {mu:,.1f} 亩"))
    got = [
        (r.locator(".lc-legend-label").text_content(), r.locator(".lc-legend-count").text_content())
        for r in rows
    ]
    assert got == want and len(want) >= 7
    assert p.locator(".lc-legend-title").text_content() == "宗地状态"
    assert page.errors == []


def test_sample_tooltip_and_popup_show_the_parcels_figures_lists_action_and_rule(
    sample_result, page, tmp_path
):
    from landclear.maps.legend import parcel_state, state_label

    path = _save(park_map(sample_result, PARK, offline=True), tmp_path / "park.html")
    p = page.open(path)
    parcels = _park(sample_result)
    i = int(np.flatnonzero((parcels["lists"] >= 2) & parcels["action_rule"].notna())[0])
    row = parcels.iloc[i]
    x, y = _zoom_to(p, i)
    p.mouse.move(x, y)
    p.mouse.move(x + 1, y + 1)
    tip = _wait_text(p, ".leaflet-tooltip", row["parcel_id"])
    assert tip.query_selector(".lc-card-title").text_content() == row["parcel_id"]
    cells = dict(
        zip(
            [t.text_content() for t in tip.query_selector_all("th")],
            [t.text_content() for t in tip.query_selector_all("td")],
            strict=True,
        )
    )
    state = state_label(parcel_state(parcels.iloc[[i]]).iloc[0], "zh")
    assert cells == {
        "权利人": row["owner_name"],
        "面积(亩)": f"{row['area_mu']:.2f}",
        "状态": state,
    }
    p.mouse.click(x, y)
    popup = _wait_text(p, ".leaflet-popup-content", row["parcel_id"])
    cells = dict(
        zip(
            [t.text_content() for t in popup.query_selector_all("th")],
            [t.text_content() for t in popup.query_selector_all("td")],
            strict=True,
        )
    )
    names = [
        n
        for col, n in (
            ("tax_arrears_2y", "欠税"),
            ("mortgaged_idle", "抵押闲置"),
            ("stopped_2y", "停产"),
        )
        if bool(row[col])
    ]
    assert len(names) >= 2 and cells["所在清单"] == "、".join(names)
    assert row["action"] in cells.values() and row["action_rule"] in cells.values()
    assert f"{row['area_mu']:.2f}" in cells.values()
    assert str(row["credit_code"]) in cells.values()
    assert page.errors == []


def test_every_list_layer_switches_on_and_off_with_its_parcels(sample_result, page, tmp_path):
    from landclear.maps.park import LIST_LAYERS

    path = _save(park_map(sample_result, PARK, offline=True), tmp_path / "park.html")
    p = page.open(path)
    parcels = _park(sample_result)
    labels = p.locator(".leaflet-control-layers-overlays label")
    for key, (col, _) in LIST_LAYERS.items():
        on = parcels[col] >= 2 if key == "cross" else parcels[col].astype("boolean").fillna(False)
        n = int(on.sum())
        label = labels.filter(has_text=f"（{n}）").filter(
            has=p.locator(f"xpath=.//span[contains(., '{_layer_title(key)}')]")
        )
        assert not p.evaluate(f"{MAP}.map.hasLayer({MAP}.list_{key})")
        label.click()
        assert p.evaluate(f"{MAP}.map.hasLayer({MAP}.list_{key})"), key
        drawn = p.evaluate(f"{MAP}.list_{key}.getLayers().map(l => l._lc)")
        assert sorted(drawn) == np.flatnonzero(on.to_numpy()).tolist(), key
        label.click()
        assert not p.evaluate(f"{MAP}.map.hasLayer({MAP}.list_{key})"), key
    assert page.errors == []


def _layer_title(key: str) -> str:
    from landclear.maps.park import _list_layer_name

    return _list_layer_name(key, "zh")


def test_search_by_enterprise_name_finds_all_its_parcels(sample_result, page, tmp_path):
    path = _save(park_map(sample_result, PARK, offline=True), tmp_path / "park.html")
    p = page.open(path)
    parcels = _park(sample_result)
    counts = parcels["owner_name"].value_counts()
    owner = str(counts.index[0])
    assert counts.iloc[0] >= 3
    p.locator(".lc-search input").fill(owner)
    results = p.locator(".lc-search-results li").all_text_contents()
    ids = parcels.loc[parcels["owner_name"] == owner, "parcel_id"].tolist()
    assert sorted(results) == sorted(f"{i} · {owner}" for i in ids)
    p.locator(".lc-search-results li").first.click()
    popup = p.wait_for_selector(".leaflet-popup-content").text_content()
    assert owner in popup and any(i in popup for i in ids)
    p.locator(".lc-search input").fill("没有这个企业")
    assert p.locator(".lc-search-results li").all_text_contents() == ["无匹配结果"]
    assert page.errors == []


def test_fullscreen_button_and_metric_scale_bar(fake, page, tmp_path):
    path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "f.html")
    p = page.open(path)
    button = p.locator(".leaflet-control-zoom-fullscreen")
    assert button.get_attribute("title") == "全屏"
    p.evaluate(f"{MAP}.map.on('enterFullscreen exitFullscreen', e => (window._fs = e.type))")
    button.click()
    p.wait_for_function(f"{MAP}.map._isFullscreen === true && window._fs === 'enterFullscreen'")
    assert p.evaluate(f"document.fullscreenElement === {MAP}.map.getContainer()")
    assert button.get_attribute("title") == "退出全屏"
    button.click()
    p.wait_for_function(f"{MAP}.map._isFullscreen === false && window._fs === 'exitFullscreen'")
    assert button.get_attribute("title") == "全屏"
    # One metric scale line; its label matches its width at the map's scale.
    scales = p.locator(".leaflet-control-scale-line").all()
    assert len(scales) == 1
    text = scales[0].text_content()
    import re

    value, unit = re.fullmatch(r"(\d+) (m|km)", text).groups()
    metres = float(value) * (1000 if unit == "km" else 1)
    width = p.evaluate(
        "parseFloat(document.querySelector('.leaflet-control-scale-line').style.width)"
    )
    per_px = p.evaluate(
        f"""() => {{ const m = {MAP}.map, y = m.getSize().y / 2;
        return m.distance(m.containerPointToLatLng([0, y]), m.containerPointToLatLng([100, y])) / 100; }}"""
    )
    assert metres == pytest.approx(width * per_px, rel=0.02)
    assert page.errors == []


def test_every_text_attribute_is_inert_in_tooltip_popup_and_search(page, tmp_path):
    """Markup and ``${…}`` in *every* shown text column (ID included) render as text."""
    from synthetic import fake_result

    from landclear.maps.park import PARCEL_POPUP

    fake = fake_result(xss=False)
    i = 4
    text_cols = [
        c
        for c in PARCEL_POPUP
        if c in fake.parcels and not pd_numeric(fake.parcels[c]) and c != "park"
    ]
    assert {"parcel_id", "owner_name", "credit_code", "action", "action_rule"} <= set(text_cols)
    payload = {c: f"<img src=x onerror=alert('{c}')>${{alert('{c}')}}</script>" for c in text_cols}
    for c, v in payload.items():
        fake.parcels.loc[i, c] = v
    path = _save(park_map(fake, "测试园区", offline=True), tmp_path / "every.html")
    p = page.open(path)
    x, y = _zoom_to(p, i)
    p.mouse.move(x, y)
    p.mouse.move(x + 1, y + 1)
    tip = _wait_text(p, ".leaflet-tooltip", payload["parcel_id"])
    assert tip.query_selector(".lc-card-title").text_content() == payload["parcel_id"]
    assert payload["owner_name"] in [td.text_content() for td in tip.query_selector_all("td")]
    p.mouse.click(x, y)
    popup = _wait_text(p, ".leaflet-popup-content", payload["parcel_id"])
    shown = [popup.query_selector(".lc-card-title").text_content()] + [
        td.text_content() for td in popup.query_selector_all("td")
    ]
    for c, v in payload.items():
        assert v in shown, c
    for c in ("parcel_id", "owner_name"):
        p.locator(".lc-search input").fill(f"onerror=alert('{c}')")
        results = p.locator(".lc-search-results li").all_text_contents()
        assert results == [f"{payload['parcel_id']} · {payload['owner_name']}"], c
    p.wait_for_timeout(200)  # an injected <img src=x> would fail to load and fire onerror by now
    assert p.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.dialogs == [] and page.errors == []


def pd_numeric(s) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
