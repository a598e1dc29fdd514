"""The other dataset families through the real layout engine: every true row read, nothing else.

The samples and their true figures come from datasets/samples/make_families.py (the
`family_samples` fixture); each family is normalized with its own spec and checked with its
quality suite, as the flow does, and its broken variants are run through `gongkai validate`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from cli import gongkai
from gongkai.normalize import SourceTable, normalize
from gongkai.problems import Problems
from gongkai.quality import check_quality
from gongkai.spec import load_spec

FAMILIES = {  # dataset -> (sample folder, period)
    "subsidy-standards": ("standards", "2024"),
    "lottery-fund": ("lottery", "2023"),
    "budget-accounts": ("budgets", "2023"),
}
RELIEF_PERIODS = ["2024-01", "2024-02", "2024-03"]
SANGONG = ["因公出国（境）费", "公务用车购置及运行费", "公务接待费"]


def folded(text) -> str | None:
    """Text with full-width forms folded, to find a row whatever punctuation the engine keeps."""
    return None if text is None or pd.isna(text) else unicodedata.normalize("NFKC", str(text))


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".xlsx", ".xls", ".csv"))


def run(dataset: str, files: list[Path], period: str) -> tuple[SourceTable, Problems]:
    spec = load_spec(dataset)
    problems = Problems()
    table = normalize(spec, files, period, problems)
    check_quality(spec, table, None, problems)
    return table, problems


@pytest.fixture(scope="module")
def tables(family_samples) -> dict[str, tuple[SourceTable, Problems]]:
    directory, _ = family_samples
    return {name: run(name, files_in(directory / folder), period)
            for name, (folder, period) in FAMILIES.items()}


@pytest.fixture(scope="module")
def relief_tables(family_samples) -> dict[str, tuple[SourceTable, Problems]]:
    directory, _ = family_samples
    return {period: run("relief-recipients", files_in(directory / "relief-other-template"), period)
            for period in RELIEF_PERIODS}


def rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


# --- every family: no errors, nothing personal --------------------------------------------------

@pytest.mark.parametrize("dataset", list(FAMILIES))
def test_the_good_samples_have_no_errors(tables, dataset):
    table, problems = tables[dataset]
    assert [(p.slug, str(p.where), p.message_en) for p in problems.errors] == []
    assert len(table.frame) > 0 and len(table.files) == 3


@pytest.mark.parametrize("dataset", list(FAMILIES))
def test_no_personal_data_reaches_the_frame(tables, make_families, dataset):
    table, _ = tables[dataset]
    text = table.frame.to_csv(index=False) + " ".join(table.frame.columns)
    assert [p for p in make_families.PERSONAL if p in text] == []


# --- subsidy standards --------------------------------------------------------------------------

def test_every_standard_is_read_with_its_true_values(tables, family_samples):
    table, _ = tables["subsidy-standards"]
    _, truth = family_samples
    got = {(r["county_name"], r["standard_type"], r["effective_date"]): r for r in rows(table.frame)}
    assert len(got) == len(table.frame) == len(truth["standards"])
    for true in truth["standards"]:
        row = got[(true["region_name"], true["standard_type"], true["effective_date"])]
        assert (row["amount_stated"], row["unit_stated"], row["document_number"]) == (
            true["amount_stated"], true["unit_stated"], true["document_number"]), true
        assert row["amount"] == pytest.approx(true["amount_monthly"], abs=0.005), true
        assert row["period"] == "2024"


def test_a_yearly_standard_is_also_given_per_month(tables):
    table, _ = tables["subsidy-standards"]
    frame = table.frame
    row = frame[(frame.county_name == "元谋县") & (frame.standard_type == "农村低保")
                & (frame.effective_date == "2024-01-01")].iloc[0]
    assert (row.amount_stated, row.unit_stated, row.amount) == (5160, "元/人·年", 430)


# --- welfare-lottery fund -----------------------------------------------------------------------

def test_every_lottery_project_is_read_with_its_amount_in_yuan(tables, family_samples):
    table, _ = tables["lottery-fund"]
    _, truth = family_samples
    projects = truth["lottery"]["projects"]
    got = {(r["county_name"], r["project_name"]): r for r in rows(table.frame)}
    assert len(got) == len(table.frame) == len(projects)
    for true in projects:
        row = got[(true["county_name"], true["project_name"])]
        assert (row["period"], row["category"], row["implementing_unit"]) == (
            true["year"], true["category"], true["implementing_unit"]), true
        assert row["amount"] == pytest.approx(true["amount"], abs=0.005), true
        assert folded(row["status"]) == folded(true["status"])
        assert folded(row["results"]) == folded(true["results"])
    for county, total in truth["lottery"]["totals"].items():
        assert table.frame[table.frame.county_name == county].amount.sum() == pytest.approx(total, abs=0.01)


def test_subtotal_and_total_rows_are_checked_not_published(tables, family_samples):
    table, _ = tables["lottery-fund"]
    _, truth = family_samples
    frame = table.frame
    for column in ("category", "project_name", "implementing_unit"):
        assert not frame[column].str.contains("小计|合计|总计|其中", na=False).any(), column
    # Each county's categories, with their subtotals, and the total, are sum checks.
    kinds = [c.kind for c in table.checks]
    subtotals = sum(len(categories) for categories in truth["lottery"]["subtotals"].values())
    assert kinds.count("total") == len(truth["lottery"]["totals"]) and len(kinds) >= subtotals + 3, kinds


def test_free_text_is_published_as_written(tables, family_samples):
    _, truth = family_samples
    lottery = {(r["county_name"], r["project_name"]): r for r in rows(tables["lottery-fund"][0].frame)}
    for true in truth["lottery"]["projects"]:
        row = lottery[(true["county_name"], true["project_name"])]
        assert (row["status"], row["results"]) == (true["status"], true["results"])
    names = set(tables["budget-accounts"][0].frame.item_name)
    assert {r["item_name"] for r in truth["budgets"]} <= names


# --- budgets and final accounts -----------------------------------------------------------------

@pytest.fixture(scope="module")
def budget_items(tables) -> pd.DataFrame:
    frame = tables["budget-accounts"][0].frame
    key = ["county_name", "table_name", "item_code"]
    parents = frame[key + ["item_name"]].rename(columns={"item_code": "parent_code", "item_name": "parent_name"})
    return frame.merge(parents, on=["county_name", "table_name", "parent_code"], how="left")


def test_every_budget_item_is_read_with_its_parent_and_amounts_in_yuan(budget_items, family_samples):
    _, truth = family_samples
    got = {(r["county_name"], r["table_name"], folded(r["item_name"])): r for r in rows(budget_items)}
    assert len(got) == len(budget_items) == len(truth["budgets"])
    for true in truth["budgets"]:
        row = got[(true["county_name"], true["table"], folded(true["item_name"]))]
        assert row["period"] == true["year"]
        assert folded(row["parent_name"]) == folded(true["parent_item_name"]), true
        assert row["budget_amount"] == pytest.approx(true["budget_amount"], abs=0.005), true
        assert row["final_amount"] == pytest.approx(true["final_amount"], abs=0.005), true
    # 收入合计 / 支出总计 are checked, not published; 三公经费合计 is an item with children.
    totals = budget_items[budget_items.item_name.str.contains("(?:合计|总计)$")]
    assert set(totals.item_name) == {"三公经费合计"}


def test_every_parent_item_is_the_sum_of_its_children(budget_items):
    frame = budget_items
    children = frame.dropna(subset=["parent_code"]).groupby(
        ["county_name", "table_name", "parent_code"])[["budget_amount", "final_amount"]].sum()
    assert len(children) > 10
    by_code = frame.set_index(["county_name", "table_name", "item_code"])
    for (county, table, code), sums in children.iterrows():
        parent = by_code.loc[(county, table, code)]
        for amount in ("budget_amount", "final_amount"):
            assert sums[amount] == pytest.approx(parent[amount], abs=0.01), (county, table, parent.item_name)


def test_the_three_public_expenses_are_children_of_their_total(budget_items):
    frame = budget_items
    tables = frame[frame.item_name == "三公经费合计"][["county_name", "table_name"]].drop_duplicates()
    assert len(tables) == 3
    for county, table in tables.itertuples(index=False):
        items = frame[(frame.county_name == county) & (frame.table_name == table)]
        children = items[items.parent_name == "三公经费合计"]
        assert sorted(map(folded, children.item_name)) == sorted(map(folded, SANGONG)), (county, table)
        running = items[items.item_name == "机关运行经费"]
        assert len(running) == 1 and running.parent_code.isna().all()


# --- relief recipients in 牟定县's template -----------------------------------------------------

@pytest.mark.parametrize("period", RELIEF_PERIODS)
def test_mouding_template_reads_through_the_relief_spec(relief_tables, family_samples, make_families, period):
    table, problems = relief_tables[period]
    _, truth = family_samples
    assert [(p.slug, str(p.where), p.message_en) for p in problems.errors] == []
    month = truth["relief_other_template"][("牟定县", period)]
    frame = table.frame.set_index("region_name")
    assert sorted(frame.index) == sorted(month) and set(frame.county_name) == {"牟定县"}
    assert frame.region_code.notna().all()
    for township, values in month.items():
        for field, value in values.items():
            assert frame.loc[township, field] == value, (township, field)
    assert frame.temporary_cases.isna().all() and frame.temporary_amount.isna().all()
    # The extra 医疗救助 column is not part of the dataset: ignored, and said so.
    assert "medical_cases" not in frame.columns
    assert any(p.slug == "unmapped-header" for p in problems)
    text = table.frame.to_csv(index=False)
    assert [p for p in make_families.PERSONAL if p in text] == []


# --- broken variants: `gongkai validate` names the cell -----------------------------------------

# What the engine reports for each broken file today: (dataset, problem, cell).
BROKEN = {
    "lottery-broken-subtotal.xlsx": ("lottery-fund", "sum-mismatch", "E5"),
    "budget-unit-slip.xlsx": ("budget-accounts", "implausible-ratio", "C10"),
    # The duplicate is located at the last key field of the second row (执行时间, F), same row as BROKEN's D20.
    "standards-duplicate-date.xlsx": ("subsidy-standards", "duplicate-row", "F20"),
    "standards-yearly-as-monthly.xlsx": ("subsidy-standards", "implausible-value", "D17"),
}


def test_every_broken_variant_is_covered(family_samples):
    _, truth = family_samples
    assert set(truth["broken"]) == set(BROKEN)


@pytest.mark.parametrize("name", list(BROKEN))
def test_validate_stops_a_broken_file_at_its_cell(family_samples, name, tmp_path, monkeypatch):
    directory, truth = family_samples
    dataset, slug, cell = BROKEN[name]
    expected = truth["broken"][name]
    assert cell[1:] == expected["cell"][1:]   # the row make_families broke
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path))
    result = gongkai("validate", str(directory / "broken" / name), "--dataset", dataset)
    assert result.exit_code == 1, result.output
    assert f"{name} ! {expected['sheet']} ! {cell} " in result.output, result.output
    # The same problem, by slug, in the problems the CLI reports.
    problems = Problems()
    spec = load_spec(dataset)
    table = normalize(spec, [directory / "broken" / name], FAMILIES[dataset][1], problems)
    check_quality(spec, table, None, problems)
    assert (slug, f"{name} ! {expected['sheet']} ! {cell}") in [(p.slug, str(p.where)) for p in problems.errors]
