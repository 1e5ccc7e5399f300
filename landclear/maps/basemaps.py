"""Basemaps: OSM, Tianditu (vector/imagery + labels), Gaode (GCJ-02), none.

Gaode/AMap tiles are drawn in GCJ-02 (DOMAIN §3): overlays on them must be
converted with :func:`landclear.geo.to_gcj02`, which :func:`needs_gcj02`
tells the map builders to do. Tianditu and OSM are CGCS2000/WGS84-compatible.
Tianditu serves tiles only with a ``tk`` key, taken from the argument, the
project file (``[maps] tianditu_key``) or the ``TIANDITU_KEY`` environment
variable, in that order.

Examples
--------
>>> needs_gcj02("gaode"), needs_gcj02("tianditu_vec")
(True, False)
>>> [t.name for t in basemap_tiles("tianditu_img", tianditu_key="0123abcd")]
['天地图影像', '天地图影像注记']
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import folium

from landclear.errors import LandclearError

__all__ = [
    "BASEMAPS",
    "MapOptions",
    "add_basemap",
    "basemap_tiles",
    "map_options",
    "needs_gcj02",
]

BASEMAPS = ("osm", "gaode", "gaode_satellite", "tianditu_vec", "tianditu_img", "none")

_OSM_ATTR = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_GAODE_ATTR = "&copy; 高德地图 AutoNavi"
_TDT_ATTR = "&copy; 天地图 Tianditu"
_TDT_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_TDT_SUBDOMAINS = "01234567"


@dataclass(frozen=True)
class Tile:
    """One tile layer of a basemap."""

    name: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    overlay: bool = False


def needs_gcj02(basemap: str) -> bool:
    """True when overlays must be converted to GCJ-02 for this basemap."""
    return basemap.startswith("gaode")


def _check_key(key: str | None) -> str:
    if not key:
        raise LandclearError(
            "天地图底图需要密钥 tk：请在项目文件 [maps] 中设置 tianditu_key，或设置环境变量 "
            'TIANDITU_KEY，或改用 basemap = "osm" / "gaode" / "none" / '
            "the Tianditu basemap needs a key: set [maps] tianditu_key or TIANDITU_KEY"
        )
    key = key.strip()
    # Keys are hex tokens; anything else would end up inside a tile URL.
    if not re.fullmatch(r"[A-Za-z0-9]{6,64}", key):
        raise LandclearError("天地图密钥格式不正确（应为字母和数字）/ malformed Tianditu key")
    return key


def basemap_tiles(basemap: str, *, tianditu_key: str | None = None) -> list[Tile]:
    """The tile layers of ``basemap`` (empty for ``"none"``).

    Raises
    ------
    LandclearError
        Unknown basemap, or a Tianditu basemap without a usable key.
    """
    if basemap == "none":
        return []
    if basemap == "osm":
        return [
            Tile(
                "OpenStreetMap",
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                _OSM_ATTR,
                subdomains="abc",
                max_zoom=19,
            )
        ]
    if basemap == "gaode":
        return [
            Tile(
                "高德地图",
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                "&scale=1&style=8&x={x}&y={y}&z={z}",
                _GAODE_ATTR,
                subdomains="1234",
            )
        ]
    if basemap == "gaode_satellite":
        return [
            Tile(
                "高德影像",
                "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
                _GAODE_ATTR,
                subdomains="1234",
            ),
            Tile(
                "高德影像注记",
                "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}",
                _GAODE_ATTR,
                subdomains="1234",
                overlay=True,
            ),
        ]
    if basemap in ("tianditu_vec", "tianditu_img"):
        key = _check_key(tianditu_key)
        base, labels = ("vec", "cva") if basemap == "tianditu_vec" else ("img", "cia")
        names = (
            ("天地图矢量", "天地图矢量注记") if base == "vec" else ("天地图影像", "天地图影像注记")
        )
        return [
            Tile(names[0], _TDT_URL.format(layer=base, key=key), _TDT_ATTR, _TDT_SUBDOMAINS),
            Tile(
                names[1],
                _TDT_URL.format(layer=labels, key=key),
                _TDT_ATTR,
                _TDT_SUBDOMAINS,
                overlay=True,
            ),
        ]
    raise LandclearError(f"未知底图 unknown basemap {basemap!r}; 可选 valid: {', '.join(BASEMAPS)}")


def add_basemap(m: folium.Map, basemap: str, *, tianditu_key: str | None = None) -> list[Tile]:
    """Add the tile layers of ``basemap`` to ``m``; label layers stay on top, out of the control."""
    tiles = basemap_tiles(basemap, tianditu_key=tianditu_key)
    for t in tiles:
        folium.TileLayer(
            tiles=t.url,
            attr=t.attribution,
            name=t.name,
            subdomains=t.subdomains,
            max_zoom=t.max_zoom,
            max_native_zoom=t.max_zoom,
            overlay=t.overlay,
            control=not t.overlay,
            show=True,
        ).add_to(m)
    return tiles


@dataclass(frozen=True)
class MapOptions:
    """Resolved map options (argument > project ``[maps]`` > environment > default)."""

    basemap: str
    tianditu_key: str | None
    offline: bool
    simplify_m: float | None
    precision: int


def map_options(
    project: Any = None,
    *,
    basemap: str | None = None,
    offline: bool | None = None,
    tianditu_key: str | None = None,
    simplify_m: float | None = None,
    precision: int | None = None,
) -> MapOptions:
    """Resolve map options against the project's ``[maps]`` table and ``TIANDITU_KEY``.

    Offline maps default to ``basemap="none"`` (tiles need the internet).

    Examples
    --------
    >>> map_options(None, offline=True)
    MapOptions(basemap='none', tianditu_key=None, offline=True, simplify_m=None, precision=6)
    """
    cfg: dict[str, Any] = dict(getattr(project, "maps", None) or {})
    off = bool(cfg.get("offline", False)) if offline is None else bool(offline)
    bm = basemap or cfg.get("basemap") or ("none" if off else "osm")
    bm = str(bm).strip().lower()
    if bm not in BASEMAPS:
        raise LandclearError(f"未知底图 unknown basemap {bm!r}; 可选 valid: {', '.join(BASEMAPS)}")
    key = tianditu_key or cfg.get("tianditu_key") or os.environ.get("TIANDITU_KEY") or None
    simp = simplify_m if simplify_m is not None else cfg.get("simplify_m")
    prec = int(precision if precision is not None else cfg.get("precision", 6))
    if not 3 <= prec <= 8:
        raise LandclearError(f"precision={prec} 应在 3–8 之间 / must be 3–8", column="precision")
    return MapOptions(bm, key, off, float(simp) if simp else None, prec)
