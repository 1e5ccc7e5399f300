"""Evidence rules at and around their thresholds."""

from __future__ import annotations

import pandas as pd
import pytest

from landclear.rules.evidence import DEFAULTS, evidence

AS_OF = "2024-06-30"


def _ts(values: list[str | None]) -> pd.DatetimeIndex:
    return pd.to_datetime(values)


def test_suspected_idle_thresholds() -> None:
    df = pd.DataFrame(
        {
            # the 2nd anniversary of 2022-06-30 is as_of itself: 2 years are complete;
            # 2022-07-01 is a day short
            "grant_date": _ts(["2022-06-29", "2022-06-30", "2022-07-01", "2019-01-01", None]),
            "agreed_start": _ts([None, None, None, None, "2020-05-01"]),
            "built_up_frac": [0.1499, 0.05, 0.0, 0.15, 0.0],
        }
    )
    out = evidence(df, AS_OF)
    assert out["suspected_idle"].tolist() == [True, True, False, False, True]
    assert out["evidence_flags"][0] == "疑似闲置：供地多年但建成区比例低"
    assert "14.99%" in out["evidence_reason"][0] and "2022-06-29" in out["evidence_reason"][0]
    assert "周年日 2024-06-30 ≤ 基准日 2024-06-30" in out["evidence_reason"][1]
    assert out["evidence_flags"][2] == "" and out["evidence_reason"][2] == ""


@pytest.mark.parametrize(
    ("granted", "as_of", "years", "expected"),
    [
        # 29 Feb + 1 year = 28 Feb of the common year, as for idle land and the lists
        ("2020-02-29", "2021-02-28", 1, True),
        ("2020-02-29", "2021-02-27", 1, False),
        ("2020-02-29", "2022-02-28", 2, True),
        ("2020-02-29", "2022-02-27", 2, False),
        # 4 years on: the leap day itself is the anniversary
        ("2020-02-29", "2024-02-29", 4, True),
        ("2020-02-29", "2024-02-28", 4, False),
        # from 28 Feb, the anniversary in a leap year is 28 Feb, not 29 Feb
        ("2022-02-28", "2024-02-28", 2, True),
        ("2022-02-28", "2024-02-27", 2, False),
        # 18 months from 31 Aug 2022 end on 29 Feb 2024 (day clipped to the month)
        ("2022-08-31", "2024-02-29", 1.5, True),
        ("2022-08-31", "2024-02-28", 1.5, False),
    ],
)
def test_granted_years_use_the_anniversary_rule(granted, as_of, years, expected) -> None:
    from landclear.rules.idle import add_years

    df = pd.DataFrame({"grant_date": _ts([granted]), "built_up_frac": [0.0]})
    out = evidence(df, as_of, {"idle_years": years})
    assert bool(out["suspected_idle"][0]) is expected
    # the same anniversary as the idle-land / list rules
    due = add_years(df["grant_date"], years)[0]
    assert (due <= pd.Timestamp(as_of)) is expected
    # and as pandas' calendar arithmetic
    assert (
        df["grant_date"][0] + pd.DateOffset(months=round(years * 12)) <= pd.Timestamp(as_of)
    ) is (expected)


def test_idle_settings_are_configurable() -> None:
    df = pd.DataFrame({"grant_date": _ts(["2021-01-01"]), "built_up_frac": [0.25]})
    assert not evidence(df, AS_OF)["suspected_idle"][0]
    out = evidence(df, AS_OF, {"idle_years": 3, "built_up_max": 0.3})
    assert out["suspected_idle"][0]  # 2021-01-01 < 2021-06-30
    out = evidence(df, AS_OF, {"idle_years": 4, "built_up_max": 0.3})
    assert not out["suspected_idle"][0]
    # fractional years are months, not truncated: 2022-12-30 + 18 months = 2024-06-30, and
    # 2022-12-31 + 18 months = 2024-06-30 too (no 31 June); 2023-01-01 is a day short
    late = pd.DataFrame(
        {"grant_date": _ts(["2022-12-30", "2022-12-31", "2023-01-01"]), "built_up_frac": [0.0] * 3}
    )
    out = evidence(late, AS_OF, {"idle_years": 1.5})
    assert out["suspected_idle"].tolist() == [True, True, False]
    assert "满 1.5 年" in out["evidence_reason"][0]
    with pytest.raises(KeyError, match="built_up_min"):
        evidence(df, AS_OF, {"built_up_min": 0.1})


def test_night_light_checks_at_thresholds() -> None:
    dark, lit = DEFAULTS["dark_below"], DEFAULTS["lit_above"]
    df = pd.DataFrame(
        {
            "enterprise_status": [
                "正常生产",
                "正常生产",
                " 在产 ",
                "停产",
                "停产",
                "半停产",
                None,
                "正常生产",
            ],
            "stopped_2y": [False, False, False, False, False, False, True, True],
            "night_light_mean": [dark - 0.01, dark, 0.0, lit + 0.01, lit, 9.0, 9.0, None],
        }
    )
    out = evidence(df, AS_OF)
    assert out["check_dark_producing"].tolist() == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    # 半停产 is not stopped by default; stopped_2y alone is enough
    assert out["check_lit_stopped"].tolist() == [
        False,
        False,
        False,
        True,
        False,
        False,
        True,
        False,
    ]
    assert out["evidence_flags"][3] == "夜间灯光亮但登记为停产"
    assert out["evidence_reason"][0] == "企业状态“正常生产”，夜光均值 0.99（<1）"
    out = evidence(df, AS_OF, {"stopped_statuses": ("停产", "半停产")})
    assert out["check_lit_stopped"][5]


def test_low_coverage_is_treated_as_missing() -> None:
    df = pd.DataFrame(
        {
            "grant_date": _ts(["2015-01-01", "2015-01-01"]),
            "built_up_frac": [0.0, 0.0],
            "built_up_frac_coverage": [0.49, 0.5],
        }
    )
    assert evidence(df, AS_OF)["suspected_idle"].tolist() == [False, True]


def test_flags_join_in_order_and_absent_columns() -> None:
    df = pd.DataFrame(
        {
            "grant_date": _ts(["2018-03-01"]),
            "built_up_frac": [0.02],
            "ndvi_mean": [0.55],
            "night_light_mean": [0.1],
            "enterprise_status": ["正常生产"],
        },
        index=["p7"],
    )
    out = evidence(df, AS_OF)
    assert out.loc["p7", "evidence_flags"] == (
        "疑似闲置：供地多年但建成区比例低；植被覆盖高；夜间灯光暗但登记为生产"
    )
    assert out.loc["p7", "evidence_reason"].count("；") == 2
    empty = evidence(pd.DataFrame(index=[1, 2]), AS_OF)
    assert not empty[["suspected_idle", "check_dark_producing", "check_lit_stopped"]].any().any()
    assert empty["evidence_flags"].tolist() == ["", ""]
    assert empty["suspected_idle"].dtype == bool
