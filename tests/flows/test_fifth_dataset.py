"""A fifth dataset with no new Python: a spec, a schema and a suite under tests/data/fifth/.

高龄津贴发放情况 (old-age allowance paid) per township and quarter, in a workbook written
here the way a county bureau would: title with the quarter, two header rows, 合计 row and a
footer with the preparer's name and phone. It goes through the one generic flow
(flows/publish_dataset.py) onto the real portal, and the DataStore must add up to the sheet.
"""

from __future__ import annotations

import random
from pathlib import Path

import ckanapi
import pytest
from openpyxl import Workbook

from gongkai.cli import _load_flow
from gongkai.divisions import latest_year, national
from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "tests" / "data" / "fifth" / "elderly-allowance.yaml"
COUNTY, COUNTY_CODE = "武定县", "532329000000"
QUARTERS = {"2024-Q1": "第一季度", "2024-Q2": "第二季度"}
BANDS = [("80-89岁", "80_89", 50), ("90-99岁", "90_99", 100), ("100岁及以上", "100", 500)]  # 元 a month
PERSONAL = ["马某某", "13800006666"]


def townships() -> list[str]:
    """Every township of the county in the national division code list."""
    return [d.name for d in national(latest_year()) if d.parent_code == COUNTY_CODE]


def quarter_figures(rng: random.Random) -> dict[str, dict[str, int]]:
    """township -> persons and amounts (元) per age band for one quarter: 3 months at the band's rate."""
    figures = {}
    for town in townships():
        row = {}
        for _, key, rate in BANDS:
            persons = {"80_89": rng.randint(150, 900), "90_99": rng.randint(10, 120), "100": rng.randint(0, 3)}[key]
            row[f"persons_{key}"] = persons
            row[f"amount_{key}"] = persons * rate * 3 - rng.choice([0, 0, rate])  # one died mid-quarter
            row[f"amount_{key}"] = max(row[f"amount_{key}"], 0) if persons else 0
        figures[town] = row
    return figures


def write_workbook(path: Path, quarters: dict[str, dict[str, dict[str, int]]]) -> Path:
    """One sheet per quarter, as 武定县's 养老服务 section fills it in."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    fields = [f"{kind}_{key}" for _, key, _ in BANDS for kind in ("persons", "amount")]
    for period, figures in quarters.items():
        label = QUARTERS[period]
        sheet = workbook.create_sheet(label)
        width = 1 + 2 * len(BANDS)
        sheet.append([f"{COUNTY}2024年{label}高龄津贴发放情况表"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        sheet.append(["填报单位：武定县民政局（盖章）"] + [None] * (width - 2) + ["单位：人、元"])
        sheet.append(["乡镇（街道）"] + [x for band, _, _ in BANDS for x in (band, None)])
        sheet.append([None] + ["人数", "发放金额"] * len(BANDS))
        sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
        for i in range(len(BANDS)):
            sheet.merge_cells(start_row=3, start_column=2 + 2 * i, end_row=3, end_column=3 + 2 * i)
        for town, row in figures.items():
            # Thousands separators as text, 0 as a dash: how these sheets are typed.
            sheet.append([town] + [("—" if row[f] == 0 else f"{row[f]:,}" if row[f] >= 10_000 else row[f])
                                   for f in fields])
        sheet.append(["合计"] + [sum(row[f] for row in figures.values()) for f in fields])
        sheet.append([])
        sheet.append([f"填表人：{PERSONAL[0]}", None, None, f"联系电话：{PERSONAL[1]}"])
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def organization_cleanup():
    """The spec's organization is new to the portal: remove it afterwards if this test created it."""
    portal = connect(portal_settings())
    try:
        portal.action.organization_show(id="yanglao-fuwu-ke")
        existed = True
    except ckanapi.NotFound:
        existed = False
    yield
    if not existed:
        try:
            portal.action.organization_purge(id="yanglao-fuwu-ke")
        except ckanapi.CKANAPIError:
            pass


@pytest.fixture(scope="module")
def published(organization_cleanup, isolated_specs, prefect_backend, tmp_path_factory, approve):
    names = isolated_specs(SPEC)   # every spec under datasets/ plus the fifth, under unique CKAN names
    rng = random.Random(20240401)
    quarters = {period: quarter_figures(rng) for period in QUARTERS}
    source = write_workbook(tmp_path_factory.mktemp("fifth") / f"{COUNTY}2024年高龄津贴发放情况.xlsx", quarters)
    publish_dataset = _load_flow("publish_dataset")
    reports = [approve(publish_dataset(dataset="elderly-allowance", period=period, source=str(source)))
               for period in QUARTERS]
    portal = connect(portal_settings())
    return portal, portal.action.package_show(id=names["elderly-allowance"]), reports, quarters


def test_the_fifth_dataset_is_published_each_quarter(published):
    _, package, reports, _ = published
    assert [r["status"] for r in reports] == ["published", "published"], [r["summary"] for r in reports]
    assert package["title"] == "高龄津贴发放情况（按乡镇、季度）" and package["disclosure"] == "proactive"
    assert package["title_en"] == "Old-age allowance paid by township, quarterly"
    assert package["department"] == "养老服务科" and package["organization"]["name"] == "yanglao-fuwu-ke"
    assert (package["period_start"], package["period_end"], package["version"]) == ("2024-Q1", "2024-Q2", "1.1.0")
    names = {r["name"] for r in package["resources"]}
    assert {"elderly-allowance-2024-Q1.csv", "elderly-allowance-2024-Q2.parquet",
            "elderly-allowance-all.csv", "datapackage.json"} <= names


def test_the_datastore_adds_up_to_the_sheets_except_the_suppressed_cells(published):
    """Centenarians (0-3 a township) are small cells: hidden with their amount, flag C; the
    published values plus the hidden ones are the sheet's total, and the hidden ones together
    are never fewer than k beyond any one of them."""
    portal, package, _, quarters = published
    series = next(r for r in package["resources"] if r["name"] == "elderly-allowance-datastore")
    fields = [f"{kind}_{key}" for _, key, _ in BANDS for kind in ("persons", "amount")]
    rows = portal.action.datastore_search(resource_id=series["id"], limit=1000)["records"]
    assert sorted({(r["period"], r["county_code"]) for r in rows}) == [(p, COUNTY_CODE) for p in QUARTERS]
    for period, figures in quarters.items():
        ours = {r["region_name"]: r for r in rows if r["period"] == period}
        assert len(ours) == len(figures) == len(townships())
        for field in fields:
            hidden = [town for town, r in ours.items() if r[f"{field}_flag"] == "C"]
            assert all(ours[town][field] is None for town in hidden), (period, field)
            for town, r in ours.items():
                if town not in hidden:
                    assert float(r[field]) == pytest.approx(figures[town][field], abs=0.01), (period, town, field)
        small = [town for town, row in figures.items() if 0 < row["persons_100"] < 5]
        assert small and all(ours[town]["persons_100_flag"] == "C" for town in small)
        assert ours[small[0]]["amount_100"] is None
        assert all(r["persons_80_89_flag"] is None for r in ours.values())   # hundreds a township: all published


def test_nothing_personal_reached_the_datastore(published):
    portal, package, _, _ = published
    series = next(r for r in package["resources"] if r["name"] == "elderly-allowance-datastore")
    rows = portal.action.datastore_search(resource_id=series["id"], limit=1000)["records"]
    text = repr(rows) + repr(package)
    assert [p for p in PERSONAL if p in text] == []
    assert not any(r["region_name"] in ("合计", "填表人") for r in rows)
