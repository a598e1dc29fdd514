"""Security properties of a run and of the portal, tested against the real local CKAN.

- The API token never appears in anything a run writes: console, reports and releases under
  GONGKAI_OUT, Prefect's database and result storage under PREFECT_HOME; neither does a wrong token.
- A private (依申请公开) dataset is invisible to anonymous users: API, search, web page, download.
- `datastore_search_sql` cannot write or read the catalog: tested in test_datastore.py
  (`test_anonymous_sql_cannot_write`, `test_anonymous_sql_cannot_read_the_catalog`), not repeated here.
- Uploaded files are served with the content type of their format, never as HTML; every download
  says `X-Content-Type-Options: nosniff`, and an upload that is not CSV, Parquet, JSON, PNG or Markdown (the changelog) is refused.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import ckanapi
import pandas as pd
import pytest
import requests

from cli import gongkai_subprocess
from conftest import dataset_fields
from token_scan import files_holding, needles

pytestmark = [pytest.mark.integration, pytest.mark.portal]

WRONG_TOKEN = "wrong-token-12345"
APPROVE = ("--approve", "--reviewer", "测试审查人 / test reviewer", "--comment", "测试数据 / test data")


class TestTheTokenIsNeverWritten:
    def test_a_published_run_writes_the_token_nowhere(self, isolated_dataset, samples, portal_url_and_token,
                                                      prefect_backend, tmp_path):
        directory, _ = samples
        _, token = portal_url_and_token
        out, prefect_home = Path(os.environ["GONGKAI_OUT"]), tmp_path / "prefect"
        # Processes of their own (tests/cli.py): Prefect keeps their results in prefect_home, searched below.
        env = {"PREFECT_HOME": str(prefect_home)}
        staged = gongkai_subprocess("run", "relief-recipients", "--period", "2024-01", "--source", str(directory),
                                    env=env)
        assert staged.exit_code == 5, staged.stdout + staged.stderr
        done = gongkai_subprocess("review", "relief-recipients", "2024-01", *APPROVE, env=env)
        assert done.exit_code == 0, done.stdout + done.stderr
        assert "published" in done.stdout

        assert not any(needle.decode() in done.stdout + done.stderr for needle in needles(token))
        # The searches below are not vacuous: the run wrote its report and Prefect its database here.
        assert list(out.rglob("reports/*.json")) and list(out.rglob("*.parquet"))
        assert any(b"relief-recipients" in p.read_bytes() for p in prefect_backend.glob("*.db*"))
        assert files_holding(out, token) == []
        assert files_holding(prefect_home, token) == files_holding(prefect_backend, token) == []

    def test_a_refused_wrong_token_is_written_nowhere_either(self, isolated_dataset, samples, prefect_backend,
                                                             tmp_path):
        directory, _ = samples
        out, prefect_home = Path(os.environ["GONGKAI_OUT"]), tmp_path / "prefect"
        # 2024-02 is not on the portal yet: the approved review has to write, and the portal refuses the token.
        env = {"PREFECT_HOME": str(prefect_home)}   # a process of its own: its prefect_home is searched
        staged = gongkai_subprocess("run", "relief-recipients", "--period", "2024-02", "--source", str(directory),
                                    env=env)
        assert staged.exit_code == 5, staged.stdout + staged.stderr
        done = gongkai_subprocess("review", "relief-recipients", "2024-02", *APPROVE,
                                  env={**env, "GONGKAI_CKAN_TOKEN": WRONG_TOKEN})
        assert done.exit_code == 3, done.stdout + done.stderr
        assert "environment variable GONGKAI_CKAN_TOKEN" in done.stdout
        assert WRONG_TOKEN not in done.stdout + done.stderr
        assert files_holding(out, WRONG_TOKEN) == []
        assert files_holding(prefect_home, WRONG_TOKEN) == files_holding(prefect_backend, WRONG_TOKEN) == []


@pytest.fixture
def private_dataset(ckan, created, unique, tmp_path):
    """A 依申请公开 dataset, private as the disclosure rule requires, with an uploaded CSV."""
    org = created.organization(f"{unique}-org", "子县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-private", org, private=True, disclosure="on_request",
                                               title="子县依申请公开低保名册统计", resources=[]))
    csv = tmp_path / "private-2024-03.csv"
    csv.write_text("乡镇,户数\n子山镇,12\n", encoding="utf-8")
    with csv.open("rb") as upload:
        resource = ckan.action.resource_create(package_id=dataset["id"], name="2024年3月", format="CSV",
                                               period="2024-03", upload=upload)
    return dataset, resource


class TestAPrivateDatasetIsInvisibleToAnonymousUsers:
    def test_the_sysadmin_sees_it(self, ckan, portal_url_and_token, private_dataset):
        """The control: everything refused below exists and works for its owner."""
        url, token = portal_url_and_token
        dataset, resource = private_dataset
        assert ckan.action.package_show(id=dataset["name"])["private"] is True
        headers = {"Authorization": token}
        assert requests.get(f"{url}/dataset/{dataset['name']}", headers=headers, timeout=30).status_code == 200
        assert requests.get(resource["url"], headers=headers, timeout=30).content.startswith("乡镇".encode())

    def test_package_and_resource_show_are_refused(self, anonymous, private_dataset):
        dataset, resource = private_dataset
        for call, key in ((anonymous.action.package_show, dataset["name"]),
                          (anonymous.action.package_show, dataset["id"]),
                          (anonymous.action.resource_show, resource["id"])):
            with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
                call(id=key)

    def test_search_does_not_list_it(self, anonymous, portal_url, private_dataset):
        dataset, _ = private_dataset
        for query in (dict(q="子县依申请公开"), dict(q=f"name:{dataset['name']}"),
                      dict(q="子县依申请公开", include_private=True), dict(fq="disclosure:on_request", rows=1000)):
            found = anonymous.action.package_search(**query)
            assert dataset["name"] not in [d["name"] for d in found["results"]], query
        page = requests.get(f"{portal_url}/dataset/", params={"q": "子县依申请公开"}, timeout=30)
        assert page.status_code == 200 and "子县依申请公开低保名册统计" not in page.text

    def test_the_web_page_and_the_download_are_refused(self, portal_url, private_dataset):
        dataset, resource = private_dataset
        for address in (f"{portal_url}/dataset/{dataset['name']}",
                        f"{portal_url}/dataset/{dataset['id']}/resource/{resource['id']}",
                        resource["url"]):
            answer = requests.get(address, timeout=30)
            assert answer.status_code in (403, 404), address
            assert "子山镇" not in answer.text and "子县依申请公开低保名册统计" not in answer.text


# What CKAN 2.11.6's FileStore answers (Python's mimetypes table guesses from the file name). For
# Parquet it answers application/octet-stream here, as .parquet is not in that table; IANA's
# application/vnd.apache.parquet is accepted too, should a newer Python or CKAN know it. Never text/html.
CONTENT_TYPES = {"CSV": {"text/csv"},
                 "Parquet": {"application/vnd.apache.parquet", "application/octet-stream"},
                 "JSON": {"application/json"}}


def test_uploads_are_served_with_the_content_type_of_their_format(ckan, created, unique, tmp_path):
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-types", org, resources=[]))
    frame = pd.DataFrame({"township": ["丑山镇"], "households": [12]})
    files = {"CSV": tmp_path / "types-2024-03.csv", "Parquet": tmp_path / "types-2024-03.parquet",
             "JSON": tmp_path / "datapackage.json"}
    frame.to_csv(files["CSV"], index=False)
    frame.to_parquet(files["Parquet"], index=False)
    files["JSON"].write_text(json.dumps({"name": "types", "resources": []}), encoding="utf-8")

    served = {}
    for file_format, path in files.items():
        with path.open("rb") as upload:
            resource = ckan.action.resource_create(package_id=dataset["id"], name=path.name, format=file_format,
                                                   period="2024-03", upload=upload)
        download = requests.get(resource["url"], timeout=30)
        assert download.status_code == 200 and download.content == path.read_bytes()
        served[file_format] = download.headers["Content-Type"].split(";")[0].strip()
        assert served[file_format] != "text/html", file_format
    for file_format, allowed in CONTENT_TYPES.items():
        assert served[file_format] in allowed, served


# ckanext-gongkai's served_files.py: only safe formats are accepted, and downloads are never sniffed.
# (The running portal loads it at its next start: `make portal-down && make portal`.)

@pytest.mark.parametrize("name, content", [
    ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("app.js", b"alert(1)"),
    ("notes.txt", b"<html><script>alert(1)</script></html>"),   # sniffed as HTML without nosniff
])
def test_an_upload_of_another_format_is_refused_with_a_clear_message(ckan, created, unique, tmp_path, name, content):
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-unsafe", org, resources=[]))
    path = tmp_path / name
    path.write_bytes(content)
    with path.open("rb") as upload, pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.resource_create(package_id=dataset["id"], name=name, format="HTML", period="2024-03",
                                    upload=upload)
    message = " ".join(refused.value.error_dict["upload"])
    assert name in message and "不接受" in message and "only CSV, Parquet, JSON, PNG and Markdown" in message
    assert ckan.action.package_show(id=dataset["id"])["resources"] == []


def test_the_refusal_holds_for_package_revise_too(ckan, created, unique, tmp_path):
    # gongkai publishes with package_revise: the same uploader, the same rule.
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-revise", org, resources=[]))
    path = tmp_path / "page.html"
    path.write_bytes(b"<html></html>")
    with path.open("rb") as upload, pytest.raises(ckanapi.ValidationError):
        ckan.call_action("package_revise", data_dict={
            "match": json.dumps({"id": dataset["id"]}),
            "update": json.dumps({"resources": [{"name": "page.html", "url": "page.html", "url_type": "upload",
                                                 "format": "HTML", "period": "2024-03"}]})},
            files={"update__resources__0__upload": ("page.html", upload)})
    assert ckan.action.package_show(id=dataset["id"])["resources"] == []


def test_downloads_say_nosniff_and_safe_formats_stay_inline(ckan, created, unique, tmp_path):
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-nosniff", org, resources=[]))
    path = tmp_path / "types-2024-03.csv"
    pd.DataFrame({"township": ["丑山镇"], "households": [12]}).to_csv(path, index=False)
    with path.open("rb") as upload:
        resource = ckan.action.resource_create(package_id=dataset["id"], name=path.name, format="CSV",
                                               period="2024-03", upload=upload)
    download = requests.get(resource["url"], timeout=30)
    assert download.status_code == 200
    assert download.headers.get("X-Content-Type-Options") == "nosniff"
    assert "attachment" not in download.headers.get("Content-Disposition", "")
