"""The run report: what was read, what was wrong, what was published. Markdown for people, JSON for tools."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from gongkai.problems import Problem, Problems

WHERE_MAX_WIDTH = 60  # file ! sheet ! cell: longer places fold onto the next line
SEVERITY_LABELS = {"error": "错误 error", "warning": "警告 warning", "info": "提示 info"}


@dataclass
class RunReport:
    dataset: str
    period: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    files: list[str] = field(default_factory=list)
    rows: int = 0
    problems: Problems = field(default_factory=Problems)
    status: str = "running"          # published | unchanged | awaiting-review | rejected | refused | failed | validated
    summary: str = ""
    dataset_url: str = ""
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    review: dict = field(default_factory=dict)
    release: dict = field(default_factory=dict)   # revision, kind, reason, version, changes (package_releases)
    anonymization: dict = field(default_factory=dict)  # dropped, suppressed, k, margin, audit: no value
    report_file: str = ""            # where this report was written
    traceback: str = ""              # an internal error's traceback: in the file, never on the console

    def as_dict(self) -> dict:
        return {
            "dataset": self.dataset, "period": self.period, "started": self.started.isoformat(),
            "status": self.status, "summary": self.summary, "files": self.files, "rows": self.rows,
            "errors": len(self.problems.errors), "warnings": len(self.problems.warnings),
            "problems": [p.as_dict() for p in self.problems], "dataset_url": self.dataset_url,
            "uploaded": self.uploaded, "unchanged": self.unchanged, "review": self.review,
            "release": self.release, "anonymization": self.anonymization,
            "report_file": self.report_file, **({"traceback": self.traceback} if self.traceback else {}),
        }

    def markdown(self) -> str:
        lines = [
            f"# 运行报告 / Run report: {self.dataset} {self.period}",
            "",
            f"- 状态 / status: **{self.status}** — {self.summary}",
            f"- 开始 / started: {self.started:%Y-%m-%d %H:%M:%S %z}",
            f"- 源文件 / source files: {', '.join(self.files) or '—'}",
            f"- 数据行 / rows: {self.rows}",
            f"- 错误 / errors: {len(self.problems.errors)}; 警告 / warnings: {len(self.problems.warnings)}",
        ]
        if self.dataset_url:
            lines.append(f"- 数据集 / dataset: {self.dataset_url}")
        if self.uploaded or self.unchanged:
            lines.append(f"- 已上传 / uploaded: {', '.join(self.uploaded) or '无 none'}")
            lines.append(f"- 未变化 / unchanged: {', '.join(self.unchanged) or '无 none'}")
        if self.release:
            lines += ["", "## 发布 / Release", "", *release_lines(self.release)]
        if self.review:
            lines += ["", "## 审查记录 / Review record", ""]
            lines += [f"- {key}: {value}" for key, value in self.review.items()]
        lines += anonymization_lines(self.anonymization)
        if self.problems:
            lines += ["", "## 问题 / Problems", "",
                      "| 级别 severity | 位置 where | 问题 problem | 处理 fix |", "| --- | --- | --- | --- |"]
            lines += [_markdown_row(p) for p in self.problems]
        if self.traceback:
            lines += ["", "## 内部错误 / Internal error", "", "```", self.traceback.rstrip(), "```"]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        """Write `<period>-<time>.md` and `.json` into `folder`; returns the Markdown path."""
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"{self.period}-{self.started:%Y%m%dT%H%M%S}"
        self.report_file = str(stem.with_suffix(".md"))
        stem.with_suffix(".json").write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2),
                                             encoding="utf-8")
        markdown = stem.with_suffix(".md")
        markdown.write_text(self.markdown(), encoding="utf-8")
        return markdown


def release_lines(release: dict) -> list[str]:
    """The release and every change against the last revision: rows added/removed, cells old → new."""
    from gongkai.package.releases import Changes, changes_table

    lines = [f"- 修订 / revision: {release['revision']} ({release['kind']})"]
    if release.get("version"):
        lines.append(f"- 版本 / version: {release['version']}")
    if release.get("reason"):
        lines.append(f"- 更正理由 / reason: {release['reason']}")
    changes = Changes.from_dict(release.get("changes", {}))
    return lines + (changes_table(changes) if not changes.empty else [])


def anonymization_lines(summary: dict) -> list[str]:
    """The anonymization section: what was dropped and suppressed, k, margin, the audit (no values, no p)."""
    if not summary:
        return []
    lines = ["", "## 匿名化 / Anonymization", ""]
    dropped = summary.get("dropped") or ["无 none"]
    lines += ["- 删除的表尾/备注 / dropped footers and notes:", *[f"  - {d}" for d in dropped]]
    control = summary.get("disclosure_control")
    if not control:
        return lines
    audit, kinds = control["audit"], control["suppressed_cells"]
    lines += [
        f"- 小数保护 / small-cell protection: k = {control['k']}"
        + "".join(f", {level}: {k}" for level, k in control["k_by_level"].items())
        + f"; 保护区间 / margin: 计数 counts ±{control['margin']['count']}, "
          f"金额 amounts ±{control['margin']['amount_relative']:.0%}",
        f"- 单元格 / cells: {control['cells']}, 公开 published {control['published_cells']}; "
        f"隐藏 suppressed: 原始 primary {kinds['primary']}, 互补 complementary {kinds['complementary']}, "
        f"沿用上期 carried {kinds['carried']}",
        f"- 审核 / audit: {'通过 passed' if audit['passed'] else '未通过 FAILED'} "
        f"({audit['values_checked']} 个隐藏值 suppressed values checked, {audit['failed']} failed)",
        "", "| 字段 field | 原始 primary | 互补 complementary | 沿用 carried |", "| --- | --- | --- | --- |",
    ]
    lines += [f"| {name} | {n['primary']} | {n['complementary']} | {n['carried']} |"
              for name, n in control["suppressed"].items()]
    return lines


def _markdown_row(p: Problem) -> str:
    cells = [SEVERITY_LABELS[p.severity.value], f"`{p.where}`", f"{p.message_zh}<br>{p.message_en}",
             f"{p.kind.fix_zh}<br>{p.kind.fix_en}" if p.kind.fix_zh else ""]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def print_problems(problems: list[dict], console: Console | None = None) -> None:
    """The error table a data officer sees in the terminal (problems as in `Problem.as_dict`)."""
    if not problems:
        return
    table = Table(show_lines=True)
    table.add_column("级别 severity", no_wrap=True)
    # A long file name folds onto more lines instead of squeezing the message until Chinese text is cut.
    # A place that fits stays on one line (people copy it); only a longer one folds.
    console = console or Console()
    widest = min(WHERE_MAX_WIDTH, console.width * 2 // 5)
    longest = max(cell_len(p["where"]) for p in problems)
    table.add_column("位置 where", overflow="fold", min_width=longest if longest <= widest else None,
                     max_width=widest)
    table.add_column("问题与处理 problem and fix", overflow="fold")
    for p in problems:
        fix = f"\n→ {p['fix_zh']} / {p['fix_en']}" if p["fix_zh"] else ""
        table.add_row(SEVERITY_LABELS[p["severity"]], p["where"], f"{p['message_zh']}\n{p['message_en']}{fix}")
    console.print(table)
