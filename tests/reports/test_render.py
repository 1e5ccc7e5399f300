"""Templates: autoescape, user overrides, fonts."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from pdfcheck import missing_glyphs, pdftotext

from landclear.reports.parcel import build_contexts
from landclear.reports.render import (
    make_environment,
    render_parcel_html,
    template_dir_of,
    template_version,
)

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>${alert(3)}"
ROOT = Path(__file__).resolve().parents[2]


def _context(result):
    p = result.parcels
    return build_contexts(result, p[p["lists"] >= 1].head(1))[0]


def test_untrusted_text_is_escaped(sample_result):
    ctx = _context(sample_result)
    ctx["header"]["enterprise"] = EVIL
    ctx["quality"] = [EVIL]
    ctx["lists"][0][2] = EVIL
    html = render_parcel_html(make_environment(), ctx, "a.png")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("&lt;img src=x onerror=alert(2)&gt;") >= 3
    # The trusted font stack is not escaped inside <style>.
    assert '"Noto Sans CJK SC"' in html


def test_user_templates_override_shipped_ones(sample_result, tmp_path):
    (tmp_path / "parcel.html.j2").write_text(
        "<p>自定义模板 {{ header.parcel_id }} {{ header.enterprise }}</p>", "utf-8"
    )
    project = dataclasses.replace(sample_result.project, reports={"templates": str(tmp_path)})
    folder = template_dir_of(project)
    env = make_environment(folder)
    ctx = _context(sample_result)
    ctx["header"]["enterprise"] = EVIL
    html = render_parcel_html(env, ctx, "")
    assert html.startswith("<p>自定义模板 ") and "<script>" not in html  # still autoescaped
    # style.css and index.html.j2 still come from the package.
    assert "@page" in env.get_template("style.css").render()
    assert template_version(env) != template_version(make_environment())


def test_missing_template_folder_is_a_project_error(sample_result, tmp_path):
    from landclear.errors import ProjectError

    project = dataclasses.replace(
        sample_result.project, reports={"templates": str(tmp_path / "nope")}
    )
    with pytest.raises(ProjectError):
        template_dir_of(project)


def test_missing_cjk_font_is_a_clear_error(sample_result, tmp_path, monkeypatch):
    from landclear.errors import FontError
    from landclear.fonts import cjk_font_path
    from landclear.reports import render_parcel_reports

    monkeypatch.setenv("LANDCLEAR_CJK_FONT", str(tmp_path / "none.ttf"))
    cjk_font_path.cache_clear()
    try:
        with pytest.raises(FontError, match="fonts-noto-cjk|LANDCLEAR_CJK_FONT"):
            render_parcel_reports(
                sample_result, tmp_path / "out", where="lists>=3", progress=False, workers=1
            )
        assert (
            not list((tmp_path / "out").glob("parcels/*.pdf"))
            if (tmp_path / "out").exists()
            else True
        )
    finally:
        monkeypatch.delenv("LANDCLEAR_CJK_FONT")
        cjk_font_path.cache_clear()


SAMPLE_TEXT = (
    "一地一档 石嘴山市宁夏锦晟新材料有限公司 无偿收回 640202014018GB00004 ０１２ABC（）：；"
)


def test_subset_font_keeps_cid_equal_gid_and_every_outline(tmp_path):
    """The batch's font subset draws each character exactly as the full font does."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTCollection, TTFont

    from landclear.fonts import cjk_font_path
    from landclear.reports.render import subset_font, text_charset

    path = subset_font(text_charset([SAMPLE_TEXT]), cache_dir=tmp_path)
    assert path is not None and path.parent == tmp_path
    sub = TTFont(str(path))
    order = sub.getGlyphOrder()
    assert hasattr(sub["CFF "].cff.topDictIndex[0], "ROS")  # CID-keyed, like Noto Sans CJK
    assert all(n == ".notdef" or int(n[3:]) == gid for gid, n in enumerate(order))
    src = cjk_font_path()
    number = 0
    if src.suffix.lower() in (".ttc", ".otc"):
        names = [f["name"].getDebugName(1) for f in TTCollection(str(src), lazy=True)]
        number = next(i for i, n in enumerate(names) if n.endswith(" SC"))
    full = TTFont(str(src), fontNumber=number)
    cmap_s, cmap_f = sub.getBestCmap(), full.getBestCmap()
    glyphs_s, glyphs_f = sub.getGlyphSet(), full.getGlyphSet()
    assert set(SAMPLE_TEXT.replace(" ", "")) <= {chr(u) for u in cmap_s}
    for u, name in cmap_s.items():
        a, b = RecordingPen(), RecordingPen()
        glyphs_s[name].draw(a)
        glyphs_f[cmap_f[u]].draw(b)
        assert a.value == b.value, chr(u)
        assert glyphs_s[name].width == glyphs_f[cmap_f[u]].width, chr(u)


def test_missing_glyph_check_sees_tofu_and_bad_cids(tmp_path, monkeypatch):
    """The PDF check is real: it flags a character no font has, and a packed CID font."""
    import landclear.reports.render as render

    html = f"<html><body><p>{SAMPLE_TEXT}</p></body></html>"
    good = render.subset_font(render.text_charset([SAMPLE_TEXT]), cache_dir=tmp_path / "good")
    render.html_to_pdf(html, tmp_path / "good.pdf", tmp_path, font_file=str(good))
    assert missing_glyphs(tmp_path / "good.pdf") == []
    # U+17000 (Tangut) is in no installed font: WeasyPrint draws a box.
    render.html_to_pdf(html.replace("石", "\U00017000"), tmp_path / "tofu.pdf", tmp_path)
    assert missing_glyphs(tmp_path / "tofu.pdf")
    # A subset whose glyphs were packed but kept their old CIDs: strict viewers show boxes.
    monkeypatch.setattr(render, "cid_equal_gid", lambda data: data)
    packed = render.subset_font(render.text_charset([SAMPLE_TEXT]), cache_dir=tmp_path / "bad")
    render.html_to_pdf(html, tmp_path / "packed.pdf", tmp_path, font_file=str(packed))
    assert missing_glyphs(tmp_path / "packed.pdf")


@pytest.fixture
def no_cjk_font(monkeypatch):
    """A machine without any CJK font: nothing at the known paths, nothing in a font search."""
    import landclear.fonts as fonts

    monkeypatch.delenv("LANDCLEAR_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "_CANDIDATES", ())
    monkeypatch.setattr(fonts.glob, "glob", lambda *a, **k: [])
    fonts.cjk_font_path.cache_clear()
    yield
    fonts.cjk_font_path.cache_clear()


def test_no_cjk_font_installed_is_a_clear_error(sample_result, tmp_path, no_cjk_font):
    import click
    from click.testing import CliRunner

    from landclear.errors import FontError
    from landclear.reports import register_cli, render_parcel_reports
    from landclear.reports.bulletin import write_bulletin

    with pytest.raises(FontError, match="fonts-noto-cjk") as err:
        render_parcel_reports(
            sample_result, tmp_path / "out", where="lists>=3", progress=False, workers=1
        )
    assert "LANDCLEAR_CJK_FONT" in str(err.value)
    assert not list(tmp_path.rglob("*.pdf"))  # nothing half-made
    with pytest.raises(FontError, match="fonts-noto-cjk"):
        write_bulletin(sample_result, tmp_path / "bulletin", store=tmp_path / "none.sqlite")
    assert not list(tmp_path.rglob("*.pdf"))

    @click.group()
    def main() -> None:
        pass

    register_cli(main)
    project = str(ROOT / "shapefiles" / "project.toml")
    res = CliRunner().invoke(main, ["report", project, "--out", str(tmp_path / "cli")])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "fonts-noto-cjk" in lines[0], res.output


TEMPLATE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>{% include "style.css" %}</style></head><body>
<h1>自定义档案 {{ header.parcel_id }}</h1><p>{{ header.enterprise }}</p>
<p>{{ action.action }}</p></body></html>
"""


def test_templates_from_the_project_file(tmp_path):
    """``[reports] templates`` of the project file replaces the shipped templates, in the
    worker processes and the PDFs too, for parcel files, index, stylesheet and bulletin."""
    import tomllib

    from landclear.analysis import run
    from landclear.reports import render_parcel_reports
    from landclear.reports.bulletin import write_bulletin

    work = tmp_path / "sample"
    shutil.copytree(
        ROOT / "shapefiles",
        work,
        ignore=shutil.ignore_patterns("*.sqlite*", "__pycache__", "make_sample.py"),
    )
    tpl = work / "my_templates"
    tpl.mkdir()
    (tpl / "parcel.html.j2").write_text(TEMPLATE, "utf-8")
    (tpl / "style.css").write_text("h1 { color: #123456; } /* 自定义样式 */\n", "utf-8")
    (tpl / "bulletin.html.j2").write_text(
        "<html><body><h1>自定义通报 {{ title }}</h1>"
        "{% for c in cards %}<p>{{ c.key }} {{ c.value }}</p>{% endfor %}</body></html>",
        "utf-8",
    )
    text = (work / "project.toml").read_text("utf-8")
    (work / "project.toml").write_text(text + '\n[reports]\ntemplates = "my_templates"\n', "utf-8")
    assert tomllib.loads((work / "project.toml").read_text("utf-8"))["reports"]
    result = run(work / "project.toml")
    p = result.parcels
    ids = p.loc[p["lists"] >= 1, "parcel_id"].head(3).tolist()
    idx = render_parcel_reports(result, tmp_path / "out", parcel_ids=ids, workers=2, progress=False)
    assert idx.rendered == 3
    for row in idx.table.itertuples():  # three files
        html = (tmp_path / "out" / row.html).read_text("utf-8")
        assert f"自定义档案 {row.parcel_id}" in html and "#123456" in html
        assert "@page" not in html  # the user's style.css replaced the shipped one
        pdf_text = re.sub(r"\s+", "", pdftotext(tmp_path / "out" / row.pdf))
        assert f"自定义档案{row.parcel_id}" in pdf_text
    # The bulletin template comes from the same folder.
    written = write_bulletin(result, tmp_path / "b", store=tmp_path / "none.sqlite", pdf=False)
    assert "自定义通报 石嘴山市" in written["html"].read_text("utf-8")
    # Editing a template re-renders the files made with it, and only those.
    again = render_parcel_reports(
        result, tmp_path / "out", parcel_ids=ids, workers=2, progress=False
    )
    assert again.rendered == 0
    (tpl / "style.css").write_text("h1 { color: #654321; }\n", "utf-8")
    third = render_parcel_reports(
        result, tmp_path / "out", parcel_ids=ids, workers=2, progress=False
    )
    assert third.rendered == 3


def test_html_to_pdf_replaces_the_file_only_when_complete(tmp_path, monkeypatch):
    """A PDF that fails half-way leaves the earlier file whole and no temporary file behind."""
    import weasyprint

    from landclear.reports.render import html_to_pdf

    target = tmp_path / "a.pdf"
    assert html_to_pdf("<p>石嘴山</p>", target, tmp_path) == target
    before = target.read_bytes()
    assert before.startswith(b"%PDF")

    def half_then_fail(self, target=None, **kwargs):
        Path(target).write_bytes(b"%PDF-1.7 truncated")
        raise OSError("disk full")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        html_to_pdf("<p>平罗</p>", target, tmp_path)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]
