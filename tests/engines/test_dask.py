"""The dask engine gives the in-memory engine's result, on the sample and at 100k parcels."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from engine_compare import ROOT, SAMPLE_PROJECT, assert_same_result
from sample_copy import sample_project

from landclear.analysis import run
from landclear.engines.dask import default_npartitions, run_dask


def test_default_npartitions():
    assert default_npartitions(10, 2) == 2
    assert default_npartitions(250_000, 2) == 3
    assert default_npartitions(1_000_000, 4) == 10


def test_sample_on_its_own_local_cluster(sample_result):
    """scheduler=None: a LocalCluster of 2 processes for the run; 7 partitions."""
    got = run_dask(SAMPLE_PROJECT, npartitions=7)
    assert_same_result(got, sample_result)


def test_run_project_on_a_cluster_by_address(cluster, sample_result, tmp_path):
    """`landclear run --engine dask --scheduler ADDR`: an existing cluster."""
    from landclear.api import run_project
    from landclear.project import load_project

    project = load_project(SAMPLE_PROJECT)
    result, written = run_project(
        project, tmp_path, maps=False, engine="dask", scheduler=cluster.scheduler_address
    )
    assert written["gpkg"].exists() and written["quality"].exists()
    assert_same_result(result, sample_result)
    # The planted answers of the sample, independently of either engine.
    planted = json.loads((ROOT / "shapefiles" / "planted.json").read_text("utf-8"))
    p = result.parcels
    assert set(p.loc[p["idle"], "parcel_id"]) == set(planted["idle"])
    assert set(p.loc[p["mortgaged_idle"], "parcel_id"]) == set(planted["mortgaged_idle"])
    lists = p.set_index("parcel_id")["lists"]
    assert {k: int(lists[k]) for k in planted["lists"]} == planted["lists"]


def _generate():
    spec = importlib.util.spec_from_file_location(
        "lc_generate", ROOT / "benchmarks" / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["lc_generate"] = module
    spec.loader.exec_module(module)
    return module.generate


@pytest.mark.slow
def test_100k_generated_parcels_identical(cluster, tmp_path_factory):
    """A generated 100 000-parcel city (47 copies of the sample), in-memory vs dask."""
    from distributed import Client

    out: Path = tmp_path_factory.mktemp("n100k")
    project = _generate()(100_000, out, fmt="parquet")
    want = run(project)
    with Client(cluster) as client:
        got = run_dask(project, scheduler=client, npartitions=4)
    assert_same_result(got, want)
    rec = want.quality.inputs["parcels"]
    assert rec.rows_read == 100_000 and len(want.parcels) == rec.rows_used
    # 46 whole copies of the sample (+ a partial one), each with the sample's 39 idle parcels.
    assert want.summary()["idle_parcels"] >= 46 * 39


def test_raster_table_entry_on_the_cluster(cluster, sample_result, tmp_path):
    """``[inputs.rasters] built_up = {path, band}`` reaches the workers like a plain path."""
    from distributed import Client

    from landclear.engines.dask import analyse_dask
    from landclear.loading import load_inputs
    from landclear.project import load_project

    path = sample_project(
        tmp_path,
        replace={'built_up = "built_up.tif"': 'built_up = { path = "built_up.tif", band = 1 }'},
    )
    project = load_project(path)
    assert isinstance(project.rasters["built_up"], dict)
    with Client(cluster) as client:
        result = analyse_dask(load_inputs(project), project, client, npartitions=3)
    got = result.parcels.set_index("parcel_id")
    want = sample_result.parcels.set_index("parcel_id").loc[got.index]
    assert got["built_up_frac"].tolist() == pytest.approx(want["built_up_frac"].tolist())
    assert got["suspected_idle"].tolist() == want["suspected_idle"].tolist()
    assert result.extras["raster_overlays"][0][0] == "遥感建成覆盖率"
