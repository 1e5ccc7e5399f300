"""Parcel state classes, their colours, and the legend/title map elements.

A parcel gets exactly one *state* for colouring, by precedence (the first
that applies): cleared › recoverable › government-caused idle › mortgaged
idle › idle › stopped ≥ 2 y › tax arrears ≥ 2 y › low efficiency › normal.
Cleared comes first because a completed disposal is the news a planning
meeting wants to see; the lists themselves are separate switchable layers,
so a parcel on several lists is still visible on each.

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"idle": [True, True, False], "recoverable": [True, False, False],
...                   "stopped_2y": [False, False, True]})
>>> parcel_state(p).tolist()
['recoverable', 'idle', 'stopped']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from landclear.labels import STATE_NAMES
from landclear.maps.safety import script_json

__all__ = [
    "GRADE_STYLES",
    "STATE_ORDER",
    "STATE_STYLES",
    "Legend",
    "TitleBox",
    "flag",
    "parcel_state",
    "state_label",
]

#: Precedence order of the colouring states (also the legend order).
STATE_ORDER: tuple[str, ...] = (
    "cleared",
    "recoverable",
    "idle_gov",
    "mortgaged_idle",
    "idle",
    "stopped",
    "tax",
    "low_efficiency",
    "normal",
)

#: One Leaflet path style per state (fill + outline); colour-blind-aware, distinct in print.
STATE_STYLES: dict[str, dict[str, object]] = {
    "cleared": {"fillColor": "#1a9850", "color": "#0b5e2c"},
    "recoverable": {"fillColor": "#d7191c", "color": "#7f0000"},
    "idle_gov": {"fillColor": "#fdae61", "color": "#a65e00"},
    "mortgaged_idle": {"fillColor": "#8e0152", "color": "#4d002c"},
    "idle": {"fillColor": "#f46d43", "color": "#a32a05"},
    "stopped": {"fillColor": "#5e3c99", "color": "#2d1a52"},
    "tax": {"fillColor": "#e7298a", "color": "#8a0f4e"},
    "low_efficiency": {"fillColor": "#ffd92f", "color": "#9c7f00"},
    "normal": {"fillColor": "#b8b8b8", "color": "#6e6e6e"},
}
_COMMON = {"weight": 1, "opacity": 1.0, "fillOpacity": 0.72}
for _s in STATE_STYLES.values():
    _s.update(_COMMON)

GRADE_ORDER = ("A", "B", "C", "D", "T")
GRADE_STYLES: dict[str, dict[str, object]] = {
    "A": {"fillColor": "#1a9641", "color": "#0b5e2c"},
    "B": {"fillColor": "#a6d96a", "color": "#4d7a1c"},
    "C": {"fillColor": "#fdae61", "color": "#a65e00"},
    "D": {"fillColor": "#d7191c", "color": "#7f0000"},
    "T": {"fillColor": "#b8b8b8", "color": "#6e6e6e"},
    "": {"fillColor": "#ffffff", "color": "#9e9e9e"},
}
for _s in GRADE_STYLES.values():
    _s.update(_COMMON)

GRADE_NAMES = {
    "A": ("A 类（优先支持）", "A (supported)"),
    "B": ("B 类（鼓励提升）", "B (encouraged)"),
    "C": ("C 类（帮扶转型）", "C (assisted)"),
    "D": ("D 类（倒逼整治）", "D (to rectify)"),
    "T": ("T 类（暂不评价）", "T (not evaluated)"),
    "": ("未评价", "no grade"),
}


def flag(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as a plain bool array (missing column or NA → False)."""
    if col not in df:
        return np.zeros(len(df), dtype=bool)
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy()
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def parcel_state(parcels: pd.DataFrame) -> pd.Series:
    """The colouring state of every parcel (one of :data:`STATE_ORDER`), vectorised."""
    idle = flag(parcels, "idle")
    gov = np.zeros(len(parcels), dtype=bool)
    if "idle_cause" in parcels:
        gov = parcels["idle_cause"].astype("string").eq("government").fillna(False).to_numpy(bool)
    conditions = [
        flag(parcels, "cleared"),
        flag(parcels, "recoverable"),
        idle & gov,
        flag(parcels, "mortgaged_idle"),
        idle,
        flag(parcels, "stopped_2y"),
        flag(parcels, "tax_arrears_2y"),
        flag(parcels, "low_efficiency"),
    ]
    state = np.select(conditions, list(STATE_ORDER[:-1]), default="normal")
    return pd.Series(state, index=parcels.index, name="state", dtype=object)


def state_label(state: str, language: str = "zh") -> str:
    """Legend text of a state."""
    zh, en = STATE_NAMES[state]
    return zh if language == "zh" else en


class Legend(MacroElement):
    """A categorical legend control (folium has none built in, folium#528).

    ``entries`` are ``(label, fill colour, outline colour, count text)``;
    rendered by ``LandclearMaps.legend`` with ``textContent``.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> _ = Legend("图例", [("闲置土地", "#f46d43", "#a32a05", "3 宗")]).add_to(m)
    >>> "LandclearMaps.legend" in m.get_root().render()
    True
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        LandclearMaps.legend({{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        title: str,
        entries: list[tuple[str, str, str, str]],
        *,
        position: str = "bottomright",
        note: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        args = [title, [list(e) for e in entries], position, note]
        # Spread as positional JS arguments: "[a,b]" → "a,b".
        self.payload = script_json(args)[1:-1]


class TitleBox(MacroElement):
    """A title at the top centre of the map (text only)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        LandclearMaps.title({{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self._name = "TitleBox"
        self.payload = script_json([str(x) for x in lines])
