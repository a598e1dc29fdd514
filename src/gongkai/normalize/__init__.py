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
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from gongkai.extract import Sheet, read_file
from gongkai.normalize.blocks import block_parents
from gongkai.normalize.header import HeaderMatcher, find_header
from gongkai.normalize.reader import SheetReader, has_numbers, locate_period, refuse_person_level
from gongkai.normalize.rows import SheetResult, SumCheck
from gongkai.normalize.regions import load_regions
from gongkai.normalize.text import find_period
from gongkai.problems import Problems, Where
from gongkai.spec import Spec

CODE_SOURCES = {"region_code": "region_name", "county_code": "county_name"}

__all__ = ["SumCheck", "SourceTable", "FilePart", "normalize", "normalize_file", "combine", "not_processed",
           "periods", "schema_fields", "load_regions"]


@dataclass
class SourceTable:
    """One period's rows in schema fields, with where every value came from."""

    period: str                           # 2024-03, 2024-Q1 or 2023
    frame: pd.DataFrame                   # the schema fields in schema order
    checks: list[SumCheck]                # totals, subtotals, 其中 and parent items to verify
    files: list[str]                      # names of the source files that hold this period
    origins: list[tuple[int, int]] = field(default_factory=list)   # frame row -> (sheet id, source row)
    sheets: list[dict] = field(default_factory=list)    # sheet id -> {file, sheet, cols, constants}
    cells: list[dict | None] = field(default_factory=list)   # frame row -> its fields' own cells (SheetResult.cells)
    # Parts of a total column that are no schema field (分散供养 beside a published 合计), per frame
    # row: read only so that a 合计 row can be checked in their column too; never published.
    checked: pd.DataFrame = field(default_factory=pd.DataFrame)

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
        own = self.cells[index] if index < len(self.cells) else None
        col = own.get(field_name) if own else None
        if col is None:
            col = sheet["row_cols"].get((row, field_name), sheet["cols"].get(source_field))
        if isinstance(col, Where):      # a block's value: the block's title
            return col
        if isinstance(col, tuple):      # a value joined from another row (the same township in another block)
            row, col = col
        if col is None:
            return Where(sheet["file"], sheet["sheet"], "", field_name)
        from gongkai.extract import cell_ref

        return Where(sheet["file"], sheet["sheet"], cell_ref(row, col), field_name)

    def personal_fields(self) -> dict[str, str]:
        """field -> personal kind, for fields any sheet filled from a personal column (姓名, 身份证号码 …)."""
        return {name: kind for sheet in self.sheets for name, kind in sheet.get("personal", {}).items()}


def schema_fields(spec: Spec) -> list[tuple[str, str]]:
    """(name, type) of every field of the spec's table schema, in schema order."""
    return [(f.name, f.type) for f in spec.schema.fields]


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
    """What normalizing a file needs for every sheet: the spec, its schema, regions, matcher."""

    def __init__(self, spec: Spec, problems: Problems):
        self.spec, self.problems = spec, problems
        self.fields = schema_fields(spec)
        self.regions = load_regions(spec.divisions, spec.regions_path)
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


@dataclass
class FilePart:
    """One source file's share of a period, normalized on its own, in any process: `combine` joins them.

    Plain values only (it crosses a process boundary): the sheets that hold the period, in the
    file's order, and the file's own problems. `marks[i]` is how many problems had been found
    when sheet i was read: the period's duplicate keys are reported right there, as when every
    file was read in one loop.
    """

    file: str                                            # the file's name, as problems give it
    sheets: list[SheetResult] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    marks: list[int] = field(default_factory=list)


def normalize_file(spec: Spec, path: Path, period: str) -> FilePart:
    """The rows of `period` in one source file, with the problems reading it raised.

    Never raises for the file's sake: a file that cannot be read is a problem already (extract);
    anything else that fails on it becomes `file-not-processed`, naming the file, and none of
    its rows count.
    """
    path = Path(path)
    part = FilePart(path.name)
    try:
        run = _Run(spec, part.problems)
        for sheet in run.sheets_of(path, period):
            result = run.reader(sheet).read(period)
            if result is not None:
                part.sheets.append(result)
                part.marks.append(len(part.problems))
    except Exception as error:  # noqa: BLE001 - one county's file must not hide the others' problems
        return not_processed(path, error, part.problems)
    return part


def not_processed(path: Path, error: BaseException, problems: Problems | None = None) -> FilePart:
    """A file whose normalizing failed (an exception, or its worker process died): no rows, one problem.
    The reason passes the problems' masking, like every message."""
    part = FilePart(Path(path).name, problems=Problems() if problems is None else problems)
    detail = str(error).strip()
    part.problems.add("file-not-processed", Where(file=part.file),
                      reason=type(error).__name__ + (f": {detail}" if detail else ""))
    return part


def combine(spec: Spec, period: str, parts: list[FilePart], problems: Problems) -> SourceTable:
    """One period's table from its files' parts, in file order: offsets, origins and sum checks
    re-based, every part's problems added to `problems`, then the keys checked across files."""
    table = SourceTable(period, pd.DataFrame(), [], [])
    records: list[dict] = []
    seen_keys: dict[tuple, Where] = {}
    for part in parts:
        done = 0
        for result, mark in zip(part.sheets, part.marks):
            problems.merge(part.problems[done:mark])
            done = mark
            if part.file not in table.files:
                table.files.append(part.file)
            sheet_id = len(table.sheets)
            table.sheets.append(result.provenance)
            offset = len(records)
            records += result.records
            table.origins += [(sheet_id, row) for row in result.rows]
            table.cells += result.cells or [None] * len(result.rows)
            table.checks += [replace(check, members=[offset + m for m in check.members]) for check in result.checks]
            _check_duplicates(spec, result, offset, table, seen_keys, problems)
        problems.merge(part.problems[done:])
    if not table.files and not any(p.slug in ("person-level-data", "layout-not-supported") for p in problems):
        # one problem, not two
        problems.add("no-data-for-period", Where(), period=period)
    table.frame = _frame(schema_fields(spec), records)
    published = set(table.frame.columns)
    parts = sorted({f for check in table.checks for f in check.columns if f not in published})
    table.checked = _frame([(name, "number") for name in parts], records)
    return table


def normalize(spec: Spec, files: list[Path], period: str, problems: Problems, progress=None) -> SourceTable:
    """The rows of `period` from every sheet of `files`, as the schema's fields, with their source cells.

    One file after another in this process; `progress(done, total, name)` is told after each.
    """
    parts = []
    for done, path in enumerate(map(Path, files), 1):
        parts.append(normalize_file(spec, path, period))
        if progress:
            progress(done, len(files), path.name)
    return combine(spec, period, parts, problems)


def _check_duplicates(spec: Spec, result, offset: int, table: SourceTable, seen: dict, problems: Problems) -> None:
    """The same primary key twice in one period (a township listed twice, a standard dated twice)."""
    key = [k for k in spec.schema.primary_key]
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
            if spec.source.period_columns:      # periods across: every column that holds a figure
                from gongkai.normalize.period_columns import PeriodColumnsReader

                found.update(PeriodColumnsReader(run.reader(sheet)).periods())
                continue
            header = find_header(sheet, spec.source, run.matcher, parents=block_parents(spec.source))
            period, _ = locate_period(spec, sheet, header.row if header else None, Problems())
            if header is not None and period:
                found.add(period)
            elif header is not None:
                problems.add("period-not-found", Where(sheet.file.name, sheet.name), granularity=spec.granularity)
            elif header is None and has_numbers(sheet) and run.reader(sheet).refuse_periods_across():
                continue    # months across, which this spec does not declare: said where
            elif period and "sheet" in spec.source.period_from and find_period(sheet.name, spec.granularity):
                # Named for a period of this dataset, yet no header: the table is broken, not another dataset's.
                problems.add("header-not-found", Where(sheet.file.name, sheet.name),
                             expected="、".join(dict.fromkeys(h.split("/")[0] for h, _ in spec.source.column_specs)))
    return sorted(found)
