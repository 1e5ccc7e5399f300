"""Templates: autoescape, user overrides, fonts."""

from __future__ import annotations

import dataclasses

import pytest

from landclear.reports.parcel import build_contexts
from landclear.reports.render import (
    make_environment,
    render_parcel_html,
    template_dir_of,
    template_version,
)

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>${alert(3)}"


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
