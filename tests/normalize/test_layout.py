"""Layout features of the engine, each on a small hand-made sheet: what a bureau's template may do."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from gongkai.normalize import normalize
from gongkai.normalize.text import parse_date
from gongkai.normalize.units import conversion
from gongkai.problems import Problems
from gongkai.quality import check_quality
from gongkai.spec import ROOT, load_spec

RELIEF = ROOT / "datasets" / "relief-recipients.yaml"
HEADER = [["县（市）/乡镇", "城市低保", None, None, "农村低保", None, None, "特困供养", None],
          [None, "户数", "人数", "金额", "户数", "人数", "金额", "人数", "金额"]]
MERGES = [(2, 1, 2, 3), (2, 4, 2, 6), (2, 7, 2, 8), (2, 0, 3, 0)]


def relief_spec(tmp_path, **rows):
    """The relief spec with changes to `source.rows`, written where load_spec can read it."""
    raw = yaml.safe_load(RELIEF.read_text(encoding="utf-8"))
    raw["source"]["rows"] = rows
    raw["source"]["columns"]["乡镇（街道）"]["aliases"].append("县（市）/乡镇")
    path = tmp_path / "relief-recipients.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_spec(path)


def township(name, n):
    return [name, n, 2 * n, 0.05 * n, 3 * n, 6 * n, 0.07 * n, n, 0.06 * n]


def county_row(name, parts):
    sums = [round(sum(p[c] for p in parts), 2) for c in range(1, 9)]
    return [name, *sums]


def write(make_samples, path, rows, merges=()):
    layout = make_samples.Layout(rows, list(merges))
    return make_samples.write_xlsx(path, {"2024年3月": layout})


def test_county_rows_above_their_townships_place_each_township_and_are_checked(tmp_path, make_samples):
    spec = relief_spec(tmp_path, county_rows=True)
    wuding = [township("狮山镇", 40), township("高桥镇", 30)]
    yuanmou = [township("元马镇", 50), township("黄瓜园镇", 20)]
    wrong = county_row("元谋县", yuanmou)
    wrong[2] += 5                                        # 元谋县/城市低保/人数 says 5 more: C7
    rows = [["楚雄州2024年3月城乡低保统计表"] + [None] * 8, ["单位：户、人、万元"] + [None] * 8, *HEADER,
            county_row("武定县", wuding), *wuding, wrong, *yuanmou,
            county_row("合计", wuding + yuanmou)]
    path = write(make_samples, tmp_path / "州汇总.xlsx", rows, MERGES)
    problems = Problems()
    table = normalize(spec, [path], "2024-03", problems)
    assert problems.errors == []
    placed = dict(zip(table.frame["region_name"], table.frame["county_name"]))
    assert placed == {"狮山镇": "武定县", "高桥镇": "武定县", "元马镇": "元谋县", "黄瓜园镇": "元谋县"}
    check_quality(spec, table, None, problems)
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("sum-mismatch", "C8")]


def test_of_which_rows_are_checked_against_the_row_above_and_not_published(tmp_path, make_samples):
    spec = relief_spec(tmp_path)
    shishan = township("狮山镇", 40)
    of_which = ["其中：建档立卡", 10, 20, 0.5, 50, 100, 99.0, 5, 0.3]   # 农村低保/金额 99 万元 > 2 万元
    rows = [["武定县2024年3月城乡低保统计表"] + [None] * 8, *HEADER, shishan, of_which,
            county_row("合计", [shishan])]
    path = write(make_samples, tmp_path / "其中.xlsx", rows, [(1, 1, 1, 3), (1, 4, 1, 6), (1, 7, 1, 8)])
    problems = Problems()
    table = normalize(spec, [path], "2024-03", problems)
    assert list(table.frame["region_name"]) == ["狮山镇"]
    check_quality(spec, table, None, problems)
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("children-exceed-parent", "G4")]


def test_a_sheet_of_another_month_is_never_read(tmp_path, make_samples, samples):
    spec = load_spec("relief-recipients")
    month = make_samples.true_figures()[("武定县", "2024-03")]
    good = make_samples.layout("武定县", "2024-03", month)
    bad = make_samples.layout("武定县", "2024-02", month)
    bad.rows[bad.first_data_row][2] = "约120"           # would be not-a-number if February were read
    path = make_samples.write_xlsx(tmp_path / "两个月.xlsx", {"2024年2月": bad, "2024年3月": good})
    problems = Problems()
    table = normalize(spec, [path], "2024-03", problems)
    assert problems.errors == [] and len(table.frame) == 11


@pytest.mark.parametrize("raw, date", [
    ("2024年7月1日起", "2024-07-01"), ("2024.07.01", "2024-07-01"), ("2024-7-1", "2024-07-01"),
    ("2024/07/01", "2024-07-01"), (45474, "2024-07-01"), (45474.0, "2024-07-01"), (20240701, "2024-07-01"),
    (dt.datetime(2024, 7, 1), "2024-07-01"), ("七月一日", None), ("2024年2月30日", None), (12, None)])
def test_effective_dates_as_bureaus_write_them(raw, date):
    found = parse_date(raw)
    assert (found.isoformat() if found else None) == date


@pytest.mark.parametrize("source, target, factor", [
    ("万元", "元", 10_000), ("元/人·年", "元/人/月", 1 / 12), ("元/人/月", "元/人/月", 1), ("元/月", "元/人/月", 1),
    ("元每人每年", "元/人/月", 1 / 12), ("元/人·年", "元", None), ("户", "元", None), (None, "元", 1)])
def test_units_convert_to_the_schema_unit(source, target, factor):
    assert conversion(source, target) == (pytest.approx(factor) if factor else None)


def test_a_standard_never_changes_silently(family_samples):
    """Same effective date, other amount than published: error. A lower standard than before: warning."""
    import pandas as pd

    directory, _ = family_samples
    spec = load_spec("subsidy-standards")
    problems = Problems()
    table = normalize(spec, [directory / "standards" / "禄丰市保障标准调整2024.csv"], "2024", problems)
    published = table.frame[table.frame["effective_date"] < "2024-07-01"].copy()   # July is new this run
    published["period"] = "2023"
    rural = (published["standard_type"] == "城市低保") & (published["effective_date"] == "2024-01-01")
    published.loc[rural, "amount"] = 800.0                     # published as 800, now says 790: changed
    later = (table.frame["standard_type"] == "临时救助") & (table.frame["effective_date"] == "2024-07-01")
    table.frame.loc[later, "amount"] = 700.0                   # 790 → 700 from July: a fall
    check_quality(spec, table, pd.DataFrame(published), problems)
    found = [(p.slug, p.where.cell) for p in problems if p.slug.startswith("standard-")]
    assert found == [("standard-changed-without-date", "C4"), ("standard-fell", "C12")]
    assert "800" in problems.errors[0].message_zh and "790" in problems.errors[0].message_zh


# -- layouts found by trying templates the samples do not have ------------------------------------

def _workbook(path, rows, merges=(), title="Sheet1"):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    workbook.save(path)
    return path


def _read(name, path, period):
    problems = Problems()
    table = normalize(load_spec(name), [path], period, problems)
    return table, problems


def test_two_years_side_by_side_take_the_periods_columns(tmp_path):
    path = _workbook(tmp_path / "两年.xlsx", [
        ["武定县民政局2023年部门决算支出表"], ["单位：万元"], ["项目", "2022年", "", "2023年", ""],
        ["", "预算数", "决算数", "预算数", "决算数"], ["行政运行", 270, 279.45, 300, 310.5],
        ["支出合计", 270, 279.45, 300, 310.5]], merges=["A3:A4", "B3:C3", "D3:E3"])
    table, problems = _read("budget-accounts", path, "2023")
    assert problems.errors == []
    assert (table.frame.at[0, "budget_amount"], table.frame.at[0, "final_amount"]) == (3_000_000, 3_105_000)


def test_two_columns_for_one_field_are_refused_naming_both(tmp_path):
    path = _workbook(tmp_path / "两列.xlsx", [
        ["武定县2023年度福利彩票公益金使用情况表"], ["单位：万元"],
        ["项目类别", "项目名称", "实施单位", "安排资金", "使用金额", "执行情况", "实际效果"],
        ["养老服务", "敬老院维修改造", "狮山镇人民政府", 144.6, 120.5, "已完成", "好"], ["合计", "", "", 144.6, 120.5]])
    _, problems = _read("lottery-fund", path, "2023")
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("ambiguous-column", "D3")]
    assert "E3“使用金额”" in problems.errors[0].message_zh


def test_a_unit_column_beside_a_wide_table_converts_every_value(tmp_path):
    path = _workbook(tmp_path / "宽表.xlsx", [
        ["武定县2024年社会救助保障标准"], ["县（市）", "城市低保", "农村低保", "单位", "执行时间", "文号"],
        ["武定县", 4200, 4800, "元/人·年", "2024年1月1日", "武民发〔2024〕1号"]])
    table, problems = _read("subsidy-standards", path, "2024")
    assert problems.errors == []
    assert list(table.frame["amount"]) == [350.0, 400.0] and set(table.frame["unit_stated"]) == {"元/人·年"}


def test_budget_items_nest_by_their_subject_codes(tmp_path):
    path = _workbook(tmp_path / "科目.xlsx", [
        ["武定县民政局2023年部门决算支出表"], ["单位：万元"], ["科目编码", "科目名称", "预算数", "决算数"],
        ["208", "社会保障和就业支出", 750, 779], ["20802", "民政管理事务", 350, 358.7],
        ["2080201", "行政运行", 300, 310.5], ["2080202", "一般行政管理事务", 50, 48.2],
        ["20810", "社会福利", 400, 420.3], ["2081002", "老年福利", 400, 420.3]])
    table, problems = _read("budget-accounts", path, "2023")
    check_quality(load_spec("budget-accounts"), table, None, problems)
    assert problems.errors == []
    parents = dict(zip(table.frame["item_name"], table.frame["parent_code"]))
    codes = dict(zip(table.frame["item_name"], table.frame["item_code"]))
    assert parents["行政运行"] == codes["民政管理事务"] and parents["民政管理事务"] == codes["社会保障和就业支出"]
    assert parents["老年福利"] == codes["社会福利"]


def test_month_sheets_take_the_year_from_the_title(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-02")]
    sheet = make_samples.layout("武定县", "2024-02", month)
    sheet.rows[0][0] = "武定县2024年城乡低保情况统计表"
    path = make_samples.write_xlsx(tmp_path / "月报.xlsx", {"2月": sheet})
    table, problems = _read("relief-recipients", path, "2024-02")
    assert problems.errors == [] and len(table.frame) == 11


@pytest.mark.parametrize("label", ["合计：", "全县总计", "合 计", "总计"])
def test_total_rows_as_bureaus_write_them(tmp_path, make_samples, label):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    sheet.rows[sheet.total_row][0] = label
    table, problems = _read("relief-recipients", make_samples.write_xlsx(tmp_path / "t.xlsx", {"2024年3月": sheet}),
                            "2024-03")
    assert problems.errors == [] and len(table.frame) == 11
    assert [c.kind for c in table.checks] == ["total"]


def test_a_total_right_under_the_header_totals_the_rows_below(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    total = sheet.rows.pop(sheet.total_row)
    total[5] += 3                                               # F: 农村低保/人数 says 3 more
    sheet.rows.insert(sheet.first_data_row, total)
    path = make_samples.write_xlsx(tmp_path / "合计在上.xlsx", {"2024年3月": sheet})
    table, problems = _read("relief-recipients", path, "2024-03")
    assert problems.errors == [] and len(table.frame) == 11
    check_quality(load_spec("relief-recipients"), table, None, problems)
    assert [(p.slug, p.where.cell) for p in problems.errors] == [("sum-mismatch", "F5")]


def test_a_notes_sheet_that_mentions_the_month_is_skipped_not_an_error(tmp_path, make_samples):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    table_sheet = make_samples.layout("武定县", "2024-03", month)
    notes = make_samples.Layout([["填报说明"], ["1. 本表统计2024年3月城乡低保情况。"], ["2. 金额单位为万元。"]])
    path = make_samples.write_xlsx(tmp_path / "有说明.xlsx", {"说明": notes, "2024年3月": table_sheet})
    table, problems = _read("relief-recipients", path, "2024-03")
    assert problems.errors == [] and len(table.frame) == 11
    assert [(p.slug, p.where.sheet) for p in problems if p.slug == "sheet-skipped"] == [("sheet-skipped", "说明")]
