"""Compact feature layers for Leaflet: encoding in Python, drawing in our JS.

Why not ``folium.GeoJson``: its tooltips/popups insert raw values with
``innerHTML`` (folium#1640) and every feature carries its own style and
full-precision coordinates (~380 bytes each). Here a layer's data is

* geometry as integers (lon/lat × 10^precision, 6 → ~0.1 m) delta-coded in one
  flat array, rings left open (:func:`encode_geometries`);
* attribute columns pre-formatted as text, repeated values stored once
  (:func:`encode_columns`);
* one style per class, features pointing at their class by number;

and is drawn on a canvas renderer by ``assets/landclear-maps.js``, which
renders every value with ``textContent``.

Examples
--------
>>> import shapely
>>> g = encode_geometries(np.array([shapely.box(106.0, 39.0, 106.001, 39.001)]), 6)
>>> g["fp"], g["pr"], g["rn"], g["xy"][:4]
([1], [1], [4], [0, 0, 0, 1000])
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from landclear.labels import YES_NO, label
from landclear.maps.safety import esc, script_json

__all__ = [
    "CompactLayer",
    "Controls",
    "FeatureData",
    "ImageLayer",
    "Register",
    "SearchControl",
    "display_frame",
    "encode_columns",
    "encode_geometries",
]

_POLYGON = 3


def _polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All polygon parts of ``geoms`` and the index of the feature each came from."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # Collections may nest multipolygons; two more passes flatten any real data.
    for _ in range(2):
        types = shapely.get_type_id(parts)
        nested = types > _POLYGON
        if not nested.any():
            break
        sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        idx = np.concatenate([idx[~nested], idx[nested][sub_idx]])
        order = np.argsort(idx, kind="stable")
        parts, idx = parts[order], idx[order]
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    return parts[keep], idx[keep]


def encode_geometries(geoms: Sequence[Any] | np.ndarray, precision: int = 6) -> dict[str, Any]:
    """Polygon/multipolygon lon/lat geometries → the compact payload ``LandclearMaps.decode`` reads.

    Parameters
    ----------
    geoms : array of shapely geometries
        In degrees (lon, lat). Non-polygonal parts are dropped; a feature with
        none gets zero polygons.
    precision : int
        Decimal places kept (6 → 1e-6° ≈ 0.1 m).

    Returns
    -------
    dict
        ``s`` scale, ``o`` origin, ``xy`` flat deltas, ``rn`` vertices per
        ring, ``pr`` rings per polygon, ``fp`` polygons per feature.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, part_idx = _polygons(geoms)
    rings, ring_idx = shapely.get_rings(parts, return_index=True)
    n = shapely.get_num_coordinates(rings)
    coords = shapely.get_coordinates(rings)
    scale = 10**precision
    if len(coords):
        last = np.cumsum(n) - 1  # closing vertex of each ring: Leaflet closes rings itself
        keep = np.ones(len(coords), dtype=bool)
        keep[last] = False
        q = np.rint(coords[keep] * scale).astype(np.int64)
        origin = q[0].copy()
        deltas = np.diff(q, axis=0, prepend=origin[None, :])
    else:
        origin = np.zeros(2, dtype=np.int64)
        deltas = np.zeros((0, 2), dtype=np.int64)
    return {
        "s": scale,
        "o": origin.tolist(),
        "xy": deltas.ravel().tolist(),
        "rn": (n - 1).tolist(),
        "pr": np.bincount(ring_idx, minlength=len(parts)).tolist(),
        "fp": np.bincount(part_idx, minlength=len(geoms)).tolist(),
    }


def decode_geometries(payload: dict[str, Any]) -> list[list[np.ndarray]]:
    """Inverse of :func:`encode_geometries` (for tests and checks): per feature, its rings.

    Examples
    --------
    >>> import shapely
    >>> rings = decode_geometries(encode_geometries([shapely.box(106, 39, 106.5, 39.5)], 6))
    >>> rings[0][0].tolist()
    [[106.5, 39.0], [106.5, 39.5], [106.0, 39.5], [106.0, 39.0]]
    """
    xy = np.cumsum(np.asarray(payload["xy"], dtype=np.int64).reshape(-1, 2), axis=0)
    xy = (xy + np.asarray(payload["o"])) / payload["s"]
    bounds = np.concatenate([[0], np.cumsum(payload["rn"])])
    rings = [xy[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    ring_per_poly = np.concatenate([[0], np.cumsum(payload["pr"])])
    poly_per_feat = np.concatenate([[0], np.cumsum(payload["fp"])])
    out = []
    for f in range(len(payload["fp"])):
        polys = range(poly_per_feat[f], poly_per_feat[f + 1])
        out.append([rings[r] for p in polys for r in range(ring_per_poly[p], ring_per_poly[p + 1])])
    return out


def encode_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Text columns → ``{name: list}`` or, when values repeat, ``{name: {"d": distinct, "i": codes}}``.

    Examples
    --------
    >>> encode_columns(pd.DataFrame({"a": ["x", "x", "x", "y"], "b": ["1", "2", "3", "4"]}))
    {'a': {'d': ['x', 'y'], 'i': [0, 0, 0, 1]}, 'b': ['1', '2', '3', '4']}
    """
    out: dict[str, Any] = {}
    for col in frame.columns:
        s = frame[col].astype("string").fillna("")
        codes, uniques = pd.factorize(s, sort=False)
        if len(uniques) <= 0.6 * len(s):
            out[str(col)] = {"d": [str(u) for u in uniques], "i": codes.tolist()}
        else:
            out[str(col)] = s.tolist()
    return out


# ----------------------------------------------------------------- formatting

#: How each column is shown: (kind, decimals). Unknown columns show as text.
FORMATS: dict[str, tuple[str, int]] = {
    "area_mu": ("num", 2),
    "certified_area": ("num", 2),
    "developed_area": ("num", 2),
    "idle_fee": ("num", 2),
    "land_price": ("num", 2),
    "planned_investment": ("num", 2),
    "invested": ("num", 2),
    "mortgage_amount": ("num", 2),
    "land_tax_amount": ("num", 2),
    "score": ("num", 1),
    "plot_ratio": ("num", 2),
    "building_coverage": ("pct", 1),
    "idle_years": ("int", 0),
    "priority": ("int", 0),
    "lists": ("int", 0),
    "floor_area": ("num", 0),
    "footprint_area": ("num", 0),
    "industrial_mu": ("num", 1),
    "investment_per_mu": ("num", 1),
    "output_per_mu": ("num", 1),
    "tax_per_mu": ("num", 2),
    "investment_target": ("num", 1),
    "output_target": ("num", 1),
    "tax_target": ("num", 2),
    "investment_gap": ("num", 1),
    "output_gap": ("num", 1),
    "tax_gap": ("num", 2),
}


def format_series(
    s: pd.Series, kind: str = "text", decimals: int = 2, language: str = "zh"
) -> pd.Series:
    """One column as display text (vectorised); missing values → ``""``.

    Examples
    --------
    >>> format_series(pd.Series([1.234, None]), "num", 1).tolist()
    ['1.2', '']
    >>> format_series(pd.Series([True, False, None], dtype="boolean")).tolist()
    ['是', '否', '']
    """
    idx = s.index
    if pd.api.types.is_bool_dtype(s.dtype) or isinstance(s.dtype, pd.BooleanDtype):
        b = s.astype("boolean")
        k = 0 if language == "zh" else 1
        out = np.where(b.fillna(False), YES_NO[True][k], YES_NO[False][k])
        return pd.Series(np.where(b.isna(), "", out), index=idx, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pd.Series(s.dt.strftime("%Y-%m-%d").fillna(""), index=idx, dtype=object)
    if kind in ("num", "int", "pct") or (kind == "text" and pd.api.types.is_numeric_dtype(s.dtype)):
        v = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        if kind == "pct":
            text = np.char.mod(f"%.{decimals}f%%", np.nan_to_num(v * 100))
        elif kind == "int":
            text = np.char.mod("%d", np.nan_to_num(np.rint(v)).astype(np.int64))
        elif kind == "num":
            text = np.char.mod(f"%.{decimals}f", np.nan_to_num(v))
        else:
            text = np.char.mod("%g", np.nan_to_num(v))
        return pd.Series(np.where(np.isnan(v), "", text), index=idx, dtype=object)
    t = s.astype("string").fillna("")
    # Dates held as objects (datetime.date) print as ISO; everything else as text.
    return pd.Series(
        t.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", r"\1", regex=True),
        index=idx,
        dtype=object,
    )


def display_frame(df: pd.DataFrame, columns: Sequence[str], language: str = "zh") -> pd.DataFrame:
    """The ``columns`` of ``df`` that exist, as display text."""
    out = {}
    for col in columns:
        if col in df:
            kind, dec = FORMATS.get(col, ("text", 2))
            out[col] = format_series(df[col], kind, dec, language)
    return pd.DataFrame(out, index=df.index)


# ----------------------------------------------------------------- elements


class FeatureData(MacroElement):
    """A data payload and its decoded shapes, shared by several layers.

    JS: ``var <name> = {...}; var <name>_shapes = LandclearMaps.decode(<name>.geo);``
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.payload }};
        var {{ this.get_name() }}_shapes = LandclearMaps.decode({{ this.get_name() }}.geo);
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geoms: Sequence[Any] | np.ndarray,
        columns: pd.DataFrame,
        *,
        labels: dict[str, str] | None = None,
        precision: int = 6,
        classes: dict[str, Sequence[int]] | None = None,
        subsets: dict[str, Sequence[int]] | None = None,
        links: Sequence[str] | None = None,
        link_text: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "landclear_data"
        data: dict[str, Any] = {
            "n": len(columns),
            "geo": encode_geometries(geoms, precision),
            "cols": encode_columns(columns),
            "labels": labels or {c: label(c) for c in columns.columns},
            "cls": {k: list(map(int, v)) for k, v in (classes or {}).items()},
            "idx": {k: list(map(int, v)) for k, v in (subsets or {}).items()},
        }
        if links is not None:
            data["links"] = list(links)
            data["linkText"] = link_text or "→"
        self.data = data
        self.payload = script_json(data)

    @property
    def count(self) -> int:
        return int(self.data["n"])


class CompactLayer(Layer):
    """A switchable layer drawing (a subset of) a :class:`FeatureData`.

    Parameters
    ----------
    data : FeatureData
        Must be added to the same map before this layer.
    name : str
        Layer name; HTML-escaped here because Leaflet's LayerControl inserts
        it with ``innerHTML``.
    styles : list of dict
        One Leaflet path style per class.
    cls : str or int
        Key of ``data.cls`` (class per feature) or one class for all.
    subset : str, optional
        Key of ``data.idx``: draw only those features.
    tooltip, popup : list of str
        Column names shown (first one as heading).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = LandclearMaps.layer(
            {{ this._parent.get_name() }}, {{ this.data.get_name() }}_shapes,
            {{ this.data.get_name() }}, {{ this.options }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: FeatureData,
        name: str,
        styles: list[dict[str, Any]],
        *,
        cls: str | int = 0,
        subset: str | None = None,
        tooltip: Sequence[str] = (),
        popup: Sequence[str] = (),
        interactive: bool = True,
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=esc(name), overlay=True, control=control, show=show)
        self._name = "landclear_layer"
        self.data = data
        self.options = script_json(
            {
                "styles": styles,
                "cls": cls,
                "idx": subset,
                "tip": list(tooltip),
                "popup": list(popup),
                "interactive": interactive,
                "lazy": not show,
            }
        )


class ImageLayer(Layer):
    """A raster image overlay (PNG embedded as a data URI, so it works offline)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.imageOverlay({{ this.url }}, {{ this.bounds }},
            {opacity: {{ this.opacity }}, interactive: false});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        png: bytes | str | Path,
        bounds: list[list[float]],
        *,
        opacity: float = 0.7,
        show: bool = False,
    ) -> None:
        super().__init__(name=esc(name), overlay=True, control=True, show=show)
        self._name = "landclear_image"
        raw = png if isinstance(png, bytes) else Path(png).read_bytes()
        self.url = script_json("data:image/png;base64," + base64.b64encode(raw).decode("ascii"))
        self.bounds = script_json([[float(v) for v in p] for p in bounds])
        self.opacity = float(opacity)


class SearchControl(MacroElement):
    """Search features of a :class:`FeatureData` by some of its columns."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        LandclearMaps.search({{ this._parent.get_name() }}, {{ this.data.get_name() }}_shapes,
            {{ this.data.get_name() }}, {{ this.options }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: FeatureData,
        cols: Sequence[str],
        popup: Sequence[str],
        *,
        placeholder: str,
        none_text: str,
    ) -> None:
        super().__init__()
        self._name = "landclear_search"
        self.data = data
        self.options = script_json(
            {
                "cols": list(cols),
                "popup": list(popup),
                "placeholder": placeholder,
                "none": none_text,
            }
        )


class Controls(MacroElement):
    """Fullscreen, measure (m / mu) and a metric scale bar.

    Parameters
    ----------
    language : {"zh", "en"}
        Language of the control titles and of the measure plugin.
    gcj02 : bool
        The map's overlays are in GCJ-02 (Gaode tiles): the measure tool then
        reports coordinates, lengths and areas of the points converted back
        to WGS84/CGCS2000 (``LandclearMaps.measureInWgs84``).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        new L.Control.FullScreen({{ this.fullscreen }}).addTo({{ this._parent.get_name() }});
        // leaflet-measure catches clicks with a map-sized invisible marker; since Leaflet 1.9
        // a focused marker pans into view, which moved the map on every measuring click.
        L.Marker.mergeOptions({autoPanOnFocus: false});
        LandclearMaps.watchMeasure({{ this._parent.get_name() }});
        if (L.control.measure) {
            var {{ this.get_name() }}_measure = L.control.measure({{ this.measure }});
            {% if this.gcj02 %}LandclearMaps.measureInWgs84({{ this.get_name() }}_measure);{% endif %}
            {{ this.get_name() }}_measure.addTo({{ this._parent.get_name() }});
        }
        L.control.scale({imperial: false, position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, language: str = "zh", *, gcj02: bool = False) -> None:
        super().__init__()
        self._name = "landclear_controls"
        self.gcj02 = bool(gcj02)
        zh = language == "zh"
        self.fullscreen = script_json(
            {
                "position": "topleft",
                "title": "全屏" if zh else "Full screen",
                "titleCancel": "退出全屏" if zh else "Exit full screen",
            }
        )
        self.measure = script_json(
            {
                "position": "topleft",
                "primaryLengthUnit": "meters",
                "secondaryLengthUnit": "kilometers",
                "primaryAreaUnit": "mu",
                "secondaryAreaUnit": "sqmeters",
                # 1 m² = 0.0015 mu exactly (1 mu = 10000/15 m²).
                "units": {"mu": {"factor": 0.0015, "display": "亩" if zh else "mu", "decimals": 2}},
                "activeColor": "#d7191c",
                "completedColor": "#1f4e9c",
            }
        )


class Register(MacroElement):
    """Expose the map's layers to page scripts and tests: ``LandclearMaps.maps[key]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        LandclearMaps.register({{ this.key }}, {
            map: {{ this._parent.get_name() }},
            {% for k, el in this.layers.items() %}{{ k|tojson }}: {{ el.get_name() }},
            {% endfor %}
            data: {{ this.data.get_name() if this.data else "null" }},
            count: {{ this.data.count if this.data else 0 }}
        });
        {% endmacro %}
        """
    )

    def __init__(self, key: str, data: FeatureData | None, layers: dict[str, Any]) -> None:
        super().__init__()
        self._name = "landclear_register"
        self.key = script_json(key)
        self.data = data
        self.layers = layers
