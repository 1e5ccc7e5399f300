"""Tests of landclear.io.ledgers with realistic, messy ledgers built in code."""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from landclear.errors import InputFileError, MissingColumnError, ProjectError
from landclear.io import ledgers
from landclear.io.ledgers import read_ledger
from landclear.io.xlsx import member_blocks
from landclear.quality import QualityLog
from landclear.validate import validate


@pytest.fixture(autouse=True, params=["calamine", "fast"])
def xlsx_reader(request, monkeypatch):
    """Every test twice: .xlsx read by calamine, and by the fast reader at any size."""
    if request.param == "fast":
        monkeypatch.setattr(ledgers, "FAST_XLSX_MIN_BYTES", 0)
    return request.param


def _iso(values) -> list[str | None]:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]


def _enterprise_workbook(path: Path) -> Path:
    """Title + 填报单位 + blank + two-row header, 序号, 合计, blank rows, footnote."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes["A1"] = "本表按季度报送,金额单位见表头。"
    ws = wb.create_sheet("企业台账")
    ws["A1"] = "石嘴山市工业企业运行情况台账(2023年度)"
    ws.merge_cells("A1:I1")
    ws["A2"] = "填报单位：大武口区工业和信息化局"
    ws["G2"] = "填报日期：2024年1月10日"
    # row 3 blank
    for col, name in zip("ABC", ["序号", "企业名称", "统一社会信用代码"], strict=True):
        ws[f"{col}4"] = name
        ws.merge_cells(f"{col}4:{col}5")
    ws["D4"] = "基本情况"
    ws.merge_cells("D4:F4")
    ws["G4"] = "经营指标"
    ws.merge_cells("G4:I4")
    for col, name in zip(
        "DEFGHI",
        ["生产状态", "停产时间", "是否规上", "工业总产值（元）", "实缴税金(万元)", "年度"],
        strict=True,
    ):
        ws[f"{col}5"] = name
    rows = {
        6: [
            1,
            "甲公司",
            "91110000600037341L",
            "停产",
            dt.date(2021, 6, 30),
            "是",
            12345678,
            12.5,
            2023,
        ],
        7: [
            2,
            "乙公司",
            "91340600MA2PBM9HXD",
            "正常",
            "2021年6月",
            "规下",
            "1,000,000",
            "3万元",
            "2023年",
        ],
        # row 8 blank
        9: [3, "丙公司", None, "停产", 44377, "否", "(20,000)", "无", 2023],
        10: [4, "丁公司", "91110000600037341N", "半停产", "20210630", "Y", "=1+2", 0.5, 2023],
        11: [5, None, "91340600MA2PBM9HXD", "停产", "2021-02-30", "是", 100, 1, 2023],
        12: [
            6,
            "甲公司",
            "91110000600037341L",
            "停产",
            dt.date(2021, 6, 30),
            "是",
            12345678,
            12.5,
            2023,
        ],
        13: [
            7,
            "甲公司",
            "91110000600037341L",
            "停产",
            dt.date(2021, 6, 30),
            "是",
            99990000,
            12.5,
            2023,
        ],
        14: ["合计", None, None, None, None, None, "=SUM(G6:G13)", 30.5, None],
        15: [8],  # a pre-numbered empty template row
        17: ["注：停产时间填写停产起始月份。"],
    }
    for r, values in rows.items():
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, c, v)
    # 合计 only in the 序号 column (the rest of the row is sums): a totals row, not blank
    ws.merge_cells("A17:I17")
    ws["E6"].number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def test_enterprise_ledger_accounting_and_values(tmp_path):
    path = _enterprise_workbook(tmp_path / "企业台账.xlsx")
    log = QualityLog()
    df = read_ledger(path, "enterprises", log=log)
    rec = log.inputs["enterprises"]

    # Data rows: 6, 7, 9, 10, 11, 12, 13. Skipped: 1, 2, 4 (text above header), 3 (blank),
    # 5 (header), 8 and 16 (blank), 15 (序号 only), 14 (合计), 17 (footnote).
    assert df["source_row"].tolist() == [6, 7, 9, 10, 11, 12, 13]
    assert rec.rows_read == 7
    assert rec.rows_skipped == 10
    skipped = {s["row"]: s["reason"] for s in rec.skipped}
    assert sorted(skipped) == list(range(1, 6)) + [8, 14, 15, 16, 17]
    assert skipped[14].startswith("合计")
    assert skipped[17].startswith("表尾说明行")
    assert skipped[5].startswith("表头行")
    assert set(df["source_file"]) == {"企业台账.xlsx"}

    assert df["name"].tolist() == [
        "甲公司",
        "乙公司",
        "丙公司",
        "丁公司",
        pd.NA,
        "甲公司",
        "甲公司",
    ]
    assert _iso(df["stopped_since"]) == [
        "2021-06-30", "2021-06-01", "2021-06-30", "2021-06-30", None, "2021-06-30", "2021-06-30",
    ]  # fmt: skip
    assert df["above_scale"].tolist() == [True, False, False, True, True, True, True]
    # 工业总产值（元） → 万元: 12,345,678 元 = 1234.5678 万元; "(20,000)" = -2 万元
    out = df["output_value"].tolist()
    assert out[0] == pytest.approx(1234.5678) and out[1] == 100.0 and out[2] == -2.0
    assert np.isnan(out[3])  # formula without a cached value reads as empty
    # 实缴税金(万元): "3万元" → 3; "无" → empty
    tax = df["tax_paid"].tolist()
    assert tax[:2] == [12.5, 3.0] and np.isnan(tax[2]) and tax[3] == 0.5
    assert df["year"].tolist() == [2023] * 7
    assert df["status"].tolist()[3] == "半停产"
    # every canonical column exists, typed, even if absent from the file
    assert df["energy_tce"].isna().all() and df["energy_tce"].dtype == "float64"
    assert list(df.columns[-2:]) == ["source_file", "source_row"]

    # repair of the impossible date, warning for the formula cells
    assert [(r["row"], r["column"]) for r in rec.repairs] == [(11, "stopped_since")]
    formula = [w for w in log.warnings if "公式" in w["message"]]
    # G14 is in the skipped 合计 row: only the data cell is reported
    assert formula and formula[0]["cells"] == ["G10"]

    # validation: row 11 has no name, 12 repeats 6 exactly, 13 conflicts with 6
    kept = validate(df, "enterprises", log)
    assert kept["source_row"].tolist() == [6, 7, 9, 10]
    rejected = {r["row"]: r["reason"] for r in rec.rejected}
    assert sorted(rejected) == [11, 12, 13]
    assert rejected[12].startswith("与第6行完全重复")
    assert "第6行" in rejected[13] and "output_value" in rejected[13]
    assert "tax_paid" not in rejected[13]
    assert rec.rows_read == rec.rows_used + rec.rows_rejected
    assert rec.rows_used == 4
    # negative output blanked, row kept
    assert np.isnan(kept.loc[kept["source_row"] == 9, "output_value"].iloc[0])
    assert any(r["row"] == 9 and r["column"] == "output_value" for r in rec.repairs)


def test_csv_gbk_two_row_header_and_overrides(tmp_path):
    text = (
        "欠税企业清单,,,,,\n"
        "纳税人名称,征收品目,欠缴金额（元）,税款所属期,税款所属期,备注\n"
        ",,,起,止,\n"
        '甲公司,城镇土地使用税,"１２，３４５",2021.1.1,202112,\n'
        ",,,,,\n"
        "乙公司,城镇土地使用税,500000,2020/1/1,2020/12/31,\n"
        "小 计,,512345,,,\n"
    )
    path = tmp_path / "tax.csv"
    path.write_bytes(text.encode("gbk"))

    with pytest.raises(MissingColumnError) as err:
        read_ledger(path, "tax_arrears")
    msg = str(err.value)
    assert "tax_type" in msg and "[columns.tax_arrears]" in msg and "征收品目" in msg
    assert "tax.csv" in msg

    log = QualityLog()
    df = read_ledger(path, "tax_arrears", columns={"tax_type": "征收品目"}, log=log)
    rec = log.inputs["tax_arrears"]
    assert rec.encoding == "gb18030"
    assert df["name"].tolist() == ["甲公司", "乙公司"]
    assert df["source_row"].tolist() == [4, 6]
    assert df["amount"].tolist() == pytest.approx([1.2345, 50.0])
    assert _iso(df["period_start"]) == ["2021-01-01", "2020-01-01"]
    assert _iso(df["period_end"]) == ["2021-12-01", "2020-12-31"]
    assert rec.rows_read == 2 and rec.rows_skipped == 5  # title, 2 header rows, blank, 小计


def test_sheet_unit_line_bools_and_sheet_choice(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "抵押"
    ws.append(["金融机构抵押土地情况表"])
    ws.append(["填报单位：人民银行石嘴山市中心支行", None, None, "单位：元"])
    ws.append(["宗地代码", "抵押权人", "抵押金额", "抵押起始日期", "抵押终止日期", "是否闲置"])
    ws.append(["640202001001GB00001", "某银行", "3,000,000", dt.datetime(2020, 5, 1), 46000, "是"])
    ws.append(["640202001001GB00002", "某银行", 1500000, "2019-01-01", "2029-01-01", "否"])
    ws.append(["宗地代码", "抵押权人", "抵押金额", "抵押起始日期", "抵押终止日期", "是否闲置"])
    ws.append(["640202001001GB00003", "另一银行", "", "2019/1/1", "", "√"])
    wb.save(tmp_path / "mortgages.xlsx")
    log = QualityLog()
    df = read_ledger("mortgages.xlsx", "mortgages", log=log, base_dir=tmp_path)
    assert df["amount"].tolist()[:2] == [300.0, 150.0]  # "单位：元" above the table
    assert _iso(df["start"]) == ["2020-05-01", "2019-01-01", "2019-01-01"]
    assert _iso(df["end"])[0] == (dt.date(1899, 12, 30) + dt.timedelta(46000)).isoformat()
    assert df["idle_flag"].tolist() == [True, False, True]
    assert df["source_row"].tolist() == [4, 5, 7]
    reasons = [s["reason"] for s in log.inputs["mortgages"].skipped]
    assert any(r.startswith("重复的表头行") for r in reasons)


def test_several_files_concatenate_with_own_units(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["宗地代码", "宗地面积(平方米)", "出让价款(万元)", "约定开工日期"])
    ws.append(["A1", 10000, 100, "2020-01-01"])
    ws.append(["A2", "6,000", 50, "2020年3月"])
    wb.save(tmp_path / "parcels_a.xlsx")
    (tmp_path / "parcels_b.csv").write_text(
        "宗地编号,宗地面积（公顷）,出让价款(元)\nB1,2,1000000\n", encoding="utf-8-sig"
    )
    log = QualityLog()
    df = read_ledger(
        ["parcels_*.xlsx", tmp_path / "parcels_b.csv"], "parcels", log=log, base_dir=tmp_path
    )
    assert df["parcel_id"].tolist() == ["A1", "A2", "B1"]
    # 10000 m² = 15 mu, 6000 m² = 9 mu, 2 ha = 30 mu
    assert df["certified_area"].tolist() == pytest.approx([15.0, 9.0, 30.0])
    assert df["land_price"].tolist() == [100.0, 50.0, 100.0]
    assert df["source_file"].tolist() == ["parcels_a.xlsx", "parcels_a.xlsx", "parcels_b.csv"]
    assert _iso(df["agreed_start"]) == ["2020-01-01", "2020-03-01", None]
    assert log.inputs["parcels"].rows_read == 3
    assert len(log.inputs["parcels"].files) == 2


def test_errors(tmp_path):
    with pytest.raises(InputFileError, match="不存在"):
        read_ledger(tmp_path / "nope.xlsx", "enterprises")
    with pytest.raises(InputFileError, match="没有文件"):
        read_ledger(tmp_path / "*.xlsx", "enterprises")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"this is not a workbook")
    with pytest.raises(InputFileError) as err:
        read_ledger(bad, "enterprises")
    assert "broken.xlsx" in str(err.value)
    other = tmp_path / "a.docx"
    other.write_bytes(b"x")
    with pytest.raises(InputFileError, match="不支持"):
        read_ledger(other, "enterprises")
    with pytest.raises(ProjectError, match="enterprises"):
        read_ledger(other, "enterprise")
    with pytest.raises(ProjectError, match="stopped_since"):
        read_ledger(other, "enterprises", columns={"stoped_since": "停产日期"})
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="表头"):
        read_ledger(nohead, "enterprises")


def test_sheet_argument(tmp_path):
    path = _enterprise_workbook(tmp_path / "e.xlsx")
    assert len(read_ledger(path, "enterprises", sheet="企业台账")) == 7
    assert len(read_ledger(path, "enterprises", sheet=1)) == 7
    with pytest.raises(InputFileError, match="工作表"):
        read_ledger(path, "enterprises", sheet="没有")


def test_units_option_wins_over_a_header_without_unit(tmp_path):
    """[inputs.tax_arrears_options] units = { amount = "元" }: 12,000 元 → 1.2 万元."""
    f = tmp_path / "tax.csv"
    f.write_text(
        '企业名称,税种,欠税金额,所属期起\n甲公司,城镇土地使用税,"12,000",2021/1/1\n', "utf-8"
    )
    assert read_ledger(f, "tax_arrears")["amount"].tolist() == [12000.0]
    df = read_ledger(f, "tax_arrears", units={"amount": "元"})
    assert df["amount"].tolist() == [pytest.approx(1.2)]


def test_units_option_wins_over_the_header_unit_in_excel(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名称", "税种", "欠税金额(万元)", "所属期起"])
    ws.append(["甲公司", "城镇土地使用税", 12000, "2021-01-01"])
    f = tmp_path / "tax.xlsx"
    wb.save(f)
    log = QualityLog()
    df = read_ledger(f, "tax_arrears", units={"amount": "元"}, encoding="gbk", log=log)
    assert df["amount"].tolist() == [pytest.approx(1.2)]
    assert any("encoding" in n for n in log.inputs["tax_arrears"].notes)


def test_encoding_option_reads_csv_in_that_encoding(tmp_path):
    f = tmp_path / "tax.csv"
    # Big5 bytes also decode as GB18030 (to other characters): only the option reads them right.
    f.write_bytes(
        "企業名稱,稅種,欠稅金額,所屬期起\n甲公司,城鎮土地使用稅,1,2021/1/1\n".encode("big5")
    )
    log = QualityLog()
    columns = {
        "name": "企業名稱",
        "tax_type": "稅種",
        "amount": "欠稅金額",
        "period_start": "所屬期起",
    }
    df = read_ledger(f, "tax_arrears", columns=columns, encoding="big5", log=log)
    assert df["tax_type"].tolist() == ["城鎮土地使用稅"]
    assert log.inputs["tax_arrears"].encoding == "BIG5 (option)"


def test_encoding_option_that_does_not_fit_names_the_line(tmp_path):
    f = tmp_path / "tax.csv"
    f.write_bytes(
        "企业名称,税种,所属期起\n".encode() + "甲公司,城镇土地使用税,2021/1/1\n".encode("gbk")
    )
    with pytest.raises(InputFileError) as err:
        read_ledger(f, "tax_arrears", encoding="utf-8")
    assert err.value.row == 2
    assert "[inputs.tax_arrears_options] encoding" in str(err.value)


def test_unknown_encoding_option_is_a_project_error(tmp_path):
    f = tmp_path / "tax.csv"
    f.write_text("企业名称,税种,所属期起\n甲公司,城镇土地使用税,2021/1/1\n", "utf-8")
    with pytest.raises(ProjectError, match=r"\[inputs.tax_arrears_options\] encoding = 'klingon'"):
        read_ledger(f, "tax_arrears", encoding="klingon")


def test_ledger_path_that_is_a_directory_says_so(tmp_path):
    (tmp_path / "tax.csv").mkdir()
    with pytest.raises(InputFileError, match="文件夹") as err:
        read_ledger(tmp_path / "tax.csv", "tax_arrears")
    assert "not found" not in str(err.value)


def test_formula_scan_of_large_workbooks_without_and_with_formulas(tmp_path, monkeypatch):
    # The XML scan decides without openpyxl; a workbook above the full-check size
    # limit with formulas is still read (values as cached), just not itemised.
    from landclear.io import ledgers

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "税种", "所属期起", "欠税金额"])
    wb.active.append(["甲公司", "城镇土地使用税", "2021-01-01", 1.5])
    wb.save(plain)
    assert not ledgers._has_formulas(plain)
    with_f = tmp_path / "formula.xlsx"
    wb.active.append(["乙公司", "城镇土地使用税", "2021-01-01", "=D2*2"])
    wb.save(with_f)
    assert ledgers._has_formulas(with_f)
    monkeypatch.setattr(ledgers, "FORMULA_CHECK_MAX_BYTES", 0)
    log = QualityLog()
    df = read_ledger(with_f, "tax_arrears", log=log)
    assert df["name"].tolist() == ["甲公司", "乙公司"]
    assert [w["file"] for w in log.warnings if "未逐格检查" in w["message"]] == ["formula.xlsx"]
    log = QualityLog()
    read_ledger(plain, "tax_arrears", log=log)
    assert not [w for w in log.warnings if "公式" in w["message"]]


def test_blank_cells_of_any_reader_are_blank():
    from landclear.io.ledgers import _is_blank

    frame = pd.DataFrame(
        {0: [None, "", "  ", np.nan, np.float64("nan"), pd.NaT, pd.NA, "x", 0.0]}, dtype=object
    )
    assert _is_blank(frame)[:, 0].tolist() == [True] * 7 + [False, False]


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_formula_scan_reads_members_as_zipfile_does(tmp_path, compression):
    from landclear.io import ledgers

    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 60_000))
    xml = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    for tail, expected in ((b"", False), (b'<c r="B9"><x:f>B8*2</x:f></c>', True)):
        path = tmp_path / f"sheet-{compression}-{expected}.xlsx"
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            zf.writestr("xl/worksheets/sheet1.xml", xml + tail)
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/worksheets/sheet1.xml")
            # Small pieces: the seams between them are crossed many times.
            got = b"".join(member_blocks(path, zf, info, chunk=4096))
            assert got == zf.read(info)
        assert ledgers._has_formulas(path) is expected


def test_formula_prefilter_lets_every_formula_tag_through():
    # The vectorised pre-filter may pass text that is no tag, never drop a tag.
    from landclear.io.ledgers import _FORMULA_TAG, _maybe_formula

    alphabet = [b"<", b":", b"f", b">", b" ", b"/", b"x", b"\t"]
    for n in range(1, 6):
        for cells in itertools.product(alphabet, repeat=n):
            block = b"".join(cells)
            if _FORMULA_TAG.search(block):
                assert _maybe_formula(block), block
    assert not _maybe_formula(b"<t>91640221maf1hkh44l</t><t>half of </t>")
