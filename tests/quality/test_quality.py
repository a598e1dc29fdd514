"""The quality stage as a data officer sees it: which problem, at which source cell, saying what."""

from __future__ import annotations

import pandas as pd
import pytest

from gongkai.problems import Problems, Severity
from gongkai.quality import QualityError, check_quality
from gongkai.quality.engine import expectation_of
from gongkai.suite import load_suite

from quality_tables import make_table


def run(spec, table, previous=None) -> Problems:
    problems = Problems()
    check_quality(spec, table, previous, problems)
    return problems


def test_a_realistic_clean_table_has_no_problems(spec, table):
    assert [p.as_dict() for p in run(spec, table)] == []


def test_a_realistic_clean_table_against_a_similar_last_month_has_no_problems(spec, table):
    previous = make_table(period="2024-02").frame
    for field in ["urban_persons", "rural_amount"]:   # ordinary month-to-month drift, well within ±30%
        previous[field] = previous[field] * 0.9
    previous["urban_persons"] = previous["urban_persons"].round().astype("Int64")
    assert [p.as_dict() for p in run(spec, table, previous)] == []


def test_persons_below_households_points_at_the_persons_cell(spec, table):
    table.frame.loc[3, "urban_persons"] = 10      # urban_households is 91 there
    table.checks[0].values["urban_persons"] -= float(2 * 91 + 3 - 10)  # keep the 合计 consistent
    problems = run(spec, table)
    assert [(p.slug, p.severity, str(p.where)) for p in problems] == [
        ("persons-below-households", Severity.ERROR, "武定县低保月报2024.xlsx ! 2024年3月 ! C8"),
        # the amount paid for 185 persons, now for 10: implausible per person too
        ("implausible-ratio", Severity.ERROR, "武定县低保月报2024.xlsx ! 2024年3月 ! D8")]
    assert problems[0].message_zh == "“城市低保/人数”（10）少于“城市低保/户数”（91）"
    assert problems[0].message_en == "'城市低保/人数' (10) is less than '城市低保/户数' (91)"


def test_rural_persons_below_households_is_checked_too(spec, table):
    table.frame.loc[25, "rural_persons"] = 1
    table.checks = []   # only the row rule matters here
    slugs = [(p.slug, p.where.cell) for p in run(spec, table) if p.slug == "persons-below-households"]
    assert slugs == [("persons-below-households", "F10")]


def test_negative_amount_is_an_error_at_its_cell(spec, table):
    table.frame.loc[0, "temporary_amount"] = -4500.0
    table.checks = []
    problems = [p for p in run(spec, table) if p.slug == "negative-value"]
    assert [(str(p.where), p.severity) for p in problems] == [("武定县低保月报2024.xlsx ! 2024年3月 ! K5", Severity.ERROR)]
    assert problems[0].message_zh == "“临时救助/金额”不能为负数：-4500"


def test_a_region_without_a_code_is_reported_at_its_name(spec, table):
    table.frame["region_code"] = table.frame["region_code"].astype(object)
    table.frame.loc[4, "region_code"] = None
    problems = run(spec, table)
    assert [(p.slug, p.where.cell, p.message_zh) for p in problems] == [
        ("unknown-region", "A9", "“第5镇”不在 武定县 的区划代码表中")]


def test_total_not_matching_its_parts_is_a_sum_mismatch_at_the_total_cell(spec, table):
    parts = table.checks[1].values["rural_amount"]
    table.checks[1].values["rural_amount"] = parts + 12_300.0      # 合计 says 1.23 万元 more
    problems = run(spec, table)
    assert [(p.slug, p.severity, str(p.where)) for p in problems] == [
        ("sum-mismatch", Severity.ERROR, "元谋县低保月报2024.xlsx ! 2024年3月 ! G25")]
    assert problems[0].params["difference"] == "12300"
    assert problems[0].params["field"] == "农村低保/金额"
    assert "差 12300" in problems[0].message_zh


def test_counts_must_match_the_total_exactly(spec, table):
    table.checks[0].values["tekun_persons"] += 1
    problems = run(spec, table)
    assert [(p.slug, p.where.cell, p.params["difference"]) for p in problems] == [("sum-mismatch", "H25", "1")]


# 21 figures (20 townships and the 合计) stated to 0.01 万元: each may be 50 元 off the truth.
STATED_TO_A_HUNDREDTH_OF_A_WAN = 21 * 50.0


@pytest.mark.parametrize("off_by", [50.0, -50.0, 100.0, 0.004, STATED_TO_A_HUNDREDTH_OF_A_WAN,
                                    -STATED_TO_A_HUNDREDTH_OF_A_WAN])
def test_a_difference_within_the_rounding_of_the_stated_figures_passes(spec, table, off_by):
    table.checks[0].rounding["urban_amount"] = STATED_TO_A_HUNDREDTH_OF_A_WAN
    table.checks[0].values["urban_amount"] += off_by
    assert list(run(spec, table)) == []


def test_beyond_the_rounding_of_the_stated_figures_fails(spec, table):
    table.checks[0].rounding["urban_amount"] = STATED_TO_A_HUNDREDTH_OF_A_WAN
    table.checks[0].values["urban_amount"] += STATED_TO_A_HUNDREDTH_OF_A_WAN + 0.01
    assert [p.slug for p in run(spec, table)] == ["sum-mismatch"]


@pytest.mark.parametrize("off_by", [3.0, -0.01])
def test_money_stated_to_the_yuan_must_add_up_exactly(spec, table, off_by):
    # No rounding allowance (whole 元, or 元 and 分): a project changed by 3 元 no longer adds up.
    table.checks[0].values["urban_amount"] += off_by
    problems = run(spec, table)
    assert [(p.slug, p.where.cell, p.params["difference"]) for p in problems] == [
        ("sum-mismatch", "D25", f"{off_by:g}")]


def test_a_county_without_a_total_row_is_a_warning(spec):
    table = make_table(with_totals=False)
    problems = run(spec, table)
    assert [(p.slug, p.severity, p.where.file) for p in problems] == [
        ("missing-total", Severity.WARNING, "武定县低保月报2024.xlsx"),
        ("missing-total", Severity.WARNING, "元谋县低保月报2024.xlsx")]


def test_a_fifty_percent_jump_is_a_warning_only(spec, table):
    previous = make_table(period="2024-02").frame
    table.frame.loc[7, "rural_persons"] = int(previous.loc[7, "rural_persons"] * 1.5)
    table.checks = []
    problems = [p for p in run(spec, table, previous) if p.slug != "missing-total"]
    assert [(p.slug, p.severity, p.where.cell) for p in problems] == [
        ("month-over-month-jump", Severity.WARNING, "F12")]
    assert problems[0].params["change"] == pytest.approx(0.5, abs=0.01)
    assert "+50%" in problems[0].message_zh and "±30%" in problems[0].message_zh
    assert all(p.severity is Severity.WARNING for p in problems)


def test_a_drop_beyond_the_bound_is_flagged_too(spec, table):
    previous = make_table(period="2024-02").frame
    table.frame.loc[2, "urban_amount"] = previous.loc[2, "urban_amount"] * 0.6
    table.checks = []
    jumps = [p for p in run(spec, table, previous) if p.slug == "month-over-month-jump"]
    assert [(p.where.cell, round(p.params["change"], 2)) for p in jumps] == [("D7", -0.4)]


def test_small_bases_are_not_questioned(spec, table):
    previous = make_table(period="2024-02").frame
    previous.loc[0, "tekun_persons"] = 5           # 5 → 25 is +400%, but 5 is too small to judge
    table.checks = []
    assert [p for p in run(spec, table, previous) if p.slug == "month-over-month-jump"] == []


def test_month_over_month_compares_with_the_latest_earlier_period(spec, table):
    january, february = make_table(period="2024-01").frame, make_table(period="2024-02").frame
    january["urban_persons"] = (january["urban_persons"] * 3).astype("Int64")   # long ago: irrelevant
    assert [p for p in run(spec, table, pd.concat([january, february], ignore_index=True))] == []


def test_every_rule_in_the_suite_maps_onto_a_ge_expectation(spec):
    rules = load_suite(spec.suite_path).rules
    assert {r.problem for r in rules} >= {"persons-below-households", "negative-value", "unknown-region"}
    for rule in rules:
        assert type(expectation_of(rule)).__name__.startswith("Expect")


def test_a_suite_with_an_unknown_expectation_names_it(tmp_path, spec, table):
    suite = tmp_path / "broken.yaml"
    suite.write_text("expectations:\n  - expect_values_to_be_pretty: {column: x}\n    problem: negative-value\n",
                     encoding="utf-8")
    with pytest.raises(QualityError, match="expect_values_to_be_pretty"):
        run(spec.model_copy(update={"suite": str(suite)}), table)


def test_a_new_dataset_needs_only_a_suite_file(tmp_path, spec, table):
    suite = tmp_path / "other.yaml"
    suite.write_text("expectations:\n"
                     "  - expect_column_values_to_be_between: {column: tekun_persons, max_value: 40}\n"
                     "    problem: negative-value\n", encoding="utf-8")
    problems = run(spec.model_copy(update={"suite": str(suite)}), table)
    # tekun_persons is 25 + n: rows 16–19 of each county exceed 40
    assert [p.where.cell for p in problems] == ["H21", "H22", "H23", "H24"] * 2


def test_relief_paid_above_the_county_standard_is_a_warning_naming_both_figures(spec, table):
    standards = pd.DataFrame([
        {"county_code": "532329000000", "standard_type": "城市低保", "effective_date": "2024-01-01", "amount": 780.0},
        {"county_code": "532329000000", "standard_type": "城市低保", "effective_date": "2024-07-01", "amount": 300.0},
        {"county_code": "532328000000", "standard_type": "城市低保", "effective_date": "2024-01-01", "amount": 400.0}])
    problems = Problems()
    check_quality(spec, table, None, problems, related={"subsidy-standards": standards})
    # 武定县: 512 元 per person against 780 in force in March (the July cut is not yet in force);
    # 元谋县: 512 against 400, on every township row.
    above = [p for p in problems if p.slug == "above-standard"]
    assert {p.where.file for p in above} == {"元谋县低保月报2024.xlsx"} and len(above) == 20
    assert above[0].severity is Severity.WARNING and "400" in above[0].message_zh


def test_a_run_reads_its_quality_suite_once(table, monkeypatch, tmp_path):
    # The cross-table lookup (related_specs) and the checks share one reading of the suite file.
    import gongkai.spec as spec_module
    from gongkai.spec import load_spec
    from gongkai.stages import assess_quality

    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path))     # no published series on this machine
    reads, real = [], spec_module.load_suite
    monkeypatch.setattr(spec_module, "load_suite", lambda path: reads.append(path) or real(path))
    fresh = load_spec("relief-recipients")
    assess_quality(fresh, table, Problems())
    assert reads == [fresh.suite_path]
