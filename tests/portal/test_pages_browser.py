"""The portal as a researcher sees it, in a real headless browser (Playwright driving Debian's chromium).

Three months are published under an isolated name; the dataset, resource and search pages are
opened anonymously and checked for what a person would look for: the table preview with rows,
the trend chart, the release history, the review record, our facets and branding, no social
links. Screenshots go to out/screenshots/ (README, "Portal pages").
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from gongkai.cli import _load_flow

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
PERIODS = ["2024-01", "2024-02", "2024-03"]
CHROMIUM = "/usr/bin/chromium"   # Debian's (make debian-packages); Playwright cannot download its own here
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
SOCIAL = ["twitter.com", "x.com/intent", "facebook.com", "linkedin.com", "weibo.com", "plus.google"]


@pytest.fixture(scope="module")
def published(isolated_dataset, samples, prefect_backend, portal, approve):
    """Three months published in order, then the last one run again (it must add nothing)."""
    directory, _ = samples
    flow = functools.partial(_load_flow(), dataset="relief-recipients", source=str(directory))
    for period in PERIODS:
        approve(flow(period=period))
    rerun = approve(flow(period="2024-03"))
    dataset = portal.action.package_show(id=isolated_dataset)
    _fill_contract_fields(portal, dataset)
    return portal.action.package_show(id=isolated_dataset), rerun


def _fill_contract_fields(portal, dataset: dict) -> None:
    """Until the releases and review branches write them, the fields of their contract
    (release_history; review_decision, review_comment, review_sha256) are set here the way
    they will be, so the pages that render them are tested either way."""
    patch = {}
    if not dataset.get("release_history"):
        files = {r["period"]: {} for r in dataset["resources"] if r["period"] != "all"}
        for resource in dataset["resources"]:
            if resource["period"] in files:
                files[resource["period"]][resource["format"]] = resource["url"]
        history = [{"version": f"1.{i}.0", "period": period, "revision": "r1", "kind": "period", "reason": "",
                    "published_at": dataset["metadata_modified"], "files": files[period],
                    "changes": {"rows_added": 0, "rows_removed": 0, "cells_changed": 0}, "review": {}}
                   for i, period in reversed(list(enumerate(PERIODS)))]
        patch["release_history"] = json.dumps(history, ensure_ascii=False)
    if not dataset.get("review_decision"):
        patch.update(review_decision="approved", review_comment="同意公开 / approved for publication",
                     review_sha256="9f2c" * 16)
    if patch:
        portal.action.package_patch(id=dataset["id"], **patch)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def resource(dataset: dict, name_end: str) -> dict:
    return next(r for r in dataset["resources"] if r["name"].endswith(name_end))


def test_every_view_exists_once_and_an_unchanged_rerun_uploads_nothing(published, portal):
    dataset, rerun = published
    assert rerun["status"] == "unchanged" and rerun["uploaded"] == []
    table = resource(dataset, "-datastore")   # the series' DataStore table
    assert [v["view_type"] for v in portal.action.resource_view_list(id=table["id"])] == ["datatables_view"]
    charts = [r for r in dataset["resources"] if r["format"] == "PNG"]
    assert len(charts) == 2
    for chart in charts:
        assert [v["view_type"] for v in portal.action.resource_view_list(id=chart["id"])] == ["image_view"]


def test_resources_are_listed_series_first_then_periods_newest_first(published, portal_url, page):
    dataset, _ = published
    page.goto(f"{portal_url}/dataset/{dataset['name']}")
    names = page.eval_on_selector_all("#dataset-resources .resource-item a.heading",
                                      "links => links.map(a => a.getAttribute('title'))")
    assert names[:5] == [f"relief-recipients-all.{ext}" for ext in ("csv", "parquet")] + [
        "relief-recipients-datastore", "datapackage.json", "relief-recipients-changelog.md"]
    assert set(names[5:7]) == {"relief-recipients-amount-trend.png", "relief-recipients-persons-trend.png"}
    periods = [n for n in names if "-2024-" in n and not n.endswith("-anonymization.json")]
    assert periods == [f"relief-recipients-{p}.{ext}" for p in reversed(PERIODS) for ext in ("csv", "parquet")]


def test_the_dataset_page_shows_release_history_and_review_record(published, portal_url, page):
    dataset, _ = published
    page.goto(f"{portal_url}/dataset/{dataset['name']}")
    history = page.locator("#release-history")
    assert history.is_visible() and "发布历史" in history.inner_text()
    rows = history.locator("tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == list(reversed(PERIODS))
    assert rows.first.get_by_role("link", name="CSV").get_attribute("href").endswith("relief-recipients-2024-03.csv")
    review = page.locator("#review-record")
    assert review.is_visible()
    text = review.inner_text()
    assert "保密审查记录" in text and "通过 / approved" in text and dataset["reviewed_by"] in text
    assert dataset["review_sha256"] in text and "审查时间 / Reviewed at" in text
    shoot(page, "dataset-page")


def test_our_branding_and_no_social_links(published, portal_url, page):
    dataset, _ = published
    for path in (f"/dataset/{dataset['name']}", f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}"):
        page.goto(portal_url + path)
        assert "公开 Gongkai — 民政数据开放平台" in page.locator("header.masthead").inner_text()
        logo = page.locator("header.masthead img[alt='公开 Gongkai']")
        assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        assert not [h for h in hrefs if any(site in h for site in SOCIAL)]
        assert page.locator(".social").count() == 0
        assert "Powered by" not in page.locator("footer").inner_text()


def test_the_series_shows_a_table_preview_with_rows(published, portal_url, page):
    dataset, _ = published
    series = resource(dataset, "-datastore")   # the series' DataStore table carries the preview
    page.goto(f"{portal_url}/dataset/{dataset['name']}/resource/{series['id']}")
    frame = page.frame_locator("iframe").first
    first_cell = frame.locator("table tbody tr td").first
    first_cell.wait_for(timeout=30_000)
    cells = frame.locator("table tbody tr").first.inner_text()
    assert "2024-01" in cells            # rows ordered by period first: the first month's rows
    assert frame.locator("table tbody tr").count() >= 10
    page.wait_for_timeout(500)           # let the table finish drawing before the screenshot
    shoot(page, "table-preview")


def test_the_trend_chart_image_loads(published, portal_url, page):
    dataset, _ = published
    chart = resource(dataset, "-persons-trend.png")
    page.goto(f"{portal_url}/dataset/{dataset['name']}/resource/{chart['id']}")
    image = page.locator(".resource-view img")      # CKAN's image_view draws inline, not in an iframe
    image.wait_for(timeout=30_000)
    width = image.evaluate("img => img.complete ? img.naturalWidth : new Promise(done => img.onload = () => done(img.naturalWidth))")
    assert width == 800
    shoot(page, "trend-chart")


def test_search_facets_show_disclosure_department_and_frequency_in_chinese(published, portal_url, page):
    dataset, _ = published
    page.goto(f"{portal_url}/dataset?q=name:{dataset['name']}")
    headings = page.locator(".module-heading").all_inner_texts()
    for heading in ("公开属性 / Disclosure", "牵头科室 / Department", "更新频率 / Frequency"):
        assert any(heading in h for h in headings), headings
    page.get_by_role("link", name="主动公开 (proactive)").first.click()
    page.wait_for_load_state()
    assert "disclosure=proactive" in page.url
    assert dataset["title"] in page.locator(".dataset-list").inner_text()
    assert page.get_by_role("link", name="社会救助科").count() >= 1      # 牵头科室
    assert page.get_by_role("link", name="每月").count() >= 1             # frequency, by its label
    shoot(page, "search-facets")
