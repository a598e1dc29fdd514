"""Every number accounted for (issue 15, acceptance 1): change one summed cell, and the copy is refused there.

For each sample workbook of every family that states totals, each summed cell (a figure in a
numeric column of the table: a part of a 合计, 小计, county row, parent item or total column, or
the stated sum itself) is changed on its own: +7 to a count, +13.7% to an amount, and, where
the amount is written in 元, +3 元 as well. The copy is validated as `gongkai validate` does it
(normalize, the schema, the quality suite) and must give an error located at the changed cell
(`at the cell`), or at a stated sum of the same column or row that no longer adds up (`at its
sum`: the 合计 of a changed township, the 小计 and the parent item of a changed project).

What is allowed to pass is said, not hidden: an amount stated in 万元 whose change stays within
the rounding of the figures as stated (README, "Totals agree with their parts": ±0.005 万元 per
figure of the sum) cannot be told from rounding; those are counted and shown with -s.
Workbooks with several months are tried on one month (the others are the same template). To keep
the test fast, at most SAMPLE cells per workbook are tried, spread over every row and column
(cells where (row + column) % k == 0); GONGKAI_EVERY_CELL=1 tries them all.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gongkai.extract import cell_ref, read_file
from gongkai.normalize import schema_fields
from gongkai.normalize.header import HeaderMatcher, find_header
from gongkai.normalize.sums import total_columns
from gongkai.normalize.text import parse_number
from gongkai.problems import Problems
from gongkai.spec import load_spec
from sum_samples import errors_of, relief_with_total_columns

REF = re.compile(r"([A-Z]+)(\d+)")
SUM_SLUGS = {"sum-mismatch", "column-sum-mismatch", "children-exceed-parent"}
COUNT, PERCENT, YUAN = 7, 0.137, 3
ROUNDING = 0.005          # half of the last digit of a figure stated to 0.01 万元
SAMPLE = 45               # cells tried per workbook, unless GONGKAI_EVERY_CELL is set

# dataset, file under the samples folder, period, sheet tried, unit of the money columns
WORKBOOKS = [
    ("relief-recipients", "武定县低保月报2024.xlsx", "2024-03", "2024年3月", "万元"),
    ("relief-recipients", "元谋县2024年一季度社会救助报表.xls", "2024-03", "3月", "万元"),
    ("relief-recipients", "禄丰市2024年03月低保统计.csv", "2024-03", None, "万元"),
    ("relief-recipients", "relief-other-template/牟定县2024年一季度城乡低保统计.xlsx", "2024-03", "3月", "元"),
    ("lottery-fund", "lottery/武定县2023年度福利彩票公益金使用情况.xlsx", "2023", None, "万元"),
    ("lottery-fund", "lottery/元谋县2023年福彩公益金项目.xls", "2023", None, "元"),
    ("lottery-fund", "lottery/禄丰市2023年福利彩票公益金.csv", "2023", None, "万元"),
    ("budget-accounts", "budgets/武定县民政局2023年部门预决算.xlsx", "2023", None, "万元"),
    ("budget-accounts", "budgets/元谋县民政局2023年决算公开表.xls", "2023", None, "万元"),
    ("budget-accounts", "budgets/禄丰市民政局2023年预决算.csv", "2023", None, "万元"),
    # New templates of shipped datasets: 合计 right under the header; whole 元 with separators.
    ("budget-accounts", "budget-total-first/大姚县民政局2023年部门支出预决算表.xlsx", "2023", None, "万元"),
    ("lottery-fund", "lottery-whole-yuan/姚安县2023年福利彩票公益金使用情况.csv", "2023", None, "元"),
    ("relief-roster", "roster/武定县城乡低保特困供养对象花名册2024年.xlsx", "2024-03", "2024年3月", "元"),
    # No sample has 合计 columns: 武定县's March table with 合计/人数 and 合计/金额 (sum_samples.py).
    ("relief-recipients", "total-columns/武定县城乡低保统计（含合计列）2024年3月.xlsx", "2024-03", "2024年3月", "万元"),
]
# Rows whose figures no sum states: there is nothing for a changed figure to disagree with.
NOT_SUMMED = {"机关运行经费": "stands alone: the 三公经费 table states no 合计 over it (require_total: false)"}
ROSTER_NUMBERS = {"household_size": "integer", "amount": "number"}


@dataclass
class Tally:
    tried: int = 0
    at_cell: int = 0
    at_sum: int = 0
    unchanged: list[str] = field(default_factory=list)       # zero amounts: +13.7% changes nothing
    within_rounding: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


@dataclass
class Cell:
    sheet: str
    row: int
    col: int
    raw: object
    kind: str          # integer | number
    decimals: int
    label: str

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


# -- which cells are summed --------------------------------------------------------------------

def summed_cells(spec, path: Path, sheet_name: str | None) -> tuple[list[Cell], int]:
    """The figures of the table's numeric columns, header to footer, and the table's number of rows."""
    types = dict(ROSTER_NUMBERS if spec.roster else schema_fields(spec))
    footer = re.compile(spec.source.rows.footer)
    matcher = HeaderMatcher(spec.source)
    cells, rows = [], 0
    for sheet in read_file(path, Problems()):
        if sheet_name and sheet.name != sheet_name:
            continue
        header = find_header(sheet, spec.source, matcher)
        total_columns(header, types, {})      # 合计 columns are summed cells too
        columns = {f.col: types[name] for name, f in header.found.items() if types.get(name) in ("integer", "number")}
        for r in range(header.body_start, len(sheet.rows)):
            texts = [str(v).strip() for v in sheet.rows[r] if v is not None and str(v).strip()]
            if texts and footer.search(texts[0]):
                break
            label = next((t for t in texts if parse_number(t, set()) is None), "")
            found = [(c, sheet.value(r, c)) for c in columns if sheet.value(r, c) not in (None, "")]
            rows += bool(found)
            for c, raw in found:
                cells.append(Cell(sheet.name, r, c, raw, columns[c], 0, label))
        for c in columns:   # a workbook stores 12.00 as 12.0: the column says how it is written
            decimals = max((_decimals(x.raw) for x in cells if x.col == c and x.sheet == sheet.name), default=0)
            for x in cells:
                if x.col == c and x.sheet == sheet.name:
                    x.decimals = max(_decimals(x.raw), decimals)
    return cells, rows


def _decimals(raw) -> int:
    text = repr(raw) if isinstance(raw, float) and not raw.is_integer() else str(raw)
    text = text.translate(str.maketrans("０１２３４５６７８９．", "0123456789.")).strip()
    return len(text.partition(".")[2]) if "." in text and isinstance(raw, (str, float)) and text != "0" else 0


def mutations(cell: Cell, unit: str) -> list[tuple[str, object, float]]:
    """(what, the new cell value, the change in the sheet's unit) for one cell."""
    value = parse_number(cell.raw, {"—", "－", "-", "--", "——", "/"})
    if cell.kind == "integer":
        return [("+7", _written(cell.raw, value + COUNT, 0), COUNT)]
    changed = []
    new = round(value * (1 + PERCENT), cell.decimals)
    if value and new != value:
        changed.append(("+13.7%", _written(cell.raw, new, cell.decimals), new - value))
    if unit == "元":
        changed.append(("+3元", _written(cell.raw, value + YUAN, cell.decimals), YUAN))
    return changed


def _written(raw, value: float, decimals: int):
    """The new figure in the cell's own form: text stays text (with its separators), numbers numbers."""
    if isinstance(raw, str):
        return f"{value:,.{decimals}f}" if "," in raw else f"{value:.{decimals}f}"
    return round(value, decimals) if decimals else int(round(value))


# -- a copy with one cell changed ------------------------------------------------------------

class Copier:
    """Writes a copy of a workbook with one cell changed, in the workbook's own format."""

    def __init__(self, path: Path, folder: Path, make_samples):
        self.path, self.target, self.make_samples = path, folder / path.name, make_samples
        folder.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            data = path.read_bytes()
            self.encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else _encoding(data)
            self.rows = list(csv.reader(io.StringIO(data.decode(self.encoding), newline="")))
            assert self._csv(self.rows) == data, "the CSV round trip must keep every byte"
        elif path.suffix == ".xls":
            self.sheets = read_file(path, Problems())

    def write(self, cell: Cell, value) -> Path:
        if self.path.suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(self.path)
            workbook[cell.sheet].cell(cell.row + 1, cell.col + 1).value = value
            workbook.save(self.target)
        elif self.path.suffix == ".xls":   # no xls writer edits in place: the workbook is written again
            make_samples = self.make_samples
            layouts = {}
            for sheet in self.sheets:
                rows = copy.deepcopy(sheet.rows)
                if sheet.name == cell.sheet:
                    rows[cell.row][cell.col] = value
                layouts[sheet.name] = make_samples.Layout(rows, list(sheet.merged))
            make_samples.write_xls(self.target, layouts)
        else:
            rows = copy.deepcopy(self.rows)
            rows[cell.row][cell.col] = str(value)
            self.target.write_bytes(self._csv(rows))
        return self.target

    def _csv(self, rows) -> bytes:
        out = io.StringIO(newline="")
        csv.writer(out).writerows(rows)
        return out.getvalue().encode(self.encoding)


def _encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gbk"


def located(errors, name: str, cell: Cell) -> str | None:
    """Where an error names the change: the cell itself, or a stated sum of its column or row."""
    mine = [e for e in errors if e.where.file == name and e.where.sheet == cell.sheet]
    if any(e.where.cell == cell.ref for e in mine):
        return "at the cell"
    column, row = REF.fullmatch(cell.ref).groups()
    sums = [REF.fullmatch(e.where.cell).groups() for e in mine if e.slug in SUM_SLUGS and e.where.cell]
    return "at its sum" if any(c == column or r == row for c, r in sums) else None


@pytest.fixture(scope="module")
def sample_dir(samples, rosters, make_samples, tmp_path_factory, monkeypatch_module):
    """Every family's samples in one folder, as make_samples, make_families and make_roster write them,
    and a relief table with 合计 columns."""
    directory, _ = samples
    monkeypatch_module.setenv("GONGKAI_OUT", str(tmp_path_factory.mktemp("out")))   # no published series
    monkeypatch_module.setenv("GONGKAI_HMAC_KEY", secrets.token_hex(32))
    roster_dir, _ = rosters
    if not (directory / "roster").exists():
        shutil.copytree(roster_dir, directory / "roster")
    make_samples.write_xlsx(directory / WORKBOOKS[-1][1], {"2024年3月": relief_with_total_columns(make_samples)})
    return directory


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("dataset,relpath,period,sheet,unit", WORKBOOKS, ids=[w[1].split("/")[-1] for w in WORKBOOKS])
def test_every_summed_cell_changed_is_refused_where_it_was_changed(sample_dir, make_samples, tmp_path, dataset,
                                                                   relpath, period, sheet, unit):
    spec = load_spec(dataset)
    path = sample_dir / relpath
    assert errors_of(spec, path, period) == [], "the good sample validates"
    cells, rows = summed_cells(spec, path, sheet)
    copier = Copier(path, tmp_path, make_samples)
    tally = Tally()
    step = 1 if os.environ.get("GONGKAI_EVERY_CELL") else math.ceil(len(cells) / SAMPLE)
    for cell in [c for c in cells if (c.row + c.col) % step == 0]:
        if cell.label in NOT_SUMMED:
            continue
        changes = mutations(cell, unit)
        if not changes:
            tally.unchanged.append(f"{cell.ref} {cell.label}")
        for what, value, change in changes:
            tally.tried += 1
            where = located(errors_of(spec, copier.write(cell, value), period), path.name, cell)
            if where == "at the cell":
                tally.at_cell += 1
            elif where:
                tally.at_sum += 1
            elif unit == "万元" and cell.kind == "number" and abs(change) <= ROUNDING * (rows + 1):
                tally.within_rounding.append(f"{cell.ref} {cell.label} {what} ({change:+.4f} 万元)")
            else:
                tally.missed.append(f"{cell.ref} {cell.label} {cell.raw!r} {what} -> {value!r}")
    print(f"\n{relpath}: {len(cells)} summed cells, {tally.tried} changes tried, {tally.at_cell} refused at the cell, {tally.at_sum} at "
          f"its sum, {len(tally.within_rounding)} within the rounding of the stated figures "
          f"{tally.within_rounding}, {len(tally.unchanged)} zero amounts not changed by +13.7%")
    assert tally.tried > 0 and tally.missed == []
