"""Problems found in a run: stable slugs, zh + en messages, and where each one is.

Every stage collects problems instead of stopping at the first, so a data officer
fixes a spreadsheet once, not once per error. Tests assert on slugs and places.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from gongkai.personal import find_pii_in_value, mask_text


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
        "在标题中写明县（市、区）的规范名称（如 武定县），或在规格中设置 source.county；不在全国区划代码表中的单位"
        "（开发区、管委会）登记在本数据集自己的区划文件中（规格的 regions: 键，见 README）",
        "write the county's official name in the title (e.g. 武定县) or set source.county in the spec; a unit the "
        "national list lacks (a development zone, a 管委会) goes in the dataset's own regions file, the one its "
        "spec's `regions:` key names (see README)"),
    "ambiguous-county": Kind(
        E, "“{name}”可指多个县（市、区）：{candidates}", "'{name}' could be any of several counties: {candidates}",
        "在标题中同时写明所属州（市）或省（如 石家庄市新华区），或在规格中设置 source.county",
        "write the prefecture or province with it in the title (e.g. 石家庄市新华区), or set source.county in the spec"),
    "unknown-region": Kind(
        E, "“{name}”不在 {county} 的区划代码表中", "'{name}' is not in the division code list of {county}",
        "改为全国区划代码表中的规范名称；表中没有的单位（开发区、管委会）或本地写法，登记在本数据集自己的区划文件中"
        "（规格的 regions: 键所指的 CSV，放在规格旁，见 README）",
        "use the official name of the national division code list; a unit the list lacks (a development zone, a "
        "管委会) or a local spelling goes in the dataset's own regions file, the CSV beside the spec that its "
        "`regions:` key names (see README)"),
    "ambiguous-region": Kind(
        E, "“{name}”在 {county} 可指多个单位：{candidates}", "'{name}' could be more than one unit of {county}: "
        "{candidates}", "写出完整的规范名称", "write the full official name"),
    "region-name-slip": Kind(
        W, "“{name}”按 {county} 的“{official}”（{code}）处理，名称不完全一致；本表同样写法的单元格同样处理",
        "'{name}' was read as {official} ({code}) of {county}, the one unit it can mean; cells of this sheet "
        "written the same way are read the same", "改为提示中的规范名称", "write the official name the message gives"),
    "duplicate-region": Kind(
        E, "“{name}”在同一月份出现多次", "'{name}' appears more than once in the same month",
        "删除重复行", "remove the duplicate row"),
    "missing-total": Kind(
        W, "没有合计行，无法核对各行之和", "no 合计 (total) row, so the rows cannot be checked against it",
        "保留合计行（表头下或表末均可）", "keep the 合计 (total) row, under the header or at the bottom"),
    "sum-mismatch": Kind(
        E, "{label}行“{field}”为 {total}，各组成部分之和为 {parts}（差 {difference}）",
        "the {label} row says {total} for '{field}' but its parts add up to {parts} (off by {difference})",
        "核对该行或其组成部分", "correct this row or its parts"),
    "column-sum-mismatch": Kind(
        E, "{label}行“{field}”为 {total}，同行{columns}之和为 {parts}（差 {difference}）",
        "on the {label} row, '{field}' says {total} but {columns} on the same row add up to {parts} "
        "(off by {difference})", "核对该合计列或同行各列；若该列不是各列之和，在规格中为它写 sum_of: []",
        "correct the total column or the columns it sums; if it is not their sum, give it sum_of: [] in the spec"),
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
    "person-level-data": Kind(
        E, "这是个人名单（花名册）：表头有{columns}等个人信息列；汇总数据集 {dataset} 只接受统计数，不接受个人记录",
        "this is a roster of individuals: its header has {columns_en} columns; the aggregate dataset {dataset} "
        "accepts counts only, not records of persons",
        "请提交汇总表；个人名单须按花名册规格处理（见 README“Rosters”），不会上传到门户",
        "send the aggregate table; a roster needs a roster spec (see README 'Rosters') and never reaches the portal"),
    "personal-column-dropped": Kind(
        I, "列“{header}”含个人信息（{kind}），未读取，不发布", "column '{header}' holds personal data ({kind_en}): "
        "not read, not published", "发布前可从源表中删除该列", "you may delete the column from the source"),
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
    "no-total-row": Kind(
        E, "没有合计行：表格在第 {row} 行（{label}）之后结束，文件可能被截断，或合计行被删除",
        "no 合计 (total) row: the table ends after row {row} ({label}); the file may be cut off there, "
        "or the total row was deleted", "检查文件是否完整（与原表核对最后几行），并在表末保留合计行",
        "check the file is complete (compare its last rows with the original) and keep the total row"),
    "layout-not-supported": Kind(
        E, "无法读取这种表格布局：{reason_zh}；未读入任何数据", "this layout cannot be read: {reason_en}; nothing "
        "of it was read", "按数据集模板调整表格，或在规格中声明该布局（source.period_columns、source.blocks 等，见 README"
        "“How the layout engine reads a sheet”）", "reshape the table as in the template, or declare the layout in "
        "the spec (source.period_columns, source.blocks …; see README 'How the layout engine reads a sheet')"),
    "extra-table": Kind(
        E, "从这里起是另一张表，规格中没有声明它（第一张表在 {first}）；其数据未读入",
        "another table starts here that the spec does not declare (the first table is at {first}); none of it "
        "was read", "把它移到单独的工作表，或在规格 source.blocks 中按标题声明每一张表",
        "move it to a sheet of its own, or declare each table by its title under the spec's source.blocks"),
    "unknown-block": Kind(
        E, "这张表的标题“{title}”不是规格 source.blocks 中声明的任何一张表（{blocks}），无法判断它的各列",
        "this table's title '{title}' names none of the tables declared under source.blocks ({blocks}): what "
        "its columns hold cannot be told", "在标题或表头下的标题行中写明是哪一张表（如“城市低保”），或在规格 "
        "source.blocks 中声明", "say which table it is in its title or a heading row (e.g. 城市低保), or declare "
        "it under the spec's source.blocks"),
    "values-not-read": Kind(
        E, "这里的数字不属于任何已读取的表格，未读入（表格在 {after} 结束）",
        "the numbers here belong to no table that was read and were not read (the table ends at {after})",
        "如是另一张表，在规格 source.blocks 中声明；如是多余内容，请删除；不要把数据放在表尾之后",
        "if it is another table, declare it under source.blocks; otherwise delete it; keep no figures below "
        "the footer"),
    "column-without-header": Kind(
        E, "这一列有数字，但没有表头（{header} 为空），未读入", "this column holds figures but has no header "
        "({header} is empty): not read", "补上表头（需发布的在规格 columns 中登记），或删除这些数字",
        "give the column its header (and declare it in the spec's columns if it is published), or delete the figures"),
    "block-row-missing": Kind(
        E, "“{name}”在本表中有，在“{table}”表中没有，该行数据不完整",
        "'{name}' is in this table but not in the '{table}' table: its row is incomplete",
        "在“{table}”表中补上该行（为 0 也填 0）", "add the row to that table (type 0 for zero)"),
    "field-not-found": Kind(
        E, "找不到“{field}”：没有这一列，标题和备注行中也没有符合 from_text 规则（{pattern}）的内容",
        "'{field}' is nowhere: no column holds it and no title or note line matches its from_text pattern "
        "({pattern})", "在标题中写明（如“自2024年7月1日起执行”），或补上该列",
        "state it in the title (e.g. 自2024年7月1日起执行) or add the column"),
    "unmapped-row": Kind(
        W, "行“{label}”不在数据集规格中，已忽略", "row '{label}' is not in the dataset spec and was ignored",
        "如需发布该行，请在规格 columns 中登记（分组/指标，如“城市低保/户数”）",
        "declare it under the spec's columns (group/indicator, e.g. 城市低保/户数) if it should be published"),
    "ambiguous-row": Kind(
        E, "多行都对应“{field}”：{rows}，无法判断用哪一行", "several rows match '{field}': {rows}; which one is "
        "meant cannot be told", "删去多余的行，或在分组标题中写明", "remove the extra row or give it its group heading"),
    "total-not-checked": Kind(
        I, "累计/全年列中的{fields}是存量（户数、人数），不是各期之和，未核对",
        "the total column's {fields} are stocks (households, persons), not sums of the periods: not checked"),
    "notes-dropped": Kind(
        I, "已删除表尾/备注行（不发布）：{what}", "dropped footer/note rows (not published): {what}"),
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
    "file-not-processed": Kind(
        E, "处理该文件时程序出错（{reason}），文件中的数据均未读入", "gongkai failed while processing this file "
        "({reason}); none of its rows were read",
        "这是程序或机器的问题（如内存不足），不一定是数据的问题：先用 gongkai validate 单独检查该文件；仍出错请将报告发给维护者",
        "a fault in gongkai or the machine (out of memory?), not necessarily in the data: check the file alone "
        "with `gongkai validate`; if it fails again, send the report to the maintainers"),
    "truncated-file": Kind(
        W, "文件末尾被截断：最后一个完整的行是第 {row} 行，其后的内容不完整",
        "the file is cut off at its end: row {row} is the last complete row, what follows is incomplete",
        "重新导出或复制完整的文件", "export or copy the whole file again"),
    # -- rosters (花名册): person-level sources, aggregated (src/gongkai/roster/) ----------------
    # A roster cell's value is never quoted: an ID is named by its length, anything else by its shape.
    "roster-duplicate-id": Kind(
        E, "同一身份证号（{masked}）本月出现两次（第一次在 {first}），该户会被重复统计",
        "the same ID number ({masked}) appears twice this month (first at {first}): the household would count twice",
        "删除重复的行，或改正其中一个证件号", "remove the duplicate row or correct one of the ID numbers"),
    "roster-invalid-id": Kind(
        W, "证件号码（{masked}）{reason_zh}；该户照常统计，但无法与其他月份对应",
        "the ID number ({masked}) {reason_en}; the household is counted but cannot be linked across months",
        "按身份证核对并改正，证件号列设为文本格式", "check it against the ID card and correct it; format the "
        "column as text"),
    "roster-bad-value": Kind(
        E, "“{field}”应为{expected_zh}，该单元格不是（{shape}）", "'{field}' must be {expected_en}; this cell is "
        "not ({shape})", "改正该单元格", "correct the cell"),
    "roster-unknown-category": Kind(
        E, "救助类别“{value}”不是本数据集发布的类别（{categories}）", "category '{value}' is not one this dataset "
        "publishes ({categories})", "改为规范类别，或在规格的 columns 中登记其写法（values）",
        "use one of them, or declare the spelling under the column's `values` in the spec"),
    "roster-read": Kind(
        I, "花名册：{households} 户 {persons} 人；个人信息列（{personal}）只用于核对，不发布",
        "roster: {households} households, {persons} persons; the personal columns ({personal}) are "
        "only checked, never published"),
    "roster-linkage": Kind(
        I, "与 {previous} 相比：新增 {new} 户，退出 {gone} 户，延续 {kept} 户（按加密户标识比对）",
        "against {previous}: {new} households new, {gone} gone, {kept} continuing (by keyed household id)"),
    "hmac-key-missing": Kind(
        E, "缺少户标识密钥（HMAC）：{reason_zh}。已查找：环境变量 GONGKAI_HMAC_KEY、Prefect Secret 块 gongkai-hmac-key",
        "no household-id key (HMAC): {reason_en}. Looked in: environment variable GONGKAI_HMAC_KEY, Prefect "
        "Secret block gongkai-hmac-key",
        "由本局保管一个密钥并设置，例如 export GONGKAI_HMAC_KEY=$(python3 -c 'import secrets; "
        "print(secrets.token_hex(32))')；各月须使用同一密钥，不得提交到代码库",
        "set a key the bureau keeps, e.g. export GONGKAI_HMAC_KEY=$(python3 -c 'import secrets; "
        "print(secrets.token_hex(32))'); use the same key every month and never commit it"),
    # -- releases and corrections (package) ------------------------------------------------------
    "correction-required": Kind(
        E, "{period} 已发布（{revision}），本次内容与之不同：新增 {added} 行、删除 {removed} 行、{cells} 处数值变化；"
           "未发布任何内容",
        "{period} is already published ({revision}); this content differs: {added} rows added, {removed} removed, "
        "{cells} cells changed; nothing was published",
        "如需发布更正，请加 --correction \"理由\"（流程参数 correction）；变化明细见报告",
        "to publish a correction pass --correction \"理由\" (flow parameter correction); the report lists "
        "every change"),
    "nothing-to-correct": Kind(
        E, "{period} 尚未发布，无可更正；未发布任何内容", "{period} has not been published, so there is nothing to "
           "correct; nothing was published",
        "去掉 --correction，按新期间发布", "run it without --correction to publish it as a new period"),
    "correction-unchanged": Kind(
        I, "内容与已发布的 {revision} 相同，不发布更正", "the content equals the published {revision}: no correction "
           "is published"),
    # -- deadlines and the catalog -------------------------------------------------------------
    "published-late": Kind(
        W, "{period} 于 {published} 首次发布，晚于公开时限 {due}（逾期 {days} 天）",
        "{period} was first published on {published}, after its deadline {due} ({days} days late)",
        "在年度报告中说明逾期原因；按时限安排下一期", "record the reason for the annual report; plan the next "
        "period by its deadline (`gongkai deadlines`)"),
    "catalog-broken-link": Kind(
        E, "目录中 {dataset} 的链接无效（{reason}）：{url}，目录未更新", "a link of {dataset} in the catalogue is "
        "broken ({reason}): {url}; the catalogue was not updated", "重新发布该数据集（gongkai run）修复文件，"
        "再运行 gongkai catalog", "publish that dataset again (`gongkai run`) to repair the file, then run "
        "`gongkai catalog`"),
    "catalog-not-updated": Kind(
        W, "本次发布已完成，但目录未能更新：{reason}", "this release is published, but the catalogue could not "
        "be updated: {reason}", "门户恢复后运行 gongkai catalog", "run `gongkai catalog` once the portal answers"),
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
    "chart-font-missing": Kind(
        E, "未安装中文字体，趋势图 {chart} 中的中文会显示为方框",
        "no CJK font is installed: the Chinese labels of trend chart {chart} would show as boxes",
        "运行 make debian-packages（安装 Debian 软件包 fonts-noto-cjk）后重新运行",
        "run `make debian-packages` (installs the Debian package fonts-noto-cjk), then run again"),
    # -- the review gate (保密审查) ---------------------------------------------------------------
    "nothing-staged": Kind(
        E, "{period} 没有待审查的发布", "nothing is staged for review for {period}",
        "先运行 gongkai run 数据集 --period 期间", "run `gongkai run DATASET --period PERIOD` first"),
    "review-mismatch": Kind(
        E, "暂存的发布与审查时的内容不一致（{files}），未发布任何内容",
        "the staged release is not what was checked and reviewed ({files} changed): nothing was published",
        "重新运行 gongkai run 并重新审查", "run `gongkai run` again and review the new staging"),
    "pii-in-review": Kind(
        E, "审查记录将被公开，但其中含有个人信息（{kinds}）",
        "the review record is published, but it holds personal data ({kinds})",
        "审查人填写岗位或科室，意见中不写个人信息", "give a role or section as reviewer and no personal data in the comment"),
    "reviewer-missing": Kind(
        E, "未填写审查人", "no reviewer given",
        "用 --reviewer 填写审查人（岗位或科室）", "name the reviewer (a role or section) with --reviewer"),
    "review-rejected": Kind(
        E, "该发布已被驳回（{reviewer}，{at}：{comment}）",
        "this release was rejected ({reviewer}, {at}: {comment})",
        "修改源数据后重新运行 gongkai run", "fix the sources and run `gongkai run` again"),
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
        return _MESSAGE.format(self.kind.zh, **self.params)

    @property
    def message_en(self) -> str:
        return _MESSAGE.format(self.kind.en, **self.params)

    def as_dict(self) -> dict:
        return {
            "slug": self.slug, "severity": self.severity.value, "where": str(self.where),
            "file": self.where.file, "sheet": self.where.sheet, "cell": self.where.cell,
            "field": self.where.field, "message_zh": self.message_zh, "message_en": self.message_en,
            "fix_zh": self.kind.fix_zh, "fix_en": self.kind.fix_en,
        }


class _MessageFormatter(string.Formatter):
    """str.format, except that a masked number (now text, 138****5678) ignores its number format (+.0%)."""

    def format_field(self, value, format_spec):
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_MESSAGE = _MessageFormatter()


def _masked(value):
    """A message parameter with every personal identifier masked: text, and numbers (a summed-up ID)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e10:
        hits = find_pii_in_value(value)   # numbers below 10^10 hold no identifier
        return " ".join(hit.masked for hit in hits) if hits else value
    return value


class Problems(list):
    """The problems of one run, in the order found."""

    def add(self, slug: str, where: Where = Where(), **params) -> Problem:
        # Every value a message quotes passes the one masking function: no ID, card, phone or
        # e-mail ever reaches the console, a report, a log or a Prefect state in clear.
        params = {k: _masked(v) for k, v in params.items()}
        # The place too: a sheet or file can be named after a person's ID or phone.
        where = Where(mask_text(where.file), mask_text(where.sheet), where.cell, mask_text(where.field))
        return self._keep(Problem(slug, where, params))

    def merge(self, found: Iterable[Problem]) -> None:
        """Problems collected elsewhere (a county file normalized in another process), already
        masked: appended in their order, each kept once, as `add` keeps them."""
        for problem in found:
            self._keep(problem)

    def _keep(self, problem: Problem) -> Problem:
        # A file read twice (periods, then rows) says a thing once. Looked up by slug, place and
        # the parameters' text: a scan of the whole list per problem took minutes for a
        # 20,000-township month.
        key = (problem.slug, problem.where, tuple(sorted((k, repr(v)) for k, v in problem.params.items())))
        seen = self.__dict__.setdefault("_seen", set())
        if key not in seen:
            seen.add(key)
            self.append(problem)
        return problem

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity is Severity.WARNING]
