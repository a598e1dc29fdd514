"""Households -> the published long frame: county, township (and village) rows per category.

Every level is the sum of the level below it, computed from the same households, so the
hierarchy adds up exactly; amounts are summed in fen (分) so no float drift creeps in.
Columns (the contract with disclosure control): period, county_code, county_name,
region_code, region_name, level, parent_code, category, households, persons, amount.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from gongkai.normalize import _frame, schema_fields
from gongkai.roster.read import Household
from gongkai.spec import Spec


def aggregate(spec: Spec, households: list[Household], period: str) -> pd.DataFrame:
    """One row per region of the published levels and category (0 where a region has none)."""
    # Households are first counted per (county, township, village, category): a million rows become
    # a few thousand groups, and only the groups are added up the hierarchy.
    groups: dict[tuple, list[int]] = {}
    counties = {}
    village_level = spec.roster.level == "village"
    for h in households:
        key = (h.county.code, h.township, h.village if village_level else None, h.category)
        total = groups.get(key)
        if total is None:
            total = groups[key] = [0, 0, 0]
            counties.setdefault(h.county.code, h.county)
        total[0] += 1
        total[1] += h.size
        total[2] += h.amount_fen
    regions: dict[str, dict] = {}
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (county_code, township, village, category), (count, persons, fen) in groups.items():
        county = counties[county_code]
        chain = [(county.code, county.name, "county", None), (township[0], township[1], "township", county.code)]
        if village_level:
            chain.append((village[0], village[1], "village", township[0]))
        for code, name, level, parent in chain:
            regions.setdefault(code, {"county_code": county.code, "county_name": county.name, "region_code": code,
                                      "region_name": name, "level": level, "parent_code": parent})
            total = sums[(code, category)]
            total[0] += count
            total[1] += persons
            total[2] += fen
    records = []
    for code in sorted(regions):
        for category in spec.roster.categories:
            count, persons, fen = sums.get((code, category), (0, 0, 0))
            records.append({"period": period, **regions[code], "category": category,
                            "households": count, "persons": persons, "amount": fen / 100})
    return _frame(schema_fields(spec), records)
