"""Fixtures of the engine tests: the in-memory sample run and a local dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import SAMPLE_PROJECT  # noqa: E402

from landclear.analysis import run  # noqa: E402
from landclear.result import Result  # noqa: E402


@pytest.fixture(scope="session")
def sample_result() -> Result:
    """The sample through the in-memory engine (the reference)."""
    return run(SAMPLE_PROJECT)


@pytest.fixture(scope="module")
def cluster():
    """A 2-process local cluster, as `landclear run --engine dask` starts one."""
    from distributed import LocalCluster

    c = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    yield c
    c.close()
