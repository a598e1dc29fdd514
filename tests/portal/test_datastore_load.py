"""gongkai_datastore_load: a DataStore table replaced by COPY and swapped in atomically.

Over HTTP with ckanapi, like the other portal tests. The load's results are
compared with a table made by CKAN's own datastore_create from the same rows.
"""
import io
import json
import secrets
import threading
import time

import ckanapi
import pytest

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]

FIELDS = [
    {"id": "county", "type": "text", "info": {"label": "县（市、区）", "notes": "县级行政区名称"}},
    {"id": "township", "type": "text", "info": {"label": "乡镇（街道）", "notes": ""}},
    {"id": "month", "type": "text"},
    {"id": "households", "type": "int8", "info": {"label": "户数", "notes": "城乡低保户数（户）"}},
    {"id": "amount_yuan", "type": "numeric", "info": {"label": "金额（元）", "notes": "C = 小数值抑制"}},
    {"id": "effective", "type": "date"},
]
PRIMARY_KEY = ["county", "township", "month"]
ROWS = [
    ("武定县", "狮山镇", "2024-03", 120, "48000.5", "2024-03-01"),
    ("武定县", "高桥镇", "2024-03", 80, "30000", "2024-03-01"),
    ("禄劝县", "屏山街道", "2024-03", 200, "90000", None),
    ("禄劝县", "转龙镇", "2024-03", None, None, "2024-01-15"),
]


def csv_bytes(rows, header=None, bom=True):
    header = header or [f["id"] for f in FIELDS]
    lines = [",".join(header)] + [",".join("" if v is None else f'"{v}"' if isinstance(v, str) else str(v)
                                           for v in row) for row in rows]
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode("utf-8")


def load(client, resource_id, data, fields=FIELDS, primary_key=PRIMARY_KEY, swap=True):
    return client.call_action("gongkai_datastore_load", {
        "resource_id": resource_id, "fields": json.dumps(fields, ensure_ascii=False),
        "primary_key": json.dumps(primary_key), "swap": json.dumps(swap)},
        files={"upload": ("series.csv", io.BytesIO(data))})


@pytest.fixture
def dataset(ckan, created, unique):
    org = created.organization(f"{unique}-org", "子县民政局")["name"]
    return created.dataset(**dataset_fields(f"{unique}-ds", org, resources=[]))


def new_resource(ckan, dataset, name="全部月份累计序列"):
    return ckan.action.resource_create(package_id=dataset["id"], name=name, format="CSV", period="all",
                                       url="http://example.com/series.csv")["id"]


@pytest.fixture
def resource_id(ckan, dataset):
    return new_resource(ckan, dataset)


def records(client, resource_id):
    result = client.action.datastore_search(resource_id=resource_id, sort="_id", limit=1000)
    return [{k: v for k, v in r.items() if k != "_id"} for r in result["records"]]


def test_a_load_answers_like_a_table_made_by_datastore_create(ckan, anonymous, dataset, resource_id):
    result = load(ckan, resource_id, csv_bytes(ROWS))
    assert (result["rows"], result["replaced"]) == (4, False)
    reference = new_resource(ckan, dataset, "datastore_create")
    ckan.action.datastore_create(
        resource_id=reference, fields=FIELDS, primary_key=PRIMARY_KEY, force=True,
        records=[dict(zip([f["id"] for f in FIELDS], row)) for row in ROWS])

    assert records(anonymous, resource_id) == records(anonymous, reference)
    ours, theirs = (anonymous.action.datastore_search(resource_id=r, limit=0) for r in (resource_id, reference))
    assert ours["fields"] == theirs["fields"]  # types and info
    assert {f["id"]: f.get("info") for f in ours["fields"]}["households"]["label"] == "户数"
    # full-text search: _full_text filled as CKAN's trigger fills it, and its indexes
    for q in ("狮山镇", "2024", "48000.5", {"township": "屏山街道"}):
        found = [anonymous.action.datastore_search(resource_id=r, q=q)["records"] for r in (resource_id, reference)]
        assert found[0] and [x["township"] for x in found[0]] == [x["township"] for x in found[1]]
    filtered = anonymous.action.datastore_search(resource_id=resource_id, filters={"county": "武定县"},
                                                 sort="households desc")
    assert [r["township"] for r in filtered["records"]] == ["狮山镇", "高桥镇"]

    sql = ('SELECT county, SUM(households) AS households, SUM(amount_yuan) AS amount, MIN(effective) AS first '
           'FROM "{}" GROUP BY county ORDER BY county')
    answers = [anonymous.action.datastore_search_sql(sql=sql.format(r))["records"] for r in (resource_id, reference)]
    assert answers[0] == answers[1]
    assert [(r["county"], int(r["households"])) for r in answers[0]] == [("武定县", 200), ("禄劝县", 200)]

    info, reference_info = (ckan.action.datastore_info(id=r) for r in (resource_id, reference))
    assert info["meta"]["count"] == reference_info["meta"]["count"] == 4
    strip = [{k: v for k, v in f.items() if k != "schema"} | {"schema": {
        k: v for k, v in f["schema"].items() if k != "index_name"}} for f in info["fields"]]
    strip_reference = [{k: v for k, v in f.items() if k != "schema"} | {"schema": {
        k: v for k, v in f["schema"].items() if k != "index_name"}} for f in reference_info["fields"]]
    assert strip == strip_reference

    resource = ckan.action.resource_show(id=resource_id)
    assert resource["datastore_active"] is True
    found = ckan.action.package_search(q=f"name:{dataset['name']}")["results"][0]
    assert {r["id"]: r["datastore_active"] for r in found["resources"]}[resource_id] is True


def test_a_reload_replaces_the_rows_keeps_field_info_and_enforces_the_key(ckan, anonymous, resource_id):
    load(ckan, resource_id, csv_bytes(ROWS))
    changed = [("武定县", "狮山镇", "2024-03", 121, "48100", "2024-03-01"),
               ("武定县", "狮山镇", "2024-04", 119, "47600.25", "2024-04-01"),
               ("禄劝县", "屏山街道", "2024-03", 200, "90000", None)]
    # fields sent without info keep the info they had; info sent now replaces it
    fields = [{k: v for k, v in f.items() if k != "info"} for f in FIELDS]
    fields[1]["info"] = {"label": "乡镇", "notes": "乡镇或街道"}
    result = load(ckan, resource_id, csv_bytes(changed), fields=fields)
    assert (result["rows"], result["replaced"]) == (3, True)

    got = records(anonymous, resource_id)
    assert [(r["township"], r["month"], r["households"], r["amount_yuan"]) for r in got] == [
        ("狮山镇", "2024-03", 121, 48100), ("狮山镇", "2024-04", 119, 47600.25), ("屏山街道", "2024-03", 200, 90000)]
    assert anonymous.action.datastore_search(resource_id=resource_id, q="高桥镇")["total"] == 0
    info = {f["id"]: f.get("info") for f in ckan.action.datastore_info(id=resource_id)["fields"]}
    assert info["county"] == FIELDS[0]["info"]
    assert info["households"] == FIELDS[3]["info"]
    assert info["township"] == {"label": "乡镇", "notes": "乡镇或街道"}

    # the key holds: a duplicate row refuses the load, and the table stays as it was
    duplicated = changed + [changed[0]]
    with pytest.raises(ckanapi.ValidationError) as refused:
        load(ckan, resource_id, csv_bytes(duplicated))
    assert "primary_key" in refused.value.error_dict
    assert records(anonymous, resource_id) == got
    # ... and it holds for later writes through CKAN's own datastore_upsert too
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_upsert(resource_id=resource_id, method="insert", force=True, records=[
            {"county": "武定县", "township": "狮山镇", "month": "2024-03", "households": 1}])
    ckan.action.datastore_upsert(resource_id=resource_id, method="upsert", force=True, records=[
        {"county": "武定县", "township": "狮山镇", "month": "2024-03", "households": 122}])
    assert anonymous.action.datastore_search(resource_id=resource_id, q="122")["records"][0]["households"] == 122


def test_a_prepared_table_is_served_only_after_the_swap(ckan, anonymous, resource_id):
    """A publisher loads the next series first (swap=false), makes the release's files public, then swaps."""
    load(ckan, resource_id, csv_bytes(ROWS))
    first = records(anonymous, resource_id)
    changed = [("武定县", "狮山镇", "2024-04", 119, "47600.25", "2024-04-01")]
    assert load(ckan, resource_id, csv_bytes(ROWS[:1]), swap=False)["swapped"] is False
    prepared = load(ckan, resource_id, csv_bytes(changed), swap=False)   # a newer prepared table replaces it
    assert (prepared["rows"], prepared["replaced"]) == (1, False)
    assert records(anonymous, resource_id) == first
    assert anonymous.action.datastore_search(resource_id=resource_id, q="高桥镇")["total"] == 1

    assert ckan.action.gongkai_datastore_swap(resource_id=resource_id)["replaced"] is True
    assert [(r["month"], r["households"]) for r in records(anonymous, resource_id)] == [("2024-04", 119)]
    info = {f["id"]: f.get("info") for f in ckan.action.datastore_info(id=resource_id)["fields"]}
    assert info["households"] == FIELDS[3]["info"]
    # the key and the full-text index came with it
    assert anonymous.action.datastore_search(resource_id=resource_id, q="狮山镇")["total"] == 1
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_upsert(resource_id=resource_id, method="insert", force=True, records=[
            {"county": "武定县", "township": "狮山镇", "month": "2024-04", "households": 1}])
    # nothing is left to swap, and saying so changes nothing
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.gongkai_datastore_swap(resource_id=resource_id)
    assert "no prepared table" in str(refused.value.error_dict)
    assert len(records(anonymous, resource_id)) == 1


def test_only_sysadmins_may_swap(anonymous, resource_id):
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.gongkai_datastore_swap(resource_id=resource_id)


@pytest.mark.parametrize("rows, words", [
    ([*ROWS, ("武定县", "狮山镇", "2024-04", "一百二十", "1", None)], ["households", "line 6", "一百二十"]),
    ([("武定县", "狮山镇", "2024-03", 1, "1", "2024-02-30")], ["effective", "line 2"]),
    ([*ROWS[:3], ("武定县", "狮山镇", "2024-04", 1.5, "1", None)], ["households", "line 5"]),
])
def test_a_bad_value_fails_cleanly_and_leaves_the_old_table(ckan, anonymous, resource_id, rows, words):
    load(ckan, resource_id, csv_bytes(ROWS))
    before = records(anonymous, resource_id)
    with pytest.raises(ckanapi.ValidationError) as refused:
        load(ckan, resource_id, csv_bytes(rows))
    message = " ".join(refused.value.error_dict["upload"])
    assert all(word in message for word in words), message
    assert records(anonymous, resource_id) == before
    assert ckan.action.datastore_info(id=resource_id)["meta"]["count"] == len(ROWS)


def test_a_failed_first_load_creates_nothing(ckan, resource_id):
    with pytest.raises(ckanapi.ValidationError):
        load(ckan, resource_id, csv_bytes([("a", "b", "c", "x", "1", None)]))
    assert ckan.action.resource_show(id=resource_id).get("datastore_active") in (False, None)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id=resource_id)


@pytest.mark.parametrize("data, fields, primary_key, field", [
    (csv_bytes(ROWS, header=["county", "township", "month", "households", "amount_yuan", "extra"]),
     FIELDS, PRIMARY_KEY, "upload"),
    (csv_bytes(ROWS), FIELDS[:-1], PRIMARY_KEY, "upload"),
    (csv_bytes(ROWS), FIELDS, ["county", "nope"], "primary_key"),
    (csv_bytes(ROWS), FIELDS[:-1] + [{"id": "effective", "type": "jsonb"}], PRIMARY_KEY, "fields"),
    (csv_bytes(ROWS), FIELDS[:-1] + [{"id": "_effective", "type": "date"}], PRIMARY_KEY, "fields"),
    ("一二三".encode("gbk") + b"\n", FIELDS, PRIMARY_KEY, "upload"),
])
def test_bad_requests_are_refused_with_the_reason(ckan, resource_id, data, fields, primary_key, field):
    with pytest.raises(ckanapi.ValidationError) as refused:
        load(ckan, resource_id, data, fields=fields, primary_key=primary_key)
    assert field in refused.value.error_dict


def test_csv_without_bom_in_another_column_order_and_crlf_loads(ckan, anonymous, resource_id):
    order = ["month", "households", "county", "township", "effective", "amount_yuan"]
    ids = [f["id"] for f in FIELDS]
    rows = [tuple(row[ids.index(c)] for c in order) for row in ROWS]
    data = csv_bytes(rows, header=order, bom=False).replace(b"\n", b"\r\n")
    assert load(ckan, resource_id, data)["rows"] == 4
    assert records(anonymous, resource_id)[0] == dict(zip(ids, [*ROWS[0][:3], 120, 48000.5, "2024-03-01"]))


def test_a_resource_that_does_not_exist_is_not_found(ckan):
    with pytest.raises(ckanapi.NotFound):
        load(ckan, "00000000-0000-0000-0000-000000000000", csv_bytes(ROWS))


@pytest.fixture
def org_admin(ckan, dataset, portal_url):
    """A normal user (not sysadmin) who administers the dataset's organization."""
    name = f"gk{secrets.token_hex(5)}"
    ckan.action.user_create(name=name, email=f"{name}@example.com", password=secrets.token_urlsafe(16))
    ckan.action.organization_member_create(id=dataset["owner_org"], username=name, role="admin")
    token = ckan.action.api_token_create(user=name, name="test")["token"]
    yield ckanapi.RemoteCKAN(portal_url, apikey=token)
    ckan.action.user_delete(id=name)


def test_only_sysadmins_may_load(ckan, anonymous, org_admin, resource_id):
    load(ckan, resource_id, csv_bytes(ROWS))
    # the organization's admin may write the DataStore through CKAN's actions, but not load
    org_admin.action.datastore_upsert(resource_id=resource_id, method="upsert", force=True, records=[
        {"county": "武定县", "township": "狮山镇", "month": "2024-03", "households": 7}])
    for client in (org_admin, anonymous):
        with pytest.raises(ckanapi.NotAuthorized):
            load(client, resource_id, csv_bytes(ROWS[:1]))
    assert ckan.action.datastore_info(id=resource_id)["meta"]["count"] == len(ROWS)


def big_csv(rows, month):
    lines = ["\ufeffcounty,township,month,households,amount_yuan,effective"]
    lines += [f"县{i // 1000},乡镇{i},{month},{i % 997},{i % 89}.5,2024-03-01" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.slow
def test_queries_during_a_reload_see_the_old_or_the_new_table_never_a_gap(ckan, portal_url, resource_id):
    old_total, new_total = 50_000, 200_000
    load(ckan, resource_id, big_csv(old_total, "2024-02"))
    observed, failures, stop = [], [], threading.Event()

    def query_loop(use_sql):
        client = ckanapi.RemoteCKAN(portal_url)
        while not stop.is_set():
            try:
                if use_sql:
                    result = client.action.datastore_search_sql(sql=f'SELECT COUNT(*) AS n FROM "{resource_id}"')
                    observed.append(("sql", time.monotonic(), int(result["records"][0]["n"])))
                else:
                    result = client.action.datastore_search(resource_id=resource_id, limit=1,
                                                            filters={"township": "乡镇4321"})
                    observed.append(("search", time.monotonic(), result["total"]))
                    if result["total"] != 1 or result["records"][0]["households"] != 4321 % 997:
                        failures.append(("search", result["total"], result["records"]))
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                failures.append((use_sql, repr(error)))

    threads = [threading.Thread(target=query_loop, args=(use_sql,)) for use_sql in (True, False)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    started = time.monotonic()
    result = load(ckan, resource_id, big_csv(new_total, "2024-03"))
    finished = time.monotonic()
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()

    assert result["rows"] == new_total
    assert not failures, failures[:5]
    counts = [n for kind, _, n in observed if kind == "sql"]
    assert set(counts) <= {old_total, new_total}, sorted(set(counts))
    during = [n for kind, at, n in observed if kind == "sql" and started <= at <= finished]
    assert len(during) >= 5, "the queries did not overlap the reload"
    assert old_total in during
    assert counts[-1] == new_total
    assert sum(kind == "search" and started <= at <= finished for kind, at, _ in observed) >= 5
