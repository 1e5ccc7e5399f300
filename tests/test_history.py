"""The history store (landclear.history): snapshots, changes, atomicity, concurrency."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import landclear.analysis
from landclear.history import (
    PAUSE_ENV,
    changes,
    default_store,
    list_snapshots,
    load_state,
    snapshot,
)
from landclear.ids import normalise_credit_code

ROOT = Path(__file__).resolve().parents[1]


def _find_header(ws, text: str) -> tuple[int, dict[str, int]]:
    for r in range(1, 8):
        row = {str(c.value).strip(): c.column for c in ws[r] if c.value is not None}
        if any(text in k for k in row):
            return r, row
    raise AssertionError(f"header {text} not found")


def _col(header: dict[str, int], prefix: str) -> int:
    return next(c for k, c in header.items() if k.startswith(prefix))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of the sample (the store is written next to its project file)."""
    dst = tmp_path_factory.mktemp("sample") / "shapefiles"
    shutil.copytree(
        ROOT / "shapefiles",
        dst,
        ignore=shutil.ignore_patterns("*.sqlite*", "__pycache__", "make_sample.py"),
    )
    return dst


@pytest.fixture(scope="module")
def first(workdir):
    result = landclear.analysis.run(workdir / "project.toml")
    info = snapshot(result, label="before")
    return result, info


def test_snapshot_records_state(first, workdir):
    result, info = first
    store = workdir / "landclear-history.sqlite"
    assert info.store == store == default_store(result.project)
    snaps = list_snapshots(store)
    assert snaps["id"].tolist() == [info.id] and snaps["label"].tolist() == ["before"]
    state = load_state(store, "before")
    assert len(state["parcels"]) == len(result.parcels)
    assert state["summary"]["parcels"] == len(result.parcels)
    assert state["parcels"]["idle"].sum() == int(result.parcels["idle"].sum())
    assert state["enterprises"]["cleared"].sum() == info.summary["cleared_enterprises"]
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = dict(
            conn.execute(
                "SELECT path, sha256 FROM input_files WHERE snapshot_id=?", (info.id,)
            ).fetchall()
        )
    disp = str((workdir / "ledgers" / "disposals.xlsx").resolve())
    assert rows[disp] == hashlib.sha256(Path(disp).read_bytes()).hexdigest()
    assert any(p.endswith("gaoxin.dbf") for p in rows)  # shapefile sidecars are hashed too


def test_no_changes_against_itself(first, workdir):
    result, info = first
    ch = changes(result, since=info.id)
    assert ch.empty, ch.counts()
    assert ch.to_frame().empty


def _enterprise_rows(ws, header_row: int, code_col: int, code: str) -> list[int]:
    codes = [ws.cell(r, code_col).value for r in range(header_row + 1, ws.max_row + 1)]
    norm = normalise_credit_code(pd.Series(codes, dtype="object"))
    return [header_row + 1 + i for i, c in enumerate(norm.fillna("")) if c == code]


def _edit_inputs(workdir: Path, result) -> dict[str, str]:
    """Edit the sample's inputs the way a half year of work does.

    * the disposal ledger: one ongoing disposal completed on 2024-05-20 (its
      enterprise newly cleared), and one completed disposal put back to 推进中
      (slipped; its enterprise keeps another completed disposal);
    * the enterprise ledger: one producing enterprise stopped since 2021-06-01,
      and one D-graded enterprise's tax and value added raised twentyfold;
    * the 平罗 GeoPackage: one started parcel loses its start date and gets an
      agreed start of 2021-03-01 (now idle three years, so recoverable).
    """
    from landclear.progress import compute_progress

    table = compute_progress(result).disposals
    cleared = set(table.loc[table["done"], "ent_key"])
    ongoing = table[(table["status_class"] == "ongoing") & ~table["ent_key"].isin(cleared)]
    target = ongoing.sort_values("source_row").iloc[0]
    done = table[table["done"]]
    twice = done[done.groupby("ent_key")["ent_key"].transform("size") >= 2]
    slip = twice.sort_values("source_row").iloc[0]
    wb = openpyxl.load_workbook(workdir / "ledgers" / "disposals.xlsx")
    ws = wb.active
    hr, head = _find_header(ws, "处置状态")
    ws.cell(int(target["source_row"]), _col(head, "处置状态")).value = "已完成"
    ws.cell(int(target["source_row"]), _col(head, "完成时间")).value = "2024-05-20"
    ws.cell(int(slip["source_row"]), _col(head, "处置状态")).value = "推进中"
    wb.save(workdir / "ledgers" / "disposals.xlsx")

    # A producing enterprise with land, off every list, never disposed of.
    p = result.parcels
    e = result.enterprises
    busy = set(p.loc[p["idle"] | (p["lists"] > 0) | p["mortgaged_idle"], "enterprise_id"].dropna())
    busy |= set(table["ent_key"].dropna())
    ok = e[
        ~e["stopped_2y"]
        & ~e["tax_arrears_2y"]
        & e["enterprise_id"].isin(p["enterprise_id"])
        & ~e["enterprise_id"].isin(busy)
        & e["code_valid"]
    ]
    stop = ok.sort_values("enterprise_id").iloc[0]["enterprise_id"]
    graded = ok[(ok["grade"] == "D") & ok["above_scale"].eq(True)]
    regrade = graded[graded["enterprise_id"] != stop].sort_values("enterprise_id").iloc[0]
    wb = openpyxl.load_workbook(workdir / "ledgers" / "enterprises.xlsx")
    ws = wb.active
    hr, head = _find_header(ws, "生产状态")
    code_col = _col(head, "统一社会信用代码")
    rows = _enterprise_rows(ws, hr, code_col, stop)
    assert rows
    for r in rows:
        ws.cell(r, _col(head, "生产状态")).value = "停产"
        ws.cell(r, _col(head, "停产时间")).value = "2021-06-01"
    rows = _enterprise_rows(ws, hr, code_col, regrade["enterprise_id"])
    assert rows
    for r in rows:
        for name in ("实缴税金", "工业增加值"):
            cell = ws.cell(r, _col(head, name))
            cell.value = float(cell.value) * 20
    wb.save(workdir / "ledgers" / "enterprises.xlsx")

    quiet = p[
        (p["source_file"] == "parcels/pingluo.gpkg")
        & ~p["idle"]
        & p["actual_start"].notna()
        & (p["lists"] == 0)
        & ~p["mortgaged_idle"]
        & ~p["enterprise_id"].isin([stop, regrade["enterprise_id"]])
    ]
    idle_now = quiet.sort_values("parcel_id").iloc[0]["parcel_id"]
    with sqlite3.connect(workdir / "parcels" / "pingluo.gpkg") as conn:
        (layer,) = conn.execute("SELECT table_name FROM gpkg_contents").fetchone()
        # The R-tree triggers call SpatiaLite functions plain sqlite3 lacks; the edit
        # leaves geometries alone, so they are set aside for it and put back as they were.
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (layer,),
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        n = conn.execute(
            f'UPDATE "{layer}" SET "实际开工日期" = NULL, "约定开工日期" = ? WHERE "宗地代码" = ?',
            ("2021-03-01", idle_now),
        ).rowcount
        for _, sql in triggers:
            conn.execute(sql)
    assert n == 1
    return {
        "completed_key": target["key"],
        "cleared_ent": target["ent_key"],
        "slipped_key": slip["key"],
        "stopped_ent": stop,
        "regraded_ent": regrade["enterprise_id"],
        "idle_parcel": idle_now,
    }


@pytest.fixture(scope="module")
def second(first, workdir):
    result, info = first
    edits = _edit_inputs(workdir, result)
    result2 = landclear.analysis.run(workdir / "project.toml")
    info2 = snapshot(result2, label="after")
    return result2, info2, edits


def _newly(before: pd.DataFrame, after: pd.DataFrame, key: str, flag: str) -> set[str]:
    """Rows of ``after`` whose ``flag`` turned true, straight from the two runs' frames."""
    was = set(before.loc[before[flag].astype(bool), key])
    now = set(after.loc[after[flag].astype(bool), key])
    return (now - was) & set(before[key])


def test_two_snapshots_with_edited_inputs_show_the_expected_changes(first, second, workdir):
    """The issue's "done when": edited ledgers, two snapshots, exactly the changes made.

    Expected values come from the edits and from the two runs' own frames
    (result.parcels, result.enterprises), not from the history store.
    """
    result, info = first
    result2, info2, ed = second
    store = workdir / "landclear-history.sqlite"
    idle = _newly(result.parcels, result2.parcels, "parcel_id", "idle")
    recoverable = _newly(result.parcels, result2.parcels, "parcel_id", "recoverable")
    stopped = _newly(result.enterprises, result2.enterprises, "enterprise_id", "stopped_2y")
    g1 = result.enterprises.set_index("enterprise_id")["grade"]
    g2 = result2.enterprises.set_index("enterprise_id")["grade"]
    common = g1.index.intersection(g2.index)
    moved = g1[common].notna() & g2[common].notna() & (g1[common] != g2[common])
    grades = {e: (g1[e], g2[e]) for e in common[moved.to_numpy()]}
    assert ed["idle_parcel"] in idle and ed["idle_parcel"] in recoverable
    assert stopped == {ed["stopped_ent"]}
    assert grades[ed["regraded_ent"]] == ("D", "A")
    for ch in (
        changes(store, since=info.id),
        changes(store, "before", "after"),
        changes(result2, since=info.id),
    ):
        assert ch.newly_cleared["enterprise_id"].tolist() == [ed["cleared_ent"]]
        assert ch.newly_cleared["cleared_on"].tolist() == ["2024-05-20"]
        assert ch.disposals_completed["key"].tolist() == [ed["completed_key"]]
        assert set(ch.newly_stopped["enterprise_id"]) == stopped
        assert set(ch.newly_idle["parcel_id"]) == idle
        assert set(ch.newly_recoverable["parcel_id"]) == recoverable
        got = {r.enterprise_id: (r.grade_from, r.grade_to) for r in ch.grade_changes.itertuples()}
        assert got == grades
        assert ch.slipped["key"].tolist() == [ed["slipped_key"]]
        assert "状态倒退 已完成 → 推进中" in ch.slipped["detail"].iloc[0]
        for kind in ("parcels_added", "parcels_removed", "newly_tax_arrears"):
            assert len(getattr(ch, kind)) == 0, (kind, getattr(ch, kind))
        delta = ch.summary_delta().set_index("item")
        assert delta.loc["cleared_enterprises", "delta"] == 1  # the slipped one stays cleared
        assert delta.loc["stopped_list", "delta"] == 1
        assert delta.loc["idle_parcels", "delta"] == len(idle) - len(
            _newly(result2.parcels, result.parcels, "parcel_id", "idle")
        )
    long = ch.to_frame()
    assert set(long["kind"]) >= {
        "newly_cleared",
        "disposals_completed",
        "newly_stopped",
        "newly_idle",
        "newly_recoverable",
        "grade_changes",
        "slipped",
    }
    # Input hashes: only the three edited files differ.
    with sqlite3.connect(store) as conn:
        h = pd.read_sql("SELECT snapshot_id, path, sha256 FROM input_files", conn)
    wide = h.pivot(index="path", columns="snapshot_id", values="sha256")
    diff = sorted(Path(p).name for p in wide.index[wide[info.id] != wide[info2.id]])
    assert diff == ["disposals.xlsx", "enterprises.xlsx", "pingluo.gpkg"]


def test_previous_snapshot_skips_this_periods_own(first, second, workdir):
    from landclear.history import previous_snapshot

    result, info = first
    result2, info2, _ = second
    store = workdir / "landclear-history.sqlite"
    # "after" records result2 itself: the report on result2 compares with "before".
    assert previous_snapshot(result2, store) == info.id
    # For result (the state of "before"), "after" differs: it is the one to compare with.
    assert previous_snapshot(result, store) == info2.id


def test_cli_changes_since_date_and_snapshot(second, workdir, tmp_path):
    import click
    from click.testing import CliRunner

    from landclear.progress import register_cli

    _, _, ed = second
    group = click.Group("landclear")
    register_cli(group)
    runner = CliRunner()
    project = str(workdir / "project.toml")
    today = pd.Timestamp.now().date().isoformat()
    for since in ("before", "1", today):
        args = ["changes", project, "--since", since]
        if since == today:  # the latest taken today is "after": compare it with "before"
            args += ["--until", "before"]
        r = runner.invoke(group, [*args, "--out", str(tmp_path / since)])
        assert r.exit_code == 0, r.output
        if since != today:  # a fresh run of the edited inputs against "before"
            assert "新出清企业: 1" in r.output and "处置滞后或倒退: 1" in r.output
            js = json.loads((tmp_path / since / "changes.json").read_text("utf-8"))
            keys = {(c["kind"], c["key"]) for c in js["changes"]}
            assert ("newly_idle", ed["idle_parcel"]) in keys
            assert ("grade_changes", ed["regraded_ent"]) in keys


def test_changes_since_date_and_write(first, second, workdir, tmp_path):
    _, info = first
    store = workdir / "landclear-history.sqlite"
    today = pd.Timestamp.now().date().isoformat()
    ch = changes(store, since=today, until=info.id)  # latest created today = "after" → back
    assert ch.since["label"] == "after" and ch.until["label"] == "before"
    written = ch.write(tmp_path)
    wb = openpyxl.load_workbook(written["changes_workbook"])
    assert "变化概览" in wb.sheetnames
    from landclear.errors import LandclearError

    with pytest.raises(LandclearError):
        changes(store, since="2000-01-01")
    with pytest.raises(LandclearError):
        changes(store, since=999)


def test_slipped_disposals(first, second, workdir):
    """A completion taken back and a completion date moved later are reported."""
    store = workdir / "landclear-history.sqlite"
    old, new = load_state(store, "before"), load_state(store, "before")
    d = new["disposals"]
    done = d.index[d["done"]]
    d.loc[done[0], ["status", "status_class", "done"]] = ["推进中", "ongoing", False]
    later = pd.Timestamp(d.loc[done[1], "completed_on"]) + pd.Timedelta(days=10)
    d.loc[done[1], "completed_on"] = later.strftime("%Y-%m-%d")
    from landclear.history import compare

    slipped = compare(old, new).slipped.set_index("key")
    assert set(slipped.index) == {d.loc[done[0], "key"], d.loc[done[1], "key"]}
    assert "状态倒退" in slipped.loc[d.loc[done[0], "key"], "detail"]
    assert "完成时间推迟" in slipped.loc[d.loc[done[1], "key"], "detail"]


def _snapshot_process(pickled: Path, store: Path, env: dict[str, str]) -> subprocess.Popen:
    code = (
        "import pickle, sys; from landclear.history import snapshot; "
        "r = pickle.load(open(sys.argv[1], 'rb')); snapshot(r, store=sys.argv[2])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(pickled), str(store)], env={**os.environ, **env}, cwd=ROOT
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "snapshot process ended early"
        assert time.monotonic() < end, "snapshot never reached the pause"
        time.sleep(0.05)


def test_killed_snapshot_leaves_store_unchanged(first, tmp_path):
    result, _ = first
    store = tmp_path / "h.sqlite"
    snapshot(result, store=store, label="kept")
    before = list_snapshots(store)
    pickled = tmp_path / "result.pkl"
    pickled.write_bytes(pickle.dumps(result))
    marker = tmp_path / "inside-transaction"
    proc = _snapshot_process(pickled, store, {PAUSE_ENV: str(marker)})
    try:
        _wait_for(marker, proc)
        # Readers are not blocked while the writer holds its transaction (WAL).
        assert len(list_snapshots(store)) == len(before)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sid = int(marker.read_text())
        assert (
            conn.execute(
                "SELECT count(*) FROM parcel_states WHERE snapshot_id=?", (sid,)
            ).fetchone()[0]
            == 0
        )
    pd.testing.assert_frame_equal(list_snapshots(store), before)
    info = snapshot(result, store=store, label="after-kill")  # the store still takes writes
    assert list_snapshots(store)["label"].tolist() == ["kept", "after-kill"]
    assert len(load_state(store, info.id)["parcels"]) == len(result.parcels)


def test_concurrent_snapshots(first, tmp_path):
    result, _ = first
    store = tmp_path / "c.sqlite"
    pickled = tmp_path / "result.pkl"
    pickled.write_bytes(pickle.dumps(result))
    procs = [
        _snapshot_process(
            pickled, store, {PAUSE_ENV: str(tmp_path / f"m{i}"), PAUSE_ENV + "_SECONDS": "0.5"}
        )
        for i in range(2)
    ]
    snapshot(result, store=store, label="main")
    for proc in procs:
        assert proc.wait(120) == 0
    snaps = list_snapshots(store)
    assert len(snaps) == 3 and snaps["id"].is_unique
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = conn.execute(
            "SELECT snapshot_id, count(*) FROM parcel_states GROUP BY snapshot_id"
        ).fetchall()
    assert [n for _, n in counts] == [len(result.parcels)] * 3


# --------------------------------------------------------------------------- previous_snapshot
def _count_live_states(monkeypatch) -> list[int]:
    """Count how often the run's live state is built."""
    import landclear.history as history

    calls: list[int] = []
    real = history._live_state
    monkeypatch.setattr(history, "_live_state", lambda r: calls.append(1) or real(r))
    return calls


def _set_as_of(store: Path, sid: int, as_of: str) -> None:
    """Make snapshot ``sid`` one of another reporting date (an earlier half year)."""
    conn = sqlite3.connect(store)
    with conn:
        conn.execute("UPDATE snapshots SET as_of=? WHERE id=?", (as_of, sid))
    conn.close()


def test_previous_snapshot_of_an_empty_store_is_none(sample_result, tmp_path, monkeypatch):
    import landclear.history as history

    built = _count_live_states(monkeypatch)
    assert history.previous_snapshot(sample_result, tmp_path / "none.sqlite") is None
    with history._connect(tmp_path / "empty.sqlite"):
        pass  # the schema, no snapshot
    assert history.previous_snapshot(sample_result, tmp_path / "empty.sqlite") is None
    assert built == []


def test_previous_snapshot_when_every_snapshot_is_of_this_state(sample_result, tmp_path):
    from landclear.history import previous_snapshot

    store = tmp_path / "h.sqlite"
    first = snapshot(sample_result, store=store, label="a")
    snapshot(sample_result, store=store, label="b")
    assert previous_snapshot(sample_result, store) == first.id  # nothing to report: the earliest


def test_previous_snapshot_same_as_of_but_changed_data(sample_result, tmp_path):
    """A later snapshot with this as_of whose data differ is the one to compare with."""
    import dataclasses

    from landclear.history import previous_snapshot

    # The snapshot saw one parcel not yet idle: against it, the run shows it newly idle.
    parcels = sample_result.parcels.copy()
    parcels.loc[parcels.index[parcels["idle"].astype(bool)][0], "idle"] = False
    other = dataclasses.replace(sample_result, parcels=parcels, extras={})
    store = tmp_path / "h.sqlite"
    snapshot(sample_result, store=store, label="same")
    changed = snapshot(other, store=store, label="changed")
    assert changed.as_of == sample_result.project.as_of.isoformat()
    assert previous_snapshot(sample_result, store) == changed.id
    assert len(changes(sample_result, since=changed.id, store=store).newly_idle) == 1


def test_previous_snapshot_builds_the_live_state_only_when_needed(
    sample_result, tmp_path, monkeypatch
):
    from landclear.history import live_state, previous_snapshot

    store = tmp_path / "h.sqlite"
    earlier = snapshot(sample_result, store=store, label="2023H2")
    _set_as_of(store, earlier.id, "2023-12-31")
    built = _count_live_states(monkeypatch)
    # The latest snapshot is of another as_of: no comparison, no live state.
    assert previous_snapshot(sample_result, store) == earlier.id
    assert built == []
    # This period's own snapshot is compared with the run: the live state is built once,
    # and the same one serves changes() afterwards.
    snapshot(sample_result, store=store, label="2024H1")
    live = live_state(sample_result)
    ref = previous_snapshot(sample_result, store, live=live)
    assert ref == earlier.id and len(built) == 1
    ch = changes(sample_result, since=ref, store=store, live=live)
    assert ch.since["id"] == earlier.id and len(built) == 1
