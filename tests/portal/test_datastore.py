"""DataStore: typed tables, filtered search, SQL search and its read-only boundary."""
import ckanapi
import pytest

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]

FIELDS = [{"id": "county", "type": "text"}, {"id": "township", "type": "text"},
          {"id": "month", "type": "text"}, {"id": "households", "type": "int"},
          {"id": "amount_yuan", "type": "numeric"}]
RECORDS = [
    {"county": "武定县", "township": "狮山镇", "month": "2024-03", "households": 120, "amount_yuan": 48000.5},
    {"county": "武定县", "township": "高桥镇", "month": "2024-03", "households": 80, "amount_yuan": 30000},
    {"county": "禄劝县", "township": "屏山街道", "month": "2024-03", "households": 200, "amount_yuan": 90000},
]


@pytest.fixture
def table(ckan, created, unique):
    org = created.organization(f"{unique}-org", "壬县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-ds", org, resources=[]))
    result = ckan.action.datastore_create(
        resource={"package_id": dataset["id"], "name": "2024年3月", "format": "CSV", "period": "2024-03"},
        fields=FIELDS, records=RECORDS, force=True)
    return result["resource_id"]


def test_typed_table_answers_filtered_search(anonymous, table):
    result = anonymous.action.datastore_search(resource_id=table, filters={"county": "武定县"},
                                               sort="households desc")
    assert result["total"] == 2
    assert [r["township"] for r in result["records"]] == ["狮山镇", "高桥镇"]
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert (types["households"], types["amount_yuan"]) == ("int4", "numeric")


def test_sql_search_sums_by_group(anonymous, table):
    result = anonymous.action.datastore_search_sql(
        sql=f'SELECT county, SUM(households) AS households, SUM(amount_yuan) AS amount '
            f'FROM "{table}" GROUP BY county ORDER BY county')
    totals = {r["county"]: (int(r["households"]), float(r["amount"])) for r in result["records"]}
    assert totals == {"武定县": (200, 78000.5), "禄劝县": (200, 90000.0)}


def test_datastore_create_marks_the_resource_and_keeps_search_working(ckan, table, unique):
    resource = ckan.action.resource_show(id=table)
    assert resource["datastore_active"] is True
    found = ckan.action.package_search(q=f"name:{unique}-ds")
    assert found["count"] == 1
    assert found["results"][0]["resources"][0]["datastore_active"] is True

    ckan.action.datastore_delete(resource_id=table, force=True)
    found = ckan.action.package_search(q=f"name:{unique}-ds")
    assert found["results"][0]["resources"][0]["datastore_active"] is False


@pytest.mark.parametrize("sql", [
    'INSERT INTO "{table}" (county) VALUES (\'x\')',
    'DROP TABLE "{table}"',
    'DELETE FROM "{table}"',
    'SELECT * FROM "{table}"; DROP TABLE "{table}"',
    'CREATE TABLE evil (id int)',
])
def test_anonymous_sql_cannot_write(anonymous, ckan, table, sql):
    with pytest.raises((ckanapi.ValidationError, ckanapi.NotAuthorized, ckanapi.SearchQueryError)):
        anonymous.action.datastore_search_sql(sql=sql.format(table=table))
    assert ckan.action.datastore_search(resource_id=table)["total"] == len(RECORDS)


@pytest.mark.parametrize("sql", [
    'SELECT * FROM "user"',
    'SELECT * FROM package',
    'SELECT * FROM api_token',
    'SELECT * FROM gongkai_package_search',
])
def test_anonymous_sql_cannot_read_the_catalog(anonymous, sql):
    with pytest.raises((ckanapi.ValidationError, ckanapi.NotAuthorized, ckanapi.SearchQueryError)):
        anonymous.action.datastore_search_sql(sql=sql)
