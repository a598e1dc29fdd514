"""Normalize: turn the sheets of a month's county spreadsheets into one table of the schema's fields.

The spec (datasets/*.yaml) says where the header is, what each header path means and in
which unit, which rows are totals and which are footers; this module applies it. Every
value keeps the place it came from (file ! sheet ! cell) so problems can name it, and
all problems are collected rather than raised. Sums are not checked here: the 合计 rows
are handed on as `totals` for the quality stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gongkai.extract import Sheet, read_file
from gongkai.normalize.regions import County, Regions, load_regions
from gongkai.normalize.text import (as_text, compact, find_period, find_unit_line, header_label,
                                    parse_number)
from gongkai.problems import Problems, Where
from gongkai.spec import UNIT_FACTORS, Column, Spec
from gongkai.validate import load_schema

__all__ = ["Total", "SourceTable", "normalize", "normalize_sheet", "periods", "schema_fields", "load_regions"]

# Labels worth naming when a footer is dropped: they say what kind of personal data went,
# without repeating it in the report.
FOOTER_LABELS = re.compile(r"(填表人|填报人|制表人|审核人|联系电话|电话|手机|负责人|审核日期|填报日期|日期|备注|说明|注)[:：]")


@dataclass
class Total:
    """The source's 合计 row of one sheet."""

    county_code: str
    where: Where                          # the 合计 row's first cell
    values: dict[str, float]              # field -> value in published units (元, counts)
    cells: dict[str, Where]               # field -> Where of that cell


@dataclass
class SourceTable:
    period: str                           # "2024-03"
    frame: pd.DataFrame                   # the schema fields in schema order
    cells: dict[tuple[int, str], Where]   # (frame row index, field) -> source cell
    totals: list[Total]
    files: list[str]                      # names of the source files that hold this period


def schema_fields(spec: Spec) -> list[tuple[str, str]]:
    """(name, type) of every field of the spec's table schema, in schema order."""
    return [(f.name, f.type) for f in load_schema(spec.schema_path).fields]


@dataclass
class _Header:
    row: int                              # first header row
    columns: dict[str, int]               # field -> column index
    labels: dict[str, str]                # field -> header path as written in the spec


@dataclass
class _Collected:
    """Rows and totals gathered from the sheets of one period."""

    records: list[dict] = field(default_factory=list)
    cells: list[dict[str, Where]] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    seen_regions: dict[str, Where] = field(default_factory=dict)  # region code -> first cell


def _first_text(row: list) -> tuple[int, str] | None:
    """(column, whitespace-free text) of a row's first non-empty cell."""
    for col, value in enumerate(row):
        text = compact(value)
        if text:
            return col, text
    return None


def _find_header_row(sheet: Sheet, starts_with: str) -> int | None:
    wanted = header_label(starts_with)[0]
    for r, row in enumerate(sheet.rows):
        first = _first_text(row)
        if first and header_label(first[1])[0].startswith(wanted):
            return r
    return None


def _header_paths(sheet: Sheet, top: int, depth: int) -> list[tuple[str, str | None, int]]:
    """(path, unit, row of the label) per column: levels joined by "/", merged parents filled in.

    Merged ranges are used where the file has them (xlsx, xls); CSV exports leave a merged
    parent blank (or repeat it), so a blank parent over a sub-header takes the parent to its left.
    """
    width = sheet.width
    levels = [[header_label(sheet.display_value(top + h, c)) for c in range(width)] for h in range(depth)]
    for h in range(depth - 1):
        for c in range(1, width):
            has_child = bool(levels[h + 1][c][0])
            left_has_child = bool(levels[h + 1][c - 1][0])
            if not levels[h][c][0] and has_child and left_has_child and sheet.merged_range(top + h, c) is None:
                levels[h][c] = levels[h][c - 1]
    paths = []
    for c in range(width):
        parts, unit, label_row = [], None, top
        for h in range(depth):
            text, part_unit = levels[h][c]
            if text and (not parts or parts[-1] != text):
                parts.append(text)
                label_row = top + h
            unit = part_unit or unit
        paths.append(("/".join(parts), unit, label_row))
    return paths


def _declared_path(column: Column) -> str:
    return "/".join(header_label(part)[0] for part in column.header.split("/"))


class _SheetReader:
    """Everything learnt from one sheet of the requested period."""

    def __init__(self, spec: Spec, sheet: Sheet, regions: Regions, problems: Problems):
        self.spec, self.sheet, self.regions, self.problems = spec, sheet, regions, problems
        self.src = spec.source
        self.zero_values = {compact(z) for z in self.src.zero_values}
        self.zero_values |= {header_label(z)[0] for z in self.zero_values}
        self.total_row = re.compile(self.src.total_row)
        self.footer_row = re.compile(self.src.footer_row)

    # -- where the table is, which month and which county --------------------------------------

    def locate(self) -> tuple[int | None, str | None, Where]:
        """(header row, period, where the period was read) of the sheet."""
        sheet = self.sheet
        header_row = _find_header_row(sheet, self.src.header_starts_with)
        above = sheet.rows[:header_row] if header_row is not None else sheet.rows[:5]
        for source in self.src.period_from:
            if source == "sheet" and (period := find_period(sheet.name)):
                return header_row, period, Where(sheet.file.name, sheet.name)
            if source == "title":
                for r, row in enumerate(above):
                    for c, value in enumerate(row):
                        if value is not None and (period := find_period(value)):
                            return header_row, period, sheet.where(r, c)
            if source == "file" and (period := find_period(sheet.file.stem)):
                return header_row, period, Where(sheet.file.name)
        return header_row, None, Where(sheet.file.name, sheet.name)

    def county(self, header_row: int) -> tuple[County | None, Where]:
        sheet = self.sheet
        title_cells = [(r, c, as_text(v)) for r, row in enumerate(sheet.rows[:header_row])
                       for c, v in enumerate(row) if v is not None]
        for source in self.src.county_from:
            if source == "title":
                for r, c, text in title_cells:
                    if county := self.regions.find_county(compact(text)):
                        return county, sheet.where(r, c)
            if source == "file" and (county := self.regions.find_county(compact(sheet.file.stem))):
                return county, Where(sheet.file.name)
        title = title_cells[0][2] if title_cells else sheet.file.name
        where = sheet.where(title_cells[0][0], title_cells[0][1]) if title_cells else Where(sheet.file.name)
        self.problems.add("unknown-county", where, name=title)
        return None, where

    # -- the header block ------------------------------------------------------------------

    def header(self, header_row: int) -> _Header:
        sheet, depth = self.sheet, self.src.header_rows
        declared = {_declared_path(c): c for c in self.src.columns}
        header = _Header(header_row, {}, {})
        for c, (path, unit, label_row) in enumerate(_header_paths(sheet, header_row, depth)):
            if not path:
                continue
            column = declared.get(path)
            if column is None:
                self.problems.add("unmapped-header", sheet.where(label_row, c), header=path)
                continue
            if column.field in header.columns:
                continue  # the same header twice: the first one counts
            header.columns[column.field] = c
            header.labels[column.field] = column.header
            # A unit written in the header (金额（万元）) must agree with the spec's.
            if unit in UNIT_FACTORS and unit != (column.unit or "元"):
                self.problems.add("unit-mismatch", sheet.where(label_row, c, column.field),
                                  found=unit, declared=column.unit or "元")
        for column in self.src.columns:
            if column.field not in header.columns:
                self.problems.add("missing-column", sheet.where(header_row, 0, column.field), header=column.header)
        return header

    def check_unit_line(self, header_row: int) -> None:
        """单位：户、人、元 in a sheet whose spec says 万元 is a factor-10,000 mistake waiting to happen."""
        declared = {c.unit for c in self.src.columns if c.unit}
        if not declared:
            return
        for r, row in enumerate(self.sheet.rows[:header_row]):
            for c, value in enumerate(row):
                money = [u for u in find_unit_line(value) if u in UNIT_FACTORS]
                if money and money[0] not in declared:
                    self.problems.add("unit-mismatch", self.sheet.where(r, c), found=money[0],
                                      declared="、".join(sorted(declared)))
                    return

    # -- values ----------------------------------------------------------------------------

    def value(self, r: int, c: int, column: Column, number_type: str, label: str):
        """A cell in published units, or None after adding the problem that says why not."""
        raw = self.sheet.value(r, c)
        where = self.sheet.where(r, c, column.field)
        number = parse_number(raw, self.zero_values)
        shown = as_text(raw).strip()
        if number is None:
            self.problems.add("not-a-number", where, field=label, value=shown)
            return None
        if number < 0:
            self.problems.add("negative-value", where, field=label, value=shown)
            return None
        if number_type == "integer":
            if abs(number - round(number)) > 1e-9:
                self.problems.add("not-an-integer", where, field=label, value=shown)
                return None
            return int(round(number * column.factor))
        return round(number * column.factor, 2)

    # -- rows ------------------------------------------------------------------------------

    def rows(self, period: str, period_where: Where, county: County, county_where: Where,
             header: _Header, types: dict[str, str], out: _Collected) -> None:
        sheet = self.sheet
        region_field = next(c.field for c in self.src.columns if c.field == "region_name")
        region_col = header.columns.get(region_field)
        value_columns = [c for c in self.src.columns if c.field != region_field and c.field in header.columns]
        total_seen = False
        for r in range(header.row + self.src.header_rows, len(sheet.rows)):
            row = sheet.rows[r]
            first = _first_text(row)
            if first is None:
                continue
            if self.footer_row.search(first[1]):
                self._drop_footer(r)
                break
            region_text = compact(sheet.value(r, region_col)) if region_col is not None else first[1]
            if self.total_row.search(region_text or first[1]):
                values, cells = {}, {}
                for column in value_columns:
                    c = header.columns[column.field]
                    number = self.value(r, c, column, types.get(column.field, "number"), header.labels[column.field])
                    if number is not None:
                        values[column.field] = number
                    cells[column.field] = sheet.where(r, c, column.field)
                if not total_seen:
                    out.totals.append(Total(county.code, sheet.where(r, 0), values, cells))
                total_seen = True
                continue
            if region_col is None:
                continue  # missing-column already says why no row can be read
            region_where = sheet.where(r, region_col, "region_name")
            record = {"period": period, "county_code": county.code, "county_name": county.name,
                      "region_code": None, "region_name": as_text(sheet.value(r, region_col)).strip() or None}
            cells = {"period": period_where, "county_code": county_where, "county_name": county_where,
                     "region_code": region_where, "region_name": region_where}
            township = county.township(region_text)
            if township is None:
                self.problems.add("unknown-region", region_where,
                                  name=as_text(sheet.value(r, region_col)).strip() or "（空）", county=county.name)
            else:
                record["region_code"], record["region_name"] = township
                if township[0] in out.seen_regions:
                    self.problems.add("duplicate-region", region_where, name=township[1])
                else:
                    out.seen_regions[township[0]] = region_where
            for column in value_columns:
                c = header.columns[column.field]
                record[column.field] = self.value(r, c, column, types.get(column.field, "number"),
                                                  header.labels[column.field])
                cells[column.field] = sheet.where(r, c, column.field)
            out.records.append(record)
            out.cells.append(cells)

    def _drop_footer(self, start: int) -> None:
        """Footer and note rows never go further; the report says what kind of data was dropped."""
        sheet = self.sheet
        texts = [compact(v) for row in sheet.rows[start:] for v in row if v is not None]
        labels = list(dict.fromkeys(FOOTER_LABELS.findall("\n".join(texts))))
        rows = sum(1 for row in sheet.rows[start:] if _first_text(row))
        what = "、".join(labels) if labels else "表尾"
        self.problems.add("personal-data-dropped", sheet.where(start, 0), what=f"{what}（{rows} 行）")


def normalize_sheet(spec: Spec, sheet: Sheet, period: str, regions: Regions, problems: Problems,
                    types: dict[str, str], out: _Collected) -> bool:
    """Read one sheet into `out` if it is of `period`; True if it was."""
    if not any(v is not None for row in sheet.rows for v in row):
        return False
    reader = _SheetReader(spec, sheet, regions, problems)
    header_row, sheet_period, period_where = reader.locate()
    if sheet_period is None:
        if header_row is not None:  # a table whose month nobody can tell; a notes sheet is skipped
            problems.add("period-not-found", period_where)
        return False
    if sheet_period != period:
        return False
    if header_row is None:
        problems.add("header-not-found", Where(sheet.file.name, sheet.name), expected=spec.source.header_starts_with)
        return True
    county, county_where = reader.county(header_row)
    reader.check_unit_line(header_row)
    header = reader.header(header_row)
    if county is not None:
        reader.rows(period, period_where, county, county_where, header, types, out)
    return True


def _frame(fields: list[tuple[str, str]], records: list[dict]) -> pd.DataFrame:
    columns = {}
    for name, kind in fields:
        values = [record.get(name) for record in records]
        if kind == "integer":
            columns[name] = pd.array(values, dtype="Int64")
        elif kind == "number":
            columns[name] = pd.array([float("nan") if v is None else float(v) for v in values], dtype="float64")
        else:
            columns[name] = pd.array(values, dtype="str")
    return pd.DataFrame(columns, columns=[name for name, _ in fields])


def normalize(spec: Spec, files: list[Path], period: str, problems: Problems) -> SourceTable:
    """The rows of `period` from every sheet of `files`, as the schema's fields, with their source cells."""
    regions = load_regions(spec.regions_path)
    fields = schema_fields(spec)
    types = dict(fields)
    out = _Collected()
    files_read: list[str] = []
    found = False
    for path in files:
        path = Path(path)
        for sheet in read_file(path, problems):
            if normalize_sheet(spec, sheet, period, regions, problems, types, out):
                found = True
                if path.name not in files_read:
                    files_read.append(path.name)
    if not found:
        problems.add("no-data-for-period", Where(), period=period)
    frame = _frame(fields, out.records)
    cells = {(i, name): where for i, row_cells in enumerate(out.cells) for name, where in row_cells.items()}
    return SourceTable(period, frame, cells, out.totals, files_read)


def periods(spec: Spec, files: list[Path], problems: Problems) -> list[str]:
    """Every month the files hold a table for, so a file can be checked without naming one."""
    regions = load_regions(spec.regions_path)
    found = set()
    for path in files:
        for sheet in read_file(Path(path), problems):
            header_row, period, _ = _SheetReader(spec, sheet, regions, problems).locate()
            if header_row is not None and period:
                found.add(period)
    return sorted(found)
