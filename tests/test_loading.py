"""Loading in one process or two gives the same inputs and the same quality log."""

from __future__ import annotations

import os
import pickle
import shutil

import pandas as pd
import pytest

from landclear.errors import MissingColumnError
from landclear.loading import LEDGERS, load_inputs
from landclear.project import load_project
from landclear.quality import QualityLog
from landclear.rules.config import load_settings
from landclear.rules.intensity import building_areas


def test_worker_process_load_equals_one_process_load(sample_dir):
    project = load_project(sample_dir / "project.toml")
    one_log, two_log = QualityLog(), QualityLog()
    one = load_inputs(project, one_log, parallel=False)
    two = load_inputs(project, two_log, parallel=True, measure_buildings=True)
    for name in LEDGERS:
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    pd.testing.assert_frame_equal(one.parcels, two.parcels)
    # Same records, same order of inputs and warnings, as quality.json shows them.
    assert one_log.to_dict() == two_log.to_dict()
    assert list(two_log.inputs)[:5] == ["parcels", *LEDGERS]
    expected = building_areas(one.parcels, one.buildings)
    pd.testing.assert_frame_equal(two.building_areas, expected)
    assert one.building_areas is None


def test_an_error_in_the_worker_arrives_whole(sample_dir, tmp_path):
    shutil.copytree(sample_dir, tmp_path / "s")
    bad = tmp_path / "s" / "ledgers" / "tax.xlsx"
    pd.DataFrame({"企业名称": ["甲"], "金额": [1]}).to_excel(bad, index=False)
    project = load_project(tmp_path / "s" / "project.toml")
    with pytest.raises(MissingColumnError) as err:
        load_inputs(project, parallel=True)
    assert err.value.file and err.value.file.endswith("tax.xlsx")
    again = pickle.loads(pickle.dumps(err.value))
    assert (again.file, again.message) == (err.value.file, err.value.message)


def test_a_script_without_a_main_guard_runs_once(sample_dir, tmp_path):
    # multiprocessing's spawn would import this script again in the worker.
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text(
        "from landclear.loading import load_inputs\n"
        "from landclear.project import load_project\n"
        f"p = load_project({str(sample_dir / 'project.toml')!r})\n"
        "print('start', flush=True)\n"
        "print(len(load_inputs(p, parallel=True).enterprises))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True
    )
    lines = out.stdout.split()
    assert lines.count("start") == 1 and int(lines[-1]) > 0


def test_worker_is_used_for_large_ledgers_only(sample_dir, monkeypatch):
    from landclear import loading

    project = load_project(sample_dir / "project.toml")
    files = sorted((sample_dir / "ledgers").glob("*.xlsx"))  # the four ledgers
    assert len(files) == 4
    assert loading.ledger_bytes(project) == sum(f.stat().st_size for f in files)
    monkeypatch.delenv("LANDCLEAR_PARALLEL", raising=False)
    assert not loading._use_worker(project, None)  # the sample is far below 20 MB
    enterprises = (sample_dir / "ledgers" / "enterprises.xlsx").stat().st_size
    # Only the worker's (enterprise) ledger counts, not the four together.
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", enterprises + 1)
    assert not loading._use_worker(project, None)
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", enterprises)
    assert loading._use_worker(project, None) == ((os.cpu_count() or 1) > 1)
    monkeypatch.setenv("LANDCLEAR_PARALLEL", "0")
    assert not loading._use_worker(project, None)
    assert loading._use_worker(project, True)
    project.inputs["tax_arrears"].sources = ["ledgers/missing.xlsx"]
    tax = (sample_dir / "ledgers" / "tax.xlsx").stat().st_size
    assert loading.ledger_bytes(project) == sum(f.stat().st_size for f in files) - tax


class _Unimportable:  # defined in a test module: the worker cannot unpickle it
    pass


def test_a_crashing_worker_reports_what_it_printed():
    from landclear._worker import Job

    job = Job("ledgers", _Unimportable())
    with pytest.raises(RuntimeError, match="exited with code 1") as err:
        job.result()
    assert "ModuleNotFoundError" in str(err.value)  # what the child printed, not just a code


def test_worker_errors_keep_their_type_and_results_are_written_whole(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from landclear import _worker

    monkeypatch.setitem(_worker.JOBS, "boom", "builtins:int")
    src, out = tmp_path / "in.pkl", tmp_path / "out.pkl"
    src.write_bytes(pickle.dumps("not a number"))
    assert _worker._main(["boom", str(src), str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pkl", "out.pkl"]  # no .partial
    status, value, trace = pickle.loads(out.read_bytes())
    assert status == "error" and isinstance(value, ValueError) and "int" in trace
    # The parent raises the worker's own exception type, with the worker's traceback noted.
    job = _worker.Job.__new__(_worker.Job)
    job._dir = tempfile.TemporaryDirectory()
    job._out, job._err = out, tmp_path / "err.txt"
    job._err.write_text("")
    job._proc = subprocess.Popen([sys.executable, "-c", "pass"])
    with pytest.raises(ValueError) as err:
        job.result()
    assert any("worker" in note for note in err.value.__notes__)


def _same_result(a, b):
    pd.testing.assert_frame_equal(a.parcels, b.parcels)
    pd.testing.assert_frame_equal(a.enterprises, b.enterprises)
    assert a.quality.to_dict() == b.quality.to_dict()


def test_steps_prepared_at_load_give_the_analysis_it_would_do_itself(sample_dir):
    from landclear.analysis import analyse

    project = load_project(sample_dir / "project.toml")
    plain = analyse(load_inputs(project, QualityLog()), project)
    inputs = load_inputs(project, QualityLog(), prepare=True)
    assert len(inputs.prepared.idle) == len(inputs.parcels)
    assert inputs.prepared.idle_warnings  # the sample has parcels idle land cannot judge
    result = analyse(inputs, project)
    assert inputs.prepared is None  # used once: edits after this are seen by the next run
    # The idle warnings sit where the analysis itself writes them.
    _same_result(plain, result)


def test_steps_prepared_for_another_day_rule_or_parcel_set_are_worked_out_again(sample_dir):
    import dataclasses
    import datetime as dt

    from landclear.analysis import analyse

    project = load_project(sample_dir / "project.toml")
    plain = analyse(load_inputs(project, QualityLog()), project)
    for stale in (
        {"as_of": project.as_of - dt.timedelta(days=1)},
        {"idle_settings": dataclasses.replace(load_settings(project.rules).idle, fee_rate=0.3)},
    ):
        inputs = load_inputs(project, QualityLog(), prepare=True)
        poisoned = inputs.prepared.idle.assign(idle=True)
        inputs.prepared = dataclasses.replace(inputs.prepared, idle=poisoned, **stale)
        _same_result(plain, analyse(inputs, project))
    # Parcels filtered after loading: the prepared rows no longer fit them.
    inputs = load_inputs(project, QualityLog(), prepare=True)
    inputs.prepared = dataclasses.replace(
        inputs.prepared, idle=inputs.prepared.idle.assign(idle=True)
    )
    inputs.parcels = inputs.parcels.iloc[10:]
    fewer = load_inputs(project, QualityLog())
    fewer.parcels = fewer.parcels.iloc[10:]
    _same_result(analyse(fewer, project), analyse(inputs, project))


def test_enterprise_keys_made_by_the_worker_give_the_same_analysis(sample_dir):
    from landclear.analysis import analyse
    from landclear.match import RecordKeys

    project = load_project(sample_dir / "project.toml")
    plain = analyse(load_inputs(project, QualityLog()), project)
    inputs = load_inputs(project, QualityLog(), parallel=True, prepare=True)
    frame, keys = inputs.enterprise_keys
    assert frame is inputs.enterprises
    here = RecordKeys(inputs.enterprises, "credit_code", "name")
    assert (keys.rows == here.rows).all() and keys.name.equals(here.name)
    assert keys.code.equals(here.code) and (keys.valid == here.valid).all()
    _same_result(plain, analyse(inputs, project))
    assert inputs.enterprise_keys is None  # used once
    # Not made in one process, and not used for another enterprise frame.
    assert load_inputs(project, QualityLog(), parallel=False, prepare=True).enterprise_keys is None
    inputs = load_inputs(project, QualityLog(), parallel=True, prepare=True)
    frame, keys = inputs.enterprise_keys
    inputs.enterprise_keys = (frame, RecordKeys(frame.iloc[:0], "credit_code", "name"))
    inputs.enterprises = frame.copy()
    _same_result(plain, analyse(inputs, project))


@pytest.mark.parametrize("case", ["worker first", "worker last", "memo not merged"])
def test_the_main_process_takes_the_workers_memo(sample_dir, monkeypatch, case):
    """The names and codes the worker normalised are merged here; when the worker is done
    first, the owners are not normalised ahead (the memo has them), and either way the
    analysis is the same. Without the merge the worker's strings are missing here (the
    check below can fail)."""
    from landclear import _worker, ids, loading
    from landclear.analysis import analyse

    project = load_project(sample_dir / "project.toml")
    plain = analyse(load_inputs(project, QualityLog()), project)
    ids.clear_memo()
    expected = loading._ledger_job((project, True))[3]  # the worker's memo, made here
    assert expected  # the sample's enterprise ledger is large enough to be remembered
    ids.clear_memo()
    calls = []
    monkeypatch.setattr(loading, "warm_memo", lambda *a: calls.append(a) or ids.warm_memo(*a))
    worker_first = case != "worker last"
    monkeypatch.setattr(
        _worker.Job, "done", lambda self: self._proc.wait() == 0 if worker_first else False
    )
    if case == "memo not merged":
        monkeypatch.setattr(loading, "merge_memo", lambda snapshot: None)
    inputs = load_inputs(project, QualityLog(), parallel=True, prepare=True)
    assert len(calls) == (0 if worker_first else 1)
    here = {
        key: set(ids._MEMO[key][0].to_pylist()) if key in ids._MEMO else set() for key in expected
    }
    missing = {
        key: {s for s in strings.to_pylist() if s not in here[key]}
        for key, (strings, _) in expected.items()
    }
    if case == "memo not merged":
        assert any(missing.values())  # ledger strings the parcels do not have
    else:
        assert not any(missing.values())
    _same_result(plain, analyse(inputs, project))
