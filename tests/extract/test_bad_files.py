"""Bad source files never pass silently: error cells, uncalculated formulas, lying extensions,
passwords, empty and cut-off files are each told apart, in Chinese and English with the fix."""

from __future__ import annotations

import struct
import zipfile

import openpyxl
import pytest
import xlwt

from gongkai.extract import FORMULA_WITHOUT_VALUE, CellError, read_file
from gongkai.extract import xls as xls_records
from gongkai.extract.ole import MAGIC, CompoundFile
from gongkai.problems import Problems
from ole2 import compound_file

CODES = ["#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!"]
BIFF_CODES = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D,
              "#NUM!": 0x24, "#N/A": 0x2A}


def slugs(problems):
    return [(p.slug, str(p.where)) for p in problems]


def make_xlsx(path, sheets=("2024年3月",)):
    workbook = openpyxl.Workbook()
    workbook.active.title = sheets[0]
    for name in sheets[1:]:
        workbook.create_sheet(name)
    for sheet in workbook.worksheets:
        sheet["A1"], sheet["B1"] = "乡镇（街道）", "人数"
        sheet["A2"], sheet["B2"] = "狮山镇", 120
    workbook.save(path)
    return path


def rewrite_zip(path, part, edit):
    """Replace one part of an .xlsx with edit(its bytes)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[part] = edit(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def make_xls(path):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("2024年3月")
    sheet.write(0, 0, "乡镇（街道）")
    row = sheet.row(1)
    for col, code in enumerate(CODES):
        # xlwt's own code table is wrong for #VALUE! and #N/A, so give the BIFF numbers.
        row.insert_cell(col, xlwt.Cell.ErrorCell(1, col, 0x0F, BIFF_CODES[code]))
    workbook.save(str(path))
    return path


# ---- 1. Excel error cells ------------------------------------------------------------------------

def test_xlsx_error_cells_are_cell_errors_never_empty_or_zero(tmp_path):
    path = make_xlsx(tmp_path / "武定县2024年3月.xlsx")
    workbook = openpyxl.load_workbook(path)
    for col, code in enumerate(CODES, start=1):
        cell = workbook.active.cell(row=3, column=col)
        cell.value, cell.data_type = code, "e"
    workbook.save(path)
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert problems == []
    assert sheet.rows[2] == [CellError(code) for code in CODES]   # calamine alone gives "" for each
    assert str(sheet.value(2, 0)) == "#DIV/0!"
    assert sheet.value(1, 1) == 120                                 # ordinary cells untouched


@pytest.mark.parametrize("chunk", [5, 17, 64])
def test_an_error_cell_cut_by_a_read_chunk_is_still_found(tmp_path, monkeypatch, chunk):
    """The sheet XML is searched chunk by chunk (a million-row sheet is never held whole)."""
    from gongkai.extract import xlsx

    path = make_xlsx(tmp_path / "武定县2024年3月.xlsx")
    workbook = openpyxl.load_workbook(path)
    for row in range(3, 60):
        workbook.active.cell(row=row, column=2).value = row
    cell = workbook.active.cell(row=61, column=2)
    cell.value, cell.data_type = "#REF!", "e"
    workbook.save(path)
    monkeypatch.setattr(xlsx, "CHUNK", chunk)
    monkeypatch.setattr(xlsx, "OVERLAP", 16)
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert sheet.rows[60][1] == CellError("#REF!")


def test_xls_error_cells_are_cell_errors(tmp_path):
    problems = Problems()
    [sheet] = read_file(make_xls(tmp_path / "元谋县2024年3月.xls"), problems)
    assert problems == []
    assert sheet.rows[1] == [CellError(code) for code in CODES]


def test_xls_formula_whose_saved_result_is_an_error():
    def record(kind, body):
        return struct.pack("<HH", kind, len(body)) + body

    name = "3月".encode("utf-16-le")
    boundsheet_size = 4 + 8 + len(name)
    globals_ = record(0x0809, b"\0\x06\x05\0" + b"\0" * 12)
    sheet_bof_at = len(globals_) + boundsheet_size
    globals_ += record(0x0085, struct.pack("<IBBBB", sheet_bof_at, 0, 0, 2, 1) + name)
    # FORMULA at D5: cached result of type error (2) with code #DIV/0! (7), fExprO = 0xFFFF
    formula = struct.pack("<HHH", 4, 3, 0) + bytes([2, 0, 7, 0, 0, 0, 0xFF, 0xFF]) + b"\0" * 6
    stream = globals_ + record(0x0809, b"\0\x06\x10\0" + b"\0" * 12) + record(0x0006, formula)
    assert xls_records.error_cells(stream) == {"3月": {(4, 3): CellError("#DIV/0!")}}


def test_csv_error_codes_are_cell_errors(tmp_path):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_text("乡镇（街道）,人数,金额\n金山镇,#DIV/0!,#N/A\n仁兴镇,#div/0,12\n", encoding="utf-8")
    [sheet] = read_file(path, Problems())
    assert sheet.rows[1] == ["金山镇", CellError("#DIV/0!"), CellError("#N/A")]
    assert sheet.rows[2] == ["仁兴镇", "#div/0", "12"]              # only the exact codes


# ---- 2. formulas without a saved value -----------------------------------------------------------

def test_formula_never_calculated_is_marked_and_a_calculated_one_keeps_its_value(tmp_path):
    path = make_xlsx(tmp_path / "武定县2024年3月.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.active["B3"] = "=SUM(B2:B2)"      # openpyxl saves formulas with no result: <v />
    workbook.active["C3"] = "=SUM(B2:B2)"
    workbook.active["D3"] = '=IF(B2>0,"","x")'
    workbook.save(path)
    # Pretend Excel calculated C3 (120) and D3 (a text formula whose result is "").
    rewrite_zip(path, "xl/worksheets/sheet1.xml", lambda xml: xml
                .replace(b'<c r="C3"><f>SUM(B2:B2)</f><v /></c>', b'<c r="C3"><f>SUM(B2:B2)</f><v>120</v></c>')
                .replace(b'<c r="D3"><f>', b'<c r="D3" t="str"><f>'))
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert problems == []
    assert sheet.value(2, 1) == FORMULA_WITHOUT_VALUE and sheet.value(2, 1).formula_without_value
    assert sheet.value(2, 2) == 120
    assert sheet.value(2, 3) is None


def test_a_formula_without_value_in_the_last_row_is_still_found(tmp_path):
    path = make_xlsx(tmp_path / "武定县2024年3月.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.active["E9"] = "=B2*2"
    workbook.save(path)
    [sheet] = read_file(path, Problems())
    assert sheet.value(8, 4) == FORMULA_WITHOUT_VALUE


# ---- 3. reader errors, translated ----------------------------------------------------------------

@pytest.mark.parametrize("make, wrong_name, real", [
    (lambda p: make_xlsx(p.with_suffix(".xlsx")), "报表.xls", ".xlsx"),
    (lambda p: make_xls(p.with_suffix(".xls")), "报表.xlsx", ".xls"),
])
def test_workbook_with_the_wrong_extension_is_read_by_content(tmp_path, make, wrong_name, real):
    source = make(tmp_path / "source")
    path = source.rename(tmp_path / wrong_name)
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert sheet.value(0, 0) == "乡镇（街道）"
    assert slugs(problems) == [("extension-mismatch", wrong_name)]
    [warning] = problems
    assert warning.severity.value == "warning"
    assert real in warning.message_zh and real in warning.message_en
    assert "Cfb" not in warning.message_en and "Zip" not in warning.message_en


def test_csv_renamed_xlsx_is_read_as_csv_with_a_warning(tmp_path):
    path = tmp_path / "禄丰市2024年03月.xlsx"
    path.write_text("乡镇（街道）,人数\n金山镇,224\n", encoding="gbk")
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert sheet.rows == [["乡镇（街道）", "人数"], ["金山镇", "224"]]
    assert slugs(problems) == [("extension-mismatch", "禄丰市2024年03月.xlsx")]
    assert "CSV" in problems[0].message_en


def test_password_protected_workbook_is_its_own_error(tmp_path):
    path = tmp_path / "武定县2024年3月.xlsx"
    path.write_bytes(compound_file({"EncryptionInfo": b"\x04\0\x04\0" + b"\x40" * 200,
                                    "EncryptedPackage": b"\x99" * 300}))
    problems = Problems()
    assert read_file(path, problems) == []
    assert slugs(problems) == [("encrypted-workbook", "武定县2024年3月.xlsx")]
    [error] = problems
    assert error.severity.value == "error"
    assert "密码" in error.message_zh and "password" in error.message_en
    assert "密码" in error.kind.fix_zh and "save again" in error.kind.fix_en


def test_compound_file_reads_small_streams_from_the_mini_stream():
    data = compound_file({"EncryptionInfo": b"info" * 30, "Other": b"x" * 70})
    container = CompoundFile(data)
    assert container.names == {"encryptioninfo", "other"}
    assert container.read("EncryptionInfo") == b"info" * 30
    assert container.read("other") == b"x" * 70


def test_office_file_that_is_not_a_workbook_says_so(tmp_path):
    path = tmp_path / "说明.xls"
    path.write_bytes(compound_file({"WordDocument": b"\0" * 100}))
    problems = Problems()
    assert read_file(path, problems) == []
    assert slugs(problems) == [("unreadable-file", "说明.xls")]
    assert "Word" in problems[0].message_zh and "not an Excel workbook" in problems[0].message_en


def test_damaged_xls_is_explained_not_cfb_jargon(tmp_path):
    path = tmp_path / "元谋县.xls"
    path.write_bytes(MAGIC + b"\0" * 40)
    problems = Problems()
    assert read_file(path, problems) == []
    assert slugs(problems) == [("unreadable-file", "元谋县.xls")]
    assert problems[0].message_zh.startswith("无法读取文件：文件已损坏")
    assert problems[0].message_en.startswith("cannot read the file: the file is damaged")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_bytes(content)
    problems = Problems()
    assert read_file(path, problems) == []
    assert slugs(problems) == [("empty-file", "禄丰市2024年03月.csv")]
    assert problems[0].message_zh and problems[0].message_en == "the file is empty"


def test_csv_with_old_mac_line_endings_is_read(tmp_path):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_bytes("乡镇（街道）,人数\r金山镇,224\r仁兴镇,\"3\r07\"\r".encode("gbk"))
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert problems == []
    assert sheet.rows == [["乡镇（街道）", "人数"], ["金山镇", "224"], ["仁兴镇", "3\r07"]]


COMPLETE = "标题,,\n乡镇（街道）,户数,人数\n金山镇,143,224\n仁兴镇,195,307\n"


@pytest.mark.parametrize("text", [
    COMPLETE + "碧城镇,94",                    # cut at a cell boundary
    COMPLETE + "碧城镇,",                      # cut right after a separator
    COMPLETE + '碧城镇,"94',                   # cut inside a quoted field
])
def test_cut_off_csv_names_its_last_complete_row(tmp_path, text):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert sheet.truncated_at == 3
    assert slugs(problems) == [("truncated-file", "禄丰市2024年03月.csv ! 禄丰市2024年03月 ! A4")]
    assert problems[0].severity.value == "warning"
    assert "4" in problems[0].message_zh and "row 4" in problems[0].message_en


@pytest.mark.parametrize("text", [COMPLETE, COMPLETE + "填表人：赵某某\n", COMPLETE.rstrip("\n")])
def test_complete_csv_is_not_cut_off(tmp_path, text):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert problems == [] and sheet.truncated_at is None


# ---- 5. read only the sheets needed --------------------------------------------------------------

def test_a_sheet_not_asked_for_is_never_read(tmp_path):
    path = make_xlsx(tmp_path / "武定县低保月报2024.xlsx", sheets=("2024年3月", "说明"))
    rewrite_zip(path, "xl/worksheets/sheet2.xml", lambda xml: xml[:len(xml) // 2])   # a damaged sheet
    problems = Problems()
    assert [s.name for s in read_file(path, problems)] == ["2024年3月"]
    assert slugs(problems) == [("unreadable-file", "武定县低保月报2024.xlsx ! 说明")]

    problems = Problems()
    sheets = read_file(path, problems, sheets=lambda name: "月" in name)
    assert [s.name for s in sheets] == ["2024年3月"] and problems == []


def test_sheet_filter_is_ignored_for_csv(tmp_path):
    path = tmp_path / "禄丰市2024年03月.csv"
    path.write_text("乡镇（街道）,人数\n", encoding="utf-8")
    assert len(read_file(path, Problems(), sheets=lambda name: False)) == 1
