"""The pipeline stages as plain functions: the Prefect flow and the CLI both call these."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gongkai import anonymize, fingerprint, quality
from gongkai.deadline import publication_deadline
from gongkai.normalize import SourceTable, normalize
from gongkai.package import (SERIES, Layout, PackagedFile, datapackage, package_period,
                             published_series_frame, sha256, write_datapackage)
from gongkai.problems import Problems, Where
from gongkai.publish import Outcome, Publisher, connect
from gongkai.report import RunReport
from gongkai.settings import output_dir, portal_settings
from gongkai.spec import Spec
from gongkai.validate import validate_table

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
    spec = _spec_or_none(name)
    return published_series(spec) if spec else None


def published_series(spec: Spec):
    """Every published period of a dataset as one frame (None before the first release)."""
    return published_series_frame(spec, layout_for(spec))


def periods_after_release(spec: Spec, period: str) -> list[str]:
    return sorted({*layout_for(spec).published_periods(), period})


def scan_outputs(table: SourceTable, metadata: dict, problems: Problems) -> None:
    """The PII gate: every output cell, column name and metadata field."""
    anonymize.scan_frame(table.frame, table.where, problems)
    anonymize.scan_text(json.dumps(metadata, ensure_ascii=False), Where(field="CKAN metadata"), problems)


def review_record(spec: Spec, reviewer: str) -> dict:
    return {
        "reviewed_by": reviewer,
        "reviewed_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "review_checks": (f"保密审查：个人信息扫描（身份证号、手机号、银行卡号、邮箱）无命中；"
                          f"表结构与质量规则校验通过；公开属性：{DISCLOSURE_LABELS[spec.disclosure]}。"
                          " Privacy review: no ID, phone, bank card or e-mail found; "
                          "schema and quality rules passed."),
    }


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
    layout = layout_for(spec)
    staged = package_period(spec, table.frame, table.period, layout)
    earlier = [p for p in layout.published_periods() if p != table.period]
    released = [PackagedFile(path, p, fmt, sha256(path))
                for p in earlier
                for fmt, path in (("CSV", layout.release(p) / f"{spec.name}-{p}.csv"),
                                  ("Parquet", layout.release(p) / f"{spec.name}-{p}.parquet"))]
    # One order whichever month is run, so datapackage.json stays byte-identical.
    return sorted(released + staged, key=lambda f: (f.period == SERIES, f.period, f.format))


def restore_releases(spec: Spec, progress=print) -> list[str]:
    """Bring back published months this machine does not have, before they are needed."""
    settings = portal_settings()
    return Publisher(connect(settings), settings, spec, progress).restore(layout_for(spec))


def publish(spec: Spec, table: SourceTable, staged: list[PackagedFile], metadata: dict, progress=print) -> Outcome:
    settings = portal_settings()
    publisher = Publisher(connect(settings), settings, spec, progress)
    layout = layout_for(spec)
    folder = layout.staging(table.period)

    def write_package(urls: dict[str, str]) -> PackagedFile:
        descriptor = datapackage(spec, staged, lambda f: urls[f.name], metadata["version"])
        path = write_datapackage(descriptor, folder / "datapackage.json")
        return PackagedFile(path, SERIES, "JSON", sha256(path))

    outcome = publisher.publish(staged, metadata, write_package)
    layout.commit(table.period)
    return outcome


def release_fingerprint(spec: Spec, files: list[Path], period: str) -> str:
    related = [s for name in related_datasets(spec) if (s := _spec_or_none(name))]
    return fingerprint.fingerprint(spec, files, period, related)


def _spec_or_none(name: str):
    from gongkai.spec import SpecError, load_spec

    try:
        return load_spec(name)
    except SpecError:
        return None


def skip_if_unchanged(spec: Spec, report: RunReport, files: list[Path], value: str) -> bool:
    """True (and the report filled in) when the period's fingerprint matches the one recorded at its
    last release and one package_show shows the portal still holds that release: nothing to do.
    Any doubt (no record, another fingerprint, the portal not answering) means a full run."""
    kept = fingerprint.recorded(spec, report.period)
    if spec.disclosure != "proactive" or not files or not kept or kept.get("fingerprint") != value \
            or not fingerprint.local_release_intact(spec, report.period, kept):
        return False
    settings = portal_settings()
    try:
        dataset = connect(settings).call_action("package_show", {"id": spec.ckan.name})
    except Exception:  # noqa: BLE001 - the full run says what is wrong with the portal
        return False
    if not fingerprint.portal_holds(dataset, kept):
        return False
    report.rows, report.unchanged = kept["rows"], sorted(kept["files"])
    report.dataset_url = f"{settings.url}/dataset/{dataset['name']}"
    report.status = "unchanged"
    report.summary = ("源文件、规格与程序均未变化，门户已有该版本，未重新处理 / sources, spec and code "
                      "unchanged and the portal holds this release: nothing re-processed")
    return True


def record_release(spec: Spec, report: RunReport, value: str) -> None:
    """After the portal took (or kept) the release: its fingerprint, for cheap reruns."""
    try:
        fingerprint.record(spec, report.period, value, report.rows)
    except OSError:
        pass   # no record only costs the next run its shortcut; the release itself is done


def write_report(spec: Spec, report: RunReport) -> Path:
    return report.write(layout_for(spec).root / "reports")
