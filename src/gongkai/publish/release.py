"""A dataset's release on the portal: its metadata, sending a reviewed release, restoring history, diffs."""

from __future__ import annotations

import datetime as dt
import json

from gongkai import review
from gongkai.deadline import publication_deadline
from gongkai.package import SERIES, PackagedFile, datapackage, layout_for, sha256, write_datapackage
from gongkai.package import releases
from gongkai.package.staging import StagedRelease
from gongkai.publish import Outcome, Publisher, connect
from gongkai.settings import portal_settings
from gongkai.spec import Spec


def ckan_metadata(spec: Spec, periods: list[str]) -> dict:
    """The dataset's CKAN fields once this release is out; `periods` are every period it then holds."""
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


def periods_after_release(spec: Spec, period: str) -> list[str]:
    return sorted({*layout_for(spec).published_periods(), period})


def restore_releases(spec: Spec, progress=print) -> list[str]:
    """Bring back published revisions this machine does not have, before they are needed."""
    settings = portal_settings()
    return Publisher(connect(settings), settings, spec, progress).restore(layout_for(spec))


def publish_release(spec: Spec, staged: StagedRelease, metadata: dict, progress=print,
                    approval: dict | None = None) -> Outcome:
    """Send the staged release; it counts as published locally only once the portal took it.

    A new release goes only with the reviewer's `approval`, whose fingerprint is checked against
    the files hashed again here, the last step before sending: approving something other than
    what was reviewed is impossible.
    """
    settings = portal_settings()
    publisher = Publisher(connect(settings), settings, spec, progress)
    layout = layout_for(spec)
    folder = layout.staging(staged.period)
    record = staged.record
    if record is not None:
        if approval is None or approval["decision"] != "approve":
            raise ValueError("a new release is published only with an approval")   # a bug, never data
        ticket = review.Staged.load(folder)
        review.check_same(ticket, review.files_now(ticket), approval["sha256"], folder)
        record["review"] = review.portal_fields(approval)
    if record is not None and not record["published_at"]:
        record["published_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    records = releases.local_records(spec, layout, record)
    staged.version = records[-1]["version"] if record else _current_version(records)
    metadata = {**metadata, "version": staged.version}

    def derive(urls: dict[str, str]) -> tuple[list[PackagedFile], dict]:
        descriptor = datapackage(spec, [f for f in staged.current if f.format != "JSON"], lambda f: urls[f.name],
                                 metadata["version"])
        package_file = write_datapackage(descriptor, folder / "datapackage.json")
        changelog = folder / f"{spec.name}-changelog.md"
        changelog.write_text(releases.changelog(spec, records), encoding="utf-8")
        return ([PackagedFile(package_file, SERIES, "JSON", sha256(package_file)),
                 PackagedFile(changelog, SERIES, "Markdown", sha256(changelog))],
                {"release_history": json.dumps(releases.history(records, urls), ensure_ascii=False)})

    fields = {}
    if record is not None:
        releases.write_record(record, releases.record_path(layout, staged.period, staged.revision, staged=True))
        fields = {record["files"]["CSV"]: {"release": json.dumps(releases.portal_copy(record), ensure_ascii=False)}}
    outcome = publisher.publish(staged.files, metadata, derive, fields)
    if approval is not None:
        review.keep(approval, folder)   # moves with the files into releases/<period>/
    layout.commit(staged.period)
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
