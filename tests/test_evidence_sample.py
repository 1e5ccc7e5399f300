"""Issue 7 on the sample: the built-up raster flags the planted idle land, and no built parcel.

"Built" and "idle" come from the answers planted by ``shapefiles/make_sample.py``
(``planted.json``), never from the values this code measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sample_copy import sample_project

ROOT = Path(__file__).resolve().parents[1]


def _granted_years_ago(planted: dict, granted: pd.Series, years: int = 2) -> pd.Series:
    """Granted at least ``years`` before as_of: the ``years``-th anniversary ≤ as_of."""
    as_of = pd.Timestamp(planted["as_of"])
    return granted.map(lambda d: pd.notna(d) and d + pd.DateOffset(years=years) <= as_of)


def _old_unbuilt(planted: dict, granted: pd.Series, years: int = 2) -> set[str]:
    """Planted idle parcels never started (type A) granted at least ``years`` before as_of."""
    old = _granted_years_ago(planted, granted, years)
    return {pid for pid, v in planted["idle"].items() if v["type"] == "A" and old[pid]}


def _built(planted: dict, parcel_ids: pd.Series) -> set[str]:
    """Every parcel the generator built on: not idle, not a near-idle or unevaluable case."""
    special = set(planted["idle"]) | set(planted["not_idle"]) | set(planted["not_evaluable"])
    return set(parcel_ids.astype(str)) - special


def test_built_up_raster_flags_planted_idle_only(sample_result, planted):
    p = sample_result.parcels
    assert p["built_up_frac"].notna().all() and (p["built_up_frac_coverage"] > 0.99).all()
    granted = p.set_index("parcel_id")["grant_date"]
    flagged = set(p.loc[p["suspected_idle"], "parcel_id"])
    # exactly the never-started idle parcels granted at least 2 years ago (25 of 39; one of
    # them was granted on 2022-06-30, its 2nd anniversary is as_of itself)
    assert flagged == _old_unbuilt(planted, granted)
    assert len(flagged) == 25
    # no built parcel, whatever its grant date
    built = _built(planted, p["parcel_id"])
    assert len(built) > 2000 and not (flagged & built)
    assert p.loc[p["parcel_id"].isin(built), "built_up_frac"].min() >= 0.4
    # the type-B idle parcels were started (15–28 % built up): little cover, but not "little"
    by_id = p.set_index("parcel_id")
    b = [pid for pid, v in planted["idle"].items() if v["type"] == "B"]
    assert by_id.loc[b, "built_up_frac"].between(0.15, 0.3).all()
    reason = by_id.loc[sorted(flagged)[0], "evidence_reason"]
    assert "建成区覆盖" in reason and "（<15%）" in reason


def test_evidence_thresholds_from_the_project_file(tmp_path, planted):
    """``[rules.evidence]`` reaches the rule: with built-up < 30 % the started-but-stalled
    (type B) idle parcels are flagged too, still no built parcel."""
    from landclear.analysis import run

    path = sample_project(tmp_path, append="\n[rules.evidence]\nbuilt_up_max = 0.3\n")
    p = run(path).parcels
    granted = p.set_index("parcel_id")["grant_date"]
    old = _granted_years_ago(planted, granted)
    started = {pid for pid, v in planted["idle"].items() if v["type"] == "B" and old[pid]}
    flagged = set(p.loc[p["suspected_idle"], "parcel_id"])
    assert started and flagged >= _old_unbuilt(planted, granted) | started
    # the only others are the planted near-misses (started, stalled, not idle by law)
    assert flagged - _old_unbuilt(planted, granted) - started <= set(planted["not_idle"])
    assert not (flagged & _built(planted, p["parcel_id"]))


def test_evidence_sheet_in_workbook(sample_result):
    sheets = dict(sample_result.workbook_sheets())
    sheet = sheets["遥感核查"]
    p = sample_result.parcels
    assert len(sheet) == int((p["evidence_flags"] != "").sum()) == int(p["suspected_idle"].sum())
    assert sheet.iloc[:, 0].tolist() == p.loc[p["evidence_flags"] != "", "parcel_id"].tolist()


def test_evidence_line_in_the_parcel_file(sample_result):
    from landclear.reports.parcel import build_contexts

    p = sample_result.parcels
    row = p[p["suspected_idle"]].iloc[[0]]
    ctx = build_contexts(sample_result, row)[0]
    assert "疑似闲置：供地多年但建成区比例低" in ctx["evidence"]
    assert f"{row['built_up_frac'].iloc[0] * 100:,.1f} %" in ctx["evidence"]
    quiet = build_contexts(sample_result, p[~p["suspected_idle"]].iloc[[0]])[0]
    assert "疑似闲置" not in quiet["evidence"]


def test_built_up_raster_is_a_map_layer(sample_result):
    from landclear.maps import park_map

    overlays = sample_result.extras["raster_overlays"]
    assert [t for t, _, _ in overlays] == ["遥感建成覆盖率"]
    title, png, bounds = overlays[0]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (south, west), (north, east) = bounds
    assert 38.3 < south < north < 39.45 and 105.9 < west < east < 107.05
    html = park_map(sample_result, "平罗工业园区", offline=True).get_root().render()
    assert json.dumps(title)[1:-1] in html


def test_overlay_bounds_follow_the_raster(sample_result):
    """The overlay covers the raster's extent, reprojected (not the raster's own grid)."""
    import rasterio
    from rasterio.warp import transform_bounds

    with rasterio.open(ROOT / "shapefiles" / "built_up.tif") as ds:
        west, south, east, north = transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)
    (s, w), (n, e) = sample_result.extras["raster_overlays"][0][2]
    assert (s, w, n, e) == pytest.approx((south, west, north, east), abs=2e-3)


@pytest.mark.parametrize("column", ["grade", "lists"])
def test_sample_column_as_cog_on_the_raster_grid(sample_result, tmp_path, column):
    """Issue 7 §3 on the sample: a parcel column burned onto the built-up raster's grid."""
    import numpy as np
    import rasterio
    import shapely
    from rio_cogeo.cogeo import cog_validate

    from landclear.raster import rasterize_column

    grid = ROOT / "shapefiles" / "built_up.tif"
    p = sample_result.parcels
    out = rasterize_column(p, column, tmp_path / f"{column}.tif", like=grid)
    assert cog_validate(str(out), strict=True)[0]
    with rasterio.open(grid) as ref, rasterio.open(out) as ds:
        assert (ds.crs, ds.transform, ds.shape) == (ref.crs, ref.transform, ref.shape)
        assert ds.overviews(1)
        codes = json.loads(ds.tags().get("LANDCLEAR_CATEGORIES", "{}"))
        # the value under a point inside each of 50 parcels (for lists: parcels on a list)
        pool = p if column == "grade" else p[p["lists"] >= 1]
        sample = pool.sample(50 if column == "grade" else 30, random_state=1).to_crs(ds.crs)
        inside = shapely.point_on_surface(sample.geometry.values)
        xy = [(pt.x, pt.y) for pt in inside]
        got = np.array([v[0] for v in ds.sample(xy)])
    if column == "grade":
        want = sample["grade"].astype(str).map({v: int(k) for k, v in codes.items()})
        assert set(codes.values()) == set(p["grade"].dropna().astype(str))
    else:
        want = sample["lists"].astype(float)
        assert want.nunique() > 1
    # a point may fall in a cell whose centre lies in a neighbour: nearly all match (all do here)
    assert (got == want.to_numpy()).mean() >= 0.9
