"""Province scale (issue 9): per stage seconds, rows/s and peak RSS, and the goal ratios, in one run.

    python benchmarks/scale_bench.py                 (or: make bench-scale; part of make bench)
    python benchmarks/scale_bench.py --roster-rows 200000 --no-portal
    python benchmarks/scale_bench.py --relief-roster-rows 1000000 --no-portal   (the 1M-row roster end to end)
    python benchmarks/scale_bench.py --write-baseline

Inputs come from benchmarks/generate.py (deterministic): the 240,000-row series, the
1M-row roster as CSV and .xlsx, and relief-roster's own roster (花名册, default 200,000 rows
so that `make bench` stays under 15 minutes) as UTF-8 CSV and .xlsx. Every stage runs in a forked process of its own, so its peak
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
  roster           relief-roster end to end through the stage functions in the
                   flow's order (find_sources, extract_and_normalize, validate, assess_quality,
                   protect_small_cells, scan_outputs, package; publishing needs the portal, so it
                   stops at the staged release) vs the read floor: the fastest read of the same
                   file (python-calamine for .xlsx, fastexcel not being installed; pyarrow for
                   CSV) plus a pandas group-by of the villages written as CSV; goal <= 1.5x for
                   .xlsx, <= 3x for CSV, and peak RSS <= 2 GB

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
    "roster end to end / read floor, xlsx": (1.5, False),
    "roster end to end / read floor, CSV": (3.0, False),
}
RSS_GOAL_MB = 2048       # the roster end to end, the peak memory goal


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

    from gongkai.schema import load_schema
    from gongkai.validate.columns import column_findings

    schema = load_schema(generate.ROSTER_SCHEMA)
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={f.name: pa.string() for f in schema.fields}, strings_can_be_null=False))
    return [tuple(f) for f in column_findings(schema, table.to_pandas())]


def validate_frictionless(path: Path):
    from frictionless import Resource

    from gongkai.schema import load_schema

    # frictionless refuses an absolute path as unsafe: name the file relative to its folder.
    resource = Resource(path.name, basepath=str(path.parent), schema=load_schema(generate.ROSTER_SCHEMA))
    report = resource.validate(limit_errors=10_000)
    return [(r, f or None, t, n) for r, f, t, n in report.flatten(["rowNumber", "fieldName", "type", "note"])]


def _month_and_earlier(series_csv: Path):
    import pandas as pd

    from gongkai.normalize import SourceTable
    from gongkai.schema import load_schema
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
    from gongkai.quality.engine import expectation_of
    from gongkai.suite import load_suite
    from gongkai.quality.engine import run_expectations

    spec, table, _ = _month_and_earlier(series_csv)
    rules = load_suite(spec.suite_path).rules
    return len(run_expectations(table.frame, [expectation_of(rule) for rule in rules]))


# -- the relief roster end to end ---------------------------------------------------------

ROSTER_KEY = "bench-only-hmac-key-" + "0" * 44    # a test value: the benchmark keys synthetic IDs only
FLOOR_KEYS = ["乡镇（街道）", "村（社区）", "保障类别"]


def roster_end_to_end(path: Path, out: Path) -> dict:
    """relief-roster for one period through the flow's stage functions, up to the staged release.

    Runs in the forked stage process: GONGKAI_OUT (register, staging) points into the bench's
    temporary folder; the spec is the repository's, the source the generated file.
    """
    os.environ["GONGKAI_OUT"] = str(out)
    os.environ.setdefault("GONGKAI_HMAC_KEY", ROSTER_KEY)
    from gongkai.anonymize import protect_small_cells, scan_outputs
    from gongkai.extract import find_sources
    from gongkai.package import last_release_before, layout_for
    from gongkai.package.staging import stage_release
    from gongkai.problems import Problems
    from gongkai.publish.release import ckan_metadata, periods_after_release
    from gongkai.roster import roster_table
    from gongkai.stages import assess_quality
    from gongkai.validate import validate_table
    from gongkai.spec import load_spec

    spec, problems, seconds = load_spec("relief-roster"), Problems(), {}

    def step(name, function, *args):
        started = time.perf_counter()
        result = function(*args)
        seconds[name] = time.perf_counter() - started
        if problems.errors:
            raise RuntimeError(f"{name}: {[(p.slug, str(p.where)) for p in problems.errors][:5]}")
        return result

    period = generate.RELIEF_PERIOD
    files = step("find_sources", find_sources, spec, path, problems)
    table = step("extract+normalize (read, key)", roster_table, spec, files, period, problems,
                 layout_for(spec).root)
    step("validate", validate_table, spec.schema_path, table.frame, table.where, problems)
    step("assess_quality", assess_quality, spec, table, problems)
    anonymization = step("protect_small_cells (suppress + audit)", protect_small_cells, spec, table,
                         last_release_before(spec, period), problems)
    metadata = ckan_metadata(spec, periods_after_release(spec, period))
    step("scan_outputs (PII gate)", scan_outputs, table, metadata, problems)
    staged = step("package", stage_release, spec, table.frame, period, problems, "", files, anonymization)
    period_csv = next(f for f in staged.files if f.period == table.period and f.format == "CSV")
    households = next(p.params["households"] for p in problems if p.slug == "roster-read")
    return {"seconds": seconds, "households": households, "cells": len(table.frame), "csv_sha256": period_csv.sha256,
            "suppressed": anonymization["disclosure_control"]["suppressed_cells"]}


def _write_floor_aggregates(frame, out: Path) -> int:
    """The floor's aggregates: households, persons and amount per township, village and category."""
    frame["乡镇（街道）"] = frame["乡镇（街道）"].ffill()
    sums = frame.groupby(FLOOR_KEYS).agg(households=("身份证号码", "size"), persons=("保障人数", "sum"),
                                         amount=("月保障金额", "sum"))
    sums.to_csv(out)
    return int(sums["households"].sum())


def roster_floor_csv(path: Path, out: Path) -> int:
    """pyarrow reads the CSV (title and unit lines skipped, the shorter footer lines dropped), pandas groups."""
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=2),
                           parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
                           convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    frame = table.to_pandas()
    return _write_floor_aggregates(frame[frame["序号"] != "合计"].copy(), out)


def roster_floor_xlsx(path: Path, out: Path) -> int:
    """python-calamine reads the sheet, pandas groups the rows under the header down to the 合计 row."""
    import pandas as pd
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header, body = rows[2], rows[3:]
    end = next(i for i, row in enumerate(body) if row[0] == "合计")
    frame = pd.DataFrame(body[:end], columns=header).replace("", None)
    return _write_floor_aggregates(frame, out)


def roster(folder: Path, rows: int, lines: list, ratios: dict) -> None:
    """Generate relief-roster's roster, run it end to end and its read floor, for CSV and .xlsx."""
    results = {}
    for suffix, label, write, floor, floor_label in (
            ("csv", "CSV", generate.write_relief_roster_csv, roster_floor_csv, "pyarrow"),
            ("xlsx", "xlsx", generate.write_relief_roster_xlsx, roster_floor_xlsx, "python-calamine")):
        path = folder / "relief-roster" / suffix / generate.relief_roster_name(suffix)
        path.parent.mkdir(parents=True)
        stage(f"generate: relief roster {label}", rows, write, path, rows, lines=lines)
        low, counted = stage(f"roster floor {label}: {floor_label} read + group-by to CSV", rows, floor, path,
                             folder / f"floor-{suffix}.csv", lines=lines)
        ours, result = stage(f"roster end to end {label} (up to package)", rows, roster_end_to_end, path,
                             folder / f"out-{suffix}", lines=lines)
        for name, seconds in result["seconds"].items():
            print(f"      {name:<54} {seconds:8.2f} s")
        if counted != result["households"]:
            print(f"      HOUSEHOLDS DIFFER: floor {counted:,}, pipeline {result['households']:,}")
        ratios[f"roster end to end / read floor, {label}"] = ours / low
        results[label] = result
        shutil.rmtree(path.parent)
    same = results["CSV"]["csv_sha256"] == results["xlsx"]["csv_sha256"]
    print(f"  roster: {results['CSV']['cells']} published cells, suppressed {results['CSV']['suppressed']}; "
          f"{'the same release CSV from both files' if same else 'RELEASE CSVs DIFFER between CSV and xlsx'}; "
          "publish not run (needs the portal): the run stops at the staged release")
    peak = max(rss for label, _, _, rss in lines if label.startswith("roster end to end"))
    print(f"  roster end to end peak RSS: {peak:,.0f} MB ({'within' if peak <= RSS_GOAL_MB else 'OVER'} "
          f"the {RSS_GOAL_MB:,} MB goal)")


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

    import gongkai.stages  # noqa: F401  (every stage the roster end to end runs)
    import gongkai.quality  # noqa: F401  (Great Expectations)
    import gongkai.validate  # noqa: F401
    import xlsxwriter  # noqa: F401
    from gongkai.quality.engine import _batch_definition

    _batch_definition()   # GE's context, built once per process (a real run builds it once too)


def validation_and_quality(folder: Path, series: Path, args, lines: list, ratios: dict) -> None:
    """The 1M-row roster's validation (column-wise vs frictionless) and the quality suite vs GE."""
    roster_csv, roster_xlsx = folder / "roster.csv", folder / "roster.xlsx"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roster-rows", type=int, default=1_000_000)
    parser.add_argument("--series-rows", type=int, default=240_000)
    parser.add_argument("--relief-roster-rows", type=int, default=200_000,
                        help="rows of relief-roster's roster, end to end (1,000,000: the issue's figure)")
    parser.add_argument("--json-rows", type=int, default=24_000)
    parser.add_argument("--roster-only", action="store_true",
                        help="run only the relief roster end to end and its read floor (for the 1M-row figure)")
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
        series = folder / "series.csv"
        if not args.roster_only:
            validation_and_quality(folder, series, args, lines, ratios)
        roster(folder, args.relief_roster_rows, lines, ratios)
        if not (args.roster_only or args.no_portal) and portal_answers():
            ratios["unchanged rerun / validate"] = unchanged_vs_validate(folder, lines)
            load, json_ratio = datastore(series, args.series_rows, args.json_rows, lines)
            ratios["DataStore load / plain COPY (rows/s)"] = load
            ratios["DataStore load / JSON datastore_create (rows/s)"] = json_ratio
        elif not (args.roster_only or args.no_portal):
            print("  unchanged rerun and DataStore: skipped, the portal does not answer (make portal)")
        shutil.rmtree(folder / "out", ignore_errors=True)
    print("\nratios (same run):")
    print("\n".join(verdicts(ratios)))
    print(f"\nscale bench: {time.perf_counter() - started:.0f} s in all")
    if args.write_baseline and len(ratios) == len(GOALS):
        BASELINE.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores",
                                        "ratios": {k: round(v, 3) for k, v in ratios.items()}}, indent=1) + "\n",
                            encoding="utf-8")
        print(f"baseline written: {BASELINE}")


if __name__ == "__main__":
    main()
