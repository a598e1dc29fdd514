"""Write sample workbooks in layouts beyond one table per sheet, the same on every run.

    python datasets/samples/make_layouts.py [OUTDIR]      (default: datasets/samples/)

(make_families.generate calls this too, so `make samples` writes them.)

* relief-blocks/    武定县 2024年4月: three tables on one sheet, one under the other (城市低保,
  农村低保, 特困人员), each with its own merged title, unit line, header (columns in another
  order each time) and 合计; 元 in the first two, 万元 in the third; read through
  datasets/relief-recipients.yaml, whose `blocks` say which table is which.
* relief-county-year/  元谋县 2024: one county-year sheet, months as columns (1月 … 12月, filled
  to June) and a 累计 column; heading rows 一、城市低保 … 四、临时救助 over indicator rows
  户数/人数/金额; blank rows and a note between groups; read through the bureau's own spec
  datasets/samples/specs/relief-county-monthly.yaml (the county is the row's region).
* standards-notice/ 元谋县 2025: a standards notice: the 文号 in the title, the effective date in
  a sentence under it, each standard's unit inside its column header (元/人·月, 元/人·年) and no
  date, 文号 or unit column at all; read through datasets/subsidy-standards.yaml (`from_text`).

Every file is messy like a real one: merged titles, unit lines, numbers as text with thousands
separators, full-width digits, — for zero, blank rows, notes, 填表人/联系电话 footers.
`generate(outdir)` writes them and returns their true figures (money in 元; standards as stated,
with `amount` in 元/人/月).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240430
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def _load_make_samples():
    module = sys.modules.get("make_samples")
    if module is None:
        spec = importlib.util.spec_from_file_location("make_samples", HERE / "make_samples.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_samples"] = module
        spec.loader.exec_module(module)
    return module


make_samples = _load_make_samples()
Layout, write_xlsx = make_samples.Layout, make_samples.write_xlsx

# Made-up personal data in footers: must never reach any output.
PERSONAL = ["杨某某", "13800006666", "许某某", "0878-8223344", "何某某", "13800007777"]

BLOCKS_FILE = "relief-blocks/武定县2024年4月城乡低保特困统计.xlsx"
COUNTY_YEAR_FILE = "relief-county-year/元谋县2024年城乡低保月度统计表.xlsx"
NOTICE_FILE = "standards-notice/元谋县2025年社会救助标准调整通知.xlsx"
COUNTY_YEAR_SPEC = HERE / "specs" / "relief-county-monthly.yaml"


def _pad(cells: list, width: int) -> list:
    return (list(cells) + [None] * width)[:width]


# ---------------------------------------------------------------------------------------------
# 1. Three tables on one sheet
# ---------------------------------------------------------------------------------------------

def blocks_figures(seed: int = SEED) -> dict[str, dict[str, float]]:
    """Official township name -> fields of 武定县 2024-04 (amounts in 元; 特困 to the 100 元, stated in 万元)."""
    rng = random.Random(seed)
    figures = {}
    for spelled, official in make_samples.TOWNSHIPS["武定县"].items():
        urban = 0 if official in make_samples.NO_URBAN else rng.randint(20, 300)
        rural = rng.randint(300, 1500)
        tekun = rng.randint(20, 120)
        figures[official] = {
            "urban_households": max(1, round(urban / rng.uniform(1.5, 1.9))) if urban else 0,
            "urban_persons": urban, "urban_amount": float(round(urban * rng.uniform(330, 400))),
            "rural_households": max(1, round(rural / rng.uniform(1.8, 2.3))), "rural_persons": rural,
            "rural_amount": float(round(rural * rng.uniform(200, 260))),
            "tekun_persons": tekun, "tekun_amount": float(round(tekun * rng.uniform(550, 700), -2)),
        }
    return figures


def _spelled(official: str) -> str:
    return next(s for s, o in make_samples.TOWNSHIPS["武定县"].items() if o == official)


def blocks_layout(figures: dict[str, dict]) -> tuple[Layout, dict]:
    """The sheet and where things are: {block: {"title": row, "header": row, "total": row, "rows": {township: row}}}."""
    width = 5
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []
    where: dict[str, dict] = {}

    def block(name, title, unit, header, fields, money_in_wan=False):
        if rows:
            rows.append([None] * width)
        start = len(rows)
        rows.append(_pad([title], width))
        merges.append((start, 0, start, width - 1))
        rows.append(_pad(["填报单位：武定县民政局", None, None, f"单位：{unit}"], width))
        header_row = len(rows)
        rows.append(_pad(header, width))
        at = {"title": start, "header": header_row, "rows": {}}
        for n, (official, f) in enumerate(figures.items()):
            at["rows"][official] = len(rows)
            cells = []
            for name_ in fields:
                value = f[name_]
                if name_.endswith("amount") and money_in_wan:
                    value = round(value / 10000, 2)
                if value == 0:
                    cells.append("—")
                elif name_ == "rural_persons" and value >= 1000:
                    cells.append(f"{value:,}")                                   # text with a separator
                elif name_.endswith("amount") and not money_in_wan and n % 3 == 0:
                    cells.append(f"{int(value):,}")
                elif official == "插甸镇" and name_ == "tekun_persons":
                    cells.append(str(value).translate(FULL_WIDTH))              # full-width digits
                else:
                    cells.append(int(value) if not money_in_wan else value)
            rows.append(_pad([_spelled(official), *cells], width))
        at["total"] = len(rows)
        totals = []
        for name_ in fields:
            if name_.endswith("amount") and money_in_wan:
                totals.append(sum(round(f[name_] / 100) for f in figures.values()) / 100)
            else:
                totals.append(int(sum(f[name_] for f in figures.values())))
        rows.append(_pad(["合计", *totals], width))
        where[name] = at

    block("城市低保", "武定县2024年4月城市低保对象统计表", "户、人、元", ["乡镇（街道）", "户数", "人数", "金额"],
          ["urban_households", "urban_persons", "urban_amount"])
    block("农村低保", "武定县2024年4月农村低保对象统计表", "户、人、元", ["乡镇（街道）", "人数", "户数", "发放金额"],
          ["rural_persons", "rural_households", "rural_amount"])
    block("特困人员", "武定县2024年4月特困人员救助供养统计表", "人、万元", ["乡镇（街道）", "人数", "金额（万元）"],
          ["tekun_persons", "tekun_amount"], money_in_wan=True)
    rows.append([None] * width)
    rows.append(_pad(["填表人：杨某某    联系电话：13800006666"], width))
    rows.append(_pad(["审核人：许某某"], width))
    return Layout(rows, merges, where["城市低保"]["header"], where["城市低保"]["header"] + 1, where["城市低保"]["total"]), where


# ---------------------------------------------------------------------------------------------
# 2. Months as columns, one county-year sheet
# ---------------------------------------------------------------------------------------------

COUNTY_YEAR_MONTHS = 6          # filled January to June; July to December are blank columns
GROUPS = [("一、城市低保", [("户数", "urban_households"), ("人数", "urban_persons"), ("金额", "urban_amount")]),
          ("二、农村低保", [("户数", "rural_households"), ("人数", "rural_persons"), ("金额", "rural_amount")]),
          ("三、特困供养", [("人数", "tekun_persons"), ("金额", "tekun_amount")]),
          ("四、临时救助", [("人次", "temporary_cases"), ("金额", "temporary_amount")])]


def county_year_figures(seed: int = SEED + 1) -> dict[str, dict[str, float]]:
    """period (2024-01 … 2024-06) -> fields of 元谋县 as a whole; amounts in whole 元."""
    rng = random.Random(seed)
    base = {"urban_persons": 1850, "rural_persons": 9400, "tekun_persons": 610, "temporary_cases": 120}
    figures = {}
    for m in range(1, COUNTY_YEAR_MONTHS + 1):
        f = {k: round(v * (1 + rng.uniform(-0.03, 0.03))) for k, v in base.items()}
        f["urban_households"] = round(f["urban_persons"] / 1.72)
        f["rural_households"] = round(f["rural_persons"] / 2.05)
        f["urban_amount"] = float(round(f["urban_persons"] * rng.uniform(360, 380)))
        f["rural_amount"] = float(round(f["rural_persons"] * rng.uniform(230, 250)))
        f["tekun_amount"] = float(round(f["tekun_persons"] * rng.uniform(1000, 1100)))
        f["temporary_amount"] = float(round(f["temporary_cases"] * rng.uniform(900, 1400)))
        figures[f"2024-{m:02d}"] = f
    return figures


def county_year_layout(figures: dict[str, dict]) -> tuple[Layout, dict]:
    """The sheet and {"header": row, "total_col": col, "rows": {field: row}, "months": {period: col}}."""
    months = [f"{m}月" for m in range(1, 13)]
    width = 2 + len(months) + 1
    total_col = width - 1
    rows: list[list] = [_pad(["元谋县2024年城乡低保、特困供养和临时救助月度统计表"], width),
                        _pad(["填报单位：元谋县民政局（盖章）"], width)]
    rows[1][total_col] = "单位：户、人、元"          # above the 累计 column: no part of its header
    merges = [(0, 0, 0, width - 1)]
    header = len(rows)
    rows.append(["项目", "指标", *months, "累计"])
    merges.append((header, 0, header, 0))
    where = {"header": header, "total_col": total_col, "rows": {},
             "months": {f"2024-{m:02d}": 1 + m for m in range(1, 13)}}
    for g, (group, indicators) in enumerate(GROUPS):
        if g:
            rows.append([None] * width)
        if g == 2:
            rows.append(_pad(["注：农村低保金额含分类施保补差。"], width))
        rows.append(_pad([group], width))
        merges.append((len(rows) - 1, 0, len(rows) - 1, 1))
        for label, name in indicators:
            where["rows"][name] = len(rows)
            cells = []
            for m in range(1, 13):
                period = f"2024-{m:02d}"
                if period not in figures:
                    cells.append(None)
                    continue
                value = int(figures[period][name])
                if name.endswith("amount") and value >= 1000:
                    cells.append(f"{value:,}" if m % 2 else value)
                elif name == "temporary_cases" and m == 3:
                    cells.append(str(value).translate(FULL_WIDTH))
                else:
                    cells.append(value)
            if name.endswith("amount") or name == "temporary_cases":
                cumulative = int(sum(f[name] for f in figures.values()))          # a flow: the sum
            else:
                cumulative = int(figures[max(figures)][name])                     # a stock: the latest month
            label_cell = f"{label}（元）" if name.endswith("amount") else label
            rows.append([None, label_cell, *cells, f"{cumulative:,}"])
    rows.append([None] * width)
    rows.append(_pad(["填表人：何某某", None, None, None, None, "联系电话：13800007777"], width))
    return Layout(rows, merges, header, header + 1, 0), where


# ---------------------------------------------------------------------------------------------
# 3. A standards notice: date, 文号 and units only in the title and header text
# ---------------------------------------------------------------------------------------------

NOTICE_DOC = "元民发〔2025〕9号"
NOTICE_DATE = "2025-01-01"
NOTICE_STANDARDS = [("城市低保", "元/人·月", 850, "８５０"), ("农村低保", "元/人·年", 5760, "5,760"),
                    ("特困人员基本生活", "元/人·月", 1105, 1105), ("特困人员照料护理", "元/人·月", 360, "360"),
                    ("孤儿基本生活费", "元/人·月", 1480, "1,480")]


def notice_layout() -> tuple[Layout, dict]:
    width = 1 + len(NOTICE_STANDARDS)
    rows = [_pad([f"元谋县民政局关于提高城乡低保等社会救助保障标准的通知（{NOTICE_DOC}）"], width),
            _pad(["各乡（镇）人民政府：经县人民政府同意，现将调整后的保障标准公布如下，自2025年1月1日起执行。"], width),
            [None] * width]
    merges = [(0, 0, 0, width - 1), (1, 0, 1, width - 1)]
    header = len(rows)
    rows.append(["地区", *[f"{name}（{unit}）" for name, unit, _, _ in NOTICE_STANDARDS]])
    rows.append(["元谋县", *[cell for _, _, _, cell in NOTICE_STANDARDS]])
    rows.append([None] * width)
    rows.append(_pad(["注：农村低保标准按年计算，按月发放。"], width))
    rows.append(_pad(["联系人：杨某某    联系电话：13800006666"], width))
    return Layout(rows, merges, header, header + 1, 0), {"title": "A1", "date": "A2", "header": header}


def notice_truth() -> list[dict]:
    return [{"county_name": "元谋县", "standard_type": name, "amount_stated": float(amount), "unit_stated": unit,
             "amount": round(amount / 12 if "年" in unit else amount, 2), "effective_date": NOTICE_DATE,
             "document_number": NOTICE_DOC} for name, unit, amount, _ in NOTICE_STANDARDS]


# ---------------------------------------------------------------------------------------------

def generate(outdir: Path = HERE) -> dict:
    """Write the three workbooks under outdir; return their truth:

    {"blocks": {"file", "period": "2024-04", "county": "武定县", "figures": {township: {field: value}},
                "where": {block: {"title", "header", "total", "rows"}}},
     "county_year": {"file", "spec", "county": "元谋县", "figures": {period: {field: value}}, "where": {...}},
     "notice": {"file", "period": "2025", "records": [...], "where": {...}},
     "files": [relpaths], "personal": [made-up personal values in the footers]}
    """
    outdir = Path(outdir)
    figures = blocks_figures()
    sheet, where = blocks_layout(figures)
    write_xlsx(outdir / BLOCKS_FILE, {"2024年4月": sheet})

    months = county_year_figures()
    year_sheet, year_where = county_year_layout(months)
    write_xlsx(outdir / COUNTY_YEAR_FILE, {"2024年": year_sheet})

    notice, notice_where = notice_layout()
    write_xlsx(outdir / NOTICE_FILE, {"Sheet1": notice})
    return {"blocks": {"file": BLOCKS_FILE, "period": "2024-04", "county": "武定县", "figures": figures,
                       "where": where},
            "county_year": {"file": COUNTY_YEAR_FILE, "spec": str(COUNTY_YEAR_SPEC), "county": "元谋县",
                            "figures": months, "where": year_where},
            "notice": {"file": NOTICE_FILE, "period": "2025", "records": notice_truth(), "where": notice_where},
            "files": [BLOCKS_FILE, COUNTY_YEAR_FILE, NOTICE_FILE], "personal": list(PERSONAL)}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for relpath in generate(target)["files"]:
        print(relpath)
