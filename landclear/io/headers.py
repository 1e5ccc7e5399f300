"""Map the headers of a bureau file to canonical names (DOMAIN §6).

Headers are compared after normalisation: NFKC (full-width → half-width),
case-folded, whitespace removed, and a unit in brackets split off
(``"欠税金额（元）"`` → ``("欠税金额", "元")``). A project file's
``[columns.<input>]`` table wins over the shipped aliases. Shapefile field
names cut to 10 bytes (``"统一社会信"``) match an alias they are a prefix of.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from landclear.schema import aliases

_UNIT = re.compile(r"[\(\[（【](?P<unit>[^\)\]）】]*)[\)\]）】]\s*$")
_SPACE = re.compile(r"\s+")


def normalise_header(header: object) -> tuple[str, str | None]:
    """Return the comparable form of a header and the unit written in it.

    Examples
    --------
    >>> normalise_header(" 金额（万元） ")
    ('金额', '万元')
    >>> normalise_header("ZDMJ")
    ('zdmj', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    unit = None
    m = _UNIT.search(text)
    if m:
        unit = m.group("unit").strip() or None
        text = text[: m.start()]
    text = _SPACE.sub("", text).casefold()
    return text, unit


@dataclass
class HeaderMap:
    """Result of header mapping: which file column became which canonical name."""

    mapping: dict[str, str] = field(default_factory=dict)  # file header -> canonical
    units: dict[str, str] = field(default_factory=dict)  # canonical -> unit in header
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> set[str]:
        return set(self.mapping.values())


def map_headers(
    headers: Iterable[object],
    input_name: str,
    overrides: Mapping[str, str] | None = None,
) -> HeaderMap:
    """Map file headers to canonical names of ``input_name``.

    Parameters
    ----------
    headers : iterable
        Column names as read from the file.
    input_name : str
        One of ``landclear.schema.INPUT_NAMES``.
    overrides : mapping, optional
        ``{canonical: header as in the file}`` from the project file.

    Examples
    --------
    >>> hm = map_headers(["序号", "宗地代码", "宗地面积(亩)"], "parcels")
    >>> hm.mapping
    {'宗地代码': 'parcel_id', '宗地面积(亩)': 'certified_area'}
    >>> hm.units
    {'certified_area': '亩'}
    """
    table = aliases().get(input_name, {})
    headers = [str(h) for h in headers]
    result = HeaderMap()
    norm = {h: normalise_header(h) for h in headers}
    taken: set[str] = set()

    def assign(header: str, canonical: str) -> None:
        result.mapping[header] = canonical
        unit = norm[header][1]
        if unit:
            result.units[canonical] = unit
        taken.add(canonical)

    for canonical, wanted in (overrides or {}).items():
        wanted_norm = normalise_header(wanted)[0]
        hits = [h for h in headers if h == wanted or norm[h][0] == wanted_norm]
        if hits:
            assign(hits[0], canonical)

    lookup: dict[str, str] = {}
    for canonical, names in table.items():
        for name in names:
            lookup.setdefault(normalise_header(name)[0], canonical)

    for h in headers:
        if h in result.mapping:
            continue
        key = norm[h][0]
        canonical = lookup.get(key)
        if canonical is None and len(key.encode("gbk", "replace")) >= 8:
            # A dBASE field name cut to 10 bytes: accept an alias it is a prefix of.
            prefixed = {c for n, c in lookup.items() if n.startswith(key) and n != key}
            if len(prefixed) == 1:
                canonical = prefixed.pop()
                result.notes.append(f"字段 {h!r} 视为截断的 {canonical} / truncated header")
        if canonical is None or canonical in taken:
            if canonical in taken:
                result.notes.append(f"字段 {h!r} 与已映射的 {canonical} 重复,未使用 / duplicate")
            result.unmapped.append(h)
            continue
        assign(h, canonical)
    return result
