"""Every dataset is complete: spec, schema, suite, flow, deployment and a README row."""

from __future__ import annotations

import pytest
import yaml

from gongkai.spec import ROOT, available, load_spec
from gongkai.validate import load_schema

DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(params=available())
def spec(request):
    return load_spec(request.param)


def test_there_is_at_least_one_dataset():
    assert "relief-recipients" in available()


def test_every_declared_column_is_a_schema_field(spec):
    fields = set(load_schema(spec.schema_path).field_names)
    assert {c.field for c in spec.source.columns} <= fields


def test_every_dataset_has_a_suite_a_flow_a_deployment_and_a_readme_row(spec):
    assert spec.suite_path and spec.suite_path.exists()
    assert (ROOT / "flows" / f"{spec.flow}.py").exists()
    entrypoints = [d["entrypoint"] for d in DEPLOYMENTS]
    assert f"flows/{spec.flow}.py:{spec.flow}" in entrypoints
    assert f"| {spec.name} |" in README


def test_disclosure_and_frequency_take_values_the_portal_accepts(spec):
    assert spec.disclosure in ("proactive", "on_request", "not_disclosed")
    assert spec.frequency in ("monthly", "quarterly", "annual", "irregular")
    assert spec.ckan["title_en"] and spec.ckan["notes_en"]
