"""Packaging: the files researchers download, byte-stable so re-runs upload nothing."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from gongkai.package import Layout, datapackage, package_period, read_period, write_datapackage

FRICTIONLESS = f"{sys.prefix}/bin/frictionless"


@pytest.fixture(scope="module")
def months(tables):
    return {period: table.frame for period, table in tables.items()}


def test_csv_has_a_bom_and_chinese_text_excel_can_open(spec, months, tmp_path):
    files = package_period(spec, months["2024-01"], "2024-01", Layout(tmp_path))
    csv = next(f for f in files if f.format == "CSV" and f.period == "2024-01").path
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "武定县" in raw.decode("utf-8-sig") and b"\r\n" not in raw


def test_parquet_is_typed_and_keeps_leading_zero_codes(spec, months, tmp_path):
    files = package_period(spec, months["2024-01"], "2024-01", Layout(tmp_path))
    parquet = next(f for f in files if f.format == "Parquet" and f.period == "2024-01").path
    schema = pq.read_schema(parquet)
    assert str(schema.field("rural_persons").type) == "int64"
    assert str(schema.field("rural_amount").type) == "double"
    assert str(schema.field("region_code").type) == "string"
    assert pq.ParquetFile(parquet).metadata.row_group(0).column(0).compression == "ZSTD"
    # the same values, nulls included (a suppressed cell reads back as <NA>, not 0 or NaN text)
    pd.testing.assert_frame_equal(read_period(parquet).convert_dtypes(),
                                  months["2024-01"].sort_values(["county_code", "region_code"])
                                  .reset_index(drop=True).convert_dtypes(), check_dtype=False)
    assert read_period(parquet).tekun_persons.isna().sum() == 2


def test_same_content_gives_byte_identical_files(spec, months, tmp_path):
    first = {f.name: f.sha256 for f in package_period(spec, months["2024-01"], "2024-01", Layout(tmp_path / "a"))}
    second = {f.name: f.sha256 for f in package_period(spec, months["2024-01"], "2024-01", Layout(tmp_path / "b"))}
    assert first == second


def test_series_accumulates_published_months_and_a_correction_replaces_its_month(spec, months, tmp_path):
    layout = Layout(tmp_path)
    package_period(spec, months["2024-01"], "2024-01", layout)
    layout.commit("2024-01")
    files = package_period(spec, months["2024-02"], "2024-02", layout)
    series = read_period(next(f for f in files if f.period == "all" and f.format == "Parquet").path)
    assert sorted(series.period.unique()) == ["2024-01", "2024-02"]
    assert len(series) == len(months["2024-01"]) + len(months["2024-02"])

    corrected = months["2024-01"].copy()
    corrected.loc[0, "rural_persons"] += 1
    files = package_period(spec, corrected, "2024-01", layout)
    series = read_period(next(f for f in files if f.period == "all" and f.format == "Parquet").path)
    assert len(series) == len(months["2024-01"])  # 2024-02 was staged, never committed
    assert series.rural_persons.sum() == months["2024-01"].rural_persons.sum() + 1


def test_local_datapackage_passes_the_frictionless_validator(spec, months, tmp_path):
    layout = Layout(tmp_path)
    files = package_period(spec, months["2024-01"], "2024-01", layout)
    folder = layout.staging("2024-01")
    descriptor = datapackage(spec, files, lambda f: str(f.path.relative_to(folder)), "2024-01")
    path = write_datapackage(descriptor, folder / "datapackage.json")
    checked = subprocess.run([FRICTIONLESS, "validate", str(path)], capture_output=True, text=True, cwd=folder)
    assert checked.returncode == 0, checked.stdout
    (folder / "relief-recipients-2024-01.csv").write_text("tampered", encoding="utf-8")
    assert subprocess.run([FRICTIONLESS, "validate", str(path)], capture_output=True, cwd=folder).returncode != 0


def test_csv_neutralises_formulas_in_text_cells_and_parquet_keeps_them(spec, months, tmp_path):
    import csv as csv_module
    import io

    from gongkai.package import write_table

    payloads = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "-12.5",
                "\tTAB", "\rCR"]
    frame = months["2024-01"].head(len(payloads)).reset_index(drop=True)
    frame["region_name"] = payloads
    csv, parquet = write_table(spec, frame, tmp_path, "injection", "2024-01")
    raw = csv.path.read_bytes()
    assert b',"\'=HYPERLINK(""http://x"",""y"")",' in raw
    assert b",'+cmd|' /C calc'!A0," in raw and b",'@SUM(1)," in raw and b",'-2+3," in raw
    assert b",-12.5," in raw                       # a plain number is not a formula
    assert b",'\tTAB," in raw
    assert b',"\'\nCR",' in raw and b"\r" not in raw   # a lone CR would end the row in every reader
    rows = list(csv_module.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [row[4] for row in rows[1:]] == ["'" + p for p in payloads[:4]] + ["-12.5", "'\tTAB", "'\nCR"]
    assert read_period(parquet.path)["region_name"].tolist() == payloads


def test_an_empty_release_folder_is_no_release(tmp_path):
    """A restore that failed halfway leaves no period behind that the series would then miss."""
    from gongkai.package import Layout

    layout = Layout(tmp_path)
    (tmp_path / "releases" / "2024").mkdir(parents=True)
    (tmp_path / "releases" / "2023").mkdir(parents=True)
    (tmp_path / "releases" / "2023" / "x-2023.parquet").write_bytes(b"PAR1")
    assert layout.published_periods() == ["2023"]
