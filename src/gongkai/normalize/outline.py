"""Item hierarchies in budget-style tables: outline markers, 其中 rows and indentation become item codes.

Chinese official tables number their items 一、 > （一） > 1. > （1）; "其中：" makes a row a
child of the row above and the unmarked rows after it its siblings; deeper indentation
makes a row a child. Every item gets a dotted code from its position (3.2.1) and its
parent's code, so the published table keeps the hierarchy and sums can be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.normalize.text import as_text, strip_invisible

MARKERS = [  # (rank, pattern): a lower rank is a higher level
    (1, re.compile(r"^[一二三四五六七八九十]+[、.．]\s*")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[)）][、.．]?\s*")),
    (3, re.compile(r"^\d{1,2}[、.．](?!\d)\s*")),
    (4, re.compile(r"^[（(]\d{1,2}[)）][、.．]?\s*")),
    (5, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]\s*")),
]
OF_WHICH = re.compile(r"^其中[:：]?\s*")


@dataclass
class Item:
    name: str                     # without marker and 其中
    level: int                    # 1 = top
    code: str = ""
    parent: Item | None = None
    of_which: bool = False        # a 其中 child: a breakdown that may be partial
    source_code: str = ""         # 科目编码 (208, 20802, 2080201): its prefixes are its parents
    rank: int | None = None       # its outline marker's rank, None when unmarked
    children: list[Item] = field(default_factory=list)


def indentation(raw) -> int:
    """Leading blanks: a full-width space counts as one, two ASCII spaces as one."""
    text = as_text(raw)
    stripped = text.lstrip(" \u3000\t")
    lead = text[:len(text) - len(stripped)]
    return lead.count("\u3000") + lead.count("\t") * 2 + lead.count(" ") // 2


def split_label(raw) -> tuple[str, int | None, bool]:
    """(name, marker rank or None, starts with 其中) of an item label."""
    text = strip_invisible(raw).strip()
    of_which = bool(OF_WHICH.match(text))
    text = OF_WHICH.sub("", text)
    for rank, pattern in MARKERS:
        if pattern.match(text):
            return pattern.sub("", text).strip(), rank, of_which
    return text, None, of_which


class Outline:
    """Feed item labels top to bottom; each gets its level, parent and code."""

    def __init__(self):
        self.stack: list[tuple[Item, int | None, int]] = []   # (item, marker rank, indentation)
        self.roots: list[Item] = []

    def add(self, raw, source_code: str | None = None) -> Item:
        name, rank, of_which = split_label(raw)
        indent = indentation(raw)
        code = (source_code or "").strip()
        parent = self._coded_parent(code) if code else self._parent(rank, of_which, indent)
        item = Item(name, (parent.level + 1) if parent else 1, parent=parent, of_which=of_which, source_code=code,
                    rank=rank)
        siblings = parent.children if parent else self.roots
        siblings.append(item)
        item.code = f"{parent.code}.{len(siblings)}" if parent else str(len(siblings))
        # A 其中 row's unmarked followers are its siblings: remember it with the parent's context.
        self.stack.append((item, rank, indent))
        return item

    def new_section(self) -> None:
        """After a 合计 the outline starts again (一、 numbers the next section), codes go on."""
        self.stack.clear()

    def _coded_parent(self, code: str) -> Item | None:
        """Budget subject codes nest by prefix: 2080201 is under 20802, which is under 208."""
        candidates = [item for item, _, _ in self.stack
                      if item.source_code and code.startswith(item.source_code) and item.source_code != code]
        return max(candidates, key=lambda item: len(item.source_code), default=None)

    def _parent(self, rank: int | None, of_which: bool, indent: int) -> Item | None:
        if not self.stack:
            return None
        previous, _previous_rank, previous_indent = self.stack[-1]
        if of_which:
            return previous
        if rank is not None:
            # The nearest item above with a higher-level marker, or an unmarked heading (三公经费合计
            # over （一）（二）（三）), is the parent; an unmarked row inside a marked item (the second
            # row of （二）'s 其中 group) is no heading of the next （三）.
            for item, item_rank, _ in reversed(self.stack):
                if item_rank is not None and item_rank < rank:
                    return item
                if item_rank is None and not item.of_which and not _inside_rank(item, rank):
                    return item
            return None
        if indent > previous_indent:
            return previous
        # Unmarked: a sibling of the nearest unmarked item at this indentation (a 其中 group goes on).
        for item, item_rank, item_indent in reversed(self.stack):
            if item_rank is None and item_indent <= indent:
                return item.parent
        return None


def _inside_rank(item: Item, rank: int) -> bool:
    """Whether an ancestor of item is marked at rank or deeper: item then sits below that level."""
    parent = item.parent
    while parent is not None:
        if parent.rank is not None and parent.rank >= rank:
            return True
        parent = parent.parent
    return False
