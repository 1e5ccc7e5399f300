import re
from urllib.parse import quote

import pytest
from synthetic import XSS_NAMES

from landclear.errors import LandclearError
from landclear.maps import map_filenames, overview_map, park_map, write_maps

# A resource the page would fetch: <script src>, <link href>, <img src> pointing off the file.
URL_ATTR = re.compile(
    r"""<(?:script|link|img)\b[^>]*(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE
)


def test_untrusted_text_never_reaches_the_html_raw(fake):
    html = park_map(fake, "测试园区", offline=True).get_root().render()
    for name in XSS_NAMES:
        if "<" in name:
            assert name not in html
    # "${alert(1)}" is present only as a JSON string (never in a JS template literal).
    assert "`" not in html.split("LandclearMaps.decode", 1)[1]
    assert "<img src=x" not in html and "</script><script>alert" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # present, as inert JSON


def test_offline_map_has_no_remote_assets(fake):
    html = park_map(fake, "测试园区", offline=True).get_root().render()
    assert not URL_ATTR.search(html)
    assert "cdn.jsdelivr" not in html and "jquery" not in html.lower()
    assert "L.Control.FullScreen" in html and "L.Control.Measure" in html  # inlined plugins
    online = park_map(fake, "测试园区", basemap="osm").get_root().render()
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"' in online
    assert "tile.openstreetmap.org" in online


def test_one_style_per_class_not_per_feature(sample_result):
    park = "石嘴山经济技术开发区"
    html = park_map(sample_result, park, offline=True).get_root().render()
    n = int((sample_result.parcels["park"] == park).sum())
    assert n > 500
    assert html.count('"fillColor"') < 40  # 9 states + 6 grades + list layers + legend
    assert html.count('"fillOpacity"') < 40


def test_unknown_park_names_the_valid_ones(fake):
    with pytest.raises(LandclearError, match="测试园区"):
        park_map(fake, "没有这个园区")


def test_write_maps_safe_names_and_links(fake, tmp_path):
    written = write_maps(fake, tmp_path, offline=True)
    names = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert names == sorted(["测试园区.html", "惠农_园区_B.html", "overview.html"])
    assert all(p.parent == tmp_path / "maps" for p in written.values())
    ov = (tmp_path / "maps" / "overview.html").read_text("utf-8")
    assert (
        quote("惠农_园区_B.html") in ov
    )  # percent-encoded link (browser-tested in test_browser_overview)
    assert map_filenames(fake)["惠农/园区:B"] == "惠农_园区_B.html"


def test_extras_scenario_and_raster_layers(fake, tmp_path):
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((4, 4, 4), 200, dtype=np.uint8)).save(buf, format="PNG")
    png = tmp_path / "r.png"
    png.write_bytes(buf.getvalue())
    sub = fake.parcels.iloc[:3][["parcel_id", "geometry"]].assign(note="情景<b>")
    fake.extras = {
        "map_layers": [("情景：收储<script>", sub)],
        "raster_overlays": [("建成区覆盖率", png, (106.37, 38.97, 106.40, 39.0))],
    }
    try:
        html = park_map(fake, "测试园区", offline=True).get_root().render()
    finally:
        fake.extras = {}
    assert "\\u0026lt;script\\u0026gt;" in html  # escaped: Leaflet inserts layer names as HTML
    assert '<script>"' not in html
    assert "L.imageOverlay(" in html and "data:image/png;base64," in html


def test_overview_lists_targets(sample_result):
    html = overview_map(sample_result, offline=True).get_root().render()
    assert "石嘴山经济技术开发区" in html and "目标" in html


def test_simplification_keeps_shared_edges(fake):
    import numpy as np
    import shapely
    from synthetic import grid_parcels

    from landclear.maps.park import to_web

    grid = grid_parcels(8, 6, size_m=80.0)
    # Dense, wobbly edges; the wobble depends only on the vertex, so neighbours stay identical.
    dense = shapely.segmentize(grid.geometry.values, 2e-5)

    def wobble(xy):
        return xy + 2e-6 * np.sin(np.column_stack([9e4 * xy[:, 1], 7e4 * xy[:, 0]]))

    grid = grid.set_geometry(shapely.transform(dense, wobble), crs=4490)
    metric = 4545
    before = grid.to_crs(metric).geometry.values
    web = to_web(grid, "osm", simplify_m=1.0)
    after = web.to_crs(metric).geometry.values
    n0, n1 = shapely.get_num_coordinates(before).sum(), shapely.get_num_coordinates(after).sum()
    assert n1 < 0.5 * n0  # really simplified
    assert shapely.coverage_is_valid(after)  # no overlaps, edges still matched
    union = shapely.union_all(after).area
    assert shapely.area(after).sum() == pytest.approx(union, rel=1e-9)  # no overlaps
    assert union == pytest.approx(shapely.union_all(before).area, rel=1e-4)  # no gaps opened
    holes = shapely.get_num_interior_rings(shapely.union_all(after))
    assert holes == 0
    # Each parcel moved by at most the tolerance.
    assert shapely.hausdorff_distance(before, after).max() <= 1.0 + 1e-6


def test_scenario_layers_are_named_by_their_title(fake, tmp_path):
    from dataclasses import replace

    from synthetic import FakeProject

    sub = fake.parcels.iloc[:2][["parcel_id", "geometry"]]
    project = FakeProject()
    project.scenarios = {"recommended_2024": {"title": "推荐处置对2024年目标的影响"}}
    result = replace(fake, project=project, extras={"map_layers": [("recommended_2024", sub)]})
    for m in (park_map(result, "测试园区", offline=True), overview_map(result, offline=True)):
        assert _layer_names(m)[-1] == "推荐处置对2024年目标的影响"
        assert "recommended_2024" not in m.get_root().render()


def _layer_names(m) -> list[str]:
    return [c.layer_name for c in m._children.values() if getattr(c, "control", False)]


def test_sample_maps_name_scenario_layers_in_chinese(sample_result):
    m = park_map(sample_result, "平罗工业园区", offline=True)
    names = _layer_names(m)
    for key, spec in sample_result.project.scenarios.items():
        assert spec["title"] in names and key not in names


@pytest.mark.parametrize("title", [*XSS_NAMES, "推荐\"处置'<b>2024</b>"])
def test_scenario_title_with_markup_stays_text(fake, title):
    """A project file's scenario title names the layer; its markup is never markup in the map.

    Leaflet's layer control inserts a name as HTML, so the name is escaped
    once: the control shows the title's characters as they were typed.
    """
    import html
    from dataclasses import replace

    from synthetic import FakeProject

    sub = fake.parcels.iloc[:2][["parcel_id", "geometry"]]
    project = FakeProject()
    project.scenarios = {"s1": {"title": title}}
    result = replace(fake, project=project, extras={"map_layers": [("s1", sub)]})
    for m in (park_map(result, "测试园区", offline=True), overview_map(result, offline=True)):
        name = _layer_names(m)[-1]
        assert name == html.escape(title, quote=True) and html.unescape(name) == title
        page = m.get_root().render()
        if "<" in title:
            assert title not in page
        assert "<img src=x" not in page and "</script><script>alert" not in page
        assert "<b>2024</b>" not in page and "&amp;lt;" not in page  # escaped once
