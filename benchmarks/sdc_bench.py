"""Benchmark statistical disclosure control: cell suppression and its audit on a county and a province.

    python benchmarks/sdc_bench.py              (or: make bench-sdc: the county, about 30 s)
    python benchmarks/sdc_bench.py --province   (or: make bench-sdc-province: the province too, ~7 minutes)

What it measures, on deterministic synthetic tables (numpy's default_rng with a fixed seed;
no spreadsheet, no Prefect, no portal): `gongkai.anonymize.suppress` step by step.

  * county: one county with 40 townships, 10 relief categories and their total, 12 months:
    41 regions x 11 categories x 12 = 5,412 cells (county = sum of townships, total = sum
    of categories, per month);
  * province: a province, 16 prefectures, 128 counties, 1,280 townships (1,425 regions) x
    5 categories and their total x 12 months = 102,600 cells.

Counts per township are drawn so that about one cell in ten is below k = 5 (rare categories
in small townships), amounts are count x a per-category monthly amount.

Steps timed: primary suppression (the baseline: the threshold and dominance rules alone,
vectorised pandas), complementary suppression (an LP check per sensitive value, and a MIP
on its neighbourhood when the check fails), and the final audit, batched (one cell of every
component of similar size per LP) and one LP per suppressed value and direction. What bounds
the audit is the number and size of the components (groups of suppressed cells linked by
constraints), printed with it. Best of REPEATS runs for the fast steps, one run for the
solver steps (deterministic inputs; HiGHS is deterministic too). `--per-cell` also times the
one-LP-per-value audit on the province (about 116,000 LPs; several minutes).

2026-11-23, 2 cores (AMD EPYC), load average ~1.7 (other sessions busy), ~15 minutes in all:

    table     step                                    seconds  notes
    county    hierarchy_constraints + matrix            0.249  624 constraints
    county    primary suppression (baseline)            0.017  844 primary
    county    complementary suppression                75.317  380 complementary
    county    audit, batched LPs                        7.661  2,448 values, passed; 12 components, largest 110
    county    audit, one LP per value and direction    13.825  4,896 LPs, same intervals
    province  hierarchy_constraints + matrix            1.3    27,540 constraints (10.6 s before one get_indexer)
    province  primary suppression (baseline)            0.258  16,342 primary
    province  complementary suppression               741.246  12,745 complementary
    province  audit, batched LPs                       98.121  58,174 values, passed; 1,539 components, largest 30

What bounds it: complementary suppression is one LP check per sensitive value (~5 ms) plus,
when that fails, one MIP on the cell's neighbourhood (~50 ms, mostly HiGHS's root node);
the audit is LPs solved from scratch. The synthetic data are harsh (16% of cells below k);
months are independent, so a real run can split them across processes.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from gongkai.anonymize.audit import ConstraintSystem, audit, components_of, reduced_system  # noqa: E402
from gongkai.anonymize.suppress import (  # noqa: E402
    SuppressionRules, complementary_suppression, hierarchy_constraints, primary_suppression,
    protection_levels,
)

SEED = 20240301
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
REPEATS = 5
RULES = SuppressionRules()


def build_table(parent_of: dict, leaves: list[str], categories: dict[str, tuple[float, float]],
                rng: np.random.Generator) -> pd.DataFrame:
    """Leaf counts drawn per category (mean count, monthly amount per person), parents summed."""
    frames = []
    leaf_index = pd.Index(leaves)
    base = {c: rng.gamma(0.8, mean / 0.8, size=len(leaves)) for c, (mean, _) in categories.items()}
    for month in MONTHS:
        per_category = []
        for category, (mean, amount) in categories.items():
            counts = pd.Series(rng.poisson(base[category]), index=leaf_index, dtype=float)
            per_category.append(roll_up(counts, parent_of).rename(category))
        wide = pd.concat(per_category, axis=1)
        wide["total"] = wide.sum(axis=1)
        long = wide.stack().rename("count").reset_index()
        long.columns = ["region_code", "category", "count"]
        long["period"] = month
        frames.append(long)
    table = pd.concat(frames, ignore_index=True)
    per_person = {c: a for c, (_, a) in categories.items()}
    by_cell = table["category"].map(per_person)
    table["amount"] = table["count"] * by_cell
    total_amount = table[table["category"] != "total"].groupby(["region_code", "period"])["amount"].sum()
    is_total = table["category"] == "total"
    table.loc[is_total, "amount"] = total_amount.reindex(
        pd.MultiIndex.from_frame(table.loc[is_total, ["region_code", "period"]])).to_numpy()
    table.index = table["region_code"] + "/" + table["category"] + "/" + table["period"]
    return table


def roll_up(leaf_counts: pd.Series, parent_of: dict) -> pd.Series:
    """Every region's count: leaves as drawn, each parent the sum of its children."""
    counts = leaf_counts.to_dict()
    level = list(leaf_counts.index)
    while level:
        parents = {}
        for child in level:
            if child in parent_of:
                parent = parent_of[child]
                parents[parent] = parents.get(parent, 0.0) + counts[child]
        counts.update(parents)
        level = list(parents)
    return pd.Series(counts)


def county() -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(SEED)
    townships = [f"5323990{n:02d}000" for n in range(1, 41)]
    parent_of = {t: "532399000000" for t in townships}
    categories = {f"cat{c:02d}": (mean, 300.0 + 20 * c) for c, mean in
                  enumerate([120, 80, 40, 25, 15, 12, 9, 7, 30, 60])}
    return build_table(parent_of, townships, categories, rng), parent_of


def province() -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(SEED + 1)
    parent_of, townships = {}, []
    for p in range(1, 17):
        prefecture = f"53{p:02d}00000000"
        parent_of[prefecture] = "530000000000"
        for c in range(1, 9):
            county_code = f"53{p:02d}{c:02d}000000"
            parent_of[county_code] = prefecture
            for t in range(1, 11):
                township = f"53{p:02d}{c:02d}{t:03d}000"
                parent_of[township] = county_code
                townships.append(township)
    categories = {"城市低保": (25, 700.0), "农村低保": (90, 450.0), "特困人员": (12, 900.0),
                  "临时救助": (8, 1200.0), "医疗救助": (15, 600.0)}
    return build_table(parent_of, townships, categories, rng), parent_of


def best_of(repeats: int, step):
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = step()
        best = min(best, time.perf_counter() - start)
    return best, value


def once(step):
    start = time.perf_counter()
    value = step()
    return time.perf_counter() - start, value


def component_sizes(system, table, status) -> list[int]:
    values = table["count"].to_numpy(dtype=float)
    matrix, _, variables = reduced_system(system, values, (status != "").to_numpy())
    if not len(variables):
        return []
    _, labels = components_of(matrix)
    return np.bincount(labels).tolist()


def bench(name: str, table: pd.DataFrame, parent_of: dict, per_cell_audit: bool) -> list[tuple]:
    print(f"\n{name}: {len(table):,} cells", flush=True)
    t_constraints, constraints = best_of(REPEATS, lambda: hierarchy_constraints(table, parent_of))
    t_system, system = best_of(REPEATS, lambda: ConstraintSystem(table.index, constraints))
    t_primary, (status, protection) = best_of(REPEATS, lambda: (
        lambda s: (s, protection_levels(table, s, RULES)))(primary_suppression(table, RULES)))
    primary = int((status == "primary").sum())
    print(f"  {len(constraints):,} constraints; {primary:,} primary cells", flush=True)
    t_complementary, status = once(lambda: complementary_suppression(table, system, status, protection, RULES))
    complementary = int((status == "complementary").sum())
    print(f"  complementary: {complementary:,} cells in {t_complementary:.2f} s", flush=True)
    sizes = component_sizes(system, table, status)
    t_audit, result = once(lambda: audit(table, system, status, protection, integer_measures=RULES.counts))
    rows = [
        (name, "hierarchy_constraints + matrix", t_constraints + t_system, f"{len(constraints):,} constraints"),
        (name, "primary suppression (baseline)", t_primary, f"{primary:,} primary"),
        (name, "complementary suppression", t_complementary, f"{complementary:,} complementary"),
        (name, "audit, batched LPs", t_audit,
         f"{len(result.cells):,} values, passed={result.passed}; {len(sizes):,} components, largest {max(sizes, default=0)}"),
    ]
    if per_cell_audit:
        t_each, each = once(lambda: audit(table, system, status, protection,
                                          integer_measures=RULES.counts, batched=False))
        same = each.to_frame().equals(result.to_frame())
        rows.append((name, "audit, one LP per value and direction", t_each,
                     f"{2 * len(each.cells):,} LPs, same intervals={same}"))
    return rows


def main() -> None:
    print(f"sdc_bench: {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    rows = bench("county", *county(), per_cell_audit=True)
    if "--province" in sys.argv:   # ~7 minutes: kept out of `make bench`, which must stay under 15
        rows += bench("province", *province(), per_cell_audit="--per-cell" in sys.argv)
    print()
    print(f"{'table':<9} {'step':<38} {'seconds':>8}  ratio to baseline  notes")
    baseline = {name: s for name, step, s, _ in rows if "baseline" in step}
    for name, step, seconds, notes in rows:
        ratio = f"{seconds / baseline[name]:>10.0f}x" if "baseline" not in step else f"{'':>11}"
        print(f"{name:<9} {step:<38} {seconds:>8.3f}  {ratio:<17}  {notes}")


if __name__ == "__main__":
    main()
