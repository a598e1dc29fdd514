"""The disclosure-control stage on the tables the product publishes: a wide relief table (townships
in rows, measures as columns, the county total public) and the long roster aggregate (county >
township > village rows per category). What a reader can work out from the published frame is
checked by linear programming, independently of the engine's own audit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from gongkai.anonymize.disclosure import protect
from gongkai.problems import Problems, Where
from gongkai.spec import load_spec

REPO = Path(__file__).resolve().parents[2]
COUNTY = "532329000000"
TOWNS = {"532329101000": "狮山镇", "532329102000": "高桥镇", "532329103000": "猫街镇",
         "532329104000": "插甸镇", "532329107000": "己衣镇"}


def nowhere(index, field):
    return Where(field=field)


def relief_frame(period: str = "2024-03", tekun: dict | None = None) -> pd.DataFrame:
    """Five townships of 武定县; 己衣镇 supports 3 persons in extreme poverty unless `tekun` says otherwise."""
    tekun = {"己衣镇": 3} | (tekun or {})
    rows = []
    for i, (code, name) in enumerate(TOWNS.items()):
        persons = tekun.get(name, 40 + 7 * i)
        rows.append({
            "period": period, "county_code": COUNTY, "county_name": "武定县", "region_code": code,
            "region_name": name, "urban_households": 30 + i, "urban_persons": 55 + 2 * i,
            "urban_amount": 20000.0 + 100 * i, "rural_households": 300 + i, "rural_persons": 700 + i,
            "rural_amount": 150000.0 + i, "tekun_persons": persons, "tekun_amount": persons * 620.0,
            "temporary_cases": 10 + i, "temporary_amount": 12000.0 + i,
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def relief():
    return load_spec("relief-recipients")


def reader_interval(published: pd.Series, hidden: pd.Series, total: float, target: str) -> tuple[float, float]:
    """What a reader knowing `total` (the public county figure) and the published values can say
    about one hidden value: min and max over non-negative values adding up to the total."""
    rest = total - published[~hidden].sum()
    names = list(published.index[hidden])
    objective = np.array([1.0 if n == target else 0.0 for n in names])
    bounds = [(0, None)] * len(names)
    lo = linprog(objective, A_eq=[np.ones(len(names))], b_eq=[rest], bounds=bounds).fun
    hi = -linprog(-objective, A_eq=[np.ones(len(names))], b_eq=[rest], bounds=bounds).fun
    return lo, hi


def test_a_small_count_is_hidden_with_its_amount_and_enough_other_cells(relief):
    frame = relief_frame()
    problems = Problems()
    protected = protect(relief, frame, None, nowhere, problems)
    out = protected.frame.set_index("region_name")
    assert not problems.errors
    assert out.loc["己衣镇", "tekun_persons"] is pd.NA and out.loc["己衣镇", "tekun_amount"] is pd.NA
    assert out.loc["己衣镇", "tekun_persons_flag"] == "C" and out.loc["己衣镇", "tekun_amount_flag"] == "C"
    # its other cells are not small: published, without a flag
    assert out.loc["己衣镇", "rural_persons"] == 704 and out.loc["己衣镇", "rural_persons_flag"] is pd.NA
    hidden = out["tekun_persons_flag"] == "C"
    assert hidden.fillna(False).sum() == 2      # the county total is public: one more township goes
    truth = frame.set_index("region_name")
    for measure, margin in (("tekun_persons", 5), ("tekun_amount", 0.1 * 3 * 620)):
        lo, hi = reader_interval(truth[measure], hidden.fillna(False).to_numpy(), truth[measure].sum(), "己衣镇")
        assert lo <= max(0, truth.loc["己衣镇", measure] - margin) and hi >= truth.loc["己衣镇", measure] + margin
    # everything else is untouched
    visible = ~hidden.fillna(False)
    assert (out.loc[visible, "tekun_persons"] == truth.loc[visible, "tekun_persons"]).all()
    assert out["urban_persons_flag"].isna().all()


def test_the_published_frame_follows_the_published_schema(relief):
    protected = protect(relief, relief_frame(), None, nowhere, Problems())
    schema = relief.published_schema
    assert list(protected.frame.columns) == [f.name for f in schema.fields]
    fields = {f.name: f for f in schema.fields}
    assert fields["tekun_persons"].to_descriptor()["constraints"] == {"minimum": 0}   # may be empty now
    flag = fields["tekun_persons_flag"].to_descriptor()
    assert flag["type"] == "string" and flag["constraints"] == {"enum": ["C"]}
    assert "C = 因小数保护不予公开 / suppressed for confidentiality" in flag["description"]
    assert list(fields).index("tekun_persons_flag") == list(fields).index("tekun_persons") + 1
    assert fields["region_code"].to_descriptor()["constraints"]["required"] is True


def test_the_summary_counts_cells_but_never_shows_a_hidden_value_or_p(relief):
    protected = protect(relief, relief_frame(), None, nowhere, Problems())
    summary = protected.summary
    assert summary["suppressed"]["tekun_persons"] == {"primary": 1, "complementary": 1, "carried": 0}
    assert summary["suppressed"]["urban_persons"] == {"primary": 0, "complementary": 0, "carried": 0}
    assert summary["suppressed_cells"] == {"primary": 1, "complementary": 1, "carried": 0}
    assert summary["audit"] == {"passed": True, "values_checked": 4, "failed": 0}
    assert (summary["k"], summary["margin"]) == (5, {"count": "k", "amount_relative": 0.1})
    text = json.dumps(summary)
    assert "dominance" not in text and "1860" not in text   # 3 persons x 620 元
    assert summary["cells"] == 20 and summary["public_margins"] == 4


def test_without_complementary_suppression_the_audit_fails_and_names_the_cell(relief):
    spec = relief.model_copy(update={"disclosure_control": relief.disclosure_control.model_copy(
        update={"complementary": False})})
    problems = Problems()
    protected = protect(spec, relief_frame(), None, lambda i, f: Where("武定县.xlsx", "2024年3月", f"K{9 + i}"),
                        problems)
    assert protected.frame is None
    failed = [p for p in problems.errors if p.slug == "disclosure-audit-failed"]
    assert {p.params["field"] for p in failed} == {"tekun_persons", "tekun_amount"}
    assert all(p.params["region"] == "己衣镇" and "2024-03" in p.params["cell"] for p in failed)
    assert str(failed[0].where) == "武定县.xlsx ! 2024年3月 ! K13"
    assert "己衣镇" in failed[0].message_zh and "tekun_persons" in failed[0].message_en
    assert protected.summary["audit"]["passed"] is False


def test_cells_suppressed_last_month_stay_suppressed(relief):
    first = protect(relief, relief_frame("2024-02"), None, nowhere, Problems()).frame
    partner = first.loc[(first.tekun_persons_flag == "C").fillna(False) & (first.region_name != "己衣镇"),
                        "region_name"].item()
    # this month 己衣镇 has 30 persons: nothing is small, but last month's pattern is kept
    now = protect(relief, relief_frame("2024-03", {"己衣镇": 30}), first, nowhere, Problems())
    hidden = now.frame.loc[(now.frame.tekun_persons_flag == "C").fillna(False), "region_name"]
    assert set(hidden) == {"己衣镇", partner}
    assert now.summary["suppressed"]["tekun_persons"] == {"primary": 0, "complementary": 0, "carried": 2}


def test_without_public_margins_a_lone_small_cell_is_enough(relief):
    spec = relief.model_copy(update={"disclosure_control": relief.disclosure_control.model_copy(
        update={"margins_public": False})})
    protected = protect(spec, relief_frame(), None, nowhere, Problems())
    assert (protected.frame.tekun_persons_flag == "C").fillna(False).sum() == 1
    assert protected.summary["public_margins"] == 0


# ---------------------------------------------------------------------------------------
# The long roster aggregate: county > township > village, per category
# ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def roster():
    return load_spec(REPO / "tests" / "data" / "disclosure" / "roster-aggregate.yaml")


def roster_frame(one_household_village: bool = True) -> pd.DataFrame:
    """武定县 > 2 townships > 3 villages each, in two categories; one village has 1 household."""
    villages = {"532329101000": ["532329101201", "532329101202", "532329101203"],
                "532329102000": ["532329102201", "532329102202", "532329102203"]}
    rows = []
    for category, scale in (("农村低保", 1), ("特困供养", 2)):
        town_rows = []
        for t, (town, kids) in enumerate(villages.items()):
            kid_rows = []
            for v, village in enumerate(kids):
                households = 12 + 3 * v + 5 * t + scale
                if one_household_village and (town, v, category) == ("532329101000", 1, "农村低保"):
                    households = 1
                kid_rows.append({"region_code": village, "region_name": f"村{t}{v}", "level": "village",
                                 "parent_code": town, "households": households, "persons": 2 * households,
                                 "amount": 500.0 * households})
            town_rows.append({"region_code": town, "region_name": TOWNS[town], "level": "township",
                              "parent_code": COUNTY, **sums(kid_rows)})
            rows += [r | {"category": category} for r in kid_rows]
        rows += [r | {"category": category} for r in town_rows]
        rows.append({"region_code": COUNTY, "region_name": "武定县", "level": "county",
                     "parent_code": "532300000000", "category": category, **sums(town_rows)})
    frame = pd.DataFrame(rows).assign(period="2024-03", county_code=COUNTY, county_name="武定县")
    return frame[["period", "county_code", "county_name", "region_code", "region_name", "level",
                  "parent_code", "category", "households", "persons", "amount"]]


def sums(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) for k in ("households", "persons", "amount")}


def test_long_table_village_below_k_of_its_level_is_hidden_and_its_township_still_adds_up(roster):
    frame = roster_frame()
    problems = Problems()
    protected = protect(roster, frame, None, nowhere, problems)
    assert not problems.errors
    out = protected.frame
    hidden = (out.households_flag == "C").fillna(False)
    lowest = out[hidden & (out.region_name == "村01")]
    assert len(lowest) == 1 and lowest.category.item() == "农村低保"
    assert out.loc[hidden, ["households", "persons", "amount"]].isna().all().all()
    assert (out.loc[hidden, ["persons_flag", "amount_flag"]] == "C").all().all()
    assert set(out.loc[hidden, "level"]) == {"village"}
    assert hidden.sum() >= 2                   # the township total is published: a second village goes
    # the township row is published, and the reader's interval for the hidden village is wide
    town = out[(out.region_code == "532329101000") & (out.category == "农村低保")]
    assert town.households_flag.isna().item()
    under = (frame.parent_code == "532329101000") & (frame.category == "农村低保")
    truth = frame[under].set_index("region_name").households
    lo, hi = reader_interval(truth, hidden[under].to_numpy(), town.households.item(), "村01")
    assert lo <= 0 and hi >= 1 + 10
    assert protected.summary["k_by_level"] == {"village": 10}


def test_long_table_with_a_village_at_k_of_townships_is_hidden_by_the_village_k(roster):
    frame = roster_frame(one_household_village=False)
    frame.loc[(frame.region_name == "村02") & (frame.category == "特困供养"), ["households", "persons", "amount"]] = \
        [7, 14, 3500.0]                        # 7 >= k (5) but < the village k (10)
    frame = reaggregate(frame)
    out = protect(roster, frame, None, nowhere, Problems()).frame
    row = out[(out.region_name == "村02") & (out.category == "特困供养")]
    assert row.households_flag.item() == "C"


def reaggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Township and county rows recomputed from the villages, as the roster aggregation does."""
    frame = frame.copy()
    for level in ("township", "county"):
        for index in frame.index[frame.level == level]:
            kids = frame[(frame.parent_code == frame.at[index, "region_code"]) & (frame.category == frame.at[index, "category"])]
            frame.loc[index, ["households", "persons", "amount"]] = kids[["households", "persons", "amount"]].sum().to_numpy()
    return frame


def test_a_township_that_is_not_the_sum_of_its_villages_is_a_problem_not_a_crash(roster):
    frame = roster_frame()
    frame.loc[(frame.region_code == "532329101000") & (frame.category == "农村低保"), "households"] += 3
    problems = Problems()
    assert protect(roster, frame, None, nowhere, problems).frame is None
    assert [p.slug for p in problems.errors] == ["disclosure-table-invalid"]
    assert "狮山镇" in problems.errors[0].message_en


def test_cells_not_told_apart_by_the_spec_are_a_problem(roster):
    spec = roster.model_copy(update={"disclosure_control": roster.disclosure_control.model_copy(
        update={"by": ["period"]})})                    # category forgotten
    problems = Problems()
    assert protect(spec, roster_frame(), None, nowhere, problems).frame is None
    assert problems.errors[0].slug == "disclosure-table-invalid"
    assert "disclosure_control.by" in problems.errors[0].message_en


def test_a_public_total_that_is_itself_small_cannot_be_protected_and_says_so(relief):
    lone = relief_frame().query("region_name == '己衣镇'")      # the county total is the township's own 3
    problems = Problems()
    assert protect(relief, lone, None, nowhere, problems).frame is None
    assert [p.slug for p in problems.errors] == ["disclosure-table-invalid"]
    assert "margins_public: false" in problems.errors[0].message_en
