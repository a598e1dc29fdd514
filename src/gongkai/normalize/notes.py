"""Footers and notes around a table (填表人、联系电话、备注、注): never read into the dataset, always said.

A dropped row is named for what it held: `personal-data-dropped` when a personal value was
really there (a phone or ID number the PII gate finds, or a name after 填表人：), otherwise the
neutral `notes-dropped`. Either way the report lists the labels and the number of rows, never a
value in clear.
"""

from __future__ import annotations

import re

from gongkai.personal import KIND_ZH, find_pii
from gongkai.extract import Sheet
from gongkai.normalize.text import compact
from gongkai.problems import Problems

# Labels worth naming when a footer is dropped: they say what went, without repeating it.
FOOTER_LABELS = re.compile(r"(填表人|填报人|制表人|审核人|经办人|统计人|分管领导|联系电话|电话|手机|联系人|负责人|审核日期|填报日期|日期|备注|说明|注)[:：]")
# A person's role or contact followed by a value: 填表人：李某某, 联系电话：0878-…
PERSONAL_ENTRY = re.compile(r"(填表人|填报人|制表人|审核人|经办人|统计人|分管领导|联系人|负责人|单位负责人|"
                            r"联系电话|电话|手机|联系方式|邮箱)[:：]\s*[^\s:：]")


def _found_in(texts: list[str]) -> str:
    """What the PII gate saw in dropped rows, masked: "；含手机号 138****2222", so the officer knows it was there."""
    hits = [hit for text in texts for hit in find_pii(text)]
    return "；含" + "、".join(f"{KIND_ZH[hit.kind]} {hit.masked}" for hit in hits) if hits else ""


def report_dropped(sheet: Sheet, rows: list[int], problems: Problems) -> None:
    """One problem for the rows of a sheet dropped as footers or notes, at the first of them."""
    rows = sorted(set(rows))
    if not rows:
        return
    texts = [compact(v) for r in rows for v in sheet.rows[r] if v is not None and compact(v)]
    labels = list(dict.fromkeys(FOOTER_LABELS.findall("\n".join(texts))))
    found = _found_in(texts)
    what = f"{'、'.join(labels) if labels else '表尾'}（{len(rows)} 行）{found}"
    personal = bool(found) or any(PERSONAL_ENTRY.search(text) for text in texts)
    problems.add("personal-data-dropped" if personal else "notes-dropped", sheet.where(rows[0], 0), what=what)
