"""Find a font that renders Simplified Chinese and hand it to matplotlib.

matplotlib's default DejaVu Sans has no CJK glyphs and silently draws boxes;
WeasyPrint drops glyphs no font covers. Both get the same font, found once:
Noto Sans CJK SC (Debian ``fonts-noto-cjk``), else WenQuanYi Micro Hei, else
any installed font whose name says CJK/SC. None → :class:`FontError`.
"""

from __future__ import annotations

import glob
import os
from functools import cache
from pathlib import Path

from landclear.errors import FontError

CSS_FAMILIES = (
    '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC", sans-serif'
)

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@cache
def cjk_font_path() -> Path:
    """Path of a CJK font file; ``LANDCLEAR_CJK_FONT`` overrides the search.

    Examples
    --------
    >>> cjk_font_path().exists()  # doctest: +SKIP
    True
    """
    override = os.environ.get("LANDCLEAR_CJK_FONT")
    if override:
        if Path(override).exists():
            return Path(override)
        raise FontError(f"LANDCLEAR_CJK_FONT={override!r} 不存在 / does not exist")
    for cand in _CANDIDATES:
        if Path(cand).exists():
            return Path(cand)
    for pattern in (
        "/usr/share/fonts/**/*CJK*",
        "/usr/share/fonts/**/*wqy*",
        "/usr/share/fonts/**/*SC*.otf",
    ):
        hits = sorted(glob.glob(pattern, recursive=True))
        if hits:
            return Path(hits[0])
    raise FontError(
        "找不到中文字体 / no font for Simplified Chinese: install Debian 'fonts-noto-cjk' "
        "(sudo apt-get install fonts-noto-cjk) or set LANDCLEAR_CJK_FONT to a .ttf/.otf/.ttc file"
    )


def literal(text: object) -> str:
    r"""Ledger text as matplotlib should draw it: as written, no mathtext.

    A park or city name with two "$" would otherwise be parsed as a formula
    (and raise on bad syntax). Escaping the dollar signs keeps the user's own
    figures' mathtext setting untouched.

    Examples
    --------
    >>> print(literal("一区$2$期"))
    一区\$2\$期
    """
    return str(text).replace("$", "\\$")


@cache
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; return its family."""
    from matplotlib import font_manager, rcParams

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    # A .ttc holds several faces (JP, KR, SC, ...): prefer the Simplified Chinese one.
    names = {f.name for f in font_manager.fontManager.ttflist}
    family = next(
        (n for n in ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei") if n in names),
        font_manager.FontProperties(fname=str(path)).get_name(),
    )
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family, *[f for f in rcParams["font.sans-serif"] if f != family]]
    rcParams["axes.unicode_minus"] = False
    return family
