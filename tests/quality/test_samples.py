"""The real sample spreadsheets, through the real normalize stage: good samples pass, the broken one is caught."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from gongkai.anonymize import scan_frame
from gongkai.problems import Problems, Where
from gongkai.quality import check_quality
from gongkai.spec import ROOT

normalize = pytest.importorskip("gongkai.normalize").normalize
SAMPLES = ROOT / "datasets" / "samples"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), str(out)], check=True, capture_output=True)
    return out


def good_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in {".xlsx", ".xls", ".csv"})


def test_the_good_samples_pass_quality_and_the_pii_gate_month_after_month(spec, samples):
    previous = None
    for period in ["2024-01", "2024-02", "2024-03"]:
        problems = Problems()
        table = normalize(spec, good_files(samples), period, problems)
        assert problems.errors == [], period
        assert len(table.totals) == 3 and len(table.frame) > 20
        started = time.perf_counter()
        check_quality(spec, table, previous, problems)
        elapsed = time.perf_counter() - started
        assert [p.as_dict() for p in problems if p.slug != "personal-data-dropped"] == [], period
        assert elapsed < 3
        # The real output: division codes, periods, names, counts and amounts. Zero false positives.
        hits = scan_frame(table.frame, lambda row, col: table.cells.get((row, col), Where(field=col)), problems)
        assert hits == 0, [p.message_en for p in problems if p.slug == "pii-detected"]
        previous = table.frame


def test_the_broken_sum_sample_stops_at_the_total_cell(spec, samples):
    broken = samples / "broken" / "sum-mismatch.xlsx"
    if not broken.exists():
        pytest.skip("make_samples.py wrote no broken/sum-mismatch.xlsx")
    problems = Problems()
    table = normalize(spec, [broken], "2024-03", problems)
    check_quality(spec, table, None, problems)
    mismatches = [p for p in problems if p.slug == "sum-mismatch"]
    assert [(p.where.file, p.where.cell, p.params["difference"]) for p in mismatches] == [
        ("sum-mismatch.xlsx", "F16", "10")]
