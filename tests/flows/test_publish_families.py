"""The other dataset families through the one generic flow, onto the real local portal.

Each family's samples (make_families.py) are published under a unique CKAN name; the
DataStore is then asked with SQL whether the published figures are the true ones.
"""

from __future__ import annotations

import ckanapi
import pytest

from gongkai.cli import _load_flow
from gongkai.flow import RunFailed
from gongkai.spec import load_spec

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

FAMILIES = {  # dataset -> (sample folder, period)
    "subsidy-standards": ("standards", "2024"),
    "lottery-fund": ("lottery", "2023"),
    "budget-accounts": ("budgets", "2023"),
}


@pytest.fixture(scope="module")
def flow():
    return _load_flow()


@pytest.fixture(scope="module")
def published(isolated_specs, family_samples, prefect_backend, flow, portal, approve):
    """Every family published once: {dataset: (report, package_show, series resource id)}."""
    directory, _ = family_samples
    names = isolated_specs()
    out = {}
    for dataset, (folder, period) in FAMILIES.items():
        report = approve(flow(dataset=dataset, period=period, source=str(directory / folder)))
        package = portal.action.package_show(id=names[dataset])
        series = next(r for r in package["resources"] if r["name"] == f"{dataset}-datastore")
        out[dataset] = report, package, series["id"]
    return out


def sql(portal, query: str) -> list[dict]:
    return portal.action.datastore_search_sql(sql=query)["records"]


@pytest.mark.parametrize("dataset", list(FAMILIES))
def test_each_family_is_published_with_its_metadata(published, dataset, isolated_specs):
    report, package, _ = published[dataset]
    spec = load_spec(dataset)
    period = FAMILIES[dataset][1]
    assert report["status"] == "published", report["summary"]
    assert (package["title"], package["title_en"]) == (spec.ckan.title, spec.ckan.title_en)
    assert package["notes_en"].strip() == spec.ckan.notes_en.strip()
    assert package["disclosure"] == "proactive" and package["department"] == spec.department
    assert package["version"] == "1.0.0"   # the first release
    names = {r["name"] for r in package["resources"]}
    assert {f"{dataset}-{period}.csv", f"{dataset}-{period}.parquet", f"{dataset}-all.csv",
            f"{dataset}-all.parquet", "datapackage.json", f"{dataset}-changelog.md"} <= names


@pytest.mark.parametrize("dataset", list(FAMILIES))
def test_each_family_is_found_by_its_chinese_title(published, dataset, portal):
    _, package, _ = published[dataset]
    query = package["title"][:4]
    found = portal.action.package_search(q=query, rows=1000)
    assert package["name"] in {r["name"] for r in found["results"]}, (query, found["count"])


def test_lottery_sums_per_county_are_the_true_totals(published, family_samples, portal):
    _, truth = family_samples
    _, _, table = published["lottery-fund"]
    records = sql(portal, f'SELECT county_name, SUM(amount) AS amount, COUNT(*) AS projects FROM "{table}" '
                          "GROUP BY county_name")
    sums = {r["county_name"]: r for r in records}
    assert set(sums) == set(truth["lottery"]["totals"])
    for county, total in truth["lottery"]["totals"].items():
        assert float(sums[county]["amount"]) == pytest.approx(total, abs=0.01), county
    assert sum(int(r["projects"]) for r in records) == len(truth["lottery"]["projects"])


def test_budget_parents_equal_the_sum_of_their_children(published, family_samples, portal):
    _, truth = family_samples
    _, _, table = published["budget-accounts"]
    records = sql(portal, f"""
        SELECT p.period, p.county_name, p.table_name, p.item_code, p.item_name,
               p.budget_amount AS budget, p.final_amount AS final,
               SUM(c.budget_amount) AS children_budget, SUM(c.final_amount) AS children_final,
               COUNT(*) AS children
        FROM "{table}" p JOIN "{table}" c
          ON c.parent_code = p.item_code AND c.period = p.period
         AND c.county_code = p.county_code AND c.table_name = p.table_name
        GROUP BY p.period, p.county_name, p.table_name, p.item_code, p.item_name, p.budget_amount, p.final_amount
    """)
    parents = {(r["county_name"], r["table"], r["parent_item_name"]) for r in truth["budgets"]
               if r["parent_item_name"]}
    assert len(records) == len(parents)
    for r in records:
        assert float(r["children_budget"]) == pytest.approx(float(r["budget"]), abs=0.01), r
        assert float(r["children_final"]) == pytest.approx(float(r["final"]), abs=0.01), r
    assert {r["period"] for r in records} == {"2023"}
    count = sql(portal, f'SELECT COUNT(*) AS n FROM "{table}"')[0]["n"]
    assert int(count) == len(truth["budgets"])


def test_a_yearly_standard_is_published_as_stated_and_per_month(published, portal):
    _, _, table = published["subsidy-standards"]
    records = sql(portal, f"SELECT amount_stated, unit_stated, amount FROM \"{table}\" "
                          "WHERE county_name = '元谋县' AND standard_type = '农村低保' "
                          "AND effective_date = '2024-01-01'")
    assert len(records) == 1
    row = records[0]
    assert (float(row["amount_stated"]), row["unit_stated"], float(row["amount"])) == (5160, "元/人·年", 430)


@pytest.mark.parametrize("broken, dataset, where", [
    ("lottery-broken-subtotal.xlsx", "lottery-fund", "lottery-broken-subtotal.xlsx ! 公益金使用情况 ! E5"),
    ("budget-unit-slip.xlsx", "budget-accounts", "budget-unit-slip.xlsx ! 收支总表 ! C10"),
    ("standards-duplicate-date.xlsx", "subsidy-standards", "standards-duplicate-date.xlsx ! 保障标准 ! F20"),
])
def test_a_broken_file_fails_and_publishes_nothing(broken, dataset, where, isolated_specs, family_samples,
                                                   prefect_backend, flow, portal):
    directory, _ = family_samples
    names = isolated_specs()   # fresh CKAN names: nothing of this dataset is on the portal yet
    with pytest.raises(RunFailed) as failed:
        flow(dataset=dataset, period=FAMILIES[dataset][1], source=str(directory / "broken" / broken))
    report = failed.value.report
    assert report.status == "failed" and report.uploaded == []
    assert where in [str(p.where) for p in report.problems.errors]
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id=names[dataset])
