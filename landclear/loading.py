"""Load every input of a project: read → map headers → harmonise → validate.

The loaders of :mod:`landclear.io` do the file work; this module calls them
in order for each input named in the project and keeps one
:class:`~landclear.quality.QualityLog`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from landclear.errors import DataError
from landclear.geo import area_mu, study_region
from landclear.ids import normalise_credit_code, normalise_land_use
from landclear.io.ledgers import read_ledger
from landclear.io.parse import harmonise
from landclear.io.vectors import read_vectors
from landclear.project import InputSpec, Project
from landclear.quality import QualityLog
from landclear.validate import check_certified_area, validate

LEDGERS = ("enterprises", "tax_arrears", "mortgages", "disposals")


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


def load_inputs(project: Project, log: QualityLog | None = None) -> Inputs:
    """Load and validate every input of ``project``.

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
    parcels = read_vector_input(project.inputs["parcels"], project, log)
    _require_parcels(parcels, project.inputs["parcels"], log)
    parcels["credit_code"] = (
        normalise_credit_code(parcels["credit_code"]) if ("credit_code" in parcels) else pd.NA
    )
    if "land_use" in parcels:
        parcels["land_use"] = normalise_land_use(parcels["land_use"])
    parcels["area_mu"] = area_mu(parcels)
    # Listed at load time, so that `landclear validate` reports them too (issue 2 item 6).
    from landclear.rules.config import load_settings

    check_certified_area(parcels, load_settings(project.rules).area_tolerance, log)

    frames: dict[str, pd.DataFrame] = {}
    for name in LEDGERS:
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
    return Inputs(
        parcels=parcels,
        enterprises=frames["enterprises"],
        tax_arrears=frames["tax_arrears"],
        mortgages=frames["mortgages"],
        disposals=frames["disposals"],
        parks=parks,
        buildings=buildings,
        log=log,
    )
