"""Cheap unchanged reruns against the real portal: a period whose sources, spec and code are
unchanged is not processed again, yet a changed input, a lost local store or a wiped portal
still gets a full run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cli import gongkai
from gongkai.cli import _load_flow
from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
PERIOD = "2024-01"


def out() -> Path:
    return Path(os.environ["GONGKAI_OUT"]) / "relief-recipients"


def release_inode() -> int:
    return (out() / "releases" / PERIOD).stat().st_ino   # a full run stages and renames a new folder


def cli_run(directory: Path) -> dict:
    result = gongkai("run", "relief-recipients", "--period", PERIOD, "--source", str(directory))
    assert result.exit_code == 0, result.output
    reports = sorted((out() / "reports").glob(f"{PERIOD}-*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first(isolated_dataset, samples, prefect_backend, approve):
    directory, _ = samples
    report = approve(_load_flow()(dataset="relief-recipients", period=PERIOD, source=str(directory)))
    return directory, report


def test_the_fingerprint_is_recorded_only_once_the_portal_took_the_release(first):
    _, report = first
    assert report["status"] == "published"
    record = json.loads((out() / "fingerprints" / f"{PERIOD}.json").read_text(encoding="utf-8"))
    assert record["rows"] == report["rows"] > 0
    assert sorted(record["files"]) == [f"relief-recipients-{PERIOD}.csv", f"relief-recipients-{PERIOD}.parquet"]


def test_an_unchanged_rerun_processes_nothing(first):
    directory, report = first
    before = release_inode()
    rerun = cli_run(directory)
    assert rerun["status"] == "unchanged" and rerun["uploaded"] == []
    assert rerun["rows"] == report["rows"] and "nothing re-processed" in rerun["summary"]
    assert release_inode() == before


def test_a_changed_spec_means_a_full_run(first, isolated_dataset):
    directory, _ = first
    spec_file = Path(os.environ["GONGKAI_DATASETS_DIR"]) / "relief-recipients.yaml"
    spec_file.write_text(spec_file.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    rerun = cli_run(directory)
    assert rerun["status"] == "unchanged" and "nothing re-processed" not in rerun["summary"]   # a full run
    assert rerun["rows"] > 0 and rerun["release"]["kind"] == "unchanged"
    assert cli_run(directory)["summary"].endswith("nothing re-processed")   # recorded again


def test_a_lost_local_release_is_restored_by_a_full_run(first):
    directory, _ = first
    shutil.rmtree(out() / "releases" / PERIOD)
    rerun = cli_run(directory)
    assert rerun["status"] == "unchanged" and "nothing re-processed" not in rerun["summary"]
    assert (out() / "releases" / PERIOD / f"relief-recipients-{PERIOD}.parquet").is_file()


def test_a_wiped_portal_is_republished(first, isolated_dataset):
    directory, _ = first
    connect(portal_settings()).action.dataset_purge(id=isolated_dataset)
    rerun = cli_run(directory)
    assert rerun["status"] == "published"
    dataset = connect(portal_settings()).action.package_show(id=isolated_dataset)
    assert f"relief-recipients-{PERIOD}.csv" in {r["name"] for r in dataset["resources"]}
