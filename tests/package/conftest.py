"""Fixtures of the packaging tests: the relief spec and its sample months as the pipeline packages them."""

from __future__ import annotations

import pytest

from gongkai.anonymize.disclosure import protect
from gongkai.normalize import normalize
from gongkai.problems import Problems
from gongkai.spec import load_spec


@pytest.fixture(scope="module")
def spec():
    return load_spec("relief-recipients")


@pytest.fixture(scope="module")
def tables(spec, samples):
    """{period: SourceTable} of 2024-01 and 2024-02, each frame protected (small cells null, flags C)."""
    directory, _ = samples
    files = sorted(p for p in directory.iterdir() if p.is_file())
    found = {}
    for period in ("2024-01", "2024-02"):
        problems = Problems()
        table = normalize(spec, files, period, problems)
        table.frame = protect(spec, table.frame, None, table.where, problems).frame
        assert not problems.errors
        found[period] = table
    return found
