"""Stage a period as a release: a new revision (r1, or a correction rN+1), or unchanged.

Staging is local and deterministic (the same content gives the same bytes) and sends nothing:
the review gate looks at exactly these files, and publish sends them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gongkai.package import (SERIES, Layout, PackagedFile, layout_for, package_period, read_period, release_stem,
                             sha256)
from gongkai.package import releases
from gongkai.problems import Problems, Where
from gongkai.spec import Spec


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


def stage_release(spec: Spec, frame: pd.DataFrame, period: str, problems: Problems, correction: str = "",
                  sources: list[Path] = (), anonymization: dict | None = None) -> StagedRelease | None:
    """Stage this period as a new release (r1, or a correction rN+1), or as unchanged.

    A published period whose content differs is staged only with a correction reason; without
    one the problem `correction-required` says what changed and nothing is staged.
    """
    layout = layout_for(spec)
    latest = layout.revisions(period)[-1] if period in layout.published_periods() else 0
    if correction and not latest:
        problems.add("nothing-to-correct", Where(field=period), period=period)
        return None
    attempted = _staged_record(layout, period)   # a release sent before, e.g. when the portal died
    revision, changes, record = latest, releases.Changes(), None
    staged = _stage(spec, frame, period, layout, latest + 1, anonymization)
    if latest:
        staged_parquet = next(f for f in staged if f.period == period and f.format == "Parquet")
        changes = releases.compare(spec, releases.read_revision(spec, layout, period, latest),
                                   read_period(staged_parquet.path))
    if latest and changes.empty:
        if correction:
            problems.add("correction-unchanged", Where(field=period), period=period, revision=f"r{latest}")
        staged = _stage(spec, frame, period, layout, latest, anonymization)   # the same files as published
    elif latest and not correction:
        counts = changes.counts()
        problems.add("correction-required", Where(field=period), period=period, revision=f"r{latest}",
                     added=counts["rows_added"], removed=counts["rows_removed"], cells=counts["cells_changed"])
        shutil.rmtree(layout.staging(period))
        return StagedRelease(period, [], [], None, changes, latest)
    else:
        revision = latest + 1
        record = releases.new_record(spec, period, revision, reason=correction, sources=list(sources),
                                     rows=len(frame), files={f.name: f.sha256 for f in staged},
                                     changes=changes, review={}, anonymization=anonymization)
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


def _stage(spec: Spec, frame: pd.DataFrame, period: str, layout: Layout, revision: int,
           anonymization: dict | None) -> list[PackagedFile]:
    """The period's files as revision `revision`, and the series; a dataset under disclosure control
    also stages its anonymization report (`<dataset>-<period>[-rN]-anonymization.json`)."""
    staged = package_period(spec, frame, period, layout, revision)
    if spec.disclosure_control is not None and anonymization:
        path = layout.staging(period) / f"{release_stem(spec.name, period, revision)}-anonymization.json"
        path.write_text(json.dumps(anonymization, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
        staged.append(PackagedFile(path, period, "JSON", sha256(path)))
    return staged


def _staged_record(layout: Layout, period: str) -> dict | None:
    found = sorted(layout.staging(period).glob("release-r*.json"))
    return json.loads(found[-1].read_text(encoding="utf-8")) if found else None
