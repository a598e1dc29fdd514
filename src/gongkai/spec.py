"""Dataset specs: the declarative YAML under datasets/ that says what to read and publish.

Every key is a typed field of the models below, documented once, here; `gongkai spec schema`
(JSON Schema for editors) is generated from them, and a test keeps README.md's spec reference
listing every key. Unknown keys and wrong values are refused with the file, the key and a suggestion.
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from frictionless import Schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gongkai.divisions import latest_year, read_own, shipped_years
from gongkai.schema import load_schema, with_flags
from gongkai.suite import Suite, load_suite

# The repo root holds datasets/, schemas/ and quality/; paths in specs are relative to it.
ROOT = Path(__file__).resolve().parents[2]

GRANULARITY = {"monthly": "month", "quarterly": "quarter", "annual": "year", "irregular": "year"}
DISCLOSURE_LABELS = {"proactive": "主动公开", "on_request": "依申请公开", "not_disclosed": "不予公开"}


def datasets_dir() -> Path:
    """Where specs live; GONGKAI_DATASETS_DIR lets tests and operators keep them elsewhere."""
    return Path(os.environ.get("GONGKAI_DATASETS_DIR", ROOT / "datasets"))


class SpecError(Exception):
    """A dataset spec is missing or malformed: a mistake in the repo, not in the data."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Model):
    """How one source column becomes a schema field (the mapping key is its header path)."""

    field: str = Field(description="Schema field the column fills.")
    aliases: list[str] = Field(default=[], description="Other header paths that mean the same column "
                                                        "(特困人员/人数 for 特困供养/人数).")
    unit: str | None = Field(default=None, description="Unit of the values when neither the header nor a "
                                                       "unit column says it, e.g. 万元; converted to the "
                                                       "schema field's unit.")
    optional: bool = Field(default=False, description="A sheet without this column is fine: the field "
                                                      "is left empty and the report notes it.")
    fill_down: bool = Field(default=False, description="An empty cell takes the value above (category "
                                                       "cells merged down, or left blank in CSV exports).")
    values: dict[str, str] = Field(default={}, description="Spellings of a category -> its published "
                                                           "value (城镇低保 -> 城市低保).")
    unit_of: str | None = Field(default=None, description="This column holds the unit of another field's "
                                                          "value on the same row (单位: 元/人·月).")
    normalized: str | None = Field(default=None, description="Also write the value, converted to this "
                                                             "other field's unit, into that field.")
    sum_of: list[str] | None = Field(default=None, description="A total column (合计, 小计, 总计, 累计): its "
                                     "value on every row must equal the sum of these fields' columns on "
                                     "the same row. Its `field` and the fields it sums may be outside the "
                                     "schema: read only to be checked, never published. Unset: a 合计/小计/总计/累计 header is "
                                     "recognised by its siblings (城市/农村/合计 under one parent; 合计/金额 "
                                     "beside 城市低保/金额 …); `[]`: not a sum (a 累计 that is not the "
                                     "sum of the columns beside it).")


class Unpivot(_Model):
    """Wide tables: columns whose header names a category become rows (城市低保 | 农村低保 → type, amount)."""

    into: str = Field(description="Field that takes the category named by the header.")
    value: str = Field(description="Field that takes the cell's value.")
    columns: dict[str, str] = Field(description="Header -> category value (城市低保标准 -> 城市低保).")


class Rows(_Model):
    """What the rows under the header are: patterns are regular expressions on a row's label cells."""

    total: str = Field(default=r"^(全县|全市|全州|全乡|全镇|总)?(合计|总计)[:：]?$",
                       description="Total row: checked against the sum of the data rows, below it (right "
                                   "under the header) or above it, not published.")
    subtotal: str = Field(default=r"^(小计|.{1,12}小计)$",
                          description="Subtotal: checked against its block's rows, up to the next subtotal "
                                      "when the first one leads its block, else since the previous one.")
    child: str = Field(default=r"^其中[:：]?", description="Of-which rows (其中): children of the row "
                                                           "above, checked to be at most the parent.")
    footer: str = Field(default=r"^(填表人|填报人|制表人|审核人|经办人|统计人|分管领导|联系电话|联系人|负责人|单位负责人|备注|说明|注[:：]|注\d)",
                        description="Footer and note rows (填表人, 联系电话, 备注, 注：): they end the "
                                    "table and are dropped, reported (personal-data-dropped only when a "
                                    "personal value was there, else notes-dropped).")
    hierarchy: bool = Field(default=False, description="Publish every row as an item with item_code, "
                                                       "parent_code and level (budgets), from outline "
                                                       "markers 一、（一）1.（1）, 其中 and indentation.")
    children_complete: bool = Field(default=False, description="其中 children must add up to their "
                                                               "parent exactly, not just stay below it.")
    county_rows: bool = Field(default=False, description="A row naming a county starts that county's "
                                                         "rows (multi-county sheets) and is its subtotal.")
    total_required: bool = Field(default=False, description="The template always ends its table with a "
                                                            "合计 row: a sheet without one is an error (the "
                                                            "file may be cut off), not a missing-total warning.")

    @field_validator("total", "subtotal", "child", "footer")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        return _valid_regex(pattern)


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from None
    return pattern


class Block(_Model):
    """One of several tables on a sheet (城市低保 and 农村低保 one under the other), told apart by its title.

    Each table is found by its own header and ends at its own total; the text above its header (its
    title) or a heading row right under it says which declared block it is.
    """

    title: str = Field(description="Regular expression on the block's title or heading row (城市低保).")
    parent: str | None = Field(default=None, description="A header level read over the block's columns: "
                                                         "户数 under this block reads as 城市低保/户数, so the "
                                                         "block fills the fields declared for that path.")
    values: dict[str, str] = Field(default={}, description="Field -> value given to every row of the block "
                                                           "(category: 城市低保).")

    @field_validator("title")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        return _valid_regex(pattern)


class PeriodColumns(_Model):
    """Time as columns: the period of each value is its column's header (1月 … 12月, 2024年3月, 一季度),
    and each row is a field, named by its label under the heading row above it (城市低保 over 户数)."""

    total: str = Field(default=r"^(累计|合计|全年|全年合计|全年累计|年度合计|年累计|本年累计|\d{1,2}[-~至到]\d{1,2}月(累计|合计)?)$",
                       description="A column that sums the period columns it covers (累计, 全年, 1-6月累计): "
                                   "checked, not published.")
    summable: list[str] | None = Field(default=None, description="Fields whose total column is the sum of "
                                                                 "the periods (flows: 金额, 人次). Default: "
                                                                 "money and 人次/户次 fields; the others "
                                                                 "(户数, 人数 are stocks) are not checked, "
                                                                 "with a note.")
    region: Literal["county"] = Field(default="county", description="What each period's row is about: "
                                                                    "`county`, the county the title or file "
                                                                    "names (region_code = county_code).")

    @field_validator("total")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        return _valid_regex(pattern)


class Header(_Model):
    starts_with: str | None = Field(default=None, description="First cell of the header block (a hint; "
                                                              "the header is otherwise found by its "
                                                              "column labels).")
    rows: int | None = Field(default=None, ge=1, le=5, description="Header depth (城市低保 over 户数 is 2); "
                                                                    "found automatically when omitted.")


class Source(_Model):
    directory: str = Field(description="Folder of the source files, beside the spec or relative to the "
                                       "repo (`--source` overrides).")
    files: list[str] = Field(default=["*.xlsx", "*.xls", "*.csv"], description="File name patterns.")
    sheets: str | None = Field(default=None, description="Only sheets whose name matches this regular "
                                                          "expression are read.")
    period_from: list[Literal["sheet", "title", "file"]] = Field(
        default=["sheet", "title", "file"], description="Where the period is written, in order; every "
                                                        "place that names one must agree.")
    county_from: list[Literal["title", "file"]] = Field(
        default=["title", "file"], description="Where the county is named, when no column holds it.")
    county: str | None = Field(default=None, description="The county, fixed (a bureau's own dataset).")
    sheet_field: str | None = Field(default=None, description="A field that takes the sheet's name (a CSV's "
                                                              "file name): budgets keep 收支总表 and 三公经费 apart.")
    header: Header = Header()
    rows: Rows = Rows()
    zero_values: list[str] = Field(default=["—", "－", "-", "--", "——", "/"],
                                   description="Cell texts that mean zero.")
    columns: dict[str, str | Column] = Field(description="Header path (levels joined by /) -> field, or "
                                                         "a column declaration.")
    unpivot: Unpivot | None = None
    blocks: list[Block] = Field(default=[], description="Several tables on one sheet, each a **Block** found by "
                                                        "its header and title; an undeclared second table is "
                                                        "an error (extra-table).")
    period_columns: PeriodColumns | None = Field(default=None, description="Time as columns, a "
                                                                            "**PeriodColumns**: periods across, "
                                                                            "fields down.")
    from_text: dict[str, str] = Field(default={}, description="Field -> regular expression: the field's value "
                                                              "for every row from the title or a note line "
                                                              "(group 1, else the whole match), where no column "
                                                              "gives it.")

    @field_validator("from_text")
    @classmethod
    def _text_patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        for pattern in patterns.values():
            _valid_regex(pattern)
        return patterns

    @cached_property
    def column_specs(self) -> list[tuple[str, Column]]:
        """(header path, column) for every declared header, aliases as their own entries."""
        specs = []
        for header, value in self.columns.items():
            column = Column(field=value) if isinstance(value, str) else value
            specs += [(h, column) for h in [header, *column.aliases]]
        return specs

    def column(self, field_name: str) -> Column | None:
        return next((c for _, c in self.column_specs if c.field == field_name), None)

    def label(self, field_name: str) -> str:
        """The header a data officer sees for a field (its first declared header)."""
        return next((h for h, c in self.column_specs if c.field == field_name), field_name)


class Deadline(_Model):
    working_days: int = Field(ge=0, description="Official working days (调休 included) after `after`.")
    after: Literal["period_end"] = "period_end"


class Organization(_Model):
    name: str
    title: str
    title_en: str = ""


class Ckan(_Model):
    name: str = Field(description="URL name of the dataset on the portal.")
    title: str
    title_en: str
    notes: str
    notes_en: str
    organization: Organization
    license_id: str = "cc-by"
    tags: list[str] = []


# What a roster (花名册) column can hold: field -> (personal?, meaning). A roster spec's
# `source.columns` map headers to these, not to schema fields: roster rows are never published.
ROSTER_FIELDS: dict[str, tuple[bool, str]] = {
    "name": (True, "姓名 / 户主姓名: only ever shown masked (刘*兵), on the village notice"),
    "id_number": (True, "身份证号码 / 证件号码: keys the household (keyed HMAC), checked (GB 11643), never shown"),
    "sex": (True, "性别: read past, never used"),
    "household_size": (False, "家庭人口 / 保障人数: persons of the household"),
    "category": (False, "救助类别 / 保障类别: mapped to one of `roster.categories`"),
    "amount": (False, "月保障金额 / 发放金额: paid to the household this month, converted to 元"),
    "township": (False, "乡镇（街道）: resolved to its 12-digit code"),
    "village": (False, "村（社区）: resolved to its 12-digit code under the township"),
    "phone": (True, "联系电话: read past, never used"),
    "bank_account": (True, "银行账号 / 卡号: read past, never used"),
    "address": (True, "家庭住址: read past, never used"),
}
ROSTER_REQUIRED = ("id_number", "household_size", "category", "amount", "township")


class Roster(_Model):
    """A person-level roster (花名册) as the source: one row per household, aggregated, never published."""

    level: Literal["township", "village"] = Field(
        default="township", description="Lowest region level published: township (乡镇) or village (村/社区); "
                                        "county rows are always published, each level the sum of the one below.")
    categories: list[str] = Field(
        default=["城市低保", "农村低保", "特困供养"],
        description="The categories published: every region gets a row per category (0 when it has none); "
                    "a roster row of another category is an error.")
    notice_title: str = Field(
        default="{county}{township}{village}{year}年{month}月{categories}对象公示",
        description="Title of the village notice (公示) `gongkai notice` writes; {county}, {township}, "
                    "{village}, {year}, {month}, {categories} are filled in.")


class Chart(_Model):
    """A trend chart (图表图解) published with every release: a PNG of the measures' totals per period."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short name: the PNG is "
                      "<dataset>-<name>.png on the portal.")
    title: str = Field(description="Chart title in Chinese.")
    title_en: str = Field(description="Chart title in English.")
    measures: list[str] = Field(min_length=1, description="Numeric schema fields drawn as lines, each "
                                "the total over the rows of a period; a period with an empty "
                                "(suppressed or missing) cell is a gap, never 0.")
    by: str = Field(default="period", description="Schema field along the x axis.")
    where: dict[str, str] = Field(default={}, description="Only rows whose fields have these values "
                                  "(level: county in a long table, so totals are not counted twice).")
class DisclosureCell(_Model):
    """One published cell per row: the counts the threshold applies to and the amounts hidden with them."""

    counts: list[str] = Field(min_length=1, description="Count fields (户, 人, 人次) of the cell: any of "
                                                        "them in 1..k-1 suppresses the whole cell.")
    amounts: list[str] = Field(default=[], description="Amount fields suppressed with the cell (an amount "
                                                       "would give the count back: amount ≈ persons × "
                                                       "the average paid).")


class DisclosureMargin(_Model):
    """How uncertain a suppressed value must stay, both ways, given everything published."""

    count: int | Literal["k"] = Field(default="k", description="A suppressed count must stay uncertain by "
                                                               "at least this many (default the cell's k).")
    amount_relative: float = Field(default=0.10, ge=0, le=1, description="A suppressed amount must stay "
                                                                         "uncertain by at least this share "
                                                                         "of its value.")


class DisclosureControl(_Model):
    """Small-cell and complementary suppression of published counts, proved by an audit (BRIEF rules 3-4)."""

    k: int = Field(default=5, ge=2, description="Counts 1..k-1 are suppressed with their cell; 0 is published.")
    k_by_level: dict[str, int] = Field(default={}, description="k for rows whose `level` column has this "
                                                               "value (village: 10).")
    level: str = Field(default="level", description="Column naming each row's level (county, township, "
                                                    "village), when the table has one.")
    region: str = Field(default="region_code", description="Column naming the cell's region.")
    region_name: str = Field(default="region_name", description="Column with the region's name, for messages.")
    parent: str = Field(description="Column naming the region above (county_code, parent_code): a parent "
                                    "equals the sum of its children in every cell and measure.")
    margins_public: bool = Field(default=True, description="A parent missing from the table is a public "
                                                           "margin (county totals are in the bureau's news): "
                                                           "its children's sum is known.")
    by: list[str] = Field(default=["period"], description="Cells are distinct per these columns besides the "
                                                          "region (period, category); sums never cross them.")
    cells: list[DisclosureCell] = Field(min_length=1, description="The cells of each row, a **DisclosureCell** "
                                                                  "each (a long table has one).")
    margin: DisclosureMargin = Field(default=DisclosureMargin(), description="Protection margin, a "
                                                                             "**DisclosureMargin**.")
    complementary: bool = Field(default=True, description="Complementary suppression; `false` only to show "
                                                          "the audit failing (tests): nothing is published.")

    @property
    def fields(self) -> list[str]:
        """Every protected field, in the order the cells declare them."""
        return [f for cell in self.cells for f in (*cell.counts, *cell.amounts)]


class Spec(_Model):
    name: str = Field(description="Dataset name: the file is datasets/<name>.yaml (a spec elsewhere is "
                                  "named by its path).")
    schema_: str = Field(alias="schema", description="Frictionless Table Schema (YAML), beside the spec or "
                                                     "relative to the repo.")
    suite: str | None = Field(default=None, description="Quality suite (YAML), beside the spec or relative "
                                                        "to the repo.")
    divisions: int = Field(default_factory=latest_year, description="Year of the national division code list "
                           "(统计用区划代码) the names resolve against: one shipped under datasets/divisions/; "
                           "default the latest shipped.")
    regions: str | None = Field(default=None, description="The bureau's own regions file (CSV beside the spec: "
                                "code,name,level,parent_code,aliases): units the national list lacks (a "
                                "development zone, a 管委会) and other names for units it has; optional.")
    flow: str | None = Field(default=None, description="A family flow in flows/ when the family does more "
                                                       "than the generic flow (flows/publish_dataset.py).")
    disclosure: Literal["proactive", "on_request", "not_disclosed"] = Field(
        description="公开属性: only proactive (主动公开) datasets reach the portal.")
    department: str = Field(description="牵头科室: the section that owns the data.")
    frequency: Literal["monthly", "quarterly", "annual", "irregular"]
    deadline: Deadline
    source: Source
    ckan: Ckan
    roster: Roster | None = Field(default=None, description="The source is a person-level roster (花名册): "
                                                            "source.columns map headers to roster fields; "
                                                            "only its aggregates are published.")
    charts: list[Chart] = Field(default=[], description="Trend charts published as PNG resources with "
                                "an image view on the dataset page.")
    disclosure_control: DisclosureControl | None = Field(
        default=None, description="Small-cell suppression of the published counts, a **DisclosureControl**; "
                                  "every dataset that publishes counts of people declares one.")
    path: Path | None = Field(default=None, exclude=True)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _named_files_exist(self) -> Spec:
        """The files the spec names (schema, suite, regions): a missing one is named by its key and the
        place it was looked for, before anything tries to read it."""
        for key, relative in (("schema", self.schema_), ("suite", self.suite), ("regions", self.regions)):
            if relative is not None and not (path := self.resolve(relative)).is_file():
                raise ValueError(f"{key}: {relative} does not exist / 文件不存在 (looked for {path}: paths "
                                 "resolve beside the spec, else relative to the repository)")
        return self

    @model_validator(mode="after")
    def _fields_exist(self) -> Spec:
        if self.roster is not None:
            return self._roster_fields_exist()
        fields = {f.name for f in _schema_fields(self.schema_path)}
        # A total column with `sum_of`, and the parts it names, may be fields outside the schema: they are
        # read only to be checked (分散供养 and 集中供养 beside their published 合计), as long as one
        # field of the sum is in the schema to give the others its type and unit.
        checked = {part for _, c in self.source.column_specs for part in c.sum_of or []}
        mentioned = [(header, c.field) for header, c in self.source.column_specs
                     if c.sum_of is None and c.field not in checked]
        declared = {c.field for _, c in self.source.column_specs}
        for header, column in self.source.column_specs:
            for part in column.sum_of or []:
                if part not in declared or part == column.field:
                    raise ValueError(f"column {header!r}: sum_of names {part!r}, which no other column of "
                                     f"source.columns fills{_suggest(part, declared - {column.field})}")
            if column.sum_of and not {column.field, *column.sum_of} & fields:
                raise ValueError(f"column {header!r}: neither {column.field!r} nor the fields it sums are in "
                                 f"{self.schema_}: a sum needs one published field to take its type and unit")
        mentioned += [(header, c.normalized) for header, c in self.source.column_specs if c.normalized]
        if self.source.unpivot:
            mentioned += [("unpivot", self.source.unpivot.into), ("unpivot", self.source.unpivot.value)]
        mentioned += [("blocks", name) for block in self.source.blocks for name in block.values]
        mentioned += [("from_text", name) for name in self.source.from_text]
        if self.source.period_columns and self.source.period_columns.summable:
            mentioned += [("period_columns.summable", name) for name in self.source.period_columns.summable]
        if control := self.disclosure_control:
            columns = [control.region, control.parent, *control.by, *control.fields]
            mentioned += [("disclosure_control", name) for name in columns]
        for header, name in mentioned:
            if name not in fields:
                raise ValueError(f"column {header!r} names field {name!r}, which {self.schema_} does not "
                                 f"have{_suggest(name, fields)}")
        return self

    def _roster_fields_exist(self) -> Spec:
        mentioned = {c.field for _, c in self.source.column_specs}
        for header, column in self.source.column_specs:
            if column.field not in ROSTER_FIELDS:
                raise ValueError(f"column {header!r} names {column.field!r}, which is not a roster field "
                                 f"({', '.join(ROSTER_FIELDS)}){_suggest(column.field, ROSTER_FIELDS)}")
        required = ROSTER_REQUIRED + (("village",) if self.roster.level == "village" else ())
        missing = [f for f in required if f not in mentioned]
        if missing:
            raise ValueError(f"a roster aggregated to {self.roster.level} level needs columns for {', '.join(missing)}")
        return self

    @field_validator("divisions")
    @classmethod
    def _divisions_shipped(cls, year: int) -> int:
        if year not in shipped_years():
            raise ValueError(f"no national division code list of {year} is shipped (datasets/divisions/ has "
                             f"{', '.join(map(str, shipped_years())) or 'none'})")
        return year

    @model_validator(mode="after")
    def _regions_readable(self) -> Spec:
        if self.regions_path is not None:
            read_own(self.regions_path)     # a malformed row is refused here, with its line
        return self

    @model_validator(mode="after")
    def _charts_draw_numbers(self) -> Spec:
        types = {f.name: f.type for f in _schema_fields(self.schema_path)}
        for chart in self.charts:
            for name in [chart.by, *chart.where]:
                if name not in types:
                    raise ValueError(f"chart {chart.name!r} names field {name!r}, which {self.schema_} does "
                                     f"not have{_suggest(name, types)}")
            for name in chart.measures:
                if types.get(name) not in ("integer", "number"):
                    raise ValueError(f"chart {chart.name!r}: measure {name!r} is not a numeric field of "
                                     f"{self.schema_}{_suggest(name, [n for n, t in types.items() if t in ('integer', 'number')])}")
        return self

    @model_validator(mode="after")
    def _unpivot_into_a_plain_field(self) -> Spec:
        if self.source.unpivot and self.source.unpivot.into in ("county_name", "region_name"):
            raise ValueError("unpivot.into cannot be county_name or region_name: a region named by a header is "
                             "not resolved to its code; put regions in rows, one column per category")
        return self

    def resolve(self, relative: str) -> Path:
        """A path the spec names: beside the spec first (a bureau's own spec, schema and region list
        kept together outside the repository), else relative to the repository."""
        path = Path(relative)
        if path.is_absolute() or self.path is None:
            return ROOT / path
        here, there = self.path.resolve().parent / path, ROOT / path
        if here.exists() or not there.exists() and not self.path.resolve().is_relative_to(ROOT):
            return here   # a missing file is named where a spec outside the repository would keep it
        return there

    @property
    def schema_path(self) -> Path:
        return self.resolve(self.schema_)

    @property
    def schema(self) -> Schema:
        """The source table schema: fields, types, units and constraints of the values as read."""
        return load_schema(self.schema_path)

    @property
    def published_schema(self) -> Schema:
        """The schema of what is published: protected fields nullable, each with its `<field>_flag`."""
        return with_flags(self.schema, self.disclosure_control.fields if self.disclosure_control else ())

    @property
    def suite_path(self) -> Path | None:
        return self.resolve(self.suite) if self.suite else None

    @property
    def quality_suite(self) -> Suite | None:
        """The quality suite, read once per loaded spec (None when the spec names none).

        Kept with the path it was read from: a copy of the spec naming another suite reads that one.
        """
        path, suite = self.__dict__.get("_quality_suite", (None, None))
        if path != self.suite_path or path is None:
            path, suite = self.suite_path, load_suite(self.suite_path) if self.suite_path else None
            self.__dict__["_quality_suite"] = (path, suite)   # frozen model: a cache, not a field
        return suite

    @property
    def related_specs(self) -> list[Spec]:
        """Other datasets whose published series a cross-table check of the suite reads (within_standard);
        one not shipped is left out (the check itself then says the standards are missing)."""
        checks = self.quality_suite.checks if self.quality_suite else {}
        names = [checks["within_standard"]["dataset"]] if "within_standard" in checks else []
        specs = []
        for name in names:
            try:
                specs.append(load_spec(name))
            except SpecError:
                pass
        return specs

    @property
    def regions_path(self) -> Path | None:
        return self.resolve(self.regions) if self.regions else None

    @property
    def source_directory(self) -> Path:
        return self.resolve(self.source.directory)

    @property
    def granularity(self) -> str:
        return GRANULARITY[self.frequency]

    @property
    def reference(self) -> str:
        """How a flow run names this spec: its name when it lives in datasets/, else its path."""
        if self.path is None or self.path.resolve().parent == datasets_dir().resolve():
            return self.name
        return str(self.path.resolve())


def _schema_fields(path: Path):
    if not path.exists():
        raise ValueError(f"schema file {path} does not exist")
    return load_schema(path).fields


def _suggest(word: str, candidates) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _explain(error: ValidationError, raw: dict, path: Path) -> str:
    """Pydantic's errors as a data officer's list: file, key path, what is wrong, a suggestion."""
    lines = [f"{path}: the dataset spec is not valid / 数据集规格有误:"]
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")   # our validators' own words
        if item["type"] == "extra_forbidden":
            parent = _model_at(Spec, item["loc"][:-1])
            known = list(parent.model_fields) if parent else []
            known += [f.alias for f in parent.model_fields.values() if f.alias] if parent else []
            message = f"unknown key{_suggest(item['loc'][-1], known)}"
        elif item["type"] == "missing":
            message = "missing key"
        lines.append(f"  - {location}: {message}" if location else f"  - {message}")
    return "\n".join(lines)


def _model_at(model, loc):
    """The pydantic model class found at a location of the spec, for suggestions."""
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        annotation = field.annotation
        candidates = getattr(annotation, "__args__", (annotation,))
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def load_spec(name_or_path: str | Path) -> Spec:
    path = Path(name_or_path)
    if not path.suffix:
        path = datasets_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(available()) or "none"
        raise SpecError(f"no dataset spec {path} (known datasets: {known})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SpecError(f"{path} is not a readable dataset spec / 无法读取的数据集规格 (YAML): {error}") from None
    if not isinstance(raw, dict) or "source" not in raw:
        raise SpecError(f"{path} is not a dataset spec / 不是数据集规格: expected a mapping with name, "
                        "schema, source, ckan … (see README, 'Dataset spec reference')")
    try:
        return Spec.model_validate({**raw, "path": path})
    except ValidationError as error:
        raise SpecError(_explain(error, raw, path)) from None


def available() -> list[str]:
    return sorted(p.stem for p in datasets_dir().glob("*.yaml"))


def json_schema() -> dict:
    """JSON Schema of a dataset spec, for editors (yaml-language-server)."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["properties"].pop("path", None)
    return schema
