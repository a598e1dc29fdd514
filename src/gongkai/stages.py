"""The stages of a run, in their one order: extract → normalize → validate → quality → anonymize → package → publish.

Every entry point goes through `run_stages`: the Prefect flow (flow.py runs each stage as a task,
on a schedule or for `gongkai run`), `gongkai validate` and the check `gongkai run` makes when the
portal is down (the same stages up to anonymize, as plain calls, with nothing packaged or sent).
A stage with errors stops the run there: nothing after it runs, nothing is published.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from gongkai import fingerprint, review
from gongkai.anonymize import protect_small_cells, scan_outputs
from gongkai.catalog import refresh as refresh_catalog
from gongkai.deadline import check_on_time
from gongkai.extract import find_sources
from gongkai.normalize import SourceTable, normalize
from gongkai.package import last_release_before, layout_for, published_series
from gongkai.package.chart import ChartFontMissing
from gongkai.package.staging import StagedRelease, stage_release
from gongkai.problems import Where
from gongkai.publish import PortalRefused, PortalUnreachable
from gongkai.publish.release import ckan_metadata, periods_after_release, publish_release, restore_releases
from gongkai.quality import check_quality
from gongkai.report import RunReport
from gongkai.roster import roster_table
from gongkai.settings import SettingsError
from gongkai.spec import DISCLOSURE_LABELS, Spec
from gongkai.validate import validate_table

STAGES = ("extract", "normalize", "validate", "quality", "anonymize", "package", "publish")
CHECKS = STAGES[:STAGES.index("anonymize") + 1]   # what `gongkai validate` runs


@dataclass(frozen=True)
class Run:
    """A run's inputs, which every stage reads; what the stages find and do goes into its RunReport."""

    spec: Spec
    period: str                   # 2024-03, 2024-Q1 or 2023
    source: Path | None = None    # a folder or one file; default the spec's folder
    correction: str = ""          # 更正理由: publish a changed, published period as its next revision
    publishing: bool = True       # False: check only (gongkai validate): nothing is packaged, kept or sent


def call_plainly(name: str, function: Callable, *args, **kwargs):
    return function(*args, **kwargs)


@dataclass(frozen=True)
class Hooks:
    """How an entry point runs the stages: the flow as Prefect tasks on workers, the CLI as plain calls."""

    call: Callable = call_plainly                        # (stage name, function, *args): run one stage's work
    log: Callable = lambda message, *args: None          # logging-style progress: "[%d/%d] %s"
    normalize_files: Callable | None = None              # (spec, files, period, problems) on worker processes
    wait_for_review: Callable = lambda spec, ticket: None   # a deployment pauses for the reviewer's answer


@dataclass
class Checked:
    """What the checks hand on: the period's table, publishable (disclosure control applied) and as read."""

    table: SourceTable
    as_read: pd.DataFrame
    files: list[Path]             # the sources read, for the release record
    metadata: dict                # the dataset's portal metadata after this release (publishing runs)
    fingerprint: str = ""         # of everything the release is made from (publishing runs): cheap reruns


def run_stages(run: Run, report: RunReport, hooks: Hooks = Hooks()) -> Checked | None:
    """Every stage in order for one period; `report.status` and `report.summary` say how it ended.

    Returns the checked table when every check passed (None otherwise, or when nothing needed doing).
    """
    try:
        checked = _check(run, report, hooks)
        if checked is None:
            if report.status == "running":
                report.status, report.summary = _failed(report)
            return None
        if run.publishing:
            report.status, report.summary = _release(run, report, hooks, checked)
        else:
            report.status, report.summary = "validated", _counts(report)
        return checked
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        report.status, report.summary = "refused", str(error)
    except review.ReviewRefused as refused:  # the staged release is not what was reviewed: nothing sent
        report.problems.append(refused.problem)
        report.status, report.summary = "failed", "未发布任何内容 / nothing published"
    return None


def _step(hooks: Hooks, name: str, stages=STAGES) -> None:
    hooks.log("[%d/%d] %s", stages.index(name) + 1, len(stages), name)


@dataclass
class Sources:
    """What the extract stage found: the period's files and, for a publishing run, their fingerprint."""

    files: list[Path]
    fingerprint: str = ""         # of everything the release is made from: cheap reruns
    unchanged: bool = False       # the portal holds exactly this release already: nothing else need run


def extract(run: Run, report: RunReport, hooks: Hooks = Hooks()) -> Sources:
    """The extract stage: the source files; a publishing run also fingerprints them, and when the
    portal still holds that very release the report says `unchanged` (gongkai run checks this before
    Prefect starts; the flow again as its first step)."""
    _step(hooks, "extract", STAGES if run.publishing else CHECKS)
    files = hooks.call("extract", find_sources, run.spec, run.source, report.problems)
    report.files = [f.name for f in files]
    if not run.publishing:
        return Sources(files)
    value = fingerprint.of_release(run.spec, files, run.period)   # before a source can change
    return Sources(files, value, fingerprint.skip_if_unchanged(run.spec, report, files, value))


def _check(run: Run, report: RunReport, hooks: Hooks) -> Checked | None:
    """extract → normalize → validate → quality → anonymize; None at the first stage with errors."""
    spec, problems, period = run.spec, report.problems, run.period
    stages = STAGES if run.publishing else CHECKS
    sources = extract(run, report, hooks)
    if sources.unchanged:
        return None
    files = sources.files
    if run.publishing and spec.disclosure == "proactive":   # earlier periods feed the series and checks
        hooks.call("restore", restore_releases, spec, hooks.log)
    _step(hooks, "normalize", stages)
    table = _normalize(run, files, report, hooks)
    if table is None or problems.errors:
        return None
    report.rows = len(table.frame)
    _step(hooks, "validate", stages)
    hooks.call("validate", validate_table, spec.schema_path, table.frame, table.where, problems)
    if problems.errors:
        return None
    _step(hooks, "quality", stages)
    hooks.call("quality", assess_quality, spec, table, problems)
    if problems.errors:
        return None
    _step(hooks, "anonymize", stages)
    as_read = table.frame
    report.anonymization = hooks.call("disclosure-control", protect_small_cells, spec, table,
                                      last_release_before(spec, period), problems)
    if problems.errors:
        return None
    metadata = ckan_metadata(spec, periods_after_release(spec, period)) if run.publishing else {}
    hooks.call("pii-gate", scan_outputs, table, metadata, problems)
    return None if problems.errors else Checked(table, as_read, files, metadata, sources.fingerprint)


def _normalize(run: Run, files: list[Path], report: RunReport, hooks: Hooks) -> SourceTable | None:
    """The period's table from every file: a roster's aggregates, or the layout engine's rows (on the
    flow's worker processes when it has them)."""
    spec, problems = run.spec, report.problems
    if not files:
        return None
    if spec.roster is not None:   # a person-level roster: only its aggregates go on
        return hooks.call("normalize", roster_table, spec, files, run.period, problems, layout_for(spec).root,
                          keep_register=run.publishing)
    if hooks.normalize_files is not None:
        return hooks.normalize_files(spec, files, run.period, problems)
    return hooks.call("normalize", normalize, spec, files, run.period, problems,
                      lambda done, total, name: hooks.log("[normalize] %d/%d %s", done, total, name))


def assess_quality(spec: Spec, table: SourceTable, problems) -> None:
    """The quality suite, with the published series for period-over-period and history checks,
    and the published series of any dataset a cross-table check names."""
    related = {other.name: frame for other in spec.related_specs if (frame := published_series(other)) is not None}
    check_quality(spec, table, published_series(spec), problems, related)


def _failed(report: RunReport) -> tuple[str, str]:
    count = len(report.problems.errors)
    return "failed", f"{count} 个错误，未发布任何内容 / {count} errors, nothing published"


def _counts(report: RunReport) -> str:
    return f"{len(report.problems.errors)} 个错误 errors, {len(report.problems.warnings)} 个警告 warnings"


def _release(run: Run, report: RunReport, hooks: Hooks, checked: Checked) -> tuple[str, str]:
    """package → the review gate → publish; returns (status, summary)."""
    spec, problems, period, table = run.spec, report.problems, run.period, checked.table
    if spec.disclosure != "proactive":
        return "validated", (f"公开属性为“{DISCLOSURE_LABELS[spec.disclosure]}”，不发布到门户 / "
                             "not proactively disclosed, so not published")
    _step(hooks, "package")
    staged = _package(run, report, hooks, checked)
    if staged is None or problems.errors:   # a changed period without --correction, a correction of nothing
        return _failed(report)
    approval = None
    if staged.new:   # a new release (a period, or a correction) waits for a person's decision
        ticket = review.stage_for_review(spec, staged, len(table.frame), checked.metadata,
                                         review.checks_passed(spec, table.frame, problems),
                                         str(run.source) if run.source else None, run.correction)
        # The same content approved before (the publishing run after `gongkai review --approve`) goes on.
        approval = review.earlier_approval(layout_for(spec).reviews, ticket.fingerprint) \
            or hooks.wait_for_review(spec, ticket)
        if approval is None:
            return "awaiting-review", f"待审查 / awaiting review: {review_command(spec.reference, period)}"
        report.review = review.portal_fields(approval)
        if approval["decision"] == "reject":
            return "rejected", "审查驳回，未发布任何内容 / rejected by the reviewer, nothing published"
    _step(hooks, "publish")
    first_release = period not in layout_for(spec).published_periods()
    outcome = hooks.call("publish", publish_release, spec, staged, checked.metadata | report.review, hooks.log,
                         approval)
    report.dataset_url, report.uploaded, report.unchanged = outcome.dataset_url, outcome.uploaded, outcome.unchanged
    report.release["version"] = staged.version
    if outcome.changed and first_release:
        check_on_time(period, spec.deadline.working_days, dt.datetime.now(ZoneInfo("Asia/Shanghai")).date(), problems)
    fingerprint.record_release(spec, report, checked.fingerprint)
    if not outcome.changed:
        return "unchanged", "内容未变化，未重新上传 / nothing changed, nothing re-uploaded"
    return "published", (f"已发布 {len(outcome.uploaded)} 个文件 / published {len(outcome.uploaded)} files"
                         f"{_refresh_catalog(report, hooks)}")


def _package(run: Run, report: RunReport, hooks: Hooks, checked: Checked) -> StagedRelease | None:
    """The release staged for review; a full disk or a missing chart font stops here, nothing sent."""
    spec, problems = run.spec, report.problems
    staging = layout_for(spec).staging(run.period)
    try:
        staged = hooks.call("package", stage_release, spec, checked.table.frame, run.period, problems,
                            run.correction, checked.files, report.anonymization)
    except OSError as error:  # disk full, folder read-only: nothing was sent, nothing counts as released
        not_writable(spec, report, error)
        # The half-written staging folder is no release; removing it frees the space the report needs.
        shutil.rmtree(staging, ignore_errors=True)
        return None
    except ChartFontMissing as error:  # a chart of boxes is not published
        problems.add("chart-font-missing", Where(field=f"charts.{error.chart}"), chart=error.chart)
        shutil.rmtree(staging, ignore_errors=True)
        return None
    if staged is not None:
        report.release = _release_summary(staged)
    return staged


def _release_summary(staged: StagedRelease) -> dict:
    """What the report says about the release: its revision and what it changed against the last one."""
    kind = staged.record["kind"] if staged.new else "unchanged" if staged.changes.empty else "correction-required"
    return {"revision": f"r{staged.revision}", "kind": kind,
            "reason": staged.record["reason"] if staged.new else "", "changes": staged.changes.as_dict()}


def _refresh_catalog(report: RunReport, hooks: Hooks) -> str:
    """After a release the catalogue lists it. Its problems (a broken link) join this run's report;
    the release itself stays published. Returns what the summary adds."""
    try:
        result = hooks.call("catalog", refresh_catalog, None, hooks.log)
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        report.problems.add("catalog-not-updated", Where(field="catalog"), reason=str(error))
        return "；目录未更新 / the catalogue was not updated"
    report.problems.extend(result.problems)
    return "；目录未更新：链接无效 / the catalogue was not updated: broken links" if result.problems.errors else ""


def not_writable(spec: Spec, report: RunReport, error: OSError) -> None:
    """An OSError writing under GONGKAI_OUT becomes a problem that names the folder and the fix."""
    folder = layout_for(spec).root
    report.problems.add("output-not-writable", Where(file=str(error.filename or folder)), path=str(folder),
                        reason=os_reason(error))


def os_reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def review_command(dataset: str, period: str) -> str:
    return f"gongkai review {dataset} {period}"
