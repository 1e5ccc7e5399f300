"""The city overview: every park coloured by how many of its per-mu targets it meets.

Each park's popup lists its indicators (investment, output, tax per mu)
against the ``as_of`` year's targets with the gap, plus its idle and listed
land, and links to the park's own map when :func:`landclear.maps.write_maps`
wrote one.

Examples
--------
>>> m = overview_map(result, basemap="tianditu_vec", tianditu_key="…")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from landclear.labels import label
from landclear.maps.basemaps import map_options
from landclear.maps.layers import CompactLayer, FeatureData, Register, SearchControl, format_series
from landclear.maps.legend import Legend, TitleBox, flag
from landclear.maps.park import (
    _language,
    _t,
    add_extras,
    fit_view,
    map_notes,
    new_map,
    to_web,
    web_bounds,
)

__all__ = ["PASS_STYLES", "overview_map", "park_summary"]

#: Style per number of targets met (0–3) and for "no indicators".
PASS_STYLES: list[dict[str, Any]] = [
    {"fillColor": "#d7191c", "color": "#7f0000"},
    {"fillColor": "#fdae61", "color": "#a65e00"},
    {"fillColor": "#a6d96a", "color": "#4d7a1c"},
    {"fillColor": "#1a9641", "color": "#0b5e2c"},
    {"fillColor": "#b8b8b8", "color": "#6e6e6e"},
]
for _s in PASS_STYLES:
    _s.update({"weight": 2, "opacity": 1.0, "fillOpacity": 0.55})

_INDICATORS = ("investment", "output", "tax")
#: Rows of ``result.parks`` that are totals, not parks.
_TOTAL_ROWS = ("全市", "合计", "总计", "city", "total")


def _col(df: pd.DataFrame, key: str, kind: str) -> str | None:
    """``{key}_{kind}`` or ``{kind}_{key}`` (both spellings occur), whichever exists."""
    for name in (f"{key}_{kind}", f"{kind}_{key}"):
        if name in df:
            return name
    return None


def park_summary(result: Any) -> pd.DataFrame:
    """One row per park: ``result.parks`` indicators plus parcel counts and areas (vectorised)."""
    p = result.parcels
    area = pd.to_numeric(p["area_mu"], errors="coerce").fillna(0.0) if "area_mu" in p else 0.0
    frame = pd.DataFrame(
        {
            "park": p["park"].astype("string"),
            "parcel_count": 1,
            "area_all": area,
            "idle_mu": np.where(flag(p, "idle"), area, 0.0),
            "recoverable_mu": np.where(flag(p, "recoverable"), area, 0.0),
            "listed": (pd.to_numeric(p["lists"], errors="coerce").fillna(0).to_numpy() > 0)
            if "lists" in p
            else False,
            "low_mu": np.where(flag(p, "low_efficiency"), area, 0.0),
        }
    )
    counts = frame.groupby("park", dropna=True).sum(numeric_only=True).reset_index()
    parks = getattr(result, "parks", None)
    if parks is not None and len(parks) and "park" in parks:
        parks = parks.assign(park=parks["park"].astype("string"))
        return parks.merge(counts, on="park", how="outer")
    return counts


def _park_shapes(result: Any) -> tuple[gpd.GeoDataFrame, bool]:
    """Park polygons; without any, each park's parcels' convex hull (flagged as estimated)."""
    shapes = getattr(result, "park_shapes", None)
    if shapes is not None and len(shapes):
        return shapes[["park", "geometry"]].dissolve("park").reset_index(), False
    p = result.parcels[result.parcels["park"].notna()]
    hulls = p[["park", "geometry"]].dissolve("park").convex_hull
    return gpd.GeoDataFrame({"park": hulls.index}, geometry=hulls.values, crs=p.crs), True


def overview_map(
    result: Any,
    *,
    basemap: str | None = None,
    offline: bool | None = None,
    tianditu_key: str | None = None,
    precision: int | None = None,
    links: dict[str, str] | None = None,
) -> folium.Map:
    """A folium map of all parks with their indicators against the targets.

    Parameters
    ----------
    result : landclear.result.Result
    basemap, offline, tianditu_key, precision
        As :func:`landclear.maps.park_map`.
    links : dict, optional
        ``{park: relative file name}`` of the park maps, linked from the popups.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> overview_map(result, offline=True).save("maps/overview.html")  # doctest: +SKIP
    """
    language = _language(result)
    opts = map_options(
        result.project,
        basemap=basemap,
        offline=offline,
        tianditu_key=tianditu_key,
        precision=precision,
    )
    shapes, estimated = _park_shapes(result)
    shapes = shapes.assign(park=shapes["park"].astype("string"))
    summary = park_summary(result)
    merged = shapes.merge(summary, on="park", how="left")
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=shapes.crs)
    merged = merged[merged.geometry.notna() & ~merged.geometry.is_empty].reset_index(drop=True)

    pass_cols = [c for k in _INDICATORS if (c := _col(merged, k, "pass"))]
    if pass_cols:
        passes = merged[pass_cols].astype("boolean")
        met = passes.fillna(False).sum(axis=1).to_numpy(dtype=int)
        met = np.where(passes.isna().all(axis=1).to_numpy(), 4, met)
    else:
        met = np.full(len(merged), 4)

    show = pd.DataFrame({"park": merged["park"].fillna("")}, index=merged.index)
    labels = {"park": label("park", language)}
    for k in _INDICATORS:
        val, tgt, gap, ok_col = (
            f"{k}_per_mu",
            _col(merged, k, "target"),
            _col(merged, k, "gap"),
            _col(merged, k, "pass"),
        )
        if val not in merged:
            continue
        dec = 2 if k == "tax" else 1
        empty = pd.Series("", index=merged.index, dtype=object)
        v = format_series(merged[val], "num", dec)
        t = format_series(merged[tgt], "num", dec) if tgt else empty
        g = format_series(merged[gap], "num", dec) if gap else empty
        ok = format_series(merged[ok_col].astype("boolean"), language=language) if ok_col else empty
        word = _t(" / 目标 ", " / target ", language)
        gap_word = _t("，差距 ", ", gap ", language)
        done = _t("，达标：", ", met: ", language)
        show[val] = (v + word + t + gap_word + g + done + ok).where(v.ne(""), "")
        labels[val] = label(val, language)
    for col, (zh, en), dec in (
        ("industrial_mu", ("工业用地(亩)", "Industrial land (mu)"), 1),
        ("parcel_count", ("宗地数", "Parcels"), 0),
        ("idle_mu", ("闲置面积(亩)", "Idle (mu)"), 1),
        ("recoverable_mu", ("可收回面积(亩)", "Recoverable (mu)"), 1),
        ("listed", ("在清单宗地数", "Parcels on lists"), 0),
        ("low_mu", ("低效用地(亩)", "Low-efficiency (mu)"), 1),
    ):
        if col in merged:
            show[col] = format_series(merged[col], "int" if dec == 0 else "num", dec)
            labels[col] = _t(zh, en, language)
    met_text = [
        _t(f"{m} / {len(pass_cols)} 项达标", f"{m} of {len(pass_cols)} met", language)
        if m < 4
        else _t("无指标", "no indicators", language)
        for m in met
    ]
    show.insert(1, "met", met_text)
    labels["met"] = _t("达标情况", "Targets met", language)

    link_list = [(links or {}).get(str(p), "") for p in merged["park"].fillna("")]
    m = new_map(opts, language)
    web = to_web(merged, opts.basemap)
    data = FeatureData(
        np.asarray(web.geometry.array),
        show,
        labels=labels,
        precision=opts.precision,
        classes={"met": met.tolist()},
        links=link_list if links else None,
        link_text=_t("打开园区地图 →", "Open park map →", language),
    )
    data.add_to(m)
    cols = list(show.columns)
    layer = CompactLayer(
        data,
        _t("园区（按达标项数着色）", "Parks by targets met", language),
        PASS_STYLES,
        cls="met",
        tooltip=["park", "met"],
        popup=cols,
    ).add_to(m)
    layers: dict[str, Any] = {"parks": layer}
    layers.update(add_extras(m, result, opts, language))
    SearchControl(
        data,
        ["park"],
        cols,
        placeholder=_t("搜索园区", "Search park", language),
        none_text=_t("无匹配结果", "No match", language),
    ).add_to(m)
    project = result.project
    year = getattr(getattr(project, "as_of", None), "year", "")
    TitleBox(
        [
            _t(
                f"{getattr(project, 'city', '')} 工业园区亩均效益总览",
                f"{getattr(project, 'city', '')} industrial parks overview",
                language,
            ),
            _t(
                f"基准日 {project.as_of} · {year} 年度目标",
                f"as of {project.as_of} · {year} targets",
                language,
            ),
        ]
    ).add_to(m)
    n = len(pass_cols)
    entries = []
    for k in range(n, -1, -1):
        st = PASS_STYLES[k]
        cnt = int((met == k).sum())
        entries.append(
            (
                _t(f"{k}/{n} 项达标", f"{k} of {n} met", language),
                str(st["fillColor"]),
                str(st["color"]),
                _t(f"{cnt} 个园区", f"{cnt} parks", language),
            )
        )
    if (met == 4).any():
        st = PASS_STYLES[4]
        entries.append(
            (
                _t("无指标", "No indicators", language),
                str(st["fillColor"]),
                str(st["color"]),
                str(int((met == 4).sum())),
            )
        )
    notes = map_notes(opts, language)
    parks = getattr(result, "parks", None)
    if parks is not None and "park" in parks and "investment_per_mu" in parks:
        total = parks[parks["park"].astype("string").isin(_TOTAL_ROWS).fillna(False)]
        if len(total):
            row = total.iloc[0]
            notes.insert(
                0,
                _t(
                    f"全市：亩均投资 {row['investment_per_mu']:.1f}、亩均产值 {row.get('output_per_mu', float('nan')):.1f}、"
                    f"亩均税收 {row.get('tax_per_mu', float('nan')):.2f} 万元/亩",
                    f"City: investment {row['investment_per_mu']:.1f}, output "
                    f"{row.get('output_per_mu', float('nan')):.1f}, tax {row.get('tax_per_mu', float('nan')):.2f} per mu",
                    language,
                ),
            )
    if estimated:
        notes.append(
            _t("园区范围按宗地外包多边形估计", "Park outlines estimated from parcels", language)
        )
    sep = "；" if language == "zh" else "; "
    Legend(
        _t("园区投资/产出/税收强度达标", "Per-mu targets met", language),
        entries,
        note=sep.join(notes),
    ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Register("overview", data, layers).add_to(m)
    fit_view(m, web_bounds(web))
    return m
