"""Deterministic province-scale inputs for the benchmarks: a 240,000-row series and a 1M-row roster.

    python benchmarks/generate.py OUT_DIR [--roster-rows N] [--series-rows N]

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
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datastore_bench import write_csv as write_series_csv  # noqa: E402  (the series, one generator)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--roster-rows", type=int, default=1_000_000)
    parser.add_argument("--series-rows", type=int, default=240_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_series_csv(args.out / "series.csv", args.series_rows)
    write_roster_csv(args.out / "roster.csv", args.roster_rows)
    write_roster_xlsx(args.out / "roster.xlsx", args.roster_rows)
    print(f"wrote series.csv ({args.series_rows:,} rows), roster.csv and roster.xlsx ({args.roster_rows:,} rows) "
          f"in {args.out}")


if __name__ == "__main__":
    main()
