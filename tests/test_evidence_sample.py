"""Issue 7 on the sample: the built-up raster flags the planted idle land, and no built parcel."""

from __future__ import annotations

import pandas as pd


def test_built_up_raster_flags_planted_idle_only(sample_result, planted):
    p = sample_result.parcels
    assert p["built_up_frac"].notna().all()
    flagged = set(p.loc[p["suspected_idle"], "parcel_id"])
    idle = set(planted["idle"])
    assert flagged and flagged <= idle  # no built parcel is suspected
    as_of = pd.Timestamp(planted["as_of"])
    granted = p.set_index("parcel_id")["grant_date"]
    old_unbuilt = {
        pid
        for pid, v in planted["idle"].items()
        if v["type"] == "A" and granted[pid] < as_of - pd.DateOffset(years=2)
    }
    assert old_unbuilt <= flagged
    built = p["built_up_frac"] >= planted["raster"]["built_min"] - 0.05
    assert not (p.loc[built, "suspected_idle"]).any()


def test_evidence_sheet_in_workbook(sample_result):
    sheets = dict(sample_result.workbook_sheets())
    sheet = sheets["遥感核查"]
    assert len(sheet) == int((sample_result.parcels["evidence_flags"] != "").sum())


def test_built_up_raster_is_a_map_layer(sample_result):
    import json

    from landclear.maps import park_map

    overlays = sample_result.extras["raster_overlays"]
    assert [t for t, _, _ in overlays] == ["遥感建成覆盖率"]
    title, png, bounds = overlays[0]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (south, west), (north, east) = bounds
    assert 38.3 < south < north < 39.45 and 105.9 < west < east < 107.05
    html = park_map(sample_result, "平罗工业园区", offline=True).get_root().render()
    assert json.dumps(title)[1:-1] in html
