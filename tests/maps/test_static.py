import re
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


def _glyph_warnings(caught) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if "Glyph" in str(w.message) or "missing from font" in str(w.message)
    ]


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_sample_park_static_export_has_legend_scale_north_and_chinese_text(
    sample_result, tmp_path, fmt
):
    from landclear.maps.legend import STATE_ORDER, parcel_state, state_label

    park = "石嘴山经济技术开发区"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = static_map(sample_result, park, tmp_path / f"park.{fmt}", dpi=80)
    assert _glyph_warnings(caught) == []
    if fmt == "png":
        from PIL import Image

        assert Image.open(path).size == (round(11.7 * 80), round(8.3 * 80))
        return
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "CJK" in fonts
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"[ \t]+", " ", text)
    parcels = sample_result.parcels[sample_result.parcels["park"] == park]
    state = parcel_state(parcels)
    for s in STATE_ORDER:
        n = int((state == s).sum())
        if n:
            mu = parcels.loc[(state == s).to_numpy(), "area_mu"].sum()
            assert f"{state_label(s)} {n} 宗 {mu:,.1f} 亩" in text, s
    for word in (park, "宗地状态", "园区边界", "北", "基准日 2024-06-30", "石嘴山市"):
        assert word in text, word
    assert re.search(r"\b\d+(\.\d+)? (米|千米)\b", text)  # scale bar label


def test_scale_bar_and_north_arrow_are_right(fake):
    import math

    import pyproj
    from matplotlib.figure import Figure

    from landclear.maps.static import _convergence_deg, add_north_arrow, add_scale_bar

    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 3000)
    length = add_scale_bar(ax)
    assert length == 500  # a round quarter of 3 km
    assert [t.get_text() for t in ax.texts] == ["500 米", "0"]
    bar = sum(p.get_width() for p in ax.patches)  # two halves, axes fraction
    assert bar * 3000 == pytest.approx(500)
    # True north leans west of grid north east of the central meridian (105°E, EPSG:4544).
    gamma = _convergence_deg(pyproj.CRS.from_epsg(4544), 106.4, 39.0)
    assert gamma == pytest.approx(
        -math.degrees(math.atan(math.tan(math.radians(1.4)) * math.sin(math.radians(39.0)))),
        abs=0.01,
    )
    assert _convergence_deg(pyproj.CRS.from_epsg(4545), 108.0, 39.0) == pytest.approx(0, abs=1e-6)
    add_north_arrow(ax, angle_deg=gamma)
    assert "北" in [t.get_text() for t in ax.texts]


def test_park_name_with_dollar_signs_is_drawn_literally(fake, tmp_path):
    from dataclasses import replace

    name = "一区$a_$二期$x^2$"  # an even number of "$": mathtext would parse (and fail)
    parcels = fake.parcels.copy()
    parcels.loc[parcels["park"] == "测试园区", "park"] = name
    shapes = fake.park_shapes.copy()
    shapes.loc[shapes["park"] == "测试园区", "park"] = name
    result = replace(fake, parcels=parcels, park_shapes=shapes)
    path = static_map(result, name, tmp_path / "d.pdf")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert name in re.sub(r"\s+", "", text)  # literal, not mathtext (which would drop the "$")
