"""One sheet through the layout engine: its period, county, header and units; rows.py reads the rows."""

from __future__ import annotations

import re

from gongkai.personal import (KIND_LABELS, is_person_level, mask_as, personal_columns, personal_header,
                              personal_kind, quote)
from gongkai.extract import CellError, Sheet, cell_ref
from gongkai.normalize.header import SEARCH_ROWS, HeaderBlock, HeaderMatcher, find_header
from gongkai.normalize.blocks import SheetTables, block_parents, fill_from_text
from gongkai.normalize.period_columns import PeriodColumnsReader
from gongkai.normalize.rows import SheetResult
from gongkai.normalize.regions import County, CountyHit, Regions, Resolution
from gongkai.normalize.sums import total_columns
from gongkai.normalize.text import (as_text, column_period, compact, find_period, find_periods, find_unit_line, fold,
                                    header_label, invisible_characters, parse_date, parse_number, strip_invisible)
from gongkai.normalize.units import MONEY, parse_unit
from gongkai.problems import Problems, Where
from gongkai.spec import Column, Spec


def person_level_header(sheet: Sheet, matcher: HeaderMatcher) -> tuple[Where, dict[str, str]] | None:
    """A roster's header (花名册): ID-number or name columns the spec does not declare. (place, {label: kind})."""
    for r, row in enumerate(sheet.rows[:SEARCH_ROWS]):
        found = {c: kind for c, kind in personal_columns(row).items() if matcher.column(header_label(row[c])[0]) is None}
        if is_person_level(found.values()):
            labels = {personal_header(row[c])[0]: kind for c, kind in sorted(found.items())}
            return sheet.where(r, min(found)), labels
    return None


def refuse_person_level(spec: Spec, sheet: Sheet, matcher: HeaderMatcher, problems: Problems) -> bool:
    """True (and the one problem that says so) if the sheet lists individuals: it is never read further.

    A spec that itself declares a personal column (a roster spec's 户主姓名) reads individuals on purpose.
    """
    if any(personal_kind(header) for header, _ in spec.source.column_specs):
        return False
    found = person_level_header(sheet, matcher)
    if found is None:
        return False
    where, labels = found
    problems.add("person-level-data", where, dataset=spec.name, columns="、".join(labels),
                 columns_en=", ".join(dict.fromkeys(KIND_LABELS[kind][1] for kind in labels.values())))
    return True


def locate_period(spec: Spec, sheet: Sheet, header_row: int | None, problems: Problems) -> tuple[str | None, Where]:
    """The sheet's period from the places the spec names; places that disagree are an error."""
    granularity = spec.granularity
    above = sheet.rows[:header_row] if header_row is not None else sheet.rows[:5]
    found: list[tuple[str, Where]] = []
    for source in spec.source.period_from:
        if source == "sheet" and (period := find_period(sheet.name, granularity)):
            found.append((period, Where(sheet.file.name, sheet.name)))
        elif source == "title":
            hit = next(((p, sheet.where(r, c)) for r, row in enumerate(above) for c, v in enumerate(row)
                        if v is not None and not find_unit_line(v) and (p := find_period(v, granularity))), None)
            if hit:
                found.append(hit)
        elif source == "file" and len(named := find_periods(sheet.file.stem, granularity)) == 1:
            # A file name with two periods (…2024-04_05.xlsx: April and May) names none of them.
            found.append((named[0], Where(sheet.file.name)))
    if not found and granularity == "month" and "sheet" in spec.source.period_from:
        found = _month_sheet_of_a_year(sheet, above)
    if not found:
        return None, Where(sheet.file.name, sheet.name)
    period, where = found[0]
    for other, other_where in found[1:]:
        if other != period:
            problems.add("period-conflict", other_where, found=other, first=period, first_where=str(where))
    return period, where


def has_numbers(sheet: Sheet) -> bool:
    """A table holds figures; a notes sheet only text (a year in a sentence is not a figure)."""
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) or (isinstance(v, str) and NUMBER_CELL.match(v))
               for row in sheet.rows for v in row)


NUMBER_CELL = re.compile(r"^\s*[-+]?[\d,，]+(\.\d+)?\s*$")
MONTH_SHEET = re.compile(r"(\d{1,2})月份?")


def _month_sheet_of_a_year(sheet: Sheet, above: list[list]) -> list[tuple[str, Where]]:
    """Sheets named 1月 … 12月 in a workbook whose title or file name gives the year (2024年…统计表)."""
    month = MONTH_SHEET.fullmatch(fold(compact(sheet.name)))
    if not month or not 1 <= int(month.group(1)) <= 12:
        return []
    texts = [v for row in above for v in row if v is not None and not find_unit_line(v)] + [sheet.file.stem]
    year = next((y for text in texts if (y := find_period(text, "year"))), None)
    return [(f"{year}-{int(month.group(1)):02d}", Where(sheet.file.name, sheet.name))] if year else []


class SheetReader:
    """Everything learnt from one sheet of the requested period."""

    def __init__(self, spec: Spec, sheet: Sheet, regions: Regions, problems: Problems,
                 types: dict[str, str], matcher: HeaderMatcher):
        self.spec, self.sheet, self.regions, self.problems = spec, sheet, regions, problems
        self.src = spec.source
        self.types, self.matcher = types, matcher
        schema = spec.schema
        self.units = {f.name: f.to_descriptor().get("unit") for f in schema.fields}
        self.minimum = {f.name: f.constraints.get("minimum") for f in schema.fields}
        self.zero_values = {compact(z) for z in self.src.zero_values} | {fold(compact(z)) for z in self.src.zero_values}
        rows = self.src.rows
        self.patterns = {role: re.compile(getattr(rows, role)) for role in ("total", "subtotal", "child", "footer")}
        self.context: list[str] = [sheet.file.stem]   # texts naming the sheet's place: its title cells, file name
        self.sum_columns: dict[str, list[str]] = {}    # total column -> the fields it sums (sums.total_columns)

    # -- the sheet as a whole ----------------------------------------------------------------

    def read(self, period: str) -> SheetResult | None:
        sheet = self.sheet
        if not any(v is not None for row in sheet.rows for v in row):
            return None
        if refuse_person_level(self.spec, sheet, self.matcher, self.problems):
            return None
        if self.src.period_columns:
            return PeriodColumnsReader(self).read(period)
        header = find_header(sheet, self.src, self.matcher, parents=block_parents(self.src))
        sheet_period, period_where = locate_period(self.spec, sheet, header.row if header else None, self.problems)
        if header is None and (sheet_period is None or sheet_period == period) and has_numbers(sheet) \
                and self.refuse_periods_across():
            return None
        if sheet_period is None:
            if header is not None:   # a table whose period nobody can tell; a notes sheet is skipped
                self.problems.add("period-not-found", period_where, granularity=self.spec.granularity)
            return None
        if sheet_period != period:
            return None
        result = SheetResult(provenance={"file": sheet.file.name, "sheet": sheet.name, "cols": {},
                                         "row_cols": {}, "constants": {}})
        expected = "、".join(dict.fromkeys(h.split("/")[0] for h, _ in self.src.column_specs))
        if header is None and not find_period(sheet.name, self.spec.granularity) and not has_numbers(sheet):
            # A 说明 sheet that mentions the period: text only, no table of this dataset.
            self.problems.add("sheet-skipped", Where(sheet.file.name, sheet.name), expected=expected)
            return None
        if header is None:
            self.problems.add("header-not-found", Where(sheet.file.name, sheet.name), expected=expected)
            return result
        self.header = header
        if self._refuse_two_way_categories(header):
            return result
        self._choose_between(header, period)
        self.sum_columns = total_columns(header, self.types, self.units)   # 合计 columns, checked on every row
        result.provenance["cols"] = {f: found.col for f, found in header.found.items()}
        result.provenance["cols"].update({found.column.normalized: found.col for found in header.found.values()
                                          if found.column.normalized})
        result.provenance["constants"]["period"] = period_where
        # Fields filled from a personal column (a roster spec's 姓名): every value is personal to the PII gate.
        result.provenance["personal"] = {name: found[1] for name, f in header.found.items()
                                         if (found := personal_header(f.path or f.header))}
        if self.src.sheet_field:
            result.provenance["constants"][self.src.sheet_field] = Where(sheet.file.name, sheet.name)
        county, county_where = self._sheet_county(header)
        self._report_unknown(header)
        if county_where is not None:
            result.provenance["constants"].update(county_code=county_where, county_name=county_where)
        self.unit_line = self._unit_line(header)
        self.period = period
        tables = SheetTables(self, county, result)
        found = tables.read(header)
        if not tables.tables:
            return result      # the one table was refused (unknown-block): nothing of it is read
        found |= fill_from_text(self, result, found, tables.text_rows)
        line_where = self.unit_line_where if self.unit_line else getattr(self, "rate_line_where", None) \
            if self.rate_line else None
        for _, column in self.src.column_specs:     # a unit said once, by the unit line: its place
            if column.unit_of and column.field not in found and line_where is not None:
                result.provenance["constants"][column.field] = line_where
        self._report_missing(found | set(self.src.from_text), {f for f in header.also if f not in header.found}, county is not None,
                             any(h.unpivot for h in tables.headers), header)
        if not result.records and (county is not None or county_where is None):
            self.problems.add("no-data-rows", sheet.where(header.body_start, 0),
                              expected=self.src.label(self._key_field()))
        return result

    def _refuse_two_way_categories(self, header: HeaderBlock) -> bool:
        """A wide table whose rows name the category too (最低生活保障标准 | 城市（元/人·月） | 农村（元/人·年）:
        the type is row × column). `unpivot` takes the category from the column header alone, so reading
        it would give every row of a column one category: refused where it shows, True."""
        into = self.src.unpivot.into if self.src.unpivot else None
        found = header.found.get(into) if into else None
        if found is None or not header.unpivot:
            return False
        shown = "、".join(category for _, category, _ in header.unpivot[:3])
        label = found.path or found.header
        self.problems.add("layout-not-supported", self.sheet.where(found.label_row, found.col, into),
                          reason_zh=f"{into} 既由列“{label}”的各行给出，又由表头（{shown}）给出，"
                                    "一个值由行和列共同决定；unpivot 只能从表头取类别",
                          reason_en=f"'{into}' is named both by the rows of the column '{label}' and by the headers "
                                    f"({shown}): a value set by row and column together; unpivot takes the "
                                    "category from the header alone")
        return True

    def refuse_periods_across(self) -> bool:
        """A sheet without our header whose row names several periods (1月 | 2月 | 3月 …): time as columns,
        which this spec does not declare. Refused where it is (`layout-not-supported`), True."""
        for r, row in enumerate(self.sheet.rows[:SEARCH_ROWS]):
            named = [(c, as_text(v).strip()) for c, v in enumerate(row)
                     if v is not None and column_period(v, self.spec.granularity, "0000")]
            if len(named) >= 2:
                shown = "、".join(t for _, t in named[:3]) + ("…" if len(named) > 3 else "")
                self.problems.add("layout-not-supported", self.sheet.where(r, named[0][0]),
                                  reason_zh=f"期间排在各列（{shown}），本规格每个工作表只读一个期间",
                                  reason_en=f"the periods run across the columns ({shown}); this spec reads one "
                                            "period per sheet")
                return True
        return False

    def _choose_between(self, header: HeaderBlock, period: str) -> None:
        """Two columns for one field (2022年/预算数 and 2023年/预算数; 安排资金 and 使用金额).

        The one whose header names the period's year wins; otherwise nothing is guessed: the
        field is refused, naming both columns, so the officer declares which one is meant.
        """
        for name, others in header.also.items():
            candidates = [header.found[name], *others]
            year = [f for f in candidates if period[:4] in f.path]
            if len(year) == 1:
                header.found[name] = year[0]
                continue
            del header.found[name]
            cells = "、".join(f"{cell_ref(f.label_row, f.col)}“{f.path}”" for f in candidates)
            self.problems.add("ambiguous-column", self.sheet.where(candidates[0].label_row, candidates[0].col, name),
                              field=self.src.label(name), columns=cells)

    def _key_field(self) -> str:
        for name in ("region_name", "item_name", "project_name", "county_name"):
            if self.src.column(name):
                return name
        return self.src.column_specs[0][1].field

    def _report_header(self, header: HeaderBlock, county_known: bool) -> None:
        self._report_unknown(header)
        self._report_missing(set(header.found), {f for f in header.also if f not in header.found}, county_known,
                             bool(header.unpivot), header)

    def _report_unknown(self, header: HeaderBlock) -> None:
        """Columns the spec does not declare: a warning each (a personal one: why it is not read)."""
        sheet = self.sheet
        for row, col, path in header.unknown:
            if personal := personal_header(path):   # never read, so no value of it can leak: say why
                label, kind = personal
                self.problems.add("personal-column-dropped", sheet.where(row, col), header=label,
                                  kind=KIND_LABELS[kind][0], kind_en=KIND_LABELS[kind][1])
            else:
                self.problems.add("unmapped-header", sheet.where(row, col), header=path)

    def _report_missing(self, found: set[str], ambiguous: set[str], county_known: bool, unpivoted: bool,
                        header: HeaderBlock) -> None:
        """Declared fields no table of the sheet gives (`found`: every header's, block and text values)."""
        sheet = self.sheet
        # Fields a missing column does not need to give: the title names the county; a wide
        # table's headers name the category and the unit.
        given = set(found)
        if getattr(self, "unit_line", None) or getattr(self, "rate_line", None):   # a unit column's field: the line says it
            given |= {c.field for _, c in self.src.column_specs if c.unit_of}
        if self.src.unpivot and unpivoted:
            value = self.src.unpivot.value
            given |= {self.src.unpivot.into, value} | {c.field for _, c in self.src.column_specs if c.unit_of == value}
        reported = {"county_name"} if county_known else set()
        reported |= ambiguous   # said already
        for path, column in self.src.column_specs:
            if column.field in given or column.field in reported:
                continue
            reported.add(column.field)
            where = sheet.where(header.row, 0, column.field)
            if column.optional:
                self.problems.add("optional-column-missing", where, header=self.src.label(column.field))
            else:
                self.problems.add("missing-column", where, header=self.src.label(column.field))

    def _sheet_county(self, header: HeaderBlock) -> tuple[County | None, Where | None]:
        """The county of a sheet (title, file name or the spec), unless a column or county rows give it."""
        sheet = self.sheet
        title_cells = [(r, c, as_text(v)) for r, row in enumerate(sheet.rows[:header.row])
                       for c, v in enumerate(row) if v is not None]
        self.context = [text for _, _, text in title_cells] + [sheet.file.stem]
        if "county_code" not in self.types or "county_name" in header.found or self.src.rows.county_rows:
            return None, None
        if self.src.county:
            where = Where(sheet.file.name, sheet.name, "", "county")
            hit = self.regions.county_named(self.src.county) or self.regions.find_county(self.src.county)
            self.county_problem(hit, Where(field="source.county"), self.src.county)
            return hit.county, where
        places = []
        for source in self.src.county_from:
            if source == "title":
                places += [(text, sheet.where(r, c)) for r, c, text in title_cells]
            if source == "file":
                places.append((sheet.file.stem, Where(sheet.file.name)))
        ambiguous = None
        for text, where in places:
            hit = self.regions.find_county(text, self.context)
            if hit:
                return hit.county, where
            ambiguous = ambiguous or (hit.candidates and (hit, where))
        if ambiguous:
            hit, where = ambiguous
            self.county_problem(hit, where, hit.mention)
            return None, where
        title = title_cells[0][2] if title_cells else sheet.file.name
        where = sheet.where(title_cells[0][0], title_cells[0][1]) if title_cells else Where(sheet.file.name)
        self.problems.add("unknown-county", where, name=title)
        return None, where

    def county_problem(self, hit: CountyHit, where: Where, written: str) -> None:
        """Say what is wrong with the county a text names: nothing, a slip (a warning), two counties or none."""
        regions = self.regions
        if hit.candidates:
            self.problems.add("ambiguous-county", where, name=hit.mention or written,
                              candidates=regions.candidates_text(c.code for c in hit.candidates))
        elif hit.county is None:
            self.problems.add("unknown-county", where, name=written)
        elif hit.slip:
            self.problems.add("region-name-slip", where, name=written, official=hit.county.name,
                              code=hit.county.code, county=regions.full_name(hit.county.parent_code))

    def region_problem(self, found: Resolution, where: Where, written: str, within: str) -> None:
        """Say what is wrong with a township's (or village's) name: nothing, a slip, two units or none."""
        if found.candidates:
            self.problems.add("ambiguous-region", where, name=written, county=within,
                              candidates="、".join(f"{name}（{code}）" for code, name in found.candidates))
        elif not found:
            self.problems.add("unknown-region", where, name=written or "（空）", county=within)
        elif found.slip:
            self.problems.add("region-name-slip", where, name=written, official=found.name, code=found.code,
                              county=within)

    def _unit_line(self, header: HeaderBlock, top: int = 0) -> str | None:
        """The money unit of a 单位：户、人、万元 line above the header (from row `top`), if there is one;
        a rate there (单位：元/人·月) is kept for the rate fields (`rate_line`)."""
        self.rate_line = None
        for r in range(top, header.row):
            for c, value in enumerate(self.sheet.rows[r]):
                units = find_unit_line(value)
                rates = [u for u in units if (parsed := parse_unit(u)) and parsed.money and parsed.months]
                money = [u for u in units if u in MONEY]
                if rates and self.rate_line is None:
                    self.rate_line, self.rate_line_where = rates[0], self.sheet.where(r, c)
                if money:
                    self.unit_line_where = self.sheet.where(r, c)
                    return money[0]
        return None

    # -- units ---------------------------------------------------------------------------------

    def source_unit(self, field_name: str, header_unit: str | None, column: Column | None,
                    where_header: Where | None) -> str | None:
        """The unit a column's values are written in: its header, else the unit line, else the spec."""
        line = self.unit_line if self.unit_line and self._is_money(field_name, column) else None
        if line is None and getattr(self, "rate_line", None) and self._is_rate(field_name, column):
            line = self.rate_line
        if header_unit and line and parse_unit(header_unit) and parse_unit(header_unit).months is None \
                and header_unit in MONEY and header_unit != line:
            self.problems.add("unit-mismatch", where_header or self.unit_line_where, header=header_unit,
                              line=line, line_at=str(self.unit_line_where))
        return header_unit or line or (column.unit if column else None)

    def _is_money(self, field_name: str, column: Column | None) -> bool:
        parsed = self._target_unit(field_name, column)
        return bool(parsed and parsed.money and parsed.months is None)

    def _is_rate(self, field_name: str, column: Column | None) -> bool:
        """A per-person, per-period amount (元/人/月), or a field stated in any unit and normalized to one."""
        parsed = self._target_unit(field_name, column)
        return bool(parsed and parsed.money and parsed.months)

    def _target_unit(self, field_name: str, column: Column | None):
        target = self.units.get(field_name) or (self.units.get(column.normalized) if column and column.normalized else None)
        return parse_unit(target) if target else None

    # -- one cell ----------------------------------------------------------------------------

    def number(self, raw, where_at, label: str, field_name: str, factor: float):
        """A numeric cell in published units, or None after adding the problem that says why not."""
        if isinstance(raw, CellError):
            self._error_cell(raw, where_at(), label)
            return None
        number = parse_number(raw, self.zero_values)
        if number is None:
            self.problems.add("not-a-number", where_at(), field=label, value=quote(label, as_text(raw).strip()))
            return None
        minimum = self.minimum.get(field_name)
        if minimum is not None and number < minimum:
            self.problems.add("negative-value", where_at(), field=label, value=quote(label, as_text(raw).strip()))
            return None
        if self.types.get(field_name) == "integer":
            if abs(number - round(number)) > 1e-9:
                self.problems.add("not-an-integer", where_at(), field=label, value=quote(label, as_text(raw).strip()))
                return None
            return int(round(number * factor))
        return round(number * factor, 2)

    def _error_cell(self, raw: CellError, where: Where, label: str) -> None:
        if raw.formula_without_value:
            self.problems.add("formula-without-value", where, field=label)
        else:
            self.problems.add("excel-error-cell", where, field=label, code=str(raw))

    def text(self, raw, where_at, label: str, column: Column | None):
        if isinstance(raw, CellError):
            self._error_cell(raw, where_at(), label)
            return None
        if self.types.get(column.field if column else "") == "date":
            if raw is None or compact(raw) == "":
                return None
            date = parse_date(raw)
            if date is None:
                self.problems.add("not-a-date", where_at(), field=label, value=quote(label, as_text(raw).strip()))
            return date.isoformat() if date else None
        if escaped := invisible_characters(raw):
            self.problems.add("invisible-characters", where_at(), value=mask_as(kind, escaped) if (
                kind := personal_kind(label)) else escaped)
        # Published as written (全角 punctuation stays); only invisible characters and runs of blanks go.
        text = " ".join(strip_invisible(raw).split()) if raw is not None else ""
        if column and column.values:
            text = _mapped(text, column.values)
        return text or None


def _mapped(text: str, values: dict[str, str]) -> str:
    key = compact(fold(text))
    for spelled, canonical in values.items():
        if compact(fold(spelled)) == key:
            return canonical
    return text
