"""The pipeline stages as plain functions: the Prefect flow and the CLI both call these."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gongkai import anonymize, quality
from gongkai.anonymize.disclosure import protect
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


def protect_small_cells(spec: Spec, table: SourceTable, problems: Problems) -> dict:
    """Disclosure control: small cells and their complements suppressed, audited; the frame becomes
    the publishable one (null + `<field>_flag` "C"). Returns the anonymization report; on a failed
    audit the problems say which cell, and the frame is left as it was (nothing will be published)."""
    dropped = [f"{p.where}: {p.message_zh}" for p in problems if p.slug == "personal-data-dropped"]
    report = {"dataset": spec.name, "period": table.period, "dropped": dropped}
    if spec.disclosure_control is None:
        return report
    protected = protect(spec, table.frame, last_release_before(spec, table.period), table.where, problems)
    if protected.frame is not None:
        table.frame = protected.frame
    report |= {"disclosure_control": protected.summary}
    # Published as a resource: it passes the same PII gate as every other output.
    anonymization_text = json.dumps(report, ensure_ascii=False)
    anonymize.scan_text(anonymization_text, Where(field="anonymization report"), problems)
    return report


def last_release_before(spec: Spec, period: str):
    """The published frame of the latest period before `period` (None before the first release)."""
    series = published_series(spec)
    if series is None or "period" not in series.columns:
        return None
    earlier = series[series["period"] < period]
    return earlier[earlier["period"] == earlier["period"].max()] if not earlier.empty else None


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


def package(spec: Spec, table: SourceTable, anonymization: dict | None = None) -> list[PackagedFile]:
    """Stage this period; return it with every earlier released period and the series.

    A dataset under disclosure control also stages its anonymization report as a file
    (`<dataset>-<period>-anonymization.json`), published beside the data."""
    layout = layout_for(spec)
    staged = package_period(spec, table.frame, table.period, layout)
    if spec.disclosure_control is not None and anonymization:
        path = layout.staging(table.period) / f"{spec.name}-{table.period}-anonymization.json"
        path.write_text(json.dumps(anonymization, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
        staged.append(PackagedFile(path, table.period, "JSON", sha256(path)))
    earlier = [p for p in layout.published_periods() if p != table.period]
    released = [PackagedFile(path, p, fmt, sha256(path))
                for p in earlier
                for fmt, path in (("CSV", layout.release(p) / f"{spec.name}-{p}.csv"),
                                  ("Parquet", layout.release(p) / f"{spec.name}-{p}.parquet"))]
    # One order whichever month is run, so datapackage.json stays byte-identical; a period's
    # anonymization report after its data files.
    return sorted(released + staged, key=lambda f: (f.period == SERIES, f.period, f.format == "JSON", f.format))


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
        tables = [f for f in staged if f.format in ("CSV", "Parquet")]   # the data package lists the tables
        descriptor = datapackage(spec, tables, lambda f: urls[f.name], metadata["version"])
        path = write_datapackage(descriptor, folder / "datapackage.json")
        return PackagedFile(path, SERIES, "JSON", sha256(path))

    outcome = publisher.publish(staged, metadata, write_package)
    layout.commit(table.period)
    return outcome


def write_report(spec: Spec, report: RunReport) -> Path:
    return report.write(layout_for(spec).root / "reports")
