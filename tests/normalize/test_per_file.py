"""One file at a time: the parts `normalize_file` returns, combined, are exactly what one loop over the files gave.

The parts are made in other processes (spawned, as Prefect's ProcessPoolTaskRunner does), so
everything they hold must pickle and nothing may rely on state shared with the caller.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from gongkai.extract import find_sources
from gongkai.normalize import SourceTable, combine, normalize, normalize_file, not_processed
from gongkai.normalize.reader import SheetReader
from gongkai.problems import Problems
from gongkai.settings import SettingsError, normalize_workers
from gongkai.spec import load_spec

RELIEF_PERIODS = ["2024-01", "2024-02", "2024-03"]
BROKEN = {"budget-unit-slip.xlsx": ("budget-accounts", "2023"), "lottery-broken-subtotal.xlsx": ("lottery-fund", "2023"),
          "standards-duplicate-date.xlsx": ("subsidy-standards", "2024"),
          "standards-yearly-as-monthly.xlsx": ("subsidy-standards", "2024"),
          "sum-mismatch.xlsx": ("relief-recipients", "2024-03"), "text-in-count.xlsx": ("relief-recipients", "2024-03")}


def cells(table: SourceTable) -> list[list]:
    """The frame's cells, missing values as None (NaN never equals NaN)."""
    return table.frame.astype(object).where(table.frame.notna(), None).values.tolist()


def flattened(table: SourceTable, problems: Problems) -> dict:
    return {"cells": cells(table), "columns": list(table.frame.columns), "dtypes": [str(d) for d in table.frame.dtypes],
            "checks": table.checks, "files": table.files, "origins": table.origins, "sheets": table.sheets,
            "problems": [p.as_dict() for p in problems]}


def in_processes(dataset: str, files: list[Path], period: str) -> tuple[SourceTable, Problems]:
    """Each file normalized in a spawned process of its own pool, the parts combined here."""
    spec = load_spec(dataset)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(normalize_file, [spec] * len(files), files, [period] * len(files)))
    problems = Problems()
    problems.add("no-source-files", directory="before")   # the run's earlier problems stay first
    return combine(spec, period, parts, problems), problems


def in_one_loop(dataset: str, files: list[Path], period: str) -> tuple[SourceTable, Problems]:
    problems = Problems()
    problems.add("no-source-files", directory="before")
    return normalize(load_spec(dataset), files, period, problems), problems


@pytest.fixture(scope="module")
def relief_files(samples) -> list[Path]:
    directory, _ = samples
    files = find_sources(load_spec("relief-recipients"), directory, Problems())
    assert len(files) >= 6
    return files


@pytest.mark.parametrize("period", RELIEF_PERIODS)
def test_parts_from_other_processes_combine_to_the_same_table_and_problems(relief_files, period):
    table, problems = in_processes("relief-recipients", relief_files, period)
    assert len(table.frame) > 0 and len(table.files) >= 3
    assert flattened(table, problems) == flattened(*in_one_loop("relief-recipients", relief_files, period))


def test_the_combined_table_is_each_file_alone_in_file_order(relief_files):
    """Independent of combine's bookkeeping: the rows are every file's own rows, one file after another,
    and every sum check still points at rows of its own file."""
    table, _ = in_processes("relief-recipients", relief_files, "2024-03")
    alone = [in_one_loop("relief-recipients", [f], "2024-03")[0] for f in relief_files]
    assert cells(table) == [row for t in alone for row in cells(t)]
    assert [c.label for c in table.checks] == [c.label for t in alone for c in t.checks]
    for check in table.checks:
        files = {table.sheets[table.origins[m][0]]["file"] for m in check.members}
        assert files <= {check.where.file}


def test_a_township_in_two_files_is_a_duplicate_named_in_the_second(samples, relief_files):
    directory, _ = samples
    files = relief_files + [directory / "broken" / "sum-mismatch.xlsx"]   # 武定县's March again
    table, problems = in_processes("relief-recipients", files, "2024-03")
    assert flattened(table, problems) == flattened(*in_one_loop("relief-recipients", files, "2024-03"))
    duplicates = [p for p in problems if p.slug == "duplicate-row"]
    assert duplicates and all(p.where.file == "sum-mismatch.xlsx" for p in duplicates)
    assert all(p.params["first"].startswith("武定县低保月报2024.xlsx ! ") for p in duplicates)
    # Reported right after that sheet was read, as the one loop did: after its own reading problems.
    own = [i for i, p in enumerate(problems) if p.where.file == "sum-mismatch.xlsx" and p.slug != "duplicate-row"]
    assert own and max(own) < problems.index(duplicates[0])


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_sample_gives_the_same_problems_either_way(samples, name):
    directory, _ = samples
    dataset, period = BROKEN[name]
    files = [directory / "broken" / name, directory / "broken" / name]   # twice: its problems once, its keys twice
    table, problems = in_processes(dataset, files, period)
    assert problems.errors
    assert flattened(table, problems) == flattened(*in_one_loop(dataset, files, period))


def test_a_file_that_fails_to_normalize_is_a_problem_naming_it_without_personal_values(relief_files, monkeypatch):
    def broken(self, period):
        raise ValueError("cell says 532301198001011234")

    monkeypatch.setattr(SheetReader, "read", broken)
    spec = load_spec("relief-recipients")
    part = normalize_file(spec, relief_files[0], "2024-03")
    assert part.sheets == []
    [failed] = [p for p in part.problems if p.slug == "file-not-processed"]
    assert failed.where.file == relief_files[0].name and failed.severity.value == "error"
    assert "ValueError" in failed.message_en and "532301198001011234" not in failed.message_en


def test_a_worker_that_died_is_a_problem_naming_its_file(relief_files):
    part = not_processed(relief_files[1], BrokenProcessPool("A process in the process pool was terminated abruptly"))
    problems = Problems()
    table = combine(load_spec("relief-recipients"), "2024-03", [normalize_file(load_spec("relief-recipients"),
                                                                                relief_files[0], "2024-03"), part],
                    problems)
    assert table.files == [relief_files[0].name]
    [failed] = [p for p in problems if p.slug == "file-not-processed"]
    assert failed.where.file == relief_files[1].name and "terminated abruptly" in failed.message_en


@pytest.mark.parametrize("value,workers", [(None, 1), ("1", 1), ("2", 2), (" 4 ", 4)])
def test_gongkai_workers_defaults_to_one(monkeypatch, value, workers):
    if value is None:
        monkeypatch.delenv("GONGKAI_WORKERS", raising=False)
    else:
        monkeypatch.setenv("GONGKAI_WORKERS", value)
    assert normalize_workers() == workers


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_wrong_gongkai_workers_says_where_it_looked(monkeypatch, value):
    monkeypatch.setenv("GONGKAI_WORKERS", value)
    with pytest.raises(SettingsError, match="environment variable GONGKAI_WORKERS"):
        normalize_workers()
