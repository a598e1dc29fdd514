"""A portal that does not answer is retried; a portal that says no, or bad data, never is."""

import pytest
from prefect import flow

from gongkai.flow import stage_task
from gongkai.publish import PortalRefused, PortalUnreachable

pytestmark = [pytest.mark.integration]


def run_failing_stage(error: Exception) -> int:
    calls = []

    def talk_to_portal():
        calls.append(1)
        raise error

    stage = stage_task("publish", talk_to_portal).with_options(retry_delay_seconds=0)

    @flow
    def publishing():
        stage()

    with pytest.raises(type(error)):
        publishing()
    return len(calls)


def test_an_unreachable_portal_is_tried_four_times(prefect_backend):
    assert run_failing_stage(PortalUnreachable("connection refused")) == 4


def test_a_refusal_is_not_retried(prefect_backend):
    assert run_failing_stage(PortalRefused("token refused")) == 1


def test_an_unexpected_error_is_not_retried(prefect_backend):
    assert run_failing_stage(ValueError("bug")) == 1
