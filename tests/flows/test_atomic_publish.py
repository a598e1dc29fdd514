"""A release reaches the portal in one step: a publish refused halfway leaves the public dataset as it was."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from gongkai.cli import _load_flow
from gongkai.flow import RunFailed
from gongkai.publish import Publisher, connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]


def public_state(portal, name: str) -> dict:
    dataset = portal.action.package_show(id=name)
    return {"version": dataset["version"], "period_end": dataset["period_end"],
            "resources": sorted((r["name"], r["id"], r["hash"]) for r in dataset["resources"])}


def test_a_release_the_portal_refuses_halfway_changes_nothing(isolated_dataset, samples, prefect_backend,
                                                             monkeypatch):
    directory, _ = samples
    flow = functools.partial(_load_flow(), dataset="relief-recipients")
    assert flow(period="2024-01", source=str(directory))["status"] == "published"
    portal = connect(portal_settings())
    before = public_state(portal, isolated_dataset)

    # February's release sends five files and new metadata; the portal refuses the last file
    # (an invalid period), as a portal failing halfway through a release would.
    original = Publisher._revise

    def revise_with_a_refused_last_file(self, dataset, existing, ids, changed, metadata):
        changed = changed[:-1] + [dataclasses.replace(changed[-1], period="2024-13")]
        return original(self, dataset, existing, ids, changed, metadata)

    monkeypatch.setattr(Publisher, "_revise", revise_with_a_refused_last_file)
    with pytest.raises(RunFailed) as failed:
        flow(period="2024-02", source=str(directory))
    assert failed.value.report.status == "refused"
    assert public_state(portal, isolated_dataset) == before      # no file, no version, no metadata changed

    monkeypatch.undo()
    assert flow(period="2024-02", source=str(directory))["status"] == "published"
    after = public_state(portal, isolated_dataset)
    assert after["version"] == "2024-02"
    names = [name for name, _, _ in after["resources"]]
    assert len(names) == len(set(names)) == 9   # two months × (CSV, Parquet, anonymization), the series × 2, datapackage
    kept = {name: rid for name, rid, _ in before["resources"]}
    assert all(kept[name] == rid for name, rid, _ in after["resources"] if name in kept)   # stable URLs
    # The page lists the series first, then the periods newest first.
    listed = [r["name"] for r in portal.action.package_show(id=isolated_dataset)["resources"]]
    assert listed == ["relief-recipients-all.csv", "relief-recipients-all.parquet", "datapackage.json",
                      "relief-recipients-2024-02.csv", "relief-recipients-2024-02.parquet",
                      "relief-recipients-2024-02-anonymization.json",
                      "relief-recipients-2024-01.csv", "relief-recipients-2024-01.parquet",
                      "relief-recipients-2024-01-anonymization.json"]
