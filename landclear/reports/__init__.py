"""Parcel files (一地一档) as HTML and PDF, batch-rendered with an index.

Example
-------
>>> import landclear
>>> from landclear.reports import render_parcel_reports
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> render_parcel_reports(result, "out/reports", where="lists>=1")  # doctest: +SKIP
ReportIndex(43 parcels, rendered=43, skipped=0, ...)
"""

from __future__ import annotations

from landclear.reports.batch import (
    ReportIndex,
    register_cli,
    render_parcel_reports,
    reports_writer,
)
from landclear.reports.parcel import SelectorError, build_contexts, select_mask
from landclear.reports.safe_names import assign_stems, safe_stem

__all__ = [
    "ReportIndex",
    "SelectorError",
    "assign_stems",
    "build_contexts",
    "register_cli",
    "render_parcel_reports",
    "reports_writer",
    "safe_stem",
    "select_mask",
]
