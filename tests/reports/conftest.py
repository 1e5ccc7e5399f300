"""Shared fixtures of the parcel-file tests: one sample run, one rendered batch."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_result():
    from landclear.analysis import run

    return run(ROOT / "shapefiles" / "project.toml")


@pytest.fixture(scope="session")
def batch_dir():
    path = Path(tempfile.mkdtemp(prefix="lc_reports_"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def batch(sample_result, batch_dir):
    """Every sample parcel on at least one list, HTML + PDF, two workers."""
    from landclear.reports import render_parcel_reports

    return render_parcel_reports(
        sample_result, batch_dir, where="lists>=1", workers=2, progress=False
    )
