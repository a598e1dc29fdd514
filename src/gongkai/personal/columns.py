"""Personal columns, told by their header: 身份证号码, 姓名, 联系电话, 银行账号, 家庭住址 … whatever the values look like.

A value's own shape misses much: a bank account that fails Luhn, a landline, a name, an address.
Its column says what it is. One table of header patterns gives each personal column a kind; a
value from such a column is masked by that kind in every message, and a sheet with ID-number or
recipient-name columns is a roster of individuals (花名册), not an aggregate table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from gongkai.personal.values import SURNAMES, mask_as

# kind -> a pattern searched in the header label (whitespace removed, full-width folded, a trailing
# bracket dropped). First match wins, so 身份证 beats 号码 and 银行账号 beats 号码.
HEADER_PATTERNS: list[tuple[str, re.Pattern]] = [(kind, re.compile(pattern)) for kind, pattern in [
    ("id-number", r"身份证|公民身份|身份号码|证件号|证件编号|证件号码|证号"),
    ("bank-account", r"银行账号|银行帐号|银行卡|卡号|账号|帐号|账户|帐户|存折|折号"),
    ("phone", r"电话|手机|联系方式|联系号码|移动号码"),
    ("address", r"住址|地址|住所|居住地|户籍地"),
    # Recipients' names. 联系人/填表人 (staff) are not here: a project table may list them.
    ("name", r"姓名|^(?:户主|申请人|救助对象|保障对象|供养对象|收款人|持卡人|开户人|监护人|领款人)$"),
]]
# A header that counts or sums people (申请人数, 身份证办理数量, 户主人数) is an aggregate, not a person.
AGGREGATE = re.compile(r"(数|数量|人次|户次|金额|资金|率|比例|合计|小计|标准)$")
TRAILING_BRACKET = re.compile(r"[（(][^（）()]*[）)]$")
# Kinds that make a sheet a list of individuals on their own.
PERSON_LEVEL = {"id-number", "name"}


def _label(header: object) -> str:
    text = unicodedata.normalize("NFKC", "" if header is None else str(header))
    text = re.sub(r"\s+", "", text)
    return TRAILING_BRACKET.sub("", text)


def personal_header(header: object) -> tuple[str, str] | None:
    """(label, kind) of a personal column's header, from any level of a path a/b (the lowest first).

    A header is a short label: a cell with digits or a colon (联系电话：138…, a footer) is not one.
    """
    for part in reversed(_label(header).split("/")):
        if not part or len(part) > 16 or re.search(r"[\d:：]", part) or AGGREGATE.search(part):
            continue
        for kind, pattern in HEADER_PATTERNS:
            if pattern.search(part):
                return part, kind
    return None


def personal_kind(header: object) -> str | None:
    """The kind of personal data a column holds, from its header; None if it is not personal."""
    found = personal_header(header)
    return found[1] if found else None


def personal_columns(cells: Iterable[object]) -> dict[int, str]:
    """{column index: kind} of the personal headers among a row's cells."""
    return {col: kind for col, cell in enumerate(cells) if isinstance(cell, str) and (kind := personal_kind(cell))}


def is_person_level(kinds: Iterable[str]) -> bool:
    """A header with an ID-number or recipient-name column, or two kinds of personal data, lists individuals."""
    kinds = set(kinds)
    return bool(kinds & PERSON_LEVEL) or len(kinds) >= 2


# A place name ends like one; a lone surname-first word of 2–3 characters in a number or date cell does not.
PLACE_ENDINGS = re.compile(r"[镇乡村街道区县市州省组队]$")


def looks_like_name(text: str) -> bool:
    """2–3 Chinese characters starting with a common surname, not a place: 高国 typed into a count column."""
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", text)) and text[0] in SURNAMES and not PLACE_ENDINGS.search(text)


def quote(header: object, text: str) -> str:
    """A number or date cell's text for a message: masked by its column's kind when the column is
    personal, and as a name when it looks like one (a roster pasted into the wrong template)."""
    kind = personal_kind(header) or ("name" if looks_like_name(text.strip()) else None)
    return mask_as(kind, text) if kind else text
