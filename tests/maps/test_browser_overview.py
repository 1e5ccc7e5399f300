"""The city overview and park-name handling in headless Chromium (network cut)."""

from __future__ import annotations

from urllib.parse import unquote

import numpy as np
import pytest
import shapely
from synthetic import XSS_NAMES, fake_result

from landclear.maps import map_filenames, write_maps
from landclear.maps.park import to_web

pytestmark = pytest.mark.browser

OVERVIEW = "LandclearMaps.maps.overview"


def _park_point(page, result, park: str) -> tuple[float, float]:
    """Viewport pixel of a point inside ``park``'s outline (as drawn on the overview)."""
    shapes = result.park_shapes
    geom = to_web(shapes[shapes["park"] == park], "none").geometry.union_all()
    pt = shapely.point_on_surface(geom)
    return tuple(
        page.evaluate(
            f"""([lng, lat]) => {{ const m = {OVERVIEW}.map;
            const p = m.latLngToContainerPoint([lat, lng]);
            const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }}""",
            [pt.x, pt.y],
        )
    )


def _follow(p, link) -> None:
    """Click a link and wait for the page it opens.

    A click can land while Leaflet is still zooming or panning the popup into view and
    miss the link: wait for the navigation to start, click again if it did
    not, then give the new page time to load on a busy machine. A navigation
    that starts late (a loaded machine) counts: the link is gone by then, and
    clicking it again would only wait for it.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # The search zooms to the park with an animation: click once the map is still.
    p.wait_for_function(
        f"() => !{OVERVIEW}.map._animatingZoom && !({OVERVIEW}.map._panAnim || {{}})._inProgress",
        timeout=30_000,
    )
    link.wait_for(state="visible", timeout=30_000)
    start = p.url
    for attempt in range(3):
        try:
            with p.expect_navigation(wait_until="commit", timeout=15_000):
                link.click(timeout=15_000)
            break
        except PlaywrightTimeout:
            if p.url != start:
                break
            if attempt == 2:
                raise
    p.wait_for_load_state("load", timeout=60_000)


def _cells(el) -> dict[str, str]:
    return dict(
        zip(
            [t.text_content() for t in el.query_selector_all("th")],
            [t.text_content() for t in el.query_selector_all("td")],
            strict=True,
        )
    )


def _wait_text(page, selector: str, text: str):
    return page.wait_for_function(
        """([sel, t]) => [...document.querySelectorAll(sel)].find(e => e.textContent.includes(t))""",
        arg=[selector, text],
    ).as_element()


def test_overview_shows_each_parks_indicators_against_its_targets(sample_result, page, tmp_path):
    write_maps(sample_result, tmp_path, offline=True)
    p = page.open(tmp_path / "maps" / "overview.html")
    parks = sample_result.parks[sample_result.parks["park"] != "全市"]
    assert p.evaluate(f"{OVERVIEW}.count") == len(parks) == 3
    yes_no = {True: "是", False: "否"}
    for row in parks.itertuples():
        p.evaluate(f"{OVERVIEW}.map.closePopup()")
        x, y = _park_point(p, sample_result, row.park)
        p.mouse.move(x, y)
        p.mouse.move(x + 1, y + 1)
        met = int(row.pass_investment) + int(row.pass_output) + int(row.pass_tax)
        tip = _wait_text(p, ".leaflet-tooltip", row.park)
        assert _cells(tip) == {"达标情况": f"{met} / 3 项达标"}
        p.mouse.click(x, y)
        popup = _wait_text(p, ".leaflet-popup-content", row.park)
        values = list(_cells(popup).values())
        for k, dec in (("investment", 1), ("output", 1), ("tax", 2)):
            v, t, g = (
                getattr(row, f"{k}_per_mu"),
                getattr(row, f"target_{k}"),
                getattr(row, f"gap_{k}"),
            )
            ok = yes_no[bool(getattr(row, f"pass_{k}"))]
            want = f"{v:.{dec}f} / 目标 {t:.{dec}f}，差距 {g:.{dec}f}，达标：{ok}"
            assert want in values, (row.park, k, values)
        assert f"{row.industrial_mu:.1f}" in values
        n = int((sample_result.parcels["park"] == row.park).sum())
        assert str(n) in values
    # Targets are the 2024 ones of the plan (DOMAIN §2).
    assert set(parks["target_investment"]) == {185} and set(parks["target_tax"]) == {8}
    # The legend counts parks by targets met.
    legend = p.locator(".lc-legend").text_content()
    met = parks[["pass_investment", "pass_output", "pass_tax"]].sum(axis=1)
    for k in range(4):
        assert f"{k}/3 项达标{int((met == k).sum())} 个园区" in legend
    assert page.errors == [] and page.blocked == []


def test_overview_link_opens_the_park_map(sample_result, page, tmp_path):
    write_maps(sample_result, tmp_path, offline=True)
    p = page.open(tmp_path / "maps" / "overview.html")
    park = "平罗工业园区"
    x, y = _park_point(p, sample_result, park)
    p.mouse.click(x, y)
    _wait_text(p, ".leaflet-popup-content", park)
    _follow(p, p.locator(".leaflet-popup-content .lc-card-link"))
    assert unquote(p.url).endswith(f"/maps/{park}.html")
    assert p.locator(".lc-title-main").text_content() == park
    assert page.errors == [] and page.blocked == []


def test_untrusted_park_name_stays_text_in_title_overview_search_and_file_name(page, tmp_path):
    name = f"{XSS_NAMES[0]}#{XSS_NAMES[1]}%23?"
    fake = fake_result()
    for frame in (fake.parcels, fake.park_shapes, fake.parks):
        frame.loc[frame["park"] == "惠农/园区:B", "park"] = name
    written = write_maps(fake, tmp_path, offline=True)
    stem = map_filenames(fake)[name]
    assert written[f"map_{name}"] == tmp_path / "maps" / stem
    assert "/" not in stem and "<" not in stem and ">" not in stem and "?" not in stem
    p = page.open(tmp_path / "maps" / "overview.html")
    x, y = _park_point(p, fake, name)
    p.mouse.move(x, y)
    p.mouse.move(x + 1, y + 1)
    tip = _wait_text(p, ".leaflet-tooltip", name)
    assert tip.query_selector(".lc-card-title").text_content() == name
    box = p.locator(".lc-search input")
    box.fill("${alert")
    assert p.locator(".lc-search-results li").all_text_contents() == [name]
    p.locator(".lc-search-results li").first.click()
    popup = _wait_text(p, ".leaflet-popup-content", name)
    assert popup.query_selector("img") is None
    # "#", "%23" and "?" in the name: the link still opens that park's file.
    _follow(p, p.locator(".leaflet-popup-content .lc-card-link"))
    assert p.locator(".lc-title-main").text_content() == name
    assert p.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.dialogs == [] and page.errors == [] and page.blocked == []


def test_overview_has_no_links_to_maps_that_were_not_written(fake, tmp_path):
    write_maps(fake, tmp_path, parks=["测试园区"], offline=True)
    html = (tmp_path / "maps" / "overview.html").read_text("utf-8")
    assert '"links":["' in html
    data = html.split('"links":', 1)[1].split("]", 1)[0]
    assert "%E6%B5%8B%E8%AF%95%E5%9B%AD%E5%8C%BA.html" in data  # 测试园区.html, percent-encoded
    assert data.count('""') == 1  # the other park: no map, no link
    assert np.isin(
        ["测试园区.html", "overview.html"], [f.name for f in (tmp_path / "maps").iterdir()]
    ).all()


def test_run_outputs_a_map_per_sample_park_and_the_overview(sample_result, page, tmp_path):
    """Done-when of issue 4: ``landclear run``/``make demo`` (Result.to_files) writes maps/."""
    written = sample_result.to_files(tmp_path, workbook=False)
    parks = ["石嘴山高新技术产业开发区", "石嘴山经济技术开发区", "平罗工业园区"]
    files = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert files == sorted([*(f"{p}.html" for p in parks), "overview.html"])
    assert written["map_overview"] == tmp_path / "maps" / "overview.html"
    # Online maps link the CDN: serve the vendored copies of exactly those URLs.
    page.page.unroute("**/*")
    page.page.route("**/*", _serve_cdn_locally(page))
    for park in parks:
        p = page.open(tmp_path / "maps" / f"{park}.html")
        n = p.evaluate("Object.values(LandclearMaps.maps)[0].parcels.getLayers().length")
        assert n == int((sample_result.parcels["park"] == park).sum())
        assert p.locator(".lc-title-main").text_content() == park
    p = page.open(tmp_path / "maps" / "overview.html")
    assert p.evaluate(f"{OVERVIEW}.count") == 3
    assert [e for e in page.errors if "ERR_FAILED" not in e] == []
    # Cut: OSM tiles and the plugins' CSS images (the CDN has them next to the CSS).
    assert any("tile.openstreetmap.org" in u for u in page.blocked)
    assert all(
        "tile.openstreetmap.org" in u
        or (u.startswith("https://cdn.jsdelivr.net/npm/") and u.endswith(".png"))
        for u in page.blocked
    )


def _serve_cdn_locally(page):
    from landclear.maps.offline import ASSETS, asset_text

    local = {a.url: a for a in ASSETS.values()}

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            return r.continue_()
        if url in local:
            a = local[url]
            ctype = "text/css" if a.kind == "css" else "application/javascript"
            return r.fulfill(status=200, body=asset_text(a.file), content_type=ctype)
        page.blocked.append(url)  # OSM tiles: cut
        return r.abort()

    return route
