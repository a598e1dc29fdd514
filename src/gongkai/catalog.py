"""The 主动公开基本目录 (catalogue of proactively disclosed data) on the portal.

One row per dataset spec: titles, 公开属性, 牵头科室, frequency, the last release (period, version,
day), the next period's due date, and links to the dataset page and its CSV and Parquet files (the
series and the latest period). The catalog's source is the specs and what the portal holds, so it
has a table schema (schemas/catalog.schema.yaml) but no dataset spec. Before it is published every
link is fetched as an anonymous visitor and every file's sha256 compared with the portal's record
(杜绝错链、断链): one broken link and the catalog stays as it was, with a problem naming the
dataset and the URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import requests
from frictionless import Schema

from gongkai.deadline import timeliness
from gongkai.package import SERIES, PackagedFile, datapackage, sha256, write_datapackage, write_table
from gongkai.problems import Problems, Where
from gongkai.publish import Outcome, Publisher, connect
from gongkai.published import BEIJING, Published, published
from gongkai.settings import output_dir, portal_settings
from gongkai.schema import load_schema
from gongkai.spec import DISCLOSURE_LABELS, ROOT, Ckan, Organization, Spec, available, load_spec

SCHEMA = ROOT / "schemas" / "catalog.schema.yaml"
LINK_TIMEOUT = 60
USER_AGENT = "gongkai-catalog/0.1 (link check)"


@dataclass(frozen=True)
class CatalogSpec:
    """What packaging and publishing need of a spec: a name, the portal metadata, a table schema."""

    name: str
    ckan: Ckan
    schema_path: Path = SCHEMA
    disclosure_control: None = None   # a list of datasets: no counts of people to protect

    @property
    def schema(self) -> Schema:
        return load_schema(self.schema_path)

    published_schema = schema   # nothing is suppressed in a list of datasets


def catalog_spec() -> CatalogSpec:
    # GONGKAI_CATALOG_NAME: tests (and a second catalogue on one portal) publish under another name.
    return CatalogSpec("catalog", Ckan(
        name=os.environ.get("GONGKAI_CATALOG_NAME", "catalog"),
        title="主动公开基本目录（开放数据）",
        title_en="Catalogue of proactively disclosed open data",
        notes="本门户全部数据集的目录：公开属性、牵头科室、更新频率、最近一次发布（期间、版本、日期）、"
              "下一期截止日期，以及各数据集全部期间和最近一期的 CSV、Parquet 下载链接。每次发布后重新生成，"
              "生成前逐一检查所有链接与文件校验值。",
        notes_en="Every dataset of this portal: disclosure attribute, lead section, frequency, last release "
                 "(period, version, day), the next period's due date, and links to the CSV and Parquet "
                 "files of each series and latest period. Regenerated after every release; every link and "
                 "file checksum is checked first.",
        organization=Organization(name="bangongshi", title="办公室", title_en="General Office"),
        tags=["主动公开", "目录", "catalog"]))


@dataclass(frozen=True)
class Link:
    dataset: str
    url: str
    sha256: str | None = None       # a file: the sha256 the portal recorded for it


@dataclass
class CatalogResult:
    frame: pd.DataFrame
    problems: Problems = field(default_factory=Problems)
    outcome: Outcome | None = None  # None: not published (a broken link)


def entry(spec: Spec, found: Published, today: dt.date) -> tuple[dict, list[Link]]:
    """A dataset's catalog row and the links in it."""
    state = timeliness(spec.granularity, spec.deadline.working_days, found.first_release, today)
    on_portal = spec.disclosure == "proactive" and found.last_period is not None
    files = {key: found.file(period, fmt) if on_portal else None
             for key, period, fmt in (("series_csv", SERIES, "CSV"), ("series_parquet", SERIES, "Parquet"),
                                      ("latest_csv", found.last_period, "CSV"),
                                      ("latest_parquet", found.last_period, "Parquet"))}
    row = {
        "dataset": spec.name, "title": spec.ckan.title, "title_en": spec.ckan.title_en,
        "disclosure": DISCLOSURE_LABELS[spec.disclosure], "department": spec.department,
        "frequency": spec.frequency, "deadline_rule": spec.deadline.working_days,
        "last_period": state.last_period, "version": found.version or None,
        "last_published": state.published.isoformat() if state.published else None,
        "next_period": state.next_period, "next_due": state.next_due.isoformat(),
        "dataset_url": found.dataset_url if on_portal else None,
        **{key: resource["url"] if resource else None for key, resource in files.items()},
    }
    links = [Link(spec.name, found.dataset_url)] if on_portal else []
    links += [Link(spec.name, r["url"], r.get("hash") or "") for r in files.values() if r]
    return row, links


def check_link(link: Link) -> str | None:
    """Why the link is broken, or None. Fetched without a token: the public must reach it."""
    try:
        with requests.get(link.url, stream=True, timeout=LINK_TIMEOUT, headers={"User-Agent": USER_AGENT}) as got:
            if got.status_code != 200:
                return f"HTTP {got.status_code}"
            if link.sha256 is None:
                return None
            digest = hashlib.sha256()
            for block in got.iter_content(1 << 20):
                digest.update(block)
    except requests.RequestException as error:
        return type(error).__name__
    if digest.hexdigest() != link.sha256:
        return "sha256 differs from the portal's record / 文件校验值与门户记录不符"
    return None


def check_links(links: list[Link], problems: Problems, progress: Callable[[str], None] = lambda m: None) -> None:
    progress(f"checking {len(links)} catalog links")
    for link in links:
        if reason := check_link(link):
            problems.add("catalog-broken-link", Where(field=link.dataset), dataset=link.dataset, url=link.url,
                         reason=reason)


class CatalogPublisher(Publisher):
    @staticmethod
    def _describe(file: PackagedFile) -> str:
        if file.format == "JSON":
            return "Frictionless Data Package：目录的表结构与 sha256 / schema and sha256 of the catalogue"
        return f"主动公开基本目录 / catalogue（{file.format}）"


def refresh(today: dt.date | None = None, progress: Callable[[str], None] = lambda m: None) -> CatalogResult:
    """Build the catalog from every spec and the portal, check every link, publish it if none is broken."""
    today = today or dt.datetime.now(BEIJING).date()
    settings = portal_settings()
    portal = connect(settings)
    rows, links = [], []
    for spec in map(load_spec, available()):
        row, its_links = entry(spec, published(spec, portal, settings.url), today)
        rows.append(row)
        links += its_links
    result = CatalogResult(pd.DataFrame(rows).astype({"deadline_rule": "Int64"}))
    check_links(links, result.problems, progress)
    if result.problems.errors:
        return result
    spec = catalog_spec()
    folder = output_dir() / spec.name / "staging"
    files = write_table(spec, result.frame, folder, spec.name, SERIES)

    def write_package(urls: dict[str, str]) -> tuple[list[PackagedFile], dict]:
        path = write_datapackage(datapackage(spec, files, lambda f: urls[f.name], version), folder / "datapackage.json")
        return [PackagedFile(path, SERIES, "JSON", sha256(path))], {}

    version = today.isoformat()
    metadata = {
        "title": spec.ckan.title, "title_en": spec.ckan.title_en, "notes": spec.ckan.notes,
        "notes_en": spec.ckan.notes_en, "license_id": spec.ckan.license_id,
        "tags": [{"name": t} for t in spec.ckan.tags], "disclosure": "proactive",
        "department": spec.ckan.organization.title, "frequency": "irregular", "version": version, "private": False,
    }
    result.outcome = CatalogPublisher(portal, settings, spec, progress).publish(files, metadata, write_package)
    return result
