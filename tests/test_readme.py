"""README.md documents every spec key, every quality check and every command."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel

from gongkai.suite import CHECKS
from gongkai.spec import ROOT, Spec

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text of a `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def _models(annotation) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (X, X | None, list[X], dict[str, str | X])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models(arg)]


def spec_keys(model: type[BaseModel] = Spec, seen: set | None = None) -> list[tuple[str, str]]:
    """(model, key) for every field of the spec models, by the key a YAML spec uses."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    keys = []
    for name, field in model.model_fields.items():
        if name == "path":     # set by load_spec, never written in a spec
            continue
        keys.append((model.__name__, field.alias or name))
        for nested in _models(field.annotation):
            keys += spec_keys(nested, seen)
    return keys


def test_the_walk_reaches_every_model():
    models = {model for model, _ in spec_keys()}
    assert models == {
        "Spec", "Source", "Header", "Rows", "Column", "Unpivot", "Block", "PeriodColumns", "Deadline", "Ckan",
        "Organization",
        "Roster",
        "Chart",
        "DisclosureControl", "DisclosureCell", "DisclosureMargin",
    }
    assert ("Spec", "schema") in spec_keys() and ("Spec", "path") not in spec_keys()


@pytest.mark.parametrize("model,key", spec_keys())
def test_every_spec_key_is_in_the_reference(model, key):
    assert f"`{key}`" in _section("Dataset spec reference"), f"{model}.{key} is not documented"


def reference_rows() -> dict[tuple[str, str], list[str]]:
    """(model, key) -> the cells of its row in the reference, each table under its **Model** heading."""
    rows, model = {}, None
    for line in _section("Dataset spec reference").splitlines():
        if heading := re.match(r"^\*\*(\w+)\*\* \(", line):
            model = heading.group(1)
        elif model and (row := re.match(r"^\| `([^`]+)` \|(.*)\|$", line)):
            rows[(model, row.group(1))] = [cell.strip() for cell in re.split(r"(?<!\\)\|", row.group(2))]
    return rows


@pytest.mark.parametrize("model,key", spec_keys())
def test_every_spec_key_has_a_row_with_its_meaning_and_an_example(model, key):
    cells = reference_rows().get((model, key))
    assert cells is not None, f"no row for {key} in the **{model}** table"
    meaning, example = cells[0], cells[-1]
    assert len(cells) == 2 and meaning and example, f"{model}.{key}: {cells}"


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_quality_check_is_documented(check):
    assert f"`{check}`" in _section("Dataset spec reference")


@pytest.mark.parametrize("command", ["run", "review", "validate", "notice", "list", "show", "spec check",
                                     "spec schema", "deadlines", "catalog", "diff"])
def test_every_command_is_in_the_readme(command):
    assert f"gongkai {command}" in README
