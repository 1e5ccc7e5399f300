"""The history store: snapshots of a run's key results, and what changed between them.

One SQLite file next to the project file (default
``<project dir>/landclear-history.sqlite``; no server). A snapshot holds the
date, ``as_of``, a label, the SHA-256 of every input file, the headline
figures, and the state of every parcel, enterprise and disposal.

Safety: the store runs in WAL mode with a busy timeout, and each snapshot is
one ``BEGIN IMMEDIATE … COMMIT`` transaction, so concurrent runs queue instead
of corrupting the file, and a process killed half-way leaves the store
exactly as it was (SQLite rolls the unfinished transaction back).

Example
-------
>>> import landclear  # doctest: +SKIP
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> info = snapshot(result, label="2024H1")  # doctest: +SKIP
>>> changes(result, since=info.id).to_frame()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Changes",
    "SnapshotInfo",
    "changes",
    "default_store",
    "input_hashes",
    "list_snapshots",
    "live_state",
    "load_state",
    "previous_snapshot",
    "snapshot",
    "state_frames",
]

STORE_NAME = "landclear-history.sqlite"
SCHEMA_VERSION = "1"
#: Test hook: when set to a file path, :func:`snapshot` creates that file inside its
#: transaction and sleeps, so a test can kill the process at exactly that point.
PAUSE_ENV = "LANDCLEAR_HISTORY_PAUSE"

STATUS_RANK = {"completed": 3, "ongoing": 2, "planned": 1, "other": 0}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    as_of TEXT NOT NULL,
    label TEXT,
    project TEXT,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS input_files (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    input TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT, size INTEGER
);
CREATE TABLE IF NOT EXISTS parcel_states (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    parcel_id TEXT, seq INTEGER, idle INTEGER, recoverable INTEGER, lists INTEGER, grade TEXT,
    action TEXT, cleared INTEGER, idle_years REAL, area_mu REAL, low_efficiency INTEGER,
    stopped_2y INTEGER, park TEXT, county TEXT, owner_name TEXT
);
CREATE TABLE IF NOT EXISTS enterprise_states (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    enterprise_id TEXT, name TEXT, grade TEXT, stopped_2y INTEGER, tax_arrears_2y INTEGER,
    low_efficiency INTEGER, cleared INTEGER, cleared_on TEXT
);
CREATE TABLE IF NOT EXISTS disposal_states (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    key TEXT, enterprise_id TEXT, parcel_id TEXT, method TEXT, status TEXT, status_class TEXT,
    completed_on TEXT, due TEXT, area_mu REAL, done INTEGER, overdue INTEGER
);
CREATE INDEX IF NOT EXISTS parcel_states_snap ON parcel_states(snapshot_id);
CREATE INDEX IF NOT EXISTS enterprise_states_snap ON enterprise_states(snapshot_id);
CREATE INDEX IF NOT EXISTS disposal_states_snap ON disposal_states(snapshot_id);
CREATE INDEX IF NOT EXISTS input_files_snap ON input_files(snapshot_id);
"""

PARCEL_COLS = (
    "parcel_id",
    "seq",
    "idle",
    "recoverable",
    "lists",
    "grade",
    "action",
    "cleared",
    "idle_years",
    "area_mu",
    "low_efficiency",
    "stopped_2y",
    "park",
    "county",
    "owner_name",
)
ENTERPRISE_COLS = (
    "enterprise_id",
    "name",
    "grade",
    "stopped_2y",
    "tax_arrears_2y",
    "low_efficiency",
    "cleared",
    "cleared_on",
)
DISPOSAL_COLS = (
    "key",
    "enterprise_id",
    "parcel_id",
    "method",
    "status",
    "status_class",
    "completed_on",
    "due",
    "area_mu",
    "done",
    "overdue",
)
BOOL_COLS = (
    "idle",
    "recoverable",
    "cleared",
    "low_efficiency",
    "stopped_2y",
    "tax_arrears_2y",
    "done",
    "overdue",
)


@dataclass
class SnapshotInfo:
    """One recorded snapshot."""

    id: int
    created: str
    as_of: str
    label: str | None
    store: Path
    summary: dict[str, Any] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------ store access
def default_store(project: Any) -> Path:
    """``landclear-history.sqlite`` next to the project file (else in its base folder)."""
    path = getattr(project, "path", None)
    folder = Path(path).resolve().parent if path else Path(project.base_dir)
    return folder / STORE_NAME


@contextmanager
def _connect(store: str | Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    store = Path(store)
    if not create and not store.exists():
        from landclear.errors import LandclearError

        raise LandclearError(
            f"历史库不存在 / history store not found: {store}; "
            "先运行 landclear snapshot / take a snapshot first"
        )
    store.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), not the module's.
    conn = sqlite3.connect(str(store), timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA foreign_keys = ON")
        if create:
            _retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = FULL")
            _retry(lambda: _ensure_schema(conn))
        yield conn
    finally:
        conn.close()


def _retry(fn, attempts: int = 20):
    # busy_timeout does not cover every lock case (e.g. switching to WAL while another
    # connection opens the file), so back off and retry a few times.
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))
    return None


def _ensure_schema(conn: sqlite3.Connection) -> None:
    have = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='snapshots'"
    ).fetchone()
    if have:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in filter(str.strip, _SCHEMA.split(";")):
            conn.execute(stmt)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# ------------------------------------------------------------------ state of a run
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


SIDECARS = (".dbf", ".shx", ".prj", ".cpg")


def input_hashes(project: Any) -> list[dict[str, Any]]:
    """SHA-256 of every input file of a project (globs expanded, shapefile sidecars included).

    Database inputs are recorded without credentials and without a hash.

    Example
    -------
    >>> from landclear.project import load_project  # doctest: +SKIP
    >>> input_hashes(load_project("shapefiles/project.toml"))[0]["sha256"][:8]  # doctest: +SKIP
    """
    rows: list[dict[str, Any]] = []
    seen: set[Path] = set()

    def add(name: str, p: Path) -> None:
        p = p.resolve()
        if p in seen or not p.is_file():
            return
        seen.add(p)
        rows.append({"input": name, "path": str(p), "sha256": _sha256(p), "size": p.stat().st_size})

    if getattr(project, "path", None):
        add("project", Path(project.path))
    for name, spec in getattr(project, "inputs", {}).items():
        if spec.is_database:
            rows.append({"input": name, "path": "database", "sha256": None, "size": None})
            continue
        for src in spec.sources:
            p = project.resolve(src)
            paths = sorted(Path(x) for x in glob.glob(str(p))) if glob.has_magic(str(p)) else [p]
            for q in paths:
                add(name, q)
                if q.suffix.lower() == ".shp":
                    for ext in SIDECARS:
                        for cand in (q.with_suffix(ext), q.with_suffix(ext.upper())):
                            add(name, cand)
    from landclear.project import raster_path

    for name, entry in getattr(project, "rasters", {}).items():
        add(f"raster:{name}", raster_path(entry))  # a path or a {path, band, …} table
    return rows


def _bool(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(False, index=frame.index)
    return frame[col].astype("boolean").fillna(False).astype(bool)


def state_frames(result: Any, progress: Any = None) -> dict[str, Any]:
    """The state of a run as stored in a snapshot (also used to compare a live run).

    Returns
    -------
    dict
        ``parcels``, ``enterprises``, ``disposals`` (DataFrames with the
        columns of the store) and ``summary`` (headline figures).

    Example
    -------
    >>> state_frames(result)["parcels"].columns[:3].tolist()  # doctest: +SKIP
    ['parcel_id', 'seq', 'idle']
    """
    from landclear.progress import compute_progress

    if progress is None:
        progress = getattr(result, "extras", {}).get("progress") or compute_progress(result)
    p = pd.DataFrame(result.parcels.drop(columns="geometry", errors="ignore"))
    parcels = pd.DataFrame({"parcel_id": p["parcel_id"].astype("string")})
    parcels["seq"] = parcels.groupby("parcel_id").cumcount() + 1
    for col in PARCEL_COLS[2:]:
        if col in BOOL_COLS:
            parcels[col] = _bool(p, col)
        elif col in p:
            parcels[col] = p[col]
        else:
            parcels[col] = pd.NA

    d = progress.disposals
    done = d[d["done"]].sort_values(["completed_on", "key"], kind="stable")
    first = done.dropna(subset=["ent_key"]).drop_duplicates("ent_key")
    cleared_on = pd.Series(
        first["completed_on"].dt.strftime("%Y-%m-%d").to_numpy(),
        index=first["ent_key"].astype(str).to_numpy(),
    )
    e = result.enterprises
    ents = pd.DataFrame(
        {
            "enterprise_id": e["enterprise_id"].astype("string")
            if len(e)
            else pd.Series(dtype="string")
        }
    )
    for col in ("name", "grade"):
        ents[col] = e[col].astype("string") if col in e else pd.NA
    for col in ("stopped_2y", "tax_arrears_2y", "low_efficiency"):
        ents[col] = _bool(e, col).to_numpy() if len(e) else pd.Series(dtype=bool)
    extra = sorted(set(cleared_on.index) - set(ents["enterprise_id"].dropna().astype(str)))
    if extra:
        names = done.drop_duplicates("ent_key").set_index("ent_key")
        add = pd.DataFrame({"enterprise_id": pd.Series(extra, dtype="string")})
        add["name"] = (
            add["enterprise_id"].map(names["name"]).astype("string") if "name" in names else pd.NA
        )
        add["grade"] = pd.NA
        for col in ("stopped_2y", "tax_arrears_2y", "low_efficiency"):
            add[col] = False
        ents = pd.concat([ents, add], ignore_index=True)
    ents = ents.drop_duplicates("enterprise_id").reset_index(drop=True)
    ents["cleared_on"] = ents["enterprise_id"].astype(str).map(cleared_on).astype("string")
    ents["cleared"] = ents["cleared_on"].notna()

    disp = pd.DataFrame(
        {
            "key": d["key"].astype("string"),
            "enterprise_id": d["ent_key"].astype("string"),
            "parcel_id": d["parcel_id"].astype("string"),
            "method": d["method"].astype("string"),
            "status": d["status"].astype("string") if "status" in d else pd.NA,
            "status_class": d["status_class"].astype("string"),
            "completed_on": d["completed_on"].dt.strftime("%Y-%m-%d").astype("string"),
            "due": pd.to_datetime(d["due"]).dt.strftime("%Y-%m-%d").astype("string"),
            "area_mu": d["area_mu"].astype("float64"),
            "done": d["done"].astype(bool),
            "overdue": d["overdue"].astype(bool),
        }
    )
    summary = dict(result.summary()) if hasattr(result, "summary") else {}
    summary.update(
        {
            "cleared_enterprises": int(progress.cleared_enterprises),
            "cleared_mu": round(float(progress.cleared_mu), 4),
            "target_enterprises": int(progress.target_enterprises),
            "target_mu": float(progress.target_mu),
        }
    )
    summary = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in summary.items()}
    return {
        "parcels": parcels,
        "enterprises": ents[list(ENTERPRISE_COLS)],
        "disposals": disp,
        "summary": summary,
        "as_of": result.project.as_of.isoformat(),
    }


def _rows(df: pd.DataFrame, cols: tuple[str, ...]) -> list[tuple]:
    frame = df[list(cols)].astype(object)
    frame = frame.where(frame.notna(), None)
    out = []
    for row in frame.itertuples(index=False, name=None):
        out.append(tuple(v.item() if isinstance(v, np.generic) else v for v in row))
    return out


# ------------------------------------------------------------------ snapshots
def snapshot(
    result: Any, store: str | Path | None = None, label: str | None = None
) -> SnapshotInfo:
    """Record a run's key results in the history store, in one transaction.

    Parameters
    ----------
    result : Result
    store : path, optional
        Default :func:`default_store` of the result's project.
    label : str, optional
        A name to find the snapshot by (``"2024H1"``).

    Returns
    -------
    SnapshotInfo

    Example
    -------
    >>> info = snapshot(result, label="2024H1")  # doctest: +SKIP
    >>> info.id, info.summary["cleared_enterprises"]  # doctest: +SKIP
    """
    store = Path(store) if store is not None else default_store(result.project)
    state = state_frames(result)
    hashes = input_hashes(result.project)
    created = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    project_path = str(result.project.path) if getattr(result.project, "path", None) else None
    with _connect(store) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO snapshots (created, as_of, label, project, summary) VALUES (?,?,?,?,?)",
                (
                    created,
                    state["as_of"],
                    label,
                    project_path,
                    json.dumps(state["summary"], ensure_ascii=False, default=str),
                ),
            )
            sid = int(cur.lastrowid)
            conn.executemany(
                "INSERT INTO input_files VALUES (?,?,?,?,?)",
                [(sid, h["input"], h["path"], h["sha256"], h["size"]) for h in hashes],
            )
            conn.executemany(
                f"INSERT INTO parcel_states VALUES (?{',?' * len(PARCEL_COLS)})",
                [(sid, *r) for r in _rows(state["parcels"], PARCEL_COLS)],
            )
            marker = os.environ.get(PAUSE_ENV)
            if marker:
                Path(marker).write_text(str(sid))
                time.sleep(float(os.environ.get(PAUSE_ENV + "_SECONDS", "60")))
            conn.executemany(
                f"INSERT INTO enterprise_states VALUES (?{',?' * len(ENTERPRISE_COLS)})",
                [(sid, *r) for r in _rows(state["enterprises"], ENTERPRISE_COLS)],
            )
            conn.executemany(
                f"INSERT INTO disposal_states VALUES (?{',?' * len(DISPOSAL_COLS)})",
                [(sid, *r) for r in _rows(state["disposals"], DISPOSAL_COLS)],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SnapshotInfo(sid, created, state["as_of"], label, store, state["summary"], hashes)


def list_snapshots(store: str | Path) -> pd.DataFrame:
    """Every snapshot of a store: id, created, as_of, label and the headline figures.

    Example
    -------
    >>> list_snapshots("shapefiles/landclear-history.sqlite")  # doctest: +SKIP
    """
    cols = [
        "id",
        "created",
        "as_of",
        "label",
        "cleared_enterprises",
        "cleared_mu",
        "parcels",
        "idle_parcels",
        "recoverable_parcels",
        "project",
    ]
    if not Path(store).exists():
        return pd.DataFrame(columns=cols)
    with _connect(store, create=False) as conn:
        rows = conn.execute(
            "SELECT id, created, as_of, label, project, summary FROM snapshots ORDER BY id"
        ).fetchall()
    out = []
    for sid, created, as_of, label, project, summary in rows:
        s = json.loads(summary)
        out.append(
            {
                "id": sid,
                "created": created,
                "as_of": as_of,
                "label": label,
                "cleared_enterprises": s.get("cleared_enterprises"),
                "cleared_mu": s.get("cleared_mu"),
                "parcels": s.get("parcels"),
                "idle_parcels": s.get("idle_parcels"),
                "recoverable_parcels": s.get("recoverable_parcels"),
                "project": project,
            }
        )
    return pd.DataFrame(out, columns=cols)


def previous_snapshot(
    result: Any,
    store: str | Path | None = None,
    *,
    live: Callable[[], dict[str, Any]] | None = None,
) -> int | None:
    """The snapshot a report on ``result`` compares with: the latest that is not of this state.

    The half-year routine is "run, snapshot, write the bulletin": the latest
    snapshot is then this period's own, and comparing with it would show no
    change. Snapshots with the run's ``as_of`` and no change against the run
    are skipped; the latest other one is the previous report. When every
    snapshot is of this state, the earliest (there is nothing to report).

    Parameters
    ----------
    result : Result
    store : path, optional
        Default :func:`default_store` of the result's project.
    live : callable, optional
        The run's state, as :func:`live_state` gives it: built only when a
        snapshot has the run's ``as_of``, and then at most once. Pass the
        same one to :func:`changes` to build it once for both.

    Returns
    -------
    int or None
        A snapshot id; None when the store has no snapshot.

    Example
    -------
    >>> snapshot(result, label="2024H1"); previous_snapshot(result)  # doctest: +SKIP
    1
    """
    store = Path(store) if store is not None else default_store(result.project)
    snaps = list_snapshots(store)
    if len(snaps) == 0:
        return None
    live = live or live_state(result)
    as_of = result.project.as_of.isoformat()
    ids = [int(i) for i in snaps["id"]]
    for sid, snap_as_of in zip(reversed(ids), reversed(snaps["as_of"].tolist()), strict=True):
        if snap_as_of != as_of or not compare(load_state(store, sid), live()).empty:
            return sid
    return ids[0]


def live_state(result: Any) -> Callable[[], dict[str, Any]]:
    """The state of a live run for :func:`compare`, built on the first call and then kept.

    Building it walks every parcel, enterprise and disposal; a report that
    picks its snapshot (:func:`previous_snapshot`) and then compares with it
    (:func:`changes`) passes one ``live_state(result)`` to both.

    Example
    -------
    >>> live = live_state(result)  # doctest: +SKIP
    >>> ch = changes(result, since=previous_snapshot(result, live=live), live=live)  # doctest: +SKIP
    """
    return cache(lambda: _live_state(result))


def _live_state(result: Any) -> dict[str, Any]:
    """The state of a run, typed like a stored one, for :func:`compare`."""
    new = state_frames(result)
    new.update(
        {
            "id": None,
            "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "label": None,
        }
    )
    for kind in ("parcels", "enterprises", "disposals"):
        new[kind] = _normalise(new[kind])
    return new


def _resolve(conn: sqlite3.Connection, ref: Any) -> int:
    """A snapshot id from an id, a label, or a date (latest snapshot created on/before it)."""
    from landclear.errors import LandclearError

    if isinstance(ref, (int, np.integer)) or (isinstance(ref, str) and ref.strip().isdigit()):
        sid = int(ref)
        if conn.execute("SELECT 1 FROM snapshots WHERE id=?", (sid,)).fetchone():
            return sid
        raise LandclearError(f"快照 {sid} 不存在 / no snapshot with id {sid}")
    day = None
    if isinstance(ref, dt.datetime):
        day = ref.date()
    elif isinstance(ref, dt.date):
        day = ref
    else:
        try:
            day = dt.date.fromisoformat(str(ref).strip())
        except ValueError:
            day = None
    if day is not None:
        rows = conn.execute("SELECT id, created FROM snapshots ORDER BY id").fetchall()
        ok = [sid for sid, created in rows if created[:10] <= day.isoformat()]
        if ok:
            return ok[-1]
        raise LandclearError(
            f"{day.isoformat()} 及以前没有快照 / no snapshot taken on or before {day.isoformat()}"
        )
    row = conn.execute(
        "SELECT id FROM snapshots WHERE label=? ORDER BY id DESC LIMIT 1", (str(ref),)
    ).fetchone()
    if row:
        return int(row[0])
    raise LandclearError(f"找不到快照 {ref!r} / no snapshot with this id, label or date")


def _frame(conn: sqlite3.Connection, table: str, cols: tuple[str, ...], sid: int) -> pd.DataFrame:
    rows = conn.execute(
        f"SELECT {', '.join(cols)} FROM {table} WHERE snapshot_id=?", (sid,)
    ).fetchall()
    df = pd.DataFrame(rows, columns=list(cols))
    for c in cols:
        if c in BOOL_COLS:
            df[c] = df[c].fillna(0).astype(bool)
    return df


def load_state(store: str | Path, ref: Any = None) -> dict[str, Any]:
    """The stored state of one snapshot (``ref``: id, label or date; default the latest).

    Example
    -------
    >>> load_state("landclear-history.sqlite", 1)["summary"]["cleared_mu"]  # doctest: +SKIP
    """
    with _connect(store, create=False) as conn:
        if ref is None:
            row = conn.execute("SELECT max(id) FROM snapshots").fetchone()
            if row[0] is None:
                from landclear.errors import LandclearError

                raise LandclearError(f"历史库中没有快照 / no snapshot in {store}")
            sid = int(row[0])
        else:
            sid = _resolve(conn, ref)
        created, as_of, label, summary = conn.execute(
            "SELECT created, as_of, label, summary FROM snapshots WHERE id=?", (sid,)
        ).fetchone()
        return {
            "id": sid,
            "created": created,
            "as_of": as_of,
            "label": label,
            "summary": json.loads(summary),
            "parcels": _frame(conn, "parcel_states", PARCEL_COLS, sid),
            "enterprises": _frame(conn, "enterprise_states", ENTERPRISE_COLS, sid),
            "disposals": _frame(conn, "disposal_states", DISPOSAL_COLS, sid),
        }


# ------------------------------------------------------------------ changes
KINDS: dict[str, tuple[str, str]] = {
    "newly_cleared": ("新出清企业", "Enterprises newly cleared"),
    "disposals_completed": ("新完成处置", "Disposals newly completed"),
    "newly_stopped": ("新增停产两年以上企业", "Enterprises newly stopped ≥ 2 years"),
    "newly_tax_arrears": ("新增欠缴土地使用税两年以上企业", "Enterprises newly in tax arrears"),
    "newly_idle": ("新增闲置宗地", "Parcels newly idle"),
    "newly_recoverable": ("新增可无偿收回宗地", "Parcels newly recoverable"),
    "grade_changes": ("亩均效益等级变化", "Grade changes"),
    "slipped": ("处置滞后或倒退", "Disposals that slipped"),
    "parcels_added": ("新增宗地", "Parcels added"),
    "parcels_removed": ("减少宗地", "Parcels removed"),
}


@dataclass
class Changes:
    """What changed between two states (a snapshot and a later snapshot or a live run).

    Each attribute of :data:`KINDS` is a DataFrame (empty when nothing changed).

    Example
    -------
    >>> ch = changes(result, since=1)  # doctest: +SKIP
    >>> ch.newly_cleared[["enterprise_id", "name"]]  # doctest: +SKIP
    """

    since: dict[str, Any]
    until: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    language: str = "zh"

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    @property
    def empty(self) -> bool:
        return all(len(f) == 0 for f in self.frames.values())

    def counts(self) -> dict[str, int]:
        return {k: len(f) for k, f in self.frames.items()}

    def summary_delta(self) -> pd.DataFrame:
        """Headline figures then and now."""
        a, b = self.since.get("summary", {}), self.until.get("summary", {})
        keys = [
            k
            for k in (
                "cleared_enterprises",
                "cleared_mu",
                "parcels",
                "idle_parcels",
                "idle_mu",
                "recoverable_parcels",
                "tax_list",
                "mortgage_list",
                "stopped_list",
                "cross_list",
                "low_efficiency_parcels",
            )
            if k in a or k in b
        ]
        rows = []
        for k in keys:
            va, vb = a.get(k), b.get(k)
            delta = (
                (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            )
            rows.append({"item": k, "since": va, "until": vb, "delta": delta})
        return pd.DataFrame(rows, columns=["item", "since", "until", "delta"])

    def to_frame(self) -> pd.DataFrame:
        """All changes in one long table: kind, kind label, key, name, detail."""
        lang = self.language
        parts = []
        for kind, f in self.frames.items():
            if len(f) == 0:
                continue
            key = (
                f["parcel_id"]
                if kind.startswith(("parcels", "newly_idle", "newly_rec"))
                else (
                    f["key"] if kind in ("slipped", "disposals_completed") else f["enterprise_id"]
                )
            )
            name = f["name"] if "name" in f else f.get("owner_name", pd.NA)
            detail = f["detail"] if "detail" in f else pd.Series("", index=f.index)
            parts.append(
                pd.DataFrame(
                    {
                        "kind": kind,
                        "kind_label": KINDS[kind][0 if lang == "zh" else 1],
                        "key": key.astype("string").to_numpy(),
                        "name": pd.Series(name, index=f.index).astype("string").to_numpy(),
                        "detail": detail.astype("string").to_numpy(),
                    }
                )
            )
        if not parts:
            return pd.DataFrame(columns=["kind", "kind_label", "key", "name", "detail"])
        return pd.concat(parts, ignore_index=True)

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """Workbook sheets: an overview, then one sheet per non-empty kind."""
        zh = self.language == "zh"
        over = pd.DataFrame(
            {
                "变化类型" if zh else "Change": [KINDS[k][0 if zh else 1] for k in self.frames],
                "数量" if zh else "Count": [len(f) for f in self.frames.values()],
            }
        )
        sheets = [
            ("变化概览" if zh else "Changes", over),
            ("主要指标变化" if zh else "Figures", self.summary_delta()),
        ]
        for kind, f in self.frames.items():
            if len(f):
                sheets.append((KINDS[kind][0 if zh else 1], f))
        return sheets

    def text(self) -> str:
        """A short plain-text account for the terminal."""
        zh = self.language == "zh"
        head = (
            f"自快照 {self.since.get('id')} ({self.since.get('created')}, 基准日 "
            f"{self.since.get('as_of')}) 以来的变化 / changes until "
            f"{self.until.get('id') or '当前运行 current run'}"
        )
        lines = [head]
        for _, r in self.summary_delta().iterrows():
            if r["delta"] not in (None, 0) and pd.notna(r["delta"]):
                lines.append(f"  {r['item']}: {r['since']} → {r['until']}")
        for kind, f in self.frames.items():
            lines.append(f"  {KINDS[kind][0 if zh else 1]}: {len(f)}")
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``changes.xlsx`` (formula-safe) and ``changes.json`` into ``out_dir``."""
        from landclear.io.write import write_workbook
        from landclear.labels import labels

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        cols = {c for _, f in self.sheets() for c in f.columns}
        xlsx = write_workbook(
            self.sheets(), out / "changes.xlsx", headers=labels(cols, self.language)
        )
        payload = {
            "since": {k: self.since.get(k) for k in ("id", "created", "as_of", "label")},
            "until": {k: self.until.get(k) for k in ("id", "created", "as_of", "label")},
            "counts": self.counts(),
            "changes": json.loads(self.to_frame().to_json(orient="records", force_ascii=False)),
        }
        js = out / "changes.json"
        js.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), "utf-8")
        return {"changes_workbook": xlsx, "changes_json": js}


def _first(df: pd.DataFrame, key: str) -> pd.DataFrame:
    return df.dropna(subset=[key]).drop_duplicates(key).set_index(key)


def compare(old: dict[str, Any], new: dict[str, Any], language: str = "zh") -> Changes:
    """Changes from state ``old`` to state ``new`` (dicts as from :func:`load_state`).

    Example
    -------
    >>> compare(load_state(store, 1), load_state(store, 2)).counts()  # doctest: +SKIP
    """
    frames: dict[str, pd.DataFrame] = {}
    po, pn = _first(old["parcels"], "parcel_id"), _first(new["parcels"], "parcel_id")
    both = pn.index.intersection(po.index)
    pcols = ["owner_name", "park", "county", "area_mu"]
    added = pn.index.difference(po.index)
    removed = po.index.difference(pn.index)
    frames_p = {}
    frames_p["parcels_added"] = pn.loc[added, pcols].reset_index()
    frames_p["parcels_removed"] = po.loc[removed, pcols].reset_index()
    for kind, col in (("newly_idle", "idle"), ("newly_recoverable", "recoverable")):
        flip = pn.loc[both, col].astype(bool) & ~po.loc[both, col].astype(bool)
        ids = flip[flip].index
        frames_p[kind] = pn.loc[ids, [*pcols, "idle_years"]].reset_index()

    eo, en = (
        _first(old["enterprises"], "enterprise_id"),
        _first(new["enterprises"], "enterprise_id"),
    )
    was_cleared = eo["cleared"].reindex(en.index).fillna(False).astype(bool)
    newly = en[en["cleared"].astype(bool) & ~was_cleared]
    frames["newly_cleared"] = newly[["name", "cleared_on"]].reset_index()
    dn, do = _first(new["disposals"], "key"), _first(old["disposals"], "key")
    was_done = do["done"].reindex(dn.index).fillna(False).astype(bool)
    dcols = ["enterprise_id", "parcel_id", "method", "status", "completed_on", "area_mu"]
    frames["disposals_completed"] = dn.loc[dn["done"].astype(bool) & ~was_done, dcols].reset_index()
    ecommon = en.index.intersection(eo.index)
    for kind, col in (("newly_stopped", "stopped_2y"), ("newly_tax_arrears", "tax_arrears_2y")):
        before = eo[col].reindex(en.index).fillna(False).astype(bool)
        frames[kind] = en.loc[en[col].astype(bool) & ~before, ["name"]].reset_index()
    go, gn = eo.loc[ecommon, "grade"], en.loc[ecommon, "grade"]
    changed = go.notna() & gn.notna() & (go.astype(str) != gn.astype(str))
    grades = pd.DataFrame(
        {
            "enterprise_id": ecommon[changed.to_numpy()],
            "name": en.loc[ecommon[changed.to_numpy()], "name"].to_numpy(),
            "grade_from": go[changed].to_numpy(),
            "grade_to": gn[changed].to_numpy(),
        }
    )
    grades["detail"] = grades["grade_from"].astype(str) + " → " + grades["grade_to"].astype(str)
    frames["grade_changes"] = grades
    frames["slipped"] = _slipped(do, dn, language)
    frames.update(frames_p)
    order = list(KINDS)
    meta_old = {k: old.get(k) for k in ("id", "created", "as_of", "label", "summary")}
    meta_new = {k: new.get(k) for k in ("id", "created", "as_of", "label", "summary")}
    return Changes(meta_old, meta_new, {k: frames[k] for k in order}, language)


def _slipped(do: pd.DataFrame, dn: pd.DataFrame, language: str) -> pd.DataFrame:
    zh = language == "zh"
    common = dn.index.intersection(do.index)
    rank_o = do.loc[common, "status_class"].map(STATUS_RANK).fillna(0)
    rank_n = dn.loc[common, "status_class"].map(STATUS_RANK).fillna(0)
    back = rank_n < rank_o
    co = pd.to_datetime(do.loc[common, "completed_on"], errors="coerce")
    cn = pd.to_datetime(dn.loc[common, "completed_on"], errors="coerce")
    later = (cn > co).fillna(False)
    was_over = do["overdue"].reindex(dn.index).fillna(False).astype(bool)
    newly_over = dn["overdue"].astype(bool) & ~was_over
    reasons = pd.Series("", index=dn.index, dtype="string")
    reasons.loc[common[back.to_numpy()]] = (
        ("状态倒退 " if zh else "status went back ")
        + do.loc[common[back.to_numpy()], "status"].astype("string").fillna("?")
        + " → "
        + dn.loc[common[back.to_numpy()], "status"].astype("string").fillna("?")
    )
    lk = common[later.to_numpy()]
    reasons.loc[lk] = reasons.loc[lk].where(reasons.loc[lk] == "", reasons.loc[lk] + "; ") + (
        ("完成时间推迟 " if zh else "completion moved later ")
        + do.loc[lk, "completed_on"].astype("string")
        + " → "
        + dn.loc[lk, "completed_on"].astype("string")
    )
    ok = newly_over[newly_over].index
    reasons.loc[ok] = reasons.loc[ok].where(reasons.loc[ok] == "", reasons.loc[ok] + "; ") + (
        ("预计完成日期已过仍未完成 " if zh else "expected completion passed ")
        + dn.loc[ok, "due"].astype("string").fillna("")
    )
    hit = reasons[reasons != ""].index
    out = dn.loc[hit, ["enterprise_id", "parcel_id", "method", "status", "completed_on", "due"]]
    out = out.assign(
        status_before=do["status"].reindex(hit).to_numpy(),
        completed_before=do["completed_on"].reindex(hit).to_numpy(),
        detail=reasons.loc[hit].to_numpy(),
    )
    return out.reset_index()


def changes(
    result_or_store: Any,
    since: dt.date | str | int,
    until: dt.date | str | int | None = None,
    *,
    store: str | Path | None = None,
    live: Callable[[], dict[str, Any]] | None = None,
) -> Changes:
    """What changed since a snapshot.

    Parameters
    ----------
    result_or_store : Result or path
        A live run (compared as it is now, unless ``until`` names a snapshot)
        or a history file (compared with its latest snapshot by default).
    since : int, str or date
        Snapshot id, label, or a date: the latest snapshot created on or
        before that day.
    until : int, str or date, optional
        A later snapshot to compare to instead.
    store : path, optional
        History file when ``result_or_store`` is a Result; default next to
        the project file.
    live : callable, optional
        The run's state from :func:`live_state` (one already built for
        :func:`previous_snapshot`); default built here.

    Returns
    -------
    Changes

    Example
    -------
    >>> ch = changes(result, since="2024-01-01")  # doctest: +SKIP
    >>> ch.counts()  # doctest: +SKIP
    """
    language = "zh"
    if isinstance(result_or_store, (str, Path)):
        path = Path(result_or_store)
        old = load_state(path, since)
        new = load_state(path, until)
    else:
        result = result_or_store
        language = getattr(result.project, "language", "zh")
        path = Path(store) if store is not None else default_store(result.project)
        old = load_state(path, since)
        live = live or live_state(result)
        new = load_state(path, until) if until is not None else live()
    return compare(old, new, language)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Give a live state the value types a stored one comes back with."""
    out = df.astype(object).where(df.notna(), None)
    for c in out.columns:
        if c in BOOL_COLS:
            out[c] = out[c].fillna(False).astype(bool)
    return out
