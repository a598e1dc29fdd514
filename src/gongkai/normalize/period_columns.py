"""Time as columns (`source.period_columns`): periods across, fields down.

A county-year sheet: a header row of periods (1月 … 12月, 2024年3月, 一季度; the year of a bare 3月 from
the title, file or sheet name, as `period_from` says) and total columns (累计, 全年, 1-6月累计); down
the left, heading rows (城市低保) over indicator rows (户数, 人数, 金额), or the two side by side in
label columns. Heading and indicator together are a header path (城市低保/户数) matched against
`source.columns` like a column header, so the same declarations read both layouts.

One period is one column: its values become the period's record for the county the title or file
names (`region: county`). Every total column is checked against the periods it covers for the
fields that are flows (`summable`); a stock count's total is no sum and is skipped with a note.
Blank rows and note rows between the groups are fine; a number no row or column reads is an
error naming its cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.extract import cell_ref
from gongkai.normalize.header import SEARCH_ROWS, HeaderBlock
from gongkai.normalize.notes import report_dropped
from gongkai.normalize.outline import split_label
from gongkai.normalize.rows import NUMERIC, SheetResult, SumCheck
from gongkai.normalize.text import (as_text, column_period, compact, covered_months, find_period, find_unit_line,
                                    fold, header_label, parse_number)
from gongkai.normalize.units import conversion, parse_unit
from gongkai.problems import Where

# `reader` below is the sheet's SheetReader (reader.py), which calls in here; typed by duck, not
# imported, so that reader.py alone imports its parts.

UNIT_LABEL = re.compile(r"^(计量)?单位$")
FLOW_COUNTS = {"人次", "户次", "次"}


@dataclass
class Grid:
    """Where the periods are: the header row, period columns, total columns and label columns."""

    row: int
    periods: dict[int, str]                       # column -> period
    totals: dict[int, str]                        # column -> its header (累计, 1-6月累计)
    labels: list[int]                             # label columns (heading, indicator), left of the periods
    unit_col: int | None = None                   # a 单位 column among the labels
    year: str | None = None
    unknown: list[int] = field(default_factory=list)   # other headed columns: ignored, with a warning


@dataclass
class Indicator:
    row: int
    field: str
    label: str            # the path as written: 城市低保/户数
    label_col: int
    unit: str | None


def find_grid(reader) -> Grid | None:
    """The first row (within SEARCH_ROWS) naming at least two periods of the dataset's granularity."""
    sheet, granularity = reader.sheet, reader.spec.granularity
    total = re.compile(reader.src.period_columns.total)
    for r in range(min(len(sheet.rows), SEARCH_ROWS)):
        named = {c: column_period(v, granularity, "0000") for c, v in enumerate(sheet.rows[r]) if v is not None}
        named = {c: p for c, p in named.items() if p}
        if len(named) < 2:
            continue
        year = sheet_year(reader, r)
        periods = {c: column_period(sheet.rows[r][c], granularity, year) for c in named}
        first = min(named)
        totals, unknown, labels, unit_col = {}, [], [], None
        for c, value in enumerate(sheet.rows[r]):
            text = fold(compact(value))
            if c < first:
                labels.append(c)
                if UNIT_LABEL.match(header_label(value)[0]):
                    unit_col = c
            elif c not in named and text and not find_unit_line(text):
                if total.search(header_label(value)[0]) or covered_months(text, year or "0000"):
                    totals[c] = header_label(value)[0]
                else:
                    unknown.append(c)
        return Grid(r, {c: p for c, p in periods.items() if p}, totals, labels or [0], unit_col, year, unknown)
    return None


def sheet_year(reader, header_row: int) -> str | None:
    """The year of bare month or quarter headers (3月, 一季度): the first place of `period_from` naming one."""
    sheet = reader.sheet
    for source in reader.src.period_from:
        if source == "sheet" and (year := find_period(sheet.name, "year")):
            return year
        if source == "title":
            for row in sheet.rows[:header_row + 1]:
                for value in row:
                    if value is not None and not find_unit_line(value) and (year := find_period(value, "year")):
                        return year
        if source == "file" and (year := find_period(sheet.file.stem, "year")):
            return year
    return None


class PeriodColumnsReader:
    """One sheet with periods across: the requested period's column as a record, totals as checks."""

    def __init__(self, reader):
        self.reader, self.sheet, self.src = reader, reader.sheet, reader.src
        self.problems, self.matcher = reader.problems, reader.matcher
        self.options = self.src.period_columns
        self.footer = reader.patterns["footer"]

    def periods(self) -> list[str]:
        """Every period a column holds a figure for (what `gongkai validate` lists without --period)."""
        grid = find_grid(self.reader)
        if grid is None:
            return []
        rows = [r for r in range(grid.row + 1, len(self.sheet.rows)) if not self._is_footer(r)]
        return sorted({p for c, p in grid.periods.items()
                       if any(self._number_at(r, c) for r in rows)})

    def read(self, period: str) -> SheetResult | None:
        sheet, reader = self.sheet, self.reader
        grid = find_grid(reader)
        expected = "、".join(["1月", "2月", "…"] if reader.spec.granularity == "month" else ["一季度", "二季度", "…"])
        if grid is None:
            if any(self._numbers(r) for r in range(len(sheet.rows))):
                self.problems.add("header-not-found", Where(sheet.file.name, sheet.name), expected=expected)
            else:
                self.problems.add("sheet-skipped", Where(sheet.file.name, sheet.name), expected=expected)
            return None
        if not grid.periods:
            self.problems.add("period-not-found", sheet.where(grid.row, min(grid.labels) + 1),
                              granularity=reader.spec.granularity)
            return None
        columns = [c for c, p in grid.periods.items() if p == period]
        indicators, dropped = self._indicators(grid)
        if self._refuse_unmapped_rows(grid, indicators):
            return None
        if not columns or not any(self._number_at(i.row, c) for i in indicators for c in columns):
            return None     # the sheet holds no figure of this period (a month not reported yet)
        result = SheetResult(provenance={"file": sheet.file.name, "sheet": sheet.name, "cols": {},
                                         "row_cols": {}, "constants": {}})
        if len(columns) > 1:
            cells = "、".join(f"{cell_ref(grid.row, c)}“{as_text(sheet.rows[grid.row][c]).strip()}”" for c in columns)
            self.problems.add("ambiguous-column", sheet.where(grid.row, columns[0]), field=period, columns=cells)
            return result
        col = columns[0]
        header = HeaderBlock(grid.row, 1, grid.row + 1)
        county, county_where = reader._sheet_county(header)
        if county is None:
            return result
        self._units(grid)
        reader.period, reader.county_code = period, county.code
        record, origin = {"period": period}, grid.row
        constants = result.provenance["constants"]
        constants["period"] = sheet.where(grid.row, col)
        record.update(county_code=county.code, county_name=county.name, region_code=county.code,
                      region_name=county.name)
        constants.update({f: county_where for f in ("county_code", "county_name", "region_code", "region_name")})
        if self.src.sheet_field:
            record[self.src.sheet_field] = sheet.name
            constants[self.src.sheet_field] = Where(sheet.file.name, sheet.name)
        for indicator in indicators:
            record[indicator.field] = self._value(indicator, col, grid)
        result.cells.append({i.field: (i.row, col) for i in indicators})
        result.records.append(record)
        result.rows.append(origin)
        self._total_checks(grid, indicators, result)
        report_dropped(sheet, dropped, self.problems)
        found = {i.field for i in indicators} | {"region_name", "region_code", "county_name", "county_code"}
        reader._report_missing(found, set(), True, False, header)
        return result

    # -- rows ----------------------------------------------------------------------------------

    def _indicators(self, grid: Grid) -> tuple[list[Indicator], list[int]]:
        """Indicator rows under their headings, mapped to fields; dropped note rows. Undeclared rows with
        figures are warnings, two rows for one field an error."""
        sheet = self.sheet
        group, indicators, dropped, seen = None, [], [], {}
        self.unmapped: list[tuple[int, int, str]] = []     # rows with figures that no declared field names
        value_cols = [*grid.periods, *grid.totals]
        for r in range(grid.row + 1, len(sheet.rows)):
            labels = [(c, as_text(sheet.display_value(r, c)).strip()) for c in grid.labels if c != grid.unit_col]
            labels = [(c, t) for c, t in labels if compact(t)]
            has_numbers = any(self._number_at(r, c) for c in value_cols)
            if not labels and not has_numbers:
                if self._numbers(r):
                    self.problems.add("values-not-read", sheet.where(r, self._numbers(r)[0]),
                                      after=cell_ref(grid.row, 0))
                continue
            if self._is_footer(r):
                dropped.append(r)
                continue
            texts = [split_label(t)[0] for _, t in labels]
            if len(texts) > 1:
                group = texts[0]
            label_col = labels[-1][0] if labels else min(grid.labels)
            name, unit = header_label(texts[-1]) if texts else ("", None)
            path = f"{group}/{name}" if group and len(texts) == 1 and name != group else "/".join(
                header_label(t)[0] for t in texts)
            hit = self.matcher.column(path) or (self.matcher.column(name) if name else None)
            if hit is None and not has_numbers:
                group = name            # a heading row: 城市低保, 二、农村低保
                continue
            if hit is None:
                self.unmapped.append((r, label_col, path))
                continue
            column, _ = hit
            if self.reader.types.get(column.field) not in NUMERIC:
                self.problems.add("unmapped-row", sheet.where(r, label_col), label=path)
                continue
            if column.field in seen:
                self.problems.add("ambiguous-row", sheet.where(r, label_col), field=self.src.label(column.field),
                                  rows=f"{cell_ref(seen[column.field], label_col)}、{cell_ref(r, label_col)}")
                continue
            seen[column.field] = r
            row_unit = compact(sheet.value(r, grid.unit_col)) if grid.unit_col is not None else ""
            indicators.append(Indicator(r, column.field, path, label_col, unit or row_unit or None))
        for c in grid.unknown:
            self.problems.add("unmapped-header", sheet.where(grid.row, c), header=as_text(sheet.rows[grid.row][c]).strip())
        return indicators, dropped

    def _refuse_unmapped_rows(self, grid: Grid, indicators: list[Indicator]) -> bool:
        """Rows with figures that name no declared field: a warning each beside rows that do; when no row
        does (townships down the rows, periods across), the layout is not this spec's: refused at the
        first such row, once, rather than as a missing period per column. True if refused."""
        if indicators or not self.unmapped:
            for r, c, path in self.unmapped:
                self.problems.add("unmapped-row", self.sheet.where(r, c), label=path)
            return False
        r, c, _ = self.unmapped[0]
        shown = "、".join(path for _, _, path in self.unmapped[:3]) + ("…" if len(self.unmapped) > 3 else "")
        declared = "、".join(list(self.matcher.columns)[:3])
        self.problems.add("layout-not-supported", self.sheet.where(r, c),
                          reason_zh=f"期间排在各列，而各行（{shown}）不是规格声明的指标（{declared}…）；"
                                    "period_columns 读一个县的各项指标，每行一个字段",
                          reason_en=f"the periods run across the columns but no row ({shown}) is a declared "
                                    f"indicator ({declared}…); period_columns reads one county's indicators, "
                                    "one field per row")
        return True

    def _is_footer(self, r: int) -> bool:
        first = next((compact(fold(v)) for v in self.sheet.rows[r] if v is not None and compact(v)), "")
        return bool(first) and bool(self.footer.search(first))

    def _numbers(self, r: int) -> list[int]:
        return [c for c, v in enumerate(self.sheet.rows[r]) if self._is_number(v)]

    def _number_at(self, r: int, c: int) -> bool:
        return self._is_number(self.sheet.value(r, c))

    def _is_number(self, value) -> bool:
        return value is not None and bool(compact(value)) and parse_number(value, self.reader.zero_values) is not None

    # -- values --------------------------------------------------------------------------------

    def _units(self, grid: Grid) -> None:
        """The unit line (单位：户、人、元) anywhere above the indicators, the header row included."""
        reader = self.reader
        reader.unit_line, reader.rate_line = None, None
        for r in range(grid.row + 1):
            for c, value in enumerate(self.sheet.rows[r]):
                money = [u for u in find_unit_line(value) if parse_unit(u) and parse_unit(u).money and not parse_unit(u).months]
                if money:
                    reader.unit_line, reader.unit_line_where = money[0], self.sheet.where(r, c)
                    return

    def _factor(self, indicator: Indicator) -> float | None:
        reader = self.reader
        where = self.sheet.where(indicator.row, indicator.label_col, indicator.field)
        column = self.src.column(indicator.field)
        unit = reader.source_unit(indicator.field, indicator.unit, column, where)
        factor = conversion(unit, reader.units.get(indicator.field))
        if factor is None:
            self.problems.add("unit-unknown", where, found=unit or "—", expected=reader.units.get(indicator.field) or "—")
        return factor

    def _value(self, indicator: Indicator, col: int, grid: Grid):
        factor = self._factor(indicator)
        if factor is None:
            return None
        raw = self.sheet.value(indicator.row, col)
        return self.reader.number(raw, lambda: self.sheet.where(indicator.row, col, indicator.field),
                                  indicator.label, indicator.field, factor)

    def _summable(self, name: str) -> bool:
        if self.options.summable is not None:
            return name in self.options.summable
        unit = parse_unit(self.reader.units.get(name))
        return bool(unit and (unit.money and not unit.months or unit.text in FLOW_COUNTS))

    def _total_checks(self, grid: Grid, indicators: list[Indicator], result: SheetResult) -> None:
        """Every total column against the periods it covers, for the flows; stock counts skipped with a note."""
        skipped = []
        for col, label in sorted(grid.totals.items()):
            covered = covered_months(label, grid.year)
            earlier = [c for c in grid.periods if c < col and not any(t < col and c < t for t in grid.totals)]
            parts = [c for c, p in grid.periods.items() if p in covered] if covered else earlier
            county = self.reader.county_code if hasattr(self.reader, "county_code") else None
            for indicator in indicators:
                if not self._number_at(indicator.row, col) and not compact(self.sheet.value(indicator.row, col)):
                    continue
                if not self._summable(indicator.field):
                    skipped.append(indicator)
                    continue
                factor = self._factor(indicator)
                if factor is None:
                    continue
                stated = self.reader.number(self.sheet.value(indicator.row, col),
                                            lambda c=col, i=indicator: self.sheet.where(i.row, c, i.field),
                                            indicator.label, indicator.field, factor)
                values = [self._value(indicator, c, grid) for c in parts if compact(self.sheet.value(indicator.row, c))]
                if stated is None or any(v is None for v in values):
                    continue
                where = self.sheet.where(indicator.row, col, indicator.field)
                result.checks.append(SumCheck("total", self.sheet.where(indicator.row, indicator.label_col), label,
                                              {indicator.field: stated}, {indicator.field: where},
                                              part_values=[{indicator.field: v} for v in values],
                                              county_code=county))
        if skipped:
            first = min(skipped, key=lambda i: i.row)
            names = "、".join(dict.fromkeys(i.label for i in skipped))
            self.problems.add("total-not-checked", self.sheet.where(first.row, max(grid.totals)), fields=names)
