"""Tests of landclear.validate: required keys, exact and conflicting duplicates, negatives."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from landclear.quality import QualityLog
from landclear.validate import validate


def _loaded(log: QualityLog, name: str, df: pd.DataFrame, file: str = "a.xlsx") -> pd.DataFrame:
    df = df.copy()
    if "source_file" not in df:
        df["source_file"] = file
    if "source_row" not in df:
        df["source_row"] = np.arange(2, 2 + len(df))
    log.input(name).rows_read += len(df)
    return df


def _reasons(log: QualityLog, name: str) -> dict[int, str]:
    return {r["row"]: r["reason"] for r in log.inputs[name].rejected}


def test_enterprise_keys_code_normalised_year_and_name_fallback():
    log = QualityLog()
    df = _loaded(
        log,
        "enterprises",
        pd.DataFrame(
            {
                "credit_code": [
                    "91110000600037341L",
                    "９１１１００００６０００３７３４１ｌ",
                    None,
                    None,
                    "X1",
                ],
                "name": ["甲公司", "甲公司(分厂)", "乙公司", "乙公司", "丙公司"],
                "year": pd.array([2023, 2023, 2023, 2022, 2023], dtype="Int64"),
                "output_value": [1.0, 2.0, 3.0, 4.0, 5.0],
            }
        ),
    )
    kept = validate(df, "enterprises", log)
    # row 3 (code differs only by width/case) conflicts with row 2; 乙公司 2023 vs 2022 differ.
    assert kept["source_row"].tolist() == [2, 4, 5, 6]
    reasons = _reasons(log, "enterprises")
    assert list(reasons) == [3]
    assert "第2行" in reasons[3]
    assert "name, output_value" in reasons[3]
    assert "credit_code" in reasons[3]  # raw texts differ although the keys match
    assert log.warnings and log.warnings[0]["count"] == 1
    rec = log.inputs["enterprises"]
    assert (rec.rows_read, rec.rows_used, rec.rows_rejected) == (5, 4, 1)


def test_required_and_required_any():
    log = QualityLog()
    df = _loaded(
        log,
        "disposals",
        pd.DataFrame(
            {
                "parcel_id": ["P1", None, None, "P4"],
                "credit_code": [None, None, "91110000600037341L", None],
                "name": [None, "  ", None, None],
                "status": ["已完成", "已完成", "已完成", None],
                "method": ["整体腾退"] * 4,
            }
        ),
    )
    kept = validate(df, "disposals", log)
    assert kept["source_row"].tolist() == [2, 4]
    reasons = _reasons(log, "disposals")
    assert reasons[5].startswith("必填字段 status 为空")
    assert reasons[3].startswith("parcel_id / credit_code / name 均为空")


def test_mortgage_key_and_cross_file_reference():
    log = QualityLog()
    a = _loaded(
        log,
        "mortgages",
        pd.DataFrame(
            {
                "parcel_id": ["P1", "P1"],
                "mortgagee": ["甲银行", "乙银行"],
                "start": pd.to_datetime(["2020-01-01", "2020-01-01"]),
                "amount": [100.0, 200.0],
            }
        ),
        file="bank_a.xlsx",
    )
    b = _loaded(
        log,
        "mortgages",
        pd.DataFrame(
            {
                "parcel_id": ["P1", "P1"],
                "mortgagee": ["甲银行", "甲银行"],
                "start": pd.to_datetime(["2020-01-01", "2021-01-01"]),
                "amount": [150.0, 100.0],
            }
        ),
        file="bank_b.xlsx",
    )
    kept = validate(pd.concat([a, b], ignore_index=True), "mortgages", log)
    assert kept["amount"].tolist() == [100.0, 200.0, 100.0]
    rejected = log.inputs["mortgages"].rejected
    assert len(rejected) == 1
    assert rejected[0]["file"] == "bank_b.xlsx" and rejected[0]["row"] == 2
    assert "bank_a.xlsx 第2行" in rejected[0]["reason"]
    assert "amount" in rejected[0]["reason"]


def test_exact_duplicate_wins_over_conflict_and_na_equal():
    log = QualityLog()
    df = _loaded(
        log,
        "parcels",
        pd.DataFrame(
            {
                "parcel_id": ["Z1", "Z1", "Z2", "Z1"],
                "certified_area": [10.0, 10.0, 3.0, 11.0],
                "grant_date": pd.to_datetime(["2019-01-01", "2019-01-01", None, None]),
                "park": pd.array([None, None, "A", None], dtype="string"),
            }
        ),
    )
    kept = validate(df, "parcels", log)
    assert kept["source_row"].tolist() == [2, 4]
    reasons = _reasons(log, "parcels")
    assert reasons[3].startswith("与第2行完全重复,已合并")
    assert reasons[5].startswith("宗地代码重复,与第2行冲突")
    assert "certified_area, grant_date" in reasons[5]
    assert "park" not in reasons[5]  # both empty: not a difference


def test_geometry_counts_for_duplicates():
    log = QualityLog()
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["Z1", "Z1", "Z1"], "certified_area": [1.0, 1.0, 1.0]},
        geometry=[box(0, 0, 1, 1), box(0, 0, 1, 1), box(5, 5, 6, 6)],
        crs="EPSG:4545",
    )
    gdf = _loaded(log, "parcels", gdf)
    kept = validate(gdf, "parcels", log)
    assert isinstance(kept, gpd.GeoDataFrame)
    assert kept["source_row"].tolist() == [2]
    reasons = _reasons(log, "parcels")
    assert reasons[3].startswith("与第2行完全重复")
    assert reasons[4].startswith("宗地代码重复") and "不同字段:geometry" in reasons[4]


def test_negative_amounts_are_blanked_not_rejected():
    log = QualityLog()
    df = _loaded(
        log,
        "enterprises",
        pd.DataFrame(
            {
                "name": ["甲", "乙"],
                "revenue": [-5.0, 7.0],
                "value_added": [-1.5, 2.0],
                "employees": [3.0, -2.0],
            }
        ),
    )
    kept = validate(df, "enterprises", log)
    assert len(kept) == 2
    assert np.isnan(kept["revenue"].iloc[0]) and kept["revenue"].iloc[1] == 7.0
    assert kept["value_added"].tolist() == [-1.5, 2.0]  # losses are allowed
    assert np.isnan(kept["employees"].iloc[1])
    repairs = sorted((r["row"], r["column"]) for r in log.inputs["enterprises"].repairs)
    assert repairs == [(2, "revenue"), (3, "employees")]
    assert df["revenue"].iloc[0] == -5.0  # input not modified


def test_validate_is_vectorised_fast():
    n = 200_000
    log = QualityLog()
    rng = np.random.default_rng(0)
    ids = np.char.add("P", (np.arange(n) % (n - 1000)).astype(str))  # 1000 repeated ids
    df = _loaded(
        log,
        "parcels",
        pd.DataFrame(
            {
                "parcel_id": pd.array(ids, dtype="string"),
                "certified_area": rng.uniform(1, 100, n).round(2),
                "grant_date": pd.Timestamp("2020-01-01")
                + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            }
        ),
    )
    t0 = time.perf_counter()
    kept = validate(df, "parcels", log)
    elapsed = time.perf_counter() - t0
    assert len(kept) == n - 1000
    assert log.inputs["parcels"].rows_rejected == 1000
    assert elapsed < 10, elapsed


@pytest.mark.parametrize(("name", "n_kept"), [("parks", 1), ("buildings", 2)])
def test_other_inputs(name, n_kept):
    log = QualityLog()
    df = _loaded(log, name, pd.DataFrame({"park": ["A", "A"], "floor_area": [1.0, 1.0]}))
    kept = validate(df, name, log)
    # parks: the same park twice is a duplicate; buildings have no key (equal floor
    # areas are different buildings)
    assert len(kept) == n_kept


def test_certified_area_check_warns_with_file_and_row():
    from landclear.validate import certified_area_mismatch, check_certified_area

    p = pd.DataFrame(
        {
            "parcel_id": ["A", "B", "C", "D"],
            "certified_area": [10.0, 10.0, np.nan, 0.0],
            "area_mu": [10.49, 10.51, 3.0, 3.0],
            "source_file": "p.shp",
            "source_row": [1, 2, 3, 4],
        }
    )
    assert certified_area_mismatch(p)["parcel_id"].tolist() == ["B"]
    assert certified_area_mismatch(p, 0.01)["parcel_id"].tolist() == ["A", "B"]
    log = QualityLog()
    bad = check_certified_area(p, 0.05, log)
    assert bad["diff_ratio"].tolist() == pytest.approx([0.051])
    assert [(w["file"], w["row"], w["kind"]) for w in log.warnings] == [
        ("p.shp", 2, "area_mismatch")
    ]
    assert certified_area_mismatch(p.drop(columns="certified_area")).empty


def _reference_kept(df: pd.DataFrame) -> list[int]:
    """Source rows validate keeps, by a plain pandas reading of its three rules."""
    name = df["name"].astype("string").str.strip()
    kept = df[name.notna() & name.ne("")]
    kept = kept[~kept.drop(columns=["source_file", "source_row"]).duplicated(keep="first")]
    code = kept["credit_code"].astype("string").str.normalize("NFKC").str.strip().str.upper()
    ident = ("credit_code:" + code.mask(code.eq(""))).fillna(
        "name:" + kept["name"].astype("string").str.normalize("NFKC").str.strip().str.upper()
    )
    key = pd.DataFrame({"ident": ident, "year": kept["year"]})
    return kept.loc[~key.duplicated(keep="first"), "source_row"].tolist()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["91A", "91a ", None, "", "92B"]),
            st.sampled_from(["甲", " 甲", "乙", None, ""]),
            st.sampled_from([2022, 2023, None]),
            st.sampled_from([1.0, 2.0, None]),
        ),
        max_size=40,
    )
)
def test_kept_rows_equal_a_plain_pandas_reference(rows):
    df = pd.DataFrame(rows, columns=["credit_code", "name", "year", "tax_paid"])
    df = df.astype({"credit_code": "string", "name": "string", "year": "Int64", "tax_paid": float})
    df["source_file"], df["source_row"] = "e.xlsx", np.arange(2, len(df) + 2)
    log = QualityLog()
    out = validate(df, "enterprises", log)
    assert out["source_row"].tolist() == _reference_kept(df)
    rec = log.inputs["enterprises"]
    assert rec.rows_rejected == len(df) - len(out)
