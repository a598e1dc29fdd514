"""Prefect tasks for each pipeline stage, and the run that chains them for any dataset spec.

Retries only where a failure is transient (the portal did not answer); bad data is never retried.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from gongkai import pipeline
from gongkai.publish import PortalRefused, PortalUnreachable
from gongkai.report import RunReport
from gongkai.settings import SettingsError
from gongkai.periods import last_period
from gongkai.problems import Where
from gongkai.spec import Spec, load_spec


def scheduled_period(dataset: str, today: dt.date | None = None) -> str:
    """The period a scheduled run publishes: the last one that has ended (Beijing time)."""
    today = today or dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return last_period(load_spec(dataset).granularity, today)


STAGES = ["extract", "normalize", "validate", "quality", "anonymize", "package", "publish"]


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


def stage(name: str, **options):
    # Inputs are DataFrames and problem collectors, not cacheable values.
    return task(name=name, cache_policy=NO_CACHE, **options)


def portal_stage(name: str):
    """A stage that talks to the portal: retried only when the portal did not answer."""
    return stage(name, retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_only_transient)


extract = stage("extract")(pipeline.find_sources)
restore = portal_stage("restore")(pipeline.restore_releases)
normalize = stage("normalize")(pipeline.extract_and_normalize)
validate = stage("validate")(pipeline.validate)
assess_quality = stage("quality")(pipeline.assess_quality)
protect = stage("disclosure")(pipeline.protect_small_cells)
anonymize = stage("anonymize")(pipeline.scan_outputs)
package = stage("package")(pipeline.package)
publish = portal_stage("publish")(pipeline.publish)


def run_dataset(dataset: str, period: str, source: str | None = None, reviewer: str | None = None) -> RunReport:
    """Run every stage for one period and write the report; publish only if no stage found an error."""
    log = get_run_logger()
    spec = load_spec(dataset)
    report = RunReport(dataset=spec.name, period=period)
    try:
        report.status, report.summary = _stages(spec, report, source, reviewer, log)
    except (PortalRefused, PortalUnreachable, SettingsError) as error:
        report.status, report.summary = "refused", str(error)
    try:
        log.info("%s — report: %s", report.summary, pipeline.write_report(spec, report))
    except OSError as error:  # a full disk or a read-only folder: say so, never crash
        _not_writable(spec, report, error)
        if report.status not in ("published", "unchanged", "refused"):  # what the portal did stays reported
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


def _step(log, name: str) -> None:
    log.info("[%d/%d] %s", STAGES.index(name) + 1, len(STAGES), name)


def _stages(spec: Spec, report: RunReport, source: str | None, reviewer: str | None, log) -> tuple[str, str]:
    """The stages in order; returns (status, summary). Any error stops the run before packaging."""
    problems = report.problems

    def failed() -> tuple[str, str]:
        count = len(problems.errors)
        return "failed", f"{count} 个错误，未发布任何内容 / {count} errors, nothing published"

    _step(log, "extract")
    files = extract(spec, Path(source) if source else None, problems)
    report.files = [f.name for f in files]
    if spec.disclosure == "proactive":  # earlier months feed the series and month-over-month checks
        restore(spec, log.info)
    _step(log, "normalize")
    table = normalize(spec, files, report.period, problems)
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
    report.review = pipeline.review_record(spec, reviewer or f"{spec.department} 数据专员 / data officer")
    if spec.disclosure != "proactive":
        return "validated", (f"公开属性为“{pipeline.DISCLOSURE_LABELS[spec.disclosure]}”，不发布到门户 / "
                             "not proactively disclosed, so not published")
    _step(log, "package")
    try:
        staged = package(spec, table, report.anonymization)
    except OSError as error:  # disk full, folder read-only: nothing was sent, nothing counts as released
        _not_writable(spec, report, error)
        # The half-written staging folder is no release; removing it frees the space the report needs.
        shutil.rmtree(pipeline.layout_for(spec).staging(report.period), ignore_errors=True)
        return failed()
    _step(log, "publish")
    outcome = publish(spec, table, staged, metadata | report.review, log.info)
    report.dataset_url, report.uploaded, report.unchanged = outcome.dataset_url, outcome.uploaded, outcome.unchanged
    if outcome.changed:
        return "published", f"已发布 {len(outcome.uploaded)} 个文件 / published {len(outcome.uploaded)} files"
    return "unchanged", "内容未变化，未重新上传 / nothing changed, nothing re-uploaded"
