"""The `gongkai` command: run a dataset's monthly flow, validate a file, list datasets."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gongkai import pipeline
from gongkai.normalize import periods as months_in
from gongkai.problems import Problems
from gongkai.report import print_problems
from gongkai.spec import ROOT, SpecError, available, load_spec

EXIT_OK, EXIT_DATA_ERRORS, EXIT_PORTAL = 0, 1, 3  # 2 is click's usage error
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Wide enough for file ! sheet ! cell and a message when output is piped (rich assumes 80).
console = Console(width=None if sys.stdout.isatty() else 140, soft_wrap=True, highlight=False)


def _period(ctx, param, value):
    if value is not None and not PERIOD.match(value):
        raise click.BadParameter(f"{value!r}: use YYYY-MM, e.g. 2024-03 / 请用“年-月”格式")
    return value


def _spec(name: str):
    try:
        return load_spec(name)
    except SpecError as error:
        raise click.UsageError(str(error)) from None


def _load_flow(flow_name: str):
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
@click.option("--period", required=True, callback=_period, help="Month to publish, YYYY-MM.")
@click.option("--source", type=click.Path(exists=True, path_type=Path), help="Folder or file of spreadsheets.")
@click.option("--reviewer", envvar="GONGKAI_REVIEWER", help="Who reviewed this release (审查人, a role).")
@click.option("--verbose", is_flag=True, help="Show Prefect's log lines too.")
def run(dataset, period, source, reviewer, verbose):
    """Check and publish one period of DATASET (e.g. relief-recipients)."""
    # Before Prefect is imported: it reads its settings once. No telemetry: the network is closed.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not verbose:
        # Records still reach Prefect's API and our progress bar; only the console is quiet.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from gongkai.flow import RunFailed  # Prefect is slow to import; only `run` needs it

    spec = _spec(dataset)
    if spec.disclosure == "proactive":
        _check_portal()  # fail in a second, not after the whole pipeline
    flow = _load_flow(spec.flow)
    with Progress(console=console, transient=True) as progress:
        task_id = progress.add_task("starting Prefect", total=7)
        handler = StageProgress(progress, task_id)
        logging.getLogger("prefect").addHandler(handler)
        try:
            result = flow(period=period, source=str(source) if source else None, reviewer=reviewer)
        except RunFailed as failed:
            progress.stop()
            _print_outcome(failed.report.as_dict())
            sys.exit(EXIT_DATA_ERRORS if failed.report.status == "failed" else EXIT_PORTAL)
        finally:
            logging.getLogger("prefect").removeHandler(handler)
    _print_outcome(result)


def _check_portal():
    """(portal client, settings), or exit with a message saying what to fix."""
    from gongkai.publish import PortalUnreachable, connect
    from gongkai.settings import SettingsError, portal_settings

    try:
        settings = portal_settings()
        return connect(settings), settings
    except (SettingsError, PortalUnreachable) as error:
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
@click.option("--period", callback=_period, help="Month to check, YYYY-MM (default: every month in the file).")
def validate(file, dataset, period):
    """Check FILE without publishing anything; print every problem found."""
    spec = _spec(dataset)
    problems = Problems()
    files = pipeline.find_sources(spec, file, problems)
    periods = [period] if period else months_in(spec, files, problems)
    for each in periods:
        table = pipeline.extract_and_normalize(spec, files, each, problems)
        if table is not None:
            pipeline.validate(spec, table, problems)
            if not problems.errors:
                pipeline.assess_quality(spec, table, problems)
                pipeline.scan_outputs(table, {}, problems)
    print_problems([p.as_dict() for p in problems], console)
    errors, warnings = len(problems.errors), len(problems.warnings)
    console.print(f"{file.name}: {', '.join(periods) or '—'}: {errors} 个错误 errors, {warnings} 个警告 warnings")
    sys.exit(EXIT_DATA_ERRORS if errors else EXIT_OK)


@main.command(name="list")
def list_datasets():
    """Datasets, their disclosure attribute and their last published period."""
    table = Table()
    for column in ("dataset", "title", "公开属性 disclosure", "frequency", "last release"):
        table.add_column(column)
    for name in available():
        spec = load_spec(name)
        periods = pipeline.layout_for(spec).published_periods()
        table.add_row(name, spec.ckan["title"], pipeline.DISCLOSURE_LABELS[spec.disclosure],
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
        found = portal.action.package_show(id=spec.ckan["name"])
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
