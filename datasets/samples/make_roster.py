"""Write the sample rosters (花名册) of 武定县: person-level, messy like real files, the same on every run.

    python datasets/samples/make_roster.py [OUTDIR]      (default: datasets/samples/; files go to OUTDIR/roster/)

Two months (2024-02, 2024-03) of 城乡低保 and 特困供养 households, one row per household:
狮山镇, 猫街镇 and 插甸镇 in one .xlsx with a sheet per month (title row, unit line, two-level
header, township cells merged down, a 合计 row, a 填表人/联系电话 footer); 高桥镇 as GBK CSV
exports, one per month, in 万元 and with the township written once. IDs are text, a few are
Excel-mangled (stored as numbers), some in full-width digits, two old 15-digit ones. 花桥村
has a single household; 插甸镇 supports two 特困供养 persons. The villages are real (their codes are
the national list's); every household and every value is invented.

`generate()` returns the truth: the aggregates, the linkage counts and every secret (names,
IDs, phones, bank accounts, addresses), so tests can prove none of it leaves.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240229
PERIODS = ["2024-02", "2024-03"]
COUNTY = ("532329000000", "武定县")
TOWNSHIPS = {"狮山镇": "532329101000", "高桥镇": "532329102000", "猫街镇": "532329103000", "插甸镇": "532329104000"}
# village (official name in the national list, code, as written in the roster) -> (urban?, households);
# 特困 counts apart. Real villages of 武定县 (统计用区划代码); the households are invented.
VILLAGES = {
    "狮山镇": [("东岳社区居民委员会", "532329101001", "东岳社区", True, 12),
            ("西门社区居民委员会", "532329101002", "西门社区居委会", True, 8),
            ("狮山村民委员会", "532329101201", "狮山村委会", False, 10)],
    "猫街镇": [("猫街村民委员会", "532329103201", "猫街村", False, 9),
            ("仓房村民委员会", "532329103202", "仓房村委会", False, 7),
            ("百子村民委员会", "532329103203", "百子村", False, 6)],
    "插甸镇": [("插甸村民委员会", "532329104201", "插甸村", False, 8),
            ("安德村民委员会", "532329104202", "安德村", False, 5),
            ("古普村民委员会", "532329104203", "古普村", False, 6)],
    "高桥镇": [("高桥村民委员会", "532329102201", "高桥村委会", False, 10),
            ("勒外村民委员会", "532329102206", "勒外村", False, 7),
            ("花桥村民委员会", "532329102203", "花桥村", False, 1)],
}
TEKUN = {"狮山镇": ("狮山村民委员会", 1), "猫街镇": ("百子村民委员会", 3),
         "插甸镇": ("古普村民委员会", 2)}   # township -> (village, persons)
CSV_TOWNSHIP = "高桥镇"
SURNAMES = "李王张刘陈杨赵黄周吴徐孙朱马胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
GIVEN = "建国秀英玉兰志强桂芳永福明华春梅德荣文军红霞国华海燕丽娟家成兴旺金凤绍光正才光荣世忠学文朝林云昌发贵春林丽芬自美开明"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FOOTER_PEOPLE = [("填表人", "普建英", "13908781234"), ("审核人", "起绍明", "15087812345")]


@dataclass
class Household:
    id18: str               # the normalised ID (what the reader must end with)
    written: object         # the ID as written in the file (text, full-width, 15 digits, or a float)
    name: str
    sex: str
    size: int
    category: str
    amount: int             # 元 per month
    township: str
    village: str            # official name
    village_code: str
    village_written: str
    phone: str
    account: str
    address: str

    @property
    def readable(self) -> bool:
        return not isinstance(self.written, float)


@dataclass
class Truth:
    aggregates: dict = field(default_factory=dict)   # (period, region_code, category) -> (households, persons, amount)
    linkage: dict = field(default_factory=dict)      # period -> (new, gone, kept) against the month before
    secrets: list[str] = field(default_factory=list)
    households: dict = field(default_factory=dict)   # period -> [Household]
    files: list[Path] = field(default_factory=list)


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _person(rng: random.Random, used: set[str], township: str, village: str) -> dict:
    while True:
        year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
        first17 = f"532329{year}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
        id18 = first17 + check_char(first17)
        if id18 not in used:
            used.add(id18)
            break
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2, 2])))
    body = "621" + "".join(rng.choice("0123456789") for _ in range(15))
    account = body + luhn_digit(body) if rng.random() < 0.85 else body + str((int(luhn_digit(body)) + 1) % 10)
    return {"id18": id18, "name": name, "sex": rng.choice("男女"),
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "account": account, "address": f"武定县{township}{village}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"}


def _households(rng: random.Random) -> list[Household]:
    used: set[str] = set()
    households = []
    for township, villages in VILLAGES.items():
        for name, code, written, urban, count in villages:
            for _ in range(count):
                size = rng.choice([1, 2, 2, 3, 3, 4, 5])
                category = "城市低保" if urban else "农村低保"
                per_person = rng.randint(300, 700) if urban else rng.randint(150, 450)
                households.append(_household(rng, used, township, name, code, written, size, category, size * per_person))
        if township in TEKUN:
            village, persons = TEKUN[township]
            _, code, written, _, _ = next(v for v in villages if v[0] == village)
            for _ in range(persons):
                households.append(_household(rng, used, township, village, code, written, 1, "特困供养",
                                             rng.randint(800, 1100)))
    return households


def _household(rng, used, township, village, code, written, size, category, amount) -> Household:
    person = _person(rng, used, township, village)
    return Household(person["id18"], person["id18"], person["name"], person["sex"], size, category, amount,
                     township, village, code, written, person["phone"], person["account"], person["address"])


def _months(rng: random.Random) -> dict[str, list[Household]]:
    """February's roster; March: three households gone, four new, one household's amount changed."""
    february = _households(rng)
    used = {h.id18 for h in february}
    gone = set(rng.sample(range(len(february)), 3))
    march = [h for i, h in enumerate(february) if i not in gone]
    for township, village in (("狮山镇", "东岳社区居民委员会"), ("猫街镇", "猫街村民委员会"), ("插甸镇", "安德村民委员会"),
                              ("高桥镇", "勒外村民委员会")):
        _, code, written, urban, _ = next(v for v in VILLAGES[township] if v[0] == village)
        size = rng.choice([1, 2, 3])
        march.append(_household(rng, used, township, village, code, written, size,
                                "城市低保" if urban else "农村低保", size * rng.randint(200, 450)))
    march = [_mess(h, i) for i, h in enumerate(march)]
    february = [_mess(h, i + 7) for i, h in enumerate(february)]
    return {"2024-02": february, "2024-03": march}


def _mess(h: Household, i: int) -> Household:
    """How IDs arrive: mostly text; every 29th as a number Excel ate, every 11th full-width, two 15-digit."""
    from dataclasses import replace

    if i % 29 == 5:
        return replace(h, written=float(h.id18[:15] + "000"))
    if i % 11 == 3:
        return replace(h, written=h.id18.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")))
    if i in (8, 40) and h.id18[6:8] == "19":
        return replace(h, written=h.id18[:6] + h.id18[8:17])     # the old 15-digit number of the same person
    return h


HEADER_TOP = ["序号", "乡镇（街道）", "村（社区）", "户主信息", None, None, "保障信息", None, None,
              "联系电话", "银行账号", "家庭住址"]
HEADER_SUB = [None, None, None, "姓名", "性别", "身份证号码", "保障类别", "保障人数", "月保障金额", None, None, None]


def _xlsx_sheet(period: str, households: list[Household]):
    from make_samples import Layout

    year, month = period.split("-")
    rows = [[f"武定县{year}年{int(month)}月城乡低保、特困供养对象花名册"] + [None] * 11,
            ["单位：人、元"] + [None] * 11, HEADER_TOP, HEADER_SUB]
    merges = [(0, 0, 0, 11), (2, 3, 2, 5), (2, 6, 2, 8)] + [(2, c, 3, c) for c in (0, 1, 2, 9, 10, 11)]
    for township in (t for t in VILLAGES if t != CSV_TOWNSHIP):
        first = len(rows)
        for h in (h for h in households if h.township == township):
            amount = str(h.amount).translate(str.maketrans("0123456789", "０１２３４５６７８９")) \
                if len(rows) % 13 == 0 else h.amount
            rows.append([len(rows) - 3, township if len(rows) == first else None, h.village_written, h.name, h.sex,
                         h.written, h.category if len(rows) % 17 else {"城市低保": "城镇低保"}.get(h.category, h.category),
                         h.size, amount, h.phone, h.account, h.address])
        merges.append((first, 1, len(rows) - 1, 1))
    listed = [h for h in households if h.township != CSV_TOWNSHIP]
    rows.append(["合计", None, None, None, None, None, None, sum(h.size for h in listed), sum(h.amount for h in listed),
                 None, None, None])
    rows.append([None] * 12)
    for role, name, phone in FOOTER_PEOPLE:
        rows.append([f"{role}：{name}", None, None, None, None, None, f"联系电话：{phone}"] + [None] * 5)
    return Layout(rows, merges, header_row=2, first_data_row=4)


def _csv_sheet(period: str, households: list[Household]):
    from make_samples import Layout

    year, month = period.split("-")
    rows = [[f"武定县{CSV_TOWNSHIP}{year}年{int(month)}月农村低保对象花名册"], ["单位：人、万元"],
            ["序号", "乡镇", "村委会", "户主姓名", "性别", "身份证号码", "救助类别", "家庭人口", "发放金额", "联系电话",
             "银行卡号", "家庭住址"]]
    for i, h in enumerate(h for h in households if h.township == CSV_TOWNSHIP):
        written = f"{h.written:.5E}".replace("E+", "E+") if isinstance(h.written, float) else h.written
        rows.append([i + 1, CSV_TOWNSHIP if i == 0 else "", h.village_written, h.name, h.sex, written,
                     "农村最低生活保障" if i % 2 else h.category, h.size, f"{h.amount / 10000:.4f}", h.phone,
                     h.account, h.address])
    rows.append([])
    rows.append(["填报人：" + FOOTER_PEOPLE[0][1], "", "", "", "联系电话：" + FOOTER_PEOPLE[0][2]])
    return Layout(rows, [], header_row=2, first_data_row=3)


def _truth(months: dict[str, list[Household]]) -> Truth:
    truth = Truth(households=months)
    for period, households in months.items():
        sums = defaultdict(lambda: [0, 0, 0])
        for h in households:
            for code in (COUNTY[0], TOWNSHIPS[h.township], h.village_code):
                cell = sums[(period, code, h.category)]
                cell[0] += 1
                cell[1] += h.size
                cell[2] += h.amount
        truth.aggregates.update({k: tuple(v) for k, v in sums.items()})
    before = {h.id18 for h in months["2024-02"] if h.readable}
    now = {h.id18 for h in months["2024-03"] if h.readable}
    truth.linkage["2024-03"] = (len(now - before), len(before - now), len(now & before))
    people = [h for hs in months.values() for h in hs]
    secrets = {s for h in people for s in (h.id18, h.name, h.phone, h.account, h.address)}
    secrets |= {h.written for h in people if isinstance(h.written, str)}
    secrets |= {s for _, name, phone in FOOTER_PEOPLE for s in (name, phone)}
    truth.secrets = sorted(secrets)
    return truth


def generate(outdir: Path = HERE) -> Truth:
    sys.path.insert(0, str(HERE))      # make_samples' Layout and writers
    from make_samples import write_csv, write_xlsx

    folder = Path(outdir) / "roster"
    months = _months(random.Random(SEED))
    truth = _truth(months)
    truth.files.append(write_xlsx(folder / "武定县城乡低保特困供养对象花名册2024年.xlsx",
                                  {f"2024年{int(p[5:])}月": _xlsx_sheet(p, months[p]) for p in PERIODS}))
    for p in PERIODS:
        truth.files.append(write_csv(folder / f"武定县{CSV_TOWNSHIP}{p[:4]}年{int(p[5:])}月花名册.csv",
                                     _csv_sheet(p, months[p]), encoding="gbk"))
    return truth


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in generate(target).files:
        print(path.relative_to(target))
