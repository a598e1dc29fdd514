"""Benchmark the local CKAN portal: package_search latency and DataStore search on 1M rows.

    python benchmarks/portal_bench.py            # seed (idempotent) and measure
    python benchmarks/portal_bench.py --clean    # purge everything the benchmark created

Seeds 2,000 datasets with Chinese titles across 20 organizations, all in a
namespace of their own (names bench-NNNN, organizations bench-org-NN, tag
gongkai-bench) so they never mix with real data, plus one DataStore table of
1,000,000 rows loaded with a single INSERT ... SELECT in the DataStore database
(psql as the postgres user: run as root on the portal machine).

Measures p50/p95 of package_search (q + two facets) with 1 and 8 concurrent
clients, against status_show at the same concurrency (the HTTP/Flask floor),
and datastore_search with a filter against the same query run directly in
PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ckanapi
import requests

REPO = Path(__file__).resolve().parents[1]
CREDENTIALS_FILE = REPO / "portal" / "var" / "ckan.env"
DATASETS, ORGANIZATIONS, TABLE_ROWS = 2000, 20, 1_000_000
TAG = "gongkai-bench"
TABLE_DATASET = "bench-datastore"
TARGET_P95_MS = 100.0

COUNTIES = ["武定", "禄劝", "泰安", "宁阳", "东平", "肥城", "新泰", "岱岳", "泰山", "元谋",
            "大姚", "姚安", "永仁", "南华", "牟定", "双柏", "楚雄", "景洪", "勐海", "勐腊"]
TOPICS = ["城乡低保对象", "特困人员供养", "临时救助", "医疗救助", "福利彩票公益金使用",
          "部门预算", "部门决算", "高龄津贴发放", "残疾人两项补贴", "孤儿基本生活费"]
FORMATS = ["CSV", "XLSX", "PARQUET", "JSON"]


def credentials() -> tuple[str, str]:
    url, token = os.environ.get("GONGKAI_CKAN_URL"), os.environ.get("GONGKAI_CKAN_TOKEN")
    if not (url and token) and CREDENTIALS_FILE.exists():
        values = dict(line.split("=", 1) for line in CREDENTIALS_FILE.read_text().split() if "=" in line)
        url, token = url or values["GONGKAI_CKAN_URL"], token or values["GONGKAI_CKAN_TOKEN"]
    if not (url and token):
        sys.exit("no CKAN credentials: set GONGKAI_CKAN_URL/GONGKAI_CKAN_TOKEN or run `make portal`")
    try:
        requests.get(f"{url}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        sys.exit(f"CKAN portal at {url} is unreachable ({error}): run `make portal`")
    return url, token


# ------------------------------------------------------------------ seeding --

def seed_organizations(ckan: ckanapi.RemoteCKAN) -> list[str]:
    existing = set(ckan.action.organization_list(all_fields=False, limit=1000))
    names = [f"bench-org-{i:02d}" for i in range(ORGANIZATIONS)]
    for i, name in enumerate(names):
        if name not in existing:
            ckan.action.organization_create(name=name, title=f"{COUNTIES[i]}县民政局（基准测试）")
    return names


def dataset_fields(n: int, organization: str, county: str) -> dict:
    year, month = 2019 + n % 6, 1 + n % 12
    topic = TOPICS[n % len(TOPICS)]
    return dict(
        name=f"bench-{n:04d}", title=f"{county}县{year}年{month}月{topic}统计",
        title_en=f"{county} county {topic} statistics {year}-{month:02d} (benchmark)",
        notes=f"{county}县民政局按乡镇汇总的{topic}数据，{year}年{month}月。",
        owner_org=organization, license_id="cc-by", disclosure="proactive",
        department="社会救助科" if n % 2 else "规划财务科",
        frequency=["monthly", "quarterly", "annual", "irregular"][n % 4],
        period_start=f"{year}-{month:02d}", period_end=f"{year}-{month:02d}",
        tags=[{"name": TAG}, {"name": topic}],
        resources=[{"name": f"{year}年{month}月", "url": f"http://example.com/bench/{n}.csv",
                    "format": FORMATS[n % len(FORMATS)], "period": f"{year}-{month:02d}"}],
    )


def bench_datasets(ckan: ckanapi.RemoteCKAN, field: str) -> list[str]:
    """One field of every benchmark dataset, a page of 1,000 (CKAN's rows_max) at a time."""
    values: list[str] = []
    while True:
        page = ckan.action.package_search(fq=f"tags:{TAG}", fl=field, rows=1000, start=len(values),
                                          include_private=True, include_drafts=True)["results"]
        values.extend(d[field] if isinstance(d, dict) else d for d in page)
        if len(page) < 1000:
            return values


def seed_datasets(ckan: ckanapi.RemoteCKAN, organizations: list[str]) -> None:
    existing = set(bench_datasets(ckan, "name"))
    missing = [n for n in range(DATASETS) if f"bench-{n:04d}" not in existing]
    if not missing:
        print(f"seed: {DATASETS} benchmark datasets already present")
        return
    print(f"seed: creating {len(missing)} datasets across {len(organizations)} organizations ...")
    started = time.monotonic()

    def create(n: int) -> None:
        i = n % ORGANIZATIONS
        ckan.action.package_create(**dataset_fields(n, organizations[i], COUNTIES[i]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for done, _ in enumerate(pool.map(create, missing), 1):
            if done % 250 == 0:
                print(f"  {done}/{len(missing)} ({time.monotonic() - started:.0f}s)")
    print(f"seed: done in {time.monotonic() - started:.0f}s")


def psql(sql: str, database: str = "datastore_default") -> str:
    command = ["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qAt",
               "-d", database, "-c", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def seed_datastore_table(ckan: ckanapi.RemoteCKAN, organization: str) -> str:
    try:
        dataset = ckan.action.package_show(id=TABLE_DATASET)
    except ckanapi.NotFound:
        dataset = ckan.action.package_create(**dict(
            dataset_fields(0, organization, COUNTIES[0]), name=TABLE_DATASET,
            title="基准测试：乡镇低保月度明细（100万行）", resources=[]))
    if dataset["resources"]:
        resource_id = dataset["resources"][0]["id"]
        total = ckan.action.datastore_search(resource_id=resource_id, limit=0)["total"]
        if total == TABLE_ROWS:
            print(f"seed: DataStore table with {TABLE_ROWS:,} rows already present")
            return resource_id
    else:
        resource_id = ckan.action.datastore_create(
            resource={"package_id": dataset["id"], "name": "乡镇低保月度明细", "format": "CSV"},
            fields=[{"id": "county", "type": "text"}, {"id": "township", "type": "text"},
                    {"id": "month", "type": "text"}, {"id": "households", "type": "int"},
                    {"id": "persons", "type": "int"}, {"id": "amount_yuan", "type": "numeric"}],
            indexes=["township", "county"], force=True)["resource_id"]
    print(f"seed: loading {TABLE_ROWS:,} rows into the DataStore table with psql ...")
    started = time.monotonic()
    counties = "ARRAY[" + ",".join(f"'{c}县'" for c in COUNTIES) + "]"
    psql(f'TRUNCATE "{resource_id}"; '
         f'INSERT INTO "{resource_id}" (county, township, month, households, persons, amount_yuan) '
         f"SELECT ({counties})[1 + i % 20], '乡镇' || (i % 2000), "
         f"to_char(date '2019-01-01' + ((i / 2000) % 72) * interval '1 month', 'YYYY-MM'), "
         f"i % 500, i % 1200, (i % 100000) / 3.0 FROM generate_series(1, {TABLE_ROWS}) AS i; "
         f'ANALYZE "{resource_id}";')
    print(f"seed: table loaded in {time.monotonic() - started:.0f}s")
    return resource_id


# ------------------------------------------------------------------ measuring --

def measure(url: str, params: dict | None, clients: int, requests_per_client: int) -> list[float]:
    """Latencies in ms of GET url with `clients` concurrent sessions."""
    def client(_: int) -> list[float]:
        session, timings = requests.Session(), []
        for _ in range(requests_per_client):
            started = time.perf_counter()
            response = session.get(url, params=params, timeout=60)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        return timings

    client(0)  # warm up connections and caches
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [t for timings in pool.map(client, range(clients)) for t in timings]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(label: str, timings: list[float], floor: list[float] | None = None) -> tuple[float, float]:
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    line = f"{label:<44} n={len(timings):<4} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
    if floor:
        line += f"   ({p50 / percentile(floor, 0.5):.1f}x / {p95 / percentile(floor, 0.95):.1f}x the floor)"
    print(line)
    return p50, p95


def direct_sql_timings(resource_id: str, township: str, repeats: int) -> list[float]:
    """Server-side execution time of the query datastore_search runs, straight in PostgreSQL."""
    sql = (f'EXPLAIN (ANALYZE, FORMAT JSON) SELECT *, count(*) OVER () FROM "{resource_id}" '
           f"WHERE township = '{township}' LIMIT 100")
    return [json.loads(psql(sql))[0]["Execution Time"] for _ in range(repeats)]


def run_benchmark(url: str, resource_id: str) -> None:
    api = f"{url}/api/3/action"
    search = {"q": "低保", "facet.field": json.dumps(["organization", "res_format"]), "rows": 10}
    count = requests.get(f"{api}/package_search", params=search, timeout=60).json()["result"]["count"]
    print(f"\npackage_search q=低保 with facets organization, res_format: {count} matches")
    results = {}
    for clients, per_client in ((1, 100), (8, 40)):
        floor = measure(f"{api}/status_show", None, clients, per_client)
        report(f"status_show (floor), {clients} client(s)", floor)
        results[clients] = report(f"package_search q+2 facets, {clients} client(s)",
                                  measure(f"{api}/package_search", search, clients, per_client), floor)
    p95 = results[8][1]
    verdict = "meets" if p95 < TARGET_P95_MS else "misses"
    print(f"target: p95 at 8 clients {p95:.1f} ms {verdict} the {TARGET_P95_MS:.0f} ms target")

    township = "乡镇1234"
    filtered = {"resource_id": resource_id, "filters": json.dumps({"township": township}), "limit": 100}
    total = requests.get(f"{api}/datastore_search", params=filtered, timeout=60).json()["result"]["total"]
    print(f"\ndatastore_search filters={{township: {township}}} on {TABLE_ROWS:,} rows: {total} matches")
    direct = direct_sql_timings(resource_id, township, 30)
    report("direct PostgreSQL execution (floor)", direct)
    for clients, per_client in ((1, 100), (8, 40)):
        report(f"datastore_search filter, {clients} client(s)",
               measure(f"{api}/datastore_search", filtered, clients, per_client), direct)


def clean(ckan: ckanapi.RemoteCKAN) -> None:
    ids = bench_datasets(ckan, "id")
    print(f"clean: purging {len(ids)} datasets and {ORGANIZATIONS} organizations")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: ckan.action.dataset_purge(id=i), ids))
    for i in range(ORGANIZATIONS):
        try:
            ckan.action.organization_purge(id=f"bench-org-{i:02d}")
        except ckanapi.NotFound:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="purge the benchmark's datasets and exit")
    args = parser.parse_args()
    url, token = credentials()
    ckan = ckanapi.RemoteCKAN(url, apikey=token)
    if args.clean:
        clean(ckan)
        return
    organizations = seed_organizations(ckan)
    seed_datasets(ckan, organizations)
    resource_id = seed_datastore_table(ckan, organizations[0])
    run_benchmark(url, resource_id)


if __name__ == "__main__":
    main()
