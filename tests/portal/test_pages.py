"""What the dataset page makes of the release history and review record (ckanext/gongkai/pages.py);
no portal needed. The pages themselves are tested in a browser (test_pages_browser.py)."""
import json
import sys
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal" / "ckanext-gongkai"))

from ckanext.gongkai.pages import release_history, review_record, with_our_facets  # noqa: E402

R2 = {"version": "1.2.1", "period": "2024-02", "revision": "r2", "kind": "correction",
      "reason": "武定县2月人数更正", "published_at": "2024-04-03T10:15:00+08:00",
      "files": {"CSV": "http://portal/r2.csv", "Parquet": "http://portal/r2.parquet"},
      "changes": {"rows_added": 0, "rows_removed": 0, "cells_changed": 2}, "review": {}}
R1 = dict(R2, version="1.2.0", revision="r1", kind="period", reason="", changes={})


def test_releases_keep_their_order_newest_first_with_kinds_in_words():
    rows = release_history({"release_history": json.dumps([R2, R1], ensure_ascii=False)})
    assert [r["revision"] for r in rows] == ["r2", "r1"]
    assert rows[0]["kind"] == "更正 / correction" and rows[1]["kind"] == "新一期 / new period"
    assert rows[0]["published_at"] == "2024-04-03 10:15:00"
    assert rows[0]["files"] == R2["files"] and rows[0]["changes"]["cells_changed"] == 2


def test_a_history_that_is_not_json_gives_no_rows_not_a_broken_page():
    for value in (None, "", "not json", json.dumps({"a": 1}), json.dumps(["x", 3])):
        assert release_history({"release_history": value}) == []


def test_the_review_record_names_each_field_in_chinese_and_english_decision_in_words():
    record = review_record({"reviewed_by": "社会救助科 张科长", "reviewed_at": "2024-04-02T09:00:00+08:00",
                            "review_decision": "approved", "review_sha256": "ab" * 32, "review_comment": ""})
    assert record == [("审查结论 / Decision", "通过 / approved"), ("审查人 / Reviewed by", "社会救助科 张科长"),
                      ("审查时间 / Reviewed at", "2024-04-02T09:00:00+08:00"),
                      ("所审内容 SHA-256 / SHA-256 of what was reviewed", "ab" * 32)]
    assert review_record({"review_decision": "rejected"}) == [("审查结论 / Decision", "不通过 / rejected")]


def test_our_facets_come_first_and_ckans_stay():
    facets = OrderedDict([("organization", "Organizations"), ("tags", "Tags"), ("res_format", "Formats")])
    result = with_our_facets(facets)
    assert result is facets
    assert list(result) == ["disclosure", "department", "frequency", "organization", "tags", "res_format"]
    assert result["department"] == "牵头科室 / Department"
