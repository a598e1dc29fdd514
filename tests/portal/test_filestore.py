"""FileStore: a researcher downloads exactly the file that was published."""
import pytest
import requests

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]


def test_uploaded_csv_is_downloaded_byte_for_byte(ckan, created, unique, tmp_path):
    org = created.organization(f"{unique}-org", "癸县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-file", org, resources=[]))
    csv = tmp_path / "dibao-2024-03.csv"
    csv.write_bytes("乡镇,户数,人数\n狮山镇,120,260\n".encode("utf-8"))

    with csv.open("rb") as upload:
        resource = ckan.action.resource_create(package_id=dataset["id"], name="2024年3月",
                                               format="CSV", period="2024-03", upload=upload)
    assert resource["url_type"] == "upload"
    download = requests.get(resource["url"], timeout=30)
    assert download.status_code == 200
    assert download.content == csv.read_bytes()
