"""A wrong roster is stopped at the cell, and no message quotes what a roster cell holds."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from cli import gongkai

SHEET = "2024年3月"
ID_COL, VILLAGE_COL, AMOUNT_COL = 6, 3, 9       # F, C, I (1-based, as openpyxl counts)


def _text_ids(sheet) -> list[int]:
    """Rows whose ID is plain 18-character text."""
    return [r for r in range(5, sheet.max_row + 1)
            if isinstance(v := sheet.cell(r, ID_COL).value, str) and re.fullmatch(r"\d{17}[\dX]", v)]


@pytest.fixture
def broken(rosters, tmp_path, hmac_key, monkeypatch):
    """A copy of the sample workbook with one mistake of each kind in its March sheet."""
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    folder, _ = rosters
    [source] = folder.glob("*.xlsx")
    workbook = load_workbook(source)
    sheet = workbook[SHEET]
    first, second, third = _text_ids(sheet)[:3]
    sheet.cell(second, ID_COL).value = sheet.cell(first, ID_COL).value          # the same ID twice
    bad = sheet.cell(third, ID_COL).value
    sheet.cell(third, ID_COL).value = bad[:-1] + ("1" if bad[-1] != "1" else "2")  # a wrong check character
    sheet.cell(third + 1, AMOUNT_COL).value = "壹佰元"                            # an amount in words
    sheet.cell(third + 2, VILLAGE_COL).value = "不存在村"                          # a village not in the division code list
    path = tmp_path / "武定县花名册2024年.xlsx"
    workbook.save(path)
    secrets = [sheet.cell(r, c).value for r in (first, second, third, third + 1, third + 2) for c in (4, 6, 10, 11, 12)]
    cells = {"first": f"F{first}", "duplicate": f"F{second}", "invalid": f"F{third}",
             "amount": f"I{third + 1}", "village": f"C{third + 2}"}
    return path, cells, [str(s) for s in secrets if s] + [bad]


def test_each_mistake_is_named_at_its_cell_and_nothing_is_written(broken, tmp_path):
    path, cells, _ = broken
    out = tmp_path / "checked"
    result = gongkai("validate", str(path), "--dataset", "relief-roster", "--period", "2024-03",
                     "--out", str(out))
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"{SHEET} ! {cells['duplicate']}" in text and f"{cells['first']}" in text and "出现两次" in text
    assert f"{SHEET} ! {cells['invalid']}" in text and "GB 11643" in text
    assert f"{SHEET} ! {cells['amount']}" in text and "月保障金额" in text
    assert f"{SHEET} ! {cells['village']}" in text and "不存在村" in text
    assert "Traceback" not in result.output
    assert not list(out.glob("*.csv")) and not list(out.glob("*.parquet"))


def test_no_message_or_report_quotes_a_roster_value(broken, tmp_path):
    path, _, secrets = broken
    out = tmp_path / "checked"
    result = gongkai("validate", str(path), "--dataset", "relief-roster", "--period", "2024-03",
                     "--out", str(out))
    written = result.output + "".join(p.read_text(encoding="utf-8") for p in (out / "reports").iterdir())
    assert "壹佰元" not in written
    assert [s for s in secrets if s in written] == []
    assert not re.search(r"\d{15,}", written.replace(" ", ""))      # no ID-length digit run at all


def test_a_total_row_that_disagrees_with_the_households_is_an_error(rosters, tmp_path, hmac_key, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    [source] = rosters[0].glob("*.xlsx")
    workbook = load_workbook(source)
    sheet = workbook[SHEET]
    total = next(r for r in range(5, sheet.max_row + 1) if sheet.cell(r, 1).value == "合计")
    sheet.cell(total, AMOUNT_COL).value += 10
    workbook.save(path := tmp_path / "武定县花名册2024年.xlsx")
    result = gongkai("validate", str(path), "--dataset", "relief-roster", "--period", "2024-03")
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"{SHEET} ! I{total}" in text and "差 10.00" in text and "1 个错误" in text


def test_at_township_level_a_village_is_never_looked_up(broken, tmp_path, monkeypatch):
    """roster.level: township publishes no village: an unknown village is no problem of this dataset."""
    import yaml

    from gongkai.spec import ROOT

    path, cells, _ = broken
    raw = yaml.safe_load((ROOT / "datasets" / "relief-roster.yaml").read_text(encoding="utf-8"))
    raw["roster"]["level"] = "township"
    raw["disclosure_control"]["k_by_level"] = {}
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "relief-roster.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GONGKAI_DATASETS_DIR", str(specs))
    result = gongkai("validate", str(path), "--dataset", "relief-roster", "--period", "2024-03")
    text = " ".join(result.output.split())
    assert f"{SHEET} ! {cells['village']}" not in text and "不存在村" not in text
    assert f"{SHEET} ! {cells['duplicate']}" in text        # the other mistakes are still named
