"""Counties outside the samples read out of the box: the national division codes, with the names bureaus write.

The workbooks are the relief-recipients template (make_samples.layout) for counties the samples do
not have; no regions file of their own. The expected codes are written out literally: they are the
2023 统计用区划代码 of these places, checked against the shipped list (datasets/divisions/2023.csv.gz).
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from gongkai.normalize import normalize
from gongkai.problems import Problems
from gongkai.spec import load_spec
from gongkai.stages import assess_quality
from gongkai.validate import validate_table

SPEC = load_spec("relief-recipients")
PERIOD = "2024-03"

# county as the title writes it -> (official name, code, {township as written: (official name, code)})
COUNTIES = {
    "楚雄州双柏县": ("双柏县", "532322000000", {
        "妥甸镇": ("妥甸镇", "532322101000"), "大庄镇": ("大庄镇", "532322102000"),
        "法脿": ("法脿镇", "532322103000"),                       # 镇 left out
        "鄂嘉镇": ("鄂嘉镇", "532322104000"), "大麦地镇": ("大麦地镇", "532322105000"),
        "安龙堡乡": ("安龙堡乡", "532322201000"), "爱尼山乡": ("爱尼山乡", "532322202000"),
        "独田乡": ("独田乡", "532322203000")}),
    "大姚县": ("大姚县", "532326000000", {
        "金碧镇": ("金碧镇", "532326101000"), "石羊镇": ("石羊镇", "532326102000"),
        "六苴镇": ("六苴镇", "532326103000"), "龙街镇": ("龙街镇", "532326104000"),
        "新街镇": ("新街镇", "532326105000"), "赵家店镇": ("赵家店镇", "532326106000"),
        "三岔河镇": ("三岔河镇", "532326107000"), "桂花镇": ("桂花镇", "532326108000"),
        "昙华乡": ("昙华乡", "532326204000"),
        "湾碧乡": ("湾碧傣族傈僳族乡", "532326206000"),           # a 民族乡 without its ethnic part
        "铁锁乡": ("铁锁乡", "532326207000"), "三台乡": ("三台乡", "532326208000")}),
    "永仁县": ("永仁县", "532327000000", {
        "永定镇": ("永定镇", "532327101000"), "宜就镇": ("宜就镇", "532327102000"),
        "中和镇": ("中和镇", "532327103000"), "莲池乡": ("莲池乡", "532327201000"),
        "维的乡": ("维的乡", "532327202000"), "猛虎乡": ("猛虎乡", "532327203000"),
        "永兴乡": ("永兴傣族乡", "532327204000")}),
    # 澄江县 became 澄江市 (530481) in 2019: the old name is an older list's, kept as an alias.
    "澄江县": ("澄江市", "530481000000", {
        "凤麓街道办事处": ("凤麓街道", "530481001000"),             # 街道办事处 for 街道
        "龙街街道": ("龙街街道", "530481002000"), "右所镇": ("右所镇", "530481101000"),
        "阳宗镇": ("阳宗镇", "530481102000"), "海口镇": ("海口镇", "530481103000"),
        "九村镇": ("九村镇", "530481104000")}),
}


def write_workbook(make_samples, directory: Path, title_county: str, townships: dict[str, str]) -> Path:
    """One county's March sheet in the relief template; the title names the county as `title_county`."""
    with mock.patch.dict(make_samples.TOWNSHIPS, {title_county: townships}, clear=True), \
            mock.patch.dict(make_samples.FOOTERS, {title_county: make_samples.FOOTERS["武定县"]}):
        figures = make_samples.true_figures()[(title_county, PERIOD)]
        sheet = make_samples.layout(title_county, PERIOD, figures)
    return make_samples.write_xlsx(directory / f"{title_county}2024年3月低保.xlsx", {"2024年3月": sheet})


@pytest.fixture(scope="module")
def workbooks(make_samples, tmp_path_factory) -> list[Path]:
    directory = tmp_path_factory.mktemp("other-counties")
    return [write_workbook(make_samples, directory, title, {written: official for written, (official, _) in
                                                            townships.items()})
            for title, (_, _, townships) in COUNTIES.items()]


def test_counties_outside_the_samples_validate_with_the_official_codes(workbooks, tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    problems = Problems()
    table = normalize(SPEC, workbooks, PERIOD, problems)
    validate_table(SPEC.schema_path, table.frame, table.where, problems)
    assess_quality(SPEC, table, problems)
    assert problems.errors == [], [p.as_dict() for p in problems.errors]
    assert not [p for p in problems if p.slug in ("region-name-slip", "unknown-region", "unknown-county")]
    got = {(r.county_code, r.county_name, r.region_code, r.region_name)
           for r in table.frame.itertuples()}
    expected = {(code, county, township_code, township)
                for county, code, townships in COUNTIES.values() for township, township_code in townships.values()}
    assert got == expected


def test_a_slip_of_township_word_is_read_with_a_warning_naming_the_official_name(make_samples, tmp_path):
    path = write_workbook(make_samples, tmp_path, "双柏县", {"妥甸镇": "妥甸镇", "独田镇": "独田乡"})
    problems = Problems()
    table = normalize(SPEC, [path], PERIOD, problems)
    assert problems.errors == []
    slips = [p for p in problems if p.slug == "region-name-slip"]
    assert [(p.where.cell, p.params["official"], p.params["code"]) for p in slips] == [
        ("A6", "独田乡", "532322203000")]
    assert "独田镇" in slips[0].message_zh and "独田乡" in slips[0].message_en
    assert set(table.frame.region_code) == {"532322101000", "532322203000"}


def test_a_county_name_shared_by_several_provinces_needs_its_prefecture(make_samples, tmp_path):
    townships = {"革新街街道": "革新街街道"}          # a 街道 of 石家庄市新华区
    alone = write_workbook(make_samples, tmp_path, "新华区", townships)
    problems = Problems()
    normalize(SPEC, [alone], PERIOD, problems)
    assert [p.slug for p in problems.errors] == ["ambiguous-county"]
    error = problems.errors[0]
    assert error.where.cell == "A1"
    for place in ("河北省石家庄市新华区（130105000000）", "河北省沧州市新华区（130902000000）",
                  "河南省平顶山市新华区（410402000000）"):
        assert place in error.message_zh
    assert "source.county" in error.kind.fix_en

    named = write_workbook(make_samples, tmp_path, "石家庄市新华区", townships)
    problems = Problems()
    table = normalize(SPEC, [named], PERIOD, problems)
    assert problems.errors == []
    assert table.frame.county_code.tolist() == ["130105000000"]


def test_a_bureaus_own_unit_comes_from_the_file_its_spec_names(make_samples, tmp_path):
    """A 管委会 that is no official division: the spec's `regions:` file adds it under its county."""
    own = tmp_path / "relief-recipients-regions.csv"
    own.write_text("code,name,level,parent_code,aliases\n"
                   "532322499000,双柏县工业园区管理委员会,township,532322000000,工业园区管委会|工业园区\n",
                   encoding="utf-8")
    townships = {"妥甸镇": "妥甸镇", "工业园区管委会": "工业园区管委会"}
    path = write_workbook(make_samples, tmp_path, "双柏县", townships)
    problems = Problems()
    normalize(SPEC, [path], PERIOD, problems)
    assert [(p.slug, p.params["name"]) for p in problems.errors] == [("unknown-region", "工业园区管委会")]
    assert "regions:" in problems.errors[0].kind.fix_en      # the fix names the spec's own file

    problems = Problems()
    table = normalize(SPEC.model_copy(update={"regions": str(own)}), [path], PERIOD, problems)
    assert problems.errors == []
    assert dict(zip(table.frame.region_name, table.frame.region_code)) == {
        "妥甸镇": "532322101000", "双柏县工业园区管理委员会": "532322499000"}
