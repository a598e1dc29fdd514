"""Write the sample county spreadsheets: realistic, messy, and the same on every run.

    python datasets/samples/make_samples.py [OUTDIR]      (default: datasets/samples/)

Three counties of 楚雄州 report three months each (2024-01..03), each in the shape its
bureau really uses: 武定县 one .xlsx with a sheet per month, 元谋县 a legacy .xls, 禄丰市
GBK-encoded CSV exports. Broken variants for tests and the README go to OUTDIR/broken/.
The true figures are returned by `generate()` so tests can compare exact values.
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240301
PERIODS = ["2024-01", "2024-02", "2024-03"]

# Townships as they are written in the county's own sheets (aliases and slips included).
# The official name is the value; the spreadsheet spelling is the key.
TOWNSHIPS = {
    "武定县": {"狮山镇": "狮山镇", "高桥镇": "高桥镇", "猫街 镇": "猫街镇", "插甸镇": "插甸镇",
             "白路镇": "白路镇", "万德镇": "万德镇", "己衣镇": "己衣镇", "田心乡": "田心乡",
             "发窝乡": "发窝乡", "环州乡": "环州乡", "东坡乡": "东坡傣族乡"},
    "元谋县": {"元马镇": "元马镇", "黄瓜园镇": "黄瓜园镇", "羊街镇": "羊街镇", "老城乡": "老城乡",
             "物茂乡": "物茂乡", "江边乡": "江边乡", "新华乡": "新华乡", "平田乡": "平田乡",
             "凉山乡": "凉山乡", "姜驿乡": "姜驿乡"},
    "禄丰市": {"金山镇": "金山镇", "仁兴镇": "仁兴镇", "碧城镇": "碧城镇", "勤丰镇": "勤丰镇",
             "一平浪": "一平浪镇", "广通镇": "广通镇", "黑井镇": "黑井镇", "土官镇": "土官镇",
             "彩云镇": "彩云镇", "和平镇": "和平镇", "恐龙山镇": "恐龙山镇", "中村乡": "中村乡",
             "妥安乡": "妥安乡", "高峰乡": "高峰乡"},
}
# Townships with no urban dibao at all (written as "—" or 0).
NO_URBAN = {"发窝乡", "环州乡", "姜驿乡", "凉山乡", "妥安乡", "高峰乡"}
# Small cells the demo must show suppressed (counts 1-4 identify a family): 己衣镇 supports 3
# persons in extreme poverty, 江边乡 has 4 urban dibao persons (2 households).
SMALL = {("武定县", "己衣镇"): {"tekun_persons": 3}, ("元谋县", "江边乡"): {"urban_persons": 4}}

COUNTS = ["urban_households", "urban_persons", "rural_households", "rural_persons",
          "tekun_persons", "temporary_cases"]
AMOUNTS = ["urban_amount", "rural_amount", "tekun_amount", "temporary_amount"]
# Column order of every county's table, after the township name.
ORDER = ["urban_households", "urban_persons", "urban_amount",
         "rural_households", "rural_persons", "rural_amount",
         "tekun_persons", "tekun_amount", "temporary_cases", "temporary_amount"]
WIDTH = 1 + len(ORDER)

# Footers as bureaus write them: personal data that must never be published.
FOOTERS = {
    "武定县": [["填表人：李某某    联系电话：13812345678"], ["审核人：王某某    审核日期：2024年4月3日"]],
    "元谋县": [["备注：临时救助金额含一次性生活补助。"], ["制表人：张某某", None, None, "电话：0878-8212345"]],
    "禄丰市": [["填表人：赵某某", None, None, None, "联系电话：13987654321"], ["负责人：钱某某"]],
}
PERSONAL = ["李某某", "13812345678", "王某某", "张某某", "0878-8212345", "赵某某", "13987654321", "钱某某"]


@dataclass
class Layout:
    """One sheet as rows of cell values (None = empty) plus merged ranges (r0, c0, r1, c1), 0-based."""

    rows: list[list]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    header_row: int = 0          # 0-based row of the first header row
    first_data_row: int = 0
    total_row: int = 0


def month_label(period: str) -> str:
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def true_figures(seed: int = SEED) -> dict[tuple[str, str], dict[str, dict]]:
    """(county, period) -> {official township name -> {field: value}}; amounts in 万元, 2 decimals."""
    rng = random.Random(seed)
    figures: dict[tuple[str, str], dict[str, dict]] = {}
    for county, townships in TOWNSHIPS.items():
        base = {}
        for official in townships.values():
            urban = 0 if official in NO_URBAN else rng.randint(20, 320)
            base[official] = {
                "urban_persons": urban, "urban_ratio": rng.uniform(1.5, 1.9),
                "rural_persons": rng.randint(300, 1500), "rural_ratio": rng.uniform(1.8, 2.3),
                "tekun_persons": rng.randint(20, 120), "temporary_cases": rng.randint(5, 60),
                "urban_rate": rng.uniform(330, 400), "rural_rate": rng.uniform(200, 260),
                "tekun_rate": rng.uniform(550, 700), "temporary_rate": rng.uniform(800, 1500),
            }
            base[official] |= SMALL.get((county, official), {})   # after the draws: other figures unchanged
        for period in PERIODS:
            month = {}
            for official, b in base.items():
                drift = lambda n: max(0, round(n * (1 + rng.uniform(-0.04, 0.04)))) if n else 0  # noqa: E731
                row = {k: drift(b[k]) for k in ("urban_persons", "rural_persons", "tekun_persons", "temporary_cases")}
                row["urban_households"] = max(1, round(row["urban_persons"] / b["urban_ratio"])) if row["urban_persons"] else 0
                row["rural_households"] = max(1, round(row["rural_persons"] / b["rural_ratio"]))
                for kind, count in (("urban", "urban_persons"), ("rural", "rural_persons"),
                                    ("tekun", "tekun_persons"), ("temporary", "temporary_cases")):
                    row[f"{kind}_amount"] = round(row[count] * b[f"{kind}_rate"] / 10000, 2)
                month[official] = row
            figures[(county, period)] = month
    return figures


def totals(month: dict[str, dict]) -> dict:
    """The 合计 row: counts summed, 万元 amounts summed in whole hundredths so they agree exactly."""
    total = {f: sum(r[f] for r in month.values()) for f in COUNTS}
    for f in AMOUNTS:
        total[f] = sum(round(r[f] * 100) for r in month.values()) / 100
    return total


def _messy(county: str, spelled: str, f: str, value):
    """How a bureau's spreadsheet really holds a value: text, separators, full-width, dashes."""
    if county == "武定县":
        if value == 0:
            return "—"
        if f == "rural_persons" and value >= 1000:
            return f"{value:,}"                               # "1,234" stored as text
        if f == "tekun_persons" and spelled == "插甸镇":
            return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if f == "temporary_cases" and spelled == "高桥镇":
            return f" {value} "                               # text with stray spaces
    if county == "禄丰市":
        if f in AMOUNTS:
            return f"{value:.2f}"
        if f == "rural_persons" and value >= 1000 and spelled in ("金山镇", "广通镇"):
            return f"{value:,}"
        return "" if value == 0 and spelled == "高峰乡" else str(value)
    return value


def layout(county: str, period: str, month: dict[str, dict], *, unit: str = "万元",
           title_suffix: str = "城乡低保及特困供养、临时救助情况统计表",
           township_header: str = "乡镇（街道）", amount_header: str = "金额") -> Layout:
    """The table a county sends: title, unit line, two-level header, townships, 合计, footer."""
    spelled_of = {official: spelled for spelled, official in TOWNSHIPS[county].items()}
    blank = [None] * WIDTH
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []

    rows.append([f"{county}{month_label(period)}{title_suffix}"] + [None] * (WIDTH - 1))
    merges.append((0, 0, 0, WIDTH - 1))
    unit_row = list(blank)
    unit_row[0] = f"填报单位：{county}民政局"
    unit_row[WIDTH - 3] = f"单位：户、人、{unit}"
    rows.append(unit_row)

    header_row = len(rows)
    parents = [township_header] + [None] * (WIDTH - 1)
    children = list(blank)
    for col, (parent, subs) in enumerate([("城市低保", ["户数", "人数", amount_header]),
                                          ("农村低保", ["户数", "人数", amount_header]),
                                          ("特困供养", ["人数", amount_header]),
                                          ("临时救助", ["人次", amount_header])]):
        start = 1 + sum((3, 3, 2, 2)[:col])
        parents[start] = parent
        merges.append((header_row, start, header_row, start + len(subs) - 1))
        children[start:start + len(subs)] = subs
    merges.append((header_row, 0, header_row + 1, 0))
    rows += [parents, children]

    first_data_row = len(rows)
    for official, figures in month.items():
        spelled = spelled_of[official]
        rows.append([spelled] + [_messy(county, spelled, f, figures[f]) for f in ORDER])
    total_row = len(rows)
    total = totals(month)
    rows.append(["合计"] + [total[f] for f in ORDER])
    rows.append(list(blank))
    for footer in FOOTERS[county]:
        rows.append((footer + [None] * WIDTH)[:WIDTH])
    return Layout(rows, merges, header_row, first_data_row, total_row)


def write_xlsx(path: Path, sheets: dict[str, Layout]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, sheet in sheets.items():
        ws = workbook.create_sheet(name)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for r0, c0, r1, c1 in sheet.merges:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_xls(path: Path, sheets: dict[str, Layout]) -> Path:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    for name, sheet in sheets.items():
        ws = workbook.add_sheet(name)
        merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sheet.merges}
        covered = {(r, c) for r0, c0, r1, c1 in sheet.merges
                   for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if (r, c) in merged:
                    r1, c1 = merged[(r, c)]
                    ws.write_merge(r, r1, c, c1, value)
                elif (r, c) not in covered and value is not None:
                    ws.write(r, c, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return path


def write_csv(path: Path, sheet: Layout, *, encoding: str = "gbk", repeat_parents: bool = False) -> Path:
    """A CSV export: merged cells become blanks (or the parent repeated, as some exporters do)."""
    rows = [list(row) for row in sheet.rows]
    if repeat_parents:
        parents = rows[sheet.header_row]
        for c in range(1, len(parents)):
            if parents[c] is None:
                parents[c] = parents[c - 1]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def generate(outdir: Path = HERE) -> dict[tuple[str, str], dict[str, dict]]:
    """Write every sample and broken sample under outdir; return the true figures."""
    outdir = Path(outdir)
    figures = true_figures()

    wuding_names = {"2024-01": "2024年1月", "2024-02": "2024.02", "2024-03": "2024年3月"}
    write_xlsx(outdir / "武定县低保月报2024.xlsx",
               {wuding_names[p]: layout("武定县", p, figures[("武定县", p)]) for p in PERIODS})

    # 元谋县: sheets named by month only, so the year comes from the title; older template
    # with half-width brackets and the unit in the amount headers; 总计 instead of 合计.
    yuanmou = {}
    for p in PERIODS:
        sheet = layout("元谋县", p, figures[("元谋县", p)], township_header="乡镇(街道)",
                       amount_header="金额（万元）", title_suffix="城乡低保、特困、临时救助统计表")
        sheet.rows[sheet.total_row][0] = "总计"
        yuanmou[f"{int(p[5:])}月"] = sheet
    write_xls(outdir / "元谋县2024年一季度社会救助报表.xls", yuanmou)

    for p in PERIODS:
        sheet = layout("禄丰市", p, figures[("禄丰市", p)])
        write_csv(outdir / f"禄丰市{p[:4]}年{p[5:]}月低保统计.csv", sheet, repeat_parents=(p == "2024-02"))

    broken = outdir / "broken"
    march = figures[("武定县", "2024-03")]
    text_in_count = layout("武定县", "2024-03", march)
    text_in_count.rows[text_in_count.first_data_row + 2][2] = "约120"      # C7: 城市低保/人数
    write_xlsx(broken / "text-in-count.xlsx", {"2024年3月": text_in_count})
    sum_mismatch = layout("武定县", "2024-03", march)
    sum_mismatch.rows[sum_mismatch.total_row][5] += 10                      # F16: 农村低保/人数 合计
    write_xlsx(broken / "sum-mismatch.xlsx", {"2024年3月": sum_mismatch})

    # The other dataset families (standards, lottery fund, budgets) and 牟定县's relief
    # template, in sub-folders of outdir; their true figures come from make_families.generate.
    _make_families().generate(outdir)
    return figures


def _make_families():
    """make_families.py next to this file, loaded by path: this file also runs as a script."""
    import importlib.util

    module = sys.modules.get("make_families")
    if module is None:
        spec = importlib.util.spec_from_file_location("make_families", HERE / "make_families.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_families"] = module
        spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    generate(target)
    for path in sorted(target.rglob("*")):
        if path.is_file() and path.suffix in (".xlsx", ".xls", ".csv"):
            print(path.relative_to(target))
