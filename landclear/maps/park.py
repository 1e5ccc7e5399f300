"""The map of one industrial park: parcels by state, lists, boundary, search.

Examples
--------
>>> import landclear
>>> result = landclear.analysis.run("shapefiles/project.toml")  # doctest: +SKIP
>>> m = park_map(result, "石嘴山经济技术开发区", basemap="gaode")  # doctest: +SKIP
>>> m.save("park.html")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landclear.errors import LandclearError
from landclear.geo import local_metric_crs, to_gcj02
from landclear.labels import LIST_NAMES, label
from landclear.maps.basemaps import MapOptions, add_basemap, map_options, needs_gcj02
from landclear.maps.layers import (
    CompactLayer,
    Controls,
    FeatureData,
    ImageLayer,
    Register,
    SearchControl,
    display_frame,
    format_series,
)
from landclear.maps.legend import (
    GRADE_ORDER,
    GRADE_STYLES,
    STATE_ORDER,
    STATE_STYLES,
    Legend,
    TitleBox,
    flag,
    parcel_state,
    state_label,
)
from landclear.maps.offline import AssetBundle, strip_folium_assets

__all__ = ["PARCEL_POPUP", "PARCEL_TOOLTIP", "new_map", "park_map", "to_web", "web_bounds"]

#: Tooltip columns (first is the heading).
PARCEL_TOOLTIP = ("parcel_id", "owner_name", "area_mu", "state")
#: Popup columns, in order; those a result lacks are skipped.
PARCEL_POPUP = (
    "parcel_id",
    "owner_name",
    "credit_code",
    "park",
    "county",
    "land_use",
    "area_mu",
    "state",
    "list_names",
    "idle_type",
    "idle_years",
    "idle_fee",
    "recoverable",
    "idle_reason",
    "mortgagees",
    "grade",
    "score",
    "building_coverage",
    "plot_ratio",
    "action",
    "action_rule",
    "action_reason",
    "priority",
)

#: The switchable list layers: key → (flag column(s), state whose colour they use).
LIST_LAYERS: dict[str, tuple[str, str]] = {
    "tax": ("tax_arrears_2y", "tax"),
    "mortgage": ("mortgaged_idle", "mortgaged_idle"),
    "stopped": ("stopped_2y", "stopped"),
    "idle": ("idle", "idle"),
    "recoverable": ("recoverable", "recoverable"),
    "low_efficiency": ("low_efficiency", "low_efficiency"),
    "cross": ("lists", "recoverable"),
}
_EXTRA_NAMES = {
    "idle": ("闲置土地", "Idle land"),
    "recoverable": ("闲置满两年可收回", "Recoverable (idle ≥ 2 y)"),
    "low_efficiency": ("低效用地", "Low-efficiency land"),
    "cross": ("在两个及以上清单", "On two or more lists"),
}


def _t(zh: str, en: str, language: str) -> str:
    return zh if language == "zh" else en


def _language(result: Any) -> str:
    return getattr(getattr(result, "project", None), "language", "zh") or "zh"


# ------------------------------------------------------------------ geometry


def to_web(
    gdf: gpd.GeoDataFrame, basemap: str, simplify_m: float | None = None
) -> gpd.GeoDataFrame:
    """Lon/lat geometries for a web map on ``basemap`` (GCJ-02 for Gaode), optionally simplified.

    Simplification uses :func:`shapely.coverage_simplify` in a metric CRS, so
    edges shared by neighbouring parcels stay shared (no gaps or slivers).
    """
    if gdf.crs is None:
        raise LandclearError("地图图层没有坐标系 / map layer has no CRS", column="geometry")
    out = gdf
    if simplify_m and len(gdf):
        metric = local_metric_crs(gdf)
        projected = gdf.to_crs(metric)
        geoms = np.asarray(projected.geometry.array)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        simplified = geoms.copy()
        simplified[ok] = shapely.coverage_simplify(geoms[ok], float(simplify_m))
        out = projected.set_geometry(gpd.GeoSeries(simplified, index=projected.index, crs=metric))
    if needs_gcj02(basemap):
        return to_gcj02(out)
    return out.to_crs(4326)


def web_bounds(*frames: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` over the (lon/lat) frames, or None if all empty."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


def _shift_bounds(bounds: Any, basemap: str) -> list[list[float]]:
    """Raster bounds as [[s, w], [n, e]], shifted to GCJ-02 for Gaode (corner by corner)."""
    b = np.asarray(bounds, dtype=float)
    if b.shape == (4,):  # (west, south, east, north)
        b = np.array([[b[1], b[0]], [b[3], b[2]]])
    if needs_gcj02(basemap):
        from landclear.geo import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(b[:, 1], b[:, 0])
        b = np.column_stack([lat, lon])
    return b.tolist()


# ------------------------------------------------------------------ map frame

#: Padding (px) kept free of data when a map opens: zoom/search on the left, the
#: title at the top, the layer control and legend on the right.
FIT_PADDING_TOP_LEFT = (50, 80)
FIT_PADDING_BOTTOM_RIGHT = (260, 20)


def fit_view(m: folium.Map, bounds: list[list[float]] | None) -> None:
    """Open ``m`` on ``bounds`` at once (no fly-in animation), clear of the controls.

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> fit_view(m, [[39.0, 106.3], [39.1, 106.4]])
    >>> '"animate": false' in m.get_root().render()
    True
    """
    if not bounds:
        return
    fb = folium.FitBounds(
        bounds,
        padding_top_left=FIT_PADDING_TOP_LEFT,
        padding_bottom_right=FIT_PADDING_BOTTOM_RIGHT,
    )
    fb.options["animate"] = False
    fb.add_to(m)


def new_map(opts: MapOptions, language: str = "zh", *, max_zoom: int = 20) -> folium.Map:
    """An empty map with our assets, basemap and controls (no folium CDN assets)."""
    m = folium.Map(
        location=[39.0, 106.4],
        zoom_start=12,
        tiles=None,
        control_scale=False,
        prefer_canvas=True,
        max_zoom=max_zoom,
    )
    strip_folium_assets(m)
    measure = "measure_js_zh" if language == "zh" else "measure_js_en"
    AssetBundle(
        ["leaflet_css", "fullscreen_css", "measure_css", "leaflet_js", "fullscreen_js", measure],
        offline=opts.offline,
    ).add_to(m)
    add_basemap(m, opts.basemap, tianditu_key=opts.tianditu_key)
    Controls(language, gcj02=needs_gcj02(opts.basemap)).add_to(m)
    return m


def map_notes(opts: MapOptions, language: str) -> list[str]:
    """Notes for the legend: datum, tiles offline, simplification."""
    notes = []
    if needs_gcj02(opts.basemap):
        notes.append(
            _t(
                "图形已转换为 GCJ-02 以对齐高德底图",
                "Shapes shifted to GCJ-02 for Gaode tiles",
                language,
            )
        )
    if opts.offline and opts.basemap != "none":
        notes.append(
            _t("离线模式：底图瓦片需联网才能显示", "Offline: tiles need the internet", language)
        )
    if opts.basemap == "none":
        notes.append(_t("无底图", "No basemap", language))
    if opts.simplify_m:
        notes.append(
            _t(
                f"图形已简化（容差 {opts.simplify_m:g} 米）",
                f"Shapes simplified ({opts.simplify_m:g} m)",
                language,
            )
        )
    return notes


# ------------------------------------------------------------------ parcels


def _list_names(p: pd.DataFrame, language: str) -> pd.Series:
    """'欠税、抵押、停产' per parcel, vectorised."""
    short = {
        "tax_arrears_2y": ("欠税", "tax"),
        "mortgaged_idle": ("抵押闲置", "mortgage"),
        "stopped_2y": ("停产", "stopped"),
    }
    sep = "、" if language == "zh" else ", "
    out = pd.Series("", index=p.index, dtype=object)
    for col, names in short.items():
        name = names[0] if language == "zh" else names[1]
        on = flag(p, col)
        out = out.where(~on, out.where(out.eq(""), out + sep) + name)
    return out


def parcel_data(
    parcels: gpd.GeoDataFrame, language: str, precision: int
) -> tuple[FeatureData, pd.Series]:
    """The parcels' :class:`FeatureData` (geometry already lon/lat) and their states."""
    state = parcel_state(parcels)
    shown = parcels.assign(
        state=state.map(lambda s: state_label(s, language)),
        list_names=_list_names(parcels, language),
    )
    cols = list(dict.fromkeys((*PARCEL_TOOLTIP, *PARCEL_POPUP)))
    frame = display_frame(shown, cols, language)
    labels = {c: label(c, language) for c in frame.columns}
    labels["state"] = _t("状态", "State", language)
    labels["list_names"] = _t("所在清单", "Lists", language)
    state_idx = pd.Categorical(state, categories=list(STATE_ORDER)).codes
    grade = (
        parcels["grade"].astype("string").fillna("").str.strip().str.upper()
        if "grade" in parcels
        else pd.Series("", index=parcels.index)
    )
    grade = grade.where(grade.isin(GRADE_ORDER), "")
    grade_keys = [*GRADE_ORDER, ""]
    grade_idx = pd.Categorical(grade, categories=grade_keys).codes
    subsets = {}
    for key, (col, _) in LIST_LAYERS.items():
        if col not in parcels:
            continue
        on = (
            pd.to_numeric(parcels[col], errors="coerce").fillna(0).to_numpy() >= 2
            if key == "cross"
            else flag(parcels, col)
        )
        subsets[key] = np.flatnonzero(on).tolist()
    data = FeatureData(
        np.asarray(parcels.geometry.array),
        frame,
        labels=labels,
        precision=precision,
        classes={"state": state_idx.tolist(), "grade": grade_idx.tolist()},
        subsets=subsets,
    )
    return data, state


def _legend_entries(
    parcels: pd.DataFrame, state: pd.Series, language: str
) -> list[tuple[str, str, str, str]]:
    area = pd.to_numeric(
        parcels.get("area_mu", pd.Series(np.nan, index=parcels.index)), errors="coerce"
    ).fillna(0.0)
    stats = (
        pd.DataFrame({"state": state, "area": area})
        .groupby("state")
        .agg(n=("area", "size"), mu=("area", "sum"))
    )
    entries = []
    for s in STATE_ORDER:
        if s not in stats.index:
            continue
        n, mu = int(stats.at[s, "n"]), float(stats.at[s, "mu"])
        count = _t(f"{n} 宗 · {mu:,.1f} 亩", f"{n} · {mu:,.1f} mu", language)
        st = STATE_STYLES[s]
        entries.append((state_label(s, language), str(st["fillColor"]), str(st["color"]), count))
    return entries


def _list_style(state: str) -> dict[str, Any]:
    st = dict(STATE_STYLES[state])
    st.update({"weight": 3, "fillOpacity": 0.45})
    return st


def _list_layer_name(key: str, language: str) -> str:
    names = _EXTRA_NAMES.get(key) or LIST_NAMES[key]
    return names[0 if language == "zh" else 1]


def add_parcel_layers(
    m: folium.Map, parcels: gpd.GeoDataFrame, opts: MapOptions, language: str
) -> tuple[FeatureData, dict[str, Any], pd.Series]:
    """Parcels by state, by grade, one layer per list, and the search box."""
    data, state = parcel_data(parcels, language, opts.precision)
    data.add_to(m)
    tip = [c for c in PARCEL_TOOLTIP if c in data.data["cols"]]
    pop = [c for c in PARCEL_POPUP if c in data.data["cols"]]
    layers: dict[str, Any] = {}
    layers["parcels"] = CompactLayer(
        data,
        _t("宗地（按状态着色）", "Parcels by state", language),
        [STATE_STYLES[s] for s in STATE_ORDER],
        cls="state",
        tooltip=tip,
        popup=pop,
    ).add_to(m)
    if "grade" in parcels:
        layers["grade"] = CompactLayer(
            data,
            _t("亩均效益等级", "Per-mu grade", language),
            [GRADE_STYLES[g] for g in (*GRADE_ORDER, "")],
            cls="grade",
            tooltip=tip,
            popup=pop,
            show=False,
        ).add_to(m)
    for key, (_, st) in LIST_LAYERS.items():
        if key not in data.data["idx"]:
            continue
        n = len(data.data["idx"][key])
        name = (
            f"{_list_layer_name(key, language)}（{n}）"
            if language == "zh"
            else (f"{_list_layer_name(key, language)} ({n})")
        )
        layers[f"list_{key}"] = CompactLayer(
            data,
            name,
            [_list_style(st)],
            cls=0,
            subset=key,
            tooltip=tip,
            popup=pop,
            show=False,
        ).add_to(m)
    SearchControl(
        data,
        [c for c in ("parcel_id", "owner_name") if c in data.data["cols"]],
        pop,
        placeholder=_t("搜索宗地代码或企业名称", "Search parcel ID or enterprise", language),
        none_text=_t("无匹配结果", "No match", language),
    ).add_to(m)
    return data, layers, state


def add_boundary(
    m: folium.Map, shapes: gpd.GeoDataFrame, name: str, opts: MapOptions, *, show: bool = True
) -> CompactLayer | None:
    """Park outline(s): dashed, not clickable (clicks reach the parcels below)."""
    if shapes is None or not len(shapes):
        return None
    frame = pd.DataFrame({"park": shapes["park"].astype("string").fillna("")}, index=shapes.index)
    data = FeatureData(np.asarray(shapes.geometry.array), frame, precision=opts.precision)
    data.add_to(m)
    style = {"color": "#1f4e9c", "weight": 3, "dashArray": "8 6", "fill": False, "opacity": 0.9}
    return CompactLayer(data, name, [style], interactive=False, show=show).add_to(m)


def scenario_title(result: Any, name: Any) -> str:
    """The display name of an extra layer: its scenario's ``title`` when the project has one.

    Scenario layers arrive keyed by the ``[scenarios.<key>]`` table name
    (``recommended_2024``); the user reads the table's ``title``.

    Examples
    --------
    >>> class P: scenarios = {"s1": {"title": "推荐处置"}}
    >>> class R: project = P()
    >>> scenario_title(R(), "s1"), scenario_title(R(), "其他")
    ('推荐处置', '其他')
    """
    scenarios = getattr(getattr(result, "project", None), "scenarios", None) or {}
    spec = scenarios.get(str(name)) if isinstance(scenarios, dict) else None
    title = spec.get("title") if isinstance(spec, dict) else None
    return str(title) if title else str(name)


def add_extras(
    m: folium.Map,
    result: Any,
    opts: MapOptions,
    language: str,
    parcel_ids: set[str] | None = None,
    bbox: Any = None,
) -> dict[str, Any]:
    """Scenario layers (``extras["map_layers"]``) and raster overlays (``extras["raster_overlays"]``)."""
    extras = getattr(result, "extras", None) or {}
    layers: dict[str, Any] = {}
    palette = ["#00838f", "#6a1b9a", "#ef6c00", "#2e7d32", "#ad1457"]
    for k, item in enumerate(extras.get("map_layers", []) or []):
        name, gdf = scenario_title(result, item[0]), item[1]
        if gdf is None or not len(gdf) or gdf.crs is None:
            continue
        gdf = gdf[gdf.geometry.notna()]
        if parcel_ids is not None and "parcel_id" in gdf:
            gdf = gdf[gdf["parcel_id"].astype("string").isin(parcel_ids).fillna(False)]
        elif bbox is not None:
            gdf = gdf[gdf.to_crs(4490).intersects(shapely.box(*bbox))]
        if not len(gdf):
            continue
        web = to_web(gdf, opts.basemap)
        cols = [c for c in web.columns if c != web.geometry.name][:14]
        frame = display_frame(pd.DataFrame(web[cols]), cols, language)
        data = FeatureData(
            np.asarray(web.geometry.array),
            frame,
            labels={c: label(c, language) for c in cols},
            precision=opts.precision,
        )
        data.add_to(m)
        colour = palette[k % len(palette)]
        style = {"color": colour, "fillColor": colour, "weight": 2, "fillOpacity": 0.35}
        layers[f"extra_{k}"] = CompactLayer(
            data, str(name), [style], tooltip=cols[:3], popup=cols, show=False
        ).add_to(m)
    for k, item in enumerate(extras.get("raster_overlays", []) or []):
        name, png, bounds = item[0], item[1], item[2]
        layers[f"raster_{k}"] = ImageLayer(
            str(name), png, _shift_bounds(bounds, opts.basemap), show=False
        ).add_to(m)
    return layers


def park_names(result: Any) -> list[str]:
    """Every park with parcels or a boundary, in first-seen order."""
    names: list[str] = []
    if "park" in result.parcels:
        names += result.parcels["park"].dropna().astype(str).unique().tolist()
    shapes = getattr(result, "park_shapes", None)
    if shapes is not None and "park" in shapes:
        names += shapes["park"].dropna().astype(str).unique().tolist()
    return list(dict.fromkeys(n for n in names if n.strip()))


def park_map(
    result: Any,
    park: str,
    *,
    basemap: str | None = None,
    offline: bool | None = None,
    tianditu_key: str | None = None,
    simplify_m: float | None = None,
    precision: int | None = None,
) -> folium.Map:
    """A folium map of one park's parcels, coloured by state, with lists, search and legend.

    Parameters
    ----------
    result : landclear.result.Result
        A run's result (uses ``parcels``, ``park_shapes``, ``project``, ``extras``).
    park : str
        Park name as in ``result.parcels["park"]``.
    basemap : {"osm", "gaode", "gaode_satellite", "tianditu_vec", "tianditu_img", "none"}, optional
        Default: project ``[maps] basemap``, else ``"none"`` offline and ``"osm"`` online.
        Gaode basemaps shift every overlay to GCJ-02.
    offline : bool, optional
        Inline Leaflet and plugins (no CDN); default project ``[maps] offline``.
    tianditu_key : str, optional
        Tianditu ``tk``; default project ``[maps] tianditu_key``, else ``TIANDITU_KEY``.
    simplify_m : float, optional
        Coverage-preserving simplification tolerance in metres.
    precision : int, optional
        Decimal places of coordinates (default 6 ≈ 0.1 m).

    Returns
    -------
    folium.Map

    Raises
    ------
    LandclearError
        Unknown park or basemap, or Tianditu without a key.

    Examples
    --------
    >>> m = park_map(result, "石嘴山经济技术开发区", offline=True)  # doctest: +SKIP
    >>> m.save("maps/park.html")  # doctest: +SKIP
    """
    language = _language(result)
    opts = map_options(
        result.project,
        basemap=basemap,
        offline=offline,
        tianditu_key=tianditu_key,
        simplify_m=simplify_m,
        precision=precision,
    )
    names = park_names(result)
    if str(park) not in names:
        raise LandclearError(
            f"未找到园区 unknown park {park!r}; 可选 valid: {'、'.join(names) or '（无）'}"
        )
    all_parcels = result.parcels
    sel = all_parcels["park"].astype("string").eq(str(park)).fillna(False).to_numpy(bool)
    parcels = all_parcels[sel]
    parcels = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    shapes = getattr(result, "park_shapes", None)
    shape = None
    if shapes is not None and len(shapes):
        shape = shapes[shapes["park"].astype("string").eq(str(park)).fillna(False).to_numpy(bool)]

    m = new_map(opts, language)
    web = to_web(parcels, opts.basemap, opts.simplify_m)
    web_shape = to_web(shape, opts.basemap) if shape is not None and len(shape) else None
    boundary = add_boundary(m, web_shape, _t("园区边界", "Park boundary", language), opts)
    data, layers, state = add_parcel_layers(m, web, opts, language)
    if boundary is not None:
        layers["boundary"] = boundary
    bbox = parcels.to_crs(4490).total_bounds if len(parcels) else None
    ids = set(parcels["parcel_id"].dropna().astype(str)) if "parcel_id" in parcels else None
    layers.update(add_extras(m, result, opts, language, parcel_ids=ids, bbox=bbox))

    project = result.project
    as_of = getattr(project, "as_of", None)
    TitleBox(
        [
            str(park),
            _t(
                f"{getattr(project, 'city', '')} · 基准日 {as_of}",
                f"{getattr(project, 'city', '')} · as of {as_of}",
                language,
            ),
        ]
    ).add_to(m)
    notes = map_notes(opts, language)
    dropped = int(sel.sum()) - len(parcels)
    if dropped:
        notes.append(
            _t(f"{dropped} 宗无图形，未绘制", f"{dropped} parcels without shape", language)
        )
    Legend(
        _t("宗地状态", "Parcel state", language),
        _legend_entries(parcels, state, language),
        note="；".join(notes) if language == "zh" else "; ".join(notes),
    ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Register(str(park), data, layers).add_to(m)
    fit_view(m, web_bounds(web, web_shape))
    return m


__all__ += [
    "add_boundary",
    "fit_view",
    "add_extras",
    "add_parcel_layers",
    "format_series",
    "park_names",
    "scenario_title",
]
