"""The history store (landclear.history): snapshots, changes, atomicity, concurrency."""

from __future__ import annotations

import hashlib
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


def _edit_ledgers(workdir: Path, result) -> tuple[str, str, str]:
    """Complete one ongoing disposal; stop one producing enterprise since 2021-06-01."""
    from landclear.progress import compute_progress

    table = compute_progress(result).disposals
    cleared = set(table.loc[table["done"], "ent_key"])
    ongoing = table[(table["status_class"] == "ongoing") & ~table["ent_key"].isin(cleared)]
    target = ongoing.sort_values("source_row").iloc[0]
    wb = openpyxl.load_workbook(workdir / "ledgers" / "disposals.xlsx")
    ws = wb.active
    hr, head = _find_header(ws, "处置状态")
    ws.cell(int(target["source_row"]), _col(head, "处置状态")).value = "已完成"
    ws.cell(int(target["source_row"]), _col(head, "完成时间")).value = "2024-05-20"
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
    wb = openpyxl.load_workbook(workdir / "ledgers" / "enterprises.xlsx")
    ws = wb.active
    hr, head = _find_header(ws, "生产状态")
    code_col = _col(head, "统一社会信用代码")
    codes = [ws.cell(r, code_col).value for r in range(hr + 1, ws.max_row + 1)]
    norm = normalise_credit_code(pd.Series(codes, dtype="object"))
    rows = [hr + 1 + i for i, c in enumerate(norm.fillna("")) if c == stop]
    assert rows
    for r in rows:
        ws.cell(r, _col(head, "生产状态")).value = "停产"
        ws.cell(r, _col(head, "停产时间")).value = "2021-06-01"
    wb.save(workdir / "ledgers" / "enterprises.xlsx")
    return target["key"], target["ent_key"], stop


@pytest.fixture(scope="module")
def second(first, workdir):
    result, info = first
    key, cleared_ent, stopped_ent = _edit_ledgers(workdir, result)
    result2 = landclear.analysis.run(workdir / "project.toml")
    info2 = snapshot(result2, label="after")
    return result2, info2, key, cleared_ent, stopped_ent


def test_changes_show_exactly_the_edits(first, second, workdir):
    _, info = first
    result2, info2, key, cleared_ent, stopped_ent = second
    store = workdir / "landclear-history.sqlite"
    for ch in (
        changes(store, since=info.id),
        changes(store, "before", "after"),
        changes(result2, since=info.id),
    ):
        assert ch.newly_cleared["enterprise_id"].tolist() == [cleared_ent]
        assert ch.newly_cleared["cleared_on"].tolist() == ["2024-05-20"]
        assert ch.disposals_completed["key"].tolist() == [key]
        assert ch.newly_stopped["enterprise_id"].tolist() == [stopped_ent]
        for kind in (
            "newly_idle",
            "newly_recoverable",
            "slipped",
            "parcels_added",
            "parcels_removed",
            "newly_tax_arrears",
        ):
            assert len(getattr(ch, kind)) == 0, (kind, getattr(ch, kind))
        delta = ch.summary_delta().set_index("item")
        assert delta.loc["cleared_enterprises", "delta"] == 1
        assert delta.loc["stopped_list", "delta"] == 1
    long = ch.to_frame()
    assert set(long["kind"]) >= {"newly_cleared", "disposals_completed", "newly_stopped"}
    # Input hashes: only the two edited ledgers differ.
    with sqlite3.connect(store) as conn:
        h = pd.read_sql("SELECT snapshot_id, path, sha256 FROM input_files", conn)
    wide = h.pivot(index="path", columns="snapshot_id", values="sha256")
    diff = sorted(Path(p).name for p in wide.index[wide[info.id] != wide[info2.id]])
    assert diff == ["disposals.xlsx", "enterprises.xlsx"]


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
