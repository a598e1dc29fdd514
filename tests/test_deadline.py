"""Publication deadlines follow China's official calendar, make-up workdays included."""

import datetime as dt

import pytest

from cli import gongkai
from gongkai.deadline import add_working_days, publication_deadline, timeliness
from gongkai.periods import next_period



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


def test_a_make_up_sunday_before_national_day_counts_too():
    # 2024-08 ends on Saturday 31 August; Saturday 14 September and Sunday 29 September are worked.
    assert publication_deadline("2024-08", 20) == dt.date(2024, 9, 29)


# -- on time, late, overdue (gongkai deadlines), with fixed days around 国庆 2024 ---------------------

D = dt.date


def test_september_published_on_its_due_day_is_on_time_and_october_is_due_in_november():
    state = timeliness("month", 10, {"2024-08": D(2024, 9, 12), "2024-09": D(2024, 10, 18)}, today=D(2024, 10, 21))
    assert (state.last_period, state.due, state.published, state.status) == ("2024-09", D(2024, 10, 18),
                                                                            D(2024, 10, 18), "on-time")
    assert (state.next_period, state.next_due) == ("2024-10", D(2024, 11, 14))


def test_published_the_day_after_the_make_up_saturday_deadline_is_late():
    # Due Friday 18 October (the holiday week does not count, Saturday 12 October does).
    state = timeliness("month", 10, {"2024-09": D(2024, 10, 19)}, today=D(2024, 10, 21))
    assert (state.status, state.days_late) == ("late", 1)


def test_the_next_period_past_its_due_date_unpublished_is_overdue():
    published = {"2024-09": D(2024, 10, 10)}
    assert timeliness("month", 10, published, today=D(2024, 11, 14)).status == "on-time"   # due that day
    assert timeliness("month", 10, published, today=D(2024, 11, 15)).status == "overdue"


def test_before_any_release_the_last_ended_period_is_next():
    state = timeliness("month", 10, {}, today=D(2024, 10, 8))
    assert (state.last_period, state.status, state.next_period, state.next_due) == (
        None, "not-published", "2024-09", D(2024, 10, 18))
    assert timeliness("year", 20, {}, today=D(2025, 3, 1)).status == "overdue"   # 2024 was due in February


@pytest.mark.parametrize("period, after", [("2024-12", "2025-01"), ("2024-Q4", "2025-Q1"), ("2024-Q2", "2024-Q3"),
                                           ("2023", "2024")])
def test_the_next_period_keeps_the_granularity(period, after):
    assert next_period(period) == after


def test_a_first_release_after_its_due_date_is_a_warning_in_the_report():
    from gongkai.deadline import check_on_time
    from gongkai.problems import Problems

    problems = Problems()   # relief-recipients: 10 working days
    check_on_time("2024-09", 10, D(2024, 10, 18), problems)
    assert list(problems) == []
    check_on_time("2024-09", 10, D(2024, 10, 21), problems)
    [late] = problems
    assert (late.slug, late.severity.value, late.params["due"], late.params["days"]) == (
        "published-late", "warning", "2024-10-18", 3)
    assert "2024-10-18" in late.message_zh and "3 days late" in late.message_en


def test_the_deadlines_command_reads_local_releases_when_the_portal_is_down(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path))
    monkeypatch.setenv("GONGKAI_CKAN_URL", "http://127.0.0.1:9")     # nothing listens: the portal is down
    monkeypatch.setenv("GONGKAI_CKAN_TOKEN", "unused")
    stored = tmp_path / "relief-recipients" / "releases" / "2024-09" / "relief-recipients-2024-09.parquet"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"PAR1")
    day = dt.datetime(2024, 10, 19, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    os.utime(stored, (day, day))
    result = gongkai("deadlines", "--today", "2024-10-21")
    assert result.exit_code == 0, result.output
    assert "this machine's releases" in result.output
    row = next(line for line in result.output.splitlines() if "relief-recipients" in line)
    for shown in ("2024-09", "2024-10-18", "2024-10-19", "late", "+1 d", "2024-10", "2024-11-14"):
        assert shown in row, row
    lottery = next(line for line in result.output.splitlines() if "lottery-fund" in line)
    assert "overdue" in lottery and "2023" in lottery and "2024-01-29" in lottery   # never published, 2023 due
