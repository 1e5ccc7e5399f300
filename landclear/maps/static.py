"""Static park maps (PNG/PDF for slides) and parcel locator maps, with matplotlib.

No tiles: parcels coloured by state (same colours as the web maps), the park
outline, a legend in Chinese, a scale bar and a north arrow. Drawing happens
in the data's CGCS2000 3° Gauss–Krüger zone (metres), so the scale bar is
exact; the north arrow is turned by the zone's meridian convergence (up to
~1° here) so it points to true north.

Examples
--------
>>> static_map(result, "石嘴山经济技术开发区", "park.png")  # doctest: +SKIP
PosixPath('park.png')
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from landclear.errors import LandclearError
from landclear.geo import local_metric_crs
from landclear.maps.legend import STATE_ORDER, STATE_STYLES, parcel_state, state_label
from landclear.maps.park import _language, _t, park_names

__all__ = ["add_north_arrow", "add_scale_bar", "locator_map", "static_map"]


def _nice_length(span_m: float) -> float:
    """A round length (1, 2, 2.5, 5 × 10^k m) near a quarter of ``span_m``."""
    target = max(span_m / 4, 1e-9)
    exp = 10 ** math.floor(math.log10(target))
    for step in (5, 2.5, 2, 1):
        if step * exp <= target:
            return step * exp
    return exp


def add_scale_bar(
    ax: Any, *, loc: tuple[float, float] = (0.05, 0.05), fontsize: float = 8
) -> float:
    """Draw a two-segment scale bar on axes whose data units are metres; return its length (m)."""
    x0, x1 = ax.get_xlim()
    length = _nice_length(x1 - x0)
    frac = length / (x1 - x0)
    bx, by = loc
    for k, colour in enumerate(("black", "white")):
        ax.add_patch(_rect(ax, bx + k * frac / 2, by, frac / 2, 0.012, colour))
    label = f"{length:g} 米" if length < 1000 else f"{length / 1000:g} 千米"
    ax.text(
        bx + frac / 2,
        by + 0.02,
        label,
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        zorder=6,
    )
    ax.text(
        bx,
        by - 0.006,
        "0",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=fontsize - 1,
        zorder=6,
    )
    return length


def _rect(ax: Any, x: float, y: float, w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x, y),
        w,
        h,
        transform=ax.transAxes,
        facecolor=colour,
        edgecolor="black",
        linewidth=0.8,
        zorder=6,
    )


def _convergence_deg(crs: pyproj.CRS, lon: float, lat: float) -> float:
    """Angle (degrees, clockwise from grid north) of true north at ``lon, lat`` in ``crs``."""
    to = pyproj.Transformer.from_crs(4490, crs, always_xy=True)
    x0, y0 = to.transform(lon, lat)
    x1, y1 = to.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def add_north_arrow(
    ax: Any,
    *,
    angle_deg: float = 0.0,
    loc: tuple[float, float] = (0.93, 0.86),
    size: float = 0.08,
    label: str = "北",
) -> None:
    """A north arrow at ``loc`` (axes fraction), rotated clockwise by ``angle_deg``."""
    a = math.radians(angle_deg)
    dx, dy = size * math.sin(a), size * math.cos(a)
    x, y = loc
    ax.annotate(
        "",
        xy=(x + dx / 2, y + dy / 2),
        xytext=(x - dx / 2, y - dy / 2),
        xycoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.4,head_length=0.8",
            "color": "black",
            "linewidth": 1.6,
        },
        zorder=6,
    )
    ax.text(
        x + dx / 2 + 0.004,
        y + dy / 2 + 0.01,
        label,
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=10,
        fontweight="bold",
        zorder=6,
    )


def _figure(size: tuple[float, float]) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    from landclear.fonts import use_cjk_font

    use_cjk_font()
    fig = Figure(figsize=size)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.9))
    return fig, ax


def _plot_polys(ax: Any, gdf: gpd.GeoDataFrame, **kw: Any) -> None:
    if len(gdf):
        gdf.plot(ax=ax, **kw)


def static_map(
    result: Any,
    park: str,
    out_path: str | Path,
    fmt: str | None = None,
    *,
    size: tuple[float, float] = (11.7, 8.3),
    dpi: int = 200,
) -> Path:
    """Write a static map of one park (PNG or PDF) for slides.

    Parameters
    ----------
    result : landclear.result.Result
    park : str
        Park name.
    out_path : path
        File to write.
    fmt : {"png", "pdf"}, optional
        Default: from the suffix of ``out_path``, else PNG.
    size : (width, height) in inches
        Default A4 landscape.
    dpi : int
        PNG resolution.

    Returns
    -------
    Path

    Examples
    --------
    >>> static_map(result, "平罗工业园区", "out/平罗.pdf")  # doctest: +SKIP
    """
    from matplotlib.patches import Patch

    language = _language(result)
    out_path = Path(out_path)
    fmt = (fmt or out_path.suffix.lstrip(".") or "png").lower()
    if fmt not in ("png", "pdf"):
        raise LandclearError(f"静态地图格式应为 png 或 pdf / fmt must be png or pdf, not {fmt!r}")
    if str(park) not in park_names(result):
        raise LandclearError(f"未找到园区 unknown park {park!r}")
    p = result.parcels
    parcels = p[p["park"].astype("string").eq(str(park)).fillna(False).to_numpy(bool)]
    parcels = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    shapes = getattr(result, "park_shapes", None)
    shape = None
    if shapes is not None and len(shapes):
        shape = shapes[shapes["park"].astype("string").eq(str(park)).fillna(False).to_numpy(bool)]
    ref = parcels if len(parcels) else shape
    if ref is None or not len(ref):
        raise LandclearError(f"园区 {park!r} 没有可绘制的图形 / nothing to draw")
    crs = local_metric_crs(ref)
    metric = parcels.to_crs(crs)
    state = parcel_state(parcels)

    fig, ax = _figure(size)
    ax.set_position((0.01, 0.01, 0.72, 0.88))
    ax.set_axis_off()
    ax.set_aspect("equal")
    if shape is not None and len(shape):
        _plot_polys(
            ax,
            shape.to_crs(crs),
            facecolor="#f3f6fb",
            edgecolor="#1f4e9c",
            linewidth=1.6,
            linestyle="--",
            zorder=1,
        )
    fills = state.map(lambda s: STATE_STYLES[s]["fillColor"]).to_numpy()
    edges = state.map(lambda s: STATE_STYLES[s]["color"]).to_numpy()
    _plot_polys(ax, metric, color=fills, edgecolor=edges, linewidth=0.4, alpha=0.85, zorder=2)

    x0, y0, x1, y1 = (
        shape.to_crs(crs) if shape is not None and len(shape) else metric
    ).total_bounds
    if len(metric):
        b = metric.total_bounds
        x0, y0, x1, y1 = min(x0, b[0]), min(y0, b[1]), max(x1, b[2]), max(y1, b[3])
    pad = 0.06 * max(x1 - x0, y1 - y0, 100)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)

    area = pd.to_numeric(parcels.get("area_mu"), errors="coerce") if "area_mu" in parcels else None
    handles = []
    for s in STATE_ORDER:
        mask = (state == s).to_numpy()
        if not mask.any():
            continue
        mu = float(area[mask].sum()) if area is not None else float("nan")
        text = (
            f"{state_label(s, language)}  {int(mask.sum())} 宗 {mu:,.1f} 亩"
            if language == "zh"
            else f"{state_label(s, language)}  {int(mask.sum())} · {mu:,.1f} mu"
        )
        st = STATE_STYLES[s]
        handles.append(Patch(facecolor=st["fillColor"], edgecolor=st["color"], label=text))
    if shape is not None and len(shape):
        from matplotlib.lines import Line2D

        handles.append(
            Line2D(
                [],
                [],
                color="#1f4e9c",
                linestyle="--",
                label=_t("园区边界", "Park boundary", language),
            )
        )
    ax.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize=8,
        framealpha=0.92,
        title=_t("宗地状态", "Parcel state", language),
        title_fontsize=9,
    )
    add_scale_bar(ax)
    lon, lat = (
        parcels.to_crs(4490).union_all().centroid.coords[0] if len(parcels) else (106.4, 39.0)
    )
    add_north_arrow(ax, angle_deg=_convergence_deg(crs, lon, lat), label=_t("北", "N", language))
    project = result.project
    # Park and city names are data: parse_math=False keeps "$…$" literal (no mathtext, no crash).
    fig.suptitle(f"{park}", fontsize=16, fontweight="bold", y=0.975, parse_math=False)
    fig.text(
        0.5,
        0.925,
        _t(
            f"{getattr(project, 'city', '')} · 基准日 {project.as_of} · 坐标系 "
            f"CGCS2000 / EPSG:{crs.to_epsg()}",
            f"{getattr(project, 'city', '')} · as of {project.as_of} · "
            f"CGCS2000 / EPSG:{crs.to_epsg()}",
            language,
        ),
        ha="center",
        fontsize=9,
        color="#444444",
        parse_math=False,
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, format=fmt, dpi=dpi)
    return out_path


def locator_map(
    parcels_gdf: gpd.GeoDataFrame,
    parcel_id: str,
    park_shape: Any = None,
    ax: Any = None,
    size: tuple[float, float] = (3.5, 3.5),
    *,
    radius_m: float = 500.0,
    language: str = "zh",
) -> Any:
    """Draw one parcel highlighted among its neighbours, with scale bar and north arrow.

    Parameters
    ----------
    parcels_gdf : GeoDataFrame
        Parcels with ``parcel_id`` and a CRS.
    parcel_id : str
        The parcel to highlight.
    park_shape : GeoDataFrame, GeoSeries or shapely geometry, optional
        Park outline (CGCS2000 lon/lat if a bare geometry).
    ax : matplotlib Axes, optional
        Draw there; default a new figure of ``size`` inches.
    radius_m : float
        Minimum half-width of the view around the parcel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = locator_map(result.parcels, "640202001001GB00001")  # doctest: +SKIP
    >>> fig.savefig("locator.png")  # doctest: +SKIP
    """
    import shapely
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ids = parcels_gdf["parcel_id"].astype("string")
    hit = ids.eq(str(parcel_id)).fillna(False).to_numpy(bool)
    if not hit.any():
        raise LandclearError(f"未找到宗地 unknown parcel {parcel_id!r}", column="parcel_id")
    target = parcels_gdf[hit]
    crs = local_metric_crs(target)
    tm = target.to_crs(crs)
    minx, miny, maxx, maxy = tm.total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = max(radius_m, 0.6 * max(maxx - minx, maxy - miny))
    window = shapely.box(cx - half, cy - half, cx + half, cy + half)
    # Pre-filter neighbours in lon/lat so that a city of parcels is not reprojected.
    win_ll = gpd.GeoSeries([window], crs=crs).to_crs(parcels_gdf.crs).total_bounds
    near = parcels_gdf.cx[win_ll[0] : win_ll[2], win_ll[1] : win_ll[3]]
    near = near[~near.index.isin(target.index)].to_crs(crs)

    if ax is None:
        from landclear.fonts import use_cjk_font

        use_cjk_font()
        from matplotlib.figure import Figure

        fig = Figure(figsize=size)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        from landclear.fonts import use_cjk_font

        use_cjk_font()
        fig = ax.figure
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    has_park = park_shape is not None
    if has_park:
        if isinstance(park_shape, gpd.GeoDataFrame | gpd.GeoSeries):
            ps = park_shape.to_crs(crs)
        else:
            ps = gpd.GeoSeries([park_shape], crs=4490).to_crs(crs)
        ps.plot(
            ax=ax, facecolor="#eef4fb", edgecolor="#1f4e9c", linewidth=1.2, linestyle="--", zorder=1
        )
    _plot_polys(ax, near, facecolor="#d9d9d9", edgecolor="#7f7f7f", linewidth=0.5, zorder=2)
    tm.plot(ax=ax, facecolor="#d7191c", edgecolor="#7f0000", linewidth=1.2, alpha=0.9, zorder=3)
    add_scale_bar(ax, fontsize=7)
    lon, lat = target.to_crs(4490).union_all().centroid.coords[0]
    add_north_arrow(
        ax, angle_deg=_convergence_deg(crs, lon, lat), size=0.12, label=_t("北", "N", language)
    )
    handles = [
        Patch(
            facecolor="#d7191c", edgecolor="#7f0000", label=_t("本宗地", "This parcel", language)
        ),
        Patch(
            facecolor="#d9d9d9", edgecolor="#7f7f7f", label=_t("周边宗地", "Neighbours", language)
        ),
    ]
    if has_park:
        handles.append(
            Line2D(
                [],
                [],
                color="#1f4e9c",
                linestyle="--",
                label=_t("园区边界", "Park boundary", language),
            )
        )
    ax.legend(handles=handles, loc="upper left", fontsize=6.5, framealpha=0.85)
    return fig
