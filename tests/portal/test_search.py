"""package_search served from PostgreSQL: Chinese text, facets, filters, permissions."""
import ckanapi
import pytest

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]


def names(result):
    return sorted(d["name"] for d in result["results"])


def facet_counts(result, field):
    return {item["name"]: item["count"] for item in result["search_facets"][field]["items"]}


def test_chinese_title_is_found_by_a_two_character_word(ckan, anonymous, created, unique):
    org = created.organization(f"{unique}-org", "武定县民政局")
    created.dataset(**dataset_fields(f"{unique}-dibao", org["name"], tags=[{"name": unique}]))
    created.dataset(**dataset_fields(f"{unique}-other", org["name"], title="福利彩票公益金使用情况", title_en="Welfare lottery fund",
                                     notes="资助项目", tags=[{"name": unique}]))

    found = anonymous.action.package_search(q="低保", fq=f"tags:{unique}")
    assert names(found) == [f"{unique}-dibao"]
    assert anonymous.action.package_search(q="公益金", fq=f"tags:{unique}")["count"] == 1
    # the organization's Chinese title and English text are searchable too
    assert anonymous.action.package_search(q="武定县", fq=f"tags:{unique}")["count"] == 2
    assert names(anonymous.action.package_search(q="dibao recipients", fq=f"tags:{unique}")) == [
        f"{unique}-dibao"]
    assert anonymous.action.package_search(q="救济粮", fq=f"tags:{unique}")["count"] == 0


def test_facets_count_exactly_after_creates_updates_and_deletes(ckan, created, unique):
    org_a = created.organization(f"{unique}-a", "甲县民政局")["name"]
    org_b = created.organization(f"{unique}-b", "乙县民政局")["name"]
    tag = [{"name": unique}]

    def csv(n):
        return [{"name": f"r{n}", "url": f"http://example.com/{n}.csv", "format": "CSV"}]

    for n in range(3):
        created.dataset(**dataset_fields(f"{unique}-a{n}", org_a, tags=tag, resources=csv(n)))
    created.dataset(**dataset_fields(f"{unique}-b0", org_b, tags=tag, resources=[
        {"name": "x", "url": "http://example.com/x.xlsx", "format": "XLSX"},
        {"name": "c", "url": "http://example.com/c.csv", "format": "CSV"}]))

    def facets():
        result = ckan.action.package_search(
            fq=f'tags:"{unique}"', rows=0, **{"facet.field": ["organization", "res_format"]})
        return facet_counts(result, "organization"), facet_counts(result, "res_format"), result["count"]

    assert facets() == ({org_a: 3, org_b: 1}, {"CSV": 4, "XLSX": 1}, 4)

    moved = ckan.action.package_patch(id=f"{unique}-a0", owner_org=org_b, resources=[
        {"name": "p", "url": "http://example.com/p.parquet", "format": "PARQUET"}])
    assert moved["organization"]["name"] == org_b
    assert facets() == ({org_a: 2, org_b: 2}, {"CSV": 3, "XLSX": 1, "PARQUET": 1}, 4)

    ckan.action.package_delete(id=f"{unique}-a1")
    assert facets() == ({org_a: 1, org_b: 2}, {"CSV": 2, "XLSX": 1, "PARQUET": 1}, 3)

    ckan.action.resource_create(package_id=f"{unique}-a2", name="j", format="JSON",
                                url="http://example.com/j.json")
    assert facets()[1] == {"CSV": 2, "XLSX": 1, "PARQUET": 1, "JSON": 1}
    assert ckan.action.organization_show(id=org_b)["package_count"] == 2


def test_fq_syntax_sort_and_paging(ckan, created, unique):
    org = created.organization(f"{unique}-org", "丙县民政局")["name"]
    for n, (frequency, period) in enumerate([("monthly", "2024-01"), ("annual", "2023-01"),
                                             ("quarterly", "2024-04")]):
        created.dataset(**dataset_fields(f"{unique}-{n}", org, tags=[{"name": unique}],
                                         title=f"低保统计 {n}", frequency=frequency,
                                         period_start=period, period_end=period))

    def search(**params):
        return names(ckan.action.package_search(fq_list=[f"tags:{unique}"], **params))

    assert search(fq="frequency:annual") == [f"{unique}-1"]
    assert search(fq='+frequency:"monthly" -period_start:2023-01') == [f"{unique}-0"]
    assert search(fq="frequency:(annual OR quarterly)") == [f"{unique}-1", f"{unique}-2"]
    assert search(fq="-frequency:monthly AND disclosure:proactive") == [f"{unique}-1", f"{unique}-2"]
    assert search(fq=f"organization:{org} department:社会救助科") == [f"{unique}-{n}" for n in range(3)]
    assert search(q="frequency:quarterly") == [f"{unique}-2"]
    assert search(q="*:*") == [f"{unique}-{n}" for n in range(3)]

    by_title = ckan.action.package_search(fq=f"tags:{unique}", sort="title_string desc", rows=2)
    assert [d["name"] for d in by_title["results"]] == [f"{unique}-2", f"{unique}-1"]
    assert by_title["count"] == 3
    page_two = ckan.action.package_search(fq=f"tags:{unique}", sort="name asc", rows=2, start=2)
    assert [d["name"] for d in page_two["results"]] == [f"{unique}-2"]
    ids = ckan.action.package_search(fq=f"tags:{unique}", fl="id,name", sort="name asc")
    assert [d["name"] for d in ids["results"]] == [f"{unique}-{n}" for n in range(3)]
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="title_string sideways")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="frequency:(annual")


def test_private_dataset_is_visible_to_the_sysadmin_only(ckan, anonymous, created, unique):
    org = created.organization(f"{unique}-org", "丁县民政局")["name"]
    created.dataset(**dataset_fields(f"{unique}-private", org, private=True,
                                     disclosure="on_request", tags=[{"name": unique}]))

    assert anonymous.action.package_search(fq=f"tags:{unique}", include_private=True)["count"] == 0
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_show(id=f"{unique}-private")
    assert anonymous.action.organization_show(id=org)["package_count"] == 0

    seen = ckan.action.package_search(fq=f"tags:{unique}", include_private=True)
    assert names(seen) == [f"{unique}-private"]
    assert ckan.action.package_search(fq=f"tags:{unique}")["count"] == 0  # include_private off


def test_drafts_only_with_include_drafts(ckan, created, unique):
    org = created.organization(f"{unique}-org", "戊县民政局")["name"]
    created.dataset(**dataset_fields(f"{unique}-draft", org, state="draft", tags=[{"name": unique}]))
    assert ckan.action.package_search(fq=f"tags:{unique}")["count"] == 0
    assert ckan.action.package_search(fq=f"tags:{unique}", include_drafts=True)["count"] == 1


def test_package_show_reflects_updates_and_purge_removes_from_search(ckan, created, unique):
    org = created.organization(f"{unique}-org", "己县民政局")["name"]
    created.dataset(**dataset_fields(f"{unique}-d", org, tags=[{"name": unique}]))
    ckan.action.package_patch(id=f"{unique}-d", title="城乡低保对象统计（修订）")
    assert ckan.action.package_show(id=f"{unique}-d")["title"] == "城乡低保对象统计（修订）"
    assert ckan.action.package_search(q="修订", fq=f"tags:{unique}")["count"] == 1

    ckan.action.dataset_purge(id=f"{unique}-d")
    assert ckan.action.package_search(fq=f"tags:{unique}", include_drafts=True)["count"] == 0


def test_groups_filter_count_and_page(ckan, portal_url, created, unique):
    import requests
    org = created.organization(f"{unique}-org", "子县民政局")["name"]
    group = ckan.action.group_create(name=f"{unique}-grp", title="社会救助专题")
    try:
        created.dataset(**dataset_fields(f"{unique}-g", org, groups=[{"name": group["name"]}],
                                         tags=[{"name": unique}]))
        created.dataset(**dataset_fields(f"{unique}-n", org, tags=[{"name": unique}]))
        assert names(ckan.action.package_search(fq=f"groups:{group['name']}")) == [f"{unique}-g"]
        result = ckan.action.package_search(fq=f"tags:{unique}", **{"facet.field": ["groups"]})
        assert facet_counts(result, "groups") == {group["name"]: 1}
        assert ckan.action.group_show(id=group["name"])["package_count"] == 1
        page = requests.get(f"{portal_url}/group/{group['name']}", timeout=30)
        assert page.status_code == 200 and "城乡低保对象统计" in page.text
    finally:
        ckan.action.group_purge(id=group["id"])


def test_autocomplete_and_tag_filters(ckan, anonymous, created, unique):
    org = created.organization(f"{unique}-org", "丑县民政局")["name"]
    created.dataset(**dataset_fields(f"{unique}-auto", org, title="丑县特困人员供养统计",
                                     tags=[{"name": unique}, {"name": "特困"}]))
    suggestions = anonymous.action.package_autocomplete(q=f"{unique}-au")
    assert [s["name"] for s in suggestions] == [f"{unique}-auto"]
    assert anonymous.action.package_search(fq=f'tags:"特困" tags:{unique}')["count"] == 1
