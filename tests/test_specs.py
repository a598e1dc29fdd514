"""Every dataset is complete: spec, schema, suite, flow, deployment and a README row."""

from __future__ import annotations

import pytest
import yaml


from cli import gongkai
from gongkai.spec import ROOT, ROSTER_FIELDS, SpecError, available, json_schema, load_spec
from gongkai.schema import load_schema

DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(params=available())
def spec(request):
    return load_spec(request.param)


def test_there_is_at_least_one_dataset():
    assert "relief-recipients" in available()


def test_every_declared_column_is_a_schema_field(spec):
    fields = set(load_schema(spec.schema_path).field_names) if spec.roster is None else set(ROSTER_FIELDS)
    assert {c.field for _, c in spec.source.column_specs} <= fields


def test_every_spec_passes_spec_check(spec):
    result = gongkai("spec", "check", spec.name)
    assert result.exit_code == 0, result.output


def test_every_dataset_has_a_suite_a_deployment_and_a_readme_row(spec):
    assert spec.suite_path and spec.suite_path.exists()
    flow = spec.flow or "publish_dataset"
    assert (ROOT / "flows" / f"{flow}.py").exists()
    [deployment] = [d for d in DEPLOYMENTS if d["parameters"].get("dataset") == spec.name]
    assert deployment["entrypoint"] == f"flows/{flow}.py:{flow}"
    assert deployment["schedules"] and deployment["enforce_parameter_schema"]
    assert f"| {spec.name} |" in README


def test_disclosure_and_frequency_take_values_the_portal_accepts(spec):
    assert spec.disclosure in ("proactive", "on_request", "not_disclosed")
    assert spec.frequency in ("monthly", "quarterly", "annual", "irregular")
    assert spec.ckan.title_en and spec.ckan.notes_en


def test_a_spec_with_an_unknown_key_is_refused_with_a_suggestion(tmp_path):
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    raw["source"]["colums"] = raw["source"].pop("columns")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        load_spec(path)
    message = str(refused.value)
    assert str(path) in message and "source.colums: unknown key (did you mean 'columns'?)" in message
    assert "source.columns: missing key" in message


@pytest.mark.parametrize("text", ["- just\n- a list\n", "# README\n\nnot a spec\n", "name: [unclosed\n"])
def test_a_yaml_file_that_is_not_a_spec_is_a_clear_error(tmp_path, text):
    path = tmp_path / "other.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="spec"):
        load_spec(path)


def test_a_column_naming_a_field_the_schema_lacks_is_refused(tmp_path):
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    raw["source"]["columns"]["城市低保/户数"] = "urban_housholds"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match="did you mean 'urban_households'"):
        load_spec(path)


@pytest.mark.parametrize("key", ["schema", "suite", "regions"])
def test_a_missing_file_of_a_spec_outside_the_repository_is_named_by_its_key_beside_the_spec(tmp_path, key):
    """A bureau keeps its spec, schema, suite and regions file together: one it forgot to copy is
    reported where it was looked for, beside the spec, under the key that names it."""
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    (tmp_path / "own.schema.yaml").write_text((ROOT / raw["schema"]).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "own-suite.yaml").write_text((ROOT / raw["suite"]).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "own-regions.csv").write_text("code,name,level,parent_code,aliases\n", encoding="utf-8")
    raw |= {"schema": "own.schema.yaml", "suite": "own-suite.yaml", "regions": "own-regions.csv"}
    missing = {"schema": "own.schema.yaml", "suite": "own-suite.yaml", "regions": "own-regions.csv"}[key]
    (tmp_path / missing).unlink()
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = gongkai("spec", "check", str(path))
    assert result.exit_code != 0
    output = " ".join(result.output.split())
    assert f"{key}: {missing} does not exist" in output and f"looked for {tmp_path / missing}" in output, output
    assert "Traceback" not in result.output


def test_the_json_schema_for_editors_lists_every_source_key():
    schema = json_schema()
    source = schema["$defs"]["Source"]["properties"]
    assert {"columns", "unpivot", "rows", "header", "period_from", "sheet_field"} <= set(source)
    assert "description" in source["columns"]
