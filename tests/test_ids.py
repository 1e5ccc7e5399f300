"""Tests of landclear.ids: credit codes, names, parcel codes, land-use codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclear.ids import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_char,
    credit_code_status,
    credit_code_valid,
    is_industrial_land_use,
    normalise_credit_code,
    normalise_land_use,
    normalise_name,
    parcel_code_parts,
)

VECTORS = Path(__file__).parent / "data" / "uscc" / "uscc_vectors.csv"


def reference_check_char(first17: str) -> str:
    """GB 32100 check character, written out longhand as in the standard."""
    weights = [3**i % 31 for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


# ---------------------------------------------------------------- credit codes


def test_weights_are_the_published_ones():
    assert [3**i % 31 for i in range(17)] == [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91110000600037341L", True),  # DOMAIN §4
        ("91340600MA2PBM9HXD", True),  # DOMAIN §4
        ("91110000600037341N", False),  # DOMAIN §4: wrong check char
        ("91350100M000100Y43", True),  # GB 32100 official example
        ("9111000060003IOZSV", False),  # I O Z S V not in the alphabet
        ("911100006000373410", False),
        ("91A10000600037341L", False),  # letter in positions 3-8
        ("91110000600037341", False),  # 17 chars
        ("91110000600037341L已注销", False),  # remark kept, so invalid
    ],
)
def test_domain_examples(code, valid):
    assert credit_code_valid(pd.Series([code])).tolist() == [valid]


def test_check_char_examples():
    assert credit_code_check_char("91110000600037341") == "L"
    assert credit_code_check_char("91340600MA2PBM9HX") == "D"
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert credit_code_check_char("911101005JLR20JR6") == "0"
    with pytest.raises(ValueError):
        credit_code_check_char("9111000060003734")
    with pytest.raises(ValueError):
        credit_code_check_char("9111000060003734O")


def test_published_vectors():
    v = pd.read_csv(VECTORS, dtype=str, keep_default_na=False)
    assert len(v) == 234
    expected = v["expected_valid"].eq("True").to_numpy()
    level = v["check_level_in_source"]
    format_only = level.str.contains(
        "checkCode:false|format only|no checksum", regex=True
    ).to_numpy()
    status = credit_code_status(v["code"]).to_numpy()
    full = status == "valid"
    format_ok = ~np.isin(status, ["bad_length", "bad_chars", "missing"])
    assert (full[~format_only] == expected[~format_only]).all(), v["code"][~format_only][
        full[~format_only] != expected[~format_only]
    ].tolist()
    assert (format_ok[format_only] == expected[format_only]).all()
    # 221 = rows whose recomputed_gb32100_checkdigit_ok is True in the CSV
    # (computed when the shared folder was assembled, not by landclear).
    assert int(full.sum()) == 221
    # Valid only because the source skipped the check digit:
    assert credit_code_status(["91350100M000100Y4A"]).tolist() == ["bad_check"]
    # Real, issued codes that fail GB 32100 (IDCheck): flagged, not crashed on.
    real_bad = ["91350211M0000XUF46", "91350100M0001TGQXM", "91350203M0001FUE2P"]
    assert credit_code_status(real_bad).tolist() == ["bad_check"] * 3
    # Separators and spaces are stripped (stdnum compact()).
    assert credit_code_valid(["91 110000 600037341L", "9 1 110000 600037341L"]).all()


def test_status_reasons_and_placeholders():
    s = pd.Series(["", "无", " / ", None, "12345", "9111000060003IOZSV", "91110000600037341N"])
    assert credit_code_status(s).tolist() == [
        "missing", "missing", "missing", "missing", "bad_length", "bad_chars", "bad_check",
    ]  # fmt: skip


def test_normalise_keeps_index_and_reads_numbers():
    s = pd.Series(
        ["９１１１００００６０００３７３４１ｌ", 914403001922038216, "9111-0000-6000-3734-1L"],
        index=[7, 3, 9],
    )
    out = normalise_credit_code(s)
    assert out.index.tolist() == [7, 3, 9]
    assert out.tolist() == ["91110000600037341L", "914403001922038216", "91110000600037341L"]
    assert credit_code_valid(s).tolist() == [True, True, True]


def test_vectorised_many_rows():
    codes = pd.Series(["91110000600037341L", "91110000600037341N", None] * 50_000)
    assert int(credit_code_valid(codes).sum()) == 50_000


_head = st.text(CREDIT_CODE_ALPHABET, min_size=2, max_size=2)
_div = st.text("0123456789", min_size=6, max_size=6)
_body = st.text(CREDIT_CODE_ALPHABET, min_size=9, max_size=9)
prefixes = st.builds(lambda a, b, c: a + b + c, _head, _div, _body)


@settings(max_examples=200, deadline=None)
@given(prefixes)
def test_prefix_plus_check_char_is_valid(first17):
    check = credit_code_check_char(first17)
    assert check == reference_check_char(first17)
    assert credit_code_valid([first17 + check]).tolist() == [True]


@settings(max_examples=200, deadline=None)
@given(prefixes, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_detected(first17, pos, shift):
    # 31 is prime and every weight is non-zero mod 31, so one changed
    # character always changes the weighted sum: never "still valid".
    code = first17 + credit_code_check_char(first17)
    new = CREDIT_CODE_ALPHABET[(CREDIT_CODE_ALPHABET.index(code[pos]) + shift) % 31]
    changed = code[:pos] + new + code[pos + 1 :]
    assert credit_code_valid([changed]).tolist() == [False]


@settings(max_examples=200, deadline=None)
@given(prefixes, st.integers(0, 16))
def test_adjacent_swap_is_detected(first17, pos):
    code = first17 + credit_code_check_char(first17)
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert credit_code_valid([swapped]).tolist() == [swapped == code]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=150, deadline=None)
@given(prefixes, st.lists(st.sampled_from([" ", "-", "\u3000", "\t"]), min_size=18, max_size=18))
def test_variants_normalise_to_the_same_code(first17, seps):
    code = first17 + credit_code_check_char(first17)
    spaced = "".join(c + s for c, s in zip(code, seps, strict=True))
    variants = pd.Series([code, code.lower(), _fullwidth(code), _fullwidth(code.lower()), spaced])
    assert normalise_credit_code(variants).tolist() == [code] * 5
    assert credit_code_valid(variants).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=25), min_size=1, max_size=10))
def test_normalisation_is_idempotent(values):
    s = pd.Series(values, dtype=object)
    once = normalise_credit_code(s)
    assert normalise_credit_code(once).equals(once)
    names = normalise_name(s)
    assert normalise_name(names).equals(names)
    parents = normalise_name(s, drop_branch=True)
    assert normalise_name(parents, drop_branch=True).equals(parents)


# ---------------------------------------------------------------- names


def test_normalise_name_rules():
    s = pd.Series(
        [
            " 石嘴山市 恒达（集团）有限责任公司 ",
            "石嘴山市恒达(集团)有限公司。",
            "石嘴山市恒达【集团】有限公司",
            "石嘴山市恒达〔集团〕有限公司\u200b",
            "ningxia abc 科技股份有限公司",
            "",
            None,
        ]
    )
    out = normalise_name(s)
    assert out[:4].tolist() == ["石嘴山市恒达(集团)有限公司"] * 4
    assert out[4] == "NINGXIAABC科技股份有限公司"  # 股份有限公司 kept distinct
    assert out[5:].isna().all()


def test_drop_branch():
    s = pd.Series(
        [
            "宁夏XX化工有限公司大武口分公司",
            "宁夏XX化工有限公司（石嘴山分公司）",
            "石嘴山钢铁厂第二分厂",
            "宁夏YY集团惠农营业部",
            "石嘴山分公司",  # no parent part: left alone
            "宁夏XX化工有限公司",
            "宁夏XX化工厂有限公司惠农分公司",
            "宁夏XX有限公司分公司第一分公司",
        ]
    )
    assert normalise_name(s, drop_branch=True).tolist() == [
        "宁夏XX化工有限公司", "宁夏XX化工有限公司", "石嘴山钢铁厂", "宁夏YY集团", "石嘴山分公司",
        "宁夏XX化工有限公司", "宁夏XX化工厂有限公司", "宁夏XX有限公司",
    ]  # fmt: skip
    assert normalise_name(s).tolist()[0] == "宁夏XX化工有限公司大武口分公司"


# ---------------------------------------------------------------- parcel codes


def test_parcel_code_parts():
    s = pd.Series(
        [
            "640202003001GB00012",
            "640205 004 002 JC 00345 F00010001",  # 28-char 不动产单元代码 with spaces
            "640221003001gb00012",  # lower case
            "640202003001GB0001",  # 18 chars
            "6402020030019B00012",  # bad feature code
            "640202003001GB00012X00010001",  # bad 定着物 part
            None,
        ],
        index=list("abcdefg"),
    )
    p = parcel_code_parts(s)
    assert p.index.tolist() == list("abcdefg")
    assert p["valid"].tolist() == [True, True, True, False, False, False, False]
    assert p.loc["b"].drop("valid").tolist() == [
        "640205004002JC00345", "640205", "004", "002", "JC", "00345",
    ]  # fmt: skip
    assert p.loc["c", "county_code"] == "640221"
    assert p.loc["d"].drop("valid").isna().all()


# ---------------------------------------------------------------- land use


def test_normalise_land_use():
    s = pd.Series(
        [601, 601.0, "601.0", "0601", "061", 61, "062", "063", 63, 508, "0508",
         "工业用地", "仓储用地", "物流仓储用地", "工业用地（出让）", "0601工业用地", "05h1", 6,
         "0702", "未知用途", None, ""]
    )  # fmt: skip
    assert normalise_land_use(s).tolist() == [
        "0601", "0601", "0601", "0601", "0601", "0601", "0602", "0604", "0604", "0508", "0508",
        "0601", "0604", "0508", "0601", "0601", "05H1", "06", "0702", "未知用途", pd.NA, pd.NA,
    ]  # fmt: skip


def test_is_industrial_land_use():
    s = pd.Series(["0601", 602, "0603", "0604", "0508", "采矿用地", "0701", "05H1", None, 62.0])
    assert is_industrial_land_use(s).tolist() == [
        True, True, False, True, True, True, False, False, False, True,
    ]  # fmt: skip
    # Configurable: a city that does not count mining land.
    assert is_industrial_land_use(["0602", "0601"], industrial=("0601",)).tolist() == [False, True]


def test_whitespace_class_is_pythons_backslash_s_and_runs_in_arrow():
    """The literal class equals re's \\s; pandas hands the patterns to pyarrow (RE2)."""
    import re

    from landclear import ids

    every = [chr(i) for i in range(0x3100)]
    ws = re.compile("[" + ids.WHITESPACE + "]")
    assert [c for c in every if ws.fullmatch(c)] == [c for c in every if re.fullmatch(r"\s", c)]
    probe = pd.Series(
        ["a" + c + "b" for c in every if not 0xD800 <= ord(c) < 0xE000], dtype="string"
    )
    from landclear.io import parse

    patterns = (
        ids._SEPARATORS,
        ids._EDGE_PUNCT,
        "[" + ids.WHITESPACE + "]+",
        "[" + ids.WHITESPACE + ids.ZERO_WIDTH + "]+",
        parse._ZERO_WIDTH,
        "[" + ids.WHITESPACE + ",'_]",
    )
    for pattern in patterns:
        assert not probe.array._needs_python_regex(pattern)
        arrow = probe.str.replace(pattern, "", regex=True).tolist()
        assert arrow == [re.sub(pattern, "", v) for v in probe.tolist()]
