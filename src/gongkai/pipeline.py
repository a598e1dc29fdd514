"""The pipeline stages as plain functions: the Prefect flow and the CLI both call these."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from gongkai import anonymize, fingerprint, quality, review
from gongkai.anonymize.disclosure import protect
from gongkai.deadline import publication_deadline
from gongkai.normalize import SourceTable, normalize
from gongkai.package import (SERIES, Layout, PackagedFile, datapackage, package_period, published_series_frame,
                             read_period, release_stem, row_order, sha256, write_datapackage)
from gongkai.package import releases
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


def extract_and_normalize(spec: Spec, files: list[Path], period: str, problems: Problems,
                          progress=None) -> SourceTable | None:
    """The period's table from every file, read one after another in this process; `progress(done,
    total, name)` after each file. The flow can instead map `normalize.normalize_file` over worker
    processes and `normalize.combine` the parts (gongkai.flow.normalize_files): the same table and problems."""
    if not files:
        return None
    if spec.roster is not None:  # a person-level roster: only its aggregates go on
        from gongkai.roster import roster_table

        return roster_table(spec, files, period, problems, layout_for(spec).root)
    return normalize(spec, files, period, problems, progress)


def validate(spec: Spec, table: SourceTable, problems: Problems) -> None:
    validate_table(spec.schema_path, table.frame, table.where, problems)


def assess_quality(spec: Spec, table: SourceTable, problems: Problems) -> None:
    """The quality suite, with the published series for period-over-period and history checks,
    and the published series of any dataset a cross-table check names."""
    previous = published_series(spec)
    related = {name: frame for name in related_datasets(spec) if (frame := _series_of(name)) is not None}
    quality.check_quality(spec, table, previous, problems, related)


def related_datasets(spec: Spec) -> list[str]:
    if not spec.quality_suite:
        return []
    checks = spec.quality_suite.checks
    return [checks["within_standard"]["dataset"]] if "within_standard" in checks else []


def _series_of(name: str):
    spec = _spec_or_none(name)
    return published_series(spec) if spec else None


def published_series(spec: Spec):
    """Every published period of a dataset as one frame (None before the first release)."""
    return published_series_frame(spec, layout_for(spec))


def periods_after_release(spec: Spec, period: str) -> list[str]:
    return sorted({*layout_for(spec).published_periods(), period})


def protect_small_cells(spec: Spec, table: SourceTable, problems: Problems) -> dict:
    """Disclosure control: small cells and their complements suppressed, audited; the frame becomes
    the publishable one (null + `<field>_flag` "C"). Returns the anonymization report; on a failed
    audit the problems say which cell, and the frame is left as it was (nothing will be published)."""
    dropped = [f"{p.where}: {p.message_zh}" for p in problems if p.slug in ("personal-data-dropped", "notes-dropped")]
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


def scan_outputs(table: SourceTable, metadata: dict, problems: Problems, names: Collection[str] = ()) -> None:
    """The PII gate: every output cell, column name and metadata field.

    Fields read from a personal column (姓名, 身份证号码 …) are personal whatever their values;
    `names` (a roster's own) are looked for in every text.
    """
    anonymize.scan_frame(table.frame, table.where, problems, names, table.personal_fields())
    anonymize.scan_text(json.dumps(metadata, ensure_ascii=False), Where(field="CKAN metadata"), problems, names)


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
        "period_start": periods[0], "period_end": periods[-1],   # version: set by the release (publish)
        "publication_deadline": publication_deadline(periods[-1], spec.deadline.working_days).isoformat(),
        "private": spec.disclosure != "proactive",
    }


def check_deadline(spec: Spec, period: str, published_on: dt.date, problems: Problems) -> None:
    """A first release after the period's due date says so in the run's report (a warning)."""
    due = publication_deadline(period, spec.deadline.working_days)
    if published_on > due:
        problems.add("published-late", Where(field="publication_deadline"), period=period,
                     published=published_on.isoformat(), due=due.isoformat(), days=(published_on - due).days)


@dataclass
class StagedRelease:
    """A release staged locally, ready to publish: the same content always gives the same bytes."""

    period: str
    files: list[PackagedFile]          # every file the portal holds after it: all revisions and the series
    current: list[PackagedFile]        # the latest revision of every period and the series (datapackage.json)
    record: dict | None = None         # the new revision's record; None when the content is unchanged
    changes: releases.Changes = field(default_factory=releases.Changes)
    revision: int = 1
    version: str = ""                  # the dataset's version once published (releases.with_versions)

    @property
    def new(self) -> bool:
        return self.record is not None


def package(spec: Spec, table: SourceTable, problems: Problems, correction: str = "", sources: list[Path] = (),
            review: dict | None = None, anonymization: dict | None = None) -> StagedRelease | None:
    """Stage this period as a new release (r1, or a correction rN+1), or as unchanged.

    A published period whose content differs is staged only with a correction reason; without
    one the problem `correction-required` says what changed and nothing is staged (None).
    """
    layout, period = layout_for(spec), table.period
    latest = layout.revisions(period)[-1] if period in layout.published_periods() else 0
    if correction and not latest:
        problems.add("nothing-to-correct", Where(field=period), period=period)
        return None
    attempted = _staged_record(layout, period)   # a release sent before, e.g. when the portal died
    revision, changes, record = latest, releases.Changes(), None
    staged = _stage(spec, table, layout, latest + 1, anonymization)
    if latest:
        staged_parquet = next(f for f in staged if f.period == period and f.format == "Parquet")
        changes = releases.compare(spec, releases.read_revision(spec, layout, period, latest),
                                   read_period(staged_parquet.path))
    if latest and changes.empty:
        if correction:
            problems.add("correction-unchanged", Where(field=period), period=period, revision=f"r{latest}")
        staged = _stage(spec, table, layout, latest, anonymization)   # the same files as published
    elif latest and not correction:
        counts = changes.counts()
        problems.add("correction-required", Where(field=period), period=period, revision=f"r{latest}",
                     added=counts["rows_added"], removed=counts["rows_removed"], cells=counts["cells_changed"])
        shutil.rmtree(layout.staging(period))
        return StagedRelease(period, [], [], None, changes, latest)
    else:
        revision = latest + 1
        record = releases.new_record(spec, period, revision, reason=correction, sources=list(sources),
                                     rows=len(table.frame), files={f.name: f.sha256 for f in staged},
                                     changes=changes, review=review or {}, anonymization=anonymization)
        if attempted and (attempted["revision"], attempted.get("sha256")) == (record["revision"], record["sha256"]):
            # The same release again: same published_at, so the changelog comes out byte for byte the same.
            record["published_at"] = attempted.get("published_at", "")
    released = [PackagedFile(path, p, fmt, sha256(path))
                for p in layout.published_periods()
                for r in layout.revisions(p) if (p, r) != (period, revision)
                for fmt, path in (("CSV", layout.release(p) / f"{release_stem(spec.name, p, r)}.csv"),
                                  ("Parquet", layout.release(p) / f"{release_stem(spec.name, p, r)}.parquet"))]
    current_names = {layout.current(spec.name, p, suffix).name for p in layout.published_periods() if p != period
                     for suffix in ("csv", "parquet")}
    # One order whichever period is run, so datapackage.json stays byte-identical.
    every = sorted(released + staged, key=lambda f: (f.period == SERIES, f.period, f.format, f.name))
    current = [f for f in every if f.name in current_names or f in staged]
    return StagedRelease(period, every, current, record, changes, revision)


def _stage(spec: Spec, table: SourceTable, layout: Layout, revision: int,
           anonymization: dict | None) -> list[PackagedFile]:
    """The period's files as revision `revision`, and the series; a dataset under disclosure control
    also stages its anonymization report (`<dataset>-<period>[-rN]-anonymization.json`)."""
    staged = package_period(spec, table.frame, table.period, layout, revision)
    if spec.disclosure_control is not None and anonymization:
        path = layout.staging(table.period) / f"{release_stem(spec.name, table.period, revision)}-anonymization.json"
        path.write_text(json.dumps(anonymization, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
        staged.append(PackagedFile(path, table.period, "JSON", sha256(path)))
    return staged


def _staged_record(layout: Layout, period: str) -> dict | None:
    found = sorted(layout.staging(period).glob("release-r*.json"))
    return json.loads(found[-1].read_text(encoding="utf-8")) if found else None


def stage_for_review(spec: Spec, table: SourceTable, staged: StagedRelease, metadata: dict,
                     checks: dict[str, str], source: str | None, correction: str | None) -> review.Staged:
    """Record what the checks passed beside the staged files: the release now awaits its review.

    The sources and the correction reason are kept so that `gongkai review --approve` can run the
    same release again to publish it."""
    ticket = review.Staged.of(spec.name, table.period, staged.files, metadata, checks, len(table.frame),
                              source=source, correction=correction or "")
    ticket.save(layout_for(spec).staging(table.period))
    return ticket


def reviews_folder(spec: Spec) -> Path:
    return layout_for(spec).root / "reviews"


def record_decision(spec: Spec, period: str, seen: str, *, reviewer: str, decision: str, comment: str) -> dict:
    """The reviewer's decision on the staged release whose fingerprint they were shown (`seen`)."""
    folder = layout_for(spec).staging(period)
    ticket = review.Staged.load(folder)
    review.check_same(ticket, review.files_now(ticket), seen, folder)
    return review.decide(ticket, folder, reviews_folder(spec), reviewer=reviewer, decision=decision,
                         comment=comment, seen=seen)


def review_overview(spec: Spec, ticket: review.Staged) -> list[str]:
    """What a reviewer sees of a staged release: figures, checks, suppression, diff, preview."""
    layout = layout_for(spec)
    staged = sorted(layout.staging(ticket.period).glob(f"{spec.name}-{ticket.period}*.parquet"))
    frame = read_period(staged[-1])
    released = (layout.current(spec.name, ticket.period) if ticket.period in layout.published_periods() else None)
    fields = load_schema(spec.schema_path).fields
    measures = [f.name for f in fields if f.type in ("integer", "number") and f.name in frame.columns]
    return review.overview(ticket, frame, measures, read_period(released) if released else None, row_order(spec))


def restore_releases(spec: Spec, progress=print) -> list[str]:
    """Bring back published revisions this machine does not have, before they are needed."""
    settings = portal_settings()
    return Publisher(connect(settings), settings, spec, progress).restore(layout_for(spec))


def publish(spec: Spec, table: SourceTable, staged: StagedRelease, metadata: dict, progress=print,
            approval: dict | None = None) -> Outcome:
    """Send the staged release; it counts as published locally only once the portal took it.

    A new release goes only with the reviewer's `approval`, whose fingerprint is checked against
    the files hashed again here, the last step before sending: approving something other than
    what was reviewed is impossible.
    """
    settings = portal_settings()
    publisher = Publisher(connect(settings), settings, spec, progress)
    layout = layout_for(spec)
    folder = layout.staging(table.period)
    record = staged.record
    if record is not None:
        if approval is None or approval["decision"] != "approve":
            raise ValueError("a new release is published only with an approval")   # a bug, never data
        review.check_same(review.Staged.load(folder), review.files_now(review.Staged.load(folder)),
                          approval["sha256"], folder)
        record["review"] = review.portal_fields(approval)
    if record is not None and not record["published_at"]:
        record["published_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    records = releases.local_records(spec, layout, record)
    staged.version = records[-1]["version"] if record else _current_version(records)
    metadata = {**metadata, "version": staged.version}

    def derive(urls: dict[str, str]) -> tuple[list[PackagedFile], dict]:
        descriptor = datapackage(spec, [f for f in staged.current if f.format != "JSON"], lambda f: urls[f.name], metadata["version"])
        package_file = write_datapackage(descriptor, folder / "datapackage.json")
        changelog = folder / f"{spec.name}-changelog.md"
        changelog.write_text(releases.changelog(spec, records), encoding="utf-8")
        return ([PackagedFile(package_file, SERIES, "JSON", sha256(package_file)),
                 PackagedFile(changelog, SERIES, "Markdown", sha256(changelog))],
                {"release_history": json.dumps(releases.history(records, urls), ensure_ascii=False)})

    fields = {}
    if record is not None:
        releases.write_record(record, releases.record_path(layout, table.period, staged.revision, staged=True))
        fields = {record["files"]["CSV"]: {"release": json.dumps(releases.portal_copy(record), ensure_ascii=False)}}
    outcome = publisher.publish(staged.files, metadata, derive, fields)
    if approval is not None:
        review.keep(approval, folder)   # moves with the files into releases/<period>/
    layout.commit(table.period)
    return outcome


def _current_version(records: list[dict]) -> str:
    """The version the portal shows when nothing new is published: the latest release's."""
    return max(records, key=lambda r: tuple(int(n) for n in r["version"].split(".")))["version"]


def diff(spec: Spec, period: str, old: int, new: int) -> releases.Changes:
    """What revision `new` of `period` changed against revision `old` (files restored from the portal if missing)."""
    layout = layout_for(spec)
    if not {old, new} <= set(layout.revisions(period)):
        restore_releases(spec, progress=lambda message: None)
    missing = sorted({old, new} - set(layout.revisions(period)))
    if missing:
        raise FileNotFoundError(", ".join(f"r{r}" for r in missing))
    return releases.compare(spec, releases.read_revision(spec, layout, period, old),
                            releases.read_revision(spec, layout, period, new))


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
