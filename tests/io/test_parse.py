"""Tests of landclear.io.parse: every accepted style, with numbers computed independently."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclear.io.parse import (
    harmonise,
    parse_bools,
    parse_dates,
    parse_money,
    parse_numbers,
    parse_quantity,
    to_text,
    unit_factor,
)
from landclear.quality import QualityLog

_FULL = str.maketrans("0123456789.,-/()", "０１２３４５６７８９．，－／（）")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _iso(ts: pd.Timestamp) -> str | None:
    return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")


# ----------------------------------------------------------------- dates


def test_parse_dates_every_style():
    cells = [
        "2021-06-30",
        " 2021/6/30 ",
        "2021.6.30",
        "2021年6月30日",
        "２０２１年６月３０日",
        "20210630",
        20210630,
        44377,  # Excel serial: (2021-06-30 - 1899-12-30).days
        44377.75,  # serial with a time of day
        "44377",
        dt.date(2021, 6, 30),
        dt.datetime(2021, 6, 30, 15, 30),
        pd.Timestamp("2021-06-30"),
        "2021-06-30 00:00:00",
        "2021 年 6 月 30 日",
    ]
    assert (dt.date(2021, 6, 30) - _EXCEL_EPOCH).days == 44377
    dates, bad = parse_dates(pd.Series(cells, dtype=object))
    assert [_iso(d) for d in dates] == ["2021-06-30"] * len(cells)
    assert not bad.any()
    assert dates.dtype == "datetime64[ns]"


def test_parse_dates_month_only_is_first_of_month():
    dates, bad = parse_dates(pd.Series(["2021年6月", "202106", "2021-06", "2021.6", 202106]))
    assert [_iso(d) for d in dates] == ["2021-06-01"] * 5
    assert not bad.any()


def test_parse_dates_empty_markers_are_missing_not_bad():
    cells = ["", "  ", "-", "/", "无", "—", "——", "－", None, np.nan, pd.NaT]
    dates, bad = parse_dates(pd.Series(cells, dtype=object))
    assert dates.isna().all()
    assert not bad.any()


@pytest.mark.parametrize(
    "cell", ["2021-02-30", "2021-13-01", "2021/6/31", "abc", "1/2/2021", "2021", 12345, 99999, True]
)
def test_parse_dates_invalid_is_bad(cell):
    dates, bad = parse_dates(pd.Series([cell], dtype=object))
    assert dates.isna().all()
    assert bad.tolist() == [True]


def test_parse_dates_keeps_index_even_when_duplicated():
    s = pd.Series(["2021-01-02", "x", "2020-12-31"], index=[7, 7, 3], dtype=object)
    dates, bad = parse_dates(s)
    assert list(dates.index) == [7, 7, 3]
    assert [_iso(d) for d in dates] == ["2021-01-02", None, "2020-12-31"]
    assert bad.tolist() == [False, True, False]


def _format_date(d: dt.date, style: str) -> object:
    serial = (d - _EXCEL_EPOCH).days
    return {
        "iso": d.isoformat(),
        "slash": f"{d.year}/{d.month}/{d.day}",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "cn": f"{d.year}年{d.month}月{d.day}日",
        "compact": f"{d.year:04d}{d.month:02d}{d.day:02d}",
        "compact_int": int(f"{d.year:04d}{d.month:02d}{d.day:02d}"),
        "serial_int": serial,
        "serial_float": float(serial) + 0.25,
        "serial_text": str(serial),
        "date": d,
        "datetime": dt.datetime(d.year, d.month, d.day, 8, 0),
        "fullwidth": f"{d.year}/{d.month}/{d.day}".translate(_FULL),
        "spaced": f"  {d.isoformat()}\t",
    }[style]


_STYLES = [
    "iso", "slash", "dot", "cn", "compact", "compact_int", "serial_int", "serial_float",
    "serial_text", "date", "datetime", "fullwidth", "spaced",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=dt.date(1955, 1, 1), max_value=dt.date(2099, 12, 31)),
            st.sampled_from(_STYLES),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_parse_dates_round_trip(items):
    cells = pd.Series([_format_date(d, s) for d, s in items], dtype=object)
    dates, bad = parse_dates(cells)
    assert not bad.any()
    assert [_iso(x) for x in dates] == [d.isoformat() for d, _ in items]


@settings(max_examples=30, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_parse_dates_month_styles_round_trip(d):
    cells = pd.Series([f"{d.year}年{d.month}月", f"{d.year:04d}{d.month:02d}"])
    dates, bad = parse_dates(cells)
    assert [_iso(x) for x in dates] == [dt.date(d.year, d.month, 1).isoformat()] * 2
    assert not bad.any()


def test_parse_dates_is_vectorised_fast():
    n = 200_000
    pool = np.array(["2021/6/30", "2021年6月", 44377, "20210630", dt.date(2020, 1, 1), ""], object)
    s = pd.Series(pool[np.arange(n) % len(pool)], dtype=object)
    t0 = time.perf_counter()
    dates, bad = parse_dates(s)
    elapsed = time.perf_counter() - t0
    assert dates.notna().sum() == n - n // len(pool)
    assert elapsed < 5, elapsed


# ----------------------------------------------------------------- numbers


def test_parse_numbers_styles():
    cells = ["1,234.5", "１，２３４．５", " 1 234.5 ", "1234.5元", "1234.5 亩", "1,234.5㎡", 1234.5]
    numbers, bad = parse_numbers(pd.Series(cells, dtype=object))
    assert numbers.tolist() == [1234.5] * len(cells)
    assert not bad.any()


def test_parse_numbers_signs_empty_and_bad():
    cells = [
        "(12)",
        "（12）",
        "-12",
        "+12",
        "",
        "-",
        "—",
        None,
        "abc",
        "12%",
        "(12",
        dt.date(2021, 1, 1),
    ]
    numbers, bad = parse_numbers(pd.Series(cells, dtype=object))
    assert numbers.tolist()[:4] == [-12.0, -12.0, -12.0, 12.0]
    assert numbers[4:].isna().all()
    assert bad.tolist() == [False] * 8 + [True] * 4


def test_parse_quantity_reports_cell_units():
    numbers, units, bad = parse_quantity(
        pd.Series(["12.5万元", "300元", "15亩", "7", "2吨", "3人"])
    )
    assert numbers.tolist() == [12.5, 300.0, 15.0, 7.0, 2.0, 3.0]
    assert units.tolist() == ["万元", "元", "亩", pd.NA, "吨", "人"]
    assert not bad.any()


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", "元", " 亩", "吨", "人"]),
)
def test_parse_numbers_round_trip(cents, fullwidth, parens, unit):
    value = cents / 100
    text = f"{abs(value):,.2f}"
    if value < 0:
        text = f"({text})" if parens else f"-{text}"
    text += unit
    if fullwidth:
        text = text.translate(_FULL)
    numbers, bad = parse_numbers(pd.Series([text]))
    assert not bad.any()
    assert numbers.iloc[0] == pytest.approx(value, rel=1e-12, abs=1e-9)


def test_parse_money_units():
    # header 元: divide by 10000 unless the cell carries its own unit
    money, bad = parse_money(pd.Series(["1,200,000", "3万元", "2亿元", "(5000)", "", "15亩"]), "元")
    assert money.tolist()[:4] == [120.0, 3.0, 20000.0, -0.5]
    assert np.isnan(money.iloc[4]) and np.isnan(money.iloc[5])
    assert bad.tolist() == [False, False, False, False, False, True]
    money, bad = parse_money(pd.Series([12.5, "300元"]), "万元")
    assert money.tolist() == [12.5, 0.03]
    money, _ = parse_money(pd.Series([12.5]))
    assert money.tolist() == [12.5]


def test_unit_factor():
    assert unit_factor("元", "money") == 1e-4
    assert unit_factor("单位：元", "money") == 1e-4
    assert unit_factor("平方米", "land") == pytest.approx(15 / 10000)
    assert unit_factor("㎡", "land") == pytest.approx(15 / 10000)
    assert unit_factor("公顷", "land") == 15.0
    assert unit_factor("亩", "building") == pytest.approx(10000 / 15)
    assert unit_factor("美元", "money") is None


# ----------------------------------------------------------------- booleans

_TRUE_WORDS = ["是", "有", "Y", "yes", "TRUE", "1", "√", "规上", "规模以上"]
_FALSE_WORDS = ["否", "无", "N", "No", "false", "0", "×", "规下", "规模以下"]


def test_parse_bools_values():
    cells = [*_TRUE_WORDS, *_FALSE_WORDS, True, False, 1, 0.0, "", "-", None, "也许", 2]
    b, bad = parse_bools(pd.Series(cells, dtype=object))
    n_t, n_f = len(_TRUE_WORDS), len(_FALSE_WORDS)
    assert b.dtype == "boolean"
    assert b.iloc[:n_t].tolist() == [True] * n_t
    assert b.iloc[n_t : n_t + n_f].tolist() == [False] * n_f
    assert b.iloc[n_t + n_f : n_t + n_f + 4].tolist() == [True, False, True, False]
    assert b.iloc[-5:].isna().all()
    assert bad.tolist() == [False] * (n_t + n_f + 4 + 3) + [True, True]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 8), st.booleans(), st.booleans()), max_size=20)
)
def test_parse_bools_round_trip(items):
    cells, expected = [], []
    for value, k, wide, pad in items:
        word = (_TRUE_WORDS if value else _FALSE_WORDS)[k]
        if wide:
            word = word.translate(
                str.maketrans("YNyesnoTRUEfalse01", "ＹＮｙｅｓｎｏＴＲＵＥｆａｌｓｅ０１")
            )
        cells.append(f" {word} " if pad else word)
        expected.append(value)
    b, bad = parse_bools(pd.Series(cells, dtype=object))
    assert b.tolist() == expected
    assert not bad.any()


# ----------------------------------------------------------------- text and harmonise


def test_to_text():
    s = pd.Series(
        [" ＡＢＣ（有限）公司 ", 640202.0, 1.5, None, "", dt.date(2021, 6, 30), "a\u200bb"]
    )
    assert to_text(s).tolist() == [
        "ABC(有限)公司",
        "640202",
        "1.5",
        pd.NA,
        pd.NA,
        "2021-06-30",
        "ab",
    ]


def _frame(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({**cols, "source_file": "t.xlsx", "source_row": range(3, 3 + n)})


def test_harmonise_enterprises_types_units_and_repairs():
    log = QualityLog()
    df = _frame(
        name=[" 甲公司 ", "乙公司", "丙公司"],
        credit_code=["91110000600037341l", 911101086000373410.0, None],
        stopped_since=["2021年6月", 44377, "2021-02-30"],
        above_scale=["规上", "否", "也许"],
        output_value=["12,345,678", "3万元", "n/a"],
        tax_paid=["12.5", "", "abc"],
        electricity_kwh=["1.5", "2万千瓦时", "300度"],
        year=["2023年", 2023.0, "2023.5"],
    )
    out = harmonise(df, "enterprises", {"output_value": "元", "electricity_kwh": "万千瓦时"}, log)
    assert out["name"].tolist() == ["甲公司", "乙公司", "丙公司"]
    assert out["credit_code"].tolist()[0] == "91110000600037341l"  # ids.py normalises codes
    assert [_iso(d) for d in out["stopped_since"]] == ["2021-06-01", "2021-06-30", None]
    assert out["above_scale"].tolist() == [True, False, pd.NA]
    # 12,345,678 元 = 1234.5678 万元; "3万元" keeps its own unit
    assert out["output_value"].tolist()[:2] == pytest.approx([1234.5678, 3.0])
    assert np.isnan(out["output_value"].iloc[2])  # "n/a" is an empty marker
    assert out["tax_paid"].iloc[0] == 12.5 and out["tax_paid"].isna().iloc[1:].all()
    # header 万千瓦时: 1.5 → 15000 kWh; cell units override the header
    assert out["electricity_kwh"].tolist() == [15000.0, 20000.0, 300.0]
    assert out["year"].tolist() == [2023, 2023, pd.NA]
    rec = log.inputs["enterprises"]
    repaired = sorted((r["column"], r["row"]) for r in rec.repairs)
    assert repaired == [
        ("above_scale", 5),
        ("credit_code", 4),  # an 18-digit code stored as a number lost digits
        ("stopped_since", 5),
        ("tax_paid", 5),
        ("year", 5),
    ]
    assert "2021-02-30" in next(r["repair"] for r in rec.repairs if r["column"] == "stopped_since")
    assert {w["column"] for w in log.warnings} == {
        "above_scale",
        "stopped_since",
        "tax_paid",
        "year",
    }


def test_harmonise_parcel_areas():
    log = QualityLog()
    df = _frame(
        parcel_id=["A", "B", "C"],
        certified_area=["10,000", "6666.67", "2公顷"],
        developed_area=[1.0, 2.0, 3.0],
        floor_area=["1,500", "1亩", None],
        land_price=[1_000_000, 2_000_000, None],
    )
    out = harmonise(df, "parcels", {"certified_area": "平方米", "land_price": "元"}, log)
    # 10000 m² = 15 mu; 6666.67 m² ≈ 10 mu; the cell's own 公顷 wins: 2 ha = 30 mu
    assert out["certified_area"].tolist() == pytest.approx([15.0, 10.000005, 30.0])
    assert out["developed_area"].tolist() == [1.0, 2.0, 3.0]  # default unit: mu
    assert out["floor_area"].tolist()[:2] == pytest.approx([1500.0, 10000 / 15])  # m²
    assert out["land_price"].tolist()[:2] == [100.0, 200.0]
    assert not log.inputs["parcels"].repairs


def test_harmonise_unknown_header_unit_warns():
    log = QualityLog()
    out = harmonise(_frame(amount=["5"], name=["x"]), "tax_arrears", {"amount": "美元"}, log)
    assert out["amount"].tolist() == [5.0]
    assert "美元" in log.warnings[0]["message"]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(min_value=-(10**17), max_value=10**17).map(float),
            st.integers(min_value=1990, max_value=2030),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.sampled_from(["2023", "2023年", "x", True]),
        ),
        max_size=8,
    )
)
def test_whole_number_columns_take_the_same_years_as_through_text(cells):
    """An ``int`` column of number cells, taken as it is, equals the text path's years."""
    from landclear.io.parse import _YEAR_SUFFIX, _whole_numbers, parse_numbers, to_text

    raw = pd.Series(cells, dtype=object)
    fast = _whole_numbers(raw)
    text = to_text(raw).str.replace(_YEAR_SUFFIX, "", regex=True)
    number, bad = parse_numbers(text.astype(object).where(text.notna(), None))
    if fast is None:  # text, booleans, fractions, huge or infinite values: the text path
        assert any(
            isinstance(c, (str, bool)) or (isinstance(c, float) and c == c and (
                not np.isfinite(c) or c != np.floor(c) or abs(c) >= 1e18))
            for c in cells
        )  # fmt: skip
        return
    assert not bad.any()
    pd.testing.assert_series_equal(fast.astype("Int64"), number.astype("Int64"), check_names=False)


def test_harmonise_reads_excel_year_floats_as_the_text_path_would():
    log = QualityLog()
    df = pd.DataFrame(
        {
            "year": pd.Series([2023.0, None, 2022.0, 2023.5], dtype=object),
            "source_row": [2, 3, 4, 5],
        }
    )
    out = harmonise(df, "enterprises", {}, log)
    assert out["year"].tolist() == [2023, pd.NA, 2022, pd.NA]
    assert [r["row"] for r in log.inputs["enterprises"].repairs] == [5]  # the fraction


def test_whole_numbers_stop_at_1e18_where_text_switches_to_an_exponent():
    from landclear.io.parse import _YEAR_SUFFIX, _whole_numbers, parse_numbers, to_text

    below = np.nextafter(1e18, 0)  # 999999999999999872.0, still written with all its digits
    raw = pd.Series([below, -below, None], dtype=object)
    text = to_text(raw).str.replace(_YEAR_SUFFIX, "", regex=True)
    number, bad = parse_numbers(text.astype(object).where(text.notna(), None))
    pd.testing.assert_series_equal(_whole_numbers(raw), number, check_names=False)
    assert not bad.any()
    assert _whole_numbers(pd.Series([1e18, 2023.0], dtype=object)) is None
    assert _whole_numbers(pd.Series([2023.0, 0.5], dtype=object)) is None
    assert _whole_numbers(pd.Series([True, 2023.0], dtype=object)) is None
