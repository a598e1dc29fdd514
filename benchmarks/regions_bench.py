"""Benchmark resolving place names against the national division code list, against a plain dict lookup.

    python benchmarks/regions_bench.py [--province 53]      (or: make bench-regions; ~20 s, no portal)

What it measures, for one province of the shipped 2023 list (default 云南, 53), in this process:

  * building the index: the national list read from datasets/divisions/2023.csv.gz and every
    county, prefecture and province name indexed (`load_regions`, once per process; the later
    calls of a run get the same object);
  * every township name of the province resolved within its county (`County.township`), as bureaus
    write them: the official name for most, a short form every 5th (湾碧乡, 一平浪, 街道办事处),
    a 镇/乡 slip every 17th (a warning in a run); the first call of each county builds its index;
  * 100,000 roster village names (the province's villages, written 村/村委会/社区/居委会 as rosters
    do, repeated in roster order) resolved within their township (`County.village`): cold, as the
    first roster file of a run (the province's village file read, each county's village index
    built on its first name), and warm, as every later file of the run in the same process;
  * the county named in a title (`Regions.find_county`) for every county of the province, written
    `<prefecture short name><county>2024年3月城乡低保情况统计表`, against the scan the reader used
    before the national list (every name of every county tried as a substring of the title).

Baseline, timed in the same run: the same names looked up in plain dicts built beforehand
(official name -> code per county, and per township) — the floor of any lookup, with none of the
short forms, slips or ambiguity checks. Best of REPEATS (time.perf_counter).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from table import print_rows  # noqa: E402
from gongkai import divisions  # noqa: E402
from gongkai.normalize import regions as regions_module  # noqa: E402
from gongkai.normalize.regions import County, key, load_regions  # noqa: E402

REPEATS = 5
ROSTER_NAMES = 100_000
YEAR = divisions.latest_year()


def best(function, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def written_township(name: str, i: int) -> str:
    """How a bureau writes the township: mostly its official name, a short form or a slip now and then."""
    short = sorted(regions_module.township_short_forms(key(name)))
    if i % 5 == 0 and short:
        return short[i % len(short)]
    if i % 17 == 0 and name.endswith("镇"):
        return name[:-1] + "乡"
    return name


def written_village(name: str, i: int) -> str:
    short = sorted(regions_module.village_short_forms(key(name)))
    return short[i % len(short)] if short and i % 3 else name


def cold_index() -> float:
    """Seconds to read the year's list and index every county's name: what the first file of a run pays."""
    divisions.national.cache_clear()
    regions_module._load.cache_clear()
    start = time.perf_counter()
    load_regions(YEAR)
    return time.perf_counter() - start


def fresh_counties(regions, codes: list[str]) -> list[County]:
    """The province's counties without their lazily built indexes, so every repeat pays them."""
    return [County(c.code, c.name, c.level, c.parent_code, c.year, c.townships_, c.own_villages)
            for c in (regions.counties[code] for code in codes)]


def old_find_county(counties: list[tuple[str, str, list[str]]], text: str):
    """The reader's find_county before the national list: every name of every county tried on the text;
    a county named anywhere beats a prefecture; the earliest mention, the longest name on ties."""
    candidates = [c for c in counties if c[1] == "county"]
    if not any(name in text for _, _, names in candidates for name in names):
        candidates = counties
    best_hit = None
    for code, _, names in candidates:
        for name in names:
            at = text.find(name)
            if at >= 0 and (best_hit is None or (at, -len(name)) < best_hit[0]):
                best_hit = ((at, -len(name)), code)
    return best_hit[1] if best_hit else None


def measure(province: str) -> tuple[list[tuple], dict]:
    figures = {"index": min(cold_index() for _ in range(3))}
    regions = load_regions(YEAR)
    codes = [c for c, county in regions.counties.items() if c[:2] == province and county.level == "county"]

    townships = [(county.code, t.name, t.code, written_township(t.name, i))
                 for county in (regions.counties[c] for c in codes) for i, t in enumerate(county.townships_)]
    figures["townships"] = len(townships)

    def resolve_townships():
        counties = {c.code: c for c in fresh_counties(regions, codes)}
        for county_code, _, code, spelled in townships:
            counties[county_code].township(spelled)

    floor_townships = {}
    for county_code, name, code, _ in townships:
        floor_townships.setdefault(county_code, {})[name] = code

    def dict_townships():
        for county_code, name, _, _ in townships:
            floor_townships[county_code][name]

    villages = [(code, name) for code, name in divisions.villages(YEAR, province) if code[:12]]
    roster = [(villages[i % len(villages)], written_village(villages[i % len(villages)][1], i))
              for i in range(ROSTER_NAMES)]
    roster.sort(key=lambda item: item[0][0])            # a roster is sorted by township and village
    figures["villages"] = len(villages)

    def resolve_villages():
        counties = {c.code[:6]: c for c in fresh_counties(regions, codes)}
        divisions.villages.cache_clear()                 # the province's village file is read once per run
        regions_module._villages_by_county.cache_clear()
        regions_module._villages_of_county.cache_clear()
        for (code, _), spelled in roster:
            counties[code[:6]].village(code[:9] + "000", spelled)

    warm = {c.code[:6]: c for c in fresh_counties(regions, codes)}

    def resolve_villages_warm():
        for (code, _), spelled in roster:
            warm[code[:6]].village(code[:9] + "000", spelled)

    floor_villages = {}
    for code, name in villages:
        floor_villages.setdefault(code[:9], {})[name] = code

    def dict_villages():
        for (code, name), _ in roster:
            floor_villages[code[:9]][name]

    prefecture = {c: regions.by_code[regions.counties[c].parent_code] for c in codes}
    titles = []
    for c in codes:
        p = prefecture[c]
        short = sorted(regions_module.county_short_forms(key(p.name), "prefecture")) or [p.name]
        titles.append((c, f"{short[0] if p.name not in regions_module.PLACEHOLDERS else ''}"
                          f"{regions.counties[c].name}2024年3月城乡低保情况统计表"))
    every_name = [(c.code, c.level, [key(c.name)]) for c in regions.counties.values()]

    def find_titles():
        for _, title in titles:
            regions.find_county(title)

    def scan_titles():
        for _, title in titles:
            old_find_county(every_name, title)

    wrong = [(c, t) for c, t in titles if regions.find_county(t).county is None
             or regions.find_county(t).county.code != c]
    figures["titles"], figures["titles_wrong"] = len(titles), len(wrong)
    figures["titles_scan_wrong"] = sum(old_find_county(every_name, t) != c for c, t in titles)

    lines = [
        ("index (read the list, index names)", figures["index"], None, "", None),
        (f"{len(townships):,} townships, each in its county", best(resolve_townships), len(townships),
         "dict lookup (floor)", best(dict_townships)),
        (f"{ROSTER_NAMES:,} roster villages, cold", best(resolve_villages), ROSTER_NAMES,
         "dict lookup (floor)", best(dict_villages)),
        (f"{ROSTER_NAMES:,} roster villages, warm", best(resolve_villages_warm), ROSTER_NAMES,
         "dict lookup (floor)", best(dict_villages)),
        (f"{len(titles)} titles -> county", best(find_titles), len(titles),
         "scan of every name (before)", best(scan_titles)),
    ]
    return lines, figures


def print_table(lines) -> None:
    header = ("what", "seconds", "names/s", "baseline", "baseline s", "ratio")
    rows = [header]
    for what, seconds, count, baseline, base_seconds in lines:
        ratio = ""
        if base_seconds:
            ratio = (f"{seconds / base_seconds:.1f}x ours/floor" if "floor" in baseline
                     else f"{base_seconds / seconds:.0f}x faster than before")
        rows.append((what, f"{seconds:.3f}", f"{count / seconds:,.0f}" if count else "", baseline,
                     f"{base_seconds:.3f}" if base_seconds else "", ratio))
    print_rows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--province", default="53", help="2-digit province code (default 53, 云南)")
    args = parser.parse_args()
    name = next(d.name for d in divisions.national(YEAR) if d.code == args.province.ljust(12, "0"))
    print(f"regions_bench: {divisions.describe(YEAR)}; province {name} ({args.province}); best of {REPEATS}; "
          f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), Python {platform.python_version()}")
    print()
    lines, f = measure(args.province)
    print_table(lines)
    print()
    resolve = lines[1][1] + lines[2][1]   # townships and cold villages
    print(f"summary: the index once per process {f['index']:.2f} s; every township of {name} ({f['townships']:,}) "
          f"and {ROSTER_NAMES:,} roster villages (of {f['villages']:,}) resolved in {resolve:.2f} s together; "
          f"titles: {f['titles'] - f['titles_wrong']}/{f['titles']} counties found "
          f"(the scan of every name before: {f['titles'] - f['titles_scan_wrong']}/{f['titles']})")


if __name__ == "__main__":
    main()
