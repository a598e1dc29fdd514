"""The reference engine: frictionless' own row-by-row validation, flattened into findings.

Kept as the yardstick of the column-wise engine (the differential test runs both) and for
any schema the column-wise engine does not support.
"""

from __future__ import annotations

import pandas as pd
from frictionless import Resource, Schema

from gongkai.validate.findings import ERROR_LIMIT, Finding


def _rows(frame: pd.DataFrame) -> list[list]:
    # Frictionless reads NA as a missing cell, so required-field errors surface as such.
    values = frame.astype(object).where(frame.notna(), None)
    return [list(frame.columns), *values.values.tolist()]


def frictionless_findings(schema: Schema, frame: pd.DataFrame, limit: int = ERROR_LIMIT) -> list[Finding]:
    report = Resource(data=_rows(frame), schema=schema).validate(limit_errors=limit)
    return [Finding(row, field or None, kind, note)
            for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"])]
