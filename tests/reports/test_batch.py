"""The batch: files for every listed parcel, PDF text and fonts, index links, resumability."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from pdfcheck import pdftotext
from pypdf import PdfReader

from landclear.reports import render_parcel_reports

EVIL = "<img src=x onerror=alert(1)>${alert(2)}"
SCRIPT = "<script>alert('一地一档')</script>宁夏某某有限公司"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_listed_parcel_has_its_files(sample_result, batch, batch_dir):
    p = sample_result.parcels
    listed = set(p.loc[p["lists"] >= 1, "parcel_id"].astype(str))
    assert set(batch.table["parcel_id"].astype(str)) == listed
    assert batch.rendered == len(listed) and batch.skipped == 0
    for kind in ("html", "pdf", "png"):
        files = list((batch_dir / "parcels").glob(f"*.{kind}"))
        assert len(files) == len(listed), kind


def test_pdf_text_layer_has_name_and_action(sample_result, batch, batch_dir):
    p = sample_result.parcels.set_index("parcel_id")
    ent = sample_result.enterprises.set_index("enterprise_id")["name"]
    for row in batch.table.head(8).itertuples():  # a handful of files: clarity over speed
        pdf = batch_dir / row.pdf
        text = _squash(pdftotext(pdf))
        parcel = p.loc[row.parcel_id]
        name = ent.get(parcel["enterprise_id"], parcel["owner_name"])
        assert _squash(str(name)) in text
        assert _squash(parcel["action"]) in text
        assert "一地一档" in text and row.parcel_id in text
        pypdf_text = _squash("".join(pg.extract_text() for pg in PdfReader(pdf).pages))
        assert _squash(str(name)) in pypdf_text
        assert _squash(parcel["action"]) in pypdf_text


def test_pdf_fonts_embedded_cjk_and_no_type3(batch, batch_dir):
    for rel in batch.table["pdf"].head(8):
        out = subprocess.run(
            ["pdffonts", str(batch_dir / rel)], capture_output=True, text=True, check=True
        ).stdout
        rows = out.splitlines()[2:]
        assert rows, out
        assert any("CJK" in r for r in rows), out
        assert not any("Type 3" in r for r in rows), out
        for r in rows:  # emb column is "yes" for every font
            assert re.search(r"\byes\s+yes\s+yes\b", r), r


def _embedded_cmaps(pdf: Path) -> list[dict[int, str]]:
    from fontTools.ttLib import TTFont

    cmaps = []
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            data = (desc.get("/FontFile3") or desc.get("/FontFile2")).get_object().get_data()
            cmaps.append(TTFont(io.BytesIO(data)).getBestCmap() or {})
    return cmaps


def test_no_pdf_draws_a_missing_glyph(batch, batch_dir, no_tofu):
    """Every glyph of every file exists in its embedded font, looked up as viewers do."""
    for rel in batch.table["pdf"]:
        no_tofu(batch_dir / rel)


def test_no_missing_glyph_for_the_enterprise_name(sample_result, batch, batch_dir):
    p = sample_result.parcels.set_index("parcel_id")
    for row in batch.table.head(8).itertuples():
        name = str(p.loc[row.parcel_id, "owner_name"])
        cmaps = _embedded_cmaps(batch_dir / row.pdf)
        for ch in name:
            glyphs = [cm.get(ord(ch)) for cm in cmaps]
            assert any(g not in (None, ".notdef", "cid00000") for g in glyphs), (ch, name)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href"]


def test_index_links_resolve(batch, batch_dir):
    parser = _Links()
    parser.feed(batch.index_html.read_text("utf-8"))
    assert len(parser.hrefs) == 2 * len(batch.table)
    for href in parser.hrefs:
        target = (batch_dir / unquote(href)).resolve()
        assert target.is_relative_to(batch_dir.resolve()) and target.is_file(), href
    ws = openpyxl.load_workbook(batch.index_xlsx).worksheets[0]
    links = [c.hyperlink.target for row in ws.iter_rows(min_row=2) for c in row if c.hyperlink]
    assert len(links) == 2 * len(batch.table)
    for link in links:
        assert (batch_dir / link).is_file(), link


def test_html_image_links_resolve(batch, batch_dir):
    html = (batch_dir / batch.table["html"].iloc[0]).read_text("utf-8")
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert (batch_dir / "parcels" / unquote(src)).is_file()


def test_rerun_regenerates_nothing(sample_result, batch, batch_dir):
    before = {
        f: f.stat().st_mtime_ns
        for f in (batch_dir / "parcels").iterdir()
        if f.suffix in (".html", ".pdf", ".png")
    }
    again = render_parcel_reports(
        sample_result, batch_dir, where="lists>=1", workers=2, progress=False
    )
    assert again.rendered == 0 and again.skipped == len(batch.table)
    after = {f: f.stat().st_mtime_ns for f in before}
    assert after == before


def test_only_changed_or_damaged_files_rerender(sample_result, tmp_path):
    kw = {"where": "lists>=2", "workers": 1, "progress": False}
    first = render_parcel_reports(sample_result, tmp_path, **kw)
    assert first.rendered == len(first) > 1
    # A changed parcel: only its files are redone.
    parcels = sample_result.parcels.copy()
    pid = first.table["parcel_id"].iloc[0]
    parcels.loc[parcels["parcel_id"] == pid, "action_reason"] = "人工复核后更新的理由"
    changed = dataclasses.replace(sample_result, parcels=parcels)
    second = render_parcel_reports(changed, tmp_path, **kw)
    assert second.rendered == 1
    assert second.table.loc[second.table["status"] == "rendered", "parcel_id"].tolist() == [pid]
    # A deleted PDF is redone; nothing else.
    victim = tmp_path / first.table["pdf"].iloc[1]
    victim.unlink()
    third = render_parcel_reports(changed, tmp_path, **kw)
    assert third.rendered == 1 and victim.exists()


def test_hostile_ids_stay_inside_and_text_stays_text(sample_result, tmp_path):
    parcels = sample_result.parcels.copy()
    rows = parcels.index[parcels["lists"] >= 1][:4]
    parcels.loc[rows, "parcel_id"] = ["../../x", "/etc/passwd", "CON", "..\\..\\y"]
    parcels.loc[rows, "enterprise_id"] = None  # fall back to the (hostile) owner name
    parcels.loc[rows, "owner_name"] = EVIL
    hostile = dataclasses.replace(sample_result, parcels=parcels)
    out = tmp_path / "out"
    idx = render_parcel_reports(
        hostile,
        out,
        where="lists>=1",
        park=None,
        workers=1,
        progress=False,
        parcel_ids=["../../x", "/etc/passwd", "CON", "..\\..\\y"],
    )
    assert len(idx) == 4
    for f in out.rglob("*"):
        assert f.resolve().is_relative_to(out.resolve())
    assert not (tmp_path / "x.html").exists() and not Path("/etc/passwd.html").exists()
    for rel in idx.table["html"]:
        html = (out / rel).read_text("utf-8")
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    pdf_text = _squash(pdftotext(out / idx.table["pdf"].iloc[0]))
    assert _squash(EVIL) in pdf_text


def test_enterprise_name_with_script_stays_text(sample_result, tmp_path, no_tofu):
    """A ledger name holding <script> is printed as text in the HTML, the index and the PDF."""
    p = sample_result.parcels
    row = p[(p["lists"] >= 1) & p["enterprise_id"].notna()].iloc[0]
    ents = sample_result.enterprises.copy()
    ents.loc[ents["enterprise_id"] == row["enterprise_id"], "name"] = SCRIPT
    parcels = p.copy()
    parcels.loc[parcels["parcel_id"] == row["parcel_id"], "owner_name"] = SCRIPT
    hostile = dataclasses.replace(sample_result, enterprises=ents, parcels=parcels)
    idx = render_parcel_reports(
        hostile, tmp_path, parcel_ids=[row["parcel_id"]], workers=1, progress=False
    )
    html = (tmp_path / idx.table["html"].iloc[0]).read_text("utf-8")
    index = idx.index_html.read_text("utf-8")
    for text in (html, index):
        assert "<script>" not in text
        assert "&lt;script&gt;alert(&#39;一地一档&#39;)&lt;/script&gt;" in text
    pdf = tmp_path / idx.table["pdf"].iloc[0]
    assert _squash(SCRIPT) in _squash(pdftotext(pdf))
    no_tofu(pdf)


@pytest.mark.browser
def test_index_and_file_render_inert_in_chromium(sample_result, tmp_path, browser):

    parcels = sample_result.parcels.copy()
    row = parcels.index[parcels["lists"] >= 1][:1]
    parcels.loc[row, "enterprise_id"] = None
    parcels.loc[row, "owner_name"] = EVIL
    parcels.loc[row, "parcel_id"] = EVIL
    hostile = dataclasses.replace(sample_result, parcels=parcels)
    idx = render_parcel_reports(
        hostile, tmp_path, parcel_ids=[EVIL], pdf=False, workers=1, progress=False
    )
    dialogs: list[str] = []
    # one shared browser for the run (tests/conftest.py)
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(idx.index_html.as_uri())
    assert EVIL in page.inner_text("table")
    page.click("text=HTML")
    page.wait_for_load_state()
    assert page.url.endswith(".html") and "/parcels/" in page.url
    assert EVIL in page.inner_text("body")
    img_ok = page.evaluate("() => [...document.images].every(i => i.naturalWidth > 0)")
    page.close()
    assert dialogs == [] and img_ok


def test_cli_report(tmp_path):
    import click
    from click.testing import CliRunner

    from landclear.reports import register_cli

    root = Path(__file__).resolve().parents[2]

    @click.group()
    def main() -> None:
        pass

    register_cli(main)
    res = CliRunner().invoke(
        main,
        [
            "report",
            str(root / "shapefiles" / "project.toml"),
            "--out",
            str(tmp_path),
            "--where",
            "lists>=3",
            "--no-pdf",
            "--workers",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "index.html").is_file() and (tmp_path / "index.xlsx").is_file()
    assert not list((tmp_path / "parcels").glob("*.pdf"))
    bad = CliRunner().invoke(
        main,
        [
            "report",
            str(root / "shapefiles" / "project.toml"),
            "--out",
            str(tmp_path),
            "--where",
            "lsts>=1",
        ],
    )
    assert bad.exit_code == 2 and "lists" in bad.output
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_cli_report_park_and_selectors(sample_result, tmp_path):
    """`--park` and repeated `--where` (AND), with `|` alternatives (OR), as pandas says."""
    import click
    from click.testing import CliRunner

    from landclear.reports import register_cli

    root = Path(__file__).resolve().parents[2]

    @click.group()
    def main() -> None:
        pass

    register_cli(main)
    park = "平罗工业园区"
    args = ["report", str(root / "shapefiles" / "project.toml"), "--out", str(tmp_path)]
    args += ["--park", park, "--where", "idle|grade=D", "--where", "lists>=1"]
    res = CliRunner().invoke(main, [*args, "--no-pdf", "--workers", "2"])
    assert res.exit_code == 0, res.output
    p = sample_result.parcels
    want = p[(p["park"] == park) & (p["idle"] | (p["grade"] == "D")) & (p["lists"] >= 1)]
    assert 0 < len(want) < int((p["lists"] >= 1).sum())
    ws = openpyxl.load_workbook(tmp_path / "index.xlsx").worksheets[0]
    got = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert got == set(want["parcel_id"])
    html_files = {f.stem for f in (tmp_path / "parcels").glob("*.html")}
    assert html_files == set(want["parcel_id"])  # clean ids keep their name


def test_locator_map_shows_parcel_neighbours_park_scale_and_north(sample_result, batch, batch_dir):
    """What the file's map draws: the parcel in red among grey neighbours, the park's
    outline, a scale bar and a north arrow; and the PNG in the file shows them."""
    import numpy as np
    from matplotlib.colors import to_hex
    from matplotlib.image import imread

    from landclear.reports import locator
    from landclear.reports.parcel import map_geometries

    p = sample_result.parcels
    row = p[(p["lists"] >= 1) & p["park"].notna()].iloc[[0]]
    pid = row["parcel_id"].iloc[0]
    ((hood, park),) = map_geometries(sample_result, row)
    assert len(hood) > 3 and len(park) >= 1  # neighbours and the park outline reach the map
    png = locator.locator_png(hood, pid, park)
    _, ax = locator._figure(locator.SIZE_MM / 25.4)
    faces = {to_hex(c) for coll in ax.collections for c in np.atleast_2d(coll.get_facecolor())}
    assert {"#d7191c", "#d9d9d9", "#eef4fb"} <= faces, faces  # parcel, neighbours, park
    texts = [t.get_text() for t in ax.texts]
    assert any(re.fullmatch(r"[\d.]+ (米|千米)", t) for t in texts), texts  # scale bar
    assert "北" in texts  # north arrow label
    assert any(type(t).__name__ == "Annotation" for t in ax.texts)  # the arrow itself
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"本宗地", "周边宗地", "园区边界"} <= set(legend)
    # The PNG written into the batch: the highlighted parcel sits in the middle.
    stem = batch.table.set_index("parcel_id").loc[pid, "file"]
    img = imread(batch_dir / "parcels" / f"{stem}.png")[..., :3]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    h, w = img.shape[:2]
    red = (img[..., 0] > 0.7) & (img[..., 1] < 0.3) & (img[..., 2] < 0.3)
    assert red[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10].any()
    assert red.mean() > 0.005
    grey = (np.abs(img - 0xD9 / 255).max(axis=2) < 0.02).mean()
    assert grey > 0.02  # neighbours cover part of the picture


@pytest.mark.slow
def test_make_demo_writes_the_parcel_files_progress_charts_and_bulletin(tmp_path, no_tofu):
    """Both issues' "done when": `landclear demo` (what `make demo` runs) on the sample."""
    import json

    from click.testing import CliRunner

    from landclear.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    planted = json.loads(
        (Path(__file__).resolve().parents[2] / "shapefiles" / "planted.json").read_text("utf-8")
    )["progress"]
    # 一地一档 for every parcel on at least one list, with the index (HTML and xlsx).
    ws = openpyxl.load_workbook(out / "reports" / "index.xlsx").worksheets[0]
    ids = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    import geopandas as gpd

    layer = gpd.read_file(out / "landclear.gpkg", layer="parcels")
    assert ids == set(layer.loc[layer["lists"] >= 1, "parcel_id"]) and ids
    assert len(list((out / "reports" / "parcels").glob("*.pdf"))) == len(ids)
    assert (out / "reports" / "index.html").is_file()
    # progress.json (DOMAIN §8), the charts and the half-year bulletin.
    progress = json.loads((out / "progress.json").read_text("utf-8"))
    assert progress["cleared_enterprises"] == planted["cleared_enterprises"]
    assert progress["target_enterprises"] == 80 and progress["target_mu"] == 4000
    for key in ("monthly", "by_park", "by_county"):
        assert progress[key]
    assert (out / "progress.png").is_file() and (out / "charts" / "burnup_mu.svg").is_file()
    no_tofu(out / "bulletin" / "bulletin.pdf")
    assert "进展通报" in (out / "bulletin" / "bulletin.html").read_text("utf-8")


_PARENT: list[int] = []


def _dies_in_a_worker(job):
    """A render job whose worker process dies (the pool pickles it by name)."""
    import os

    import landclear.reports.batch as batch_mod

    if os.getpid() not in _PARENT:
        os._exit(1)
    return batch_mod._REAL_RENDER_JOB(job)


def test_a_dead_worker_does_not_lose_the_batch(sample_result, tmp_path, monkeypatch):
    """A worker killed mid-batch (OOM killer, a native crash): the rest render in this process."""
    import os

    import landclear.reports.batch as batch_mod

    _PARENT[:] = [os.getpid()]
    monkeypatch.setattr(batch_mod, "_REAL_RENDER_JOB", batch_mod._render_job, raising=False)
    monkeypatch.setattr(batch_mod, "_render_job", _dies_in_a_worker)
    kw = {"where": "lists>=2", "pdf": False, "progress": False}
    with pytest.warns(RuntimeWarning, match="worker process died"):
        idx = render_parcel_reports(sample_result, tmp_path, workers=2, **kw)
    assert len(idx) > 2 and idx.rendered == len(idx)
    for rel in idx.table["html"]:
        assert (tmp_path / rel).exists()
