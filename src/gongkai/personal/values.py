"""What personal data looks like in a value, and how a message may show it: masked, never in clear.

Resident ID numbers, mobiles, bank cards, e-mail and names are found here; problems, reports,
logs and the anonymize stage's PII gate all mask through this one module. Precision matters as
much as recall: published tables are full of 12-digit division codes, periods and amounts, and
none of them may trip it. So every pattern is anchored on digit boundaries (no digit before or
after: a fragment of a longer run is not an ID) and backed by a check the real thing passes:
the GB 11643 check digit and a birth date for IDs, Luhn for cards (python-stdnum's). Names are
found only where the text says so (姓名：王某某, 户主王建国: a label and a common surname) or when
they are a roster's own names, passed in. A column known to be personal (columns.py) needs no
checksum: every value in it is a hit.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd
from stdnum import luhn
from stdnum.cn import ric

EARLIEST_BIRTH = dt.date(1900, 1, 1)

# The kinds a personal column can hold (columns.py tells them by header), as messages name them.
KIND_LABELS = {"id-number": ("身份证件号码", "ID number"), "bank-account": ("银行账号", "bank account"),
               "phone": ("电话号码", "phone number"), "address": ("住址", "address"),
               "name": ("姓名", "name")}

KIND_ZH = {
    "id18": "身份证号", "id15": "15位身份证号", "mobile": "手机号", "bank-card": "银行卡号",
    "email": "电子邮箱", "mangled-id": "被 Excel 转成科学计数法的证件号/卡号",
    **{kind: zh for kind, (zh, _) in KIND_LABELS.items()},
}
KIND_EN = {
    "id18": "resident ID number", "id15": "15-digit resident ID number", "mobile": "mobile number",
    "bank-card": "bank card number", "email": "e-mail address",
    "mangled-id": "ID or card number turned into scientific notation by Excel",
    **{kind: en for kind, (_, en) in KIND_LABELS.items()},
}

_ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_ID15 = re.compile(r"(?<!\d)\d{15}(?!\d)")
_CARD = re.compile(r"(?<!\d)(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?!\d)")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 4.40524E+17, 5.32329199E+17, 4.4052419900101E17: digits Excel lost when it took an ID for a number.
# Excel and pandas always write a decimal point or a "+": a bare 5e18 inside a hash or a uuid
# (a3f5e18c, 4e18-…) is none, nor is anything glued to letters, digits or hyphens.
_SCIENTIFIC = re.compile(r"(?<![0-9A-Za-z.\-])\d(?:\.\d+[eE]\+?|[eE]\+)(\d{2})(?![0-9A-Za-z\-])")
# 16–19 digits in a column whose header says it holds accounts: an account, whatever Luhn says.
_ACCOUNT = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
# In a message, any other run of 15 or more digits: no count, amount or code a message quotes is that
# long (division codes have 12), so it is an ID or account that failed its check, or one summed into a total.
_LONG_DIGITS = re.compile(r"(?<!\d)\d{15,}(?!\d)")
# Common surnames (about the 330 most frequent) and the compound ones: a name mention starts with one.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
            "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
            "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
            "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
            "明佘池查麻苑迟邝")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "公孙", "尉迟", "长孙", "宇文",
                     "夏侯", "端木", "司徒", "独孤")
# 姓名：王某某, 户主王建国, 申请人: 李秀英 — a label that introduces a person, then a surname and one or two characters.
_NAME_MENTION = re.compile(r"(?:姓名|户主|申请人|救助对象|收款人|领款人|持卡人|监护人)[:：]?\s*"
                           r"((?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES + r"])[\u4e00-\u9fff]{1,2})")
# sha256 digests and CKAN/UUID ids in datapackage.json and metadata: hex, with digit runs that
# are not numbers. They are blanked (same length, so positions hold) before scanning.
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{32,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})"
                        r"(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Hit:
    kind: str       # id18 | id15 | mobile | bank-card | email | mangled-id | name, or a column's kind
    masked: str     # safe to show in a report
    start: int = 0
    end: int = 0


def id18_check_char(first17: str) -> str:
    return ric.calc_check_digit(first17 + "0")   # stdnum takes the number with a check digit in place


def _plausible_birth(year: int, month: int, day: int) -> bool:
    return _born_between(year, month, day, dt.date.today())


@lru_cache(maxsize=1 << 16)
def _born_between(year: int, month: int, day: int, today: dt.date) -> bool:
    # Remembered: a million-row roster has a few tens of thousands of birth dates.
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return False
    return EARLIEST_BIRTH <= born <= today


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
    return luhn.is_valid(digits)


def is_bank_card(digits: str) -> bool:
    # Card numbers start 2–6 (UnionPay 62, Visa 4, Mastercard 2/5, Amex/JCB 3); a run of one digit is filler.
    return 16 <= len(digits) <= 19 and digits[0] in "23456" and len(set(digits)) > 2 and luhn_valid(digits)


def _mask_digits(digits: str, keep_start: int, keep_end: int) -> str:
    return digits[:keep_start] + "*" * (len(digits) - keep_start - keep_end) + digits[len(digits) - keep_end:]


def by_length(digits: str) -> str:
    """IDs and cards are named by length only: no digit of them is ever shown."""
    return f"[{len(digits)}位 {len(digits)} digits]"


def mask_text(text: str, names: Collection[str] = ()) -> str:
    """The text with every personal identifier in it (and any of `names`) masked, for messages, reports and logs."""
    if not names and _plain(text):
        return text
    hits = find_pii(text, names)
    if hits:
        normalized = unicodedata.normalize("NFKC", text)   # hit positions are in this; lengths match
        out, last = [], 0
        for hit in hits:
            out += [normalized[last:hit.start], hit.masked]
            last = hit.end
        text = "".join(out + [normalized[last:]])
    return _LONG_DIGITS.sub(lambda m: by_length(m.group()), text)


def _plain(text: str) -> bool:
    """ASCII with under 10 digits, no @ and no exponent ("4246", "C16"): no kind above can match.

    Messages quote thousands of such figures; this skips the patterns for them."""
    return text.isascii() and "@" not in text and "e" not in text.lower() and sum(c.isdigit() for c in text) < 10


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}***@{domain}"


@lru_cache(maxsize=8)
def _names_pattern(names: frozenset[str]) -> re.Pattern | None:
    names = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)   # 欧阳建国 before 欧阳建
    return re.compile("|".join(map(re.escape, names))) if names else None


def find_pii(text: str, names: Collection[str] = (), column_kind: str | None = None) -> list[Hit]:
    """Every personal-data hit in text, masked, in order of position. Overlapping matches count once.

    `names` are a roster's own names, found wherever they occur; `column_kind` is the kind of the
    column the text comes from (columns.py): in a bank-account column 16–19 digits are an account.
    """
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
            claim(match, Hit("id18", by_length(match.group())))
    for match in _ID15.finditer(text):
        if is_resident_id15(match.group()):
            claim(match, Hit("id15", by_length(match.group())))
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if is_bank_card(digits):
            claim(match, Hit("bank-card", by_length(digits)))
    for match in _MOBILE.finditer(text):
        digits = re.sub(r"\D", "", match.group())[-11:]
        claim(match, Hit("mobile", _mask_digits(digits, 3, 4)))
    for match in _EMAIL.finditer(text):
        claim(match, Hit("email", _mask_email(match.group())))
    for match in _SCIENTIFIC.finditer(text):
        if int(match.group(1)) >= 14:
            claim(match, Hit("mangled-id", _mask_scientific(match.group())))
    if column_kind == "bank-account":
        for match in _ACCOUNT.finditer(text):
            claim(match, Hit("bank-account", by_length(match.group())))
    if (pattern := _names_pattern(frozenset(names))) is not None:
        for match in pattern.finditer(text):
            claim(match, Hit("name", mask_name(match.group())))
    for match in _NAME_MENTION.finditer(text):
        claim(_Span(match.span(1)), Hit("name", mask_name(match.group(1))))
    return sorted(hits, key=lambda h: h.start)


@dataclass(frozen=True)
class _Span:
    """A match's group as `claim` takes it: only the name after 姓名： is personal, not the label."""

    bounds: tuple[int, int]

    def span(self) -> tuple[int, int]:
        return self.bounds


def _mask_scientific(rendered: str) -> str:
    _, _, exponent = rendered.upper().partition("E")
    return f"[*.*****E{exponent}]"


def find_pii_in_value(value: object, names: Collection[str] = (), column_kind: str | None = None) -> list[Hit]:
    """A cell as it will be written: numbers as their digits, floats ≥ 1e14 as Excel-mangled IDs/cards.

    In a personal column (`column_kind`), any value is personal, named by the column's kind.
    """
    if value is None or value is pd.NA or isinstance(value, bool):
        return []
    if column_kind is not None:
        masked = mask_as(column_kind, value)
        return [Hit(column_kind, masked)] if masked else []
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
    return find_pii(str(value), names)


def mask_name(name: str) -> str:
    """刘建兵 → 刘*兵, 欧阳建国 → 欧**国, 刘兵 → 刘*: for the village notice-board list only."""
    name = name.strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_as(kind: str, value: object) -> str:
    """A value of a personal column as a message may show it: by kind, never in clear."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if value is None else str(value)))
    if not text:
        return ""
    zh, en = KIND_LABELS[kind]
    if kind == "name":
        return mask_name(text)
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return digits[:3] + "*" * max(len(digits) - 7, 1) + digits[-4:] if len(digits) >= 8 else f"[{zh} {en}]"
    if kind in ("id-number", "bank-account"):
        return by_length(text)
    return f"[{zh} {en}]"
