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
                                                             monkeypatch, approve):
    directory, _ = samples
    flow = functools.partial(_load_flow(), dataset="relief-recipients")
    assert approve(flow(period="2024-01", source=str(directory)))["status"] == "published"
    portal = connect(portal_settings())
    before = public_state(portal, isolated_dataset)

    # February's release sends five files and new metadata; the portal refuses the last file
    # (an invalid period), as a portal failing halfway through a release would.
    original = Publisher._revise

    def revise_with_a_refused_last_file(self, dataset, ids, changed, metadata, *rest):
        changed = changed[:-1] + [dataclasses.replace(changed[-1], period="2024-13")]
        return original(self, dataset, ids, changed, metadata, *rest)

    monkeypatch.setattr(Publisher, "_revise", revise_with_a_refused_last_file)
    with pytest.raises(RunFailed) as refused:   # the publishing run after the approval
        approve(flow(period="2024-02", source=str(directory)))
    assert refused.value.report.status == "refused"
    assert public_state(portal, isolated_dataset) == before      # no file, no version, no metadata changed

    monkeypatch.undo()
    # The rerun stages the same content, which the reviewer approved: it is published on that approval.
    assert flow(period="2024-02", source=str(directory))["status"] == "published"
    after = public_state(portal, isolated_dataset)
    assert after["version"] == "1.1.0"                            # a new period: +minor
    names = [name for name, _, _ in after["resources"]]
    assert len(names) == len(set(names)) == 13    # two months × (CSV, Parquet, anonymization), the series × 2, its table,
                                                  # datapackage, changelog, 2 charts
    kept = {name: rid for name, rid, _ in before["resources"]}
    # January's files keep their URLs; a file whose content changed is a new resource, never overwritten.
    assert all(kept[name] == rid for name, rid, _ in after["resources"] if name.startswith("relief-recipients-2024-01"))
    assert all(kept[name] != rid for name, rid, _ in after["resources"]
               if name in ("relief-recipients-all.csv", "relief-recipients-all.parquet", "datapackage.json"))
    assert kept["relief-recipients-datastore"] == dict((n, r) for n, r, _ in after["resources"])[
        "relief-recipients-datastore"]                          # the DataStore table keeps its name
    # The page lists the series first, then the periods newest first.
    listed = [r["name"] for r in portal.action.package_show(id=isolated_dataset)["resources"]]
    assert listed == ["relief-recipients-all.csv", "relief-recipients-all.parquet", "relief-recipients-datastore",
                      "datapackage.json", "relief-recipients-changelog.md",
                      "relief-recipients-amount-trend.png", "relief-recipients-persons-trend.png",
                      "relief-recipients-2024-02.csv", "relief-recipients-2024-02.parquet",
                      "relief-recipients-2024-02-anonymization.json",
                      "relief-recipients-2024-01.csv", "relief-recipients-2024-01.parquet",
                      "relief-recipients-2024-01-anonymization.json"]
