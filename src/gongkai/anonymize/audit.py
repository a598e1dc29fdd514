"""Disclosure audit: how closely can a reader pin down each suppressed cell from what is published?

A release publishes some cells and suppresses others, and its figures obey linear
constraints "total = sum(parts)" (row and column totals, subtotals, the village → township →
county hierarchy, the same cell in two tables of the release, a period's figures linked to
the previous release). A reader who knows the published values, the constraints and that
every value is non-negative can bound each suppressed cell by two linear programs: minimise
it and maximise it over everything consistent with the release. This module computes that
interval for every suppressed cell of every measure and checks it against the cell's
protection margin: the interval must reach at least `margin` above the true value and at
least `margin` below it (or down to 0 when the value is smaller than the margin).

Why linear programming and not integer programming: the reader's best integer interval lies
inside the LP interval, so an LP interval wide enough does not by itself prove the integer
one is. For integer measures (counts) the LP bounds are therefore rounded inward (max down,
min up) before the margin is checked; for one hierarchy crossed with categories (the common
case, a network-like matrix) the LP vertices are integral and the rounded LP interval is the
integer one. For linked tables where that does not hold, `exact_integer=True` solves the
bounds as integer programs (slower, exact).

How it is solved: only suppressed cells are variables (published cells are constants moved
to the right-hand side), so the LP splits into independent components, the groups of
suppressed cells linked through shared constraints. Batched mode (the default) bounds one
cell of every component of similar size in the same LP (the components are separable, so
minimising the sum minimises each), which needs at most 4 × (largest component size) LPs
instead of 2 × (suppressed cells). What bounds it at scale: each LP is solved from scratch
(scipy cannot warm-start), so a batched LP over a province's thousands of components costs
about a second; see benchmarks/sdc_bench.py. Variables get a generous finite cap instead of +inf so that one unbounded cell cannot
make a batched LP unbounded; an upper bound at the cap is reported as infinite.

Solver: HiGHS through scipy.optimize.milp (scipy is already a dependency; its HiGHS handles
both these LPs and the MIPs of complementary suppression).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

PUBLISHED = ""  # status of a published cell; anything else means suppressed
ROUNDING_TOLERANCE = 1e-6  # LP bounds within this of an integer count as that integer


@dataclass(frozen=True)
class Constraint:
    """One additive relation the published figures obey: value(total) = sum(value(parts)).

    Cells are named by their label in the table's index. The same relation holds for every
    measure whose value is present in all of its cells (a count total over categories that
    include amount-only ones does not apply to the count). Build the common ones with
    `gongkai.anonymize.suppress.hierarchy_constraints`; add your own for other tables of the
    release (`Constraint(total=cell_in_table_a, parts=(same_cell_in_table_b,))`) or for
    figures linked to the previous period.
    """

    total: Hashable
    parts: tuple[Hashable, ...]
    name: str = ""


class ConstraintSystem:
    """The constraints as one sparse matrix over cell positions: each row sums to zero."""

    def __init__(self, index: pd.Index, constraints: Sequence[Constraint]):
        if not index.is_unique:
            raise ValueError("the table's index must name each cell once (it is duplicated)")
        self.index = index
        self.constraints = list(constraints)
        labels = [label for c in self.constraints for label in (c.total, *c.parts)]
        sizes = np.array([1 + len(c.parts) for c in self.constraints], dtype=int)
        rows = np.repeat(np.arange(len(self.constraints)), sizes)
        cols = index.get_indexer(labels) if labels else np.zeros(0, dtype=int)
        first = np.r_[0, np.cumsum(sizes)[:-1]] if len(sizes) else np.zeros(0, dtype=int)
        coefs = -np.ones(len(labels))
        coefs[first] = 1.0  # the total; the parts are subtracted
        if (cols < 0).any():
            row = rows[np.flatnonzero(cols < 0)[0]]
            missing = [label for label, col, r in zip(labels, cols, rows) if col < 0 and r == row]
            raise ValueError(f"constraint {self.describe(row)} names cells not in the table: {missing}")
        shape = (len(self.constraints), len(index))
        # duplicates (a cell twice in one constraint) are summed, as the algebra says
        self.matrix = sp.csr_matrix((coefs, (rows, cols)), shape=shape)
        self.by_cell = self.matrix.tocsc()

    def describe(self, row: int) -> str:
        constraint = self.constraints[row]
        return constraint.name or f"{constraint.total!r} = sum of {len(constraint.parts)} parts"

    def applicable_rows(self, values: np.ndarray) -> np.ndarray:
        """Rows every cell of which has a value of this measure."""
        missing = np.isnan(values).astype(float)
        return (abs(self.matrix) @ missing) == 0

    def check_consistent(self, measure: str, values: np.ndarray) -> None:
        """The published figures must satisfy the constraints; if not, the constraints are wrong."""
        rows = np.flatnonzero(self.applicable_rows(values))
        residual = self.matrix[rows] @ np.nan_to_num(values)
        scale = abs(self.matrix[rows]) @ np.abs(np.nan_to_num(values))
        bad = np.flatnonzero(np.abs(residual) > 1e-6 * np.maximum(scale, 1.0))
        if len(bad):
            row = rows[bad[0]]
            raise ValueError(f"{measure}: constraint {self.describe(row)} does not hold "
                             f"(total minus parts = {residual[bad[0]]:g}); "
                             f"{len(bad)} constraint(s) disagree with the table")

    def cells_of(self, row: int) -> np.ndarray:
        return self.matrix.indices[self.matrix.indptr[row]:self.matrix.indptr[row + 1]]

    def rows_of(self, cell: int) -> np.ndarray:
        return self.by_cell.indices[self.by_cell.indptr[cell]:self.by_cell.indptr[cell + 1]]

    def reachable(self, start: int, rows_ok: np.ndarray, allowed: np.ndarray | None,
                  max_hops: int | None = None) -> np.ndarray:
        """Cells reachable from `start` through usable rows, stepping only on `allowed` cells."""
        seen = {start}
        frontier = [start]
        hops = 0
        expanded = set()  # a row adds all its cells the first time: a county row of 2,000 townships once
        while frontier and (max_hops is None or hops < max_hops):
            nxt = []
            for cell in frontier:
                for row in self.rows_of(cell):
                    if not rows_ok[row] or row in expanded:
                        continue
                    expanded.add(row)
                    for other in self.cells_of(row):
                        if other not in seen and (allowed is None or allowed[other]):
                            seen.add(other)
                            nxt.append(other)
            frontier = nxt
            hops += 1
        return np.array(sorted(seen))


@dataclass(frozen=True)
class CellInterval:
    """What a reader can learn about one suppressed value. Internal: it contains the value."""

    cell: Hashable
    measure: str
    status: str
    value: float
    lower: float
    upper: float
    margin: float  # required protection; 0 for cells suppressed only to protect others
    passed: bool


@dataclass(frozen=True)
class AuditResult:
    cells: tuple[CellInterval, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cells)

    @property
    def failures(self) -> list[CellInterval]:
        return [c for c in self.cells if not c.passed]

    @property
    def failing_cells(self) -> list[Hashable]:
        return list(dict.fromkeys(c.cell for c in self.failures))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(c) for c in self.cells],
                            columns=[f for f in CellInterval.__dataclass_fields__])

    def __str__(self) -> str:
        if self.passed:
            return f"disclosure audit passed: {len(self.cells)} suppressed values each protected"
        shown = ", ".join(f"{c.cell!r} ({c.measure})" for c in self.failures[:10])
        more = f" and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        return f"disclosure audit FAILED: recoverable within the margin: {shown}{more}"


def margin_met(value: float, lower: float, upper: float, margin: float) -> bool:
    """The interval reaches `margin` above the value and `margin` below it (or 0, whichever is higher)."""
    slack = 1e-7 * max(1.0, abs(value))
    return upper >= value + margin - slack and lower <= max(0.0, value - margin) + slack


def round_inward(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer bounds implied by LP bounds: a count cannot exceed floor(max) nor fall below ceil(min)."""
    return (np.ceil(lower - ROUNDING_TOLERANCE) + 0.0,  # + 0.0: no "-0.0" in reports
            np.where(np.isinf(upper), upper, np.floor(upper + ROUNDING_TOLERANCE)))


def variable_cap(values: np.ndarray, margins: np.ndarray | float = 0.0) -> float:
    """A finite upper bound for every variable, far above anything a margin can ask for."""
    return 4.0 * (np.nansum(np.abs(values)) + np.nansum(margins)) + 1.0


def solve_bounds(matrix: sp.csr_matrix, rhs: np.ndarray, cap: float, targets: Sequence[np.ndarray],
                 integer: bool) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of the target variables over {matrix @ x = rhs, 0 <= x <= cap}.

    Each entry of `targets` is a set of variables from distinct components, bounded together.
    """
    nvars = matrix.shape[1]
    lower, upper = np.full(nvars, np.nan), np.full(nvars, np.nan)
    constraints = [LinearConstraint(matrix, rhs, rhs)] if matrix.shape[0] else []
    integrality = np.ones(nvars) if integer else None
    for chosen in targets:
        for sense, out in ((1.0, lower), (-1.0, upper)):
            objective = np.zeros(nvars)
            objective[chosen] = sense
            result = milp(objective, constraints=constraints, bounds=Bounds(0.0, cap),
                          integrality=integrality)
            if result.x is None:
                raise RuntimeError(f"the audit LP failed ({result.message}); "
                                   "the published figures contradict the constraints")
            out[chosen] = result.x[chosen]
    upper[upper >= cap * (1 - 1e-9)] = np.inf
    return lower, upper


def reduced_system(system: ConstraintSystem, values: np.ndarray, suppressed: np.ndarray):
    """The reader's equations with only suppressed cells as unknowns: (matrix, rhs, variables)."""
    variables = np.flatnonzero(suppressed & ~np.isnan(values))
    rows = np.flatnonzero(system.applicable_rows(values))
    known = np.where(suppressed, 0.0, np.nan_to_num(values))
    sub = system.matrix[rows]
    matrix = sub[:, variables].tocsr()
    touched = np.diff(matrix.indptr) > 0
    rhs = -(sub[touched] @ known)
    return matrix[touched], rhs, variables


def intervals(system: ConstraintSystem, values: np.ndarray, suppressed: np.ndarray, *,
              integer: bool = False, exact_integer: bool = False, batched: bool = True,
              cap: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, lower, upper) of every suppressed cell that has a value of this measure."""
    matrix, rhs, variables = reduced_system(system, values, suppressed)
    lower, upper = np.zeros(len(variables)), np.zeros(len(variables))
    if not len(variables):
        return variables, lower, upper
    cap = variable_cap(values) if cap is None else cap
    ncomp, component = components_of(matrix)
    members = split_by(component, np.arange(len(variables)), ncomp)
    row_component = component[matrix.indices[matrix.indptr[:-1]]]  # every row has an unknown
    rows_of_component = split_by(row_component, np.arange(matrix.shape[0]), ncomp)
    for group in component_groups([len(m) for m in members], batched):
        cols = np.concatenate([members[c] for c in group])
        rows = np.concatenate([rows_of_component[c] for c in group])
        local = np.empty(len(variables), dtype=int)
        local[cols] = np.arange(len(cols))
        depth = max(len(members[c]) for c in group)
        targets = [local[[members[c][t] for c in group if t < len(members[c])]] for t in range(depth)]
        lo, hi = solve_bounds(matrix[rows][:, cols], rhs[rows], cap, targets, integer and exact_integer)
        lower[cols], upper[cols] = lo, hi
    if integer:
        lower, upper = round_inward(lower, upper)
    return variables, lower, upper


def cell_bounds(system: ConstraintSystem, values: np.ndarray, component: np.ndarray,
                rows_ok: np.ndarray, cell: int, cap: float, integer: bool) -> tuple[float, float]:
    """Interval of one cell given its component: the suppressed cells linked to it (itself included)."""
    rows = np.unique(np.concatenate([system.rows_of(c) for c in component]))
    rows = rows[rows_ok[rows]]
    block = system.matrix[rows]
    unknowns = block[:, component]
    # everything in these rows outside the component is published
    rhs = unknowns @ values[component] - block @ np.nan_to_num(values)
    target = np.flatnonzero(component == cell)
    lower, upper = solve_bounds(unknowns.tocsr(), rhs, cap, [target], integer=False)
    if integer:
        lower, upper = round_inward(lower, upper)
    return float(lower[target[0]]), float(upper[target[0]])


def components_of(matrix: sp.csr_matrix) -> tuple[int, np.ndarray]:
    """Groups of unknowns linked through shared equations; they can be bounded independently."""
    nrows, nvars = matrix.shape
    incidence = (matrix != 0).astype(np.int8)
    graph = sp.bmat([[None, incidence.T], [incidence, None]], format="csr",
                    dtype=np.int8) if nrows else sp.csr_matrix((nvars, nvars))
    ncomp, labels = connected_components(graph, directed=False)
    variable_labels = labels[:nvars]
    _, compact = np.unique(variable_labels, return_inverse=True)
    return compact.max() + 1, compact


def split_by(labels: np.ndarray, items: np.ndarray, n: int) -> list[np.ndarray]:
    """items grouped by their label 0..n-1, each group in the items' order."""
    order = np.argsort(labels, kind="stable")
    return np.split(items[order], np.searchsorted(labels[order], np.arange(1, n)))


def component_groups(sizes: list[int], batched: bool) -> list[list[int]]:
    """Which components share an LP.

    Batched: components of similar size (within a factor of 2) together, so a round bounds one
    cell of each and no LP carries components already finished; at most 4 x (largest
    component) LPs in all. Unbatched: one component at a time, one LP per cell and direction.
    """
    if not batched:
        return [[c] for c in range(len(sizes))]
    size_class = np.floor(np.log2(np.asarray(sizes))).astype(int)
    return [np.flatnonzero(size_class == k).tolist() for k in np.unique(size_class)]


def audit(table: pd.DataFrame, constraints: ConstraintSystem | Sequence[Constraint],
          status: pd.Series, protection: pd.DataFrame, *,
          integer_measures: Collection[str] = (), exact_integer: bool = False,
          batched: bool = True) -> AuditResult:
    """Interval of every suppressed value of every measure, checked against its margin.

    `status` names why each cell is suppressed ("" when published); `protection` has one
    column per measure with the required margin of each sensitive cell (NaN elsewhere;
    cells suppressed only to protect others need no margin).
    """
    system = constraints if isinstance(constraints, ConstraintSystem) else \
        ConstraintSystem(table.index, constraints)
    status = status.reindex(table.index)
    suppressed = (status != PUBLISHED).to_numpy()
    found = []
    for measure in protection.columns:
        values = table[measure].to_numpy(dtype=float, na_value=np.nan)
        margins = protection[measure].reindex(table.index).fillna(0.0).to_numpy()
        positions, lower, upper = intervals(
            system, values, suppressed, integer=measure in integer_measures,
            exact_integer=exact_integer, batched=batched,
            cap=variable_cap(values, margins))
        for pos, lo, hi in zip(positions, lower, upper):
            found.append(CellInterval(
                cell=table.index[pos], measure=measure, status=status.iloc[pos],
                value=values[pos], lower=float(lo), upper=float(hi), margin=float(margins[pos]),
                passed=margin_met(values[pos], lo, hi, margins[pos])))
    return AuditResult(tuple(found))
