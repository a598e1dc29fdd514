"""Read a roster (花名册): one row per household, through the same header engine as aggregate sheets.

The header, period, county and unit are found exactly as for a statistical table
(normalize/header.py, reader.py); the rows are households, not regions. Personal columns
(name, ID number, phone, bank account, address) are read only to check them and to key the
household; no message ever quotes a roster cell: an ID is named by its length, any other
value by its shape.

A roster runs to a million rows, so the per-row work is kept small: only the declared
columns are read, a row's role (footer, 合计) is decided from its first two texts, a
household's place (file ! sheet ! cell) is built only when a message needs it, and the pure
lookups of a repeated cell text (category, township, village, a number written as text) are
remembered per sheet. A cell text that would raise a problem is never remembered, so every
cell that is wrong is still reported at its own place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.extract import CellError, Sheet
from gongkai.normalize import _Run
from gongkai.normalize.header import HeaderBlock, find_header
from gongkai.normalize.reader import locate_period
from gongkai.normalize.regions import County
from gongkai.normalize.notes import FOOTER_LABELS
from gongkai.normalize.text import as_text, compact, fold, invisible_characters, parse_number
from gongkai.normalize.units import conversion
from gongkai.problems import Problems, Where
from gongkai.roster.household_id import normalise_id
from gongkai.spec import Spec

ID_REASONS = {
    "mangled": ("被 Excel 转成了数字或科学计数法，末几位已丢失", "was turned into a number by Excel and lost its last digits"),
    "invalid": ("不符合 GB 11643（校验位或出生日期有误）", "fails GB 11643 (check character or birth date)"),
    "empty": ("为空", "is empty"),
}


Place = tuple[Sheet, int, int]      # (sheet, row, column) of a household's ID cell: a Where on demand


@dataclass(slots=True)
class Household:
    """One roster row: what the aggregates and the village notice need, nothing more."""

    id18: str | None                 # normalised ID; None when unreadable (counted, not linked)
    name: str                        # for the masked notice only
    size: int
    category: str
    amount_fen: int                  # 元 × 100, so sums are exact
    county: County
    township: tuple[str, str]        # (code, official name)
    village: tuple[str, str] | None
    place: Place

    @property
    def where(self) -> Where:
        """The household's ID cell (file ! sheet ! cell)."""
        sheet, row, col = self.place
        return sheet.where(row, col, "id_number")


def read_roster(spec: Spec, files, period: str, problems: Problems) -> list[Household]:
    """Every household of `period` in `files`; problems for every cell that is wrong."""
    run = _Run(spec, problems)
    households: list[Household] = []
    seen: dict[str, Place] = {}
    for path in files:
        for sheet in run.sheets_of(path, period):
            households += RosterSheet(spec, run, sheet, problems, seen).read(period)
    if not households and not problems.errors:
        problems.add("no-data-for-period", Where(), period=period)
    return households


def _shape(raw) -> str:
    """What a cell holds, without its value."""
    if raw is None or compact(raw) == "":
        return "空 / empty"
    if isinstance(raw, (int, float)):
        return "数字 / a number"
    return f"{len(compact(raw))} 个字符的文字 / text of {len(compact(raw))} characters"


def _leading_texts(row: list, count: int = 2) -> list[str]:
    """The first `count` non-empty cells of a row as compared (folded): enough to tell its role."""
    texts = []
    for value in row:
        if value is not None and (text := compact(value)):
            texts.append(fold(text))
            if len(texts) == count:
                break
    return texts


def _by_length(text: str) -> str:
    digits = re.sub(r"\s", "", as_text(text))
    return f"[{len(digits)}位 {len(digits)} characters]" if digits else "—"


class RosterSheet:
    """The households of one sheet."""

    def __init__(self, spec: Spec, run: _Run, sheet: Sheet, problems: Problems, seen: dict[str, Place]):
        self.spec, self.run, self.sheet, self.problems, self.seen = spec, run, sheet, problems, seen
        self.reader = run.reader(sheet)
        self.roster = spec.roster
        self.fill: dict[str, object] = {}
        # Lookups of a cell text that raised no problem, per (field, text): the same answer every time.
        self.known: dict[tuple, object] = {}

    def read(self, period: str) -> list[Household]:
        sheet, spec = self.sheet, self.spec
        if not any(v is not None for row in sheet.rows for v in row):
            return []
        header = find_header(sheet, spec.source, self.run.matcher)
        found, where = locate_period(spec, sheet, header.row if header else None, self.problems)
        if found is None and header is not None:
            self.problems.add("period-not-found", where, granularity=spec.granularity)
        if found != period:
            return []
        if header is None:
            expected = "、".join(dict.fromkeys(h.split("/")[-1] for h, _ in spec.source.column_specs))
            self.problems.add("header-not-found", Where(sheet.file.name, sheet.name), expected=expected)
            return []
        self.header = header
        # field -> (column, fill down?) of the declared columns found
        self.columns = {f: (found.col, bool(found.column.fill_down)) for f, found in header.found.items()}
        self.reader.header = header
        county, _ = self.reader._sheet_county(header)
        self.reader._report_header(header, True)
        if county is None or any(f not in header.found for f in ("township", "household_size", "amount")):
            return []       # said already: unknown county or a missing column
        self.county = county
        self.reader.unit_line = self.reader._unit_line(header)
        self.factor = self._amount_factor(header)
        return self._rows()

    def _amount_factor(self, header: HeaderBlock) -> float:
        found = header.found["amount"]
        where = self.sheet.where(found.label_row, found.col, "amount")
        unit = self.reader.source_unit("amount", found.unit, found.column, where)
        factor = conversion(unit, "元")
        if factor is None:
            self.problems.add("unit-unknown", where, found=unit, expected="元")
        return factor or 1.0

    def _rows(self) -> list[Household]:
        rows = self.sheet.rows
        footer = re.compile(self.spec.source.rows.footer)
        total = re.compile(self.spec.source.rows.total)
        households: list[Household] = []
        complete = True
        totals = []     # a 合计 right under the header or at the bottom: it sums every household of the sheet
        for r in range(self.header.body_start, len(rows)):
            texts = _leading_texts(rows[r])
            if not texts:
                continue
            if footer.search(texts[0]):
                self._drop_footer(r)
                break
            if any(total.search(t) for t in texts[:2]):
                totals.append(r)
                continue
            if household := self._household(r):
                households.append(household)
            else:
                complete = False
        if complete:    # rows with errors are not counted: the total would disagree for no news
            for r in totals:
                self._check_total(r, households)
        return households

    def _drop_footer(self, r: int) -> None:
        texts = [compact(v) for row in self.sheet.rows[r:] for v in row if v is not None]
        labels = list(dict.fromkeys(FOOTER_LABELS.findall("\n".join(texts)))) or ["表尾"]
        self.problems.add("personal-data-dropped", self.sheet.where(r, 0), what="、".join(labels))

    def _cell(self, r: int, field: str):
        column = self.columns.get(field)
        if column is None:
            return None
        col, fill_down = column
        if self.sheet.merged:
            value = self.sheet.display_value(r, col)
        else:   # sheet.value without its call: r is always a row of the sheet
            row = self.sheet.rows[r]
            value = row[col] if col < len(row) else None
        if fill_down:
            if value is None or compact(value) == "":
                return self.fill.get(field)
            self.fill[field] = value
        return value

    def _at(self, r: int, field: str) -> Where:
        return self.sheet.where(r, self._col(field), field)

    def _col(self, field: str) -> int:
        column = self.columns.get(field)
        return column[0] if column else 0

    def _household(self, r: int) -> Household | None:
        id18 = self._id(r)
        size = self._number(r, "household_size", "不小于 1 的整数", "a whole number of at least 1", minimum=1)
        amount = self._number(r, "amount", "不小于 0 的金额", "an amount of at least 0", minimum=0)
        category = self._category(r)
        township = self._township(r)
        # Villages are resolved to codes only when they are published (level: village); below that the
        # village is kept as written, for the notice board.
        by_village = self.roster.level == "village" and "village" in self.header.found
        village = self._village(r, township) if township and by_village else self._village_as_written(r)
        if None in (size, amount, category, township) or (by_village and village is None):
            return None
        name = as_text(self._cell(r, "name") or "").strip()
        return Household(id18, name, int(size), category, round(amount * self.factor * 100), self.county,
                         township, village, (self.sheet, r, self._col("id_number")))

    def _id(self, r: int) -> str | None:
        raw = self._cell(r, "id_number")
        id18, why = normalise_id(raw)
        if id18 is None:
            zh, en = ID_REASONS[why]
            masked = {"empty": "—", "mangled": "[*.*****E+17]"}.get(why) or _by_length(as_text(raw))
            self.problems.add("roster-invalid-id", self._at(r, "id_number"), masked=masked, reason_zh=zh,
                              reason_en=en)
            return None
        if id18 in self.seen:
            sheet, row, col = self.seen[id18]
            self.problems.add("roster-duplicate-id", self._at(r, "id_number"), masked="[18位 18 digits]",
                              first=str(sheet.where(row, col, "id_number")))
            return None
        self.seen[id18] = (self.sheet, r, self._col("id_number"))
        return id18

    def _number(self, r: int, field: str, expected_zh: str, expected_en: str, minimum: int) -> float | None:
        raw = self._cell(r, field)
        if type(raw) is str:    # a number written as text: parsed once per distinct text
            key = ("number", raw)
            if key not in self.known:
                self.known[key] = parse_number(raw, self.reader.zero_values)
            number = self.known[key]
        else:
            number = None if isinstance(raw, CellError) or raw is None else parse_number(raw, self.reader.zero_values)
        whole = field != "household_size" or (number is not None and number == int(number))
        if number is None or number < minimum or not whole:
            self.problems.add("roster-bad-value", self._at(r, field), field=self.spec.source.label(field),
                              expected_zh=expected_zh, expected_en=expected_en, shape=_shape(raw))
            return None
        return number

    def _category(self, r: int) -> str | None:
        raw = self._cell(r, "category")
        key = ("category", raw) if type(raw) is str else None
        if key in self.known:
            text = self.known[key]
        else:
            column = self.spec.source.column("category")
            text = self.reader.text(raw, lambda: self._at(r, "category"), self.spec.source.label("category"), column)
            # reader.text reports only invisible characters and bad dates of a text: without them, its
            # answer for this text is always the same.
            if key and invisible_characters(raw) is None and self.reader.types.get(column.field) != "date":
                self.known[key] = text
        if text not in self.roster.categories:
            self.problems.add("roster-unknown-category", self._at(r, "category"), value=text or "—",
                              categories="、".join(self.roster.categories))
            return None
        return text

    def _township(self, r: int) -> tuple[str, str] | None:
        raw = self._cell(r, "township")
        key = ("township", raw) if type(raw) is str else None
        if key in self.known:
            return self.known[key]
        text = as_text(raw or "").strip()
        found = self.county.township(text)
        return self._resolved(found, key, self._at(r, "township"), text, self.county.name)

    def _village_as_written(self, r: int) -> tuple[str, str] | None:
        text = as_text(self._cell(r, "village") or "").strip()
        return ("", text) if text else None

    def _village(self, r: int, township: tuple[str, str]) -> tuple[str, str] | None:
        raw = self._cell(r, "village")
        key = ("village", township[0], raw) if type(raw) is str else None
        if key in self.known:
            return self.known[key]
        text = as_text(raw or "").strip()
        found = self.county.village(township[0], text)
        return self._resolved(found, key, self._at(r, "village"), text, f"{self.county.name}{township[1]}")

    def _resolved(self, found, key, where: Where, text: str, within: str) -> tuple[str, str] | None:
        """A place name's (code, official name), its problem said at its cell. A slip (高桥乡 for 高桥镇) is
        said once, at its first cell, and its text remembered; an unknown name is said at every cell."""
        self.reader.region_problem(found, where, text or "—", within)
        if not found:
            return None
        if key:
            self.known[key] = found.pair
        return found.pair

    def _check_total(self, r: int, households: list[Household]) -> None:
        """A 合计 row checks the sheet's households: persons and amount."""
        label = fold(compact(next(v for v in self.sheet.rows[r] if v is not None and compact(v))))
        stated = {
            "household_size": (sum(h.size for h in households), 1),
            "amount": (sum(h.amount_fen for h in households), 100 * self.factor),
        }
        for field, (parts, scale) in stated.items():
            raw = self._cell(r, field)
            value = parse_number(raw, self.reader.zero_values) if raw is not None else None
            if value is None:
                continue
            total = round(value * scale)
            if total != parts:
                show = (lambda v: f"{v / 100:.2f}") if field == "amount" else str
                self.problems.add("sum-mismatch", self._at(r, field), label=label, field=self.spec.source.label(field),
                                  total=show(total), parts=show(parts), difference=show(abs(total - parts)))
