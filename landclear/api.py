"""High-level entry points shared by the CLI and notebooks."""

from __future__ import annotations

from pathlib import Path

from landclear.analysis import run
from landclear.project import Project, load_project
from landclear.result import Result


def run_project(
    project: str | Path | Project,
    out: str | Path,
    *,
    maps: bool = True,
    reports: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
) -> tuple[Result, dict[str, Path]]:
    """Run a project and write every output into ``out``.

    Examples
    --------
    >>> result, written = run_project("shapefiles/project.toml", "out")  # doctest: +SKIP
    """
    proj = project if isinstance(project, Project) else load_project(project)
    engine = engine or proj.engine
    if engine == "dask":
        from landclear.engines.dask import run_dask

        result = run_dask(proj, scheduler=scheduler)
    else:
        result = run(proj)
    written = result.to_files(out, maps=maps, reports=reports)
    return result, written
