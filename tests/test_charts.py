"""Progress charts (landclear.charts): real CJK font, PNG and SVG, inline Figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from landclear.charts import burnup_figure, park_bars_figure, progress_charts, progress_figure
from landclear.progress import compute_progress

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def progress():
    import landclear.analysis

    return compute_progress(landclear.analysis.run(ROOT / "shapefiles" / "project.toml"))


def test_charts_written_without_missing_glyphs(progress, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = progress_charts(progress, tmp_path)
    glyph = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert glyph == []
    assert written["progress_png"] == tmp_path / "progress.png"
    for key in ("progress", "burnup_enterprises", "burnup_mu", "park_indicators"):
        png, svg = written[f"{key}_png"], written[f"{key}_svg"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 20_000, key  # a real drawing, not an empty canvas
        text = svg.read_text("utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_png_has_drawn_content(progress, tmp_path):
    import numpy as np
    from matplotlib.image import imread

    img = imread(progress_charts(progress, tmp_path)["burnup_mu_png"])
    # Far from blank: many distinct colours and a good share of non-white pixels.
    rgb = (img[..., :3] * 255).astype(int).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 50
    assert (rgb.sum(axis=1) < 700).mean() > 0.03


def test_figures_for_jupyter(progress):
    for fig in (
        burnup_figure(progress, "enterprises"),
        burnup_figure(progress, "mu"),
        park_bars_figure(progress),
        progress_figure(progress),
    ):
        assert isinstance(fig, Figure)
    ax = burnup_figure(progress, "mu").axes[0]
    # Target line at 4000 and the cumulative line ending at the cleared mu.
    ys = [line.get_ydata() for line in ax.get_lines()]
    assert any(len(y) == 2 and y[0] == y[1] == 4000 for y in ys)
    assert any(abs(float(y[-1]) - progress.cleared_mu) < 1e-6 for y in ys)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("按期完成所需进度" in t for t in labels)
    with pytest.raises(ValueError):
        burnup_figure(progress, "parcels")


def test_english_labels(progress):
    import dataclasses

    fig = burnup_figure(dataclasses.replace(progress, language="en"), "enterprises")
    assert fig.axes[0].get_title() == "Long-stopped enterprises cleared"


def test_glyph_check_would_see_missing_glyphs(tmp_path):
    """The warning check above is real: DejaVu Sans (matplotlib's default) has no CJK."""
    from landclear.charts import ChartFigure

    fig = ChartFigure()
    fig.add_subplot().set_title("出清企业", fontfamily="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "x.png")
    assert any("Glyph" in str(w.message) and "missing" in str(w.message) for w in caught)


def test_svg_keeps_the_chinese_labels(progress, tmp_path):
    svg = progress_charts(progress, tmp_path)["burnup_mu_svg"].read_text("utf-8")
    # Text is drawn as paths in the CJK font; each text keeps its string as a comment.
    for label in ("清理闲置低效用地(亩)", "累计完成", "目标 4000", "按期完成所需进度"):
        assert label in svg, label
    assert "DejaVu" not in svg


def test_figures_show_inline_in_a_real_jupyter_kernel(progress, tmp_path):
    """A chart is drawn inline by a fresh kernel with no %matplotlib magic and no pyplot."""
    import os
    import pickle

    import nbformat
    from nbclient import NotebookClient

    pickled = tmp_path / "progress.pkl"
    pickled.write_bytes(pickle.dumps(progress))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"import pickle\nfrom landclear.charts import burnup_figure, park_bars_figure\n"
            f"p = pickle.load(open({str(pickled)!r}, 'rb'))\nburnup_figure(p, 'mu')"
        ),
        nbformat.v4.new_code_cell("park_bars_figure(p)"),
    ]
    env = {"JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}  # the venv's python3 kernel only
    saved = {k: os.environ.get(k) for k in (*env, "MPLBACKEND", "JUPYTER_PATH")}
    os.environ.update(env)
    os.environ.pop("MPLBACKEND", None)
    os.environ.pop("JUPYTER_PATH", None)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=120, startup_timeout=60).execute(
            cwd=str(ROOT)
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    for cell in nb.cells:
        results = [o for o in cell.outputs if o["output_type"] == "execute_result"]
        assert len(results) == 1, cell.outputs
        png = results[0]["data"].get("image/png")
        assert png and len(png) > 10_000  # base64 of a real drawing
        streams = "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")
        assert "Glyph" not in streams and "missing" not in streams


def test_dollar_signs_in_park_and_city_names_are_drawn_as_written(progress, tmp_path):
    """Names are data: "$…$" must not become mathtext (nor raise on bad syntax)."""
    import dataclasses

    years = progress.park_years.copy()
    old = years["park"].iloc[0]
    years.loc[years["park"] == old, "park"] = "一区$a_$二期$x^2$"
    odd = dataclasses.replace(progress, park_years=years, city="石嘴山$市")
    written = progress_charts(odd, tmp_path)
    assert written["park_indicators_png"].stat().st_size > 20_000
    fig = park_bars_figure(odd)
    fig.canvas.draw()  # mathtext would raise here on "$a_$"
    ticks = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
    assert any(t.startswith(r"一区\$a_\$") for t in ticks)  # escaped: drawn literally
    fig = progress_figure(odd)
    fig.canvas.draw()
    assert "石嘴山$市" in fig.texts[0].get_text().replace("\\$", "$")
