"""The workbook writer: formula-safe text, Chinese headers, formats."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd

from landclear.io.write import is_formula_like, neutralise_formula, write_workbook

EVIL = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "正常 = 文本"]


def test_formula_like_text_stays_text(tmp_path):
    df = pd.DataFrame(
        {
            "name": EVIL,
            "amount": [1.5, 2, 3, 4, 5, 6],
            "when": pd.to_datetime(["2024-01-02"] * 6),
            "flag": [True, False] * 3,
        }
    )
    path = write_workbook(
        [("清单", df)], tmp_path / "x.xlsx", headers={"name": "企业名称", "amount": "金额(万元)"}
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["清单"]
    assert [c.value for c in ws[1]] == ["企业名称", "金额(万元)", "when", "flag"]
    for i, text in enumerate(EVIL, start=2):
        cell = ws.cell(i, 1)
        assert cell.data_type == "s" and cell.value == text
        assert cell.quotePrefix == is_formula_like(text)
    assert ws.cell(2, 2).value == 1.5 and ws.cell(2, 3).value == dt.datetime(2024, 1, 2)
    assert ws.cell(2, 4).value == "是" and ws.cell(3, 4).value == "否"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1")


def test_neutralise_for_plain_text():
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("石嘴山") == "石嘴山"


def test_sample_workbook_reads_back(sample_result, tmp_path, planted):
    written = sample_result.to_files(tmp_path, maps=False)
    wb = openpyxl.load_workbook(written["workbook"], read_only=True)
    names = wb.sheetnames
    for expected in (
        "欠缴土地使用税两年以上企业清单"[:31],
        "抵押在金融机构的闲置土地清单",
        "停产两年以上工业企业清单",
        "三个清单交叉表",
        "亩均效益评价",
        "园区指标",
        "数据质量",
    ):
        assert expected in names
    stopped = list(wb["停产两年以上工业企业清单"].values)
    assert stopped[0][1] == "企业名称"
    assert len(stopped) - 1 == len(planted["stopped_2y"])


def test_workbook_sheets_are_capped_with_a_note(sample_result):
    import copy

    r = copy.copy(sample_result)
    r.project = copy.copy(sample_result.project)
    r.project.output = {"workbook_parcel_limit": 5}
    sheets = dict(r.workbook_sheets())
    note = sheets["说明"]
    assert (note["保留行数"] == 5).all() and (note["总行数"] > 5).all()
    assert all(len(df) <= 5 for name, df in sheets.items() if name != "说明")
