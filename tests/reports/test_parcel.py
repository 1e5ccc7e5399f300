"""Selection and per-parcel contexts of the parcel files, checked against the raw frame."""

from __future__ import annotations

import re

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


def test_alternatives_with_a_bar(sample_result):
    """``lists>=1|idle|grade=D``: any of the terms (OR); several selectors still AND."""
    p = sample_result.parcels
    want = (p["lists"] >= 1) | p["idle"] | (p["grade"] == "D")
    got = select_mask(p, "lists>=1|idle|grade=D")
    assert got.tolist() == want.tolist() and got.sum() > (p["lists"] >= 1).sum()
    both = select_mask(p, ["idle|grade=D", "lists>=1"])
    assert both.tolist() == ((p["idle"] | (p["grade"] == "D")) & (p["lists"] >= 1)).tolist()
    for bad in ("lists>=1|", "|idle", "idle||grade=D", "idle|lsts>=1"):
        with pytest.raises(SelectorError):
            select_mask(p, bad)


def test_match_to_confirm_is_a_note_of_the_parcel(sample_result):
    """An owner linked to an enterprise by name (not by credit code) is a note on its file."""
    matches = [m for m in sample_result.quality.matches if m["source"] == "parcels"]
    assert matches, "the sample plants parcels whose owner is matched by name"
    p = sample_result.parcels
    keys = p["source_file"].astype(str) + "#" + p["source_row"].astype("Int64").astype(str)
    for m in matches[:5]:
        row = p[keys == f"{m['source_file']}#{m['source_row']}"]
        assert len(row) == 1
        notes = build_contexts(sample_result, row)[0]["quality"]
        note = next(n for n in notes if n.startswith("企业匹配待确认"))
        assert m["record_name"] in note and "名称一致" in note


@pytest.mark.parametrize("method", ["name", "fuzzy", "branch", "code_conflict", "none"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_match_note_names_the_method_as_the_workbook_does(method, language):
    """The parcel file and the workbook's 匹配核对 sheet use the same words for a method."""
    from landclear.labels import translate_values
    from landclear.reports.parcel import _match_note

    sheet = translate_values(pd.DataFrame({"method": [method]}), language)["method"].iloc[0]
    assert sheet != method or language == "en"  # translated (English "branch" is itself)
    record = {"method": method, "record_name": "甲公司", "entity_name": "甲有限公司", "score": 90.0}
    note = _match_note(record, 0 if language == "zh" else 1)
    assert sheet in note


def test_rejected_duplicate_row_is_a_note_of_the_kept_parcel(sample_result):
    """A second row with the same parcel id but other contents was dropped: say so."""
    rejected = [
        r
        for r in sample_result.quality.inputs["parcels"].rejected
        if r["column"] == "parcel_id" and "重复" in r["reason"]
    ]
    assert rejected, "the sample plants a conflicting duplicate parcel"
    r = rejected[0]
    kept_row = int(re.search(r"第(\d+)行", r["reason"]).group(1))
    p = sample_result.parcels
    kept = p[(p["source_file"] == r["file"]) & (p["source_row"] == kept_row)]
    assert len(kept) == 1
    notes = build_contexts(sample_result, kept)[0]["quality"]
    assert any(f"第{r['row']}行" in n and "已剔除" in n for n in notes), notes
    # Other parcels do not get it.
    other = p[p["lists"] >= 1].head(5)
    assert not any(
        "已剔除" in n for c in build_contexts(sample_result, other) for n in c["quality"]
    )


def test_evidence_line_names_the_flag_its_reason_and_the_value(sample_result):
    p = sample_result.parcels
    flagged = p[p["evidence_flags"].astype(str) != ""].iloc[[0]]
    line = build_contexts(sample_result, flagged)[0]["evidence"]
    assert line.startswith(flagged["evidence_flags"].iloc[0])
    assert flagged["evidence_reason"].iloc[0] in line
    assert line.endswith(f"建成覆盖率 {flagged['built_up_frac'].iloc[0] * 100:,.1f} %")
    quiet = p[(p["evidence_flags"].astype(str) == "") & p["built_up_frac"].notna()].iloc[[0]]
    assert build_contexts(sample_result, quiet)[0]["evidence"].startswith("无异常；建成覆盖率")


def test_no_raster_no_evidence_section(sample_result):
    """Without raster values the file says nothing about remote sensing (not "no flag")."""
    import dataclasses

    from landclear.reports.render import make_environment, render_parcel_html

    raster_cols = ["built_up_frac", "built_up_frac_coverage"]
    parcels = sample_result.parcels.drop(columns=raster_cols)
    project = dataclasses.replace(sample_result.project, rasters={})
    bare = dataclasses.replace(sample_result, parcels=parcels, project=project)
    ctx = build_contexts(bare, parcels[parcels["lists"] >= 1].head(1))[0]
    assert ctx["evidence"] is None
    assert "遥感核查" not in render_parcel_html(make_environment(), ctx, "")


def test_rejected_duplicate_in_another_file_is_a_note_of_the_kept_row():
    """Kept in a.shp row 1, rejected in b.shp row 5: the note goes to a.shp row 1 only."""
    from types import SimpleNamespace

    from landclear.quality import QualityLog
    from landclear.reports.parcel import _quality_index
    from landclear.validate import validate

    raw = pd.DataFrame(
        {
            "parcel_id": ["P1", "P2", "P1"],
            "certified_area": [10.0, 20.0, 12.0],
            "source_file": ["a.shp", "b.shp", "b.shp"],
            "source_row": [1, 1, 5],
        }
    )
    log = QualityLog()
    kept = validate(raw, "parcels", log)
    assert kept["parcel_id"].tolist() == ["P1", "P2"]
    (rejected,) = log.inputs["parcels"].rejected
    assert (rejected["file"], rejected["row"]) == ("b.shp", 5)
    assert (rejected["kept_file"], rejected["kept_row"]) == ("a.shp", 1)
    notes = _quality_index(SimpleNamespace(quality=log), kept)
    assert any("b.shp 第5行" in n and "已剔除" in n for n in notes["P1"]), notes
    assert not any("已剔除" in n for n in notes["P2"]), notes
