"""The Gongkai dataset schema (ckanext-scheming): bad values refused, disclosure rule."""
import ckanapi
import pytest

from conftest import dataset_fields

pytestmark = [pytest.mark.integration, pytest.mark.portal]


@pytest.fixture
def org(created, unique):
    return created.organization(f"{unique}-org", "庚县民政局")["name"]


def test_a_valid_dataset_keeps_every_gongkai_field(created, org, unique):
    dataset = created.dataset(**dataset_fields(f"{unique}-ok", org))
    for field, value in [("title_en", "Urban and rural dibao recipients"), ("disclosure", "proactive"),
                         ("department", "社会救助科"), ("frequency", "monthly"),
                         ("period_start", "2024-01"), ("period_end", "2024-03"),
                         ("publication_deadline", "2024-04-12"), ("reviewed_by", "办公室"),
                         ("reviewed_at", "2024-04-02"), ("review_checks", "个人信息、小数值抑制"),
                         ("version", "2024.03")]:
        assert dataset[field] == value, field
    resource = dataset["resources"][0]
    assert (resource["period"], resource["name_en"], resource["format"]) == ("2024-03", "March 2024", "CSV")


@pytest.mark.parametrize("field, value", [
    ("disclosure", "foo"),
    ("frequency", "weekly"),
    ("period_start", "2024-13"),
    ("period_end", "2024-3"),
    ("publication_deadline", "2024-02-30"),
    ("reviewed_at", "yesterday"),
    ("title_en", ""),
    ("department", ""),
])
def test_invalid_values_are_refused(ckan, org, unique, field, value):
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.package_create(**dataset_fields(f"{unique}-bad", org, **{field: value}))
    assert field in refused.value.error_dict


def test_missing_required_fields_are_refused(ckan, org, unique):
    fields = dataset_fields(f"{unique}-bad", org)
    for required in ("disclosure", "department", "title_en"):
        fields.pop(required)
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.package_create(**fields)
    assert {"disclosure", "department", "title_en"} <= set(refused.value.error_dict)


def test_period_end_before_start_and_bad_resource_period_are_refused(ckan, org, unique):
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.package_create(**dataset_fields(f"{unique}-bad", org,
                                                    period_start="2024-05", period_end="2024-01"))
    assert "period_end" in refused.value.error_dict
    bad_resource = [{"name": "x", "url": "http://example.com/x.csv", "period": "March"}]
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_create(**dataset_fields(f"{unique}-bad", org, resources=bad_resource))


@pytest.mark.parametrize("disclosure", ["on_request", "not_disclosed"])
def test_only_proactive_datasets_can_be_public(ckan, created, org, unique, disclosure):
    for private in (False, None):
        fields = dataset_fields(f"{unique}-{disclosure}", org, disclosure=disclosure, private=private)
        if private is None:
            fields.pop("private")
        with pytest.raises(ckanapi.ValidationError) as refused:
            ckan.action.package_create(**fields)
        assert "disclosure" in refused.value.error_dict

    kept_private = created.dataset(**dataset_fields(f"{unique}-{disclosure}", org,
                                                    disclosure=disclosure, private=True))
    assert kept_private["private"] is True
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_patch(id=kept_private["id"], private=False)


def test_a_public_dataset_cannot_be_switched_to_on_request_and_stay_public(ckan, created, org, unique):
    public = created.dataset(**dataset_fields(f"{unique}-pub", org))
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_patch(id=public["id"], disclosure="on_request")
    patched = ckan.action.package_patch(id=public["id"], disclosure="on_request", private=True)
    assert patched["private"] is True
