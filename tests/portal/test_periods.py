"""Annual, quarterly and monthly periods: the rules alone, then the portal refusing and accepting."""
import sys
from pathlib import Path

import ckanapi
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal" / "ckanext-gongkai"))

from ckanext.gongkai.periods import granularity, order_error, period_error  # noqa: E402

from conftest import dataset_fields  # noqa: E402

GOOD = [("2023", "year"), ("1999", "year"), ("2024-Q1", "quarter"), ("2024-Q4", "quarter"),
        ("2024-01", "month"), ("2024-12", "month")]
BAD = ["", "24", "20234", "2024-", "2024-Q0", "2024-Q5", "2024-q1", "2024Q1", "2024-00", "2024-13",
       "2024-3", "2024-1-01", "2024-03-01", "2024-H1", "0999", "March", " 2024", "2024 ", "２０２４", "2024\n", None, 2024]


@pytest.mark.parametrize("value, kind", GOOD)
def test_years_quarters_and_months_are_periods(value, kind):
    assert granularity(value) == kind
    assert period_error(value) is None


@pytest.mark.parametrize("value", BAD)
def test_garbage_is_not_a_period(value):
    assert granularity(value) is None
    assert "YYYY, YYYY-Qn or YYYY-MM" in period_error(value)


@pytest.mark.parametrize("start, end", [
    ("2023", "2023"), ("2021", "2024"), ("2024-Q1", "2024-Q1"), ("2023-Q4", "2024-Q1"),
    ("2024-01", "2024-12"), ("2023-12", "2024-01")])
def test_ordered_ranges_of_one_granularity_pass(start, end):
    assert order_error(start, end) is None


@pytest.mark.parametrize("start, end, word", [
    ("2024", "2023", "before"), ("2024-Q2", "2024-Q1", "before"), ("2024-Q1", "2023-Q4", "before"),
    ("2024-05", "2024-01", "before"), ("2024", "2024-Q4", "both"), ("2024-Q1", "2024-03", "both"),
    ("2024-01", "2024", "both")])
def test_reversed_or_mixed_ranges_fail(start, end, word):
    assert word in order_error(start, end)


def test_a_malformed_bound_is_left_to_the_field_check():
    assert order_error("2024-13", "2024-01") is None


@pytest.fixture
def org(created, unique):
    return created.organization(f"{unique}-org", "癸县民政局")["name"]


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.parametrize("start, end, frequency, resource_period", [
    ("2021", "2023", "annual", "2023"),
    ("2024-Q1", "2024-Q3", "quarterly", "2024-Q2"),
    ("2024-01", "2024-03", "monthly", "2024-03"),
    ("2023", "2023", "annual", "all"),
])
def test_the_portal_accepts_annual_quarterly_and_monthly_datasets(ckan, created, org, unique, start, end,
                                                                  frequency, resource_period):
    resources = [{"name": "x", "url": "http://example.com/x.csv", "format": "CSV", "period": resource_period}]
    dataset = created.dataset(**dataset_fields(f"{unique}-ok", org, period_start=start, period_end=end,
                                               frequency=frequency, resources=resources))
    shown = ckan.action.package_show(id=dataset["id"])
    assert (shown["period_start"], shown["period_end"], shown["frequency"]) == (start, end, frequency)
    assert shown["resources"][0]["period"] == resource_period
    found = ckan.action.package_search(fq=f'period_start:"{start}" AND name:{unique}-ok')
    assert found["count"] == 1


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.parametrize("fields, refused_field", [
    ({"period_start": "2024-Q5"}, "period_start"),
    ({"period_start": "2024-Q0", "period_end": "2024-Q1"}, "period_start"),
    ({"period_end": "2024-1"}, "period_end"),
    ({"period_end": "24"}, "period_end"),
    ({"period_start": "2024", "period_end": "2023"}, "period_end"),
    ({"period_start": "2024-Q3", "period_end": "2024-Q1"}, "period_end"),
    ({"period_start": "2024", "period_end": "2024-Q4"}, "period_end"),
    ({"period_start": "2024-Q1", "period_end": "2024-03"}, "period_end"),
])
def test_the_portal_refuses_bad_or_mixed_periods(ckan, org, unique, fields, refused_field):
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.package_create(**dataset_fields(f"{unique}-bad", org, **fields))
    assert refused_field in refused.value.error_dict


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.parametrize("period", ["2024-Q9", "Q1", "2024-H1", "2024年"])
def test_the_portal_refuses_a_bad_resource_period(ckan, org, unique, period):
    resources = [{"name": "x", "url": "http://example.com/x.csv", "period": period}]
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_create(**dataset_fields(f"{unique}-bad", org, resources=resources))
