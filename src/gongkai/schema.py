"""Table schemas: the Frictionless schema a spec names, and the schema of what is published.

Below every stage: normalize types its columns by the schema, validate checks them, and package,
datapackage.json and the DataStore describe what is published. A dataset under disclosure control
publishes each protected field as nullable with a companion `<field>_flag` column; those flag
columns are added here from the spec, never written in a schema file.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import yaml
from frictionless import Schema

CONFIDENTIAL_FLAG = "C"
FLAG_NOTE = "C = 因小数保护不予公开 / suppressed for confidentiality"


@lru_cache
def load_schema(path: Path) -> Schema:
    # Read the YAML ourselves: frictionless refuses absolute descriptor paths as unsafe.
    return Schema.from_descriptor(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def flag_field(name: str) -> str:
    return f"{name}_flag"


def with_flags(schema: Schema, protected: Collection[str]) -> Schema:
    """The schema of what is published: each protected field may be empty and has its flag field.

    Validation uses the source schema on the real values, before suppression; packaging,
    datapackage.json and the DataStore use this one.
    """
    if not protected:
        return schema
    fields = []
    for field in schema.to_descriptor()["fields"]:
        if field["name"] not in protected:
            fields.append(field)
            continue
        constraints = {k: v for k, v in field.get("constraints", {}).items() if k != "required"}
        note = f"因小数保护不予公开时为空，见 {flag_field(field['name'])} / empty when suppressed, see the flag"
        fields.append({**field, "constraints": constraints,
                       "description": "; ".join(filter(None, [field.get("description"), note]))})
        fields.append({"name": flag_field(field["name"]), "title": f"{field.get('title', field['name'])} 标记 / flag",
                       "type": "string", "description": FLAG_NOTE, "constraints": {"enum": [CONFIDENTIAL_FLAG]}})
    return Schema.from_descriptor({**schema.to_descriptor(), "fields": fields})
