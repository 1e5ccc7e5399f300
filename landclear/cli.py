"""Command line: a thin layer over the Python API.

Errors that landclear raises on purpose are printed as one readable line
(no traceback) and the command exits with status 2.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from landclear.errors import DataError, LandclearError


def _friendly(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        debug = kwargs.pop("debug", False)
        try:
            return func(*args, **kwargs)
        except LandclearError as exc:
            if debug:
                raise
            click.echo(f"错误 / error: {exc}", err=True)
            sys.exit(2)

    return click.option("--debug", is_flag=True, help="Show the full traceback on errors.")(wrapper)


def sample_project() -> Path:
    """The shipped sample project (``shapefiles/project.toml`` of the source tree)."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here.parent / "shapefiles" / "project.toml",
        here / "data" / "sample" / "project.toml",
    ):
        if candidate.exists():
            return candidate
    raise LandclearError(
        "找不到示例数据 shapefiles/project.toml / sample data not found; run from a source checkout"
    )


def _echo_quality(log) -> None:
    for name, rec in log.inputs.items():
        click.echo(
            f"  {name:<12} 读取 {rec.rows_read:>6}  使用 {rec.rows_used:>6}  "
            f"拒绝 {rec.rows_rejected:>4}  跳过 {rec.rows_skipped:>3}  "
            f"编码 {rec.encoding or '-'}  坐标系 {rec.crs or '-'}"
        )
    if log.warnings:
        click.echo(f"  警告 warnings: {len(log.warnings)} (see quality.json)")


def _echo_park_areas(parcels) -> None:
    """The area table per park: parcels and ellipsoidal mu."""
    table = parcels.groupby("park", sort=True)["area_mu"].agg(["size", "sum"])
    click.echo(f"  {'园区 park':<20} {'宗地数':>8} {'面积(亩)':>12}")
    for park, n, mu in zip(table.index, table["size"], table["sum"], strict=True):
        click.echo(f"  {park:<20} {int(n):>8} {mu:>12,.1f}")
    click.echo(f"  {'合计 total':<20} {len(parcels):>8} {parcels['area_mu'].sum():>12,.1f}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="landclear")
def main() -> None:
    """landclear — 闲置低效工业用地清理工具 / idle and low-efficiency industrial land clearance."""


@main.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="out",
    show_default=True,
    help="Output folder for quality.json.",
)
@_friendly
def validate(project: str, out: str) -> None:
    """Load and validate every input of PROJECT; write OUT/quality.json."""
    from landclear.loading import load_inputs
    from landclear.project import load_project
    from landclear.quality import QualityLog

    proj = load_project(project)
    log = QualityLog()
    try:
        inputs = load_inputs(proj, log)
    except DataError:
        log.write_json(Path(out) / "quality.json")  # every rejection, row by row
        raise
    path = log.write_json(Path(out) / "quality.json")
    click.echo(
        f"已载入 loaded: {len(inputs.parcels)} 宗地 parcels, "
        f"{len(inputs.enterprises)} 企业记录 enterprise rows"
    )
    parks = inputs.parcels.get("park")
    if parks is not None:
        _echo_park_areas(inputs.parcels.assign(park=parks.fillna("(未标注园区 no park yet)")))
    _echo_quality(log)
    click.echo(f"写出 wrote {path}")


def _run_and_write(
    project: str | Path,
    out: str,
    *,
    maps: bool,
    reports: bool,
    engine: str | None = None,
    scheduler: str | None = None,
):
    from landclear.api import run_project

    result, written = run_project(
        project, out, maps=maps, reports=reports, engine=engine, scheduler=scheduler
    )
    s = result.summary()
    click.echo(json.dumps(s, ensure_ascii=False, indent=1))
    _echo_park_areas(result.parcels)
    _echo_quality(result.quality)
    for kind, path in written.items():
        click.echo(f"写出 wrote {kind}: {path}")
    return result


@main.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
@click.option("--no-maps", is_flag=True, help="Do not write maps/.")
@click.option("--reports", is_flag=True, help="Also write the per-parcel files (reports/).")
@click.option(
    "--engine",
    type=click.Choice(["pandas", "dask"]),
    default=None,
    help="Analysis engine (default: the project's, else pandas).",
)
@click.option("--scheduler", default=None, help="dask.distributed scheduler address.")
@_friendly
def run(
    project: str, out: str, no_maps: bool, reports: bool, engine: str | None, scheduler: str | None
) -> None:
    """Run the analysis of PROJECT and write the outputs (DOMAIN §8) to OUT."""
    _run_and_write(
        project, out, maps=not no_maps, reports=reports, engine=engine, scheduler=scheduler
    )


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
@_friendly
def demo(out: str) -> None:
    """Run everything on the shipped Shizuishan sample data."""
    project = sample_project()
    click.echo(f"示例项目 sample project: {project}")
    result = _run_and_write(project, out, maps=True, reports=True)
    from landclear.reports.bulletin import write_bulletin

    for kind, path in write_bulletin(result, Path(out) / "bulletin").items():
        click.echo(f"写出 wrote bulletin {kind}: {path}")


def _register_plugins() -> None:
    """Verbs that live beside their feature modules."""
    from landclear.maps import register_cli as maps_cli
    from landclear.progress import register_cli as progress_cli
    from landclear.reports import register_cli as reports_cli
    from landclear.scenario import register_cli as scenario_cli

    reports_cli(main)
    progress_cli(main)
    scenario_cli(main)
    maps_cli(main)


_register_plugins()
