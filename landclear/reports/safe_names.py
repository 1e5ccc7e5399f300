"""File names derived safely from parcel ids.

A parcel id comes from a ledger and is untrusted: ``../../x``, ``/etc/passwd``,
``CON`` or ``a\\b`` must never name a file outside the output folder, nor a
device on Windows. Names keep what is readable (CJK, letters, digits, ``-``
and ``_``) so that an analyst still recognises the parcel, and get a short
hash of the original id whenever anything was changed, or when two ids would
give the same name (also case-insensitively, for Windows/macOS disks).

Example
-------
>>> safe_stem("640202001001GB00001")
'640202001001GB00001'
>>> safe_stem("../../x").startswith("x-")
True
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from landclear.errors import LandclearError

MAX_STEM = 64
_HASH_LEN = 8
# Word characters of any script (CJK, letters, digits, underscore) plus '-'.
_UNSAFE = re.compile(r"[^\w\-]+", flags=re.UNICODE)
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CLOCK$",
    "CONIN$",
    "CONOUT$",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
    *(f"COM{c}" for c in "¹²³"),
    *(f"LPT{c}" for c in "¹²³"),
}


def short_hash(text: str, n: int = _HASH_LEN) -> str:
    """First ``n`` hex digits of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def _clean(raw: str, max_len: int) -> str:
    text = unicodedata.normalize("NFKC", raw)
    # Superscript digits and other non-ASCII "digits" pass \w but confuse some
    # file systems; keep only characters that are letters/numbers of a script.
    text = "".join(ch if unicodedata.category(ch)[0] in "LN" or ch in "-_" else " " for ch in text)
    text = _UNSAFE.sub("_", text).strip("_- .")
    return text[:max_len].rstrip("_- .")


def safe_stem(parcel_id: object, *, max_len: int = MAX_STEM) -> str:
    """A file-name stem (no extension) for one parcel id.

    Parameters
    ----------
    parcel_id : object
        Anything; converted with ``str``.
    max_len : int
        Length cap of the stem (before the hash suffix).

    Returns
    -------
    str
        The cleaned id when it was already safe, else ``cleaned-<hash8>``
        (or ``parcel-<hash8>`` when nothing readable is left).

    Example
    -------
    >>> safe_stem("CON"), safe_stem("宗地/01")
    ('CON-a3dbc4b6', '宗地_01-bc12613b')
    """
    raw = "" if parcel_id is None else str(parcel_id)
    cleaned = _clean(raw, max_len)
    if cleaned == raw and cleaned and cleaned.upper() not in _WINDOWS_RESERVED:
        return cleaned
    return f"{cleaned or 'parcel'}-{short_hash(raw)}"


def assign_stems(parcel_ids: Iterable[object], *, max_len: int = MAX_STEM) -> list[str]:
    """Unique safe stems for a sequence of ids, in order.

    Ids whose stems collide (case-insensitively) all get a hash suffix of
    their own id; identical ids get an ordinal too, so every stem is unique.

    Example
    -------
    >>> assign_stems(["A/1", "A_1", "a_1", "B"])[3]
    'B'
    """
    ids = ["" if p is None else str(p) for p in parcel_ids]
    stems = [safe_stem(p, max_len=max_len) for p in ids]
    counts: dict[str, int] = {}
    for s in stems:
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    out: list[str] = []
    seen: set[str] = set()
    for raw, stem in zip(ids, stems, strict=True):
        if counts[stem.casefold()] > 1:
            base = _clean(raw, max_len) or "parcel"
            stem = f"{base}-{short_hash(raw)}"
        candidate, n = stem, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def safe_join(base: str | Path, *parts: str) -> Path:
    """``base / parts`` after checking that it stays inside ``base``.

    Raises
    ------
    LandclearError
        If the resolved path leaves ``base`` (a bug upstream, never expected).

    Example
    -------
    >>> safe_join("/tmp/out", "parcels", "a.html").as_posix()
    '/tmp/out/parcels/a.html'
    """
    root = Path(base).resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root):
        raise LandclearError(f"路径越出输出目录 / path leaves the output folder: {parts!r}")
    return path
