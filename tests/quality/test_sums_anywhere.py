"""Totals wherever they sit, total columns, and the rounding a sum may show, on each family's samples.

Each family's sample with its 合计 (and 小计) moved to another place: right under the header,
at the bottom, leading its block, between two sections. The moved sheet validates clean, and a
changed figure is still refused at the sum it breaks, as `gongkai validate` reports it.
"""

from __future__ import annotations

import pytest
import yaml

from gongkai.normalize import normalize
from gongkai.normalize.header import Found, HeaderBlock
from gongkai.normalize.sums import rounding_allowance, total_columns
from gongkai.normalize.text import parse_number, stated_decimals
from gongkai.problems import Problems
from gongkai.spec import ROOT, Column, SpecError, load_spec
from sum_samples import TOTAL_COLUMNS, errors_of, layouts, move_row, relief_with_total_columns, row_of


@pytest.fixture(autouse=True)
def nothing_published(tmp_path, monkeypatch, hmac_key):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))   # no published series to compare with


def cells(errors, slug="sum-mismatch") -> set[str]:
    return {e.where.cell for e in errors if e.slug == slug}


def changed(layout, row: int, col: int, change):
    """A copy of the layout with one figure changed: change(number) -> new number, written as before."""
    rows = [list(r) for r in layout.rows]
    raw = rows[row][col]
    value = change(parse_number(raw, {"—"}))
    rows[row][col] = (f"{value:,.2f}" if "," in raw else f"{value:.2f}") if isinstance(raw, str) else round(value, 2)
    return type(layout)(rows, list(layout.merges))


def validated(make_samples, tmp_path, dataset, period, name, sheets):
    path = make_samples.write_xlsx(tmp_path / name, sheets)
    return errors_of(load_spec(dataset), path, period)


# -- relief: the 合计 right under the header ------------------------------------------------------

def test_relief_total_at_the_top_or_the_bottom_is_checked(make_samples, tmp_path):
    month = make_samples.true_figures()[("武定县", "2024-03")]
    bottom = make_samples.layout("武定县", "2024-03", month)
    top = move_row(bottom, bottom.total_row, bottom.first_data_row)
    for where, sheet in (("bottom", bottom), ("top", top)):
        total = row_of(sheet, "合计")
        township = row_of(sheet, "高桥镇")
        ok = validated(make_samples, tmp_path, "relief-recipients", "2024-03", f"武定县{where}.xlsx", {"2024年3月": sheet})
        assert ok == [], where
        errors = validated(make_samples, tmp_path, "relief-recipients", "2024-03", f"武定县{where}.xlsx",
                           {"2024年3月": changed(sheet, township, 6, lambda v: v * 1.137)})   # G: 农村低保/金额
        assert cells(errors) == {f"G{total + 1}"}, where


def test_mouding_total_merged_over_two_columns_at_the_top_is_checked(make_samples, family_samples, tmp_path):
    directory, _ = family_samples
    sheets = layouts(make_samples, directory / "relief-other-template" / "牟定县2024年一季度城乡低保统计.xlsx")
    march = sheets["3月"]
    total = row_of(march, "合计")
    first = row_of(march, "共和镇")
    top = move_row(march, total, first)
    assert validated(make_samples, tmp_path, "relief-recipients", "2024-03", "牟定县2024年3月.xlsx", {"3月": top}) == []
    errors = validated(make_samples, tmp_path, "relief-recipients", "2024-03", "牟定县2024年3月.xlsx",
                       {"3月": changed(top, row_of(top, "新桥镇"), 4, lambda v: v + 3)})   # E: 农村低保/金额 +3 元
    assert cells(errors) == {f"E{first + 1}"}


# -- lottery: 合计 and 小计 above or below their projects ----------------------------------------------

def _subtotals_leading(sheet):
    """Every 小计 moved above the projects it sums."""
    start = row_of(sheet, "1")     # the first project (序号 1)
    for r in range(start, len(sheet.rows)):
        if "小计" in sheet.rows[r]:
            sheet = move_row(sheet, r, start)
            start = r + 1
    return sheet


@pytest.mark.parametrize("total_at,subtotals", [("top", "below"), ("bottom", "above"), ("top", "above"),
                                                ("bottom", "below")])
def test_lottery_totals_and_subtotals_above_or_below_their_projects(make_samples, family_samples, tmp_path,
                                                                     total_at, subtotals):
    directory, _ = family_samples
    [sheet] = layouts(make_samples, directory / "lottery" / "禄丰市2023年福利彩票公益金.csv").values()
    if subtotals == "above":
        sheet = _subtotals_leading(sheet)
    if total_at == "top":
        sheet = move_row(sheet, row_of(sheet, "合计"), row_of(sheet, "序号") + 1)
    name = f"禄丰市2023年福利彩票公益金{total_at}{subtotals}.xlsx"
    assert validated(make_samples, tmp_path, "lottery-fund", "2023", name, {"Sheet1": sheet}) == []
    project = row_of(sheet, "1")
    subtotal = next(r for r in (range(project - 1, 0, -1) if subtotals == "above" else range(project, len(sheet.rows)))
                    if "小计" in sheet.rows[r])
    errors = validated(make_samples, tmp_path, "lottery-fund", "2023", name,
                       {"Sheet1": changed(sheet, project, 4, lambda v: v * 1.137)})
    assert cells(errors) == {f"E{subtotal + 1}", f"E{row_of(sheet, '合计') + 1}"}


# -- budgets: a 合计 right under the header; 收入合计 and 支出合计 leading their sections ------------------

def _sangong_with_total_on_top(sheet):
    """The 三公经费 table with a 合计 of its top items (三公经费合计, 机关运行经费) right under the header."""
    first = row_of(sheet, "三公经费合计")
    tops = [r for r in range(first, len(sheet.rows)) if isinstance(sheet.rows[r][0], str)
            and not sheet.rows[r][0].startswith("　") and parse_number(sheet.rows[r][1], {"—"}) is not None]
    total = ["合计"] + [round(sum(parse_number(sheet.rows[r][c], {"—"}) for r in tops), 2) for c in (1, 2)]
    rows = sheet.rows[:first] + [total] + sheet.rows[first:]
    return type(sheet)(rows, [m for m in sheet.merges if m[0] < first])


def test_a_budget_total_right_under_the_header_is_checked(make_samples, family_samples, tmp_path):
    directory, _ = family_samples
    sheets = layouts(make_samples, directory / "budgets" / "武定县民政局2023年部门预决算.xlsx")
    sheets["三公经费"] = sangong = _sangong_with_total_on_top(sheets["三公经费"])
    name = "武定县民政局2023年部门预决算.xlsx"
    assert validated(make_samples, tmp_path, "budget-accounts", "2023", name, sheets) == []
    total = row_of(sangong, "合计") + 1
    running, reception = row_of(sangong, "机关运行经费"), row_of(sangong, "公务接待费")
    parent = row_of(sangong, "三公经费合计") + 1
    for row, col, expected in [(running, 2, {f"C{total}"}),                  # an item no other sum states
                               (reception, 1, {f"B{parent}"}),                # a child: its parent item
                               (total - 1, 2, {f"C{total}"})]:                # the 合计 itself
        errors = validated(make_samples, tmp_path, "budget-accounts", "2023", name,
                           {**sheets, "三公经费": changed(sangong, row, col, lambda v: v * 1.137)})
        assert cells(errors) == expected, (row, col)


def test_budget_section_totals_leading_their_sections(make_samples, family_samples, tmp_path):
    """收入合计 right under the header, 支出合计 between the income and the expenditure items."""
    directory, _ = family_samples
    sheets = layouts(make_samples, directory / "budgets" / "武定县民政局2023年部门预决算.xlsx")
    main = sheets["收支总表"]
    main = move_row(main, row_of(main, "收入合计"), row_of(main, "一、一般公共预算财政拨款收入"))
    main = move_row(main, row_of(main, "支出合计"), row_of(main, "收入合计") + 4)   # after the three income items
    assert main.rows[row_of(main, "支出合计") + 1][0].strip().endswith("社会保障和就业支出")
    sheets["收支总表"] = main
    name = "武定县民政局2023年部门预决算.xlsx"
    assert validated(make_samples, tmp_path, "budget-accounts", "2023", name, sheets) == []
    income, spending = row_of(main, "收入合计") + 1, row_of(main, "支出合计") + 1
    errors = validated(make_samples, tmp_path, "budget-accounts", "2023", name,
                       {**sheets, "收支总表": changed(main, row_of(main, "三、其他收入"), 1, lambda v: v + 1)})
    assert cells(errors) == {f"B{income}"}
    top = row_of(main, "二、其他支出")                 # a top item: its children and the 支出合计 disagree
    errors = validated(make_samples, tmp_path, "budget-accounts", "2023", name,
                       {**sheets, "收支总表": changed(main, top, 2, lambda v: v * 1.137)})
    assert cells(errors) == {f"C{top + 1}", f"C{spending}"}


# -- rosters: the 合计 above the households --------------------------------------------------------

def test_a_roster_total_above_its_households_is_checked(make_samples, rosters, tmp_path):
    folder, _ = rosters
    sheets = layouts(make_samples, folder / "武定县城乡低保特困供养对象花名册2024年.xlsx")
    march = sheets["2024年3月"]
    top = move_row(march, row_of(march, "合计"), 4)
    name = "武定县城乡低保特困供养对象花名册2024年3月.xlsx"
    assert validated(make_samples, tmp_path, "relief-roster", "2024-03", name, {"2024年3月": top}) == []
    rows = [list(r) for r in top.rows]
    rows[10][7] += 7                                                     # H11: 保障人数 of a household
    errors = validated(make_samples, tmp_path, "relief-roster", "2024-03", name,
                       {"2024年3月": type(top)(rows, top.merges)})
    assert cells(errors) == {"H5"}


# -- total columns ----------------------------------------------------------------------------------

def test_total_columns_are_recognised_checked_and_not_published(make_samples, tmp_path):
    sheet = relief_with_total_columns(make_samples)
    path = make_samples.write_xlsx(tmp_path / "武定县2024年3月.xlsx", {"2024年3月": sheet})
    spec, problems = load_spec("relief-recipients"), Problems()
    table = normalize(spec, [path], "2024-03", problems)
    assert [p.slug for p in problems if p.slug == "unmapped-header"] == []
    assert not set(TOTAL_COLUMNS) & set(table.frame.columns)
    rows = {c.kind for c in table.checks}
    assert rows == {"total", "columns"}
    assert len([c for c in table.checks if c.kind == "columns"]) == 2 * 12   # 11 townships and the 合计 row


def test_a_row_total_column_off_with_the_totals_adjusted_is_refused(make_samples, tmp_path):
    """Issue 15, class 2: one row's 合计 5 万元 above its parts, the 合计 row's 合计 adjusted to match."""
    sheet = relief_with_total_columns(make_samples)
    width = make_samples.WIDTH
    township = row_of(sheet, "高桥镇")
    sheet.rows[township][width + 1] = round(sheet.rows[township][width + 1] + 5, 2)
    sheet.rows[sheet.total_row][width + 1] = round(sheet.rows[sheet.total_row][width + 1] + 5, 2)
    errors = validated(make_samples, tmp_path, "relief-recipients", "2024-03", "武定县2024年3月.xlsx",
                       {"2024年3月": sheet})
    # the township's row, and the 合计 row, whose 合计 no longer equals its own parts
    assert [(e.slug, e.where.cell) for e in errors] == [("column-sum-mismatch", f"M{township + 1}"),
                                                        ("column-sum-mismatch", f"M{sheet.total_row + 1}")]
    assert "城市低保/金额、农村低保/金额、特困供养/金额、临时救助/金额" in errors[0].message_zh


def _header(paths: dict[int, tuple[str, str | None]]) -> HeaderBlock:
    """col -> (header path, declared field or None): declared columns found, the others unknown."""
    header = HeaderBlock(0, 2, 2)
    for col, (path, name) in paths.items():
        if name:
            header.found[name] = Found(col, Column(field=name), path, 1, None, path)
        else:
            header.unknown.append((1, col, path))
    return header


TYPES = {"urban_persons": "integer", "rural_persons": "integer", "urban_amount": "number", "region_name": "string"}


@pytest.mark.parametrize("paths,expected", [
    ({0: ("乡镇", "region_name"), 1: ("低保人数/城市", "urban_persons"), 2: ("低保人数/农村", "rural_persons"),
      3: ("低保人数/合计", None)}, {"低保人数/合计": ["urban_persons", "rural_persons"]}),
    ({1: ("城市低保/人数", "urban_persons"), 2: ("农村低保/人数", "rural_persons"), 3: ("合计/人数", None)},
     {"合计/人数": ["urban_persons", "rural_persons"]}),
    ({0: ("乡镇", "region_name"), 1: ("城市", "urban_persons"), 2: ("农村", "rural_persons"), 3: ("合计", None)},
     {"合计": ["urban_persons", "rural_persons"]}),
    # a sibling the spec does not declare: nothing can be checked, the column stays unmapped
    ({1: ("低保人数/城市", "urban_persons"), 2: ("低保人数/农村", None), 3: ("低保人数/合计", None)}, {}),
    # persons and money are not summed together
    ({1: ("城市", "urban_persons"), 2: ("金额", "urban_amount"), 3: ("合计", None)}, {}),
    # a total of one column is no total
    ({1: ("本月/人数", "urban_persons"), 2: ("累计/人数", None)}, {}),
])
def test_total_columns_by_their_header(paths, expected):
    header = _header(paths)
    types = dict(TYPES)
    assert total_columns(header, types, {}) == expected
    for name in expected:
        assert types[name] == types[expected[name][0]] and name in header.found


def test_a_declared_total_column_outside_the_schema_is_read_to_be_checked(make_samples, tmp_path):
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    raw["source"]["columns"]["低保合计/人数"] = {"field": "dibao_persons", "sum_of": ["urban_persons", "rural_persons"]}
    spec_path = tmp_path / "relief-recipients.yaml"
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    sheet = make_samples.layout("武定县", "2024-03", make_samples.true_figures()[("武定县", "2024-03")])
    width = make_samples.WIDTH
    for r, row in enumerate(sheet.rows):
        row.append({sheet.header_row: "低保合计", sheet.header_row + 1: "人数"}.get(r))
    month = list(make_samples.true_figures()[("武定县", "2024-03")].values())
    for r, values in zip(range(sheet.first_data_row, sheet.total_row), month):
        sheet.rows[r][width] = values["urban_persons"] + values["rural_persons"]
    sheet.rows[sheet.total_row][width] = sum(sheet.rows[r][width] for r in range(sheet.first_data_row, sheet.total_row))
    spec = load_spec(spec_path)
    path = make_samples.write_xlsx(tmp_path / "武定县2024年3月.xlsx", {"2024年3月": sheet})
    assert errors_of(spec, path, "2024-03") == []
    sheet.rows[sheet.first_data_row][width] += 7
    path = make_samples.write_xlsx(tmp_path / "武定县2024年3月.xlsx", {"2024年3月": sheet})
    errors = errors_of(spec, path, "2024-03")
    assert [(e.slug, e.where.cell) for e in errors] == [("column-sum-mismatch", f"L{sheet.first_data_row + 1}")]


def test_sum_of_must_name_declared_columns(tmp_path):
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    raw["source"]["columns"]["合计/人数"] = {"field": "all_persons", "sum_of": ["urban_persons", "rual_persons"]}
    path = tmp_path / "relief-recipients.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match="rual_persons.*did you mean 'rural_persons'"):
        load_spec(path)


# -- the rounding a sum may show ------------------------------------------------------------------

@pytest.mark.parametrize("raw,decimals", [("1,234,000", 0), ("27.50", 2), (12.34, 2), (116.0, 0), (7, 0),
                                          ("３９．４７", 2), (" 17 ", 0), ("—", None), ("", None), (None, None),
                                          (0.1 + 0.2, 6), ("约120", None)])
def test_the_decimals_a_figure_is_written_with(raw, decimals):
    assert stated_decimals(raw) == decimals


@pytest.mark.parametrize("decimals,unit,factor,allowed", [
    (2, "万元", 10_000, 50.0),        # 12.34 万元 is 123,350 … 123,450 元
    (0, "万元", 10_000, 5_000.0),
    (4, "万元", 10_000, 0.0),         # to the 元: counted, not rounded
    (0, "元", 1, 0.0), (2, "元", 1, 0.0), (1, "千元", 1_000, 50.0),
    (1, None, 1, 0.05),               # a plain number (a share in %): half its last digit
])
def test_the_rounding_of_a_stated_figure(decimals, unit, factor, allowed):
    assert rounding_allowance(decimals, unit, factor) == pytest.approx(allowed)


@pytest.mark.parametrize("off_by,refused", [(0.06, False), (-0.06, False), (0.07, True)])
def test_a_total_in_wan_yuan_may_differ_by_the_rounding_of_its_figures(make_samples, tmp_path, off_by, refused):
    """12 figures (11 townships and the 合计) to 0.01 万元: each may be 0.005 off, so 0.06 万元 in all."""
    sheet = make_samples.layout("武定县", "2024-03", make_samples.true_figures()[("武定县", "2024-03")])
    total = sheet.total_row
    sheet = changed(sheet, total, 6, lambda v: v + off_by)     # G: 农村低保/金额, no zero in it
    errors = validated(make_samples, tmp_path, "relief-recipients", "2024-03", "武定县2024年3月.xlsx",
                       {"2024年3月": sheet})
    assert cells(errors) == ({f"G{total + 1}"} if refused else set())


def _whole_yuan_lottery(make_samples, family_samples):
    """禄丰市's lottery table in whole 元 with thousands separators ("1,234,000"), as a GBK CSV exports it."""
    directory, _ = family_samples
    [sheet] = layouts(make_samples, directory / "lottery" / "禄丰市2023年福利彩票公益金.csv").values()
    for row in sheet.rows:
        for c, value in enumerate(row):
            if value == "资金（万元）":
                row[c] = "资金（元）"
            elif isinstance(value, str) and value.startswith("单位："):
                row[c] = "单位：元"
        if isinstance(row[4], str) and row[4].replace(".", "").isdigit():
            row[4] = f"{round(float(row[4]) * 10_000):,}"
    return sheet


@pytest.mark.parametrize("extra", [0, 3, -1])
def test_a_project_in_whole_yuan_changed_by_a_few_yuan_no_longer_adds_up(make_samples, family_samples, tmp_path,
                                                                          extra):
    """Issue 15, class 3: with a fixed tolerance of 100 元, +3 元 on a project passed."""
    sheet = _whole_yuan_lottery(make_samples, family_samples)
    project = row_of(sheet, "1")
    value = int(sheet.rows[project][4].replace(",", ""))
    sheet.rows[project][4] = f"{value + extra:,}"
    path = make_samples.write_csv(tmp_path / "禄丰市2023年福利彩票公益金.csv", sheet, encoding="gbk")
    errors = errors_of(load_spec("lottery-fund"), path, "2023")
    subtotal = next(r for r in range(project, len(sheet.rows)) if "小计" in sheet.rows[r])
    assert cells(errors) == (set() if extra == 0 else {f"E{subtotal + 1}", f"E{row_of(sheet, '合计') + 1}"})
