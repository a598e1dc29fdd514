"""A roster and a template with personal data typed into it, through every command: no secret comes out.

`gongkai validate` against every dataset, `validate --out`, and `gongkai run` (isolated spec, the real
portal, a real Prefect server): the console, every file under the output folder and Prefect's database
are searched for every secret, in the spellings it leaks in (tests/privacy/scan.py). The roster is refused
with one problem that says what it is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from cli import gongkai, gongkai_subprocess
from gongkai.spec import available, load_spec
from messy import FOOTER_PHONE, write_roster, write_smuggled
from scan import find_secrets

@pytest.fixture(scope="module")
def messy(tmp_path_factory, make_samples):
    folder = tmp_path_factory.mktemp("messy")
    roster, roster_secrets = write_roster(folder / "roster")
    smuggled, smuggled_secrets = write_smuggled(folder / "smuggled", make_samples)
    return SimpleNamespace(roster=roster, smuggled=smuggled, secrets=sorted({*roster_secrets, *smuggled_secrets}))


def reports(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("reports/*.json"))]


def test_the_files_really_hold_the_secrets(messy):
    """Otherwise every search below would pass for nothing."""
    import python_calamine

    cells = []
    for path in (messy.roster, messy.smuggled):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        cells += [str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row]
    found = {leak.secret for leak in find_secrets(messy.secrets, ["\n".join(cells)])}
    assert len(found) >= len(messy.secrets) - 3, sorted(set(messy.secrets) - found)


# Every aggregate dataset; a roster dataset reads rosters (tests/roster).
AGGREGATE_DATASETS = [name for name in available() if load_spec(name).roster is None]


@pytest.mark.parametrize("dataset", AGGREGATE_DATASETS)
def test_validate_refuses_a_roster_for_every_dataset_and_quotes_none_of_it(messy, dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    result = gongkai("validate", str(messy.roster), "--dataset", dataset)
    assert result.exit_code == 1, result.output
    [report] = reports(tmp_path / "out")
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert [p["slug"] for p in errors] == ["person-level-data"]   # one clear problem, not dozens of cell errors
    assert errors[0]["where"] == f"{messy.roster.name} ! 2024年3月 ! D3"   # the first personal header, 户主姓名
    assert "roster of individuals" in result.output and "README 'Rosters'" in result.output
    assert "户主姓名、身份证号码、联系电话、银行账号、家庭住址" in errors[0]["message_zh"]
    assert find_secrets(messy.secrets, [result.output, tmp_path / "out"]) == []


def test_validate_out_on_a_template_with_personal_data_typed_in(messy, tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    out = tmp_path / "checked"
    result = gongkai("validate", str(messy.smuggled), "--dataset", "relief-recipients", "--out", str(out))
    assert result.exit_code == 1, result.output
    [report] = reports(out)
    by_slug = {}
    for p in report["problems"]:
        by_slug.setdefault(p["slug"], []).append(p)
    # The name in a count cell is quoted masked, the phone and the ID summed into a total too.
    assert any("高*兰" in p["message_zh"] for p in by_slug["not-a-number"])
    assert by_slug["sum-mismatch"]
    assert [p["message_en"] for p in by_slug["personal-column-dropped"]] == [
        "column '联系电话' holds personal data (phone number): not read, not published"]
    [footer] = [p for p in by_slug["personal-data-dropped"] if "2024年2月" in p["where"]]
    assert f"{FOOTER_PHONE[:3]}****{FOOTER_PHONE[-4:]}" in footer["message_zh"] and "王*国" in footer["message_zh"]
    print("\n".join(f"{p['where']}: {p['message_zh']}" for p in report["problems"]))
    assert not list(out.glob("*.csv")) and not list(out.glob("*.parquet"))   # errors: nothing written
    assert find_secrets(messy.secrets, [result.output, out]) == []


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.slow
def test_run_refuses_and_leaks_nothing_to_console_reports_or_prefect(messy, isolated_specs, prefect_backend, tmp_path):
    names = isolated_specs()
    source = tmp_path / "source"
    source.mkdir()
    for path in (messy.roster, messy.smuggled):
        (source / path.name).write_bytes(path.read_bytes())
    prefect_home = tmp_path / "prefect"
    # A process of its own (tests/cli.py): its results in prefect_home, searched; runs on the session's server.
    done = gongkai_subprocess("run", "relief-recipients", "--period", "2024-03", "--source", str(source),
                              env={"PREFECT_HOME": str(prefect_home)}, timeout=900)
    console = done.stdout + done.stderr
    assert done.exit_code == 1, console
    assert "person-level-data" not in console and "roster of individuals" in console
    out = Path(os.environ["GONGKAI_OUT"])
    [report] = reports(out)
    assert {p["slug"] for p in report["problems"]} >= {"person-level-data", "not-a-number", "personal-data-dropped"}
    # The searches are not vacuous: the server's database (SQLite and its write-ahead log) holds this
    # run and its logs; the report holds the problems.
    assert any(b"relief-recipients" in p.read_bytes() for p in prefect_backend.glob("*.db*"))
    leaks = find_secrets(messy.secrets, [console, out, prefect_home, prefect_backend])
    assert leaks == [], [str(leak) for leak in leaks][:10]
    import ckanapi

    from gongkai.publish import connect
    from gongkai.settings import portal_settings

    with pytest.raises(ckanapi.NotFound):   # nothing reached the portal
        connect(portal_settings()).action.package_show(id=names["relief-recipients"])
