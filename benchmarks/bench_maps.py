"""Benchmark: a park map of 20 000 parcels — HTML size and time to open in Chromium.

Builds 20 000 parcels sharing edges (a jittered grid, 8 vertices each, with
the full set of parcel columns), then compares:

* ``park_map`` online (CDN links), offline (everything inlined), and with
  ``simplify_m``;
* ``GeoDataFrame.explore()`` on the same parcels and columns.

Open time = ``page.goto`` until the parcels layer is on the map and a frame
has been painted, in headless Debian Chromium with the network cut
(online maps get their Leaflet from the vendored files via a route, so the
figure measures parsing and drawing, not the CDN).

Targets (issue 4): HTML ≤ 8 MB, ≤ half of explore(), open < 3 s.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--parcels 20000]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "maps"))

from synthetic import FakeResult, grid_parcels  # noqa: E402

from landclear.maps import park_map  # noqa: E402
from landclear.maps.offline import ASSETS, asset_text  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def make_parcels(n: int):
    side = int(np.ceil(np.sqrt(n)))
    gdf = grid_parcels(side, side, size_m=60.0).iloc[:n].copy()
    # Midpoints on each edge, jittered identically for both neighbours (shared edges stay shared).
    coords = shapely.get_coordinates(gdf.geometry.values)
    q = np.round(coords, 9)
    rings = []
    rng = np.random.default_rng(0)
    jitter = {}
    for k in range(len(gdf)):
        c = q[k * 5 : (k + 1) * 5]
        pts = []
        for a, b in zip(c[:-1], c[1:], strict=True):
            key = tuple(sorted((tuple(a), tuple(b))))
            if key not in jitter:
                jitter[key] = rng.normal(0, 4e-5, 2)
            pts += [a, (a + b) / 2 + jitter[key]]
        rings.append(shapely.Polygon(pts))
    gdf = gdf.set_geometry(rings, crs=4490)
    gdf["owner_name"] = [f"宁夏某某{k % 3000}新材料科技有限公司" for k in range(len(gdf))]
    gdf["action_reason"] = np.where(np.arange(len(gdf)) % 9 == 1, "闲置满两年，依法无偿收回", "")
    gdf["mortgagees"] = np.where(np.arange(len(gdf)) % 9 == 3, "中国工商银行石嘴山分行", "")
    return gdf


def open_time(browser, path: Path) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    # Same files for the same names, whichever CDN version a page asks for (folium links 1.9.3).
    local = {a.url.rsplit("/", 1)[-1]: a for a in ASSETS.values()}

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            return r.continue_()
        if url.rsplit("/", 1)[-1] in local:
            a = local[url.rsplit("/", 1)[-1]]
            ctype = "text/css" if a.kind == "css" else "application/javascript"
            return r.fulfill(status=200, body=asset_text(a.file), content_type=ctype)
        return r.abort()

    page.route("**/*", route)
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=120_000)
    page.wait_for_function(
        "() => { const m = window.LandclearMaps ? Object.values(LandclearMaps.maps)[0] : null;"
        " if (m) { return m.map.hasLayer(m.parcels); }"
        " return !!document.querySelector('.leaflet-interactive'); }",
        timeout=120_000,
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    dt = time.perf_counter() - t0
    page.close()
    return dt


def _stub_mapclassify() -> None:
    """explore() imports mapclassify up front but uses it only for ``scheme=``; stub it if absent."""
    try:
        import mapclassify  # noqa: F401
    except ImportError:
        import types

        stub = types.ModuleType("mapclassify")

        def classify(*a, **k):
            raise RuntimeError("mapclassify stub: scheme= is not used here")

        stub.classify = classify
        sys.modules["mapclassify"] = stub


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=20_000)
    args = ap.parse_args()
    from landclear.maps.legend import parcel_state

    gdf = make_parcels(args.parcels)
    parks = gdf[["park", "geometry"]].dissolve("park").reset_index()
    result = FakeResult(parcels=gdf, park_shapes=parks, parks=None)
    out = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    rows = []
    cases = [
        ("park_map online", {"basemap": "osm"}),
        ("park_map offline", {"offline": True}),
        ("park_map gaode", {"basemap": "gaode"}),
        ("park_map simplify 1 m", {"basemap": "osm", "simplify_m": 1.0}),
    ]
    for name, kw in cases:
        t0 = time.perf_counter()
        m = park_map(result, "测试园区", **kw)
        path = out / f"{name.replace(' ', '_')}.html"
        m.save(str(path))
        rows.append([name, time.perf_counter() - t0, path])
    cols = [c for c in gdf.columns if c != "geometry"]
    _stub_mapclassify()
    t0 = time.perf_counter()
    path = out / "explore.html"
    states = parcel_state(gdf).rename("state")
    gdf[cols + ["geometry"]].assign(state=states).explore(
        column="state", categorical=True, tiles="OpenStreetMap"
    ).save(str(path))
    rows.append(["GeoDataFrame.explore()", time.perf_counter() - t0, path])

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        open_time(browser, rows[0][2])  # warm-up: the first page pays Chromium's start-up
        for row in rows:
            row.append(open_time(browser, row[2]))
            print(f"  opened {row[0]}: {row[-1]:.2f} s", flush=True)
        browser.close()

    explore_mb = rows[-1][2].stat().st_size / 1e6
    print(
        f"\n{args.parcels} parcels · {len(shapely.get_coordinates(gdf.geometry.values))} vertices\n"
    )
    print(f"{'case':<26}{'build s':>9}{'HTML MB':>10}{'÷ explore':>11}{'open s':>9}")
    for name, build, path, opened in rows:
        mb = path.stat().st_size / 1e6
        print(f"{name:<26}{build:>9.2f}{mb:>10.2f}{mb / explore_mb:>11.2f}{opened:>9.2f}")
    print("\ntargets: HTML ≤ 8 MB, ≤ 0.50 × explore(), open < 3 s")
    for name, _, path, opened in rows[:-1]:
        mb = path.stat().st_size / 1e6
        ok = mb <= 8 and mb <= 0.5 * explore_mb and opened < 3
        print(f"  {name:<24} {'meets' if ok else 'MISSES'} the targets")
    print(f"files in {out}")


if __name__ == "__main__":
    main()
