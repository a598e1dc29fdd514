"""The red-team templates (issue 15, acceptance 3): workbooks of kinds the samples do not have, with
specs written from the README alone, read through `gongkai validate` as an officer runs it.

Each is either read correctly (every published figure equals the generator's truth) or refused with
the expected problem at the expected cell; and a copy with one summed number changed is refused,
naming the cell where the sum stops adding up.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import pytest

from cli import gongkai

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_templates as templates  # noqa: E402

READ = None
# template -> None (read correctly) or the (problem, cell) it is refused with
OUTCOME = {
    "t01_temporary_total_on_top": READ,
    "t02_tekun_split_total_column": READ,
    "t03_quarterly": READ,
    "t04_bom_csv_total_first": READ,
    "t05_xls_fund_sources": READ,
    "t06_budget_function_codes": READ,
    "t07_lottery_rate_goals": READ,
    "t08_standards_urban_rural_columns": ("layout-not-supported", "A3"),   # type = row × column
    "t09_heading_blocks_shared_header": READ,
    "t10_township_months": ("layout-not-supported", "A3"),                # townships down, months across
    "t11_subtotals_above": READ,
    "t12_explanation_sheet": READ,
    "t13_renamed_county_xls": READ,
    "t14_gbk_csv_other_province": READ,
    "t15_budget_split_code": READ,                                         # 科目编码 over 类 | 款 | 项
}
# template -> every (problem, cell) the copy with one summed number changed must be refused with
CHANGED = {
    "t01_temporary_total_on_top": {("sum-mismatch", "C4")},                 # +3 元 under a 合计 on top
    "t02_tekun_split_total_column": {("column-sum-mismatch", "G6"), ("sum-mismatch", "E15")},
    "t03_quarterly": {("sum-mismatch", "D14")},
    "t04_bom_csv_total_first": {("sum-mismatch", "F4")},
    "t05_xls_fund_sources": {("column-sum-mismatch", "H5"), ("sum-mismatch", "E10")},
    "t06_budget_function_codes": {("sum-mismatch", "D10")},
    "t07_lottery_rate_goals": {("sum-mismatch", "E8")},
    "t09_heading_blocks_shared_header": {("sum-mismatch", "C31"), ("sum-mismatch", "C32")},
    "t11_subtotals_above": {("sum-mismatch", "D4"), ("sum-mismatch", "D10")},
    "t12_explanation_sheet": {("sum-mismatch", "C20")},
    "t13_renamed_county_xls": {("sum-mismatch", "G11")},
    "t14_gbk_csv_other_province": {("sum-mismatch", "C10")},
    "t15_budget_split_code": {("sum-mismatch", "F6"), ("sum-mismatch", "F13")},   # a parent item +13.7%
}


def validate(template, out: Path) -> tuple[int, list[dict]]:
    args = ["validate", str(template.file.parent), "--dataset", str(template.spec), "--out", str(out)]
    if template.period:
        args += ["--period", template.period]
    result = gongkai(*args)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    [report] = sorted((out / "reports").glob("*.json"))
    return result.exit_code, json.loads(report.read_text(encoding="utf-8"))["problems"]


def published(out: Path, template) -> dict[tuple, dict]:
    """The rows as read (before disclosure control) when the dataset has it, else as published."""
    files = sorted(out.glob("*-as-read.csv")) or sorted(p for p in out.glob("*.csv"))
    rows = [row for path in files for row in csv.DictReader(path.open(encoding="utf-8-sig"))]
    return {tuple(row[k] for k in template.key): row for row in rows}


def equal(truth, text: str) -> bool:
    if truth is None:
        return text == ""
    if isinstance(truth, (int, float)):
        return text != "" and math.isclose(float(text), truth, abs_tol=0.005)
    return text == str(truth)


@pytest.mark.parametrize("build", templates.TEMPLATES, ids=lambda b: b.__name__)
def test_a_template_is_read_correctly_or_refused_at_its_cell(build, tmp_path):
    template = build(tmp_path / "in")
    code, problems = validate(template, tmp_path / "out")
    errors = [(p["slug"], p["cell"]) for p in problems if p["severity"] == "error"]
    expected = OUTCOME[build.__name__]
    if expected is not None:
        assert code == 1 and errors[0] == expected, errors
        assert not list((tmp_path / "out").glob("*.csv")), "a refused template writes no table"
        return
    assert code == 0 and errors == [], problems
    rows = published(tmp_path / "out", template)
    assert len(rows) == len(template.truth)
    for truth in template.truth:
        row = rows[tuple(str(truth[k]) for k in template.key)]
        wrong = {f: (v, row[f]) for f, v in truth.items() if not equal(v, row[f])}
        assert wrong == {}, (truth, wrong)


@pytest.mark.parametrize("build", [b for b in templates.TEMPLATES if b.__name__ in CHANGED],
                         ids=lambda b: b.__name__)
def test_one_summed_number_changed_is_refused_naming_the_cell(build, tmp_path):
    template = build(tmp_path / "good")
    changed = build(tmp_path / "in", change=template.mutable)
    code, problems = validate(changed, tmp_path / "out")
    errors = {(p["slug"], p["cell"]) for p in problems if p["severity"] == "error"}
    assert code == 1 and errors == CHANGED[build.__name__], errors
    assert not list((tmp_path / "out").glob("*.csv"))
