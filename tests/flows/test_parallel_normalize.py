"""The flow's normalize stage on 2 worker processes (GONGKAI_WORKERS=2) gives what 1 gives; a dying worker
is a problem naming its file. Needs Prefect (a temporary test server), not the portal."""

from __future__ import annotations

import os

import pytest
from prefect import flow

from gongkai.extract import find_sources
from gongkai.flow import normalize_files
from gongkai.problems import Problems
from gongkai.spec import load_spec

pytestmark = [pytest.mark.integration]

class DyingFile:
    """A source file whose arrival kills the worker process outright, as the kernel's OOM killer would:
    unpickled in the worker, it exits the process."""

    def __init__(self, path):
        self.path = str(path)

    def __fspath__(self):
        return self.path

    def __reduce__(self):
        return os._exit, (3,)


@flow
def normalize_stage(files, period: str, workers: int):
    problems = Problems()
    table = normalize_files(load_spec("relief-recipients"), files, period, problems, workers)
    return table, problems


def rows(table) -> list[list]:
    return table.frame.astype(object).where(table.frame.notna(), None).values.tolist()


@pytest.mark.parametrize("period", ["2024-01", "2024-03"])
def test_two_workers_give_the_same_rows_and_problems_as_one(prefect_backend, samples, period):
    directory, _ = samples
    files = find_sources(load_spec("relief-recipients"), directory, Problems())
    files.append(directory / "broken" / "sum-mismatch.xlsx")      # and a township twice, across files
    one, one_problems = normalize_stage(files, period, 1)
    two, two_problems = normalize_stage(files, period, 2)
    assert rows(two) == rows(one) and len(rows(one)) > 0
    assert (two.files, two.origins, two.checks) == (one.files, one.origins, one.checks)
    assert [p.as_dict() for p in two_problems] == [p.as_dict() for p in one_problems]


def test_a_worker_that_dies_on_a_file_is_a_problem_naming_it(prefect_backend, samples):
    directory, _ = samples
    table, problems = normalize_stage([directory / "禄丰市2024年03月低保统计.csv", DyingFile(directory / "武定县低保月报2024.xlsx")],
                                       "2024-03", 2)
    failed = [p for p in problems.errors if p.slug == "file-not-processed"]
    assert "武定县低保月报2024.xlsx" in [p.where.file for p in failed]
    assert all("Traceback" not in p.message_en for p in problems)
