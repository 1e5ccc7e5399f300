"""PDF checks shared by the report tests: text as pdftotext sees it, glyphs a font lacks.

Imported by name (``from pdfcheck import ...``) like ``tests/maps/synthetic.py``:
``from conftest import ...`` would load whichever ``conftest`` was imported first.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdftotext(path: Path) -> str:
    """The text of a PDF as poppler's ``pdftotext -layout`` extracts it."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _glyph_ids(data: bytes) -> set[int]:
    """The codes an embedded CID font program can draw (0, .notdef, excluded).

    PDF glyph selection (ISO 32000, 9.7.4.2): in a CID-keyed CFF program the
    code is a CID looked up in the CFF charset; otherwise (name-keyed CFF,
    TrueType with an Identity CIDToGIDMap) it is the glyph index itself.
    """
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    order = font.getGlyphOrder()
    cid_keyed = "CFF " in font and hasattr(font["CFF "].cff.topDictIndex[0], "ROS")
    if cid_keyed:
        ids = {int(n[3:]) for n in order if n.startswith("cid") and n[3:].isdigit()}
    else:
        ids = set(range(len(order)))
    ids.discard(0)
    return ids


def _walk_text(reader, content, resources, found, page_no, seen_fonts) -> None:
    from pypdf.generic import ContentStream

    fonts = {k: v.get_object() for k, v in (resources.get("/Font") or {}).items()}
    current = None
    for operands, op in ContentStream(content, reader).operations:
        if op == b"Tf":
            current = operands[0]
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            items = operands[0] if op == b"TJ" else [operands[-1]]
            font = fonts[current]
            if font["/Subtype"] != "/Type0":  # one-byte simple font: not what WeasyPrint writes
                found.append((page_no, str(font["/BaseFont"]), "simple font"))
                continue
            key = id(font)
            if key not in seen_fonts:
                desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                program = desc.get("/FontFile3") or desc.get("/FontFile2")
                seen_fonts[key] = _glyph_ids(program.get_object().get_data()) if program else set()
            valid = seen_fonts[key]
            for item in items:
                raw = getattr(item, "original_bytes", item)
                if not isinstance(raw, bytes):
                    continue  # a kerning number of TJ
                for i in range(0, len(raw) - 1, 2):
                    cid = int.from_bytes(raw[i : i + 2], "big")
                    if cid not in valid:
                        found.append((page_no, str(font["/BaseFont"]), cid))
        elif op == b"Do":
            xobj = (resources.get("/XObject") or {})[operands[0]].get_object()
            if xobj.get("/Subtype") == "/Form":
                _walk_text(
                    reader, xobj, xobj.get("/Resources") or resources, found, page_no, seen_fonts
                )


def missing_glyphs(pdf) -> list[tuple]:
    """Every glyph a PDF draws that its embedded font does not have: the "tofu" boxes.

    WeasyPrint writes text in Type0 (CID) fonts, two bytes per glyph. A
    character no font covers is drawn as ``.notdef`` (CID 0) or an id past the
    font's glyphs (WeasyPrint uses 0xFFFF); both are reported as (page,
    font, cid). An empty list means every glyph drawn exists in its font.
    """
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    found: list[tuple] = []
    seen: dict[int, set[int]] = {}
    for n, page in enumerate(reader.pages, 1):
        _walk_text(reader, page.get_contents(), page["/Resources"], found, n, seen)
    return found
