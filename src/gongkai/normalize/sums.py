"""Which figures each stated sum covers, and how far rounding lets them differ.

A 合计, a county's row or a 小计 sums the data rows of its group, whether it sits above them
(合计 right under the header, 小计 leading its block) or below them; a total column (合计,
小计, 总计, 累计) sums the columns beside it on the same row. A figure stated with d decimals
of its unit may be off by half its last digit, so a sum of n figures and its total may differ by
that much each; money written to the 元 or finer was counted, not rounded, and counts are exact.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from gongkai.normalize.header import Found, HeaderBlock
from gongkai.normalize.units import parse_unit
from gongkai.spec import Column

# Rows that state a sum, from the widest to the narrowest: a county's row ends the subtotals of the
# county before it, a 合计 ends everything.
LEVELS = {"total": 0, "county": 1, "subtotal": 2}
TOTAL_HEADER = re.compile(r"^(合计|小计|总计|累计|共计)数?$")
NUMERIC = {"integer", "number"}


def assign_members(entries: list[tuple[str, object]], parts: Callable[[list[int]], list[int]]) -> None:
    """Give every stating row the data rows it sums: entries are ("data", record index) or (kind, SumCheck).

    The rows of a level are read in groups bounded by the stating rows of wider levels. In a group
    whose first row states the sum (leading), each stating row sums the rows below it up to the next
    one; otherwise (trailing) the rows above it since the previous one. A leading row with nothing
    below it (a 合计 repeated at the bottom) sums the rows above it. County rows always lead: they
    also say which county the rows below them belong to. `parts` turns record indices into the
    check's members (a hierarchy keeps only the items whose parent is not among them).
    """
    for level in sorted(set(LEVELS.values())):
        for group in _groups(entries, level):
            sequence = [e for e in group if e[0] == "data" or LEVELS.get(e[0]) == level]
            stating = [i for i, e in enumerate(sequence) if e[0] != "data"]
            if not stating:
                continue
            leading = level == LEVELS["county"] or stating[0] == 0
            bounds = [-1, *stating, len(sequence)]
            for n, at in enumerate(stating):
                before = [e[1] for e in sequence[bounds[n] + 1:at]]
                after = [e[1] for e in sequence[at + 1:bounds[n + 2]]]
                rows = (after or before) if leading else before
                check = sequence[at][1]
                if check is not None:
                    check.members = parts(rows)


def _groups(entries: list[tuple[str, object]], level: int) -> list[list[tuple[str, object]]]:
    """The entries split at every stating row of a wider level than `level`."""
    groups: list[list] = [[]]
    for entry in entries:
        if LEVELS.get(entry[0], level) < level:
            groups.append([])
        else:
            groups[-1].append(entry)
    return groups


@functools.cache     # a column has one unit and a few precisions: asked once per table, not per cell
def rounding_allowance(decimals: int, unit: str | None, factor: float) -> float:
    """Half the last stated digit of a figure, in published units (factor: stated unit -> published).

    12.34 万元 may stand for anything from 12.335 to 12.345 万元: ±50 元. Money written to the
    元 or finer (1,234,000 元; 348,657.00 元) is a count of money, not a rounding: 0.
    """
    step = 10.0 ** -decimals
    parsed = parse_unit(unit)
    if parsed is not None and parsed.money is not None and step * parsed.money <= 1:
        return 0.0
    return step / 2 * factor


def total_columns(header: HeaderBlock, types: dict[str, str], units: dict[str, str | None]) -> dict[str, list[str]]:
    """Total columns of the header: field -> the fields it sums on each row.

    Declared (`sum_of`) or recognised by a 合计/小计/总计/累计 header: the siblings under the same
    parent (低保人数/城市, 低保人数/农村, 低保人数/合计), or the columns of the same measure under
    other parents (城市低保/金额, 农村低保/金额, 合计/金额), or, in a one-row header, every other
    numeric column when they are all of one type. Only columns the spec declares count as parts,
    and all siblings must be declared: otherwise nothing is recognised (the header stays unmapped).
    A total or a part that is not a schema field is read only to be checked (`types` and `units`
    learn it from a field of the sum that is).
    """
    sums: dict[str, list[str]] = {}
    for name, found in list(header.found.items()):
        column = found.column
        if column.sum_of:
            parts = [p for p in column.sum_of if p in header.found]
            if len(parts) == len(column.sum_of):     # a part missing from this sheet is reported already
                sums[name] = parts
        elif column.sum_of is None and (parts := _siblings(header, found.path or found.header, types)):
            sums[name] = parts
    for row, col, path in list(header.unknown):
        if parts := _siblings(header, path, types):
            header.unknown.remove((row, col, path))
            header.found[path] = Found(col, Column(field=path, sum_of=parts), path, row, None, path)
            sums[path] = parts
    for name, parts in sums.items():     # a total or part outside the schema is read to be checked,
        known = next((f for f in (name, *parts) if f in types), None)     # in the type and unit of one
        for field_name in (name, *parts):                                  # that is published
            if known and field_name not in types:
                types[field_name], units[field_name] = types[known], units.get(known)
    return sums


def _siblings(header: HeaderBlock, path: str, types: dict[str, str]) -> list[str] | None:
    levels = path.split("/")
    if not any(TOTAL_HEADER.match(level) for level in levels):
        return None
    paths = {c: (found.path or found.header).split("/") for c, found in _by_column(header).items()}
    paths.update({col: p.split("/") for _, col, p in header.unknown})
    if len(levels) > 1 and TOTAL_HEADER.match(levels[-1]):
        others = [c for c, p in paths.items() if p[:-1] == levels[:-1] and not TOTAL_HEADER.match(p[-1])]
    elif len(levels) > 1 and TOTAL_HEADER.match(levels[0]):
        others = [c for c, p in paths.items() if p[1:] == levels[1:] and not TOTAL_HEADER.match(p[0])]
    elif len(levels) == 1:
        numeric = {c for c, f in _by_column(header).items() if types.get(f.column.field) in NUMERIC}
        others = [c for c, p in paths.items() if len(p) == 1 and not TOTAL_HEADER.match(p[0])
                  and (c in numeric or c not in _by_column(header))]
    else:
        return None
    declared = _by_column(header)
    if len(others) < 2 or any(c not in declared for c in others):
        return None
    fields = [declared[c].column.field for c in sorted(others)]
    if len({types.get(f) for f in fields}) != 1 or types.get(fields[0]) not in NUMERIC:
        return None
    return fields


def _by_column(header: HeaderBlock) -> dict[int, Found]:
    return {found.col: found for found in header.found.values()}
