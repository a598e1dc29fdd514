"""Deterministic province-scale inputs for the benchmarks: a 240,000-row series and 1M-row rosters.

    python benchmarks/generate.py OUT_DIR [--roster-rows N] [--series-rows N] [--relief-roster-rows N]

* the series: relief-recipients' published columns (datastore_bench.series_rows: 12 months x
  20,000 townships), as the CSV the portal's DataStore loads;
* the roster (花名册): one row per recipient, person-level, in the columns a county's
  civil-affairs system exports: county / township / village (names and 12-digit codes),
  保障类别 (城市低保 | 农村低保 | 特困供养), 户主姓名, 身份证号, 家庭人口, 月保障金额（元）.
  Names and ID numbers are synthetic (an ID is a county prefix, a birth date and a running
  number, never a real person's); they exist only in the benchmark's temporary folder.
  Written as UTF-8 CSV and as .xlsx with XlsxWriter's constant_memory mode (rows streamed
  to disk: ~1M rows in seconds and flat memory, where openpyxl keeps every cell).

Every few hundred thousand rows one cell is broken on purpose (a text in 家庭人口, a negative
amount, a short code, an unknown category, a repeated ID, an empty required cell), so the
validation benchmark has findings to compare between engines.

* the relief roster (relief-roster's own format, datasets/relief-roster.yaml): the roster the
  real reader (gongkai.roster) takes without one error, for the end-to-end benchmark. One
  sheet of 武定县 for 2024-03, as datasets/samples/make_roster.py writes it: sheet 2024年3月,
  title 武定县2024年3月城乡低保、特困供养对象花名册, unit line 单位：人、元, one header row, the
  township written once per block (fill-down), a 合计 row and a 填表人/联系电话 footer. Rows
  are spread over the villages of the samples' roster (make_roster.VILLAGES, weighted by their
  sizes), sorted by township and village; a few 特困供养 households in three villages make
  small cells for disclosure control to suppress. ID numbers are valid GB 11643 numbers
  (make_roster.check_char), unique by birth date and sequence; bank accounts pass Luhn.
  Written as .xlsx (XlsxWriter constant_memory) and as UTF-8 CSV, the same rows in both.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "datasets" / "samples"))
from datastore_bench import write_csv as write_series_csv  # noqa: E402  (the series, one generator)
from make_roster import FOOTER_PEOPLE, TEKUN, VILLAGES, check_char, luhn_digit  # noqa: E402  (the samples' rules)

ROSTER_HEADER = ["县（市、区）", "县级区划代码", "乡镇（街道）", "乡镇区划代码", "村（社区）", "村区划代码",
                 "保障类别", "户主姓名", "身份证号", "家庭人口", "月保障金额（元）"]
ROSTER_SCHEMA = Path(__file__).resolve().parent / "roster.schema.yaml"
COUNTIES = ["武定县", "禄劝县", "元谋县", "大姚县", "姚安县", "牟定县", "南华县", "永仁县", "双柏县", "楚雄市"]
CATEGORIES = ["城市低保", "农村低保", "特困供养"]
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "明华国建军平志伟芳秀英兰玉红春梅丽云"
BORN = dt.date(1940, 1, 1)
BROKEN_EVERY = 50_021    # a prime: the broken cells fall on different rows, columns and counties


def roster_rows(rows: int):
    """Deterministic roster rows (lists of strings), 100 villages per township, 20 townships per county."""
    for i in range(rows):
        village, person = divmod(i, 400)
        township, county = village // 100, (village // 2000) % len(COUNTIES)
        county_code = f"532{county + 1:03d}000000"
        township_code = f"532{county + 1:03d}{township % 1000:03d}000"
        village_code = f"{township_code[:9]}{village % 1000:03d}"
        category = CATEGORIES[(i * 7) % 3]
        persons = 1 + (i * 13) % 6
        amount = persons * (680 if category == "城市低保" else 510 if category == "农村低保" else 980)
        birth = (BORN + dt.timedelta(days=(i // 1000) * 17)).strftime("%Y%m%d")   # unique with the running number
        row = [COUNTIES[county], county_code, f"第{township % 1000}乡镇", township_code, f"第{village % 1000}村",
               village_code, category, SURNAMES[i % 20] + GIVEN[(i // 20) % 18] + GIVEN[(i // 360) % 18],
               f"{county_code[:6]}{birth}{i % 1000:03d}{'0123456789X'[i % 11]}", str(persons), f"{amount:.2f}"]
        yield _broken(i, row) if i and i % BROKEN_EVERY == 0 else row


def _broken(i: int, row: list[str]) -> list[str]:
    kind = (i // BROKEN_EVERY) % 6
    if kind == 0:
        row[9] = "三"                 # 家庭人口 as text
    elif kind == 1:
        row[10] = "-510.00"           # a negative amount
    elif kind == 2:
        row[5] = row[5][:9]           # a village code cut short
    elif kind == 3:
        row[6] = "临时救助"            # not a roster category
    elif kind == 4:
        row[8] = ""                   # the ID left empty
    else:
        row[9] = "0"                  # a household of nobody
    return row


def write_roster_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ROSTER_HEADER)
        writer.writerows(roster_rows(rows))
    return path


def write_roster_xlsx(path: Path, rows: int) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, ROSTER_HEADER)
    for r, row in enumerate(roster_rows(rows), start=1):
        # Counts and amounts as numbers, as the export has them; codes and IDs as text.
        sheet.write_row(r, 0, [*row[:9], _number(row[9]), _number(row[10])])
    book.close()
    return path


def _number(text: str):
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


# -- the relief roster, in relief-roster's format ----------------------------------------------

RELIEF_PERIOD = "2024-03"
RELIEF_COUNTY = "武定县"
RELIEF_TITLE = "武定县2024年3月城乡低保、特困供养对象花名册"
RELIEF_SHEET = "2024年3月"
RELIEF_HEADER = ["序号", "乡镇（街道）", "村（社区）", "姓名", "性别", "身份证号码", "保障类别", "保障人数", "月保障金额",
                 "联系电话", "银行账号", "家庭住址"]
RELIEF_DAYS = 23_000          # birth dates 1940-01-01 .. 2002-12-20; with a 3-digit sequence: 23M unique IDs


def relief_villages() -> list[tuple[str, str, str, bool, int]]:
    """(township, village, village code, urban?, weight) for every village of the samples' 武定县 roster
    (real villages of the national list: make_roster.VILLAGES)."""
    return [(township, name, code, urban, count)
            for township, villages in VILLAGES.items() for name, code, _, urban, count in villages]


def _village_blocks(rows: int) -> list[tuple[str, str, str, bool, int]]:
    """The villages with their number of rows (summing to `rows`), in township and village order."""
    villages = sorted(relief_villages(), key=lambda v: v[2])
    total = sum(v[4] for v in villages)
    counts = [rows * v[4] // total for v in villages]
    counts[0] += rows - sum(counts)
    return [(*v[:4], n) for v, n in zip(villages, counts)]


def relief_roster_rows(rows: int):
    """Deterministic households: [township or None (fill-down), village, name, sex, ID, category, persons,
    amount (元, int), phone, account, address]; the same rows for .xlsx and CSV."""
    tekun = {village: persons for village, persons in TEKUN.values()}
    i, previous = 0, None
    for township, village, _, urban, count in _village_blocks(rows):
        for k in range(count):
            day, sequence = i % RELIEF_DAYS, i // RELIEF_DAYS
            first17 = f"532329{(BORN + dt.timedelta(days=day)).strftime('%Y%m%d')}{sequence:03d}"
            special = k < tekun.get(village, 0)
            category = "特困供养" if special else "城市低保" if urban else "农村低保"
            persons = 1 if special else 1 + (i * 13) % 5
            amount = (800 + i % 300) if special else persons * ((300 + i % 400) if urban else (150 + i % 300))
            body = f"621{(i * 2654435761) % 10**15:015d}"
            yield [township if township != previous else None,
                   village, SURNAMES[i % 20] + GIVEN[(i // 20) % 18] + GIVEN[(i // 360) % 18],
                   "男" if sequence % 2 else "女", first17 + check_char(first17), category, persons, amount,
                   f"1{'3578'[i % 4]}{i % 10}{10_000_000 + (i * 7919) % 90_000_000}", body + luhn_digit(body),
                   f"{RELIEF_COUNTY}{township}{village}{1 + i % 12}组{1 + i % 80}号"]
            i, previous = i + 1, township


def _relief_lines(rows: int):
    """Every line of the sheet: title, unit, header, households (numbered), 合计, blank, footer."""
    yield [RELIEF_TITLE]
    yield ["单位：人、元"]
    yield RELIEF_HEADER
    persons = amount = 0
    for n, row in enumerate(relief_roster_rows(rows), start=1):
        persons += row[6]
        amount += row[7]
        yield [n, *row]
    yield ["合计", None, None, None, None, None, None, persons, amount, None, None, None]
    yield []
    for role, name, phone in FOOTER_PEOPLE:
        yield [f"{role}：{name}", None, None, None, None, None, f"联系电话：{phone}"]


def relief_roster_name(suffix: str) -> str:
    return f"{RELIEF_COUNTY}城乡低保特困供养对象花名册{RELIEF_SHEET}.{suffix}"


def write_relief_roster_xlsx(path: Path, rows: int) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(RELIEF_SHEET)
    for r, line in enumerate(_relief_lines(rows)):
        # IDs, accounts and phones as text (as the samples keep them); counts and amounts as numbers.
        for c, value in enumerate(line):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write_number(r, c, value)
    book.close()
    return path


def write_relief_roster_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(["" if v is None else v for v in line] for line in _relief_lines(rows))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--roster-rows", type=int, default=1_000_000)
    parser.add_argument("--series-rows", type=int, default=240_000)
    parser.add_argument("--relief-roster-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_series_csv(args.out / "series.csv", args.series_rows)
    write_roster_csv(args.out / "roster.csv", args.roster_rows)
    write_roster_xlsx(args.out / "roster.xlsx", args.roster_rows)
    write_relief_roster_csv(args.out / relief_roster_name("csv"), args.relief_roster_rows)
    write_relief_roster_xlsx(args.out / relief_roster_name("xlsx"), args.relief_roster_rows)
    print(f"wrote series.csv ({args.series_rows:,} rows), roster.csv and roster.xlsx ({args.roster_rows:,} rows) "
          f"in {args.out}; the relief roster ({args.relief_roster_rows:,} rows) as {relief_roster_name('csv')} and .xlsx")


if __name__ == "__main__":
    main()
