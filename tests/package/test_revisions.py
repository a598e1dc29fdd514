"""Releases without a portal: revisions staged side by side, what a correction changed, the version rule."""

from __future__ import annotations

import dataclasses

import pytest

from gongkai.package import layout_for
from gongkai.package.staging import stage_release
from gongkai.package import Layout, package_period, read_period, releases
from gongkai.problems import Problems


def corrected(table, rows: dict[int, int]):
    """`table` with rural_persons of the given rows (by position) raised by the given amounts."""
    frame = table.frame.copy()
    for row, more in rows.items():
        frame.loc[frame.index[row], "rural_persons"] += more
    return dataclasses.replace(table, frame=frame)


def test_a_correction_is_staged_beside_r1_and_the_series_uses_it(spec, tables, tmp_path):
    layout = Layout(tmp_path)
    package_period(spec, tables["2024-01"].frame, "2024-01", layout)
    layout.commit("2024-01")
    r1 = (layout.release("2024-01") / "relief-recipients-2024-01.csv").read_bytes()
    package_period(spec, corrected(tables["2024-01"], {0: 5}).frame, "2024-01", layout, revision=2)
    layout.commit("2024-01")
    folder = layout.release("2024-01")
    assert layout.revisions("2024-01") == [1, 2]
    assert (folder / "relief-recipients-2024-01.csv").read_bytes() == r1      # r1 is never overwritten
    assert layout.current(spec.name, "2024-01").name == "relief-recipients-2024-01-r2.parquet"
    series = read_period(folder / "all" / "relief-recipients-all.parquet")
    assert series.rural_persons.sum() == tables["2024-01"].frame.rural_persons.sum() + 5


def test_compare_names_each_changed_cell_old_and_new_and_rows_added_or_removed(spec, tables):
    old = tables["2024-01"].frame
    new = corrected(tables["2024-01"], {2: 7}).frame.drop(index=old.index[0])
    changes = releases.compare(spec, old, new)
    first, third = old.iloc[0], old.iloc[2]
    assert changes.rows_removed == [str(first.region_code)] and changes.rows_added == []
    assert changes.cells == [{"row": str(third.region_code), "name": third.region_name, "field": "rural_persons",
                              "old": str(third.rural_persons), "new": str(third.rural_persons + 7)}]
    assert releases.compare(spec, old, old.copy()).empty


def test_the_version_rule_minor_for_a_period_patch_for_a_correction():
    def record(period, revision, at):
        return {"period": period, "revision": f"r{revision}", "published_at": at,
                "kind": "period" if revision == 1 else "correction"}

    published = [record("2024-03", 1, "3"), record("2024-01", 1, "1"), record("2024-02", 2, "4"),
                 record("2024-02", 1, "2"), record("2024-02", 3, "5")]
    versions = {(r["period"], r["revision"]): r["version"] for r in releases.with_versions(published)}
    assert versions == {("2024-01", "r1"): "1.0.0", ("2024-02", "r1"): "1.1.0", ("2024-03", "r1"): "1.2.0",
                        ("2024-02", "r2"): "1.2.1", ("2024-02", "r3"): "1.2.2"}


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path))
    return tmp_path


def stage_and_commit(spec, table, correction=""):
    problems = Problems()
    staged = stage_release(spec, table.frame, table.period, problems, correction)
    if staged is not None and not problems.errors:
        layout_for(spec).commit(table.period)
    return staged, problems


def test_a_changed_period_needs_a_correction_reason_and_the_same_content_is_unchanged(spec, tables, out):
    stage_and_commit(spec, tables["2024-01"])
    same, problems = stage_and_commit(spec, tables["2024-01"])
    assert not same.new and same.changes.empty and not problems

    changed = corrected(tables["2024-01"], {1: 3})
    refused, problems = stage_and_commit(spec, changed)
    assert [p.slug for p in problems.errors] == ["correction-required"]
    assert "--correction" in problems.errors[0].kind.fix_en and "r1" in problems.errors[0].message_en
    assert len(refused.changes.cells) == 1 and not refused.new
    assert not layout_for(spec).staging("2024-01").exists()          # nothing staged, nothing to send

    staged, problems = stage_and_commit(spec, changed, correction="县民政局更正了1月的农村低保人数")
    assert not problems and staged.revision == 2 and staged.record["kind"] == "correction"
    assert staged.record["reason"] == "县民政局更正了1月的农村低保人数"
    assert staged.record["changes"]["cells_changed"] == 1
    names = {f.name for f in staged.files}
    assert {"relief-recipients-2024-01.csv", "relief-recipients-2024-01-r2.csv"} <= names
    assert "relief-recipients-2024-01.csv" not in {f.name for f in staged.current}   # datapackage: latest only


def test_a_correction_of_a_period_never_published_is_refused(spec, tables, out):
    staged, problems = stage_and_commit(spec, tables["2024-02"], correction="理由")
    assert staged is None and [p.slug for p in problems.errors] == ["nothing-to-correct"]


def test_the_changelog_lists_every_release_and_the_changed_cells(spec, tables):
    changes = releases.compare(spec, tables["2024-01"].frame, corrected(tables["2024-01"], {0: 2}).frame)
    first = tables["2024-01"].frame.iloc[0]
    records = releases.with_versions([
        {"period": "2024-01", "revision": "r1", "kind": "period", "published_at": "1",
         "files": {"CSV": "relief-recipients-2024-01.csv"}},
        {"period": "2024-01", "revision": "r2", "kind": "correction", "published_at": "2", "reason": "更正",
         "files": {"CSV": "relief-recipients-2024-01-r2.csv"}, "changes": changes.as_dict()}])
    text = releases.changelog(spec, records)
    assert text.index("## 1.0.1 — 2024-01 r2") < text.index("## 1.0.0 — 2024-01 r1")
    row = (f"| {first.region_code} | {first.region_name} | rural_persons | {first.rural_persons} | "
           f"{first.rural_persons + 2} |")
    assert row in text


def test_the_same_release_staged_again_after_a_failed_send_keeps_its_time(spec, tables, out):
    """A run that died while publishing is redone with the same published_at: the same changelog bytes."""
    from gongkai.package.releases import record_path, write_record

    staged = stage_release(spec, tables["2024-01"].frame, "2024-01", Problems())
    layout = layout_for(spec)
    staged.record["published_at"] = "2024-04-03T09:00:00+08:00"      # as publish_release writes it before sending
    write_record(staged.record, record_path(layout, "2024-01", 1, staged=True))
    again = stage_release(spec, tables["2024-01"].frame, "2024-01", Problems())
    assert again.record["published_at"] == "2024-04-03T09:00:00+08:00"
    changed = stage_release(spec, corrected(tables["2024-01"], {0: 1}).frame, "2024-01", Problems())
    assert changed.record["published_at"] == ""                        # other content: a new release
