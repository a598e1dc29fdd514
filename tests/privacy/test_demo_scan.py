"""After `make demo`: everything the portal gives out of the demo datasets, the demo's out/ folder
(its console output is out/demo-console.log) and Prefect's database hold none of the samples'
personal data (the rosters' names, IDs, phones, accounts and addresses included), and the PII gate
finds nothing in what was published.

Skipped (with the reason) when the demo has not been published on the local portal.
"""

from __future__ import annotations

import os
from pathlib import Path

import ckanapi
import pytest
import yaml

from gongkai.anonymize import scan_text
from gongkai.problems import Problems, Where
from scan import find_secrets, portal_sources, sample_secrets

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def demo_names() -> list[str]:
    """The CKAN names of the repository's own specs (the demo publishes under these)."""
    return [yaml.safe_load(p.read_text(encoding="utf-8"))["ckan"]["name"] for p in sorted((REPO / "datasets").glob("*.yaml"))]


def test_nothing_personal_in_the_published_demo(rosters):
    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    try:
        settings = portal_settings()
        portal = connect(settings)
    except Exception as error:  # noqa: BLE001 - no portal, no demo
        pytest.skip(f"the local portal is not reachable ({type(error).__name__}): run `make demo` first")
    published = []
    for name in demo_names():
        try:
            portal.action.package_show(id=name)
            published.append(name)
        except ckanapi.NotFound:
            pass
    if not published:
        pytest.skip("the demo has not been published on this portal: run `make demo` first")
    public = list(portal_sources(portal, published, settings.token))
    sources = list(public)
    out = REPO / "out"        # where make demo writes (the tests write into a temporary GONGKAI_OUT)
    if out.exists():
        sources += [out]
    prefect_home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    sources += sorted(prefect_home.glob("prefect.db*"))   # the demo's flow runs, logs and task results
    _, roster_truth = rosters                             # the generator is deterministic: the demo's rosters
    secrets = sample_secrets(REPO) + roster_truth.secrets
    assert secrets, "the sample generators declare no PERSONAL list: the search would find nothing"
    leaks = find_secrets(secrets, sources)
    assert leaks == [], [str(leak) for leak in leaks][:10]
    problems = Problems()
    for place, text in public:
        scan_text(text if isinstance(text, str) else text.decode("utf-8", "replace"), Where(field=place), problems)
    assert not problems, [(p.where.field, p.params) for p in problems][:10]
