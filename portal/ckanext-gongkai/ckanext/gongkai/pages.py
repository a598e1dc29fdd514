"""What the portal's pages show beyond stock CKAN: our search facets with Chinese labels, the
release history and the review record of a dataset in readable form.

Labels come from the scheming schema (schemas/dataset.yaml), so a choice is named once.
"""
from __future__ import annotations

import json
from typing import Any

# Facets on /dataset, after CKAN's own: name -> heading (zh / en).
OUR_FACETS = {
    "disclosure": "公开属性 / Disclosure",
    "department": "牵头科室 / Department",
    "frequency": "更新频率 / Frequency",
}
KIND_LABELS = {"period": "新一期 / new period", "correction": "更正 / correction"}
DECISION_LABELS = {"approve": "通过 / approved", "approved": "通过 / approved",
                   "reject": "不通过 / rejected", "rejected": "不通过 / rejected"}
# The review record on the dataset page, in this order: field -> label (zh / en).
REVIEW_FIELDS = {
    "review_decision": "审查结论 / Decision",
    "reviewed_by": "审查人 / Reviewed by",
    "reviewed_at": "审查时间 / Reviewed at",
    "review_comment": "审查意见 / Comment",
    "review_checks": "审查内容 / Checks",
    "review_sha256": "所审内容 SHA-256 / SHA-256 of what was reviewed",
}


def with_our_facets(facets: dict) -> dict:
    """Ours first, with bilingual headings, then CKAN's (organization, groups, tags, formats, licenses).

    CKAN passes an ordered dict and keeps using that object: it is reordered in place."""
    theirs = {k: v for k, v in facets.items() if k not in OUR_FACETS}
    facets.clear()
    facets.update(OUR_FACETS)
    facets.update(theirs)
    return facets


def choice_labels(field_name: str) -> dict[str, str]:
    """value -> Chinese label of a select field of the dataset schema (empty for free text)."""
    from ckanext.scheming.helpers import scheming_get_dataset_schema

    schema = scheming_get_dataset_schema("dataset") or {}
    field = next((f for f in schema.get("dataset_fields", []) if f["field_name"] == field_name), {})
    return {c["value"]: c["label"]["zh_Hans_CN"] if isinstance(c["label"], dict) else c["label"]
            for c in field.get("choices", [])}


def label_facets(search_results: dict) -> dict:
    """package_search's facet items named by their label (主动公开 (proactive)), not the stored code."""
    for field_name in OUR_FACETS:
        labels = choice_labels(field_name)
        for item in search_results.get("search_facets", {}).get(field_name, {}).get("items", []):
            item["display_name"] = labels.get(item["name"], item["display_name"])
    return search_results


def release_history(pkg: dict) -> list[dict]:
    """The releases of a dataset, newest first, from its `release_history` JSON text (the contract
    of the releases pipeline); an unreadable value gives no rows rather than a broken page."""
    try:
        releases = json.loads(pkg.get("release_history") or "[]")
    except (TypeError, ValueError):
        return []
    if not isinstance(releases, list):
        return []
    rows = []
    for release in releases:
        if not isinstance(release, dict):
            continue
        changes = release.get("changes") or {}
        rows.append({
            "version": release.get("version", ""),
            "period": release.get("period", ""),
            "revision": release.get("revision", ""),
            "kind": KIND_LABELS.get(release.get("kind"), release.get("kind", "")),
            "reason": release.get("reason") or "",
            "published_at": str(release.get("published_at") or "")[:19].replace("T", " "),
            "files": {k: v for k, v in (release.get("files") or {}).items() if isinstance(v, str)},
            "changes": changes if isinstance(changes, dict) else {},
        })
    return rows


def review_record(pkg: dict) -> list[tuple[str, str]]:
    """(label, value) of each review field the dataset has, the decision in words."""
    record = []
    for field_name, label in REVIEW_FIELDS.items():
        value = pkg.get(field_name)
        if not value:
            continue
        if field_name == "review_decision":
            value = DECISION_LABELS.get(str(value).lower(), value)
        record.append((label, str(value)))
    return record


def helpers() -> dict[str, Any]:
    return {"gongkai_release_history": release_history, "gongkai_review_record": review_record}
