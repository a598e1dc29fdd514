"""Publication deadlines counted in official working days (China's holiday calendar, 调休 included),
and whether each dataset kept them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar

from gongkai.periods import last_period, next_period, period_end
from gongkai.problems import Problems, Where

STATUS_LABELS = {
    "on-time": "按时 on time",
    "late": "逾期发布 late",
    "overdue": "超期未发布 overdue",
    "not-published": "尚未发布 not published",
}


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


def check_on_time(period: str, working_days: int, published_on: dt.date, problems: Problems) -> None:
    """A first release after the period's due date says so in the run's report (a warning)."""
    due = publication_deadline(period, working_days)
    if published_on > due:
        problems.add("published-late", Where(field="publication_deadline"), period=period,
                     published=published_on.isoformat(), due=due.isoformat(), days=(published_on - due).days)


@dataclass(frozen=True)
class Timeliness:
    """Where a dataset stands against its deadline rule on a given day."""

    last_period: str | None        # the latest period published
    due: dt.date | None            # its due date
    published: dt.date | None      # the day it was first published
    status: str                    # a key of STATUS_LABELS
    next_period: str               # the period to publish next
    next_due: dt.date

    @property
    def days_late(self) -> int:
        return (self.published - self.due).days if self.published and self.due else 0


def timeliness(granularity: str, working_days: int, published: dict[str, dt.date], today: dt.date) -> Timeliness:
    """On time or late for the last published period; overdue once the next one is past due unpublished.

    `published` maps each published period to the day of its first release (a correction later
    does not make a period late). Before any release the next period is the last one that has ended.
    """
    if published:
        last = max(published)
        due = publication_deadline(last, working_days)
        status = "on-time" if published[last] <= due else "late"
        upcoming = next_period(last)
    else:
        last, due, status, upcoming = None, None, "not-published", last_period(granularity, today)
    next_due = publication_deadline(upcoming, working_days)
    if today > next_due:
        status = "overdue"
    return Timeliness(last, due, published.get(last) if last else None, status, upcoming, next_due)
