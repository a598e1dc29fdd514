"""Find a table's header block in a sheet and map its columns to schema fields.

The header is found by what it says, not where it is: the rows (and depth) whose column
labels match the most declared headers win, so a 序号 column, a moved block, an extra
column or a title of any height do not matter. 栏次 rows (甲 | 乙 | 1 | 2 | 3) under the
header are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.extract import Sheet
from gongkai.normalize.text import compact, find_unit_line, header_label
from gongkai.normalize.units import parse_unit
from gongkai.spec import Column, Source

SEARCH_ROWS = 40          # a header lower than this is not a header
MAX_DEPTH = 4
# Columns every template has that carry no data: never reported as unknown.
IGNORED_HEADERS = re.compile(r"^(序号|编号|行次|栏次|顺序号|No\.?)$", re.IGNORECASE)
COLUMN_NUMBERS = set("甲乙丙丁戊己庚辛") | {"栏次", "-"}


@dataclass
class Found:
    """A declared column located in the sheet."""

    col: int
    column: Column
    header: str                  # the header path as declared in the spec
    label_row: int               # row of the lowest label, for problems about the header
    unit: str | None             # unit written in the header (金额（万元）)
    path: str = ""               # the header path as written in the sheet (2023年/预算数)
    joined: tuple[int, ...] = ()  # further columns whose texts continue this one's (科目编码 over 类 | 款 | 项)


@dataclass
class HeaderBlock:
    row: int                                      # first header row
    depth: int
    body_start: int                               # first row after the header and any 栏次 rows
    found: dict[str, Found] = field(default_factory=dict)          # field -> column
    also: dict[str, list[Found]] = field(default_factory=dict)     # field -> other columns matching it
    unpivot: list[tuple[int, str, str | None]] = field(default_factory=list)  # (col, category, unit)
    unknown: list[tuple[int, int, str]] = field(default_factory=list)         # (row, col, path)
    parent: str | None = None     # a block's header level read over every column (城市低保 over 户数)


def _level(value) -> tuple[str, str | None]:
    """One header cell as (label, unit): a unit line (单位：户、人、元) is no label, and a cell that is only a
    unit (元/人·月 under 城市低保) gives the column's unit, not a level of its path."""
    if find_unit_line(value):
        return "", None
    label, unit = header_label(value)
    unit_only = parse_unit(label) if label else None
    if unit_only is not None and unit_only.money:   # 人次 under 临时救助 is a label, 元/人·月 a unit
        return "", label
    return label, unit


def declared_path(header: str) -> str:
    return "/".join(header_label(part)[0] for part in header.split("/"))


def header_paths(sheet: Sheet, top: int, depth: int) -> list[tuple[str, str | None, int]]:
    """(path, unit, row of the label) per column: levels joined by "/", merged parents filled in.

    Merged ranges are used where the file has them (xlsx, xls); CSV exports leave a merged
    parent blank (or repeat it), so a blank parent over a sub-header takes the parent to its left.
    """
    width = sheet.width
    levels = [[_level(sheet.display_value(top + h, c)) for c in range(width)] for h in range(depth)]
    for h in range(depth - 1):
        for c in range(1, width):
            has_child = bool(levels[h + 1][c][0])
            left_has_child = bool(levels[h + 1][c - 1][0])
            if not levels[h][c][0] and has_child and left_has_child and sheet.merged_range(top + h, c) is None:
                levels[h][c] = levels[h][c - 1]
    paths = []
    for c in range(width):
        parts, unit, label_row = [], None, top
        for h in range(depth):
            text, part_unit = levels[h][c]
            if text and (not parts or parts[-1] != text):
                parts.append(text)
                label_row = top + h
            unit = part_unit or unit
        paths.append(("/".join(parts), unit, label_row))
    return paths


class HeaderMatcher:
    """Declared header paths of a spec, matched leniently: 城市低保/户数 also matches 城市低保户数."""

    def __init__(self, source: Source):
        self.columns = {declared_path(h): c for h, c in source.column_specs}
        self.loose = {p.replace("/", ""): c for p, c in self.columns.items()}
        self.headers = {declared_path(h): h for h, _ in source.column_specs}
        self.unpivot = {declared_path(h): v for h, v in (source.unpivot.columns.items() if source.unpivot else [])}
        self.loose_unpivot = {p.replace("/", ""): v for p, v in self.unpivot.items()}
        self.first_labels = {p.split("/")[0] for p in [*self.columns, *self.unpivot]}
        self.first_labels |= {p.split("/")[-1] for p in [*self.columns, *self.unpivot]}

    def column(self, path: str) -> tuple[Column, str] | None:
        column = self.columns.get(path) or self.loose.get(path.replace("/", ""))
        if column is None and "/" in path:
            # A parent over the declared header (2023年 over 预算数; 保障标准 over 城市低保): the leaf decides.
            leaf = path.rsplit("/", 1)[1]
            column, path = self.columns.get(leaf), leaf
        if column is None:
            return None
        header = self.headers.get(path) or next(h for p, h in self.headers.items()
                                                if p.replace("/", "") == path.replace("/", ""))
        return column, header

    def split(self, path: str) -> tuple[Column, str] | None:
        """A declared header written over sub-columns that each hold a part of its value (科目编码 over
        类 | 款 | 项): the declared column, for `科目编码/类`, when no declaration names the sub-column."""
        first = path.split("/", 1)[0]
        if "/" not in path or first not in self.columns:
            return None
        return self.columns[first], self.headers.get(first, first)

    def category(self, path: str) -> str | None:
        found = self.unpivot.get(path) or self.loose_unpivot.get(path.replace("/", ""))
        return found or (self.unpivot.get(path.rsplit("/", 1)[1]) if "/" in path else None)


def _score(matcher: HeaderMatcher, paths) -> int:
    fields, categories = set(), set()
    for path, _, _ in paths:
        if hit := matcher.column(path) or matcher.split(path):
            fields.add(hit[0].field)
        elif category := matcher.category(path):
            categories.add(category)
    return len(fields) + len(categories)


def _is_column_numbers(row: list) -> bool:
    """栏次 rows: 甲 | 乙 | 1 | 2 | 3 … under the header, numbering the columns."""
    texts = [compact(v) for v in row if compact(v)]
    if len(texts) < 2:
        return False
    numbers = [int(t) for t in texts if t.isdigit()]
    others = [t for t in texts if not t.isdigit()]
    return all(t in COLUMN_NUMBERS for t in others) and numbers == sorted(set(numbers)) and \
        all(n <= len(row) + 5 for n in numbers)


def under(parent: str | None, path: str) -> str:
    """A header path read under a block's parent level: 户数 under 城市低保 is 城市低保/户数."""
    if not parent or not path or path == parent or path.startswith(parent + "/"):
        return path
    return f"{parent}/{path}"


def find_header(sheet: Sheet, source: Source, matcher: HeaderMatcher, start: int = 0,
                parents: list[str | None] = (None,)) -> HeaderBlock | None:
    """The header block that matches the most declared columns (ties: the first, the shallowest),
    searched from row `start`; each of `parents` (a block's level over its columns) is tried too."""
    depths = [source.header.rows] if source.header.rows else range(1, MAX_DEPTH + 1)
    wanted = header_label(source.header.starts_with)[0] if source.header.starts_with else None
    best = None   # (score, row, depth, parent)
    for r in range(start, min(len(sheet.rows), start + SEARCH_ROWS)):
        labels = {header_label(v)[0] for v in sheet.rows[r] if v is not None}
        starts = wanted and any(label.startswith(wanted) for label in labels)
        if not starts and not labels & matcher.first_labels and not any(
                label and any(label.startswith(f) or f.startswith(label) for f in matcher.first_labels)
                for label in labels):
            continue
        for depth in depths:
            paths = header_paths(sheet, r, depth)
            # A header cell merged down below these rows says the header is deeper (预算数 over 类 | 款 | 项's row)
            whole = not any(r <= r0 < r + depth < r1 + 1 for r0, _, r1, _ in sheet.merged)
            for parent in parents:
                score = (_score(matcher, [(under(parent, p), u, lr) for p, u, lr in paths]), whole)
                if best is None or score > best[0]:
                    best = (score, r, depth, parent)
    needed = min(2, len({c.field for _, c in source.column_specs}))
    if best is None or best[0][0] < needed:
        return None
    return map_columns(sheet, best[1], best[2], matcher, best[3])


def map_columns(sheet: Sheet, row: int, depth: int, matcher: HeaderMatcher, parent: str | None = None) -> HeaderBlock:
    body = row + depth
    while body < len(sheet.rows) and _is_column_numbers(sheet.rows[body]):
        body += 1
    block = HeaderBlock(row, depth, body, parent=parent)
    for c, (written, unit, label_row) in enumerate(header_paths(sheet, row, depth)):
        if not written or IGNORED_HEADERS.match(written):
            continue
        path = under(parent, written)
        if hit := matcher.column(path):
            column, header = hit
            found = Found(c, column, header, label_row, unit, path)
            if column.field in block.found:       # two columns for one field: the reader decides
                block.also.setdefault(column.field, []).append(found)
            else:
                block.found[column.field] = found
        elif category := matcher.category(path):
            block.unpivot.append((c, category, unit))
        else:
            block.unknown.append((label_row, c, written))
    _join_split_columns(block, matcher)
    return block


def _join_split_columns(block: HeaderBlock, matcher: HeaderMatcher) -> None:
    """Sub-columns of a declared header that no declaration names (科目编码/类, 科目编码/款, 科目编码/项),
    side by side: one column of that field, its value the parts' texts joined (208 | 20 | 01 → 2082001)."""
    groups: dict[str, list[tuple[int, int, str]]] = {}
    for label_row, c, written in block.unknown:
        if (hit := matcher.split(written)) and hit[0].field not in block.found:
            groups.setdefault(hit[0].field, []).append((label_row, c, written))
    for name, parts in groups.items():
        cols = [c for _, c, _ in parts]
        if len(parts) < 2 or cols != list(range(cols[0], cols[0] + len(cols))):
            continue
        column, header = matcher.split(parts[0][2])
        block.found[name] = Found(cols[0], column, header, parts[0][0], None, parts[0][2].split("/")[0],
                                  joined=tuple(cols[1:]))
        block.unknown = [u for u in block.unknown if u not in parts]
