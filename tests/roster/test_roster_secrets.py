"""Every secret of the sample rosters stays out of everything the tool writes, prints or publishes.

The secrets are the generator's own list: every name, ID number (as written and normalised),
phone, bank account and address of both months, and the footer's preparer and phone.
`gongkai validate --out` is checked here without a portal; `gongkai run` publishes both months
to the real local portal (isolated names, its own Prefect database) and every resource, every
DataStore row and every metadata field is downloaded and searched, with the console, out/
and Prefect's database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import requests

from cli import gongkai, gongkai_subprocess

PERIODS = ["2024-02", "2024-03"]


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def folder_text(folder: Path) -> str:
    """Every file under folder as text: Parquet as its table, anything else decoded."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).to_csv())
        else:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_validate_out_writes_and_prints_no_roster_secret(rosters, hmac_key, tmp_path, monkeypatch):
    folder, truth = rosters
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    out = tmp_path / "checked"
    result = gongkai("validate", str(folder), "--dataset", "relief-roster", "--out", str(out))
    assert result.exit_code == 0, result.output
    # the publishable aggregates, and as read (before small cells are suppressed): both scanned
    assert {p.name for p in out.glob("*.csv")} == {f"relief-roster-{p}{as_read}.csv"
                                                   for p in PERIODS for as_read in ("", "-as-read")}
    written = folder_text(out) + folder_text(tmp_path / "out")
    assert leaked(result.output + written, truth.secrets) == []
    assert hmac_key not in written and hmac_key not in result.output


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.slow
def test_run_publishes_only_aggregates_and_no_secret_anywhere(rosters, isolated_specs, prefect_backend, tmp_path,
                                                              monkeypatch):
    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    folder, truth = rosters
    name = isolated_specs()["relief-roster"]
    key = os.urandom(32).hex()
    # Processes of their own (tests/cli.py): Prefect's results in a home of their own, its runs and logs
    # in the session server's database: both searched.
    env = {"GONGKAI_HMAC_KEY": key, "PREFECT_HOME": str(tmp_path / "prefect")}
    console = ""
    for period in PERIODS:
        staged = gongkai_subprocess("run", "relief-roster", "--period", period, "--source", str(folder), env=env)
        console += staged.stdout + staged.stderr
        assert staged.exit_code == 5, staged.stdout + staged.stderr   # awaiting review
        done = gongkai_subprocess("review", "relief-roster", period, "--approve",
                                  "--reviewer", "测试审查人 / test reviewer", "--comment", "测试 / test", env=env)
        console += done.stdout + done.stderr
        assert done.exit_code == 0, done.stdout + done.stderr
        assert "published" in done.stdout
    portal = connect(portal_settings())
    package = portal.action.package_show(id=name)
    files = {r["name"] for r in package["resources"]}
    assert files == {f"relief-roster-{p}{suffix}" for p in PERIODS for suffix in (".csv", ".parquet", "-anonymization.json")} | {
        "relief-roster-all.csv", "relief-roster-all.parquet", "relief-roster-datastore", "datapackage.json",
        "relief-roster-changelog.md"}
    published = [requests.get(r["url"], timeout=30).content for r in package["resources"] if r["url_type"] == "upload"]
    table = next(r for r in package["resources"] if r["name"] == "relief-roster-datastore")
    rows = portal.action.datastore_search(resource_id=table["id"], limit=5000)["records"]
    assert len(rows) == sum(len({k[1] for k in truth.aggregates if k[0] == p}) * 3 for p in PERIODS)
    # Every published count is the truth; a small one (and its complements) is hidden with flag C.
    for row in rows:
        cell = (row["period"], row["region_code"], row["category"])
        if cell not in truth.aggregates:   # a region with none of this category: 0, or hidden
            assert row["households"] in (0, None)
            continue
        households = truth.aggregates[cell][0]
        assert row["households"] == households if row["households_flag"] != "C" else row["households"] is None
    text = repr(package) + repr(rows) + "".join(
        pd.read_parquet(__import__("io").BytesIO(b)).to_csv() if b[:4] == b"PAR1" else b.decode("utf-8", "replace")
        for b in published)
    out = Path(os.environ["GONGKAI_OUT"])
    prefect_db = b"".join(p.read_bytes() for folder in (tmp_path / "prefect", prefect_backend)
                          for p in folder.rglob("*") if p.is_file())
    assert b"relief-roster" in prefect_db      # not vacuous: the runs are in it
    everything = text + console + folder_text(out) + prefect_db.decode("utf-8", errors="replace")
    assert leaked(everything, truth.secrets) == []
    assert key not in everything
    # The keyed register of households stays on this machine, never on the portal.
    register = (out / "relief-roster" / "households" / "2024-03.txt").read_text().split()
    assert len(register) > 0 and not [i for i in register if i in text]
