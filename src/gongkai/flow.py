"""Prefect tasks for each pipeline stage, and the run that chains them for any dataset spec.

Retries only where a failure is transient (the portal did not answer); bad data is never retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.futures import as_completed
from prefect.input import RunInput
from prefect.states import Failed, State
from prefect.task_runners import ProcessPoolTaskRunner
from pydantic import Field

from gongkai import catalog, pipeline, review
from gongkai.normalize import FilePart, SourceTable, combine, normalize_file, not_processed
from gongkai.package.chart import ChartFontMissing
from gongkai.publish import PortalRefused, PortalUnreachable
from gongkai.report import RunReport
from gongkai.settings import SettingsError, normalize_workers
from gongkai.periods import last_period
from gongkai.problems import Problems, Where
from gongkai.spec import Spec, load_spec


def scheduled_period(dataset: str, today: dt.date | None = None) -> str:
    """The period a scheduled run publishes: the last one that has ended (Beijing time)."""
    today = today or dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return last_period(load_spec(dataset).granularity, today)


STAGES = ["extract", "normalize", "validate", "quality", "anonymize", "package", "publish"]
REVIEW_TIMEOUT_SECONDS = 24 * 3600  # a deployment waits a day for its reviewer; then `gongkai review` decides
REVIEW_POLL_SECONDS = 5


class ReviewDecision(RunInput):
    """The reviewer's answer in Prefect's resume form (保密审查)."""

    reviewer: str = Field(description="审查人（岗位或科室，不写个人信息）/ reviewer: a role or section")
    decision: Literal["approve", "reject"] = Field(description="approve 批准发布 / reject 驳回")
    comment: str = Field("", description="审查意见（将公开）/ comment, published with the record")


class RunFailed(Exception):
    """The run stopped on data errors or a portal that refused; the report says why."""

    def __init__(self, report: RunReport):
        super().__init__(f"{report.status}: {report.summary} (report: {report.report_file})")
        self.report = report


def _only_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except PortalUnreachable:
        return True
    except Exception:
        return False
    return False


def masking_errors(function):
    """The stage, except that an exception it raises has every personal value in its message masked
    before Prefect logs it and stores it in the task's state (a library's error can quote a cell)."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            from gongkai.anonymize import mask_text

            error.args = tuple(mask_text(a) if isinstance(a, str) else a for a in error.args)
            raise

    return run


def stage(name: str, **options):
    # Inputs are DataFrames and problem collectors, not cacheable values.
    def make(function):
        return task(name=name, cache_policy=NO_CACHE, **options)(masking_errors(function))

    return make


def portal_stage(name: str):
    """A stage that talks to the portal: retried only when the portal did not answer."""
    return stage(name, retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_only_transient)


extract = stage("extract")(pipeline.find_sources)
restore = portal_stage("restore")(pipeline.restore_releases)
normalize = stage("normalize")(pipeline.extract_and_normalize)
normalize_county_file = stage("normalize-file", task_run_name="normalize {path.name}")(normalize_file)
combine_files = stage("combine")(combine)
validate = stage("validate")(pipeline.validate)
assess_quality = stage("quality")(pipeline.assess_quality)
protect = stage("disclosure")(pipeline.protect_small_cells)
anonymize = stage("anonymize")(pipeline.scan_outputs)
package = stage("package")(pipeline.package)
publish = portal_stage("publish")(pipeline.publish)
refresh_catalog = portal_stage("catalog")(catalog.refresh)


def normalize_files(spec: Spec, files: list[Path], period: str, problems: Problems, workers: int,
                    progress=lambda done, total, name: None) -> SourceTable | None:
    """The normalize stage: with one worker (or one file, or a roster) the files one after another in
    this process; with N workers each file is a task on a pool of N processes and the parts are
    combined in file order, so the table and the problems are the same either way.

    A file whose task fails or whose process dies is the problem `file-not-processed` naming it.
    `progress(done, total, name)` is told as each file is done.
    """
    if workers <= 1 or len(files) < 2 or spec.roster is not None:
        return normalize(spec, files, period, problems, progress)
    parts: dict[Path, FilePart] = {}
    with _workers_report_here(), ProcessPoolTaskRunner(max_workers=min(workers, len(files))) as runner:
        futures = [runner.submit(normalize_county_file, {"spec": spec, "path": path, "period": period})
                   for path in files]
        file_of = {future.task_run_id: path for future, path in zip(futures, files)}
        for done, future in enumerate(as_completed(futures), 1):
            path = file_of[future.task_run_id]
            try:
                parts[path] = future.result()
            except Exception as error:  # noqa: BLE001 - the task raised, or its process died
                parts[path] = not_processed(path, error)
            progress(done, len(files), Path(path).name)  # a path-like, not always a Path
    return combine_files(spec, period, [parts[path] for path in files], problems)


def _workers_report_here():
    """Worker processes report their task runs to this run's Prefect API. Without PREFECT_API_URL the
    run has a temporary server of its own, whose address Prefect does not pass on: each worker would
    start another one (about 12 s each, measured on this machine)."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()   # the one this process runs, if any
    if PREFECT_API_URL.value() or not server.running:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_API_URL: server.api_url})


def _refresh_catalog(report: RunReport, log) -> str:
    """After a release the catalogue lists it. Its problems (a broken link) join this run's report;
    the release itself stays published. Returns what the summary adds."""
    try:
        result = refresh_catalog(None, log.info)
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        report.problems.add("catalog-not-updated", Where(field="catalog"), reason=str(error))
        return "；目录未更新 / the catalogue was not updated"
    report.problems.extend(result.problems)
    return "；目录未更新：链接无效 / the catalogue was not updated: broken links" if result.problems.errors else ""


def run_dataset(dataset: str, period: str, source: str | None = None, correction: str | None = None,
                review_timeout: int = REVIEW_TIMEOUT_SECONDS) -> RunReport:
    """Run every stage for one period and write the report; publish only what a reviewer approved.

    A published period whose content changed is published again only as a correction, with
    `correction` saying why (更正理由); it becomes the period's next revision.
    """
    log = get_run_logger()
    spec = load_spec(dataset)
    report = RunReport(dataset=spec.name, period=period)
    try:
        report.status, report.summary = _stages(spec, report, source, log, correction or "", review_timeout)
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        report.status, report.summary = "refused", str(error)
    except review.ReviewRefused as refused:  # the staged release is not what was reviewed: nothing sent
        report.problems.append(refused.problem)
        report.status, report.summary = "failed", "未发布任何内容 / nothing published"
    try:
        log.info("%s — report: %s", report.summary, pipeline.write_report(spec, report))
    except OSError as error:  # a full disk or a read-only folder: say so, never crash
        _not_writable(spec, report, error)
        # What the portal did, or what awaits the reviewer, stays reported.
        if report.status not in ("published", "unchanged", "refused", "rejected", "awaiting-review"):
            report.status = "failed"
            report.summary = (f"{len(report.problems.errors)} 个错误，未发布任何内容 / "
                              f"{len(report.problems.errors)} errors, nothing published")
        report.report_file = f"未能写入 / not written ({_reason(error)})"
        log.info("%s — the report could not be written: %s", report.summary, _reason(error))
    return report


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _not_writable(spec: Spec, report: RunReport, error: OSError) -> None:
    """An OSError writing under GONGKAI_OUT becomes a problem that names the folder and the fix."""
    folder = pipeline.layout_for(spec).root
    report.problems.add("output-not-writable", Where(file=str(error.filename or folder)),
                        path=str(folder), reason=_reason(error))


def flow_result(report: RunReport) -> dict | State:
    """What a flow returns: the report, or a Failed state carrying it.

    Bad data is an outcome, not a crash: no traceback in the logs, yet the flow run is
    marked failed and calling the flow raises RunFailed.
    """
    if report.status in ("failed", "refused"):
        return Failed(message=report.summary, data=RunFailed(report))
    return report.as_dict()


def _release_summary(staged: pipeline.StagedRelease) -> dict:
    """What the report says about the release: its revision and what it changed against the last one."""
    kind = staged.record["kind"] if staged.new else "unchanged" if staged.changes.empty else "correction-required"
    return {"revision": f"r{staged.revision}", "kind": kind,
            "reason": staged.record["reason"] if staged.new else "", "changes": staged.changes.as_dict()}


def _step(log, name: str) -> None:
    log.info("[%d/%d] %s", STAGES.index(name) + 1, len(STAGES), name)


def _stages(spec: Spec, report: RunReport, source: str | None, log, correction: str = "",
            review_timeout: int = REVIEW_TIMEOUT_SECONDS) -> tuple[str, str]:
    """The stages in order; returns (status, summary). Any error stops the run before packaging."""
    problems = report.problems

    def failed() -> tuple[str, str]:
        count = len(problems.errors)
        return "failed", f"{count} 个错误，未发布任何内容 / {count} errors, nothing published"

    _step(log, "extract")
    files = extract(spec, Path(source) if source else None, problems)
    report.files = [f.name for f in files]
    fingerprint = pipeline.release_fingerprint(spec, files, report.period)   # before a source can change
    if pipeline.skip_if_unchanged(spec, report, files, fingerprint):
        return report.status, report.summary
    if spec.disclosure == "proactive":  # earlier months feed the series and month-over-month checks
        restore(spec, log.info)
    _step(log, "normalize")
    table = normalize_files(spec, files, report.period, problems, normalize_workers(),
                            lambda done, total, name: log.info("[normalize] %d/%d %s", done, total, name))
    if problems.errors:
        return failed()
    report.rows = len(table.frame)
    for name, check in (("validate", validate), ("quality", assess_quality)):
        _step(log, name)
        check(spec, table, problems)
        if problems.errors:
            return failed()
    _step(log, "anonymize")
    report.anonymization = protect(spec, table, problems)
    if problems.errors:
        return failed()
    metadata = pipeline.ckan_metadata(spec, pipeline.periods_after_release(spec, report.period))
    anonymize(table, metadata, problems)
    if problems.errors:
        return failed()
    if spec.disclosure != "proactive":
        return "validated", (f"公开属性为“{pipeline.DISCLOSURE_LABELS[spec.disclosure]}”，不发布到门户 / "
                             "not proactively disclosed, so not published")
    _step(log, "package")
    try:
        staged = package(spec, table, problems, correction, files, anonymization=report.anonymization)
    except OSError as error:  # disk full, folder read-only: nothing was sent, nothing counts as released
        _not_writable(spec, report, error)
        # The half-written staging folder is no release; removing it frees the space the report needs.
        shutil.rmtree(pipeline.layout_for(spec).staging(report.period), ignore_errors=True)
        return failed()
    except ChartFontMissing as error:  # a chart of boxes is not published
        report.problems.add("chart-font-missing", Where(field=f"charts.{error.chart}"), chart=error.chart)
        shutil.rmtree(pipeline.layout_for(spec).staging(report.period), ignore_errors=True)
        return failed()
    if staged is not None:
        report.release = _release_summary(staged)
    if problems.errors:   # a changed period without --correction, or a correction of nothing
        return failed()
    approval = None
    if staged.new:   # a new release (a period, or a correction) waits for a person's decision
        ticket = pipeline.stage_for_review(spec, table, staged, metadata, pipeline.review_checks(spec, table, problems),
                                           source, correction)
        # The same content approved before (the publishing run after `gongkai review --approve`) goes on.
        approval = review.earlier_approval(pipeline.reviews_folder(spec), ticket.fingerprint) \
            or _wait_for_review(spec, ticket, review_timeout, log)
        if approval is None:
            return "awaiting-review", f"待审查 / awaiting review: {review_command(spec.name, report.period)}"
        report.review = review.portal_fields(approval)
        if approval["decision"] == "reject":
            return "rejected", "审查驳回，未发布任何内容 / rejected by the reviewer, nothing published"
    _step(log, "publish")
    first_release = report.period not in pipeline.layout_for(spec).published_periods()
    outcome = publish(spec, table, staged, metadata | report.review, log.info, approval)
    report.dataset_url, report.uploaded, report.unchanged = outcome.dataset_url, outcome.uploaded, outcome.unchanged
    report.release["version"] = staged.version
    if outcome.changed and first_release:
        pipeline.check_deadline(spec, report.period, dt.datetime.now(ZoneInfo("Asia/Shanghai")).date(), problems)
    pipeline.record_release(spec, report, fingerprint)
    if outcome.changed:
        catalog_note = _refresh_catalog(report, log)
        return "published", (f"已发布 {len(outcome.uploaded)} 个文件 / published {len(outcome.uploaded)} files"
                             f"{catalog_note}")
    return "unchanged", "内容未变化，未重新上传 / nothing changed, nothing re-uploaded"


def review_command(dataset: str, period: str) -> str:
    return f"gongkai review {dataset} {period}"


def _wait_for_review(spec: Spec, staged: review.Staged, timeout: int, log) -> dict | None:
    """In a deployment, pause for the reviewer's answer in Prefect's UI or API; by hand, None.

    A run started by hand returns at once: `gongkai review` shows the release and takes the
    decision. A deployment run has no one at a terminal, so it pauses with a form (ReviewDecision)
    describing what will be published; without an answer in `timeout` seconds the release stays
    staged and `gongkai review` can still decide.
    """
    context = FlowRunContext.get()
    if not (context and context.flow_run and context.flow_run.deployment_id):
        return None
    description = "\n".join([*pipeline.review_overview(spec, staged), "",
                              f"或在命令行审查 / or from a terminal: `{review_command(spec.name, staged.period)}`"])
    try:
        answer = pause_flow_run(wait_for_input=ReviewDecision.with_initial_data(description=description),
                                timeout=timeout, poll_interval=REVIEW_POLL_SECONDS)
    except FlowPauseTimeout:
        log.info("no review decision in %d s: the release stays staged; run `%s`", timeout,
                 review_command(spec.name, staged.period))
        return None
    return pipeline.record_decision(spec, staged.period, staged.fingerprint, reviewer=answer.reviewer,
                                    decision=answer.decision, comment=answer.comment)
