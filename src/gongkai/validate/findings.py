"""What a Table Schema check finds: one flat record per refused cell or row, engine-independent.

Both engines (column-wise and frictionless' row-by-row reference) return these, so the
validate stage and the differential test never depend on which one ran.
"""

from __future__ import annotations

from typing import NamedTuple

# frictionless stops at this many errors; the column engine cuts at the same place.
ERROR_LIMIT = 10_000


class Finding(NamedTuple):
    row: int              # row number as frictionless counts it: the header is row 1
    field: str | None     # None for a row-level finding (blank-row, primary-key)
    type: str             # type-error, constraint-error, unique-error, primary-key, blank-row
    note: str             # frictionless' note, word for word


def constraint_note(name: str, value) -> str:
    return f'constraint "{name}" is "{value}"'
