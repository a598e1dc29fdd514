"""Periods as the product writes them: 2024-03 (month), 2024-Q1 (quarter), 2023 (year)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
EXAMPLES = {"month": "2024-03", "quarter": "2024-Q1", "year": "2023"}


def granularity_of(period: str) -> str | None:
    return next((name for name, pattern in PATTERNS.items() if pattern.match(period)), None)


def period_end(period: str) -> dt.date:
    """The last day of a period: 2024-03 -> 2024-03-31, 2024-Q1 -> 2024-03-31, 2023 -> 2023-12-31."""
    kind = granularity_of(period)
    if kind is None:
        raise ValueError(f"not a period: {period!r} (use {', '.join(EXAMPLES.values())})")
    year = int(period[:4])
    month = {"month": lambda: int(period[5:7]), "quarter": lambda: int(period[-1]) * 3, "year": lambda: 12}[kind]()
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def last_period(granularity: str, today: dt.date) -> str:
    """The period a scheduled run publishes: the last one that has ended by `today`."""
    if granularity == "month":
        return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    if granularity == "quarter":
        quarter = (today.month - 1) // 3
        return f"{today.year}-Q{quarter}" if quarter else f"{today.year - 1}-Q4"
    return str(today.year - 1)


def next_period(period: str) -> str:
    """The period after `period`, of the same granularity: 2024-12 -> 2025-01, 2024-Q4 -> 2025-Q1, 2023 -> 2024."""
    after = period_end(period) + dt.timedelta(days=1)
    kind = granularity_of(period)
    if kind == "month":
        return after.strftime("%Y-%m")
    if kind == "quarter":
        return f"{after.year}-Q{(after.month - 1) // 3 + 1}"
    return str(after.year)
