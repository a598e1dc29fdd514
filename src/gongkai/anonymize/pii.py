"""The PII gate: find resident ID numbers, mobiles, bank cards and e-mail in anything about to be published.

Precision matters as much as recall: published tables are full of 12-digit division codes,
periods and amounts, and none of them may trip the gate. So every pattern is anchored on
digit boundaries (no digit before or after: a fragment of a longer run is not an ID) and
backed by a check the real thing passes: the GB 11643 check digit and a birth date for IDs,
Luhn for cards.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import pandas as pd

from gongkai.problems import Problems, Where

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"   # indexed by the weighted sum mod 11
EARLIEST_BIRTH = dt.date(1900, 1, 1)

KIND_ZH = {
    "id18": "身份证号", "id15": "15位身份证号", "mobile": "手机号", "bank-card": "银行卡号",
    "email": "电子邮箱", "mangled-id": "被 Excel 转成科学计数法的证件号/卡号",
}
KIND_EN = {
    "id18": "resident ID number", "id15": "15-digit resident ID number", "mobile": "mobile number",
    "bank-card": "bank card number", "email": "e-mail address",
    "mangled-id": "ID or card number turned into scientific notation by Excel",
}

_ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_ID15 = re.compile(r"(?<!\d)\d{15}(?!\d)")
_CARD = re.compile(r"(?<!\d)(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?!\d)")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 4.40524E+17, 5.32329199E+17, 4.4052419900101E17: digits Excel lost when it took an ID for a number.
_SCIENTIFIC = re.compile(r"(?<![\d.])\d(?:\.\d+)?[eE]\+?(\d{2})(?![\d])")
# sha256 digests and CKAN/UUID ids in datapackage.json and metadata: hex, with digit runs that
# are not numbers. They are blanked (same length, so positions hold) before scanning.
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{32,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})"
                        r"(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Hit:
    kind: str       # id18 | id15 | mobile | bank-card | email | mangled-id
    masked: str     # safe to show in a report
    start: int = 0
    end: int = 0


def id18_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def _plausible_birth(year: int, month: int, day: int) -> bool:
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return False
    return EARLIEST_BIRTH <= born <= dt.date.today()


def is_resident_id18(text: str) -> bool:
    """18-digit 公民身份号码: province code, birth date YYYYMMDD, GB 11643 check character."""
    if len(text) != 18 or not text[:17].isdigit() or text[0] in "09":
        return False
    if not _plausible_birth(int(text[6:10]), int(text[10:12]), int(text[12:14])):
        return False
    return id18_check_char(text[:17]) == text[17].upper()


def is_resident_id15(text: str) -> bool:
    """Old 15-digit number (before 1999): province code and birth date YYMMDD in the 1900s, no check digit."""
    if len(text) != 15 or not text.isdigit() or text[0] in "09":
        return False
    return _plausible_birth(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_bank_card(digits: str) -> bool:
    # Card numbers start 2–6 (UnionPay 62, Visa 4, Mastercard 2/5, Amex/JCB 3); a run of one digit is filler.
    return 16 <= len(digits) <= 19 and digits[0] in "23456" and len(set(digits)) > 2 and luhn_valid(digits)


def _mask_digits(digits: str, keep_start: int, keep_end: int) -> str:
    return digits[:keep_start] + "*" * (len(digits) - keep_start - keep_end) + digits[len(digits) - keep_end:]


def _by_length(digits: str) -> str:
    """IDs and cards are named by length only: no digit of them is ever shown."""
    return f"[{len(digits)}位 {len(digits)} digits]"


def mask_text(text: str) -> str:
    """The text with every personal identifier in it masked, for messages, reports and logs."""
    hits = find_pii(text)
    if not hits:
        return text
    normalized = unicodedata.normalize("NFKC", text)   # hit positions are in this; lengths match
    out, last = [], 0
    for hit in hits:
        out += [normalized[last:hit.start], hit.masked]
        last = hit.end
    return "".join(out + [normalized[last:]])


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}***@{domain}"


def find_pii(text: str) -> list[Hit]:
    """Every personal-data hit in text, masked, in order of position. Overlapping matches count once."""
    text = unicodedata.normalize("NFKC", text)   # full-width digits and ＠ become ASCII; lengths stay
    text = _HEX_TOKEN.sub(lambda m: " " * len(m.group()) if re.search("[a-fA-F]", m.group()) else m.group(), text)
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def claim(match: re.Match, hit: Hit) -> None:
        span = match.span()
        if any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        hits.append(replace(hit, start=span[0], end=span[1]))

    for match in _ID18.finditer(text):
        if is_resident_id18(match.group()):
            claim(match, Hit("id18", _by_length(match.group())))
    for match in _ID15.finditer(text):
        if is_resident_id15(match.group()):
            claim(match, Hit("id15", _by_length(match.group())))
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if is_bank_card(digits):
            claim(match, Hit("bank-card", _by_length(digits)))
    for match in _MOBILE.finditer(text):
        digits = re.sub(r"\D", "", match.group())[-11:]
        claim(match, Hit("mobile", _mask_digits(digits, 3, 4)))
    for match in _EMAIL.finditer(text):
        claim(match, Hit("email", _mask_email(match.group())))
    for match in _SCIENTIFIC.finditer(text):
        if int(match.group(1)) >= 14:
            claim(match, Hit("mangled-id", _mask_scientific(match.group())))
    return sorted(hits, key=lambda h: h.start)


def _mask_scientific(rendered: str) -> str:
    _, _, exponent = rendered.upper().partition("E")
    return f"[*.*****E{exponent}]"


def find_pii_in_value(value: object) -> list[Hit]:
    """A cell as it will be written: numbers as their digits, floats ≥ 1e14 as Excel-mangled IDs/cards."""
    if value is None or value is pd.NA:
        return []
    if isinstance(value, bool):
        return []
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return []
        if abs(number) >= 1e14:
            # Precision is gone, so no check digit can be verified: a number this big in an
            # aggregate table (100 trillion 元) is an ID or card number that Excel ate.
            return [Hit("mangled-id", _mask_scientific(f"{number:.5E}"))]
        if not number.is_integer():
            return []       # an amount: 1234567.89 holds no identifier
        value = int(number)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        number = int(value)
        hits = find_pii(str(number))
        if not hits and abs(number) >= 1e14:
            # An ID typed into a count column: Excel kept 15 digits, so no check digit holds,
            # and no aggregate count reaches 100 trillion.
            hits = [Hit("mangled-id", _mask_scientific(f"{number:.5E}"))]
        return hits
    return find_pii(str(value))


def _add(problems: Problems, where: Where, hit: Hit) -> None:
    problems.add("pii-detected", where, kind=KIND_ZH[hit.kind], kind_en=KIND_EN[hit.kind], masked=hit.masked)


def scan_for_pii(items: Iterable[tuple[Where, object]], problems: Problems) -> int:
    """Scan (place, value) pairs; each hit is a `pii-detected` error. Returns the number of hits."""
    count = 0
    for where, value in items:
        for hit in find_pii_in_value(value):
            _add(problems, where, hit)
            count += 1
    return count


def scan_frame(frame: pd.DataFrame, where_for: Callable[[int, str], Where], problems: Problems) -> int:
    """Every cell of an output table, and its column names."""
    count = scan_for_pii(((Where(field=f"列名 column name: {column}"), str(column)) for column in frame.columns),
                         problems)
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            # Numbers below 10^10 hold no identifier (a mobile has 11 digits): skip them fast.
            large = (pd.to_numeric(series, errors="coerce").abs() >= 1e10).fillna(False).astype(bool)
            big = series[large.to_numpy()]
            items = ((where_for(index, column), value) for index, value in big.items())
        else:
            items = ((where_for(index, column), value) for index, value in series.items())
        count += scan_for_pii(items, problems)
    return count


def scan_text(text: str, where: Where, problems: Problems) -> int:
    """Free text: metadata fields, notes, sheet names, the contents of CSV or JSON files.

    For multi-line text without a cell of its own, the problem names the line.
    """
    count = 0
    normalized = unicodedata.normalize("NFKC", text)   # the positions find_pii reports are in this
    for hit in find_pii(text):
        place = where
        if not where.cell and "\n" in normalized:
            place = replace(where, cell=f"第{normalized.count(chr(10), 0, hit.start) + 1}行 line")
        _add(problems, place, hit)
        count += 1
    return count


def mask_name(name: str) -> str:
    """刘建兵 → 刘*兵, 欧阳建国 → 欧**国, 刘兵 → 刘*: for the village notice-board list only."""
    name = name.strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
