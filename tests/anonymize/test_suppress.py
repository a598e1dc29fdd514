"""Cell suppression: small counts hidden, enough others with them, and an audit that proves it.

The hand-checked examples say which cells must go; the property test checks every result
against an independent reader: one LP over the whole table (every cell a variable, published
ones fixed), written here without the module's reduced systems and components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gongkai.anonymize.audit import Constraint
from gongkai.anonymize.suppress import (
    COMPLEMENTARY, PRIMARY, DisclosureAuditFailed, ProtectionMargin, SuppressionRules,
    hierarchy_constraints, mark_for_publication, primary_suppression, suppress,
)

PERIOD = "2024-03"


def cells(counts: dict, parent_of: dict, levels: dict | None = None, price: float = 300.0,
          category: str = "农村低保") -> pd.DataFrame:
    """One category: leaf counts given, parents summed; amount = count x price."""
    values = dict(counts)
    for region in topological_parents(parent_of):
        values[region] = sum(values[c] for c, p in parent_of.items() if p == region)
    table = pd.DataFrame([{"region_code": r, "level": (levels or {}).get(r, ""), "category": category,
                           "period": PERIOD, "count": v, "amount": v * price} for r, v in values.items()])
    return table.set_index("region_code", drop=False)


def topological_parents(parent_of: dict) -> list:
    """Parents, deepest first, so each is summed after its children."""
    def depth(r):
        return 0 if r not in parent_of else 1 + depth(parent_of[r])
    return sorted(set(parent_of.values()), key=depth, reverse=True)


def reader_interval(table: pd.DataFrame, constraints, suppressed: pd.Series, measure: str, cell):
    """What a reader can learn about `cell` by LP over the whole table: the independent oracle."""
    index = list(table.index)
    n = len(index)
    values = table[measure].astype(float).to_numpy()
    rows = []
    for c in constraints:
        labels = [c.total, *c.parts]
        if any(np.isnan(values[index.index(x)]) for x in labels):
            continue
        row = np.zeros(n)
        row[index.index(c.total)] += 1
        for part in c.parts:
            row[index.index(part)] -= 1
        rows.append(row)
    bounds = [(0, None) if suppressed.iloc[i] else (values[i], values[i]) for i in range(n)]
    bounds = [(0, 0) if np.isnan(values[i]) else b for i, b in enumerate(bounds)]
    objective = np.zeros(n)
    objective[index.index(cell)] = 1
    a_eq = np.array(rows) if rows else None
    b_eq = np.zeros(len(rows)) if rows else None
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    upper = np.inf if high.status == 3 else -high.fun
    return low.fun, upper


def assert_every_sensitive_value_protected(result, constraints):
    suppressed = result.status != ""
    for measure in result.protection.columns:
        for cell, margin in result.protection[measure].dropna().items():
            value = float(result.table.at[cell, measure])
            lower, upper = reader_interval(result.table, constraints, suppressed, measure, cell)
            if measure == "count":
                lower, upper = np.ceil(lower - 1e-6), np.floor(upper + 1e-6)
            assert upper >= value + margin - 1e-6, (cell, measure, value, upper, margin)
            assert lower <= max(0.0, value - margin) + 1e-6, (cell, measure, value, lower, margin)


# ---------------------------------------------------------------------------------------
# Hand-checked examples
# ---------------------------------------------------------------------------------------

TOWNSHIP = {"V1": "T1", "V2": "T1", "V3": "T1", "V4": "T1"}


def test_a_one_household_village_is_suppressed_with_a_sibling_and_a_zero_is_published():
    table = cells({"V1": 1, "V2": 0, "V3": 12, "V4": 20}, TOWNSHIP)
    constraints = hierarchy_constraints(table, TOWNSHIP, category_total=None)
    result = suppress(table, constraints)

    assert result.status["V1"] == PRIMARY
    assert result.status["V2"] == ""               # zero is published, never suppressed
    siblings = result.status[["V3", "V4"]]
    assert (siblings == COMPLEMENTARY).sum() >= 1   # V1 = T1 - V2 - V3 - V4 otherwise
    assert result.status["V3"] == COMPLEMENTARY    # the cheaper sibling
    assert result.audit.passed, str(result.audit)
    assert_every_sensitive_value_protected(result, constraints)


def test_the_amount_of_a_suppressed_count_goes_with_it_and_flags_say_c():
    table = cells({"V1": 1, "V2": 0, "V3": 12, "V4": 20}, TOWNSHIP)
    result = suppress(table, hierarchy_constraints(table, TOWNSHIP, category_total=None))
    out = mark_for_publication(result)

    for cell in ("V1", "V3"):
        assert out.loc[cell, ["count", "amount"]].isna().all()
        assert (out.loc[cell, ["count_flag", "amount_flag"]] == "C").all()
    for cell in ("V2", "V4", "T1"):                # published exactly as given, no flag
        assert out.at[cell, "count"] == table.at[cell, "count"]
        assert out.at[cell, "amount"] == table.at[cell, "amount"]
        assert out.loc[cell, ["count_flag", "amount_flag"]].isna().all()
    assert out.at["V2", "count"] == 0


def test_a_township_total_with_one_suppressed_village_forces_a_second_suppression():
    parent_of = {"V1": "T1", "V2": "T1", "T1": "C", "T2": "C"}
    table = cells({"V1": 3, "V2": 40, "T2": 25}, parent_of)
    result = suppress(table, hierarchy_constraints(table, parent_of, category_total=None))

    assert result.status.to_dict() == {"V1": PRIMARY, "V2": COMPLEMENTARY, "T2": "", "T1": "", "C": ""}
    interval = {(c.cell, c.measure): (c.lower, c.upper) for c in result.audit.cells}
    assert interval[("V1", "count")] == (0.0, 43.0)  # V1 + V2 = 43, all else published


def test_without_complementary_suppression_the_audit_fails_and_names_the_cell():
    parent_of = {"V1": "T1", "V2": "T1", "T1": "C", "T2": "C"}
    table = cells({"V1": 3, "V2": 40, "T2": 25}, parent_of)
    result = suppress(table, hierarchy_constraints(table, parent_of, category_total=None), complementary=False)

    assert not result.audit.passed
    assert result.audit.failing_cells == ["V1"]
    assert "'V1' (count)" in str(result.audit)
    assert result.summary()["audit"]["failing_cells"] == ["V1"]
    with pytest.raises(DisclosureAuditFailed, match="V1"):
        mark_for_publication(result)


def test_complementary_cells_across_the_hierarchy_and_categories():
    # county C > townships T1, T2 > villages; two categories and their total; k = 10 for villages
    parent_of = {"V11": "T1", "V12": "T1", "V21": "T2", "V22": "T2", "T1": "C", "T2": "C"}
    levels = {"V11": "village", "V12": "village", "V21": "village", "V22": "village",
              "T1": "township", "T2": "township", "C": "county"}
    urban = cells({"V11": 7, "V12": 30, "V21": 25, "V22": 40}, parent_of, levels, category="城市")
    rural = cells({"V11": 50, "V12": 60, "V21": 3, "V22": 45}, parent_of, levels, category="农村")
    both = urban.copy()
    both["category"], both["count"] = "total", urban["count"] + rural["count"]
    both["amount"] = urban["amount"] + rural["amount"]
    table = pd.concat([urban, rural, both]).reset_index(drop=True)
    table.index = table["region_code"] + "/" + table["category"]
    constraints = hierarchy_constraints(table, parent_of, category_total="total")
    rules = SuppressionRules(k=5, k_by_level={"village": 10})

    result = suppress(table, constraints, rules)

    # 7 urban is below the village k of 10 (it would be published under k = 5), 3 rural too
    assert set(result.status[result.status == PRIMARY].index) == {"V11/城市", "V21/农村"}
    assert (result.status == COMPLEMENTARY).sum() >= 2
    assert result.audit.passed, str(result.audit)
    assert_every_sensitive_value_protected(result, constraints)
    summary = result.summary()
    assert summary["suppressed"]["count"]["primary"] == 2
    assert summary["k_by_level"] == {"village": 10}


def test_two_tables_sharing_a_total_are_suppressed_together():
    # table A publishes township T1's total; table B splits the same persons by sex
    table = pd.DataFrame({
        "table": ["A", "A", "A", "B", "B"],
        "region_code": ["T1", "T2", "C", "T1", "T1"],
        "category": ["total", "total", "total", "male", "female"],
        "count": [43, 25, 68, 2, 41],
        "amount": [12900.0, 7500.0, 20400.0, 600.0, 12300.0],
    }, index=["A/T1", "A/T2", "A/C", "B/T1/male", "B/T1/female"])
    within_a = [Constraint("A/C", ("A/T1", "A/T2"), name="A: county = townships")]
    shared_total = [Constraint("A/T1", ("B/T1/male", "B/T1/female"), name="B's sexes add to A's T1")]

    alone = suppress(table, within_a + shared_total, complementary=False)
    assert alone.audit.failing_cells == ["B/T1/male"]   # female = A's T1 - male gives it away

    result = suppress(table, within_a + shared_total)
    assert result.status["B/T1/male"] == PRIMARY
    assert result.status["B/T1/female"] == COMPLEMENTARY
    assert result.audit.passed, str(result.audit)
    assert_every_sensitive_value_protected(result, within_a + shared_total)


def test_cells_suppressed_last_period_stay_suppressed_and_published_ones_are_never_chosen():
    table = cells({"V1": 1, "V2": 0, "V3": 12, "V4": 20}, TOWNSHIP)
    constraints = hierarchy_constraints(table, TOWNSHIP, category_total=None)
    result = suppress(table, constraints, keep_suppressed={"V4"}, already_published={"V3"})

    assert result.status["V4"] == "carried"
    assert result.status["V3"] == ""        # published elsewhere: not a candidate
    assert result.audit.passed              # V1 + V4 = 21 protects V1 already
    assert result.summary()["suppressed"]["count"] == {"primary": 1, "complementary": 0, "carried": 1}


def test_dominance_rule_on_amount_only_cells_keeps_p_out_of_the_summary():
    table = pd.DataFrame({
        "region_code": ["T1", "T2", "T3", "C"],
        "category": "临时救助",
        "amount": [10_000.0, 5_000.0, 6_000.0, 21_000.0],
        "top1": [9_500.0, 1_000.0, 800.0, 9_500.0],   # T1: one household got 95%
        "top2": [300.0, 900.0, 700.0, 1_000.0],
    }, index=["T1", "T2", "T3", "C"])
    constraints = [Constraint("C", ("T1", "T2", "T3"))]
    rules = SuppressionRules(dominance_p=0.10)

    assert primary_suppression(table, rules).to_dict() == {"T1": PRIMARY, "T2": "", "T3": "", "C": ""}
    result = suppress(table, constraints, rules)
    assert result.status["T2"] == COMPLEMENTARY      # cheaper than T3
    assert result.audit.passed
    # the p% rule needs T1 uncertain by at least p x top1 - rest = 950 - 200 = 750 (above 10% of 10,000)
    assert result.protection.at["T1", "amount"] == 1_000.0
    assert "0.1" not in repr({k: v for k, v in result.summary().items() if k != "margin"})
    assert "dominance_p" not in repr(result.summary())
    assert result.confidential_parameters() == {"dominance_p": 0.10}
    out = mark_for_publication(result)
    assert "top1" not in out.columns and "top2" not in out.columns


def test_amount_only_cells_without_their_largest_contributions_are_refused():
    table = pd.DataFrame({"amount": [10.0, 5.0, 15.0]}, index=["a", "b", "t"])
    with pytest.raises(ValueError, match="top1"):
        suppress(table, [Constraint("t", ("a", "b"))])


def test_constraints_that_do_not_hold_are_refused_with_their_name():
    table = cells({"V1": 1, "V2": 0, "V3": 12, "V4": 20}, TOWNSHIP)
    table.loc["T1", "count"] = 99
    with pytest.raises(ValueError, match="T1 = sum of its 4 children"):
        suppress(table, hierarchy_constraints(table, TOWNSHIP, category_total=None))


def test_batched_audit_agrees_with_one_lp_per_cell():
    parent_of = {"V11": "T1", "V12": "T1", "V13": "T1", "V21": "T2", "V22": "T2", "T1": "C", "T2": "C"}
    table = cells({"V11": 2, "V12": 9, "V13": 1, "V21": 4, "V22": 30}, parent_of)
    constraints = hierarchy_constraints(table, parent_of, category_total=None)
    batched = suppress(table, constraints).audit.to_frame()
    one_by_one = suppress(table, constraints, batched_audit=False).audit.to_frame()
    pd.testing.assert_frame_equal(batched, one_by_one)


def test_a_relative_count_margin_is_honoured():
    table = cells({"V1": 4, "V2": 0, "V3": 12, "V4": 20}, TOWNSHIP)
    constraints = hierarchy_constraints(table, TOWNSHIP, category_total=None)
    rules = SuppressionRules(count_margin=ProtectionMargin(absolute=2, relative=1.0))
    result = suppress(table, constraints, rules)
    assert result.protection.at["V1", "count"] == 4   # max(2, 100% of 4)
    assert result.audit.passed
    assert_every_sensitive_value_protected(result, constraints)


# ---------------------------------------------------------------------------------------
# Property: on random hierarchies, nothing suppressed is narrowed below its margin
# ---------------------------------------------------------------------------------------

@st.composite
def hierarchical_tables(draw):
    depth = draw(st.integers(2, 3))                       # levels including the root
    parent_of, frontier, next_id = {}, ["R"], 0
    for _ in range(depth - 1):
        children = []
        for parent in frontier:
            for _ in range(draw(st.integers(2, 6 if depth == 2 else 4))):
                next_id += 1
                parent_of[f"N{next_id}"] = parent
                children.append(f"N{next_id}")
        frontier = children
    categories = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    leaves = frontier
    rows = []
    for category in categories:
        counts = {leaf: draw(st.integers(0, 30)) for leaf in leaves}
        prices = {leaf: draw(st.sampled_from([150.0, 300.0, 455.5])) for leaf in leaves}
        table = cells(counts, parent_of, category=category)
        for leaf in leaves:
            table.at[leaf, "amount"] = counts[leaf] * prices[leaf]
        for parent in topological_parents(parent_of):
            kids = [c for c, p in parent_of.items() if p == parent]
            table.at[parent, "amount"] = table.loc[kids, "amount"].sum()
        rows.append(table)
    table = pd.concat(rows).reset_index(drop=True)
    if len(categories) > 1:
        total = table.groupby("region_code", sort=False)[["count", "amount"]].sum().reset_index()
        total["category"], total["period"], total["level"] = "total", PERIOD, ""
        table = pd.concat([table, total], ignore_index=True)
    table.index = table["region_code"] + "/" + table["category"]
    return table, parent_of


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchical_tables())
def test_property_no_suppressed_cell_is_narrowed_below_its_margin(drawn):
    table, parent_of = drawn
    constraints = hierarchy_constraints(table, parent_of, category_total="total")
    result = suppress(table, constraints)

    assert result.audit.passed, str(result.audit)
    assert_every_sensitive_value_protected(result, constraints)
    small = (table["count"] >= 1) & (table["count"] < 5)
    assert (result.status[small] == PRIMARY).all()
    assert (result.status[table["count"] == 0] != PRIMARY).all()

    out = mark_for_publication(result)
    published = result.status == ""
    for measure in ("count", "amount"):
        assert (out.loc[published, measure].astype(float) == table.loc[published, measure]).all()
        assert out.loc[published, f"{measure}_flag"].isna().all()
        assert out.loc[~published, measure].isna().all()
        assert (out.loc[~published, f"{measure}_flag"] == "C").all()
