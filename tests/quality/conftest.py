"""Fixtures for the quality tests."""

import pytest

from gongkai.spec import load_spec
from quality_tables import make_table


@pytest.fixture(scope="session")
def spec():
    return load_spec("relief-recipients")


@pytest.fixture
def table():
    return make_table()
