"""The village notice (公示): a masked list per village for the notice board, written locally, never uploaded.

社会救助暂行办法 has recipients posted in their village, not on the web. Each village gets an
.xlsx (to edit and print) and an HTML page (Chinese, A4, printable): masked name (刘*兵),
household size, monthly amount, category, village. Nothing else of the roster: no ID number,
phone, bank account or address is ever read into it.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from gongkai.personal import mask_name
from gongkai.roster.read import Household
from gongkai.spec import Spec

COLUMNS = ["序号", "姓名", "家庭人口（人）", "月保障金额（元）", "保障类别", "村（社区）"]
CLOSING = ("公示期为 7 天。对公示对象有异议的，请向所在乡镇人民政府（街道办事处）或县民政局反映。"
           "本名单仅供村（社区）公示栏张贴，不得上网发布。")


def notice_rows(households: list[Household]) -> list[list]:
    return [[i + 1, mask_name(h.name), h.size, f"{h.amount_fen / 100:.2f}", h.category, _village(h)]
            for i, h in enumerate(households)]


def _village(h: Household) -> str:
    return h.village[1] if h.village else h.township[1]


def _title(spec: Spec, households: list[Household], period: str) -> str:
    h = households[0]
    categories = "、".join(c for c in spec.roster.categories if any(x.category == c for x in households))
    return spec.roster.notice_title.format(county=h.county.name, township=h.township[1],
                                           village=h.village[1] if h.village else "", year=period[:4],
                                           month=int(period[5:7]), categories=categories)


def write_notices(spec: Spec, households: list[Household], period: str, folder: Path) -> list[Path]:
    """One .xlsx and one .html per village (per township when the roster names no village)."""
    groups: dict[tuple, list[Household]] = defaultdict(list)
    for h in households:
        groups[(h.township, h.village)].append(h)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (township, village), members in sorted(groups.items(), key=lambda g: (g[0][0][0], g[0][1] or ("",))):
        title = _title(spec, members, period)
        stem = f"{period}-{township[1]}-{village[1] if village else '全乡镇'}-公示"
        rows = notice_rows(members)
        written.append(_write_xlsx(folder / f"{stem}.xlsx", title, rows))
        written.append(_write_html(folder / f"{stem}.html", title, rows))
    return written


def _summary(rows: list[list]) -> str:
    return f"共 {len(rows)} 户 {sum(r[2] for r in rows)} 人。"


def _write_xlsx(path: Path, title: str, rows: list[list]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "公示名单"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font, sheet["A1"].alignment = Font(size=16, bold=True), Alignment(horizontal="center")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    sheet.append([_summary(rows)])
    sheet.append([CLOSING])
    for letter, width in zip("ABCDEF", (6, 12, 14, 16, 12, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    workbook.save(path)
    return path


def _write_html(path: Path, title: str, rows: list[list]) -> Path:
    cells = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    path.write_text(f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
  @page {{ size: A4; margin: 18mm 15mm; }}
  body {{ font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 12pt; }}
  h1 {{ font-size: 18pt; text-align: center; }}
  table {{ width: 100%; border-collapse: collapse; }}
  th, td {{ border: 1px solid #000; padding: 4px 6px; text-align: center; }}
  thead {{ display: table-header-group; }}
  tr {{ page-break-inside: avoid; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{cells}
</tbody>
</table>
<p>{html.escape(_summary(rows))}</p>
<p>{html.escape(CLOSING)}</p>
</body>
</html>
""", encoding="utf-8")
    return path
