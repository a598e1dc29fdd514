"""Benchmark DataStore loading: gongkai_datastore_load vs plain PostgreSQL COPY vs datastore_create.

    python benchmarks/datastore_bench.py              # 240,000 rows; JSON path on 24,000
    python benchmarks/datastore_bench.py --rows 50000 --json-rows 5000

Writes a deterministic series CSV shaped like the relief-recipients series (15
columns: 5 text, 10 numbers; UTF-8 with BOM, header = field ids) and measures,
in the same run:

- plain COPY: `COPY ... FROM STDIN` of the same CSV into a scratch table with
  the same column types and nothing else (no `_id`, no full text, no indexes),
  run by psql as the postgres user in the DataStore database: the floor;
- gongkai_datastore_load over HTTP (client wall clock, upload included): a
  first load, then a reload that swaps the table, with the full-text index
  method of the portal's configuration (CKAN's default: GiST), then a reload
  with `fts_index_method=gin`; the server's split (copy, fill `_full_text`,
  indexes, swap) is printed for each;
- the old path: datastore_delete + datastore_create with every record as
  JSON, as Publisher did, on fewer rows (it is linear, about 1,850 rows/s).

Prints seconds, rows/s and ratios. It creates one dataset `bench-datastore-load`
in organization `bench-org-load` and purges both at the end. Run as root on the
portal machine (psql runs as the postgres user); the CKAN token comes from
GONGKAI_CKAN_URL/GONGKAI_CKAN_TOKEN or portal/var/ckan.env.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ckanapi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from portal_bench import credentials  # noqa: E402

DATASET, ORGANIZATION = "bench-datastore-load", "bench-org-load"
TEXT = ["period", "county_code", "county_name", "region_code", "region_name"]
NUMBERS = [("urban_households", "int8"), ("urban_persons", "int8"), ("urban_amount", "numeric"),
           ("rural_households", "int8"), ("rural_persons", "int8"), ("rural_amount", "numeric"),
           ("tekun_persons", "int8"), ("tekun_amount", "numeric"),
           ("temporary_cases", "int8"), ("temporary_amount", "numeric")]
FIELDS = [{"id": name, "type": "text", "info": {"label": name, "notes": ""}} for name in TEXT] + [
    {"id": name, "type": kind, "info": {"label": name, "notes": ""}} for name, kind in NUMBERS]
PRIMARY_KEY = ["region_code", "period"]
COUNTIES = ["武定县", "禄劝县", "泰安市泰山区", "宁阳县", "东平县", "肥城市", "新泰市", "元谋县", "大姚县", "姚安县"]


def series_rows(rows: int):
    """Deterministic rows: 12 months x (rows / 12) townships, NULLs in the last two columns."""
    per_month = max(1, rows // 12)
    for i in range(rows):
        month, township = divmod(i, per_month)
        county = township % len(COUNTIES)
        households = township % 997
        yield [f"{2024 + month // 12}-{month % 12 + 1:02d}",
               f"5323{county:02d}", COUNTIES[county], f"5323{county:02d}{township:08d}", f"第{township}乡镇（街道）",
               households, households * 2 + 1, f"{households * 615.5:.2f}", township % 503, township % 1009,
               f"{(township % 503) * 388.25:.2f}", township % 13, f"{(township % 13) * 1200:.2f}",
               "" if township % 5 == 0 else township % 7, "" if township % 5 == 0 else f"{(township % 7) * 800:.2f}"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="\n") as out:
        out.write(",".join(f["id"] for f in FIELDS) + "\n")
        for row in series_rows(rows):
            out.write(",".join(str(v) for v in row) + "\n")


def records(rows: int) -> list[dict]:
    names = [f["id"] for f in FIELDS]
    return [{n: (None if v == "" else v) for n, v in zip(names, row)} for row in series_rows(rows)]


def plain_copy(csv_path: Path) -> float:
    """Server-side seconds of COPY FROM STDIN into a scratch table of the same types (psql \\timing)."""
    columns = ", ".join(f'"{f["id"]}" {f["type"]}' for f in FIELDS)
    script = (f"DROP TABLE IF EXISTS gongkai_bench_copy; CREATE TABLE gongkai_bench_copy ({columns});\n"
              "\\timing on\n"
              "COPY gongkai_bench_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8');\n")
    with csv_path.open("rb") as data:
        payload = script.encode() + data.read() + b"\\.\n"
    done = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qAt",
                           "datastore_default"], input=payload, capture_output=True, check=True)
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-qAt", "datastore_default", "-c",
                    "DROP TABLE gongkai_bench_copy"], capture_output=True, check=True)
    timing = re.findall(rb"Time: ([0-9.]+) ms", done.stdout + done.stderr)
    return float(timing[-1]) / 1000


def load(ckan, resource_id: str, csv_path: Path, **options) -> tuple[float, dict]:
    started = time.perf_counter()
    with csv_path.open("rb") as upload:
        result = ckan.call_action("gongkai_datastore_load", {
            "resource_id": resource_id, "fields": json.dumps(FIELDS), "primary_key": json.dumps(PRIMARY_KEY),
            **options}, files={"upload": (csv_path.name, upload)})
    return time.perf_counter() - started, result


def json_path(ckan, resource_id: str, rows: int) -> float:
    batch = records(rows)
    started = time.perf_counter()
    try:
        ckan.action.datastore_delete(resource_id=resource_id, force=True)
    except ckanapi.NotFound:
        pass
    ckan.action.datastore_create(resource_id=resource_id, force=True, fields=FIELDS, primary_key=PRIMARY_KEY,
                                 records=batch)
    return time.perf_counter() - started


def setup(ckan) -> tuple[str, str, str]:
    cleanup(ckan)
    org = ckan.action.organization_create(name=ORGANIZATION, title="基准测试（DataStore 加载）")
    dataset = ckan.action.package_create(
        name=DATASET, title="基准测试：DataStore 加载", title_en="Benchmark: DataStore load", owner_org=org["id"],
        disclosure="proactive", department="办公室", frequency="monthly", tags=[{"name": "gongkai-bench"}])
    ids = [ckan.action.resource_create(package_id=dataset["id"], name=name, format="CSV", period="all",
                                       url="http://example.com/series.csv")["id"] for name in ("copy", "json")]
    return dataset["id"], ids[0], ids[1]


def cleanup(ckan) -> None:
    for action, name in (("dataset_purge", DATASET), ("organization_purge", ORGANIZATION)):
        try:
            getattr(ckan.action, action)(id=name)
        except ckanapi.NotFound:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=240_000)
    parser.add_argument("--json-rows", type=int, default=24_000)
    args = parser.parse_args()
    url, token = credentials()
    ckan = ckanapi.RemoteCKAN(url, apikey=token)
    try:
        ckan.action.help_show(name="gongkai_datastore_load")
    except ckanapi.NotFound:
        sys.exit("the portal has no gongkai_datastore_load: restart it after updating ckanext-gongkai "
                 "(portal/portalctl down && portal/portalctl up)")

    rows, json_rows = args.rows, args.json_rows
    lines: list[tuple[str, float, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as folder:
        csv_path = Path(folder) / "series.csv"
        write_csv(csv_path, rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"series CSV: {rows:,} rows, {len(FIELDS)} columns, {size_mb:.1f} MB")
        _, copy_id, json_id = setup(ckan)
        try:
            floor = plain_copy(csv_path)
            lines.append(("plain COPY into a scratch table (psql, server side)", floor, rows, ""))
            first, result = load(ckan, copy_id, csv_path)
            lines.append(("gongkai_datastore_load, first load", first, rows, split(result)))
            again, result = load(ckan, copy_id, csv_path)
            lines.append(("gongkai_datastore_load, reload + swap", again, rows, split(result)))
            gin, result = load(ckan, copy_id, csv_path, fts_index_method="gin")
            lines.append(("gongkai_datastore_load, reload + swap, GIN", gin, rows, split(result)))
            old = json_path(ckan, json_id, json_rows)
            lines.append(("datastore_delete + datastore_create (JSON)", old, json_rows, ""))
        finally:
            cleanup(ckan)

    print(f"\n{'measurement':<52} {'rows':>8} {'seconds':>8} {'rows/s':>9}  server split (s)")
    for label, seconds, count, detail in lines:
        print(f"{label:<52} {count:>8,} {seconds:>8.2f} {count / seconds:>9,.0f}  {detail}")
    rate = {label: count / seconds for label, seconds, count, _ in lines}
    copy_rate = rate["plain COPY into a scratch table (psql, server side)"]
    json_rate = rate["datastore_delete + datastore_create (JSON)"]
    print()
    for label in ("gongkai_datastore_load, reload + swap", "gongkai_datastore_load, reload + swap, GIN"):
        print(f"{label}: {rate[label] / copy_rate:.1%} of plain COPY's rows/s (goal 50%), "
              f"{rate[label] / json_rate:.1f}x the JSON path")


def split(result: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in result["seconds"].items())


if __name__ == "__main__":
    main()
