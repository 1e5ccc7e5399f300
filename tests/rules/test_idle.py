"""Idle land (53号令) at every boundary: 1 and 2 years, Feb 29, type B prongs, causes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclear.quality import QualityLog
from landclear.rules.config import IdleSettings, load_rule_settings
from landclear.rules.idle import NOT_EVALUABLE, add_years, full_years, idle_land

AS_OF = "2024-06-30"


def _dates(values):
    return pd.to_datetime(pd.Series(values, dtype="object"))


def test_type_a_one_year_boundary():
    p = pd.DataFrame(
        {
            "agreed_start": _dates(["2023-07-01", "2023-06-30", "2023-06-29"]),
            "land_price": [400.0, 400.0, 400.0],
        }
    )
    r = idle_land(p, AS_OF)
    assert r["idle"].tolist() == [False, True, True]
    assert r["idle_type"].tolist()[1:] == ["A", "A"]
    assert pd.isna(r["idle_type"].iloc[0])
    assert r["idle_years"].tolist() == [0, 1, 1]
    # 20 % of 400 万元 once idle a full year, nothing before
    assert r["idle_fee"].tolist() == [0.0, 80.0, 80.0]
    assert r["recoverable"].tolist() == [False, False, False]
    assert r["idle_cause"].tolist()[1:] == ["enterprise", "enterprise"]
    assert "2024-07-01" in r["idle_reason"].iloc[0]  # the day it would become idle
    assert "约定开工 2023-06-30" in r["idle_reason"].iloc[1]
    assert "80.00万元" in r["idle_reason"].iloc[1]


def test_two_year_boundary_recoverable():
    p = pd.DataFrame(
        {"agreed_start": _dates(["2022-07-01", "2022-06-30", "2022-06-29"]), "land_price": 250.0}
    )
    r = idle_land(p, dt.date(2024, 6, 30))
    assert r["idle_years"].tolist() == [1, 2, 2]
    assert r["recoverable"].tolist() == [False, True, True]
    assert r["idle_fee"].tolist() == [50.0, 50.0, 50.0]
    assert "第十四条(二)" in r["idle_reason"].iloc[1]
    assert "第十四条(二)" not in r["idle_reason"].iloc[0]


def test_feb_29_agreed_start():
    p = pd.DataFrame({"agreed_start": _dates(["2020-02-29"]), "land_price": [10.0]})
    # Independently: pandas DateOffset puts 2020-02-29 + 1 year on 2021-02-28.
    assert pd.Timestamp("2020-02-29") + pd.DateOffset(years=1) == pd.Timestamp("2021-02-28")
    assert not idle_land(p, "2021-02-27")["idle"].iloc[0]
    r = idle_land(p, "2021-02-28")
    assert r["idle"].iloc[0] and r["idle_years"].iloc[0] == 1
    assert idle_land(p, "2022-02-27")["idle_years"].iloc[0] == 1
    r2 = idle_land(p, "2022-02-28")
    assert r2["idle_years"].iloc[0] == 2 and r2["recoverable"].iloc[0]
    # leap year as_of: the anniversary is the real Feb 29
    assert idle_land(p, "2024-02-28")["idle_years"].iloc[0] == 3
    assert idle_land(p, "2024-02-29")["idle_years"].iloc[0] == 4


def test_grant_date_fallback_and_no_dates():
    p = pd.DataFrame(
        {
            "parcel_id": ["G1", "N1"],
            "grant_date": _dates(["2022-06-30", None]),
            "agreed_start": _dates([None, None]),
            "source_file": ["parcels.shp", "parcels.shp"],
            "source_row": [2, 3],
        }
    )
    log = QualityLog()
    r = idle_land(p, AS_OF, log=log)
    # 2022-06-30 + 1 year = agreed start 2023-06-30; + 1 year = exactly as_of
    assert r["idle"].tolist() == [True, False]
    assert r["idle_years"].tolist() == [1, 0]
    assert "供地 2022-06-30" in r["idle_reason"].iloc[0]
    assert r["idle_reason"].iloc[1] == NOT_EVALUABLE
    assert r["idle_evaluable"].tolist() == [True, False]
    assert len(log.warnings) == 1
    w = log.warnings[0]
    assert (w["file"], w["row"], w["parcel_id"]) == ("parcels.shp", 3, "N1")


def test_missing_columns_are_all_missing():
    r = idle_land(pd.DataFrame({"x": [1, 2]}), AS_OF)
    assert r["idle"].tolist() == [False, False]
    assert r["idle_evaluable"].tolist() == [False, False]
    assert r["idle_fee"].tolist() == [0.0, 0.0]


def test_type_b_prongs_and_suspension():
    base = {
        "agreed_start": "2021-01-01",
        "actual_start": "2021-03-01",
        "suspended_since": "2023-06-30",
        "certified_area": 90.0,
        "developed_area": 60.0,
        "planned_investment": 1000.0,
        "invested": 900.0,
        "land_price": 100.0,
    }
    rows = [
        dict(base, developed_area=29.99),  # area prong: 29.99 < 90/3
        dict(base, developed_area=30.0),  # exactly 1/3: not below
        dict(base, invested=249.99),  # investment prong: < 25 % of 1000
        dict(base, invested=250.0),  # exactly 25 %: not below
        dict(base, developed_area=10.0, suspended_since="2023-07-01"),  # one day short of 1 y
        dict(base, developed_area=10.0, suspended_since="2023-07-30"),  # 11 months
        dict(base, developed_area=10.0, suspended_since=None),  # never suspended
        dict(base, developed_area=10.0, invested=10.0),  # both prongs
    ]
    p = pd.DataFrame(rows)
    for c in ("agreed_start", "actual_start", "suspended_since"):
        p[c] = pd.to_datetime(p[c])
    r = idle_land(p, AS_OF)
    assert r["idle"].tolist() == [True, False, True, False, False, False, False, True]
    assert r["idle_type"].iloc[0] == "B" and r["idle_type"].iloc[2] == "B"
    # idle years count from the agreed start (2021-01-01 → 3 full years)
    assert r["idle_years"].tolist() == [3, 0, 3, 0, 0, 0, 0, 3]
    assert r["idle_fee"].iloc[0] == pytest.approx(20.0)
    assert r["recoverable"].iloc[0]
    assert "已开发面积 29.99 < 宗地面积 90.00 的1/3" in r["idle_reason"].iloc[0]
    assert "已投资 249.99万元 < 约定投资 1000.00万元 的25%" in r["idle_reason"].iloc[2]
    assert "、已投资" in r["idle_reason"].iloc[7]
    assert "无停工满1年记录" in r["idle_reason"].iloc[4]


def test_type_b_zero_and_nan_areas():
    p = pd.DataFrame(
        {
            "agreed_start": pd.to_datetime(["2021-01-01"] * 4),
            "actual_start": pd.to_datetime(["2021-02-01"] * 4),
            "suspended_since": pd.to_datetime(["2022-01-01"] * 4),
            "certified_area": [0.0, np.nan, np.nan, 0.0],
            "developed_area": [0.0, 5.0, np.nan, 0.0],
            "planned_investment": [np.nan, np.nan, np.nan, 100.0],
            "invested": [np.nan, np.nan, np.nan, 5.0],
        }
    )
    r = idle_land(p, AS_OF)
    # rows 0–2: no evaluable prong → not idle and flagged not evaluable
    assert r["idle"].tolist() == [False, False, False, True]
    assert r["idle_evaluable"].tolist() == [False, False, False, True]
    assert "缺少开发面积和投资数据" in r["idle_reason"].iloc[0]


def test_government_cause_no_fee_not_recoverable():
    p = pd.DataFrame(
        {
            "agreed_start": pd.to_datetime(["2020-01-01"] * 4),
            "land_price": [300.0] * 4,
            "delay_cause": [
                "因规划调整未能开工",
                "非政府原因, 企业资金不足",
                None,
                "政府未按约定交地",
            ],
        }
    )
    r = idle_land(p, AS_OF)
    assert r["idle"].all()
    assert r["idle_cause"].tolist() == ["government", "enterprise", "enterprise", "government"]
    assert r["idle_fee"].tolist() == [0.0, 60.0, 60.0, 0.0]
    assert r["recoverable"].tolist() == [False, True, True, False]
    assert "第八条" in r["idle_reason"].iloc[0] and "规划调整" in r["idle_reason"].iloc[0]


def test_fee_unknown_price_is_nan_and_custom_settings():
    p = pd.DataFrame(
        {
            "agreed_start": pd.to_datetime(["2022-01-01", "2022-01-01"]),
            "land_price": [np.nan, 1000.0],
        }
    )
    r = idle_land(p, AS_OF)
    assert np.isnan(r["idle_fee"].iloc[0])
    s = load_rule_settings({"idle": {"fee_rate": 0.1, "recover_years": 3}}).idle
    r2 = idle_land(p, AS_OF, s)
    assert r2["idle_fee"].iloc[1] == pytest.approx(100.0)
    assert not r2["recoverable"].iloc[1]  # 2 full years < 3


def test_actual_start_after_as_of_counts_as_not_started():
    p = pd.DataFrame(
        {
            "agreed_start": pd.to_datetime(["2022-01-01"]),
            "actual_start": pd.to_datetime(["2024-07-15"]),
        }
    )
    r = idle_land(p, AS_OF)
    assert r["idle"].iloc[0] and r["idle_type"].iloc[0] == "A"


def test_index_aligned_and_dtypes():
    p = pd.DataFrame({"agreed_start": pd.to_datetime(["2020-05-05", None])}, index=[17, 4])
    r = idle_land(p, AS_OF, IdleSettings())
    assert list(r.index) == [17, 4]
    assert str(r["idle_years"].dtype) == "Int64"
    assert r["idle"].dtype == bool and r["recoverable"].dtype == bool
    assert r.loc[17, "idle_years"] == 4


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    as_of=st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
    k=st.integers(0, 6),
)
def test_full_years_agrees_with_dateoffset(start, as_of, k):
    s = pd.Series(pd.to_datetime([start]))
    t = pd.Timestamp(as_of)
    n = full_years(s, t).iloc[0]
    assert (n >= k) == (pd.Timestamp(start) + pd.DateOffset(years=k) <= t)
    assert add_years(s, k).iloc[0] == pd.Timestamp(start) + pd.DateOffset(years=k)


@given(
    st.lists(
        st.one_of(
            st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))
        ),
        min_size=0,
        max_size=30,
    ),
    st.sampled_from([0, 1, 1.5, 2, 2.25, 5]),
    st.booleans(),
)
def test_add_years_on_distinct_dates_equals_every_row(days, years, tz):
    """Moving each distinct date once gives every row's own result (dtype, NaT, index)."""
    from landclear.rules.idle import _add_years

    dates = pd.Series(
        pd.to_datetime(days + days[:3]), index=np.arange(len(days) + len(days[:3])) * 3
    )
    if tz:
        dates = dates.dt.tz_localize("Asia/Shanghai")
    pd.testing.assert_series_equal(add_years(dates, years), _add_years(dates, float(years)))


@given(
    st.lists(
        st.one_of(
            st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))
        ),
        max_size=20,
    ),
    st.booleans(),
)
def test_fmt_date_is_strftime_with_empty_for_missing(days, tz):
    """Formatted per distinct date (or all rows when all differ): ISO text, "" for NaT."""
    from landclear.rules.idle import fmt_date

    dates = pd.Series(
        pd.to_datetime(days + days[:2]), index=np.arange(len(days) + len(days[:2])) + 7
    )
    if tz:
        dates = dates.dt.tz_localize("Asia/Shanghai")
    want = dates.dt.strftime("%Y-%m-%d").fillna("")
    got = fmt_date(dates)
    assert got.index.equals(dates.index)
    assert got.tolist() == want.tolist()
