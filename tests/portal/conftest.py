"""Fixtures for the portal integration tests: a running local CKAN, reached over HTTP.

URL and token come from GONGKAI_CKAN_URL / GONGKAI_CKAN_TOKEN, else from
portal/var/ckan.env (written by `portal/portalctl up`). When the portal does not
answer the tests fail, they never skip: run `make portal` first.
"""
from __future__ import annotations

import uuid

import ckanapi
import pytest
import requests

from gongkai.settings import SettingsError, portal_settings


@pytest.fixture(scope="session")
def portal_url_and_token():
    try:
        settings = portal_settings()
    except SettingsError as error:
        pytest.fail(str(error), pytrace=False)
    url, token, source = settings.url, settings.token, settings.token_source
    try:
        requests.get(f"{url}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        pytest.fail(f"CKAN portal at {url} is unreachable ({error}): run `make portal` "
                    f"(portal/portalctl up)", pytrace=False)
    try:
        # sysadmin-only: an invalid token is treated as anonymous and refused here
        ckanapi.RemoteCKAN(url, apikey=token).action.config_option_list()
    except ckanapi.CKANAPIError as error:
        pytest.fail(f"the CKAN token from {source} is not a working sysadmin token "
                    f"({type(error).__name__}): run `portal/portalctl up` (it replaces a refused "
                    f"token in portal/var/ckan.env) or set GONGKAI_CKAN_TOKEN", pytrace=False)
    return url, token


@pytest.fixture(scope="session")
def portal_url(portal_url_and_token):
    return portal_url_and_token[0]


@pytest.fixture(scope="session")
def ckan(portal_url_and_token):
    """The sysadmin client."""
    url, token = portal_url_and_token
    return ckanapi.RemoteCKAN(url, apikey=token)


@pytest.fixture(scope="session")
def anonymous(portal_url):
    return ckanapi.RemoteCKAN(portal_url)


@pytest.fixture
def unique():
    """A name prefix unique to this test, so runs never collide."""
    return f"t{uuid.uuid4().hex[:10]}"


class Cleanup:
    """Purges what a test created, datasets before their organizations."""

    def __init__(self, ckan):
        self.ckan, self.datasets, self.organizations = ckan, [], []

    def dataset(self, **fields):
        created = self.ckan.action.package_create(**fields)
        self.datasets.append(created["id"])
        return created

    def organization(self, name, title):
        created = self.ckan.action.organization_create(name=name, title=title)
        self.organizations.append(created["id"])
        return created

    def purge(self):
        for dataset_id in self.datasets:
            try:
                self.ckan.action.dataset_purge(id=dataset_id)
            except ckanapi.NotFound:
                pass
        for organization_id in self.organizations:
            try:
                self.ckan.action.organization_purge(id=organization_id)
            except ckanapi.NotFound:
                pass


@pytest.fixture
def created(ckan):
    cleanup = Cleanup(ckan)
    yield cleanup
    cleanup.purge()


def dataset_fields(name, org, **overrides):
    """A valid Gongkai dataset; tests override what they are about."""
    fields = dict(
        name=name, title="城乡低保对象统计", title_en="Urban and rural dibao recipients",
        notes="各乡镇城乡低保户数、人数和金额。", notes_en="Households, persons and amounts.",
        owner_org=org, license_id="cc-by", disclosure="proactive", department="社会救助科",
        frequency="monthly", period_start="2024-01", period_end="2024-03", version="2024.03",
        reviewed_by="办公室", reviewed_at="2024-04-02", review_checks="个人信息、小数值抑制",
        publication_deadline="2024-04-12", tags=[{"name": "低保"}],
        resources=[{"name": "2024年3月", "name_en": "March 2024", "format": "CSV",
                    "url": "http://example.com/dibao-2024-03.csv", "period": "2024-03"}],
    )
    fields.update(overrides)
    return fields
