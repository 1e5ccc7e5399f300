"""Tests of landclear.match: entities, links and the match report.

Expected similarity scores are worked out by hand with the fuzz.ratio
formula 100 · (1 − d / (len₁ + len₂)), d = insertions + deletions needed
(a substituted character costs 2).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from landclear.match import (
    ENTITY_COLUMNS,
    REPORT_COLUMNS,
    build_entities,
    link_parcels,
    link_to_entities,
    report_records,
)
from landclear.quality import QualityLog

HENGDA = "91110000600037341L"
HUAXING = "91340600MA2PBM9HXD"
TIANYUAN = "91350100M000100Y43"


def ratio(n1: int, n2: int, d: int) -> float:
    return round(100 * (1 - d / (n1 + n2)), 1)


@pytest.fixture
def enterprises() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": [HENGDA, HUAXING, None, TIANYUAN, ""],
            "name": [
                "石嘴山市恒达钢铁有限公司",
                "宁夏华兴（集团）化工有限责任公司",
                "惠农区红星机械厂",
                "平罗县天元新材料股份有限公司",
                "大武口区宏达建材有限公司",
            ],
            "source_file": "enterprises.xlsx",
            "source_row": [3, 4, 5, 6, 7],
        }
    )


@pytest.fixture
def parcels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(7)],
            "credit_code": [
                " 9111 0000 6000 3734 1l",
                None,
                None,
                None,
                None,
                None,
                "91110000600037341N",
            ],
            "owner_name": [
                "石嘴山市恒达钢铁有限公司",
                "宁夏华兴(集团)化工有限公司",  # half-width brackets, 有限公司
                "惠农区 红星机械厂 ",  # stray spaces
                "大武口区宏远建材有限公司",  # one character off, 12 chars
                "惠农区红旗机械厂",  # one character off, 8 chars
                "平罗县天元新材料股份有限公司石嘴山分公司",  # branch
                "沙湖旅游开发有限公司",  # not in the ledger, bad check char
            ],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )


@pytest.fixture
def entities(enterprises, parcels) -> pd.DataFrame:
    return build_entities(enterprises, parcels)


def test_build_entities(entities):
    assert list(entities.columns) == list(ENTITY_COLUMNS)
    assert entities["enterprise_id"].tolist() == [
        HENGDA, HUAXING, "N:惠农区红星机械厂", TIANYUAN, "N:大武口区宏达建材有限公司",
        "N:大武口区宏远建材有限公司", "N:惠农区红旗机械厂",
        "N:平罗县天元新材料股份有限公司石嘴山分公司", "N:沙湖旅游开发有限公司",
    ]  # fmt: skip
    e = entities.set_index("enterprise_id")
    # The ledger's spelling wins; the parcel's variant is remembered.
    assert e.loc[HUAXING, "name"] == "宁夏华兴（集团）化工有限责任公司"
    assert e.loc[HUAXING, "name_variants"] == ("宁夏华兴(集团)化工有限公司",)
    assert e["in_ledger"].sum() == 5
    assert not e.loc["N:沙湖旅游开发有限公司", "in_ledger"]
    # An invalid code is kept for people to read, but is no key.
    assert e.loc["N:沙湖旅游开发有限公司", "credit_code"] == "91110000600037341N"
    assert e["code_valid"].tolist() == [True, True, False, True] + [False] * 5


def test_build_entities_dedupes_code_and_name():
    ent = pd.DataFrame(
        {
            "credit_code": [HENGDA.lower(), None, HENGDA],
            "name": ["恒达公司", "恒达 公司", "恒达钢铁"],
        }
    )
    par = pd.DataFrame({"credit_code": [None, "  "], "owner_name": ["恒达公司", None]})
    out = build_entities(ent, par)
    assert out["enterprise_id"].tolist() == [HENGDA]
    assert out.loc[0, "name_variants"] == ("恒达公司", "恒达钢铁")
    assert build_entities(None, par)["in_ledger"].tolist() == [False]


def test_link_parcels(parcels, entities):
    ids, rep = link_parcels(parcels, entities)
    assert ids.index.tolist() == parcels.index.tolist()
    assert ids.tolist() == [
        HENGDA, HUAXING, "N:惠农区红星机械厂", "N:大武口区宏达建材有限公司",
        "N:惠农区红旗机械厂", TIANYUAN, "N:沙湖旅游开发有限公司",
    ]  # fmt: skip
    assert list(rep.columns) == list(REPORT_COLUMNS)
    # Every link except the exact code match is reported.
    assert rep.index.tolist() == [11, 12, 13, 14, 15, 16]
    assert rep["method"].tolist() == ["name", "name", "fuzzy", "name", "branch", "name"]
    assert rep.loc[13, "score"] == ratio(12, 12, 2) == 91.7
    assert rep.loc[13, "entity_name"] == "大武口区宏达建材有限公司"
    # 惠农区红旗机械厂 scores 87.5 (< 90) against 惠农区红星机械厂: it stays its own enterprise.
    assert rep.loc[14, "note"] == (
        "最接近 / closest: 惠农区红星机械厂 (87.5)；企业台账中无此企业 / not in the enterprise ledger"
    )
    assert "校验位错误" in rep.loc[16, "note"]
    assert "总机构" in rep.loc[15, "note"]
    assert rep["source"].unique().tolist() == ["parcels"]


def test_fuzzy_threshold_boundary(entities):
    rec = pd.DataFrame({"name": ["惠农区红旗机械厂"]})
    ids, rep = link_to_entities(rec, entities[entities["in_ledger"]])
    assert ids.isna().all() and rep["method"].tolist() == ["none"]
    assert rep.loc[0, "note"] == "最接近 / closest: 惠农区红星机械厂 (87.5)"
    ids, rep = link_to_entities(rec, entities[entities["in_ledger"]], min_score=85)
    assert ids.tolist() == ["N:惠农区红星机械厂"]
    assert rep["score"].tolist() == [ratio(8, 8, 2)] == [87.5]


def test_link_tax_ledger(entities):
    tax = pd.DataFrame(
        {
            "credit_code": [
                HUAXING.lower(),
                "91110000600037341N",
                None,
                None,
                TIANYUAN,
                "91110108795101314G",
                None,
                None,
                "无",
            ],
            "name": [
                "宁夏华兴化工有限公司",  # code match, name close enough
                "石嘴山市恒达钢铁有限公司",  # check digit fails, name matches
                "大武口区宏达建才有限公司",  # typo
                "平罗县天元新材料股份有限公司（石嘴山分公司）",  # bracketed branch
                "完全无关的贸易公司",  # same code, unrelated name
                "石嘴山市恒达钢铁有限公",  # valid but unknown code: never fuzzy to a coded one
                "石嘴山市恒达钢铁有限公",  # same name without code: fuzzy
                None,
                "  ",
            ],
            "source_file": "tax.xlsx",
            "source_row": np.arange(3, 12),
        }
    )
    ids, rep = link_to_entities(tax, entities, source="tax_arrears")
    assert ids.tolist() == [
        HUAXING, HENGDA, "N:大武口区宏达建材有限公司", TIANYUAN, TIANYUAN, pd.NA, HENGDA, pd.NA,
        pd.NA,
    ]  # fmt: skip
    assert rep.index.tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rep["method"].tolist() == [
        "name", "fuzzy", "branch", "code_conflict", "none", "fuzzy", "none", "none",
    ]  # fmt: skip
    # "宏达建才" vs "宏达建材": one substitution in 12; vs the parcel's "宏远建材": two.
    assert rep.loc[2, "score"] == ratio(12, 12, 2)
    # 完全无关的贸易公司 (9) vs 平罗县天元新材料股份有限公司 (14): only 公司 in common.
    assert rep.loc[4, "score"] == ratio(9, 14, 9 + 14 - 2 * 2) == 17.4
    assert rep.loc[6, "score"] == ratio(11, 12, 1) == 95.7
    assert rep.loc[5, "score"] == 0.0
    assert rep["source_row"].tolist() == [4, 5, 6, 7, 8, 9, 10, 11]
    assert rep["source_file"].unique().tolist() == ["tax.xlsx"]
    assert rep["source"].unique().tolist() == ["tax_arrears"]
    assert rep.loc[1, "record_code"] == "91110000600037341N"
    assert rep.loc[4, "entity_name"] == "平罗县天元新材料股份有限公司"
    assert "无可用名称" in rep.loc[7, "note"]


def test_ties_are_reported():
    ent = build_entities(
        pd.DataFrame({"name": ["宁夏甲乙化工有限公司", "宁夏甲丙化工有限公司"]}), None
    )
    ids, rep = link_to_entities(pd.DataFrame({"name": ["宁夏甲丁化工有限公司"]}), ent)
    assert rep["score"].tolist() == [ratio(10, 10, 2)] == [90.0]
    assert ids.tolist() == ["N:宁夏甲乙化工有限公司"]  # first in entity order
    assert "并列候选2个" in rep.loc[0, "note"]
    assert "N:宁夏甲丙化工有限公司" in rep.loc[0, "note"]


def test_exact_name_shared_by_two_codes_is_flagged():
    ent = build_entities(
        pd.DataFrame({"credit_code": [HENGDA, HUAXING], "name": ["同名公司", "同名公司"]}), None
    )
    ids, rep = link_to_entities(pd.DataFrame({"name": ["同名公司"]}), ent)
    assert ids.tolist() == [HENGDA]
    assert rep["method"].tolist() == ["name"]
    assert "并列候选2个" in rep.loc[0, "note"]


def test_duplicate_index_and_missing_columns(entities):
    rec = pd.DataFrame({"name": ["惠农区红星机械厂", "不存在的公司"]}, index=[5, 5])
    ids, rep = link_to_entities(rec, entities)
    assert ids.index.tolist() == [5, 5]
    assert ids.tolist() == ["N:惠农区红星机械厂", pd.NA]
    assert rep["source_file"].isna().all()
    only_codes = pd.DataFrame({"credit_code": [HENGDA, "x"]})
    ids, rep = link_to_entities(only_codes, entities)
    assert ids.tolist() == [HENGDA, pd.NA]
    assert rep["method"].tolist() == ["none"]


def test_report_into_quality_log(entities):
    _, rep = link_to_entities(pd.DataFrame({"name": ["某某公司"]}), entities, source="disposals")
    log = QualityLog()
    log.add_matches(report_records(rep))
    data = json.loads(json.dumps(log.to_dict(), ensure_ascii=False))
    assert data["matches"] == [
        {
            "source": "disposals", "source_file": None, "source_row": None,
            "record_name": "某某公司", "record_code": None, "enterprise_id": None,
            "entity_name": None, "method": "none", "score": 0.0, "note": "",
        }
    ]  # fmt: skip


def test_fuzzy_scales_to_thousands():
    rng = np.random.default_rng(1)
    chars = np.array(list("甲乙丙丁戊己庚辛壬癸金木水火土东南西北中"))
    stems = ["".join(rng.choice(chars, 6)) for _ in range(3000)]
    ent = build_entities(pd.DataFrame({"name": [f"宁夏{s}有限公司" for s in stems]}), None)
    typo = [f"宁夏{s[:-1]}某有限公司" for s in stems[:2000]]
    t0 = time.perf_counter()
    ids, rep = link_to_entities(pd.DataFrame({"name": typo}), ent)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10
    # One substitution in 12 characters: 91.7 (ties with other stems allowed).
    assert (rep["method"] == "fuzzy").all()
    assert (rep["score"] == ratio(12, 12, 2)).all()


def test_exact_name_with_other_valid_code_is_noted(entities):
    rec = pd.DataFrame(
        {"credit_code": ["91110108795101314G"], "name": ["石嘴山市恒达钢铁有限公司"]}
    )
    ids, rep = link_to_entities(rec, entities)
    assert ids.tolist() == [HENGDA]
    assert rep["method"].tolist() == ["name"]
    assert rep.loc[0, "note"] == f"信用代码不同 / credit codes differ: {HENGDA}"


def test_repeated_records_are_linked_once_and_reported_per_row(entities):
    # The same misspelt name in three rows (three years, or three parcels of one
    # owner): one link, three report rows, each with its own source row.
    rec = pd.DataFrame(
        {
            "credit_code": [None, None, HENGDA, None],
            "name": ["大武口区宏远建材有限公司"] * 2
            + ["石嘴山市恒达钢铁有限公司", "大武口区宏远建材有限公司"],
            "source_file": "tax.xlsx",
            "source_row": [3, 4, 5, 6],
        },
        index=[7, 7, 8, 9],  # a repeated index, as after concatenating files
    )
    ledger = entities[entities["in_ledger"]]
    ids, rep = link_to_entities(rec, ledger, min_score=85, source="tax_arrears")
    assert ids.index.tolist() == [7, 7, 8, 9]
    assert ids.tolist() == ["N:大武口区宏达建材有限公司"] * 2 + [
        HENGDA,
        "N:大武口区宏达建材有限公司",
    ]
    assert rep["source_row"].tolist() == [3, 4, 6]
    assert rep["method"].tolist() == ["fuzzy"] * 3
    assert rep["score"].tolist() == [ratio(12, 12, 2)] * 3


def test_shared_record_keys_give_the_same_entities_and_links():
    """RecordKeys built once (as the pipeline does) change nothing."""
    from landclear.match import RecordKeys, build_entities, link_parcels, link_to_entities

    ent = pd.DataFrame(
        {
            "credit_code": ["91640200MA76XKHF8X", None, "91640200ma76xkhf8x", None, "bad"],
            "name": ["甲化工有限公司", "乙 厂", "甲化工有限公司", None, "丙公司(石嘴山分公司)"],
        }
    )
    par = pd.DataFrame(
        {
            "credit_code": [None, "91640200MA76XKHF8X", None, None],
            "owner_name": ["乙厂", "甲化工有限责任公司", "丙公司", "丁公司"],
        }
    )
    keys = (RecordKeys(ent, "credit_code", "name"), RecordKeys(par, "credit_code", "owner_name"))
    plain, shared = build_entities(ent, par), build_entities(ent, par, keys=keys)
    pd.testing.assert_frame_equal(plain, shared)
    for got, want in (
        (link_parcels(par, shared, keys=keys[1]), link_parcels(par, plain)),
        (link_to_entities(ent, shared, keys=keys[0]), link_to_entities(ent, plain)),
    ):
        pd.testing.assert_series_equal(got[0], want[0])
        pd.testing.assert_frame_equal(got[1], want[1])
    assert keys[0].rows.tolist() == [0, 1, 2, 3, 4]
    # Keys of another frame would hand rows the enterprise of other rows: refused.
    with pytest.raises(ValueError, match="same frame"):
        link_parcels(par, shared, keys=keys[0])
    with pytest.raises(ValueError, match="same frame"):
        build_entities(ent, par, keys=(keys[1], None))
    with pytest.raises(ValueError, match="same frame"):
        link_to_entities(ent.iloc[:4], shared, keys=keys[0])


def test_parent_names_only_for_open_records_and_as_the_full_normalisation():
    """The branch stage's parent names are worked out for open records only, with equal values."""
    from landclear.ids import normalise_name
    from landclear.match import RecordKeys, _parent_names, _State

    rec = pd.DataFrame(
        {
            "credit_code": [None, None, None, None],
            "name": [
                "宁夏甲化工有限公司大武口分公司",  # open, has a branch
                "宁夏乙化工有限公司惠农分公司",  # matched below: not worked out
                "宁夏丙化工有限公司",  # open, no branch: nothing to drop
                None,  # no name: not open for names
            ],
        }
    )
    st = _State(RecordKeys(rec, "credit_code", "name"))
    st.set(np.array([False, True, False, False]), "E2", "name", 100.0)
    got = _parent_names(st)
    full = normalise_name(st.raw_name, drop_branch=True)
    assert got.dtype == full.dtype and got.index.equals(st.name.index)
    assert got.iloc[0] == full.iloc[0] == "宁夏甲化工有限公司"
    assert got.iloc[1:].isna().all()
