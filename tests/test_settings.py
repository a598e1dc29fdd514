"""Settings a data officer can change: the retry waits (the suite runs with tiny ones)."""

import re

import pytest

from gongkai.settings import ROOT, SettingsError, retry_delays


def test_without_the_setting_the_retries_wait_what_the_readme_says(monkeypatch):
    monkeypatch.delenv("GONGKAI_RETRY_DELAYS")
    said = re.search(r"three times, after (\d+), (\d+) and (\d+) seconds", (ROOT / "README.md").read_text())
    assert said, "the README no longer says how long the retries wait"
    assert retry_delays() == [float(s) for s in said.groups()] == [2, 10, 30]


def test_the_setting_gives_the_waits_and_their_number(monkeypatch):
    monkeypatch.setenv("GONGKAI_RETRY_DELAYS", "5, 30,120,600")
    assert retry_delays() == [5, 30, 120, 600]


@pytest.mark.parametrize("raw", ["fast", "2,-1", ","])
def test_a_bad_setting_is_refused_with_the_example(monkeypatch, raw):
    monkeypatch.setenv("GONGKAI_RETRY_DELAYS", raw)
    with pytest.raises(SettingsError, match="e.g. 2,10,30") as refused:
        retry_delays()
    assert "GONGKAI_RETRY_DELAYS 应为逗号分隔的秒数" in str(refused.value)
