"""Validate a normalized table against its Frictionless Table Schema."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from frictionless import Resource, Schema

from gongkai.problems import Problems, Where


@lru_cache
def load_schema(path: Path) -> Schema:
    # Read the YAML ourselves: frictionless refuses absolute descriptor paths as unsafe.
    return Schema.from_descriptor(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def _rows(frame: pd.DataFrame) -> list[list]:
    # Frictionless reads NA as a missing cell, so required-field errors surface as such.
    values = frame.astype(object).where(frame.notna(), None)
    return [list(frame.columns), *values.values.tolist()]


def validate_table(schema_path: Path, frame: pd.DataFrame, where_of, problems: Problems) -> None:
    """Add a `schema-violation` for every cell or row the schema refuses.

    Cells already reported by an earlier stage (say `not-a-number`) are not reported twice.
    """
    schema = load_schema(schema_path)
    report = Resource(data=_rows(frame), schema=schema).validate(limit_errors=10_000)
    already = {p.where for p in problems}
    missing = {p.where.field for p in problems if p.slug == "missing-column"}   # said once, not per row
    for row_number, field_name, note, kind in report.flatten(["rowNumber", "fieldName", "note", "type"]):
        if kind == "primary-key" or field_name in missing:
            continue   # said already: `duplicate-row` names both rows, `missing-column` the header
        index = frame.index[row_number - 2] if row_number else None
        where = where_of(index, field_name) if index is not None and field_name else \
            Where(field=f"row {row_number} {field_name or ''}".strip())
        if where not in already:
            problems.add("schema-violation", where, schema=schema_path.name, detail=f"{field_name}: {note}")
