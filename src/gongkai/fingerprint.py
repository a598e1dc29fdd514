"""Cheap unchanged reruns: a period's fingerprint, and whether the portal still holds its release.

The fingerprint is the sha256 of everything a period's release is made from: the source
files' contents, the spec, schema, suite and regions, the related datasets a cross-table
check reads, the earlier periods' fingerprints (they feed period-over-period checks and the
series) and the code of this package. It is written to out/<dataset>/fingerprints/<period>.json
only after the portal took the release or said it was unchanged, with the sha256 of the
period's files as published. A rerun whose fingerprint matches skips every heavy stage once
one `package_show` shows those files (and the DataStore table) still there: a wiped or
half-loaded portal is republished by a full run.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from gongkai.divisions import table_path
from gongkai.package import SERIES, Layout, layout_for, sha256
from gongkai.publish import connect
from gongkai.report import RunReport
from gongkai.settings import portal_settings
from gongkai.spec import ROOT, Spec

PACKAGE = Path(__file__).resolve().parent


@lru_cache
def code_version() -> str:
    """The sha256 of this package's source and the pinned libraries: any change means a full run."""
    digest = hashlib.sha256()
    for path in [*sorted(PACKAGE.rglob("*.py")), ROOT / "requirements.lock"]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _file_part(label: str, path: Path | None) -> str:
    return f"{label}:{path.name}:{sha256(path)}" if path and path.is_file() else f"{label}:-"


def fingerprint(spec: Spec, files: list[Path], period: str, related: list[Spec] = ()) -> str:
    earlier = [p for p in layout_for(spec).published_periods() if p < period]
    parts = [f"code:{code_version()}", _file_part("spec", spec.path), _file_part("schema", spec.schema_path),
             _file_part("suite", spec.suite_path), _file_part("regions", spec.regions_path),
             _file_part("divisions", table_path(spec.divisions)),
             f"period:{period}", *(_file_part("source", Path(f)) for f in sorted(files))]
    parts += [f"earlier:{p}:{_recorded_value(spec, p)}" for p in earlier]
    for other in related:   # a cross-table check reads another dataset's published series
        parts += [f"related:{other.name}:{p}:{_recorded_value(other, p)}" for p in layout_for(other).published_periods()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _path(layout: Layout, period: str) -> Path:
    return layout.root / "fingerprints" / f"{period}.json"


def recorded(spec: Spec, period: str) -> dict | None:
    try:
        return json.loads(_path(layout_for(spec), period).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _recorded_value(spec: Spec, period: str) -> str:
    return (recorded(spec, period) or {}).get("fingerprint", "-")


def record(spec: Spec, period: str, value: str, rows: int) -> None:
    """Remember what the portal holds for this period (call only once the portal took or kept it)."""
    layout = layout_for(spec)
    # The period's current revision (r1 is <name>-<period>.csv, a correction <name>-<period>-r2.csv).
    current = [layout.current(spec.name, period, suffix) for suffix in ("csv", "parquet")]
    published = {p.name: sha256(p) for p in current if p.is_file()}
    path = _path(layout, period)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")   # whole or not at all: a torn record would never match
    temporary.write_text(json.dumps({"fingerprint": value, "rows": rows, "files": published}, indent=1),
                         encoding="utf-8")
    temporary.replace(path)


def local_release_intact(spec: Spec, period: str, record_: dict) -> bool:
    """The period's files are still here as published (a new machine or a lost disk needs a full run,
    which restores them)."""
    release = layout_for(spec).release(period)
    return bool(record_.get("files")) and all(
        (release / name).is_file() and sha256(release / name) == digest for name, digest in record_["files"].items())


def portal_holds(dataset: dict | None, record_: dict) -> bool:
    """Whether a package_show answer still has this period's files with their sha256, and a
    DataStore table that finished loading."""
    if not dataset or dataset.get("state") != "active" or not record_.get("files"):
        return False
    resources = {r["name"]: r for r in dataset.get("resources", [])}
    if any(resources.get(name, {}).get("hash") != digest for name, digest in record_["files"].items()):
        return False
    series = [r for r in resources.values() if r.get("period") == SERIES and r.get("format") == "CSV"]
    tables = [r for r in resources.values() if r.get("format") == "DataStore"]   # the series' table resource
    return bool(series) and bool(tables) and all(t.get("datastore_sha256") == series[0].get("hash") for t in tables)


def of_release(spec: Spec, files: list[Path], period: str) -> str:
    """The fingerprint of a period's release, the datasets its cross-table checks read included."""
    return fingerprint(spec, files, period, spec.related_specs)


def skip_if_unchanged(spec: Spec, report: RunReport, files: list[Path], value: str) -> bool:
    """True (and the report filled in) when the period's fingerprint matches the one recorded at its
    last release and one package_show shows the portal still holds that release: nothing to do.
    Any doubt (no record, another fingerprint, the portal not answering) means a full run."""
    kept = recorded(spec, report.period)
    if spec.disclosure != "proactive" or not files or not kept or kept.get("fingerprint") != value \
            or not local_release_intact(spec, report.period, kept):
        return False
    settings = portal_settings()
    try:
        dataset = connect(settings).call_action("package_show", {"id": spec.ckan.name})
    except Exception:  # noqa: BLE001 - the full run says what is wrong with the portal
        return False
    if not portal_holds(dataset, kept):
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
        record(spec, report.period, value, report.rows)
    except OSError:
        pass   # no record only costs the next run its shortcut; the release itself is done
