"""Write messy source spreadsheets for the other dataset families, the same on every run.

    python datasets/samples/make_families.py [OUTDIR]      (default: datasets/samples/)

Beside the monthly relief reports of make_samples.py, county bureaus of 楚雄州 send:

* standards/  保障标准: a prefecture compilation in a long layout (xlsx), 元谋县's wide
  one-row-per-effective-date table (xls), 禄丰市's long CSV export without 序号 (GBK);
* lottery/    福利彩票公益金 2023: one project per row, category merged down, 小计 per
  category, 合计, free-text results (xlsx in 万元, xls in 元 with 栏次 row, GBK CSV);
* budgets/    部门预决算 2023: outline-numbered items (一、（一）1.), 其中 rows, the 三公经费
  block and 机关运行经费, 预算数 vs 决算数 in 万元 (xlsx with two sheets, xls with
  科目编码 and 栏次 row, GBK CSV);
* relief-other-template/  the relief report in 牟定县's template (序号 first, 农村 before
  城市, 特困人员, no 临时救助, an extra 医疗救助 column, 栏次 row, amounts in 元);
* broken/     one broken variant per family, described in BROKEN;
* relief-blocks/, relief-county-year/, standards-notice/  layouts beyond one table per sheet,
  written by make_layouts.py (several tables on a sheet, months as columns, a standards notice);
* budget-total-first/  大姚县's 支出 and 三公经费 tables with the 合计 right under the header (科目编码
  gives the tree), read by datasets/budget-accounts.yaml;
* lottery-whole-yuan/  姚安县's GBK CSV: whole 元 with thousands separators, a 执行率 column (95.2%),
  free-text results with commas, quotes and a line break; read by datasets/lottery-fund.yaml.

Everything lives in sub-folders, so the relief spec's `*.xlsx` glob on OUTDIR never sees it.
`generate(outdir)` returns the true published figures (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20231231
YEAR = "2023"


def _load_make_samples():
    """make_samples.py next to this file (already loaded by tests or by its own script run)."""
    module = sys.modules.get("make_samples")
    if module is None:
        spec = importlib.util.spec_from_file_location("make_samples", HERE / "make_samples.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_samples"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


make_samples = _load_make_samples()


def _load_sibling(name: str):
    """Another generator next to this file (make_layouts.py), loaded by path like make_samples."""
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
Layout = make_samples.Layout
write_xlsx, write_xls, write_csv = make_samples.write_xlsx, make_samples.write_xls, make_samples.write_csv

FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")

# Spreadsheet spelling -> official name (the national division code list, datasets/divisions/).
REGIONS = {"楚雄州": "楚雄彝族自治州", "武定县": "武定县", "元谋县": "元谋县", "禄丰市": "禄丰市"}

# Made-up personal data in footers: must never reach any output.
PERSONAL = ["孙某某", "13800001111", "周某某", "0878-1234567", "吴某某", "13800002222", "郑某某",
            "冯某某", "0878-7654321", "陈某某", "13800003333", "褚某某", "13900001234", "卫某某",
            "蒋某某", "13800004444", "沈某某", "0878-6123456", "韩某某", "13800005555"]

CANONICAL_STANDARDS = ["城市低保", "农村低保", "特困人员基本生活", "特困人员照料护理", "临时救助",
                       "高龄津贴", "困难残疾人生活补贴", "重度残疾人护理补贴", "孤儿基本生活费"]
# Every wording of a standard type the samples use -> canonical type.
STANDARD_ALIASES = {name: name for name in CANONICAL_STANDARDS} | {
    "城市居民最低生活保障标准": "城市低保",
    "城市低保标准": "城市低保",
    "城镇低保": "城市低保",
    "农村最低生活保障": "农村低保",
    "农村低保标准": "农村低保",
    "特困供养人员基本生活标准": "特困人员基本生活",
    "特困人员基本生活标准": "特困人员基本生活",
    "特困人员照料护理标准": "特困人员照料护理",
    "特困供养人员照料护理补贴": "特困人员照料护理",
    "临时救助标准": "临时救助",
    "80周岁以上高龄津贴": "高龄津贴",
    "高龄老人津贴": "高龄津贴",
    "困难残疾人生活补贴标准": "困难残疾人生活补贴",
    "重度残疾人护理补贴标准": "重度残疾人护理补贴",
    "孤儿基本生活保障": "孤儿基本生活费",
    "孤儿基本生活费标准": "孤儿基本生活费",
}

# filename (under OUTDIR/broken/) -> where it is broken; filled in by generate().
BROKEN: dict[str, dict] = {}


def _cell(row: int, col: int) -> str:
    """0-based (row, col) -> A1 reference."""
    return f"{chr(ord('A') + col)}{row + 1}"


def _pad(cells: list, width: int) -> list:
    return (list(cells) + [None] * width)[:width]


def _wan(cents: int) -> float:
    """Hundredths of 万元 -> 万元 with 2 decimals."""
    return round(cents / 100, 2)


def _yuan_from_wan_cents(cents: int) -> float:
    return float(cents * 100)


# ---------------------------------------------------------------------------------------------
# 1. Subsidy standards
# ---------------------------------------------------------------------------------------------

def _date_cell(iso: str, style: str):
    y, m, d = (int(x) for x in iso.split("-"))
    return {"excel": dt.date(y, m, d), "cn_qi": f"{y}年{m}月{d}日起", "cn": f"{y}年{m}月{d}日",
            "dot": f"{y}.{m:02d}.{d:02d}", "dash": f"{y}-{m}-{d}", "slash": f"{y}/{m}/{d}"}[style]


def _amount_cell(amount: float, style: str):
    whole = amount == int(amount)
    text = f"{int(amount)}" if whole else f"{amount:.2f}"
    return {"num": int(amount) if whole else amount, "text": text,
            "sep": f"{int(amount):,}" if whole else f"{amount:,.2f}",
            "fw": text.translate(FULL_WIDTH)}[style]


class Std:
    """One standard as a source writes it."""

    def __init__(self, wording, amount, unit, iso, doc, amount_style="num", date_style="dash"):
        assert wording in STANDARD_ALIASES, wording
        self.wording, self.amount, self.unit, self.iso, self.doc = wording, float(amount), unit, iso, doc
        self.amount_style, self.date_style = amount_style, date_style

    def truth(self, region: str) -> dict:
        yearly = "年" in self.unit
        return {"region_name": REGIONS[region], "standard_type": STANDARD_ALIASES[self.wording],
                "amount_stated": self.amount, "unit_stated": self.unit,
                "amount_monthly": round(self.amount / 12 if yearly else self.amount, 2),
                "effective_date": self.iso, "document_number": self.doc}


M, Y, A = "元/人·月", "元/人·年", "元/月"
ZHOU_DOC, WD23, WD24, YM24, LF24 = ("楚民通〔2024〕3号", "武民发〔2023〕98号", "武民发〔2024〕12号",
                                   "元民发〔2024〕8号", "禄民发〔2024〕5号")

# (a) the prefecture's compilation: 楚雄州 itself, 武定县 in full (with mid-year changes),
# and the allowance types of 元谋县 and 禄丰市 (their 低保 standards come in their own files).
CHUXIONG_LONG = [
    ("楚雄州", [
        Std("城市低保标准", 780, M, "2024-01-01", ZHOU_DOC, date_style="excel"),
        Std("农村低保标准", 5160, Y, "2024-01-01", ZHOU_DOC, "sep", "excel"),
        Std("特困人员基本生活标准", 1014, M, "2024-01-01", ZHOU_DOC, "sep", "excel"),
    ]),
    ("武定县", [
        Std("城市居民最低生活保障标准", 780, M, "2024-01-01", WD23, date_style="dash"),
        Std("农村最低生活保障", 5160, Y, "2024-01-01", WD23, "sep", "dash"),
        Std("特困供养人员基本生活标准", 1014, M, "2024-01-01", WD23, date_style="dash"),
        Std("特困人员照料护理标准", 320, M, "2024-01-01", WD23, date_style="excel"),
        Std("临时救助标准", 780, M, "2024-01-01", WD23, date_style="dash"),
        Std("高龄津贴", 50, A, "2024-01-01", WD23, date_style="dash"),
        Std("困难残疾人生活补贴标准", 90, A, "2024-01-01", WD23, "fw", "dash"),
        Std("重度残疾人护理补贴标准", 90, A, "2024-01-01", WD23, date_style="dash"),
        Std("孤儿基本生活保障", 1420, M, "2024-01-01", WD23, "sep", "dash"),
        Std("城市居民最低生活保障标准", 810, M, "2024-07-01", WD24, "fw", "cn_qi"),
        Std("农村最低生活保障", 5500, Y, "2024-07-01", WD24, "sep", "cn_qi"),
        Std("特困供养人员基本生活标准", 1053, M, "2024-07-01", WD24, "text", "dot"),
        Std("临时救助标准", 810, M, "2024-07-01", WD24, date_style="dot"),
    ]),
    ("元谋县", [
        Std("特困供养人员照料护理补贴", 350, M, "2024-01-01", YM24, date_style="dot"),
        Std("临时救助", 780, "元/人/月", "2024-01-01", YM24, date_style="dot"),
        Std("80周岁以上高龄津贴", 60, A, "2024-01-01", YM24, date_style="dot"),
        Std("困难残疾人生活补贴", 80, A, "2024-01-01", YM24, date_style="dot"),
        Std("重度残疾人护理补贴", 80, A, "2024-01-01", YM24, date_style="dot"),
        Std("重度残疾人护理补贴", 100, A, "2024-10-01", "元民发〔2024〕31号", date_style="cn_qi"),
    ]),
    ("禄丰市", [
        Std("高龄老人津贴", 60, A, "2024-01-01", LF24, date_style="excel"),
        Std("困难残疾人生活补贴标准", 90, A, "2024-01-01", LF24, date_style="excel"),
        Std("重度残疾人护理补贴标准", 90, A, "2024-01-01", LF24, date_style="excel"),
        Std("孤儿基本生活费标准", 1450, M, "2024-01-01", LF24, "sep", "excel"),
    ]),
]

# (b) 元谋县, wide: one row per effective date.
YUANMOU_WIDE_COLUMNS = [("城市低保", M), ("农村低保", Y), ("特困人员基本生活", M), ("孤儿基本生活费", M)]
YUANMOU_WIDE = [  # (iso, date style, amounts with their cell styles, 文号)
    ("2024-01-01", "cn", [(780, "num"), (5160, "sep"), (1014, "num"), (1400, "sep")], "元民发〔2023〕76号"),
    ("2024-07-01", "dot", [(820, "num"), (5520, "sep"), (1066, "text"), (1450, "sep")], "元民发〔2024〕15号"),
]

# (c) 禄丰市, long CSV without 序号.
LUFENG_LONG = [
    ("禄丰市", [
        Std("城镇低保", 790, "元/人/月", "2024-01-01", "禄民发〔2023〕88号", "text", "slash"),
        Std("农村低保标准", 5304, "元/人/年", "2024-01-01", "禄民发〔2023〕88号", "sep", "slash"),
        Std("特困人员基本生活标准", 1027, "元/人/月", "2024-01-01", "禄民发〔2023〕88号", "sep", "slash"),
        Std("特困人员照料护理标准", 340, "元/人/月", "2024-01-01", "禄民发〔2023〕88号", "text", "slash"),
        Std("临时救助标准", 790, "元/人/月", "2024-01-01", "禄民发〔2023〕88号", "text", "slash"),
        Std("城镇低保", 830, "元/人/月", "2024-07-01", "禄民发〔2024〕21号", "text", "cn"),
        Std("农村低保标准", 5580, "元/人/年", "2024-07-01", "禄民发〔2024〕21号", "sep", "cn"),
        Std("特困人员基本生活标准", 1079, "元/人/月", "2024-07-01", "禄民发〔2024〕21号", "sep", "cn"),
        Std("临时救助标准", 830, "元/人/月", "2024-07-01", "禄民发〔2024〕21号", "text", "cn"),
    ]),
]


def standards_long(title: str, blocks, *, sequence: bool = True,
                   header=("序号", "县（市）", "保障类别", "标准", "单位", "执行时间", "文号"),
                   info=("填报单位：楚雄州民政局", "截至2024年12月31日"),
                   footers=(("填表人：孙某某    联系电话：13800001111",),
                            ("注：农村低保标准按年计算，其余按月计算。",))):
    """Long layout: one row per (region, type, date); the region cell merged down its rows.

    Returns (layout, cells) where cells[i] is the 0-based row of the i-th Std, in order."""
    width = len(header)
    rows: list[list] = [_pad([title], width)]
    merges = [(0, 0, 0, width - 1)]
    rows.append(_pad([info[0]] + [None] * (width - 2) + [info[1]], width))
    header_row = len(rows)
    rows.append(list(header))
    first = len(rows)
    region_col = 1 if sequence else 0
    cells, seq = [], 0
    for region, entries in blocks:
        start = len(rows)
        for i, s in enumerate(entries):
            seq += 1
            row = ([seq] if sequence else []) + [region if i == 0 else None, s.wording,
                                                 _amount_cell(s.amount, s.amount_style), s.unit,
                                                 _date_cell(s.iso, s.date_style), s.doc]
            cells.append(len(rows))
            rows.append(row)
        if len(entries) > 1:
            merges.append((start, region_col, len(rows) - 1, region_col))
    rows.append([None] * width)
    for footer in footers:
        rows.append(_pad(list(footer), width))
    return Layout(rows, merges, header_row, first, 0), cells


def standards_wide() -> Layout:
    width = 2 + len(YUANMOU_WIDE_COLUMNS)
    rows: list[list] = [_pad(["元谋县2024年城乡低保、特困人员及孤儿基本生活保障标准"], width),
                        _pad(["填报单位：元谋县民政局（盖章）"], width)]
    merges = [(0, 0, 0, width - 1)]
    header_row = len(rows)
    rows.append(_pad(["执行日期", "保障标准"] + [None] * (len(YUANMOU_WIDE_COLUMNS) - 1) + ["文号"], width))
    rows.append(_pad([None] + [f"{w}（{u}）" for w, u in YUANMOU_WIDE_COLUMNS] + [None], width))
    merges += [(header_row, 0, header_row + 1, 0), (header_row, 1, header_row, len(YUANMOU_WIDE_COLUMNS)),
               (header_row, width - 1, header_row + 1, width - 1)]
    first = len(rows)
    for iso, style, amounts, doc in YUANMOU_WIDE:
        rows.append([_date_cell(iso, style)] + [_amount_cell(a, s) for a, s in amounts] + [doc])
    rows.append([None] * width)
    rows.append(_pad(["注：农村低保标准按年计算，月标准为年标准的十二分之一。"], width))
    rows.append(_pad(["制表人：周某某", None, None, "联系电话：0878-1234567"], width))
    return Layout(rows, merges, header_row, first, 0)


def _standards_truth() -> tuple[list[dict], dict[str, list[dict]]]:
    by_file: dict[str, list[dict]] = {}
    by_file["standards/楚雄州2024年社会救助保障标准.xlsx"] = [
        s.truth(region) for region, entries in CHUXIONG_LONG for s in entries]
    wide = []
    for iso, _, amounts, doc in YUANMOU_WIDE:
        for (wording, unit), (amount, _) in zip(YUANMOU_WIDE_COLUMNS, amounts):
            wide.append(Std(wording, amount, unit, iso, doc).truth("元谋县"))
    by_file["standards/元谋县2024年保障标准.xls"] = wide
    by_file["standards/禄丰市保障标准调整2024.csv"] = [
        s.truth(region) for region, entries in LUFENG_LONG for s in entries]
    records = [r for rs in by_file.values() for r in rs]
    keys = [(r["region_name"], r["standard_type"], r["effective_date"]) for r in records]
    assert len(keys) == len(set(keys)), "the good standards files never state a fact twice"
    return records, by_file


def write_standards(outdir: Path) -> None:
    sheet, _ = standards_long("楚雄州2024年社会救助保障标准汇总表", CHUXIONG_LONG)
    write_xlsx(outdir / "standards" / "楚雄州2024年社会救助保障标准.xlsx", {"保障标准": sheet})
    write_xls(outdir / "standards" / "元谋县2024年保障标准.xls", {"Sheet1": standards_wide()})
    csv_sheet, _ = standards_long(
        "禄丰市2024年城乡低保等社会救助保障标准调整情况", LUFENG_LONG, sequence=False,
        header=("地区", "类别", "保障标准", "计量单位", "起始日期", "依据文件"),
        info=("禄丰市民政局", "2024年7月"),
        footers=(("经办人：褚某某", None, None, "联系电话：13900001234"),))
    write_csv(outdir / "standards" / "禄丰市保障标准调整2024.csv", csv_sheet)


def write_standards_broken(outdir: Path) -> None:
    # Same county + type + date twice, different amounts: 武定县 城市低保 from 2024-07-01.
    blocks = [(r, list(e)) for r, e in CHUXIONG_LONG]
    wuding = blocks[1][1]
    original = next(i for i, s in enumerate(wuding) if s.wording == "城市居民最低生活保障标准" and s.iso == "2024-07-01")
    wuding.append(Std("城市居民最低生活保障标准", 820, M, "2024-07-01", WD24, date_style="dot"))
    sheet, cells = standards_long("楚雄州2024年社会救助保障标准汇总表", blocks)
    offset = len(blocks[0][1])
    first, second = cells[offset + original], cells[offset + len(wuding) - 1]
    name = "standards-duplicate-date.xlsx"
    write_xlsx(outdir / "broken" / name, {"保障标准": sheet})
    BROKEN[name] = {"cell": _cell(second, 3), "first_cell": _cell(first, 3), "sheet": "保障标准",
                    "what": f"武定县 城市低保 effective 2024-07-01 stated twice: 810 at {_cell(first, 3)} "
                            f"and 820 at {_cell(second, 3)} (same 文号 {WD24})"}

    # A yearly 农村低保 figure (5500) with a monthly unit.
    blocks = [(r, list(e)) for r, e in CHUXIONG_LONG]
    wuding = blocks[1][1]
    i = next(i for i, s in enumerate(wuding) if s.wording == "农村最低生活保障" and s.iso == "2024-07-01")
    slip = wuding[i]
    wuding[i] = Std(slip.wording, slip.amount, M, slip.iso, slip.doc, slip.amount_style, slip.date_style)
    sheet, cells = standards_long("楚雄州2024年社会救助保障标准汇总表", blocks)
    row = cells[len(blocks[0][1]) + i]
    name = "standards-yearly-as-monthly.xlsx"
    write_xlsx(outdir / "broken" / name, {"保障标准": sheet})
    BROKEN[name] = {"cell": _cell(row, 3), "unit_cell": _cell(row, 4), "sheet": "保障标准",
                    "what": f"武定县 农村低保 from 2024-07-01: the yearly figure 5,500 ({_cell(row, 3)}) "
                            f"stated with unit 元/人·月 ({_cell(row, 4)}): 5500 a month is implausible"}


# ---------------------------------------------------------------------------------------------
# 2. Welfare-lottery fund
# ---------------------------------------------------------------------------------------------

# category -> [(project name, implementing unit, results, n range, m range)];
# {c} county, {t} township, {n} {m} numbers drawn from the ranges
LOTTERY_PROJECTS = {
    "养老服务": [
        ("{t}敬老院适老化改造", "{t}人民政府",
         "完成敬老院房屋修缮和适老化改造，新增护理床位{n}张，入住老人居住条件明显改善", (10, 40), (0, 0)),
        ("农村互助养老服务站建设", "{c}民政局",
         "新建农村互助养老服务站{n}个，为留守、独居老人提供日间照料和助餐服务", (3, 12), (0, 0)),
        ("居家养老上门服务", "{c}社会福利院",
         "为{n}名高龄、失能老人提供上门探访、助洁、助浴服务共{m}人次", (80, 300), (600, 2400)),
    ],
    "儿童福利": [
        ("困境儿童关爱保护", "{c}民政局",
         "资助困境儿童{n}名，开展家庭走访和心理疏导{m}次，儿童基本生活得到保障", (40, 160), (100, 500)),
        ("{t}儿童之家建设", "{t}人民政府",
         "建成儿童之家{n}个，配备图书和活动器材，惠及农村留守儿童{m}名", (3, 9), (150, 900)),
        ("孤儿助学", "{c}儿童福利院",
         "资助在校孤儿和事实无人抚养儿童{n}名，保障其顺利完成学业", (15, 90), (0, 0)),
    ],
    "残疾人福利": [
        ("残疾人康复辅具适配", "{c}残疾人联合会",
         "为{n}名残疾人适配轮椅、助行器等康复辅具，生活自理能力得到提升", (60, 300), (0, 0)),
        ("精神障碍社区康复服务", "{c}民政局",
         "为{n}名精神障碍患者提供社区康复训练和照护指导，复发率明显下降", (30, 150), (0, 0)),
        ("残疾儿童康复救助", "{c}残疾人联合会",
         "资助{n}名残疾儿童接受抢救性康复训练，患儿运动和语言能力明显改善", (10, 60), (0, 0)),
    ],
    "社会救助": [
        ("困难群众临时救助补充资金", "{c}民政局",
         "救助困难群众{m}人次，及时缓解突发性、临时性基本生活困难", (0, 0), (150, 900)),
        ("困难群众节日慰问", "{c}民政局",
         "春节期间走访慰问城乡困难群众{m}户，发放慰问金和米、油等生活物资", (0, 0), (300, 1500)),
        ("社会救助经办能力提升", "{c}民政局",
         "培训乡镇社会救助经办人员{n}人次，救助审核审批效率明显提高", (60, 240), (0, 0)),
    ],
    "社区服务": [
        ("{t}社区综合服务站建设", "{t}人民政府",
         "建成社区综合服务站{n}个，服务面积{m}平方米，群众就近办事更加方便", (1, 4), (300, 1200)),
        ("乡镇社会工作服务站运营", "{c}民政局",
         "{n}个乡镇社会工作服务站全年运营，开展个案和小组服务{m}次", (6, 10), (200, 900)),
    ],
}

LOTTERY_COUNTIES = {  # county -> (categories in the order the sheet lists them, number of projects)
    "武定县": (["养老服务", "儿童福利", "残疾人福利", "社会救助", "社区服务"], 10),
    "元谋县": (["养老服务", "儿童福利", "社会救助", "社区服务"], 7),
    "禄丰市": (["养老服务", "儿童福利", "残疾人福利", "社会救助"], 8),
}
STATUSES = ["已完成", "已完成并投入使用", "已全部拨付", "项目实施中，已拨付资金80%", "已完成验收"]


def lottery_projects(seed: int = SEED) -> dict[str, list[dict]]:
    """county -> projects in sheet order; amount_cents = hundredths of the amount in the sheet's unit."""
    rng = random.Random(seed + 1)
    result = {}
    for county, (categories, total) in LOTTERY_COUNTIES.items():
        counts = [1] * len(categories)
        while sum(counts) < total:
            i = rng.randrange(len(categories))
            if counts[i] < len(LOTTERY_PROJECTS[categories[i]]):
                counts[i] += 1
        towns = list(make_samples.TOWNSHIPS[county].values())
        projects = []
        for category, count in zip(categories, counts):
            for name, unit, results, n_range, m_range in rng.sample(LOTTERY_PROJECTS[category], count):
                town = rng.choice(towns)
                fill = {"c": county, "t": town, "n": rng.randint(*n_range), "m": rng.randint(*m_range)}
                text = results.format(**fill)
                assert 20 <= len(text) <= 60, text
                if county == "元谋县":   # 元 with fen, sometimes whole yuan
                    cents = rng.randint(2_000_000, 60_000_000)
                    cents = cents - cents % 100 if rng.random() < 0.5 else cents
                    amount = cents / 100
                else:                   # 万元 with 2 decimals
                    cents = rng.randint(300, 8000)
                    amount = _yuan_from_wan_cents(cents)
                projects.append({"county_name": county, "year": YEAR, "category": category,
                                 "project_name": name.format(**fill), "implementing_unit": unit.format(**fill),
                                 "amount": amount, "status": rng.choice(STATUSES), "results": text,
                                 "_cents": cents})
        result[county] = projects
    return result


def _by_category(projects: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for p in projects:
        groups.setdefault(p["category"], []).append(p)
    return groups


def lottery_layout(county: str, projects: list[dict], *, variant: str) -> tuple[Layout, dict]:
    """variant: 'wuding' (xlsx, 万元), 'yuanmou' (xls, 元, 栏次 row, two-level header), 'lufeng' (CSV, 万元).

    Returns (layout, cells) with cells = {category: 0-based subtotal row, '合计': total row}."""
    width = 7
    groups = _by_category(projects)
    rows: list[list] = []
    merges = []
    title = {"wuding": f"{county}{YEAR}年度福利彩票公益金使用情况表",
             "yuanmou": f"{county}{YEAR}年福彩公益金项目资金使用情况",
             "lufeng": f"{county}{YEAR}年福利彩票公益金资助项目及执行情况"}[variant]
    rows.append(_pad([title], width))
    merges.append((0, 0, 0, width - 1))
    unit = "元" if variant == "yuanmou" else "万元"
    rows.append(_pad([f"填报单位：{county}民政局", None, None, None, None, None, f"单位：{unit}"], width))
    header_row = len(rows)
    if variant == "yuanmou":
        rows.append(["序号", "资金类别", "资助项目名称", "项目实施单位", "使用金额（元）", "执行情况和实际效果", None])
        rows.append([None, None, None, None, None, "执行情况", "实际效果"])
        merges += [(header_row, c, header_row + 1, c) for c in range(5)] + [(header_row, 5, header_row, 6)]
        rows.append(["甲", "乙", "丙", "丁", "1", "戊", "己"])
    else:
        rows.append(["序号", "项目类别", "项目名称", "实施单位", "资金（万元）", "执行情况", "实际效果"])
    first = len(rows)

    def money(cents: int):
        if variant == "yuanmou":
            return f"{cents / 100:,.2f}"
        if variant == "lufeng":
            return f"{cents / 100:.2f}"
        return _wan(cents)

    cells: dict[str, int] = {}
    seq = 0
    for category, members in groups.items():
        start = len(rows)
        for i, p in enumerate(members):
            seq += 1
            amount = money(p["_cents"])
            if variant == "wuding" and seq == 4:
                amount = f"{p['_cents'] / 100:.2f}".translate(FULL_WIDTH)   # typed with a full-width IME
            rows.append([seq, category if i == 0 else None, p["project_name"], p["implementing_unit"],
                         amount, p["status"], p["results"]])
        subtotal = sum(p["_cents"] for p in members)
        cells[category] = len(rows)
        if variant == "yuanmou":   # "养老服务小计" in the category column, merge over projects only
            if len(members) > 1:
                merges.append((start, 1, len(rows) - 1, 1))
            rows.append([None, f"{category}小计", None, None, money(subtotal), None, None])
        else:                      # 小计 in the project column, category merged over it too
            rows.append([None, None, "小计", None, money(subtotal), None, None])
            merges.append((start, 1, len(rows) - 1, 1))
    total = sum(p["_cents"] for p in projects)
    cells["合计"] = len(rows)
    if variant == "wuding":
        rows.append(["合计", None, None, None, money(total), None, None])
        merges.append((len(rows) - 1, 0, len(rows) - 1, 3))
    elif variant == "yuanmou":
        rows.append(["总计", None, None, None, money(total), None, None])
    else:
        rows.append(["合计", None, None, None, money(total), None, None])
    rows.append([None] * width)
    footers = {"wuding": [["填表人：吴某某", None, None, "联系电话：13800002222"], ["审核人：郑某某"]],
               "yuanmou": [["制表人：冯某某    电话：0878-7654321"]],
               "lufeng": [["经办人：陈某某    联系电话：13800003333"]]}[variant]
    for footer in footers:
        rows.append(_pad(footer, width))
    return Layout(rows, merges, header_row, first, cells["合计"]), cells


def _lottery_truth(projects: dict[str, list[dict]]) -> dict:
    out = {"projects": [], "subtotals": {}, "totals": {}}
    for county, members in projects.items():
        yuan = (lambda c: c / 100) if county == "元谋县" else _yuan_from_wan_cents  # noqa: E731
        out["projects"] += [{k: v for k, v in p.items() if not k.startswith("_")} for p in members]
        out["subtotals"][county] = {cat: yuan(sum(p["_cents"] for p in ms))
                                    for cat, ms in _by_category(members).items()}
        out["totals"][county] = yuan(sum(p["_cents"] for p in members))
    return out


def write_lottery(outdir: Path, projects: dict[str, list[dict]]) -> None:
    sheet, _ = lottery_layout("武定县", projects["武定县"], variant="wuding")
    write_xlsx(outdir / "lottery" / f"武定县{YEAR}年度福利彩票公益金使用情况.xlsx", {"公益金使用情况": sheet})
    sheet, _ = lottery_layout("元谋县", projects["元谋县"], variant="yuanmou")
    write_xls(outdir / "lottery" / f"元谋县{YEAR}年福彩公益金项目.xls", {"Sheet1": sheet})
    sheet, _ = lottery_layout("禄丰市", projects["禄丰市"], variant="lufeng")
    write_csv(outdir / "lottery" / f"禄丰市{YEAR}年福利彩票公益金.csv", sheet)


def write_lottery_broken(outdir: Path, projects: dict[str, list[dict]]) -> None:
    sheet, cells = lottery_layout("武定县", projects["武定县"], variant="wuding")
    category = next(iter(cells))
    row = cells[category]
    right = sheet.rows[row][4]
    sheet.rows[row][4] = round(right + 1, 2)
    name = "lottery-broken-subtotal.xlsx"
    write_xlsx(outdir / "broken" / name, {"公益金使用情况": sheet})
    BROKEN[name] = {"cell": _cell(row, 4), "sheet": "公益金使用情况",
                    "what": f"武定县 {category} 小计 is {sheet.rows[row][4]:.2f} 万元, 1.00 more than its "
                            f"projects add up to ({right:.2f}); the 合计 is still right"}


# ---------------------------------------------------------------------------------------------
# 3. Budgets and final accounts
# ---------------------------------------------------------------------------------------------

# (marker, name, 科目编码, (low, high) in 万元 for a leaf | [children])
INCOME = [("一、", "一般公共预算财政拨款收入"), ("二、", "政府性基金预算财政拨款收入"), ("三、", "其他收入")]
EXPENDITURE = [
    ("一、", "社会保障和就业支出", "208", [
        ("（一）", "民政管理事务", "20802", [
            ("1.", "行政运行", "2080201", (250, 400)),
            ("2.", "一般行政管理事务", "2080202", (30, 80)),
            ("3.", "行政区划和地名管理", "2080208", (5, 20)),
        ]),
        ("（二）", "社会福利", "20810", [
            ("1.", "儿童福利", "2081001", (50, 150)),
            ("2.", "老年福利", "2081002", (200, 600)),
            ("3.", "殡葬", "2081004", (20, 80)),
        ]),
        ("（三）", "残疾人事业", "20811", (100, 300)),
        ("（四）", "最低生活保障", "20819", [
            ("1.", "城市最低生活保障金支出", "2081901", (800, 2000)),
            ("2.", "农村最低生活保障金支出", "2081902", (3000, 8000)),
        ]),
        ("（五）", "临时救助", "20820", (100, 400)),
        ("（六）", "特困人员救助供养", "20821", [
            ("1.", "城市特困人员救助供养支出", "2082101", (50, 150)),
            ("2.", "农村特困人员救助供养支出", "2082102", (400, 1200)),
        ]),
    ]),
    ("二、", "其他支出", "229", [
        ("（一）", "彩票公益金安排的支出", "22960", [
            ("1.", "用于社会福利的彩票公益金支出", "2296002", (50, 200)),
            ("2.", "用于残疾人事业的彩票公益金支出", "2296006", (10, 50)),
        ]),
    ]),
]
# 三公经费 block: (name, level, leaf range | None for a parent); markers depend on the file.
SANGONG = [("三公经费合计", 0, None), ("因公出国（境）费", 1, (0, 0)), ("公务用车购置及运行费", 1, None),
           ("公务用车购置费", 2, (20, 30)), ("公务用车运行费", 2, (5, 15)), ("公务接待费", 1, (2, 8))]
RUNNING = ("机关运行经费", (40, 80))
# The one item per county whose 决算数 is far from its 预算数.
FAR_OFF = {"武定县": ("临时救助", 1.28), "元谋县": ("老年福利", 0.76), "禄丰市": ("殡葬", 1.31)}
NO_CAR_PURCHASE = {"元谋县", "禄丰市"}


class Item:
    def __init__(self, name, marker="", code=None, parent=None, level=0):
        self.name, self.marker, self.code, self.parent, self.level = name, marker, code, parent, level
        self.budget = self.final = 0   # hundredths of 万元
        self.children: list[Item] = []


def budget_items(county: str, rng: random.Random) -> dict[str, list[Item]]:
    """block ('income', 'expenditure', 'sangong', 'running') -> items in sheet order, values filled."""
    far_name, far_factor = FAR_OFF[county]

    def leaf(item: Item, low: float, high: float) -> None:
        item.budget = rng.randint(int(low * 100), int(high * 100))
        factor = far_factor if item.name == far_name else 1 + rng.uniform(-0.05, 0.05)
        item.final = round(item.budget * factor)

    def build(nodes, parent, level, out):
        for marker, name, code, rest in nodes:
            item = Item(name, marker, code, parent, level)
            out.append(item)
            if parent:
                parent.children.append(item)
            if isinstance(rest, list):
                build(rest, item, level + 1, out)
                item.budget = sum(c.budget for c in item.children)
                item.final = sum(c.final for c in item.children)
            else:
                leaf(item, *rest)

    expenditure: list[Item] = []
    build(EXPENDITURE, None, 0, expenditure)
    tops = [i for i in expenditure if i.parent is None]
    income = [Item(name, marker) for marker, name in INCOME]
    for item, source in zip(income, tops + [None]):
        if source:
            item.budget, item.final = source.budget, source.final

    sangong: list[Item] = []
    stack: list[Item] = []
    for name, level, rng_range in SANGONG:
        item = Item(name, parent=stack[level - 1] if level else None, level=level)
        stack[level:] = [item]
        if item.parent:
            item.parent.children.append(item)
        if rng_range and not (name == "公务用车购置费" and county in NO_CAR_PURCHASE):
            leaf(item, *rng_range)
        sangong.append(item)
    for item in reversed(sangong):
        if item.children:
            item.budget = sum(c.budget for c in item.children)
            item.final = sum(c.final for c in item.children)
    running = Item(RUNNING[0])
    leaf(running, *RUNNING[1])
    return {"income": income, "expenditure": expenditure, "sangong": sangong, "running": [running]}


def _sangong_label(item: Item, style: str) -> str:
    """How the 三公 block writes an item: 其中 + full-width indentation, or numbered."""
    siblings = item.parent.children if item.parent else [item]
    index = siblings.index(item)
    if style == "numbered":
        if item.level == 1:
            return f"（{'一二三'[index]}）{item.name}"
        if item.level == 2:
            return f"{index + 1}.{item.name}"
        return item.name
    indent = "　　" * item.level
    return indent + ("其中：" if item.level and index == 0 else "") + item.name


def _sum(items: list[Item], attr: str) -> int:
    return sum(getattr(i, attr) for i in items)


def budget_tables(county: str, items: dict[str, list[Item]], variant: str) -> dict[str, tuple[Layout, dict]]:
    """sheet name -> (layout, cells {item name or total label: 0-based row}); variant wuding/yuanmou/lufeng."""
    title_unit = f"{county}民政局"

    def money(cents: int):
        if cents == 0:
            return "—"
        if variant == "lufeng":
            return f"{cents / 100:,.2f}"
        return _wan(cents)

    def outline(item: Item) -> str:
        label = item.marker + item.name
        top = item
        while top.parent:
            top = top.parent
        if variant == "wuding" and item.level and top.name == "社会保障和就业支出":
            label = "　　" * item.level + label   # indented in the 一、 block only
        return label

    income, expenditure = items["income"], [i for i in items["expenditure"]]
    tops = [i for i in expenditure if i.parent is None]
    totals = [("收入合计" if variant != "yuanmou" else "收入总计", _sum(income, "budget"), _sum(income, "final")),
              ("支出合计" if variant != "yuanmou" else "支出总计", _sum(tops, "budget"), _sum(tops, "final"))]

    if variant == "wuding":
        def block(title, header_rows, merges_extra, body):
            width = 3
            rows = [_pad([title], width), [None, None, "单位：万元"]]
            merges = [(0, 0, 0, width - 1)]
            header_row = len(rows)
            rows += header_rows
            merges += [(header_row + r0, c0, header_row + r1, c1) for r0, c0, r1, c1 in merges_extra]
            first = len(rows)
            cells = {}
            for key, label, b, f in body:
                cells[key] = len(rows)
                rows.append([label, money(b), money(f)])
            rows.append([None] * width)
            rows.append(["填表人：蒋某某    联系电话：13800004444", None, None])
            return Layout(rows, merges, header_row, first, 0), cells

        body = [(i.name, outline(i), i.budget, i.final) for i in income]
        body.append((totals[0][0], totals[0][0], totals[0][1], totals[0][2]))
        body += [(i.name, outline(i), i.budget, i.final) for i in expenditure]
        body.append((totals[1][0], totals[1][0], totals[1][1], totals[1][2]))
        main = block(f"{county}民政局{YEAR}年部门预决算收支总表", [["项目", "预算数", "决算数"]], [], body)
        body = [(i.name, _sangong_label(i, "qizhong"), i.budget, i.final) for i in items["sangong"]]
        body += [(i.name, i.name, i.budget, i.final) for i in items["running"]]
        sangong = block(f"{county}民政局{YEAR}年“三公”经费和机关运行经费预决算表",
                        [["项目", f"{YEAR}年", None], [None, "预算数", "决算数"]],
                        [(0, 0, 1, 0), (0, 1, 0, 2)], body)
        return {"收支总表": main, "三公经费": sangong}

    if variant == "yuanmou":
        width = 5
        rows = [_pad([f"{title_unit}{YEAR}年度部门决算公开表"], width),
                _pad([f"公开部门：{title_unit}", None, None, None, "金额单位：万元"], width)]
        merges = [(0, 0, 0, width - 1)]
        header_row = len(rows)
        rows.append(["科目编码", "项目", "年初预算数", "决算数", "决算数为预算数的%"])
        rows.append(["栏次", "乙", "1", "2", "3"])
        first = len(rows)
        cells = {}

        def add(key, code, label, b, f):
            cells[key] = len(rows)
            rows.append([code, label, money(b), money(f), f"{f / b * 100:.2f}%" if b else "—"])

        for i in income:
            add(i.name, None, i.marker + i.name, i.budget, i.final)
        add(totals[0][0], None, totals[0][0], totals[0][1], totals[0][2])
        for i in expenditure:
            add(i.name, i.code, i.marker + i.name, i.budget, i.final)
        add(totals[1][0], None, totals[1][0], totals[1][1], totals[1][2])
        for i in items["sangong"] + items["running"]:
            add(i.name, None, _sangong_label(i, "numbered"), i.budget, i.final)
        rows.append([None] * width)
        rows.append(_pad(["备注：本表反映部门年初预算和全年决算情况。"], width))
        rows.append(_pad(["制表人：沈某某", None, None, "电话：0878-6123456"], width))
        return {"决算公开表": (Layout(rows, merges, header_row, first, 0), cells)}

    # lufeng: one CSV, 序号 first, numbers as text with separators, 三公 indented with 其中
    width = 4
    rows = [_pad([f"{title_unit}{YEAR}年部门预决算情况表"], width), [None, None, None, "单位：万元"]]
    header_row = len(rows)
    rows.append(["序号", "项目", "预算数", "决算数"])
    first = len(rows)
    cells = {}
    seq = 0

    def add(key, label, b, f, numbered=True):
        nonlocal seq
        seq += numbered
        cells[key] = len(rows)
        rows.append([seq if numbered else None, label, money(b), money(f)])

    for i in income:
        add(i.name, i.marker + i.name, i.budget, i.final)
    add(totals[0][0], totals[0][0], totals[0][1], totals[0][2], numbered=False)
    for i in expenditure:
        add(i.name, i.marker + i.name, i.budget, i.final)
    add(totals[1][0], totals[1][0], totals[1][1], totals[1][2], numbered=False)
    for i in items["sangong"] + items["running"]:
        add(i.name, _sangong_label(i, "qizhong"), i.budget, i.final)
    rows.append([None] * width)
    rows.append(["经办人：韩某某", None, "联系电话：13800005555", None])
    return {f"{title_unit}{YEAR}年预决算": (Layout(rows, [(0, 0, 0, width - 1)], header_row, first, 0), cells)}


BUDGET_FILES = {"武定县": ("wuding", f"budgets/武定县民政局{YEAR}年部门预决算.xlsx"),
                "元谋县": ("yuanmou", f"budgets/元谋县民政局{YEAR}年决算公开表.xls"),
                "禄丰市": ("lufeng", f"budgets/禄丰市民政局{YEAR}年预决算.csv")}


def all_budget_items(seed: int = SEED) -> dict[str, dict[str, list[Item]]]:
    rng = random.Random(seed + 2)
    return {county: budget_items(county, rng) for county in BUDGET_FILES}


def _budget_truth(all_items) -> tuple[list[dict], list[dict]]:
    records, totals = [], []
    for county, items in all_items.items():
        variant, _ = BUDGET_FILES[county]
        tables = budget_tables(county, items, variant)
        for table, (_, cells) in tables.items():
            present = set(cells)
            for block in ("income", "expenditure", "sangong", "running"):
                for i in items[block]:
                    if i.name in present:
                        records.append({"county_name": county, "year": YEAR, "table": table, "item_name": i.name,
                                        "parent_item_name": i.parent.name if i.parent else None,
                                        "budget_amount": _yuan_from_wan_cents(i.budget),
                                        "final_amount": _yuan_from_wan_cents(i.final)})
            income, tops = items["income"], [i for i in items["expenditure"] if i.parent is None]
            for label, group in (("收入", income), ("支出", tops)):
                for key in cells:
                    if key.startswith(label) and key[2:] in ("合计", "总计"):
                        totals.append({"county_name": county, "year": YEAR, "table": table, "label": key,
                                       "budget_amount": _yuan_from_wan_cents(_sum(group, "budget")),
                                       "final_amount": _yuan_from_wan_cents(_sum(group, "final"))})
    return records, totals


def write_budgets(outdir: Path, all_items) -> None:
    for county, (variant, relpath) in BUDGET_FILES.items():
        tables = budget_tables(county, all_items[county], variant)
        path = outdir / relpath
        if variant == "wuding":
            write_xlsx(path, {name: layout for name, (layout, _) in tables.items()})
        elif variant == "yuanmou":
            write_xls(path, {name: layout for name, (layout, _) in tables.items()})
        else:
            (layout, _), = tables.values()
            write_csv(path, layout)


def write_budgets_broken(outdir: Path, all_items) -> None:
    tables = budget_tables("武定县", all_items["武定县"], "wuding")
    sheet, cells = tables["收支总表"]
    row = cells["行政运行"]
    right = sheet.rows[row][2]
    sheet.rows[row][2] = round(right * 10000, 2)
    name = "budget-unit-slip.xlsx"
    write_xlsx(outdir / "broken" / name, {n: layout for n, (layout, _) in tables.items()})
    BROKEN[name] = {"cell": _cell(row, 2), "sheet": "收支总表",
                    "what": f"武定县 行政运行 决算数 typed in 元 ({sheet.rows[row][2]:.2f}) under 单位：万元: "
                            f"10,000× the right {right:.2f}; its parents no longer add up"}


# ---------------------------------------------------------------------------------------------
# 4. Relief recipients in 牟定县's template
# ---------------------------------------------------------------------------------------------

MOUDING_TOWNSHIPS = ["共和镇", "新桥镇", "江坡镇", "凤屯镇", "蟠猫乡", "戌街乡"]
MOUDING_NO_URBAN = {"蟠猫乡", "戌街乡"}
MOUDING_FIELDS = ["rural_households", "rural_persons", "rural_amount",
                  "urban_households", "urban_persons", "urban_amount",
                  "tekun_persons", "tekun_amount", "medical_cases"]
MOUDING_FILE = "relief-other-template/牟定县2024年一季度城乡低保统计.xlsx"
def mouding_figures(seed: int = SEED) -> dict[tuple[str, str], dict[str, dict]]:
    """('牟定县', period) -> township -> fields; amounts in 元 (whole yuan), medical_cases included."""
    rng = random.Random(seed + 3)
    base = {}
    for town in MOUDING_TOWNSHIPS:
        base[town] = {"urban": 0 if town in MOUDING_NO_URBAN else rng.randint(30, 400),
                      "urban_ratio": rng.uniform(1.5, 1.9), "rural": rng.randint(400, 1800),
                      "rural_ratio": rng.uniform(1.8, 2.3), "tekun": rng.randint(20, 120),
                      "medical": rng.randint(0, 60), "urban_rate": rng.uniform(330, 400),
                      "rural_rate": rng.uniform(200, 260), "tekun_rate": rng.uniform(550, 700)}
    figures = {}
    for period in make_samples.PERIODS:
        month = {}
        for town, b in base.items():
            drift = lambda n: max(0, round(n * (1 + rng.uniform(-0.04, 0.04)))) if n else 0  # noqa: E731
            row = {"urban_persons": drift(b["urban"]), "rural_persons": drift(b["rural"]),
                   "tekun_persons": drift(b["tekun"]), "medical_cases": drift(b["medical"])}
            row["urban_households"] = max(1, round(row["urban_persons"] / b["urban_ratio"])) if row["urban_persons"] else 0
            row["rural_households"] = max(1, round(row["rural_persons"] / b["rural_ratio"]))
            for kind in ("urban", "rural", "tekun"):
                row[f"{kind}_amount"] = round(row[f"{kind}_persons"] * b[f"{kind}_rate"])
            month[town] = row
        figures[("牟定县", period)] = month
    return figures


def mouding_layout(period: str, month: dict[str, dict]) -> Layout:
    width = 2 + len(MOUDING_FIELDS)
    rows: list[list] = [_pad([f"牟定县{make_samples.month_label(period)}城乡低保及特困人员救助统计表"], width),
                        _pad(["填报单位：牟定县民政局"] + [None] * (width - 3) + ["单位：户、人、元"], width)]
    merges = [(0, 0, 0, width - 1)]
    header_row = len(rows)
    parents = ["序号", "乡（镇）", "农村低保", None, None, "城市低保", None, None, "特困人员", None, "医疗救助"]
    children = [None, None, "户数", "人数", "金额", "户数", "人数", "金额", "人数", "金额", "人次"]
    rows += [parents, children, ["甲", "乙"] + [str(n) for n in range(1, width - 1)]]
    merges += [(header_row, 0, header_row + 1, 0), (header_row, 1, header_row + 1, 1),
               (header_row, 2, header_row, 4), (header_row, 5, header_row, 7), (header_row, 8, header_row, 9)]
    first = len(rows)

    def messy(field: str, value: int, town: str):
        if value == 0:
            return "—"
        if field.endswith("amount"):
            return f"{value:,}" if town != "凤屯镇" else value          # 凤屯镇 typed plain numbers
        if field == "rural_persons" and value >= 1000:
            return f"{value:,}"
        return value

    for n, (town, figures) in enumerate(month.items(), start=1):
        rows.append([n, town] + [messy(f, figures[f], town) for f in MOUDING_FIELDS])
    total_row = len(rows)
    rows.append(["合计", None] + [f"{sum(m[f] for m in month.values()):,}" for f in MOUDING_FIELDS])
    merges.append((total_row, 0, total_row, 1))
    rows.append([None] * width)
    rows.append(_pad(["统计人：卫某某", None, None, None, "联系电话：13800001111", None, None, "分管领导：韩某某"], width))
    return Layout(rows, merges, header_row, first, total_row)


def write_mouding(outdir: Path, figures) -> None:
    write_xlsx(outdir / MOUDING_FILE,
               {f"{int(p[5:])}月": mouding_layout(p, figures[("牟定县", p)]) for p in make_samples.PERIODS})


# ---------------------------------------------------------------------------------------------
# 5. New templates of the shipped budget and lottery datasets
# ---------------------------------------------------------------------------------------------

BUDGET_TOP_FILE = "budget-total-first/大姚县民政局2023年部门支出预决算表.xlsx"
LOTTERY_YUAN_FILE = "lottery-whole-yuan/姚安县2023年福利彩票公益金使用情况.csv"


def budget_total_first(seed: int = SEED) -> tuple[dict[str, Layout], list[dict]]:
    """大姚县's expenditure and 三公经费 tables, each with its 合计 right under the header.

    支出决算表: 科目编码 | 科目名称 | 预算数 | 决算数 (万元), the 合计 first, then the classified items
    (the codes give the tree); 三公经费: 合计 first, then （一）…（三） with 其中 children.
    Returns ({sheet: layout}, records as _budget_truth writes them, amounts in 元)."""
    items = budget_items("武定县", random.Random(seed + 5))   # 武定县's far-off item: any one will do
    county, width = "大姚县", 4
    records = []

    def record(table, item):
        records.append({"county_name": county, "year": YEAR, "table": table, "item_name": item.name,
                        "parent_item_name": item.parent.name if item.parent else None,
                        "budget_amount": _yuan_from_wan_cents(item.budget),
                        "final_amount": _yuan_from_wan_cents(item.final)})

    def money(cents: int):
        return _wan(cents) if cents else "—"

    tops = [i for i in items["expenditure"] if i.parent is None]
    rows = [_pad([f"{county}民政局{YEAR}年部门支出预决算表"], width),
            _pad([f"编制部门：{county}民政局", None, None, "单位：万元"], width),
            ["功能分类科目编码", "科目名称", "预算数", "决算数"],
            [None, "合计", money(_sum(tops, "budget")), money(_sum(tops, "final"))]]
    for item in items["expenditure"]:
        rows.append([item.code, "　" * item.level + item.name, money(item.budget), money(item.final)])
        record("支出决算表", item)
    rows += [[None] * width, _pad(["注：本表按支出功能分类科目编列。"], width),
             _pad(["填表人：褚某某    联系电话：13900001234"], width)]
    main = Layout(rows, [(0, 0, 0, width - 1)], 2, 3, 3)

    sangong = items["sangong"][1:]      # the 三公经费合计 item becomes the table's own 合计 row
    width = 3
    rows = [_pad([f"{county}民政局{YEAR}年“三公”经费预决算情况表"], width), [None, None, "单位：万元"],
            ["项目", "预算数", "决算数"],
            ["合计", money(items["sangong"][0].budget), money(items["sangong"][0].final)]]
    for item in sangong:
        if item.level == 1:
            label = f"（{'一二三'[item.parent.children.index(item)]}）{item.name}"
        else:
            first = item.parent.children.index(item) == 0
            label = ("　　其中：" if first else "　　") + item.name
        rows.append([label, money(item.budget), money(item.final)])
        records.append({"county_name": county, "year": YEAR, "table": "三公经费", "item_name": item.name,
                        "parent_item_name": item.parent.name if item.level == 2 else None,
                        "budget_amount": _yuan_from_wan_cents(item.budget),
                        "final_amount": _yuan_from_wan_cents(item.final)})
    rows += [[None] * width, _pad(["审核人：卫某某"], width)]
    return {"支出决算表": main, "三公经费": Layout(rows, [(0, 0, 0, width - 1)], 2, 3, 3)}, records


def lottery_whole_yuan(seed: int = SEED) -> tuple[Layout, list[dict]]:
    """姚安县's GBK CSV export: amounts in whole 元 with thousands separators ("1,234,000"), a 执行率
    column ("95.2%"), free-text results with commas, quotes and a line break; 小计 per category, 合计.
    Returns (layout, project records as published: amount in 元, the line break a blank)."""
    rng = random.Random(seed + 6)
    county, width = "姚安县", 8
    towns = ["栋川镇", "光禄镇", "前场镇", "弥兴镇", "太平镇", "左门乡", "适中乡"]
    projects = []
    for category in ("养老服务", "儿童福利", "社会救助"):
        for name, unit, results, n_range, m_range in LOTTERY_PROJECTS[category][:2]:
            fill = {"c": county, "t": rng.choice(towns), "n": rng.randint(*n_range), "m": rng.randint(*m_range)}
            projects.append({"county_name": county, "year": YEAR, "category": category,
                             "project_name": name.format(**fill), "implementing_unit": unit.format(**fill),
                             "amount": float(rng.randint(40, 900) * 1000 + rng.choice([0, 0, 500, 37])),
                             "status": rng.choice(STATUSES), "results": results.format(**fill)})
    # Free text as officers type it: an ASCII comma, quotes, a line break inside one cell.
    projects[0]["results"] += ',经第三方评估,满意度达96%'
    projects[2]["results"] = '资助对象"应助尽助"，' + projects[2]["results"]
    projects[4]["results"] += "\n（详见年度绩效自评报告）"
    rows = [_pad([f"{county}{YEAR}年福利彩票公益金使用情况公示表"], width),
            _pad([f"填报单位：{county}民政局", None, None, None, None, None, None, "单位：元"], width),
            ["序号", "项目类别", "项目名称", "实施单位", "资金（元）", "执行率", "执行情况", "实际效果"]]
    header = 2
    for n, p in enumerate(projects, start=1):
        rate = f"{rng.uniform(85, 100):.1f}%"
        rows.append([n, p["category"], p["project_name"], p["implementing_unit"], f"{int(p['amount']):,}",
                     rate, p["status"], p["results"]])
    for category, members in reversed(list(_by_category(projects).items())):
        last = max(i for i, r in enumerate(rows) if r[1] == category)
        rows.insert(last + 1, [None, None, "小计", None, f"{int(sum(p['amount'] for p in members)):,}",
                               None, None, None])
    total = len(rows)
    rows.append(["合计", None, None, None, f"{int(sum(p['amount'] for p in projects)):,}", None, None, None])
    rows += [[None] * width, _pad(["经办人：蒋某某    联系电话：13800004444"], width)]
    published = [p | {"results": " ".join(p["results"].split("\n"))} for p in projects]  # a line break reads as a blank
    return Layout(rows, [], header, header + 1, total), published


def write_new_templates(outdir: Path) -> dict:
    """Write the budget table with 合计 first and the whole-元 lottery CSV; return their truth."""
    budget_sheets, budget_records = budget_total_first()
    write_xlsx(outdir / BUDGET_TOP_FILE, budget_sheets)
    lottery_sheet, lottery_records = lottery_whole_yuan()
    write_csv(outdir / LOTTERY_YUAN_FILE, lottery_sheet)
    return {"budget_total_first": {"file": BUDGET_TOP_FILE, "period": YEAR, "county": "大姚县",
                                   "records": budget_records},
            "lottery_whole_yuan": {"file": LOTTERY_YUAN_FILE, "period": YEAR, "county": "姚安县",
                                   "projects": lottery_records}}


# ---------------------------------------------------------------------------------------------

def generate(outdir: Path = HERE) -> dict:
    """Write every family's samples and broken variants under outdir; return the true figures:

    {"standards": [records], "standards_by_file": {relpath: [records]},
     "lottery": {"projects": [...], "subtotals": {county: {category: 元}}, "totals": {county: 元}},
     "budgets": [records], "budget_totals": [{county_name, year, table, label, budget_amount, final_amount}],
     "relief_other_template": {("牟定县", period): {township: {field: value}}}   (amounts in 元),
     "relief_other_template_medical": {("牟定县", period): {township: 医疗救助人次}},
     "layouts": make_layouts.generate's truth (several tables on a sheet, months as columns, a notice),
     "new_templates": {"budget_total_first": {file, period, county, records (as "budgets")},
                       "lottery_whole_yuan": {file, period, county, projects (as lottery "projects")}},
     "files": [relpaths], "broken": BROKEN}
    All money in the truth is in 元 except where said; standards amounts are as stated.
    """
    outdir = Path(outdir)
    BROKEN.clear()
    standards, standards_by_file = _standards_truth()
    write_standards(outdir)
    write_standards_broken(outdir)

    projects = lottery_projects()
    write_lottery(outdir, projects)
    write_lottery_broken(outdir, projects)

    items = all_budget_items()
    write_budgets(outdir, items)
    write_budgets_broken(outdir, items)
    budgets, budget_totals = _budget_truth(items)

    mouding = mouding_figures()
    write_mouding(outdir, mouding)
    relief = {key: {t: {f: v for f, v in row.items() if f != "medical_cases"} for t, row in month.items()}
              for key, month in mouding.items()}
    medical = {key: {t: row["medical_cases"] for t, row in month.items()} for key, month in mouding.items()}

    layouts = _load_sibling("make_layouts").generate(outdir)
    new_templates = write_new_templates(outdir)

    files = sorted(standards_by_file) + sorted(
        f"lottery/{name}" for name in (f"武定县{YEAR}年度福利彩票公益金使用情况.xlsx", f"元谋县{YEAR}年福彩公益金项目.xls",
                                       f"禄丰市{YEAR}年福利彩票公益金.csv")) + [
        relpath for _, relpath in BUDGET_FILES.values()] + [MOUDING_FILE] + layouts["files"] + [
        BUDGET_TOP_FILE, LOTTERY_YUAN_FILE]
    return {"standards": standards, "standards_by_file": standards_by_file, "layouts": layouts,
            "lottery": _lottery_truth(projects), "budgets": budgets, "budget_totals": budget_totals,
            "relief_other_template": relief, "relief_other_template_medical": medical,
            "new_templates": new_templates, "files": files, "broken": dict(BROKEN)}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    truth = generate(target)
    for relpath in truth["files"]:
        print(relpath)
    for name in BROKEN:
        print(f"broken/{name}")
