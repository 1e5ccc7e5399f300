"""Workbook headers: Chinese for every column, per sheet where one name means two things."""

from __future__ import annotations

import re

import openpyxl
import pytest

from landclear.labels import LABELS, SHEET_LABELS, label, sheet_labels

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_one_name_two_meanings_is_labelled_per_sheet():
    assert label("method") == "处置方式"
    assert sheet_labels("匹配核对", ["method", "score"]) == {
        "method": "匹配方式",
        "score": "匹配得分",
    }
    assert sheet_labels("亩均效益评价", ["score", "status"]) == {
        "score": "综合得分",
        "status": "生产状态",
    }
    assert sheet_labels("整治目标节点", ["status"]) == {"status": "完成情况"}
    assert sheet_labels("处置台账核算", ["status", "area_mu"]) == {
        "status": "处置状态",
        "area_mu": "处置面积(亩)",
    }
    assert sheet_labels("Matches", ["method"], "en") == {"method": "Match method"}


def test_every_label_has_both_languages():
    for table in [LABELS, *SHEET_LABELS.values()]:
        for name, (zh, en) in table.items():
            assert CJK.search(zh), name
            assert en and not CJK.search(en), name


@pytest.fixture(scope="module")
def sample_workbook(sample_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("wb")
    return openpyxl.load_workbook(
        sample_result.to_files(out, maps=False)["workbook"], read_only=True
    )


def test_every_header_of_the_sample_workbook_is_chinese(sample_workbook):
    """No English column name leaks into ledgers.xlsx (tax list, progress, matches …)."""
    bad = {}
    for ws in sample_workbook.worksheets:
        heads = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
        assert len(heads) == len(set(heads)), (ws.title, heads)
        english = [h for h in heads if h is not None and not CJK.search(str(h))]
        if english:
            bad[ws.title] = english
    assert not bad


def test_matches_sheet_says_match_method_not_disposal_method(sample_workbook):
    ws = sample_workbook["匹配核对"]
    heads = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    assert "匹配方式" in heads and "匹配得分" in heads
    assert "处置方式" not in heads and "综合得分" not in heads
    ws = sample_workbook["整治目标节点"]
    heads = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    assert "完成情况" in heads and "生产状态" not in heads
