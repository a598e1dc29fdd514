"""Test data: a realistic normalized table (two counties, one sheet each), as the normalize stage hands it over."""

from __future__ import annotations

import pandas as pd

from gongkai.problems import Where

from gongkai.normalize import SourceTable, SumCheck

COUNTS = ["urban_households", "urban_persons", "rural_households", "rural_persons", "tekun_persons", "temporary_cases"]
AMOUNTS = ["urban_amount", "rural_amount", "tekun_amount", "temporary_amount"]
# Source column letters, in the template's order (A holds 乡镇（街道）).
LETTERS = {"region_name": "A", "urban_households": "B", "urban_persons": "C", "urban_amount": "D",
           "rural_households": "E", "rural_persons": "F", "rural_amount": "G", "tekun_persons": "H",
           "tekun_amount": "I", "temporary_cases": "J", "temporary_amount": "K"}
FIRST_DATA_ROW = 5   # title, unit line, two header rows


def township_row(county_code: str, county_name: str, n: int, period: str = "2024-03") -> dict:
    """Plausible figures: persons ≈ 2× households, amounts to the 0.01 万元 as sources round them."""
    households = 40 + 17 * n
    rural_households = 300 + 41 * n
    return {
        "period": period, "county_code": county_code, "county_name": county_name,
        "region_code": f"{county_code[:6]}{101 + n:03d}000", "region_name": f"第{n + 1}镇",
        "urban_households": households, "urban_persons": 2 * households + 3,
        "urban_amount": round((2 * households + 3) * 512.37, -2),
        "rural_households": rural_households, "rural_persons": 2 * rural_households - 7,
        "rural_amount": round((2 * rural_households - 7) * 268.91, -2),
        "tekun_persons": 25 + n, "tekun_amount": round((25 + n) * 980.0, -2),
        "temporary_cases": 30 + 3 * n, "temporary_amount": round((30 + 3 * n) * 1500.0, -2),
    }


def make_table(rows_per_county: int = 20, counties=(("532329000000", "武定县"), ("532328000000", "元谋县")),
               period: str = "2024-03", with_totals: bool = True) -> SourceTable:
    records, checks, origins, sheets = [], [], [], []
    columns = {field: ord(letter) - ord("A") for field, letter in LETTERS.items()}
    for county_code, county_name in counties:
        file, sheet = f"{county_name}低保月报2024.xlsx", f"{int(period[:4])}年{int(period[5:])}月"
        sheet_id = len(sheets)
        sheets.append({"file": file, "sheet": sheet, "cols": columns, "row_cols": {}, "constants": {}})
        first = len(records)
        for n in range(rows_per_county):
            records.append(township_row(county_code, county_name, n, period))
            origins.append((sheet_id, FIRST_DATA_ROW - 1 + n))     # 0-based source row
        if with_totals:
            total_row = FIRST_DATA_ROW + rows_per_county
            part = records[first:]
            checks.append(SumCheck(
                "total", Where(file, sheet, f"A{total_row}"), "合计",
                values={f: float(sum(r[f] for r in part)) for f in COUNTS + AMOUNTS},
                cells={f: Where(file, sheet, f"{LETTERS[f]}{total_row}", f) for f in COUNTS + AMOUNTS},
                members=list(range(first, len(records))), county_code=county_code))
    frame = pd.DataFrame(records)
    for field in COUNTS:
        frame[field] = frame[field].astype("Int64")
    for field in AMOUNTS:
        frame[field] = frame[field].astype("float64")
    return SourceTable(period=period, frame=frame, checks=checks, files=sorted({s["file"] for s in sheets}),
                       origins=origins, sheets=sheets)
