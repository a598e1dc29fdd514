"""Extract reads every source format into raw cells at their real positions."""


from gongkai.extract import cell_ref, column_letter, decode_text, read_file
from gongkai.problems import Problems


def test_cell_refs_are_what_excel_shows():
    assert cell_ref(0, 0) == "A1"
    assert cell_ref(16, 3) == "D17"
    assert column_letter(25) == "Z"
    assert column_letter(26) == "AA"
    assert column_letter(701) == "ZZ"
    assert column_letter(702) == "AAA"


def test_xlsx_has_a_sheet_per_month_with_merged_header(samples):
    directory, _ = samples
    problems = Problems()
    sheets = read_file(directory / "武定县低保月报2024.xlsx", problems)
    assert problems == []
    assert [s.name for s in sheets] == ["2024年1月", "2024.02", "2024年3月"]
    march = sheets[2]
    assert march.value(0, 0).startswith("武定县2024年3月")
    assert (2, 1, 2, 3) in march.merged                      # 城市低保 over B3:D3
    assert march.display_value(2, 3) == "城市低保"
    assert march.value(2, 3) is None
    assert march.value(4, 0) == "狮山镇"                      # A5, first township


def test_legacy_xls_is_read_with_merges(samples):
    directory, _ = samples
    problems = Problems()
    sheets = read_file(directory / "元谋县2024年一季度社会救助报表.xls", problems)
    assert problems == []
    assert [s.name for s in sheets] == ["1月", "2月", "3月"]
    assert sheets[0].value(4, 0) == "元马镇"
    assert (2, 0, 3, 0) in sheets[0].merged                   # 乡镇(街道) spans both header rows


def test_gbk_csv_is_decoded(samples):
    directory, _ = samples
    path = directory / "禄丰市2024年02月低保统计.csv"
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        assert False, "the sample CSV should be GBK, not UTF-8"
    except UnicodeDecodeError:
        pass
    problems = Problems()
    [sheet] = read_file(path, problems)
    assert problems == []
    assert sheet.name == "禄丰市2024年02月低保统计"
    assert sheet.value(0, 0).startswith("禄丰市2024年2月")
    assert sheet.value(2, 0) == "乡镇（街道）"
    assert sheet.value(4, 0) == "金山镇"


def test_utf8_csv_with_and_without_bom(tmp_path):
    for name, encoding in (("bom.csv", "utf-8-sig"), ("plain.csv", "utf-8")):
        path = tmp_path / name
        path.write_text("乡镇（街道）,人数\n狮山镇,１２３\n", encoding=encoding)
        [sheet] = read_file(path, Problems())
        assert sheet.rows == [["乡镇（街道）", "人数"], ["狮山镇", "１２３"]]


def test_decode_text_prefers_utf8_then_gb18030():
    assert decode_text("合计".encode("gbk")) == "合计"
    assert decode_text("\ufeff合计".encode("utf-8")) == "合计"


def test_corrupt_and_missing_files_are_problems_not_tracebacks(tmp_path):
    corrupt = tmp_path / "坏文件.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 a zip archive cut off after its first bytes")
    problems = Problems()
    assert read_file(corrupt, problems) == []
    assert read_file(tmp_path / "不存在.xls", problems) == []
    assert [(p.slug, p.where.file) for p in problems] == [
        ("unreadable-file", "坏文件.xlsx"), ("unreadable-file", "不存在.xls")]
    damaged, missing = problems
    # Said in both languages with what to do; the library's own words only in parentheses at the end.
    assert damaged.message_zh.startswith("无法读取文件：文件已损坏")
    assert damaged.message_en.startswith("cannot read the file: the file is damaged")
    assert "Excel" in damaged.message_en and damaged.message_en.endswith(")")
    assert (missing.message_zh, missing.message_en) == ("无法读取文件：文件不存在", "cannot read the file: the file does not exist")
