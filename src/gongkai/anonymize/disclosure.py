"""Disclosure control stage: a dataset's published counts lose their small cells, provably (BRIEF rules 3-4).

The spec's `disclosure_control` says which fields form a cell (counts, and the amounts hidden
with them), which column names the region and which its parent, and which other columns keep
cells apart (period, category). From that this module builds what the engine (`suppress.py`)
works on:
- the long cell table: one cell per row and declared cell. A wide table (relief-recipients:
  townships in rows, 城市低保 / 农村低保 / 特困 / 临时救助 as columns) gives several cells per
  row; a long one (the roster aggregate: a `category` column, `households, persons, amount`)
  one. The engine's measures are positional (`count_0`, `count_1`, `amount_0`), so cells of
  different widths share one table; sums never mix cells, so they never mix fields either;
- the constraints: every parent in the table equals the sum of its children, per cell and
  `by` group. A parent missing from the table (the county above the townships) is a public
  margin, because county totals are in the bureau's own news: its children's sum is known to
  every reader (unless `margins_public: false`);
- carried cells: those suppressed in the last published period stay suppressed, so a reader
  cannot difference two months to recover one.
A passed audit gives the publishable frame (suppressed values null, `<field>_flag` "C"); a
failed one is an error naming the cell (region, period, field), and nothing is published.
The data dictionary (Table Schema, datapackage.json, DataStore field info) describes the flag
columns through `Spec.published_schema` (gongkai.schema): added from the spec, never written in a schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from gongkai.anonymize.suppress import (
    CARRIED, COMPLEMENTARY, PRIMARY, ProtectionMargin, SuppressionResult,
    SuppressionRules, mark_for_publication, suppress,
)
from gongkai.anonymize.audit import PUBLISHED, Constraint
from gongkai.problems import Problems, Where
from gongkai.spec import DisclosureControl, Spec
from gongkai.schema import CONFIDENTIAL_FLAG, flag_field

# Public margins are cells the reader already knows: k = 1 keeps the threshold off them.
PUBLIC_MARGIN = "(public margin)"
MAX_NAMED_FAILURES = 10  # an audit that fails everywhere names the first cells, then counts the rest
NULLABLE = {"integer": "Int64", "number": "Float64"}


@dataclass
class Protected:
    frame: pd.DataFrame | None   # the publishable frame; None when the audit failed
    summary: dict                # for the anonymization report: never a suppressed value, never p


# ---------------------------------------------------------------------------------------
# The cell table, its margins and constraints
# ---------------------------------------------------------------------------------------

def measure_names(control: DisclosureControl) -> dict[tuple[int, str], str]:
    """(cell number, engine measure) -> field: count_0, count_1 … and amount_0 … per declared cell."""
    names = {}
    for number, cell in enumerate(control.cells):
        names |= {(number, f"count_{i}"): f for i, f in enumerate(cell.counts)}
        names |= {(number, f"amount_{i}"): f for i, f in enumerate(cell.amounts)}
    return names


def cell_table(control: DisclosureControl, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (frame row, declared cell), with the region, its parent, `by` and the measures."""
    names = measure_names(control)
    base = pd.DataFrame({
        "_row": np.arange(len(frame)),
        "_region": frame[control.region].to_numpy(object),
        "_parent": frame[control.parent].to_numpy(object),
        "_name": (frame[control.region_name] if control.region_name in frame.columns
                  else frame[control.region]).to_numpy(object),
        "_level": frame[control.level].to_numpy(object) if control.level in frame.columns else None,
        "_margin": False,
        **{b: frame[b].to_numpy(object) for b in control.by},
    })
    parts = []
    for number in range(len(control.cells)):
        part = base.assign(_cell=number)
        for (cell, measure), field in names.items():
            if cell == number:
                part[measure] = pd.to_numeric(frame[field], errors="coerce").to_numpy(float, na_value=np.nan)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def measures_of(cells: pd.DataFrame) -> list[str]:
    return sorted((c for c in cells.columns if c.startswith(("count_", "amount_"))),
                  key=lambda c: (not c.startswith("count_"), int(c.split("_")[1])))


def with_public_margins(control: DisclosureControl, cells: pd.DataFrame) -> pd.DataFrame:
    """Add a published cell for every parent missing from the table: the sum of its children."""
    orphans = cells[cells["_parent"].notna() & ~cells["_parent"].isin(set(cells["_region"]))]
    if orphans.empty or not control.margins_public:
        return cells
    keys = [orphans[k].fillna("") for k in ("_parent", *control.by, "_cell")]
    measures = measures_of(cells)
    # A child without the value leaves the parent's value unknown: no margin for that measure.
    incomplete = orphans[measures].isna().groupby(keys).any()
    totals = orphans[measures].groupby(keys).sum().mask(incomplete).reset_index()
    margins = totals.assign(_region=totals["_parent"], _name=totals["_parent"], _parent=None, _row=-1,
                            _level=PUBLIC_MARGIN, _margin=True)
    return pd.concat([cells, margins[cells.columns]], ignore_index=True)


def key_of(cells: pd.DataFrame, by: list[str], region: str = "_region") -> list[tuple]:
    return list(zip(cells[region], *(cells[b].fillna("") for b in by), cells["_cell"]))


def hierarchy(control: DisclosureControl, cells: pd.DataFrame) -> list[Constraint]:
    """parent = sum of its children, for every parent present as a cell, per cell and `by` group."""
    label = dict(zip(key_of(cells, control.by), cells.index))
    names = measure_names(control)
    children: dict[tuple, list] = {}
    for position, parent_key in zip(cells.index, key_of(cells, control.by, "_parent")):
        if parent_key in label:
            children.setdefault(parent_key, []).append(position)
    constraints = []
    for parent_key, parts in children.items():
        parent = label[parent_key]
        fields = ", ".join(f for (cell, _), f in names.items() if cell == cells.at[parent, "_cell"])
        where = " ".join(str(v) for v in parent_key[1:-1])
        constraints.append(Constraint(parent, tuple(parts), name=f"{cells.at[parent, '_name']} {where} = "
                                      f"下级之和 sum of its {len(parts)} children ({fields})"))
    return constraints


def duplicated_cell(control: DisclosureControl, cells: pd.DataFrame) -> str | None:
    """The first region named twice in one `by` group, if any: the spec's `by` misses a column."""
    keys = pd.Series(key_of(cells, control.by))
    twice = keys[keys.duplicated()]
    return None if twice.empty else str(cells.at[twice.index[0], "_name"])


def carried_cells(control: DisclosureControl, cells: pd.DataFrame, previous: pd.DataFrame | None) -> list:
    """Cells suppressed in the last published period, matched by region and `by` without the period."""
    if previous is None or previous.empty:
        return []
    by = [b for b in control.by if b != "period"]
    hidden = set()
    for number, cell in enumerate(control.cells):
        flags = [flag_field(f) for f in (*cell.counts, *cell.amounts) if flag_field(f) in previous.columns]
        if not flags:
            continue
        rows = previous[(previous[flags] == CONFIDENTIAL_FLAG).fillna(False).any(axis=1)]
        hidden |= set(zip(rows[control.region], *(rows[b].fillna("") for b in by), [number] * len(rows)))
    ours = cells[~cells["_margin"]]
    return [label for label, key in zip(ours.index, key_of(ours, by)) if key in hidden]


def rules_for(control: DisclosureControl, cells: pd.DataFrame) -> SuppressionRules:
    measures = measures_of(cells)
    count = control.margin.count
    return SuppressionRules(
        k=control.k, k_by_level={**control.k_by_level, PUBLIC_MARGIN: 1}, level_column="_level",
        counts=tuple(m for m in measures if m.startswith("count_")),
        amounts=tuple(m for m in measures if m.startswith("amount_")),
        dominance_measure="amount_0",
        count_margin=ProtectionMargin(absolute=None if count == "k" else float(count)),
        amount_margin=ProtectionMargin(absolute=0.0, relative=control.margin.amount_relative))


def with_contributions(cells: pd.DataFrame) -> pd.DataFrame:
    """`top1` for the p% rule. An amount whose counts are missing could be one recipient's: its
    largest contribution is taken to be all of it (worst case), so it is suppressed. Margins are public."""
    if "amount_0" not in cells.columns:
        return cells
    return cells.assign(top1=cells["amount_0"].where(~cells["_margin"], 0.0))


# ---------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------

def protect(spec: Spec, frame: pd.DataFrame, previous: pd.DataFrame | None,
            where_of: Callable[[int, str], Where], problems: Problems) -> Protected:
    """Suppress the small cells of `frame` and their complements; audit; mark the publishable frame."""
    control = spec.disclosure_control
    cells = with_public_margins(control, cell_table(control, frame))
    if (twice := duplicated_cell(control, cells)) is not None:
        problems.add("disclosure-table-invalid", Where(field=control.region),
                     detail_zh=f"“{twice}”在同一组（{'、'.join(control.by)}）中出现多次，"
                               "请在 disclosure_control.by 中加上区分它们的列",
                     detail_en=f"{twice} appears twice in one group of {control.by}: add the column "
                               "that tells the rows apart to disclosure_control.by")
        return Protected(None, {})
    try:
        result = suppress(with_contributions(cells), hierarchy(control, cells), rules_for(control, cells),
                          keep_suppressed=carried_cells(control, cells, previous),
                          already_published=cells.index[cells["_margin"]],
                          complementary=control.complementary)
    except ValueError as error:  # a parent that is not the sum of its children
        problems.add("disclosure-table-invalid", Where(field=control.parent),
                     detail_zh=f"上级数字不等于下级之和：{error}", detail_en=str(error))
        return Protected(None, {})
    except RuntimeError:  # every pattern leaves a small cell recoverable: the public total is itself small
        problems.add("disclosure-table-invalid", Where(field=control.parent),
                     detail_zh="隐藏再多单元格也无法保护小数：公开的上级合计本身过小；若上级合计未公开，"
                               "设 margins_public: false，否则请发布更粗的表",
                     detail_en="no set of suppressed cells protects every small cell: a public total "
                               "above them is itself small; set margins_public: false if that total is not "
                               "published, or publish a coarser table")
        return Protected(None, {})
    summary = summarize(control, cells, result)
    if not result.audit.passed:
        report_failures(control, cells, result, where_of, problems)
        return Protected(None, summary)
    return Protected(publishable(spec, frame, cells, mark_for_publication(result)), summary)


def publishable(spec: Spec, frame: pd.DataFrame, cells: pd.DataFrame, marked: pd.DataFrame) -> pd.DataFrame:
    """The frame with suppressed values null and `<field>_flag` "C", in the published schema's order."""
    control = spec.disclosure_control
    types = {f.name: f.type for f in spec.schema.fields}
    out = frame.copy()
    for field in control.fields:
        out[field] = out[field].astype(NULLABLE.get(types[field], "Float64"))
        out[flag_field(field)] = pd.Series(pd.NA, index=out.index, dtype="string")
    ours = marked[~cells["_margin"]]
    for (number, measure), field in measure_names(control).items():
        hidden = ours[(ours["_cell"] == number) & (ours[flag_field(measure)] == CONFIDENTIAL_FLAG).fillna(False)]
        rows = out.index[hidden["_row"].to_numpy(int)]
        out.loc[rows, field] = pd.NA
        out.loc[rows, flag_field(field)] = CONFIDENTIAL_FLAG
    return out[[f.name for f in spec.published_schema.fields]]


def describe_cell(control: DisclosureControl, cells: pd.DataFrame, label) -> tuple[str, str]:
    """(region name, "period 2024-03, category 特困供养") of a cell, for messages."""
    row = cells.loc[label]
    return str(row["_name"]), ", ".join(f"{b} {row[b]}" for b in control.by)


def report_failures(control: DisclosureControl, cells: pd.DataFrame, result: SuppressionResult,
                    where_of: Callable[[int, str], Where], problems: Problems) -> None:
    names = measure_names(control)
    failures = list(dict.fromkeys((c.cell, c.measure) for c in result.audit.failures))
    for label, measure in failures[:MAX_NAMED_FAILURES]:
        field = names[(int(cells.at[label, "_cell"]), measure)]
        region, cell = describe_cell(control, cells, label)
        problems.add("disclosure-audit-failed", where_of(int(cells.at[label, "_row"]), field),
                     region=region, cell=cell, field=field)
    if len(failures) > MAX_NAMED_FAILURES:
        problems.add("disclosure-audit-failed", Where(field="disclosure_control"),
                     region=f"另有 {len(failures) - MAX_NAMED_FAILURES} 处 / {len(failures) - MAX_NAMED_FAILURES} more",
                     cell="—", field="—")


def summarize(control: DisclosureControl, cells: pd.DataFrame, result: SuppressionResult) -> dict:
    """k, margins, suppressed cells per kind and per field, the audit: no value, no p."""
    ours = ~cells["_margin"]
    status = result.status[ours]
    per_field: dict[str, dict[str, int]] = {}
    for (number, measure), field in measure_names(control).items():
        present = ours & (cells["_cell"] == number) & cells[measure].notna()
        per_field[field] = {kind: int((present & (result.status == kind)).sum())
                            for kind in (PRIMARY, COMPLEMENTARY, CARRIED)}
    return {
        "k": control.k,
        "k_by_level": dict(control.k_by_level),
        "margin": {"count": control.margin.count, "amount_relative": control.margin.amount_relative},
        "margins_public": control.margins_public,
        "complementary": control.complementary,
        "cells": int(ours.sum()),
        "public_margins": int((~ours).sum()),
        "suppressed_cells": {kind: int((status == kind).sum()) for kind in (PRIMARY, COMPLEMENTARY, CARRIED)},
        "published_cells": int((status == PUBLISHED).sum()),
        "suppressed": per_field,
        "audit": {"passed": result.audit.passed, "values_checked": len(result.audit.cells),
                  "failed": len(dict.fromkeys((c.cell, c.measure) for c in result.audit.failures))},
    }
