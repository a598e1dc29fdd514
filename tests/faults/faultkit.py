"""Helpers for the fault tests: a big lottery-fund release, the CLI as a subprocess, the portal's
processes (stop, kill, restart, bring back), and the checks of what the public can see.

Nothing here is a mock: the CLI runs as a data officer runs it, against the real local CKAN,
PostgreSQL and Redis, and the faults are real signals and real service restarts.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import ckanapi
from gongkai.package import SERIES
import requests

from cli import Result, gongkai_subprocess

REPO = Path(__file__).resolve().parents[2]
PORTALCTL = REPO / "portal" / "portalctl"
PID_FILE = REPO / "portal" / "var" / "ckan.pid"
CKAN_ENV = REPO / "portal" / "var" / "ckan.env"
PORTAL_URL = "http://127.0.0.1:5000"
COUNTY = "武定县"
YEAR = "2023"
SOURCE_NAME = f"{COUNTY}{YEAR}年度福利彩票公益金使用情况.csv"
CATEGORIES = ["养老服务", "儿童福利", "残疾人福利", "社会救助", "社区服务"]
STATUSES = ["已完成", "已完成并投入使用", "已全部拨付", "项目实施中，已拨付资金80%", "已完成验收"]
# Personal data in the footer, as the county bureaus' sheets have it: it must never leave the reader.
FOOTER = [["填表人：吴某某", "", "", "联系电话：13800002222", "", "", ""], ["审核人：郑某某", "", "", "", "", "", ""]]


# ------------------------------------------------------------------------------------ the release --

def write_lottery_release(folder: Path, projects: int = 150_000, *, change: int = 0) -> Path:
    """武定县's 2023 lottery-fund table as a CSV export (万元, 小计 per category, 合计, a footer with a
    name and a phone), with `projects` project rows. `change` shifts every amount by change × 0.01
    万元, so release B differs from release A in every amount (and every 小计 and the 合计)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[f"{COUNTY}{YEAR}年度福利彩票公益金使用情况表", "", "", "", "", "", ""],
            [f"填报单位：{COUNTY}民政局", "", "", "", "", "", "单位：万元"],
            ["序号", "项目类别", "项目名称", "实施单位", "资金（万元）", "执行情况", "实际效果"]]
    per_category = projects // len(CATEGORIES)
    seq, total = 0, 0
    for c, category in enumerate(CATEGORIES):
        subtotal = 0
        for i in range(per_category):
            seq += 1
            cents = 300 + (seq * 7919) % 7700 + change          # hundredths of 万元
            subtotal += cents
            rows.append([seq, category if i == 0 else "", f"{category}资助项目第{i + 1:06d}号",
                         f"{COUNTY}民政局", f"{cents / 100:.2f}", STATUSES[seq % len(STATUSES)],
                         f"资助对象{seq % 90 + 10}名，项目按计划实施"])
        rows.append(["", "", "小计", "", f"{subtotal / 100:.2f}", "", ""])
        total += subtotal
    rows.append(["合计", "", "", "", f"{total / 100:.2f}", "", ""])
    rows.append([""] * 7)
    rows += FOOTER
    path = folder / SOURCE_NAME
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


# ------------------------------------------------------------------------------------ the CLI -----

def run_cli(*args: str, prefect_home: Path, timeout: float = 900, **extra: str) -> Result:
    """The CLI in a process of its own (tests/cli.py), with the test run's environment (GONGKAI_DATASETS_DIR,
    GONGKAI_OUT of the isolated specs) and extra; Prefect keeps its results in prefect_home."""
    return gongkai_subprocess(*args, env={"PREFECT_API_URL": None, "PREFECT_HOME": str(prefect_home),
                                          "PYTHONUNBUFFERED": "1", **extra}, timeout=timeout)


# ------------------------------------------------------------------------------------ the portal --

def api_ready(timeout: float = 3) -> bool:
    try:
        return requests.get(f"{PORTAL_URL}/api/3/action/status_show", timeout=timeout).ok
    except requests.RequestException:
        return False


def wait_for_portal(seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api_ready():
            return
        time.sleep(1)
    raise AssertionError(f"the portal did not answer status_show within {seconds:.0f} s")


def portalctl(command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(PORTALCTL), command], capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"portalctl {command} failed: {done.stdout}{done.stderr}")
    return done


def start_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", "start"], capture_output=True, timeout=120)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(1)
    raise AssertionError("PostgreSQL 15/main did not start")


def restore_portal() -> None:
    """PostgreSQL up, then CKAN up (a no-op when it already answers), then wait for status_show."""
    start_postgres()
    if not api_ready():
        portalctl("up")
    wait_for_portal()


def gunicorn_pids() -> list[int]:
    """The portal's gunicorn master (pid file) and its workers."""
    try:
        master = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return []
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [master, *map(int, children.split())]


def kill_gunicorn() -> list[int]:
    """SIGKILL the master and every worker at once: CKAN dies as in a power cut, mid-request."""
    pids = gunicorn_pids()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def admin_token() -> str:
    for line in CKAN_ENV.read_text().splitlines():
        if line.startswith("GONGKAI_CKAN_TOKEN="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"no token in {CKAN_ENV}")


def admin() -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(PORTAL_URL, apikey=admin_token())


def anonymous() -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(PORTAL_URL)


# ------------------------------------------------------------------------------------ checks ------

def download(url: str) -> bytes:
    response = requests.get(url, timeout=120)
    assert response.ok, f"HTTP {response.status_code} for {url}"
    return response.content


def sql(query: str) -> list[dict]:
    return anonymous().action.datastore_search_sql(sql=query)["records"]


def loading_datastore() -> bool:
    """Whether a gongkai_datastore_load transaction is running now (as PostgreSQL's superuser)."""
    query = ("SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' AND pid <> pg_backend_pid() "
             "AND (query LIKE '%gongkai_copy%' OR query LIKE '%_gongkai_next_%')")
    done = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-tAc", query],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip() not in ("", "0")


def series_figures(content: bytes) -> tuple[int, float]:
    """(rows, sum of amount) of a series CSV (the published one: formula guard, BOM possible)."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    count, total = 0, 0.0
    for row in reader:
        count += 1
        total += float(row["amount"]) if row["amount"] else 0.0
    return count, total


@dataclass
class PublicState:
    dataset: dict
    files: dict[str, bytes]                     # resource name -> downloaded bytes
    datastore: tuple[int, float] | None         # (COUNT, SUM(amount)) of the series table

    @property
    def version(self) -> str:
        return self.dataset["version"]

    def resource(self, suffix: str) -> dict:
        return next(r for r in self.dataset["resources"] if r["name"].endswith(suffix))


def public_state(name: str) -> PublicState:
    """What an anonymous user sees, checked for consistency whatever moment a fault hit:

    - no two resources share a name;
    - every resource's downloaded bytes hash to its `hash`;
    - datapackage.json names the same sha256 for every file as the resources do, and the dataset's
      version is the one it describes;
    - the DataStore table of the series answers SQL, and COUNT and SUM(amount) equal the series file
      whose sha256 the resource records as `datastore_sha256` (the current series, or the previous one
      if the run stopped between the release and the DataStore swap).
    """
    dataset = anonymous().action.package_show(id=name)
    names = [r["name"] for r in dataset["resources"]]
    assert len(names) == len(set(names)), f"duplicate resources: {names}"
    files = {}
    for resource in dataset["resources"]:
        if resource.get("url_type") == "datastore":   # the series' DataStore table: checked below
            continue
        content = download(resource["url"])
        assert hashlib.sha256(content).hexdigest() == resource["hash"], \
            f"{resource['name']}: the served file does not match its recorded sha256"
        files[resource["name"]] = content
    package = json.loads(files["datapackage.json"])
    # datapackage.json describes the current release (the latest revision of every period and the series);
    # the revisions it corrected stay listed on the page, outside it.
    described = {r["path"].rsplit("/", 1)[-1]: r.get("hash", "").removeprefix("sha256:") for r in package["resources"]}
    hashes = {r["name"]: r.get("hash") for r in dataset["resources"]}
    for name, sha in described.items():
        assert hashes.get(name) == sha, f"datapackage.json and the resource {name} disagree"
    assert {r["name"] for r in dataset["resources"] if r.get("period") == SERIES and r["format"] in ("CSV", "Parquet")
            } <= set(described), "datapackage.json does not describe the series"
    assert package.get("version") == dataset["version"], (package.get("version"), dataset["version"])
    series = next(r for r in dataset["resources"] if r.get("url_type") == "datastore")
    datastore = None
    if series.get("datastore_active"):
        record = sql(f'SELECT COUNT(*) AS n, SUM(amount) AS total FROM "{series["id"]}"')[0]
        datastore = (int(record["n"]), float(record["total"] or 0))
    return PublicState(dataset, files, datastore)


def file_figures_by_sha(state: PublicState, history: dict[str, tuple[int, float]]) -> None:
    """The DataStore holds exactly the series named by `datastore_sha256` (history: sha256 -> figures
    of every series file ever published in the test)."""
    series = next(r for r in state.dataset["resources"] if r.get("period") == SERIES and r["format"] == "CSV")
    table = next(r for r in state.dataset["resources"] if r.get("url_type") == "datastore")
    current = series_figures(state.files[series["name"]])
    history.setdefault(series["hash"], current)
    assert state.datastore is not None, "the series has no DataStore table"
    held = table.get("datastore_sha256")
    assert held in history, f"datastore_sha256 {held} names no series ever published"
    count, total = history[held]
    assert state.datastore[0] == count, (state.datastore, count, held == series["hash"])
    assert abs(state.datastore[1] - total) < 0.5, (state.datastore, total, held == series["hash"])


# ------------------------------------------------------------------------------------ scans -------

def load_personal() -> list[str]:
    """The made-up personal data of every sample generator's footers (PERSONAL lists), and this module's."""
    found = []
    for script in ("make_samples.py", "make_families.py"):
        text = (REPO / "datasets" / "samples" / script).read_text(encoding="utf-8")
        match = re.search(r"^PERSONAL = (\[.*?\])", text, re.S | re.M)
        found += ast.literal_eval(match.group(1))
    found += ["吴某某", "13800002222", "郑某某"]
    return sorted(set(found))


def as_text(name: str, content: bytes) -> str:
    """A file's content as text for the PII scan: Parquet through pyarrow (its pages are compressed)."""
    if name.endswith(".parquet"):
        import pyarrow.parquet

        table = pyarrow.parquet.read_table(io.BytesIO(content))
        return "\n".join(",".join("" if v is None else str(v) for v in row.values())
                         for row in table.to_pylist()) + "\n" + ",".join(table.column_names)
    return content.decode("utf-8", errors="replace")
