"""Units as bureaus write them (万元, 元/人·月, 元/人·年, 元每人每月) and the factor to a schema's unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.normalize.text import fold

MONEY = {"元": 1, "千元": 1_000, "万元": 10_000, "亿元": 100_000_000}
COUNTS = {"户", "人", "人次", "个", "次", "项", "户次"}
MONTHS_PER = {"月": 1, "季": 3, "季度": 3, "年": 12}
_MONEY = re.compile(r"^(亿元|万元|千元|元)")
_PER_TIME = re.compile(r"(?:/|每|·|／|\.)?(?:人)?(?:/|每|·)?(月|季度|季|年)(?:/|每|·)?(?:人)?$")


@dataclass(frozen=True)
class Unit:
    text: str               # as written
    money: int | None       # factor to 元, or None for a count
    months: int | None      # per month (1), per quarter (3), per year (12), or None: not a rate


def parse_unit(text: str | None) -> Unit | None:
    """元/人·月 -> Unit(money=1, months=1); 万元 -> Unit(money=10000); 户 -> Unit(money=None); ? -> None."""
    if not text:
        return None
    folded = fold(text).replace(" ", "").replace("／", "/").replace("（", "").replace("）", "")
    if folded in COUNTS:
        return Unit(text, None, None)
    money = _MONEY.match(folded)
    if not money:
        return None
    rest = folded[money.end():]
    if not rest or rest in ("/人", "每人"):
        return Unit(text, MONEY[money.group(1)], None)
    per = _PER_TIME.fullmatch(rest)
    if not per:
        return None
    return Unit(text, MONEY[money.group(1)], MONTHS_PER[per.group(1)])


def conversion(source: str | None, target: str | None) -> float | None:
    """The factor that turns a value in `source` into `target`; None when they do not convert.

    An unstated source unit is taken to be the target's. 元/人·年 -> 元/人/月 is 1/12; 万元 -> 元 is
    10,000; a rate never converts to a plain amount or a count.
    """
    if not target or not source:
        return 1.0
    have, want = parse_unit(source), parse_unit(target)
    if have is None or want is None:
        return 1.0 if fold(source) == fold(target) else None
    if (have.money is None) != (want.money is None):
        return None
    if have.money is None:
        return 1.0 if have.text == want.text or {have.text, want.text} <= {"人", "人次"} else None
    if (have.months is None) != (want.months is None):
        return None
    factor = have.money / want.money
    if have.months:
        factor *= want.months / have.months
    return factor
