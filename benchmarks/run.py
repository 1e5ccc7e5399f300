"""`make bench`: time load → analyse → write at 10k, 100k and 1M parcels, against the I/O floor.

For every size N the data is generated once by ``benchmarks/generate.py``
(cached under ``benchmarks/data/nN``, git-ignored). Each case then runs in a
fresh Python process, so that its peak memory is its own (sampled from /proc
every 50 ms as the sum over the process and its children: the enterprise ledger
loads in a worker process beside the main one):

* ``load``      — :func:`landclear.loading.load_inputs` (read, map headers, parse, validate,
  and measure the buildings on each parcel, as ``landclear run`` does);
* ``analyse``   — :func:`landclear.analysis.analyse` (or the dask engine with ``--engine dask``);
* ``gpkg``      — ``landclear.gpkg`` (parcels, enterprises, parks) and quality.json;
* ``workbook``  — ``ledgers.xlsx``, on its own line (Excel is slow and capped at 1,048,576 rows);
* ``floor``     — in another fresh process of the same run: pyogrio (Arrow) reading every
  vector input (parcels, parks, buildings) + python-calamine reading every ledger sheet +
  pyogrio (Arrow) writing every layer of the GeoPackage landclear produced (parcels,
  enterprises, parks). The target is ``run ≤ 1.5 × floor`` where
  ``run = load + analyse + gpkg`` (the ``landclear run`` work minus the workbook),
  with ``run < 60 s`` and peak RSS < 6 GB at 1M.

``--bad`` adds a case with 1 % broken geometries and 1 % junk ledger rows and
checks that quality.json accounts every row (``rows_read = rows_used +
rows_rejected``; parcels rejected ≥ the empty and null geometries planted).

Usage::

    .venv/bin/python benchmarks/run.py                 # 10k, 100k, 1M
    .venv/bin/python benchmarks/run.py 10000 100000 --bad
    BENCH_N=10000 make bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
DEFAULT_N = (10_000, 100_000, 1_000_000)

#: Peak memory of this process and its children together (the ledger worker runs
#: beside the main process), sampled every 50 ms from /proc.
SAMPLER = r"""
import os, threading, time
def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
def _tree(pid):
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                for child in fh.read().split():
                    out += _tree(int(child))
    except OSError:
        pass
    return out
PEAK = {"total_kb": 0}
def _sample():
    me = os.getpid()
    while True:
        PEAK["total_kb"] = max(PEAK["total_kb"], sum(_rss_kb(p) for p in _tree(me)))
        time.sleep(0.05)
threading.Thread(target=_sample, daemon=True).start()
"""

CASE = (
    SAMPLER
    + r"""
import json, resource, sys, time, tomllib
from pathlib import Path
args = json.loads(sys.argv[1])
t = {}
t0 = time.perf_counter()
from landclear.project import load_project
from landclear.loading import load_inputs
from landclear.quality import QualityLog
t["import"] = time.perf_counter() - t0
project = load_project(args["project"])
s = time.perf_counter()
pandas = args["engine"] != "dask"  # as `landclear run` loads
inputs = load_inputs(project, QualityLog(), measure_buildings=pandas, prepare=pandas)
t["load"] = time.perf_counter() - s
s = time.perf_counter()
if args["engine"] == "dask":
    from landclear.engines.dask import _client, analyse_dask
    with _client(None) as client:
        result = analyse_dask(inputs, project, client)
else:
    from landclear.analysis import analyse
    result = analyse(inputs, project)
t["analyse"] = time.perf_counter() - s
out = Path(args["out"])
s = time.perf_counter(); result.to_files(out, maps=False, reports=False, workbook=False)
t["gpkg"] = time.perf_counter() - s
rss_run = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rss_run_total = PEAK["total_kb"] / 1024
s = time.perf_counter()
from landclear.io.write import write_workbook
from landclear.labels import labels
sheets = result.workbook_sheets()
cols = set()
for _, df in sheets:
    cols.update(map(str, df.columns))
write_workbook(sheets, out / "ledgers.xlsx", headers=labels(cols, project.language))
t["workbook"] = time.perf_counter() - s
t["workbook_rows"] = int(sum(len(df) for _, df in sheets))
t["workbook_max_sheet_rows"] = int(max(len(df) for _, df in sheets))
q = result.quality.to_dict()
acc = {k: {f: v[f] for f in ("rows_read", "rows_used", "rows_rejected", "rows_skipped")}
       for k, v in q["inputs"].items()}
print(json.dumps({"seconds": t, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_rss_run_mb": rss_run, "peak_rss_run_total_mb": rss_run_total,
                  "peak_rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "parcels": int(len(result.parcels)),
                  "summary": result.summary(), "quality": acc}))
"""
)

FLOOR = r"""
import json, resource, sys, time
from pathlib import Path
import pyogrio
from python_calamine import CalamineWorkbook
args = json.loads(sys.argv[1])
t = {}
s = time.perf_counter()
vectors = [pyogrio.read_dataframe(f, use_arrow=True) for f in args["vectors"]]
t["read_vectors"] = time.perf_counter() - s
del vectors
s = time.perf_counter()
rows = 0
for f in args["ledgers"]:
    wb = CalamineWorkbook.from_path(f)
    for name in wb.sheet_names:
        rows += len(wb.get_sheet_by_name(name).to_python())
t["read_ledgers"] = time.perf_counter() - s
layers = {name: pyogrio.read_dataframe(args["gpkg"], layer=name, use_arrow=True)
          for name, _ in pyogrio.list_layers(args["gpkg"])}
target = Path(args["tmp"]) / "floor.gpkg"
target.unlink(missing_ok=True)
s = time.perf_counter()
for name, df in layers.items():
    pyogrio.write_dataframe(df, target, layer=name, driver="GPKG", use_arrow=True)
t["write_gpkg"] = time.perf_counter() - s
target.unlink(missing_ok=True)
t["total"] = t["read_vectors"] + t["read_ledgers"] + t["write_gpkg"]
print(json.dumps({"seconds": t, "ledger_rows": rows, "layers": sorted(layers),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _generator():
    sys.path.insert(0, str(HERE))
    import generate

    return generate


def ensure_data(n: int, bad: bool) -> Path:
    """The project of the generated case, generated on first use."""
    folder = DATA / (f"n{n}" + ("-bad" if bad else ""))
    project = folder / "project.toml"
    if not (folder / "manifest.json").exists():
        print(
            f"生成数据 generating {n:,} parcels{' (bad input)' if bad else ''} → {folder} …",
            flush=True,
        )
        _generator().generate(n, folder, broken=0.01 if bad else 0.0, garbage=0.01 if bad else 0.0)
    return project


def _child(code: str, args: dict) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_case(n: int, *, bad: bool = False, engine: str = "pandas", floor: bool = True) -> dict:
    """Time one size; returns the measurements (also written to benchmarks/out/)."""
    project = ensure_data(n, bad)
    manifest = json.loads((project.parent / "manifest.json").read_text("utf-8"))
    out = OUT / (project.parent.name + ("-dask" if engine == "dask" else ""))
    out.mkdir(parents=True, exist_ok=True)
    case = _child(CASE, {"project": str(project), "out": str(out), "engine": engine})
    case.update(n=n, bad=bad, engine=engine, manifest=manifest)
    if floor:
        ledgers = sorted(str(p) for p in (project.parent / "ledgers").glob("*.xlsx"))
        vectors = [
            str(p)
            for stem in ("parcels", "parks", "buildings")
            for p in sorted(project.parent.glob(f"{stem}.*"))
        ]
        case["floor"] = _child(
            FLOOR,
            {
                "vectors": vectors,
                "ledgers": ledgers,
                "gpkg": str(out / "landclear.gpkg"),
                "tmp": str(out),
            },
        )
    if bad:
        case["accounting"] = check_accounting(case, manifest)
    (out / "bench.json").write_text(json.dumps(case, ensure_ascii=False, indent=1), "utf-8")
    return case


def check_accounting(case: dict, manifest: dict) -> dict:
    """rows_read = used + rejected for every input; planted broken rows are all rejected."""
    q = case["quality"]
    ok = all(v["rows_read"] == v["rows_used"] + v["rows_rejected"] for v in q.values())
    broken = manifest["broken_geometries"]
    planted_rejects = broken["empty"] + broken["null"]
    parcels = q["parcels"]
    return {
        "rows_read_equals_used_plus_rejected": ok,
        "parcels_read": parcels["rows_read"],
        "parcels_rejected": parcels["rows_rejected"],
        "planted_empty_or_null": planted_rejects,
        "planted_bowties_repaired": broken["bowtie"],
        "every_planted_reject_rejected": parcels["rows_rejected"] >= planted_rejects,
        "parcels_in_result": case["parcels"],
        "result_equals_used": case["parcels"] == parcels["rows_used"],
        "ledger_junk_rows": manifest["garbage_rows"],
        "ledger_rejected": {k: v["rows_rejected"] for k, v in q.items() if k != "parcels"},
    }


def machine() -> str:
    mem = ""
    try:
        kb = int(
            next(
                line
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            ).split()[1]
        )
        mem = f", {kb / 2**20:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def table(cases: list[dict]) -> str:
    head = (
        "| N | load s | analyse s | gpkg s | run s | workbook s (rows) | peak RSS GB | "
        "floor s | run/floor | targets |"
    )
    lines = [head]
    lines.append("|" + "---:|" * (head.count("|") - 1))
    for c in cases:
        s = c["seconds"]
        run = s["load"] + s["analyse"] + s["gpkg"]
        fl = c.get("floor", {}).get("seconds", {}).get("total")
        ratio = run / fl if fl else float("nan")
        rss = c.get("peak_rss_run_total_mb", c["peak_rss_run_mb"]) / 1024
        meets = ""
        if c["n"] >= 1_000_000:
            meets = "✓" if (run < 60 and rss < 6 and ratio <= 1.5) else "✗"
        name = (
            f"{c['n']:,}"
            + (" bad" if c["bad"] else "")
            + (" dask" if c["engine"] == "dask" else "")
        )
        lines.append(
            f"| {name} | {s['load']:.1f} | {s['analyse']:.1f} | {s['gpkg']:.1f} | {run:.1f} | "
            f"{s['workbook']:.1f} ({s['workbook_rows']:,}) | {rss:.2f} | "
            f"{fl:.1f} | {ratio:.2f} | {meets} |"
            if fl
            else f"| {name} | {s['load']:.1f} | {s['analyse']:.1f} | {s['gpkg']:.1f} | {run:.1f} | "
            f"{s['workbook']:.1f} ({s['workbook_rows']:,}) | {rss:.2f} | – | – | {meets} |"
        )
    floor_lines = []
    for c in cases:
        if "floor" in c:
            f = c["floor"]["seconds"]
            floor_lines.append(
                f"  floor {c['n']:,}: read parcels, parks, buildings {f['read_vectors']:.1f} s + "
                f"read ledgers {f['read_ledgers']:.1f} s + write gpkg layers "
                f"{f['write_gpkg']:.1f} s = {f['total']:.1f} s"
            )
    return "\n".join(lines + [""] + floor_lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="landclear benchmarks (make bench)")
    ap.add_argument("n", nargs="*", type=int, help="sizes (default: 10k 100k 1M or $BENCH_N)")
    ap.add_argument("--bad", action="store_true", help="also run the largest N with bad input")
    ap.add_argument("--bad-only", action="store_true", help="only the bad-input case")
    ap.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    ap.add_argument("--no-floor", action="store_true")
    a = ap.parse_args(argv)
    sizes = a.n or [int(x) for x in os.environ.get("BENCH_N", "").split(",") if x] or DEFAULT_N
    print(f"机器 machine: {machine()}", flush=True)
    cases = []
    for n in [] if a.bad_only else sizes:
        t0 = time.perf_counter()
        cases.append(run_case(n, engine=a.engine, floor=not a.no_floor))
        print(f"  {n:,} parcels done in {time.perf_counter() - t0:.0f} s", flush=True)
    if a.bad or a.bad_only:
        n = max(sizes)
        case = run_case(n, bad=True, engine=a.engine, floor=not a.no_floor)
        cases.append(case)
        print(json.dumps(case["accounting"], ensure_ascii=False, indent=1))
    print()
    print(table(cases))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(
        json.dumps({"machine": machine(), "cases": cases}, ensure_ascii=False, indent=1), "utf-8"
    )


if __name__ == "__main__":
    main()
