"""The analyst notebooks: committed without outputs, and each runs top to bottom.

Every notebook of ``notebooks/`` is executed with nbclient on the shipped
sample data, in a temporary working directory (its ``out/`` lands there, not
in the checkout), with a wall-clock budget per notebook. The kernel is the
``python3`` kernelspec that ipykernel installs into this venv; user-level
kernelspecs are hidden so that a developer's own ``python3`` kernel cannot
stand in for the project's environment.

The figures the notebooks print and write are checked against the answers
planted in the sample (``shapefiles/planted.json``), not against a second
run of the pipeline.
"""

from __future__ import annotations

import json
import re
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest
from documented import CLEARING_ACTIONS
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
PLANTED = json.loads((ROOT / "shapefiles" / "planted.json").read_text(encoding="utf-8"))

#: Wall-clock budget per notebook, kernel start included (each runs in < ~30 s here).
NOTEBOOK_BUDGET_S = 150
#: MIME type of an ipywidgets view: what a tqdm.auto bar displays in Jupyter.
WIDGET = "application/vnd.jupyter.widget-view+json"
#: stderr text that means the analyst saw something broken.
BAD_STDERR = re.compile(
    r"Traceback|Glyph .* missing|missing from (current )?font|Error", re.IGNORECASE
)

_PROBE = """
import json as _json, sys as _sys
print("__LANDCLEAR_PROBE__" + _json.dumps({"executable": _sys.executable}))
"""


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _texts(outputs: list[dict[str, Any]], kind: str) -> list[str]:
    """Text of every output of one kind: ``stdout``, ``stderr`` or a MIME type."""
    found = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == kind:
            found.append(out["text"])
        elif kind in out.get("data", {}):
            data = out["data"][kind]
            found.append(data if isinstance(data, str) else "".join(data))
    return found


def _all_outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


class Executed:
    """A notebook after execution: the notebook, its working directory, its timing."""

    def __init__(self, nb: nbformat.NotebookNode, workdir: Path, seconds: float) -> None:
        self.nb = nb
        self.workdir = workdir
        self.seconds = seconds

    def stdout(self) -> str:
        return "".join(_texts(_all_outputs(self.nb), "stdout"))

    def probe(self) -> dict[str, Any]:
        line = next(ln for ln in self.stdout().splitlines() if ln.startswith("__LANDCLEAR_PROBE__"))
        return json.loads(line.removeprefix("__LANDCLEAR_PROBE__"))


def execute(path: Path, workdir: Path) -> Executed:
    """Run ``path`` top to bottom in ``workdir`` within :data:`NOTEBOOK_BUDGET_S`."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    return execute_nb(nb, workdir)


def execute_nb(nb: nbformat.NotebookNode, workdir: Path, *, allow_errors: bool = False) -> Executed:
    """Run a notebook object in a fresh ``python3`` kernel, in ``workdir``."""
    start = time.monotonic()
    deadline = start + NOTEBOOK_BUDGET_S
    client = NotebookClient(
        nb,
        kernel_name="python3",
        # nbclient's timeout is per cell; shrinking it to what is left of the budget
        # makes it a per-notebook limit.
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        startup_timeout=60,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return Executed(nb, workdir, time.monotonic() - start)


def _checkout_files() -> set[Path]:
    """Files of the checkout a careless notebook could write into."""
    return {p for d in (NB_DIR, ROOT / "shapefiles") for p in d.rglob("*") if p.is_file()}


def _wanted(items: list[pytest.Item]) -> list[str]:
    """Notebooks the selected tests of this module execute, in file order."""
    names: set[str] = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module.__name__ == __name__ and "run_notebook" in getattr(item, "fixturenames", ()):
            if "path" in params:
                names.add(params["path"].stem)
            if "name" in params:
                names.add(params["name"])
    return sorted(names)


@pytest.fixture(scope="module")
def run_notebook(request, tmp_path_factory):
    """Execute each needed notebook once, two at a time; tests then read the results.

    Kernels are separate processes, so running two notebooks side by side keeps
    both cores of a CI machine busy while one kernel waits on I/O.
    """
    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor(max_workers=2) as pool:
        # Hide user-level kernelspecs: "python3" must be the one of this venv.
        mp.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("jupyter-data")))
        mp.delenv("JUPYTER_PATH", raising=False)
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        futures: dict[str, Future[Executed]] = {}

        def submit(name: str) -> Future[Executed]:
            if name not in futures:
                workdir = tmp_path_factory.mktemp(name)
                futures[name] = pool.submit(execute, NB_DIR / f"{name}.ipynb", workdir)
            return futures[name]

        def run(name: str) -> Executed:
            return submit(name).result()

        run.files_before = _checkout_files()  # type: ignore[attr-defined]
        for name in _wanted(request.session.items):
            submit(name)
        yield run
        for future in futures.values():
            future.cancel()


# ------------------------------------------------------------------ committed form
def test_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS][:1] == ["01_quick_start"]
    numbers = [p.stem[:2] for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)), "one notebook per number"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_notebook_is_stripped_and_valid(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: strip them"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
        assert "widgets" not in cell.metadata
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_written_for_chinese_analysts(path: Path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.stem[:2]} ")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown and all(cjk.search(m) for m in markdown), "markdown cells are in Chinese"
    # Code stays English (identifiers, comments) apart from user-facing strings.
    for cell in nb.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                comment = line.split("#", 1)[1] if line.lstrip().startswith("#") else ""
                assert not cjk.search(comment), f"{path.name}: comment not in English: {line}"


def test_readme_lists_every_notebook():
    readme = (NB_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\b(\d\d_[a-z0-9_]+)\.ipynb", readme))
    assert listed == {p.stem for p in NOTEBOOKS}


# ---------------------------------------------------------------------- execution
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path, run_notebook):
    done = run_notebook(path.stem)
    assert done.seconds < NOTEBOOK_BUDGET_S
    outputs = _all_outputs(done.nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = "".join(_texts(outputs, "stderr"))
    assert not BAD_STDERR.search(stderr), stderr[:2000]
    # The kernel is this venv's interpreter, not some other Python on the machine.
    assert Path(done.probe()["executable"]).resolve() == Path(sys.executable).resolve()
    # Nothing escapes the working directory (the notebooks write under ./out).
    assert _checkout_files() <= run_notebook.files_before


@pytest.mark.parametrize("name", ["01_quick_start"])
def test_quick_start_shows_the_lists_and_writes_the_outputs(name: str, run_notebook):
    done = run_notebook(name)
    outputs = _all_outputs(done.nb)
    html = "".join(_texts(outputs, "text/html"))
    assert "已出清企业" in html and "园区指标" in html  # the Result's HTML summary rendered
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the park chart inline

    text = done.stdout()
    # The list sizes the notebook prints are the ones planted in the sample.
    assert f"停产两年以上工业企业清单 {len(PLANTED['stopped_2y'])} 家" in text
    assert f"欠缴土地使用税两年以上企业清单 {len(PLANTED['tax_arrears_2y'])} 家" in text
    assert f"抵押在金融机构的闲置土地清单 {len(PLANTED['mortgaged_idle'])} 宗" in text
    assert "错误:" in text and "did you mean 'as_of'" in text  # a clear error, no traceback

    out = done.workdir / "out"
    quality = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    parcels = quality["inputs"]["parcels"]
    assert parcels["rows_read"] == PLANTED["counts"]["parcel_features"]
    assert parcels["rows_read"] == parcels["rows_used"] + parcels["rows_rejected"]
    assert parcels["rows_used"] == PLANTED["counts"]["parcel_ids"]

    import geopandas as gpd
    import openpyxl
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "landclear.gpkg")}
    assert {"parcels", "enterprises", "parks"} <= layers
    layer = gpd.read_file(out / "landclear.gpkg", layer="parcels")
    assert set(layer.loc[layer["mortgaged_idle"].astype(bool), "parcel_id"]) == set(
        PLANTED["mortgaged_idle"]
    )
    assert set(layer.loc[layer["lists"] == 3, "credit_code"]) == {PLANTED["three_lists_enterprise"]}
    sheets = openpyxl.load_workbook(out / "ledgers.xlsx", read_only=True).sheetnames
    assert "停产两年以上工业企业清单"[:31] in sheets


def _park_of(parcel_id: str) -> str | None:
    return PLANTED["parcel_park"].get(parcel_id)


@pytest.mark.parametrize("name", ["02_park_maps"])
def test_park_maps_notebook_writes_offline_maps_and_static_images(name: str, run_notebook):
    done = run_notebook(name)
    maps = done.workdir / "out" / "maps"
    parks = set(PLANTED["counts"]["by_park"])
    assert {p.stem for p in maps.glob("*.html")} == parks | {"overview"}
    external = re.compile(r'<(?:script|link)[^>]+(?:src|href)="https?://')
    for page in maps.glob("*.html"):
        assert not external.search(page.read_text(encoding="utf-8")), (
            f"{page.name} needs the internet"
        )
    from PIL import Image

    park = "石嘴山经济技术开发区"
    with Image.open(maps / f"{park}.png") as img:
        assert img.format == "PNG" and min(img.size) > 300
    assert (maps / f"{park}.pdf").read_bytes()[:5] == b"%PDF-"
    # The GCJ-02 offset it prints is the few hundred metres DOMAIN §3 describes.
    shift = re.search(r"偏移 (\d+) 米", done.stdout())
    assert shift and 350 <= int(shift.group(1)) <= 500
    assert "天地图" in done.stdout() or "TIANDITU_KEY" in done.stdout()
    inline = [h for h in _texts(_all_outputs(done.nb), "text/html") if "L.map(" in h]
    assert len(inline) >= 3  # the park map, the same park on Gaode tiles, the overview
    assert any("autonavi.com" in h for h in inline)
    assert any("image/png" in o.get("data", {}) for o in _all_outputs(done.nb))  # static PNG


@pytest.mark.parametrize("name", ["03_parcel_files"])
def test_parcel_files_notebook_writes_one_file_per_selected_parcel(name: str, run_notebook):
    done = run_notebook(name)
    park = "石嘴山经济技术开发区"
    on_lists = {pid for pid, n in PLANTED["lists"].items() if n >= 1 and _park_of(pid) == park}
    html = {p.stem for p in (done.workdir / "out" / "reports" / "parcels").glob("*.html")}
    assert html == on_lists
    assert (done.workdir / "out" / "reports" / "index.html").exists()
    mortgaged = {pid for pid in PLANTED["mortgaged_idle"] if _park_of(pid) == park}
    pdfs = sorted((done.workdir / "out" / "reports_pdf" / "parcels").glob("*.pdf"))
    assert {p.stem for p in pdfs} == mortgaged
    from pypdf import PdfReader

    text = PdfReader(pdfs[0]).pages[0].extract_text()
    assert pdfs[0].stem in text and "宗地" in text  # Chinese glyphs made it into the PDF
    assert f"重新生成 0 份, 跳过 {len(mortgaged)} 份" in done.stdout()
    # Batch rendering shows a tqdm.auto progress bar, a widget in Jupyter.
    bars = [o for o in _all_outputs(done.nb) if WIDGET in o.get("data", {})]
    assert len(bars) >= 2 and all("一地一档" in o["data"]["text/plain"] for o in bars)


@pytest.mark.parametrize("name", ["04_progress_and_bulletin"])
def test_progress_notebook_reports_the_planted_progress(name: str, run_notebook):
    done = run_notebook(name)
    out = done.workdir / "out"
    progress = json.loads((out / "run" / "progress.json").read_text(encoding="utf-8"))
    assert progress["cleared_enterprises"] == PLANTED["progress"]["cleared_enterprises"]
    assert progress["cleared_mu"] == pytest.approx(PLANTED["progress"]["cleared_mu"], abs=0.01)
    assert (progress["target_enterprises"], progress["target_mu"]) == (80, 4000)
    assert (out / "run" / "progress.png").exists()
    bulletin = (out / "bulletin" / "bulletin.html").read_text(encoding="utf-8")
    assert f"累计出清长期停产企业{PLANTED['progress']['cleared_enterprises']}家" in bulletin
    assert (out / "bulletin" / "bulletin.pdf").read_bytes()[:5] == b"%PDF-"
    # The history store stays in the working directory, never beside the sample data.
    assert (out / "landclear-history.sqlite").exists()
    images = [o for o in _all_outputs(done.nb) if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # both progress charts display inline


@pytest.mark.parametrize("name", ["05_raster_evidence"])
def test_raster_notebook_weights_partial_cells_exactly(name: str, run_notebook):
    done = run_notebook(name)
    outputs = _all_outputs(done.nb)
    # count × cell area matches the ellipsoidal area to the GK-vs-ellipsoid difference (~0.05 %).
    ratio = next(t for t in _texts(outputs, "text/plain") if t.startswith("mean"))
    values = [float(v) for v in re.findall(r"\d+\.\d+", ratio)]
    assert values and all(abs(v - 1) < 0.002 for v in values)
    counts = re.search(r"\{'B': (\d+), 'A': (\d+)\}", done.stdout())
    assert counts
    page = (done.workdir / "out" / "built_up_map.html").read_text(encoding="utf-8")
    name = "遥感建成覆盖率"  # the overlay landclear.run adds for [inputs.rasters] built_up
    assert name in page or json.dumps(name)[1:-1] in page  # the overlay's layer name
    assert "data:image/png;base64," in page
    assert "栅格图层: ['遥感建成覆盖率']" in done.stdout()  # one overlay, not a second copy
    # zonal_stats(progress=True) shows a tqdm.auto bar (a widget in Jupyter).
    assert any(WIDGET in o.get("data", {}) for o in outputs)


@pytest.mark.parametrize("name", ["06_scale_with_dask"])
def test_dask_notebook_matches_the_pandas_engine(name: str, run_notebook):
    done = run_notebook(name)
    text = done.stdout()
    assert f"逐宗地比较: {PLANTED['counts']['parcel_ids']} 宗, 判定结果完全一致" in text
    assert "摘要一致: True" in text
    import geopandas as gpd

    layer = gpd.read_file(done.workdir / "out" / "dask" / "landclear.gpkg", layer="parcels")
    assert set(layer.loc[layer["idle"].astype(bool), "parcel_id"]) == set(PLANTED["idle"])


@pytest.mark.parametrize("name", ["07_scenarios"])
def test_scenarios_notebook_shows_each_park_against_2024_and_the_least_land_set(
    name: str, run_notebook
):
    import geopandas as gpd
    import openpyxl

    done = run_notebook(name)
    out = done.workdir / "out"
    parks = set(PLANTED["counts"]["by_park"])
    outputs = _all_outputs(done.nb)
    html = "".join(_texts(outputs, "text/html"))
    assert "2024年目标" in html and "计入进度" in html  # the what-if displayed inline
    assert all(park in html for park in parks)
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) >= 2  # charts inline

    def sheet(title: str) -> list[dict[str, Any]]:
        book = openpyxl.load_workbook(out / "ledgers.xlsx", read_only=True)
        rows = list(book[title].iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]

    # What the recommended disposals clear, per park, is the land the parcels layer recommends
    # vacating (an independent reading of the GeoPackage the notebook wrote).
    layer = gpd.read_file(out / "landclear.gpkg", layer="parcels")
    recommended = layer[layer["action"].isin(CLEARING_ACTIONS)].groupby("park")["area_mu"].sum()
    what_if = {r["园区"]: r for r in sheet("情景-recommended_2024-园区")}
    assert parks <= set(what_if)
    for park in parks:
        assert what_if[park]["腾退面积(亩)"] == pytest.approx(recommended[park], rel=1e-9)
        assert what_if[park]["亩均税收目标"] == 8  # the 2024 targets
    # The least-land plan: one row per park; a feasible plan's parcels add up to its mu.
    plans = {r["园区"]: r for r in sheet("方案-least_land_2024")}
    assert set(plans) == parks
    proposed = sheet("方案-least_land_2024-宗地")
    text = done.stdout()
    for park, row in plans.items():
        mu = sum(r["面积(亩)"] for r in proposed if r["园区"] == park)
        assert mu == pytest.approx(row["腾退面积(亩)"], rel=1e-9)
        if row["可达标"] == "是":
            # The notebook re-runs the what-if on the plan's parcels: all three targets met.
            assert f"验证 {park}: 腾退 {row['腾退宗地数']} 宗" in text
            assert re.search(rf"验证 {park}: .*三项全部达标: True", text)
        else:
            assert f"{park}: 默认候选宗地不能达标, 最好达到目标的 {row['最低达标率']:.1%}" in text
    assert any(r["可达标"] == "是" for r in plans.values())


# -------------------------------------------------------------- Jupyter experience
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _summary_html(done: Executed) -> str:
    """The Result's HTML summary as the kernel displayed it (``result`` on its own line)."""
    for out in _all_outputs(done.nb):
        html = out.get("data", {}).get("text/html", "")
        if "<h4>landclear · " in html:
            return html
    raise AssertionError("the Result's HTML summary was not displayed")


@pytest.mark.parametrize("name", ["01_quick_start"])
def test_result_summary_in_the_kernel_is_chinese_with_lists_parks_and_warnings(
    name: str, run_notebook
):
    import html as htmllib

    done = run_notebook(name)
    page = _summary_html(done)

    def cell_after(label: str) -> str:
        found = re.search("<td>" + re.escape(label) + r"</td><td[^>]*>([^<]+)</td>", page)
        assert found, f"{label} missing from the summary"
        return found.group(1)

    # The three lists and the idle land, with the planted counts.
    assert cell_after("欠缴土地使用税两年以上企业清单") == str(len(PLANTED["tax_arrears_2y"]))
    assert cell_after("抵押在金融机构的闲置土地清单") == str(len(PLANTED["mortgaged_idle"]))
    assert cell_after("停产两年以上工业企业清单") == str(len(PLANTED["stopped_2y"]))
    assert cell_after("闲置宗地 / 面积(亩)").startswith(f"{len(PLANTED['idle'])} / ")
    assert cell_after("宗地数") == str(PLANTED["counts"]["parcel_ids"])
    assert cell_after("已出清企业") == f"{PLANTED['progress']['cleared_enterprises']} / 80"
    # The park table: every sample park against the as_of year's targets (2024: 185/175/8).
    parks = page[page.index("园区指标") : page.index("数据质量")]
    assert "2024 年目标 · 企业数据 " in parks
    for park in PLANTED["counts"]["by_park"]:
        row = re.search(rf"<td>{park}</td>(.*?)</tr>", parks, re.S)
        assert row, park
        assert all(t in row.group(1) for t in ("185.00", "175.00", "8.00"))
    for head in ("亩均投资", "亩均税收", "投资强度达标"):
        assert head in parks
    # Data quality: the input accounting under Chinese names, and every warning.
    quality = json.loads((done.workdir / "out" / "quality.json").read_text(encoding="utf-8"))
    rec = quality["inputs"]["parcels"]
    assert cell_after("宗地") == (
        f"读取 {rec['rows_read']} · 使用 {rec['rows_used']} · 拒绝 {rec['rows_rejected']}"
        f" · 跳过 {rec['rows_skipped']}"
    )
    assert "<td>parcels</td>" not in page
    warnings = quality["warnings"]
    assert warnings and f"数据质量警告 {len(warnings)} 条" in page
    for w in warnings[:8]:
        assert f"<li>{htmllib.escape(w['message'])}</li>" in page


ERROR_CELLS = [
    # 0: a typo in the project file.
    "from pathlib import Path\n"
    "import landclear\n"
    'Path("bad.toml").write_text(\'asof = "2024-06-30"\\n[inputs]\\nparcels = "x.shp"\\n\','
    ' encoding="utf-8")\n'
    'landclear.run("bad.toml")',
    # 1: a shapefile without .prj (raised from deep inside the loaders).
    "import shutil\n"
    "from landclear.cli import sample_project\n"
    'for f in sample_project().parent.glob("parcels/jingkai.*"):\n'
    '    if f.suffix != ".prj":\n'
    "        shutil.copy(f, f.name)\n"
    'Path("noprj.toml").write_text(\'[inputs]\\nparcels = "jingkai.shp"\\n\', encoding="utf-8")\n'
    'landclear.run("noprj.toml")',
    # 2: a ledger without the columns a tax ledger needs.
    'Path("tax.csv").write_text("企业名称,金额\\n某公司,1\\n", encoding="utf-8")\n'
    'Path("tax.toml").write_text(\'[inputs]\\nparcels = "\' + str(sample_project().parent'
    ' / "parcels" / "pingluo.gpkg") + \'"\\ntax_arrears = "tax.csv"\\n\', encoding="utf-8")\n'
    'landclear.run("tax.toml")',
    # 3: an error that is not landclear's keeps its traceback.
    "1 / 0",
    # 4: LANDCLEAR_DEBUG=1 brings the full traceback back.
    '%env LANDCLEAR_DEBUG=1\nlandclear.run("bad.toml")',
]


def test_landclear_errors_show_one_chinese_line_in_a_real_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    monkeypatch.delenv("LANDCLEAR_DEBUG", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in ERROR_CELLS]
    done = execute_nb(nb, tmp_path, allow_errors=True)

    def error_of(i: int) -> dict[str, Any]:
        errors = [o for o in done.nb.cells[i].outputs if o["output_type"] == "error"]
        assert len(errors) == 1, done.nb.cells[i].outputs
        return errors[0]

    expected = [
        ("ProjectError", "项目文件错误", "as_of"),
        ("CRSError", "坐标系错误", "缺少坐标系"),
        ("MissingColumnError", "缺少列", "缺少必需列"),
    ]
    for i, (cls, kind, words) in enumerate(expected):
        err = error_of(i)
        assert err["ename"] == cls
        lines = ANSI.sub("", "\n".join(err["traceback"])).splitlines()
        assert len(lines) == 1, lines  # one line: no frames, no pandas
        assert lines[0].startswith(f"{kind} {cls}: ") and words in lines[0]
        assert "Traceback" not in lines[0] and ".py" not in lines[0].split(": ", 1)[0]
    # Other exceptions (bugs) still show where they happened.
    plain = ANSI.sub("", "\n".join(error_of(3)["traceback"]))
    assert "ZeroDivisionError" in plain and len(plain.splitlines()) > 1
    debug = ANSI.sub("", "\n".join(error_of(4)["traceback"]))
    assert "ProjectError" in debug and "landclear/project.py" in debug
