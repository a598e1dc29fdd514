"""Division codes: the names bureaus write -> 12-digit codes, from the national list and the bureau's own file.

The national list (统计用区划代码) of the spec's `divisions` year comes with the repository
(gongkai/divisions.py); the spec's `regions:` file adds what a bureau has and the list does not (a
development zone, a 管委会) or another name for what it has. A township is always looked up
within its county: the same name exists in many counties.

What matches, for townships (and villages, within their township):
- the official name or an alias, exactly (blanks, invisible and full-width characters aside);
- a usual short form, silently: a 民族乡 without its ethnic part (湾碧傣族傈僳族乡 → 湾碧乡), 街道 for
  街道办事处 and back, the name without 镇/乡/街道 (一平浪 → 一平浪镇); for villages 村, 村委会,
  村民委员会, 社区, 居委会, 居民委员会 for one another, or the bare name;
- the same stem with another level word (高桥乡 for 高桥镇, 南朗镇 for 南朗街道): a slip, read as the
  official unit with a warning that says so;
- a name that fits two places is never guessed: the caller reports both.
Counties match by official name, an older list's name (禄丰县 → 禄丰市), the short form of an
autonomous county (峨山县 for 峨山彝族自治县) or 楚雄州 for 楚雄彝族自治州; in a title the
prefecture or province named beside the county decides between counties of the same name, and
else a county of the bureau's own file does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gongkai import divisions
from gongkai.divisions import Division
from gongkai.normalize.text import compact, fold

NATIONALITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 "
    "毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 民族 维吾尔").split()
ETHNIC = "(?:" + "|".join(sorted(NATIONALITIES, key=len, reverse=True)) + ")+"
TOWNSHIP_ETHNIC = re.compile(rf"^(.+?){ETHNIC}(乡|镇|苏木)$")          # 湾碧傣族傈僳族乡 -> 湾碧 乡
TOWNSHIP_WORD = re.compile(r"^(.{2,}?)(街道办事处|地区办事处|街道办|街道|办事处|街办|镇|乡|苏木)$")
STREET_WORDS = ("街道", "街道办事处", "街道办", "办事处")
AUTONOMOUS = re.compile(rf"^(.+?)(?:{ETHNIC})?自治(县|旗|州)$")         # 峨山彝族自治县 -> 峨山 县
COUNTY_WORD = re.compile(r"^(.{2,}?)(县|市|区|旗|林区|特区)$")
PROVINCE_SHORT = re.compile(rf"^(.{{2,}}?)(?:{ETHNIC})?(?:省|市|自治区)$")   # 广西壮族自治区 -> 广西
VILLAGE_WORD = re.compile(r"^(.{2,}?)(社区居民委员会|社区居委会|居民委员会|村民委员会|村委会|居委会|村委|社区|"
                          r"嘎查委员会|嘎查|村)$")
VILLAGE_FORMS = {"village": ("村", "村委会", "村民委员会", "村委"),
                 "community": ("社区", "社区居委会", "社区居民委员会", "居委会", "居民委员会"),
                 "gacha": ("嘎查", "嘎查委员会")}
# Placeholder names of the national list that name no place (北京's 市辖区, 海南's 省直辖县级行政区划).
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
COUNTY_LEVELS = ("county", "prefecture")


def key(text) -> str:
    """A name as compared: no blanks or invisible characters, full-width forms folded."""
    return fold(compact(text))


# -- the forms of a name ---------------------------------------------------------------------------

def township_short_forms(name: str) -> set[str]:
    """What bureaus write for a township besides its official name (silently accepted)."""
    forms = set()
    if match := TOWNSHIP_ETHNIC.match(name):
        forms.add(match.group(1) + match.group(2))
        name_for_words = match.group(1) + match.group(2)
    else:
        name_for_words = name
    if match := TOWNSHIP_WORD.match(name_for_words):
        stem, word = match.groups()
        forms.add(stem)
        if word in STREET_WORDS:
            forms.update(stem + w for w in STREET_WORDS)
    return forms - {name}


def township_stem(text: str) -> str | None:
    """The name without its ethnic part and level word: 高桥乡 -> 高桥; None when it has no level word."""
    if match := TOWNSHIP_ETHNIC.match(text):
        text = match.group(1) + match.group(2)
    match = TOWNSHIP_WORD.match(text)
    return match.group(1) if match else None


def _village_parts(text: str) -> tuple[str, str] | None:
    """(stem, kind) of a village name: 狮山村民委员会 -> (狮山, village); 西门社区 -> (西门, community)."""
    match = VILLAGE_WORD.match(text)
    if not match:
        return None
    stem, word = match.groups()
    kind = next(k for k, words in VILLAGE_FORMS.items() if word in words)
    return stem, kind


def village_short_forms(name: str) -> set[str]:
    parts = _village_parts(name)
    if not parts:
        return set()
    stem, kind = parts
    return ({stem + w for w in VILLAGE_FORMS[kind]} | {stem}) - {name}


def village_stem(text: str) -> str | None:
    parts = _village_parts(text)
    return parts[0] if parts else None


def county_short_forms(name: str, level: str) -> set[str]:
    """峨山彝族自治县 -> 峨山县; 楚雄彝族自治州 -> 楚雄州; 鄂伦春自治旗 -> 鄂伦春旗."""
    match = AUTONOMOUS.match(name)
    if match and (level == "prefecture") == (match.group(2) == "州"):
        return {match.group(1) + match.group(2)}
    return set()


def county_stem(text: str) -> str | None:
    if match := AUTONOMOUS.match(text):
        return match.group(1)
    match = COUNTY_WORD.match(text)
    return match.group(1) if match else None


# -- looking a name up -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    """What a written name is: one unit (code, official name), or the units it could be, or nothing."""

    code: str | None = None
    name: str | None = None
    candidates: tuple[tuple[str, str], ...] = ()   # (code, name) of each unit an ambiguous name fits
    slip: bool = False                              # found by its stem only (高桥乡 for 高桥镇): a warning

    def __bool__(self) -> bool:
        return self.code is not None

    @property
    def pair(self) -> tuple[str, str]:
        return self.code, self.name


class NameIndex:
    """Names -> units of one scope (a county's townships, a township's villages)."""

    def __init__(self, stem_of):
        self.stem_of = stem_of
        self.tiers: tuple[dict, dict] = ({}, {})          # official names and aliases; short forms
        self.stems: dict[str, dict[str, str]] = {}
        self.memo: dict[str, Resolution] = {}

    def add(self, code: str, name: str, aliases=(), short: set[str] = frozenset()) -> None:
        for spelled in (name, *aliases):
            self.tiers[0].setdefault(key(spelled), {})[code] = name
            if stem := self.stem_of(key(spelled)):
                self.stems.setdefault(stem, {})[code] = name
        for spelled in short:
            self.tiers[1].setdefault(key(spelled), {})[code] = name
        self.memo.clear()

    def resolve(self, spelled) -> Resolution:
        # A roster writes the same few hundred names a million times: each text is worked out once.
        memo = spelled if isinstance(spelled, str) else None
        if memo is not None and (known := self.memo.get(memo)) is not None:
            return known
        found = self._resolve(spelled)
        if memo is not None:
            self.memo[memo] = found
        return found

    def _resolve(self, spelled) -> Resolution:
        wanted = key(spelled)
        if not wanted:
            return Resolution()
        for tier in self.tiers:
            if hits := tier.get(wanted):
                return _one(hits)
        stem = self.stem_of(wanted)
        hits = self.stems.get(stem) if stem else None
        return _one(hits, slip=True) if hits else Resolution()


def _one(hits: dict[str, str], slip: bool = False) -> Resolution:
    if len(hits) == 1:
        (code, name), = hits.items()
        return Resolution(code, name, slip=slip)
    return Resolution(candidates=tuple(sorted(hits.items())))


@dataclass
class County:
    """A county (or a prefecture: standards and budgets are also stated for 楚雄州 as a whole)."""

    code: str
    name: str                                   # official name: 禄丰市
    level: str = "county"                       # county | prefecture
    parent_code: str = ""
    year: int = 0                               # the national list's year (for its villages)
    townships_: tuple[Division, ...] = field(default=(), repr=False)   # its townships, national and own
    own_villages: tuple[Division, ...] = field(default=(), repr=False)  # villages the bureau's own file adds
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def township(self, spelled) -> Resolution:
        if "townships" not in self._index:
            index = NameIndex(township_stem)
            for t in self.townships_:
                index.add(t.code, t.name, t.aliases, township_short_forms(key(t.name)))
            self._index["townships"] = index
        return self._index["townships"].resolve(spelled)

    def village(self, township_code: str, spelled) -> Resolution:
        """A village (村/社区) of one of this county's townships; the national villages are read on first use."""
        if "villages" not in self._index:
            self._index["villages"] = self._village_indexes()
        index = self._index["villages"].get(township_code)
        return index.resolve(spelled) if index else Resolution()

    def _village_indexes(self) -> dict[str, NameIndex]:
        indexes: dict[str, NameIndex] = defaultdict(lambda: NameIndex(village_stem))
        own = {v.code: v for v in self.own_villages}
        for code, name in _villages_of_county(self.year, self.code[:6]) if self.year else ():
            if code not in own:
                indexes[code[:9] + "000"].add(code, name, (), village_short_forms(key(name)))
        for v in own.values():
            indexes[v.parent_code].add(v.code, v.name, v.aliases, village_short_forms(key(v.name)))
        return dict(indexes)


@lru_cache(maxsize=4096)
def _villages_of_county(year: int, county6: str) -> tuple[tuple[str, str], ...]:
    return _villages_by_county(year, county6[:2]).get(county6, ())


@lru_cache(maxsize=64)
def _villages_by_county(year: int, province: str) -> dict[str, tuple[tuple[str, str], ...]]:
    grouped = defaultdict(list)
    for code, name in divisions.villages(year, province):
        grouped[code[:6]].append((code, name))
    return {county: tuple(rows) for county, rows in grouped.items()}


@dataclass(frozen=True)
class CountyHit:
    """The county a text or cell names, or the counties its name could be."""

    county: County | None = None
    mention: str = ""                           # the name as written
    candidates: tuple[County, ...] = ()         # when the name fits several counties
    slip: bool = False                          # 海门市 for 海门区: read with a warning

    def __bool__(self) -> bool:
        return self.county is not None


class Regions:
    """Every county and prefecture of the national list of one year plus a bureau's own file, by name."""

    def __init__(self, year: int, own: list[Division] = (), own_file: str = ""):
        self.year, self.own_file = year, own_file
        self.own_codes = {d.code for d in own}
        by_code = {d.code: d for d in divisions.national(year)} if year else {}
        for d in own:
            base = by_code.get(d.code)
            if base is None:
                by_code[d.code] = d
            else:   # the bureau's name is official for its data; the list's name stays an alias
                aliases = (*base.aliases, *d.aliases, *((base.name,) if base.name != d.name else ()))
                by_code[d.code] = Division(d.code, d.name, d.level or base.level,
                                           d.parent_code or base.parent_code, tuple(dict.fromkeys(aliases)))
        self.by_code = by_code
        townships, villages = defaultdict(list), defaultdict(list)
        for d in by_code.values():
            if d.level == "township":
                townships[d.parent_code].append(d)
        for d in own:
            if d.level == "village" and (parent := by_code.get(d.parent_code)):
                villages[parent.parent_code].append(d)
        self.counties: dict[str, County] = {
            d.code: County(d.code, d.name, d.level, d.parent_code, year, tuple(townships.get(d.code, ())), tuple(villages.get(d.code, ())))
            for d in by_code.values() if d.level in COUNTY_LEVELS}
        self._names: dict[str, set[str]] = defaultdict(set)        # any form -> codes (county, prefecture, province)
        self._stems: dict[str, set[str]] = defaultdict(set)        # county stem -> county codes
        for d in by_code.values():
            if d.level in ("province", *COUNTY_LEVELS) and d.name not in PLACEHOLDERS:
                self._index_place(d)
        self._longest = max((len(n) for n in self._names), default=0)

    def _index_place(self, d: Division) -> None:
        forms = {key(d.name), *(key(a) for a in d.aliases)}
        if d.level == "province":
            if match := PROVINCE_SHORT.match(key(d.name)):
                forms.add(match.group(1))
        else:
            forms |= county_short_forms(key(d.name), d.level)
        for form in forms:
            self._names[form].add(d.code)
        if d.level == "county":
            for form in forms:
                if stem := county_stem(form):
                    self._stems[stem].add(d.code)

    # -- places and their names --------------------------------------------------------------

    def full_name(self, code: str) -> str:
        """云南省楚雄彝族自治州武定县: the unit with the province and prefecture above it."""
        names, seen = [], set()
        while code in self.by_code and code not in seen:
            seen.add(code)
            d = self.by_code[code]
            if d.name not in PLACEHOLDERS:
                names.append(d.name)
            code = d.parent_code
        return "".join(reversed(names))

    def candidates_text(self, codes) -> str:
        return "、".join(f"{self.full_name(c)}（{c}）" for c in codes)

    def _context(self, texts) -> set[str]:
        """Code prefixes of the provinces (2 digits) and prefectures (4) named in the texts."""
        prefixes = set()
        for text in texts:
            for _, _, codes in self._mentions(key(text)):
                for code in codes:
                    level = self.by_code[code].level
                    if level == "province":
                        prefixes.add(code[:2])
                    elif level == "prefecture":
                        prefixes.add(code[:4])
        return prefixes

    def _mentions(self, text: str) -> list[tuple[int, int, set[str]]]:
        """Names of places in a text, earliest first, the longest where two overlap (长沙县 hides 沙县)."""
        found = []
        for start in range(len(text)):
            for end in range(min(len(text), start + self._longest), start + 1, -1):
                if codes := self._names.get(text[start:end]):
                    found.append((start, end, codes))
        found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
        kept, reach = [], 0
        for start, end, codes in found:
            if start >= reach:
                kept.append((start, end, codes))
                reach = end
        return kept

    def _choose(self, codes, context_texts, mention: str, slip: bool = False) -> CountyHit:
        """One county of the codes a name fits (counties before prefectures), by the places named beside it."""
        codes = sorted(c for c in codes if self.by_code[c].level in COUNTY_LEVELS)
        counties = [c for c in codes if self.by_code[c].level == "county"] or codes
        if len(counties) > 1:
            prefixes = self._context(context_texts)
            for digits in (4, 2):   # the prefecture named beside it, else the province
                near = [c for c in counties if c[:digits] in prefixes]
                if near:
                    counties = near
                    break
        if len(counties) > 1 and len(own := [c for c in counties if c in self.own_codes]) == 1:
            counties = own          # the bureau's own file names its county: it settles a shared name
        if len(counties) == 1:
            return CountyHit(self.counties[counties[0]], mention, slip=slip)
        return CountyHit(None, mention, tuple(self.counties[c] for c in counties), slip=slip)

    # -- what callers ask --------------------------------------------------------------------

    def county_named(self, text, context=(), slips: bool = True) -> CountyHit:
        """The county (or prefecture) a cell or the spec names: by any of its names, else by its stem
        (海门市 for 海门区, a warning); places named in `context` (the title) settle a shared name."""
        wanted = key(text)
        if not wanted:
            return CountyHit()
        if codes := {c for c in self._names.get(wanted, ()) if self.by_code[c].level in COUNTY_LEVELS}:
            return self._choose(codes, [wanted, *context], wanted)
        stem = county_stem(wanted) if slips else None
        if stem and (codes := self._stems.get(stem)):
            return self._choose(codes, [wanted, *context], wanted, slip=True)
        return CountyHit(mention=wanted)

    def find_county(self, text, context=()) -> CountyHit:
        """The county named in a text (a title, a file name): the earliest county named, the longest name on
        ties; a prefecture only when no county is named (楚雄州武定县… is 武定县, 楚雄州2024年… is 楚雄州)."""
        wanted = key(text)
        mentions = [(s, e, {c for c in codes if self.by_code[c].level in COUNTY_LEVELS})
                    for s, e, codes in self._mentions(wanted)]
        for level in COUNTY_LEVELS:
            for start, end, codes in mentions:
                if any(self.by_code[c].level == level for c in codes):
                    chosen = {c for c in codes if self.by_code[c].level == level}
                    return self._choose(chosen, [wanted, *context], wanted[start:end])
        return CountyHit()


@lru_cache(maxsize=16)
def _load(year: int, own_path: str, _stamp: tuple) -> Regions:
    own = divisions.read_own(Path(own_path)) if own_path else []
    return Regions(year, own, own_path)


def load_regions(year: int, own: Path | None = None) -> Regions:
    """The national list of `year` with the bureau's own file over it; built once per process and kept
    until the own file changes (every file of a run, every worker's file, asks for the same one)."""
    if own is not None and Path(own).is_file():
        stat = Path(own).stat()
        return _load(year, str(own), (stat.st_mtime_ns, stat.st_size))
    return _load(year, str(own) if own else "", ())
