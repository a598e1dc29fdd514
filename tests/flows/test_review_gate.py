"""The review gate (保密审查) against the real portal: `gongkai run` stops awaiting review, `gongkai review`
shows the release and decides; a rejection publishes nothing, and a release changed after its checks or
while the reviewer decides is refused. The tests run in order on one isolated dataset."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from pathlib import Path

import ckanapi
import pytest

from cli import GONGKAI, gongkai
from gongkai.cli import _load_flow

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow, pytest.mark.usefixtures("prefect_backend")]

PERIOD = "2024-01"
REVIEWER = "测试审查人 / test reviewer"
APPROVE = ("--approve", "--reviewer", REVIEWER, "--comment", "核对无误 / checked")


def staging(period: str = PERIOD) -> Path:
    return Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "staging" / period


def stage_json(period: str = PERIOD) -> dict:
    return json.loads((staging(period) / "stage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stage(isolated_dataset, samples, prefect_backend):
    """Stage the month again (the flow in this process: quicker than the CLI), as a rerun would."""
    flow = functools.partial(_load_flow(), dataset="relief-recipients", source=str(samples[0]))

    def stage_again(period: str = PERIOD) -> dict:
        report = flow(period=period)
        assert report["status"] == "awaiting-review", report["summary"]
        return report

    return stage_again


def published(portal, name: str) -> dict | None:
    try:
        return portal.action.package_show(id=name)
    except ckanapi.NotFound:
        return None


def test_run_stops_awaiting_review_and_sends_nothing(isolated_dataset, samples, portal):
    done = gongkai("run", "relief-recipients", "--period", PERIOD, "--source", str(samples[0]))
    assert done.exit_code == 5, done.output
    assert "awaiting review" in done.stdout and "nothing was sent to the portal" in done.stdout
    assert f"gongkai review relief-recipients {PERIOD}" in done.stdout
    assert published(portal, isolated_dataset) is None
    assert stage_json()["period"] == PERIOD


def test_review_shows_the_release_and_a_rejection_publishes_nothing(isolated_dataset, samples, portal):
    _, figures = samples
    done = gongkai("review", "relief-recipients", PERIOD, "--reject", "--reviewer", REVIEWER,
                   "--comment", "数字待核实 / figures to be checked")
    assert done.exit_code == 6, done.output
    assert stage_json()["fingerprint"] in done.stdout            # what exactly is being decided on
    assert f"rows: {stage_json()['rows']}" in done.stdout
    assert "never published before" in done.stdout and "PII scan" in done.stdout
    assert "rejected" in done.stdout and "kept for inspection" in done.stdout
    assert published(portal, isolated_dataset) is None
    record = json.loads((staging() / "review.json").read_text(encoding="utf-8"))
    assert (record["decision"], record["reviewer"]) == ("reject", REVIEWER)
    assert list((staging().parents[1] / "reviews").glob(f"{PERIOD}-*-reject.json"))

    again = gongkai("review", "relief-recipients", PERIOD, *APPROVE)
    assert again.exit_code == 1 and "rejected" in again.stdout, again.stdout
    assert published(portal, isolated_dataset) is None


def test_a_staged_file_changed_after_the_checks_is_refused(isolated_dataset, stage, portal):
    stage()
    csv = staging() / f"relief-recipients-{PERIOD}.csv"
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace("武定县", "武定县 ", 1), encoding="utf-8-sig")
    done = gongkai("review", "relief-recipients", PERIOD, *APPROVE)
    assert done.exit_code == 1, done.output
    assert "not what was checked and reviewed" in done.stdout and csv.name in done.stdout
    assert "nothing was published" in done.stdout
    assert published(portal, isolated_dataset) is None


def test_a_file_changed_while_the_reviewer_decides_is_refused(isolated_dataset, stage, portal):
    stage()
    # A real process: the reviewer answers on its terminal while someone changes the staged files.
    reviewing = subprocess.Popen([str(GONGKAI), "review", "relief-recipients", PERIOD], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    shown = b""
    deadline = time.monotonic() + 120
    while b"decision" not in shown and time.monotonic() < deadline and reviewing.poll() is None:
        shown += os.read(reviewing.stdout.fileno(), 4096)
    assert b"decision" in shown, shown.decode(errors="replace")
    series = staging() / "all" / "relief-recipients-all.parquet"
    series.write_bytes(series.read_bytes() + b"\0")           # someone touches the staging meanwhile
    output, _ = reviewing.communicate(f"approve\n{REVIEWER}\n好\n".encode(), timeout=120)
    text = (shown + output).decode()
    assert reviewing.returncode == 1, text
    assert "not what was checked and reviewed" in text and series.name in text
    assert published(portal, isolated_dataset) is None


def test_other_content_after_the_approval_is_not_sent(isolated_dataset, stage, samples, portal):
    """The publishing run after an approval stages the sources again: if they changed since the review,
    the approval (bound to the fingerprint reviewed) does not cover them and nothing is sent."""
    from gongkai import review
    from gongkai.spec import load_spec

    period = "2024-02"   # its own content: this approval must not stand for 2024-01's
    stage(period)
    spec = load_spec("relief-recipients")
    review.record_decision(spec, period, stage_json(period)["fingerprint"], reviewer=REVIEWER,
                           decision="approve", comment="")
    one_county = samples[0] / "禄丰市2024年02月低保统计.csv"   # the sources now hold one county only
    report = _load_flow()(dataset="relief-recipients", period=period, source=str(one_county))
    assert report["status"] == "awaiting-review", report["summary"]
    assert published(portal, isolated_dataset) is None


def test_an_approval_publishes_the_release_with_its_review_record(isolated_dataset, stage, portal):
    stage()
    fingerprint = stage_json()["fingerprint"]
    done = gongkai("review", "relief-recipients", PERIOD, *APPROVE)
    assert done.exit_code == 0, done.output
    assert "published" in done.stdout
    dataset = published(portal, isolated_dataset)
    assert dataset["version"] == "1.0.0"   # the first release
    assert dataset["reviewed_by"] == REVIEWER and "PII scan" in dataset["review_checks"]
    release = staging().parents[1] / "releases" / PERIOD
    record = json.loads((release / "review.json").read_text(encoding="utf-8"))
    assert (record["decision"], record["sha256"], record["at"]) == ("approve", fingerprint, dataset["reviewed_at"])
    assert not staging().exists()
    # The fields this branch adds to the scheming schema show once the portal runs it (restarted).
    served = {f["field_name"] for f in portal.action.scheming_dataset_schema_show(type="dataset")["dataset_fields"]}
    expected = {"review_decision": "approve", "review_comment": "核对无误 / checked", "review_sha256": fingerprint}
    for field, value in expected.items():
        if field in served:
            assert dataset[field] == value
