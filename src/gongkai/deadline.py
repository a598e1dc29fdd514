"""Publication deadlines counted in official working days (China's holiday calendar, 调休 included)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from gongkai.periods import period_end


def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # beyond the years the calendar knows: fall back to Mon-Fri
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        days -= is_workday(day)
    return day


def publication_deadline(period: str, rule: dict) -> dt.date:
    """Apply a spec's deadline rule, e.g. {working_days: 10, after: period_end}."""
    if rule.get("after") != "period_end":
        raise ValueError(f"unsupported deadline rule {rule!r}")
    return add_working_days(period_end(period), rule["working_days"])
