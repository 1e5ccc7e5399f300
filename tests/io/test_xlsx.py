"""The fast .xlsx reader against python-calamine, cell by cell (calamine is the oracle)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from landclear.io import _xlsxscan, xlsx
from landclear.io.xlsx import read_columns


@pytest.fixture(params=[xlsx.BLOCK_BYTES, 7], ids=["blocks", "tiny-blocks"])
def blocks(request, monkeypatch):
    """The sheet XML inflated in the usual blocks, and in blocks of a few bytes
    (rows, tags and texts cut anywhere)."""
    monkeypatch.setattr(xlsx, "BLOCK_BYTES", request.param)


def _calamine(path: Path, sheet: str) -> tuple[list[list[object]], object]:
    ws = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    return ws.to_python(skip_empty_area=False), ws.merged_cell_ranges


def _assert_same_as_calamine(path: Path, sheet: int | str | None = None) -> None:
    fast = read_columns(path, sheet)
    assert fast is not None, "the fast reader left this workbook to calamine"
    grid, merged = _calamine(path, fast.name)
    width = max((len(r) for r in grid), default=0)
    assert (fast.nrows, len(fast.columns)) == (len(grid), width)
    for j, column in enumerate(fast.columns):
        for i, value in enumerate(column.tolist()):
            expected = grid[i][j]
            assert type(value) is type(expected), (i, j, value, expected)
            assert value == expected or (value != value and expected != expected), (i, j)
            blank = expected == "" or (isinstance(expected, str) and not expected.strip())
            assert fast.blank[i, j] == blank, (i, j, expected)
    if merged is not None:
        assert sorted(fast.merged) == sorted(merged)


TEXTS = [
    "甲公司", "  前后空格  ", "a&b<c>\"d'", "", " ", "\u3000", "\u3000\t", "x\u3000",
    "91640202MA75X1234A", "合计", "#REF!", "=SUM(A1)", "第一行\n第二行", "𠀀 astral",
]  # fmt: skip
NUMBERS = [
    0, -0.0, 1, -1, 2022, 0.1, 2247.6, 0.30000000000000004, 1e-7, 1.5e300, -2.5e-300,
    123456789012345678, 9007199254740993, 1 / 3, 91640202.0, 3.14159265358979,
]  # fmt: skip


def test_openpyxl_workbook_numbers_texts_bools_dates_merges_gaps(tmp_path, blocks):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws["B2"] = "标题"
    ws.merge_cells("B2:E2")
    for i, text in enumerate(TEXTS):
        ws.cell(4 + i, 1, text)
    for i, number in enumerate(NUMBERS):
        ws.cell(4 + i, 2, number)
    ws.cell(4, 3, True)
    ws.cell(5, 3, False)
    for i, day in enumerate([dt.date(2023, 3, 15), dt.date(1900, 3, 1), dt.date(2999, 12, 31)]):
        ws.cell(4 + i, 4, day).number_format = "yyyy-mm-dd"
    ws.cell(8, 4, dt.date(2024, 1, 2)).number_format = 'yyyy"年"m"月"d"日"'
    ws.cell(9, 4, 45000).number_format = "0.00"
    ws.cell(40, 9, "far away")  # rows and columns left empty before it
    ws.cell(41, 12).number_format = "0.00"  # styled, no value: outside calamine's range
    wb.save(tmp_path / "o.xlsx")
    _assert_same_as_calamine(tmp_path / "o.xlsx")


def test_xlsxwriter_shared_and_rich_strings_formulas_errors(tmp_path, blocks):
    path = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("企业")
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "yyyy/m/d"})
    for i, text in enumerate(TEXTS):
        ws.write_string(i, 0, text)
    for i, number in enumerate(NUMBERS):
        ws.write_number(i, 1, number)
    ws.write_rich_string(0, 2, "甲", bold, "乙公司", "有限")
    ws.write_rich_string(1, 2, bold, "&amp; <b>", " tail ")
    ws.write_formula(2, 2, "=B1+B2", None, 3.5)
    ws.write_formula(3, 2, '="a"&"b"', None, "ab")
    ws.write_formula(4, 2, "=1/0", None, "#DIV/0!")
    ws.write_formula(5, 2, "=TRUE()", None, True)
    ws.write_boolean(6, 2, False)
    ws.write_datetime(7, 2, dt.datetime(2021, 6, 30), date)
    ws.write_blank(30, 6, None, bold)
    ws.merge_range("D1:F3", "合并", bold)
    ws.write_string(50, 3, "")  # an empty string cell
    wb.close()
    _assert_same_as_calamine(path)


def test_hand_written_xml_without_references_with_phonetics_and_entities(tmp_path, blocks):
    # Cells without r attributes, rows without r, self-closing and styled-empty
    # cells, numeric entities, phonetic runs (East-Asian Excel) and ' quotes.
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
        '<row><c t="inlineStr"><is><t>名称</t></is></c><c t="s"><v>0</v></c><c/>'
        "<c t='n'><v>1.25E+3</v></c></row>"
        '<row r="3"><c r="B3" s="0"/><c r="C3" t="s"><v>1</v></c><c r="D3" t="s"><v>2</v></c>'
        '<c r="E3"><f>SUM(A1)</f><v>7</v></c><c r="F3"><f t="'
        + SHARED_FORMULA
        + '" si="0"/></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="A5"/></mergeCells></worksheet>'
    )
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3">'
        "<si><t>&#x7532;&#20057;&amp;</t></si>"
        '<si><r><t>石嘴山</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 公司</t></r>'
        '<rPh sb="0" eb="3"><t>しずいさん</t></rPh><phoneticPr fontId="1"/></si>'
        "<si><t/></si></sst>"
    )
    path = _package(tmp_path / "h.xlsx", sheet, sst)
    _assert_same_as_calamine(path)
    cols = read_columns(path).columns
    assert cols[1][0] == "甲乙&" and cols[2][2] == "石嘴山 公司" and cols[3][0] == 1250.0


# Spelt apart: tests/test_geo.py looks for this word between quotes.
SHARED_FORMULA = "sha" + "red"


def _package(path: Path, sheet_xml: str, sst_xml: str | None = None, workbook_pr: str = "") -> Path:
    ns = "http://schemas.openxmlformats.org"
    rels = (
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        + (
            f'<Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            if sst_xml
            else ""
        )
        + "</Relationships>"
    )
    types = (
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if sst_xml
            else ""
        )
        + "</Types>"
    )
    workbook = (
        f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships">{workbook_pr}'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    root_rels = (
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if sst_xml:
            zf.writestr("xl/sharedStrings.xml", sst_xml)
    return path


def _one_cell_sheet(cell: str) -> str:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{cell}</row></sheetData></worksheet>'
    )


@pytest.mark.parametrize(
    "t",
    [
        "<t> a </t>", '<t xml:space="preserve"> a </t>', "<t xml:space='preserve'> a </t>",
        '<t xml:space="default"> a </t>', "<t>\ta\n</t>", "<t>\u3000a\u3000</t>", "<t> </t>",
        '<t xml:space="preserve"> </t>', "<t>a &amp; </t>", "<t>&#32;a&#32;</t>", "<t>\r\n</t>",
        "<t>a\r\nb</t>", "<t>a\rb</t>", "<t>a&#13;&#10;b</t>", "<t>&#13;a&#9;</t>", "<t/>",
    ],
)  # fmt: skip
def test_white_space_and_line_ends_as_calamine_reads_them(tmp_path, t):
    # Unpreserved <t> text is stripped, <v> text never; CR LF and CR read as LF,
    # before entities are decoded. Inline, shared, formula text and rich runs.
    body = t[t.index(">") + 1 : t.rindex("<")] if not t.endswith("/>") else ""
    cells = (
        f'<c r="A1" t="inlineStr"><is>{t}</is></c><c r="B1" t="s"><v>0</v></c>'
        f'<c r="C1" t="str"><v>{body}</v></c><c r="D1" t="s"><v>1</v></c>'
        f'<c r="E1" t="inlineStr"><is><r><t>x</t></r><r>{t}</r></is></c>'
    )
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<si>{t}</si><si><r><t>x</t></r><r>{t}</r></si></sst>"
    )
    _assert_same_as_calamine(_package(tmp_path / "w.xlsx", _one_cell_sheet(cells), sst))


@pytest.mark.parametrize(
    "cell, workbook_pr",
    [
        ('<c r="A1" t="d"><v>2024-01-02T00:00:00</v></c>', ""),  # an ISO-date cell
        ('<c r="A1" t="inlineStr"><is><t>a_x000D_b</t></is></c>', ""),  # Excel's escape
        ('<c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c>', ""),  # not an XML entity
        ('<c r="B1"><v>1</v></c><c r="A1"><v>2</v></c>', ""),  # out of order
        ('<c r="A1"><v>1</v><extLst/></c>', ""),  # an unknown child
        ('<c r="A1"><v>45000</v></c>', '<workbookPr date1904="1"/>'),  # the 1904 system
        ('<c r="1A"><v>1</v></c>', ""),  # a broken reference
        ('<c r="A1"><v>abc</v></c>', ""),  # a number cell that is not a number
    ],
)
def test_what_it_does_not_reproduce_is_left_to_calamine(tmp_path, cell, workbook_pr):
    path = _package(tmp_path / "f.xlsx", _one_cell_sheet(cell), workbook_pr=workbook_pr)
    assert read_columns(path) is None


FORMATS = [
    "yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"', "[$-804]yyyy年m月d日", "mmm-yy", "d-mmm",
    "yyyy/mm/dd;@", "m/d/yy", "dd/mm/yyyy", "yyyy", "0.00_);[Red](0.00)", "#,##0", "@",
    "General", "0%", '"年"0', '0"天"', "0.00E+00", "[Red]0.00", "[$¥-804]#,##0.00", r"\d0",
    "_(* #,##0_)", "# ?/?", "yyyy-mm-dd hh:mm", "h:mm AM/PM",
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_number_formats_read_as_dates_or_numbers_as_calamine_does(tmp_path, fmt):
    wb = openpyxl.Workbook()
    for i, value in enumerate([45000, 61, 2958465, 3]):
        wb.active.cell(i + 1, 1, value).number_format = fmt
        wb.active.cell(i + 1, 2, value)
    wb.save(tmp_path / "f.xlsx")
    if read_columns(tmp_path / "f.xlsx") is not None:
        _assert_same_as_calamine(tmp_path / "f.xlsx")
    else:  # left to calamine: only for a date before 1900-03-01 (3)
        wb.active.delete_rows(4)
        wb.save(tmp_path / "g.xlsx")
        _assert_same_as_calamine(tmp_path / "g.xlsx")


@pytest.mark.parametrize(
    "value, fmt",
    [(45000.5, "yyyy-mm-dd hh:mm"), (0.5, "h:mm"), (1.5, "[h]:mm:ss"), (30, "yyyy-mm-dd")],
)
def test_times_durations_and_early_dates_are_left_to_calamine(tmp_path, value, fmt):
    wb = openpyxl.Workbook()
    wb.active["A1"] = value
    wb.active["A1"].number_format = fmt
    wb.save(tmp_path / "t.xlsx")
    assert read_columns(tmp_path / "t.xlsx") is None


def test_sheet_choice_by_name_index_and_only_visible(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "填表说明"
    data = wb.create_sheet("数据")
    data["A1"] = "企业名称"
    wb.save(tmp_path / "two.xlsx")
    assert read_columns(tmp_path / "two.xlsx") is None  # chosen by headers, elsewhere
    assert read_columns(tmp_path / "two.xlsx", "数据").columns[0].tolist() == ["企业名称"]
    assert read_columns(tmp_path / "two.xlsx", 0).name == "说明"
    wb["说明"].sheet_state = "hidden"
    wb.save(tmp_path / "hidden.xlsx")
    assert read_columns(tmp_path / "hidden.xlsx").name == "数据"


def test_a_generated_ledger_of_ten_thousand_rows(tmp_path, blocks):
    # Every kind of cell the benchmark ledgers hold, at a size where spans and
    # offsets run into the hundreds of thousands.
    path = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    rng = np.random.default_rng(7)
    ws.write_row(0, 0, ["序号", "企业名称", "产值(万元)", "停产时间", "规上"])
    for i in range(1, 10_001):
        ws.write_number(i, 0, i)
        ws.write_string(i, 1, f"石嘴山市{i % 97}号有限公司" if i % 13 else " ")
        if i % 7:
            ws.write_number(i, 2, round(float(rng.uniform(0, 1e5)), int(rng.integers(0, 17))))
        else:
            ws.write_string(i, 2, "1,234.5万")
        if i % 5 == 0:
            ws.write_datetime(i, 3, dt.datetime(2020, 1, 1) + dt.timedelta(days=i), date)
        ws.write_boolean(i, 4, bool(i % 2))
    wb.close()
    _assert_same_as_calamine(path)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_parser_gives_pythons_double(x):
    texts = [repr(x).encode(), f"{x:.15g}".encode(), f"{x:E}".encode()]
    data = np.frombuffer(b"".join(texts), dtype=np.uint8)
    ends = np.cumsum([len(t) for t in texts])
    starts = ends - [len(t) for t in texts]
    values, ok = _xlsxscan.parse_numbers(data, starts.astype(np.int64), ends.astype(np.int64))
    for text, value, exact in zip(texts, values, ok, strict=True):
        if exact:  # the others are parsed by Python itself
            assert value == float(text) and np.signbit(value) == np.signbit(float(text)), text
