"""Geodesy for Chinese parcel data: ellipsoidal area, GK zones, GCJ-02 / BD-09.

Everything here works on whole coordinate arrays (numpy, shapely 2); nothing
loops over features.

* Area (DOMAIN §3): :func:`area_mu` projects to a Lambert azimuthal equal-area
  projection on the CGCS2000 (GRS80) ellipsoid centred on the data. LAEA is
  equal-area on the ellipsoid, so the planar area there is the ellipsoidal
  area that 三调 TBMJ uses, to well under 0.01 % for parcels anywhere in China.
* Zones: :func:`gk_zone_epsg` gives the CGCS2000 3° Gauss–Krüger EPSG code.
* Web-map datums: GCJ-02 (Gaode/AMap, Tencent) and BD-09 (Baidu) with the
  published constants; CGCS2000 is treated as WGS84 (they differ by < 1 m at
  parcel scale, far below the 300–700 m GCJ/BD offsets).

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(lon, 8), round(lat, 8)
(116.4102445, 39.91640428)
>>> gk_zone_epsg(106.0), gk_zone_epsg(107.0, with_zone_prefix=True)
(4544, 4524)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj.crs.coordinate_operation import LambertAzimuthalEqualAreaConversion
from pyproj.exceptions import CRSError as _PyprojCRSError

from landclear._memory import gc_paused
from landclear.errors import CRSError

__all__ = [
    "CHINA_BOUNDS",
    "CITY_REGIONS",
    "GK_ZONE_SLACK_DEG",
    "MU_M2",
    "SHIZUISHAN_BOUNDS",
    "area_mu",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_plausible",
    "equal_area_crs",
    "from_declared_crs",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gk_zone_epsg",
    "local_metric_crs",
    "looks_like_lonlat_in_china",
    "project_geometries",
    "study_region",
    "to_gcj02",
    "transform_geoseries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Square metres in one mu (亩), exactly: 1 ha = 15 mu.
MU_M2: float = 10000 / 15

#: (min lon, min lat, max lon, max lat) of the box inside which GCJ-02 shifts.
CHINA_BOUNDS: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

#: Approximate lon/lat box of Shizuishan (640200) with ~2 km margin, from the
#: DataV district outlines; a default study region for :func:`check_plausible`.
SHIZUISHAN_BOUNDS: tuple[float, float, float, float] = (105.94, 38.58, 107.0, 39.41)

#: Study regions by the project's ``city`` (name, short name or 6-digit code).
CITY_REGIONS: dict[str, tuple[float, float, float, float]] = {
    "石嘴山市": SHIZUISHAN_BOUNDS,
    "石嘴山": SHIZUISHAN_BOUNDS,
    "640200": SHIZUISHAN_BOUNDS,
}

#: Longitude (°) past a CGCS2000 GK zone's half-width that data may still lie
#: in and be plausible: cities straddling a zone boundary map into the
#: neighbouring zone (Shizuishan's west edge is 2.06° from 108°E in EPSG:4545).
GK_ZONE_SLACK_DEG = 1.0

CGCS2000 = pyproj.CRS.from_epsg(4490)

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_INVERSE_TOL_DEG = 1e-12
_INVERSE_MAX_ITER = 30

_Pair = tuple[NDArray[np.float64] | float, NDArray[np.float64] | float]

# --------------------------------------------------------------------------
# GCJ-02 / BD-09 on coordinate arrays


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x.copy(), y.copy()


def _result(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    if x.ndim == 0:
        return float(x), float(y)
    return x, y


def _out_of_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    # Written as the published bbox test so that NaN counts as "inside" and
    # propagates through the formula instead of silently passing unchanged.
    x0, y0, x1, y1 = CHINA_BOUNDS
    return (lon < x0) | (lon > x1) | (lat < y0) | (lat > y1)


def _gcj_delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 offset (degrees) at WGS84 ``lon, lat``; operation order as in the
    published implementations so results match them to the last bit."""
    pi = math.pi
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlng = dlng + common
    dlng = dlng + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlng = dlng + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = np.sin(radlat)
    magic = 1 - _GCJ_EE * magic * magic
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * pi)
    dlng = (dlng * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * pi)
    return dlng, dlat


def _wgs_to_gcj(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlng, dlat = _gcj_delta(lon, lat)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlng), np.where(outside, lat, lat + dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """WGS84 (or CGCS2000) lon/lat → GCJ-02 (Gaode/AMap, Tencent).

    Parameters
    ----------
    lon, lat : float or array_like
        Degrees; broadcast against each other. Points outside
        :data:`CHINA_BOUNDS` are returned unchanged; NaN stays NaN.

    Returns
    -------
    (lon, lat)
        Floats for scalar input, else float64 arrays.

    Examples
    --------
    >>> wgs84_to_gcj02(121.5272106, 31.1774276)
    (121.531541859215, 31.17530398364597)
    """
    return _result(*_wgs_to_gcj(*_arrays(lon, lat)))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """GCJ-02 lon/lat → WGS84, the exact inverse of :func:`wgs84_to_gcj02`.

    Solves ``wgs84_to_gcj02(w) = g`` by fixed-point iteration
    ``w ← w − (wgs84_to_gcj02(w) − g)``, all points at once, until every point
    is within 1e-12° (the map contracts by ~1e-2 per step: 5–7 steps). The
    one-step ``2g − f(g)`` formula many libraries use is off by up to ~1 m.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(121.531541859215, 31.17530398364597)
    >>> round(lon, 7), round(lat, 7)
    (121.5272106, 31.1774276)
    """
    g_lon, g_lat = _arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = _wgs_to_gcj(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= e_lon
        w_lat -= e_lat
        err = np.maximum(np.abs(e_lon), np.abs(e_lat))
        if not np.any(err > _INVERSE_TOL_DEG):  # NaN compares False: it cannot stall the loop
            break
    return _result(w_lon, w_lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """GCJ-02 → BD-09 (Baidu), the common formula with x_pi = π·3000/180.

    Like GCJ-02, points outside :data:`CHINA_BOUNDS` are returned unchanged.

    Examples
    --------
    >>> gcj02_to_bd09(116.404, 39.915)
    (116.41036949371029, 39.92133699351021)
    """
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    outside = _out_of_china(x, y)
    bx = np.where(outside, x, z * np.cos(theta) + 0.0065)
    by = np.where(outside, y, z * np.sin(theta) + 0.006)
    return _result(bx, by)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """BD-09 → GCJ-02, the common (approximate, ~1e-6° ≈ 0.1 m) inverse formula.

    Examples
    --------
    >>> bd09_to_gcj02(116.404, 39.915)
    (116.39762729119315, 39.90865673957631)
    """
    bx, by = _arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    outside = _out_of_china(bx, by)
    return _result(
        np.where(outside, bx, z * np.cos(theta)), np.where(outside, by, z * np.sin(theta))
    )


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """WGS84 → BD-09 (via GCJ-02).

    Examples
    --------
    >>> wgs84_to_bd09(116.404, 39.915)
    (116.41662724378733, 39.922699552216216)
    """
    return gcj02_to_bd09(*_wgs_to_gcj(*_arrays(lon, lat)))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """BD-09 → WGS84 (common BD→GCJ formula, then the exact GCJ inverse).

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(106.3899075, 38.9889187)
    >>> round(lon, 4), round(lat, 4)
    (106.3786, 38.9824)
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --------------------------------------------------------------------------
# Geometries


def transform_geoseries(
    geoms: gpd.GeoSeries,
    func: Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair],
) -> gpd.GeoSeries:
    """Apply a lon/lat array function to every vertex of every geometry.

    One call of ``func`` on all vertices (shapely.transform); Z values, index,
    name and CRS label are kept; null geometries stay null.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (116.404 39.915)"], crs=4326)
    >>> transform_geoseries(s, wgs84_to_gcj02).x.round(6).tolist()
    [116.410244]
    """

    def _xy(
        x: NDArray[np.float64], y: NDArray[np.float64], z: NDArray[np.float64] | None = None
    ) -> tuple[NDArray[np.float64], ...]:
        nx, ny = func(x, y)
        nx, ny = np.asarray(nx, dtype=np.float64), np.asarray(ny, dtype=np.float64)
        return (nx, ny) if z is None else (nx, ny, z)

    out = shapely.transform(np.asarray(geoms.array), _xy, include_z=None, interleaved=False)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs, name=geoms.name)


def _geoseries(obj: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    return obj.geometry if isinstance(obj, gpd.GeoDataFrame) else obj


def _replace_geometry(
    obj: gpd.GeoDataFrame | gpd.GeoSeries, new: gpd.GeoSeries
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    if isinstance(obj, gpd.GeoSeries):
        return new
    out = obj.copy()
    out[obj.geometry.name] = new.array
    return out


def _require_crs(obj: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> pyproj.CRS:
    if obj.crs is None:
        raise CRSError(
            f'数据没有坐标系（缺少 .prj），无法{what}；请在项目文件中用 crs = "EPSG:…" 指定 / '
            f"the data has no CRS, cannot {what}: name one in the project file"
        )
    return pyproj.CRS.from_user_input(obj.crs)


def to_gcj02(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Coordinates for Gaode/AMap or Tencent tiles: reproject to lon/lat, shift to GCJ-02.

    The CRS stays labelled EPSG:4326 because web maps expect plain lon/lat;
    ``attrs["datum"] = "GCJ-02"`` records what the numbers really are. Never
    compute areas or overlays on the result.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (106.3786 38.9824)"], crs=4490)
    >>> g = to_gcj02(s)
    >>> g.crs.to_epsg(), round(float(g.x[0]), 4)
    (4326, 106.3833)
    """
    _require_crs(gdf, "转换为 GCJ-02 / convert to GCJ-02")
    lonlat = gdf.to_crs(4326)
    out = _replace_geometry(lonlat, transform_geoseries(_geoseries(lonlat), wgs84_to_gcj02))
    out.attrs["datum"] = "GCJ-02"
    return out


_DECLARED_ALIASES = {
    "CGCS2000": "EPSG:4490",
    "WGS84": "EPSG:4326",
    "WGS 84": "EPSG:4326",
}


def from_declared_crs(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, declared: str
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Apply a CRS the user declared for an input (project file ``crs = …``).

    ``"GCJ-02"``/``"GCJ02"`` and ``"BD-09"``/``"BD09"`` (any case) mean the
    coordinates are web-map lon/lat: they are converted to WGS84 (exact
    inverse) and labelled CGCS2000, EPSG:4490. Anything else (``"EPSG:4545"``,
    ``"CGCS2000"``, WKT, …) only labels the data, overriding its .prj.

    Raises
    ------
    landclear.errors.CRSError
        Unknown CRS text, or GCJ-02/BD-09 declared for coordinates that are
        not degrees.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (106.3833067 38.9832384)"])
    >>> w = from_declared_crs(s, "gcj-02")
    >>> w.crs.to_epsg(), round(float(w.x[0]), 4), round(float(w.y[0]), 4)
    (4490, 106.3786, 38.9824)
    """
    key = declared.strip().upper().replace("-", "").replace("_", "")
    if key in ("GCJ02", "BD09"):
        geoms = _geoseries(gdf)
        bounds = geoms.total_bounds
        if np.isfinite(bounds).all() and (
            np.abs(bounds[[0, 2]]).max() > 180 or np.abs(bounds[[1, 3]]).max() > 90
        ):
            raise CRSError(
                f"声明为 {declared} 的数据坐标不是经纬度（范围 {np.round(bounds, 1).tolist()}）/ "
                f"data declared {declared} must hold lon/lat degrees",
                column="crs",
            )
        func = gcj02_to_wgs84 if key == "GCJ02" else bd09_to_wgs84
        out = _replace_geometry(gdf, transform_geoseries(geoms, func))
        return out.set_crs(CGCS2000, allow_override=True)
    text = _DECLARED_ALIASES.get(declared.strip().upper(), declared)
    try:
        crs = pyproj.CRS.from_user_input(text)
    except _PyprojCRSError as exc:
        raise CRSError(
            f'无法识别的坐标系 {declared!r}；可用如 "EPSG:4545"、"CGCS2000"、"GCJ-02" / '
            f"unknown CRS {declared!r}",
            column="crs",
        ) from exc
    return gdf.set_crs(crs, allow_override=True)


# --------------------------------------------------------------------------
# Area and projections


def _lonlat_bounds(obj: gpd.GeoDataFrame | gpd.GeoSeries) -> NDArray[np.float64]:
    crs = pyproj.CRS.from_user_input(obj.crs)
    bounds = np.asarray(_geoseries(obj).total_bounds, dtype=np.float64)
    if not np.isfinite(bounds).all() or crs.is_geographic:
        return bounds
    to_geog = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    return np.asarray(to_geog.transform_bounds(*bounds, densify_pts=21), dtype=np.float64)


def _centre(obj: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[float, float]:
    b = _lonlat_bounds(obj)
    if not np.isfinite(b).all():
        return 105.0, 35.0  # nothing to measure; any centre gives NaN areas
    # Rounded so that the same data always gives the same, readable CRS.
    return round((b[0] + b[2]) / 2, 4), round((b[1] + b[3]) / 2, 4)


def equal_area_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """Lambert azimuthal equal-area on CGCS2000 centred on the data's bounds.

    Raises
    ------
    landclear.errors.CRSError
        If ``gdf`` has no CRS.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (106 38)", "POINT (107 39)"], crs=4490)
    >>> crs = equal_area_crs(s)
    >>> crs.coordinate_operation.method_name, crs.coordinate_operation.params[1].value
    ('Lambert Azimuthal Equal Area', 106.5)
    """
    _require_crs(gdf, "计算面积 / compute areas")
    lon0, lat0 = _centre(gdf)
    return pyproj.crs.ProjectedCRS(
        conversion=LambertAzimuthalEqualAreaConversion(lat0, lon0),
        geodetic_crs=CGCS2000,
        name=f"CGCS2000 / LAEA {lat0}N {lon0}E",
    )


def area_mu(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    projected: tuple[np.ndarray, pyproj.CRS] | None = None,
) -> pd.Series:
    """Ellipsoidal area of every geometry in mu (亩), as 三调 TBMJ.

    Reprojects to :func:`equal_area_crs` and takes the planar area there,
    which equals the GRS80 geodesic area (pyproj ``Geod``) to < 0.01 % for
    parcels anywhere in China. Points and lines give 0; null or empty
    geometries give NaN.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        With a CRS.
    projected : (geometries, CRS), optional
        :func:`equal_area_geometries` of ``gdf`` when already computed.

    Returns
    -------
    pandas.Series
        float64, same index as ``gdf``, name ``"area_mu"``.

    Raises
    ------
    landclear.errors.CRSError
        If ``gdf`` has no CRS.

    Examples
    --------
    >>> wkt = "POLYGON ((590000 4318000, 590100 4318000, 590100 4318100, 590000 4318100, 590000 4318000))"
    >>> s = gpd.GeoSeries.from_wkt([wkt], crs=4544)  # 1 ha on the GK grid, 90 km off the CM
    >>> round(float(area_mu(s).iloc[0]), 3)  # 15 mu less the GK scale error (~0.02 %)
    14.997
    """
    geoms, _ = projected if projected is not None else equal_area_geometries(gdf)
    area_m2 = shapely.area(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    area_m2 = np.where(missing, np.nan, area_m2)
    index = _geoseries(gdf).index
    return pd.Series(area_m2 / MU_M2, index=index, name="area_mu", dtype="float64")


def equal_area_geometries(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, pyproj.CRS]:
    """The geometries in :func:`equal_area_crs` (a shapely array) and that CRS.

    Computed once when both the areas and the building overlays need them.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (106 38)"], crs=4490)
    >>> geoms, crs = equal_area_geometries(s)
    >>> shapely.get_coordinates(geoms)[0].round(3).tolist(), crs.is_projected
    ([0.0, 0.0], True)
    """
    crs = equal_area_crs(gdf)
    series = _geoseries(gdf)
    return project_geometries(np.asarray(series.array), series.crs, crs), crs


def project_geometries(geoms: np.ndarray, src: object, dst: object) -> np.ndarray:
    """A shapely array from CRS ``src`` to ``dst``, as ``GeoSeries.to_crs`` does.

    The same transformation (``always_xy``) on all coordinates at once:
    ``to_crs`` passes through a per-geometry callback and is ~1.5× slower
    on a million buildings. 3-D geometries go through ``to_crs``.

    Examples
    --------
    >>> pt = np.array([shapely.Point(106.0, 38.0)])
    >>> round(project_geometries(pt, "EPSG:4490", "EPSG:4544")[0].x, 1)
    587833.6
    """
    src, dst = pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst)
    if src == dst or not len(geoms):
        return geoms
    if shapely.has_z(geoms).any():
        return np.asarray(gpd.GeoSeries(geoms, crs=src).to_crs(dst).array)
    xy = shapely.get_coordinates(geoms)
    x, y = pyproj.Transformer.from_crs(src, dst, always_xy=True).transform(xy[:, 0], xy[:, 1])
    with gc_paused():  # a new geometry object per geometry
        return shapely.set_coordinates(geoms.copy(), np.column_stack([x, y]))


def gk_zone_epsg(lon: float, with_zone_prefix: bool = False) -> int:
    """EPSG code of the CGCS2000 3° Gauss–Krüger zone containing ``lon``.

    Zone ``n`` has central meridian 3n° (75°…135°E); a longitude exactly on a
    zone boundary (e.g. 106.5°E) goes to the eastern zone. Longitudes 72–73.5°E
    and 136.5–138°E (inside China's box) use the edge zones.

    Parameters
    ----------
    lon : float
        Degrees east.
    with_zone_prefix : bool
        ``False``: EPSG:4534–4554 (false easting 500 km, "CM 105E");
        ``True``: EPSG:4513–4533 (zone number prefixed to the easting).

    Raises
    ------
    ValueError
        For longitudes outside 72–138°E or NaN.

    Examples
    --------
    >>> gk_zone_epsg(105.0), gk_zone_epsg(105.0, with_zone_prefix=True)
    (4544, 4523)
    """
    if not (72.0 <= lon <= 138.0):  # also rejects NaN
        raise ValueError(
            f"经度 {lon} 不在 CGCS2000 3° 带范围 72–138°E / longitude outside China's GK zones"
        )
    zone = min(max(math.floor((lon + 1.5) / 3.0), 25), 45)
    return (4513 if with_zone_prefix else 4534) + zone - 25


def local_metric_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """A metric CRS for overlays and buffers: the CGCS2000 3° GK zone
    (no prefix) at the centre of the data. Distances there are within 0.03 %
    for data up to 1.5° from the central meridian; use :func:`area_mu` for area.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (106.6 39.0)"], crs=4490)
    >>> local_metric_crs(s).to_epsg()
    4545
    """
    _require_crs(gdf, "选择投影 / choose a projection")
    lon0, _ = _centre(gdf)
    return pyproj.CRS.from_epsg(gk_zone_epsg(lon0))


# --------------------------------------------------------------------------
# Sanity checks


def looks_like_lonlat_in_china(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> bool:
    """True when the raw coordinates (whatever the CRS label) lie in China's lon/lat box.

    Useful to tell GK metres from degrees, or to sniff a file with no .prj.

    Examples
    --------
    >>> looks_like_lonlat_in_china(gpd.GeoSeries.from_wkt(["POINT (106.4 39.0)"]))
    True
    >>> looks_like_lonlat_in_china(gpd.GeoSeries.from_wkt(["POINT (590000 4318000)"]))
    False
    """
    b = _geoseries(gdf).total_bounds
    if not np.isfinite(b).all():
        return False
    x0, y0, x1, y1 = CHINA_BOUNDS
    return bool(b[0] >= x0 and b[2] <= x1 and b[1] >= y0 and b[3] <= y1)


_GK_CODES = list(range(4513, 4555))


def _gk_params(crs: pyproj.CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) if ``crs`` is a transverse Mercator."""
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in op.method_name:
        return None
    params = {p.name: p.value for p in op.params}
    return params.get("Longitude of natural origin"), params.get("False easting")


def _inside(b: NDArray[np.float64], region: tuple[float, ...], pad: float) -> bool:
    return bool(
        b[0] >= region[0] - pad
        and b[1] >= region[1] - pad
        and b[2] <= region[2] + pad
        and b[3] <= region[3] + pad
    )


def _fmt(b: NDArray[np.float64] | tuple[float, ...], nd: int) -> str:
    return "(" + ", ".join(f"{v:.{nd}f}" for v in b) + ")"


def is_degrees(bounds: NDArray[np.float64]) -> bool:
    """Whether (minx, miny, maxx, maxy) can be longitudes and latitudes."""
    return bool(np.abs(bounds[[0, 2]]).max() <= 180 and np.abs(bounds[[1, 3]]).max() <= 90)


def bounds_text(bounds: NDArray[np.float64]) -> str:
    """Bounds for a message: 3 decimals in degrees, whole metres otherwise."""
    return _fmt(bounds, 3 if is_degrees(bounds) else 0)


def likely_crs(
    bounds: NDArray[np.float64], region: tuple[float, float, float, float] | None = None
) -> str:
    """Chinese hint naming the CRS that projected coordinates most likely are in.

    A GK easting with a zone prefix (36xxxxxx) names its zone; one without
    (100–900 km) names the no-prefix zones that put the data in ``region``
    (the project's study region, :func:`study_region`), else the family
    (EPSG:4534–4554).

    Examples
    --------
    >>> likely_crs(np.array([36_370_000.0, 4_320_000, 36_371_000, 4_321_000]))
    '可能是 EPSG:4524（CGCS2000 3度带，带号 36，中央经线 108°E）'
    >>> likely_crs(np.array([370_000.0, 4_320_000, 371_000, 4_321_000]), SHIZUISHAN_BOUNDS)
    '可能是 EPSG:4545（CGCS2000 3度带，中央经线 108°E）'
    """
    x0, y0, x1, y1 = bounds
    zone = int(x0 // 1_000_000)
    if 25 <= zone <= 45 and int(x1 // 1_000_000) == zone and 0 < y0 <= y1 < 10_000_000:
        epsg = 4513 + zone - 25
        return f"可能是 EPSG:{epsg}（CGCS2000 3度带，带号 {zone}，中央经线 {3 * zone}°E）"
    if 0 < x0 <= x1 < 1_000_000 and 0 < y0 <= y1 < 10_000_000:
        fits = [c for c in range(4534, 4555) if _fits_region(bounds, c, region)] if region else []
        if fits:
            return "可能是 " + "或 ".join(
                f"EPSG:{c}（CGCS2000 3度带，中央经线 {3 * (c - 4534 + 25)}°E）" for c in fits
            )
        return "可能是 CGCS2000 3度带（不带带号）EPSG:4534–4554，如 EPSG:4544（105°E）、EPSG:4545（108°E）"
    return "无法判断应为哪个坐标系"


def check_plausible(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    region_bounds: tuple[float, float, float, float] | None = None,
) -> str | None:
    """Warn when coordinates do not fit their declared CRS.

    Checks: no CRS; degrees that are not degrees, or lon/lat swapped; data
    outside China; a GK easting with a zone prefix (35/36…×10⁶) in a
    no-prefix CRS or the reverse; eastings more than 300 km from the central
    meridian; longitudes, after reprojection, outside the declared CGCS2000
    GK zone (half-width + :data:`GK_ZONE_SLACK_DEG` from its central meridian);
    and, with ``region_bounds`` (lon/lat box, e.g.
    :data:`SHIZUISHAN_BOUNDS`), data outside the region, naming the GK zone
    that would put it inside (e.g. declared EPSG:4544 but really 4545).

    Returns
    -------
    str or None
        Chinese warning text (English after " / "), several joined by "；",
        or None when nothing looks wrong.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_wkt(["POINT (35589000 4318000)"], crs=4544)
    >>> "EPSG:4523" in check_plausible(s)
    True
    """
    if gdf.crs is None:
        return "数据没有坐标系（缺少 .prj）/ the data has no CRS"
    crs = pyproj.CRS.from_user_input(gdf.crs)
    b = np.asarray(_geoseries(gdf).total_bounds, dtype=np.float64)
    if not np.isfinite(b).all():
        return None
    msgs: list[str] = []
    name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    cx0, cy0, cx1, cy1 = CHINA_BOUNDS
    if crs.is_geographic:
        if b[0] >= cy0 and b[2] <= cy1 and b[1] >= cx0 and b[3] <= cx1:
            msgs.append(
                f"经纬度似乎颠倒（x 范围 {b[0]:.3f}–{b[2]:.3f} 像纬度）/ lon and lat look swapped"
            )
        elif np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90:
            msgs.append(
                f"坐标系 {name} 是经纬度，但坐标范围 {_fmt(b, 0)} 像投影坐标（米）；请检查 .prj / "
                "coordinates look projected (metres), not degrees"
            )
        elif not looks_like_lonlat_in_china(gdf):
            msgs.append(f"数据范围 {_fmt(b, 3)} 超出中国范围 / data lies outside China")
    elif crs.is_projected and (gk := _gk_params(crs)) is not None:
        lon0, fe = gk
        prefix = int(b[0] // 1_000_000)
        if fe == 500_000 and b[0] >= 10_000_000:
            msgs.append(
                f"X 坐标带有带号前缀 {prefix}（如 {b[0]:.0f}），但 {name} 不带带号；"
                f"应为 EPSG:{4513 + prefix - 25} / eastings carry zone prefix {prefix}"
            )
        elif fe > 1_000_000 and b[2] < 1_000_000:
            msgs.append(
                f"X 坐标没有带号前缀（如 {b[0]:.0f}），但 {name} 带带号；"
                f"应为 EPSG:{gk_zone_epsg(lon0)} / eastings lack the zone prefix of the CRS"
            )
        elif fe > 1_000_000 and prefix != int(fe // 1_000_000):
            msgs.append(
                f"X 坐标带号 {prefix} 与坐标系 {name} 的带号 {int(fe // 1_000_000)} 不符 / "
                "zone prefix of the eastings does not match the CRS"
            )
        elif max(abs(b[0] - fe), abs(b[2] - fe)) > 300_000:
            msgs.append(
                f"X 坐标 {b[0]:.0f}–{b[2]:.0f} 距中央经线 {lon0:g}°E 超过 300 km，"
                f"不像 {name} 的数据 / eastings far outside the zone"
            )
        elif (band := _zone_outside(gdf, crs, lon0)) is not None:
            msgs.append(band)
    if region_bounds is not None and not msgs:
        ll = _lonlat_bounds(gdf)
        if not _inside(ll, region_bounds, 0.05):
            zh = (
                f"按 {name} 换算的数据范围 {_fmt(ll, 3)} 不在研究区 {_fmt(region_bounds, 3)} 内，"
                "坐标系可能有误"
            )
            en = f"data lies outside the study region in {name}: wrong CRS?"
            if crs.is_projected:
                fits = [c for c in _GK_CODES if _fits_region(b, c, region_bounds)]
                if fits:
                    codes = "、".join(f"EPSG:{c}" for c in fits)
                    zh += f"；坐标看起来像 {codes}（换算后落在研究区内）"
                    en += f" The coordinates look like {', '.join(f'EPSG:{c}' for c in fits)}."
            msgs.append(f"{zh} / {en}")
    return "；".join(msgs) or None


def _zone_outside(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: pyproj.CRS, lon0: float
) -> str | None:
    """Warning when a CGCS2000 GK zone's data lie outside the zone, else None.

    After reprojection the longitudes must lie within the zone's half-width
    (1.5° for 3° zones EPSG:4513–4554, 3° for 6° zones EPSG:4491–4512) plus
    :data:`GK_ZONE_SLACK_DEG` of its central meridian. Other transverse
    Mercator CRSs (local grids) are not checked.
    """
    epsg = crs.to_epsg()
    if epsg is None or not 4491 <= epsg <= 4554:
        return None
    width = 6.0 if epsg <= 4512 else 3.0
    ll = _lonlat_bounds(gdf)
    if not np.isfinite(ll).all():
        return None
    off = max(abs(ll[0] - lon0), abs(ll[2] - lon0))
    if off <= width / 2 + GK_ZONE_SLACK_DEG:
        return None
    there = gk_zone_epsg((ll[0] + ll[2]) / 2)
    return (
        f"坐标换算后经度 {ll[0]:.3f}–{ll[2]:.3f}°E 距 EPSG:{epsg} 的中央经线 {lon0:g}°E 达 "
        f"{off:.2f}°，不在该 {width:g} 度带内，坐标系可能有误；该位置所在的 3 度带为 EPSG:{there} / "
        f"longitudes lie {off:.2f}° from the central meridian of EPSG:{epsg}, outside the "
        f"zone: wrong CRS? (the zone there is EPSG:{there})"
    )


def study_region(city: str | None) -> tuple[float, float, float, float] | None:
    """Lon/lat box of a project's ``city`` for :func:`check_plausible`, if known.

    Example
    -------
    >>> study_region("石嘴山市") == SHIZUISHAN_BOUNDS, study_region("银川市")
    (True, None)
    """
    if not city:
        return None
    return CITY_REGIONS.get(str(city).strip())


def _fits_region(b: NDArray[np.float64], epsg: int, region: tuple[float, ...]) -> bool:
    tr = pyproj.Transformer.from_crs(epsg, 4490, always_xy=True)
    ll = np.asarray(tr.transform_bounds(*b, densify_pts=5), dtype=np.float64)
    return np.isfinite(ll).all() and _inside(ll, region, 0.05)
