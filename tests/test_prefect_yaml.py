"""prefect.yaml against the flow and the specs, without a server: every deployment could start.

A deployment whose parameters the flow does not take is registered fine and accepted by the server
(its schema allows extra properties), then every scheduled run crashes in the worker; these checks
catch that, a dataset without its deployment, and a schedule that does not fit the spec's frequency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint
from prefect.server.schemas.schedules import CronSchedule

from gongkai.deadline import publication_deadline
from gongkai.flow import scheduled_period
from gongkai.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
DEPLOYMENTS = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
SPECS = {spec.name: spec for spec in map(load_spec, sorted((REPO / "datasets").glob("*.yaml")))}
ENTRYPOINT = "flows/publish_dataset.py:publish_dataset"
IDS = [d["name"] for d in DEPLOYMENTS]


@pytest.fixture(scope="module")
def flow():
    return load_flow_from_entrypoint(str(REPO / ENTRYPOINT))


def test_every_shipped_spec_has_exactly_one_deployment():
    deployed = Counter(d.get("parameters", {}).get("dataset") for d in DEPLOYMENTS)
    assert deployed == Counter(list(SPECS)), "one deployment per datasets/*.yaml, each naming its dataset"


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=IDS)
def test_a_deployment_runs_the_generic_flow_on_a_shipped_dataset(deployment):
    assert deployment["entrypoint"] == ENTRYPOINT
    assert deployment["parameters"]["dataset"] in SPECS
    assert deployment["name"] == deployment["parameters"]["dataset"]   # publish-dataset/<dataset>
    assert deployment["enforce_parameter_schema"] is True
    assert (deployment["work_pool"]["name"], deployment["work_pool"]["work_queue_name"]) == ("gongkai", "default")


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=IDS)
def test_a_deployment_passes_only_parameters_the_flow_takes(deployment, flow):
    # What the worker does before the run starts: an unknown name (SignatureMismatchError) or a
    # wrong type (ParameterTypeError) raises here.
    flow.validate_parameters(deployment["parameters"])


@pytest.mark.parametrize("parameters", [{"dataset": "relief-roster", "reviewer": "数据专员"},
                                        {"dataset": "relief-roster", "review_timeout_seconds": "a day"}],
                         ids=["unknown-name", "wrong-type"])
def test_the_parameter_check_refuses_what_would_crash_a_run(parameters, flow):
    with pytest.raises(Exception, match="reviewer|review_timeout_seconds"):
        flow.validate_parameters(parameters)


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=IDS)
def test_a_deployment_runs_once_per_period_of_its_frequency_before_the_deadline(deployment):
    """Over 2024 the schedule fires once in each period (a monthly cron on an annual dataset would
    publish one year twelve times; an annual cron on a monthly one would skip eleven months), and
    each run, publishing the period just ended, starts before that period's 公开时限."""
    spec = SPECS[deployment["parameters"]["dataset"]]
    assert len(deployment["schedules"]) == 1, deployment["schedules"]
    schedule = CronSchedule(**deployment["schedules"][0])
    china = ZoneInfo("Asia/Shanghai")
    dates = schedule.get_dates(start=dt.datetime(2024, 1, 1, tzinfo=china), end=dt.datetime(2025, 1, 1, tzinfo=china))
    runs = [when.date() for when in asyncio.run(dates)]
    periods = [scheduled_period(spec, today=day) for day in runs]
    year = {"month": 12, "quarter": 4, "year": 1}[spec.granularity]
    assert len(periods) == len(set(periods)) == year, (spec.frequency, schedule.cron, periods)
    late = [(period, day) for period, day in zip(periods, runs)
            if day > publication_deadline(period, spec.deadline.working_days)]
    assert not late, f"{spec.name}: runs after the deadline of the period they publish: {late}"


def test_the_schedules_are_the_times_the_readme_gives():
    """README "Scheduled runs": monthly at 09:00 Beijing time on the 3rd, annual at 09:00 on 15 January."""
    readme = {"monthly": [{"cron": "0 9 3 * *", "timezone": "Asia/Shanghai"}],
              "annual": [{"cron": "0 9 15 1 *", "timezone": "Asia/Shanghai"}]}
    assert {d["name"]: d["schedules"] for d in DEPLOYMENTS} == {
        d["name"]: readme[SPECS[d["parameters"]["dataset"]].frequency] for d in DEPLOYMENTS}
