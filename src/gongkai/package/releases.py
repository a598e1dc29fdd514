"""Releases: each publication of a (dataset, period) is a revision r1, r2 … with a record.

The record (releases/<period>/release-r<N>.json) says what was published and from what:
source files and their sha256, schema and code version, rows, what changed against the
previous revision, the anonymization summary and the review record. The dataset's version
follows one rule, replayed over the records in the order they were published:

    the first release is 1.0.0; a new period adds a minor version (1.1.0, 1.2.0 …);
    a correction (更正) of a published period adds a patch version (1.2.1).
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from gongkai.personal import mask_text
from gongkai.package import Layout, read_period, release_stem, row_order, sha256
from gongkai.spec import ROOT, Spec

CELLS_SHOWN = 500   # a changelog lists at most this many changed cells per release; the record keeps all


@dataclass
class Changes:
    """What a revision changed against the one before: rows keyed by the primary key."""

    rows_added: list[str] = field(default_factory=list)
    rows_removed: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)   # {"row", "name", "field", "old", "new"}

    @property
    def empty(self) -> bool:
        return not (self.rows_added or self.rows_removed or self.cells)

    def counts(self) -> dict:
        return {"rows_added": len(self.rows_added), "rows_removed": len(self.rows_removed),
                "cells_changed": len(self.cells)}

    def as_dict(self) -> dict:
        return {**self.counts(), "added": self.rows_added, "removed": self.rows_removed, "cells": self.cells}

    @classmethod
    def from_dict(cls, data: dict) -> Changes:
        return cls(data.get("added", []), data.get("removed", []), data.get("cells", []))


def _text(value) -> str:
    """A cell as people read it: empty for a missing value, 12 for 12.0, masked like every message."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return mask_text(str(value))


def compare(spec: Spec, old: pd.DataFrame, new: pd.DataFrame) -> Changes:
    """Rows added and removed, and every cell changed old → new, matched on the primary key."""
    key = [k for k in row_order(spec) if k in new.columns]
    label = [k for k in key if k != "period"] or key
    old, new = old.set_index(key, drop=False), new.set_index(key, drop=False)

    def row(index) -> str:
        values = index if isinstance(index, tuple) else (index,)
        return " / ".join(_text(v) for k, v in zip(key, values) if k in label)

    def name(frame, index) -> str:
        return _text(frame.at[index, "region_name"]) if "region_name" in frame.columns else ""

    changes = Changes(rows_added=[row(i) for i in new.index.difference(old.index)],
                      rows_removed=[row(i) for i in old.index.difference(new.index)])
    fields = [c for c in new.columns if c in old.columns and c not in key]
    for index in new.index.intersection(old.index, sort=False):
        for column in fields:
            before, after = _text(old.at[index, column]), _text(new.at[index, column])
            if before != after:
                changes.cells.append({"row": row(index), "name": name(new, index), "field": column,
                                      "old": before, "new": after})
    return changes


def code_version() -> str:
    """gongkai's version, and the git commit it runs from when there is one."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        version = metadata.version("gongkai")
    except metadata.PackageNotFoundError:   # run from a source tree that was never installed
        version = "unknown"
    return f"{version}+{commit}" if commit else version


def record_path(layout: Layout, period: str, revision: int, staged: bool = False) -> Path:
    folder = layout.staging(period) if staged else layout.release(period)
    return folder / f"release-r{revision}.json"


def new_record(spec: Spec, period: str, revision: int, *, reason: str, sources: list[Path], rows: int,
               files: dict[str, str], changes: Changes, review: dict, anonymization: dict | None) -> dict:
    """The record of a release about to be published (its version is set by `with_versions`)."""
    stem = release_stem(spec.name, period, revision)
    return {
        "dataset": spec.name, "period": period, "revision": f"r{revision}",
        "kind": "correction" if revision > 1 else "period", "reason": mask_text(reason),
        "published_at": "",   # set when first sent (publish.release.publish_release); kept when the same release is re-sent
        "sources": [{"name": path.name, "sha256": sha256(path)} for path in sources],
        "schema_sha256": sha256(spec.schema_path), "code_version": code_version(), "rows": rows,
        "files": {"CSV": f"{stem}.csv", "Parquet": f"{stem}.parquet"}, "sha256": files,
        "changes": changes.as_dict(), "anonymization": anonymization or {}, "review": review,
    }


def write_record(record: dict, path: Path) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def local_records(spec: Spec, layout: Layout, extra: dict | None = None) -> list[dict]:
    """Every release published here, plus `extra` (the one being published), in publishing order,
    each with its version. A period published before releases had records counts as its r1."""
    records = []
    for period in layout.published_periods():
        for revision in layout.revisions(period):
            path = record_path(layout, period, revision)
            records.append(json.loads(path.read_text(encoding="utf-8")) if path.exists() else {
                "dataset": spec.name, "period": period, "revision": f"r{revision}",
                "kind": "period" if revision == 1 else "correction", "reason": "", "published_at": "",
                "files": {"CSV": f"{release_stem(spec.name, period, revision)}.csv",
                          "Parquet": f"{release_stem(spec.name, period, revision)}.parquet"}})
    if extra is not None:
        records = [r for r in records if (r["period"], r["revision"]) != (extra["period"], extra["revision"])]
        records.append(extra)
    return with_versions(records)


def with_versions(records: list[dict]) -> list[dict]:
    """The rule, replayed in publishing order: 1.0.0 first, a new period +minor, a correction +patch."""
    ordered = sorted(records, key=lambda r: (r.get("published_at") or "", r["period"], int(r["revision"][1:])))
    major, minor, patch = 1, -1, 0
    for record in ordered:
        if record["kind"] == "correction" and minor >= 0:
            patch += 1
        else:
            minor, patch = minor + 1, 0
        record["version"] = f"{major}.{minor}.{patch}"
    return ordered


def history(records: list[dict], urls: dict[str, str]) -> list[dict]:
    """`release_history` as the portal shows it (the contract with portalui): newest first, counts only."""
    return [{"version": r["version"], "period": r["period"], "revision": r["revision"], "kind": r["kind"],
             "reason": r.get("reason", ""), "published_at": r.get("published_at", ""),
             "files": {fmt: urls.get(name, "") for fmt, name in r["files"].items()},
             "changes": {k: r.get("changes", {}).get(k, 0) for k in ("rows_added", "rows_removed", "cells_changed")},
             "review": r.get("review", {})}
            for r in reversed(records)]


def changes_table(changes: Changes, limit: int | None = None, total: int | None = None) -> list[str]:
    """Markdown lines: rows added/removed, then the changed cells old → new (`total`: how many cells
    changed, when `changes` holds only the first of them)."""
    lines = []
    if changes.rows_added:
        lines.append(f"- 新增行 / rows added ({len(changes.rows_added)}): {', '.join(changes.rows_added)}")
    if changes.rows_removed:
        lines.append(f"- 删除行 / rows removed ({len(changes.rows_removed)}): {', '.join(changes.rows_removed)}")
    if changes.cells:
        lines += ["", "| 行 row | 名称 name | 字段 field | 原值 old | 新值 new |", "| --- | --- | --- | --- | --- |"]
        shown = changes.cells[:limit] if limit else changes.cells
        lines += [f"| {c['row']} | {c['name']} | {c['field']} | {c['old']} | {c['new']} |".replace("\n", " ")
                  for c in shown]
        more = max(total or 0, len(changes.cells)) - len(shown)
        if more:
            lines.append(f"\n… 另有 {more} 处 / and {more} more cells (in the release record)")
    return lines


def changelog(spec: Spec, records: list[dict]) -> str:
    """CHANGELOG of the dataset: every release, newest first, with what each correction changed."""
    lines = [f"# {spec.ckan.title} 更新记录 / Changelog: {spec.ckan.title_en}", "",
             "版本规则 / version rule: 首次发布 1.0.0；新增期间升次版本号（1.1.0）；更正升修订号（1.1.1）。 "
             "The first release is 1.0.0; a new period adds a minor version, a correction a patch version.", ""]
    for record in reversed(records):
        kind = "更正 correction" if record["kind"] == "correction" else "新期间 new period"
        lines += [f"## {record['version']} — {record['period']} {record['revision']} ({kind})", ""]
        if record.get("published_at"):
            lines.append(f"- 发布时间 / published: {record['published_at']}")
        if record.get("reason"):
            lines.append(f"- 更正理由 / reason: {mask_text(record['reason'])}")
        if "rows" in record:
            lines.append(f"- 数据行 / rows: {record['rows']}")
        lines.append(f"- 文件 / files: {', '.join(record['files'].values())}")
        # From the portal's copy of the record, so a record restored from the portal gives the same text.
        counts = portal_copy(record).get("changes", {})
        changes = Changes.from_dict(counts)
        if record["kind"] == "correction":
            lines += (changes_table(changes, CELLS_SHOWN, counts.get("cells_changed")) if not changes.empty
                      else ["- 内容无变化 / no change"])
        lines.append("")
    return "\n".join(lines)


def read_revision(spec: Spec, layout: Layout, period: str, revision: int) -> pd.DataFrame:
    return read_period(layout.release(period) / f"{release_stem(spec.name, period, revision)}.parquet")


def portal_copy(record: dict) -> dict:
    """The record as stored on the portal (the `release` field of the revision's CSV): at most
    CELLS_SHOWN changed cells, so a correction of a whole table stays a small field."""
    changes = record.get("changes", {})
    if len(changes.get("cells", [])) <= CELLS_SHOWN:
        return record
    return {**record, "changes": {**changes, "cells": changes["cells"][:CELLS_SHOWN], "cells_truncated": True}}
