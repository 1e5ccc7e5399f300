"""Progress charts: burn-up toward the targets and park per-mu indicators by year.

matplotlib with a real CJK font (:func:`landclear.fonts.use_cjk_font`), drawn on
``matplotlib.figure.Figure`` objects (no pyplot state, safe in servers and
threads). The ``*_figure`` functions return a Figure, which Jupyter shows
inline; :func:`progress_charts` writes PNG and SVG files.

Example
-------
>>> from landclear.progress import compute_progress  # doctest: +SKIP
>>> fig = burnup_figure(compute_progress(result), "mu")  # doctest: +SKIP
>>> fig  # in Jupyter: drawn inline  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from landclear.fonts import literal

__all__ = ["ChartFigure", "burnup_figure", "park_bars_figure", "progress_charts", "progress_figure"]

TEXT = {
    "enterprises": ("出清长期停产企业(家)", "Long-stopped enterprises cleared"),
    "mu": ("清理闲置低效用地(亩)", "Idle / low-efficiency land cleared (mu)"),
    "actual": ("累计完成", "Cumulative cleared"),
    "target": ("目标", "Target"),
    "plan": ("均衡进度线", "Even-pace line"),
    "needed": ("按期完成所需进度", "Pace needed"),
    "as_of": ("基准日", "As of"),
    "deadline": ("期限", "Deadline"),
    "investment": ("亩均投资强度(万元/亩)", "Investment per mu (10k CNY)"),
    "output": ("亩均产出强度(万元/亩)", "Output per mu (10k CNY)"),
    "tax": ("亩均税收(万元/亩)", "Tax per mu (10k CNY)"),
    "park_title": ("园区亩均指标与年度目标", "Park per-mu indicators vs targets"),
    "year_target": ("{y}年目标", "{y} target"),
    "burnup_title": ("{city}清理进度(截至{as_of})", "{city} clearance progress (as of {as_of})"),
    "no_data": ("暂无企业年度数据", "No enterprise data by year"),
}
MEASURES = ("investment", "output", "tax")
COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")


def _t(key: str, language: str, **fmt: Any) -> str:
    zh, en = TEXT[key]
    return (en if language == "en" else zh).format(**fmt)


class ChartFigure(Figure):
    """A matplotlib Figure that Jupyter draws inline by itself.

    A bare :class:`~matplotlib.figure.Figure` (no pyplot) shows as
    ``<Figure size …>`` in a notebook unless ``%matplotlib inline`` has
    registered a formatter; ``_repr_png_`` makes the chart appear either way
    (IPython prefers a registered formatter, so it is drawn once).
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()


def _new_figure(width: float, height: float) -> ChartFigure:
    from landclear.fonts import use_cjk_font

    use_cjk_font()
    return ChartFigure(figsize=(width, height), dpi=110, layout="constrained")


def _month_start(label: str) -> pd.Timestamp:
    return pd.Timestamp(label + "-01")


def _draw_burnup(ax: Any, progress: Any, kind: str) -> None:
    lang = progress.language
    m = progress.monthly
    # Each month's cumulative value is reached at the month's end.
    x = [pd.Timestamp(progress.start)] + [
        (_month_start(s) + pd.offsets.MonthEnd(0)) for s in m["month"]
    ]
    x[-1] = min(x[-1], pd.Timestamp(progress.as_of))
    y = np.concatenate([[0.0], m[f"cumulative_{kind}"].to_numpy(dtype=float)])
    target = float(progress.target_enterprises if kind == "enterprises" else progress.target_mu)
    start, deadline, as_of = (
        pd.Timestamp(progress.start),
        pd.Timestamp(progress.deadline),
        pd.Timestamp(progress.as_of),
    )
    ax.step(x, y, where="post", color=COLOURS[0], lw=2.2, label=_t("actual", lang))
    ax.fill_between(x, y, step="post", color=COLOURS[0], alpha=0.12)
    ax.axhline(target, color=COLOURS[3], lw=1.5, ls="-", label=f"{_t('target', lang)} {target:g}")
    ax.plot([start, deadline], [0, target], color="grey", lw=1, ls=":", label=_t("plan", lang))
    current = float(y[-1])
    if as_of < deadline and current < target:
        ax.plot(
            [as_of, deadline],
            [current, target],
            color=COLOURS[1],
            lw=1.8,
            ls="--",
            label=f"{_t('needed', lang)} "
            f"{progress.pace[kind]['needed_per_month'] or 0:,.1f}/"
            f"{'月' if lang != 'en' else 'month'}",
        )
    ax.axvline(as_of, color="black", lw=0.8, alpha=0.6)
    ax.annotate(
        f"{_t('as_of', lang)} {progress.as_of:%Y-%m-%d}\n{current:,.{0 if kind == 'enterprises' else 1}f}",
        (as_of, current),
        xytext=(-6, 8),
        textcoords="offset points",
        ha="right",
        fontsize=8,
    )
    ax.set_xlim(start - pd.Timedelta(days=10), max(deadline, as_of) + pd.Timedelta(days=20))
    ax.set_ylim(0, max(target, current) * 1.12)
    ax.set_title(_t(kind, lang), fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def burnup_figure(progress: Any, kind: str = "mu") -> Figure:
    """Burn-up of cleared ``"enterprises"`` or ``"mu"`` against the target and needed pace.

    Parameters
    ----------
    progress : Progress
        From :func:`landclear.progress.compute_progress`.
    kind : {"enterprises", "mu"}

    Returns
    -------
    matplotlib.figure.Figure

    Example
    -------
    >>> burnup_figure(progress, "enterprises").savefig("burnup.png")  # doctest: +SKIP
    """
    if kind not in ("enterprises", "mu"):
        raise ValueError(f"kind must be 'enterprises' or 'mu', not {kind!r}")
    fig = _new_figure(7.5, 4.2)
    ax = fig.add_subplot()
    _draw_burnup(ax, progress, kind)
    _date_axis(ax)
    return fig


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))


def progress_figure(progress: Any) -> Figure:
    """Both burn-ups side by side (``progress.png`` of DOMAIN §8).

    Example
    -------
    >>> progress_figure(progress)  # doctest: +SKIP
    """
    fig = _new_figure(13, 4.6)
    axes = fig.subplots(1, 2)
    for ax, kind in zip(axes, ("enterprises", "mu"), strict=True):
        _draw_burnup(ax, progress, kind)
        _date_axis(ax)
    city = literal(progress.city or "")
    fig.suptitle(
        _t("burnup_title", progress.language, city=city, as_of=progress.as_of.isoformat()),
        fontsize=13,
    )
    return fig


#: Parks drawn in the per-park bar chart (the largest by industrial land); the rest are in
#: the workbook's park sheets.
MAX_PARKS_IN_CHART = 12


def park_bars_figure(progress: Any) -> Figure:
    """Bars of each park's per-mu indicators by year, with each year's target.

    One panel per measure (investment, output, tax per mu); bars grouped by
    park, one colour per year; a short line over each group at that year's
    target. The 全市 row (all parks) is drawn last.

    Example
    -------
    >>> park_bars_figure(progress).savefig("parks.svg")  # doctest: +SKIP
    """
    lang = progress.language
    py = progress.park_years
    fig = _new_figure(12, 4.4)
    if py is None or len(py) == 0:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center")
        ax.set_axis_off()
        return fig
    py = py[py["industrial_mu"] > 0]
    years = sorted(py["year"].unique())
    # A province has hundreds of parks: a readable chart shows the largest ones and 全市.
    sizes = py[py["park"] != "全市"].groupby("park")["industrial_mu"].max()
    shown = set(sizes.nlargest(MAX_PARKS_IN_CHART).index)
    parks = [p for p in py["park"].drop_duplicates() if p in shown]
    parks += [p for p in py["park"].drop_duplicates() if p == "全市"]
    axes = fig.subplots(1, len(MEASURES))
    width = 0.8 / max(len(years), 1)
    xs = np.arange(len(parks))
    for ax, measure in zip(axes, MEASURES, strict=True):
        for j, year in enumerate(years):
            rows = py[py["year"] == year].set_index("park").reindex(parks)
            values = rows[f"{measure}_per_mu"].to_numpy(dtype=float)
            pos = xs - 0.4 + width * (j + 0.5)
            ax.bar(
                pos,
                np.nan_to_num(values),
                width * 0.92,
                color=COLOURS[j % len(COLOURS)],
                label=str(year),
            )
            target = rows[f"target_{measure}"].to_numpy(dtype=float)
            if np.isfinite(target).any():
                ax.hlines(
                    target,
                    pos - width / 2,
                    pos + width / 2,
                    colors="black",
                    lw=1.6,
                    label=_t("year_target", lang, y=year) if j == 0 else None,
                )
        ax.set_xticks(xs, [literal(_short(p)) for p in parks], fontsize=8)
        ax.set_title(_t(measure, lang), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    # The target line's label reads "<first year> target"; name it generically.
    labels = [(_t("target", lang) if "目标" in lab or "target" in lab else lab) for lab in labels]
    fig.legend(
        handles, labels, fontsize=8, frameon=False, loc="outside lower center", ncols=len(labels)
    )
    fig.suptitle(_t("park_title", lang), fontsize=12)
    return fig


def _short(park: str) -> str:
    """A park name short enough for an axis label."""
    for long, short in (
        ("石嘴山高新技术产业开发区", "高新区"),
        ("石嘴山经济技术开发区", "经开区"),
        ("工业园区", "园区"),
    ):
        park = park.replace(long, short)
    return park if len(park) <= 8 else park[:7] + "…"


def progress_charts(progress: Any, out_dir: str | Path) -> dict[str, Path]:
    """Write every progress chart as PNG and SVG into ``out_dir``.

    Returns
    -------
    dict
        ``progress_png`` (``out_dir/progress.png``, DOMAIN §8),
        ``progress_svg``, and ``charts/burnup_enterprises.{png,svg}``,
        ``charts/burnup_mu.{png,svg}``, ``charts/park_indicators.{png,svg}``.

    Example
    -------
    >>> progress_charts(progress, "out")["progress_png"]  # doctest: +SKIP
    PosixPath('out/progress.png')
    """
    out = Path(out_dir)
    charts = out / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    figures = {
        "progress": (out, progress_figure(progress)),
        "burnup_enterprises": (charts, burnup_figure(progress, "enterprises")),
        "burnup_mu": (charts, burnup_figure(progress, "mu")),
        "park_indicators": (charts, park_bars_figure(progress)),
    }
    for name, (folder, fig) in figures.items():
        for ext in ("png", "svg"):
            path = folder / f"{name}.{ext}"
            fig.savefig(
                path,
                dpi=130 if ext == "png" else None,
                metadata={"Date": None} if ext == "svg" else None,
            )
            written[f"{name}_{ext}"] = path
    return written
