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
