"""The quality stage: suite rules, parts vs 合计, month over month; every finding a Problem at its source cell."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from gongkai.problems import Problems, Where
from gongkai.quality.engine import expectation_of, make_expectation, run_expectations
from gongkai.suite import Rule, Suite

if TYPE_CHECKING:
    from gongkai.normalize import SourceTable
    from gongkai.spec import Spec

# Month over month: a base this small makes any change look like a jump (3 → 5 is +67%).
MIN_PREVIOUS = {"count": 20, "amount": 10_000}   # persons/households/cases; 元


def check_quality(spec: Spec, table: SourceTable, previous: pd.DataFrame | None, problems: Problems,
                  related: dict[str, pd.DataFrame] | None = None) -> None:
    """Run the dataset's suite and cross-table checks on one period; add what fails to problems.

    `previous` is the published series before this period; `related` the published series of
    other datasets a check names (relief payments against the subsidy standards).
    """
    labels = _labels(spec)
    suite = spec.quality_suite or Suite([], {})
    check_rules(suite.rules, table, labels, problems)
    measures = _measures(spec, table.frame)
    sums = suite.checks.get("sums") or {}
    check_sums(table, labels, problems)
    if sums.get("require_total", True) and "sums" in suite.checks:
        _missing_totals(table, problems)
    if "ratios" in suite.checks:
        check_ratios(table, suite.checks["ratios"], labels, problems)
    if "compare" in suite.checks:
        check_compare(table, suite.checks["compare"], labels, problems)
    over = suite.checks.get("period_over_period")
    if previous is not None and over:
        minimum = {**MIN_PREVIOUS, **over.get("min_previous", {})}
        check_period_over_period(spec, table, previous, measures, float(over["bound"]), minimum, labels, problems)
    if previous is not None and "history" in suite.checks:
        check_history(spec, table, previous, suite.checks["history"], labels, problems)
    if "within_standard" in suite.checks:
        check_within_standard(table, suite.checks["within_standard"], (related or {}), labels, problems)


def check_suite(suite: Suite) -> None:
    """Every rule of a suite as Great Expectations takes it: a QualityError names the first it refuses."""
    for rule in suite.rules:
        expectation_of(rule)


# -- row-level suite -----------------------------------------------------------------------

def check_rules(rules: list[Rule], table: SourceTable, labels: dict[str, str], problems: Problems) -> None:
    frame = table.frame
    if not rules:
        return
    failures = run_expectations(frame, [expectation_of(rule) for rule in rules], name="suite")
    for rule, failure in _pair_up(rules, failures):
        at = rule.at or rule.columns[0]
        # One conversion per rule: a month of many warnings must not look rows up one by one.
        rows = frame.loc[failure.index].to_dict("records")
        for index, row in zip(failure.index, rows):
            problems.add(rule.problem, _cell(table, index, at), **_rule_params(rule, row, labels))


def _pair_up(rules: list[Rule], failures):
    """Match failures to rules by the expectation's type and arguments."""
    remaining = list(failures)
    for rule in rules:
        wanted = expectation_of(rule).configuration
        for failure in remaining:
            got = failure.config
            if got.type == wanted.type and _same_kwargs(got.kwargs, wanted.kwargs):
                remaining.remove(failure)
                yield rule, failure
                break


def _same_kwargs(got: dict, wanted: dict) -> bool:
    return {k: v for k, v in got.items() if k != "batch_id"} == {k: v for k, v in wanted.items() if k != "batch_id"}


class _Shown(dict):
    """A row's values as a message shows them, each formatted only when a message names it."""

    def __init__(self, row: dict):
        super().__init__()
        self.row = row

    def __missing__(self, name: str) -> str:
        return _show(self.row[name])


def _rule_params(rule: Rule, row: dict, labels: dict[str, str]) -> dict:
    context = _Shown(row)
    context["label"] = labels
    columns = rule.columns
    if columns:
        context.update(column=columns[0], value=_show(row.get(columns[0])), label_column=labels.get(columns[0], columns[0]))
    if len(columns) == 2 and "column_A" in rule.kwargs:
        context.update(A=_show(row.get(columns[0])), B=_show(row.get(columns[1])),
                       label_A=labels.get(columns[0], columns[0]), label_B=labels.get(columns[1], columns[1]))
    if rule.params:
        return {name: str(pattern).format_map(context) for name, pattern in rule.params.items()}
    # Default: the templates of single-column problems speak of {field} and {value}.
    return {"field": context.get("label_column", ""), "value": context.get("value", "")}


# -- rows that state sums: 合计, 小计, county rows, parent items, 其中 ------------------------------

KIND_LABELS = {"total": "合计", "subtotal": "小计", "county": "县（市）", "item": "上级科目", "children": "上级",
               "columns": "本"}
# Float sums of figures to the 分 are not exact: a difference this small is no difference.
FLOAT_NOISE = 1e-6


def check_sums(table: SourceTable, labels: dict[str, str], problems: Problems) -> None:
    """Every stated sum against its parts, within the rounding of the figures as the sheet states them.

    `check.rounding` is that allowance (half the last stated digit of the total and of each part,
    worked out when the sheet was read; 0 for counts and for money written to the 元). A 其中
    breakdown may be partial, so its parts must only stay at or below the parent.
    """
    frame = table.frame if table.checked.empty else pd.concat([table.frame, table.checked], axis=1)
    rows, places = [], []
    for check in table.checks:
        member_rows = frame.iloc[check.members] if check.members else frame.iloc[0:0]
        for field, value in check.values.items():
            if _missing(value) or (field not in frame.columns and not check.part_values):
                continue   # a total column read only to be checked: its rows' own column checks cover it
            published = pd.to_numeric(member_rows[field], errors="coerce") if field in frame.columns else pd.Series([])
            if check.members and not check.part_values and published.isna().all():
                continue   # nothing under it states this figure (a parent item without children's values)
            parts = float(published.sum()) + sum(p.get(field, 0.0) or 0.0 for p in check.part_values)
            difference = round(float(value) - parts, 2)  # to the 分: float sums are not exact
            allowed = check.rounding.get(field, 0.0) + FLOAT_NOISE
            if abs(difference) <= allowed or (not check.exact and difference >= -allowed):
                continue
            rows.append((check, field, float(value), parts, difference))
            places.append(check.cells.get(field, check.where))
    for (check, field, value, parts, difference), where in zip(rows, places):
        if check.kind == "columns":
            problems.add("column-sum-mismatch", where, label=check.label or KIND_LABELS[check.kind],
                         field=labels.get(field, field), total=_show(value), parts=_show(parts),
                         columns="、".join(labels.get(f, f) for f in check.columns), difference=_show(difference))
        elif check.exact:
            problems.add("sum-mismatch", where, label=check.label or KIND_LABELS[check.kind],
                         field=labels.get(field, field), total=_show(value), parts=_show(parts),
                         difference=_show(difference))
        else:
            problems.add("children-exceed-parent", where, label=check.label, field=labels.get(field, field),
                         total=_show(value), parts=_show(parts))


def _missing_totals(table: SourceTable, problems: Problems) -> None:
    """A sheet of rows without any 合计 cannot be checked: say so once per sheet."""
    sheets_with_total = {(c.where.file, c.where.sheet) for c in table.checks if c.kind in ("total", "county")}
    reported = set()
    for sheet_id, _row in table.origins:
        sheet = table.sheets[sheet_id]
        place = (sheet["file"], sheet["sheet"])
        if place not in sheets_with_total and place not in reported:
            reported.add(place)
            problems.add("missing-total", Where(sheet["file"], sheet["sheet"]))


# -- plausibility: ratios between fields, two figures compared -----------------------------------

def check_ratios(table: SourceTable, ratios: list[dict], labels: dict[str, str], problems: Problems) -> None:
    """e.g. amount per person within [min, max]: a 元 figure under a 万元 unit line is 10,000x off."""
    frame = table.frame
    for ratio in ratios:
        top, bottom = ratio["numerator"], ratio["denominator"]
        if top not in frame.columns or bottom not in frame.columns:
            continue
        numerator = pd.to_numeric(frame[top], errors="coerce").astype("float64")
        denominator = pd.to_numeric(frame[bottom], errors="coerce").astype("float64")
        usable = (denominator > 0) & numerator.notna()
        value = numerator[usable] / denominator[usable]
        bad = value[(value < ratio["min"]) | (value > ratio["max"])]
        for index, found in bad.items():
            problems.add(ratio.get("problem", "implausible-ratio"), _cell(table, index, top),
                         field=labels.get(top, top), per=labels.get(bottom, bottom), value=_show(found),
                         low=_show(ratio["min"]), high=_show(ratio["max"]))


def check_compare(table: SourceTable, rule: dict, labels: dict[str, str], problems: Problems) -> None:
    """Two figures of a row that should be close (决算数 vs 预算数): beyond `share` is a warning."""
    frame = table.frame
    a, b, share = rule["field"], rule["against"], float(rule["share"])
    if a not in frame.columns or b not in frame.columns:
        return
    first = pd.to_numeric(frame[a], errors="coerce").astype("float64")
    second = pd.to_numeric(frame[b], errors="coerce").astype("float64")
    usable = first.notna() & second.notna() & (second.abs() >= float(rule.get("min", 0)))
    change = (first[usable] - second[usable]) / second[usable].where(second[usable] != 0)
    for index, found in change[change.abs() > share].items():
        problems.add(rule.get("problem", "differs-from"), _cell(table, index, a), field=labels.get(a, a),
                     value=_show(first[index]), other=labels.get(b, b), other_value=_show(second[index]),
                     change=float(found), share=share)


# -- period over period ------------------------------------------------------------------------

def _row_key(spec: Spec, frame: pd.DataFrame) -> list[str]:
    """The primary key without the period: what identifies the same row in another period."""
    key = [k for k in spec.schema.primary_key if k != "period"]
    return [k for k in key if k in frame.columns]


def check_period_over_period(spec: Spec, table: SourceTable, previous: pd.DataFrame, measures: dict[str, str],
                             bound: float, minimum: dict[str, float], labels: dict[str, str],
                             problems: Problems) -> None:
    """A change beyond ±bound against the last published period, per row and measure, is a warning."""
    frame = table.frame
    key = _row_key(spec, frame)
    if previous.empty or not key or not set(key) <= set(previous.columns):
        return
    if "period" in previous.columns and "period" in frame.columns:
        earlier = previous[previous["period"].astype(str) < str(table.period)]
        if earlier.empty:
            return
        previous = earlier[earlier["period"] == earlier["period"].max()]
    previous = previous.drop_duplicates(key, keep="last")
    # One join instead of a lookup per cell: a 2,000-township month has 20,000 of them.
    joined = frame.reset_index(names="_row").merge(previous, on=key, suffixes=("", "_previous"))
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
    for failure in run_expectations(derived, [check], name="period over period"):
        for index in failure.index:
            row = derived.loc[index]
            problems.add("month-over-month-jump", _cell(table, int(row["row"]), row["field"]),
                         field=labels.get(row["field"], row["field"]), change=float(row["change"]),
                         previous=_show(row["previous"]), current=_show(row["current"]), bound=bound)


# -- histories: a standard never changes silently ----------------------------------------------------

def check_history(spec: Spec, table: SourceTable, previous: pd.DataFrame, rule: dict,
                  labels: dict[str, str], problems: Problems) -> None:
    """Rows keyed by an effective date: a changed figure needs a new date; a fall is a warning.

    `rule`: {value: amount, date: effective_date, series: [county_code, standard_type]}.
    """
    frame = table.frame
    value, date, series = rule["value"], rule["date"], list(rule["series"])
    if previous.empty or not {value, date, *series} <= set(previous.columns):
        return
    earlier = previous[previous["period"].astype(str) != str(table.period)] if "period" in previous else previous
    known = earlier.drop_duplicates([*series, date], keep="last")
    joined = frame.reset_index(names="_row").merge(known[[*series, date, value]], on=[*series, date],
                                                   suffixes=("", "_published"))
    for _, row in joined.iterrows():
        if not _missing(row[value]) and abs(float(row[value]) - float(row[f"{value}_published"])) > 0.005:
            problems.add("standard-changed-without-date", _cell(table, int(row["_row"]), value),
                         field=labels.get(value, value), published=_show(row[f"{value}_published"]),
                         current=_show(row[value]), date=str(row[date]))
    everything = pd.concat([known[[*series, date, value]].assign(_row=-1),
                            frame.reset_index(names="_row")[[*series, date, value, "_row"]]])
    everything = everything.drop_duplicates([*series, date], keep="last").sort_values([*series, date])
    for _, group in everything.groupby(series, dropna=False):
        values = group[value].astype("float64").tolist()
        for (before, now), (_, row) in zip(zip(values, values[1:]), list(group.iterrows())[1:]):
            if row["_row"] >= 0 and now < before - 0.005:
                problems.add("standard-fell", _cell(table, int(row["_row"]), value), field=labels.get(value, value),
                             previous=_show(before), current=_show(now), date=str(row[date]))


def check_within_standard(table: SourceTable, rule: dict, related: dict[str, pd.DataFrame],
                          labels: dict[str, str], problems: Problems) -> None:
    """Average payment per person against the standard in force for the county that month.

    The top-up (补差) never exceeds the standard itself; a figure above it is a warning naming both.
    `rule`: {dataset, pairs: [{amount, persons, standard_type}]}.
    """
    standards = related.get(rule["dataset"])
    frame = table.frame
    if standards is None or standards.empty or "county_code" not in frame.columns:
        return
    period_end = _period_end(table.period)
    in_force = standards[standards["effective_date"].astype(str) <= period_end]
    in_force = in_force.sort_values("effective_date").drop_duplicates(["county_code", "standard_type"], keep="last")
    lookup = {(r.county_code, r.standard_type): float(r.amount) for r in in_force.itertuples()}
    for pair in rule["pairs"]:
        amount, persons = frame[pair["amount"]].astype("float64"), frame[pair["persons"]].astype("float64")
        for index in frame.index[(persons > 0) & amount.notna()]:
            standard = lookup.get((frame.at[index, "county_code"], pair["standard_type"]))
            average = amount[index] / persons[index]
            if standard is not None and average > standard + 0.5:
                problems.add("above-standard", _cell(table, index, pair["amount"]),
                             field=labels.get(pair["amount"], pair["amount"]), average=_show(round(average, 2)),
                             standard=_show(standard), standard_type=pair["standard_type"])


def _period_end(period: str) -> str:
    from gongkai.periods import period_end

    return period_end(period).isoformat()


# -- helpers -------------------------------------------------------------------------------

def _measures(spec: Spec, frame: pd.DataFrame) -> dict[str, str]:
    """Numeric schema fields: 'count' (integer) or 'amount' (number)."""
    kinds = {"integer": "count", "number": "amount"}
    return {f.name: kinds[f.type] for f in spec.schema.fields
            if f.type in kinds and f.name in frame.columns}


def _labels(spec: Spec) -> dict[str, str]:
    """Field -> the header the data officer sees in the spreadsheet (城市低保/人数)."""
    labels = {column.field: spec.source.label(column.field) for _, column in spec.source.column_specs}
    for _, column in spec.source.column_specs:
        if column.normalized:   # 标准 → 标准（元/人/月）: the converted figure names its unit
            unit = next((f.to_descriptor().get("unit") for f in spec.schema.fields
                         if f.name == column.normalized), None)
            labels[column.normalized] = f"{spec.source.label(column.field)}（{unit}）" if unit else column.normalized
    return labels


def _cell(table: SourceTable, index, field: str) -> Where:
    return table.where(int(index), field)


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
