"""The sample spreadsheets, generated once per test session by the same script `make demo` uses."""

import importlib.util
import sys
from pathlib import Path

import pytest

MAKE_SAMPLES = Path(__file__).resolve().parents[2] / "datasets" / "samples" / "make_samples.py"


def load_make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", MAKE_SAMPLES)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_samples():
    return load_make_samples()


@pytest.fixture(scope="session")
def samples(make_samples, tmp_path_factory):
    """(directory, true figures) of a freshly generated sample set."""
    directory = tmp_path_factory.mktemp("samples")
    figures = make_samples.generate(directory)
    return directory, figures
