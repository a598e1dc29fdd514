"""The pipeline's Publisher._load_datastore against the portal: the COPY action, and the
datastore_create fallback for a CKAN without ckanext-gongkai."""
from pathlib import Path
from types import SimpleNamespace

import ckanapi
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import dataset_fields
from gongkai.package import PackagedFile, arrow_schema
from gongkai.publish import Publisher
from gongkai.schema import load_schema
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal]

REPO = Path(__file__).resolve().parents[2]
# The loader on its own, without disclosure control's flag columns (tests/flows covers those).
SPEC = SimpleNamespace(name="relief-recipients",
                       published_schema=load_schema(REPO / "schemas" / "relief-recipients.schema.yaml"))


def series_files(folder: Path, rows: int, period: str = "2024-03") -> PackagedFile:
    """A series Parquet (what the pipeline packages) and a CSV path next to it."""
    schema = arrow_schema(SPEC.published_schema)
    columns = {field.name: [] for field in schema}
    for i in range(rows):
        values = {
            "period": period, "county_code": f"5323{i // 100 % 100:02d}", "county_name": "武定县",
            "region_code": f"5323{i:08d}",
            # text a spreadsheet would take for a formula: the DataStore keeps it raw
            "region_name": "=SUM(A1)" if i == 0 else "-东坡街道" if i == 1 else f"乡镇{i}",
            "urban_households": i % 97, "urban_persons": i % 211,
            "urban_amount": i % 89 + 0.25, "rural_households": 1, "rural_persons": 2, "rural_amount": 3.5,
            "tekun_persons": 0, "tekun_amount": 0.0, "temporary_cases": None if i == 2 else i % 7, "temporary_amount": None}
        for name in columns:
            columns[name].append(values[name])
    table = pa.Table.from_pydict(columns, schema=schema)
    parquet = folder / "relief-recipients-all.parquet"
    pq.write_table(table, parquet)
    csv = parquet.with_suffix(".csv")
    csv.write_text("written by the pipeline; the loader reads the Parquet\n", encoding="utf-8")
    return PackagedFile(csv, "all", "CSV", "0" * 64)


class WithoutCopyLoader(ckanapi.RemoteCKAN):
    """A CKAN that does not have ckanext-gongkai's action."""

    def call_action(self, action, data_dict=None, *args, **kwargs):
        if action == "gongkai_datastore_load" or (
                action == "help_show" and (data_dict or {}).get("name") == "gongkai_datastore_load"):
            raise ckanapi.NotFound("Action function not found")
        return super().call_action(action, data_dict, *args, **kwargs)


@pytest.fixture
def resource_id(ckan, created, unique):
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    dataset = created.dataset(**dataset_fields(f"{unique}-ds", org, resources=[]))
    return ckan.action.resource_create(package_id=dataset["id"], name="series", format="CSV", period="all",
                                       url="http://example.com/series.csv")["id"]


@pytest.mark.parametrize("client", [ckanapi.RemoteCKAN, WithoutCopyLoader])
def test_the_publisher_loads_the_series_and_reloads_it(client, ckan, anonymous, resource_id, tmp_path):
    settings = portal_settings()
    messages = []
    publisher = Publisher(client(settings.url, apikey=settings.token), settings, SPEC, messages.append)
    (tmp_path / "a").mkdir()
    publisher._load_datastore(resource_id, series_files(tmp_path / "a", 500))
    (tmp_path / "b").mkdir()
    publisher._load_datastore(resource_id, series_files(tmp_path / "b", 300, period="2024-04"))

    result = anonymous.action.datastore_search(resource_id=resource_id, sort="region_code", limit=5)
    assert result["total"] == 300
    first = result["records"]
    assert [r["region_name"] for r in first[:3]] == ["=SUM(A1)", "-东坡街道", "乡镇2"]
    assert (first[0]["period"], first[1]["temporary_cases"], first[2]["temporary_cases"]) == ("2024-04", 1, None)
    assert float(first[1]["urban_amount"]) == 1.25
    fields = {f["id"]: f for f in result["fields"]}
    assert (fields["urban_households"]["type"], fields["urban_amount"]["type"]) == ("int8", "numeric")
    assert fields["urban_households"]["info"]["label"]
    with pytest.raises(ckanapi.ValidationError):  # the schema's primary key is enforced
        ckan.action.datastore_upsert(resource_id=resource_id, method="insert", force=True,
                                     records=[{"region_code": first[0]["region_code"], "period": "2024-04"}])
    loaded_by_copy = any("DataStore table loaded" in m for m in messages)
    assert loaded_by_copy == (client is ckanapi.RemoteCKAN)
