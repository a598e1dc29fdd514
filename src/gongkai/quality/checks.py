"""The quality stage: suite rules, parts vs 合计, month over month; every finding a Problem at its source cell."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from gongkai.problems import Problems, Where
from gongkai.quality.engine import make_expectation, run_expectations
from gongkai.quality.suite import Rule, load_suite
from gongkai.validate import load_schema

if TYPE_CHECKING:
    from gongkai.normalize import SourceTable
    from gongkai.spec import Spec

# Month over month: a base this small makes any change look like a jump (3 → 5 is +67%).
MIN_PREVIOUS = {"count": 20, "amount": 10_000}   # persons/households/cases; 元


def check_quality(spec: Spec, table: SourceTable, previous: pd.DataFrame | None, problems: Problems) -> None:
    """Run the dataset's suite and cross-table checks on one period; add what fails to problems."""
    labels = _labels(spec)
    if spec.suite_path:
        check_rules(load_suite(spec.suite_path), table, labels, problems)
    measures = _measures(spec, table.frame)
    check_totals(table, measures, float(spec.quality.get("total_tolerance", 0)), labels, problems)
    bound = spec.quality.get("month_over_month_bound")
    if previous is not None and bound is not None:
        minimum = {**MIN_PREVIOUS, **spec.quality.get("month_over_month_min_previous", {})}
        check_month_over_month(table, previous, measures, float(bound), minimum, labels, problems)


# -- row-level suite -----------------------------------------------------------------------

def check_rules(rules: list[Rule], table: SourceTable, labels: dict[str, str], problems: Problems) -> None:
    frame = table.frame
    failures = run_expectations(frame, [rule.expectation() for rule in rules], name="suite")
    for rule, failure in _pair_up(rules, failures):
        for index in failure.index:
            row = frame.loc[index]
            at = rule.at or rule.columns[0]
            where = _cell(table, index, at)
            problems.add(rule.problem, where, **_rule_params(rule, row, labels))


def _pair_up(rules: list[Rule], failures):
    """Match failures to rules by the expectation's type and arguments."""
    remaining = list(failures)
    for rule in rules:
        wanted = rule.expectation().configuration
        for failure in remaining:
            got = failure.config
            if got.type == wanted.type and _same_kwargs(got.kwargs, wanted.kwargs):
                remaining.remove(failure)
                yield rule, failure
                break


def _same_kwargs(got: dict, wanted: dict) -> bool:
    return {k: v for k, v in got.items() if k != "batch_id"} == {k: v for k, v in wanted.items() if k != "batch_id"}


def _rule_params(rule: Rule, row: pd.Series, labels: dict[str, str]) -> dict:
    context = {name: _show(value) for name, value in row.items()}
    context["label"] = labels
    columns = rule.columns
    if columns:
        context.update(column=columns[0], value=_show(row.get(columns[0])), label_column=labels.get(columns[0], columns[0]))
    if len(columns) == 2 and "column_A" in rule.kwargs:
        context.update(A=_show(row.get(columns[0])), B=_show(row.get(columns[1])),
                       label_A=labels.get(columns[0], columns[0]), label_B=labels.get(columns[1], columns[1]))
    if rule.params:
        return {name: str(pattern).format(**context) for name, pattern in rule.params.items()}
    # Default: the templates of single-column problems speak of {field} and {value}.
    return {"field": context.get("label_column", ""), "value": context.get("value", "")}


# -- parts vs the source's 合计 row -----------------------------------------------------------

def check_totals(table: SourceTable, measures: dict[str, str], tolerance: float,
                 labels: dict[str, str], problems: Problems) -> None:
    """Each 合计 row against the sum of its sheet's rows: amounts within tolerance 元, counts exactly."""
    frame = table.frame
    rows, places = [], []
    sheets = _sheets_of_rows(table)
    for total in table.totals:
        parts_frame = _rows_of_total(table, total, sheets)
        for field, value in total.values.items():
            if field not in measures or field not in frame.columns or value is None or _missing(value):
                continue
            parts = float(pd.to_numeric(parts_frame[field], errors="coerce").sum())
            difference = round(float(value) - parts, 2)  # to the 分: float sums are not exact
            rows.append({"county_code": total.county_code, "field": field, "total": float(value), "parts": parts,
                         "difference": difference, "abs_difference": abs(difference),
                         "tolerance": tolerance if measures[field] == "amount" else 0.0})
            places.append(total.cells.get(field, total.where))
    if rows:
        derived = pd.DataFrame(rows)
        check = make_expectation("expect_column_pair_values_a_to_be_greater_than_b",
                                 {"column_A": "tolerance", "column_B": "abs_difference", "or_equal": True})
        for failure in run_expectations(derived, [check], name="parts vs total"):
            for index in failure.index:
                row = derived.loc[index]
                problems.add("sum-mismatch", places[index], field=labels.get(row["field"], row["field"]),
                             total=_show(row["total"]), parts=_show(row["parts"]),
                             difference=_show(row["difference"]))
    counties_with_total = {total.county_code for total in table.totals}
    if "county_code" in frame.columns:
        for county in frame["county_code"].dropna().unique():
            if county not in counties_with_total:
                first = frame.index[frame["county_code"] == county][0]
                where = _cell(table, first, "region_name")
                problems.add("missing-total", Where(where.file, where.sheet, "", "county_code"))


def _rows_of_total(table: SourceTable, total, sheets: dict) -> pd.DataFrame:
    frame = table.frame
    county = frame[frame["county_code"] == total.county_code] if "county_code" in frame.columns else frame
    # A 合计 row totals its own sheet: with one sheet per county and month that is the county.
    same_sheet = [i for i in county.index if sheets.get(i) == (total.where.file, total.where.sheet)]
    return county.loc[same_sheet] if same_sheet else county


def _sheets_of_rows(table: SourceTable) -> dict:
    """Frame row index -> (file, sheet) it was read from."""
    sheets = {}
    for (row, _field), where in table.cells.items():
        sheets.setdefault(row, (where.file, where.sheet))
    return sheets


# -- month over month ----------------------------------------------------------------------

def check_month_over_month(table: SourceTable, previous: pd.DataFrame, measures: dict[str, str], bound: float,
                           minimum: dict[str, float], labels: dict[str, str], problems: Problems) -> None:
    """A change beyond ±bound against last month, per region and measure, is a warning to confirm."""
    frame = table.frame
    if previous.empty or "region_code" not in previous.columns:
        return
    if "period" in previous.columns and "period" in frame.columns:
        earlier = previous[previous["period"].astype(str) < str(table.period)]
        if earlier.empty:
            return
        previous = earlier[earlier["period"] == earlier["period"].max()]
    previous = previous.drop_duplicates("region_code", keep="last")
    # One join instead of a lookup per cell: a 2,000-township month has 20,000 of them.
    joined = frame.reset_index(names="_row").merge(previous, on="region_code", suffixes=("", "_previous"))
    rows = []
    for field, kind in measures.items():
        if field not in previous.columns:
            continue
        before = joined[f"{field}_previous"].astype("float64")
        now = joined[field].astype("float64")
        usable = before.notna() & now.notna() & (before >= minimum[kind])
        rows.append(pd.DataFrame({"row": joined.loc[usable, "_row"], "field": field, "previous": before[usable],
                                  "current": now[usable], "change": (now[usable] - before[usable]) / before[usable]}))
    derived = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if derived.empty:
        return
    check = make_expectation("expect_column_values_to_be_between",
                             {"column": "change", "min_value": -bound, "max_value": bound})
    for failure in run_expectations(derived, [check], name="month over month"):
        for index in failure.index:
            row = derived.loc[index]
            problems.add("month-over-month-jump", _cell(table, row["row"], row["field"]),
                         field=labels.get(row["field"], row["field"]), change=float(row["change"]),
                         previous=_show(row["previous"]), current=_show(row["current"]), bound=bound)


# -- helpers -------------------------------------------------------------------------------

def _measures(spec: Spec, frame: pd.DataFrame) -> dict[str, str]:
    """Numeric schema fields: 'count' (integer, checked exactly) or 'amount' (number, within tolerance)."""
    kinds = {"integer": "count", "number": "amount"}
    return {f.name: kinds[f.type] for f in load_schema(spec.schema_path).fields
            if f.type in kinds and f.name in frame.columns}


def _labels(spec: Spec) -> dict[str, str]:
    """Field -> the header the data officer sees in the spreadsheet (城市低保/人数)."""
    return {column.field: column.header for column in spec.source.columns}


def _cell(table: SourceTable, index, field: str) -> Where:
    where = table.cells.get((index, field))
    if where is not None:
        return where
    for (row, _field), where in table.cells.items():   # another cell of the row names file and sheet
        if row == index:
            return Where(where.file, where.sheet, "", field)
    return Where(field=field)


def _missing(value) -> bool:
    try:
        return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _show(value) -> str:
    """Numbers as a data officer writes them: 1234 or 1234.5, never 1234.0 or 1234.50000001."""
    if _missing(value):
        return "空"
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")
