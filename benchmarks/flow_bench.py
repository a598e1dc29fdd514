"""Benchmark the pipeline stages on one large county, against baselines measured in the same run.

    python benchmarks/flow_bench.py          (or: make bench-flow)

What it measures: the plain stage functions of `gongkai.stages` and the stage packages (no Prefect, no portal),
for one month of a synthetic county with 2,000 townships, as a monthly run sees it:

  * the source is the county's workbook with 12 monthly sheets (.xlsx, written with the
    samples' own `layout()` and `write_xlsx()`, so it has their title, unit line, merged
    two-level header, 合计 row, footer with personal data, "—" zeros and "1,234" texts),
    or the same twelve months as GBK CSV exports;
  * the eleven earlier months are already released, so the quality stage checks month over
    month and the package stage rebuilds the 12-month series, as in December's real run.

Why the baselines: house rule says speed is measured here, as figures and ratios against a
baseline timed in the same run on the same machine, never asserted in unit tests. Ratios
survive a slower or busier machine; absolute seconds do not.

  * extract+normalize vs the raw python-calamine read of every sheet to lists: the floor,
    since we read with calamine too; the ratio is what interpreting the cells costs;
  * extract+normalize vs pandas.read_excel(engine="openpyxl"), the common alternative;
  * package vs plain DataFrame.to_csv + to_parquet of the same two frames (the month and the
    series) without our extras (sorting, explicit Arrow schema, zstd, BOM, sha256, reading
    the released months back).

Each figure is the best of REPEATS runs (time.perf_counter). rows/s counts the rows of the
month's table (one per township), although extract reads all twelve sheets to find them.
Everything is written under a temporary directory that is removed at the end.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import pandas as pd
import python_calamine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from table import print_rows  # noqa: E402
from gongkai.anonymize import protect_small_cells, scan_outputs  # noqa: E402
from gongkai.extract import find_sources  # noqa: E402
from gongkai.normalize import normalize  # noqa: E402
from gongkai.package import last_release_before, layout_for  # noqa: E402
from gongkai.package.staging import stage_release  # noqa: E402
from gongkai.publish.release import ckan_metadata, periods_after_release  # noqa: E402
from gongkai.stages import assess_quality  # noqa: E402
from gongkai.validate import validate_table  # noqa: E402
from gongkai.package import SERIES, read_period  # noqa: E402
from gongkai.problems import Problems  # noqa: E402
from gongkai.spec import load_spec  # noqa: E402

DATASET = "relief-recipients"
COUNTY, COUNTY_CODE = "云岭县", "532399000000"          # fictional: 5323 is 楚雄州, 99 is unused
PREFECTURE_CODE = "532300000000"
TOWNSHIPS = 2_000
PERIODS = [f"2024-{m:02d}" for m in range(1, 13)]
PERIOD = PERIODS[-1]                                   # the month under test; the others are released
REPEATS = 5

# Common, GBK-encodable characters: 50 x 40 two-character stems give 2,000 distinct townships.
FIRST = "东西南北中上下大小新老青白红黄金银石山水河湖江海田林松柏桃李杏梅兰竹菊云龙凤马牛羊鹿安和平太永长光明"
SECOND = "山水河溪湖塘坝冲沟坡岭峰村庄街营屯堡寨关口桥渡铺场坪甸川谷源泉井门城园湾洲岗阳台"


# -- the synthetic county ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Township:
    code: str
    official: str        # as in the regions file
    spelled: str         # as the county's own sheet writes it
    alias: str = ""      # registered in the regions file so `spelled` resolves


def synthetic_townships(count: int = TOWNSHIPS) -> list[Township]:
    """Distinct townships with the slips real sheets have: an alias every 25th, a stray space every 40th."""
    stems = [a + b for a in FIRST for b in SECOND]
    townships = []
    for i, stem in enumerate(stems[:count]):
        code = f"{COUNTY_CODE[:6]}{i + 1:04d}00"
        if i % 25 == 0:
            townships.append(Township(code, f"{stem}彝族乡", f"{stem}乡", alias=f"{stem}乡"))
        elif i % 40 == 1:
            townships.append(Township(code, f"{stem}镇", f"{stem} 镇"))
        else:
            townships.append(Township(code, stem + ("镇" if i % 3 else "乡"), stem + ("镇" if i % 3 else "乡")))
    if len(townships) < count or len({t.official for t in townships}) < count:
        raise SystemExit(f"cannot make {count} distinct township names from FIRST x SECOND")
    return townships


def write_regions(path: Path, townships: list[Township]) -> Path:
    """The bureau's own regions file (the spec's `regions:`) adding the synthetic county to the national list."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "level", "parent_code", "aliases"])
        writer.writerow([PREFECTURE_CODE, "楚雄彝族自治州", "prefecture", "530000000000", "楚雄州"])
        writer.writerow([COUNTY_CODE, COUNTY, "county", PREFECTURE_CODE, ""])
        for t in townships:
            writer.writerow([t.code, t.official, "township", COUNTY_CODE, t.alias])
    return path


def load_make_samples():
    path = REPO / "datasets" / "samples" / "make_samples.py"
    module_spec = importlib.util.spec_from_file_location("make_samples", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["make_samples"] = module  # dataclasses look their module up there
    module_spec.loader.exec_module(module)
    return module


def write_sources(samples, townships: list[Township], directory: Path) -> tuple[Path, list[Path]]:
    """The county's 12-sheet workbook and its 12 monthly GBK CSV exports, from make_samples' own writers.

    make_samples knows three real counties; patching its tables makes it write ours, with
    武定县's habits ("—" for zero, "1,234" as text, a footer with a phone number).
    """
    spelled = {t.spelled: t.official for t in townships}
    wuding_messy = samples._messy
    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(samples, "TOWNSHIPS", {COUNTY: spelled}))
        patches.enter_context(mock.patch.object(samples, "PERIODS", PERIODS))
        patches.enter_context(mock.patch.object(samples, "NO_URBAN", {t.official for t in townships[::15]}))
        patches.enter_context(mock.patch.dict(samples.FOOTERS, {COUNTY: samples.FOOTERS["武定县"]}))
        patches.enter_context(mock.patch.object(
            samples, "_messy", lambda county, name, field, value: wuding_messy("武定县", name, field, value)))
        figures = samples.true_figures()
        sheets = {samples.month_label(p): samples.layout(COUNTY, p, figures[(COUNTY, p)]) for p in PERIODS}
        workbook = samples.write_xlsx(directory / "xlsx" / f"{COUNTY}低保月报2024.xlsx", sheets)
        exports = [samples.write_csv(directory / "csv" / f"{COUNTY}{p[:4]}年{p[5:]}月低保统计.csv", sheet)
                   for p, sheet in zip(PERIODS, sheets.values())]
    return workbook, exports


# -- timing --------------------------------------------------------------------------------------

def best_of(run, repeats: int = REPEATS):
    """(fastest wall time in seconds, result of the last run)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def no_errors(problems: Problems, what: str) -> None:
    """A benchmark of a run that failed measures the wrong thing: stop and say why."""
    if problems.errors:
        shown = "\n".join(f"  {p.slug} {p.where}" for p in problems.errors[:10])
        raise SystemExit(f"{what}: {len(problems.errors)} errors, the benchmark input is wrong:\n{shown}")


# -- baselines -----------------------------------------------------------------------------------

def raw_calamine_read(path: Path) -> list[list[list]]:
    """Every sheet to lists of cell values, nothing interpreted: the floor for our extract."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return [workbook.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in workbook.sheet_names]
    finally:
        workbook.close()


def openpyxl_read(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")


def raw_csv_read(paths: list[Path]) -> list[list[list[str]]]:
    """Decode and split every export, nothing interpreted: the floor for our CSV extract."""
    return [list(csv.reader(io.StringIO(p.read_bytes().decode("gb18030")))) for p in paths]


def plain_writes(frames: list[pd.DataFrame], folder: Path) -> None:
    """to_csv + to_parquet with pandas defaults: what package does, minus everything we add."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        frame.to_csv(folder / f"{i}.csv", index=False)
        frame.to_parquet(folder / f"{i}.parquet", index=False)


# -- the run -------------------------------------------------------------------------------------

def release_earlier_months(spec, exports: list[Path]) -> None:
    """Normalize, package and commit every month but the last, as earlier monthly runs would have."""
    layout = layout_for(spec)
    for period, export in zip(PERIODS[:-1], exports):
        problems = Problems()
        table = normalize(spec, [export], period, problems)
        no_errors(problems, f"releasing {period}")
        protect_small_cells(spec, table, last_release_before(spec, period), problems)
        stage_release(spec, table.frame, period, problems)
        layout.commit(period)


def measure(spec, workbook: Path, exports: list[Path], scratch: Path) -> tuple[list[tuple], dict]:
    """Time every stage for PERIOD; return the table rows and a few figures for the summary."""
    xlsx_spec = spec.model_copy(update={"source": spec.source.model_copy(update={"directory": str(workbook.parent)})})
    csv_spec = spec.model_copy(update={"source": spec.source.model_copy(update={"directory": str(exports[0].parent)})})

    def stage(run):
        problems = Problems()
        return best_of(lambda: run(problems))

    t_find, files = stage(lambda p: find_sources(xlsx_spec, None, p))
    t_xlsx, table = stage(lambda p: normalize(spec, files, PERIOD, p))
    check = Problems()
    normalize(spec, files, PERIOD, check)
    no_errors(check, "extract+normalize")
    csv_files = find_sources(csv_spec, None, Problems())
    t_csv, csv_table = stage(lambda p: normalize(spec, csv_files, PERIOD, p))
    rows = len(table.frame)
    if rows != TOWNSHIPS or len(csv_table.frame) != TOWNSHIPS:
        raise SystemExit(f"expected {TOWNSHIPS} rows, got {rows} (xlsx) and {len(csv_table.frame)} (csv)")

    t_raw, _ = best_of(lambda: raw_calamine_read(workbook))
    t_openpyxl, _ = best_of(lambda: openpyxl_read(workbook))
    t_raw_csv, _ = best_of(lambda: raw_csv_read(exports))

    t_validate, _ = stage(lambda p: validate_table(spec.schema_path, table.frame, table.where, p))
    start = time.perf_counter()
    assess_quality(spec, table, Problems())        # builds Great Expectations' context
    t_quality_first = time.perf_counter() - start
    t_quality, _ = stage(lambda p: assess_quality(spec, table, p))
    metadata = ckan_metadata(spec, periods_after_release(spec, PERIOD))
    # Disclosure control replaces the table's frame: timed on copies, then applied once.
    previous = last_release_before(spec, PERIOD)
    t_protect, anonymization = stage(lambda p: protect_small_cells(spec, dataclasses.replace(table), previous, p))
    protect_small_cells(spec, table, previous, check)
    no_errors(check, "disclosure control")
    t_scan, _ = stage(lambda p: scan_outputs(table, metadata, p))
    t_package, staged = best_of(lambda: stage_release(spec, table.frame, PERIOD, Problems(), anonymization=anonymization))

    series = read_period(next(f.path for f in staged.files if f.period == SERIES and f.format == "Parquet"))
    t_plain, _ = best_of(lambda: plain_writes([table.frame, series], scratch / "plain"))

    def r(seconds):
        return rows / seconds

    lines = [
        ("find_sources", t_find, None, "", None, ""),
        ("extract+normalize, xlsx 12 sheets", t_xlsx, r(t_xlsx),
         "python-calamine raw read (floor)", t_raw, f"{t_xlsx / t_raw:.1f}x ours/floor"),
        ("", None, None, "pandas read_excel, openpyxl", t_openpyxl, f"{t_openpyxl / t_xlsx:.1f}x openpyxl/ours"),
        ("extract+normalize, GBK csv x12", t_csv, r(t_csv),
         "gb18030 decode + csv.reader (floor)", t_raw_csv, f"{t_csv / t_raw_csv:.1f}x ours/floor"),
        ("validate (column-wise)", t_validate, r(t_validate), "", None, ""),
        ("assess_quality (GE, MoM)", t_quality, r(t_quality), "", None, ""),
        ("protect_small_cells (suppress+audit)", t_protect, r(t_protect),
         f"{sum(anonymization['disclosure_control']['suppressed_cells'].values())} cells suppressed", None, ""),
        ("scan_outputs (PII gate)", t_scan, r(t_scan), "", None, ""),
        ("package (month + 12-month series)", t_package, r(t_package),
         "to_csv + to_parquet, same 2 frames", t_plain, f"{t_package / t_plain:.1f}x ours/plain"),
    ]
    figures = {"rows": rows, "series_rows": len(series), "quality_first": t_quality_first,
               "total": t_find + t_xlsx + t_validate + t_quality + t_protect + t_scan + t_package,
               "xlsx": t_xlsx, "raw": t_raw, "openpyxl": t_openpyxl, "package": t_package, "plain": t_plain}
    return lines, figures


# -- output --------------------------------------------------------------------------------------

def print_table(lines: list[tuple]) -> None:
    def num(value, fmt):
        return "" if value is None else format(value, fmt)

    header = ("stage", "seconds", "rows/s", "baseline", "baseline s", "ratio")
    cells = [header] + [(stage, num(s, ".3f"), num(rate, ",.0f"), base, num(bs, ".3f"), ratio)
                        for stage, s, rate, base, bs, ratio in lines]
    print_rows(cells)


def main() -> None:
    spec = load_spec(DATASET)
    samples = load_make_samples()
    with tempfile.TemporaryDirectory(prefix="gongkai-flow-bench-") as tmp:
        scratch = Path(tmp)
        os.environ["GONGKAI_OUT"] = str(scratch / "out")
        townships = synthetic_townships()
        spec = spec.model_copy(update={"regions": str(write_regions(scratch / "regions.csv", townships))})

        start = time.perf_counter()
        workbook, exports = write_sources(samples, townships, scratch)
        written = time.perf_counter() - start
        release_earlier_months(spec, exports)
        print(f"flow_bench: {COUNTY}, {TOWNSHIPS:,} townships x {len(PERIODS)} months "
              f"(workbook {workbook.stat().st_size / 1e6:.1f} MB written in {written:.1f} s; "
              f"{len(PERIODS) - 1} months released); period {PERIOD}; best of {REPEATS}; "
              f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
              f"Python {platform.python_version()}, pandas {pd.__version__}")
        print()
        lines, f = measure(spec, workbook, exports, scratch)

    print_table(lines)
    print()
    print(f"assess_quality's first call in a process: {f['quality_first']:.3f} s "
          "(it also builds Great Expectations' context)")
    print(f"summary: one {f['rows']:,}-township month through every stage in {f['total']:.2f} s "
          f"({f['rows'] / f['total']:,.0f} rows/s); extract+normalize is {f['xlsx'] / f['raw']:.1f}x the raw "
          f"calamine read and {f['openpyxl'] / f['xlsx']:.1f}x faster than openpyxl alone; "
          f"package is {f['package'] / f['plain']:.1f}x plain pandas writes ({f['series_rows']:,}-row series)")


if __name__ == "__main__":
    main()
