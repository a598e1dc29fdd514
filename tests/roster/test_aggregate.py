"""A roster in, the published aggregates out: exactly the generator's truth, at every level."""

from __future__ import annotations

import pytest

from gongkai.extract import find_sources
from gongkai.roster import roster_table
from gongkai.problems import Problems
from gongkai.spec import load_spec

PERIODS = ["2024-02", "2024-03"]


@pytest.fixture
def tables(rosters, hmac_key, tmp_path, monkeypatch):
    """period -> (SourceTable, problems), read in month order as a data officer runs them."""
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    folder, _ = rosters
    spec = load_spec("relief-roster")
    files = find_sources(spec, folder, Problems())
    result = {}
    for period in PERIODS:
        problems = Problems()
        result[period] = roster_table(spec, files, period, problems, tmp_path / "out" / spec.name), problems
    return result


@pytest.mark.parametrize("period", PERIODS)
def test_every_aggregate_equals_the_truth(tables, rosters, period):
    _, truth = rosters
    table, problems = tables[period]
    assert problems.errors == []
    published = {(r.period, r.region_code, r.category): (r.households, r.persons, r.amount)
                 for r in table.frame.itertuples()}
    expected = {key: value for key, value in truth.aggregates.items() if key[0] == period}
    assert {k: v for k, v in published.items() if v != (0, 0, 0.0)} == expected
    # Every region of the roster has a row for every category, 0 where it has none.
    regions = {k[1] for k in published}
    assert len(published) == len(regions) * 3


def test_each_level_is_the_sum_of_the_level_below(tables):
    frame = tables["2024-03"][0].frame
    for level, below in (("county", "township"), ("township", "village")):
        for row in frame[frame.level == level].itertuples():
            parts = frame[(frame.parent_code == row.region_code) & (frame.category == row.category)]
            assert parts.level.eq(below).all() and len(parts) > 0
            assert (parts.households.sum(), parts.persons.sum()) == (row.households, row.persons)
            assert parts.amount.sum() == pytest.approx(row.amount, abs=0.001)


def test_the_published_frame_has_the_contract_columns_and_no_roster_field(tables):
    frame = tables["2024-03"][0].frame
    assert list(frame.columns) == ["period", "county_code", "county_name", "region_code", "region_name", "level",
                                   "parent_code", "category", "households", "persons", "amount"]
    assert set(frame.level) == {"county", "township", "village"}
    assert frame[frame.level == "county"].parent_code.isna().all()


def test_the_village_with_one_household_and_the_small_tekun_township_are_there(tables):
    frame = tables["2024-03"][0].frame
    village = frame[(frame.region_name == "花桥村民委员会") & (frame.category == "农村低保")]
    assert village.households.tolist() == [1]
    tekun = frame[(frame.region_name == "插甸镇") & (frame.category == "特困供养")]
    assert tekun.persons.tolist() == [2]


def test_amounts_in_wanyuan_are_converted_to_yuan(tables, rosters):
    """高桥镇's CSV says 单位：人、万元: its amounts are published in 元, equal to the truth."""
    _, truth = rosters
    frame = tables["2024-03"][0].frame
    row = frame[(frame.region_name == "高桥镇") & (frame.category == "农村低保")].iloc[0]
    assert row.amount == truth.aggregates[("2024-03", "532329102000", "农村低保")][2]
    assert row.amount > 1000        # 元, not 万元


def test_households_new_and_gone_since_last_month_are_reported(tables, rosters):
    _, truth = rosters
    [linkage] = [p for p in tables["2024-03"][1] if p.slug == "roster-linkage"]
    new, gone, kept = truth.linkage["2024-03"]
    assert linkage.params == {"previous": "2024-02", "new": new, "gone": gone, "kept": kept}
    assert not [p for p in tables["2024-02"][1] if p.slug == "roster-linkage"]   # no month before it here


def test_excel_mangled_ids_are_warned_at_their_cell_and_still_counted(tables, rosters):
    _, truth = rosters
    table, problems = tables["2024-03"]
    mangled = [p for p in problems if p.slug == "roster-invalid-id"]
    assert len(mangled) == sum(1 for h in truth.households["2024-03"] if not h.readable)
    assert all(p.where.cell.startswith("F") or p.where.file.endswith(".csv") for p in mangled)
    county = table.frame[table.frame.level == "county"]
    assert county.households.sum() == len(truth.households["2024-03"])


def test_the_generator_is_deterministic(make_roster, tmp_path):
    first, second = make_roster.generate(tmp_path / "a"), make_roster.generate(tmp_path / "b")
    assert first.aggregates == second.aggregates and first.secrets == second.secrets
    for a, b in zip(first.files, second.files):
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes()
