"""The `gongkai` command: run a dataset's monthly flow, validate a file, list datasets."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gongkai import pipeline
from gongkai.normalize import periods as periods_in
from gongkai.package import write_table
from gongkai.periods import EXAMPLES, granularity_of
from gongkai.problems import Where
from gongkai.report import RunReport, print_problems
from gongkai.spec import ROOT, SpecError, available, json_schema, load_spec

EXIT_OK, EXIT_DATA_ERRORS, EXIT_PORTAL, EXIT_BUG = 0, 1, 3, 4  # 2 is click's usage error
# Wide enough for file ! sheet ! cell and a message when output is piped (rich assumes 80).
console = Console(width=None if sys.stdout.isatty() else 140, soft_wrap=True, highlight=False)


def _period(ctx, param, value):
    if value is not None and granularity_of(value) is None:
        raise click.BadParameter(f"{value!r}: use YYYY-MM (2024-03), YYYY-Qn (2024-Q1) or YYYY (2023) / "
                                 "请用“2024-03”“2024-Q1”或“2023”格式")
    return value


def _period_for(spec, period: str | None) -> str | None:
    """A period of the dataset's own granularity: 2023 for an annual dataset, 2024-03 for a monthly one."""
    if period is not None and granularity_of(period) != spec.granularity:
        raise click.BadParameter(f"{period!r}: {spec.name} is {spec.frequency}: use a period like "
                                 f"{EXAMPLES[spec.granularity]} / 期间格式应为 {EXAMPLES[spec.granularity]}",
                                 param_hint="--period")
    return period


def _spec(name: str):
    try:
        return load_spec(name)
    except SpecError as error:
        raise click.UsageError(str(error)) from None


def _load_flow(flow_name: str = "publish_dataset"):
    """Import flows/<name>.py: the deployable flow the data officer also runs by hand."""
    path = ROOT / "flows" / f"{flow_name}.py"
    module_spec = importlib.util.spec_from_file_location(f"flows.{flow_name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, flow_name)


class StageProgress(logging.Handler):
    """Moves the CLI's progress bar on the flow's "[n/7] stage" log lines."""

    def __init__(self, progress: Progress, task_id):
        super().__init__()
        self.progress, self.task_id = progress, task_id

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "[%d/%d] %s":
            done, total, name = record.args
            self.progress.update(self.task_id, completed=done - 1, total=total, description=name)


@click.group()
def main():
    """Gongkai (公开): check civil-affairs spreadsheets and publish them as open data on CKAN."""


@main.command()
@click.argument("dataset")
@click.option("--period", required=True, callback=_period,
              help="Period to publish: 2024-03 (monthly), 2024-Q1 (quarterly) or 2023 (annual).")
@click.option("--source", type=click.Path(exists=True, path_type=Path), help="Folder or file of spreadsheets.")
@click.option("--reviewer", envvar="GONGKAI_REVIEWER", help="Who reviewed this release (审查人, a role).")
@click.option("--verbose", is_flag=True, help="Show Prefect's log lines too.")
def run(dataset, period, source, reviewer, verbose):
    """Check and publish one period of DATASET (e.g. relief-recipients)."""
    # Before Prefect is imported: it reads its settings once. No telemetry: the network is closed.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # A busy 2-core machine can take longer than Prefect's default 20 s to start its local server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:
        # Records still reach Prefect's API, the report and our progress bar; the console shows only
        # our own table and summary, never a Prefect traceback.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    from gongkai.flow import RunFailed  # Prefect is slow to import; only `run` needs it

    spec = _spec(dataset)
    period = _period_for(spec, period)
    if spec.disclosure == "proactive":
        _check_portal(spec, source, period)  # fail in seconds, not after the whole pipeline
    flow = _load_flow(spec.flow or "publish_dataset")
    with Progress(console=console, transient=True) as progress:
        task_id = progress.add_task("starting Prefect", total=7)
        handler = StageProgress(progress, task_id)
        logging.getLogger("prefect").addHandler(handler)
        try:
            result = flow(dataset=dataset, period=period, source=str(source) if source else None,
                          reviewer=reviewer)
        except RunFailed as failed:
            progress.stop()
            _print_outcome(failed.report.as_dict())
            sys.exit(EXIT_DATA_ERRORS if failed.report.status == "failed" else EXIT_PORTAL)
        except Exception:  # noqa: BLE001 - a bug: the traceback goes to the report, not the console
            progress.stop()
            _report_bug(spec, RunReport(dataset=spec.name, period=period), None)
            sys.exit(EXIT_BUG)
        finally:
            logging.getLogger("prefect").removeHandler(handler)
    _print_outcome(result)


def _check_portal(spec=None, source: Path | None = None, period: str | None = None):
    """(portal client, settings), or exit with a message saying what to fix.

    With a dataset to run, a portal that is down does not hide the data's own errors: the
    sources are checked first (nothing needs the portal for that), and those come first.
    """
    from gongkai.publish import PortalUnreachable, connect
    from gongkai.settings import SettingsError, portal_settings

    try:
        settings = portal_settings()
        return connect(settings), settings
    except (SettingsError, PortalUnreachable) as error:
        if spec is not None:
            report = RunReport(dataset=spec.name, period=period)
            _validate(spec, Path(source or spec.source_directory), period, None, report)
            if report.problems.errors:
                print_problems([p.as_dict() for p in report.problems if p.severity.value != "info"], console)
                console.print(f"{spec.name} {period}: [bold]failed[/bold] — {len(report.problems.errors)} 个错误 "
                              f"errors (the portal is also unreachable: fix the data first)")
                sys.exit(EXIT_DATA_ERRORS)
        console.print(str(error))
        sys.exit(EXIT_PORTAL)


def _print_outcome(report: dict) -> None:
    """Errors and warnings as a table (notes stay in the report file), then what happened."""
    print_problems([p for p in report["problems"] if p["severity"] != "info"], console)
    console.print(f"{report['dataset']} {report['period']}: [bold]{report['status']}[/bold] — {report['summary']}")
    for name in report["uploaded"]:
        console.print(f"  uploaded  {name}")
    if report["unchanged"]:
        console.print(f"  unchanged {len(report['unchanged'])} files")
    if report["dataset_url"]:
        console.print(f"  dataset   {report['dataset_url']}")
    console.print(f"  report    {report['report_file']}")


@main.command()
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--dataset", required=True, help="Dataset spec to check against, e.g. relief-recipients.")
@click.option("--period", callback=_period, help="Period to check (default: every period in the file).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the normalized CSV and Parquet here, to look at before publishing.")
def validate(file, dataset, period, out):
    """Check FILE (or a folder) without publishing anything; print every problem found."""
    spec = _spec(dataset)
    period = _period_for(spec, period)
    report = RunReport(dataset=spec.name, period=period or "all", status="validated")
    try:
        periods = _validate(spec, file, period, out, report)
    except Exception:  # noqa: BLE001 - a bug: the traceback goes to the report, not the console
        _report_bug(spec, report, out)
        sys.exit(EXIT_BUG)
    problems = report.problems
    print_problems([p.as_dict() for p in problems], console)
    errors, warnings = len(problems.errors), len(problems.warnings)
    report.status = "failed" if errors else "validated"
    report.summary = f"{errors} 个错误 errors, {warnings} 个警告 warnings"
    path = report.write((out or pipeline.layout_for(spec).root) / "reports")
    console.print(f"{file.name}: {', '.join(periods) or '—'}: {report.summary}")
    console.print(f"  report    {path}")
    sys.exit(EXIT_DATA_ERRORS if errors else EXIT_OK)


def _validate(spec, file: Path, period: str | None, out: Path | None, report: RunReport) -> list[str]:
    problems = report.problems
    files = pipeline.find_sources(spec, file, problems)
    report.files = [f.name for f in files]
    periods = [period] if period else periods_in(spec, files, problems)
    if not periods and not problems.errors:
        problems.add("not-this-dataset", Where(file=file.name), dataset=spec.name)
    for each in periods:
        table = pipeline.extract_and_normalize(spec, files, each, problems)
        if table is None:
            continue
        report.rows += len(table.frame)
        pipeline.validate(spec, table, problems)
        if not problems.errors:
            pipeline.assess_quality(spec, table, problems)
            report.anonymization = pipeline.protect_small_cells(spec, table, problems)
            pipeline.scan_outputs(table, {}, problems)
        if out and not problems.errors:
            for written in write_table(spec, table.frame, out, f"{spec.name}-{each}"):
                console.print(f"  wrote     {written.path}")
    return periods


def _report_bug(spec, report: RunReport, out: Path | None) -> None:
    report.status, report.summary = "crashed", "内部错误（程序缺陷）/ internal error (a bug in gongkai)"
    report.traceback = traceback.format_exc()
    path = report.write((out or pipeline.layout_for(spec).root) / "reports")
    console.print(f"内部错误，这是 gongkai 的缺陷，不是数据的问题 / internal error: this is a bug in gongkai, "
                  f"not a problem with the data.\n  The traceback is in {path}; please send it to the maintainers.")


@main.group()
def spec():
    """Dataset specs: check them, or print their JSON Schema for editors."""


@spec.command(name="check")
@click.argument("names", nargs=-1)
def spec_check(names):
    """Check NAMES (default: every spec under datasets/): keys, schema, suite, regions."""
    failed = 0
    for name in names or available():
        try:
            checked = load_spec(name)
            if checked.suite_path:
                from gongkai.quality import load_suite

                load_suite(checked.suite_path)
            console.print(f"ok      {name}")
        except Exception as error:  # noqa: BLE001 - every way a spec can be wrong is reported, then the next
            failed += 1
            console.print(f"[bold]invalid[/bold] {name}\n{error}")
    sys.exit(EXIT_DATA_ERRORS if failed else EXIT_OK)


@spec.command(name="schema")
def spec_schema():
    """Print the JSON Schema of a dataset spec (for yaml-language-server in an editor)."""
    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@main.command(name="list")
def list_datasets():
    """Datasets, their disclosure attribute and their last published period."""
    table = Table()
    for column in ("dataset", "title", "公开属性 disclosure", "frequency", "last release"):
        table.add_column(column)
    for name in available():
        spec = load_spec(name)
        periods = pipeline.layout_for(spec).published_periods()
        table.add_row(name, spec.ckan.title, pipeline.DISCLOSURE_LABELS[spec.disclosure],
                      spec.frequency, periods[-1] if periods else "—")
    console.print(table)


@main.command()
@click.argument("dataset")
def show(dataset):
    """Where DATASET is on the portal: its page, downloads and a ready-to-paste API query."""
    import ckanapi

    spec = _spec(dataset)
    portal, settings = _check_portal()
    try:
        found = portal.action.package_show(id=spec.ckan.name)
    except ckanapi.NotFound:
        console.print(f"{dataset} 尚未发布 / is not published yet: run `gongkai run {dataset} --period YYYY-MM`")
        sys.exit(EXIT_PORTAL)
    resources = {r["name"]: r for r in found["resources"]}
    series = [r for r in found["resources"] if r.get("period") == "all" and r["format"] in ("CSV", "Parquet")]
    latest = found["version"]
    console.print(f"\n{found['title']}\n{found['title_en']}\n")
    console.print(f"  dataset page     {settings.url}/dataset/{found['name']}")
    for label, name in (("latest CSV", f"{spec.name}-{latest}.csv"),
                        ("latest Parquet", f"{spec.name}-{latest}.parquet")):
        if name in resources:
            console.print(f"  {label:<16} {resources[name]['url']}")
    for r in series:
        console.print(f"  series {r['format']:<9} {r['url']}")
    if "datapackage.json" in resources:
        console.print(f"  datapackage      {resources['datapackage.json']['url']}")
    table = next((r for r in series if r.get("datastore_active")), None)
    if table:
        sql = (f'SELECT county_name, period, SUM(rural_persons) AS rural_persons FROM "{table["id"]}" '
               "GROUP BY county_name, period ORDER BY period, county_name")
        console.print("\n  Ask the DataStore with SQL (ckanapi is in .venv/bin):")
        console.print(f"  {Path(sys.executable).parent / 'ckanapi'} action datastore_search_sql "
                      f"-r {settings.url} sql='{sql}'")
        console.print(f"\n  curl -g '{settings.url}/api/3/action/package_search?q=低保&facet.field="
                      "[\"organization\",\"res_format\"]'")


@main.command()
def doctor():
    """Check this machine: portal, plugins, token, DataStore, Prefect, disk space, versions."""
    from gongkai.doctor import exit_code, run_checks

    checks = run_checks()
    for check in checks:
        for line in check.lines():
            click.echo(line)
    sys.exit(exit_code(checks))
