"""Keeping untrusted ledger text inert in map HTML, and safe map file names.

Ledger values (enterprise names, delay causes, mortgagees…) come from other
bureaus' spreadsheets and can hold anything, including markup. Two contexts
matter in a map file:

* **HTML** (legend, title, layer names — Leaflet's LayerControl inserts layer
  names with ``innerHTML``): :func:`esc` (``html.escape``, quotes included).
* **Script data** (tooltips, popups, search): values travel as JSON inside a
  ``<script>`` block and are rendered with ``textContent`` by our own JS, so
  they must not be HTML-escaped (the user would read ``&lt;``) but must not
  end the script either: :func:`script_json` escapes ``< > &`` and the JS
  line separators as ``\\uXXXX``. Nothing is ever placed in a JS template
  literal, so ``${…}`` is inert.

Examples
--------
>>> esc("<img src=x onerror=alert(1)>")
'&lt;img src=x onerror=alert(1)&gt;'
>>> script_json({"n": "</script>"})
'{"n":"\\\\u003c/script\\\\u003e"}'
>>> safe_filename("../园区/A:B")
'园区_A_B'
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from typing import Any

__all__ = ["esc", "safe_filename", "script_json", "unique_filenames"]

_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_RE = re.compile("[<>&\u2028\u2029]")


def esc(value: Any) -> str:
    """HTML-escape any value for an HTML context; None/NaN/NA give ``""``.

    Examples
    --------
    >>> esc(None), esc(float("nan")), esc('a"b')
    ('', '', 'a&quot;b')
    """
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return html.escape(str(value), quote=True)


def script_json(obj: Any) -> str:
    """JSON text that is safe to embed in an HTML ``<script>`` element.

    Non-ASCII text stays readable (Chinese is not ``\\u``-escaped, which
    would triple its size); only the characters that could close the script
    element or break a JS string literal are escaped.

    Examples
    --------
    >>> script_json(["${alert(1)}", "石嘴山"])
    '["${alert(1)}","石嘴山"]'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _SCRIPT_RE.sub(lambda m: _SCRIPT_ESCAPES[m.group(0)], text)


# Windows-reserved characters, path separators and control characters.
_BAD_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_MAX_BYTES = 120  # leaves room for a suffix and ".html" under the usual 255-byte limit


def safe_filename(name: Any, default: str = "未命名") -> str:
    """A file-name stem for ``name`` that cannot leave its folder.

    Keeps Chinese and other letters; replaces path separators, reserved and
    control characters with ``_``; strips leading dots and spaces (no ``..``,
    no hidden files); avoids Windows device names; cuts to 120 UTF-8 bytes.

    Examples
    --------
    >>> safe_filename("石嘴山经济技术开发区"), safe_filename(".."), safe_filename("CON")
    ('石嘴山经济技术开发区', '未命名', '_CON')
    """
    text = unicodedata.normalize("NFC", "" if name is None else str(name))
    text = _BAD_CHARS.sub("_", text)
    text = re.sub(r"\s+", " ", text)
    text = text.strip(" ._")
    text = re.sub(r"_+", "_", text)
    if not text:
        return default
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    encoded = text.encode("utf-8")
    if len(encoded) > _MAX_BYTES:
        text = encoded[:_MAX_BYTES].decode("utf-8", errors="ignore").rstrip(" ._")
    return text


def unique_filenames(names: list[Any], reserved: set[str] | None = None) -> list[str]:
    """Safe stems for ``names``, disambiguated with ``-2``, ``-3``… (case-insensitively).

    ``reserved`` stems (e.g. ``{"overview"}``) are never handed out.

    Examples
    --------
    >>> unique_filenames(["A/B", "A:B", "a_b", "overview"], reserved={"overview"})
    ['A_B', 'A_B-2', 'a_b-3', 'overview-2']
    """
    taken = {r.casefold() for r in (reserved or set())}
    out: list[str] = []
    for name in names:
        stem = safe_filename(name)
        candidate, k = stem, 1
        while candidate.casefold() in taken:
            k += 1
            candidate = f"{stem}-{k}"
        taken.add(candidate.casefold())
        out.append(candidate)
    return out
