"""The confidentiality review gate (保密审查): a staged release, its fingerprint, a person's decision.

A run stages a release and stops. A reviewer looks at exactly what will be published and approves
or rejects it; the decision is bound to the release's fingerprint (sha256 over every file to be
sent and the metadata), and publishing computes the fingerprint again right before sending, so
approving something other than what was reviewed is impossible.

Files: `stage.json` (what the checks passed: fingerprint, metadata, checks) and `review.json` (the
decision) beside the staged files under out/<dataset>/staging/<period>/, moved with them into
releases/<period>/; every decision is also kept in out/<dataset>/reviews/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from gongkai.package import PackagedFile, layout_for, read_period, row_order, sha256
from gongkai.package.staging import StagedRelease
from gongkai.personal import find_pii, mask_text
from gongkai.problems import Problem, Problems, Where
from gongkai.spec import DISCLOSURE_LABELS, Spec

# The metadata fields a review sets: never part of what is reviewed.
REVIEW_FIELDS = ("reviewed_by", "reviewed_at", "review_checks", "review_decision", "review_comment",
                 "review_sha256")
DECISIONS = {"approve": "批准 approved", "reject": "驳回 rejected"}
STAGE_FILE, RECORD_FILE = "stage.json", "review.json"
PREVIEW_ROWS = 5


class ReviewRefused(Exception):
    """The review cannot go on (nothing staged, staged files changed, …): nothing was published."""

    def __init__(self, slug: str, where: Where = Where(), **params):
        self.problem = Problem(slug, where, {k: mask_text(str(v)) for k, v in params.items()})
        kind = self.problem.kind
        super().__init__(f"{where}: {self.problem.message_zh} / {self.problem.message_en}\n"
                         f"→ {kind.fix_zh} / {kind.fix_en}")


def fingerprint(files: list[PackagedFile], metadata: dict) -> str:
    """sha256 over the sorted (name, sha256) of every file and the canonical JSON of the metadata."""
    content = {"files": sorted([f.name, f.sha256] for f in files),
               "metadata": {k: v for k, v in metadata.items() if k not in REVIEW_FIELDS}}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Staged:
    """A release waiting for its review: what the pipeline checked, and what it will send."""

    dataset: str
    period: str
    fingerprint: str
    files: dict[str, str]          # name -> sha256 of every file to be sent
    metadata: dict
    checks: dict[str, str]         # what the pipeline verified, for the review record
    rows: int
    paths: dict[str, str] = field(default_factory=dict)   # name -> where the file lies, to hash it again
    source: str | None = None      # what the run read, and why it corrects a period: the publishing
    correction: str = ""           # run after an approval (`gongkai review --approve`) repeats them
    staged_at: str = field(default_factory=lambda: _now())

    @classmethod
    def of(cls, dataset: str, period: str, files: list[PackagedFile], metadata: dict,
           checks: dict[str, str], rows: int, source: str | None = None, correction: str = "") -> "Staged":
        return cls(dataset, period, fingerprint(files, metadata), {f.name: f.sha256 for f in files},
                   metadata, checks, rows, {f.name: str(f.path) for f in files}, source, correction)

    def save(self, folder: Path) -> None:
        _write_json(folder / STAGE_FILE, asdict(self))

    @classmethod
    def load(cls, folder: Path) -> "Staged":
        path = folder / STAGE_FILE
        if not path.exists():
            raise ReviewRefused("nothing-staged", Where(file=str(folder)), period=folder.name)
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _write_json(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def files_now(staged: Staged) -> list[PackagedFile]:
    """Every file of the staged release hashed again now, where it lies."""
    return [PackagedFile(Path(path), "", "", sha256(Path(path)) if Path(path).exists() else "")
            for path in staged.paths.values()]


def check_same(staged: Staged, files: list[PackagedFile], expected: str, folder: Path) -> None:
    """Refuse unless the files on disk (and the staged metadata) still have the fingerprint `expected`."""
    if fingerprint(files, staged.metadata) == expected:
        return
    now = {f.name: f.sha256 for f in files}
    differing = sorted(name for name in staged.files.keys() | now.keys() if staged.files.get(name) != now.get(name))
    raise ReviewRefused("review-mismatch", Where(file=str(folder)),
                        files="、".join(differing) or "stage.json（元数据 metadata）")


def decide(staged: Staged, folder: Path, log_folder: Path, *, reviewer: str, decision: str,
           comment: str, seen: str) -> dict:
    """The review record of `decision` on the release whose fingerprint the reviewer saw (`seen`).

    Stored as review.json beside the staged files and in the dataset's review log. The record is
    published, so a reviewer's comment or name holding personal data is refused, never sent.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {sorted(DECISIONS)}")
    for label, text in (("审查人 reviewer", reviewer), ("意见 comment", comment)):
        if find_pii(text):
            raise ReviewRefused("pii-in-review", Where(field=label), kinds="、".join(h.kind for h in find_pii(text)))
    if not reviewer.strip():
        raise ReviewRefused("reviewer-missing", Where(field="审查人 reviewer"))
    record = {"reviewer": reviewer.strip(), "decision": decision, "comment": comment.strip(), "at": _now(),
              "sha256": seen, "dataset": staged.dataset, "period": staged.period, "checks": staged.checks}
    keep(record, folder)
    _write_json(log_folder / f"{staged.period}-{record['at'][:19].replace(':', '')}-{decision}.json", record)
    return record


def keep(record: dict, folder: Path) -> None:
    """The record that lets a staged release be sent, beside its files (it moves with them into releases/)."""
    _write_json(folder / RECORD_FILE, record)


def earlier_approval(log_folder: Path, expected: str) -> dict | None:
    """The latest decision on exactly this content, if it was an approval (a rerun of what was approved)."""
    records = [json.loads(p.read_text(encoding="utf-8")) for p in log_folder.glob("*.json")]
    same = sorted((r for r in records if r.get("sha256") == expected), key=lambda r: r["at"])
    return same[-1] if same and same[-1]["decision"] == "approve" else None


def portal_fields(record: dict) -> dict:
    """The record as the CKAN dataset fields (ckanext-gongkai's scheming schema)."""
    checks = "；".join(f"{name}：{result}" for name, result in record["checks"].items())
    return {"reviewed_by": record["reviewer"], "reviewed_at": record["at"], "review_checks": checks,
            "review_decision": record["decision"], "review_comment": record["comment"],
            "review_sha256": record["sha256"]}


def suppression_summary(frame: pd.DataFrame) -> dict[str, int]:
    """Suppressed cells per field: the companion `<field>_flag` columns holding "C"."""
    flags = [c for c in frame.columns if c.endswith("_flag") and c[:-5] in frame.columns]
    return {c[:-5]: int((frame[c] == "C").sum()) for c in flags if (frame[c] == "C").any()}


def diff_frames(new: pd.DataFrame, old: pd.DataFrame, key: list[str]) -> dict:
    """Rows added and removed, and cells changed (old → new), between two releases of a period.

    One function, so the releases' `gongkai diff` can take its place.
    """
    new_rows, old_rows = new.set_index(key), old.set_index(key)
    added = new_rows.index.difference(old_rows.index)
    removed = old_rows.index.difference(new_rows.index)
    common = new_rows.index.intersection(old_rows.index)
    columns = [c for c in new_rows.columns if c in old_rows.columns]
    left, right = old_rows.loc[common, columns], new_rows.loc[common, columns]
    changed = []
    for column in columns:
        differs = ~((left[column] == right[column]).fillna(False) | (left[column].isna() & right[column].isna()))
        changed += [(row, column, left.at[row, column], right.at[row, column]) for row in differs[differs].index]
    return {"rows_added": len(added), "rows_removed": len(removed), "cells_changed": len(changed),
            "examples": changed[:10]}


def overview(staged: Staged, frame: pd.DataFrame, measures: list[str], released: pd.DataFrame | None,
             key: list[str]) -> list[str]:
    """What will be published, as lines for the terminal and for Prefect's review form (Markdown)."""
    lines = [f"## 待审查 / awaiting review: {staged.dataset} {staged.period}", "",
             f"- 数据行 / rows: {len(frame)}",
             f"- 指纹 / fingerprint (sha256): `{staged.fingerprint}`",
             f"- 暂存于 / staged at: {staged.staged_at}",
             "", "### 合计 / totals"]
    lines += [f"- {m}: {_figure(frame[m].sum())}" for m in measures]
    lines += ["", "### 已通过的检查 / checks passed"] + [f"- {k}: {v}" for k, v in staged.checks.items()]
    suppressed = suppression_summary(frame)
    if suppressed:
        lines += ["", "### 抑制 / suppressed cells (flag C)"] + [f"- {k}: {v}" for k, v in suppressed.items()]
    lines += ["", "### 与上次发布比较 / against the last release"]
    if released is None:
        lines.append("- 本期首次发布 / this period was never published before")
    else:
        diff = diff_frames(frame, released, key)
        lines.append(f"- 新增行 rows added {diff['rows_added']}, 删除行 rows removed {diff['rows_removed']}, "
                     f"变化单元格 cells changed {diff['cells_changed']}")
        lines += [f"  - {'/'.join(map(str, row if isinstance(row, tuple) else (row,)))} {column}: "
                  f"{_figure(old)} → {_figure(new)}" for row, column, old, new in diff["examples"]]
    preview = frame.head(PREVIEW_ROWS).to_string(index=False, max_colwidth=16)
    lines += ["", f"### 预览 / preview (first {PREVIEW_ROWS} rows)", "", "```", mask_text(preview), "```"]
    return lines


def _figure(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}" if not isinstance(value, str) else mask_text(value)


# -- a dataset's staged release under review --------------------------------------------------------

def checks_passed(spec: Spec, frame: pd.DataFrame, problems: Problems) -> dict[str, str]:
    """What the pipeline verified, for the review record (审查记录)."""
    checks = {
        "个人信息扫描 PII scan": "身份证号、手机号、银行卡号、邮箱无命中 / no ID, phone, bank card or e-mail found",
        "表结构 schema": f"通过 / passed ({spec.schema_path.name})",
        "质量规则 quality": f"通过，{len(problems.warnings)} 个警告 / passed, {len(problems.warnings)} warnings",
        "公开属性 disclosure": DISCLOSURE_LABELS[spec.disclosure],
    }
    suppressed = suppression_summary(frame)
    if suppressed:
        checks["小数值抑制 suppression"] = "、".join(f"{k} {v}" for k, v in suppressed.items())
    return checks


def stage_for_review(spec: Spec, staged: StagedRelease, rows: int, metadata: dict, checks: dict[str, str],
                     source: str | None, correction: str | None) -> Staged:
    """Record what the checks passed beside the staged files: the release now awaits its review.

    The sources and the correction reason are kept so that `gongkai review --approve` can run the
    same release again to publish it."""
    ticket = Staged.of(spec.name, staged.period, staged.files, metadata, checks, rows, source=source,
                       correction=correction or "")
    ticket.save(layout_for(spec).staging(staged.period))
    return ticket


def record_decision(spec: Spec, period: str, seen: str, *, reviewer: str, decision: str, comment: str) -> dict:
    """The reviewer's decision on the staged release whose fingerprint they were shown (`seen`)."""
    layout = layout_for(spec)
    folder = layout.staging(period)
    ticket = Staged.load(folder)
    check_same(ticket, files_now(ticket), seen, folder)
    return decide(ticket, folder, layout.reviews, reviewer=reviewer, decision=decision, comment=comment, seen=seen)


def release_overview(spec: Spec, ticket: Staged) -> list[str]:
    """What a reviewer sees of a staged release: figures, checks, suppression, diff, preview."""
    layout = layout_for(spec)
    staged = sorted(layout.staging(ticket.period).glob(f"{spec.name}-{ticket.period}*.parquet"))
    frame = read_period(staged[-1])
    released = (layout.current(spec.name, ticket.period) if ticket.period in layout.published_periods() else None)
    measures = [f.name for f in spec.schema.fields if f.type in ("integer", "number") and f.name in frame.columns]
    return overview(ticket, frame, measures, read_period(released) if released else None, row_order(spec))
