"""Reading what people type into spreadsheets: header labels, periods, dates, numbers written as text."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal

WHITESPACE = re.compile(r"\s+")  # \s covers the full-width space U+3000 and non-breaking spaces
# Characters nobody sees but that make two names differ: zero-width space/joiners, BOM, soft hyphen.
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# A unit in brackets at the end of a header: 金额（万元）, 人数(人), 城市低保（元/人·月）.
HEADER_UNIT = re.compile(r"（([^（）]*(?:元|户|人|人次|个|次|项)[^（）]*)）$")
UNIT_LINE = re.compile(r"(?:^|(?<=[\s,，;；。.]))单位[:：]\s*([^\s,，;；。]+)")
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

YEAR = r"((?:19|20)\d{2})"
# 2024年3月, 2024年03月, 2024.03, 2024-03, 2024/3, 202403 (after full-width digits are folded).
MONTH = re.compile(YEAR + r"\s*(?:年\s*(\d{1,2})\s*月|[./\-](\d{1,2})(?![\d./\-])|(0[1-9]|1[0-2])(?!\d))")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# 2024年第一季度, 2024年1季度, 2024年一季度, 2024Q1, 2024-Q1.
QUARTER = re.compile(YEAR + r"\s*(?:年\s*第?\s*([一二三四1-4])\s*季度?|[-\s]?[Qq]([1-4]))(?!\d)")
# 2023年度, 2023年, 2023 (a year on its own: not part of a longer number, a date or 2024年3月).
YEAR_ONLY = re.compile(r"(?<!\d)" + YEAR + r"(?:\s*年度|\s*年(?!\s*\d{1,2}\s*月)|(?![\d.\-/年]))")
# 2024年7月1日(起), 2024.07.01, 2024-7-1, 2024/07/01, 20240701.
DATE = re.compile(YEAR + r"\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|[./\-](\d{1,2})[./\-](\d{1,2})(?!\d)"
                  r"|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d))")
EXCEL_EPOCH = dt.date(1899, 12, 30)
PLAIN_UNITS = {"元", "千元", "万元", "亿元", "户", "人", "人次", "个", "次", "项", "户次"}


# Excel keeps 15 significant digits: a bigger number (an ID or account typed without a leading ')
# has lost its last digits, and printing it as an integer would invent them.
EXACT_DIGITS = 10 ** 15
# A figure with more decimals than this was computed (=B5/10000), not typed: it is as exact as
# anything a sheet states, and float noise (0.30000000000000004) must not count as precision.
MAX_DECIMALS = 6


def as_text(value) -> str:
    """A cell as the text it shows: integers without ".0", a number Excel truncated as Excel shows it (5.32329E+17)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) >= EXACT_DIGITS:
        return f"{value:.15G}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)


def strip_invisible(value) -> str:
    return INVISIBLE.sub("", as_text(value))


def fold(value) -> str:
    """Text as compared: full-width forms folded (NFKC), invisible characters removed."""
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", as_text(value)))


def compact(value) -> str:
    """Text with every kind of whitespace and invisible character removed: " 猫街 镇 " -> "猫街镇"."""
    return WHITESPACE.sub("", INVISIBLE.sub("", as_text(value)))


def invisible_characters(value) -> str | None:
    """The text with its invisible characters escaped (狮\\u200b山镇), or None if it has none."""
    text = as_text(value)
    if not INVISIBLE.search(text) and "\u00a0" not in text:
        return None
    return "".join(f"\\u{ord(ch):04x}" if INVISIBLE.match(ch) or ch == "\u00a0" else ch for ch in text)


def header_label(value) -> tuple[str, str | None]:
    """A header cell as it is matched against the spec, and any unit it carried.

    Whitespace goes, full-width/half-width forms are folded, brackets become full-width
    (the spec writes 乡镇（街道）), and a trailing unit is split off: 金额（万元） -> (金额, 万元).
    """
    text = fold(compact(value)).replace("(", "（").replace(")", "）")
    match = HEADER_UNIT.search(text)
    if match and match.start() > 0:
        return text[:match.start()], match.group(1)
    return text, None


def find_period(text, granularity: str = "month") -> str | None:
    """The first period of the given granularity named in a text: 2024-03, 2024-Q1 or 2024."""
    if isinstance(text, (dt.date, dt.datetime)):
        return {"month": f"{text.year:04d}-{text.month:02d}", "year": f"{text.year:04d}",
                "quarter": f"{text.year:04d}-Q{(text.month - 1) // 3 + 1}"}[granularity]
    folded = fold(text)
    if granularity == "month":
        for match in MONTH.finditer(folded):
            month = int(match.group(2) or match.group(3) or match.group(4))
            if 1 <= month <= 12:
                return f"{match.group(1)}-{month:02d}"
        return None
    if granularity == "quarter":
        match = QUARTER.search(folded)
        return f"{match.group(1)}-Q{CHINESE_DIGITS[match.group(2) or match.group(3)]}" if match else None
    match = YEAR_ONLY.search(folded)
    return match.group(1) if match else None


# A month range after a period (2024-04_05, 2024.04-06, 2024年4至5月): the text names several periods.
RANGE_TAIL = re.compile(r"\s*[_~～\-—至到]\s*(\d{1,2})(?!\d)")


def find_periods(text, granularity: str = "month") -> list[str]:
    """Every distinct period a text names, a range's ends included: 2024-04_05 names 2024-04 and 2024-05."""
    folded = fold(text)
    found: list[str] = []
    if granularity == "month":
        for match in MONTH.finditer(folded):
            month = int(match.group(2) or match.group(3) or match.group(4))
            months = [month]
            if tail := RANGE_TAIL.match(folded, match.end()):
                months.append(int(tail.group(1)))
            found += [f"{match.group(1)}-{m:02d}" for m in months if 1 <= m <= 12]
    elif granularity == "quarter":
        found = [f"{m.group(1)}-Q{CHINESE_DIGITS[m.group(2) or m.group(3)]}" for m in QUARTER.finditer(folded)]
    else:
        found = [m.group(1) for m in YEAR_ONLY.finditer(folded)]
    return list(dict.fromkeys(found))


CHINESE_MONTHS = {name: n for n, name in enumerate(
    ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"], start=1)}
MONTH_ONLY = re.compile(r"^(\d{1,2}|十[一二]?|[一二三四五六七八九])月份?$")
QUARTER_ONLY = re.compile(r"^(?:第?([一二三四1-4])季度?|[Qq]([1-4]))$")
# 1-6月, 1至6月累计, 7～12月合计: the months a total column covers.
MONTH_RANGE = re.compile(r"(\d{1,2})\s*[-~～至到—]\s*(\d{1,2})\s*月")


def column_period(text, granularity: str, year: str | None) -> str | None:
    """The one period a column header names: 2024年3月, 2024.03, 3月, 三月份 (the year from the sheet),
    一季度, 2024年第一季度, 2023年; None for anything else (累计, 1-6月, a label)."""
    label = fold(compact(text))
    if not label or MONTH_RANGE.search(label):
        return None
    periods = find_periods(label, granularity)
    if len(periods) == 1:
        return periods[0]
    if periods or year is None:
        return None
    if granularity == "month" and (match := MONTH_ONLY.match(label)):
        month = int(match.group(1)) if match.group(1).isdigit() else CHINESE_MONTHS[match.group(1)]
        return f"{year}-{month:02d}" if 1 <= month <= 12 else None
    if granularity == "quarter" and (match := QUARTER_ONLY.match(label)):
        return f"{year}-Q{CHINESE_DIGITS[match.group(1) or match.group(2)]}"
    return None


def covered_months(text, year: str | None) -> list[str] | None:
    """The months a total column names (1-6月累计 -> 2024-01 … 2024-06; 一季度 -> 2024-01 … 03); None if it names none."""
    label = fold(compact(text))
    if year is None:
        return None
    if match := MONTH_RANGE.search(label):
        first, last = int(match.group(1)), int(match.group(2))
        return [f"{year}-{m:02d}" for m in range(first, last + 1)] if 1 <= first <= last <= 12 else None
    if quarter := column_period(label, "quarter", year):
        q = int(quarter[-1])
        return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    return None


def parse_date(raw) -> dt.date | None:
    """A date as written in a cell: a date cell, an Excel serial, 2024年7月1日起, 2024.07.01, 2024-7-1."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 20_000 <= raw <= 80_000:   # Excel serials for 1954..2119; anything else is not a date
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        if 19000101 <= raw <= 21001231:   # 20240701 typed as a number
            raw = str(int(raw))
        else:
            return None
    match = DATE.search(fold(compact(raw)))
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2) or match.group(4) or match.group(6))
    day = int(match.group(3) or match.group(5) or match.group(7))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_unit_line(text) -> list[str]:
    """The units named after 单位： in a unit line, e.g. ["户", "人", "万元"]; [] if none."""
    match = UNIT_LINE.search(fold(text))
    if not match:
        return []
    units = []
    for part in re.split(r"[、，,]", match.group(1)):
        # 户/人/元 lists units; 元/人·月 is one unit: split on / only when every piece is a plain unit.
        pieces = part.split("/")
        units += pieces if all(p in PLAIN_UNITS for p in pieces) else [part]
    return [unit for unit in units if unit]


def parse_number(raw, zero_values: set[str]) -> float | None:
    """A cell as a number: empty and the spec's zero marks are 0; None means "not a number".

    Accepts numbers stored as text, thousands separators (1,234), full-width digits (１２３)
    and stray spaces, as county spreadsheets have them.
    """
    if raw is None:
        return 0.0
    if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return None
    if isinstance(raw, (int, float)):
        return None if math.isnan(raw) or math.isinf(raw) else float(raw)
    if not isinstance(raw, str):
        return None   # an error cell or another object: never a number
    text = compact(raw)
    if text == "" or text in zero_values:
        return 0.0
    text = fold(text)
    if text in zero_values:
        return 0.0
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if NUMBER.fullmatch(text):
        return float(text)
    return None


def stated_decimals(raw) -> int | None:
    """How many decimals a figure was written with: "1,234,000" -> 0, "27.50" -> 2, 12.34 -> 2, 116.0 -> 0.

    None for an empty cell or a zero mark (—). A number stored in a workbook has the decimals of
    its value, at most MAX_DECIMALS (12.00 is stored as 12.0: the reader takes a column's
    precision from its other figures); text has the decimals it shows, trailing zeros included.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return 0
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw) or raw.is_integer():
            return 0
        text = repr(raw)     # the shortest text that gives the value back: no trailing zeros
        decimals = -Decimal(text).as_tuple().exponent if "e" in text else len(text.partition(".")[2])
        return min(decimals, MAX_DECIMALS)
    if not isinstance(raw, str):
        return None
    text = fold(compact(raw))
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not NUMBER.fullmatch(text):
        return None
    _, point, decimals = text.partition(".")
    return min(len(decimals), MAX_DECIMALS) if point else 0
