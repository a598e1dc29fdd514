"""Normalize turns the realistic county spreadsheets into the schema's table, naming every bad cell."""

from pathlib import Path

import pandas as pd
import pytest

from gongkai.normalize import SourceTable, normalize
from gongkai.normalize.text import find_period, header_label, parse_number
from gongkai.problems import Problems
from gongkai.spec import load_spec

SPEC = load_spec("relief-recipients")
PERIODS = ["2024-01", "2024-02", "2024-03"]
COUNTY_CODES = {"武定县": "532329000000", "元谋县": "532328000000", "禄丰市": "532302000000"}
AMOUNTS = ["urban_amount", "rural_amount", "tekun_amount", "temporary_amount"]
COUNTS = ["urban_households", "urban_persons", "rural_households", "rural_persons",
          "tekun_persons", "temporary_cases"]
SCHEMA_ORDER = ["period", "county_code", "county_name", "region_code", "region_name",
                "urban_households", "urban_persons", "urban_amount", "rural_households", "rural_persons",
                "rural_amount", "tekun_persons", "tekun_amount", "temporary_cases", "temporary_amount"]


def source_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".xlsx", ".xls", ".csv"))


def run(files, period="2024-03") -> tuple[SourceTable, Problems]:
    problems = Problems()
    return normalize(SPEC, [Path(f) for f in files], period, problems), problems


def slugs(problems: Problems) -> list[str]:
    return [p.slug for p in problems]


def located(problems: Problems, slug: str) -> list[str]:
    return [str(p.where) for p in problems if p.slug == slug]


@pytest.fixture(scope="module")
def tables(samples) -> dict[str, tuple[SourceTable, Problems]]:
    directory, _ = samples
    return {period: run(source_files(directory), period) for period in PERIODS}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("county", ["武定县", "元谋县", "禄丰市"])
def test_every_county_and_month_matches_the_true_figures(tables, samples, make_samples, county, period):
    _, figures = samples
    table, _ = tables[period]
    truth = figures[(county, period)]
    rows = table.frame[table.frame["county_name"] == county].set_index("region_name")
    assert len(rows) == len(make_samples.TOWNSHIPS[county])
    assert set(rows.index) == set(truth)
    assert (rows["county_code"] == COUNTY_CODES[county]).all()
    assert (rows["period"] == period).all()
    for township, expected in truth.items():
        for field in COUNTS:
            assert rows.loc[township, field] == expected[field], (township, field)
        for field in AMOUNTS:  # 万元 in the sheet, 元 in the table
            assert rows.loc[township, field] == pytest.approx(expected[field] * 10000, abs=0.001), (township, field)


@pytest.mark.parametrize("period", PERIODS)
def test_the_parts_add_up_to_each_sheets_total_row(tables, samples, make_samples, period):
    _, figures = samples
    table, _ = tables[period]
    totals = [c for c in table.checks if c.kind == "total"]
    assert sorted(t.county_code for t in totals) == sorted(COUNTY_CODES.values())
    for total in totals:
        rows = table.frame[table.frame["county_code"] == total.county_code]
        county = rows["county_name"].iloc[0]
        sheet_total = make_samples.totals(figures[(county, period)])
        for field in COUNTS + AMOUNTS:
            assert rows[field].sum() == pytest.approx(total.values[field], abs=0.005), field
            factor = 10000 if field in AMOUNTS else 1
            assert total.values[field] == pytest.approx(sheet_total[field] * factor, abs=0.005), field
        assert total.where.cell.startswith("A") and total.cells["rural_persons"].cell.startswith("F")


def test_good_samples_raise_nothing_but_the_footer_notice(tables):
    for period, (table, problems) in tables.items():
        assert set(slugs(problems)) == {"personal-data-dropped"}, [p.as_dict() for p in problems]
        assert len(problems) == 3
        assert len(table.frame) == 11 + 10 + 14
        assert len(table.files) == 3


def test_frame_has_the_schema_fields_and_types(tables):
    frame = tables["2024-03"][0].frame
    assert list(frame.columns) == SCHEMA_ORDER
    for field in COUNTS:
        assert str(frame[field].dtype) == "Int64"
    for field in AMOUNTS:
        assert frame[field].dtype == "float64"
        assert (frame[field] == frame[field].round(2)).all()
    for field in SCHEMA_ORDER[:5]:
        assert pd.api.types.is_string_dtype(frame[field])
    assert frame["region_code"].str.fullmatch(r"\d{12}").all()


def test_aliases_and_stray_spaces_resolve_to_official_names(tables):
    frame = tables["2024-03"][0].frame.set_index("region_name")
    assert frame.loc["东坡傣族乡", "region_code"] == "532329208000"   # written 东坡乡
    assert frame.loc["一平浪镇", "region_code"] == "532302105000"     # written 一平浪
    assert frame.loc["猫街镇", "region_code"] == "532329103000"       # written 猫街 镇


def test_messy_numbers_are_read(tables, samples):
    _, figures = samples
    frame = tables["2024-03"][0].frame.set_index("region_name")
    truth = figures[("武定县", "2024-03")]
    assert frame.loc["发窝乡", "urban_persons"] == 0 and frame.loc["发窝乡", "urban_amount"] == 0  # "—"
    assert frame.loc["插甸镇", "tekun_persons"] == truth["插甸镇"]["tekun_persons"]          # full-width
    assert frame.loc["高桥镇", "temporary_cases"] == truth["高桥镇"]["temporary_cases"]      # " 17 "
    assert any(v >= 1000 for v in frame.loc[list(truth), "rural_persons"])                   # "1,287"


def test_footer_personal_data_never_reaches_the_table(tables, make_samples):
    for table, problems in tables.values():
        text = "\n".join(str(v) for v in table.frame.astype(object).to_numpy().ravel())
        for personal in make_samples.PERSONAL + ["填表人", "联系电话", "审核人"]:
            assert personal not in text
        # ... nor the report, which only says what kind of data was dropped
        report = "\n".join(p.message_zh + p.message_en for p in problems)
        assert "填表人、联系电话" in report
        for personal in make_samples.PERSONAL:
            assert personal not in report
        # and no value comes from a row at or below a footer
        footer_rows = {(p.where.file, p.where.sheet): int(p.where.cell[1:]) for p in problems
                       if p.slug == "personal-data-dropped"}
        for i in table.frame.index:
            where = table.where(i, "urban_persons")
            assert int(where.cell[1:]) < footer_rows[(where.file, where.sheet)]


def test_cells_point_back_to_the_source(tables, samples):
    directory, _ = samples
    table, _ = tables["2024-03"]
    frame = table.frame
    i = frame.index[frame["region_name"] == "东坡傣族乡"][0]
    assert str(table.where(i, "region_name")) == "武定县低保月报2024.xlsx ! 2024年3月 ! A15"
    assert str(table.where(i, "rural_amount")) == "武定县低保月报2024.xlsx ! 2024年3月 ! G15"
    assert table.where(i, "rural_amount").field == "rural_amount"
    assert str(table.where(i, "period")) == "武定县低保月报2024.xlsx ! 2024年3月"        # from the sheet name
    assert str(table.where(i, "county_name")) == "武定县低保月报2024.xlsx ! 2024年3月 ! A1"   # from the title
    j = frame.index[frame["region_name"] == "金山镇"][0]
    assert str(table.where(j, "urban_persons")) == "禄丰市2024年03月低保统计.csv ! 禄丰市2024年03月低保统计 ! C5"
    wheres = [table.where(k, f) for k in frame.index for f in SCHEMA_ORDER]
    assert all(not Path(w.file).is_absolute() and "/" not in w.file for w in wheres)


def test_text_in_a_count_is_named_at_its_cell(samples):
    directory, _ = samples
    table, problems = run([directory / "broken" / "text-in-count.xlsx"])
    errors = [p for p in problems if p.severity.value == "error"]
    assert [(p.slug, str(p.where), p.where.field, p.params["value"]) for p in errors] == [
        ("not-a-number", "text-in-count.xlsx ! 2024年3月 ! C7", "urban_persons", "约120")]
    assert "约120" in errors[0].message_zh and "城市低保/人数" in errors[0].message_zh
    assert len(table.frame) == 11                    # the row is still collected ...
    assert table.frame["urban_persons"].isna().sum() == 1   # ... with NA where the text was


def test_a_wrong_total_is_recorded_not_judged(samples):
    directory, _ = samples
    table, problems = run([directory / "broken" / "sum-mismatch.xlsx"])
    assert problems.errors == []
    [total] = [c for c in table.checks if c.kind == "total"]
    assert total.members == list(table.frame.index)
    assert total.values["rural_persons"] == table.frame["rural_persons"].sum() + 10
    assert str(total.cells["rural_persons"]) == "sum-mismatch.xlsx ! 2024年3月 ! F16"
    assert str(total.where) == "sum-mismatch.xlsx ! 2024年3月 ! A16"


def test_utf8_csv_reads_the_same_as_gbk(samples, make_samples, tmp_path):
    _, figures = samples
    sheet = make_samples.layout("禄丰市", "2024-03", figures[("禄丰市", "2024-03")])
    gbk = make_samples.write_csv(tmp_path / "gbk" / "禄丰市2024年03月低保统计.csv", sheet)
    utf8 = make_samples.write_csv(tmp_path / "utf8" / "禄丰市2024年03月低保统计.csv", sheet, encoding="utf-8-sig")
    a, _ = run([gbk])
    b, _ = run([utf8])
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert len(a.frame) == 14


# -- broken variants built from the same layout ------------------------------------------------

@pytest.fixture
def march(samples, make_samples):
    """A fresh 武定县 March layout to break, and a function writing it to an .xlsx."""
    _, figures = samples
    sheet = make_samples.layout("武定县", "2024-03", figures[("武定县", "2024-03")])

    def write(path, sheets=None):
        return make_samples.write_xlsx(path, sheets or {"2024年3月": sheet})
    return sheet, write


def test_unknown_township(march, tmp_path):
    sheet, write = march
    sheet.rows[sheet.first_data_row + 1][0] = "桃源镇"
    table, problems = run([write(tmp_path / "unknown.xlsx")])
    assert [(p.slug, str(p.where), p.params["name"], p.params["county"]) for p in problems.errors] == [
        ("unknown-region", "unknown.xlsx ! 2024年3月 ! A6", "桃源镇", "武定县")]
    assert table.frame["region_code"].isna().sum() == 1


def test_duplicate_township(march, tmp_path):
    sheet, write = march
    sheet.rows[sheet.first_data_row + 1][0] = "狮山镇 "
    _, problems = run([write(tmp_path / "dup.xlsx")])
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("duplicate-row", "A6")]
    assert problems.errors[0].params["first"].endswith("! A5")


@pytest.mark.parametrize("unit_line", ["单位：户、人、元", "单位:户/人/元"])
def test_a_unit_line_in_yuan_over_wan_yuan_figures_is_caught_as_implausible(march, tmp_path, unit_line):
    """The sheet's own unit line wins over the spec's default; the 10,000x slip is caught by plausibility."""
    from gongkai.quality import check_quality

    sheet, write = march
    unit_col = next(c for c, v in enumerate(sheet.rows[1]) if v and str(v).startswith("单位"))
    sheet.rows[1][unit_col] = unit_line
    table, problems = run([write(tmp_path / "unit.xlsx")])
    assert problems.errors == []
    assert table.frame["urban_amount"].max() < 100            # read in 元, as the sheet says
    check_quality(SPEC, table, None, problems)
    assert {p.slug for p in problems.errors} == {"implausible-ratio"}
    first = problems.errors[0]
    assert first.where.cell == "D5" and "城市低保/金额" in first.message_zh


def test_unit_in_header_contradicting_the_spec(march, tmp_path):
    sheet, write = march
    sheet.rows[sheet.header_row + 1][3] = "金额（元）"
    _, problems = run([write(tmp_path / "unit.xlsx")])
    assert [(p.slug, p.where.cell, p.where.field) for p in problems.errors] == [("unit-mismatch", "D4", "urban_amount")]


def test_matching_unit_in_header_is_accepted(march, tmp_path):
    sheet, write = march
    sheet.rows[sheet.header_row + 1][3] = "金 额（万元）"
    sheet.rows[sheet.header_row][0] = "乡镇 (街道)"
    _, problems = run([write(tmp_path / "unit.xlsx")])
    assert problems.errors == [] and problems.warnings == []


def test_missing_and_unmapped_columns(march, tmp_path):
    sheet, write = march
    sheet.rows[sheet.header_row + 1][10] = "备注"          # 临时救助/金额 renamed
    _, problems = run([write(tmp_path / "cols.xlsx")])
    assert [(p.slug, p.params["header"]) for p in problems if p.severity.value != "error" or True
            if p.slug in ("missing-column", "optional-column-missing", "unmapped-header")] == [
        ("unmapped-header", "临时救助/备注"), ("optional-column-missing", "临时救助/金额")]
    sheet.rows[sheet.header_row + 1][8] = "备注"           # 特困供养/金额 is not optional
    _, problems = run([write(tmp_path / "cols2.xlsx")])
    assert [(p.slug, p.params["header"]) for p in problems.errors] == [("missing-column", "特困供养/金额")]


@pytest.mark.parametrize("raw, slug", [("-3", "negative-value"), ("12.5", "not-an-integer"), ("无", "not-a-number")])
def test_bad_counts(march, tmp_path, raw, slug):
    sheet, write = march
    sheet.rows[sheet.first_data_row][4] = raw             # E5: 农村低保/户数 of 狮山镇
    _, problems = run([write(tmp_path / "bad.xlsx")])
    assert [(p.slug, p.where.cell, p.params["value"]) for p in problems.errors] == [(slug, "E5", raw)]


def test_periods_other_than_requested_are_skipped_and_absent_ones_reported(samples):
    directory, _ = samples
    _, problems = run(source_files(directory), "2024-04")
    assert slugs(problems) == ["no-data-for-period"]
    assert problems[0].params == {"period": "2024-04"}


def test_a_table_with_no_month_anywhere(march, tmp_path):
    sheet, write = march
    sheet.rows[0][0] = "武定县城乡低保情况统计表"
    _, problems = run([write(tmp_path / "无月份.xlsx", {"Sheet1": sheet})])
    assert slugs(problems.errors) == ["period-not-found", "no-data-for-period"]
    assert str(problems.errors[0].where) == "无月份.xlsx ! Sheet1"


def test_month_from_the_file_name_when_sheet_and_title_are_silent(march, tmp_path):
    sheet, write = march
    sheet.rows[0][0] = "武定县城乡低保情况统计表"
    table, problems = run([write(tmp_path / "武定县202403.xlsx", {"Sheet1": sheet})])
    assert problems.errors == [] and len(table.frame) == 11


def test_unknown_county(march, tmp_path):
    sheet, write = march
    sheet.rows[0][0] = "某某县2024年3月城乡低保情况统计表"
    sheet.rows[1][0] = "填报单位：某某县民政局"
    _, problems = run([write(tmp_path / "月报.xlsx")])
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("unknown-county", "A1")]


def test_county_from_file_name_when_title_does_not_say(march, tmp_path):
    sheet, write = march
    sheet.rows[0][0] = "2024年3月城乡低保情况统计表"
    sheet.rows[1][0] = "填报单位：民政局"
    table, problems = run([write(tmp_path / "禄丰县低保.xlsx")])
    # the file says 禄丰 (old name 禄丰县), so 武定县's townships are unknown there
    assert set(slugs(problems.errors)) == {"unknown-region"}
    assert (table.frame["county_name"] == "禄丰市").all()


@pytest.mark.parametrize("text, period", [
    ("2024年3月", "2024-03"), ("2024年03月", "2024-03"), ("2024.03", "2024-03"), ("2024-03", "2024-03"),
    ("2024/3", "2024-03"), ("202403", "2024-03"), ("武定县２０２４年１２月报表", "2024-12"),
    ("2024年13月", None), ("2024年一季度", None), ("3月", None), ("Sheet1", None)])
def test_period_formats(text, period):
    assert find_period(text) == period


@pytest.mark.parametrize("text, granularity, period", [
    ("武定县2023年度福利彩票公益金使用情况表", "year", "2023"), ("2023年", "year", "2023"),
    ("民政局2023年部门预决算", "year", "2023"), ("Sheet1", "year", None), ("20231", "year", None),
    ("2024年第一季度", "quarter", "2024-Q1"), ("2024年3季度", "quarter", "2024-Q3"),
    ("2024年一季度社会救助报表", "quarter", "2024-Q1"), ("2024Q4", "quarter", "2024-Q4"),
    ("2024年3月", "quarter", None)])
def test_periods_of_other_granularities(text, granularity, period):
    assert find_period(text, granularity) == period


@pytest.mark.parametrize("raw, value", [
    ("1,234", 1234.0), ("１２３", 123.0), (" 17 ", 17.0), ("—", 0.0), ("－", 0.0), (None, 0.0), ("", 0.0),
    (12.5, 12.5), ("约120", None), ("1,23", None), (float("nan"), None)])
def test_parse_number(raw, value):
    zero = {"—", "－", "-", "--", "——", "/"}
    assert parse_number(raw, zero) == value


def test_header_labels_fold_spaces_brackets_and_units():
    assert header_label("乡镇(街道)") == ("乡镇（街道）", None)
    assert header_label(" 金 额（万元）") == ("金额", "万元")
    assert header_label("人数(人)") == ("人数", "人")


@pytest.mark.parametrize("text, units", [
    ("单位：户、人、万元", ["户", "人", "万元"]),
    ("填报单位：武定县民政局    单位：户、人、元", ["户", "人", "元"]),
    ("填报单位：武定县民政局", []),
    ("单位:万元", ["万元"])])
def test_unit_line(text, units):
    from gongkai.normalize.text import find_unit_line
    assert find_unit_line(text) == units


def test_unreadable_file_among_good_ones_is_reported_and_the_rest_read(samples, tmp_path):
    directory, _ = samples
    corrupt = tmp_path / "武定县2024年3月.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    table, problems = run([corrupt] + source_files(directory))
    assert [(p.slug, str(p.where)) for p in problems.errors] == [("unreadable-file", "武定县2024年3月.xlsx")]
    assert len(table.frame) == 35
    assert corrupt.name not in table.files
