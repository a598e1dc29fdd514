"""Publication deadlines follow China's official calendar, make-up workdays included."""

import datetime as dt

import pytest

from gongkai.deadline import add_working_days, publication_deadline



@pytest.mark.parametrize("period, deadline", [
    ("2024-03", "2024-04-15"),  # 清明 4-6 April off, Sunday 7 April worked
    ("2024-09", "2024-10-18"),  # 国庆 1-7 October off, Saturday 12 October worked
    ("2024-06", "2024-07-12"),  # no holiday: two plain weeks
])
def test_deadline_counts_official_working_days(period, deadline):
    assert publication_deadline(period, 10).isoformat() == deadline


@pytest.mark.parametrize("period, deadline", [
    ("2024-Q3", "2024-10-18"),  # a quarter ends with its last month: 国庆 then the make-up Saturday
    ("2023", "2024-01-15"),     # a year ends on 31 December; 元旦 1 January is off
])
def test_quarters_and_years_end_where_their_last_month_ends(period, deadline):
    assert publication_deadline(period, 10).isoformat() == deadline


def test_a_make_up_saturday_counts_as_a_working_day():
    assert add_working_days(dt.date(2024, 10, 11), 1) == dt.date(2024, 10, 12)
