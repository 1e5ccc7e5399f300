"""The half-year bulletin (landclear.reports.bulletin): HTML + PDF, escaping, changes, CLI."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from pdfcheck import pdftotext

from landclear.history import snapshot
from landclear.progress import compute_progress, register_cli
from landclear.reports.bulletin import bulletin_context, write_bulletin

ROOT = Path(__file__).resolve().parents[2]
EVIL = "<img src=x onerror=alert(1)>${alert(2)}"


@pytest.fixture(scope="module")
def result(sample_result):
    """The session's sample run (tests/conftest.py), not a run of its own."""
    return sample_result


@pytest.fixture(scope="module")
def planted():
    return json.loads((ROOT / "shapefiles" / "planted.json").read_text("utf-8"))["progress"]


def test_html_and_pdf(result, planted, tmp_path, no_tofu):
    written = write_bulletin(result, tmp_path, store=tmp_path / "none.sqlite")
    no_tofu(written["pdf"])
    html = written["html"].read_text("utf-8")
    assert "石嘴山市闲置低效工业用地清理工作2024年上半年进展通报" in html
    assert f"{planted['cleared_enterprises']} / 80" in html
    assert f"{planted['cleared_mu']:,.1f} / 4,000" in html
    assert "尚无历史快照" in html
    assert html.count("data:image/png;base64,") == 2
    text = pdftotext(written["pdf"])
    assert "进展通报" in text and "按园区" in text and "平罗工业园区" in text
    fonts = subprocess.run(
        ["pdffonts", str(written["pdf"])], check=True, capture_output=True, text=True
    ).stdout
    assert "Noto-Sans-CJK-SC" in fonts.replace(" ", "-")
    assert written["progress_png"].exists() and written["park_indicators_svg"].exists()


def test_tables_match_independent_counts(result, planted):
    ctx = bulletin_context(result, store=Path("/nonexistent/h.sqlite"))
    p = result.parcels
    behind = p[p["recoverable"] & ~p["cleared"]]
    assert ctx["counts"]["recoverable"] == len(behind)
    rows = ctx["tables"]["recoverable"]["rows"]
    assert {r[0] for r in rows} == set(behind["parcel_id"].head(60)) or len(behind) > 60
    by_park = {r[0]: r for r in ctx["tables"]["by_park"]["rows"]}
    for park, want in planted["by_park"].items():
        assert by_park[park][1] == str(want["cleared_enterprises"])
        assert by_park[park][2] == f"{want['cleared_mu']:,.2f}"
    lists = dict(ctx["tables"]["lists"]["rows"])
    assert lists["停产两年以上工业企业清单"] == str(int(result.enterprises["stopped_2y"].sum()))


def _one_completion_still_under_way(result):
    """The run as an earlier report saw it: one enterprise's only completed disposal under way."""
    table = compute_progress(result).disposals
    done = table[table["done"]]
    once = done.groupby("ent_key").filter(lambda g: len(g) == 1).iloc[0]
    before = result.disposals.copy()
    before.loc[before["source_row"] == once["source_row"], "status"] = "推进中"
    return dataclasses.replace(result, disposals=before, extras={}), once


def test_changes_since_previous_snapshot(result, tmp_path):
    """A snapshot where one enterprise's only completion was still under way → newly cleared."""
    earlier, once = _one_completion_still_under_way(result)
    store = tmp_path / "h.sqlite"
    snapshot(earlier, store=store, label="2023H2")
    html = write_bulletin(result, tmp_path / "out", store=store, pdf=False)["html"].read_text(
        "utf-8"
    )
    assert "快照 1(2023H2)" in html
    section = html.split("新出清企业", 2)[2] if html.count("新出清企业") >= 2 else ""
    assert once["ent_key"] in section
    assert "新完成处置" in html


def test_untrusted_text_is_escaped(result, tmp_path):
    parcels = result.parcels.copy()
    first = parcels.index[parcels["recoverable"] & ~parcels["cleared"]][0]
    parcels.loc[first, "owner_name"] = EVIL
    evil = dataclasses.replace(
        result,
        parcels=parcels,
        extras={
            "scenario_tables": [
                (
                    "<b>加快收储</b>",
                    pd.DataFrame({"企业": ["<script>alert(3)</script>"], "面积": [1.5]}),
                )
            ]
        },
    )
    html = write_bulletin(evil, tmp_path, store=tmp_path / "x.sqlite", pdf=False)["html"]
    text = html.read_text("utf-8")
    assert "<img src=x" not in text and "<script>alert" not in text and "<b>加快收储" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;${alert(2)}" in text
    assert "&lt;b&gt;加快收储&lt;/b&gt;" in text


@pytest.mark.browser
def test_escaped_text_renders_inert_in_chromium(result, tmp_path, browser):

    parcels = result.parcels.copy()
    first = parcels.index[parcels["recoverable"] & ~parcels["cleared"]][0]
    parcels.loc[first, "owner_name"] = EVIL
    evil = dataclasses.replace(result, parcels=parcels, extras={})
    html = write_bulletin(evil, tmp_path, store=tmp_path / "x.sqlite", pdf=False)["html"]
    dialogs: list[str] = []
    # one shared browser for the run (tests/conftest.py)
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_timeout(300)
    body = page.inner_text("body")
    images = page.eval_on_selector_all("img", "els => els.map(e => e.src.slice(0, 22))")
    page.close()
    assert dialogs == []
    assert EVIL in body  # shown as text
    assert images == ["data:image/png;base64,"] * 2


def test_cli_snapshot_changes_bulletin(tmp_path):
    work = tmp_path / "shapefiles"
    shutil.copytree(
        ROOT / "shapefiles",
        work,
        ignore=shutil.ignore_patterns("*.sqlite*", "make_sample.py", "__pycache__"),
    )
    group = click.Group("landclear")
    register_cli(group)
    runner = CliRunner()
    project = str(work / "project.toml")
    r = runner.invoke(group, ["snapshot", project, "--label", "H1"])
    assert r.exit_code == 0, r.output
    assert (work / "landclear-history.sqlite").exists()
    # --until names a snapshot, so no second run is needed: H1 against itself is empty.
    r = runner.invoke(
        group, ["changes", project, "--since", "H1", "--until", "H1", "--out", str(tmp_path / "ch")]
    )
    assert r.exit_code == 0, r.output
    assert "新出清企业: 0" in r.output
    assert (tmp_path / "ch" / "changes.xlsx").exists()
    r = runner.invoke(group, ["changes", project, "--since", "nope", "--until", "H1"])
    assert r.exit_code == 2 and "找不到快照" in r.output
    r = runner.invoke(group, ["bulletin", "--help"])
    assert r.exit_code == 0 and "--out" in r.output and "--since" in r.output


def test_compares_with_the_previous_report_not_this_periods_snapshot(result, tmp_path):
    """Half-year routine: snapshot H2, …, snapshot H1, bulletin: changes are since H2."""
    earlier, _ = _one_completion_still_under_way(result)
    store = tmp_path / "h.sqlite"
    snapshot(earlier, store=store, label="2023H2")
    snapshot(result, store=store, label="2024H1")  # this period, taken before the bulletin
    ctx = bulletin_context(result, store=store)
    assert "快照 1(2023H2)" in ctx["changes_intro"]
    assert "快照 2 为本期结果" in ctx["changes_intro"]
    counts = dict(ctx["changes"]["counts"]["rows"])
    assert counts["新出清企业"] == "1" and counts["新完成处置"] == "1"
    # Asked for explicitly, the latest snapshot is used as it is: nothing changed.
    same = bulletin_context(result, store=store, since="2024H1")
    assert all(n == "0" for n in dict(same["changes"]["counts"]["rows"]).values())


def test_park_indicators_for_every_year_against_that_years_targets(result):
    ctx = bulletin_context(result, store=Path("/nonexistent/h.sqlite"))
    t = ctx["tables"]["parks"]
    cols = t["columns"]
    year, inv_t, out_t, tax_t = (
        cols.index(c) for c in ("年度", "投资强度目标", "产出强度目标", "亩均税收目标")
    )
    targets = {r[year]: (r[inv_t], r[out_t], r[tax_t]) for r in t["rows"]}
    years = sorted(int(y) for y in result.enterprise_years["year"].dropna().unique())
    assert sorted(int(y) for y in targets) == years and len(years) >= 2
    for y in years:
        want = result.project.targets.per_mu_for(y)
        assert targets[str(y)] == tuple(f"{want[k]:,.2f}" for k in ("investment", "output", "tax"))
    parks = {r[0] for r in t["rows"]}
    assert set(result.parks["park"]) <= parks


def test_wide_scenario_tables_are_turned_on_their_side(result, tmp_path):
    """A 20-column scenario summary would print one character a line; on its side it fits."""
    wide = [(n, df) for n, df in result.extras["scenario_tables"] if df.shape[1] > 10]
    assert wide, "the sample has a wide scenario table"
    ctx = bulletin_context(result, store=Path("/nonexistent/h.sqlite"))
    for (name, df), part in zip(result.extras["scenario_tables"], ctx["scenarios"], strict=True):
        assert part["name"] == name
        t = part["table"]
        if df.shape[1] > 10:
            assert t["transposed"] and len(t["columns"]) == len(df) + 1
            assert [r[0] for r in t["rows"]] == [str(c) for c in df.columns[1:]]
    written = write_bulletin(result, tmp_path, store=tmp_path / "none.sqlite")
    assert 'class="side"' in written["html"].read_text("utf-8")
    from pypdf import PdfReader

    assert len(PdfReader(written["pdf"]).pages) <= 8


def test_behind_schedule_says_when_a_completion_is_not_counted_yet(result):
    """A recoverable parcel whose disposal is completed after as_of is still behind."""
    ctx = bulletin_context(result, store=Path("/nonexistent/h.sqlite"))
    t = compute_progress(result).disposals
    late = t[(t["status_class"] == "completed") & ~t["done"] & t["parcel_id"].notna()]
    rows = {r[0]: r[-1] for r in ctx["tables"]["recoverable"]["rows"]}
    shown = [pid for pid in late["parcel_id"] if pid in rows]
    assert shown, "the sample plants a recoverable parcel completed after as_of"
    for pid in shown:
        assert "晚于基准日" in rows[pid] and "未计入" in rows[pid]
    assert not any(v == "已完成" for v in rows.values())


def test_cli_bulletin_writes_html_and_pdf(planted, tmp_path, no_tofu):
    group = click.Group("landclear")
    register_cli(group)
    out = tmp_path / "bulletin"
    project = str(ROOT / "shapefiles" / "project.toml")
    r = CliRunner().invoke(
        group, ["bulletin", project, "--out", str(out), "--store", str(tmp_path / "h.sqlite")]
    )
    assert r.exit_code == 0, r.output
    assert (out / "bulletin.html").is_file() and (out / "bulletin.pdf").is_file()
    assert (out / "progress.png").is_file() and (out / "charts" / "park_indicators.svg").is_file()
    no_tofu(out / "bulletin.pdf")
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", str(out / "bulletin.pdf"), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout,
    )
    assert f"{planted['cleared_enterprises']}/80" in text
    for heading in ("按县区", "按园区", "三个清单", "进度滞后事项", "与上次快照相比的变化"):
        assert heading in text, heading


def test_park_table_all_met_counts_only_measures_with_a_target(result):
    """A year without a tax target: a park meeting investment and output meets all it has."""
    progress = compute_progress(result)
    py = progress.park_years.copy()
    assert len(py) >= 2
    py["target_tax"] = float("nan")
    py["pass_tax"] = pd.Series(pd.NA, index=py.index, dtype="boolean")
    py["pass_output"] = py["pass_output"].astype("boolean")
    py.loc[py.index[0], "pass_output"] = False
    both = (py["pass_investment"].astype("boolean") & py["pass_output"]).fillna(False)
    one_fails = (py["pass_investment"].eq(False) | py["pass_output"].eq(False)).fillna(False)
    assert both.any(), "the sample has a park meeting investment and output"
    progress = dataclasses.replace(progress, park_years=py)
    ctx = bulletin_context(result, store=Path("/nonexistent/h.sqlite"), progress=progress)
    t = ctx["tables"]["parks"]
    met = [r[t["columns"].index("三项达标")] for r in t["rows"]]
    want = ["是" if b else "否" if f else "" for b, f in zip(both, one_fails, strict=True)]
    assert met[0] == "否" and met == want


def test_bulletin_builds_the_runs_state_once(result, tmp_path, monkeypatch):
    """Choosing the snapshot and comparing with it share one live state of the run."""
    import landclear.history as history

    earlier, _ = _one_completion_still_under_way(result)
    store = tmp_path / "h.sqlite"
    snapshot(earlier, store=store, label="2023H2")
    snapshot(result, store=store, label="2024H1")
    calls: list[int] = []
    real = history._live_state
    monkeypatch.setattr(history, "_live_state", lambda r: calls.append(1) or real(r))
    ctx = bulletin_context(result, store=store)
    assert "快照 1(2023H2)" in ctx["changes_intro"]
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("n_cols", "n_rows", "turned"),
    [(10, 1, False), (10, 6, False), (11, 6, True), (11, 1, True), (11, 7, False)],
)
def test_wide_table_cut_off(n_cols, n_rows, turned):
    """More than 10 columns and at most 6 rows is turned on its side; otherwise upright."""
    from landclear.reports.bulletin import _table

    df = pd.DataFrame(
        {"park": [f"园区{i}" for i in range(n_rows)]}
        | {f"c{j}": [float(j)] * n_rows for j in range(1, n_cols)}
    )
    t = _table(df, "zh")
    assert t["transposed"] is turned
    if turned:  # one row per column of df, one column per row of df (after the field name)
        assert len(t["rows"]) == n_cols - 1 and len(t["columns"]) == n_rows + 1
        assert t["columns"][1:] == df["park"].tolist()
    else:
        assert len(t["columns"]) == n_cols and len(t["rows"]) == n_rows
