"""The three lists and the cross-list: boundaries, NA handling, hand-computed sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landclear.errors import DataError
from landclear.rules.config import load_rule_settings
from landclear.rules.lists import (
    active_mortgages,
    count_lists,
    cross_list,
    mortgaged_idle,
    stopped_enterprises,
    tax_arrears,
)

AS_OF = "2024-06-30"


def _d(values):
    return pd.to_datetime(pd.Series(values, dtype="object")).to_numpy()


# -- long-stopped -------------------------------------------------------------


def test_stopped_exactly_two_years():
    e = pd.DataFrame(
        {
            "status": ["停产", "停产", "停产", "停产"],
            "stopped_since": _d(["2022-06-29", "2022-06-30", "2022-07-01", None]),
        },
        index=[10, 11, 12, 13],
    )
    r = stopped_enterprises(e, AS_OF)
    assert list(r.index) == [10, 11, 12, 13]
    assert r["stopped_2y"].tolist() == [True, True, False, False]
    assert r.loc[11, "stopped_years"] == pytest.approx(2.0)
    # 2022-07-01 → 2024-06-30: 1 full year + 364/365 of the next (2023-07-01 → 2024-07-01 has 366 days)
    assert r.loc[12, "stopped_years"] == pytest.approx(1 + 365 / 366)
    assert "1.99年" in r.loc[12, "stopped_reason"]
    assert "2024-07-01" in r.loc[12, "stopped_reason"]
    assert np.isnan(r.loc[13, "stopped_years"])
    assert "缺少停产时间" in r.loc[13, "stopped_reason"]


def test_stopped_feb_29_as_of():
    e = pd.DataFrame(
        {"status": ["停产", "停产"], "stopped_since": _d(["2022-02-28", "2022-03-01"])}
    )
    # as_of − 2 years with DateOffset: 2024-02-29 → 2022-02-28
    assert pd.Timestamp("2024-02-29") - pd.DateOffset(years=2) == pd.Timestamp("2022-02-28")
    assert stopped_enterprises(e, "2024-02-29")["stopped_2y"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2022-02-27", False), ("2022-02-28", True), ("2022-03-01", True)],
)
def test_stopped_since_feb_29_uses_the_idle_land_anniversary(as_of, expected):
    """29 Feb 2020 reaches two years on 28 Feb 2022, as add_years() says for idle land."""
    from landclear.rules.idle import add_years

    since = pd.Series(pd.to_datetime(["2020-02-29"]))
    e = pd.DataFrame({"status": ["停产"], "stopped_since": since})
    r = stopped_enterprises(e, as_of)
    assert bool(r["stopped_2y"].iloc[0]) is expected
    assert bool((add_years(since, 2) <= pd.Timestamp(as_of)).iloc[0]) is expected
    if not expected:
        assert "满2年之日 2022-02-28" in r["stopped_reason"].iloc[0]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2022-02-27", False), ("2022-02-28", True), ("2024-02-28", True)],
)
def test_tax_period_from_feb_29_uses_the_anniversary(as_of, expected):
    a = pd.DataFrame(
        {
            "enterprise_id": ["E1"],
            "tax_type": ["城镇土地使用税"],
            "amount": [1.0],
            "period_start": pd.to_datetime(["2020-02-29"]),
        }
    )
    assert bool(tax_arrears(a, as_of)["tax_arrears_2y"].iloc[0]) is expected


def test_half_stopped_and_resumed_statuses():
    e = pd.DataFrame(
        {
            "status": ["半停产", "已复产", "正常生产", "长期停产", None],
            "stopped_since": _d(["2020-01-01"] * 5),
        }
    )
    r = stopped_enterprises(e, AS_OF)
    assert r["stopped_2y"].tolist() == [False, False, False, True, False]
    assert "include_half_stopped" in r["stopped_reason"].iloc[0]
    on = load_rule_settings({"lists": {"include_half_stopped": True}}).lists
    assert stopped_enterprises(e, AS_OF, on)["stopped_2y"].tolist() == [
        True,
        False,
        False,
        True,
        False,
    ]


# -- tax arrears ----------------------------------------------------------------


def test_tax_arrears_grouping_and_boundaries():
    a = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E1", "E1", "E2", "E3", "E3", None, "E4"],
            "tax_type": [
                "城镇土地使用税",
                "土地使用税",
                "增值税",
                "增值税",
                "城镇土地使用税",
                "城镇土地使用税",
                "城镇土地使用税",
                "城镇土地使用税",
            ],
            "amount": [3.0, 4.5, 2.0, 9.0, 1.0, 0.0, 5.0, -1.0],
            "period_start": _d(
                [
                    "2023-01-01",
                    "2022-06-30",
                    "2010-01-01",
                    "2015-01-01",
                    "2022-07-01",
                    "2019-01-01",
                    "2019-01-01",
                    "2019-01-01",
                ]
            ),
        }
    )
    r = tax_arrears(a, AS_OF).set_index("enterprise_id")
    assert list(r.index) == ["E1", "E2", "E3", "E4"]  # the row with no enterprise is left out
    assert r.loc["E1", "tax_arrears_2y"]  # earliest land period 2022-06-30: exactly 2 years
    assert r.loc["E1", "land_tax_amount"] == pytest.approx(7.5)
    assert r.loc["E1", "other_tax_amount"] == pytest.approx(2.0)
    assert r.loc["E1", "earliest_land_tax_period"] == pd.Timestamp("2022-06-30")
    assert r.loc["E1", "arrears_years"] == pytest.approx(2.0)
    assert "另欠其他税种 2.00万元" in r.loc["E1", "tax_reason"]
    # only other taxes never count, however old
    assert not r.loc["E2", "tax_arrears_2y"]
    assert r.loc["E2", "land_tax_amount"] == 0.0
    assert "仅欠其他税种(增值税)" in r.loc["E2", "tax_reason"]
    # 2022-07-01 is one day short; the zero-amount 2019 record does not count
    assert not r.loc["E3", "tax_arrears_2y"]
    assert r.loc["E3", "earliest_land_tax_period"] == pd.Timestamp("2022-07-01")
    # a negative (refund) record is no arrears
    assert not r.loc["E4", "tax_arrears_2y"]


def test_tax_arrears_needs_enterprise_id():
    with pytest.raises(DataError, match="enterprise_id"):
        tax_arrears(pd.DataFrame({"tax_type": ["城镇土地使用税"]}), AS_OF)


# -- mortgages ------------------------------------------------------------------


def test_active_mortgages_boundaries():
    m = pd.DataFrame(
        {
            "mortgagee": [
                "中国工商银行石嘴山分行",
                "宁夏黄河农村商业银行",
                "平罗县农村信用合作联社",
                "某某贸易有限公司",
                "石嘴山银行",
                "华融资产管理公司",
                "某银行",
            ],
            "start": _d(
                [
                    "2020-01-01",
                    "2024-07-01",
                    "2024-06-30",
                    "2020-01-01",
                    "2020-01-01",
                    "2021-01-01",
                    None,
                ]
            ),
            "end": _d(["2024-06-30", None, None, None, "2024-06-29", None, None]),
        }
    )
    r = active_mortgages(m, AS_OF)
    assert r["active"].tolist() == [True, False, True, True, False, True, False]
    assert r["financial"].tolist() == [True, True, True, False, True, True, True]
    assert "非金融机构" in r["mortgage_reason"].iloc[3]
    assert "晚于基准日" in r["mortgage_reason"].iloc[1]
    assert "2024-06-29 终止" in r["mortgage_reason"].iloc[4]
    assert "缺少抵押起始日期" in r["mortgage_reason"].iloc[6]


def test_mortgaged_idle_per_parcel():
    parcels = pd.DataFrame(
        {
            "parcel_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "idle": [True, False, False, False, True, pd.NA],
            "stopped_2y": [False, True, False, False, False, pd.NA],
        },
        index=[5, 6, 7, 8, 9, 10],
    )
    mortgages = pd.DataFrame(
        {
            "parcel_id": ["P1", "P1", "P1", "P2", "P3", "P4", "P5", "P6", None],
            "active": [True, True, True, True, True, True, False, True, True],
            "financial": [True, True, False, True, True, True, True, True, True],
            "idle_flag": [False, False, False, False, True, False, False, "是", True],
            "amount": [300.0, 200.0, 999.0, 80.0, 40.0, 10.0, 70.0, 5.0, 1.0],
            "mortgagee": [
                "甲银行",
                "乙信用社",
                "丙公司",
                "甲银行",
                "丁农商行",
                "甲银行",
                "甲银行",
                "戊银行",
                "己银行",
            ],
        }
    )
    r = mortgaged_idle(parcels, mortgages)
    assert list(r.index) == [5, 6, 7, 8, 9, 10]
    # P1 idle; P2 stopped; P3 bank flag; P4 neither; P5 mortgage inactive; P6 bank flag "是"
    assert r["mortgaged_idle"].tolist() == [True, True, True, False, False, True]
    # only the two active financial mortgages of P1 count: 300 + 200
    assert r["mortgage_amount"].tolist() == [500.0, 80.0, 40.0, 10.0, 0.0, 5.0]
    assert r.loc[5, "mortgagees"] == "甲银行、乙信用社"
    assert r.loc[9, "mortgagees"] == ""
    assert "土地闲置" in r.loc[5, "mortgage_reason"]
    assert "企业长期停产" in r.loc[6, "mortgage_reason"]
    assert "银行台账标记闲置" in r.loc[7, "mortgage_reason"]
    assert "未闲置" in r.loc[8, "mortgage_reason"]


# -- counting and crossing ----------------------------------------------------


def test_count_lists_with_na():
    p = pd.DataFrame(
        {
            "tax_arrears_2y": pd.array([True, pd.NA, True, False], dtype="boolean"),
            "mortgaged_idle": [True, True, pd.NA, False],
            "stopped_2y": pd.array([True, pd.NA, False, pd.NA], dtype="boolean"),
        }
    )
    n = count_lists(p)
    assert n.tolist() == [3, 1, 1, 0]
    assert str(n.dtype) == "Int8"
    assert count_lists(pd.DataFrame({"stopped_2y": [True]})).tolist() == [1]


def test_cross_list():
    parcels = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E1", "E2", "E3", None],
            "parcel_id": ["P1", "P2", "P3", "P4", "P5"],
            "area_mu": [10.0, 5.5, 40.0, 8.0, 99.0],
            "idle": [True, False, False, False, True],
            "tax_arrears_2y": [True, True, False, False, True],
            "mortgaged_idle": [False, True, False, False, True],
            "stopped_2y": [True, True, False, False, True],
            "action": ["无偿收回", "债转股", "继续监管", "改造提升", "无偿收回"],
            "action_rule": ["R03-recover", "R07-stopped-mortgaged", "R99-monitor", "R12", "R03"],
            "priority": [1, 2, 9, 4, 1],
        }
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E5"],
            "name": ["甲公司", "乙公司", "丙公司", "戊公司"],
            "credit_code": ["91640200000000001A", None, None, "91640200000000005X"],
            "stopped_2y": [True, False, False, True],
            "tax_arrears_2y": [True, True, False, False],
        }
    )
    r = cross_list(parcels, enterprises)
    assert r["enterprise_id"].tolist() == ["E1", "E2", "E5"]  # E3 is on no list
    e1 = r.iloc[0]
    assert (e1["on_tax_list"], e1["on_mortgage_list"], e1["on_stopped_list"]) == (True, True, True)
    assert e1["lists"] == 3
    assert e1["parcel_ids"] == "P1、P2"
    assert e1["parcel_count"] == 2
    assert e1["area_mu"] == pytest.approx(15.5)
    assert e1["idle_mu"] == pytest.approx(10.0)
    assert (e1["action"], e1["action_rule"], e1["priority"]) == ("无偿收回", "R03-recover", 1)
    # E2 (tax list from the enterprise flag, 40 mu) sorts before E5 (stopped, no parcel)
    assert r.iloc[1]["lists"] == 1 and r.iloc[1]["area_mu"] == 40.0
    e5 = r.iloc[2]
    assert e5["name"] == "戊公司" and e5["parcel_count"] == 0 and e5["parcel_ids"] == ""
    assert pd.isna(e5["action"])


def test_mortgagees_listed_once_each_in_ledger_order():
    from landclear.rules.lists import mortgaged_idle

    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "P3"], "idle": [True, True, True]})
    mortgages = pd.DataFrame(
        {
            "parcel_id": ["P1", "P1", "P1", "P2", "P2", "P3"],
            "active": True,
            "financial": True,
            "idle_flag": False,
            "amount": 1.0,
            "mortgagee": ["乙银行", "甲银行", "乙银行", "丙银行", "丙银行", ""],
        }
    )
    r = mortgaged_idle(parcels, mortgages)
    assert r["mortgagees"].tolist() == ["乙银行、甲银行", "丙银行", ""]
    assert r["mortgage_amount"].tolist() == [3.0, 2.0, 1.0]
