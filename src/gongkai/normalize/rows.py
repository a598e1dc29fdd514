"""The rows under a table's header, each by its role: data, 合计, 小计, 其中, a county's row, a footer.

Data rows become records; rows that state sums become `SumCheck`s for the quality stage, or,
for budget-style tables, items of the published outline (outline.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.extract import cell_ref
from gongkai.normalize.header import Found, HeaderBlock
from gongkai.normalize.outline import Item, Outline
from gongkai.normalize.regions import County
from gongkai.normalize.sums import assign_members, rounding_allowance
from gongkai.normalize.text import MAX_DECIMALS, as_text, compact, fold, parse_number, stated_decimals
from gongkai.normalize.units import conversion
from gongkai.problems import Where
from gongkai.spec import Block, Column

# `reader` below is the sheet's SheetReader (reader.py), which calls in here; typed by duck, not
# imported, so that reader.py alone imports its parts.

NUMERIC = {"integer", "number"}


@dataclass
class SumCheck:
    """A row that states a sum of other rows (a 合计, a 小计, a county's own row, a parent item, 其中),
    or a total column's cell that states the sum of the columns beside it (kind "columns").

    The quality stage compares `values` with the parts: the frame rows in `members` plus the
    unpublished rows in `part_values` (其中 children of a relief table are checked, not published;
    for a total column, the other columns' values on the row). They may differ by `rounding`: half
    the last stated digit of every figure involved (sums.rounding_allowance), 0 when exact.
    """

    kind: str                                   # total | subtotal | county | children | item | columns
    where: Where                                # the row's label cell
    label: str                                  # 合计, 小计, 武定县, 公务用车购置及运行费 …
    values: dict[str, float]                    # field -> stated value, published units
    cells: dict[str, Where]                     # field -> cell of that value
    members: list[int] = field(default_factory=list)
    part_values: list[dict[str, float]] = field(default_factory=list)
    exact: bool = True                          # parts must equal the value (else: at most)
    county_code: str | None = None
    rounding: dict[str, float] = field(default_factory=dict)   # field -> allowed difference, published units
    columns: list[str] = field(default_factory=list)           # kind "columns": the fields summed


@dataclass
class SheetResult:
    records: list[dict] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)          # source row of each record
    # Per record, fields whose cell is not (row, the sheet's column of the field): field -> column on the
    # record's row, (row, column) elsewhere (a block joined in), or a Where (a value from a title); or None.
    cells: list[dict | None] = field(default_factory=list)
    checks: list[SumCheck] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)


class TableBody:
    """The rows under one header: records, sum checks and, for budgets, the item outline."""

    def __init__(self, reader, header: HeaderBlock, county: County | None, result: SheetResult,
                 block: Block | None = None, block_where: Where | None = None):
        self.reader, self.header, self.result = reader, header, result
        self.block, self.block_where = block, block_where
        self.sheet, self.problems, self.src = reader.sheet, reader.problems, reader.src
        self.county = county
        self.patterns = reader.patterns
        self.hierarchy = self.src.rows.hierarchy
        self.outline = Outline()
        self.items: list[tuple[Item, int]] = []       # (item, record index)
        self.types = reader.types
        self.fill: dict[str, object] = {}
        numeric = {f: found for f, found in header.found.items() if self.types.get(f) in NUMERIC}
        self.numeric = numeric
        self.value_cols = {found.col for found in numeric.values()} | {c for c, _, _ in header.unpivot}
        first_value = min(self.value_cols, default=self.sheet.width)
        self.label_cols = sorted({found.col for f, found in header.found.items() if f not in numeric}
                                 | {c for c in range(first_value)})
        self.factors = self._factors()
        self.sum_columns = reader.sum_columns         # total column -> the fields it sums
        # Data rows and stating rows in sheet order: which rows each 合计/小计/county row sums is
        # decided when the table is read to its end (sums.assign_members).
        self.entries: list[tuple[str, object]] = []
        self.stated: list[tuple[SumCheck, int, list[int]]] = []   # check, its row, its 其中 rows
        self.column_decimals: dict[int, int] = {}
        self.row_unit_columns = any(found.column.unit_of for found in header.found.values())
        self.children_of: SumCheck | None = None
        self.last_stating: tuple[dict, dict, Where, str, int] | None = None   # values, cells, where, label, row
        self.merged_reported: set = set()
        self.has_total = False
        self.last_row: int | None = None              # the last row read as part of the table
        self.interrupted = False                      # a note row cut the table (table-interrupted)
        self.next_block = False                       # ended at a heading row naming another block
        self.stopped_at = len(self.sheet.rows)        # the first row after the table (a footer, a title …)
        self.first_record = len(result.records)       # this table's records start here in the sheet's
        # Columns of this table that sit elsewhere than the sheet's first table's: kept per row.
        self.own_cols = {f: found.col for f, found in header.found.items() if result.provenance["cols"].get(f) != found.col}

    # -- columns ---------------------------------------------------------------------------

    def _factors(self) -> dict[str, tuple[float | None, float | None, str | None]]:
        """field -> (factor to its schema unit, factor to its `normalized` field, unit as written)."""
        reader, factors = self.reader, {}
        for name, found in self.numeric.items():
            where = self.sheet.where(found.label_row, found.col, name)
            unit = reader.source_unit(name, found.unit, found.column, where)
            factors[name] = self._factor_pair(name, found.column, unit, where)
        return factors

    def _factor_pair(self, name: str, column: Column | None, unit: str | None, where: Where):
        units = self.reader.units
        factor = conversion(unit, units.get(name))
        normalized = conversion(unit, units.get(column.normalized)) if column and column.normalized else None
        if factor is None or (column and column.normalized and unit and normalized is None):
            self.problems.add("unit-unknown", where, found=unit or "—",
                              expected=units.get(column.normalized if column and column.normalized else name) or "—")
        return factor, normalized, unit

    # -- rows ------------------------------------------------------------------------------

    def read(self) -> TableBody:
        """Read the rows from the header down to the table's end: a footer or note row, or below the
        total the first row without a number (the next table's title, a note). What lies after it is
        the caller's (blocks.py): never dropped here."""
        sheet, rows = self.sheet, self.sheet.rows
        total_at = None
        # A file cut off mid-row: only the complete rows count, and an unfinished table is an error.
        truncated = getattr(sheet, "truncated_at", None)
        end = len(rows) if truncated is None else truncated + 1
        self.stopped_at = end
        r = self.header.body_start
        while r < end:
            row = rows[r]
            labels = [compact(fold(sheet.value(r, c))) for c in self.label_cols]
            labels = [t for t in labels if t]
            has_values = any(sheet.value(r, c) is not None and compact(sheet.value(r, c)) != ""
                             for c in self.value_cols)
            if not labels and not has_values and not any(v is not None and compact(v) for v in row):
                r += 1
                continue
            role = self._role(labels, row)
            if role != "footer":
                self.last_row = r
            # Below the total, a row without a single number ends the table: a note, a footer, the next title.
            if role == "footer" or (total_at is not None and role != "total" and not self._has_numbers(r)):
                if role == "footer" and total_at is None:
                    self._interrupted_at(r)
                self.stopped_at = r
                break
            if total_at is not None and self.hierarchy:
                total_at = None    # budgets: 收入合计 closes the income section, the expenditure one follows
                self.outline.new_section()
            if total_at is not None:
                slug = "second-total" if role == "total" else "rows-after-total"
                self.problems.add(slug, sheet.where(r, self.label_cols[0] if self.label_cols else 0),
                                  total=cell_ref(total_at, 0))
                r += 1
                continue
            if role == "total":
                self._close_children()
                self._total(r, labels)
                if len(self.result.records) > self.first_record:   # a 合计 right under the header totals
                    total_at = r                                    # the rows below: the table goes on
            elif role == "subtotal":
                self._close_children()
                self._subtotal(r, labels)
            elif role == "child" and not self.hierarchy:
                self._child(r, labels)
            elif role == "county":
                self._close_children()
                self._county_row(r, labels, has_values)
            elif not has_values and self._names_another_block(r):
                # 二、农村低保 under the header 一、城市低保 was read with: the next table starts here
                self.next_block, self.stopped_at = True, r
                break
            elif not has_values and not self.hierarchy and self._is_heading(r):
                self._heading(r)
            else:
                self._close_children()
                self._data(r, has_values)
            r += 1
        if truncated is not None and not self.has_total:
            self.problems.add("table-truncated", sheet.where(truncated, 0), row=truncated + 1)
        elif not self.has_total and not self.next_block:    # a block's rows may end at the next heading
            self._total_required()
        self._close_children()
        assign_members(self.entries, self._parts)
        self._item_checks()
        self._set_rounding()
        return self

    def _total_required(self) -> None:
        """A template with a 合计 row that arrives without one may be cut off at a row boundary:
        the rows after the cut are gone and nothing else says so, so this is an error, not a warning."""
        if not self.src.rows.total_required or self.interrupted or not self.result.records or self.last_row is None:
            return
        r = self.last_row
        self.problems.add("no-total-row", self.sheet.where(r, 0), row=r + 1, label=self._label_text(r) or "—")

    def _has_numbers(self, r: int) -> bool:
        return any(compact(self.sheet.value(r, c)) and parse_number(self.sheet.value(r, c), self.reader.zero_values)
                   is not None for c in self.value_cols)

    def _role(self, labels: list[str], row: list) -> str:
        for role in ("total", "subtotal", "child", "footer"):
            if any(self.patterns[role].search(t) for t in labels):
                return role
        first_text = next((compact(v) for v in row if v is not None and compact(v)), "")
        if self.patterns["footer"].search(first_text):   # 填表人 in a value column's cell
            return "footer"
        if self.src.rows.county_rows and any(self._county_of_row(t) for t in labels):
            return "county"
        return "data"

    def _county_of_row(self, label: str) -> County | None:
        """The county a row's label names exactly (武定县, 禄丰县): a township's name is never read as one."""
        hit = self.reader.regions.county_named(label, self.reader.context, slips=False)
        return hit.county

    def _names_another_block(self, r: int) -> bool:
        """A text-only row naming a declared block other than this table's, once this table has rows."""
        if not self.src.blocks or len(self.result.records) == self.first_record:
            return False
        texts = [compact(fold(v)) for v in self.sheet.rows[r] if v is not None and compact(v)]
        named = {id(b) for b in self.src.blocks for t in texts if re.search(b.title, t)}
        return bool(named) and id(self.block) not in named

    def _is_heading(self, r: int) -> bool:
        """A row that only names a category (fill-down column) heads the rows below it."""
        fill_cols = {found.col for found in self.header.found.values() if found.column.fill_down}
        filled = [c for c in range(self.sheet.width) if compact(self.sheet.value(r, c))]
        return bool(fill_cols) and bool(filled) and set(filled) <= fill_cols | {0}

    def _heading(self, r: int) -> None:
        for name, found in self.header.found.items():
            if found.column.fill_down and compact(self.sheet.value(r, found.col)):
                self.fill[name] = self.sheet.value(r, found.col)

    # -- data rows ---------------------------------------------------------------------------

    def _data(self, r: int, has_values: bool) -> None:
        if not has_values and not self.hierarchy:
            self.problems.add("blank-values", self.sheet.where(r, min(self.value_cols, default=0)))
        base, cells_ok = self._values(r, blank_is_zero=not self.hierarchy)
        if base is None:
            return
        if not self._place(base, r):
            return
        if self.header.unpivot:
            for col, category, unit in self.header.unpivot:
                record = dict(base)
                if self._unpivot(record, r, col, category, unit):
                    # The category and a unit from the header are the header cell's.
                    named = (self.header.row + self.header.depth - 1, col)
                    self._append(record, r, {self.src.unpivot.value: col, self.src.unpivot.into: named,
                                             **{f: named for f in self._unit_fields(self.src.unpivot.value)
                                                if f not in self.header.found},
                                             **self._normalized_cols(self.src.unpivot.value, col)})
            return
        index = self._append(base, r, {})
        where, label = self.sheet.where(r, self.label_cols[0] if self.label_cols else 0), self._label_text(r)
        self.last_stating = (base, cells_ok, where, label, r)
        self._column_checks(r, base, cells_ok, where, label)
        if self.hierarchy:
            self._add_item(r, index, base)

    def _normalized_cols(self, value_field: str, col: int) -> dict:
        column = self.src.column(value_field)
        return {column.normalized: col} if column and column.normalized else {}

    def _values(self, r: int, blank_is_zero: bool) -> tuple[dict | None, dict]:
        """Every found column's value on row r, converted; the unit column is applied per row."""
        sheet, reader = self.sheet, self.reader
        record: dict = {"period": reader.period}
        if self.src.sheet_field:
            record[self.src.sheet_field] = self.sheet.name
        cells: dict[str, Where] = {}
        row_units = self._row_units(r)
        for name, found in self.header.found.items():
            raw = self._raw(r, found)
            label = found.header

            def where_at(col=found.col, name=name):
                return sheet.where(r, col, name)

            if name in self.numeric:
                self._merged_over_data(r, found)
                if raw is None and not blank_is_zero:
                    record[name] = None
                    continue
                factor, normalized, unit = self.factors[name]
                if name in row_units:
                    factor, normalized, unit = self._factor_pair(name, found.column, row_units[name], where_at())
                if factor is None:
                    record[name] = None
                    continue
                value = reader.number(raw, where_at, label, name, factor)
                record[name] = value
                cells[name] = where_at()
                if found.column.normalized and value is not None and normalized is not None:
                    record[found.column.normalized] = round(value / factor * normalized, 2)
                self._fill_unit_field(record, name, unit)
            else:
                record[name] = reader.text(raw, where_at, label, found.column)
        if self.block:
            record.update(self.block.values)
        return record, cells

    def _raw(self, r: int, found: Found):
        if found.joined:    # a value split over sub-columns (类 | 款 | 项): its parts' texts, in order
            parts = [as_text(self.sheet.value(r, c)).strip() for c in (found.col, *found.joined)]
            return "".join(parts) or None
        raw = self.sheet.value(r, found.col)
        if found.column.fill_down:
            if raw is None or compact(raw) == "":
                span = self.sheet.merged_range(r, found.col)
                raw = self.sheet.value(span[0], span[1]) if span else self.fill.get(found.column.field)
            else:
                self.fill[found.column.field] = raw
        return raw

    def _merged_over_data(self, r: int, found: Found) -> None:
        span = self.sheet.merged_range(r, found.col)
        if span and span[2] > span[0] and span not in self.merged_reported:
            self.merged_reported.add(span)
            self.problems.add("merged-over-data", self.sheet.where(span[0], span[1], found.column.field),
                              range=f"{cell_ref(span[0], span[1])}:{cell_ref(span[2], span[3])}")

    def _row_units(self, r: int) -> dict[str, str]:
        """Units written on the row itself (a 单位 column): field -> unit."""
        units = {}
        for name, found in self.header.found.items():
            target = found.column.unit_of
            if target and (text := compact(self.sheet.value(r, found.col))):
                units[target] = fold(text)
        return units

    def _unit_fields(self, value_field: str) -> list[str]:
        return [column.field for _, column in self.src.column_specs if column.unit_of == value_field]

    def _fill_unit_field(self, record: dict, value_field: str, unit: str | None) -> None:
        """The field that records the unit as written (unit_stated) gets the unit from the header too."""
        for name, column in self.src.column_specs:
            if column.unit_of == value_field and record.get(column.field) is None and unit:
                record[column.field] = unit

    def _unpivot(self, record: dict, r: int, col: int, category: str, unit: str | None) -> bool:
        """One wide cell as a row: the header's category, the cell's value. False for an empty cell."""
        spec = self.src.unpivot
        raw = self.sheet.value(r, col)
        if raw is None or compact(raw) == "":
            return False
        record[spec.into] = category
        column = self.src.column(spec.value)
        where_header = self.sheet.where(self.header.row, col, spec.value)
        row_unit = self._row_units(r).get(spec.value)    # a 单位 column beside a wide table
        source_unit = row_unit or self.reader.source_unit(spec.value, unit, column, where_header)
        factor, normalized, unit = self._factor_pair(spec.value, column, source_unit, where_header)
        if factor is None:
            return False
        value = self.reader.number(raw, lambda: self.sheet.where(r, col, spec.value), category, spec.value, factor)
        record[spec.value] = value
        if column and column.normalized and value is not None and normalized is not None:
            record[column.normalized] = round(value / factor * normalized, 2)
        self._fill_unit_field(record, spec.value, unit)
        return value is not None

    def _place(self, record: dict, r: int) -> bool:
        """Fill the county and region fields of a record; False if the row cannot be placed."""
        sheet, reader = self.sheet, self.reader
        found = self.header.found
        if "county_name" in found and record.get("county_name"):
            where = sheet.where(r, found["county_name"].col, "county_name")
            hit = reader.regions.county_named(record["county_name"], reader.context)
            reader.county_problem(hit, where, record["county_name"])
            if hit.county is None:
                return True
            self.county = hit.county
        if "county_code" in self.types:
            if self.county is None:
                return "county_name" in found
            record["county_code"], record["county_name"] = self.county.code, self.county.name
        if "region_name" in found:
            spelled = record.get("region_name") or ""
            township = self.county.township(spelled) if self.county else None
            if self.county is not None:
                reader.region_problem(township, sheet.where(r, found["region_name"].col, "region_name"), spelled,
                                      self.county.name)
            if township:
                record["region_code"], record["region_name"] = township.pair
            else:
                record["region_code"] = None
        return True

    def _append(self, record: dict, r: int, row_cols: dict) -> int:
        row_cols = {**self.own_cols, **row_cols}
        if self.block and self.block_where:    # a block's value: its place is the block's title
            row_cols.update({name: self.block_where for name in self.block.values})
        self.result.cells.append(row_cols or None)
        self.result.records.append(record)
        self.result.rows.append(r)
        self.entries.append(("data", len(self.result.records) - 1))
        return len(self.result.records) - 1

    def _label_text(self, r: int) -> str:
        """The row's name for messages: its first label cell that is not a 序号 (1, 2, 3.1)."""
        texts = [as_text(self.sheet.value(r, c)).strip() for c in self.label_cols if compact(self.sheet.value(r, c))]
        return next((t for t in texts if not t.replace(".", "").isdigit()), texts[0] if texts else "")

    # -- rows that state sums ------------------------------------------------------------------

    def _stating(self, r: int, kind: str, labels: list[str]) -> SumCheck:
        values, cells = {}, {}
        for name, found in self.numeric.items():
            factor = self.factors[name][0]
            raw = self.sheet.value(r, found.col)
            if factor is None or raw is None and kind == "item":
                continue
            where_at = (lambda col=found.col, name=name: self.sheet.where(r, col, name))
            value = self.reader.number(raw, where_at, found.header, name, factor)
            if value is not None:
                values[name] = value
                cells[name] = where_at()
        where = self.sheet.where(r, self.label_cols[0] if self.label_cols else 0)
        label = labels[0] if labels else ""
        if kind != "children":     # a 其中 row's total columns are checked with the row's own figures
            self._column_checks(r, values, cells, where, label)
        return SumCheck(kind, where, label, values, cells, county_code=self.county.code if self.county else None)

    def _sum_row(self, r: int, kind: str, labels: list[str]) -> SumCheck:
        """A 合计, 小计 or county row: a check whose members are found when the table ends."""
        check = self._stating(r, kind, labels)
        if check.values:
            self.result.checks.append(check)
        self.stated.append((check, r, []))
        self.entries.append((kind, check))
        self.last_stating = (check.values, check.cells, check.where, check.label, r)
        return check

    def _total(self, r: int, labels: list[str]) -> None:
        check = self._sum_row(r, "total", labels)
        if self.src.rows.county_rows:
            check.county_code = None
        self.has_total = True
        self.children_of = None

    def _subtotal(self, r: int, labels: list[str]) -> None:
        self._sum_row(r, "subtotal", labels)

    def _county_row(self, r: int, labels: list[str], has_values: bool) -> None:
        county = next(c for t in labels if (c := self._county_of_row(t)))
        self.county = county
        if has_values:
            self._sum_row(r, "county", labels).county_code = county.code
        else:
            self.entries.append(("county", None))    # still the start of the county's rows

    def _child(self, r: int, labels: list[str]) -> None:
        """其中 rows: a breakdown of the row above; checked, not published."""
        if self.children_of is None:
            if self.last_stating is None:
                return
            values, cells, where, label, row = self.last_stating
            values = {name: value for name, value in values.items() if name in self.numeric}
            self.children_of = SumCheck("children", where, label, values, dict(cells),
                                        exact=self.src.rows.children_complete,
                                        county_code=self.county.code if self.county else None)
            self.result.checks.append(self.children_of)
            self.stated.append((self.children_of, row, []))
        child = self._stating(r, "children", labels)
        self.children_of.part_values.append(child.values)
        self.stated[-1][2].append(r)

    def _close_children(self) -> None:
        self.children_of = None

    def _parts(self, indices: list[int]) -> list[int]:
        """The records a 合计 or 小计 sums: in a hierarchy only the items whose parent is not among them."""
        if not self.hierarchy:
            return indices
        items = {index: item for item, index in self.items}
        inside = {id(items[i]) for i in indices if i in items}
        return [i for i in indices if i in items and (items[i].parent is None or id(items[i].parent) not in inside)]

    def _column_checks(self, r: int, values: dict, cells: dict, where: Where, label: str) -> None:
        """Every total column of the row against the columns it sums, on the same row."""
        for total, parts in self.sum_columns.items():
            if values.get(total) is None or any(values.get(p) is None for p in parts):
                continue    # an empty or unreadable cell: said already, or nothing stated
            check = SumCheck("columns", cells.get(total, where), label, {total: values[total]},
                             {total: cells.get(total, where)}, part_values=[{total: values[p]} for p in parts],
                             columns=list(parts), county_code=self.county.code if self.county else None)
            self.result.checks.append(check)
            self.stated.append((check, r, []))

    # -- how far rounding lets a sum differ --------------------------------------------------------

    def _set_rounding(self) -> None:
        """Each check's allowed difference: half the last stated digit of its value and of every part."""
        for check, r, child_rows in self.stated:
            if check.kind == "columns":
                [total] = check.values
                check.rounding = {total: sum(self._allowance(r, name) for name in (total, *check.columns))}
                continue
            rows = [r, *child_rows, *(self.result.rows[m] for m in check.members)]
            check.rounding = {name: sum(self._allowance(x, name) for x in rows) for name in check.values
                              if self.types.get(name) != "integer"}     # counts: exact

    def _allowance(self, r: int, name: str) -> float:
        """How far the figure in row r of a field's column may be from the truth, in published units."""
        found = self.numeric.get(name)
        if found is None or self.types.get(name) == "integer":
            return 0.0
        raw = self.sheet.value(r, found.col)
        number = parse_number(raw, self.reader.zero_values) if raw is not None else None
        decimals = stated_decimals(raw)
        if not number or decimals is None:
            return 0.0     # empty, a zero mark or 0: nothing there to round
        factor, _, unit = self.factors[name]
        if self.row_unit_columns and (row_unit := self._row_units(r).get(name)) is not None:
            factor, _, unit = self._factor_pair(name, found.column, row_unit, self.sheet.where(r, found.col, name))
        if factor is None:
            return 0.0
        decimals = max(decimals, self._column_decimals(found.col))
        published = number * factor
        # The conversion's own rounding to the 分 never counts against the sheet.
        return rounding_allowance(decimals, unit or self.reader.units.get(name), factor) + abs(round(published, 2) - published)

    def _column_decimals(self, col: int) -> int:
        """The most decimals a figure of the column is written with: 12.00 is stored as 12.0 in a workbook."""
        if col not in self.column_decimals:
            last = self.last_row if self.last_row is not None else len(self.sheet.rows) - 1
            stated = (stated_decimals(self.sheet.value(r, col)) for r in range(self.header.body_start, last + 1))
            self.column_decimals[col] = max((d for d in stated if d is not None and d < MAX_DECIMALS), default=0)
        return self.column_decimals[col]

    def _interrupted_at(self, r: int) -> None:
        """A footer or note row before the total with table rows right after it: a note inside the table."""
        sheet = self.sheet
        for x in range(r + 1, len(sheet.rows)):
            labels = [compact(fold(sheet.value(x, c))) for c in self.label_cols if compact(sheet.value(x, c))]
            if not any(compact(v) for v in sheet.rows[x] if v is not None) or self._role(labels, sheet.rows[x]) == "footer":
                continue
            if any(compact(sheet.value(x, c)) for c in self.value_cols) and self._has_numbers(x):
                self.interrupted = True
                self.problems.add("table-interrupted", sheet.where(r, 0), resumes=cell_ref(x, 0))
            return

    # -- budget-style hierarchy --------------------------------------------------------------

    def _add_item(self, r: int, index: int, record: dict) -> None:
        name_field = "item_name" if "item_name" in self.header.found else None
        raw = self.sheet.value(r, self.header.found[name_field].col) if name_field else self._label_text(r)
        code = record.get("subject_code") if "subject_code" in self.header.found else None
        item = self.outline.add(raw, code)
        self.items.append((item, index))
        if name_field:
            record[name_field] = item.name
        record.update({k: v for k, v in (("item_code", item.code),
                                         ("parent_code", item.parent.code if item.parent else None),
                                         ("level", item.level)) if k in self.types})

    def _item_checks(self) -> None:
        index_of = {id(item): index for item, index in self.items}
        for item, index in self.items:
            if not item.children:
                continue
            record = self.result.records[index]
            values = {f: record[f] for f in self.numeric if record.get(f) is not None}
            cells = {f: self.sheet.where(self.result.rows[index], self.numeric[f].col, f) for f in values}
            of_which = any(child.of_which for child in item.children)
            check = SumCheck(
                "item", self.sheet.where(self.result.rows[index], self.label_cols[0] if self.label_cols else 0),
                item.name, values, cells, members=[index_of[id(c)] for c in item.children],
                exact=not of_which or self.src.rows.children_complete,
                county_code=self.county.code if self.county else None)
            self.result.checks.append(check)
            self.stated.append((check, self.result.rows[index], []))
