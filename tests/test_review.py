"""The review gate's mechanism without a portal: fingerprint, records, diff, suppression summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gongkai import review
from gongkai.package import PackagedFile

METADATA = {"title": "低保", "version": "2024-03", "tags": [{"name": "低保"}]}


def files(tmp_path: Path, **hashes: str) -> list[PackagedFile]:
    return [PackagedFile(tmp_path / name, "2024-03", "CSV", sha) for name, sha in hashes.items()]


def staged(tmp_path: Path, **hashes: str) -> review.Staged:
    return review.Staged.of("relief-recipients", "2024-03", files(tmp_path, **hashes), METADATA,
                            {"个人信息扫描 PII scan": "无命中 / none"}, rows=12)


def test_the_fingerprint_covers_every_file_and_the_metadata_but_not_the_review(tmp_path):
    base = review.fingerprint(files(tmp_path, a="1", b="2"), METADATA)
    assert review.fingerprint(files(tmp_path, b="2", a="1"), METADATA) == base          # order does not matter
    assert review.fingerprint(files(tmp_path, a="1", b="3"), METADATA) != base          # a file changed
    assert review.fingerprint(files(tmp_path, a="1"), METADATA) != base                 # a file is missing
    assert review.fingerprint(files(tmp_path, a="1", b="2"), METADATA | {"version": "2024-04"}) != base
    reviewed = METADATA | {"reviewed_by": "办公室", "review_sha256": base, "review_comment": "好"}
    assert review.fingerprint(files(tmp_path, a="1", b="2"), reviewed) == base


def test_a_changed_file_is_refused_by_name(tmp_path):
    release = staged(tmp_path, **{"r-2024-03.csv": "1", "r-all.csv": "2"})
    review.check_same(release, files(tmp_path, **{"r-2024-03.csv": "1", "r-all.csv": "2"}),
                      release.fingerprint, tmp_path)
    with pytest.raises(review.ReviewRefused) as refused:
        review.check_same(release, files(tmp_path, **{"r-2024-03.csv": "9", "r-all.csv": "2"}),
                          release.fingerprint, tmp_path)
    assert refused.value.problem.slug == "review-mismatch"
    assert "r-2024-03.csv" in str(refused.value) and "r-all.csv" not in str(refused.value)
    assert "gongkai run" in str(refused.value)


def test_a_decision_is_kept_beside_the_staging_and_in_the_log(tmp_path):
    release = staged(tmp_path, a="1")
    release.save(tmp_path / "staging")
    assert review.Staged.load(tmp_path / "staging") == release
    record = review.decide(release, tmp_path / "staging", tmp_path / "reviews", reviewer="办公室 保密审查员",
                           decision="approve", comment="已核对", seen=release.fingerprint)
    assert record["sha256"] == release.fingerprint and record["checks"] == release.checks
    assert json.loads((tmp_path / "staging" / "review.json").read_text(encoding="utf-8")) == record
    [logged] = (tmp_path / "reviews").glob("2024-03-*-approve.json")
    assert json.loads(logged.read_text(encoding="utf-8")) == record
    fields = review.portal_fields(record)
    assert fields["reviewed_by"] == "办公室 保密审查员" and fields["review_decision"] == "approve"
    assert fields["review_sha256"] == release.fingerprint and "PII scan" in fields["review_checks"]


def test_only_an_approval_of_exactly_this_content_is_reused(tmp_path):
    release = staged(tmp_path, a="1")
    log = tmp_path / "reviews"
    assert review.earlier_approval(log, release.fingerprint) is None
    review.decide(release, tmp_path, log, reviewer="办公室", decision="approve", comment="", seen=release.fingerprint)
    assert review.earlier_approval(log, release.fingerprint)["reviewer"] == "办公室"
    assert review.earlier_approval(log, "another fingerprint") is None


def test_personal_data_in_the_published_record_is_refused_and_not_echoed(tmp_path):
    release = staged(tmp_path, a="1")
    with pytest.raises(review.ReviewRefused) as refused:
        review.decide(release, tmp_path, tmp_path / "reviews", reviewer="办公室", decision="reject",
                      comment="联系 13812345678", seen=release.fingerprint)
    assert refused.value.problem.slug == "pii-in-review"
    assert "13812345678" not in str(refused.value)
    assert not (tmp_path / "review.json").exists()


def test_nothing_staged_says_what_to_run(tmp_path):
    with pytest.raises(review.ReviewRefused) as refused:
        review.Staged.load(tmp_path / "2024-03")
    assert refused.value.problem.slug == "nothing-staged" and "gongkai run" in str(refused.value)


def test_the_diff_counts_rows_and_cells_old_to_new():
    old = pd.DataFrame({"code": ["a", "b", "c"], "persons": [10, 20, 30], "amount": [1.0, None, 3.0]})
    new = pd.DataFrame({"code": ["a", "b", "d"], "persons": [10, 25, 40], "amount": [1.0, None, 4.0]})
    diff = review.diff_frames(new, old, ["code"])
    assert (diff["rows_added"], diff["rows_removed"], diff["cells_changed"]) == (1, 1, 1)
    assert diff["examples"] == [("b", "persons", 20, 25)]


def test_suppressed_cells_are_counted_from_their_flags():
    frame = pd.DataFrame({"persons": [None, 7, None], "persons_flag": ["C", None, "C"],
                          "amount": [None, 1.0, 2.0], "amount_flag": ["C", "", None]})
    assert review.suppression_summary(frame) == {"persons": 2, "amount": 1}
