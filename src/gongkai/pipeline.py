"""The pipeline stages as plain functions: the Prefect flow and the CLI both call these."""

from __future__ import annotations

import json
from pathlib import Path

from gongkai import anonymize, quality, review
from gongkai.deadline import publication_deadline
from gongkai.normalize import SourceTable, normalize
from gongkai.package import (SERIES, Layout, PackagedFile, datapackage, package_period,
                             published_series_frame, read_period, row_order, sha256, write_datapackage)
from gongkai.problems import Problems, Where
from gongkai.publish import Outcome, PortalRefused, PortalUnreachable, Publisher, connect
from gongkai.report import RunReport
from gongkai.settings import SettingsError, output_dir, portal_settings
from gongkai.spec import Spec
from gongkai.validate import load_schema, validate_table

DISCLOSURE_LABELS = {"proactive": "主动公开", "on_request": "依申请公开", "not_disclosed": "不予公开"}


def layout_for(spec: Spec) -> Layout:
    return Layout(output_dir() / spec.name)


def find_sources(spec: Spec, source: Path | None, problems: Problems) -> list[Path]:
    """Every source file in the directory, or the one file given."""
    source = Path(source or spec.source_directory)
    if source.is_file():
        return [source]
    # ~$name.xlsx is the lock file Excel leaves beside an open workbook, not a source.
    files = sorted({f for pattern in spec.source.files for f in source.glob(pattern)
                    if f.is_file() and not f.name.startswith("~$")})
    if not files:
        problems.add("no-source-files", Where(file=str(source)), directory=str(source))
    return files


def extract_and_normalize(spec: Spec, files: list[Path], period: str, problems: Problems) -> SourceTable | None:
    return normalize(spec, files, period, problems) if files else None


def validate(spec: Spec, table: SourceTable, problems: Problems) -> None:
    validate_table(spec.schema_path, table.frame, table.where, problems)


def assess_quality(spec: Spec, table: SourceTable, problems: Problems) -> None:
    """The quality suite, with the published series for period-over-period and history checks,
    and the published series of any dataset a cross-table check names."""
    previous = published_series(spec)
    related = {name: frame for name in related_datasets(spec) if (frame := _series_of(name)) is not None}
    quality.check_quality(spec, table, previous, problems, related)


def related_datasets(spec: Spec) -> list[str]:
    if not spec.suite_path:
        return []
    checks = quality.load_suite(spec.suite_path).checks
    return [checks["within_standard"]["dataset"]] if "within_standard" in checks else []


def _series_of(name: str):
    from gongkai.spec import SpecError, load_spec

    try:
        return published_series(load_spec(name))
    except SpecError:
        return None


def published_series(spec: Spec):
    """Every published period of a dataset as one frame (None before the first release)."""
    return published_series_frame(spec, layout_for(spec))


def periods_after_release(spec: Spec, period: str) -> list[str]:
    return sorted({*layout_for(spec).published_periods(), period})


def scan_outputs(table: SourceTable, metadata: dict, problems: Problems) -> None:
    """The PII gate: every output cell, column name and metadata field."""
    anonymize.scan_frame(table.frame, table.where, problems)
    anonymize.scan_text(json.dumps(metadata, ensure_ascii=False), Where(field="CKAN metadata"), problems)


def review_checks(spec: Spec, table: SourceTable, problems: Problems) -> dict[str, str]:
    """What the pipeline verified, for the review record (审查记录)."""
    checks = {
        "个人信息扫描 PII scan": "身份证号、手机号、银行卡号、邮箱无命中 / no ID, phone, bank card or e-mail found",
        "表结构 schema": f"通过 / passed ({spec.schema_path.name})",
        "质量规则 quality": f"通过，{len(problems.warnings)} 个警告 / passed, {len(problems.warnings)} warnings",
        "公开属性 disclosure": DISCLOSURE_LABELS[spec.disclosure],
    }
    suppressed = review.suppression_summary(table.frame)
    if suppressed:
        checks["小数值抑制 suppression"] = "、".join(f"{k} {v}" for k, v in suppressed.items())
    return checks


def ckan_metadata(spec: Spec, periods: list[str]) -> dict:
    ckan = spec.ckan
    return {
        "title": ckan.title, "title_en": ckan.title_en,
        "notes": ckan.notes.strip(), "notes_en": ckan.notes_en.strip(),
        "license_id": ckan.license_id, "tags": [{"name": t} for t in ckan.tags],
        "disclosure": spec.disclosure, "department": spec.department, "frequency": spec.frequency,
        "period_start": periods[0], "period_end": periods[-1], "version": periods[-1],
        "publication_deadline": publication_deadline(periods[-1], spec.deadline.working_days).isoformat(),
        "private": spec.disclosure != "proactive",
    }


def package(spec: Spec, table: SourceTable) -> list[PackagedFile]:
    """Stage this period; return it with every earlier released period and the series."""
    package_period(spec, table.frame, table.period, layout_for(spec))
    return files_to_send(spec, table.period)


def files_to_send(spec: Spec, period: str) -> list[PackagedFile]:
    """The staged period and series with every earlier released period, each sha256 read from disk now."""
    layout = layout_for(spec)

    def packaged(folder: Path, label: str) -> list[PackagedFile]:
        return [PackagedFile(path, label, fmt, sha256(path))
                for fmt, path in (("CSV", folder / f"{spec.name}-{label}.csv"),
                                  ("Parquet", folder / f"{spec.name}-{label}.parquet")) if path.exists()]

    staged = packaged(layout.staging(period), period) + packaged(layout.staging(period) / SERIES, SERIES)
    released = [f for p in layout.published_periods() if p != period for f in packaged(layout.release(p), p)]
    # One order whichever month is run, so datapackage.json stays byte-identical.
    return sorted(released + staged, key=lambda f: (f.period == SERIES, f.period, f.format))


def stage_for_review(spec: Spec, table: SourceTable, files: list[PackagedFile], metadata: dict,
                     checks: dict[str, str]) -> review.Staged:
    """Record what the checks passed beside the staged files: the release now awaits its review."""
    staged = review.Staged.of(spec.name, table.period, files, metadata, checks, len(table.frame))
    staged.save(layout_for(spec).staging(table.period))
    return staged


def reviews_folder(spec: Spec) -> Path:
    return layout_for(spec).root / "reviews"


def record_decision(spec: Spec, period: str, seen: str, *, reviewer: str, decision: str, comment: str) -> dict:
    """The reviewer's decision on the staged release whose fingerprint they were shown (`seen`)."""
    folder = layout_for(spec).staging(period)
    staged = review.Staged.load(folder)
    review.check_same(staged, files_to_send(spec, period), seen, folder)
    return review.decide(staged, folder, reviews_folder(spec), reviewer=reviewer, decision=decision,
                         comment=comment, seen=seen)


def review_overview(spec: Spec, staged: review.Staged) -> list[str]:
    """What a reviewer sees of a staged release: figures, checks, suppression, diff, preview."""
    layout = layout_for(spec)
    name = f"{spec.name}-{staged.period}.parquet"
    frame = read_period(layout.staging(staged.period) / name)
    released = layout.release(staged.period) / name
    fields = load_schema(spec.schema_path).fields
    measures = [f.name for f in fields if f.type in ("integer", "number") and f.name in frame.columns]
    return review.overview(staged, frame, measures, read_period(released) if released.exists() else None,
                           row_order(spec))


def restore_releases(spec: Spec, progress=print) -> list[str]:
    """Bring back published months this machine does not have, before they are needed."""
    settings = portal_settings()
    return Publisher(connect(settings), settings, spec, progress).restore(layout_for(spec))


def publish(spec: Spec, period: str, record: dict, progress=print) -> Outcome:
    """Send the staged release approved by `record`, checking right before that it is what was reviewed."""
    layout = layout_for(spec)
    folder = layout.staging(period)
    staged = review.Staged.load(folder)
    if record["decision"] != "approve":
        raise review.ReviewRefused("review-rejected", Where(file=str(folder)), reviewer=record["reviewer"],
                                   at=record["at"], comment=record["comment"])
    settings = portal_settings()
    publisher = Publisher(connect(settings), settings, spec, progress)
    files = files_to_send(spec, period)   # hashed again now, the last step before sending
    review.check_same(staged, files, record["sha256"], folder)
    metadata = staged.metadata | review.portal_fields(record)

    def write_package(urls: dict[str, str]) -> PackagedFile:
        descriptor = datapackage(spec, files, lambda f: urls[f.name], metadata["version"])
        path = write_datapackage(descriptor, folder / "datapackage.json")
        return PackagedFile(path, SERIES, "JSON", sha256(path))

    outcome = publisher.publish(files, metadata, write_package)
    review.keep(record, folder)   # a rerun published on an earlier approval keeps that record too
    layout.commit(period)
    return outcome


def decide_and_publish(spec: Spec, period: str, seen: str, *, reviewer: str, decision: str, comment: str,
                       progress=print) -> RunReport:
    """`gongkai review`'s decision: record it; if approved, the publish stage. Writes the run report.

    Raises ReviewRefused when the decision cannot be recorded (nothing staged, staged files changed,
    personal data in the record); what the portal or the last check before sending says is reported.
    """
    record = record_decision(spec, period, seen, reviewer=reviewer, decision=decision, comment=comment)
    staged = review.Staged.load(layout_for(spec).staging(period))
    report = RunReport(dataset=spec.name, period=period, rows=staged.rows, files=sorted(staged.files),
                       review=review.portal_fields(record))
    if decision == "reject":
        report.status, report.summary = "rejected", "审查驳回，未发布任何内容 / rejected, nothing published"
    else:
        try:
            outcome = publish(spec, period, record, progress)
            report.dataset_url, report.uploaded, report.unchanged = (outcome.dataset_url, outcome.uploaded,
                                                                     outcome.unchanged)
            report.status, report.summary = (
                ("published", f"已发布 {len(outcome.uploaded)} 个文件 / published {len(outcome.uploaded)} files")
                if outcome.changed else ("unchanged", "内容未变化，未重新上传 / nothing changed, nothing re-uploaded"))
        except review.ReviewRefused as refused:
            report.problems.append(refused.problem)
            report.status, report.summary = "failed", "未发布任何内容 / nothing published"
        except (PortalRefused, PortalUnreachable, SettingsError) as error:
            report.status, report.summary = "refused", str(error)
    write_report(spec, report)
    return report


def write_report(spec: Spec, report: RunReport) -> Path:
    return report.write(layout_for(spec).root / "reports")
