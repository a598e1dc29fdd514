"""Disclosure control through the real flow: with complementary suppression switched off in the
spec, the audit fails, the report names the cell, and nothing reaches the portal."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import ckanapi
import pytest
import yaml

from gongkai.cli import _load_flow
from gongkai.flow import RunFailed
from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def no_complementary(tmp_path_factory):
    """The relief spec under a unique CKAN name with `complementary: false`, its own output folder."""
    spec = yaml.safe_load((REPO / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    spec["ckan"]["name"] = f"test-sdc-{uuid.uuid4().hex[:8]}"
    spec["disclosure_control"]["complementary"] = False
    folder = tmp_path_factory.mktemp("sdc")
    (folder / "relief-recipients.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GONGKAI_DATASETS_DIR", str(folder))
        patch.setenv("GONGKAI_OUT", str(folder / "out"))
        yield spec["ckan"]["name"]
    try:
        connect(portal_settings()).action.dataset_purge(id=spec["ckan"]["name"])
    except ckanapi.CKANAPIError:  # the expected case: it never reached the portal
        pass


def test_without_complementary_suppression_the_audit_fails_and_nothing_is_published(
        no_complementary, samples, prefect_backend):
    directory, _ = samples
    with pytest.raises(RunFailed) as failed:
        _load_flow()(dataset="relief-recipients", period="2024-03", source=str(directory))
    report = failed.value.report
    assert report.status == "failed"
    failures = [p for p in report.problems.errors if p.slug == "disclosure-audit-failed"]
    assert {(p.params["region"], p.params["field"]) for p in failures} >= {
        ("己衣镇", "tekun_persons"), ("己衣镇", "tekun_amount"), ("江边乡", "urban_households")}
    jiyi = next(p for p in failures if p.params == {"region": "己衣镇", "cell": "period 2024-03",
                                                     "field": "tekun_persons"})
    assert str(jiyi.where).startswith("武定县低保月报2024.xlsx ! 2024年3月 ! ") and jiyi.where.cell
    text = Path(report.report_file).read_text(encoding="utf-8")
    assert "己衣镇" in text and "审核 / audit: 未通过 FAILED" in text
    # nothing reached the portal and nothing was staged or released
    with pytest.raises(ckanapi.NotFound):
        connect(portal_settings()).action.package_show(id=no_complementary)
    out = Path(os.environ["GONGKAI_OUT"]) / "relief-recipients"
    assert not (out / "staging").exists() and not (out / "releases").exists()
