"""The column-wise engine finds exactly what frictionless finds: same rows, fields, kinds and notes.

frictionless' row-by-row check is the reference. Both run on the real normalized samples of
every family with cells corrupted so that every constraint type breaks somewhere, and on
random tables of mixed cells (text in number fields, floats in integer fields, blanks,
duplicates) under a schema that uses every constraint the engine supports.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Schema

from gongkai.normalize import normalize
from gongkai.extract import find_sources
from gongkai.problems import Problems
from gongkai.spec import load_spec
from gongkai.schema import load_schema
from gongkai.validate import validate_table
from gongkai.validate.columns import column_findings, supports
from gongkai.validate.reference import frictionless_findings

SAMPLES = {  # dataset -> (folder under the generated samples, period)
    "relief-recipients": (".", "2024-03"),
    "subsidy-standards": ("standards", "2024"),
    "lottery-fund": ("lottery", "2023"),
    "budget-accounts": ("budgets", "2023"),
}

EVERY_CONSTRAINT = Schema.from_descriptor({
    "primaryKey": ["code", "day"],
    "missingValues": ["", "-"],
    "fields": [
        {"name": "code", "type": "string",
         "constraints": {"required": True, "pattern": r"\d{3}|X\d", "unique": True}},
        {"name": "label", "type": "string", "constraints": {"minLength": 2, "maxLength": 4}},
        {"name": "kind", "type": "string", "constraints": {"enum": ["城市低保", "农村低保"]}},
        {"name": "count", "type": "integer",
         "constraints": {"required": True, "minimum": 0, "maximum": 100, "enum": [0, 5, 50, 150, -1]}},
        {"name": "amount", "type": "number",
         "constraints": {"minimum": 0, "maximum": 1000}},
        {"name": "day", "type": "date", "constraints": {"minimum": "2024-01-01", "maximum": "2024-12-31"}},
    ],
})

# Cells a careless spreadsheet (or a bug upstream) can put in each column.
CELLS = {
    "code": ["123", "123", "12", "X1", "X12", "abc", "", None, 7, "1234", " 123", "456", "١٢٣", "123\n"],
    "label": ["ab", "a", "abcde", "乡镇名", "", None, "abcd", 3],
    "kind": ["城市低保", "农村低保", "特困", "", None, 1],
    "count": [0, 5, 50, 150, -1, 7, 5.0, 5.5, "5", " 50 ", "五", "1_0", "", None, True, "-", "1e2"],
    "amount": [1.5, 0, 1000, 999.99, -3, "12.5", "1e2", "NaN", "Infinity", "abc", "", None, 7, float("inf"), "-"],
    "day": ["2024-03-01", "2023-12-31", "2025-01-01", "2024-3-1", "2024-02-30", "03/01/2024", "", None,
            dt.date(2024, 5, 1), dt.datetime(2024, 6, 1), dt.datetime(2024, 6, 1, 8, 30), 20240301],
}


def both(schema: Schema, frame: pd.DataFrame):
    return column_findings(schema, frame), frictionless_findings(schema, frame)


def random_frame(seed: int, rows: int = 300) -> pd.DataFrame:
    rng = random.Random(seed)
    columns = {name: [rng.choice(cells) for _ in range(rows)] for name, cells in CELLS.items()}
    frame = pd.DataFrame(columns, dtype=object)
    frame.iloc[rng.randrange(rows)] = None   # a blank row
    return frame


@pytest.mark.parametrize("seed", range(6))
def test_random_mixed_cells_every_constraint(seed):
    assert supports(EVERY_CONSTRAINT)
    columns, reference = both(EVERY_CONSTRAINT, random_frame(seed))
    kinds = {(f.type, f.note.split('"')[1] if f.type == "constraint-error" else "") for f in reference}
    assert {"type-error", "unique-error", "primary-key", "blank-row"} <= {k for k, _ in kinds}
    assert {"required", "pattern", "minLength", "maxLength", "enum", "minimum", "maximum"} <= {c for _, c in kinds}
    assert columns == reference


def test_typed_columns_as_the_pipeline_builds_them():
    """Int64 / float64 / str columns (what normalize produces) take the vectorised paths."""
    frame = pd.DataFrame({
        "code": pd.array(["123", "123", "12", None, "456", "X1"], dtype="str"),
        "label": pd.array(["ab", "a", "abcde", "乡镇", None, "ab"], dtype="str"),
        "kind": pd.array(["城市低保", "特困", None, "农村低保", "城市低保", "城市低保"], dtype="str"),
        "count": pd.array([0, 150, None, -1, 5, 50], dtype="Int64"),
        "amount": [1.5, 0.0, float("nan"), 1000.0, -2.0, 3.0],
        "day": pd.array(["2024-03-01", "2023-01-01", "bad", None, "2024-03-01", "2024-13-01"], dtype="str"),
    })
    columns, reference = both(EVERY_CONSTRAINT, frame)
    assert len(reference) > 10
    assert columns == reference


def corrupt(frame: pd.DataFrame, schema: Schema, seed: int) -> pd.DataFrame:
    """Break every constraint the schema declares somewhere in a copy of a real table."""
    rng = random.Random(seed)
    broken = frame.astype(object).copy()
    rows = len(broken)
    for field in schema.fields:
        picks = iter(rng.sample(range(rows), 5))   # a different row for each corruption of a field
        at = lambda: next(picks)   # noqa: E731
        name = field.name
        broken.at[at(), name] = None                          # required
        if field.type in ("integer", "number"):
            broken.at[at(), name] = "三十"                     # type
            broken.at[at(), name] = -5                        # minimum
            broken.at[at(), name] = 2.5 if field.type == "integer" else "1e3"
        if field.type == "date":
            broken.at[at(), name] = "2024-02-30"
        if "pattern" in field.constraints:
            broken.at[at(), name] = "12345"
        if "enum" in field.constraints:
            broken.at[at(), name] = "不在列表中"
    broken.loc[rows] = broken.loc[0]                          # primary key (and unique) twice
    broken.loc[rows + 1] = None                               # blank row
    return broken


@pytest.mark.parametrize("dataset", SAMPLES)
def test_corrupted_samples_of_every_family(dataset, samples, family_samples):
    folder, period = SAMPLES[dataset]
    root = samples[0] if folder == "." else family_samples[0] / folder
    spec, problems = load_spec(dataset), Problems()
    table = normalize(spec, find_sources(spec, Path(root), problems), period, problems)
    schema = load_schema(spec.schema_path)
    assert supports(schema) and len(table.frame) > 5 and not problems.errors
    assert both(schema, table.frame) == ([], [])   # the clean sample passes both
    for seed in range(3):
        columns, reference = both(schema, corrupt(table.frame, schema, seed))
        assert {"constraint-error", "type-error", "primary-key", "blank-row"} <= {f.type for f in reference}
        assert columns == reference


def test_validate_stage_reports_at_the_source_cell(samples):
    """The stage's message and place are what a data officer sees: the cell in the workbook."""
    spec, problems = load_spec("relief-recipients"), Problems()
    table = normalize(spec, find_sources(spec, samples[0], problems), "2024-03", problems)
    frame = table.frame.copy()
    frame.loc[3, "region_code"] = "5323"
    validate_table(spec.schema_path, frame, table.where, problems)
    [problem] = [p for p in problems if p.slug == "schema-violation"]
    assert problem.where == table.where(3, "region_code") and problem.where.cell
    assert 'region_code: constraint "pattern" is "\\d{12}"' in problem.params["detail"]
