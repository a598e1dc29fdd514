"""Trend charts: Chinese that renders, gaps where a cell is suppressed, the same bytes for the same data."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import yaml
from PIL import Image

from gongkai.package import Layout, package_period
from gongkai.package.chart import cjk_font, draw, totals
from gongkai.spec import ROOT, SpecError, load_spec

MEASURES = ["urban_persons", "rural_persons"]


@pytest.fixture(scope="module")
def spec():
    return load_spec("relief-recipients")


@pytest.fixture(scope="module")
def chart(spec):
    return next(c for c in spec.charts if c.name == "persons-trend")


def rows(period: str, urban: list, rural: list, flags: list | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"period": period, "region_code": [f"53232{i}" for i in range(len(urban))],
                          "urban_persons": pd.array(urban, dtype="Int64"),
                          "rural_persons": pd.array(rural, dtype="Int64"),
                          "tekun_persons": pd.array([1] * len(urban), dtype="Int64")})
    if flags is not None:
        frame["urban_persons_flag"] = flags
    return frame


def series(suppressed: bool) -> pd.DataFrame:
    middle = (rows("2024-02", [None, 40], [7, 8], ["C", None]) if suppressed
              else rows("2024-02", [0, 40], [7, 8], [None, None]))
    return pd.concat([rows("2024-01", [10, 30], [5, 6], [None, None]), middle,
                      rows("2024-03", [12, 31], [5, 9], [None, None])], ignore_index=True)


def test_a_period_with_a_suppressed_cell_has_no_total_not_a_partial_sum(chart):
    data = totals(series(suppressed=True), chart)
    assert list(data.index) == ["2024-01", "2024-02", "2024-03"]
    assert data.loc["2024-01", "urban_persons"] == 40 and data.loc["2024-03", "urban_persons"] == 43
    assert pd.isna(data.loc["2024-02", "urban_persons"])       # 40 would be a wrong number, 0 too
    assert data.loc["2024-02", "rural_persons"] == 15           # the other measure is complete


def test_where_keeps_only_the_rows_asked_for(spec, chart):
    frame = series(suppressed=False).assign(level=["county", "township"] * 3)
    only_counties = chart.model_copy(update={"where": {"level": "county"}})
    assert list(totals(frame, only_counties)["urban_persons"]) == [10, 0, 12]


def test_a_gap_is_drawn_differently_from_a_zero(spec, chart, tmp_path):
    gap = draw(spec, chart, series(suppressed=True), tmp_path / "gap.png").read_bytes()
    zero = draw(spec, chart, series(suppressed=False), tmp_path / "zero.png").read_bytes()
    assert gap != zero


def test_the_same_data_gives_the_same_bytes_and_a_png_of_fixed_size(spec, chart, tmp_path):
    first = draw(spec, chart, series(suppressed=True), tmp_path / "a" / "chart.png")
    second = draw(spec, chart, series(suppressed=True), tmp_path / "b" / "chart.png")
    assert first.read_bytes() == second.read_bytes()
    assert Image.open(first).size == (800, 450)
    assert b"Software" not in first.read_bytes() and b"matplotlib" not in first.read_bytes()


def test_chinese_labels_render_with_a_cjk_font_no_missing_glyphs(spec, chart, tmp_path):
    assert cjk_font(chart).startswith("Noto Sans CJK")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(spec, chart, series(suppressed=True), tmp_path / "chart.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_packaging_a_period_stages_one_png_per_chart_from_the_series(spec, samples, tmp_path):
    from gongkai.normalize import normalize
    from gongkai.problems import Problems

    directory, _ = samples
    files = sorted(p for p in directory.iterdir() if p.is_file())
    from gongkai.anonymize.disclosure import protect

    problems = Problems()
    table = normalize(spec, files, "2024-01", problems)
    frame = protect(spec, table.frame, None, table.where, problems).frame   # what the pipeline packages
    charts = [f for f in package_period(spec, frame, "2024-01", Layout(tmp_path)) if f.format == "PNG"]
    assert sorted(f.name for f in charts) == ["relief-recipients-amount-trend.png",
                                              "relief-recipients-persons-trend.png"]
    assert all(f.period == "all" and f.path.parent.name == "all" for f in charts)


def test_a_chart_of_a_text_field_is_refused_with_the_field_named(tmp_path):
    raw = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    raw["charts"] = [{"name": "names", "title": "乡镇", "title_en": "Townships", "measures": ["region_name"]}]
    path = tmp_path / "relief-recipients.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match="measure 'region_name' is not a numeric field"):
        load_spec(path)


def test_without_a_cjk_font_no_chart_of_boxes_is_drawn(spec, chart, tmp_path, monkeypatch):
    from gongkai.package import chart as charts
    from gongkai.problems import KINDS

    monkeypatch.setattr(charts, "CJK_FONTS", ["No Such CJK Font"])
    with pytest.raises(charts.ChartFontMissing) as missing:
        draw(spec, chart, series(suppressed=True), tmp_path / "chart.png")
    assert missing.value.chart == "persons-trend" and not (tmp_path / "chart.png").exists()
    assert "make debian-packages" in KINDS["chart-font-missing"].fix_en   # the fix the report gives
