"""Rendering: Jinja2 templates (autoescaped, user-overridable) → HTML → PDF (WeasyPrint).

Ledger text is untrusted, so autoescape is on for every template whose name
ends in ``.html``, ``.htm``, ``.xml`` or ``.j2`` (and for unknown names);
only ``.css`` is exempt. A user overrides any shipped template by putting a
file of the same name in the folder named by ``[reports] templates = "..."``
of the project file (a :class:`jinja2.ChoiceLoader` looks there first).

WeasyPrint drops glyphs that no font covers, silently: the CJK font is
located first (:func:`landclear.fonts.cjk_font_path`, a clear
:class:`~landclear.errors.FontError` when none) and every CSS font stack
starts with :data:`landclear.fonts.CSS_FAMILIES`.

Example
-------
>>> env = make_environment()
>>> env.from_string("{{ x }}").render(x="<b>")
'&lt;b&gt;'
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from landclear.fonts import CSS_FAMILIES, cjk_font_path
from landclear.labels import label

#: Bumped whenever the rendering code changes what a file looks like
#: (2: subset fonts keep CID == GID, see :func:`cid_equal_gid`).
RENDER_VERSION = "2"
TEMPLATE_NAMES = ("parcel.html.j2", "index.html.j2", "style.css")


def make_environment(template_dir: str | Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment: user folder first (when given), then the shipped templates.

    Parameters
    ----------
    template_dir : path, optional
        Folder whose files replace shipped templates of the same name.

    Example
    -------
    >>> make_environment().get_template("parcel.html.j2").name
    'parcel.html.j2'
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("landclear.reports", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"),
            disabled_extensions=("css",),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # A trusted constant placed inside <style>: autoescape would turn its quotes into &#34;.
    env.globals["font_families"] = markupsafe.Markup(CSS_FAMILIES)
    env.filters["lab"] = label
    return env


def template_version(env: jinja2.Environment) -> str:
    """Hash of every template's source (user or shipped) and :data:`RENDER_VERSION`."""
    h = hashlib.sha256(RENDER_VERSION.encode())
    for name in TEMPLATE_NAMES:
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            source = ""
        h.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


def template_dir_of(project: Any) -> Path | None:
    """The user's template folder of ``project.reports["templates"]``, resolved."""
    reports = getattr(project, "reports", None) or {}
    folder = reports.get("templates")
    if not folder:
        return None
    path = project.resolve(folder) if hasattr(project, "resolve") else Path(folder)
    if not path.is_dir():
        from landclear.errors import ProjectError

        raise ProjectError(
            f"[reports] templates = {folder!r}: 不是文件夹 / not a folder", file=str(path)
        )
    return path


def render_parcel_html(env: jinja2.Environment, context: Mapping[str, Any], map_src: str) -> str:
    """HTML text of one parcel file.

    Parameters
    ----------
    env : jinja2.Environment
        From :func:`make_environment`.
    context : mapping
        From :func:`landclear.reports.parcel.build_contexts`.
    map_src : str
        Relative URL of the locator PNG (``""`` for none).

    Example
    -------
    >>> html = render_parcel_html(make_environment(), ctx, "a.png")  # doctest: +SKIP
    """
    return env.get_template("parcel.html.j2").render(**context, map_src=map_src)


@cache
def _font_config():
    """One WeasyPrint FontConfiguration per process: fontconfig setup is the slow part."""
    import atexit

    from weasyprint.text.fonts import FontConfiguration

    # Dropped before interpreter teardown: FontConfiguration.__del__ needs
    # modules that are gone by then ("Exception ignored ... NoneType").
    atexit.register(_extra_css.cache_clear)
    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


SUBSET_FAMILY = "Noto Sans CJK SC landclear"


@cache
def _extra_css(font_file: str | None) -> list:
    """A user stylesheet putting ``font_file`` (a CJK font) first in every font stack.

    Built once per process and font: WeasyPrint registers an @font-face in
    the FontConfiguration when the stylesheet is created, not per document.
    """
    from weasyprint import CSS

    if not font_file:
        if not os.environ.get("LANDCLEAR_CJK_FONT"):
            return []
        font_file = str(cjk_font_path())  # a font fontconfig may not know
    url = Path(font_file).resolve().as_uri()
    # One family name per font file: a FontConfiguration keeps the first face
    # registered under a name, so a second batch's subset would be ignored.
    family = f"{SUBSET_FAMILY} {hashlib.sha256(url.encode()).hexdigest()[:12]}"
    css = (
        f'@font-face {{ font-family: "{family}"; src: url("{url}"); }}\n'
        "html, body, div, span, p, li, table, th, td, h1, h2, h3, caption "
        f'{{ font-family: "{family}", {CSS_FAMILIES} !important; }}'
    )
    return [CSS(string=css, font_config=_font_config())]


def text_charset(texts: Iterable[str]) -> str:
    """Every character a batch can print: its texts, labels, templates and ASCII."""
    from landclear.labels import LABELS, LIST_NAMES, YES_NO

    chars = set(map(chr, range(0x20, 0x7F))) | set("，。：；、（）《》〔〕—·…％×≥≤＜＞‰㎡")
    for t in texts:
        chars.update(t)
    for table in (LABELS, LIST_NAMES, YES_NO):
        for pair in table.values():
            chars.update("".join(pair))
    return "".join(sorted(c for c in chars if c.isprintable()))


def cid_equal_gid(data: bytes) -> bytes:
    """Renumber the CIDs of a subset CID-keyed CFF font so that every CID equals its glyph index.

    PDF viewers select a glyph of a CID-keyed CFF program by CID through the
    font's charset (ISO 32000-1, 9.7.4.2), while WeasyPrint writes glyph
    indices. In Noto Sans CJK CID == GID, but subsetting packs the glyphs and
    keeps their old CIDs: strict viewers (pdf.js, pdfium, Acrobat) then draw
    boxes or other characters, although poppler still draws the right ones.
    Only the CFF charset changes: every other table refers to glyph indices,
    which stay as they are (lazy loading leaves those tables' bytes
    untouched). Fonts without a CID-keyed CFF are returned unchanged.

    Example
    -------
    >>> cid_equal_gid(subset_font("中文").read_bytes())[:4]  # doctest: +SKIP
    b'OTTO'
    """
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    if "CFF " not in font:
        return data
    top = font["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return data
    order = list(top.charset)
    new = [".notdef", *(f"cid{i:05d}" for i in range(1, len(order)))]
    if order == new:
        return data
    rename = dict(zip(order, new, strict=True))
    strings = top.CharStrings
    strings.charStrings = {rename[k]: v for k, v in strings.charStrings.items()}
    top.charset = new
    font.setGlyphOrder(new)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_font(charset: str, cache_dir: str | Path | None = None) -> Path | None:
    """A CJK font cut down to ``charset``, cached by content; None when it cannot be made.

    WeasyPrint subsets the font for every PDF; starting from a ~20 MB
    collection costs ~40 ms and ~140 kB per file, starting from a subset of
    the batch's characters (desubroutinised CFF) a fraction of both.
    Characters the subset lacks still fall back to the full font stack. The
    subset's CIDs are renumbered to equal its glyph indices
    (:func:`cid_equal_gid`), which every PDF viewer needs to pick the right glyph.

    Example
    -------
    >>> subset_font(text_charset(["石嘴山市"])).suffix  # doctest: +SKIP
    '.otf'
    """
    import tempfile

    try:
        from fontTools import subset
        from fontTools.ttLib import TTCollection, TTFont
    except ImportError:
        return None
    src = cjk_font_path()
    stamp = f"{RENDER_VERSION}|{src}|{src.stat().st_mtime_ns}|{charset}"
    key = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    folder = Path(cache_dir or Path(tempfile.gettempdir()) / "landclear-fonts")
    out = folder / f"cjk-{key}.otf"
    if out.exists():
        return out
    try:
        number = 0
        if src.suffix.lower() in (".ttc", ".otc"):
            names = [f["name"].getDebugName(1) or "" for f in TTCollection(str(src), lazy=True)]
            number = next((i for i, n in enumerate(names) if n.endswith(" SC")), 0)
        font = TTFont(str(src), fontNumber=number, lazy=False)
        opts = subset.Options()
        opts.desubroutinize = True
        opts.layout_features = ["*"]
        opts.name_IDs = ["*"]
        opts.notdef_outline = True
        sub = subset.Subsetter(opts)
        sub.populate(unicodes={ord(c) for c in charset})
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        data = cid_equal_gid(buf.getvalue())
        folder.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except Exception:  # any fontTools failure: render with the full font instead
        return None
    return out


def check_fonts() -> Path:
    """The CJK font file; raises :class:`~landclear.errors.FontError` when there is none."""
    return cjk_font_path()


def html_to_pdf(
    html: str,
    pdf_path: str | Path,
    base_url: str | Path,
    images: Mapping[str, bytes] | None = None,
    font_file: str | None = None,
) -> Path:
    """Write one PDF from HTML text with WeasyPrint, atomically.

    The PDF is written to a temporary file beside ``pdf_path`` and renamed
    over it when complete: an interrupted or failed run leaves the previous
    file (or none), never a truncated one.

    Parameters
    ----------
    html : str
        A complete HTML document.
    pdf_path : path
        Output file.
    base_url : path
        Folder that relative URLs in ``html`` resolve against.
    images : mapping, optional
        ``{file name: bytes}`` served from memory instead of disk (the
        locator PNG the worker has just drawn).
    font_file : str, optional
        A CJK font put first in every font stack (see :func:`subset_font`).

    Example
    -------
    >>> html_to_pdf("<p>中文</p>", "/tmp/x.pdf", "/tmp")  # doctest: +SKIP
    """
    from weasyprint import HTML

    check_fonts()
    base = Path(base_url).resolve()
    served = {(base / k).as_uri(): v for k, v in (images or {}).items()}
    fetcher = _fetcher(served)
    doc = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher)
    pdf_path = Path(pdf_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(fd)
    try:
        doc.write_pdf(tmp, font_config=_font_config(), stylesheets=_extra_css(font_file))
        os.replace(tmp, pdf_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return pdf_path


def _fetcher(served: Mapping[str, bytes]):
    """A URL fetcher that serves in-memory images and refuses the network.

    Parcel files never need the network; refusing keeps a hostile template
    or ledger value from making WeasyPrint fetch URLs.
    """
    try:  # WeasyPrint ≥ 66: a URLFetcher class
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # older WeasyPrint: a function returning a dict
        from weasyprint import default_url_fetcher

        def fetch_fn(url: str, *args: Any, **kwargs: Any):
            if url in served:
                return {"string": served[url], "mime_type": "image/png", "redirected_url": url}
            if not url.startswith(("file:", "data:")):
                raise ValueError(f"blocked URL {url[:80]}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch_fn

    class _Local(URLFetcher):
        def fetch(self, url: str, headers: Any = None):
            if url in served:
                return URLFetcherResponse(url, served[url], {"Content-Type": "image/png"})
            return super().fetch(url, headers)

    return _Local(allowed_protocols=("file", "data"))
