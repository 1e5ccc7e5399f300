"""Load every input of a project: read → map headers → harmonise → validate.

The loaders of :mod:`landclear.io` do the file work; this module calls them
in order for each input named in the project and keeps one
:class:`~landclear.quality.QualityLog`.

A large enterprise ledger (:data:`PARALLEL_MIN_BYTES` or more) is read in a
second process while this one reads the other ledgers and the vector layers and
measures the buildings on each parcel; the quality log is merged back in the
order a one-process load would give, so the two ways give the same result.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from landclear._memory import release
from landclear.errors import DataError, InputFileError
from landclear.geo import area_mu, equal_area_geometries, study_region
from landclear.ids import (
    memo_snapshot,
    merge_memo,
    normalise_credit_code,
    normalise_land_use,
    warm_memo,
)
from landclear.io.ledgers import read_ledger, resolve_sources
from landclear.io.parse import harmonise
from landclear.io.vectors import read_vectors
from landclear.project import InputSpec, Project
from landclear.quality import QualityLog
from landclear.validate import check_certified_area, validate

LEDGERS = ("enterprises", "tax_arrears", "mortgages", "disposals")

#: An enterprise ledger at least this large is read in a second process.
PARALLEL_MIN_BYTES = 20 * 1024 * 1024


@dataclass
class Prepared:
    """Parcel-only steps of the analysis, done at load while the ledger worker runs.

    :func:`landclear.analysis.analyse` takes them once (and drops them) when
    they were made for its ``as_of``, idle settings and parcel rows (index);
    otherwise it works them out again. They describe the parcel values as
    loaded: after editing values in ``Inputs.parcels`` in place, set
    ``Inputs.prepared = None``.
    """

    as_of: dt.date
    idle_settings: Any
    #: :func:`landclear.rules.idle.idle_land` of the parcels.
    idle: pd.DataFrame
    #: The warnings ``idle_land`` gave, written to the log where the analysis would.
    idle_warnings: list[dict[str, Any]]
    #: ``RecordKeys(parcels, "credit_code", "owner_name")`` for the matching.
    parcel_keys: Any


def prepare_parcels(
    parcels: pd.DataFrame,
    project: Project,
    settings: Any,
    *,
    before_keys: Callable[[], None] | None = None,
) -> Prepared:
    """The :class:`Prepared` steps of ``parcels`` for ``project`` and its rule ``settings``.

    ``before_keys`` is called between the idle land and the matching keys:
    the loader takes the ledger worker's memo of normalised names there, if
    the worker is done, so that the keys find the owners' names in it.
    """
    from landclear.match import RecordKeys
    from landclear.rules.idle import idle_land

    scratch = QualityLog()
    table = idle_land(parcels, project.as_of, settings.idle, log=scratch)
    if before_keys is not None:
        before_keys()
    keys = RecordKeys(parcels, "credit_code", "owner_name")
    return Prepared(project.as_of, settings.idle, table, scratch.warnings, keys)


@dataclass
class Inputs:
    """Every loaded input, canonical names, CGCS2000 (EPSG:4490) geometries."""

    parcels: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    tax_arrears: pd.DataFrame
    mortgages: pd.DataFrame
    disposals: pd.DataFrame
    parks: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    log: QualityLog = field(default_factory=QualityLog)
    #: :func:`landclear.rules.intensity.building_areas` of the parcels, when measured at load.
    building_areas: pd.DataFrame | None = None
    #: Parcel-only analysis steps done at load (``load_inputs(prepare=True)``).
    prepared: Prepared | None = None
    #: ``(frame, RecordKeys(frame, "credit_code", "name"))`` of the enterprise ledger,
    #: made by the ledger worker (``prepare=True``); the matching takes it once, while
    #: ``enterprises`` is still that frame. After editing its values in place, set None.
    enterprise_keys: tuple[pd.DataFrame, Any] | None = None


_EMPTY_DTYPES = {
    "number": "float64",
    "int": "Int64",
    "date": "datetime64[ns]",
    "bool": "boolean",
    "str": "string",
    "code": "string",
}


def _empty(input_name: str) -> pd.DataFrame:
    """A typed, empty ledger for an input the project does not name."""
    from landclear.schema import FIELDS, SOURCE_FILE, SOURCE_ROW

    columns = {
        name: pd.Series(dtype=_EMPTY_DTYPES[kind]) for name, kind in FIELDS[input_name].items()
    }
    columns[SOURCE_FILE] = pd.Series(dtype="string")
    columns[SOURCE_ROW] = pd.Series(dtype="int64")
    return pd.DataFrame(columns)


def read_vector_input(spec: InputSpec, project: Project, log: QualityLog) -> gpd.GeoDataFrame:
    """Read one vector input (parcels, parks, buildings) of a project."""
    if spec.is_database or spec.options.get("sql"):
        from landclear.io.postgis import read_postgis_input

        gdf = read_postgis_input(spec, log, region=study_region(project.city))
        # A unit the project names wins: shapefile headers cannot carry "(平方米)" in 10 bytes.
        units = {**gdf.attrs.get("units", {}), **dict(spec.options.get("units", {}))}
    else:
        gdf = read_vectors(
            spec.sources,
            input_name=spec.name,
            encoding=spec.options.get("encoding"),
            crs=spec.options.get("crs"),
            layer=spec.options.get("layer"),
            columns=spec.columns,
            log=log,
            base_dir=project.base_dir,
            units=spec.options.get("units"),
            region=study_region(project.city),
        )
        units = {}  # columns with a unit were converted per file (files may differ)
    gdf = harmonise(gdf, spec.name, units, log)
    return validate(gdf, spec.name, log)


def _require_parcels(parcels: pd.DataFrame, spec: InputSpec, log: QualityLog) -> None:
    """Raise :class:`DataError` when no parcel is left to analyse.

    Every parcel rejected (all ids blank, say) or a parcel file without
    features would otherwise give an empty run that exits 0 and looks done.

    Raises
    ------
    DataError
        Naming the file(s) and the commonest rejection reason.
    """
    if len(parcels):
        return
    rec = log.input("parcels")
    files = rec.files or [str(s) for s in spec.sources]
    where = ", ".join(dict.fromkeys(files))
    if rec.rejected:
        (reason, n), *_ = Counter(str(r["reason"]) for r in rec.rejected).most_common(1)
        zh, _, en = reason.partition(" / ")
        raise DataError(
            f"没有可用的地块：{rec.rows_read} 个要素全部未通过校验，最常见的原因（{n} 个）：{zh} / "
            f"no usable parcels: all {rec.rows_read} features were rejected; commonest reason "
            f"({n}): {en or zh}",
            file=where,
        )
    raise DataError(
        "没有可用的地块：地块文件中没有任何要素 / no usable parcels: the parcel file(s) "
        "contain no features",
        file=where,
    )


def load_ledgers(
    project: Project, log: QualityLog, names: tuple[str, ...] = LEDGERS
) -> dict[str, pd.DataFrame]:
    """Read, harmonise and validate the ledgers ``names`` of ``project`` (empty when not given)."""
    frames: dict[str, pd.DataFrame] = {}
    for name in names:
        spec = project.inputs.get(name)
        if spec is None:
            frames[name] = _empty(name)
            log.warn(f"未提供输入 {name} / input not given; its rules find nothing")
            continue
        df = read_ledger(
            spec.sources,
            name,
            columns=spec.columns,
            sheet=spec.options.get("sheet"),
            log=log,
            base_dir=project.base_dir,
            units=spec.options.get("units"),
            encoding=spec.options.get("encoding"),
        )
        df = validate(df, name, log)
        if "credit_code" in df:
            df["credit_code"] = normalise_credit_code(df["credit_code"])
        frames[name] = df
    return frames


#: The ledgers read in the worker process: all of them. The large one (a row per
#: enterprise and year) decides whether a worker is used (:data:`PARALLEL_MIN_BYTES`);
#: the small ones go with it, as this process has the parcels' longer share of the load.
WORKER_LEDGERS = LEDGERS
#: The ledger whose size decides whether the worker is used.
LARGE_LEDGERS = ("enterprises",)


def _ledger_job(
    argument: Project | tuple[Project, bool],
) -> tuple[dict[str, pd.DataFrame], QualityLog, Any, dict[Any, Any]]:
    """:func:`load_ledgers` of :data:`WORKER_LEDGERS` in a worker process, with a log of its own.

    ``(project, True)`` also makes the enterprise ledger's matching keys
    (:class:`landclear.match.RecordKeys`), in time this process would
    otherwise spend waiting for the parcels' side of the load. The last item
    is the worker's :func:`~landclear.ids.memo_snapshot`: the names and codes
    it normalised, which the main process merges rather than works out again.
    """
    project, prepare = argument if isinstance(argument, tuple) else (argument, False)
    log = QualityLog()
    frames = load_ledgers(project, log, WORKER_LEDGERS)
    keys = None
    if prepare:
        from landclear.match import RecordKeys

        keys = RecordKeys(frames["enterprises"], "credit_code", "name")
    return frames, log, keys, memo_snapshot()


def ledger_bytes(project: Project, names: tuple[str, ...] = LEDGERS) -> int:
    """Total size of the ledger files ``names`` of a project (0 for an input that would not load)."""
    total = 0
    for name in names:
        spec = project.inputs.get(name)
        if spec is None or spec.is_database:
            continue
        try:
            files = resolve_sources(spec.sources, project.base_dir)
        except InputFileError:  # reported by the load itself, in this process
            continue
        total += sum(f.stat().st_size for f in files)
    return total


def _use_worker(project: Project, parallel: bool | None) -> bool:
    if parallel is not None:
        return parallel
    setting = os.environ.get("LANDCLEAR_PARALLEL", "").strip().lower()
    if setting in ("0", "false", "no"):
        return False
    if setting in ("1", "true", "yes"):
        return True
    # Only the worker's ledger counts: a large tax ledger alone is read here anyway.
    big = ledger_bytes(project, LARGE_LEDGERS) >= PARALLEL_MIN_BYTES
    return (os.cpu_count() or 1) > 1 and big


def _merge_ledger_log(log: QualityLog, part: QualityLog, at_warning: int) -> None:
    """Put a worker's ledger log where a one-process load would have written it."""
    inputs = dict(log.inputs)
    order = ["parcels"] if "parcels" in inputs else []
    order += [k for k in part.inputs if k not in order]
    order += [k for k in inputs if k not in order]
    log.inputs = {k: part.inputs.get(k) or inputs[k] for k in order}
    log.warnings[at_warning:at_warning] = part.warnings
    log.matches.extend(part.matches)


def load_inputs(
    project: Project,
    log: QualityLog | None = None,
    *,
    parallel: bool | None = None,
    measure_buildings: bool = False,
    prepare: bool = False,
) -> Inputs:
    """Load and validate every input of ``project``.

    Parameters
    ----------
    project : Project
    log : QualityLog, optional
        Receives the accounting of every input row.
    parallel : bool, optional
        Read the ledgers in a second process while the vector layers load.
        Default: when the enterprise ledger reaches :data:`PARALLEL_MIN_BYTES` and
        the machine has two cores or more (``LANDCLEAR_PARALLEL=0/1`` forces).
    measure_buildings : bool, default False
        Also measure the buildings on each parcel
        (:func:`landclear.rules.intensity.building_areas`) into
        ``Inputs.building_areas``, while the ledgers load.
    prepare : bool, default False
        Also run the analysis steps that need only the parcels (idle land,
        the parcels' matching keys) into ``Inputs.prepared``, while the
        ledgers load, and with a ledger worker the enterprise ledger's
        matching keys there (``Inputs.enterprise_keys``);
        :func:`landclear.analysis.analyse` uses them once.
        ``landclear run`` does this.

    Examples
    --------
    >>> from landclear import load_project  # doctest: +SKIP
    >>> inputs = load_inputs(load_project("shapefiles/project.toml"))  # doctest: +SKIP
    >>> len(inputs.parcels)  # doctest: +SKIP
    2412
    """
    log = log or QualityLog()
    if "parcels" not in project.inputs:
        from landclear.errors import ProjectError

        raise ProjectError("[inputs] 缺少 parcels / the project names no parcels input")
    job = enterprise_keys = None
    if _use_worker(project, parallel):
        from landclear._worker import Job

        try:
            job = Job("ledgers", (project, prepare))
        except OSError:  # no interpreter to start (embedded Python): load here
            job = None
    try:
        parcels = read_vector_input(project.inputs["parcels"], project, log)
        _require_parcels(parcels, project.inputs["parcels"], log)
        parcels["credit_code"] = (
            normalise_credit_code(parcels["credit_code"]) if ("credit_code" in parcels) else pd.NA
        )
        if "land_use" in parcels:
            parcels["land_use"] = normalise_land_use(parcels["land_use"])
        projected = equal_area_geometries(parcels)  # measured once: areas and buildings
        parcels["area_mu"] = area_mu(parcels, projected=projected)
        # Listed at load time, so that `landclear validate` reports them too (issue 2 item 6).
        from landclear.rules.config import load_settings

        settings = load_settings(project.rules)
        check_certified_area(parcels, settings.area_tolerance, log)

        at_warning = len(log.warnings)
        rest = LEDGERS if job is None else tuple(n for n in LEDGERS if n not in WORKER_LEDGERS)
        frames = load_ledgers(project, log, rest)
        parks = (
            read_vector_input(project.inputs["parks"], project, log)
            if "parks" in project.inputs
            else None
        )
        buildings = (
            read_vector_input(project.inputs["buildings"], project, log)
            if "buildings" in project.inputs
            else None
        )
        areas = None
        if measure_buildings and buildings is not None:
            from landclear.rules.intensity import building_areas

            areas = building_areas(
                parcels,
                buildings,
                dedupe=bool(settings.intensity.dedupe_buildings),
                projected=projected,
            )
            release()  # the overlay's geometry copies are freed: give them back now
        ledgers = None  # the worker's result, once taken

        def take_ledgers(wait: bool) -> None:
            # Its memo first: the matching keys below find the owners' names in it
            # (owners are the ledger's enterprises).
            nonlocal ledgers
            if job is not None and ledgers is None and (wait or job.done()):
                ledgers = job.result()
                merge_memo(ledgers[3])

        prepared = (
            prepare_parcels(parcels, project, settings, before_keys=lambda: take_ledgers(False))
            if prepare
            else None
        )
        if job is not None:
            if ledgers is None and not job.done():
                # Idle until the ledgers arrive: normalise the owners for the matching.
                warm_memo(parcels.get("owner_name"), parcels.get("credit_code"))
            take_ledgers(True)
            job = None
            big, part, keys, _ = ledgers
            frames = {name: {**frames, **big}[name] for name in LEDGERS}
            enterprise_keys = (frames["enterprises"], keys) if keys is not None else None
            _merge_ledger_log(log, part, at_warning)
    finally:
        if job is not None:  # an error here: do not leave the worker running
            job.cancel()
    return Inputs(
        parcels=parcels,
        enterprises=frames["enterprises"],
        tax_arrears=frames["tax_arrears"],
        mortgages=frames["mortgages"],
        disposals=frames["disposals"],
        parks=parks,
        buildings=buildings,
        log=log,
        building_areas=areas,
        prepared=prepared,
        enterprise_keys=enterprise_keys,
    )
