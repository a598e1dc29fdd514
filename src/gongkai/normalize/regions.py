"""Division codes: county, township and village names (official or alias) -> 12-digit codes, from regions.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from gongkai.normalize.text import compact


@dataclass
class County:
    code: str
    name: str                                   # official name: 禄丰市
    names: list[str]                            # official name and aliases: 禄丰市, 禄丰县
    level: str = "county"                       # county | prefecture
    townships: dict[str, tuple[str, str]] = field(default_factory=dict)  # any spelling -> (code, official)
    # township code -> {any spelling of a village (村/社区) -> (code, official)}
    villages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def township(self, spelled) -> tuple[str, str] | None:
        return self.townships.get(compact(spelled))

    def village(self, township_code: str, spelled) -> tuple[str, str] | None:
        return self.villages.get(township_code, {}).get(compact(spelled))


@dataclass
class Regions:
    counties: dict[str, County]

    def county_named(self, text: str) -> County | None:
        """The county (or prefecture) whose official name or alias is exactly the text."""
        wanted = compact(text)
        return next((c for c in self.counties.values() if wanted in c.names), None)

    def find_county(self, text: str) -> County | None:
        """The county named in a text (title or file name): the earliest mention, the longest name on ties."""
        best = None
        # A county named anywhere beats the prefecture it belongs to (楚雄州武定县… is 武定县).
        counties = [c for c in self.counties.values() if c.level == "county"]
        if not any(name in text for c in counties for name in c.names):
            counties = list(self.counties.values())
        for county in counties:
            for name in county.names:
                at = text.find(name)
                if at >= 0 and (best is None or (at, -len(name)) < best[0]):
                    best = ((at, -len(name)), county)
        return best[1] if best else None


def _names(row: dict) -> list[str]:
    aliases = [a for a in (row.get("aliases") or "").split("|") if a.strip()]
    return [compact(row["name"])] + [compact(a) for a in aliases]


def load_regions(path: Path) -> Regions:
    with Path(path).open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    # Prefectures count as counties here: standards and budgets are also stated for 楚雄州 as a whole.
    counties = {r["code"]: County(r["code"], r["name"], _names(r), level=r["level"]) for r in rows
                if r["level"] in ("county", "prefecture")}
    county_of_township = {}
    for row in rows:
        county = counties.get(row["parent_code"])
        if row["level"] == "township" and county:
            county_of_township[row["code"]] = county
            for name in _names(row):
                county.townships[name] = (row["code"], row["name"])
    for row in rows:
        county = county_of_township.get(row["parent_code"])
        if row["level"] == "village" and county:
            villages = county.villages.setdefault(row["parent_code"], {})
            for name in _names(row):
                villages[name] = (row["code"], row["name"])
    return Regions(counties)
