"""Reading what people type into spreadsheets: header labels, months, numbers written as text."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

WHITESPACE = re.compile(r"\s+")  # \s covers the full-width space U+3000 and non-breaking spaces
# A unit in brackets at the end of a header: 金额（万元）, 人数(人).
HEADER_UNIT = re.compile(r"（(元|千元|万元|亿元|户|人|人次|个|次)）$")
# 2024年3月, 2024年03月, 2024.03, 2024-03, 2024/3, 202403 (after full-width digits are folded).
PERIOD = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年\s*(\d{1,2})\s*月|[./\-](\d{1,2})(?!\d)|(0[1-9]|1[0-2])(?!\d))")
# The unit line: 单位：户、人、万元 (not 填报单位：…, which names the office).
UNIT_LINE = re.compile(r"(?:^|(?<=[\s,，;；]))单位[:：]\s*([^\s,，;；]+)")
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def compact(value) -> str:
    """Text with every kind of whitespace removed: " 猫街 镇 " -> "猫街镇"."""
    return WHITESPACE.sub("", as_text(value))


def header_label(value) -> tuple[str, str | None]:
    """A header cell as it is matched against the spec, and any unit it carried.

    Whitespace goes, full-width/half-width forms are folded, brackets become full-width
    (the spec writes 乡镇（街道）), and a trailing unit is split off: 金额（万元） -> (金额, 万元).
    """
    text = unicodedata.normalize("NFKC", compact(value)).replace("(", "（").replace(")", "）")
    match = HEADER_UNIT.search(text)
    if match and match.start() > 0:
        return text[:match.start()], match.group(1)
    return text, None


def find_period(text) -> str | None:
    """The first month named in a text, as YYYY-MM, or None."""
    if isinstance(text, (dt.date, dt.datetime)):
        return f"{text.year:04d}-{text.month:02d}"
    folded = unicodedata.normalize("NFKC", as_text(text))
    for match in PERIOD.finditer(folded):
        month = int(match.group(2) or match.group(3) or match.group(4))
        if 1 <= month <= 12:
            return f"{match.group(1)}-{month:02d}"
    return None


def find_unit_line(text) -> list[str]:
    """The units named after 单位： in a unit line, e.g. ["户", "人", "万元"]; [] if none."""
    match = UNIT_LINE.search(unicodedata.normalize("NFKC", as_text(text)))
    if not match:
        return []
    return [unit for unit in re.split(r"[、/，,]", match.group(1)) if unit]


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
    text = compact(raw)
    if text == "" or text in zero_values:
        return 0.0
    text = unicodedata.normalize("NFKC", text)
    if text in zero_values:
        return 0.0
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if NUMBER.fullmatch(text):
        return float(text)
    return None
