"""Layouts beyond one table per sheet, and new templates of shipped datasets, published through the
real flow to the local portal.

Three samples of make_layouts.py: relief as three tables on one sheet (relief-recipients, `blocks`),
relief as a county-year sheet with months as columns (the bureau's own spec outside datasets/,
`period_columns`), a standards notice with its date and 文号 only in the title (subsidy-standards,
`from_text`). Two new templates of make_families.py, read by the shipped specs as they are: a budget
table with its 合计 right under the header (budget-accounts) and a GBK lottery CSV in whole 元 with
thousands separators, 执行率 and free text (lottery-fund). Each is published under a unique CKAN name;
the DataStore is then asked whether the published figures are the generator's true ones.
"""

from __future__ import annotations

import pytest

from gongkai.cli import _load_flow
from gongkai.spec import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

COUNTY_SPEC = ROOT / "datasets" / "samples" / "specs" / "relief-county-monthly.yaml"
COUNTY_PERIODS = ["2024-01", "2024-02"]


@pytest.fixture(scope="module")
def published(isolated_specs, family_samples, prefect_backend, portal, approve):
    """Each layout sample published: {dataset: (reports, DataStore table id)}."""
    directory, truth = family_samples
    layouts = truth["layouts"]
    names = isolated_specs(COUNTY_SPEC)
    flow = _load_flow()
    runs = {"relief-recipients": [("relief-blocks", layouts["blocks"]["period"])],
            "subsidy-standards": [("standards-notice", layouts["notice"]["period"])],
            "relief-county-monthly": [("relief-county-year", p) for p in COUNTY_PERIODS],
            "budget-accounts": [("budget-total-first", truth["new_templates"]["budget_total_first"]["period"])],
            "lottery-fund": [("lottery-whole-yuan", truth["new_templates"]["lottery_whole_yuan"]["period"])]}
    out = {}
    for dataset, periods in runs.items():
        reports = [approve(flow(dataset=dataset, period=period, source=str(directory / folder)))
                   for folder, period in periods]
        package = portal.action.package_show(id=names[dataset])
        series = next(r for r in package["resources"] if r["name"] == f"{dataset}-datastore")
        out[dataset] = reports, series["id"]
    return out


def sql(portal, query: str) -> list[dict]:
    return portal.action.datastore_search_sql(sql=query)["records"]


@pytest.mark.parametrize("dataset", ["relief-recipients", "subsidy-standards", "relief-county-monthly",
                                     "budget-accounts", "lottery-fund"])
def test_each_layout_is_published(published, dataset):
    reports, _ = published[dataset]
    assert [r["status"] for r in reports] == ["published"] * len(reports), [r["summary"] for r in reports]


def test_three_tables_on_one_sheet_are_the_true_township_figures(published, family_samples, portal):
    _, truth = family_samples
    blocks = truth["layouts"]["blocks"]
    _, table = published["relief-recipients"]
    records = {r["region_name"]: r for r in sql(portal, f'SELECT * FROM "{table}" WHERE period = \'2024-04\'')}
    assert set(records) == set(blocks["figures"])
    for township, figures in blocks["figures"].items():
        for name, value in figures.items():
            assert float(records[township][name]) == pytest.approx(value), (township, name)


def test_the_county_year_sheet_is_one_row_per_month_with_the_true_figures(published, family_samples, portal):
    _, truth = family_samples
    months = truth["layouts"]["county_year"]["figures"]
    _, table = published["relief-county-monthly"]
    records = sql(portal, f'SELECT * FROM "{table}" ORDER BY period')
    assert [(r["period"], r["region_name"], r["region_code"]) for r in records] == [
        (p, "元谋县", "532328000000") for p in COUNTY_PERIODS]
    for record in records:
        for name, value in months[record["period"]].items():
            assert float(record[name]) == pytest.approx(value), (record["period"], name)


def test_the_notice_publishes_its_date_and_document_number(published, family_samples, portal):
    _, truth = family_samples
    notice = truth["layouts"]["notice"]
    _, table = published["subsidy-standards"]
    records = sql(portal, f'SELECT standard_type, amount, amount_stated, unit_stated, effective_date, '
                          f'document_number FROM "{table}"')
    got = {r["standard_type"]: (float(r["amount_stated"]), r["unit_stated"], float(r["amount"]),
                                str(r["effective_date"])[:10], r["document_number"]) for r in records}
    assert got == {r["standard_type"]: (r["amount_stated"], r["unit_stated"], r["amount"], r["effective_date"],
                                        r["document_number"]) for r in notice["records"]}


def test_a_budget_table_with_its_total_first_is_every_item_in_yuan(published, family_samples, portal):
    _, truth = family_samples
    budget = truth["new_templates"]["budget_total_first"]
    _, table = published["budget-accounts"]
    records = sql(portal, f'''
        SELECT i.county_name, i.table_name, i.item_name, p.item_name AS parent_name, i.budget_amount, i.final_amount
        FROM "{table}" i LEFT JOIN "{table}" p
          ON p.item_code = i.parent_code AND p.table_name = i.table_name AND p.period = i.period''')
    got = {(r["county_name"], r["table_name"], r["item_name"]): r for r in records}
    assert len(got) == len(records) == len(budget["records"])      # the 合计 rows are checked, not items
    for true in budget["records"]:
        row = got[(true["county_name"], true["table"], true["item_name"])]
        assert row["parent_name"] == true["parent_item_name"], true
        assert (float(row["budget_amount"]), float(row["final_amount"])) == pytest.approx(
            (true["budget_amount"], true["final_amount"]), abs=0.005), true


def test_a_whole_yuan_lottery_csv_is_every_project_with_its_free_text(published, family_samples, portal):
    _, truth = family_samples
    lottery = truth["new_templates"]["lottery_whole_yuan"]
    _, table = published["lottery-fund"]
    records = sql(portal, f'SELECT * FROM "{table}"')
    got = {r["project_name"]: r for r in records}
    assert len(got) == len(records) == len(lottery["projects"])
    for true in lottery["projects"]:
        row = got[true["project_name"]]
        assert (row["period"], row["county_name"], row["category"], row["implementing_unit"], row["status"],
                row["results"]) == (true["year"], true["county_name"], true["category"], true["implementing_unit"],
                                    true["status"], true["results"])
        assert float(row["amount"]) == true["amount"]                  # whole 元, exactly
    assert not any("执行率" in column or "rate" in column for column in records[0])
