"""Layouts beyond one table per sheet, read by declaration: several tables on a sheet (blocks), months as
columns (period_columns), fields from a title line (from_text); and every number on a sheet accounted for.

The samples come from datasets/samples/make_layouts.py (through the `family_samples` fixture), each
normalized with its spec and compared figure by figure with the generator's truth.
"""

from __future__ import annotations

import copy
import sys

import pytest
import yaml

from gongkai.normalize import normalize, periods
from gongkai.problems import Problems
from gongkai.quality import check_quality
from gongkai.spec import ROOT, load_spec

COUNTY_SPEC = ROOT / "datasets" / "samples" / "specs" / "relief-county-monthly.yaml"


@pytest.fixture(scope="module")
def make_layouts(family_samples):
    """make_layouts.py, as make_families loaded it to write the samples."""
    return sys.modules["make_layouts"]


def read(spec, path, period):
    spec = load_spec(spec) if not hasattr(spec, "source") else spec
    problems = Problems()
    table = normalize(spec, [path], period, problems)
    check_quality(spec, table, None, problems)
    return table, problems


def errors(problems):
    return [(p.slug, p.where.cell) for p in problems.errors]


def cell(row: int, col: int) -> str:
    return f"{chr(ord('A') + col)}{row + 1}"


def spec_with(tmp_path, name_or_path, change):
    """A copy of a spec with `change(raw)` applied, loadable from tmp_path."""
    path = ROOT / "datasets" / f"{name_or_path}.yaml" if "/" not in str(name_or_path) else name_or_path
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    target = tmp_path / f"{raw['name']}.yaml"
    target.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_spec(target)


# -- several tables on one sheet ---------------------------------------------------------------

def test_three_tables_on_one_sheet_give_every_true_figure(family_samples):
    directory, truth = family_samples
    blocks = truth["layouts"]["blocks"]
    table, problems = read("relief-recipients", directory / blocks["file"], blocks["period"])
    assert problems.errors == []
    rows = table.frame.set_index("region_name")
    assert set(rows.index) == set(blocks["figures"])
    for township, figures in blocks["figures"].items():
        for name, value in figures.items():
            assert rows.at[township, name] == pytest.approx(value), (township, name)
    assert {c.kind for c in table.checks} == {"total"} and len(table.checks) == 3   # each table's 合计
    # A joined field names the cell it came from, in its own table.
    where = blocks["where"]["农村低保"]
    index = list(table.frame["region_name"]).index("狮山镇")
    assert table.where(index, "rural_persons").cell == cell(where["rows"]["狮山镇"], 1)
    assert [p.slug for p in problems if p.slug.endswith("dropped")] == ["personal-data-dropped"]


def test_a_changed_figure_in_the_second_table_is_caught_at_its_own_total(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    figures = copy.deepcopy(truth["layouts"]["blocks"]["figures"])
    figures["高桥镇"]["rural_persons"] += 7                  # the township row says 7 more; the 合计 does not
    sheet, where = make_layouts.blocks_layout(figures)
    total_row = where["农村低保"]["total"]
    sheet.rows[total_row][1] -= 7
    path = make_layouts.write_xlsx(tmp_path / "blocks.xlsx", {"2024年4月": sheet})
    _, problems = read("relief-recipients", path, "2024-04")
    assert errors(problems) == [("sum-mismatch", cell(total_row, 1))]


def test_a_second_table_the_spec_does_not_declare_is_an_error_never_a_footer(family_samples, tmp_path):
    directory, truth = family_samples
    blocks = truth["layouts"]["blocks"]
    spec = spec_with(tmp_path, "relief-recipients", lambda raw: raw["source"].pop("blocks"))
    _, problems = read(spec, directory / blocks["file"], blocks["period"])
    # Without blocks the first table's 户数 … are not even its columns: nothing is read, it says why.
    assert problems.errors and not any(p.slug.endswith("dropped") for p in problems)


def test_an_undeclared_table_below_is_extra_table_at_its_title(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    sheet, where = make_layouts.blocks_layout(truth["layouts"]["blocks"]["figures"])
    title = where["农村低保"]["title"]
    sheet.rows[title][0] = sheet.rows[title][0].replace("农村低保", "城市低保")     # 城市低保 twice
    path = make_layouts.write_xlsx(tmp_path / "twice.xlsx", {"2024年4月": sheet})
    _, problems = read("relief-recipients", path, "2024-04")
    assert ("extra-table", cell(title, 0)) in errors(problems)
    assert not any(p.slug.endswith("dropped") and p.where.cell == cell(title, 0) for p in problems)


def test_a_table_whose_title_names_no_block_is_refused_naming_its_title(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    sheet, where = make_layouts.blocks_layout(truth["layouts"]["blocks"]["figures"])
    title = where["特困人员"]["title"]
    sheet.rows[title][0] = "武定县2024年4月医疗救助统计表"
    path = make_layouts.write_xlsx(tmp_path / "other.xlsx", {"2024年4月": sheet})
    _, problems = read("relief-recipients", path, "2024-04")
    assert ("unknown-block", cell(title, 0)) in errors(problems)


def test_a_township_missing_from_one_table_is_named(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    sheet, where = make_layouts.blocks_layout(truth["layouts"]["blocks"]["figures"])
    gone = where["农村低保"]["rows"]["己衣镇"]
    del sheet.rows[gone]                        # its 合计 no longer matches either: both are said
    path = make_layouts.write_xlsx(tmp_path / "gone.xlsx", {"2024年4月": sheet})
    _, problems = read("relief-recipients", path, "2024-04")
    missing = [p for p in problems.errors if p.slug == "block-row-missing"]
    assert [p.where.cell for p in missing] == [cell(where["城市低保"]["rows"]["己衣镇"], 0)]
    assert "农村低保" in missing[0].message_zh


def test_numbers_below_the_footer_are_an_error_naming_the_cell(tmp_path, make_samples):
    spec = load_spec("relief-recipients")
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows.append(["补报：", "猫街镇", 3, 5])        # figures typed under the footer
    path = make_samples.write_xlsx(tmp_path / "补报.xlsx", {"2024年3月": sheet})
    _, problems = read(spec, path, "2024-03")
    assert errors(problems) == [("values-not-read", cell(len(sheet.rows) - 1, 2))]


def test_a_footer_without_personal_data_is_a_neutral_note(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[-2:] = [["备注：金额为当月实际发放数。"], ["数据来源：县民政局社会救助股"]]
    path = make_samples.write_xlsx(tmp_path / "备注.xlsx", {"2024年3月": sheet})
    _, problems = read("relief-recipients", path, "2024-03")
    dropped = [p for p in problems if p.slug.endswith("dropped")]
    assert [(p.slug, p.where.cell) for p in dropped] == [("notes-dropped", cell(len(sheet.rows) - 2, 0))]
    assert "个人" not in dropped[0].message_zh and "备注（2 行）" in dropped[0].message_zh


def test_heading_rows_under_one_header_start_blocks(tmp_path, make_samples):
    header = ["乡镇（街道）", "户数", "人数", "金额"]
    rows = [["武定县2024年3月城乡低保统计表"], ["单位：户、人、元"], header,
            ["城市低保"], ["狮山镇", 10, 18, 6500], ["高桥镇", 5, 9, 3200], ["合计", 15, 27, 9700],
            ["农村低保"], ["狮山镇", 100, 210, 45000], ["高桥镇", 80, 170, 36000], ["合计", 180, 380, 81000],
            ["特困人员"], ["狮山镇", None, 30, 21000], ["高桥镇", None, 20, 14000], ["合计", None, 50, 35000]]
    path = make_samples.write_xlsx(tmp_path / "标题行.xlsx", {"2024年3月": make_samples.Layout(rows)})
    table, problems = read("relief-recipients", path, "2024-03")
    assert problems.errors == []
    shishan = table.frame.set_index("region_name").loc["狮山镇"]
    assert (shishan["urban_persons"], shishan["rural_amount"], shishan["tekun_persons"]) == (18, 45000, 30)


def test_long_blocks_give_their_value_to_every_row(tmp_path, make_samples):
    """Blocks that fill the same fields stay rows of their own, each with its block's value."""
    spec = spec_with(tmp_path, "lottery-fund", lambda raw: raw["source"].update(blocks=[
        {"title": "养老服务", "values": {"category": "养老服务"}},
        {"title": "儿童福利", "values": {"category": "儿童福利"}}]))
    header = ["项目名称", "实施单位", "资金（万元）", "执行情况", "实际效果"]
    rows = [["武定县2023年度养老服务类福彩公益金项目"], header,
            ["敬老院改造", "狮山镇人民政府", 12.5, "已完成", "新增床位20张"], ["合计", None, 12.5],
            [None], ["武定县2023年度儿童福利类福彩公益金项目"], header,
            ["儿童之家建设", "高桥镇人民政府", 8.25, "已完成", "建成儿童之家3个"], ["合计", None, 8.25]]
    path = make_samples.write_xlsx(tmp_path / "分类.xlsx", {"Sheet1": make_samples.Layout(rows)})
    table, problems = read(spec, path, "2023")
    assert problems.errors == []
    assert dict(zip(table.frame["project_name"], table.frame["category"])) == {"敬老院改造": "养老服务",
                                                                               "儿童之家建设": "儿童福利"}
    assert table.where(1, "category").cell == "A6"


# -- months as columns ---------------------------------------------------------------------------

def test_months_as_columns_give_every_month_of_the_county(family_samples):
    directory, truth = family_samples
    year = truth["layouts"]["county_year"]
    path = directory / year["file"]
    spec = load_spec(COUNTY_SPEC)
    assert periods(spec, [path], Problems()) == sorted(year["figures"])     # validate with no --period
    for period, figures in year["figures"].items():
        table, problems = read(spec, path, period)
        assert problems.errors == [], period
        [row] = table.frame.to_dict("records")
        assert (row["region_name"], row["region_code"]) == ("元谋县", "532328000000")
        for name, value in figures.items():
            assert row[name] == pytest.approx(value), (period, name)
    slugs = {p.slug for p in problems}
    assert "total-not-checked" in slugs and "unmapped-header" not in slugs   # 单位 line glued to 累计: never


def test_a_month_not_reported_yet_has_no_data(family_samples):
    directory, truth = family_samples
    path = directory / truth["layouts"]["county_year"]["file"]
    problems = Problems()
    normalize(load_spec(COUNTY_SPEC), [path], "2024-08", problems)
    assert [p.slug for p in problems.errors] == ["no-data-for-period"]


def test_a_changed_month_is_caught_at_the_cumulative_column(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    figures = copy.deepcopy(truth["layouts"]["county_year"]["figures"])
    figures["2024-03"]["rural_amount"] = round(figures["2024-03"]["rural_amount"] * 1.137)
    figures["2024-03"]["temporary_cases"] += 7
    original, where = make_layouts.county_year_layout(truth["layouts"]["county_year"]["figures"])
    sheet, _ = make_layouts.county_year_layout(figures)
    for name in ("rural_amount", "temporary_cases"):       # the 累计 as first stated
        sheet.rows[where["rows"][name]][where["total_col"]] = original.rows[where["rows"][name]][where["total_col"]]
    path = make_layouts.write_xlsx(tmp_path / "元谋县2024年.xlsx", {"2024年": sheet})
    _, problems = read(load_spec(COUNTY_SPEC), path, "2024-05")
    assert sorted(errors(problems)) == sorted([("sum-mismatch", cell(where["rows"][n], where["total_col"]))
                                               for n in ("rural_amount", "temporary_cases")])


def test_an_undeclared_group_of_rows_is_a_warning_naming_its_row(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    sheet, where = make_layouts.county_year_layout(truth["layouts"]["county_year"]["figures"])
    width = len(sheet.rows[0])
    sheet.rows[-2:-2] = [["五、医疗救助"] + [None] * (width - 1), [None, "人次", 12, 15] + [None] * (width - 4)]
    path = make_layouts.write_xlsx(tmp_path / "医疗.xlsx", {"2024年": sheet})
    _, problems = read(load_spec(COUNTY_SPEC), path, "2024-01")
    assert problems.errors == []
    assert [(p.slug, p.message_en) for p in problems if p.slug == "unmapped-row"] == [
        ("unmapped-row", "row '医疗救助/人次' is not in the dataset spec and was ignored")]


# -- fields from the title ------------------------------------------------------------------------

def test_a_standards_notice_takes_date_and_number_from_its_title(family_samples):
    directory, truth = family_samples
    notice = truth["layouts"]["notice"]
    table, problems = read("subsidy-standards", directory / notice["file"], notice["period"])
    assert problems.errors == []
    got = table.frame.drop(columns=["period", "county_code"]).to_dict("records")
    assert sorted(got, key=lambda r: r["standard_type"]) == sorted(notice["records"], key=lambda r: r["standard_type"])
    assert (table.where(0, "document_number").cell, table.where(0, "effective_date").cell) == ("A1", "A2")
    assert table.where(1, "standard_type").cell == "C4"     # 农村低保（元/人·年）: the header names it


def test_a_notice_without_its_date_says_where_it_looked(family_samples, make_layouts, tmp_path):
    sheet, _ = make_layouts.notice_layout()
    sheet.rows[1][0] = "各乡（镇）人民政府：现将调整后的保障标准公布如下。"
    path = make_layouts.write_xlsx(tmp_path / "元谋县2025年通知.xlsx", {"Sheet1": sheet})
    _, problems = read("subsidy-standards", path, "2025")
    assert [p.slug for p in problems.errors] == ["field-not-found"]
    assert "执行时间" in problems.errors[0].message_zh


# -- the officer's path -----------------------------------------------------------------------------

def test_a_file_name_naming_two_months_names_none(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[0][0] = "武定县城乡低保统计表"
    path = make_samples.write_xlsx(tmp_path / "低保2024-02_03.xlsx", {"2024年3月": sheet})
    table, problems = read("relief-recipients", path, "2024-03")
    assert problems.errors == [] and len(table.frame) == 11


def test_a_unit_line_over_a_column_is_no_part_of_its_header(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[1] = [None] * 10 + ["单位：户、人、万元"]     # right over 临时救助/金额
    path = make_samples.write_xlsx(tmp_path / "单位.xlsx", {"2024年3月": sheet})
    table, problems = read("relief-recipients", path, "2024-03")
    assert problems.errors == [] and not [p for p in problems if p.slug == "unmapped-header"]


def test_an_unknown_township_is_one_message(tmp_path, make_samples):
    from gongkai.validate import validate_table

    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[sheet.first_data_row][0] = "狮子山镇"
    path = make_samples.write_xlsx(tmp_path / "乡镇.xlsx", {"2024年3月": sheet})
    spec = load_spec("relief-recipients")
    problems = Problems()
    table = normalize(spec, [path], "2024-03", problems)
    validate_table(spec.schema_path, table.frame, table.where, problems)
    assert errors(problems) == [("unknown-region", cell(sheet.first_data_row, 0))]


def test_months_across_without_period_columns_are_refused_saying_why(family_samples):
    directory, truth = family_samples
    year = truth["layouts"]["county_year"]
    problems = Problems()
    normalize(load_spec("relief-recipients"), [directory / year["file"]], "2024-03", problems)
    header = year["where"]["header"]
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("layout-not-supported", cell(header, 2))]
    assert "1月、2月、3月" in problems.errors[0].message_zh


def test_a_table_of_another_month_below_is_extra_table(tmp_path, make_samples):
    figures = make_samples.true_figures()
    march = make_samples.layout("武定县", "2024-03", figures[("武定县", "2024-03")])
    february = make_samples.layout("武定县", "2024-02", figures[("武定县", "2024-02")])
    start = len(march.rows) + 1
    rows = march.rows + [[None]] + february.rows
    path = make_samples.write_xlsx(tmp_path / "两月.xlsx", {"2024年3月": make_samples.Layout(rows)})
    _, problems = read("relief-recipients", path, "2024-03")
    assert errors(problems) == [("extra-table", cell(start, 0))]


def test_figures_in_a_column_without_a_header_are_an_error(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[sheet.first_data_row + 1].append(250)          # L6: beside 高桥镇, under no header
    path = make_samples.write_xlsx(tmp_path / "无表头.xlsx", {"2024年3月": sheet})
    _, problems = read("relief-recipients", path, "2024-03")
    assert errors(problems) == [("column-without-header", cell(sheet.first_data_row + 1, 11))]


def test_a_long_notice_with_its_unit_in_a_sentence(tmp_path, make_samples):
    rows = [["武定县民政局关于调整社会救助标准的通知（武民发〔2025〕3号）"], ["自2025年3月1日起执行。单位：元/人·月"],
            ["保障类别", "标准"], ["城市低保", 860], ["农村低保", 500], ["特困人员基本生活", "1,118"]]
    path = make_samples.write_xlsx(tmp_path / "武定县2025通知.xlsx", {"Sheet1": make_samples.Layout(rows)})
    table, problems = read("subsidy-standards", path, "2025")
    assert problems.errors == []
    assert list(table.frame["unit_stated"]) == ["元/人·月"] * 3 and list(table.frame["amount"]) == [860, 500, 1118]
    assert set(table.frame["document_number"]) == {"武民发〔2025〕3号"}
    assert table.where(0, "unit_stated").cell == "A2"


# -- every summed number accounted for (issue 15, acceptance 1, for these templates) ----------------

def _sums_only(spec):
    """The spec with no suite: the quality stage checks only the stated sums (tolerance 0)."""
    return spec.model_copy(update={"suite": None})


def _changes(name: str, value: float, step: float = 1) -> list[float]:
    """+7 to a count; +13.7% to an amount (to the sheet's precision: `step` 元), and +3 元 to a whole-元 one."""
    if not name.endswith("amount"):
        return [value + 7]
    return [round(value * 1.137 / step) * step or value + step] + ([value + 3] if step == 1 else [])


def test_every_summed_cell_of_the_blocks_sample_is_caught_at_its_total(family_samples, make_layouts, tmp_path):
    _, truth = family_samples
    spec = _sums_only(load_spec("relief-recipients"))
    figures = truth["layouts"]["blocks"]["figures"]
    _, where = make_layouts.blocks_layout(figures)
    tried, caught = 0, 0
    variants = [(township, name, value) for township in figures for name in figures[township]
                for value in _changes(name, figures[township][name], 100 if name.startswith("tekun") else 1)]
    for township, name, value in variants:
        block = {"urban": "城市低保", "rural": "农村低保", "tekun": "特困人员"}[name.split("_")[0]]
        changed = copy.deepcopy(figures)
        changed[township][name] = value
        sheet, _ = make_layouts.blocks_layout(changed)
        total_row = where[block]["total"]
        sheet.rows[total_row] = make_layouts.blocks_layout(figures)[0].rows[total_row]   # the total as it was
        path = make_layouts.write_xlsx(tmp_path / f"{township}-{name}.xlsx", {"2024年4月": sheet})
        _, problems = read(spec, path, "2024-04")
        tried += 1
        column = sheet.rows[where[block]["header"]].index(next(
            h for h in sheet.rows[where[block]["header"]] if h and _field_of(block, h) == name))
        caught += errors(problems) == [("sum-mismatch", cell(total_row, column))]
    assert (tried, caught) == (110, 110)      # 88 cells; the 22 元 amounts also +3 元


def _field_of(block: str, header: str) -> str:
    prefix = {"城市低保": "urban", "农村低保": "rural", "特困人员": "tekun"}[block]
    kind = "households" if header == "户数" else "persons" if header == "人数" else "amount" if "金额" in header else ""
    return f"{prefix}_{kind}"


def test_every_summed_month_of_the_county_year_sample_is_caught_at_its_cumulative(family_samples, make_layouts,
                                                                                  tmp_path):
    _, truth = family_samples
    spec = _sums_only(load_spec(COUNTY_SPEC))
    months = truth["layouts"]["county_year"]["figures"]
    original, where = make_layouts.county_year_layout(months)
    tried, caught = 0, 0
    variants = [(period, name, value) for period in months for name in spec.source.period_columns.summable
                for value in _changes(name, months[period][name])]
    for period, name, value in variants:
        changed = copy.deepcopy(months)
        changed[period][name] = value
        sheet, _ = make_layouts.county_year_layout(changed)
        row, col = where["rows"][name], where["total_col"]
        sheet.rows[row][col] = original.rows[row][col]
        path = make_layouts.write_xlsx(tmp_path / f"{period}-{name}.xlsx", {"2024年": sheet})
        _, problems = read(spec, path, "2024-01")
        tried += 1
        caught += errors(problems) == [("sum-mismatch", cell(row, col))]
    assert (tried, caught) == (54, 54)        # 30 cells; the 24 元 amounts also +3 元
