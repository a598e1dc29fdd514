"""Validate a normalized table against its Frictionless Table Schema.

The column-wise engine (`columns`) does the work; frictionless' row-by-row check
(`reference`) is the yardstick it is tested against and the fallback for a schema
the column-wise engine does not support.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from frictionless import Schema

from gongkai.problems import Problems, Where
from gongkai.schema import load_schema
from gongkai.validate.columns import column_findings, supports
from gongkai.validate.findings import Finding
from gongkai.validate.reference import frictionless_findings


def schema_findings(schema: Schema, frame: pd.DataFrame) -> list[Finding]:
    """Every cell or row the schema refuses, by the fastest engine that checks this schema exactly."""
    return column_findings(schema, frame) if supports(schema) else frictionless_findings(schema, frame)


def validate_table(schema_path: Path, frame: pd.DataFrame, where_of, problems: Problems) -> None:
    """Add a `schema-violation` for every cell or row the schema refuses.

    Cells already reported by an earlier stage (say `not-a-number`) are not reported twice.
    """
    already = {p.where for p in problems}
    # A cell an earlier error named (unknown-region at 乡镇, not-a-number at 人数) explains every field
    # derived from it (region_code resolved from the name): one message per problem.
    named = {(p.where.file, p.where.sheet, p.where.cell) for p in problems.errors if p.where.cell}
    missing = {p.where.field for p in problems if p.slug in ("missing-column", "field-not-found")}   # said once
    for row_number, field_name, kind, note in schema_findings(load_schema(schema_path), frame):
        if kind == "primary-key" or field_name in missing:
            continue   # said already: `duplicate-row` names both rows, `missing-column` the header
        index = frame.index[row_number - 2] if row_number else None
        where = where_of(index, field_name) if index is not None and field_name else \
            Where(field=f"row {row_number} {field_name or ''}".strip())
        if where not in already and (where.file, where.sheet, where.cell) not in named:
            problems.add("schema-violation", where, schema=schema_path.name, detail=f"{field_name}: {note}")
