"""landclear: idle and low-efficiency industrial land clearance for Chinese cities.

The public API, re-exported here::

    import landclear
    result = landclear.run("project.toml")       # Result: parcels, enterprises, parks, lists
    result.to_files("out/")                       # GeoPackage, workbook, quality.json, maps…
    landclear.scenario(result, clear="idle", relet="target")
    landclear.plan_clearance(result, park="石嘴山经济技术开发区", year=2024)

Heavy modules (maps, reports, scenarios, dask) load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from landclear.errors import (
    CRSError,
    DataError,
    FontError,
    InputFileError,
    LandclearError,
    MissingColumnError,
    ProjectError,
)
from landclear.project import Project, load_project

__version__ = "0.1.0"

_LAZY = {
    "run": ("landclear.analysis", "run"),
    "analyse": ("landclear.analysis", "analyse"),
    "load_inputs": ("landclear.loading", "load_inputs"),
    "Result": ("landclear.result", "Result"),
    "QualityLog": ("landclear.quality", "QualityLog"),
    "area_mu": ("landclear.geo", "area_mu"),
    "read_vectors": ("landclear.io.vectors", "read_vectors"),
    "read_ledger": ("landclear.io.ledgers", "read_ledger"),
    "zonal_stats": ("landclear.raster", "zonal_stats"),
    "scenario": ("landclear.scenario", "scenario"),
    "plan_clearance": ("landclear.optimize", "plan_clearance"),
    "compute_progress": ("landclear.progress", "compute_progress"),
    "snapshot": ("landclear.history", "snapshot"),
    "changes": ("landclear.history", "changes"),
    "park_map": ("landclear.maps", "park_map"),
    "overview_map": ("landclear.maps", "overview_map"),
}

__all__ = [
    "CRSError",
    "DataError",
    "FontError",
    "InputFileError",
    "LandclearError",
    "MissingColumnError",
    "Project",
    "ProjectError",
    "load_project",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'landclear' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
