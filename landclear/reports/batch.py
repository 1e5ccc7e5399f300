"""Batch rendering of parcel files: parallel, resumable, with an index.

Layout of the output folder ``DIR``::

    DIR/index.html            links to every file (relative links)
    DIR/index.xlsx            the same as a sheet, with hyperlinks
    DIR/parcels/<name>.html   one per parcel (name from the parcel id, made safe)
    DIR/parcels/<name>.pdf
    DIR/parcels/<name>.png    the locator map
    DIR/parcels/manifest.json what each file was made from

Resumable: each file's inputs (its rendering context, the geometries of its
map, the template sources) are hashed; a re-run skips a parcel whose hash is
unchanged and whose files still have the size and mtime recorded in the
manifest. The manifest is rewritten every few seconds while rendering, so an
interrupted batch resumes where it stopped.

Example
-------
>>> import landclear
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> idx = render_parcel_reports(result, "out/reports", where="lists>=1")  # doctest: +SKIP
>>> idx.rendered, idx.skipped, idx.index_html  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from landclear.labels import label
from landclear.reports.parcel import (
    RADIUS_M,
    UI,
    build_contexts,
    geometry_digest,
    map_geometries,
    select_mask,
)
from landclear.reports.render import (
    TEMPLATE_NAMES,
    check_fonts,
    html_to_pdf,
    make_environment,
    render_parcel_html,
    subset_font,
    template_dir_of,
    template_version,
    text_charset,
)
from landclear.reports.safe_names import assign_stems, safe_join

FILES_DIR = "parcels"
MANIFEST = "manifest.json"
INDEX_COLUMNS = (
    "parcel_id",
    "owner_name",
    "park",
    "county",
    "area_mu",
    "lists",
    "idle",
    "recoverable",
    "grade",
    "action",
    "priority",
)
_SAVE_EVERY_S = 3.0


@dataclass
class ReportIndex:
    """What a batch wrote.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    table : DataFrame
        One row per selected parcel: the index columns, ``file`` (stem),
        ``html``/``pdf``/``png`` (paths relative to ``out_dir``) and
        ``status`` ("rendered" or "skipped").
    index_html, index_xlsx, manifest : Path
    rendered, skipped : int
    seconds : float
        Wall time of the batch.
    """

    out_dir: Path
    table: pd.DataFrame
    index_html: Path
    index_xlsx: Path
    manifest: Path
    rendered: int = 0
    skipped: int = 0
    seconds: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.table)

    def written(self) -> dict[str, Path]:
        """``{kind: path}`` for :meth:`landclear.result.Result.to_files`."""
        return {"reports_index": self.index_html, "reports_xlsx": self.index_xlsx}

    def __repr__(self) -> str:
        return (
            f"ReportIndex({len(self)} parcels, rendered={self.rendered}, "
            f"skipped={self.skipped}, {self.seconds:.1f} s, {self.index_html})"
        )


# --------------------------------------------------------------------------- worker side


@dataclass
class _Job:
    stem: str
    context: dict[str, Any]
    geoms: tuple[Any, Any]
    files_dir: str
    pdf: bool
    template_dir: str | None
    radius_m: float
    font_file: str | None = None


@cache
def _env(template_dir: str | None):
    return make_environment(template_dir)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_mtime_ns, st.st_size]


def _render_job(job: _Job) -> tuple[str, dict[str, list[int]]]:
    """Render one parcel's PNG, HTML and (optionally) PDF; return their stats."""
    from landclear.reports.locator import locator_png

    folder = Path(job.files_dir)
    hood, park = job.geoms
    png = locator_png(
        hood,
        job.context["header"]["parcel_id"],
        park,
        radius_m=job.radius_m,
        language=job.context["language"],
    )
    png_name = f"{job.stem}.png"
    png_path, html_path = folder / png_name, folder / f"{job.stem}.html"
    _atomic_write(png_path, png)
    html = render_parcel_html(_env(job.template_dir), job.context, quote(png_name))
    _atomic_write(html_path, html.encode("utf-8"))
    stats = {"png": _stat(png_path), "html": _stat(html_path)}
    if job.pdf:
        pdf_path = folder / f"{job.stem}.pdf"
        html_to_pdf(html, pdf_path, folder, images={png_name: png}, font_file=job.font_file)
        stats["pdf"] = _stat(pdf_path)
    return job.stem, stats


def _worker_init() -> None:
    # Warm the per-process caches once (fonts, Jinja environment, figure).
    import matplotlib

    matplotlib.use("Agg", force=True)


# --------------------------------------------------------------------------- main side


def _digest(context: dict[str, Any], geoms: tuple[Any, Any], version: str, radius_m: float) -> str:
    h = hashlib.sha256(version.encode())
    h.update(json.dumps(context, ensure_ascii=False, sort_keys=True, default=str).encode())
    hood, park = geoms
    h.update(json.dumps(hood["parcel_id"].tolist(), ensure_ascii=False).encode())
    h.update(b"|n" + geometry_digest(hood.geometry.array))
    h.update(b"|k" + geometry_digest(park.array))
    h.update(f"|r{radius_m}".encode())
    return h.hexdigest()[:24]


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}
    except (OSError, ValueError):
        return {}


def _save_manifest(path: Path, version: str, files: dict[str, Any]) -> None:
    body = {"format": 1, "template_version": version, "files": files}
    _atomic_write(path, json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode())


def _up_to_date(
    entry: dict[str, Any] | None, digest: str, folder: Path, stem: str, pdf: bool
) -> bool:
    if not entry or entry.get("hash") != digest:
        return False
    kinds = ("png", "html", "pdf") if pdf else ("png", "html")
    outputs = entry.get("outputs", {})
    for kind in kinds:
        path = folder / f"{stem}.{kind}"
        if kind not in outputs or not path.exists() or _stat(path) != list(outputs[kind]):
            return False
    return True


def _pool_context():
    # On Linux fork: workers start instantly with the libraries already
    # imported, and a script without an ``if __name__ == "__main__"`` guard
    # still works (spawn/forkserver re-import the main module). Workers touch
    # no lock-holding state of the parent (only matplotlib/WeasyPrint they
    # set up themselves). Elsewhere the platform default (spawn).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _run_jobs(
    jobs: list[_Job],
    workers: int,
    progress: bool,
    on_done: Callable[[str, dict[str, list[int]]], None],
) -> None:
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(jobs), desc="一地一档 parcel files", unit="宗", disable=not progress, leave=False
    )
    finished: set[str] = set()

    def done(stem: str, stats: dict[str, list[int]]) -> None:
        on_done(stem, stats)
        finished.add(stem)
        bar.update()

    try:
        if workers > 1 and len(jobs) > 2:
            try:
                _run_pool(jobs, workers, done)
            except BrokenProcessPool:
                # A worker died (killed for memory, or a crash in a native library):
                # the files not written yet are rendered here, one by one.
                left = sum(job.stem not in finished for job in jobs)
                warnings.warn(
                    f"一地一档:一个工作进程意外退出,其余 {left} 份在主进程中逐一生成 / "
                    f"a worker process died; rendering the remaining {left} files here",
                    RuntimeWarning,
                    stacklevel=3,
                )
        for job in jobs:
            if job.stem not in finished:
                done(*_render_job(job))
    finally:
        bar.close()


def _run_pool(
    jobs: list[_Job], workers: int, done: Callable[[str, dict[str, list[int]]], None]
) -> None:
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=_worker_init
    ) as pool:
        # A bounded window of pending futures keeps memory flat for 100k parcels.
        pending: set = set()
        window = workers * 8
        for job in jobs:
            pending.add(pool.submit(_render_job, job))
            if len(pending) >= window:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    done(*fut.result())
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in ready:
                done(*fut.result())


def _index_frame(parcels: pd.DataFrame, stems: list[str], pdf: bool) -> pd.DataFrame:
    cols = [c for c in INDEX_COLUMNS if c in parcels.columns]
    table = pd.DataFrame(parcels[cols]).reset_index(drop=True)
    table["file"] = stems
    table["html"] = [f"{FILES_DIR}/{s}.html" for s in stems]
    table["pdf"] = [f"{FILES_DIR}/{s}.pdf" for s in stems] if pdf else None
    table["png"] = [f"{FILES_DIR}/{s}.png" for s in stems]
    return table


def _sort_index(table: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("priority", "lists", "park", "parcel_id") if c in table.columns]
    asc = [c != "lists" for c in keys]
    return table.sort_values(keys, ascending=asc, na_position="last", kind="stable").reset_index(
        drop=True
    )


def _cell_text(value: Any, language: str) -> tuple[str, bool]:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—", False
    if isinstance(value, bool):
        return (
            ("是" if value else "否") if language == "zh" else ("yes" if value else "no")
        ), False
    if isinstance(value, float):
        return f"{value:,.2f}", True
    if isinstance(value, int):
        return str(value), True
    return str(value), False


def write_index(
    table: pd.DataFrame, out_dir: Path, result: Any, env, selection: str = ""
) -> tuple[Path, Path]:
    """Write ``index.html`` and ``index.xlsx`` (hyperlinked) for a batch's table.

    Example
    -------
    >>> write_index(idx.table, idx.out_dir, result, make_environment())  # doctest: +SKIP
    """
    from landclear.io.write import write_workbook

    lang = "en" if result.project.language == "en" else "zh"
    shown = [c for c in INDEX_COLUMNS if c in table.columns]
    rows = []
    values = table[shown].astype(object).to_numpy().tolist()
    for vals, html_rel, pdf_rel in zip(values, table["html"], table["pdf"], strict=True):
        cells = [dict(zip(("text", "num"), _cell_text(v, lang), strict=True)) for v in vals]
        rows.append(
            {
                "cells": cells,
                "html": quote(html_rel),
                "pdf": quote(pdf_rel) if isinstance(pdf_rel, str) else None,
            }
        )
    page = env.get_template("index.html.j2").render(
        language=lang,
        ui=UI[lang],
        city=result.project.city,
        as_of=result.project.as_of.isoformat(),
        headers=[label(c, lang) for c in shown],
        rows=rows,
        selection=selection,
    )
    index_html = out_dir / "index.html"
    _atomic_write(index_html, page.encode("utf-8"))

    sheet = table[shown + ["html"] + (["pdf"] if table["pdf"].notna().any() else [])]
    heads = {c: label(c, lang) for c in shown}
    heads.update({"html": "HTML", "pdf": "PDF"})
    name = UI[lang]["index_title"]
    index_xlsx = write_workbook([(name, sheet)], out_dir / "index.xlsx", headers=heads)
    _add_hyperlinks(
        index_xlsx, [sheet.columns.get_loc(c) + 1 for c in ("html", "pdf") if c in sheet.columns]
    )
    return index_html, index_xlsx


def _add_hyperlinks(path: Path, columns: Sequence[int]) -> None:
    """Turn the relative file paths of ``columns`` (1-based) into hyperlinks."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for col in columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, str) and cell.value:
                cell.hyperlink = cell.value
                cell.style = "Hyperlink"
    wb.save(path)


def render_parcel_reports(
    result: Any,
    out_dir: str | Path,
    *,
    where: str | Sequence[str] | None = None,
    park: str | Sequence[str] | None = None,
    pdf: bool | None = None,
    workers: int | None = None,
    progress: bool = True,
    force: bool = False,
    radius_m: float = RADIUS_M,
    parcel_ids: Sequence[str] | None = None,
) -> ReportIndex:
    """Write one file per selected parcel (一地一档), HTML and PDF, plus an index.

    Parameters
    ----------
    result : landclear.result.Result
        A finished run.
    out_dir : path
        Output folder (created). Nothing is written outside it.
    where : str or list of str, optional
        Selectors, all of which must hold: ``"lists>=1"``, ``"idle"``,
        ``"grade=D"``, ``"grade=C,D"``, ``"recoverable"``, ``"!cleared"``,
        ``"idle_years>=2"``. Default: ``project.reports["where"]``, else all parcels.
    park : str or list of str, optional
        Only these parks.
    pdf : bool, optional
        Also write PDFs (default ``project.reports["pdf"]``, else True).
    workers : int, optional
        Processes (default ``project.reports["workers"]``, else the CPU count).
    progress : bool
        Show a progress bar.
    force : bool
        Re-render even the files that are up to date.
    radius_m : float
        Half-width of the locator map's view.
    parcel_ids : list of str, optional
        Only these parcels (combined with ``where`` and ``park`` by AND).

    Returns
    -------
    ReportIndex

    Raises
    ------
    landclear.errors.FontError
        When PDFs are asked for and no CJK font is installed.
    landclear.reports.parcel.SelectorError
        For a selector or park that cannot be understood.

    Example
    -------
    >>> idx = render_parcel_reports(result, "out/reports", where=["lists>=1"],
    ...                             park="石嘴山经济技术开发区")  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    settings = dict(getattr(result.project, "reports", None) or {})
    pdf = bool(settings.get("pdf", True)) if pdf is None else pdf
    where = settings.get("where") if where is None else where
    workers = int(settings.get("workers") or os.cpu_count() or 1) if workers is None else workers
    if pdf:
        check_fonts()
    tdir = template_dir_of(result.project)
    env = make_environment(tdir)
    version = template_version(env)

    out = Path(out_dir)
    folder = out / FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    out, folder = out.resolve(), folder.resolve()

    parcels = result.parcels
    all_stems = pd.Series(assign_stems(parcels["parcel_id"]), index=parcels.index)
    mask = select_mask(parcels, where, park)
    if parcel_ids is not None:
        mask &= parcels["parcel_id"].astype(str).isin([str(p) for p in parcel_ids])
    sel = parcels[mask.to_numpy()]
    stems = all_stems[mask.to_numpy()].tolist()
    for stem in stems:
        safe_join(folder, f"{stem}.html")  # defence in depth: raises if a name escapes

    contexts = build_contexts(result, sel)
    geoms = map_geometries(result, sel, radius_m) if len(sel) else []
    manifest_path = folder / MANIFEST
    old = {} if force else _load_manifest(manifest_path).get("files", {})
    entries: dict[str, Any] = dict(old)
    jobs: list[_Job] = []
    status: dict[str, str] = {}
    for stem, ctx, g in zip(stems, contexts, geoms, strict=True):
        digest = _digest(ctx, g, version, radius_m)
        if _up_to_date(old.get(stem), digest, folder, stem, pdf):
            status[stem] = "skipped"
            continue
        entries.pop(stem, None)
        entries[f"\0pending:{stem}"] = {"parcel_id": ctx["header"]["parcel_id"], "hash": digest}
        jobs.append(_Job(stem, ctx, g, str(folder), pdf, str(tdir) if tdir else None, radius_m))

    if pdf and jobs:
        texts = [json.dumps(j.context, ensure_ascii=False) for j in jobs]
        texts += [_template_source(env, n) for n in TEMPLATE_NAMES]
        font = subset_font(text_charset(texts))
        for job in jobs:
            job.font_file = str(font) if font else None

    last_save = [time.monotonic()]

    def on_done(stem: str, stats: dict[str, list[int]]) -> None:
        pending = entries.pop(f"\0pending:{stem}")
        entries[stem] = {**pending, "outputs": stats}
        status[stem] = "rendered"
        if time.monotonic() - last_save[0] > _SAVE_EVERY_S:
            _save_manifest(manifest_path, version, _clean(entries))
            last_save[0] = time.monotonic()

    try:
        _run_jobs(jobs, max(1, workers), progress, on_done)
    finally:
        _save_manifest(manifest_path, version, _clean(entries))

    table = _index_frame(sel, stems, pdf)
    table["status"] = [status.get(s, "failed") for s in stems]
    table = _sort_index(table)
    sel_text = " & ".join([where] if isinstance(where, str) else list(where or []))
    if park:
        sel_text = " & ".join(filter(None, [sel_text, f"park={park}"]))
    index_html, index_xlsx = write_index(table, out, result, env, sel_text)
    rendered = int((table["status"] == "rendered").sum())
    return ReportIndex(
        out_dir=out,
        table=table,
        index_html=index_html,
        index_xlsx=index_xlsx,
        manifest=manifest_path,
        rendered=rendered,
        skipped=int((table["status"] == "skipped").sum()),
        seconds=time.perf_counter() - t0,
    )


def _template_source(env: Any, name: str) -> str:
    try:
        return env.loader.get_source(env, name)[0]
    except Exception:  # a user folder may lack an optional template
        return ""


def _clean(entries: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entries.items() if not k.startswith("\0")}


def reports_writer(**kwargs: Any) -> Callable[[Any, Path], dict[str, Path]]:
    """A ``result.extras["writers"]`` hook writing ``out/reports`` with these options.

    Example
    -------
    >>> result.extras.setdefault("writers", []).append(reports_writer(where="lists>=1"))  # doctest: +SKIP
    """

    def hook(result: Any, out_dir: Path) -> dict[str, Path]:
        return render_parcel_reports(result, Path(out_dir) / "reports", **kwargs).written()

    return hook


def register_cli(main: Any) -> None:
    """Add ``landclear report PROJECT.toml --out DIR [--park ..] [--where ..] [--no-pdf] [--workers N]``.

    Example
    -------
    >>> from landclear.cli import main  # doctest: +SKIP
    >>> register_cli(main)  # doctest: +SKIP
    """
    import click

    from landclear.cli import _friendly

    @main.command("report")
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.option(
        "--out",
        type=click.Path(file_okay=False),
        default="out/reports",
        show_default=True,
        help="Output folder (index.html, index.xlsx, parcels/).",
    )
    @click.option("--park", multiple=True, help="Only this park (repeatable).")
    @click.option(
        "--where",
        multiple=True,
        help="Selector, repeatable, all must hold: lists>=1, idle, grade=D, "
        "recoverable, !cleared …  Default: the project's [reports] where, "
        "else lists>=1.",
    )
    @click.option("--no-pdf", is_flag=True, help="HTML only.")
    @click.option("--workers", type=int, default=None, help="Processes (default: CPU count).")
    @click.option("--force", is_flag=True, help="Re-render files that are up to date.")
    @_friendly
    def report(
        project: str,
        out: str,
        park: tuple[str, ...],
        where: tuple[str, ...],
        no_pdf: bool,
        workers: int | None,
        force: bool,
    ) -> None:
        """一地一档: write one HTML/PDF file per selected parcel of PROJECT, with an index."""
        from landclear.analysis import run

        result = run(project)
        selectors: list[str] | str = list(where) or result.project.reports.get("where", "lists>=1")
        idx = render_parcel_reports(
            result,
            out,
            where=selectors,
            park=list(park) or None,
            pdf=False if no_pdf else None,
            workers=workers,
            force=force,
        )
        click.echo(
            f"一地一档 parcel files: {len(idx)} 宗, 新生成 rendered {idx.rendered}, "
            f"未变跳过 skipped {idx.skipped}, {idx.seconds:.1f} s"
        )
        click.echo(f"写出 wrote {idx.index_html}")
        click.echo(f"写出 wrote {idx.index_xlsx}")
