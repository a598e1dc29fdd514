"""Statistical disclosure control for published aggregates: small cells suppressed, provably.

What it is for: the relief tables publish counts of households or persons and amounts paid
per region, level, category and period. A count of 1 household in a village identifies a
family (数据汇聚引发泄密风险), so such cells are hidden, and enough other cells with them that
no hidden value can be worked back out of the published totals (BRIEF.md, "Disclosure rules
the product applies", rules 3 and 4).

The table is long: one row per cell, a unique index naming the cell, key columns (region
code, level, category, period, ...), one or more count measures (e.g. `count`, or
`households` and `persons`; may be missing for amount-only cells) and amount measures
(`amount`). The additive structure is a list of `Constraint`s "total = sum(parts)";
`hierarchy_constraints` builds the usual ones (region hierarchy x categories with a category
total); add your own for other tables of the release or the previous period.

Steps (`suppress` runs them all):
1. Primary suppression (`primary_suppression`): a cell with any count in 1..k-1 (k per level,
   e.g. 5, or 10 below township) is suppressed, all its measures with it, so its amount
   goes too. Zero is published. An amount-only cell (no count, e.g. 临时救助 or 医疗救助
   amounts) is suppressed by the p% dominance rule: when the rest of the cell after its two
   largest contributions (`top1`, `top2` columns) is less than p% of the largest, the second
   contributor could estimate the largest within p%. p is kept out of the summary
   (`SuppressionResult.confidential_parameters`).
2. Protection margins (`protection_levels`): a sensitive count must stay uncertain by at
   least ±k (or a declared absolute / relative margin), an amount by a relative margin (and,
   for a dominance cell, by at least what the p% rule requires).
3. Complementary suppression (`complementary_suppression`): for each sensitive value that the
   audit LP finds too narrow, solve a small mixed-integer program (the single-cell model of
   Fischetti and Salazar): choose the cheapest set of extra cells such that there exist two
   consistent tables, one with the sensitive value raised by its margin and one with it
   lowered, that differ from the true table only in suppressed cells. Only cells within a
   few constraint hops of the sensitive one are candidates (the radius grows when that is
   not enough). Suppressing more never narrows any interval, so after every sensitive value
   has been handled once, all are protected; a final full audit proves it. Cost of a cell
   is 1 + its value relative to the measure's mean (fewest cells, small ones preferred), or
   the table's `cost` column if given. Cells suppressed in the previous release can be
   carried over (`keep_suppressed`) so patterns stay stable across periods, and cells
   already public elsewhere (`already_published`) are never chosen.
4. Audit (`gongkai.anonymize.audit`): the LP interval of every suppressed value given
   everything published; see that module for why LP and how counts are rounded.
5. Output (`mark_for_publication`): suppressed values become null with a companion flag
   column `<measure>_flag` = "C"; never 0, never a blank without a flag.

A suppressed cell hides all its measures: publishing the amount of a hidden count would
give the count back roughly (amount ≈ persons x the published average top-up).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from gongkai.schema import CONFIDENTIAL_FLAG
from gongkai.anonymize.audit import (
    PUBLISHED, AuditResult, Constraint, ConstraintSystem, audit, cell_bounds, margin_met,
    variable_cap,
)

PRIMARY, COMPLEMENTARY, CARRIED = "primary", "complementary", "carried"
# Where to look for protecting cells, tried in turn: (constraint hops from the sensitive cell,
# cheapest published cells taken per constraint or None for all). Two hops close the 4-cell
# cycle of a two-way table; the cheapest few per constraint keep the MIP small on wide tables
# (the optimum nearly always uses cheap cells); None hops = the cell's whole component.
SEARCH_PLAN = ((2, 8), (2, None), (4, None), (None, None))
MIP_TIME_LIMIT = 30.0  # seconds per sensitive cell; the best pattern found by then is used


@dataclass(frozen=True)
class ProtectionMargin:
    """How uncertain a suppressed value must stay, both ways: max(absolute, relative x value).

    `absolute=None` means the cell's k (for counts: "somewhere within ±k").
    """

    absolute: float | None = None
    relative: float = 0.0

    def required(self, value: float, k: int) -> float:
        absolute = k if self.absolute is None else self.absolute
        return max(float(absolute), self.relative * abs(value))


@dataclass(frozen=True)
class SuppressionRules:
    k: int = 5
    k_by_level: Mapping[str, int] = field(default_factory=dict)   # e.g. {"village": 10}
    level_column: str = "level"
    counts: tuple[str, ...] = ("count",)    # measures subject to the threshold rule
    amounts: tuple[str, ...] = ("amount",)  # measures suppressed with their cell
    dominance_measure: str = "amount"       # the amount `top1`/`top2` refer to
    dominance_p: float = 0.10               # p% rule; never published
    count_margin: ProtectionMargin = ProtectionMargin()
    amount_margin: ProtectionMargin = ProtectionMargin(absolute=0.0, relative=0.10)

    def measures_in(self, table: pd.DataFrame) -> list[str]:
        return [m for m in (*self.counts, *self.amounts) if m in table.columns]

    def k_per_cell(self, table: pd.DataFrame) -> pd.Series:
        if self.level_column not in table.columns:
            return pd.Series(self.k, index=table.index)
        return table[self.level_column].map(lambda level: self.k_by_level.get(level, self.k))

    def margin_for(self, measure: str) -> ProtectionMargin:
        return self.count_margin if measure in self.counts else self.amount_margin


@dataclass(frozen=True)
class SuppressionResult:
    table: pd.DataFrame        # the input, unchanged
    status: pd.Series          # per cell: "" published, "primary", "complementary" or "carried"
    protection: pd.DataFrame   # required margin per sensitive value (NaN elsewhere); internal
    audit: AuditResult
    rules: SuppressionRules

    def summary(self) -> dict:
        """For the anonymization report: parameters, counts and the audit; no suppressed values."""
        margins = {m: margin_summary(self.rules.margin_for(m)) for m in self.protection.columns}
        suppressed = {
            m: {kind: int(((self.status == kind) & self.table[m].notna()).sum())
                for kind in (PRIMARY, COMPLEMENTARY, CARRIED)}
            for m in self.protection.columns
        }
        return {
            "k": self.rules.k,
            "k_by_level": dict(self.rules.k_by_level),
            "margin": margins,
            "cells": len(self.table),
            "suppressed_cells": int((self.status != PUBLISHED).sum()),
            "suppressed": suppressed,
            "audit": {
                "passed": self.audit.passed,
                "values_checked": len(self.audit.cells),
                "failed": len(self.audit.failures),
                "failing_cells": [str(c) for c in self.audit.failing_cells],
            },
        }

    def confidential_parameters(self) -> dict:
        """Parameters that must not be published: knowing p helps a contributor estimate others."""
        return {"dominance_p": self.rules.dominance_p}


class DisclosureAuditFailed(Exception):
    """A table whose audit failed must not be published."""


def margin_summary(margin: ProtectionMargin) -> dict:
    return {"absolute": "k" if margin.absolute is None else margin.absolute,
            "relative": margin.relative}


# ---------------------------------------------------------------------------------------
# Constraints
# ---------------------------------------------------------------------------------------

def hierarchy_constraints(table: pd.DataFrame, parent_of: Mapping[Hashable, Hashable], *,
                          region: str = "region_code", category: str = "category",
                          category_total: Hashable | None = "total",
                          by: Sequence[str] = ("period",)) -> list[Constraint]:
    """Constraints of a region hierarchy crossed with categories, for each value of `by`.

    parent_of maps each region to its parent (village → township → county); every parent
    equals the sum of its children in each category, and, if `category_total` is given,
    every region's total category equals the sum of its other categories.
    """
    by = [c for c in by if c in table.columns]
    cell_of = {key: label for key, label in
               zip(table[[region, category, *by]].itertuples(index=False, name=None), table.index)}
    children: dict[Hashable, list[Hashable]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    groups = table[by].drop_duplicates().itertuples(index=False, name=None) if by else [()]
    categories = table[category].unique().tolist()
    parts_of_total = [c for c in categories if c != category_total]

    def cell(r, c, rest):
        try:
            return cell_of[(r, c, *rest)]
        except KeyError:
            raise ValueError(f"the table has no cell for {region}={r!r}, {category}={c!r}"
                             + "".join(f", {k}={v!r}" for k, v in zip(by, rest))) from None

    constraints = []
    for rest in groups:
        where = "".join(f" {v}" for v in rest)
        for parent, kids in children.items():
            for c in categories:
                constraints.append(Constraint(cell(parent, c, rest), tuple(cell(k, c, rest) for k in kids),
                                              name=f"{parent} = sum of its {len(kids)} children, {c}{where}"))
        if category_total is not None and category_total in categories:
            regions = set(parent_of) | set(children)
            for r in sorted(regions, key=str):
                constraints.append(Constraint(cell(r, category_total, rest),
                                              tuple(cell(r, c, rest) for c in parts_of_total),
                                              name=f"{r} {category_total} = sum of categories{where}"))
    return constraints


# ---------------------------------------------------------------------------------------
# Primary suppression and margins
# ---------------------------------------------------------------------------------------

def primary_suppression(table: pd.DataFrame, rules: SuppressionRules = SuppressionRules()) -> pd.Series:
    """Status per cell: "primary" for small counts and dominated amount-only cells, else ""."""
    small = small_count_cells(table, rules)
    dominated = dominated_cells(table, rules)
    return pd.Series(np.where(small | dominated, PRIMARY, PUBLISHED), index=table.index, dtype=object)


def small_count_cells(table: pd.DataFrame, rules: SuppressionRules) -> pd.Series:
    k = rules.k_per_cell(table)
    small = pd.Series(False, index=table.index)
    for measure in (m for m in rules.counts if m in table.columns):
        value = table[measure]
        small |= (value >= 1) & (value < k).fillna(False)  # zero and missing stay published
    return small.fillna(False).astype(bool)


def amount_only(table: pd.DataFrame, rules: SuppressionRules) -> pd.Series:
    counts = [m for m in rules.counts if m in table.columns]
    has_count = table[counts].notna().any(axis=1) if counts else pd.Series(False, index=table.index)
    return ~has_count & table.get(rules.dominance_measure, pd.Series(np.nan, index=table.index)).notna()


def dominance_sensitivity(table: pd.DataFrame, rules: SuppressionRules) -> pd.Series:
    """p% rule: how far (in amount) the second contributor could be from estimating the first.

    Positive = sensitive. Without `top2` the worst case is assumed: the second contributor
    holds as much as it possibly could.
    """
    amount_only_cells = amount_only(table, rules)
    if not amount_only_cells.any():
        return pd.Series(np.nan, index=table.index)
    if "top1" not in table.columns:
        raise ValueError("amount-only cells need their largest contribution in a `top1` column "
                         "(and `top2`) for the p% dominance rule")
    total = table[rules.dominance_measure].astype(float)
    top1 = table["top1"].astype(float)
    missing = amount_only_cells & top1.isna() & (total > 0)
    if missing.any():
        raise ValueError(f"`top1` is missing for amount-only cells {list(table.index[missing][:5])}")
    top2 = table["top2"].astype(float) if "top2" in table.columns else pd.Series(np.nan, index=table.index)
    top2 = top2.fillna(np.minimum(top1, total - top1))
    rest = total - top1 - top2
    sensitivity = rules.dominance_p * top1 - rest
    return sensitivity.where(amount_only_cells & (total > 0))


def dominated_cells(table: pd.DataFrame, rules: SuppressionRules) -> pd.Series:
    return (dominance_sensitivity(table, rules) > 0).fillna(False).astype(bool)


def protection_levels(table: pd.DataFrame, status: pd.Series,
                      rules: SuppressionRules = SuppressionRules()) -> pd.DataFrame:
    """Required margin for each measure of each primary cell (NaN where none is required)."""
    primary = status == PRIMARY
    k = rules.k_per_cell(table)
    sensitivity = dominance_sensitivity(table, rules).fillna(0.0)
    levels = {}
    for measure in rules.measures_in(table):
        values = table[measure].astype(float)
        margin = rules.margin_for(measure)
        required = pd.Series([margin.required(v, kk) for v, kk in zip(values.fillna(0.0), k)],
                             index=table.index)
        if measure in rules.counts:
            required = np.ceil(required)  # a count's bounds are whole numbers
        if measure == rules.dominance_measure:
            required = np.maximum(required, sensitivity)
        levels[measure] = required.where(primary & values.notna())
    return pd.DataFrame(levels, index=table.index)


# ---------------------------------------------------------------------------------------
# Complementary suppression
# ---------------------------------------------------------------------------------------

def complementary_suppression(table: pd.DataFrame, system: ConstraintSystem, status: pd.Series,
                              protection: pd.DataFrame, rules: SuppressionRules = SuppressionRules(),
                              already_published: Collection[Hashable] = ()) -> pd.Series:
    """Status with enough cells marked "complementary" that every sensitive value is protected."""
    status = status.copy()
    frozen = np.asarray(table.index.isin(list(already_published)))
    clash = frozen & (status != PUBLISHED).to_numpy()
    if clash.any():
        raise ValueError(f"cells both suppressed and already published: {list(table.index[clash][:5])}")
    suppressed = (status != PUBLISHED).to_numpy().copy()  # updated as cells are chosen
    for measure in protection.columns:
        values = table[measure].to_numpy(dtype=float, na_value=np.nan)
        cost = cell_costs(table, values)
        rows_ok = system.applicable_rows(values)
        required = protection[measure].to_numpy()
        for cell in sensitive_order(values, required):
            if is_protected(system, values, suppressed, rows_ok, cell, required[cell],
                            integer=measure in rules.counts):
                continue
            chosen = protecting_cells(system, values, suppressed, frozen, rows_ok, cost, cell, required[cell])
            suppressed[chosen] = True
            status.iloc[chosen] = COMPLEMENTARY
    return status


def sensitive_order(values: np.ndarray, required: np.ndarray) -> list[int]:
    """Largest sensitive values first: their patterns tend to protect the smaller ones too."""
    cells = np.flatnonzero(~np.isnan(required) & ~np.isnan(values))
    return cells[np.argsort(-values[cells], kind="stable")].tolist()


def cell_costs(table: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Information lost by suppressing each cell: 1 + value / mean value (or the `cost` column)."""
    if "cost" in table.columns:
        return table["cost"].to_numpy(dtype=float)
    positive = values[values > 0]
    scale = positive.mean() if len(positive) else 1.0
    return 1.0 + np.nan_to_num(values) / scale


def is_protected(system: ConstraintSystem, values: np.ndarray, suppressed: np.ndarray,
                 rows_ok: np.ndarray, cell: int, margin: float, integer: bool) -> bool:
    """The audit for one cell, on the suppressed cells linked to it only."""
    component = system.reachable(cell, rows_ok, suppressed)
    if margin > 0 and len(component) == 1 and rows_ok[system.rows_of(cell)].any():
        return False  # the only unknown of a usable equation: known exactly, no LP needed
    lower, upper = cell_bounds(system, values, component, rows_ok, cell,
                               cap=variable_cap(values, margin), integer=integer)
    return margin_met(values[cell], lower, upper, margin)


def protecting_cells(system: ConstraintSystem, values: np.ndarray, suppressed: np.ndarray,
                     frozen: np.ndarray, rows_ok: np.ndarray, cost: np.ndarray,
                     cell: int, margin: float) -> np.ndarray:
    """Cheapest published cells whose suppression protects `cell`, searched in a growing radius."""
    candidate = ~suppressed & ~frozen & ~np.isnan(values)
    for hops, per_row in SEARCH_PLAN:
        neighbourhood = nearby_cells(system, cell, rows_ok, suppressed, candidate, cost, hops, per_row)
        chosen = solve_protection_mip(system, values, suppressed, frozen, rows_ok, cost,
                                      cell, margin, neighbourhood)
        if chosen is not None:
            return chosen
    raise RuntimeError(f"cell {system.index[cell]!r} cannot be protected by suppressing more cells "
                       "(are the cells around it already published elsewhere?)")


def nearby_cells(system: ConstraintSystem, cell: int, rows_ok: np.ndarray, suppressed: np.ndarray,
                 candidate: np.ndarray, cost: np.ndarray, hops: int | None,
                 per_row: int | None) -> np.ndarray:
    """Suppressed and candidate cells within `hops` constraints of `cell`, cheapest `per_row` per constraint."""
    seen, frontier, hop, expanded = {cell}, [cell], 0, set()
    while frontier and (hops is None or hop < hops):
        reached = []
        for here in frontier:
            for row in system.rows_of(here):
                if not rows_ok[row] or row in expanded:  # a row gives the same cells every time
                    continue
                expanded.add(row)
                members = system.cells_of(row)
                free = members[candidate[members]]
                if per_row is not None and len(free) > per_row:
                    free = free[np.argpartition(cost[free], per_row)[:per_row]]
                for other in (*members[suppressed[members]], *free):
                    if other not in seen:
                        seen.add(other)
                        reached.append(other)
        frontier, hop = reached, hop + 1
    return np.array(sorted(seen))


def solve_protection_mip(system: ConstraintSystem, values: np.ndarray, suppressed: np.ndarray,
                         frozen: np.ndarray, rows_ok: np.ndarray, cost: np.ndarray,
                         cell: int, margin: float, neighbourhood: np.ndarray) -> np.ndarray | None:
    """The single-cell protection MIP on a neighbourhood; None if it has no solution there.

    Unknowns: deviations up[j], down[j] of each neighbourhood cell from its true value (two
    alternative tables a reader cannot rule out) and a binary pick[j] per candidate cell.
    Both deviation vectors keep every constraint (matrix @ d = 0) and non-negativity
    (d >= -value); a published cell cannot move (d = 0 unless picked); up[cell] >= margin and
    down[cell] <= -min(margin, value). Minimise the cost of the picked cells.
    """
    movable = suppressed[neighbourhood]
    candidate = ~movable & ~frozen[neighbourhood]
    cells = neighbourhood[movable | candidate]
    picks = np.flatnonzero(~suppressed[cells])              # positions within `cells`
    n, npick = len(cells), len(picks)
    rows = np.unique(np.concatenate([system.rows_of(c) for c in cells]))
    rows = rows[rows_ok[rows]]
    # published cells outside `cells` are fixed at their values: their deviation is 0
    block = system.matrix[rows][:, cells]
    v = values[cells]
    cap = variable_cap(values, margin)
    big_m = 4.0 * margin + 1.0  # a protecting deviation moves each cell by about the margin
    target = int(np.flatnonzero(cells == cell)[0])

    zeros_rp = sp.csr_matrix((len(rows), npick))
    equalities = sp.bmat([[block, None, zeros_rp], [None, block, zeros_rp]], format="csr")
    link = sp.csr_matrix((np.ones(npick), (np.arange(npick), picks)), shape=(npick, n))
    m_diag = sp.diags(np.full(npick, big_m))
    v_diag = sp.diags(v[picks])
    z = sp.csr_matrix((npick, n))
    # d - M pick <= 0 and d + value pick >= 0, for up and for down
    linking = sp.bmat([[link, z, -m_diag], [z, link, -m_diag],
                       [link, z, v_diag], [z, link, v_diag]], format="csr")
    inf = np.inf
    constraints = [
        LinearConstraint(equalities, 0.0, 0.0),
        LinearConstraint(linking, np.r_[np.full(2 * npick, -inf), np.zeros(2 * npick)],
                         np.r_[np.zeros(2 * npick), np.full(2 * npick, inf)]),
    ]
    lower = np.r_[-v, -v, np.zeros(npick)]
    upper = np.r_[np.full(n, cap), np.full(n, cap), np.ones(npick)]
    lower[target] = margin
    upper[n + target] = -min(margin, values[cell])
    objective = np.r_[np.zeros(2 * n), cost[cells[picks]]]
    integrality = np.r_[np.zeros(2 * n), np.ones(npick)]
    result = milp(objective, constraints=constraints, bounds=Bounds(lower, upper),
                  integrality=integrality, options={"time_limit": MIP_TIME_LIMIT})
    if result.x is None:
        return None
    return cells[picks[result.x[2 * n:] > 0.5]]


# ---------------------------------------------------------------------------------------
# The whole step, and the publishable table
# ---------------------------------------------------------------------------------------

def suppress(table: pd.DataFrame, constraints: Sequence[Constraint],
             rules: SuppressionRules = SuppressionRules(), *,
             keep_suppressed: Iterable[Hashable] = (), already_published: Iterable[Hashable] = (),
             complementary: bool = True, batched_audit: bool = True) -> SuppressionResult:
    """Primary and complementary suppression of `table`, and the audit that proves it.

    keep_suppressed: cells suppressed in the previous release, kept suppressed ("carried").
    already_published: cells public elsewhere; they inform the audit and are never chosen.
    complementary=False skips step 3 (for tests and reports of what the audit would catch).
    """
    system = ConstraintSystem(table.index, constraints)
    measures = rules.measures_in(table)
    if not measures:
        raise ValueError(f"the table has none of the measures {rules.counts + rules.amounts}")
    for measure in measures:
        system.check_consistent(measure, table[measure].to_numpy(dtype=float, na_value=np.nan))
    status = primary_suppression(table, rules)
    protection = protection_levels(table, status, rules)
    status[table.index.isin(list(keep_suppressed)) & (status == PUBLISHED)] = CARRIED
    if complementary:
        status = complementary_suppression(table, system, status, protection, rules,
                                           set(already_published))
    result = audit(table, system, status, protection, integer_measures=rules.counts,
                   batched=batched_audit)
    return SuppressionResult(table, status, protection, result, rules)


def mark_for_publication(result: SuppressionResult) -> pd.DataFrame:
    """The publishable table: suppressed values null, `<measure>_flag` "C"; refuses a failed audit.

    The contributions used by the dominance rule (`top1`, `top2`) and any `cost` column are
    dropped: they are confidential inputs, not figures.
    """
    if not result.audit.passed:
        raise DisclosureAuditFailed(str(result.audit))
    suppressed = (result.status != PUBLISHED).to_numpy()
    out = result.table.drop(columns=[c for c in ("top1", "top2", "cost") if c in result.table.columns])
    for measure in result.rules.measures_in(out):
        hidden = suppressed & out[measure].notna().to_numpy()
        out[measure] = nullable(out[measure]).mask(hidden)
        out[f"{measure}_flag"] = pd.Series(np.where(hidden, CONFIDENTIAL_FLAG, None), index=out.index,
                                           dtype="string")
    return out


def nullable(column: pd.Series) -> pd.Series:
    """Whole numbers as Int64, others as Float64: a hidden value is <NA>, never NaN mistaken for a number."""
    as_float = column.astype("Float64")
    whole = as_float.dropna()
    return as_float.astype("Int64") if (whole == whole.round()).all() else as_float
