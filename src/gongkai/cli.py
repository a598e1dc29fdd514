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

from gongkai.periods import EXAMPLES, granularity_of
from gongkai.problems import Problems, Where
from gongkai.report import RunReport, print_problems
from gongkai.spec import DISCLOSURE_LABELS, ROOT, SpecError, available, json_schema, load_spec

# The stages (gongkai.stages and below: pandas, Great Expectations, Prefect) are imported by the
# commands that run them, so `gongkai --help` and a mistyped command answer at once.

EXIT_OK, EXIT_DATA_ERRORS, EXIT_PORTAL, EXIT_BUG = 0, 1, 3, 4  # 2 is click's usage error
EXIT_AWAITING_REVIEW, EXIT_REJECTED = 5, 6
REVIEW_EXITS = {"rejected": EXIT_REJECTED, "failed": EXIT_DATA_ERRORS, "refused": EXIT_PORTAL}
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
@click.option("--correction", metavar="REASON",
              help="Publish a changed, already published period as a correction (更正), saying why.")
@click.option("--verbose", is_flag=True, help="Show Prefect's log lines too.")
def run(dataset, period, source, correction, verbose):
    """Check and stage one period of DATASET (e.g. relief-recipients) for review (then `gongkai review`)."""
    spec = _spec(dataset)
    period = _period_for(spec, period)
    if spec.disclosure == "proactive":
        _check_portal(spec, source, period)  # fail in seconds, not after the whole pipeline
        if not correction and _said_unchanged(spec, period, source):
            return
    _run_flow(spec, period, str(source) if source else None, correction, verbose)


def _run_flow(spec, period: str, source: str | None, correction: str | None, verbose: bool = False) -> None:
    """The dataset's flow for one period (run, or the publishing rerun of `review --approve`); exits with its outcome."""
    # Before Prefect is imported: it reads its settings once. No telemetry: the network is closed.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # A busy 2-core machine can take longer than Prefect's default 20 s to start its local server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:
        # Records still reach Prefect's API, the report and our progress bar; the console shows only
        # our own table and summary, never a Prefect traceback.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    from gongkai.flow import RunFailed  # Prefect is slow to import; only runs need it

    flow = _load_flow(spec.flow or "publish_dataset")
    with Progress(console=console, transient=True) as progress:
        task_id = progress.add_task("starting Prefect", total=7)
        handler = StageProgress(progress, task_id)
        logging.getLogger("prefect").addHandler(handler)
        try:
            result = flow(dataset=spec.reference, period=period, source=source, correction=correction)
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
    if result["status"] == "awaiting-review":
        console.print(f"\n待审查：尚未向门户发送任何内容 / awaiting review: nothing was sent to the portal. Review it with:\n"
                      f"  {Path(sys.executable).parent / 'gongkai'} review {spec.reference} {period}")
        sys.exit(EXIT_AWAITING_REVIEW)
    sys.exit(REVIEW_EXITS.get(result["status"], EXIT_OK))


def _said_unchanged(spec, period: str, source: Path | None) -> bool:
    """An unchanged period the portal still holds is said in a second, without starting a Prefect
    flow run: the extract stage the flow runs first (see gongkai/fingerprint.py)."""
    from gongkai.package import layout_for
    from gongkai.stages import Run, extract

    report = RunReport(dataset=spec.name, period=period)
    if report.problems.errors or not extract(Run(spec, period, source), report).unchanged:
        return False
    try:
        report.write(layout_for(spec).reports)
    except OSError:
        return False   # the flow says what is wrong with the output folder
    _print_outcome(report.as_dict())
    return True


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
    changes = report.get("release", {}).get("changes", {})
    if any(changes.get(k) for k in ("rows_added", "rows_removed", "cells_changed")):
        _print_changes(changes, f"{report['period']} {report['release']['kind']}")
    console.print(f"{report['dataset']} {report['period']}: [bold]{report['status']}[/bold] — {report['summary']}")
    if report.get("release", {}).get("version") and report["status"] == "published":
        console.print(f"  release   {report['period']} {report['release']['revision']} → version "
                      f"{report['release']['version']}")
    for name in report["uploaded"]:
        console.print(f"  uploaded  {name}")
    if report["unchanged"]:
        console.print(f"  unchanged {len(report['unchanged'])} files")
    if report["dataset_url"]:
        console.print(f"  dataset   {report['dataset_url']}")
    console.print(f"  report    {report['report_file']}")


CELLS_PRINTED = 50   # the console shows this many changed cells; the report and changelog list more


def _print_changes(changes: dict, title: str, limit: int | None = CELLS_PRINTED) -> None:
    """Rows added/removed, then the changed cells old → new (the table of the changelog and the report)."""
    for label, key in (("新增行 rows added", "added"), ("删除行 rows removed", "removed")):
        if changes.get(key):
            console.print(f"{label} ({len(changes[key])}): {', '.join(changes[key])}")
    cells = changes.get("cells", [])
    if not cells:
        return
    table = Table(title=f"{title}: {len(cells)} 处变化 cells changed")
    for column in ("行 row", "名称 name", "字段 field", "原值 old", "新值 new"):
        table.add_column(column, overflow="fold")
    for cell in cells[:limit] if limit else cells:
        table.add_row(cell["row"], cell["name"], cell["field"], cell["old"], cell["new"])
    console.print(table)
    if limit and len(cells) > limit:
        console.print(f"… 另有 {len(cells) - limit} 处 / and {len(cells) - limit} more (see the report)")


def _revision(ctx, param, value: str) -> int:
    text = value.lower().removeprefix("r")
    if not text.isdigit() or int(text) < 1:
        raise click.BadParameter(f"{value!r}: use r1, r2 … / 修订号应为 r1、r2 …")
    return int(text)


@main.command()
@click.argument("dataset")
@click.argument("period", callback=_period)
@click.argument("old", callback=_revision)
@click.argument("new", callback=_revision)
def diff(dataset, period, old, new):
    """What revision NEW of PERIOD changed against OLD: gongkai diff relief-recipients 2024-02 r1 r2."""
    from gongkai.package import layout_for
    from gongkai.publish import PortalRefused, PortalUnreachable
    from gongkai.publish.release import diff as release_diff
    from gongkai.settings import SettingsError

    spec = _spec(dataset)
    period = _period_for(spec, period)
    try:
        changes = release_diff(spec, period, old, new)
    except FileNotFoundError as missing:
        console.print(f"{dataset} {period} 没有修订 {missing} / has no revision {missing}, here or on the portal; "
                      f"published revisions: {', '.join(f'r{r}' for r in layout_for(spec).revisions(period)) or '—'}")
        sys.exit(EXIT_DATA_ERRORS)
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        console.print(str(error))
        sys.exit(EXIT_PORTAL)
    counts = changes.counts()
    console.print(f"{dataset} {period} r{old} → r{new}: {counts['rows_added']} 行新增 rows added, "
                  f"{counts['rows_removed']} 行删除 removed, {counts['cells_changed']} 处变化 cells changed")
    _print_changes(changes.as_dict(), f"{period} r{old} → r{new}", limit=None)


@main.command()
@click.argument("dataset")
@click.argument("period", callback=_period)
@click.option("--approve", "decision", flag_value="approve", help="Approve and publish (批准发布).")
@click.option("--reject", "decision", flag_value="reject", help="Reject: nothing is published (驳回).")
@click.option("--reviewer", help="审查人: a role or section, published with the record (no personal names).")
@click.option("--comment", help="审查意见, published with the record (required to reject).")
def review(dataset, period, decision, reviewer, comment):
    """Show what the staged PERIOD of DATASET will publish; approve (publish) or reject it (保密审查)."""
    from gongkai import review as gate
    from gongkai.package import layout_for

    spec = _spec(dataset)
    period = _period_for(spec, period)
    folder = layout_for(spec).staging(period)
    try:
        staged = gate.Staged.load(folder)
        gate.check_same(staged, gate.files_now(staged), staged.fingerprint, folder)
        _refuse_if_rejected(folder)
    except gate.ReviewRefused as refused:
        _print_refusal(refused)
    for line in gate.release_overview(spec, staged):
        console.print(line, markup=False)
    decision, reviewer, comment = _decision(decision, reviewer, comment)
    try:
        record = gate.record_decision(spec, period, staged.fingerprint, reviewer=reviewer, decision=decision,
                                      comment=comment)
    except gate.ReviewRefused as refused:
        _print_refusal(refused)
    if decision == "reject":
        report = RunReport(dataset=spec.name, period=period, rows=staged.rows, files=sorted(staged.files),
                           review=gate.portal_fields(record), status="rejected",
                           summary="审查驳回，未发布任何内容 / rejected by the reviewer, nothing published")
        report.write(layout_for(spec).reports)
        _print_outcome(report.as_dict())
        console.print(f"  record    {folder / gate.RECORD_FILE}\n  staging   {folder} (kept for inspection; "
                      "fix the sources and run `gongkai run` again)")
        sys.exit(EXIT_REJECTED)
    # Approved: the publishing run checks and stages the same sources again. The same content has the
    # fingerprint just approved and is sent; anything that changed since waits for a new review.
    _run_flow(spec, period, staged.source, staged.correction)


def _decision(decision, reviewer, comment) -> tuple[str, str, str]:
    """--approve/--reject with --reviewer (and --comment), or asked for at the terminal."""
    if decision is None:
        decision = click.prompt("决定 decision", type=click.Choice(["approve", "reject"]))
        reviewer = reviewer or click.prompt("审查人 reviewer (岗位或科室 a role or section)")
        if comment is None:
            comment = click.prompt("意见 comment", default="", show_default=False)
    if not reviewer:
        raise click.UsageError("--reviewer is required with --approve/--reject / 请用 --reviewer 填写审查人")
    if decision == "reject" and not (comment or "").strip():
        raise click.UsageError("--comment is required to reject: say what is wrong / 驳回时请用 --comment 说明原因")
    return decision, reviewer, comment or ""


def _refuse_if_rejected(folder: Path) -> None:
    from gongkai import review as gate

    record = folder / gate.RECORD_FILE
    if record.exists() and (earlier := json.loads(record.read_text(encoding="utf-8")))["decision"] == "reject":
        raise gate.ReviewRefused("review-rejected", Where(file=str(folder)), reviewer=earlier["reviewer"],
                                 at=earlier["at"], comment=earlier["comment"])


def _print_refusal(refused) -> None:
    print_problems([refused.problem.as_dict()], console)
    console.print("未发布任何内容 / nothing was published")
    sys.exit(EXIT_DATA_ERRORS)


@main.command()
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--dataset", required=True, help="Dataset spec to check against, e.g. relief-recipients.")
@click.option("--period", callback=_period, help="Period to check (default: every period in the file).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the report and the normalized table (CSV and Parquet, as read and as it would be "
                   "published) here, to look at before publishing; nothing is written elsewhere.")
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
    path = report.write(_reports(spec, out))
    console.print(f"{file.name}: {', '.join(periods) or '—'}: {report.summary}")
    console.print(f"  report    {path}")
    sys.exit(EXIT_DATA_ERRORS if errors else EXIT_OK)


def _validate(spec, file: Path, period: str | None, out: Path | None, report: RunReport) -> list[str]:
    """The stages up to anonymize (gongkai.stages), for each period the files hold; with `out`, each clean
    period's table as it would be published, and as read before disclosure control."""
    from gongkai.extract import find_sources
    from gongkai.normalize import periods as periods_in
    from gongkai.package import write_table
    from gongkai.stages import Run, run_stages

    problems = report.problems
    files = find_sources(spec, file, problems)
    report.files = [f.name for f in files]
    periods = [period] if period else periods_in(spec, files, problems)
    if not periods and not problems.errors:
        problems.add("not-this-dataset", Where(file=file.name), dataset=spec.name)
    for each in periods:
        checked_report = RunReport(dataset=spec.name, period=each, problems=Problems())   # a period's own errors
        checked = run_stages(Run(spec, each, file, publishing=False), checked_report)
        problems.merge(checked_report.problems)
        report.rows += checked_report.rows
        report.anonymization = checked_report.anonymization or report.anonymization
        if out and checked is not None:
            written = write_table(spec, checked.table.frame, out, f"{spec.name}-{each}")
            if spec.disclosure_control is not None:   # small cells are still in it: for the officer's eyes only
                written += write_table(spec, checked.as_read, out, f"{spec.name}-{each}-as-read", schema=spec.schema)
            for file_written in written:
                console.print(f"  wrote     {file_written.path}")
    return periods


def _reports(spec, out: Path | None) -> Path:
    """Where a command's report goes: DIR/reports with --out DIR, else out/<dataset>/reports."""
    from gongkai.package import layout_for

    return out / "reports" if out else layout_for(spec).reports


@main.command()
@click.argument("dataset")
@click.option("--period", required=True, callback=_period, help="Month of the roster, e.g. 2024-03.")
@click.option("--source", type=click.Path(exists=True, path_type=Path), help="Folder or file of rosters.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the notices (default: out/<dataset>/notices/<period>/).")
def notice(dataset, period, source, out):
    """Write the village notices (公示) of a roster DATASET: local files for the notice board, never uploaded."""
    from gongkai.roster import read_roster
    from gongkai.roster.notice import write_notices

    spec = _spec(dataset)
    period = _period_for(spec, period)
    if spec.roster is None:
        raise click.UsageError(f"{dataset} is not a roster dataset (no `roster:` in its spec) / 不是花名册数据集")
    from gongkai.extract import find_sources
    from gongkai.package import layout_for

    report = RunReport(dataset=spec.name, period=period, status="validated")
    try:
        files = find_sources(spec, source, report.problems)
        households = read_roster(spec, files, period, report.problems) if files else []
        problems = report.problems
        print_problems([p.as_dict() for p in problems if p.severity.value != "info"], console)
        if problems.errors:
            console.print(f"{spec.name} {period}: {len(problems.errors)} 个错误 errors — 未生成公示名单 / "
                          "no notice written: fix the roster first")
            sys.exit(EXIT_DATA_ERRORS)
        folder = out or layout_for(spec).root / "notices" / period
        written = write_notices(spec, households, period, folder)
    except OSError as error:
        console.print(f"无法写入 / cannot write {error.filename or out}: {error.strerror or error}")
        sys.exit(EXIT_DATA_ERRORS)
    except Exception:  # noqa: BLE001 - a bug: the traceback goes to the report, not the console
        _report_bug(spec, report, out)
        sys.exit(EXIT_BUG)
    console.print(f"{spec.name} {period}: {len(written) // 2} 份村级公示名单（仅供张贴，不上传门户）/ "
                  f"{len(written) // 2} village notices, for the notice board only, never uploaded")
    console.print(f"  folder    {folder}")


def _report_bug(spec, report: RunReport, out: Path | None) -> None:
    report.status, report.summary = "crashed", "内部错误（程序缺陷）/ internal error (a bug in gongkai)"
    from gongkai.personal import mask_text

    report.traceback = mask_text(traceback.format_exc())   # an exception may quote a cell
    path = report.write(_reports(spec, out))
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
            spec = load_spec(name)
            from gongkai.quality import check_suite   # Great Expectations: only where a suite is checked

            if spec.quality_suite:
                check_suite(spec.quality_suite)   # every rule as Great Expectations takes it
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
    from gongkai.package import layout_for

    table = Table()
    for column in ("dataset", "title", "公开属性 disclosure", "frequency", "last release"):
        table.add_column(column)
    for name in available():
        spec = load_spec(name)
        periods = layout_for(spec).published_periods()
        table.add_row(name, spec.ckan.title, DISCLOSURE_LABELS[spec.disclosure],
                      spec.frequency, periods[-1] if periods else "—")
    console.print(table)


def _today(ctx, param, value):
    import datetime as dt

    from gongkai.published import BEIJING

    if value is None:
        return dt.datetime.now(BEIJING).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD / 请用“2024-10-08”格式") from None


def _published_of_every_spec() -> list[tuple]:
    """(spec, what it published) for every spec: from the portal, or this machine's releases when it is down."""
    from gongkai.published import published
    from gongkai.publish import PortalUnreachable, connect
    from gongkai.settings import SettingsError, portal_settings

    try:
        settings = portal_settings()
        portal, url = connect(settings), settings.url
    except (SettingsError, PortalUnreachable) as error:
        console.print(f"{error}\n门户不可用，以下为本机发布记录 / the portal is unavailable: showing this machine's "
                      "releases (their dates are when this machine stored them)")
        portal, url = None, ""
    return [(spec, published(spec, portal, url)) for spec in map(load_spec, available())]


@main.command()
@click.option("--today", callback=_today, help="Count as of this day (YYYY-MM-DD; default: today in Beijing).")
def deadlines(today):
    """Each dataset's last period, its due date, when it was published, and what is due next."""
    from gongkai.deadline import STATUS_LABELS, timeliness

    table = Table()
    for column in ("dataset", "rule", "last period", "due", "published", "status", "next period", "next due"):
        table.add_column(column)
    for spec, found in _published_of_every_spec():
        state = timeliness(spec.granularity, spec.deadline.working_days, found.first_release, today)
        status = STATUS_LABELS[state.status] + (f" (+{state.days_late} d)" if state.status == "late" else "")
        table.add_row(spec.name, f"{spec.deadline.working_days} 个工作日 working days", state.last_period or "—",
                      str(state.due or "—"), str(state.published or "—"), status, state.next_period,
                      str(state.next_due))
    console.print(table)


@main.command(name="catalog")
@click.option("--today", callback=_today, help="Count due dates as of this day (YYYY-MM-DD; default: today).")
def catalog_command(today):
    """Regenerate the 主动公开基本目录 on the portal; every link is checked first (exit 1 if one is broken)."""
    from gongkai.catalog import refresh
    from gongkai.publish import PortalRefused, PortalUnreachable

    _check_portal()
    try:
        result = refresh(today, console.print)
    except (PortalRefused, PortalUnreachable) as error:
        console.print(str(error))
        sys.exit(EXIT_PORTAL)
    if result.problems.errors:
        print_problems([p.as_dict() for p in result.problems], console)
        console.print(f"catalog: [bold]not published[/bold] — {len(result.problems.errors)} 个链接无效 broken links; "
                      "目录保持原样 / the catalogue on the portal is unchanged")
        sys.exit(EXIT_DATA_ERRORS)
    outcome = result.outcome
    state = "published" if outcome.changed else "unchanged"
    console.print(f"catalog: [bold]{state}[/bold] — {len(result.frame)} 个数据集 datasets, every link checked")
    console.print(f"  dataset   {outcome.dataset_url}")


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
    # resources are listed newest period first, its current revision first (publish._page_order)
    latest = {r["format"]: r for r in reversed(found["resources"]) if r.get("period") == found["period_end"]}
    console.print(f"\n{found['title']}\n{found['title_en']}\n")
    console.print(f"  dataset page     {settings.url}/dataset/{found['name']}  (version {found['version']})")
    for fmt in ("CSV", "Parquet"):
        if fmt in latest:
            console.print(f"  {'latest ' + fmt:<16} {latest[fmt]['url']}")
    for r in series:
        console.print(f"  series {r['format']:<9} {r['url']}")
    if "datapackage.json" in resources:
        console.print(f"  datapackage      {resources['datapackage.json']['url']}")
    table = next((r for r in found["resources"] if r.get("period") == "all" and r.get("datastore_active")), None)
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
