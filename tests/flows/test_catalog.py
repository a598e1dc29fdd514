"""The 主动公开基本目录 on the real local portal: regenerated after a release, every link checked,
and a broken link (a file deleted from this test's own dataset in the FileStore) keeps the old one."""

from __future__ import annotations

import configparser
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
import requests

from cli import gongkai
from gongkai.catalog import refresh
from gongkai.cli import _load_flow
from gongkai.settings import LOCAL_PORTAL_ENV

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]


@pytest.fixture(scope="module")
def released(isolated_specs, samples, prefect_backend, portal, approve):
    """relief-recipients 2024-03 published by the flow, which then regenerates the catalogue."""
    names = isolated_specs()
    directory, _ = samples
    report = approve(_load_flow()(dataset="relief-recipients", period="2024-03", source=str(directory)))
    return names, report


def catalog_on_portal(portal) -> tuple[dict, pd.DataFrame]:
    import os

    dataset = portal.action.package_show(id=os.environ["GONGKAI_CATALOG_NAME"])
    csv = next(r for r in dataset["resources"] if r["format"] == "CSV")
    frame = pd.read_csv(io.BytesIO(requests.get(csv["url"], timeout=30).content), encoding="utf-8-sig", dtype=str)
    return dataset, frame.set_index("dataset")


def test_a_release_regenerates_the_catalogue_with_working_links(released, portal):
    names, report = released
    assert report["status"] == "published", report["summary"]
    # Published in 2026 for a month due on 15 April 2024: the report says it was late.
    late = next(p for p in report["problems"] if p["slug"] == "published-late")
    assert "2024-04-15" in late["message_en"] and late["severity"] == "warning"
    assert not [p for p in report["problems"] if p["slug"].startswith("catalog-")]

    dataset, frame = catalog_on_portal(portal)
    assert dataset["private"] is False and {r["format"] for r in dataset["resources"]} >= {"CSV", "Parquet"}
    assert set(frame.index) == {"relief-recipients", "relief-roster", "subsidy-standards", "lottery-fund", "budget-accounts"}
    relief = frame.loc["relief-recipients"]
    assert (relief["disclosure"], relief["department"], relief["frequency"]) == ("主动公开", "社会救助科", "monthly")
    assert (relief["last_period"], relief["version"], relief["next_period"], relief["next_due"]) == (
        "2024-03", "1.0.0", "2024-04", "2024-05-16")       # 劳动节 1-5 May off, Sunday 28 April and 11 May worked
    assert relief["last_published"] == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    package = portal.action.package_show(id=names["relief-recipients"])
    by_name = {r["name"]: r for r in package["resources"]}
    assert relief["series_csv"] == by_name["relief-recipients-all.csv"]["url"]
    assert relief["latest_parquet"] == by_name["relief-recipients-2024-03.parquet"]["url"]
    assert relief["dataset_url"].endswith(f"/dataset/{names['relief-recipients']}")
    for column in ("dataset_url", "series_csv", "series_parquet", "latest_csv", "latest_parquet"):
        assert requests.get(relief[column], timeout=30).status_code == 200     # anonymously
    # Not published yet: listed with its next due date, without links.
    lottery = frame.loc["lottery-fund"]
    assert pd.isna(lottery["series_csv"]) and pd.isna(lottery["last_period"]) and lottery["next_due"]


def _storage_file(resource_id: str) -> Path:
    """Where CKAN's FileStore keeps an uploaded resource (ckan.storage_path/resources/abc/def/ghi…)."""
    ini = configparser.ConfigParser(interpolation=None, strict=False)
    ini.read(LOCAL_PORTAL_ENV.parent / "ckan.ini")
    storage = Path(ini["app:main"]["ckan.storage_path"])
    return storage / "resources" / resource_id[:3] / resource_id[3:6] / resource_id[6:]


def test_a_broken_link_fails_the_catalogue_and_keeps_the_old_one(released, portal):
    names, _ = released
    before, _ = catalog_on_portal(portal)
    package = portal.action.package_show(id=names["relief-recipients"])
    by_name = {r["name"]: r for r in package["resources"]}
    deleted, altered = by_name["relief-recipients-all.parquet"], by_name["relief-recipients-2024-03.csv"]
    # Only this test's own isolated dataset is touched.
    assert package["name"].startswith("test-relief-recipients-")
    _storage_file(deleted["id"]).unlink()
    with _storage_file(altered["id"]).open("ab") as file:
        file.write(b"\n")

    result = gongkai("catalog")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "catalog: not published" in result.output
    # Each broken link named with its dataset, its URL and why.
    problems = refresh().problems
    assert [(p.slug, p.params["dataset"], p.params["url"], p.params["reason"][:5]) for p in problems] == [
        # CKAN answers a file missing from its FileStore with HTTP 500 (its log: FileNotFoundError).
        ("catalog-broken-link", "relief-recipients", deleted["url"], "HTTP "),
        ("catalog-broken-link", "relief-recipients", altered["url"], "sha25")]
    assert deleted["url"] in problems[0].message_en and "not updated" in problems[0].message_en
    after, _ = catalog_on_portal(portal)
    assert after["metadata_modified"] == before["metadata_modified"]
    assert [r["hash"] for r in after["resources"]] == [r["hash"] for r in before["resources"]]
