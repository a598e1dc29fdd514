"""Reporting periods of Gongkai datasets: a year (2023), a quarter (2024-Q1) or a month (2024-03).

No CKAN imports, so the rules can be tested alone; validators.py wraps them
for the dataset schema.
"""
from __future__ import annotations

import re
from typing import Any, Optional

# ASCII digits only (\d would take full-width ２０２４), whole string (fullmatch: no trailing newline)
PERIOD_RE = re.compile(r"(?P<year>[0-9]{4})(?:-Q(?P<quarter>[0-9])|-(?P<month>[0-9]{2}))?")
FORMATS = "YYYY, YYYY-Qn or YYYY-MM"
SERIES = "all"  # a resource covering the whole series


def granularity(value: Any) -> Optional[str]:
    """'year', 'quarter' or 'month' for a valid period, None for anything else."""
    match = PERIOD_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match["year"]) < 1000:
        return None
    if match["quarter"] is not None:
        return "quarter" if 1 <= int(match["quarter"]) <= 4 else None
    if match["month"] is not None:
        return "month" if 1 <= int(match["month"]) <= 12 else None
    return "year"


def period_error(value: Any) -> Optional[str]:
    """Why `value` is not a period, or None when it is one."""
    if granularity(value) is not None:
        return None
    return (f"期间格式应为 YYYY、YYYY-Qn 或 YYYY-MM（如 2023、2024-Q1、2024-03） / "
            f"period must be {FORMATS} (e.g. 2023, 2024-Q1, 2024-03), got {value!r}")


def order_error(start: Any, end: Any) -> Optional[str]:
    """Why (start, end) is not a valid range, or None when it is (or a bound is malformed,
    which the per-field check reports).

    Both bounds use the same granularity; within one granularity the text order
    is the time order (2023 < 2024, 2024-Q1 < 2024-Q4, 2024-01 < 2024-12).
    """
    start_kind, end_kind = granularity(start), granularity(end)
    if start_kind is None or end_kind is None:
        return None
    if start_kind != end_kind:
        return (f"期初与期末的粒度不同 / period_start ({start}) and period_end ({end}) "
                "must both be years, both quarters or both months")
    if str(end) < str(start):
        return "期末早于期初 / period_end is before period_start"
    return None
