"""The real sample spreadsheets, through the real normalize stage: good samples pass, broken ones are caught."""

from __future__ import annotations

from pathlib import Path

from gongkai.anonymize import scan_frame
from gongkai.normalize import normalize
from gongkai.problems import Problems
from gongkai.quality import check_quality


def good_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in {".xlsx", ".xls", ".csv"})


def test_the_good_samples_pass_quality_and_the_pii_gate_month_after_month(spec, samples):
    directory, _ = samples
    previous = None
    for period in ["2024-01", "2024-02", "2024-03"]:
        problems = Problems()
        table = normalize(spec, good_files(directory), period, problems)
        assert problems.errors == [], period
        assert len([c for c in table.checks if c.kind == "total"]) == 3 and len(table.frame) > 20
        check_quality(spec, table, previous, problems)
        assert [p.as_dict() for p in problems if p.slug != "personal-data-dropped"] == [], period
        # The real output: division codes, periods, names, counts and amounts. Zero false positives.
        hits = scan_frame(table.frame, table.where, problems)
        assert hits == 0, [p.message_en for p in problems if p.slug == "pii-detected"]
        previous = table.frame


def test_the_broken_sum_sample_stops_at_the_total_cell(spec, samples):
    directory, _ = samples
    problems = Problems()
    table = normalize(spec, [directory / "broken" / "sum-mismatch.xlsx"], "2024-03", problems)
    check_quality(spec, table, None, problems)
    mismatches = [p for p in problems if p.slug == "sum-mismatch"]
    assert [(p.where.file, p.where.cell, p.params["difference"]) for p in mismatches] == [
        ("sum-mismatch.xlsx", "F16", "10")]


def test_a_sheet_without_its_total_row_is_an_error_naming_the_last_row_read(spec, make_samples, tmp_path):
    # relief-recipients declares total_required: its template always ends with 合计, so a sheet
    # without one may be cut off at a row boundary and must not publish.
    month = make_samples.true_figures()[("武定县", "2024-03")]
    sheet = make_samples.layout("武定县", "2024-03", month)
    last_township = sheet.total_row - 1
    del sheet.rows[sheet.total_row]
    path = make_samples.write_xlsx(tmp_path / "no-total.xlsx", {"2024年3月": sheet})
    problems = Problems()
    normalize(spec, [path], "2024-03", problems)
    [error] = problems.errors
    assert (error.slug, error.where.cell) == ("no-total-row", f"A{last_township + 1}")
    assert sheet.rows[last_township][0] in error.message_zh and "cut off" in error.message_en

    # A template without that declaration: a warning, said once.
    rows = spec.source.rows.model_copy(update={"total_required": False})
    lenient = spec.model_copy(update={"source": spec.source.model_copy(update={"rows": rows})})
    problems = Problems()
    check_quality(lenient, normalize(lenient, [path], "2024-03", problems), None, problems)
    assert [(p.slug, str(p.where)) for p in problems if p.slug != "personal-data-dropped"] == [
        ("missing-total", "no-total.xlsx ! 2024年3月")]
    assert not problems.errors
