"""Releases on the real portal: three months, then a correction of February (issue 8, acceptance 1).

r1 stays downloadable at its old URL with its old sha256, r2 is added beside it, the series and
the DataStore table use r2, the changelog and `gongkai diff` list the changed cells old → new,
and the version follows the rule (1.0.0, a new period +minor, a correction +patch).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import shutil

import pandas as pd
import pytest
import requests

from cli import gongkai
from gongkai.cli import _load_flow
from gongkai.flow import RunFailed
from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
PERIODS = ["2024-01", "2024-02", "2024-03"]
COUNTY, FEBRUARY_CSV = "禄丰市", "禄丰市2024年02月低保统计.csv"
REASON = "禄丰市更正2月农村低保人数（乡镇漏报）"


def download(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


def by_name(dataset: dict) -> dict[str, dict]:
    return {r["name"]: r for r in dataset["resources"]}


@pytest.fixture(scope="module")
def corrected_sources(samples, make_samples, tmp_path_factory):
    """The samples with February's first township of 禄丰市 reporting 3 more rural persons (total too)."""
    directory, figures = samples
    folder = tmp_path_factory.mktemp("corrected") / "sources"
    shutil.copytree(directory, folder)
    month = copy.deepcopy(figures[(COUNTY, "2024-02")])
    township = next(iter(month))
    month[township]["rural_persons"] += 3
    make_samples.write_csv(folder / FEBRUARY_CSV, make_samples.layout(COUNTY, "2024-02", month),
                           repeat_parents=True)
    return folder, township, figures[(COUNTY, "2024-02")][township]["rural_persons"]


@pytest.fixture(scope="module")
def released(isolated_dataset, samples, corrected_sources, prefect_backend, approve):
    """Three months published; February's r1 as it was; then the correction, then the same again."""
    directory, _ = samples
    flow = functools.partial(_load_flow(), dataset="relief-recipients")
    portal = connect(portal_settings())
    versions = []
    for period in PERIODS:
        assert approve(flow(period=period, source=str(directory)))["status"] == "published"
        versions.append(portal.action.package_show(id=isolated_dataset)["version"])
    before = portal.action.package_show(id=isolated_dataset)
    r1 = by_name(before)["relief-recipients-2024-02.csv"]
    r1_bytes = download(r1["url"])
    with pytest.raises(RunFailed) as refused:
        flow(period="2024-02", source=str(corrected_sources[0]))
    refused_state = portal.action.package_show(id=isolated_dataset)
    correction = approve(flow(period="2024-02", source=str(corrected_sources[0]), correction=REASON))
    rerun = approve(flow(period="2024-02", source=str(corrected_sources[0]), correction=REASON))
    after = portal.action.package_show(id=isolated_dataset)
    return dict(portal=portal, versions=versions, before=before, r1=r1, r1_bytes=r1_bytes,
                refused=refused.value.report, refused_state=refused_state, correction=correction,
                rerun=rerun, after=after)


def test_the_version_follows_the_rule(released):
    assert released["versions"] == ["1.0.0", "1.1.0", "1.2.0"]
    assert released["after"]["version"] == "1.2.1"
    assert released["correction"]["release"] | {"changes": None} == {
        "revision": "r2", "kind": "correction", "reason": REASON, "version": "1.2.1", "changes": None}


def test_a_changed_month_without_correction_is_refused_and_publishes_nothing(released, corrected_sources):
    report = released["refused"]
    assert report.status == "failed"
    problem = next(p for p in report.problems.errors if p.slug == "correction-required")
    assert "2024-02 is already published (r1)" in problem.message_en and "--correction" in problem.kind.fix_en
    assert "已发布（r1）" in problem.message_zh
    assert released["refused_state"]["resources"] == released["before"]["resources"]
    assert released["refused_state"]["version"] == "1.2.0"
    # The report shows what changed: the one cell, old → new.
    _, township, persons = corrected_sources
    cells = report.release["changes"]["cells"]
    assert [(c["name"], c["field"], c["old"], c["new"]) for c in cells] == [
        (township, "rural_persons", str(persons), str(persons + 3))]


def test_r1_stays_downloadable_at_its_old_url_and_r2_is_added(released):
    after = by_name(released["after"])
    r1 = released["r1"]
    assert after["relief-recipients-2024-02.csv"]["id"] == r1["id"]
    assert after["relief-recipients-2024-02.csv"]["url"] == r1["url"]
    content = download(r1["url"])
    assert content == released["r1_bytes"] and hashlib.sha256(content).hexdigest() == r1["hash"]
    r2 = after["relief-recipients-2024-02-r2.csv"]
    assert r2["revision"] == "r2" and r2["id"] != r1["id"]
    assert hashlib.sha256(download(r2["url"])).hexdigest() == r2["hash"]
    record = json.loads(r2["release"])
    assert record["reason"] == REASON and record["changes"]["cells_changed"] == 1
    assert record["schema_sha256"] and record["code_version"] and record["rows"] > 0
    assert FEBRUARY_CSV in {s["name"] for s in record["sources"]}
    # Every other resource of the last release is still there: nothing but the series files was replaced.
    kept = {name for name in by_name(released["before"]) if not name.startswith(("relief-recipients-all",
                                                                                 "datapackage", "relief-recipients-changelog"))}
    assert kept <= set(after)
    names = [r["name"] for r in released["after"]["resources"]]
    assert len(names) == len(set(names))
    names = [n for n in names if not n.endswith("-anonymization.json")]   # each beside its period's files
    names = names[:5] + sorted(names[5:7]) + names[7:]                     # the two charts, in either order
    assert names == ["relief-recipients-all.csv", "relief-recipients-all.parquet", "relief-recipients-datastore",
                     "datapackage.json", "relief-recipients-changelog.md",
                     *sorted(n for n in names if n.endswith(".png")),
                     "relief-recipients-2024-03.csv", "relief-recipients-2024-03.parquet",
                     "relief-recipients-2024-02-r2.csv", "relief-recipients-2024-02-r2.parquet",
                     "relief-recipients-2024-02.csv", "relief-recipients-2024-02.parquet",
                     "relief-recipients-2024-01.csv", "relief-recipients-2024-01.parquet"]


def test_the_series_and_the_datastore_use_r2(released, corrected_sources):
    after, portal = by_name(released["after"]), released["portal"]
    _, township, persons = corrected_sources
    series = pd.read_parquet(io.BytesIO(download(after["relief-recipients-all.parquet"]["url"])))
    row = series[(series.period == "2024-02") & (series.region_name == township) & (series.county_name == COUNTY)]
    assert row.rural_persons.tolist() == [persons + 3]
    assert not series.duplicated(["period", "region_code"]).any()      # r2 replaced r1 in the series
    table = after["relief-recipients-datastore"]
    assert table["id"] == by_name(released["before"])["relief-recipients-datastore"]["id"]   # a stable table name
    assert table["datastore_sha256"] == after["relief-recipients-all.csv"]["hash"]
    records = portal.action.datastore_search_sql(sql=(
        f"SELECT rural_persons FROM \"{table['id']}\" WHERE period = '2024-02' "
        f"AND county_name = '{COUNTY}' AND region_name = '{township}'"))["records"]
    assert [int(r["rural_persons"]) for r in records] == [persons + 3]
    package = json.loads(download(after["datapackage.json"]["url"]))
    paths = {r["path"] for r in package["resources"]}
    assert after["relief-recipients-2024-02-r2.csv"]["url"] in paths
    assert released["r1"]["url"] not in paths and package["version"] == "1.2.1"


def test_the_changelog_and_release_history_list_the_correction_old_to_new(released, corrected_sources):
    after = by_name(released["after"])
    _, township, persons = corrected_sources
    changelog = download(after["relief-recipients-changelog.md"]["url"]).decode("utf-8")
    assert "## 1.2.1 — 2024-02 r2 (更正 correction)" in changelog and REASON in changelog
    assert f"| {township} | rural_persons | {persons} | {persons + 3} |" in changelog
    for version in ("1.2.0 — 2024-03 r1", "1.1.0 — 2024-02 r1", "1.0.0 — 2024-01 r1"):
        assert f"## {version}" in changelog
    schema = released["portal"].action.scheming_dataset_schema_show(type="dataset")
    if "release_history" not in {f["field_name"] for f in schema["dataset_fields"]}:
        pytest.skip("the running portal's schema predates release_history: restart it (portal/portalctl up)")
    history = json.loads(released["after"]["release_history"])
    assert [(h["version"], h["period"], h["revision"], h["kind"]) for h in history] == [
        ("1.2.1", "2024-02", "r2", "correction"), ("1.2.0", "2024-03", "r1", "period"),
        ("1.1.0", "2024-02", "r1", "period"), ("1.0.0", "2024-01", "r1", "period")]
    assert history[0]["changes"] == {"rows_added": 0, "rows_removed": 0, "cells_changed": 1}
    assert history[0]["files"]["CSV"] == after["relief-recipients-2024-02-r2.csv"]["url"]
    assert history[2]["files"]["CSV"] == released["r1"]["url"] and history[0]["review"]


def test_the_same_correction_again_publishes_nothing(released):
    assert released["rerun"]["status"] == "unchanged" and released["rerun"]["uploaded"] == []


def test_gongkai_diff_prints_the_changed_cells_even_on_a_new_machine(released, corrected_sources, isolated_dataset):
    import os
    from pathlib import Path

    shutil.rmtree(Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "releases")   # restored from the portal
    _, township, persons = corrected_sources
    result = gongkai("diff", "relief-recipients", "2024-02", "r1", "r2")
    assert result.exit_code == 0, result.output
    assert "0 行新增 rows added, 0 行删除 removed, 1 处变化 cells changed" in result.output
    line = next(line for line in result.output.splitlines() if township in line)
    assert "rural_persons" in line and str(persons) in line and str(persons + 3) in line
    missing = gongkai("diff", "relief-recipients", "2024-02", "r1", "r5")
    assert missing.exit_code == 1 and "r5" in missing.output
