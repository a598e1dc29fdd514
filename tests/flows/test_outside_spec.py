"""A bureau's own dataset kept outside the repository: its spec, schema, suite, regions file and
spreadsheets in one folder of their own, validated with `gongkai validate` and published through the
real flow to the local portal.

禄丰市 reports a unit the national division codes lack (its industrial park's 管委会, written
工业园区 in the sheet); its regions file beside the spec gives it a code. Every path in the spec is
relative and resolves beside the spec, the source folder too: nothing is read from datasets/.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from cli import gongkai
from gongkai.cli import _load_flow
from gongkai.publish import connect
from gongkai.settings import portal_settings
from gongkai.spec import ROOT, load_spec

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

COUNTY, PERIOD = "禄丰市", "2024-03"
PARK = "禄丰市工业园区管理委员会"          # not in the national list: the bureau's own unit
PARK_CODE = "532302499000"
PARK_FIGURES = {"urban_households": 12, "urban_persons": 21, "urban_amount": 0.78,   # amounts in 万元
                "rural_households": 40, "rural_persons": 85, "rural_amount": 1.93,
                "tekun_persons": 6, "tekun_amount": 0.41, "temporary_cases": 9, "temporary_amount": 0.52}


@pytest.fixture(scope="module")
def bureau(tmp_path_factory, make_samples):
    """(spec path, true figures {township: {field: value in the sheet's units}}, CKAN name) of a
    bureau folder outside the repository."""
    folder = tmp_path_factory.mktemp("bureau")
    assert not folder.resolve().is_relative_to(ROOT)
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    name = "lufeng-relief"
    raw |= {"name": name, "schema": "lufeng-relief.schema.yaml", "suite": "lufeng-relief-quality.yaml",
            "regions": "lufeng-regions.csv"}
    raw["source"] |= {"directory": "reports", "files": ["*.xlsx"]}
    raw["ckan"]["name"] = f"test-{name}-{uuid.uuid4().hex[:8]}"
    spec_path = folder / f"{name}.yaml"
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    schema = yaml.safe_load((ROOT / "schemas" / "relief-recipients.schema.yaml").read_text(encoding="utf-8"))
    (folder / "lufeng-relief.schema.yaml").write_text(yaml.safe_dump(schema | {"name": name}, allow_unicode=True),
                                                      encoding="utf-8")
    suite = yaml.safe_load((ROOT / "quality" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    (folder / "lufeng-relief-quality.yaml").write_text(yaml.safe_dump(suite | {"dataset": name}, allow_unicode=True),
                                                       encoding="utf-8")
    (folder / "lufeng-regions.csv").write_text(
        f"code,name,level,parent_code,aliases\n{PARK_CODE},{PARK},township,532302000000,工业园区|禄丰工业园区\n",
        encoding="utf-8")

    month = dict(make_samples.true_figures()[(COUNTY, PERIOD)]) | {PARK: PARK_FIGURES}
    with pytest.MonkeyPatch.context() as patch:     # the sheet spells the park as its officers do
        patch.setitem(make_samples.TOWNSHIPS[COUNTY], "工业园区", PARK)
        sheet = make_samples.layout(COUNTY, PERIOD, month)
    make_samples.write_xlsx(folder / "reports" / f"{COUNTY}2024年03月低保统计.xlsx", {"2024年3月": sheet})
    yield spec_path, month, raw["ckan"]["name"]
    try:
        connect(portal_settings()).action.dataset_purge(id=raw["ckan"]["name"])
    except Exception:  # never published (the test failed before): nothing to purge
        pass


def test_the_spec_outside_the_repository_validates(bureau):
    spec_path, _, _ = bureau
    result = gongkai("validate", str(spec_path.parent / "reports"), "--dataset", str(spec_path), "--period", PERIOD)
    assert result.exit_code == 0, result.output
    assert "0 个错误 errors" in result.output and "unknown-region" not in result.output


@pytest.fixture(scope="module")
def published(bureau, isolated_specs, prefect_backend, approve):
    """The bureau's month published from the spec's own folder (no --source):
    (the first run's report, the publishing run's report, DataStore id)."""
    spec_path, _, ckan_name = bureau
    isolated_specs()           # a temporary output folder and catalogue name for this module
    spec = load_spec(spec_path)
    staged = _load_flow()(dataset=spec.reference, period=PERIOD, source=None)
    report = approve(staged, spec=spec)
    package = connect(portal_settings()).action.package_show(id=ckan_name)
    series = next(r for r in package["resources"] if r["name"] == f"{spec.name}-datastore")
    return staged, report, series["id"]


def test_the_review_command_it_prints_names_the_spec_by_its_path(published, bureau):
    staged, _, _ = published
    spec_path, _, _ = bureau
    assert staged["status"] == "awaiting-review"
    assert f"gongkai review {spec_path.resolve()} {PERIOD}" in staged["summary"]


def test_it_publishes_the_true_figures_with_the_bureaus_own_unit(published, bureau):
    _, report, table = published
    _, month, _ = bureau
    assert report["status"] == "published", report["summary"]
    records = connect(portal_settings()).action.datastore_search_sql(
        sql=f'SELECT * FROM "{table}" WHERE period = \'{PERIOD}\'')["records"]
    got = {r["region_name"]: r for r in records}
    assert set(got) == set(month) and len(records) == len(month)
    assert (got[PARK]["region_code"], got[PARK]["county_name"]) == (PARK_CODE, COUNTY)
    for township, figures in month.items():
        for field, value in figures.items():
            expected = value * 10000 if field.endswith("amount") else value      # 万元 in the sheet, 元 published
            assert float(got[township][field]) == pytest.approx(expected, abs=0.005), (township, field)
