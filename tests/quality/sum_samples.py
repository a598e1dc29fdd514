"""Sample sheets for the sum checks: a sample's rows moved about, and a relief table with 合计 columns."""

from __future__ import annotations

import copy
from pathlib import Path

from gongkai.extract import read_file
from gongkai.problems import Problems
from gongkai.report import RunReport
from gongkai.stages import Run, run_stages


def errors_of(spec, path: Path, period: str) -> list:
    """The errors `gongkai validate` gives the file: the checks in their order, up to the first that fails."""
    report = RunReport(dataset=spec.name, period=period)
    run_stages(Run(spec, period, path, publishing=False), report)
    return report.problems.errors


def layouts(make_samples, path: Path) -> dict:
    """Every sheet of a generated sample as a make_samples.Layout (rows and merged ranges)."""
    return {sheet.name: make_samples.Layout(copy.deepcopy(sheet.rows), list(sheet.merged))
            for sheet in read_file(path, Problems())}


def row_of(layout, label: str, start: int = 0) -> int:
    """The first row at or after `start` with a cell that reads `label` (spaces ignored)."""
    return next(r for r in range(start, len(layout.rows))
                if any(v is not None and str(v).replace("　", "").strip() == label for v in layout.rows[r]))


def move_row(layout, source: int, target: int):
    """The sheet with row `source` moved to stand before row `target`; merged ranges follow their rows."""
    order = list(range(len(layout.rows)))
    order.insert(target if target < source else target - 1, order.pop(source))
    new_index = {old: new for new, old in enumerate(order)}
    rows = [layout.rows[old] for old in order]
    merges = [(new_index[r0], c0, new_index[r1], c1) for r0, c0, r1, c1 in layout.merges]
    return type(layout)(rows, merges)


TOTAL_COLUMNS = {"合计/人数": ("urban_persons", "rural_persons", "tekun_persons"),
                 "合计/金额": ("urban_amount", "rural_amount", "tekun_amount", "temporary_amount")}


def relief_with_total_columns(make_samples, county: str = "武定县", period: str = "2024-03"):
    """A county's relief table with a 合计 group at the right: 合计/人数 and 合计/金额 of every row.

    The spec declares neither: they are recognised by their header (the same measure under the
    other parents) and checked on every row, 合计 row included."""
    month = make_samples.true_figures()[(county, period)]
    sheet = make_samples.layout(county, period, month)
    width = make_samples.WIDTH
    top, sub = sheet.header_row, sheet.header_row + 1
    for r, row in enumerate(sheet.rows):
        row += [None, None]
        if r == top:
            row[width] = "合计"
        elif r == sub:
            row[width:] = ["人数", "金额"]
    sheet.merges.append((top, width, top, width + 1))
    figures = list(month.values()) + [make_samples.totals(month)]
    for r, values in zip(range(sheet.first_data_row, sheet.total_row + 1), figures):
        sheet.rows[r][width] = sum(values[f] for f in TOTAL_COLUMNS["合计/人数"])
        sheet.rows[r][width + 1] = sum(round(values[f] * 100) for f in TOTAL_COLUMNS["合计/金额"]) / 100
    return sheet
