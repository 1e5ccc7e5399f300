import subprocess
import warnings

import numpy as np
import pytest

from landclear.errors import LandclearError
from landclear.maps import locator_map, static_map
from landclear.maps.legend import STATE_STYLES


def test_static_png_has_chinese_without_missing_glyphs_and_state_colours(fake, tmp_path):
    from PIL import Image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = static_map(fake, "测试园区", tmp_path / "park.png", dpi=60)
    assert not [
        w for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)
    ]
    img = np.asarray(Image.open(path).convert("RGB"), dtype=int).reshape(-1, 3)
    red = np.array(
        [int(STATE_STYLES["recoverable"]["fillColor"][i : i + 2], 16) for i in (1, 3, 5)]
    )
    # alpha 0.85 on white
    want = 0.85 * red + 0.15 * 255
    assert (np.abs(img - want).max(axis=1) <= 6).sum() > 50


def test_static_pdf_embeds_a_cjk_font(fake, tmp_path):
    path = static_map(fake, "惠农/园区:B", tmp_path / "b.pdf")
    assert path.read_bytes()[:4] == b"%PDF"
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts


def test_static_rejects_bad_format_and_park(fake, tmp_path):
    with pytest.raises(LandclearError):
        static_map(fake, "测试园区", tmp_path / "x.svg")
    with pytest.raises(LandclearError):
        static_map(fake, "无", tmp_path / "x.png")


def test_locator_map_highlights_the_parcel(fake, tmp_path):
    pid = fake.parcels["parcel_id"].iloc[7]
    shape = fake.park_shapes.geometry.iloc[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = locator_map(fake.parcels, pid, shape, radius_m=200)
        fig.savefig(tmp_path / "loc.png", dpi=80)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_legend().get_texts()]
    assert "北" in texts and "本宗地" in texts and any("米" in t for t in texts)
    with pytest.raises(LandclearError):
        locator_map(fake.parcels, "nope")
