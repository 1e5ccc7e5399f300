"""Selection and per-parcel contexts of the parcel files, checked against the raw frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landclear.reports.parcel import (
    SelectorError,
    build_contexts,
    map_geometries,
    parse_selector,
    select_mask,
)


def test_selectors_match_pandas(sample_result):
    p = sample_result.parcels
    assert select_mask(p, "lists>=1").sum() == int((p["lists"] >= 1).sum()) > 0
    assert select_mask(p, "idle").sum() == int(p["idle"].sum())
    assert select_mask(p, "recoverable").sum() == int(p["recoverable"].sum())
    assert select_mask(p, "grade=D").sum() == int((p["grade"] == "D").sum())
    both = select_mask(p, ["lists>=1", "grade=C,D"])
    assert both.sum() == int(((p["lists"] >= 1) & p["grade"].isin(["C", "D"])).sum())
    assert select_mask(p, "!idle").sum() == int((~p["idle"]).sum())
    assert select_mask(p, "idle_years>=2").sum() == int((p["idle_years"] >= 2).sum())
    park = p["park"].iloc[0]
    assert select_mask(p, "idle", park=park).sum() == int((p["idle"] & (p["park"] == park)).sum())


@pytest.mark.parametrize(
    "bad",
    [
        "__import__('os').system('x')",
        "lists>=abc",
        "lsts>=1",
        "grade>C",
        "idle=maybe",
        "",
        "lists>=",
    ],
)
def test_bad_selectors_are_errors_not_code(sample_result, bad):
    with pytest.raises(SelectorError):
        select_mask(sample_result.parcels, bad)


def test_unknown_field_names_the_nearest():
    with pytest.raises(SelectorError, match="lists"):
        parse_selector(pd.DataFrame({"lists": [1]}), "lsts>=1")


def test_unknown_park_lists_valid_ones(sample_result):
    with pytest.raises(SelectorError, match="石嘴山"):
        select_mask(sample_result.parcels, None, park="不存在园区")


def test_context_numbers_are_the_frame_numbers(sample_result):
    p = sample_result.parcels
    sel = p[(p["lists"] >= 1) & p["invested"].notna() & (p["planned_investment"] > 0)].head(5)
    ctxs = build_contexts(sample_result, sel)
    targets = sample_result.project.targets.per_mu_for(2024)
    for ctx, (_, row) in zip(ctxs, sel.iterrows(), strict=True):  # 5 rows: clarity over speed
        assert ctx["header"]["parcel_id"] == row["parcel_id"]
        assert ctx["header"]["as_of"] == "2024-06-30"
        figures = dict(ctx["figures"])
        assert figures["图形面积(亩)"] == f"{row['area_mu']:,.2f}"
        ratio = row["invested"] / row["planned_investment"] * 100
        assert f"投资完成率 {ratio:,.1f} %" in figures["已完成投资(万元)"]
        per_mu = {r[0]: r[1:] for r in ctx["per_mu"]}
        assert per_mu["亩均投资(万元/亩)"][2] == f"{targets['investment']:,.2f}"
        assert per_mu["亩均税收(万元/亩)"][2] == f"{targets['tax']:,.2f}"
        assert ctx["action"]["action"] == row["action"]
        assert ctx["action"]["rule"] == row["action_rule"]
        lists = {name: on for name, on, _ in ctx["lists"]}
        assert list(lists.values()).count("是") == int(row["lists"])


def test_park_indicators_in_context(sample_result):
    p, parks = sample_result.parcels, sample_result.parks.set_index("park")
    row = p[p["park"].isin(parks.index)].iloc[[0]]
    ctx = build_contexts(sample_result, row)[0]
    park_row = parks.loc[row["park"].iloc[0]]
    per_mu = {r[0]: r[1:] for r in ctx["per_mu"]}
    assert per_mu["亩均产值(万元/亩)"][1] == f"{park_row['output_per_mu']:,.2f}"


def test_quality_notes_reach_the_parcel(sample_result):
    warned = [w for w in sample_result.quality.warnings if w.get("parcel_id")]
    assert warned, "the sample plants warnings about parcels"
    p = sample_result.parcels
    for w in warned[:5]:
        row = p[p["parcel_id"] == w["parcel_id"]]
        if row.empty:
            continue
        ctx = build_contexts(sample_result, row)[0]
        assert w["message"] in ctx["quality"]
        # Equivalent to the log's own per-row lookup.
        f, r = row["source_file"].iloc[0], int(row["source_row"].iloc[0])
        for note in sample_result.quality.issues_for("parcels", f, r):
            assert note in ctx["quality"]


def test_evidence_line_present_when_raster_columns_exist(sample_result):
    p = sample_result.parcels
    assert "built_up_frac" in p
    row = p[p["built_up_frac"].notna()].iloc[[0]]
    ctx = build_contexts(sample_result, row)[0]
    assert f"{row['built_up_frac'].iloc[0] * 100:,.1f} %" in ctx["evidence"]


def test_neighbourhood_slices(sample_result):
    p = sample_result.parcels
    sel = p[p["lists"] >= 1].head(3)
    slices = map_geometries(sample_result, sel)
    for (hood, park), (_, row) in zip(slices, sel.iterrows(), strict=True):
        assert hood["parcel_id"].iloc[0] == row["parcel_id"]
        assert hood.crs == p.crs
        # Every parcel within 400 m (metric) of the target is in the slice.
        from landclear.geo import local_metric_crs

        crs = local_metric_crs(p)
        m = p.to_crs(crs)
        target = m.loc[row.name, "geometry"]
        near = set(m.loc[m.distance(target.centroid) < 400, "parcel_id"])
        assert near <= set(hood["parcel_id"])
        assert len(park) >= 1 and np.all(~park.is_empty)
