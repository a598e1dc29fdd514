"""Normalize: the layout engine. Sheets of departmental spreadsheets become one table of the schema's fields.

The spec (datasets/*.yaml) declares the layout; this package applies it to whatever sheet
it is given: the header is found by its labels (header.py), the period and the county are
read from the sheet name, title or file name, and every row under the header gets a role
(data, 合计, 小计, 其中, a county's own row, a footer) by pattern. Data rows become records;
the others become sum checks (`SumCheck`) for the quality stage, or, for budget-style
tables, items of a published hierarchy (outline.py). Every value keeps the place it came
from so problems can name file ! sheet ! cell; all problems are collected, not raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gongkai.extract import Sheet, read_file
from gongkai.normalize.header import HeaderMatcher, find_header
from gongkai.normalize.reader import SheetReader, locate_period, refuse_person_level
from gongkai.normalize.rows import SumCheck
from gongkai.normalize.regions import load_regions
from gongkai.normalize.text import find_period
from gongkai.problems import Problems, Where
from gongkai.spec import Spec
from gongkai.validate import load_schema

CODE_SOURCES = {"region_code": "region_name", "county_code": "county_name"}

__all__ = ["SumCheck", "SourceTable", "normalize", "periods", "schema_fields", "load_regions"]


@dataclass
class SourceTable:
    """One period's rows in schema fields, with where every value came from."""

    period: str                           # 2024-03, 2024-Q1 or 2023
    frame: pd.DataFrame                   # the schema fields in schema order
    checks: list[SumCheck]                # totals, subtotals, 其中 and parent items to verify
    files: list[str]                      # names of the source files that hold this period
    origins: list[tuple[int, int]] = field(default_factory=list)   # frame row -> (sheet id, source row)
    sheets: list[dict] = field(default_factory=list)    # sheet id -> {file, sheet, cols, constants}

    def where(self, index: int, field_name: str) -> Where:
        """The source cell of a value (or the title/file a constant came from), built on demand."""
        if not 0 <= index < len(self.origins):
            return Where(field=field_name)
        sheet_id, row = self.origins[index]
        sheet = self.sheets[sheet_id]
        if field_name in sheet["constants"]:
            return sheet["constants"][field_name]
        # A code is resolved from the name beside it: its place is the name's cell.
        source_field = CODE_SOURCES.get(field_name, field_name)
        col = sheet["row_cols"].get((row, field_name), sheet["cols"].get(source_field))
        if col is None:
            return Where(sheet["file"], sheet["sheet"], "", field_name)
        from gongkai.extract import cell_ref

        return Where(sheet["file"], sheet["sheet"], cell_ref(row, col), field_name)

    def personal_fields(self) -> dict[str, str]:
        """field -> personal kind, for fields any sheet filled from a personal column (姓名, 身份证号码 …)."""
        return {name: kind for sheet in self.sheets for name, kind in sheet.get("personal", {}).items()}


def schema_fields(spec: Spec) -> list[tuple[str, str]]:
    """(name, type) of every field of the spec's table schema, in schema order."""
    return [(f.name, f.type) for f in load_schema(spec.schema_path).fields]


def _frame(fields: list[tuple[str, str]], records: list[dict]) -> pd.DataFrame:
    columns = {}
    for name, kind in fields:
        values = [record.get(name) for record in records]
        if kind == "integer":
            columns[name] = pd.array(values, dtype="Int64")
        elif kind == "number":
            columns[name] = pd.array([float("nan") if v is None else float(v) for v in values], dtype="float64")
        else:
            columns[name] = pd.array([None if v is None else str(v) for v in values], dtype="str")
    return pd.DataFrame(columns, columns=[name for name, _ in fields])


class _Run:
    """What one `normalize` call needs for every sheet: the spec, its schema, regions, matcher."""

    def __init__(self, spec: Spec, problems: Problems):
        self.spec, self.problems = spec, problems
        self.fields = schema_fields(spec)
        self.regions = load_regions(spec.regions_path)
        self.matcher = HeaderMatcher(spec.source)

    def sheets_of(self, path: Path, period: str | None):
        """Only the sheets that can hold the period: a sheet named for another period is never read."""
        pattern = self.spec.source.sheets

        def wanted(name: str) -> bool:
            if pattern and not re.search(pattern, name):
                return False
            named = find_period(name, self.spec.granularity)
            return period is None or named is None or named == period or "sheet" not in self.spec.source.period_from

        return read_file(path, self.problems, sheets=wanted)

    def reader(self, sheet: Sheet) -> SheetReader:
        return SheetReader(self.spec, sheet, self.regions, self.problems, dict(self.fields), self.matcher)


def normalize(spec: Spec, files: list[Path], period: str, problems: Problems) -> SourceTable:
    """The rows of `period` from every sheet of `files`, as the schema's fields, with their source cells."""
    run = _Run(spec, problems)
    table = SourceTable(period, pd.DataFrame(), [], [])
    records: list[dict] = []
    seen_keys: dict[tuple, Where] = {}
    for path in map(Path, files):
        for sheet in run.sheets_of(path, period):
            result = run.reader(sheet).read(period)
            if result is None:
                continue
            if path.name not in table.files:
                table.files.append(path.name)
            sheet_id = len(table.sheets)
            table.sheets.append(result.provenance)
            offset = len(records)
            records += result.records
            table.origins += [(sheet_id, row) for row in result.rows]
            for check in result.checks:
                check.members = [offset + m for m in check.members]
                table.checks.append(check)
            _check_duplicates(spec, result, offset, table, seen_keys, problems)
    if not table.files and not any(p.slug == "person-level-data" for p in problems):   # one problem, not two
        problems.add("no-data-for-period", Where(), period=period)
    table.frame = _frame(run.fields, records)
    return table


def _check_duplicates(spec: Spec, result, offset: int, table: SourceTable, seen: dict, problems: Problems) -> None:
    """The same primary key twice in one period (a township listed twice, a standard dated twice)."""
    key = [k for k in load_schema(spec.schema_path).primary_key]
    for i, record in enumerate(result.records):
        values = tuple(record.get(k) for k in key)
        if any(v is None for v in values):
            continue   # an unresolved region: already reported
        at = table.where(offset + i, [k for k in key if k != "period"][-1])
        if values in seen:
            problems.add("duplicate-row", at, key=" / ".join(str(v) for v in values if v != table.period),
                         first=str(seen[values]))
        else:
            seen[values] = at


def periods(spec: Spec, files: list[Path], problems: Problems) -> list[str]:
    """Every period the files hold a table for, so a file can be checked without naming one."""
    run = _Run(spec, problems)
    found = set()
    for path in map(Path, files):
        for sheet in run.sheets_of(path, None):
            if not any(v is not None for row in sheet.rows for v in row):
                continue
            if refuse_person_level(spec, sheet, run.matcher, problems):
                continue
            header = find_header(sheet, spec.source, run.matcher)
            period, _ = locate_period(spec, sheet, header.row if header else None, Problems())
            if header is not None and period:
                found.add(period)
            elif header is not None:
                problems.add("period-not-found", Where(sheet.file.name, sheet.name), granularity=spec.granularity)
            elif period and "sheet" in spec.source.period_from and find_period(sheet.name, spec.granularity):
                # Named for a period of this dataset, yet no header: the table is broken, not another dataset's.
                problems.add("header-not-found", Where(sheet.file.name, sheet.name),
                             expected="、".join(dict.fromkeys(h.split("/")[0] for h, _ in spec.source.column_specs)))
    return sorted(found)
