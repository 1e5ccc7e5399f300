"""Park maps (folium) and static exports (matplotlib).

* :func:`park_map` — one park: parcels coloured by state, a layer per list,
  boundary, tooltips/popups, search, fullscreen, measure, scale, legend.
* :func:`overview_map` — all parks against their per-mu targets.
* :func:`write_maps` — ``maps/<park>.html`` for every park and ``maps/overview.html``.
* :func:`static_map` / :func:`locator_map` — PNG/PDF for slides and parcel files.

Basemaps: ``osm``, ``gaode``/``gaode_satellite`` (overlays shifted to GCJ-02),
``tianditu_vec``/``tianditu_img`` (``tk`` key), ``none``. ``offline=True``
inlines Leaflet and the plugins so a file opens with no internet.

Examples
--------
>>> import landclear
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> paths = write_maps(result, "out", offline=True)  # doctest: +SKIP
>>> sorted(paths)[:1]  # doctest: +SKIP
['map_overview']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from landclear.maps.basemaps import BASEMAPS, map_options
from landclear.maps.overview import overview_map
from landclear.maps.park import park_map, park_names
from landclear.maps.safety import unique_filenames

__all__ = [
    "BASEMAPS",
    "locator_map",
    "map_filenames",
    "map_options",
    "overview_map",
    "park_map",
    "park_names",
    "register_cli",
    "static_map",
    "write_maps",
]


def __getattr__(name: str) -> Any:
    # matplotlib is imported only when a static export is asked for.
    if name in ("static_map", "locator_map"):
        from landclear.maps import static

        return getattr(static, name)
    raise AttributeError(name)


def map_filenames(result: Any) -> dict[str, str]:
    """``{park: "<safe name>.html"}`` for every park (never ``overview.html``).

    Examples
    --------
    >>> map_filenames(result)  # doctest: +SKIP
    {'石嘴山经济技术开发区': '石嘴山经济技术开发区.html'}
    """
    names = park_names(result)
    stems = unique_filenames(names, reserved={"overview"})
    return {n: f"{s}.html" for n, s in zip(names, stems, strict=True)}


def write_maps(
    result: Any,
    out_dir: str | Path,
    *,
    parks: list[str] | None = None,
    overview: bool = True,
    static: str | None = None,
    **opts: Any,
) -> dict[str, Path]:
    """Write ``out_dir/maps/<park>.html`` for every park and ``out_dir/maps/overview.html``.

    Parameters
    ----------
    result : landclear.result.Result
    out_dir : path
        The run's output folder; maps go to its ``maps/`` subfolder.
    parks : list of str, optional
        Only these parks (default: all).
    overview : bool
        Also write ``overview.html``.
    static : {"png", "pdf"}, optional
        Also write a static export of each park map next to its HTML.
    **opts
        ``basemap``, ``offline``, ``tianditu_key``, ``simplify_m``, ``precision``
        (defaults from the project's ``[maps]``).

    Returns
    -------
    dict
        ``{"map_<park>": path, ..., "map_overview": path}``.

    Examples
    --------
    >>> write_maps(result, "out", basemap="gaode")  # doctest: +SKIP
    """
    folder = Path(out_dir) / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    files = map_filenames(result)
    chosen = list(files) if parks is None else [p for p in files if p in set(map(str, parks))]
    unknown = [p for p in map(str, parks or ()) if p not in files]
    if unknown:
        park_map(result, unknown[0], **opts)  # raises the error that lists the valid parks
    written: dict[str, Path] = {}
    for park in chosen:
        path = folder / files[park]
        park_map(result, park, **opts).save(str(path))
        written[f"map_{park}"] = path
        if static:
            from landclear.maps.static import static_map

            spath = path.with_suffix(f".{static}")
            static_map(result, park, spath, fmt=static)
            written[f"static_{park}"] = spath
    if overview:
        ov_opts = {k: v for k, v in opts.items() if k != "simplify_m"}
        # Link only maps that exist; percent-encode so that "#", "%" or "?" in a
        # park name stay part of the file name instead of starting a fragment/query.
        links = {p: quote(f) for p, f in files.items() if (folder / f).exists()}
        path = folder / "overview.html"
        overview_map(result, links=links, **ov_opts).save(str(path))
        written["map_overview"] = path
    return written


def register_cli(main: Any) -> None:
    """Add ``landclear map PROJECT.toml [--park NAME] [--basemap …] [--offline] [--out DIR] [--static png|pdf]``.

    Examples
    --------
    >>> import click
    >>> @click.group()
    ... def main(): pass
    >>> register_cli(main)
    >>> "map" in main.commands
    True
    """
    import click

    from landclear.errors import LandclearError

    @main.command("map")
    @click.argument("project", type=click.Path(dir_okay=False))
    @click.option(
        "--park", "parks", multiple=True, help="Park name (repeatable); default: all parks."
    )
    @click.option(
        "--basemap",
        type=click.Choice(list(BASEMAPS)),
        default=None,
        help="Basemap (default: project [maps] basemap, else osm; none when offline).",
    )
    @click.option(
        "--offline",
        is_flag=True,
        default=None,
        help="Inline Leaflet and plugins: the HTML opens without internet.",
    )
    @click.option(
        "--tianditu-key",
        default=None,
        help="Tianditu tk key (default: project [maps] tianditu_key, else TIANDITU_KEY).",
    )
    @click.option(
        "--simplify",
        "simplify_m",
        type=float,
        default=None,
        help="Simplify shapes by this tolerance in metres (keeps shared edges).",
    )
    @click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
    @click.option(
        "--static",
        "static",
        type=click.Choice(["png", "pdf"]),
        default=None,
        help="Also write a static PNG/PDF of each park map.",
    )
    @click.option("--no-overview", is_flag=True, help="Do not write maps/overview.html.")
    @click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
    def map_command(
        project: str,
        parks: tuple[str, ...],
        basemap: str | None,
        offline: bool | None,
        tianditu_key: str | None,
        simplify_m: float | None,
        out: str,
        static: str | None,
        no_overview: bool,
        debug: bool,
    ) -> None:
        """Write the park maps of PROJECT to OUT/maps/ (一园一图)."""
        import sys

        from landclear.analysis import run

        try:
            result = run(project)
            written = write_maps(
                result,
                out,
                parks=list(parks) or None,
                overview=not no_overview and not parks,
                static=static,
                basemap=basemap,
                offline=offline,
                tianditu_key=tianditu_key,
                simplify_m=simplify_m,
            )
        except LandclearError as exc:
            if debug:
                raise
            click.echo(f"错误 / error: {exc}", err=True)
            sys.exit(2)
        for kind, path in written.items():
            click.echo(f"写出 wrote {kind}: {path}")
