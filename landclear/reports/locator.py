"""The locator map of a parcel file: a small PNG, no tiles.

Drawing is :func:`landclear.maps.static.locator_map` (parcel highlighted among
its neighbours, park outline, scale bar, north arrow corrected for meridian
convergence), so the parcel files and the maps module show the same picture.
This module only feeds it the small neighbourhood slice a worker receives and
reuses one matplotlib figure per process, because creating figures costs
more than drawing a few dozen polygons.

Example
-------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, crs=4490, geometry=[
...     shapely.box(106.40, 39.00, 106.401, 39.001), shapely.box(106.402, 39.0, 106.403, 39.001)])
>>> locator_png(g, "A")[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import geopandas as gpd

SIZE_MM = 66.0
DPI = 110


@cache
def _figure(size_in: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_in, size_in))
    ax = fig.add_axes((0, 0, 1, 1))
    return fig, ax


def locator_png(
    neighbourhood: gpd.GeoDataFrame,
    parcel_id: str,
    park: Any = None,
    *,
    radius_m: float = 500.0,
    size_mm: float = SIZE_MM,
    dpi: int = DPI,
    language: str = "zh",
) -> bytes:
    """Draw the locator map of ``parcel_id`` and return PNG bytes.

    Parameters
    ----------
    neighbourhood : GeoDataFrame
        ``parcel_id`` and geometry of the parcel and its neighbours (any CRS).
    parcel_id : str
        The parcel to highlight.
    park : GeoSeries or GeoDataFrame, optional
        Park outline(s) to draw.
    radius_m : float
        Minimum half-width of the view.
    size_mm, dpi : float, int
        Square image size and resolution (≈ 290 px at the defaults).
    language : {"zh", "en"}

    Returns
    -------
    bytes
        A PNG image.
    """
    from landclear.maps.static import locator_map

    fig, ax = _figure(size_mm / 25.4)
    ax.cla()
    park_shape = park if park is not None and len(park) else None
    locator_map(neighbourhood, parcel_id, park_shape, ax=ax, radius_m=radius_m, language=language)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
