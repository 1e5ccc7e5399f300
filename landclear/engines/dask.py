"""The dask engine: the same analysis on dask-geopandas partitions of a cluster.

``run_dask(project)`` gives the same :class:`~landclear.result.Result` as
:func:`landclear.analysis.run` (tests compare every parcel column), but the
per-parcel work runs as tasks on a ``dask.distributed`` cluster:

* on the workers, per partition of parcels: the park of parcels without one
  (spatial join with the park polygons), idle land (53号令), building intensity
  (overlay with the buildings layer), raster evidence, the evidence flags and
  the disposal recommendation — the pure rule functions of
  :mod:`landclear.rules`, called on each partition;
* on the client, on small aggregated tables: linking parcels and ledgers to
  enterprises, the three lists, per-mu grading, park indicators, the cross list.

Each partition task returns its new columns and its own quality log; the
client merges the logs in partition order, so ``quality.json`` lists the same
rejections, repairs and warnings as the in-memory engine.

Cluster: ``scheduler=None`` starts a ``LocalCluster(n_workers=2,
threads_per_worker=1, processes=True)`` for the run; an address
(``"tcp://10.0.0.5:8786"``) or a ``distributed.Client`` uses an existing
cluster. The workers need the same landclear version installed, and the
raster files (if any) at the same paths (a shared disk).

Example
-------
>>> from landclear.engines.dask import run_dask
>>> result = run_dask("shapefiles/project.toml")  # doctest: +SKIP
>>> result = run_dask("province.toml", scheduler="tcp://10.0.0.5:8786")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landclear import analysis as _an
from landclear.loading import Inputs, load_inputs
from landclear.project import Project, load_project
from landclear.quality import QualityLog
from landclear.result import Result
from landclear.rules import actions as actions_rules
from landclear.rules import idle, intensity
from landclear.rules.config import RuleSettings, load_settings
from landclear.rules.evidence import evidence

__all__ = ["default_npartitions", "run_dask"]

#: Parcels per partition when ``npartitions`` is not given.
ROWS_PER_PARTITION = 100_000
_ANCHOR = -1  # index label of the bounding anchors (never a parcel position)


def default_npartitions(n_rows: int, n_workers: int) -> int:
    """Partitions for ``n_rows`` parcels: at least one per worker, ~100k rows each.

    Examples
    --------
    >>> default_npartitions(2_000, 2), default_npartitions(1_000_000, 2)
    (2, 10)
    """
    return max(n_workers, math.ceil(n_rows / ROWS_PER_PARTITION), 1)


@contextmanager
def _client(scheduler: Any) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # an existing Client
        return
    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _merge_log(into: QualityLog, part: QualityLog) -> None:
    """Append what a partition task logged (row-level records keep their order)."""
    for name, rec in part.inputs.items():
        target = into.input(name)
        target.rejected.extend(rec.rejected)
        target.repairs.extend(rec.repairs)
        target.skipped.extend(rec.skipped)
        target.rows_skipped += rec.rows_skipped
        target.notes.extend(n for n in rec.notes if n not in target.notes)
    into.warnings.extend(part.warnings)
    into.matches.extend(part.matches)


# --------------------------------------------------------------------------- partition tasks


def _parks_and_idle(
    part: gpd.GeoDataFrame,
    park_shapes: gpd.GeoDataFrame | None,
    as_of: dt.date,
    settings: RuleSettings,
) -> tuple:
    """Stage A on a worker: park by location and idle land of one partition."""
    park_log = QualityLog()
    part = part.copy()
    had = "park" in part.columns
    missing = (
        part["park"].isna() | (part["park"].astype("string").str.strip() == "")
        if had
        else pd.Series(True, index=part.index)
    )
    part = _an._assign_parks(part, park_shapes, park_log)
    # Parcels outside every park are counted once over all partitions by the client.
    outside = missing & part["park"].eq("园区外")
    part.loc[outside, "park"] = pd.NA
    park_log.warnings.clear()
    idle_log = QualityLog()
    idle_cols = idle.idle_land(part, as_of, settings.idle, log=idle_log)
    return part[["park", "county"]], park_log, idle_cols, idle_log


def _with_anchors(part: gpd.GeoDataFrame, bounds: np.ndarray) -> gpd.GeoDataFrame:
    """``part`` plus two tiny parcels at the corners of all parcels' bounds.

    Rules that project to an equal-area CRS centred on their input then pick
    the same centre in every partition as on the whole set: same numbers.
    """
    minx, miny, maxx, maxy = bounds
    eps = 1e-7
    # Copies of a real row keep every column's dtype (a NaN row would turn them to object).
    anchors = part.iloc[[0, 0]].copy()
    anchors.index = [_ANCHOR - 1, _ANCHOR - 2]
    anchors = anchors.set_geometry(
        gpd.GeoSeries(
            [
                shapely.box(minx, miny, minx + eps, miny + eps),
                shapely.box(maxx - eps, maxy - eps, maxx, maxy),
            ],
            index=anchors.index,
            crs=part.crs,
        )
    )
    return gpd.GeoDataFrame(pd.concat([part, anchors]), geometry="geometry", crs=part.crs)


def _intensity_to_actions(
    part: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    bounds: np.ndarray,
    rasters: dict[str, Path | dict[str, Any]],
    disposals: pd.DataFrame,
    as_of: dt.date,
    settings: RuleSettings,
) -> pd.DataFrame:
    """Stage B on a worker: intensity, raster evidence, evidence, cleared, recommendation."""
    before = set(part.columns)
    anchored = _with_anchors(part, bounds) if len(part) else part
    inten = intensity.building_intensity(anchored, buildings, settings.intensity)
    part = part.join(inten.loc[part.index])
    if rasters:
        from landclear.raster import raster_evidence

        part = part.join(raster_evidence(part, rasters, progress=False))
    part = part.join(evidence(part, as_of, settings.evidence.as_dict()))
    part["cleared"] = _an._cleared(part, disposals, as_of)
    part["in_park"] = part["park"].ne("园区外")
    part = part.join(actions_rules.recommend(part, settings.actions))
    return pd.DataFrame(part[[c for c in part.columns if c not in before]])


# --------------------------------------------------------------------------- the run


def _map(client: Any, ddf: Any, func: Any, *args: Any) -> list:
    """Run ``func(partition, *args)`` on every partition; results in partition order."""
    import dask

    # Tables every task needs travel to each worker once, not once per task.
    shared = [client.scatter(a, broadcast=True) if isinstance(a, pd.DataFrame) else a for a in args]
    tasks = [dask.delayed(func, pure=True)(part, *shared) for part in ddf.to_delayed()]
    futures = client.compute(tasks)
    return client.gather(futures)


def run_dask(
    project: str | Path | Project,
    scheduler: Any = None,
    npartitions: int | None = None,
    *,
    as_of: str | dt.date | None = None,
) -> Result:
    """Run the analysis with the per-parcel rules on a dask.distributed cluster.

    Parameters
    ----------
    project : path or Project
        The project file (DOMAIN §9) or a loaded project.
    scheduler : str or distributed.Client, optional
        Scheduler address (``"tcp://host:8786"``) or a connected client; by
        default a local cluster of 2 worker processes for this run.
    npartitions : int, optional
        Parcel partitions; default one per 100 000 parcels, at least one per
        worker.
    as_of : date, optional
        Overrides the project's reference date.

    Returns
    -------
    Result
        The same result as :func:`landclear.analysis.run`.

    Example
    -------
    >>> result = run_dask("shapefiles/project.toml", npartitions=4)  # doctest: +SKIP
    >>> result.summary()["idle_parcels"]  # doctest: +SKIP
    39
    """
    if not isinstance(project, Project):
        project = load_project(project)
    if as_of is not None:
        from landclear.project import parse_date

        project.as_of = parse_date(as_of, "as_of")
    log = QualityLog()
    inputs = load_inputs(project, log)
    with _client(scheduler) as client:
        return analyse_dask(inputs, project, client, npartitions=npartitions)


def analyse_dask(
    inputs: Inputs, project: Project, client: Any, *, npartitions: int | None = None
) -> Result:
    """:func:`landclear.analysis.analyse` with the per-parcel steps on ``client``'s cluster."""
    import dask_geopandas

    log = inputs.log
    as_of = project.as_of
    settings = load_settings(project.rules)
    parcels = inputs.parcels.copy()
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    nparts = npartitions or default_npartitions(len(parcels), n_workers)
    nparts = max(1, min(nparts, len(parcels)))
    bounds = np.asarray(parcels.total_bounds, dtype=float)

    # Stage A (workers): park by location, idle land.
    ddf = dask_geopandas.from_geopandas(parcels, npartitions=nparts, sort=False)
    stage_a = _map(client, ddf, _parks_and_idle, inputs.parks, as_of, settings)
    park_cols = pd.concat([a[0] for a in stage_a])
    parcels["park"] = park_cols["park"].reindex(parcels.index)
    parcels["county"] = park_cols["county"].reindex(parcels.index)
    for a in stage_a:
        _merge_log(log, a[1])
    parcels = _an._assign_parks(parcels, None, log)  # the one "outside every park" warning

    entities = _an._link_all(parcels, inputs, log, settings.match_min_score)
    ent_all = inputs.enterprises
    ent_latest = _an._latest_year(ent_all.dropna(subset=["enterprise_id"]), as_of)

    # 5.1 idle land (computed on the workers)
    parcels = parcels.join(pd.concat([a[2] for a in stage_a]))
    for a in stage_a:
        _merge_log(log, a[3])

    # 5.2–5.4 the three lists: the engine-shared stage, on the client.
    parcels, ent_state, tax, mortgages = _an.list_stage(
        parcels, inputs, ent_latest, settings, as_of, log
    )

    # 5.5 grading and the enterprise columns of parcels: the engine-shared stage.
    parcels, enterprises, ent_year, year = _an.enterprise_stage(
        parcels, entities, ent_all, ent_latest, ent_state, tax, settings, as_of, log=log
    )

    # Stage B (workers): 5.6 intensity, §7 evidence, cleared, 5.8 recommendation.
    status = ent_latest.set_index("enterprise_id")["status"] if "status" in ent_latest else None
    ddf = dask_geopandas.from_geopandas(parcels, npartitions=nparts, sort=False)
    stage_b = _map(
        client,
        ddf,
        _intensity_to_actions,
        inputs.buildings,
        bounds,
        dict(project.rasters),
        inputs.disposals,
        as_of,
        settings,
    )
    new = pd.concat(stage_b)
    # enterprise_status sits between intensity and evidence, as in the in-memory column order.
    inten_cols = [c for c in new.columns if c in _INTENSITY_COLUMNS]
    parcels = parcels.join(new[inten_cols])
    parcels["enterprise_status"] = (
        parcels["enterprise_id"].map(status) if status is not None else pd.NA
    )
    parcels = parcels.join(new[[c for c in new.columns if c not in inten_cols]])

    return _an.finish(parcels, enterprises, ent_year, year, mortgages, inputs, project, settings)


_INTENSITY_COLUMNS = (
    "area_m2",
    "footprint_m2",
    "floor_area_m2",
    "building_coverage",
    "plot_ratio",
    "min_plot_ratio",
    "intensity_ok",
    "intensity_source",
    "intensity_reason",
)


def register_cli(main: Any) -> None:
    """No extra verb: ``landclear run --engine dask --scheduler ADDR`` already exists."""
    return None
