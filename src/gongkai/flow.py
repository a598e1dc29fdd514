"""The run as a Prefect flow: each stage of gongkai.stages a task, the review a pause for a person's answer.

Retries only where a failure is transient (the portal did not answer); bad data is never retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
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

from gongkai import review
from gongkai.normalize import FilePart, SourceTable, combine, normalize, normalize_file, not_processed
from gongkai.package import layout_for
from gongkai.periods import last_period
from gongkai.personal import mask_text
from gongkai.problems import Problems
from gongkai.publish import PortalUnreachable
from gongkai.report import RunReport
from gongkai.settings import normalize_workers, retry_delays
from gongkai.spec import Spec
from gongkai.stages import Hooks, Run, not_writable, os_reason, review_command, run_stages

REVIEW_TIMEOUT_SECONDS = 24 * 3600  # a deployment waits a day for its reviewer; then `gongkai review` decides
REVIEW_POLL_SECONDS = 5
PORTAL_STAGES = {"restore", "publish", "catalog"}   # they talk to the portal: retried when it did not answer


def scheduled_period(spec: Spec, today: dt.date | None = None) -> str:
    """The period a scheduled run publishes: the last one that has ended (Beijing time)."""
    today = today or dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return last_period(spec.granularity, today)


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
            error.args = tuple(mask_text(a) if isinstance(a, str) else a for a in error.args)
            raise

    return run


@functools.cache
def stage_task(name: str, function):
    """A stage's function as a Prefect task (one per stage and function, made once). Inputs are
    DataFrames and problem collectors, not cacheable values."""
    options = {}
    if name in PORTAL_STAGES:
        delays = retry_delays()
        options = {"retries": len(delays), "retry_delay_seconds": delays, "retry_condition_fn": _only_transient}
    return task(name=name, cache_policy=NO_CACHE, **options)(masking_errors(function))


def call_as_task(name: str, function, *args, **kwargs):
    return stage_task(name, function)(*args, **kwargs)


normalize_county_file = task(name="normalize-file", task_run_name="normalize {path.name}",
                             cache_policy=NO_CACHE)(masking_errors(normalize_file))


def normalize_files(spec: Spec, files: list[Path], period: str, problems: Problems, workers: int,
                    progress=lambda done, total, name: None) -> SourceTable | None:
    """The normalize stage: with one worker (or one file) the files one after another in this
    process; with N workers each file is a task on a pool of N processes and the parts are
    combined in file order, so the table and the problems are the same either way.

    A file whose task fails or whose process dies is the problem `file-not-processed` naming it.
    `progress(done, total, name)` is told as each file is done.
    """
    if workers <= 1 or len(files) < 2:
        return call_as_task("normalize", normalize, spec, files, period, problems, progress)
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
    return call_as_task("combine", combine, spec, period, [parts[path] for path in files], problems)


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


def run_dataset(spec: Spec, period: str, source: str | None = None, correction: str | None = None,
                review_timeout: int = REVIEW_TIMEOUT_SECONDS) -> RunReport:
    """Run every stage for one period and write the report; publish only what a reviewer approved.

    A published period whose content changed is published again only as a correction, with
    `correction` saying why (更正理由); it becomes the period's next revision.
    """
    log = get_run_logger()
    report = RunReport(dataset=spec.name, period=period)
    workers = normalize_workers()
    progress = lambda done, total, name: log.info("[normalize] %d/%d %s", done, total, name)  # noqa: E731
    hooks = Hooks(call=call_as_task, log=log.info,
                  normalize_files=lambda *args: normalize_files(*args, workers, progress),
                  wait_for_review=lambda spec_, ticket: _wait_for_review(spec_, ticket, review_timeout, log))
    run_stages(Run(spec, period, Path(source) if source else None, correction or ""), report, hooks)
    try:
        log.info("%s — report: %s", report.summary, report.write(layout_for(spec).reports))
    except OSError as error:  # a full disk or a read-only folder: say so, never crash
        not_writable(spec, report, error)
        # What the portal did, or what awaits the reviewer, stays reported.
        if report.status not in ("published", "unchanged", "refused", "rejected", "awaiting-review"):
            report.status = "failed"
            report.summary = (f"{len(report.problems.errors)} 个错误，未发布任何内容 / "
                              f"{len(report.problems.errors)} errors, nothing published")
        report.report_file = f"未能写入 / not written ({os_reason(error)})"
        log.info("%s — the report could not be written: %s", report.summary, os_reason(error))
    return report


def flow_result(report: RunReport) -> dict | State:
    """What a flow returns: the report, or a Failed state carrying it.

    Bad data is an outcome, not a crash: no traceback in the logs, yet the flow run is
    marked failed and calling the flow raises RunFailed.
    """
    if report.status in ("failed", "refused"):
        return Failed(message=report.summary, data=RunFailed(report))
    return report.as_dict()


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
    description = "\n".join([*review.release_overview(spec, staged), "",
                              f"或在命令行审查 / or from a terminal: `{review_command(spec.reference, staged.period)}`"])
    try:
        answer = pause_flow_run(wait_for_input=ReviewDecision.with_initial_data(description=description),
                                timeout=timeout, poll_interval=REVIEW_POLL_SECONDS)
    except FlowPauseTimeout:
        log.info("no review decision in %d s: the release stays staged; run `%s`", timeout,
                 review_command(spec.reference, staged.period))
        return None
    return review.record_decision(spec, staged.period, staged.fingerprint, reviewer=answer.reviewer,
                                  decision=answer.decision, comment=answer.comment)
