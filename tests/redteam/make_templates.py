"""Red-team templates (issue 15, acceptance 3): departmental workbooks of kinds not in the samples,
written as a county data officer would get them, with the figures behind them.

Each template is a function `build(outdir, change=None) -> Template`: it writes its workbook into
`outdir` and returns the true published figures. `change=(row, col, delta)` writes the same file with
one stated number changed by `delta` (0-based row and column of the sheet's grid), the copy a test
expects to be refused. Specs (with their own schemas where the shipped ones do not fit) are in specs/.

    python tests/redteam/make_templates.py /tmp/redteam      # writes every template there
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlwt

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"


@dataclass
class Template:
    name: str
    file: Path
    spec: Path
    period: str | None
    key: list[str]                 # fields that identify a published row
    truth: list[dict]              # published rows (money in 元)
    mutable: tuple | None = None   # (row, col, delta, sheet): a summed number to change
    notes: str = ""
    extra: dict = field(default_factory=dict)


def cell(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row + 1}"


# -- writers -------------------------------------------------------------------------------

def _apply(grid, change):
    """The grid with one number changed (a stated value, text like '1,234' too)."""
    if change is None:
        return grid
    row, col, delta = change[:3]
    grid = [list(r) for r in grid]
    value = grid[row][col]
    if isinstance(value, str):
        number = float(value.replace(",", ""))
        decimals = len(value.split(".")[1]) if "." in value else 0
        new = round(number + delta, decimals)
        text = f"{new:,.{decimals}f}" if "," in value else f"{new:.{decimals}f}"
        grid[row][col] = text
    else:
        decimals = 2 if isinstance(value, float) else 0
        grid[row][col] = round(value + delta, decimals) if decimals else int(round(value + delta))
    return grid


def write_xlsx(path: Path, sheets: dict[str, tuple[list, list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (grid, merges) in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    sheet.cell(r, c, value)
        for merge in merges:
            sheet.merge_cells(merge)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_xls(path: Path, sheets: dict[str, tuple[list, list]]):
    """merges as (r0, r1, c0, c1), 0-based inclusive; the value sits in the top-left cell."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, (grid, merges) in sheets.items():
        sheet = book.add_sheet(name)
        covered = set()
        for r0, r1, c0, c1 in merges:
            sheet.write_merge(r0, r1, c0, c1, grid[r0][c0])
            covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if (r, c) not in covered and value not in (None, ""):
                    sheet.write(r, c, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))


def write_csv(path: Path, grid: list, encoding: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in row] for row in grid])


def wan(yuan: int) -> float:
    """元 (a whole multiple of 100) stated in 万元 with 2 decimals."""
    return round(yuan / 10000, 2)


def sep(n) -> str:
    return f"{n:,}"


# -- T01 临时救助 by township, 人次/金额, 合计 right under the header (双柏县, own schema) ------------

SHUANGBAI = ["妥甸", "大庄", "法脿", "鄂嘉", "大麦地", "安龙堡", "爱尼山", "独田"]
SHUANGBAI_OFFICIAL = {n: n + ("镇" if i < 5 else "乡") for i, n in enumerate(SHUANGBAI)}


def t01_temporary_total_on_top(outdir: Path, change=None) -> Template:
    rng = random.Random(1)
    rows = [(t, rng.randint(5, 60), rng.randint(3000, 90000)) for t in SHUANGBAI]
    grid = [
        ["双柏县2024年5月临时救助情况统计表", None, None],
        ["填报单位：双柏县民政局", None, "单位：人次、元"],
        ["乡镇", "救助人次", "救助金额"],
        ["合计", sum(r[1] for r in rows), sum(r[2] for r in rows)],
        *[[t, c, a] for t, c, a in rows],
        ["填表人：张某某", "联系电话：13987654321", None],
    ]
    grid = _apply(grid, change)
    path = outdir / "t01" / "双柏县2024年5月临时救助统计表.xlsx"
    write_xlsx(path, {"Sheet1": (grid, ["A1:C1"])})
    truth = [{"region_name": SHUANGBAI_OFFICIAL[t], "temporary_cases": c, "temporary_amount": a} for t, c, a in rows]
    return Template("t01-temporary-total-on-top", path, SPECS / "relief-temporary.yaml", "2024-05",
                    ["region_name"], truth, mutable=(7, 2, 3))   # 鄂嘉 金额 +3 元


# -- T02 特困供养 分散/集中 with a 合计 column (南华县, 万元, own schema) -------------------------------

NANHUA = ["龙川镇", "沙桥镇", "五街镇", "红土坡镇", "马街镇", "兔街镇", "雨露白族乡", "一街乡", "罗武庄乡", "五顶山乡"]


def t02_tekun_split_total_column(outdir: Path, change=None) -> Template:
    rng = random.Random(2)
    rows = []
    for t in NANHUA:
        dp, cp = rng.randint(20, 120), rng.randint(0, 30)
        da, ca = dp * rng.randint(700, 900) // 100 * 100, cp * rng.randint(900, 1200) // 100 * 100
        rows.append((t, dp, da, cp, ca))
    grid = [
        ["南华县2024年6月特困人员供养情况表"] + [None] * 6,
        ["单位：人、万元"] + [None] * 6,
        ["乡镇", "分散供养", None, "集中供养", None, "合计", None],
        [None, "人数", "金额", "人数", "金额", "人数", "金额"],
    ]
    for t, dp, da, cp, ca in rows:
        grid.append([t, dp, wan(da), cp, wan(ca), dp + cp, round(wan(da) + wan(ca), 2)])
    grid.append(["合计"] + [round(sum(r[c] for r in grid[4:]), 2) if c % 2 == 0 else sum(r[c] for r in grid[4:])
                            for c in range(1, 7)])
    grid.append(["注：集中供养含县社会福利院。", None, None, None, None, None, None])
    grid = _apply(grid, change)
    path = outdir / "t02" / "南华县2024年6月特困供养统计.xlsx"
    write_xlsx(path, {"2024年6月": (grid, ["A1:G1", "A3:A4", "B3:C3", "D3:E3", "F3:G3"])})
    truth = [{"region_name": t, "tekun_persons": dp + cp,
              "tekun_amount": round((wan(da) + wan(ca)) * 10000)} for t, dp, da, cp, ca in rows]
    # the 集中供养 金额 of 沙桥镇 +0.07 万元: its row's 合计 column no longer adds up
    return Template("t02-tekun-split-total-column", path, SPECS / "relief-tekun.yaml", "2024-06",
                    ["region_name"], truth, mutable=(5, 4, 0.07))


# -- T03 quarterly relief table (姚安县, 2024年一季度, own quarterly schema) ---------------------------

YAOAN = ["栋川镇", "光禄镇", "前场镇", "弥兴镇", "太平镇", "官屯镇", "适中乡", "左门乡", "大河口乡"]


def _dibao_rows(rng, towns, scale=1):
    rows = []
    for t in towns:
        uh = rng.randint(5, 200) * scale
        up = uh + rng.randint(0, uh)
        rh = rng.randint(50, 900) * scale
        rp = rh + rng.randint(0, rh)
        rows.append((t, uh, up, up * rng.randint(400, 700), rh, rp, rp * rng.randint(200, 400)))
    return rows


def t03_quarterly(outdir: Path, change=None) -> Template:
    rng = random.Random(3)
    rows = _dibao_rows(rng, YAOAN)
    grid = [
        ["姚安县2024年一季度城乡低保保障情况统计表"] + [None] * 6,
        ["单位：户、人、元"] + [None] * 6,
        ["乡镇（街道）", "城市低保", None, None, "农村低保", None, None],
        [None, "户数", "人数", "金额", "户数", "人数", "金额"],
        *[list(r) for r in rows],
        ["合计"] + [sum(r[c] for r in rows) for c in range(1, 7)],
        ["填表人：王某", "审核人：赵某", "电话：0878-6221234", None, None, None, None],
    ]
    grid = _apply(grid, change)
    path = outdir / "t03" / "姚安县2024年一季度城乡低保统计.xlsx"
    write_xlsx(path, {"一季度": (grid, ["A1:G1", "A3:A4", "B3:D3", "E3:G3"])})
    names = ["urban_households", "urban_persons", "urban_amount", "rural_households", "rural_persons", "rural_amount"]
    truth = [{"region_name": r[0], **dict(zip(names, r[1:]))} for r in rows]
    return Template("t03-quarterly", path, SPECS / "relief-quarterly.yaml", "2024-Q1",
                    ["region_name"], truth, mutable=(6, 3, round(rows[2][3] * 0.137)))


# -- T04 UTF-8-with-BOM CSV export, thousands separators, 合计 first (永仁县, relief-recipients schema) --

YONGREN = ["永定镇", "宜就镇", "中和镇", "莲池乡", "维的乡", "猛虎乡", "永兴傣族乡"]


def t04_bom_csv_total_first(outdir: Path, change=None) -> Template:
    rng = random.Random(4)
    rows = _dibao_rows(rng, YONGREN, scale=3)
    tk = [(rng.randint(10, 90)) for _ in YONGREN]
    tc = [(rng.randint(0, 40)) for _ in YONGREN]
    full = [r + (p, p * 800, c, c * 1500) for r, p, c in zip(rows, tk, tc)]
    header1 = ["乡镇（街道）", "城市低保", "城市低保", "城市低保", "农村低保", "农村低保", "农村低保",
               "特困供养", "特困供养", "临时救助", "临时救助"]
    header2 = ["", "户数", "人数", "金额", "户数", "人数", "金额", "人数", "金额", "人次", "金额"]
    total = ["合计"] + [sep(sum(r[c] for r in full)) for c in range(1, 11)]
    grid = [["永仁县2024年7月城乡低保特困临时救助统计（单位：户、人、人次、元）"] + [""] * 10,
            header1, header2, total,
            *[[r[0]] + [sep(v) for v in r[1:]] for r in full],
            ["注：金额为当月实际发放数。"] + [""] * 10,
            ["制表：永仁县民政局社会救助股  联系电话：13577889900"] + [""] * 10]
    grid = _apply(grid, change)
    path = outdir / "t04" / "永仁县2024年7月低保统计.csv"
    write_csv(path, grid, "utf-8-sig")
    names = ["urban_households", "urban_persons", "urban_amount", "rural_households", "rural_persons", "rural_amount",
             "tekun_persons", "tekun_amount", "temporary_cases", "temporary_amount"]
    truth = [{"region_name": r[0], **dict(zip(names, r[1:]))} for r in full]
    return Template("t04-bom-csv-total-first", path, SPECS / "relief-yongren.yaml", "2024-07",
                    ["region_name"], truth, mutable=(5, 5, 7))    # 宜就镇 农村低保人数 +7


# -- T05 .xls, merged two-row header, 单位：万元, money split by source with a 合计 (楚雄市 lottery) -----

def t05_xls_fund_sources(outdir: Path, change=None) -> Template:
    projects = [
        ("养老服务", "鹿城镇敬老院改造", "鹿城镇人民政府", 3000000, 1000000, 500000, "已完工"),
        ("养老服务", "社区居家养老服务中心建设", "楚雄市民政局", 1200000, 600000, 300000, "主体完工"),
        ("儿童福利", "困境儿童关爱保护", "楚雄市儿童福利院", 0, 450000, 150000, "已完成"),
        ("社会救助", "困难群众临时救助补充", "楚雄市民政局", 800000, 0, 200000, "已完成"),
        ("残疾人福利", "残疾人康复设备购置", "楚雄市残联", 0, 236700, 100000, "已完成"),
    ]
    grid = [
        ["楚雄市2023年度福利彩票公益金使用情况表"] + [None] * 8,
        ["单位：万元"] + [None] * 8,
        ["序号", "项目类别", "项目名称", "实施单位", "资金来源", None, None, None, "执行情况"],
        [None, None, None, None, "中央", "省级", "州（市）级", "合计", None],
    ]
    for i, (cat, name, unit, a, b, c, status) in enumerate(projects, start=1):
        grid.append([i, cat, name, unit, wan(a), wan(b), wan(c), wan(a + b + c), status])
    grid.append(["合计", None, None, None] + [round(sum(r[c] for r in grid[4:]), 2) for c in range(4, 8)] + [None])
    grid.append(["填表人：李某", None, "联系电话：0878-3121234", None, None, None, None, None, None])
    grid = _apply(grid, change)
    path = outdir / "t05" / "楚雄市2023年福彩公益金使用情况.xls"
    merges = [(0, 0, 0, 8), (2, 3, 0, 0), (2, 3, 1, 1), (2, 3, 2, 2), (2, 3, 3, 3), (2, 2, 4, 7), (2, 3, 8, 8),
              (len(projects) + 4, len(projects) + 4, 0, 3)]
    write_xls(path, {"公益金": (grid, merges)})
    truth = [{"project_name": p[1], "category": p[0], "amount": p[3] + p[4] + p[5]} for p in projects]
    # 中央 of 鹿城镇敬老院改造 +13.7%: its 合计 column and the 合计 row no longer agree
    return Template("t05-xls-fund-sources", path, SPECS / "lottery-sources.yaml", "2023",
                    ["project_name"], truth, mutable=(4, 4, round(300 * 0.137, 2)))


# -- T06 budget by 支出功能分类 with 科目编码, 合计 right under the header (大姚县) ------------------------

def t06_budget_function_codes(outdir: Path, change=None) -> Template:
    leaves = [
        ("2080201", "行政运行", 356.42, 360.18),
        ("2080208", "基层政权建设和社区治理", 45.00, 41.20),
        ("2080299", "其他民政管理事务支出", 12.30, 10.05),
        ("2081001", "儿童福利", 88.60, 90.11),
        ("2081002", "老年福利", 156.70, 150.00),
        ("2081004", "殡葬", 30.00, 28.40),
        ("2081901", "城市最低生活保障金支出", 1320.55, 1302.74),
        ("2081902", "农村最低生活保障金支出", 4210.80, 4188.36),
    ]
    parents = {"20802": "民政管理事务", "20810": "社会福利", "20819": "最低生活保障", "208": "社会保障和就业支出"}

    def total(prefix, col):
        return round(sum(l[col] for l in leaves if l[0].startswith(prefix)), 2)

    body = []
    body.append(["208", "社会保障和就业支出", total("208", 2), total("208", 3)])
    for mid in ("20802", "20810", "20819"):
        body.append([mid, "  " + parents[mid], total(mid, 2), total(mid, 3)])
        body += [[c, "    " + n, b, f] for c, n, b, f in leaves if c.startswith(mid)]
    grid = [
        ["大姚县民政局2023年一般公共预算支出决算表（按功能分类）", None, None, None],
        ["公开03表", None, None, "单位：万元"],
        ["科目编码", "科目名称", "预算数", "决算数"],
        ["合计", None, total("2", 2), total("2", 3)],
        *body,
        ["注：本表反映大姚县民政局2023年一般公共预算财政拨款支出。", None, None, None],
    ]
    grid = _apply(grid, change)
    path = outdir / "t06" / "大姚县民政局2023年一般公共预算支出决算表.xlsx"
    write_xlsx(path, {"支出决算表": (grid, ["A1:D1"])})
    truth = [{"subject_code": r[0], "budget_amount": round(r[2] * 10000), "final_amount": round(r[3] * 10000)}
             for r in body]
    # 2081001 儿童福利 决算数 +13.7%
    return Template("t06-budget-function-codes", path, SPECS / "budget-function.yaml", "2023",
                    ["subject_code"], truth, mutable=(10, 3, round(90.11 * 0.137, 2)))


# -- T07 lottery projects with 执行率 "95.2%" and free-text 绩效目标 (永仁县) --------------------------

def t07_lottery_rate_goals(outdir: Path, change=None) -> Template:
    projects = [
        ("养老服务", "永定镇养老服务中心运营补助", "永仁县民政局", 42.00, 40.00, "服务老人不少于200人次/月"),
        ("养老服务", "农村互助养老点建设", "宜就镇人民政府", 30.00, 28.56, "建成互助点3个"),
        ("儿童福利", "孤困儿童助学", "永仁县民政局", 12.50, 12.50, "资助困境儿童50名，资助率100%"),
        ("社会公益", "残疾人辅具适配", "永仁县残联", 18.00, 15.30, "适配辅具80件"),
    ]
    grid = [
        ["永仁县2023年度福利彩票公益金项目执行及绩效情况表"] + [None] * 7,
        ["单位：万元"] + [None] * 7,
        ["项目类别", "项目名称", "实施单位", "预算金额", "执行金额", "执行率", "绩效目标", "实际效果"],
    ]
    for cat, name, unit, budget, spent, goal in projects:
        grid.append([cat, name, unit, budget, spent, f"{spent / budget * 100:.1f}%", goal, "达到预期"])
    b, s = round(sum(p[3] for p in projects), 2), round(sum(p[4] for p in projects), 2)
    grid.append(["合计", None, None, b, s, f"{s / b * 100:.1f}%", None, None])
    grid.append(["填表说明：执行率=执行金额/预算金额。填表人：周某 13888886666", None, None, None, None, None, None, None])
    grid = _apply(grid, change)
    path = outdir / "t07" / "永仁县2023年福彩公益金项目绩效表.xlsx"
    write_xlsx(path, {"Sheet1": (grid, ["A1:H1", "A8:C8"])})
    truth = [{"project_name": p[1], "category": p[0], "amount": round(p[4] * 10000),
              "status": f"{p[4] / p[3] * 100:.1f}%"} for p in projects]
    return Template("t07-lottery-rate-goals", path, SPECS / "lottery-performance.yaml", "2023",
                    ["project_name"], truth, mutable=(4, 4, round(28.56 * 0.137, 2)))


# -- T08 standards: rows are standards, columns 城市/农村 with the unit in the header (楚雄市) --------

def t08_standards_urban_rural_columns(outdir: Path, change=None) -> Template:
    grid = [
        ["楚雄市民政局关于提高城乡低保和特困人员供养标准的通知（楚市民发〔2024〕21号）", None, None],
        ["经市人民政府同意，自2024年7月1日起执行以下标准。", None, None],
        ["项目", "城市（元/人·月）", "农村（元/人·年）"],
        ["最低生活保障标准", 820, "6,000"],
        ["特困人员基本生活标准", 1066, "7,800"],
        ["联系人：杨某 电话：0878-3126789", None, None],
    ]
    grid = _apply(grid, change)
    path = outdir / "t08" / "楚雄市2024年城乡低保特困标准.xlsx"
    write_xlsx(path, {"标准": (grid, ["A1:C1", "A2:C2"])})
    truth = [
        {"standard_type": "城市低保", "amount": 820.0},
        {"standard_type": "农村低保", "amount": 500.0},
        {"standard_type": "特困人员基本生活(城市)", "amount": 1066.0},
        {"standard_type": "特困人员基本生活(农村)", "amount": 650.0},
    ]
    return Template("t08-standards-urban-rural-columns", path, SPECS / "standards-cross.yaml", "2024",
                    ["standard_type"], truth, mutable=None,
                    notes="standard type is row × column (低保 × 城市): not expressible by unpivot (one axis)")


# -- T09 two tables under one header, each after a heading row with its own 小计, one 合计 (大姚县) ------

DAYAO = ["金碧镇", "石羊镇", "六苴镇", "龙街镇", "新街镇", "赵家店镇", "三岔河镇", "桂花镇", "昙华乡", "湾碧乡",
         "铁锁乡", "三台乡"]
DAYAO_OFFICIAL = {n: ("湾碧傣族傈僳族乡" if n == "湾碧乡" else n) for n in DAYAO}


def t09_heading_blocks_shared_header(outdir: Path, change=None) -> Template:
    rng = random.Random(9)
    urban = {t: (h := rng.randint(5, 80), h + rng.randint(0, h), 0) for t in DAYAO[:6]}
    urban = {t: (h, p, p * 550) for t, (h, p, _) in urban.items()}
    rural = {t: (h := rng.randint(100, 900), h + rng.randint(0, h), 0) for t in DAYAO}
    rural = {t: (h, p, p * 290) for t, (h, p, _) in rural.items()}
    grid = [
        ["大姚县2024年8月城乡低保统计表", None, None, None],
        ["单位：户、人、元", None, None, None],
        ["乡镇", "户数", "人数", "金额"],
        ["一、城市低保", None, None, None],
        *[[t, *urban[t]] if t in urban else [t, "—", "—", "—"] for t in DAYAO],
        ["小计", *[sum(v[c] for v in urban.values()) for c in range(3)]],
        ["二、农村低保", None, None, None],
        *[[t, *v] for t, v in rural.items()],
        ["小计", *[sum(v[c] for v in rural.values()) for c in range(3)]],
        ["合计", *[sum(v[c] for v in urban.values()) + sum(v[c] for v in rural.values()) for c in range(3)]],
        ["填表人：陈某某  电话：15912345678", None, None, None],
    ]
    grid = _apply(grid, change)
    path = outdir / "t09" / "大姚县2024年8月城乡低保.xlsx"
    write_xlsx(path, {"2024年8月": (grid, ["A1:D1"])})
    truth = []
    for t in DAYAO:
        row = {"region_name": DAYAO_OFFICIAL[t]}
        if t in urban:
            row.update(urban_households=urban[t][0], urban_persons=urban[t][1], urban_amount=urban[t][2])
        else:   # listed with — (no 城市低保 in a rural township)
            row.update(urban_households=0, urban_persons=0, urban_amount=0)
        row.update(rural_households=rural[t][0], rural_persons=rural[t][1], rural_amount=rural[t][2])
        truth.append(row)
    # 石羊镇's 农村低保 人数 +7 (row of 石羊镇 in the second block)
    return Template("t09-heading-blocks-shared-header", path, SPECS / "relief-dibao-blocks.yaml", "2024-08",
                    ["region_name"], truth, mutable=(19, 2, 7))


# -- T10 townships down, months across, one sheet per measure (南华县 临时救助) -----------------------

def t10_township_months(outdir: Path, change=None) -> Template:
    rng = random.Random(10)
    months = [f"{m}月" for m in range(1, 7)]
    cases = {t: [rng.randint(0, 30) for _ in months] for t in NANHUA[:6]}
    grid = [["南华县2024年1-6月临时救助人次统计表"] + [None] * 7,
            ["乡镇"] + months + ["合计"],
            *[[t, *v, sum(v)] for t, v in cases.items()],
            ["合计"] + [sum(v[i] for v in cases.values()) for i in range(6)] + [sum(map(sum, cases.values()))]]
    grid = _apply(grid, change)
    path = outdir / "t10" / "南华县2024年临时救助分月统计.xlsx"
    write_xlsx(path, {"人次": (grid, ["A1:H1"])})
    truth = [{"region_name": t, "period": f"2024-{i + 1:02d}", "temporary_cases": v[i]}
             for t, v in cases.items() for i in range(6)]
    return Template("t10-township-months", path, SPECS / "relief-temporary-months.yaml", None,
                    ["region_name", "period"], truth, mutable=(3, 2, 7),
                    notes="townships down and months across: period_columns.region only knows `county`")


# -- T11 lottery with each 小计 above its projects and the 合计 on top (南华县) ------------------------

def t11_subtotals_above(outdir: Path, change=None) -> Template:
    groups = {
        "养老服务": [("龙川镇敬老院消防改造", "南华县民政局", 25.40), ("居家养老服务补贴", "南华县民政局", 18.75)],
        "儿童福利": [("儿童之家建设", "沙桥镇人民政府", 9.60)],
        "社会救助": [("困难群众急难救助", "南华县民政局", 30.00), ("救助站设施维修", "南华县救助管理站", 6.35),
                   ("临时救助备用金", "五街镇人民政府", 4.00)],
    }
    grid = [["南华县2023年度福利彩票公益金使用情况"] + [None] * 5,
            ["单位：万元"] + [None] * 5,
            ["项目类别", "项目名称", "实施单位", "金额", "执行情况", "实际效果"],
            ["合计", None, None, round(sum(a for g in groups.values() for _, _, a in g), 2), None, None]]
    for cat, projects in groups.items():
        grid.append([cat, "小计", None, round(sum(a for _, _, a in projects), 2), None, None])
        grid += [[cat, name, unit, amount, "已完成", "群众满意"] for name, unit, amount in projects]
    grid.append(["备注：以上资金均为县级留存公益金。", None, None, None, None, None])
    grid = _apply(grid, change)
    path = outdir / "t11" / "南华县2023年福利彩票公益金使用情况.xlsx"
    write_xlsx(path, {"2023年": (grid, ["A1:F1"])})
    truth = [{"project_name": n, "category": c, "amount": round(a * 10000)} for c, g in groups.items() for n, _, a in g]
    # 救助站设施维修 +13.7%
    return Template("t11-subtotals-above", path, SPECS / "lottery-plain.yaml", "2023",
                    ["project_name"], truth, mutable=(11, 3, round(6.35 * 0.137, 2)))


# -- T12 a 说明 sheet, then the data; short township names; notes and footer (楚雄市) -------------------

CHUXIONG = ["鹿城", "东瓜", "吕合", "紫溪", "东华", "子午", "苍岭", "三街", "八角", "中山", "新村", "西舍路",
            "树苴", "大过口", "大地基"]


def t12_explanation_sheet(outdir: Path, change=None) -> Template:
    rng = random.Random(12)
    rows = _dibao_rows(rng, CHUXIONG)
    explain = ([["填表说明"], ["1. 本表按乡镇填报，金额单位为万元。"], ["2. 户数、人数为月末在册数。"],
                ["3. 请于次月5日前报送。"]], [])
    grid = [
        ["楚雄市2024年9月城乡低保统计表"] + [None] * 6,
        ["单位：户、人、万元"] + [None] * 6,
        ["乡镇", "城市低保", None, None, "农村低保", None, None],
        [None, "户数", "人数", "金额", "户数", "人数", "金额"],
    ]
    rows = [(t, uh, up, ua // 100 * 100, rh, rp, ra // 100 * 100) for t, uh, up, ua, rh, rp, ra in rows]
    for t, uh, up, ua, rh, rp, ra in rows:
        grid.append([t, uh, up, wan(ua), rh, rp, wan(ra)])
    grid.append(["合计"] + [round(sum(r[c] for r in grid[4:]), 2) for c in range(1, 7)])
    grid[-1] = [grid[-1][0]] + [int(v) if c % 3 else v for c, v in enumerate(grid[-1][1:], start=1)]
    grid += [["注：1.本表数据截至9月30日；2.紫溪镇含开发区。"] + [None] * 6,
             ["填表人：李某某", None, "审核人：王某", None, "联系电话：13812345678", None, None]]
    grid = _apply(grid, change)
    path = outdir / "t12" / "楚雄市2024年9月城乡低保统计.xlsx"
    write_xlsx(path, {"填表说明": explain, "2024年9月": (grid, ["A1:G1", "A3:A4", "B3:D3", "E3:G3"])})
    names = ["urban_households", "urban_persons", "urban_amount", "rural_households", "rural_persons", "rural_amount"]
    official = {t: t + ("乡" if t in ("树苴", "大过口", "大地基") else "镇") for t in CHUXIONG}
    truth = [{"region_name": official[r[0]], **dict(zip(names, r[1:]))} for r in rows]
    return Template("t12-explanation-sheet", path, SPECS / "relief-dibao.yaml", "2024-09",
                    ["region_name"], truth, mutable=(6, 2, 7), extra={"sheet": "2024年9月"})


# -- T13 .xls under a county's old name (澄江县 → 澄江市, 玉溪), 街道办事处, merged header, 万元 --------------

CHENGJIANG = ["凤麓街道办事处", "龙街街道办事处", "右所镇", "阳宗镇", "海口镇", "九村镇"]


def t13_renamed_county_xls(outdir: Path, change=None) -> Template:
    rng = random.Random(13)
    rows = [(t, uh, up, ua // 100 * 100, rh, rp, ra // 100 * 100)
            for t, uh, up, ua, rh, rp, ra in _dibao_rows(rng, CHENGJIANG)]
    grid = [
        ["澄江县2024年10月城乡最低生活保障统计表"] + [None] * 6,
        ["填报单位：澄江县民政局", None, None, None, None, "单位：户、人、万元", None],
        ["乡镇（街道）", "城市低保", None, None, "农村低保", None, None],
        [None, "户数", "人数", "金额", "户数", "人数", "金额"],
        *[[t, uh, up, wan(ua), rh, rp, wan(ra)] for t, uh, up, ua, rh, rp, ra in rows],
    ]
    grid.append(["合计"] + [round(sum(r[c] for r in grid[4:]), 2) if c % 3 == 0 else sum(r[c] for r in grid[4:])
                            for c in range(1, 7)])
    grid.append(["单位负责人：某某", None, "制表人：某某", None, "报出日期：2024年11月5日", None, None])
    grid = _apply(grid, change)
    path = outdir / "t13" / "澄江县2024年10月低保统计.xls"
    write_xls(path, {"10月": (grid, [(0, 0, 0, 6), (2, 3, 0, 0), (2, 2, 1, 3), (2, 2, 4, 6)])})
    names = ["urban_households", "urban_persons", "urban_amount", "rural_households", "rural_persons", "rural_amount"]
    truth = [{"region_name": r[0].replace("办事处", ""), "county_name": "澄江市", **dict(zip(names, r[1:]))}
             for r in rows]
    return Template("t13-renamed-county-xls", path, SPECS / "relief-dibao.yaml", "2024-10",
                    ["region_name"], truth, mutable=(7, 6, round(rows[3][6] / 10000 * 0.137, 2)))


# -- T14 GBK CSV from 贵州 (黔西县 → 黔西市), ethnic townships in short form, "合  计", 元 with separators --

QIANXI = {"水西街道": "水西街道", "金碧镇": "金碧镇", "雨朵镇": "雨朵镇", "五里乡": "五里布依族苗族乡",
          "绿化乡": "绿化白族彝族乡", "新仁乡": "新仁苗族乡", "红林乡": "红林彝族苗族乡"}


def t14_gbk_csv_other_province(outdir: Path, change=None) -> Template:
    rng = random.Random(14)
    rows = [(t, rng.randint(3, 50), rng.randint(2000, 80000)) for t in QIANXI]
    grid = [["黔西县民政局2024年3月临时救助发放情况", "", ""],
            ["乡镇（街道）", "临时救助人次", "临时救助金额（元）"],
            *[[t, str(c), sep(a)] for t, c, a in rows],
            ["合  计", str(sum(r[1] for r in rows)), sep(sum(r[2] for r in rows))],
            ["经办人：杨某 联系电话：18985001234", "", ""]]
    grid = _apply(grid, change)
    path = outdir / "t14" / "黔西县2024年3月临时救助.csv"
    write_csv(path, grid, "gbk")
    truth = [{"region_name": QIANXI[t], "temporary_cases": c, "temporary_amount": a} for t, c, a in rows]
    return Template("t14-gbk-csv-other-province", path, SPECS / "relief-temporary.yaml", "2024-03",
                    ["region_name"], truth, mutable=(4, 2, 3))    # 雨朵镇 金额 +3 元


# -- T15 budget with the code split into 类 | 款 | 项 columns and the 合计 under the header (姚安县) -------

def t15_budget_split_code(outdir: Path, change=None) -> Template:
    leaves = [("208", "02", "01", "行政运行", 210.35, 215.02), ("208", "02", "99", "其他民政管理事务支出", 8.00, 7.40),
              ("208", "20", "01", "临时救助支出", 60.00, 58.90), ("208", "20", "02", "流浪乞讨人员救助支出", 5.50, 5.50),
              ("208", "21", "01", "城市特困人员救助供养支出", 40.10, 40.10),
              ("208", "21", "02", "农村特困人员救助供养支出", 380.00, 376.45)]
    names = {("208", "02"): "民政管理事务", ("208", "20"): "临时救助", ("208", "21"): "特困人员救助供养"}

    def tot(pred, col):
        return round(sum(l[col] for l in leaves if pred(l)), 2)

    body = [["208", None, None, "社会保障和就业支出", tot(lambda l: True, 4), tot(lambda l: True, 5)]]
    for (lei, kuan), name in names.items():
        body.append([lei, kuan, None, name, tot(lambda l: l[1] == kuan, 4), tot(lambda l: l[1] == kuan, 5)])
        body += [[l[0], l[1], l[2], l[3], l[4], l[5]] for l in leaves if l[1] == kuan]
    grid = [["姚安县民政局2023年部门决算支出表", None, None, None, None, None],
            [None, None, None, None, None, "单位：万元"],
            ["科目编码", None, None, "科目名称", "预算数", "决算数"],
            ["类", "款", "项", None, None, None],
            ["合计", None, None, None, tot(lambda l: True, 4), tot(lambda l: True, 5)],
            *body]
    grid = _apply(grid, change)
    path = outdir / "t15" / "姚安县民政局2023年部门决算支出表.xlsx"
    write_xlsx(path, {"支出决算": (grid, ["A1:F1", "A3:C3", "D3:D4", "E3:E4", "F3:F4", "A5:D5"])})
    truth = [{"subject_code": "".join(x for x in r[:3] if x), "budget_amount": round(r[4] * 10000),
              "final_amount": round(r[5] * 10000)} for r in body]
    return Template("t15-budget-split-code", path, SPECS / "budget-split-code.yaml", "2023",
                    ["subject_code"], truth, mutable=(12, 5, round(416.55 * 0.137, 2)),   # 特困人员救助供养
                    notes="科目编码 split over 类/款/项 columns")


TEMPLATES = [t01_temporary_total_on_top, t02_tekun_split_total_column, t03_quarterly, t04_bom_csv_total_first,
             t05_xls_fund_sources, t06_budget_function_codes, t07_lottery_rate_goals,
             t08_standards_urban_rural_columns, t09_heading_blocks_shared_header, t10_township_months,
             t11_subtotals_above, t12_explanation_sheet, t13_renamed_county_xls, t14_gbk_csv_other_province,
             t15_budget_split_code]


def generate(outdir: Path) -> list[Template]:
    return [build(Path(outdir)) for build in TEMPLATES]


if __name__ == "__main__":
    for t in generate(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/redteam")):
        print(t.name, t.file)
