"""Fixtures shared by every test: the generated samples, the real portal, an isolated dataset."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# Set before anything imports gongkai, and inherited by every CLI subprocess: the tests write into a
# temporary GONGKAI_OUT, never into the repository's out/ (the demo's), and a retry waits a tenth of a
# second, not the production 2, 10 and 30 s (tests/test_settings.py checks those against the README).
os.environ["GONGKAI_OUT"] = tempfile.mkdtemp(prefix="gongkai-tests-out-")
os.environ["GONGKAI_RETRY_DELAYS"] = "0.1,0.1,0.1"
MAKE_SAMPLES = REPO / "datasets" / "samples" / "make_samples.py"


def load_script(name: str, path: Path):
    """Import a script of the repo (the sample generators) as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_make_samples():
    return load_script("make_samples", MAKE_SAMPLES)


@pytest.fixture(scope="session")
def make_samples():
    return load_make_samples()


@pytest.fixture(scope="session")
def samples(make_samples, tmp_path_factory):
    """(directory, true figures) of a freshly generated sample set."""
    directory = tmp_path_factory.mktemp("samples")
    figures = make_samples.generate(directory)
    return directory, figures


@pytest.fixture(scope="module")
def isolated_dataset(tmp_path_factory):
    """The relief-recipients spec under a unique CKAN name, with its own output folder.

    Tests publish to the real local portal without touching the demo's dataset; the
    dataset is purged afterwards.
    """
    spec = yaml.safe_load((REPO / "datasets" / "relief-recipients.yaml").read_text(encoding="utf-8"))
    name = f"test-relief-{uuid.uuid4().hex[:8]}"
    spec["ckan"]["name"] = name
    folder = tmp_path_factory.mktemp("isolated")
    (folder / "relief-recipients.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    catalog = f"test-catalog-{uuid.uuid4().hex[:8]}"   # the catalogue a published run regenerates
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GONGKAI_DATASETS_DIR", str(folder))
        patch.setenv("GONGKAI_OUT", str(folder / "out"))
        patch.setenv("GONGKAI_CATALOG_NAME", catalog)
        yield name
    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    for each in (name, catalog):
        try:
            connect(portal_settings()).action.dataset_purge(id=each)
        except Exception:  # never published (a test of bad input): nothing to purge
            pass


@pytest.fixture(scope="session")
def prefect_backend():
    """A real, temporary Prefect server and database for the flow runs of this session.

    CLI subprocesses started meanwhile use it too (PREFECT_API_URL is exported) instead of starting
    their own (~25 s each). Yields the folder of its SQLite database, for the tests that search it.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()
        try:
            yield Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1]).parent
        finally:
            del os.environ["PREFECT_API_URL"]


@pytest.fixture(scope="session")
def portal():
    """A ckanapi client of the local portal, with the credentials the runs use."""
    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    return connect(portal_settings())


TEST_REVIEWER = "测试审查人 / test reviewer"


@pytest.fixture(scope="session")
def approve():
    """approve(report) -> report: for a run that stopped awaiting review, what
    `gongkai review DATASET PERIOD --approve --reviewer 测试审查人` does: record the decision, then
    the publishing run of the same sources. Any other report (failed, or content approved before)
    is returned as it is. A spec kept outside the datasets folder is passed as `spec=`."""
    from gongkai import review
    from gongkai.package import layout_for
    from gongkai.cli import _load_flow
    from gongkai.spec import load_spec

    def approve_(report: dict, spec=None) -> dict:
        if report["status"] != "awaiting-review":
            return report
        spec = spec or load_spec(report["dataset"])
        staged = review.Staged.load(layout_for(spec).staging(report["period"]))
        review.record_decision(spec, report["period"], staged.fingerprint, reviewer=TEST_REVIEWER,
                                 decision="approve", comment="测试数据 / test data")
        return _load_flow()(dataset=spec.reference, period=report["period"], source=staged.source,
                            correction=staged.correction or None)

    return approve_


MAKE_FAMILIES = REPO / "datasets" / "samples" / "make_families.py"


def load_make_families():
    """make_families.py (it loads make_samples itself, or reuses the one already loaded)."""
    if "make_samples" not in sys.modules:
        load_make_samples()
    return load_script("make_families", MAKE_FAMILIES)


@pytest.fixture(scope="session")
def make_families():
    return load_make_families()


@pytest.fixture(scope="session")
def family_samples(make_families, tmp_path_factory):
    """(directory, truth) of freshly generated samples of the other families (make_families.generate):
    standards/, lottery/, budgets/, relief-other-template/ and broken/ under directory."""
    directory = tmp_path_factory.mktemp("families")
    return directory, make_families.generate(directory)


def write_isolated_specs(folder: Path, extra=()) -> dict[str, str]:
    """Copy every spec of datasets/ (and the `extra` spec files) into folder, each under a unique
    ckan.name; return {dataset: CKAN name}. Specs name each other (relief's suite reads
    subsidy-standards), so all of them are copied."""
    names = {}
    for path in [*sorted((REPO / "datasets").glob("*.yaml")), *map(Path, extra)]:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec["ckan"]["name"] = f"test-{spec['name']}-{uuid.uuid4().hex[:8]}"
        (folder / f"{spec['name']}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        names[spec["name"]] = spec["ckan"]["name"]
    return names


@pytest.fixture(scope="module")
def isolated_specs(tmp_path_factory):
    """A factory: isolated_specs(*extra_spec_files) -> {dataset: unique CKAN name}.

    Each call writes a fresh copy of every spec under new CKAN names and points
    GONGKAI_DATASETS_DIR and GONGKAI_OUT at it for the rest of the module, so tests publish
    to the real portal without touching the demo's datasets. Every name is purged afterwards.
    """
    created: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        def isolate(*extra) -> dict[str, str]:
            folder = tmp_path_factory.mktemp("specs")
            names = write_isolated_specs(folder, extra)
            patch.setenv("GONGKAI_DATASETS_DIR", str(folder))
            patch.setenv("GONGKAI_OUT", str(folder / "out"))
            catalog = f"test-catalog-{uuid.uuid4().hex[:8]}"   # the catalogue a published run regenerates
            patch.setenv("GONGKAI_CATALOG_NAME", catalog)
            created.extend([*names.values(), catalog])
            return names

        yield isolate
    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    portal = connect(portal_settings())
    for name in created:
        try:
            portal.action.dataset_purge(id=name)
        except Exception:  # never published (most of the copies): nothing to purge
            pass


MAKE_ROSTER = REPO / "datasets" / "samples" / "make_roster.py"


def load_make_roster():
    """make_roster.py (it uses make_samples' writers)."""
    if "make_samples" not in sys.modules:
        load_make_samples()
    return load_script("make_roster", MAKE_ROSTER)


@pytest.fixture(scope="session")
def make_roster():
    return load_make_roster()


@pytest.fixture(scope="session")
def rosters(make_roster, tmp_path_factory):
    """(folder of freshly generated sample rosters, their truth as make_roster.generate returns it)."""
    directory = tmp_path_factory.mktemp("rosters")
    truth = make_roster.generate(directory)
    return directory / "roster", truth


@pytest.fixture
def hmac_key(monkeypatch):
    """A household-id key made for this test only, as GONGKAI_HMAC_KEY."""
    import secrets

    key = secrets.token_hex(32)
    monkeypatch.setenv("GONGKAI_HMAC_KEY", key)
    return key
