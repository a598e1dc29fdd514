"""Layouts beyond one table per sheet, published through the real flow to the local portal.

Three samples of make_layouts.py: relief as three tables on one sheet (relief-recipients, `blocks`),
relief as a county-year sheet with months as columns (the bureau's own spec outside datasets/,
`period_columns`), a standards notice with its date and 文号 only in the title (subsidy-standards,
`from_text`). Each is published under a unique CKAN name; the DataStore is then asked whether the
published figures are the generator's true ones.
"""

from __future__ import annotations

import pytest

from gongkai.cli import _load_flow
from gongkai.publish import connect
from gongkai.settings import portal_settings
from gongkai.spec import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

COUNTY_SPEC = ROOT / "datasets" / "samples" / "specs" / "relief-county-monthly.yaml"
COUNTY_PERIODS = ["2024-01", "2024-02"]


@pytest.fixture(scope="module")
def portal():
    return connect(portal_settings())


@pytest.fixture(scope="module")
def published(isolated_specs, family_samples, prefect_backend, portal, approve):
    """Each layout sample published: {dataset: (reports, DataStore table id)}."""
    directory, truth = family_samples
    layouts = truth["layouts"]
    names = isolated_specs(COUNTY_SPEC)
    flow = _load_flow()
    runs = {"relief-recipients": [("relief-blocks", layouts["blocks"]["period"])],
            "subsidy-standards": [("standards-notice", layouts["notice"]["period"])],
            "relief-county-monthly": [("relief-county-year", p) for p in COUNTY_PERIODS]}
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


@pytest.mark.parametrize("dataset", ["relief-recipients", "subsidy-standards", "relief-county-monthly"])
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
