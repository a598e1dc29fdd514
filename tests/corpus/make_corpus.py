"""The bad-input corpus of issue 10: broken spreadsheets built from the samples, with what must happen.

    .venv/bin/python tests/corpus/make_corpus.py [--record]

`cases(tmpdir)` breaks fresh copies of the samples (a `make_samples.layout()` of 武定县 2024-03,
or a family sample) in every way a data officer's file arrives broken, and says for each case
the exact (slug, file ! sheet ! cell) that `gongkai validate` must report and its exit code.
Some cases only look odd and must pass with 0 errors, so the corpus also guards against false
alarms. `tests/corpus/test_corpus.py` runs each case through the real CLI.

`--record` runs every case once, stores the message an officer sees for its first expected
problem in tests/corpus/messages.json, and renders docs/bad-inputs.md from it (the test checks
both stay equal to what the product says). Everything here is deterministic: the same files,
names and cells on every run.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import random
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))   # tests/: the shared test helpers, also when run as a script
from ole2 import compound_file  # noqa: E402
SAMPLES = REPO / "datasets" / "samples"
MESSAGES = HERE / "messages.json"
DOC = REPO / "docs" / "bad-inputs.md"

MARCH = "2024-03"
SHEET = "2024年3月"
# Columns of make_samples.layout: A township, then make_samples.ORDER.
COL = {"region_name": 0, "urban_households": 1, "urban_persons": 2, "urban_amount": 3, "rural_households": 4,
       "rural_persons": 5, "rural_amount": 6, "tekun_persons": 7, "tekun_amount": 8, "temporary_cases": 9,
       "temporary_amount": 10}


def _load(name: str, path: Path):
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


make_samples = _load("make_samples", SAMPLES / "make_samples.py")
make_families = _load("make_families", SAMPLES / "make_families.py")
PERSONAL = list(make_samples.PERSONAL) + list(make_families.PERSONAL)


@dataclass
class Case:
    """One bad (or odd but good) input and what `gongkai validate` must say about it."""

    name: str                      # slug-like, unique
    category: str                  # file | layout | value | cli
    dataset: str                   # --dataset (a name, or a path for the CLI cases)
    path: Path                     # the file or folder given to validate
    what: str                      # one line for docs/bad-inputs.md
    expected: list[tuple[str, str]] = field(default_factory=list)   # errors: (slug, where)
    warnings: list[tuple[str, str]] = field(default_factory=list)   # warnings: (slug, where)
    exit_code: int = 1
    args: list[str] = field(default_factory=list)                   # e.g. ["--period", "2024-03"]
    # The console must say this (usage errors write no report).
    output: list[str] = field(default_factory=list)
    # Extra check on the --out folder (e.g. the CSV neutralises a formula); raises AssertionError.
    check: Callable[[Path], None] | None = None
    # The errors and warnings above are all there is: each said once, nothing at other cells.
    exact: bool = False
    # Today's product mishandles the case: what happens now (the case keeps what SHOULD happen).
    xfail: str = ""

    @property
    def good(self) -> bool:
        return self.exit_code == 0


def where(file: str, sheet: str = "", cell: str = "") -> str:
    return " ! ".join(part for part in (file, sheet, cell) if part)


def ref(row: int, col: int) -> str:
    """0-based (row, col) -> A1."""
    return f"{chr(ord('A') + col)}{row + 1}"


def prefix(text: str) -> str:
    """An expected place that is a prefix (file-level problems): 'file.xlsx*'."""
    return text + "*"


def matches(expected: str, actual: str) -> bool:
    return actual.startswith(expected[:-1]) if expected.endswith("*") else actual == expected


# ---- the samples, fresh each time ------------------------------------------------------------------

_FIGURES = None


def figures():
    global _FIGURES
    if _FIGURES is None:
        _FIGURES = make_samples.true_figures()
    return _FIGURES


def march(county: str = "武定县", period: str = MARCH, **kwargs):
    return make_samples.layout(county, period, copy.deepcopy(figures()[(county, period)]), **kwargs)


def drop_column(sheet, col: int) -> None:
    sheet.rows = [row[:col] + row[col + 1:] for row in sheet.rows]
    merges = []
    for r0, c0, r1, c1 in sheet.merges:
        if c0 > col:
            c0 -= 1
        if c1 >= col:
            c1 -= 1
        if (r0, c0) != (r1, c1) and c1 >= c0:      # a range shrunk to one cell is no merge
            merges.append((r0, c0, r1, c1))
    sheet.merges = merges


def insert_column(sheet, col: int, values: dict[int, object]) -> None:
    sheet.rows = [row[:col] + [values.get(r)] + row[col:] for r, row in enumerate(sheet.rows)]
    # ranges right of the new column move; one spanning it (the title) grows
    sheet.merges = [(r0, c0 + (c0 >= col), r1, c1 + (c1 >= col)) for r0, c0, r1, c1 in sheet.merges]


def insert_row(sheet, at: int, row: list) -> None:
    sheet.rows.insert(at, (list(row) + [None] * make_samples.WIDTH)[:max(make_samples.WIDTH, len(row))])
    sheet.merges = [(r0 + (r0 >= at), c0, r1 + (r1 >= at), c1) for r0, c0, r1, c1 in sheet.merges]
    if sheet.total_row >= at:
        sheet.total_row += 1


def set_total(sheet, field_name: str) -> None:
    """Recompute one 合计 cell from the rows (after a deliberate change to a row)."""
    col = COL[field_name]
    parts = [_number(row[col]) for row in sheet.rows[sheet.first_data_row:sheet.total_row]]
    sheet.rows[sheet.total_row][col] = round(sum(parts), 2) if "amount" in field_name else int(sum(parts))


def _number(value) -> float:
    if value in (None, "", "—"):
        return 0
    if isinstance(value, str):
        value = value.translate(str.maketrans("０１２３４５６７８９", "0123456789")).replace(",", "").strip()
    return float(value)


def write_xlsx(folder: Path, name: str, sheet, sheet_name: str = SHEET) -> Path:
    return make_samples.write_xlsx(folder / name, {sheet_name: sheet})


def write_xlsx_formulas(path: Path, sheet, formulas: dict[str, str], sheet_name: str = SHEET) -> Path:
    """An .xlsx with formula cells as openpyxl writes them: no cached value (never calculated)."""
    from openpyxl import load_workbook

    make_samples.write_xlsx(path, {sheet_name: sheet})
    workbook = load_workbook(path)
    for cell, formula in formulas.items():
        workbook[sheet_name][cell] = formula
    workbook.save(path)
    return path


def _as_text(path: Path, sheet_name: str, cell: str) -> None:
    """Store a cell that starts with = as text, not a formula (openpyxl takes "=…" for a formula)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    target = workbook[sheet_name][cell]
    target.data_type = "s"
    target.quotePrefix = True
    workbook.save(path)


def csv_bytes(sheet, encoding: str = "gbk", newline: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    import csv

    csv.writer(buffer, lineterminator=newline).writerows(
        [["" if v is None else v for v in row] for row in sheet.rows])
    return buffer.getvalue().encode(encoding)


# ---- the cases -------------------------------------------------------------------------------------

def _file_cases(tmp: Path) -> list[Case]:
    out = []

    def folder(name: str) -> Path:
        path = tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    # A good 武定县 March workbook and its bytes, for renaming and damaging.
    good = write_xlsx(folder("_good"), "武定县2024年3月.xlsx", march())
    good_bytes = good.read_bytes()

    name = "file-xlsx-named-xls"
    path = folder(name) / "武定县2024年3月.xls"
    path.write_bytes(good_bytes)
    out.append(Case(name, "file", "relief-recipients", path,
                    "a good .xlsx renamed .xls: read by its content, with a warning",
                    warnings=[("extension-mismatch", where(path.name))], exit_code=0))

    name = "file-renamed-warned-once"
    path = folder(name) / "武定县2024年3月.xls"
    path.write_bytes(good_bytes)
    out.append(Case(name, "file", "relief-recipients", path,
                    "a good .xlsx renamed .xls: the extension warning said once", exit_code=0, exact=True,
                    warnings=[("extension-mismatch", where(path.name))]))

    name = "file-xls-named-xlsx"
    path = make_samples.write_xls(folder(name) / "武定县2024年3月.xlsx", {SHEET: march()})
    out.append(Case(name, "file", "relief-recipients", path,
                    "a legacy .xls renamed .xlsx: read by its content, with a warning",
                    warnings=[("extension-mismatch", where(path.name))], exit_code=0))

    name = "file-csv-named-xlsx"
    path = folder(name) / "禄丰市2024年03月低保统计.xlsx"
    path.write_bytes(csv_bytes(march("禄丰市")))
    out.append(Case(name, "file", "relief-recipients", path,
                    "a GBK CSV export renamed .xlsx: read as CSV, with a warning",
                    warnings=[("extension-mismatch", where(path.name))], exit_code=0))

    name = "file-zero-byte"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(b"")
    out.append(Case(name, "file", "relief-recipients", path, "a zero-byte .xlsx (a failed copy)",
                    expected=[("empty-file", where(path.name))]))

    name = "file-bom-only-csv"
    path = folder(name) / "禄丰市2024年03月低保统计.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n")
    out.append(Case(name, "file", "relief-recipients", path, "a CSV holding only a BOM and a line break",
                    expected=[("empty-file", where(path.name))]))

    name = "file-encrypted-xlsx"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(compound_file({"EncryptionInfo": b"\x04\0\x04\0" + b"\x40" * 200,
                                    "EncryptedPackage": b"\x99" * 300}))
    out.append(Case(name, "file", "relief-recipients", path,
                    "an .xlsx saved with an open password (an OLE container with EncryptedPackage)",
                    expected=[("encrypted-workbook", where(path.name))]))

    name = "file-word-named-xls"
    path = folder(name) / "武定县2024年3月.xls"
    path.write_bytes(compound_file({"WordDocument": b"\0" * 100}))
    out.append(Case(name, "file", "relief-recipients", path, "a Word document saved as .xls",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-binary-garbage"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(bytes(random.Random(10).randrange(256) for _ in range(4096)))
    out.append(Case(name, "file", "relief-recipients", path, "4 KB of random bytes named .xlsx",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-pdf-named-xlsx"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    out.append(Case(name, "file", "relief-recipients", path, "a PDF printout named .xlsx",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-corrupt-zip"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x14\x00" + b"\x00" * 40)
    out.append(Case(name, "file", "relief-recipients", path, "a zip header and nothing else",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-truncated-xlsx"
    path = folder(name) / "武定县2024年3月.xlsx"
    path.write_bytes(good_bytes[: len(good_bytes) // 2])
    out.append(Case(name, "file", "relief-recipients", path, "an .xlsx cut in half (copy interrupted)",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-xlsx-without-workbook-part"
    path = folder(name) / "武定县2024年3月.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            if item.filename != "xl/workbook.xml":
                target.writestr(item, source.read(item))
    out.append(Case(name, "file", "relief-recipients", path, "a zip that is not a workbook (xl/workbook.xml missing)",
                    expected=[("unreadable-file", where(path.name))]))

    name = "file-html-named-xls"
    path = folder(name) / "武定县2024年3月.xls"
    rows = "".join("<tr>" + "".join(f"<td>{'' if v is None else v}</td>" for v in row) + "</tr>"
                   for row in march().rows[:-3])
    path.write_text(f"<html><head><meta charset='utf-8'></head><body><table>{rows}</table></body></html>",
                    encoding="utf-8")
    out.append(Case(name, "file", "relief-recipients", path,
                    "an HTML table saved as .xls (what many web systems export)",
                    expected=[("unreadable-file", where(path.name))]))

    # CSV encodings and line endings that must read like the GBK sample.
    for name, encoding, newline, what in [
            ("file-csv-gbk", "gbk", "\r\n", "a GBK CSV export (the sample's own encoding)"),
            ("file-csv-utf8-bom", "utf-8-sig", "\r\n", "a UTF-8 CSV with BOM (Excel's “CSV UTF-8”)"),
            ("file-csv-utf8-no-bom", "utf-8", "\n", "a UTF-8 CSV without BOM, \\n line endings"),
            ("file-csv-lone-cr", "gbk", "\r", "a CSV with old-Mac lone \\r line endings")]:
        path = folder(name) / "禄丰市2024年03月低保统计.csv"
        path.write_bytes(csv_bytes(march("禄丰市"), encoding, newline))
        out.append(Case(name, "file", "relief-recipients", path, what, exit_code=0))

    name = "file-csv-tab-separated"
    path = folder(name) / "禄丰市2024年03月低保统计.csv"
    path.write_bytes(csv_bytes(march("禄丰市"), "utf-8-sig").replace(b",", b"\t").replace(b'"', b""))
    out.append(Case(name, "file", "relief-recipients", path, "a tab-separated export named .csv", exit_code=0))

    # Cut-off CSVs: the table stops before its 合计 row.
    lufeng = march("禄丰市")
    for row in lufeng.rows[lufeng.first_data_row:lufeng.total_row]:     # "1,283": quoted in the CSV
        if int(row[COL["rural_persons"]]) >= 1000:
            row[COL["rural_persons"]] = f"{int(row[COL['rural_persons']]):,}"
    full = csv_bytes(lufeng, "utf-8-sig").decode("utf-8-sig")
    lines = full.split("\r\n")
    stem = "禄丰市2024年03月低保统计"
    cut_row = lufeng.first_data_row + 6             # 0-based row cut in the middle
    name = "file-csv-cut-mid-row"
    path = folder(name) / f"{stem}.csv"
    text = "\r\n".join(lines[:cut_row]) + "\r\n" + lines[cut_row][: len(lines[cut_row]) // 2]
    path.write_bytes(text.encode("utf-8-sig"))
    out.append(Case(name, "file", "relief-recipients", path,
                    "a CSV cut off in the middle of a township's row (no 合计 row)",
                    expected=[("table-truncated", where(path.name, stem, ref(cut_row - 1, 0)))],
                    warnings=[("truncated-file", where(path.name, stem, ref(cut_row - 1, 0)))]))

    name = "file-csv-cut-at-cell-boundary"
    path = folder(name) / f"{stem}.csv"
    cells = lines[cut_row].split(",")
    text = "\r\n".join(lines[:cut_row]) + "\r\n" + ",".join(cells[:4]) + ","
    path.write_bytes(text.encode("utf-8-sig"))
    out.append(Case(name, "file", "relief-recipients", path,
                    "a CSV cut off right after a comma, mid-row (empty cells must not read as 0)",
                    expected=[("table-truncated", where(path.name, stem, ref(cut_row - 1, 0)))]))

    name = "file-csv-cut-mid-quote"
    path = folder(name) / f"{stem}.csv"
    quoted = next(r for r in range(lufeng.first_data_row, lufeng.total_row) if '"' in lines[r])
    line = lines[quoted]
    text = "\r\n".join(lines[:quoted]) + "\r\n" + line[: line.index('"') + 2]
    path.write_bytes(text.encode("utf-8-sig"))
    out.append(Case(name, "file", "relief-recipients", path,
                    "a CSV cut off inside a quoted \"1,234\" cell",
                    expected=[("table-truncated", where(path.name, stem, ref(quoted - 1, 0)))]))

    name = "file-csv-cut-at-row-boundary"
    path = folder(name) / f"{stem}.csv"
    path.write_bytes(("\r\n".join(lines[:cut_row]) + "\r\n").encode("utf-8-sig"))
    out.append(Case(name, "file", "relief-recipients", path,
                    "a CSV cut off after a complete township row: no 合计, no footer",
                    # Nothing in the file says it was cut: the template's 合计 (total_required) does.
                    expected=[("no-total-row", where(path.name, stem, ref(cut_row - 1, 0)))], exact=True))

    name = "file-excel-lock-file-in-folder"
    directory = folder(name)
    write_xlsx(directory, "武定县2024年3月.xlsx", march())
    (directory / "~$武定县2024年3月.xlsx").write_bytes(b"\x05" + "李某某".encode("utf-16-le").ljust(164, b"\0"))
    out.append(Case(name, "file", "relief-recipients", directory,
                    "a folder with the workbook and Excel's ~$ lock file beside it (file open in Excel)",
                    exit_code=0, args=["--period", MARCH]))
    return out


def _layout_cases(tmp: Path) -> list[Case]:
    out = []

    def case(name: str, sheet, what: str, *, file: str | None = None, sheet_name: str = SHEET, **kw) -> Case:
        file = file or f"{name}.xlsx"
        path = write_xlsx(tmp / name, file, sheet, sheet_name)
        c = Case(name, "layout", kw.pop("dataset", "relief-recipients"), path, what, **kw)
        out.append(c)
        return c

    def at(file: str, cell: str, sheet_name: str = SHEET) -> str:
        return where(file, sheet_name, cell)

    s = march()
    case("layout-good-baseline", s, "the 武定县 March sample as sent: footer with names and phones dropped",
         exit_code=0)

    s = march()
    h = s.header_row
    del s.rows[h:h + 2]
    s.merges = [m for m in s.merges if m[0] < h]
    s.first_data_row -= 2
    s.total_row -= 2
    case("layout-header-missing", s, "the two header rows deleted: townships straight under the unit line",
         expected=[("header-not-found", where("layout-header-missing.xlsx", SHEET))])
    case("layout-header-missing-with-period", copy.deepcopy(s),
         "the two header rows deleted, validated with --period 2024-03", args=["--period", MARCH],
         expected=[("header-not-found", where("layout-header-missing-with-period.xlsx", SHEET))])

    s = march()
    s.rows[s.header_row][COL["urban_households"]] = "城镇低保"
    case("layout-header-renamed", s, "the 城市低保 header renamed 城镇低保",
         expected=[("missing-column", at("layout-header-renamed.xlsx", "A3"))],
         warnings=[("unmapped-header", at("layout-header-renamed.xlsx", "B4"))])

    s = march()
    drop_column(s, COL["tekun_amount"])
    case("layout-column-missing", s, "the 特困供养/金额 column deleted",
         expected=[("missing-column", at("layout-column-missing.xlsx", "A3"))])
    case("layout-column-missing-said-once", copy.deepcopy(s),
         "the 特困供养/金额 column deleted: one error, not one more per township", exact=True,
         expected=[("missing-column", at("layout-column-missing-said-once.xlsx", "A3"))])

    s = march()
    insert_column(s, make_samples.WIDTH, {s.header_row: "备注", s.first_data_row: "新增 3 户"})
    case("layout-extra-unknown-column", s, "an extra 备注 column after 临时救助/金额", exit_code=0,
         warnings=[("unmapped-header", at("layout-extra-unknown-column.xlsx", ref(s.header_row, make_samples.WIDTH)))])

    s = march()
    h = s.header_row
    parents, children = s.rows[h], s.rows[h + 1]
    flat, parent = [], None
    for p, c in zip(parents, children):
        parent = p or parent
        flat.append(p if c is None else f"{parent}{c}")
    s.rows[h] = flat
    del s.rows[h + 1]
    s.merges = [m for m in s.merges if m[0] < h]
    s.first_data_row -= 1
    s.total_row -= 1
    case("layout-two-level-header-flattened", s, "the two-level header flattened to one row (城市低保户数 …)",
         exit_code=0)

    s = march()
    insert_row(s, s.first_data_row, ["甲"] + [str(n) for n in range(1, make_samples.WIDTH)])
    s.first_data_row += 1
    case("layout-lanci-row", s, "a 栏次 row (甲, 1, 2 …) under the header", exit_code=0)

    s = march()
    insert_column(s, 0, {s.header_row: "序号", **{r: n for n, r in
                                                 enumerate(range(s.first_data_row, s.total_row), start=1)}})
    s.merges.append((s.header_row, 0, s.header_row + 1, 0))
    case("layout-xuhao-column", s, "a 序号 column before the townships", exit_code=0)

    s = march()
    s.rows[s.total_row][0] = "总计"
    case("layout-total-called-zongji", s, "the total row labelled 总计", exit_code=0)

    s = march()
    s.rows[0][0] = "武定县2024年2月城乡低保及特困供养、临时救助情况统计表"
    case("layout-title-contradicts-sheet", s, "sheet 2024年3月, title 2024年2月",
         expected=[("period-conflict", prefix(where("layout-title-contradicts-sheet.xlsx", SHEET)))])

    s = march()
    case("layout-file-name-contradicts-sheet", s, "sheet 2024年3月 in a file named …2024年2月.xlsx",
         file="武定县2024年2月低保月报.xlsx",
         expected=[("period-conflict", prefix("武定县2024年2月低保月报.xlsx"))])

    s = march()
    s.rows[0][0] = "武定县城乡低保及特困供养、临时救助情况统计表"
    case("layout-no-period-anywhere", s, "no month in the sheet name, the title or the file name",
         sheet_name="Sheet1", expected=[("period-not-found", where("layout-no-period-anywhere.xlsx", "Sheet1"))])

    s = march()
    s.rows[0][0] = "某某县2024年3月城乡低保情况统计表"
    s.rows[1][0] = "填报单位：某某县民政局"
    case("layout-county-unknown", s, "a county not in the division code list (某某县)",
         expected=[("unknown-county", at("layout-county-unknown.xlsx", "A1"))])

    s = march()
    second = list(s.rows[s.total_row])
    second[COL["rural_persons"]] = int(second[COL["rural_persons"]]) + 25
    insert_row(s, s.total_row + 1, second)
    case("layout-second-total-disagrees", s, "a second 合计 row whose 农村低保/人数 differs by 25",
         expected=[("second-total", at("layout-second-total-disagrees.xlsx", ref(s.total_row + 1, 0)))])

    s = march()
    moved = s.rows.pop(s.first_data_row + 3)            # 插甸镇 below the total
    s.total_row -= 1
    insert_row(s, s.total_row + 1, moved)
    case("layout-data-after-total", s, "a township row (插甸镇) moved below the 合计 row",
         expected=[("rows-after-total", at("layout-data-after-total.xlsx", ref(s.total_row + 1, 0)))])

    s = march()
    february = make_samples.layout("武定县", "2024-02", copy.deepcopy(figures()[("武定县", "2024-02")]))
    start = len(s.rows) + 1
    s.rows += [[None] * make_samples.WIDTH] + february.rows
    case("layout-second-table-below", s, "February's table pasted under March's footer on the same sheet",
         expected=[("extra-table", at("layout-second-table-below.xlsx", ref(start, 0)))], exact=True)

    s = march()
    s.rows.append(["补报：", "猫街镇", 3, 5] + [None] * (make_samples.WIDTH - 4))
    case("layout-figures-below-footer", s, "figures typed under the 填表人 footer (a late addition)",
         expected=[("values-not-read", at("layout-figures-below-footer.xlsx", ref(len(s.rows) - 1, 2)))],
         exact=True)

    s = march()
    s.rows[-2:] = [["备注：金额为当月实际发放数。"] + [None] * (make_samples.WIDTH - 1)]
    case("layout-note-without-personal-data", s, "a 备注 under the table and no 填表人: dropped with a neutral note",
         exit_code=0)

    months = make_samples.Layout([["武定县2024年城乡低保月度统计表"], ["项目", "指标", "1月", "2月", "3月", "累计"],
                                  ["城市低保", "户数", 120, 121, 122, 122], [None, "人数", 210, 212, 214, 214]])
    case("layout-months-across", months, "a county-year sheet, months across the columns (not this template)",
         sheet_name="2024年", expected=[("layout-not-supported", at("layout-months-across.xlsx", "C2", "2024年"))],
         exact=True)

    s = march()
    note_at = s.first_data_row + 5
    insert_row(s, note_at, ["备注：白路镇以下为补报数据"])
    case("layout-note-row-mid-table", s, "a 备注 row between 白路镇 and 万德镇",
         expected=[("table-interrupted", at("layout-note-row-mid-table.xlsx", ref(note_at, 0)))], exact=True)

    s = march()
    note_at = s.first_data_row + 5
    insert_row(s, note_at, ["填表人：李某某    联系电话：13812345678"])
    case("layout-footer-mid-table", s, "the 填表人/电话 footer pasted in the middle of the table",
         expected=[("table-interrupted", at("layout-footer-mid-table.xlsx", ref(note_at, 0)))])

    s = march()
    del s.rows[s.first_data_row:s.total_row]
    s.total_row = s.first_data_row
    case("layout-no-data-rows", s, "header and 合计 but no township rows",
         expected=[("no-data-rows", at("layout-no-data-rows.xlsx", ref(s.first_data_row, 0)))])

    s = march()
    s.rows[s.first_data_row + 3][COL["urban_persons"]] = None
    s.merges.append((s.first_data_row + 2, COL["urban_persons"], s.first_data_row + 3, COL["urban_persons"]))
    case("layout-merged-over-data", s, "C7:C8 merged (猫街镇 and 插甸镇 share one 城市低保/人数)",
         expected=[("merged-over-data", at("layout-merged-over-data.xlsx", ref(s.first_data_row + 2, 2)))],
         exact=True)

    s = march()
    last_township = s.total_row - 1
    s.rows.pop(s.total_row)
    s.total_row = 0
    case("layout-no-total-row", s, "the 合计 row deleted: nothing to check the rows against, and the file may "
         "be cut off (relief declares total_required)",
         expected=[("no-total-row", at("layout-no-total-row.xlsx", ref(last_township, 0)))])

    s = march()
    insert_row(s, s.first_data_row + 4, [None] * make_samples.WIDTH)
    case("layout-blank-row-mid-table", s, "an empty row between two townships", exit_code=0)

    s = march()
    s.rows[s.first_data_row + 1][0] = "狮山镇 "
    case("layout-duplicate-township", s, "狮山镇 twice (the second with a trailing space)",
         expected=[("duplicate-row", at("layout-duplicate-township.xlsx", "A6"))])

    s = march()
    s.rows[s.first_data_row + 1][0] = "桃源镇"
    case("layout-unknown-township", s, "a township not in 武定县 (桃源镇)",
         expected=[("unknown-region", at("layout-unknown-township.xlsx", "A6"))])

    s = march()
    s.rows[s.header_row + 1][COL["urban_amount"]] = "金额（元）"
    case("layout-unit-header-contradicts-spec", s, "the 城市低保 amount header says 元, figures are 万元",
         expected=[("unit-mismatch", at("layout-unit-header-contradicts-spec.xlsx", "D4"))])

    # Sheets of other months must not be read for --period 2024-03, even if broken.
    feb = march(period="2024-02")
    feb.rows[feb.first_data_row + 2][COL["urban_persons"]] = "#REF!"
    name = "layout-other-month-sheet-not-read"
    path = make_samples.write_xlsx(tmp / name / "武定县低保月报2024.xlsx", {"2024年2月": feb, SHEET: march()})
    out.append(Case(name, "layout", "relief-recipients", path,
                    "a broken 2024年2月 sheet beside a good 2024年3月 one, validated for 2024-03",
                    exit_code=0, args=["--period", MARCH]))

    name = "layout-same-county-twice"
    folder = tmp / name
    write_xlsx(folder, "武定县低保月报2024.xlsx", march())
    (folder / "武定县2024年3月低保.csv").write_bytes(csv_bytes(march(), "utf-8-sig"))
    out.append(Case(name, "layout", "relief-recipients", folder,
                    "the same county-month sent twice (the .xlsx and a CSV export of it in one folder)",
                    args=["--period", MARCH],
                    expected=[("duplicate-row", where("武定县低保月报2024.xlsx", SHEET, "A5"))]))

    name = "layout-two-counties-one-workbook"
    path = make_samples.write_xlsx(tmp / name / "楚雄州2024年3月低保.xlsx",
                                   {"武定县": march(), "元谋县": march("元谋县")})
    out.append(Case(name, "layout", "relief-recipients", path,
                    "two counties in one workbook, one sheet each, month only in the titles", exit_code=0))

    # 牟定县's own template (序号, 栏次 row, 农村 before 城市, amounts in 元): good.
    mouding = make_families.mouding_figures()
    name = "layout-other-county-template"
    path = make_samples.write_xlsx(tmp / name / "牟定县2024年3月城乡低保统计.xlsx",
                                   {"3月": make_families.mouding_layout(MARCH, mouding[("牟定县", MARCH)])})
    out.append(Case(name, "layout", "relief-recipients", path,
                    "牟定县's template: 序号, 栏次 row, 农村 before 城市, 元, an extra 医疗救助 column",
                    exit_code=0, warnings=[("unmapped-header", where(path.name, "3月", "K4"))]))
    return out


def _value_cases(tmp: Path) -> list[Case]:
    out = []
    row5 = 4      # 0-based row of 狮山镇 (Excel row 5)
    row7 = 6      # 猫街镇 (Excel row 7)

    def case(name: str, sheet, what: str, **kw) -> Case:
        path = write_xlsx(tmp / name, f"{name}.xlsx", sheet)
        c = Case(name, "value", "relief-recipients", path, what, **kw)
        out.append(c)
        return c

    def at(name: str, cell: str) -> str:
        return where(f"{name}.xlsx", SHEET, cell)

    for name, field_name, code, what in [
            ("value-div0-in-count", "urban_persons", "#DIV/0!", "#DIV/0! in a count (城市低保/人数)"),
            ("value-ref-in-amount", "rural_amount", "#REF!", "#REF! in an amount (农村低保/金额)"),
            ("value-na-in-count", "tekun_persons", "#N/A", "#N/A in a count (特困供养/人数)"),
            ("value-value-in-amount", "temporary_amount", "#VALUE!", "#VALUE! in an amount (临时救助/金额)"),
            ("value-div0-in-total", "urban_amount", "#DIV/0!", "#DIV/0! in the 合计 row")]:
        s = march()
        row = s.total_row if "total" in name else row7
        s.rows[row][COL[field_name]] = code
        case(name, s, what, expected=[("excel-error-cell", at(name, ref(row, COL[field_name])))], exact=True)

    name = "value-formula-without-value"
    path = write_xlsx_formulas(tmp / name / f"{name}.xlsx", march(), {"C7": "=1+1"})
    out.append(Case(name, "value", "relief-recipients", path,
                    "a formula never calculated (=1+1 written by a program, no saved result)",
                    expected=[("formula-without-value", where(path.name, SHEET, "C7"))], exact=True))

    name = "value-total-formulas-without-values"
    s = march()
    formulas = {f"{chr(ord('A') + c)}{s.total_row + 1}": f"=SUM({chr(ord('A') + c)}5:{chr(ord('A') + c)}15)"
                for c in range(1, make_samples.WIDTH)}
    path = write_xlsx_formulas(tmp / name / f"{name}.xlsx", s, formulas)
    out.append(Case(name, "value", "relief-recipients", path,
                    "the 合计 row as =SUM() formulas never calculated",
                    expected=[("formula-without-value", where(path.name, SHEET, f"B{s.total_row + 1}"))]))

    for name, field_name, raw, slug, what in [
            ("value-text-in-count", "urban_persons", "约120", "not-a-number", "text (约120) in a count"),
            ("value-unit-in-count", "rural_households", "120户", "not-a-number", "a count typed with its unit (120户)"),
            ("value-negative-count", "rural_households", "-3", "negative-value", "a negative count (-3)"),
            ("value-negative-amount", "urban_amount", -1.5, "negative-value", "a negative amount (-1.5 万元)"),
            ("value-decimal-in-count", "rural_households", "12.5", "not-an-integer", "a decimal in a count (12.5)")]:
        s = march()
        s.rows[row5][COL[field_name]] = raw
        case(name, s, what, expected=[(slug, at(name, ref(row5, COL[field_name])))], exact=True)

    # A unit slip: one amount typed in 元 under the 万元 unit line (×10,000), total kept consistent.
    name = "value-yuan-under-wan-one-cell"
    s = march()
    s.rows[row7][COL["urban_amount"]] = round(s.rows[row7][COL["urban_amount"]] * 10000, 2)
    set_total(s, "urban_amount")
    case(name, s, "one amount typed in 元 under the 万元 unit line (×10,000), 合计 recomputed",
         expected=[("implausible-ratio", at(name, ref(row7, COL["urban_amount"])))])

    name = "value-yuan-under-wan-whole-column"
    s = march()
    for r in range(s.first_data_row, s.total_row + 1):
        value = s.rows[r][COL["rural_amount"]]
        s.rows[r][COL["rural_amount"]] = round(value * 10000, 2) if isinstance(value, (int, float)) else value
    case(name, s, "the whole 农村低保/金额 column in 元 under 万元",
         expected=[("implausible-ratio", at(name, ref(s.first_data_row, COL["rural_amount"])))])

    name = "value-impossible-persons"
    s = march()
    s.rows[row7][COL["rural_persons"]] = 99_999_999
    set_total(s, "rural_persons")
    case(name, s, "99,999,999 农村低保 persons in one township (合计 recomputed)",
         expected=[("implausible-value", at(name, ref(row7, COL["rural_persons"])))])

    name = "value-persons-below-households"
    s = march()
    households = int(s.rows[row7][COL["rural_households"]])
    s.rows[row7][COL["rural_persons"]] = households - 1
    set_total(s, "rural_persons")
    case(name, s, "fewer 农村低保 persons than households in one township",
         expected=[("persons-below-households", at(name, ref(row7, COL["rural_persons"])))])

    name = "value-sum-mismatch"
    s = march()
    s.rows[s.total_row][COL["rural_persons"]] += 10
    case(name, s, "the 合计 of 农村低保/人数 off by 10",
         expected=[("sum-mismatch", at(name, ref(s.total_row, COL["rural_persons"])))])

    name = "value-amount-total-mismatch"
    s = march()
    s.rows[s.total_row][COL["tekun_amount"]] = round(s.rows[s.total_row][COL["tekun_amount"]] + 0.5, 2)
    case(name, s, "the 合计 of 特困供养/金额 off by 0.5 万元",
         expected=[("sum-mismatch", at(name, ref(s.total_row, COL["tekun_amount"])))])

    name = "value-total-rounding-within-tolerance"
    s = march()
    s.rows[s.total_row][COL["tekun_amount"]] = round(s.rows[s.total_row][COL["tekun_amount"]] + 0.01, 2)
    case(name, s, "the 合计 of an amount off by 0.01 万元 (100 元, rounding): accepted", exit_code=0)

    # Invisible characters in a township name: stripped, with a warning showing them escaped.
    for name, spelled, what in [("value-zero-width-space", "狮\u200b山镇", "a zero-width space inside 狮山镇"),
                                ("value-nbsp-in-name", "狮山\u00a0镇", "a no-break space inside 狮山镇"),
                                ("value-bom-in-name", "\ufeff狮山镇", "a BOM before 狮山镇")]:
        s = march()
        s.rows[row5][0] = spelled
        case(name, s, what, exit_code=0, warnings=[("invisible-characters", at(name, "A5"))], exact=True)

    name = "value-full-width-digits"
    s = march()
    fw = str.maketrans("0123456789.", "０１２３４５６７８９．")
    for c in range(1, make_samples.WIDTH):
        value = s.rows[row5][c]
        s.rows[row5][c] = str(value).translate(fw) if value not in (None, "—") else value
    case(name, s, "every figure of 狮山镇 typed with full-width digits (１２３．４５)", exit_code=0)

    name = "value-thousands-separators"
    s = march()
    for r in range(s.first_data_row, s.total_row + 1):
        for c in (COL["rural_persons"], COL["tekun_persons"]):
            value = s.rows[r][c]
            if isinstance(value, int):
                s.rows[r][c] = f"{value:,}"
    case(name, s, "counts as text with thousands separators (1,287)", exit_code=0)

    name = "value-dashes-for-zero"
    s = march()
    zero_rows = [r for r in range(s.first_data_row, s.total_row) if s.rows[r][COL["urban_persons"]] == "—"]
    for r, dash in zip(zero_rows, ["－", "-"]):
        for c in (COL["urban_households"], COL["urban_persons"], COL["urban_amount"]):
            s.rows[r][c] = dash
    case(name, s, "zero written as —, － and - in townships without urban dibao", exit_code=0)

    name = "value-blank-row-values"
    s = march()
    zero_row = zero_rows[0]
    s.rows[zero_row][1:] = [None] * (make_samples.WIDTH - 1)
    case(name, s, "a township with every figure left blank", exit_code=1,
         warnings=[("blank-values", at(name, ref(zero_row, 1)))],
         expected=[("sum-mismatch", at(name, ref(s.total_row, COL["rural_households"])))])
    return out


def _family_cases(tmp: Path) -> list[Case]:
    """Lottery, standards and budgets: the family broken samples and a few more."""
    out = []
    family = tmp / "_families"
    make_families.BROKEN.clear()
    projects = make_families.lottery_projects()
    make_families.write_standards_broken(family)
    make_families.write_lottery_broken(family, projects)
    items = make_families.all_budget_items()
    make_families.write_budgets_broken(family, items)
    broken = dict(make_families.BROKEN)

    def moved(name: str, new: str) -> Path:
        target = tmp / new / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (family / "broken" / name).rename(target)
        return target

    info = broken["lottery-broken-subtotal.xlsx"]
    path = moved("lottery-broken-subtotal.xlsx", "value-lottery-broken-subtotal")
    out.append(Case("value-lottery-broken-subtotal", "value", "lottery-fund", path,
                    "a lottery 小计 1.00 万元 more than its projects",
                    expected=[("sum-mismatch", where(path.name, info["sheet"], info["cell"]))]))

    info = broken["standards-duplicate-date.xlsx"]
    path = moved("standards-duplicate-date.xlsx", "value-standards-duplicate-date")
    out.append(Case("value-standards-duplicate-date", "value", "subsidy-standards", path,
                    "a standard stated twice for one effective date, with two amounts",
                    # the second row's effective date (F), the key that repeats; info["cell"] is its amount (D)
                    expected=[("duplicate-row", where(path.name, info["sheet"], "F" + info["cell"][1:]))]))

    info = broken["standards-yearly-as-monthly.xlsx"]
    path = moved("standards-yearly-as-monthly.xlsx", "value-standards-yearly-as-monthly")
    out.append(Case("value-standards-yearly-as-monthly", "value", "subsidy-standards", path,
                    "a yearly standard (5,500 元/年) stated with the unit 元/人·月",
                    expected=[("implausible-value", where(path.name, info["sheet"], info["cell"]))]))

    info = broken["budget-unit-slip.xlsx"]
    path = moved("budget-unit-slip.xlsx", "value-budget-unit-slip")
    out.append(Case("value-budget-unit-slip", "value", "budget-accounts", path,
                    "a budget item's 决算数 typed in 元 under 万元: its parent no longer adds up",
                    expected=[("sum-mismatch", where(path.name, info["sheet"], "C9"))]))   # its parent

    # A budget child that does not add up to its parent (one leaf +1.00 万元).
    tables = make_families.budget_tables("武定县", items["武定县"], "wuding")
    sheet, cells = tables["收支总表"]
    row = cells["行政运行"]
    sheet.rows[row][2] = round(sheet.rows[row][2] + 1, 2)
    name = "value-budget-child-exceeds-parent"
    path = make_samples.write_xlsx(tmp / name / "武定县民政局2023年部门预决算.xlsx",
                                   {n: layout for n, (layout, _) in tables.items()})
    out.append(Case(name, "value", "budget-accounts", path,
                    "a budget item 1.00 万元 more than its parent allows (行政运行)",
                    expected=[("sum-mismatch", where(path.name, "收支总表", "C9"))]))

    # Formula injection in a lottery project name and results: published raw in Parquet,
    # neutralised (leading ') in the CSV.
    wuding = copy.deepcopy(projects["武定县"])
    payload_name = '=HYPERLINK("http://example.invalid/x","点击查看")'
    payload_results = "+cmd|' /C calc'!A0"
    wuding[0]["project_name"] = payload_name
    wuding[1]["results"] = payload_results
    sheet, _ = make_families.lottery_layout("武定县", wuding, variant="wuding")
    name = "value-lottery-formula-injection"
    path = make_samples.write_xlsx(tmp / name / "武定县2023年度福利彩票公益金使用情况.xlsx", {"公益金使用情况": sheet})
    _as_text(path, "公益金使用情况", ref(sheet.first_data_row, 2))   # text, as typed after a ' in Excel

    def neutralised(out_dir: Path) -> None:
        import csv as csv_module

        import pandas as pd

        [csv_path] = list(out_dir.glob("lottery-fund-2023.csv"))
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            cells = [c for row in csv_module.reader(f) for c in row]
        assert "'" + payload_name in cells and payload_name not in cells, "CSV cell not neutralised"
        assert "'" + payload_results in cells and payload_results not in cells, "CSV cell not neutralised"
        frame = pd.read_parquet(out_dir / "lottery-fund-2023.parquet")
        assert payload_name in set(frame["project_name"]), "Parquet must keep the raw text"
        assert payload_results in set(frame["results"]), "Parquet must keep the raw text"

    out.append(Case(name, "value", "lottery-fund", path,
                    "=HYPERLINK(…) as a lottery project name, +cmd|… as its results: the CSV "
                    "neutralises them (leading '), the Parquet keeps the raw text",
                    exit_code=0, check=neutralised))

    name = "value-lottery-formula-in-name"
    sheet, _ = make_families.lottery_layout("武定县", copy.deepcopy(projects["武定县"]), variant="wuding")
    sheet.rows[sheet.first_data_row][2] = payload_name
    path = make_samples.write_xlsx(tmp / name / "武定县2023年度福利彩票公益金使用情况.xlsx", {"公益金使用情况": sheet})
    out.append(Case(name, "value", "lottery-fund", path,
                    "a real =HYPERLINK(…) formula (never calculated) as a lottery project name",
                    expected=[("formula-without-value", where(path.name, "公益金使用情况",
                                                              ref(sheet.first_data_row, 2)))]))

    name = "value-lottery-yuan-under-wan"
    wuding = copy.deepcopy(projects["武定县"])
    sheet, cells = make_families.lottery_layout("武定县", wuding, variant="wuding")
    first = sheet.first_data_row
    sheet.rows[first][4] = round(sheet.rows[first][4] * 10000, 2)
    path = make_samples.write_xlsx(tmp / name / "武定县2023年度福利彩票公益金使用情况.xlsx", {"公益金使用情况": sheet})
    out.append(Case(name, "value", "lottery-fund", path,
                    "a lottery project's amount typed in 元 under 万元 (×10,000)",
                    expected=[("implausible-value", where(path.name, "公益金使用情况", ref(first, 4)))]))

    name = "value-lottery-ref-error"
    sheet, cells = make_families.lottery_layout("武定县", copy.deepcopy(projects["武定县"]), variant="wuding")
    sheet.rows[first + 1][4] = "#REF!"
    path = make_samples.write_xlsx(tmp / name / "武定县2023年度福利彩票公益金使用情况.xlsx", {"公益金使用情况": sheet})
    out.append(Case(name, "value", "lottery-fund", path, "#REF! as a lottery project's amount",
                    expected=[("excel-error-cell", where(path.name, "公益金使用情况", ref(first + 1, 4)))]))
    return out


def _cli_cases(tmp: Path) -> list[Case]:
    out = []
    good = write_xlsx(tmp / "cli-good", "武定县低保月报2024.xlsx", march())

    spec_list = tmp / "cli-spec-is-a-list" / "relief.yaml"
    spec_list.parent.mkdir(parents=True)
    spec_list.write_text("- name: relief-recipients\n- source: datasets/samples\n", encoding="utf-8")
    out.append(Case("cli-dataset-yaml-is-a-list", "cli", str(spec_list), good,
                    "--dataset pointing at a YAML file that holds a list", exit_code=2,
                    output=["不是数据集规格"]))
    out.append(Case("cli-dataset-readme", "cli", str(REPO / "README.md"), good,
                    "--dataset README.md", exit_code=2, output=["数据集规格"]))
    out.append(Case("cli-dataset-missing-file", "cli", str(tmp / "no-such-spec.yaml"), good,
                    "--dataset pointing at a file that does not exist", exit_code=2,
                    output=["no dataset spec"]))
    out.append(Case("cli-unknown-dataset", "cli", "relief", good, "--dataset relief (no such dataset)",
                    exit_code=2, output=["known datasets"]))
    out.append(Case("cli-period-month-13", "cli", "relief-recipients", good, "--period 2024-13",
                    exit_code=2, args=["--period", "2024-13"], output=["YYYY-MM"]))
    out.append(Case("cli-period-annual-for-monthly", "cli", "relief-recipients", good,
                    "--period 2024 for the monthly relief dataset", exit_code=2, args=["--period", "2024"],
                    output=["monthly"]))
    lottery = tmp / "cli-lottery" / "武定县2023年度福利彩票公益金使用情况.xlsx"
    sheet, _ = make_families.lottery_layout("武定县", make_families.lottery_projects()["武定县"], variant="wuding")
    make_samples.write_xlsx(lottery, {"公益金使用情况": sheet})
    out.append(Case("cli-period-month-for-annual", "cli", "lottery-fund", lottery,
                    "--period 2023-01 for the annual lottery dataset", exit_code=2,
                    args=["--period", "2023-01"], output=["annual"]))
    out.append(Case("cli-period-absent", "cli", "relief-recipients", good,
                    "--period 2024-04 on a file holding March only", args=["--period", "2024-04"],
                    expected=[("no-data-for-period", "")]))
    empty = tmp / "cli-no-source-files"
    empty.mkdir()
    (empty / "说明.docx").write_bytes(b"PK\x03\x04 not a spreadsheet")
    (empty / "readme.txt").write_text("本目录放月报", encoding="utf-8")
    out.append(Case("cli-folder-without-sources", "cli", "relief-recipients", empty,
                    "validate on a folder with no .xlsx, .xls or .csv", expected=[("no-source-files", "*")]))
    out.append(Case("cli-lottery-file-as-relief", "cli", "relief-recipients", lottery,
                    "a lottery workbook validated with --dataset relief-recipients",
                    expected=[("not-this-dataset", prefix(lottery.name))]))
    out.append(Case("cli-relief-file-as-lottery", "cli", "lottery-fund", good,
                    "a relief workbook validated with --dataset lottery-fund",
                    expected=[("not-this-dataset", prefix(good.name))]))
    out.append(Case("cli-source-does-not-exist", "cli", "relief-recipients", tmp / "no-such-file.xlsx",
                    "validate on a path that does not exist", exit_code=2, output=["does not exist"]))
    return out


def cases(tmpdir) -> list[Case]:
    """Every case, built under tmpdir (a fresh folder): the same files, names and cells each time."""
    tmp = Path(tmpdir)
    tmp.mkdir(parents=True, exist_ok=True)
    built = (_file_cases(tmp / "file") + _layout_cases(tmp / "layout") + _value_cases(tmp / "value")
             + _family_cases(tmp / "family") + _cli_cases(tmp / "cli"))
    names = [c.name for c in built]
    assert len(names) == len(set(names)), "case names must be unique"
    return built


# ---- running a case, the docs table ----------------------------------------------------------------

def run_case(case: Case, out: Path):
    """Run `gongkai validate` in-process; return (its result, report dict or None)."""
    from cli import gongkai

    result = gongkai("validate", str(case.path), "--dataset", case.dataset, *case.args, "--out", str(out))
    reports = sorted((out / "reports").glob("*.json")) if (out / "reports").exists() else []
    report = json.loads(reports[-1].read_text(encoding="utf-8")) if reports else None
    return result, report


def first_match(case: Case, report: dict | None) -> dict | None:
    """The report's problem matching the case's first expected (error, else warning) problem."""
    wanted = (case.expected or case.warnings or [None])[0]
    if wanted is None or report is None:
        return None
    slug, place = wanted
    return next((p for p in report["problems"] if p["slug"] == slug and matches(place, p["where"])), None)


def officer_message(case: Case, result, report: dict | None, roots: list[Path]) -> dict:
    """What the officer sees for this case: the first expected problem's zh / en, or the usage line.

    Paths of this machine (the case folders, the repository) are replaced by "…"."""
    def clean(text: str) -> str:
        for root in sorted({str(r) for r in [*roots, REPO]}, key=len, reverse=True):
            text = text.replace(root, "…")
        return text

    found = first_match(case, report)
    if found:
        return {"zh": clean(found["message_zh"]), "en": clean(found["message_en"])}
    if case.exit_code == 2:
        lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith("Error")]
        return {"usage": clean(lines[0]) if lines else ""}
    return {}


def guarantee(case: Case) -> str:
    if case.exit_code == 2:
        return "nothing read, nothing published (exit 2, usage)"
    if case.exit_code == 1:
        return "nothing published (exit 1): `run` stops before packaging"
    if case.warnings:
        return "published (exit 0), with the warning in the report"
    return "published (exit 0), 0 errors: no false alarm"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(all_cases: list[Case], messages: dict[str, dict]) -> str:
    """docs/bad-inputs.md from the cases and the recorded messages."""
    from gongkai.problems import KINDS

    lines = [
        "# Bad inputs: what an officer sees",
        "",
        "Generated by `tests/corpus/make_corpus.py --record` from the corpus of issue 10; "
        "`tests/corpus/test_corpus.py` runs every case through `gongkai validate` and checks that this file",
        "is current. Each case is built from the samples (武定县 2024-03 unless said). The message is the "
        "first expected problem of a real run (zh / en); *expected* marks a case the product does not",
        "handle yet (an xfail in the corpus): the message is the one it should give, and *today* says what "
        "happens instead. `run` applies the same checks and stops before packaging, so an error here",
        "means nothing is published.",
        "",
        f"{len(all_cases)} cases: " + ", ".join(
            f"{sum(c.category == cat for c in all_cases)} {cat}" for cat in ("file", "layout", "value", "cli"))
        + f"; {sum(c.good for c in all_cases)} must pass; {sum(bool(c.xfail) for c in all_cases)} not handled yet.",
        "",
        "| case | category | what | slug ! where | message an officer sees (zh / en) | guarantee |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in all_cases:
        wanted = (case.expected or case.warnings or [None])[0]
        if wanted:
            place = wanted[1].rstrip("*")
            slug = f"`{wanted[0]}`" + ("" if case.expected else " (warning)") + (f" {place}" if place else "")
        else:
            slug = "—"
        message = messages.get(case.name) or {}
        if message.get("usage"):
            text = message["usage"]
        elif message.get("zh") or message.get("en"):
            text = " / ".join(t for t in (message.get("zh"), message.get("en")) if t)
        elif wanted:
            kind = KINDS[wanted[0]]
            text = "*expected:* " + re.sub(r"\{[^}]*\}", "…", f"{kind.zh} / {kind.en}")
        else:
            text = "0 errors"
        if case.xfail:
            text += f" — *today:* {case.xfail}"
        lines.append(f"| {case.name} | {case.category} | {_cell(case.what)} | {_cell(slug)} | {_cell(text)} | "
                     f"{guarantee(case) if not case.xfail else 'not yet: ' + guarantee(case)} |")
    return "\n".join(lines) + "\n"


def record(tmp: Path) -> dict[str, dict]:
    """Run every case and return {name: message}; write messages.json and the docs table."""
    import os

    os.environ["GONGKAI_OUT"] = str(tmp / "gongkai-out")
    all_cases = cases(tmp / "cases")
    messages = {}
    for case in all_cases:
        out = tmp / "out" / case.name
        result, report = run_case(case, out)
        if not case.xfail:
            messages[case.name] = officer_message(case, result, report, [tmp / "cases", out])
    MESSAGES.write_text(json.dumps(messages, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(all_cases, messages), encoding="utf-8")
    return messages


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        if "--record" in sys.argv:
            record(Path(folder))
            print(f"wrote {MESSAGES.relative_to(REPO)} and {DOC.relative_to(REPO)}")
        else:
            for c in cases(Path(folder)):
                print(f"{c.category:7} {c.name:42} exit {c.exit_code}  {c.what}")
