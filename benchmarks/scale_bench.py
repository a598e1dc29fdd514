"""Province scale (issue 9): per stage seconds, rows/s and peak RSS, and the goal ratios, in one run.

    python benchmarks/scale_bench.py                 (or: make bench-scale; part of make bench)
    python benchmarks/scale_bench.py --roster-rows 200000 --no-portal
    python benchmarks/scale_bench.py --write-baseline

Inputs come from benchmarks/generate.py (deterministic): the 240,000-row series and the
1M-row roster as CSV and .xlsx. Every stage runs in a forked process of its own, so its peak
RSS is its own. Ratios are measured in the same run, so a busy machine moves both sides:

  validation       column-wise engine vs frictionless (the reference) on the same 1M-row
                   CSV, both reading the file; goal >= 20x, and the same findings
  quality          the relief suite (GE rules + sums, ratios, period over period against
                   11 released months) vs Great Expectations alone with the same rules,
                   on one month of 20,000 townships; goal <= 2x
  unchanged rerun  `gongkai run` of an unchanged, published period vs `gongkai validate` of
                   the same folder (both a fresh process, as a data officer types them); <= 1.5x
  DataStore        gongkai_datastore_load (reload + swap) vs plain COPY of the same CSV
                   (goal >= 50% of COPY's rows/s), and vs the JSON datastore_create path
  roster           end to end vs the read floor: needs the roster reader (another branch)

Each ratio is compared with benchmarks/baseline.json: worse by more than 20% is flagged
REGRESSION. Everything is written under a temporary folder, removed at the end; the portal
stages use their own dataset names and purge them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))
import generate  # noqa: E402

BASELINE = HERE / "baseline.json"
TOLERANCE = 0.20
# ratio -> (goal, True if higher is better)
GOALS = {
    "validation: frictionless / column-wise": (20.0, True),
    "quality: suite / Great Expectations alone": (2.0, False),
    "unchanged rerun / validate": (1.5, False),
    "DataStore load / plain COPY (rows/s)": (0.5, True),
    "DataStore load / JSON datastore_create (rows/s)": (None, True),
}


# -- running a stage in its own process ----------------------------------------------------

def _child(pipe, function, args):
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    pipe.send((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result))
    pipe.close()


def stage(label: str, rows: int, function, *args, lines: list):
    """Run function(*args) in a forked process; record seconds, rows/s and its peak RSS (MB)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, args))
    process.start()
    seconds, rss, result = receive.recv()
    process.join()
    lines.append((label, seconds, rows, rss))
    print(f"  {label:<58} {seconds:8.2f} s {rows / seconds:>11,.0f} rows/s {rss:7.0f} MB", flush=True)
    return seconds, result


# -- the stages ----------------------------------------------------------------------------

def read_csv(path: Path):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("rb") as f:
        names = f.readline().decode("utf-8-sig").strip().split(",")
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False))
    return table.num_rows


def read_xlsx(path: Path):
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()) - 1


def validate_columns(path: Path):
    """Read the CSV as text (as frictionless does) and check it column-wise."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from gongkai.validate import load_schema
    from gongkai.validate.columns import column_findings

    schema = load_schema(generate.ROSTER_SCHEMA)
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={f.name: pa.string() for f in schema.fields}, strings_can_be_null=False))
    return [tuple(f) for f in column_findings(schema, table.to_pandas())]


def validate_frictionless(path: Path):
    from frictionless import Resource

    from gongkai.validate import load_schema

    # frictionless refuses an absolute path as unsafe: name the file relative to its folder.
    resource = Resource(path.name, basepath=str(path.parent), schema=load_schema(generate.ROSTER_SCHEMA))
    report = resource.validate(limit_errors=10_000)
    return [(r, f or None, t, n) for r, f, t, n in report.flatten(["rowNumber", "fieldName", "type", "note"])]


def _month_and_earlier(series_csv: Path):
    import pandas as pd

    from gongkai.normalize import SourceTable
    from gongkai.validate import load_schema
    from gongkai.spec import load_spec

    spec = load_spec("relief-recipients")
    types = {f.name: {"integer": "Int64", "number": "float64"}.get(f.type, "str")
             for f in load_schema(spec.schema_path).fields}
    frame = pd.read_csv(series_csv, dtype=types, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    last = frame.period.max()
    month = frame[frame.period == last].reset_index(drop=True)
    return spec, SourceTable(last, month, [], []), frame[frame.period != last].reset_index(drop=True)


def quality_suite(series_csv: Path):
    from gongkai.problems import Problems
    from gongkai.quality import check_quality

    spec, table, previous = _month_and_earlier(series_csv)
    problems = Problems()
    check_quality(spec, table, previous, problems, {})
    return len(problems)


def quality_ge_alone(series_csv: Path):
    from gongkai.quality import load_suite
    from gongkai.quality.engine import run_expectations

    spec, table, _ = _month_and_earlier(series_csv)
    rules = load_suite(spec.suite_path).rules
    return len(run_expectations(table.frame, [rule.expectation() for rule in rules]))


def gongkai(*args: str, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gongkai.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"gongkai {' '.join(args)} exited {done.returncode}: {done.stdout[-2000:]}")
    return time.perf_counter() - started


# -- the portal parts ----------------------------------------------------------------------

def unchanged_vs_validate(folder: Path, lines: list) -> float:
    """Publish one month of the samples under a bench name, then time the unchanged rerun and validate."""
    import yaml

    sys.path.insert(0, str(REPO / "datasets" / "samples"))
    import make_samples

    samples, specs = folder / "samples", folder / "specs"
    make_samples.generate(samples)
    specs.mkdir()
    for path in (REPO / "datasets").glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec["ckan"]["name"] = f"bench-unchanged-{spec['name']}"
        (specs / path.name).write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "GONGKAI_DATASETS_DIR": str(specs), "GONGKAI_OUT": str(folder / "out"),
           "PYTHONPATH": str(REPO / "src")}
    run = ["run", "relief-recipients", "--period", "2024-01", "--source", str(samples)]
    try:
        first = gongkai(*run, env=env)
        rerun = min(gongkai(*run, env=env) for _ in range(2))
        check = min(gongkai("validate", str(samples), "--dataset", "relief-recipients", "--period", "2024-01",
                            env=env) for _ in range(2))
    finally:
        _purge("bench-unchanged-relief-recipients")
    rows = 41   # the samples' townships in one month
    for label, seconds in (("gongkai run, first (publishes)", first), ("gongkai run, unchanged rerun", rerun),
                           ("gongkai validate, same folder", check)):
        lines.append((label, seconds, rows, float("nan")))
        print(f"  {label:<58} {seconds:8.2f} s", flush=True)
    return rerun / check


def portal_answers() -> bool:
    import ckanapi

    from portal_bench import credentials

    try:
        url, token = credentials()
        ckanapi.RemoteCKAN(url, apikey=token).action.status_show()
        return True
    except (Exception, SystemExit):  # noqa: BLE001 - credentials() exits when the portal is down
        return False


def _purge(name: str) -> None:
    import ckanapi

    from portal_bench import credentials

    url, token = credentials()
    try:
        ckanapi.RemoteCKAN(url, apikey=token).action.dataset_purge(id=name)
    except ckanapi.NotFound:
        pass


def datastore(series_csv: Path, rows: int, json_rows: int, lines: list) -> tuple[float, float]:
    import ckanapi
    import datastore_bench as ds

    from portal_bench import credentials

    url, token = credentials()
    ckan = ckanapi.RemoteCKAN(url, apikey=token)
    _, copy_id, json_id = ds.setup(ckan)
    try:
        floor = ds.plain_copy(series_csv)
        ds.load(ckan, copy_id, series_csv)   # the first load; the monthly run is a reload
        reload, _ = ds.load(ckan, copy_id, series_csv)
        old = ds.json_path(ckan, json_id, json_rows)
    finally:
        ds.cleanup(ckan)
    for label, seconds, count in (("plain COPY (psql, server side)", floor, rows),
                                  ("gongkai_datastore_load, reload + swap", reload, rows),
                                  ("datastore_delete + datastore_create (JSON)", old, json_rows)):
        lines.append((label, seconds, count, float("nan")))
        print(f"  {label:<58} {seconds:8.2f} s {count / seconds:>11,.0f} rows/s", flush=True)
    return (rows / reload) / (rows / floor), (rows / reload) / (json_rows / old)


# -- report --------------------------------------------------------------------------------

def verdicts(ratios: dict[str, float]) -> list[str]:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))["ratios"] if BASELINE.exists() else {}
    out = []
    for name, value in ratios.items():
        goal, higher = GOALS[name]
        met = "" if goal is None else ("goal met" if (value >= goal if higher else value <= goal)
                                       else "GOAL MISSED")
        before = baseline.get(name)
        worse = before is not None and (value < before * (1 - TOLERANCE) if higher else value > before * (1 + TOLERANCE))
        shown = "—" if before is None else f"{before:.2f}"
        goal_text = "" if goal is None else f"{'≥' if higher else '≤'} {goal:g}"
        out.append(f"  {name:<50} {value:8.2f}  goal {goal_text:<6} baseline {shown:>6}  {met}"
                   f"{'  REGRESSION (>20% worse than baseline)' if worse else ''}")
    return out


def preload() -> None:
    """Import the libraries once, before any stage forks: a stage times its work, not imports
    (the unchanged-rerun and validate commands are fresh processes and include theirs)."""
    import frictionless  # noqa: F401
    import pyarrow.csv  # noqa: F401
    import python_calamine  # noqa: F401

    import gongkai.quality  # noqa: F401  (Great Expectations)
    import gongkai.validate  # noqa: F401
    from gongkai.quality.engine import _batch_definition

    _batch_definition()   # GE's context, built once per process (a real run builds it once too)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roster-rows", type=int, default=1_000_000)
    parser.add_argument("--series-rows", type=int, default=240_000)
    parser.add_argument("--json-rows", type=int, default=24_000)
    parser.add_argument("--no-portal", action="store_true", help="skip the unchanged-rerun and DataStore parts")
    parser.add_argument("--write-baseline", action="store_true", help="store this run's ratios as the baseline")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"scale bench, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    preload()
    lines: list = []
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="gongkai-scale-") as tmp:
        folder = Path(tmp)
        series, roster_csv, roster_xlsx = folder / "series.csv", folder / "roster.csv", folder / "roster.xlsx"
        rows = args.roster_rows
        stage("generate: series CSV", args.series_rows, generate.write_series_csv, series, args.series_rows,
              lines=lines)
        stage("generate: roster CSV", rows, generate.write_roster_csv, roster_csv, rows, lines=lines)
        stage("generate: roster .xlsx (XlsxWriter, constant memory)", rows, generate.write_roster_xlsx,
              roster_xlsx, rows, lines=lines)
        stage("read floor: roster CSV (pyarrow, as text)", rows, read_csv, roster_csv, lines=lines)
        stage("read floor: roster .xlsx (python-calamine)", rows, read_xlsx, roster_xlsx, lines=lines)
        fast, ours = stage("validate roster CSV: column-wise (read + check)", rows, validate_columns, roster_csv,
                           lines=lines)
        slow, reference = stage("validate roster CSV: frictionless (reference)", rows, validate_frictionless,
                                roster_csv, lines=lines)
        ratios["validation: frictionless / column-wise"] = slow / fast
        same = "same findings" if ours == reference else f"FINDINGS DIFFER ({len(ours)} vs {len(reference)})"
        print(f"  findings: {len(reference)} ({same})")
        suite, _ = stage("quality: relief suite, one month (20,000 townships)", args.series_rows // 12,
                         quality_suite, series, lines=lines)
        ge, _ = stage("quality: Great Expectations alone, same rules and frame", args.series_rows // 12,
                      quality_ge_alone, series, lines=lines)
        ratios["quality: suite / Great Expectations alone"] = suite / ge
        if not args.no_portal and portal_answers():
            ratios["unchanged rerun / validate"] = unchanged_vs_validate(folder, lines)
            load, json_ratio = datastore(series, args.series_rows, args.json_rows, lines)
            ratios["DataStore load / plain COPY (rows/s)"] = load
            ratios["DataStore load / JSON datastore_create (rows/s)"] = json_ratio
        elif not args.no_portal:
            print("  unchanged rerun and DataStore: skipped, the portal does not answer (make portal)")
        shutil.rmtree(folder / "out", ignore_errors=True)
    print("\nratios (same run):")
    print("\n".join(verdicts(ratios)))
    print("  roster end to end / read floor: needs the roster reader (not on this branch; goal ≤ 1.5x xlsx, ≤ 3x CSV)")
    print(f"\nscale bench: {time.perf_counter() - started:.0f} s in all")
    if args.write_baseline and len(ratios) == len(GOALS):
        BASELINE.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores",
                                        "ratios": {k: round(v, 3) for k, v in ratios.items()}}, indent=1) + "\n",
                            encoding="utf-8")
        print(f"baseline written: {BASELINE}")


if __name__ == "__main__":
    main()
