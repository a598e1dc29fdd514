"""The monthly flow end to end: sample spreadsheets in, datasets on the real local portal out."""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ckanapi
import pandas as pd
import pytest
import requests

from gongkai.anonymize import scan_text
from gongkai.cli import _load_flow
from gongkai.flow import RunFailed
from gongkai.normalize import normalize
from gongkai.extract import find_sources
from gongkai.problems import Problems, Where
from gongkai.spec import load_spec

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
PERIODS = ["2024-01", "2024-02", "2024-03"]
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


@pytest.fixture(scope="module")
def flow():
    return functools.partial(_load_flow(), dataset="relief-recipients")


@pytest.fixture(scope="module")
def published(isolated_dataset, samples, prefect_backend, flow, portal, approve):
    """Three months published in order (each approved by the test reviewer), then the last month run again."""
    directory, _ = samples
    reports = [approve(flow(period=period, source=str(directory))) for period in PERIODS]
    rerun = flow(period="2024-03", source=str(directory))
    return portal.action.package_show(id=isolated_dataset), reports, rerun


def download(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


def test_each_month_is_published_and_a_rerun_uploads_nothing(published):
    dataset, reports, rerun = published
    assert [r["status"] for r in reports] == ["published"] * 3
    assert rerun["status"] == "unchanged" and rerun["uploaded"] == []
    names = {r["name"] for r in dataset["resources"]}
    for period in PERIODS:
        assert {f"relief-recipients-{period}.csv", f"relief-recipients-{period}.parquet"} <= names
    assert {"relief-recipients-all.csv", "relief-recipients-all.parquet", "datapackage.json",
            "relief-recipients-datastore", "relief-recipients-changelog.md"} <= names
    assert dataset["version"] == "1.2.0"   # 1.0.0, then +minor a month
    assert (dataset["period_start"], dataset["period_end"]) == ("2024-01", "2024-03")
    assert dataset["disclosure"] == "proactive" and dataset["department"] == "社会救助科"
    # 10 working days after 31 March: 清明 is 4-6 April and Sunday 7 April is a make-up workday.
    assert dataset["publication_deadline"] == "2024-04-15"


def test_a_new_machine_restores_published_months_and_uploads_nothing(published, samples, flow):
    directory, _ = samples
    releases = Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "releases"
    shutil.rmtree(releases)
    report = flow(period="2024-03", source=str(directory))
    assert report["status"] == "unchanged", report["uploaded"]
    assert sorted(p.name for p in releases.iterdir()) == PERIODS


def test_parquet_from_the_portal_equals_the_validated_table_and_the_source_figures(published, samples):
    dataset, _, _ = published
    directory, figures = samples
    series = next(r for r in dataset["resources"] if r["name"] == "relief-recipients-all.parquet")
    frame = pd.read_parquet(io.BytesIO(download(series["url"])), dtype_backend="numpy_nullable")
    spec = load_spec("relief-recipients")
    files = find_sources(spec, directory, Problems())     # 牟定县's other template included
    validated = pd.concat([normalize(spec, files, period, Problems()).frame for period in PERIODS])
    key = ["period", "region_code"]
    published = frame.sort_values(key).reset_index(drop=True)
    validated = validated.sort_values(key).reset_index(drop=True)
    # Every published value is the validated one; a suppressed one is empty with its flag C.
    flags = [c for c in published.columns if c.endswith("_flag")]
    hidden = {f.removesuffix("_flag"): (published[f] == "C").fillna(False) for f in flags}
    assert sum(h.sum() for h in hidden.values()) > 0
    for field, mask in hidden.items():
        assert published.loc[mask, field].isna().all()
        validated[field] = validated[field].astype("Float64").mask(mask)
    # convert_dtypes: an empty optional column is NA in the Parquet and NaN in the validated frame
    pd.testing.assert_frame_equal(published.drop(columns=flags).convert_dtypes(), validated.convert_dtypes(),
                                  check_dtype=False)
    ours = frame[frame.county_name.isin({county for county, _ in figures})]
    assert len(ours) == sum(len(month) for month in figures.values())
    assert set(frame.county_name) == {county for county, _ in figures} | {"牟定县"}
    for (county, period), month in figures.items():
        rows = frame[(frame.county_name == county) & (frame.period == period)].set_index("region_name")
        for township, values in month.items():
            assert rows.loc[township, "rural_persons"] == values["rural_persons"]
            if pd.isna(rows.loc[township, "urban_amount_flag"]):
                assert rows.loc[township, "urban_amount"] == pytest.approx(values["urban_amount"] * 10_000)


def test_datastore_sums_equal_the_source_totals(published, samples, make_samples, portal):
    dataset, _, _ = published
    _, figures = samples
    table = next(r for r in dataset["resources"] if r["name"] == "relief-recipients-datastore")
    result = portal.action.datastore_search_sql(sql=(
        f'SELECT county_name, period, SUM(rural_persons) AS persons, SUM(rural_amount) AS amount '
        f'FROM "{table["id"]}" GROUP BY county_name, period'))
    sums = {(r["county_name"], r["period"]): r for r in result["records"]}
    assert len(sums) == len(figures) + len(PERIODS)   # and 牟定县, from another county's template
    for key, month in figures.items():
        total = make_samples.totals(month)
        assert int(sums[key]["persons"]) == total["rural_persons"]
        assert float(sums[key]["amount"]) == pytest.approx(total["rural_amount"] * 10_000, abs=0.01)


def test_small_cells_are_hidden_everywhere_and_the_pattern_is_the_same_every_month(published, samples, portal):
    dataset, _, _ = published
    _, figures = samples
    table = next(r for r in dataset["resources"] if r["name"] == "relief-recipients-datastore")
    rows = portal.action.datastore_search_sql(sql=(
        f'SELECT period, region_name, tekun_persons, tekun_persons_flag, tekun_amount, tekun_amount_flag '
        f'FROM "{table["id"]}" WHERE county_name = \'武定县\' ORDER BY period, region_name'))["records"]
    hidden = {period: sorted(r["region_name"] for r in rows if r["period"] == period and r["tekun_persons_flag"] == "C")
              for period in PERIODS}
    assert "己衣镇" in hidden["2024-01"] and len(hidden["2024-01"]) >= 2     # 3 persons, and a partner
    assert hidden["2024-02"] == hidden["2024-01"] == hidden["2024-03"]   # carried: months cannot be differenced
    for r in rows:
        if r["tekun_persons_flag"] == "C":
            assert r["tekun_persons"] is None and r["tekun_amount"] is None and r["tekun_amount_flag"] == "C"
    # the county total is public: the hidden cells together are what the sum misses, at least 3 + k
    for period in PERIODS:
        total = sum(v["tekun_persons"] for v in figures[("武定县", period)].values())
        shown = sum(int(r["tekun_persons"]) for r in rows if r["period"] == period and r["tekun_persons"] is not None)
        assert total - shown >= 3 + 5
    fields = {f["id"]: f for f in portal.action.datastore_search(resource_id=table["id"], limit=0)["fields"]}
    assert "C = 因小数保护不予公开 / suppressed for confidentiality" in fields["tekun_persons_flag"]["info"]["notes"]
    month = next(r for r in dataset["resources"] if r["name"] == "relief-recipients-2024-03.csv")
    lines = download(month["url"]).decode("utf-8-sig").splitlines()
    header, jiyi = lines[0].split(","), next(line for line in lines if "己衣镇" in line).split(",")
    assert jiyi[header.index("tekun_persons")] == "" and jiyi[header.index("tekun_persons_flag")] == "C"


def test_each_month_has_an_anonymization_report_resource_without_hidden_values(published, samples):
    dataset, reports, _ = published
    _, figures = samples
    resources = {r["name"]: r for r in dataset["resources"]}
    for period, report in zip(PERIODS, reports):
        summary = json.loads(download(resources[f"relief-recipients-{period}-anonymization.json"]["url"]))
        control = summary["disclosure_control"]
        assert control["audit"]["passed"] and control["k"] == 5
        assert control["suppressed"]["tekun_persons"]["primary"] == 1          # 己衣镇
        assert control["suppressed"]["urban_households"]["primary"] == 1       # 江边乡
        assert any("填表人" in d for d in summary["dropped"])
        assert "dominance" not in json.dumps(summary)
        hidden_amount = figures[("武定县", period)]["己衣镇"]["tekun_amount"] * 10_000
        assert f"{hidden_amount:g}" not in json.dumps(summary)
        text = Path(report["report_file"]).read_text(encoding="utf-8")
        assert "## 匿名化 / Anonymization" in text and "审核 / audit: 通过 passed" in text
    later = json.loads(download(resources["relief-recipients-2024-02-anonymization.json"]["url"]))
    assert later["disclosure_control"]["suppressed_cells"]["carried"] >= 2   # last month's partners


def test_published_datapackage_passes_the_frictionless_validator(published, tmp_path):
    dataset, _, _ = published
    package = next(r for r in dataset["resources"] if r["name"] == "datapackage.json")
    path = tmp_path / "datapackage.json"
    path.write_bytes(download(package["url"]))
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    assert len(descriptor["resources"]) == 10  # 3 months and the series, CSV and Parquet each; 2 charts
    assert sorted(r["format"] for r in descriptor["resources"]).count("png") == 2
    checked = subprocess.run([str(FRICTIONLESS), "validate", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_nothing_personal_reached_the_portal(published, make_samples, portal):
    dataset, _, _ = published
    texts = [json.dumps(portal.action.package_show(id=dataset["id"]), ensure_ascii=False)]
    for resource in dataset["resources"]:
        content = download(resource["url"])
        if resource["format"] == "Parquet":
            texts.append(pd.read_parquet(io.BytesIO(content)).to_csv(index=False))
        elif resource["format"] == "PNG":   # a trend chart: totals, its words come from the spec
            continue
        else:
            texts.append(content.decode("utf-8-sig"))
    everything = "\n".join(texts)
    problems = Problems()
    assert scan_text(everything, Where(field="portal"), problems) == 0, [p.message_en for p in problems]
    for personal in make_samples.PERSONAL:
        assert personal not in everything


@pytest.mark.parametrize("broken, where", [
    ("text-in-count.xlsx", "text-in-count.xlsx ! 2024年3月 ! "),
    ("sum-mismatch.xlsx", "sum-mismatch.xlsx ! 2024年3月 ! "),
])
def test_broken_spreadsheet_stops_the_run_and_publishes_nothing(broken, where, isolated_dataset, samples,
                                                              prefect_backend, flow, portal):
    directory, _ = samples
    before = _resources(portal, isolated_dataset)
    with pytest.raises(RunFailed) as failed:
        flow(period="2024-03", source=str(directory / "broken" / broken))
    report = failed.value.report
    assert report.status == "failed"
    assert any(str(p.where).startswith(where) and p.where.cell for p in report.problems.errors)
    assert where in Path(report.report_file).read_text(encoding="utf-8")
    assert _resources(portal, isolated_dataset) == before


def _resources(portal, name: str) -> list[tuple[str, str]]:
    try:
        return sorted((r["name"], r["hash"]) for r in portal.action.package_show(id=name)["resources"])
    except ckanapi.NotFound:
        return []
