"""Column-wise Table Schema validation with pyarrow compute: frictionless' findings, a column at a time.

frictionless checks one cell at a time in Python (20 s for a million rows); here every
constraint is one vectorised pass over a column, and anything that needs Python's exact
semantics (int(), Decimal(), strptime(), `re`) runs once per *distinct* value, not per cell.
The findings (row, field, type, note) are the reference's word for word: `tests/validate/
test_differential.py` runs both engines on corrupted tables and compares the lists.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from frictionless import Schema

from gongkai.validate.findings import ERROR_LIMIT, Finding, constraint_note

# The constraints each type checks, in frictionless' order (the order of its notes in a row).
# (exclusiveMinimum/Maximum need a v2 Table Schema: such a schema goes to the reference engine.)
CONSTRAINTS = {
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "integer": ["required", "minimum", "maximum", "enum"],
    "number": ["required", "minimum", "maximum", "enum"],
    "date": ["required", "minimum", "maximum", "enum"],
}
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}
# Strings Arrow parses exactly as Python's int() / Decimal() do; any other string goes to Python.
PLAIN = {"integer": r"^[+-]?[0-9]{1,18}$", "number": r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)$"}
BOUNDS = {"minimum": pc.greater_equal, "maximum": pc.less_equal}


def supports(schema: Schema) -> bool:
    """Whether every field is one this engine checks exactly like frictionless (else use the reference)."""
    def plain(field) -> bool:
        if field.type not in CONSTRAINTS or set(field.constraints) - {*CONSTRAINTS[field.type], "unique"}:
            return False
        if field.type == "string":
            return field.format == "default"
        if field.type == "date":
            return field.format != "any"
        return (getattr(field, "bare_number", True) and not getattr(field, "float_number", False)
                and getattr(field, "group_char", "") == "" and getattr(field, "decimal_char", ".") == ".")
    return all(map(plain, schema.fields)) and not schema.foreign_keys


# -- reading a cell as frictionless does (used once per distinct value) ------------------

def _read_string(cell):
    return cell if isinstance(cell, str) else None


def _read_integer(cell):
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except ValueError:
            return None
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, Decimal) and cell % 1 == 0:
        return int(cell)
    return None


def _read_number(cell):
    if isinstance(cell, str):
        try:
            return float(Decimal(cell.strip()))
        except (InvalidOperation, ValueError):
            return None
    if isinstance(cell, bool):
        return None
    return float(cell) if isinstance(cell, (int, float, Decimal)) else None


def _date_reader(field):
    pattern = "%Y-%m-%d" if field.format == "default" else field.format

    def read(cell):
        if isinstance(cell, dt.datetime):
            return cell.date() if cell.time() == dt.time() else None
        if isinstance(cell, dt.date):
            return cell
        if not isinstance(cell, str):
            return None
        try:
            return dt.datetime.strptime(cell, pattern).date()
        except ValueError:
            return None
    return read


def _reader(field):
    return {"string": _read_string, "integer": _read_integer, "number": _read_number}.get(field.type) \
        or _date_reader(field)


# -- a column, typed --------------------------------------------------------------------

class Column:
    """One field's cells: which are missing, which fail the type, and the typed values."""

    def __init__(self, field, series: pd.Series, missing_values: list[str]):
        self.field = field
        self.missing, self.values = self._read(series, missing_values)
        self.type_error = np.asarray(pc.fill_null(pc.is_null(self.values), True)) & ~self.missing

    def _read(self, series: pd.Series, missing_values: list[str]) -> tuple[np.ndarray, pa.Array]:
        arrow = _as_arrow(series)
        if arrow is None:   # mixed Python objects: read each distinct value as frictionless would
            cells = series.astype(object).where(series.notna(), None).tolist()
            missing = np.array([c is None or str(c) in missing_values for c in cells], dtype=bool)
            return missing, self._by_distinct_objects(cells, missing)
        missing = np.asarray(pc.fill_null(pc.is_null(arrow), True))
        if pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type):
            arrow = arrow.cast(pa.string())
            missing |= np.asarray(pc.fill_null(pc.is_in(arrow, value_set=pa.array(missing_values)), False))
            present = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), arrow)
            return missing, self._from_strings(present)
        return missing, self._from_typed(arrow)

    def _from_strings(self, strings: pa.Array) -> pa.Array:
        kind = self.field.type
        if kind == "string":
            return strings
        if kind in PLAIN:  # the common case in bulk, the odd spellings through Python
            plain = pc.fill_null(pc.match_substring_regex(strings, PLAIN[kind]), False)
            fast = pc.if_else(plain, strings, pa.scalar(None, pa.string())).cast(ARROW_TYPES[kind])
            odd = pc.if_else(plain, pa.scalar(None, pa.string()), strings)
            return pc.if_else(plain, fast, _by_distinct(odd, _reader(self.field), ARROW_TYPES[kind]))
        return _by_distinct(strings, _reader(self.field), ARROW_TYPES[kind])

    def _from_typed(self, arrow: pa.Array) -> pa.Array:
        kind, target = self.field.type, ARROW_TYPES[self.field.type]
        if kind == "integer" and pa.types.is_integer(arrow.type):
            return arrow.cast(target)
        if kind == "number" and (pa.types.is_integer(arrow.type) or pa.types.is_floating(arrow.type)):
            return arrow.cast(target)
        return _by_distinct(arrow, _reader(self.field), target)   # say, floats in an integer field

    def _by_distinct_objects(self, cells: list, missing: np.ndarray) -> pa.Array:
        read, memo = _reader(self.field), {}
        values = [None if gone else memo.setdefault((type(c), c), read(c)) for c, gone in zip(cells, missing)]
        return pa.array(values, type=ARROW_TYPES[self.field.type])


def _as_arrow(series: pd.Series) -> pa.Array | None:
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None


def _by_distinct(arrow: pa.Array, read, target: pa.DataType) -> pa.Array:
    """`read` applied once per distinct value of `arrow`, spread back over the column."""
    uniques = pc.unique(arrow)
    parsed = pa.array([None if u is None else read(u) for u in uniques.to_pylist()], type=target)
    return pc.take(parsed, pc.index_in(arrow, value_set=uniques))


# -- the checks ---------------------------------------------------------------------------

def _failing(column: Column, name: str, constraint) -> np.ndarray:
    """Cells that break one constraint (missing cells break only `required`)."""
    values, field = column.values, column.field
    if name == "required":
        return column.missing if constraint else np.zeros(len(values), dtype=bool)
    if name in BOUNDS:
        bound = _reader(field)(constraint)   # frictionless reads a bound as a cell of the field's type
        broken = pc.invert(BOUNDS[name](values, pa.scalar(bound, values.type)))
    elif name in ("minLength", "maxLength"):
        length = pc.utf8_length(values)
        broken = pc.less(length, constraint) if name == "minLength" else pc.greater(length, constraint)
    elif name == "pattern":
        broken = _pattern_broken(values, constraint)
    else:  # enum
        allowed = pa.array([_reader(field)(v) for v in constraint], type=values.type)
        broken = pc.invert(pc.is_in(values, value_set=allowed))
    return np.asarray(pc.fill_null(broken, False)) & ~column.missing


# Python's classes that match more than RE2's (\D matches a fullwidth digit in RE2 only, …).
RE2_WIDER = re.compile(r"\\[DWSbB]|\(\?[^:]")


def _pattern_broken(values: pa.Array, pattern: str) -> pa.Array:
    """Cells that do not match `^pattern$` as Python's `re` reads it (frictionless' anchoring).

    RE2 (pyarrow) accepts the bulk; what it refuses is asked of Python's `re` once per distinct
    value, since Python also accepts what RE2 does not (a Unicode digit for \\d, a final newline).
    A pattern where RE2 could accept more than Python goes to Python whole.
    """
    match, anchored = re.compile(f"^{pattern}$").match, f"^{pattern}$"
    undecided = values
    if not RE2_WIDER.search(pattern):
        try:
            accepted = pc.fill_null(pc.match_substring_regex(values, anchored), True)
            undecided = pc.filter(values, pc.invert(accepted))
        except pa.ArrowInvalid:   # a construct RE2 does not have
            pass
    bad = [u for u in pc.unique(undecided).to_pylist() if u is not None and not match(u)]
    return pc.is_in(values, value_set=pa.array(bad, type=values.type))


def _cell_groups(columns: list[Column]):
    """(rows, field position, constraint order, type, note) for every type and constraint failure."""
    for position, column in enumerate(columns):
        field = column.field
        yield np.flatnonzero(column.type_error), position, 0, "type-error", f'type is "{field.type}/{field.format}"'
        checked = ~column.type_error   # frictionless checks no constraint on a cell of the wrong type
        for order, name in enumerate(CONSTRAINTS[field.type]):
            if name in field.constraints:
                rows = np.flatnonzero(_failing(column, name, field.constraints[name]) & checked)
                yield rows, position, order, "constraint-error", constraint_note(name, field.constraints[name])


def _previous_row(keys: pd.DataFrame, considered: np.ndarray) -> pd.Series:
    """For each considered row, the row number of the last earlier row with the same key (else NA)."""
    rows = pd.Series(np.arange(len(keys)) + 2)[considered]
    groups = [keys[c][considered] for c in keys.columns]
    return rows.groupby(groups, dropna=False, sort=False).shift(1).dropna().astype(int)


def _keys(column: Column) -> pd.Series:
    # Arrow-backed, so a null stays a null and a large integer is not rounded through float.
    return column.values.to_pandas(types_mapper=pd.ArrowDtype)


def _unique_groups(columns: list[Column]):
    """(rows, earlier row numbers, field position) of every repeated value of a `unique` field."""
    for position, column in enumerate(columns):
        if column.field.constraints.get("unique"):
            earlier = _previous_row(pd.DataFrame({"v": _keys(column)}), ~column.missing & ~column.type_error)
            yield earlier.index.to_numpy(), earlier.to_numpy(), position


def _primary_key_groups(schema: Schema, columns: dict[str, Column]):
    """(rows, notes) of rows whose primary key is all missing or repeats an earlier row's."""
    if not schema.primary_key or not set(schema.primary_key) <= set(columns):
        return
    key = [columns[name] for name in schema.primary_key]
    none = np.logical_and.reduce([c.missing | c.type_error for c in key])
    yield np.flatnonzero(none), ['cells composing the primary keys are all "None"'] * int(none.sum())
    earlier = _previous_row(pd.DataFrame({c.field.name: _keys(c) for c in key}), ~none)
    yield earlier.index.to_numpy(), [f"the same as in the row at position {m}" for m in earlier]


class _Order:
    """The order of frictionless' findings within a row.

    frictionless reads the `unique` fields first, then the primary-key fields, then the rest;
    but the first repeated unique value makes it read every remaining field in schema order
    at once. Findings come out in the order the cells were read.
    """

    def __init__(self, schema: Schema, columns: list[Column], first_repeat: dict[int, int]):
        names = [c.field.name for c in columns]
        self.unique = {p: j for j, p in enumerate(p for p, c in enumerate(columns)
                                                  if c.field.constraints.get("unique"))}
        self.key = {names.index(n): q for q, n in enumerate(schema.primary_key) if n in names}
        self.first_repeat = first_repeat   # row -> unique index of its first repeated value

    def rank(self, row: int, position: int) -> int:
        j, k, u = self.unique.get(position), self.first_repeat.get(row), len(self.unique)
        if j is not None and (k is None or j <= k):
            return j
        if k is not None:
            return u + position
        return u + self.key[position] if position in self.key else u + len(self.key) + position


def _cutoff(row_arrays: list[np.ndarray], limit: int) -> int:
    """The last row that can hold one of the first `limit` findings (so no more are built)."""
    rows = np.concatenate([np.asarray(r, dtype=np.int64) for r in row_arrays])
    if len(rows) <= limit:
        return int(rows.max()) if len(rows) else -1
    return int(np.partition(rows, limit - 1)[limit - 1])


def column_findings(schema: Schema, frame: pd.DataFrame, limit: int = ERROR_LIMIT) -> list[Finding]:
    """Every finding frictionless would report for `frame` under `schema`, in its order."""
    frame = frame.reset_index(drop=True)
    columns = [Column(f, frame[f.name], _missing_values(schema, f)) for f in schema.fields if f.name in frame]
    cells = [g for g in _cell_groups(columns) if len(g[0])]
    repeats = list(_unique_groups(columns))
    keys = list(_primary_key_groups(schema, {c.field.name: c for c in columns}))
    blank = np.logical_and.reduce([c.missing for c in columns]) if columns else np.zeros(len(frame), dtype=bool)
    last = _cutoff([g[0] for g in cells + repeats + keys] + [np.flatnonzero(blank)], limit)
    first_repeat: dict[int, int] = {}
    for j, (rows, _, _) in enumerate(repeats):
        for row in rows[rows <= last]:
            first_repeat.setdefault(int(row), j)
    order = _Order(schema, columns, first_repeat)
    found = []
    for rows, position, rule, kind, note in cells:   # a blank row's cells are one blank-row finding
        name = columns[position].field.name
        found += [((r, 0, order.rank(r, position), rule), Finding(r + 2, name, kind, note))
                  for r in map(int, rows[(rows <= last) & ~blank[rows]])]
    found += [((r, 0, -1, 0), Finding(r + 2, None, "blank-row", ""))
              for r in map(int, np.flatnonzero(blank)) if r <= last]
    for j, (rows, matches, position) in enumerate(repeats):
        name = columns[position].field.name
        found += [((r, 1, j, 0), Finding(r + 2, name, "unique-error", f"the same as in the row at position {m}"))
                  for r, m in zip(map(int, rows), matches) if r <= last]
    for rows, notes in keys:
        found += [((r, 2, 0, 0), Finding(r + 2, None, "primary-key", n))
                  for r, n in zip(map(int, rows), notes) if r <= last]
    found.sort(key=lambda f: f[0])
    return [f for _, f in found[:limit]]


def _missing_values(schema: Schema, field) -> list[str]:
    return field.missing_values if field.has_defined("missing_values") else schema.missing_values
