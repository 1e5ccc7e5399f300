"""Raster evidence: exact zonal statistics, rasterising and web overlays (DOMAIN §7).

Zonal statistics weight every cell by the exact fraction of it that a parcel
covers (exactextract), so a 0.5-cell sliver counts 0.5, not 0 or 1 as in
centre-point or all-touched methods (rasterstats). Parcels are reprojected
to the raster's CRS; the raster is never resampled, so its values stay as
published.

Examples
--------
>>> import geopandas as gpd, shapely
>>> parcels = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:4544")
>>> zonal_stats(parcels, "built_up.tif", ("mean", "count"))  # doctest: +SKIP
   mean  count
0  0.42   1.0
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from exactextract import exact_extract
from exactextract._exactextract import Feature
from exactextract.feature import FeatureSource
from exactextract.operation import Operation
from exactextract.raster import RasterioRasterSource
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import RasterioIOError

from landclear.errors import CRSError, InputFileError

__all__ = [
    "DEFAULT_STATS",
    "EVIDENCE_COLUMNS",
    "RasterSpec",
    "raster_evidence",
    "raster_overlay_png",
    "raster_spec",
    "rasterize_column",
    "zonal_stats",
]

#: Statistics computed when the caller names none.
DEFAULT_STATS: tuple[str, ...] = ("mean", "count", "coverage_fraction")

#: Scalar exactextract operations passed through unchanged. ``count`` and
#: ``sum`` are coverage-weighted (a half-covered cell counts 0.5).
_SCALAR_STATS = frozenset(
    {
        "mean",
        "sum",
        "count",
        "min",
        "max",
        "majority",
        "mode",
        "minority",
        "median",
        "variety",
        "variance",
        "stdev",
        "coefficient_of_variation",
    }
)
#: Array-valued operations: one numpy array (``unique``) or dict (``frac``) per parcel.
_ARRAY_STATS = frozenset({"unique", "frac"})
_QUANTILE = re.compile(r"^(?:quantile\(q=(0?\.\d+|1(?:\.0*)?|0)\)|percentile_(\d{1,2}(?:\.\d+)?))$")

#: Raster names with a fixed evidence column (DOMAIN §7); others get ``{name}_mean``.
EVIDENCE_COLUMNS: dict[str, str] = {
    "built_up": "built_up_frac",
    "ndvi": "ndvi_mean",
    "night_lights": "night_light_mean",
}

_POS = "_lc_pos"


# --------------------------------------------------------------------------- features
class _WkbFeature(Feature):
    """One parcel handed to exactextract as WKB (no GeoJSON round trip)."""

    def __init__(self, pos: int, wkb: bytes) -> None:
        Feature.__init__(self)
        self._pos = pos
        self._wkb = wkb

    def geometry(self) -> bytes:
        return self._wkb

    def get(self, name: str) -> int:
        return self._pos

    def fields(self) -> list[str]:
        return [_POS]

    def set_geometry_format(self) -> str:
        return "wkb"


class _WkbSource(FeatureSource):
    """Feature source over pre-encoded WKB, in the order given by ``positions``."""

    def __init__(self, wkbs: np.ndarray, positions: np.ndarray, srs_wkt: str) -> None:
        super().__init__()
        self._wkbs = wkbs
        self._positions = positions
        self._wkt = srs_wkt

    def count(self) -> int:
        return len(self._wkbs)

    def __iter__(self) -> Iterator[_WkbFeature]:
        for pos, wkb in zip(self._positions.tolist(), self._wkbs, strict=True):
            yield _WkbFeature(pos, wkb)

    def srs_wkt(self) -> str:
        return self._wkt


class _Source(RasterioRasterSource):
    """exactextract's rasterio source with every masked cell delivered as NaN.

    exactextract 0.3 honours a raster's nodata *value* everywhere, but it
    drops the mask of a masked array whenever the window it reads is larger
    than the parcel's coverage grid (a parcel inside one cell of a 2 × 2
    window, a slightly rotated grid): cells under a per-dataset mask, an
    alpha band or a second nodata value were then counted as data. So a
    raster whose nodata is only its nodata value is passed through as is,
    and any other is read as float with NaN in every masked cell (NaN is
    never data).

    ``extra_nodata`` (in file units, before scale/offset) is masked as
    well, like rasterstats' ``nodata=`` for rasters that do not declare theirs.
    """

    def __init__(
        self,
        ds: rasterio.DatasetReader,
        band: int,
        *,
        name: str,
        extra_nodata: float | None = None,
    ) -> None:
        super().__init__(ds, band, name=name)
        self._extra = None if extra_nodata is None else float(extra_nodata)
        flags = set(ds.mask_flag_enums[band - 1])
        self._native = (
            self._extra is None
            and not self.scaled
            and flags <= {MaskFlags.nodata, MaskFlags.all_valid}
        )

    def nodata_value(self) -> Any:
        return super().nodata_value() if self._native else None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ndarray:
        from rasterio.windows import Window

        window = Window(x0, y0, nx, ny)
        if self._native:  # nodata cells hold the nodata value: no mask needed
            return self.ds.read(self.band_idx, window=window)
        arr = self.ds.read(self.band_idx, window=window, masked=True)
        mask = np.ma.getmaskarray(arr)
        if self._extra is not None:
            mask = mask | (np.isnan(arr.data) if np.isnan(self._extra) else arr.data == self._extra)
        dtype = np.float32 if arr.dtype == np.float32 and not self.scaled else np.float64
        out = arr.data.astype(dtype)
        if self.scaled:
            out = out * self.scale + self.offset
        out[mask] = np.nan
        return out


# --------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _open(raster: str | Path | rasterio.DatasetReader) -> Iterator[rasterio.DatasetReader]:
    """Open a path (and close it afterwards) or pass an open dataset through."""
    if isinstance(raster, rasterio.io.DatasetReader):
        yield raster
        return
    try:
        ds = rasterio.open(raster)
    except RasterioIOError as exc:
        raise InputFileError(f"无法读取栅格文件 / cannot read raster: {exc}", file=raster) from exc
    with ds:
        yield ds


def _require_crs(ds: rasterio.DatasetReader) -> None:
    if ds.crs is None:
        raise CRSError(
            "栅格没有坐标系（缺少 .prj/地理参考），请先为其定义坐标系 / raster has no CRS",
            file=ds.name,
        )


def _parse_stats(stats: str | Sequence[str]) -> list[tuple[str, str, str]]:
    """Return ``(column, kind, exactextract op)`` per requested statistic."""
    if isinstance(stats, str):
        stats = (stats,)
    parsed: list[tuple[str, str, str]] = []
    for stat in stats:
        name = stat.strip()
        match = _QUANTILE.match(name)
        if name in ("coverage_fraction", "coverage"):
            parsed.append(("coverage_fraction", "coverage", "count"))
        elif name in _SCALAR_STATS:
            op = "majority" if name == "mode" else name
            parsed.append((name, "scalar", op))
        elif name in _ARRAY_STATS:
            parsed.append((name, name, name))
        elif match:
            q = float(match.group(1)) if match.group(1) else float(match.group(2)) / 100
            if not 0 <= q <= 1:
                raise ValueError(f"分位数必须在 0–1 之间 / quantile out of range: {stat!r}")
            parsed.append((name, "scalar", f"quantile(q={q!r})"))
        else:
            known = sorted(_SCALAR_STATS | _ARRAY_STATS | {"coverage_fraction"})
            raise ValueError(
                f"不支持的统计量 {stat!r}；可用：{', '.join(known)}、quantile(q=0.9)、percentile_90"
                f" / unsupported statistic {stat!r}"
            )
    return parsed


def _progress_callback(total_label: str):
    from tqdm.auto import tqdm

    bar = tqdm(total=100, desc=total_label, unit="%")

    def update(frac: float, message: str) -> None:
        bar.update(frac * 100 - bar.n)
        if frac >= 1:
            bar.close()

    return update, bar


# --------------------------------------------------------------------------- zonal stats
def zonal_stats(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: str | Path | rasterio.DatasetReader,
    stats: str | Sequence[str] = DEFAULT_STATS,
    *,
    bands: int | Sequence[int] | None = None,
    prefix: str = "",
    progress: bool = False,
    max_cells_in_memory: int = 30_000_000,
    strategy: str = "feature-sequential",
    nodata: float | None = None,
) -> pd.DataFrame:
    """Exact, coverage-weighted zonal statistics of a raster per parcel.

    Parameters
    ----------
    parcels : GeoDataFrame or GeoSeries
        Polygons with a CRS. They are reprojected to the raster's CRS.
        Missing, empty and non-polygonal geometries give NaN (count 0).
    raster : path or open ``rasterio`` dataset
        Must have a CRS. Its nodata value and mask are respected.
    stats : sequence of str
        Any of ``mean, sum, count, min, max, majority (mode), minority, median,
        variety, variance, stdev, coefficient_of_variation, unique, frac,
        coverage_fraction``, ``quantile(q=0.9)`` or ``percentile_90``.
        ``count`` and ``sum`` are weighted by the covered fraction of each
        cell; ``coverage_fraction`` is the share of the parcel's area covered
        by cells with data (0 outside the raster or over nodata); ``frac``
        is a ``{value: share}`` dict per parcel, ``unique`` an array.
    bands : int or sequence of int, optional
        1-based bands; default all. With more than one band every column
        gets a ``_b{band}`` suffix.
    prefix : str
        Prepended to every column name.
    progress : bool
        Show a ``tqdm.auto`` progress bar.
    max_cells_in_memory : int
        Upper bound of raster cells exactextract reads at once (windowed
        reads keep memory flat even for a parcel larger than the raster).
    strategy : {"feature-sequential", "raster-sequential"}
        Passed to exactextract. Parcels are fed in Hilbert-curve order so
        neighbours reuse GDAL's block cache either way.
    nodata : float, optional
        One more value to treat as nodata (in file units), for rasters that
        do not declare theirs (rasterstats' ``nodata=``). The raster's own
        nodata value and mask are always respected; NaN never counts as data.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``parcels``; one column per statistic (and band).

    Raises
    ------
    CRSError
        The parcels or the raster have no CRS.

    Examples
    --------
    >>> zs = zonal_stats(parcels, "ndvi.tif", ("mean", "coverage_fraction"), prefix="ndvi_")  # doctest: +SKIP
    >>> list(zs.columns)  # doctest: +SKIP
    ['ndvi_mean', 'ndvi_coverage_fraction']
    """
    geoseries = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    if geoseries.crs is None:
        raise CRSError("地块图层没有坐标系，请在项目文件中指定 crs / parcels have no CRS")
    parsed = _parse_stats(stats)

    with _open(raster) as ds:
        _require_crs(ds)
        band_list = (
            list(range(1, ds.count + 1))
            if bands is None
            else ([bands] if isinstance(bands, int) else list(bands))
        )
        bad = [b for b in band_list if not 1 <= b <= ds.count]
        if bad or not band_list:
            raise ValueError(
                f"栅格只有 {ds.count} 个波段，无法读取 {bad or band_list} / raster has {ds.count} bands",
            )
        geoms = np.asarray(geoseries.to_crs(ds.crs).values)
        usable = (
            ~shapely.is_missing(geoms)
            & ~shapely.is_empty(geoms)
            & np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
        )
        positions = np.flatnonzero(usable)
        if len(positions) > 1:
            # Spatially adjacent parcels share raster blocks; Hilbert order
            # keeps GDAL's block cache warm instead of re-decompressing tiles.
            order = np.argsort(
                gpd.GeoSeries(geoms[positions]).hilbert_distance().to_numpy(), kind="stable"
            )
            positions = positions[order]
        wkbs = shapely.to_wkb(geoms[positions])

        keys: list[str] = []
        for _, kind, op in parsed:
            base = "count" if kind == "coverage" else op
            if kind == "frac" and "unique" not in keys:
                keys.append("unique")
            if base not in keys:
                keys.append(base)
        # The C++ operations do not own their sources (keep them referenced here), and
        # unnamed sources of different bands are merged: give each band a name.
        sources = {
            band: _Source(ds, band, name=f"b{band}", extra_nodata=nodata) for band in band_list
        }
        ops: list[Operation] = []
        field_of: dict[tuple[int, str], str] = {}
        for band in band_list:
            for key in keys:
                op = _operation(key, sources[band], f"b{band}|{key}")
                ops.append(op)
                # exactextract appends e.g. "_25" to quantile field names: record, don't guess
                field_of[(band, key)] = op.name
        callback = None
        bar = None
        if progress:
            callback, bar = _progress_callback("zonal_stats")
        try:
            raw = (
                exact_extract(
                    [],
                    _WkbSource(wkbs, positions, ds.crs.to_wkt()),
                    ops,
                    include_cols=[_POS],
                    output="pandas",
                    strategy=strategy,
                    max_cells_in_memory=max_cells_in_memory,
                    progress=callback or False,
                )
                if len(positions)
                else pd.DataFrame(
                    {_POS: np.array([], dtype=np.int64)} | {f: [] for f in field_of.values()}
                )
            )
        finally:
            if bar is not None:
                bar.close()
        cell_area = abs(ds.transform.a * ds.transform.e - ds.transform.b * ds.transform.d)
        parcel_area = shapely.area(geoms[raw[_POS].to_numpy(dtype=np.int64)])

    n = len(geoseries)
    at = raw[_POS].to_numpy(dtype=np.int64)
    columns: dict[str, Any] = {}
    for band in band_list:
        suffix = f"_b{band}" if len(band_list) > 1 else ""

        def col(op: str, band: int = band) -> pd.Series:
            return raw[field_of[(band, op)]]

        for name, kind, op in parsed:
            out_name = f"{prefix}{name}{suffix}"
            if kind in ("unique", "frac"):
                values = np.full(n, None, dtype=object)
                if kind == "unique":
                    values[at] = list(col("unique"))
                else:
                    values[at] = [
                        dict(zip(u.tolist(), f.tolist(), strict=True))
                        for u, f in zip(col("unique"), col("frac"), strict=True)
                    ]
                for i in np.flatnonzero(~usable):
                    values[i] = {} if kind == "frac" else np.array([])
                columns[out_name] = values
                continue
            filled = 0.0 if op in ("count", "sum", "variety") else np.nan
            values = np.full(n, filled)
            if kind == "coverage":
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = col("count").to_numpy(dtype=float) * cell_area / parcel_area
                values[at] = np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0)
            else:
                values[at] = col(op).to_numpy(dtype=float)
            columns[out_name] = values
    return pd.DataFrame(columns, index=geoseries.index)


def _operation(key: str, source: _Source, field: str) -> Operation:
    """Build one exactextract operation from a key such as ``mean`` or ``quantile(q=0.25)``."""
    m = re.match(r"quantile\(q=(.*)\)$", key)
    if m:
        return Operation("quantile", field, source, None, {"q": float(m.group(1))})
    return Operation(key, field, source)


# --------------------------------------------------------------------------- evidence
RasterSpec = str | Path | Mapping[str, Any]
"""One ``[inputs.rasters]`` entry: a path, or ``{path, band, scale, nodata}``."""

_SPEC_KEYS = ("path", "band", "scale", "nodata")


def _band_index(ds: rasterio.DatasetReader, band: int | str, name: str) -> int:
    """1-based band of ``ds`` from a number or a band description (e.g. ``"B8"``)."""
    if isinstance(band, str) and not band.strip().isdigit():
        names = [str(d) for d in ds.descriptions if d]
        for i, desc in enumerate(ds.descriptions, start=1):
            if desc is not None and desc.strip().lower() == band.strip().lower():
                return i
        raise ValueError(
            f"栅格 {name} 没有名为 {band!r} 的波段；已有：{', '.join(names) or '（无波段名）'}"
            f" / raster {name!r} has no band named {band!r}"
        )
    index = int(band)
    if not 1 <= index <= ds.count:
        raise ValueError(
            f"栅格 {name} 只有 {ds.count} 个波段，无法读取第 {index} 波段"
            f" / raster {name!r} has {ds.count} bands"
        )
    return index


def raster_spec(
    name: str, spec: RasterSpec, scales: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Normalise one ``[inputs.rasters]`` entry to ``{path, band, scale, nodata}``.

    Parameters
    ----------
    name : str
        The entry's name (``built_up``), named in errors.
    spec : path or mapping
        A path, or a mapping with ``path`` and optional ``band`` (default 1),
        ``scale`` and ``nodata``.
    scales : mapping, optional
        Default ``scale`` per name when the entry gives none (default 1.0).

    Example
    -------
    >>> raster_spec("ndvi", {"path": "s2.tif", "band": "NDVI"})["band"]
    'NDVI'
    """
    scales = scales or {}
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in _SPEC_KEYS]
        if unknown:
            raise ValueError(
                f"栅格 {name} 的未知参数 {unknown[0]!r}；可用：{', '.join(_SPEC_KEYS)}"
                f" / unknown raster option {unknown[0]!r}"
            )
        if "path" not in spec:
            raise ValueError(f"栅格 {name} 缺少 path / raster {name!r} needs a path")
        out = {"band": 1, "scale": None, "nodata": None} | dict(spec)
    else:
        out = {"path": spec, "band": 1, "scale": None, "nodata": None}
    if out["scale"] is None:
        out["scale"] = scales.get(name, 1.0)
    return out


def raster_evidence(
    parcels: gpd.GeoDataFrame,
    rasters: Mapping[str, RasterSpec],
    *,
    scales: Mapping[str, float] | None = None,
    progress: bool = False,
    max_cells_in_memory: int = 30_000_000,
) -> pd.DataFrame:
    """Per-parcel mean of each evidence raster, under the names the rules read.

    ``built_up`` → ``built_up_frac``, ``ndvi`` → ``ndvi_mean``,
    ``night_lights`` → ``night_light_mean``, any other name → ``{name}_mean``.
    Each raster also yields ``{column}_coverage``: the share of the parcel
    with data, so rules can ignore parcels the raster barely covers.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels with a CRS.
    rasters : mapping of name to path or to ``{path, band, scale, nodata}``
        As in the project file's ``[inputs.rasters]``. ``band`` is a 1-based
        number or a band description (``"B8"``; default 1), ``scale``
        multiplies the mean (e.g. 0.01 for a built-up raster in percent),
        ``nodata`` is one more value to ignore (see :func:`zonal_stats`).
    scales : mapping of name to float, optional
        Default ``scale`` per name for entries that are plain paths.
    progress, max_cells_in_memory
        As in :func:`zonal_stats`.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``parcels``.

    Examples
    --------
    >>> ev = raster_evidence(parcels, {"built_up": "gisa.tif"})  # doctest: +SKIP
    >>> list(ev.columns)  # doctest: +SKIP
    ['built_up_frac', 'built_up_frac_coverage']
    >>> s2 = {"ndvi": {"path": "s2_indices.tif", "band": "NDVI"}}
    >>> raster_evidence(parcels, s2)["ndvi_mean"]  # doctest: +SKIP
    """
    scales = dict(scales or {})
    out = pd.DataFrame(index=parcels.index)
    for name, entry in rasters.items():
        spec = raster_spec(name, entry, scales)
        column = EVIDENCE_COLUMNS.get(name, f"{name}_mean")
        with _open(spec["path"]) as ds:
            band = _band_index(ds, spec["band"], name)
            zs = zonal_stats(
                parcels,
                ds,
                ("mean", "coverage_fraction"),
                bands=band,
                progress=progress,
                max_cells_in_memory=max_cells_in_memory,
                nodata=spec["nodata"],
            )
        out[column] = zs["mean"] * float(spec["scale"])
        out[f"{column}_coverage"] = zs["coverage_fraction"]
    return out


# --------------------------------------------------------------------------- rasterize
def rasterize_column(
    parcels: gpd.GeoDataFrame,
    column: str,
    out_path: str | Path,
    *,
    resolution: float | None = None,
    like: str | Path | rasterio.DatasetReader | None = None,
    transform: Any = None,
    shape: tuple[int, int] | None = None,
    crs: Any = None,
    nodata: float | None = None,
    all_touched: bool = False,
    resampling: str | None = None,
) -> Path:
    """Burn a parcel column into a Cloud-Optimised GeoTIFF on a given grid.

    Numeric columns are written as float32 (nodata NaN unless given).
    Text/categorical/boolean columns (e.g. ``grade``) become integer codes
    1..n in sorted order (nodata 0); the code table is stored in the dataset
    tag ``LANDCLEAR_CATEGORIES`` as JSON ``{"1": "A", ...}`` and the column
    name in ``LANDCLEAR_COLUMN``. Where parcels overlap, the later row wins.

    The file is written by GDAL's COG driver: 512 × 512 tiles, DEFLATE,
    internal overviews down to one tile, and the IFDs ahead of the image
    data, so GIS clients and web tilers read it with range requests.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels with a CRS.
    column : str
        Column to burn.
    out_path : path
        Output ``.tif``.
    resolution : float, optional
        Cell size in CRS units (metres); needs a projected CRS (the parcels'
        or ``crs``). The grid is snapped to multiples of ``resolution``.
    like : raster, optional
        Use this raster's grid (CRS, transform, shape).
    transform, shape : Affine and (height, width), optional
        An explicit grid, in ``crs`` (default: the parcels' CRS).
    crs : optional
        CRS of a ``resolution`` or ``transform`` grid.
    nodata : float, optional
        Override the nodata value.
    all_touched : bool
        Burn every cell a parcel touches rather than cells whose centre it covers.
    resampling : str, optional
        Overview resampling: default ``"mode"`` for categorical codes (an
        average of codes 1 and 3 is not class 2) and ``"average"`` for numbers.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    ValueError
        Not exactly one of ``resolution``, ``like``, ``transform``/``shape``.
    CRSError
        Parcels without CRS, or a ``resolution`` grid in degrees.

    Examples
    --------
    >>> rasterize_column(parcels, "grade", "grade.tif", resolution=10)  # doctest: +SKIP
    PosixPath('grade.tif')
    >>> rasterize_column(parcels, "tax_per_mu", "tax.tif", like="built_up.tif")  # doctest: +SKIP
    PosixPath('tax.tif')
    """
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    if parcels.crs is None:
        raise CRSError("地块图层没有坐标系 / parcels have no CRS")
    if column not in parcels.columns:
        raise KeyError(f"地块图层没有列 {column!r} / no column {column!r}")
    explicit = transform is not None or shape is not None
    if explicit and (transform is None or shape is None):
        raise ValueError("transform 与 shape 须同时给出 / give transform and shape together")
    if sum((resolution is not None, like is not None, explicit)) != 1:
        raise ValueError(
            "请给出 resolution、like 或 transform+shape 其中之一 / "
            "give exactly one of resolution, like, transform+shape"
        )

    if like is not None:
        with _open(like) as ref:
            _require_crs(ref)
            dst_crs, transform, shape = ref.crs, ref.transform, (ref.height, ref.width)
        frame = parcels.to_crs(dst_crs)
    elif explicit:
        frame = parcels.to_crs(crs) if crs is not None else parcels
        dst_crs = frame.crs
        shape = (int(shape[0]), int(shape[1]))
    else:
        frame = parcels.to_crs(crs) if crs is not None else parcels
        if not frame.crs.is_projected:
            raise CRSError(
                "按分辨率栅格化需要投影坐标系（米），请指定 crs，如 EPSG:4544 / "
                "resolution needs a projected CRS; pass crs="
            )
        res = float(resolution)
        minx, miny, maxx, maxy = frame.total_bounds
        minx, miny = np.floor(minx / res) * res, np.floor(miny / res) * res
        maxx, maxy = np.ceil(maxx / res) * res, np.ceil(maxy / res) * res
        shape = (max(1, round((maxy - miny) / res)), max(1, round((maxx - minx) / res)))
        transform = from_origin(minx, maxy, res, res)
        dst_crs = frame.crs

    values = frame[column]
    tags: dict[str, str] = {"LANDCLEAR_COLUMN": column}
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        data = values.to_numpy(dtype="float64", na_value=np.nan)
        dtype, fill = "float32", (np.nan if nodata is None else nodata)
        overview = resampling or "average"
    else:
        codes, labels = pd.factorize(values.astype("string"), sort=True)
        data = codes.astype("int64") + 1  # factorize gives -1 for NA → 0 = nodata
        dtype = "uint8" if len(labels) < 255 else "uint16"
        fill = 0 if nodata is None else nodata
        tags["LANDCLEAR_CATEGORIES"] = json.dumps(
            {str(i + 1): str(label) for i, label in enumerate(labels)}, ensure_ascii=False
        )
        overview = resampling or "mode"
    geoms = frame.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms) | pd.isna(data))
    burned = rasterize(
        zip(geoms[keep], data[keep], strict=True),
        out_shape=shape,
        transform=transform,
        fill=fill,
        dtype=dtype,
        all_touched=all_touched,
    )
    return _write_cog(Path(out_path), burned, transform, dst_crs, fill, tags, overview)


def _write_cog(
    path: Path,
    array: np.ndarray,
    transform: Any,
    crs: Any,
    nodata: float,
    tags: dict[str, str],
    resampling: str,
) -> Path:
    """Write a single-band COG with GDAL's COG driver (GDAL ≥ 3.1, in every rasterio wheel)."""
    if not _has_driver("COG"):
        raise InputFileError(
            "GDAL 缺少 COG 驱动（需要 GDAL ≥ 3.1）/ GDAL has no COG driver (needs GDAL ≥ 3.1)",
            file=path,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    with rasterio.open(
        path,
        "w",
        driver="COG",
        compress="DEFLATE",
        blocksize=512,
        overview_resampling=resampling.upper(),
        **profile,
    ) as dst:
        dst.write(array, 1)
        dst.update_tags(**tags)
    return path


def _has_driver(name: str) -> bool:
    with rasterio.Env() as env:
        return name in env.drivers()


# --------------------------------------------------------------------------- web overlay
def raster_overlay_png(
    raster: str | Path | rasterio.DatasetReader,
    bounds_wgs84: tuple[float, float, float, float] | None = None,
    *,
    band: int | str = 1,
    nodata: float | None = None,
    dst_crs: str = "EPSG:3857",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    max_size: int = 1024,
    out_path: str | Path | None = None,
) -> tuple[bytes | Path, list[list[float]]]:
    """Reproject one band to a coloured RGBA PNG for a Leaflet image overlay.

    Leaflet stretches an image linearly between its corners in the map's
    projection, so for a Web-Mercator map the image is warped to EPSG:3857
    (bilinear for continuous values). Nodata is transparent.

    Parameters
    ----------
    raster : path or dataset
        Source raster with a CRS.
    bounds_wgs84 : (west, south, east, north), optional
        Crop box in lon/lat; default: the whole raster.
    band : int or str
        1-based band, or a band description (``"NDVI"``).
    nodata : float, optional
        One more value to draw transparent (in file units), for rasters that do
        not declare theirs, as ``nodata`` of :func:`zonal_stats`.
    dst_crs : str
        ``"EPSG:3857"`` (Leaflet default) or ``"EPSG:4326"``.
    cmap : str
        A matplotlib colormap name.
    vmin, vmax : float, optional
        Colour range; default the 2nd–98th percentile of the data.
    max_size : int
        Longest side of the PNG in pixels.
    out_path : path, optional
        Write the PNG there and return the path instead of bytes.

    Returns
    -------
    (bytes or Path, bounds)
        ``bounds`` is ``[[south, west], [north, east]]`` in degrees, as
        ``folium.raster_layers.ImageOverlay`` expects. Note: Gaode/Tencent
        tiles are GCJ-02, this overlay is not shifted.

    Examples
    --------
    >>> png, bounds = raster_overlay_png("ndvi.tif", cmap="RdYlGn")  # doctest: +SKIP
    """
    from affine import Affine
    from matplotlib import colormaps
    from PIL import Image
    from rasterio.warp import calculate_default_transform, reproject, transform_bounds

    with _open(raster) as ds:
        _require_crs(ds)
        band = _band_index(ds, band, str(getattr(ds, "name", raster)))
        if bounds_wgs84 is None:
            bounds_wgs84 = transform_bounds(ds.crs, "EPSG:4326", *ds.bounds, densify_pts=21)
        west, south, east, north = bounds_wgs84
        dst_bounds = transform_bounds("EPSG:4326", dst_crs, west, south, east, north)
        transform, width, height = calculate_default_transform(
            ds.crs, dst_crs, ds.width, ds.height, *ds.bounds
        )
        # keep the native resolution unless the image would exceed max_size
        res = max(abs(transform.a), abs(transform.e))
        span_x, span_y = dst_bounds[2] - dst_bounds[0], dst_bounds[3] - dst_bounds[1]
        res = max(res, max(span_x, span_y) / max_size)
        width, height = max(1, round(span_x / res)), max(1, round(span_y / res))
        dst_transform = rasterio.transform.from_bounds(*dst_bounds, width, height)
        dst = np.full((height, width), np.nan, dtype="float64")
        # decimate on read: a 10 000² raster need not be loaded for a 1024 px picture
        step = max(1, int(max(ds.width, ds.height) // (2 * max_size)))
        shape = (-(-ds.height // step), -(-ds.width // step))
        src = ds.read(band, masked=True, out_shape=shape, resampling=Resampling.nearest)
        src = src.astype("float64").filled(np.nan)
        if nodata is not None:
            src[src == float(nodata)] = np.nan
        src_transform = ds.transform @ Affine.scale(ds.width / shape[1], ds.height / shape[0])
        categorical = np.issubdtype(np.dtype(ds.dtypes[band - 1]), np.integer)
        reproject(
            src,
            dst,
            src_transform=src_transform,
            src_crs=ds.crs,
            src_nodata=np.nan,
            dst_transform=dst_transform,
            dst_crs=dst_crs,
            dst_nodata=np.nan,
            resampling=Resampling.nearest if categorical else Resampling.bilinear,
        )
    valid = np.isfinite(dst)
    if valid.any():
        lo = np.nanpercentile(dst, 2) if vmin is None else vmin
        hi = np.nanpercentile(dst, 98) if vmax is None else vmax
    else:
        lo, hi = 0.0, 1.0
    scaled = np.clip((dst - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    rgba = (colormaps[cmap](np.nan_to_num(scaled)) * 255).astype("uint8")
    rgba[..., 3] = np.where(valid, 255, 0)
    image = Image.fromarray(rgba, mode="RGBA")
    latlon = transform_bounds(dst_crs, "EPSG:4326", *dst_bounds)
    bounds = [[latlon[1], latlon[0]], [latlon[3], latlon[2]]]
    if out_path is not None:
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(out, format="PNG")
        return out, bounds
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue(), bounds
