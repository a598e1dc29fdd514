"""Several tables on one sheet, and every row around them accounted for.

Each table is found by its own header and read to its own end (rows.py): its total, a footer,
or below the total the first row without a number. Its title (the text above its header) or a
heading row right under the header says which declared block (`source.blocks`) it is; a block's
`parent` is read as a header level over its columns (户数 under 城市低保 is 城市低保/户数) and its
`values` fill fields of every row. Tables whose blocks fill different fields of the same rows (城市低保
and 农村低保 of each township, wide) are joined into one record per row key.

Between and below the tables nothing is dropped silently: footer and note rows are dropped and
said (notes.py); a second table the spec does not declare is `extra-table` (or `unknown-block`
when blocks are declared but its title names none), and a number no table reads is
`values-not-read`, naming its cell.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gongkai.extract import cell_ref
from gongkai.normalize.header import HeaderBlock, find_header, header_paths, map_columns
from gongkai.normalize.notes import report_dropped
from gongkai.normalize.rows import NUMERIC, SheetResult, TableBody
from gongkai.normalize.sums import total_columns
from gongkai.normalize.text import as_text, compact, find_unit_line, fold, parse_date, parse_number, strip_invisible
from gongkai.problems import Where
from gongkai.spec import Block, Source
from gongkai.schema import load_schema

# `reader` below is the sheet's SheetReader (reader.py), which calls in here; typed by duck, not
# imported, so that reader.py alone imports its parts.


def block_parents(source: Source) -> list[str | None]:
    """The header levels a table's header may be read under: none, or a declared block's parent."""
    return [None, *dict.fromkeys(b.parent for b in source.blocks if b.parent)]


def _texts(row: list) -> list[tuple[int, str]]:
    return [(c, compact(fold(v))) for c, v in enumerate(row) if v is not None and compact(v)]


class SheetTables:
    """The tables of one sheet read into one SheetResult, and what lies between and below them."""

    def __init__(self, reader, county, result: SheetResult):
        self.reader, self.county, self.result = reader, county, result
        self.sheet, self.src, self.problems = reader.sheet, reader.src, reader.problems
        self.footer = reader.patterns["footer"]
        self.tables: list[tuple[HeaderBlock, Block | None, str, TableBody]] = []   # header, block, title, body
        self.dropped: list[int] = []          # footer and note rows
        self.text_rows: list[int] = []        # titles and notes: where `from_text` looks

    @property
    def headers(self) -> list[HeaderBlock]:
        return [header for header, _, _, _ in self.tables]

    def read(self, first: HeaderBlock) -> set[str]:
        """Every table from the first header down; the fields their headers (and blocks) give."""
        header, titles = first, [r for r in range(first.row) if _texts(self.sheet.rows[r])]
        self.text_rows += titles
        top = 0
        while header is not None:
            block, where, title, header = self._block(titles, header)
            if not self._accepted(block, where, title, header):
                break
            header = self._mapped(header, block)
            if self.tables:   # the first table's header was checked by the reader
                self.reader._choose_between(header, self.reader.period)
                self.reader._report_unknown(header)
                self.reader.unit_line = self.reader._unit_line(header, top) or self.reader.unit_line
            # 合计 columns of this table's header (as mapped), checked on every row
            self.reader.sum_columns = total_columns(header, self.reader.types, self.reader.units)
            body = TableBody(self.reader, header, self.county, self.result, block, where).read()
            self._total_of_blocks_above(header, body)
            self._unheaded(header, body)
            self.tables.append((header, block, title, body))
            top = body.stopped_at
            header, titles = self._next(body)
            self.text_rows += titles
        self._join()
        report_dropped(self.sheet, self.dropped, self.problems)
        self.text_rows += self.dropped
        found = set()
        for header, block, _, _ in self.tables:
            found |= set(header.found) | set(block.values if block else {})
        return found

    # -- which table is this -------------------------------------------------------------------

    def _block(self, titles: list[int], header: HeaderBlock):
        """(block, its title cell, the title text, header): from the title rows, else a heading row under
        the header (then the body starts below it)."""
        blocks = self.src.blocks
        first_title = next(((r, c, t) for r in titles for c, t in _texts(self.sheet.rows[r])
                            if not find_unit_line(t)), None)
        title = first_title[2] if first_title else ""
        if not blocks:
            return None, None, title, header
        for r in titles:
            for c, text in _texts(self.sheet.rows[r]):
                if block := self._named(text):
                    return block, self.sheet.where(r, c), text, header
        r = next((x for x in range(header.body_start, len(self.sheet.rows)) if _texts(self.sheet.rows[x])), None)
        if r is not None and not self._numbers(r):
            for c, text in _texts(self.sheet.rows[r]):
                if block := self._named(text):
                    return block, self.sheet.where(r, c), text, replace(header, body_start=r + 1)
        return None, (self.sheet.where(first_title[0], first_title[1]) if first_title else None), title, header

    def _named(self, text: str) -> Block | None:
        return next((b for b in self.src.blocks if re.search(b.title, text)), None)

    def _accepted(self, block: Block | None, where: Where | None, title: str, header: HeaderBlock) -> bool:
        """A table is read if it is the first (and needs no block to be understood) or a declared block
        not read yet; anything else is refused where it starts."""
        at = where or self.sheet.where(header.row, 0)
        first = self.tables[0] if self.tables else None
        if block is None and header.parent is not None:    # its columns mean something only under a block
            self.problems.add("unknown-block", at, title=title or "—",
                              blocks="、".join(b.title for b in self.src.blocks))
            return False
        if first is not None and (block is None or block in [b for _, b, _, _ in self.tables]):
            first_at = first[3].block_where or self.sheet.where(first[0].row, 0)
            self.problems.add("extra-table", at, first=str(first_at.cell or first_at))
            return False
        return True

    def _mapped(self, header: HeaderBlock, block: Block | None) -> HeaderBlock:
        """The header's columns read under the block's parent level when that reads more of them."""
        if (block.parent if block else None) == header.parent:
            return header
        plain = map_columns(self.sheet, header.row, header.depth, self.reader.matcher)
        chosen = plain
        if block and block.parent:
            under = map_columns(self.sheet, header.row, header.depth, self.reader.matcher, block.parent)
            chosen = under if _score(under) >= _score(plain) else plain
        return replace(chosen, body_start=header.body_start)

    def _total_of_blocks_above(self, header: HeaderBlock, body: TableBody) -> None:
        """Blocks under one header, each after its heading row (一、城市低保 … 二、农村低保 …), that end at
        the next heading rather than a 合计 of their own: the 合计 of the last one sums them all, column
        by column (户数 is 城市低保/户数 in the first block, 农村低保/户数 in the second)."""
        above = []
        for earlier_header, _, _, earlier in reversed(self.tables):
            if earlier_header.row != header.row or not earlier.next_block:
                break
            above.append(earlier)
        totals = [(check, r) for check, r, _ in body.stated if check.kind == "total"]
        if not above or not totals:
            return
        ends = [b.first_record for _, _, _, b in self.tables[1:]] + [body.first_record]
        end_of = {id(b): ends[i] for i, (_, _, _, b) in enumerate(self.tables)}
        for check, _ in totals:
            for earlier in above:
                by_col = {found.col: name for name, found in earlier.numeric.items()}
                pairs = [(name, by_col.get(found.col)) for name, found in body.numeric.items()
                         if name in check.values and by_col.get(found.col)]
                for index in range(earlier.first_record, end_of[id(earlier)]):
                    record, row = self.result.records[index], self.result.rows[index]
                    check.part_values.append({name: record.get(own) or 0.0 for name, own in pairs})
                    for name, own in pairs:
                        if name in check.rounding:
                            check.rounding[name] += earlier._allowance(row, own)

    def _unheaded(self, header: HeaderBlock, body: TableBody) -> None:
        """A figure in a column without any header, beside the table's rows: no field reads it, say where."""
        sheet = self.sheet
        headed = {c for c, (path, _, _) in enumerate(header_paths(sheet, header.row, header.depth)) if path}
        unread = [c for c in range(sheet.width) if c not in headed | set(body.label_cols) | body.value_cols]
        for r in range(header.body_start, body.stopped_at) if unread else ():
            row = sheet.rows[r]
            for c in unread:
                value = row[c] if c < len(row) else None
                if value is not None and compact(value) and parse_number(value, set()) is not None:
                    self.problems.add("column-without-header", sheet.where(r, c), header=cell_ref(header.row, c))
                    return

    # -- what follows a table ----------------------------------------------------------------

    def _next(self, body: TableBody) -> tuple[HeaderBlock | None, list[int]]:
        """The next table below `body` and its title rows; on the way, footers and notes are dropped and
        a number that belongs to no table is an error (and nothing below it is read)."""
        sheet = self.sheet
        start = body.stopped_at
        following = find_header(sheet, self.src, self.reader.matcher, start=start,
                                parents=block_parents(self.src)) if start < len(sheet.rows) else None
        truncated = getattr(sheet, "truncated_at", None)
        limit = following.row if following else len(sheet.rows) if truncated is None else truncated + 1
        texts: list[int] = []          # text rows since the last footer: a title, a unit line, a heading
        for x in range(start, limit):
            cells = _texts(sheet.rows[x])
            if not cells:
                continue
            if self.footer.search(cells[0][1]):
                self.dropped.append(x)
                texts = []
                continue
            numbers = self._numbers(x)
            if not numbers:
                texts.append(x)
                continue
            heading = next((r for r in texts if any(self._named(t) for _, t in _texts(sheet.rows[r]))), None)
            if heading is not None and self.src.blocks:
                # A heading row naming another block, then rows: a table under the same header.
                return replace(self.tables[-1][0], body_start=x), texts
            if not body.interrupted:   # table-interrupted named these rows already
                self.problems.add("values-not-read", sheet.where(x, numbers[0]), after=self._end_label(body))
            self.dropped += texts
            return None, []
        if following is not None:
            return following, texts
        self.dropped += texts      # notes under the last table
        return None, []

    def _numbers(self, r: int) -> list[int]:
        """Columns of row r holding a number (a zero mark is not one: a stray — proves nothing)."""
        return [c for c, v in enumerate(self.sheet.rows[r])
                if v is not None and compact(v) and parse_number(v, set()) is not None]

    def _end_label(self, body: TableBody) -> str:
        last = body.last_row if body.last_row is not None else body.header.body_start
        return f"{cell_ref(last, 0)}（{body._label_text(last) or '—'}）"

    # -- one record per row key across blocks ----------------------------------------------------

    def _join(self) -> None:
        """Tables whose blocks fill different fields (城市低保 | 农村低保 of each township) become one record per
        primary key; a row key missing from one of them is `block-row-missing`. Tables that fill the same
        fields (long blocks with `values`) stay rows of their own."""
        if len(self.tables) < 2:
            return
        owns = [{f for f in header.found if self.reader.types.get(f) in NUMERIC} for header, _, _, _ in self.tables]
        if any(a & b for i, a in enumerate(owns) for b in owns[i + 1:]):
            return
        result = self.result
        key_fields = list(load_schema(self.reader.spec.schema_path).primary_key)
        starts = [body.first_record for _, _, _, body in self.tables] + [len(result.records)]
        table_of = [t for t in range(len(self.tables)) for _ in range(starts[t], starts[t + 1])]
        kept, new_index, by_key = [], {}, {}
        for i, record in enumerate(result.records):
            key = tuple(record.get(k) for k in key_fields)
            target = by_key.get(key) if None not in key else None
            if target is None or table_of[i] in target[1]:
                new_index[i] = len(kept)
                kept.append(i)
                if None not in key and key not in by_key:
                    by_key[key] = (i, {table_of[i]})
                continue
            first, present = target
            present.add(table_of[i])
            new_index[i] = new_index[first]
            header = self.tables[table_of[i]][0]
            cells = result.cells[first] = dict(result.cells[first] or {})
            for name in owns[table_of[i]]:
                result.records[first][name] = record.get(name)
                placed = (result.cells[i] or {}).get(name, header.found[name].col)
                cells[name] = placed if isinstance(placed, (tuple, Where)) else (result.rows[i], placed)
        for first, present in by_key.values():
            for t in set(range(len(self.tables))) - present:
                label = self.tables[t][2] or self.tables[t][0].parent or "—"
                row = result.rows[first]
                name_col = self.tables[table_of[first]][3].label_cols[0] if self.tables[table_of[first]][3].label_cols else 0
                self.problems.add("block-row-missing", self.sheet.where(row, name_col),
                                  name=as_text(self.sheet.value(row, name_col)).strip() or "—", table=label)
                # The row's empty fields of that table are this problem's, not another one per field.
                cells = result.cells[first] = dict(result.cells[first] or {})
                cells.update({name: (row, name_col) for name in owns[t]})
        result.records = [result.records[i] for i in kept]
        result.rows = [result.rows[i] for i in kept]
        result.cells = [result.cells[i] for i in kept]
        for check in result.checks:
            check.members = sorted({new_index[m] for m in check.members if m in new_index})


def _score(header: HeaderBlock) -> int:
    return len(header.found) + len(header.unpivot)


# -- fields stated once, in a title or note line ---------------------------------------------------

def fill_from_text(reader, result: SheetResult, found: set[str], rows: list[int]) -> set[str]:
    """`source.from_text`: each field's value for every row of the sheet that has none, from the first
    title or note line its pattern matches. Returns the fields a line gave; a field neither a
    column nor a line gives is `field-not-found`."""
    sheet, given = reader.sheet, set()
    for name, pattern in reader.src.from_text.items():
        hit = _first_match(sheet, sorted(set(rows)), re.compile(pattern))
        if hit is None:
            if name not in found:
                reader.problems.add("field-not-found", sheet.where(0, 0, name), field=reader.src.label(name),
                                    pattern=pattern)
            continue
        (r, c), text = hit
        value = _typed(reader, name, text, sheet.where(r, c, name))
        if value is None:
            continue
        given.add(name)
        for record in result.records:
            if record.get(name) is None:
                record[name] = value
        if name not in found:
            result.provenance["constants"][name] = sheet.where(r, c, name)
    return given


def _first_match(sheet, rows: list[int], pattern: re.Pattern):
    for r in rows:
        for c, value in enumerate(sheet.rows[r]):
            if value is None:
                continue
            for text in (strip_invisible(value), fold(value)):
                if match := pattern.search(text):
                    return (r, c), (match.group(1) if pattern.groups else match.group(0)).strip()
    return None


def _typed(reader, name: str, text: str, where: Where):
    kind = reader.types.get(name)
    if kind == "date":
        date = parse_date(text)
        if date is None:
            reader.problems.add("not-a-date", where, field=reader.src.label(name), value=text)
        return date.isoformat() if date else None
    if kind in NUMERIC:
        number = parse_number(text, reader.zero_values)
        if number is None:
            reader.problems.add("not-a-number", where, field=reader.src.label(name), value=text)
        return number
    return " ".join(text.split()) or None
