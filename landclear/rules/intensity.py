"""Building intensity: 建筑系数 (coverage) and 容积率 (plot ratio), DOMAIN §5.6.

Source of the control values: 国土资源部《工业项目建设用地控制指标》
(国土资发〔2008〕24号): 建筑系数 ≥ 30 %; 容积率 minimum by industry (its
table 2, keyed by GB/T 4754-2002 divisions). :data:`MIN_PLOT_RATIO` restates
that table under GB/T 4754-2017 division codes (the codes ledgers carry
today); see docs/efficiency.md for the crosswalk. Provinces and newer
editions may set other values: override them in ``[rules.intensity]``.

Areas are ellipsoidal (三调 convention): the parcel area comes from
``area_mu`` when present, else from a Lambert azimuthal equal-area
projection centred on the data, in which building footprints are measured
too.

Example
-------
>>> import geopandas as gpd
>>> from shapely import box
>>> parcels = gpd.GeoDataFrame({"area_mu": [15.0], "footprint_area": [4000.0],
...     "floor_area": [8000.0], "industry_code": ["C3311"]},
...     geometry=[box(0, 0, 100, 100)], crs="EPSG:4545")
>>> out = building_intensity(parcels, None)
>>> out[["building_coverage", "plot_ratio", "min_plot_ratio"]].iloc[0].tolist()
[0.4, 0.8, 0.7]
>>> bool(out.at[0, "intensity_ok"])
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from landclear.arrays import join_text, number_text
from landclear.errors import CRSError
from landclear.geo import equal_area_crs, equal_area_geometries, project_geometries
from landclear.rules.efficiency import industry_division, merge_settings

__all__ = [
    "DEFAULTS",
    "MIN_PLOT_RATIO",
    "M2_PER_MU",
    "building_areas",
    "building_intensity",
    "equal_area_crs",
]

#: 1 mu = 10000/15 m² exactly (DOMAIN §3).
M2_PER_MU = 10000.0 / 15.0

#: Minimum 容积率 by GB/T 4754-2017 two-digit manufacturing division, from
#: 国土资发〔2008〕24号 table 2 (2002 divisions mapped by name). Division 29
#: merges 2002's rubber (0.8) and plastics (1.0): the lower value is kept so a
#: rubber plant is not flagged wrongly. Division 43 (repair, new in 2017) has no
#: 2008 row and takes 33 金属制品业's 0.7, as landclear/data/rules.toml does.
MIN_PLOT_RATIO: dict[str, float] = {
    "13": 1.0, "14": 1.0, "15": 1.0, "16": 1.0, "17": 0.8, "18": 1.0, "19": 1.0,
    "20": 0.8, "21": 0.8, "22": 0.8, "23": 0.8, "24": 1.0, "25": 0.5, "26": 0.6,
    "27": 0.7, "28": 0.8, "29": 0.8, "30": 0.7, "31": 0.6, "32": 0.6, "33": 0.7,
    "34": 0.7, "35": 0.7, "36": 0.7, "37": 0.7, "38": 0.7, "39": 1.0, "40": 1.0,
    "41": 1.0, "42": 0.7, "43": 0.7,
}  # fmt: skip

#: Default settings; the project's ``[rules.intensity]`` overrides them.
DEFAULTS: dict[str, Any] = {
    "min_building_coverage": 0.30,
    # Entries given by the user replace the matching default entries only.
    "min_plot_ratio": MIN_PLOT_RATIO,
    # Used for divisions absent from the table; None = plot ratio not checked.
    "default_min_plot_ratio": None,
    # Drop buildings drawn twice (identical geometry) before summing floor area.
    "dedupe_buildings": True,
}

# Ratios computed from two independently rounded areas can land a hair
# under a threshold they meet exactly on paper.
_TOL = 1e-9


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _either(mask: pd.Series, yes: str, no: str, index: pd.Index) -> pd.Series:
    """``yes`` where ``mask`` holds, else ``no``, as ``string`` (built in Arrow, not from objects)."""
    text = pc.if_else(pa.array(mask.to_numpy(dtype=bool)), yes, no)
    return pd.Series(pd.array(text, dtype="string"), index=index)


def _valid(geoms: np.ndarray) -> np.ndarray:
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _clusters(geoms: np.ndarray) -> np.ndarray:
    """Label of the cluster of mutually intersecting geometries of each geometry."""
    n = len(geoms)
    # Boxes first, then the exact test once per unordered pair: preparing every
    # building for a predicate query costs more than it saves here.
    i, j = shapely.STRtree(geoms).query(geoms)
    keep = i < j
    i, j = i[keep], j[keep]
    meet = shapely.intersects(geoms[i], geoms[j])
    if not meet.any():
        return np.arange(n)
    i, j = i[meet], j[meet]
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _dissolve_overlaps(geoms: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Union each cluster of mutually intersecting geometries (vectorised).

    A global ``union_all`` is ~100 µs per building; here clusters are found
    with an STRtree self-join (or given as ``labels``) and merged by pairwise
    unions in log₂(size) vectorised rounds, so non-overlapping buildings cost
    nothing.

    Example
    -------
    >>> from shapely import box
    >>> out = _dissolve_overlaps(np.array([box(0, 0, 2, 2), box(1, 0, 3, 2), box(5, 5, 6, 6)]))
    >>> sorted(shapely.area(out).tolist())
    [1.0, 6.0]
    """
    labels = _clusters(geoms) if labels is None else labels
    order = np.argsort(labels, kind="stable")
    geoms, labels = geoms[order], labels[order]
    while len(labels) and (labels[1:] == labels[:-1]).any():
        start = np.r_[True, labels[1:] != labels[:-1]]
        first = np.maximum.accumulate(np.where(start, np.arange(len(labels)), 0))
        even = (np.arange(len(labels)) - first) % 2 == 0
        partner = np.r_[labels[1:] == labels[:-1], False] & even
        pos = np.flatnonzero(partner)
        geoms = geoms.copy()
        geoms[pos] = shapely.union(geoms[pos], geoms[pos + 1])
        geoms, labels = geoms[even], labels[even]
    return geoms


def _overlaps(parcels: np.ndarray, shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (parcel, shape) that share area, with the shared area.

    A shape wholly inside its parcel (nearly every building) shares its own
    area: only the shapes crossing a parcel edge need an intersection.
    """
    tree = shapely.STRtree(shapes)
    # The tree prepares one parcel at a time: no prepared copy of every parcel at once.
    pi, si = tree.query(parcels, predicate="intersects")
    inside = shapely.contains_properly(parcels[pi], shapes[si])
    area = shapely.area(shapes[si])
    cross = ~inside
    area[cross] = shapely.area(shapely.intersection(parcels[pi[cross]], shapes[si[cross]]))
    keep = area > 0  # shapes that only touch the parcel edge
    return pi[keep], si[keep], area[keep]


def _drop_duplicates(b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Buildings without repeats of an identical geometry (first kept)."""
    geoms = np.asarray(b.geometry.values)
    # Only geometries with the same bounds can be equal: compare those in full.
    bounds = pd.DataFrame(shapely.bounds(geoms))
    maybe = bounds.duplicated(keep=False).to_numpy()
    if not maybe.any():
        return b
    key = shapely.to_wkb(shapely.normalize(geoms[maybe]))
    repeat = np.zeros(len(b), dtype=bool)
    repeat[maybe] = pd.Series(key).duplicated().to_numpy()
    return b[~repeat]


def _from_buildings(
    parcel_geoms: np.ndarray, buildings: gpd.GeoDataFrame, ea: pyproj.CRS, dedupe: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Footprint (m²) and floor area (m², NaN if unknown) per parcel position."""
    if buildings.crs is None:
        raise CRSError("建筑物图层没有坐标系 / buildings layer has no CRS")
    wanted = [c for c in ("floors", "floor_area") if c in buildings.columns]
    b = buildings[~(buildings.geometry.isna() | buildings.geometry.is_empty).to_numpy()]
    moved = project_geometries(np.asarray(b.geometry.array), b.crs, ea)
    b = gpd.GeoDataFrame(b[wanted], geometry=gpd.GeoSeries(moved, index=b.index, crs=ea))
    if dedupe and len(b):
        b = _drop_duplicates(b)
    n = len(parcel_geoms)
    if not len(b):
        return np.zeros(n), np.zeros(n)
    bgeoms = _valid(np.asarray(b.geometry.values))

    # Floor area is per building (storeys differ), shared by intersected area.
    pi, bi, piece = _overlaps(parcel_geoms, bgeoms)
    floors = _num(b, "floors").to_numpy()
    floor_field = _num(b, "floor_area").to_numpy()
    whole = shapely.area(bgeoms)[bi]
    floor_piece = np.where(
        np.isnan(floor_field[bi]), piece * floors[bi], floor_field[bi] * piece / whole
    )
    known = ~np.isnan(floor_piece)
    total = np.bincount(pi, weights=np.where(known, floor_piece, 0.0), minlength=n)
    unknown = np.bincount(pi, weights=(~known).astype(float), minlength=n)
    floor_area = np.where(unknown > 0, np.nan, total)

    # Footprint: overlapping buildings count once. A building overlapping no
    # other is its own cluster and shares the pieces above; the others are
    # dissolved per cluster and intersected again.
    labels = _clusters(bgeoms)
    alone = (np.bincount(labels) == 1)[labels]
    # float64 even when no building is alone (an empty bincount is int64).
    footprint = np.bincount(pi[alone[bi]], weights=piece[alone[bi]], minlength=n).astype(float)
    if not alone.all():
        merged = _dissolve_overlaps(bgeoms[~alone], labels[~alone])
        mpi, _, mpiece = _overlaps(parcel_geoms, merged)
        footprint += np.bincount(mpi, weights=mpiece, minlength=n)
    return footprint, floor_area


def building_areas(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    dedupe: bool = True,
    projected: tuple[np.ndarray, pyproj.CRS] | None = None,
) -> pd.DataFrame:
    """Equal-area parcel area, building footprint and floor area on each parcel (m²).

    The geometric half of :func:`building_intensity`, which needs no ledger:
    the pipeline measures it while the ledgers are still being read.

    Parameters
    ----------
    parcels : GeoDataFrame
        With a CRS.
    buildings : GeoDataFrame, optional
        Building polygons (see :func:`building_intensity`); without them only
        ``area_m2`` is measured and the other columns are NaN.
    dedupe : bool, default True
        Drop buildings drawn twice (``[rules.intensity] dedupe_buildings``).
    projected : (geometries, CRS), optional
        :func:`landclear.geo.equal_area_geometries` of ``parcels``, when the
        caller has them already (the loader does, from measuring ``area_mu``).

    Returns
    -------
    DataFrame
        Index of ``parcels``: ``area_m2``, ``footprint_m2``, ``floor_area_m2``
        (NaN where a building's floor area is unknown).

    Example
    -------
    >>> from shapely import box
    >>> x, y = 500_000, 4_300_000  # on the central meridian: GK metres are true metres
    >>> p = gpd.GeoDataFrame(geometry=[box(x, y, x + 100, y + 100)], crs="EPSG:4545")
    >>> b = gpd.GeoDataFrame({"floors": [2]}, geometry=[box(x + 10, y + 10, x + 40, y + 40)],
    ...                      crs="EPSG:4545")
    >>> building_areas(p, b)[["footprint_m2", "floor_area_m2"]].round(0).iloc[0].tolist()
    [900.0, 1800.0]
    """
    idx = parcels.index
    if parcels.crs is None:
        raise CRSError("宗地图层没有坐标系 / parcels layer has no CRS")
    out = pd.DataFrame(
        {"area_m2": np.nan, "footprint_m2": np.nan, "floor_area_m2": np.nan}, index=idx
    )
    out.attrs["dedupe_buildings"] = bool(dedupe)
    if not len(parcels):
        return out
    pgeoms, ea = projected if projected is not None else equal_area_geometries(parcels)
    pgeoms = _valid(pgeoms)
    out["area_m2"] = shapely.area(pgeoms)
    if buildings is not None:
        out["footprint_m2"], out["floor_area_m2"] = _from_buildings(pgeoms, buildings, ea, dedupe)
    return out


def building_intensity(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    settings: Mapping[str, Any] | None = None,
    *,
    areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """建筑系数 and 容积率 of every parcel against the control values.

    Parameters
    ----------
    parcels : GeoDataFrame
        With a CRS. Optional columns: ``area_mu`` (ellipsoidal area, used for
        the ratios when present), ``industry_code`` (its enterprise's GB/T
        4754 code), ``footprint_area`` and ``floor_area`` (m², used when no
        buildings layer is given, and ``floor_area`` also when the buildings
        on a parcel lack storeys).
    buildings : GeoDataFrame, optional
        Building polygons with a CRS; optional ``floors`` and ``floor_area``
        (m², whole building). Overlapping buildings count once in the
        footprint; identical duplicates are dropped (``dedupe_buildings``).
    settings : mapping, optional
        Overrides of :data:`DEFAULTS` (``[rules.intensity]``).
    areas : DataFrame, optional
        :func:`building_areas` of these parcels and buildings, when already
        measured (``buildings`` is then not read again).

    Returns
    -------
    DataFrame
        Index of ``parcels``: ``area_m2``, ``footprint_m2``, ``floor_area_m2``,
        ``building_coverage``, ``plot_ratio``, ``min_plot_ratio``,
        ``intensity_ok`` (nullable boolean: <NA> when it cannot be judged),
        ``intensity_source`` (buildings/attributes), ``intensity_reason``.

    Example
    -------
    >>> from shapely import box
    >>> p = gpd.GeoDataFrame({"area_mu": [15.0]}, geometry=[box(0, 0, 100, 100)],
    ...                      crs="EPSG:4545")
    >>> building_intensity(p, None)["intensity_ok"].tolist()
    [<NA>]
    """
    cfg = merge_settings(DEFAULTS, None, "intensity")
    table = dict(MIN_PLOT_RATIO)
    if settings is not None:
        if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
            settings = dataclasses.asdict(settings)
        settings = dict(settings)
        user_table = settings.pop("min_plot_ratio", None) or {}
        cfg = merge_settings(DEFAULTS, settings, "intensity")
        table.update({str(k).zfill(2): float(v) for k, v in dict(user_table).items()})

    idx = parcels.index
    if parcels.crs is None:
        raise CRSError("宗地图层没有坐标系 / parcels layer has no CRS")
    area_m2 = _num(parcels, "area_mu") * M2_PER_MU
    dedupe = bool(cfg["dedupe_buildings"])
    if areas is not None and areas.attrs.get("dedupe_buildings", dedupe) != dedupe:
        areas = None  # measured under another setting (rules changed after loading)
    if areas is None and buildings is not None and len(parcels):
        areas = building_areas(parcels, buildings, dedupe=dedupe)
    if area_m2.isna().any() and len(parcels):
        geo_area = areas["area_m2"] if areas is not None else building_areas(parcels)["area_m2"]
        area_m2 = area_m2.fillna(geo_area.reindex(idx))

    if areas is not None and len(parcels):
        footprint = areas["footprint_m2"].reindex(idx)
        floor_area = areas["floor_area_m2"].reindex(idx).fillna(_num(parcels, "floor_area"))
        source = pd.Series("buildings", index=idx, dtype="string")
    else:
        footprint = _num(parcels, "footprint_area")
        floor_area = _num(parcels, "floor_area")
        source = pd.Series("attributes", index=idx, dtype="string")

    area_ok = area_m2.where(area_m2 > 0)
    coverage = footprint / area_ok
    plot_ratio = floor_area / area_ok

    division = (
        industry_division(parcels["industry_code"])
        if "industry_code" in parcels.columns
        else pd.Series(pd.NA, index=idx, dtype="string")
    )
    min_pr = division.map(table).astype("float64")
    if cfg["default_min_plot_ratio"] is not None and not np.isnan(cfg["default_min_plot_ratio"]):
        min_pr = min_pr.fillna(float(cfg["default_min_plot_ratio"]))

    min_cov = float(cfg["min_building_coverage"])
    cov_ok = (coverage >= min_cov - _TOL).astype("boolean").mask(coverage.isna())
    pr_ok = (plot_ratio >= min_pr - _TOL).astype("boolean").mask(plot_ratio.isna())
    pr_ok = pr_ok.mask(min_pr.isna(), True)  # no control value → nothing to fail
    ok = cov_ok & pr_ok

    cov_txt = number_text((coverage * 100).round(1)) + "%"
    cov_part = join_text(
        "建筑系数 ", cov_txt, " ", _either(cov_ok.fillna(False), "≥", "<", idx), f" {min_cov:.0%}"
    )
    cov_part = cov_part.mask(coverage.isna(), "缺少建筑占地面积,无法计算建筑系数")
    pr_txt = number_text(plot_ratio.round(2))
    pr_part = join_text(
        "容积率 ", pr_txt, _either(pr_ok.fillna(False), " ≥ ", " < ", idx),
        number_text(min_pr), "(行业", division.fillna(""), ")",
    )  # fmt: skip
    pr_part = pr_part.mask(plot_ratio.isna(), "缺少建筑面积,无法计算容积率")
    pr_part = pr_part.mask(
        min_pr.isna(),
        "行业代码缺失或无容积率控制值,未检查容积率" + pr_txt.radd("(容积率 ").add(")").fillna(""),
    )
    head = pd.Series("无法判定:", index=idx, dtype="string")
    head = head.mask(ok.fillna(False).astype(bool), "达标:")
    head = head.mask(ok.eq(False).fillna(False).astype(bool), "不达标:")
    reason = join_text(head, cov_part, ";", pr_part)

    return pd.DataFrame(
        {
            "area_m2": area_m2,
            "footprint_m2": footprint,
            "floor_area_m2": floor_area,
            "building_coverage": coverage,
            "plot_ratio": plot_ratio,
            "min_plot_ratio": min_pr,
            "intensity_ok": ok.astype("boolean"),
            "intensity_source": source,
            "intensity_reason": reason.astype("string"),
        },
        index=idx,
    )
