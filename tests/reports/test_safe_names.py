"""File names from untrusted parcel ids never leave the output folder."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from landclear.reports.safe_names import assign_stems, safe_join, safe_stem

HOSTILE = [
    "../../x",
    "/etc/passwd",
    "CON",
    "con.txt",
    "..",
    ".",
    "",
    "a\\..\\b",
    "NUL",
    "宗地/../../01",
    "\x00evil",
    ".hidden",
    "x" * 500,
    "LPT1",
    "COM¹",
]


def test_clean_ids_are_kept():
    assert safe_stem("640202001001GB00001") == "640202001001GB00001"
    assert safe_stem("石嘴山-01_a") == "石嘴山-01_a"


def test_hostile_ids_stay_inside(tmp_path):
    for stem in assign_stems(HOSTILE):
        for ext in (".html", ".pdf", ".png"):
            path = (tmp_path / "parcels" / f"{stem}{ext}").resolve()
            assert path.is_relative_to(tmp_path.resolve()), stem
            assert path.parent == (tmp_path / "parcels").resolve()
        assert not stem.startswith(".")
        assert stem.upper().split("-")[0] not in {"CON", "NUL", "LPT1"} or "-" in stem
        assert len(stem) <= 64 + 9 + 4


def test_changed_ids_get_a_hash_and_names_are_unique():
    stems = assign_stems(["A/1", "A_1", "a_1", "B", "B", "ＡＢ１"])
    assert len({s.casefold() for s in stems}) == len(stems)
    assert re.fullmatch(r"A_1-[0-9a-f]{8}", stems[0])
    assert stems[0] != stems[1]  # "A_1" collides with the cleaned "A/1"
    assert re.fullmatch(r"AB1-[0-9a-f]{8}", stems[5])  # NFKC, then hashed as changed


def test_reserved_device_names():
    assert safe_stem("CON") != "CON" and safe_stem("CON").startswith("CON-")
    assert safe_stem("lpt1").startswith("lpt1-")


def test_safe_join_refuses_escape(tmp_path):
    import pytest

    from landclear.errors import LandclearError

    assert safe_join(tmp_path, "a.html") == (tmp_path / "a.html").resolve()
    with pytest.raises(LandclearError):
        safe_join(tmp_path, "../x")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=8))
def test_any_text_gives_a_safe_unique_name(ids):
    stems = assign_stems(ids)
    assert len({s.casefold() for s in stems}) == len(stems)
    for s in stems:
        assert s and not s.startswith((".", "-"))
        assert re.fullmatch(r"[\w\-]+", s), s
        assert "/" not in s and "\\" not in s and ".." not in s
