"""The portal's web pages and status: what a researcher and an operator see."""
import pytest
import requests

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]


def test_status_show_lists_our_search_plugin_and_the_datastore(anonymous):
    extensions = anonymous.action.status_show()["extensions"]
    assert {"gongkai", "gongkai_search", "datastore", "scheming_datasets"} <= set(extensions)


def test_dataset_and_organization_pages_show_the_chinese_title(portal_url, created, unique):
    org = created.organization(f"{unique}-org", "辛县民政局")["name"]
    created.dataset(**dataset_fields(f"{unique}-page", org, title="辛县城乡低保对象统计"))

    for path in (f"/dataset/{unique}-page", f"/organization/{org}",
                 f"/dataset/?q=低保&organization={org}", "/dataset/?q=辛县城乡低保"):
        page = requests.get(portal_url + path, timeout=30)
        assert page.status_code == 200, path
        assert "辛县城乡低保对象统计" in page.text, path
    assert "辛县民政局" in requests.get(f"{portal_url}/organization/?q=辛县民政局", timeout=30).text
