"""Benchmark a province's month: 20 county workbooks normalized one after another vs on 2 worker processes.

    python benchmarks/province_bench.py          (or: make bench-province)

What it measures: extract + normalize + validate of one month (2024-03) sent by 20 fictional
counties of 楚雄州, one workbook each with TOWNSHIPS townships, through the flow's own code
(`gongkai.flow.extract`, `normalize_files`, `validate`) inside a Prefect flow on a temporary
Prefect server (prefect_test_harness; no portal):

  * workers=1 (GONGKAI_WORKERS unset): the files one after another in the flow's process;
  * workers=2, the machine's cores: each file a `normalize-file` task on a ProcessPoolTaskRunner
    of 2 processes, the parts combined in file order, then validated in the flow's process.

The workbooks are written with the samples' own `layout()` and `write_xlsx()` (title, unit line,
merged two-level header, 合计 row, footer with personal data, "—" zeros and "1,234" texts), as
benchmarks/flow_bench.py writes its county. Both runs must give the same rows and the same
problems, or the benchmark stops. Each figure is the best of REPEATS runs (time.perf_counter);
the parallel figure includes starting and stopping the worker processes, which a flow run pays
every time. Everything is written under a temporary directory that is removed at the end.

Heavy imports (gongkai, Prefect's server) happen in main(): the worker processes are spawned
and import this module again, and should not pay for them.
"""

from __future__ import annotations

import csv
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
PERIOD = "2024-03"
COUNTIES = 20
TOWNSHIPS = 1_500
WORKERS = 2
REPEATS = 2
PREFECTURE_CODE = "532300000000"


def counties() -> dict[str, str]:
    """Fictional county name -> code: 5323 is 楚雄州, 60-79 are unused there."""
    first = "云岭县 青山县 白河县 金沙县 松林县 桃源县 梅岭县 兰溪县 竹坪县 菊园县 " \
            "龙泉县 凤阳县 马坝县 牛栏县 羊街县 鹿鸣县 安和县 平川县 太和县 永安县"
    names = first.split()[:COUNTIES]
    return {name: f"5323{60 + i:02d}000000" for i, name in enumerate(names)}


def write_regions(path: Path, townships: dict[str, list]) -> Path:
    """The bureau's own regions file (the spec's `regions:`) adding the fictional counties to the national list."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "level", "parent_code", "aliases"])
        writer.writerow([PREFECTURE_CODE, "楚雄彝族自治州", "prefecture", "530000000000", "楚雄州"])
        for county, code in counties().items():
            writer.writerow([code, county, "county", PREFECTURE_CODE, ""])
            for t in townships[county]:
                writer.writerow([f"{code[:6]}{t.code[6:]}", t.official, "township", code, t.alias])
    return path


def write_workbooks(samples, flow_bench, directory: Path) -> tuple[list[Path], dict[str, list]]:
    """One workbook per county for PERIOD, written by make_samples (patched to know our counties)."""
    townships = {county: flow_bench.synthetic_townships(TOWNSHIPS) for county in counties()}
    wuding_messy = samples._messy
    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(
            samples, "TOWNSHIPS", {c: {t.spelled: t.official for t in ts} for c, ts in townships.items()}))
        patches.enter_context(mock.patch.object(samples, "PERIODS", [PERIOD]))
        patches.enter_context(mock.patch.object(
            samples, "NO_URBAN", {t.official for ts in townships.values() for t in ts[::15]}))
        patches.enter_context(mock.patch.dict(samples.FOOTERS, {c: samples.FOOTERS["武定县"] for c in counties()}))
        patches.enter_context(mock.patch.object(
            samples, "_messy", lambda county, name, field, value: wuding_messy("武定县", name, field, value)))
        figures = samples.true_figures()
        label = samples.month_label(PERIOD)
        files = [samples.write_xlsx(directory / f"{county}低保月报{PERIOD[:4]}年{PERIOD[5:]}月.xlsx",
                                    {label: samples.layout(county, PERIOD, figures[(county, PERIOD)])})
                 for county in counties()]
    return files, townships


def main() -> None:
    # As `gongkai run` does: no telemetry, whose writes to the test server's SQLite print tracebacks.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    import pandas as pd
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO / "benchmarks"))
    import flow_bench

    from gongkai import flow as stages
    from gongkai.problems import Problems
    from gongkai.spec import load_spec

    @flow(name="province-bench")
    def month(spec, folder: Path, workers: int):
        problems = Problems()
        files = stages.extract(spec, folder, problems)
        table = stages.normalize_files(spec, files, PERIOD, problems, workers)
        stages.validate(spec, table, problems)
        return table, problems

    def timed(spec, folder, workers):
        best, result = float("inf"), None
        for _ in range(REPEATS):
            start = time.perf_counter()
            result = month(spec, folder, workers)
            best = min(best, time.perf_counter() - start)
        return best, result

    samples = flow_bench.load_make_samples()
    with tempfile.TemporaryDirectory(prefix="gongkai-province-bench-") as tmp:
        scratch = Path(tmp)
        os.environ["GONGKAI_OUT"] = str(scratch / "out")
        start = time.perf_counter()
        files, townships = write_workbooks(samples, flow_bench, scratch / "sources")
        written = time.perf_counter() - start
        spec = load_spec("relief-recipients")
        spec = spec.model_copy(update={"regions": str(write_regions(scratch / "regions.csv", townships))})
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"province_bench: {COUNTIES} county workbooks x {TOWNSHIPS:,} townships, period {PERIOD} "
              f"({size:.1f} MB written in {written:.1f} s); best of {REPEATS}; {os.cpu_count()} cores "
              f"(load average {os.getloadavg()[0]:.2f}), Python {platform.python_version()}, pandas {pd.__version__}")
        with prefect_test_harness(server_startup_timeout=120):
            month(spec, files[0].parent, 1)            # warm: Great Expectations, frictionless, the server
            t_seq, (seq, seq_problems) = timed(spec, files[0].parent, 1)
            t_par, (par, par_problems) = timed(spec, files[0].parent, WORKERS)
        load = os.getloadavg()

    rows = len(seq.frame)
    flow_bench.no_errors(seq_problems, "sequential run")
    same_rows = seq.frame.equals(par.frame) and seq.origins == par.origins and seq.checks == par.checks
    same_problems = [p.as_dict() for p in seq_problems] == [p.as_dict() for p in par_problems]
    if rows != COUNTIES * TOWNSHIPS or not (same_rows and same_problems):
        raise SystemExit(f"the runs differ: {rows} rows; same rows {same_rows}, same problems {same_problems}")
    lines = [("extract+normalize+validate, workers=1", t_seq, rows / t_seq, "", None, ""),
             (f"extract+normalize+validate, workers={WORKERS}", t_par, rows / t_par,
              "workers=1", t_seq, f"{t_seq / t_par:.2f}x faster" if t_par < t_seq else f"{t_par / t_seq:.2f}x slower")]
    print()
    flow_bench.print_table(lines)
    print()
    print(f"same rows ({rows:,}) and the same {len(seq_problems)} problems in both runs: yes; "
          f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
