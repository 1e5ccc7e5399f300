import json

from synthetic import XSS_NAMES

from landclear.maps.safety import esc, safe_filename, script_json, unique_filenames


def test_esc_html_context():
    assert esc(XSS_NAMES[0]) == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<" not in esc(XSS_NAMES[2]) and ">" not in esc(XSS_NAMES[2])
    assert esc(None) == esc(float("nan")) == ""


def test_script_json_cannot_close_the_script_and_round_trips():
    text = script_json({"n": list(XSS_NAMES) + ["\u2028", "石嘴山"]})
    assert "</script" not in text.lower() and "<" not in text and "\u2028" not in text
    assert "石嘴山" in text  # Chinese is not \u-escaped (size)
    assert json.loads(text)["n"][:3] == list(XSS_NAMES)


def test_safe_filename_keeps_chinese_and_stays_in_folder():
    assert safe_filename("石嘴山经济技术开发区") == "石嘴山经济技术开发区"
    for bad in ("../../etc/passwd", "..\\..\\x", "/abs/path", "a:b*c?d", "..", ".", "", None):
        name = safe_filename(bad)
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert ":" not in name and "*" not in name and "?" not in name
    assert safe_filename("NUL").upper() != "NUL"
    assert len(safe_filename("园" * 200).encode()) <= 120


def test_unique_filenames_disambiguates_collisions():
    out = unique_filenames(["A/B", "A:B", "a_b", "overview", "园区"], reserved={"overview"})
    assert out == ["A_B", "A_B-2", "a_b-3", "overview-2", "园区"]
    assert len({o.casefold() for o in out}) == len(out)
