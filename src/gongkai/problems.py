"""Problems found in a run: stable slugs, zh + en messages, and where each one is.

Every stage collects problems instead of stopping at the first, so a data officer
fixes a spreadsheet once, not once per error. Tests assert on slugs and places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"      # stops the run: nothing is published
    WARNING = "warning"  # published, shown in the report
    INFO = "info"


@dataclass(frozen=True)
class Kind:
    severity: Severity
    zh: str
    en: str
    fix_zh: str = ""
    fix_en: str = ""


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

KINDS: dict[str, Kind] = {
    "unreadable-file": Kind(
        E, "无法读取文件：{reason_zh}", "cannot read the file: {reason_en}",
        "请确认文件为 .xlsx、.xls 或 CSV 且未损坏", "save it as .xlsx, .xls or CSV and try again"),
    "no-source-files": Kind(
        E, "目录 {directory} 中没有源文件", "no source files in {directory}",
        "将本月报表放入该目录，或用 --source 指定目录", "put this month's spreadsheets there or pass --source"),
    "period-not-found": Kind(
        E, "无法从工作表名、标题或文件名判断所属期间（{granularity}）",
        "cannot tell the period ({granularity}) from the sheet name, title or file name",
        "在标题中写明期间，如“2024年3月”“2024年第一季度”“2023年度”",
        "write the period in the title, e.g. 2024年3月, 2024年第一季度 or 2023年度"),
    "no-data-for-period": Kind(
        E, "源文件中没有 {period} 的数据", "the source files hold no data for {period}",
        "检查月份参数或补交该月报表", "check --period or add that month's sheet"),
    "header-not-found": Kind(
        E, "找不到表头（应以“{expected}”开头的行）", "header row not found (a row starting with '{expected}')",
        "保持表头与模板一致", "keep the header as in the template"),
    "missing-column": Kind(
        E, "缺少列“{header}”", "column '{header}' is missing",
        "按模板补上该列", "add the column as in the template"),
    "unmapped-header": Kind(
        W, "列“{header}”不在数据集规格中，已忽略", "column '{header}' is not in the dataset spec and was ignored",
        "如需发布该列，请在 datasets/ 规格中登记", "declare it in the dataset spec if it should be published"),
    "unit-mismatch": Kind(
        E, "表头写的单位是“{header}”，单位行（{line_at}）写的是“{line}”，两者矛盾",
        "the header says the unit is '{header}' but the unit line ({line_at}) says '{line}'",
        "改正表头或单位行，使两者一致", "correct the header or the unit line so they agree"),
    "not-a-number": Kind(
        E, "“{field}”应为数字，实际为“{value}”", "'{field}' must be a number, found '{value}'",
        "改为数字；零可填 0 或“—”", "enter a number; zero may be 0 or —"),
    "not-an-integer": Kind(
        E, "“{field}”应为整数，实际为“{value}”", "'{field}' must be a whole number, found '{value}'",
        "户数、人数须为整数", "household and person counts are whole numbers"),
    "negative-value": Kind(
        E, "“{field}”不能为负数：{value}", "'{field}' cannot be negative: {value}",
        "核对该单元格", "check the cell"),
    "unknown-county": Kind(
        E, "无法确定所属县（市、区）：{name}", "cannot tell which county this is: {name}",
        "在标题中写明县名，或在 datasets/regions.csv 中登记", "name the county in the title or add it to datasets/regions.csv"),
    "unknown-region": Kind(
        E, "“{name}”不在 {county} 的区划代码表中", "'{name}' is not in the division code list of {county}",
        "改为规范名称，或在 datasets/regions.csv 中登记别名", "use the official name or add an alias to datasets/regions.csv"),
    "duplicate-region": Kind(
        E, "“{name}”在同一月份出现多次", "'{name}' appears more than once in the same month",
        "删除重复行", "remove the duplicate row"),
    "missing-total": Kind(
        W, "没有合计行，无法核对各行之和", "no 合计 (total) row, so the rows cannot be checked against it",
        "在表末保留合计行", "keep the total row at the bottom"),
    "sum-mismatch": Kind(
        E, "{label}行“{field}”为 {total}，各组成部分之和为 {parts}（差 {difference}）",
        "the {label} row says {total} for '{field}' but its parts add up to {parts} (off by {difference})",
        "核对该行或其组成部分", "correct this row or its parts"),
    "persons-below-households": Kind(
        E, "“{persons_field}”（{persons}）少于“{households_field}”（{households}）",
        "'{persons_field}' ({persons}) is less than '{households_field}' ({households})",
        "每户至少一人，核对户数与人数", "a household has at least one person: check both counts"),
    "schema-violation": Kind(
        E, "不符合表结构 {schema}：{detail}", "does not match table schema {schema}: {detail}",
        "核对该值", "check the value"),
    "month-over-month-jump": Kind(
        W, "“{field}”较上月变化 {change:+.0%}（{previous} → {current}），超过 ±{bound:.0%}",
        "'{field}' changed {change:+.0%} from last month ({previous} → {current}), beyond ±{bound:.0%}",
        "发布前请核实", "confirm the figure before publishing"),
    "personal-data-dropped": Kind(
        I, "已删除含个人信息的表尾/备注行：{what}", "dropped a footer/note row holding personal data: {what}"),
    # -- the layout engine -------------------------------------------------------------------
    "period-conflict": Kind(
        E, "期间不一致：此处写的是 {found}，{first_where} 写的是 {first}",
        "the period here is {found} but {first_where} says {first}",
        "统一工作表名、标题和文件名中的期间", "make the sheet name, title and file name agree"),
    "optional-column-missing": Kind(
        I, "没有可选列“{header}”，该字段留空", "optional column '{header}' is absent: the field is left empty"),
    "no-data-rows": Kind(
        E, "表头下没有数据行（应有“{expected}”等行）", "no data rows under the header (expected rows of '{expected}')",
        "补上数据行，或检查是否选错了工作表", "add the rows, or check that this is the right sheet"),
    "excel-error-cell": Kind(
        E, "“{field}”是 Excel 错误值 {code}，不能当作 0", "'{field}' is an Excel error value {code}, never read as 0",
        "在 Excel 中修正公式或填入数值后保存", "fix the formula or type the value in Excel, then save"),
    "not-a-date": Kind(
        E, "“{field}”应为日期，实际为“{value}”", "'{field}' must be a date, found '{value}'",
        "写成“2024年7月1日”或“2024-07-01”", "write it as 2024年7月1日 or 2024-07-01"),
    "invisible-characters": Kind(
        W, "单元格含不可见字符，已删除：{value}", "the cell holds invisible characters, removed: {value}",
        "在源表中删除这些字符", "remove them from the source"),
    "unit-unknown": Kind(
        E, "无法换算单位“{found}”到“{expected}”", "cannot convert the unit '{found}' to '{expected}'",
        "写明单位，如“元/人·月”“元/人·年”“万元”", "state the unit, e.g. 元/人·月, 元/人·年 or 万元"),
    "merged-over-data": Kind(
        E, "数据单元格被合并（{range}），无法判断各行数值", "data cells are merged ({range}): each row's value is unknown",
        "取消合并并逐行填写", "unmerge the cells and fill in every row"),
    "blank-values": Kind(
        W, "该行所有数值都为空，按 0 读取", "every value on this row is blank: read as 0",
        "如确为 0 请填 0 或“—”", "type 0 or — if zero is meant"),
    "table-interrupted": Kind(
        E, "表格中间出现备注/表尾行，其后从 {resumes} 起仍有数据", "a note or footer row interrupts the table; "
        "data resumes at {resumes}", "把备注移到合计行之后", "move the note below the total row"),
    "second-total": Kind(
        E, "出现第二个合计行（第一个在 {total}）", "a second total row (the first is at {total})",
        "删除多余的合计行", "remove the extra total row"),
    "rows-after-total": Kind(
        E, "合计行（{total}）之后还有数据行，未被合计", "data rows after the total row ({total}) are not in the total",
        "把这些行移到合计行之前", "move these rows above the total"),
    "duplicate-row": Kind(
        E, "“{key}”在同一期间出现多次（第一次在 {first}）", "'{key}' appears more than once in the period "
        "(first at {first})", "删除重复行", "remove the duplicate row"),
    "children-exceed-parent": Kind(
        E, "“{label}”的“其中”各项之和 {parts} 超过“{field}” {total}", "the 其中 rows under '{label}' add up to "
        "{parts}, more than its '{field}' {total}", "核对“其中”各项", "check the 其中 rows"),
    "ambiguous-column": Kind(
        E, "多列都对应“{field}”：{columns}，无法判断用哪一列", "several columns match '{field}': {columns}; "
        "which one is meant cannot be told", "在规格中写明该列的完整表头（如“2023年/预算数”），或删去多余的列",
        "declare that column's full header in the spec (e.g. 2023年/预算数), or remove the extra column"),
    "sheet-skipped": Kind(
        I, "工作表没有本数据集的表头（{expected}…），只有文字，已跳过", "the sheet has no header of this dataset "
        "({expected}…), only text: skipped"),
    "formula-without-value": Kind(
        E, "“{field}”是没有保存计算结果的公式", "'{field}' is a formula whose result was never saved",
        "用 Excel 打开该文件并保存后重新提交", "open the workbook in Excel, save it, and send it again"),
    "not-this-dataset": Kind(
        E, "文件中没有能按数据集 {dataset} 读取的表格（找不到含规格所列列名的表头）",
        "nothing in the file reads as dataset {dataset}: no header with the columns its spec declares",
        "检查 --dataset 是否选对，或在规格中登记该模板的表头", "check --dataset, or declare this template's headers "
        "in the spec"),
    "table-truncated": Kind(
        E, "文件在 {row} 行之后被截断，表格不完整（没有合计行）", "the file is cut off after row {row}: the table "
        "is incomplete (no total row)", "重新导出完整的文件", "export the whole file again"),
    # -- plausibility and histories (quality suites) -------------------------------------------
    "implausible-value": Kind(
        E, "“{field}”为 {value}，超出合理范围 {low}–{high}", "'{field}' is {value}, outside the plausible {low}–{high}",
        "核对该值及其单位", "check the value and its unit"),
    "implausible-ratio": Kind(
        E, "“{field}”每“{per}”为 {value}，不在合理范围 {low}–{high} 内（单位填错？）",
        "'{field}' per '{per}' is {value}, outside the plausible {low}–{high} (a unit slip?)",
        "核对金额单位（元/万元）和人数", "check the unit (元 or 万元) and the count"),
    "differs-from": Kind(
        W, "“{field}” {value} 与“{other}” {other_value} 相差 {change:+.0%}，超过 ±{share:.0%}",
        "'{field}' {value} differs from '{other}' {other_value} by {change:+.0%}, beyond ±{share:.0%}",
        "发布前请核实并说明原因", "confirm the figures and explain the difference"),
    "standard-changed-without-date": Kind(
        E, "“{field}”已按 {date} 起执行发布为 {published}，现为 {current}，但执行日期未变",
        "'{field}' was published as {published} effective {date}; now {current} with the same date",
        "标准调整须有新的执行日期和文号", "a changed standard needs a new effective date and document number"),
    "standard-fell": Kind(
        W, "“{field}”自 {date} 起由 {previous} 降为 {current}", "'{field}' falls from {previous} to {current} "
        "from {date}", "确认下调有文件依据", "confirm the decrease has a document behind it"),
    "above-standard": Kind(
        W, "“{field}”人均 {average} 元，高于当月{standard_type}标准 {standard} 元",
        "'{field}' averages {average} yuan per person, above that month's {standard_type} standard of {standard}",
        "核对发放金额与人数", "check the amount paid and the count"),
    "pii-detected": Kind(
        E, "输出中发现疑似个人信息（{kind}）：{masked}", "possible personal data in the output ({kind_en}): {masked}",
        "从源表中删除该信息后重新运行", "remove it from the source and run again"),
    # -- reading files (extract) ---------------------------------------------------------------
    "extension-mismatch": Kind(
        W, "文件扩展名是 {suffix}，但内容是 {actual} 文件；已按 {actual} 读取",
        "the file is named {suffix} but is really a {actual} file; it was read as {actual}",
        "按实际格式改正扩展名，或在 Excel 中另存为 .xlsx", "rename it with the right extension, or save it as .xlsx in Excel"),
    "encrypted-workbook": Kind(
        E, "工作簿设有打开密码，无法读取", "the workbook is protected with a password and cannot be read",
        "在 Excel 中删除密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空后确定）并重新保存",
        "remove the password in Excel (File → Info → Protect Workbook → Encrypt with Password, clear it) "
        "and save again"),
    "empty-file": Kind(
        E, "文件是空的（没有任何内容）", "the file is empty",
        "重新导出或复制该文件，确认已完整保存", "export or copy the file again and check it was saved completely"),
    "truncated-file": Kind(
        W, "文件末尾被截断：最后一个完整的行是第 {row} 行，其后的内容不完整",
        "the file is cut off at its end: row {row} is the last complete row, what follows is incomplete",
        "重新导出或复制完整的文件", "export or copy the whole file again"),
    # -- disclosure control (anonymize) ----------------------------------------------------------
    "disclosure-audit-failed": Kind(
        E, "小数保护审核未通过：{region}（{cell}）的“{field}”可由已公开的合计、小计推算出来",
        "disclosure audit failed: '{field}' of {region} ({cell}) can be worked out from the published "
        "totals and subtotals",
        "保持互补隐藏开启（disclosure_control.complementary），或隐藏更多单元格；本次未发布任何内容",
        "keep complementary suppression on (disclosure_control.complementary) or suppress more cells; "
        "nothing was published"),
    "disclosure-table-invalid": Kind(
        E, "无法进行小数保护：{detail_zh}", "cannot apply disclosure control: {detail_en}",
        "核对数据集规格的 disclosure_control 与表中的上下级关系", "check the spec's disclosure_control and "
        "the table's parent/child rows"),
    # -- writing outputs (package, report) -----------------------------------------------------
    "output-not-writable": Kind(
        E, "无法写入输出目录 {path}：{reason}", "cannot write to the output folder {path}: {reason}",
        "腾出磁盘空间或用 GONGKAI_OUT 指定其他目录", "free disk space or point GONGKAI_OUT elsewhere"),
}


@dataclass(frozen=True)
class Where:
    """A place in the sources: file, sheet and cell, or a field of the output."""

    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""

    def __str__(self) -> str:
        return " ! ".join(part for part in (self.file, self.sheet, self.cell) if part) or self.field


@dataclass(frozen=True)
class Problem:
    slug: str
    where: Where = Where()
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.slug not in KINDS:
            raise KeyError(f"unknown problem slug {self.slug!r}")

    @property
    def kind(self) -> Kind:
        return KINDS[self.slug]

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    @property
    def message_zh(self) -> str:
        return self.kind.zh.format(**self.params)

    @property
    def message_en(self) -> str:
        return self.kind.en.format(**self.params)

    def as_dict(self) -> dict:
        return {
            "slug": self.slug, "severity": self.severity.value, "where": str(self.where),
            "file": self.where.file, "sheet": self.where.sheet, "cell": self.where.cell,
            "field": self.where.field, "message_zh": self.message_zh, "message_en": self.message_en,
            "fix_zh": self.kind.fix_zh, "fix_en": self.kind.fix_en,
        }


class Problems(list):
    """The problems of one run, in the order found."""

    def add(self, slug: str, where: Where = Where(), **params) -> Problem:
        # Every value a message quotes passes the one masking function: no ID, card, phone or
        # e-mail ever reaches the console, a report, a log or a Prefect state in clear.
        from gongkai.anonymize.pii import mask_text

        params = {k: mask_text(v) if isinstance(v, str) else v for k, v in params.items()}
        problem = Problem(slug, where, params)
        if problem not in self:   # a file read twice (periods, then rows) says a thing once
            self.append(problem)
        return problem

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity is Severity.WARNING]
