"""Dataset specs: the declarative YAML under datasets/ that says what to read and publish."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The repo root holds datasets/, schemas/ and quality/; paths in specs are relative to it.
ROOT = Path(__file__).resolve().parents[2]


def datasets_dir() -> Path:
    """Where specs live; GONGKAI_DATASETS_DIR lets tests and operators keep them elsewhere."""
    return Path(os.environ.get("GONGKAI_DATASETS_DIR", ROOT / "datasets"))

# Units a source may declare, as factors to the published unit.
UNIT_FACTORS = {"元": 1, "千元": 1_000, "万元": 10_000, "亿元": 100_000_000}


class SpecError(Exception):
    """A dataset spec is missing or malformed: a mistake in the repo, not in the data."""


@dataclass(frozen=True)
class Column:
    header: str          # header path in the source, levels joined by "/": 城市低保/户数
    field: str           # schema field it becomes
    unit: str | None = None

    @property
    def factor(self) -> int:
        return UNIT_FACTORS[self.unit] if self.unit else 1


@dataclass(frozen=True)
class Source:
    directory: Path
    files: list[str]
    period_from: list[str]
    county_from: list[str]
    header_starts_with: str
    header_rows: int
    total_row: str
    footer_row: str
    zero_values: list[str]
    columns: list[Column]


@dataclass(frozen=True)
class Spec:
    name: str
    flow: str
    schema_path: Path
    suite_path: Path | None
    regions_path: Path
    disclosure: str
    department: str
    frequency: str
    deadline: dict
    source: Source
    quality: dict
    ckan: dict
    path: Path = field(compare=False, default=None)

    def column(self, field_name: str) -> Column:
        return next(c for c in self.source.columns if c.field == field_name)


def _column(header: str, value) -> Column:
    if isinstance(value, str):
        return Column(header, value)
    unit = value.get("unit")
    if unit and unit not in UNIT_FACTORS:
        raise SpecError(f"column {header!r}: unknown unit {unit!r}, expected one of {sorted(UNIT_FACTORS)}")
    return Column(header, value["field"], unit)


def load_spec(name_or_path: str | Path) -> Spec:
    path = Path(name_or_path)
    if not path.suffix:
        path = datasets_dir() / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(available()) or "none"
        raise SpecError(f"no dataset spec {path} (known datasets: {known})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        src = raw["source"]
        source = Source(
            directory=ROOT / src["directory"],
            files=src["files"],
            period_from=src["period_from"],
            county_from=src["county_from"],
            header_starts_with=src["header"]["starts_with"],
            header_rows=src["header"]["rows"],
            total_row=src["total_row"],
            footer_row=src["footer_row"],
            zero_values=src.get("zero_values", []),
            columns=[_column(h, v) for h, v in src["columns"].items()],
        )
        return Spec(
            name=raw["name"], flow=raw["flow"],
            schema_path=ROOT / raw["schema"],
            suite_path=ROOT / raw["suite"] if raw.get("suite") else None,
            regions_path=ROOT / raw["regions"],
            disclosure=raw["disclosure"], department=raw["department"],
            frequency=raw["frequency"], deadline=raw["deadline"],
            source=source, quality=raw.get("quality", {}), ckan=raw["ckan"], path=path,
        )
    except KeyError as missing:
        raise SpecError(f"{path}: missing key {missing}") from None


def available() -> list[str]:
    return sorted(p.stem for p in datasets_dir().glob("*.yaml"))
