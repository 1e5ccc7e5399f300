"""Leaflet and plugin assets: CDN links online, inlined from the package offline.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs (folium
#1368, #1985), which bureau intranets cannot reach. Our maps need none of
jQuery/Bootstrap, so every map gets exactly the assets below — as CDN links
(same versions) or, with ``offline=True``, inlined into the HTML with the
images their CSS refers to turned into ``data:`` URIs. The vendored files and
their licences live in ``landclear/maps/assets`` (see ``assets/SOURCES.txt``).

Examples
--------
>>> "leaflet.js" in {a.file for a in ASSETS.values()}
True
>>> 'src="https://' in asset_html(["leaflet_js"], offline=True)
False
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import folium
from branca.element import Element, Figure, MacroElement

__all__ = ["ASSETS", "AssetBundle", "asset_html", "asset_text", "strip_folium_assets"]


@dataclass(frozen=True)
class Asset:
    """One vendored file and the CDN URL of the same version."""

    file: str
    url: str

    @property
    def kind(self) -> str:
        return "css" if self.file.endswith(".css") else "js"


_NPM = "https://cdn.jsdelivr.net/npm"

ASSETS: dict[str, Asset] = {
    "leaflet_css": Asset("leaflet.css", f"{_NPM}/leaflet@1.9.4/dist/leaflet.css"),
    "leaflet_js": Asset("leaflet.js", f"{_NPM}/leaflet@1.9.4/dist/leaflet.js"),
    "fullscreen_css": Asset(
        "Control.FullScreen.css", f"{_NPM}/leaflet.fullscreen@5.3.3/dist/Control.FullScreen.css"
    ),
    "fullscreen_js": Asset(
        "Control.FullScreen.umd.js",
        f"{_NPM}/leaflet.fullscreen@5.3.3/dist/Control.FullScreen.umd.js",
    ),
    "measure_css": Asset(
        "leaflet-measure.css", f"{_NPM}/leaflet-measure@3.1.0/dist/leaflet-measure.css"
    ),
    "measure_js_zh": Asset(
        "leaflet-measure.cn.js", f"{_NPM}/leaflet-measure@3.1.0/dist/leaflet-measure.cn.js"
    ),
    "measure_js_en": Asset(
        "leaflet-measure.en.js", f"{_NPM}/leaflet-measure@3.1.0/dist/leaflet-measure.en.js"
    ),
}

#: Our own small JS and CSS (decoding, tooltips, popups, search, legend): always inlined.
OWN_JS = "landclear-maps.js"
OWN_CSS = "landclear-maps.css"

_URL_RE = re.compile(r"""url\(\s*(['"]?)(?!data:|#|https?:)([^'")]+)\1\s*\)""")


@cache
def asset_text(file: str) -> str:
    """Text of a vendored asset file."""
    return resources.files("landclear.maps").joinpath("assets", file).read_text("utf-8")


@cache
def _asset_bytes(file: str) -> bytes:
    return resources.files("landclear.maps").joinpath("assets", file).read_bytes()


def _data_uri(file: str) -> str:
    mime = mimetypes.guess_type(file)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(_asset_bytes(file)).decode('ascii')}"


@cache
def inline_css(file: str) -> str:
    """A vendored stylesheet with its relative ``url(...)`` images as data URIs."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(2).rsplit("/", 1)[-1]
        try:
            return f'url("{_data_uri(name)}")'
        except FileNotFoundError:
            return m.group(0)  # e.g. url(#default#VML): harmless, leave it

    return _URL_RE.sub(repl, asset_text(file))


def _script_safe(text: str) -> str:
    # A vendored file must not close our <script>/<style> element early.
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


def _icon_script() -> str:
    # Leaflet finds its marker images from the CSS url(); inlined as data: URIs that
    # detection fails and it would fetch "marker-icon.png" next to the HTML file.
    icons = {
        "iconUrl": "marker-icon.png",
        "iconRetinaUrl": "marker-icon-2x.png",
        "shadowUrl": "marker-shadow.png",
    }
    opts = ", ".join(f'{k}: "{_data_uri(v)}"' for k, v in icons.items())
    return (
        f"<script>L.Icon.Default.imagePath = ''; L.Icon.Default.mergeOptions({{{opts}}});</script>"
    )


def asset_html(names: list[str], *, offline: bool) -> str:
    """``<link>``/``<script>`` tags (online) or inline ``<style>``/``<script>`` (offline)."""
    parts = []
    for name in names:
        a = ASSETS[name]
        if offline:
            if a.kind == "css":
                parts.append(f"<style>{_script_safe(inline_css(a.file))}</style>")
            else:
                parts.append(f"<script>{_script_safe(asset_text(a.file))}</script>")
                if name == "leaflet_js":
                    parts.append(_icon_script())
        elif a.kind == "css":
            parts.append(f'<link rel="stylesheet" href="{a.url}"/>')
        else:
            parts.append(f'<script src="{a.url}"></script>')
    parts.append(f"<style>{_script_safe(asset_text(OWN_CSS))}</style>")
    parts.append(f"<script>{_script_safe(asset_text(OWN_JS))}</script>")
    return "\n".join(parts)


class RawHTML(Element):
    """Literal HTML for the figure header (branca would parse it as a jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__("")
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class AssetBundle(MacroElement):
    """Puts the map's assets into the figure header, exactly once per figure.

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> strip_folium_assets(m)
    >>> _ = AssetBundle(["leaflet_css", "leaflet_js"], offline=True).add_to(m)
    >>> "cdn.jsdelivr" in m.get_root().render()
    False
    """

    def __init__(self, names: list[str], *, offline: bool) -> None:
        super().__init__()
        self._name = "AssetBundle"
        self.names = names
        self.offline = offline

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure) and "landclear_assets" not in figure.header._children:
            figure.header.add_child(
                RawHTML(asset_html(self.names, offline=self.offline)), name="landclear_assets"
            )
        super().render(**kwargs)


def strip_folium_assets(m: folium.Map) -> None:
    """Drop folium's default CDN assets (Leaflet 1.9.3, jQuery, Bootstrap…) from ``m``.

    The map's own template only needs Leaflet, which :class:`AssetBundle` provides.
    """
    m.default_js = []
    m.default_css = []
