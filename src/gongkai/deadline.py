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


def publication_deadline(period: str, working_days: int) -> dt.date:
    """The due date of a period: `working_days` official working days after the period ends."""
    return add_working_days(period_end(period), working_days)
