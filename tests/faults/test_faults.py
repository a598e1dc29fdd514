"""Faults against the real portal (issue 10): the CLI runs as a subprocess against the local CKAN,
PostgreSQL and Redis, and the faults are real — gunicorn SIGKILLed mid-publish, the portal stopped,
a revoked API token, PostgreSQL restarted mid-run, GONGKAI_OUT on a full filesystem. No mocks.

Every test leaves the portal running (the autouse fixture `portal_restored` starts PostgreSQL and
runs `portal/portalctl up`, then waits for status_show), and every test ends with a full PII and
token scan of what reached the portal and of GONGKAI_OUT.

The flow's own retry policy (PortalUnreachable only, 3 retries after 2/10/30 s) is tested without a
portal in tests/flows/test_retries.py; here the retries run for real, against a dead portal.

Faults are triggered by what can be observed, not by sleeping: the staging folder's fresh
datapackage.json (written right before the one package_revise call), the FileStore files of the
resources changing inode (CKAN has written the new upload), the series resource's `hash` changing on
the portal (the revise committed; the DataStore load follows). Whatever moment a fault hits, the
assertions are the same, so they do not depend on timing.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi
import pytest

import faultkit as fk
from cli import Result
from token_scan import needles as token_needles

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

# CKAN takes the whole release in ~0.2 s locally whatever its size, and the triggers below find the
# short windows by watching for them; a bigger release would only make every CLI run longer. Big
# enough that the DataStore load is seen in pg_stat_activity.
ROWS = 6_000
PERIOD = "2023"
RUN = ["run", "lottery-fund", "--period", PERIOD]
# Each later release of the big table changes the published period: a correction (r2, r3 …).
CORRECTION = "故障测试：更正 / fault test: a correction"
REVIEW = ["review", "lottery-fund", PERIOD, "--approve", "--reviewer", "测试审查人 / test reviewer",
          "--comment", "测试数据 / test data"]


@pytest.fixture(autouse=True)
def portal_restored():
    """Start from a running portal; whatever a test did to it, bring PostgreSQL and CKAN back."""
    fk.restore_portal()
    yield
    fk.restore_portal()


@pytest.fixture(scope="module")
def prefect_api(prefect_backend):
    """The session's Prefect server: the CLI subprocesses use it instead of starting their own (~25 s each)."""
    return os.environ["PREFECT_API_URL"]


@dataclass
class Place:
    """An isolated copy of the specs: the lottery-fund dataset's unique CKAN name and its GONGKAI_OUT."""

    name: str
    datasets: Path
    out: Path
    prefect_api: str
    prefect_home: Path
    history: dict = field(default_factory=dict)   # series sha256 -> (rows, sum) of every series seen

    def env(self, **extra: str) -> dict[str, str]:
        return dict(GONGKAI_DATASETS_DIR=str(self.datasets), GONGKAI_OUT=str(self.out),
                    PREFECT_API_URL=self.prefect_api, **extra)

    def stage(self, source: Path, timeout: float = 900, correction: str = "", **extra: str) -> Result:
        """`gongkai run`: a new release stops awaiting review (exit 5), nothing sent yet."""
        return fk.run_cli(*RUN, "--source", str(source), *(["--correction", correction] if correction else []),
                          prefect_home=self.prefect_home, timeout=timeout, **self.env(**extra))

    def approve(self, timeout: float = 900, **extra: str) -> Result:
        """`gongkai review --approve` as the test reviewer: the publishing run."""
        return fk.run_cli(*REVIEW, prefect_home=self.prefect_home, timeout=timeout, **self.env(**extra))

    def run(self, source: Path, timeout: float = 900, correction: str = "", **extra: str) -> Result:
        """Stage, and when the run awaits review, approve it."""
        staged = self.stage(source, timeout, correction, **extra)
        if staged.exit_code != 5:
            return staged
        done = self.approve(timeout, **extra)
        return Result(done.exit_code, staged.stdout + done.stdout, staged.stderr + done.stderr)

    @property
    def dataset_out(self) -> Path:
        return self.out / "lottery-fund"


def isolate(isolated_specs, prefect_api: str, tmp: Path, out: Path | None = None) -> Place:
    names = isolated_specs()
    return Place(names["lottery-fund"], Path(os.environ["GONGKAI_DATASETS_DIR"]),
                 out or Path(os.environ["GONGKAI_OUT"]), prefect_api, tmp / "prefect")


def local_files(folder: Path) -> dict[str, str]:
    """{file name: sha256} of a release or staging folder (the series sits in its all/ sub-folder);
    the release records (release-r2.json) and the review's stage.json and review.json stay local."""
    from gongkai.package import sha256
    from gongkai.review import RECORD_FILE, STAGE_FILE

    return {p.name: sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith("release-r") and p.name not in (STAGE_FILE, RECORD_FILE)}


def remember_series(place: Place, folder: Path) -> None:
    for path in folder.rglob("lottery-fund-all.csv"):
        from gongkai.package import sha256

        place.history[sha256(path)] = fk.series_figures(path.read_bytes())


def public_files(state: fk.PublicState) -> dict[str, str]:
    """{file name: sha256} of the public resources (the DataStore table is no file)."""
    return {r["name"]: r["hash"] for r in state.dataset["resources"] if r.get("url_type") != "datastore"}


def console_is_clean(output: str) -> None:
    assert "Traceback" not in output, output[-4000:]
    assert not re.search(r"^\s*File \".*\", line \d+", output, re.M), output[-4000:]


# ------------------------------------------------------------------------------ the big release --

@dataclass
class Big:
    place: Place
    sources: Path
    published: dict[str, str]            # the release the portal has now: {file name: sha256}
    change: int = 0

    def next_release(self) -> Path:
        self.change += 1
        return fk.write_lottery_release(self.sources / f"release-{self.change}", ROWS, change=self.change)


@pytest.fixture(scope="module")
def big(isolated_specs, prefect_api, tmp_path_factory) -> Big:
    """Release A of a 6,000-project lottery-fund table, published by the CLI."""
    tmp = tmp_path_factory.mktemp("faults-big")
    place = isolate(isolated_specs, prefect_api, tmp)
    fk.restore_portal()
    source = fk.write_lottery_release(tmp / "release-0", ROWS)
    done = place.run(source)
    assert done.exit_code == 0 and "published" in done.stdout, done.stdout + done.stderr
    release = place.dataset_out / "releases" / PERIOD
    remember_series(place, release)
    return Big(place, tmp, local_files(release))


def fresh_datapackage(place: Place, since: float, stop: threading.Event, seconds: float = 600) -> bool:
    """Wait until this run has written its staging datapackage.json (right before package_revise)."""
    path = place.dataset_out / "staging" / PERIOD / "datapackage.json"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        try:
            if path.stat().st_mtime >= since:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    return False


STORAGE = fk.REPO / "portal" / "var" / "storage" / "resources"


def storage_path(resource_id: str) -> Path:
    return STORAGE / resource_id[:3] / resource_id[3:6] / resource_id[6:]


def inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


@dataclass
class Fault:
    """What to wait for, then what to do; `hit` says what happened, for the test's message."""

    phase: str
    hit: str = "not triggered"

    def run(self, place: Place, since: float, stop: threading.Event, before: dict) -> None:
        if not fresh_datapackage(place, since, stop):
            return
        if self.phase == "request-in-flight":
            # The revise request is being sent or parsed by CKAN; no file has reached the FileStore.
            time.sleep(random.uniform(0.0, 0.15))
        elif self.phase == "files-written-before-commit":
            # Every new file is a new resource: CKAN writes it under its new id before the commit.
            known = {storage_path(r["id"]) for r in before["resources"]}
            stored = set(STORAGE.glob("*/*/*"))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not stop.is_set():
                if any(path not in known and path not in stored for path in STORAGE.glob("*/*/*")):
                    break
                time.sleep(0.0005)
            else:
                return
        elif self.phase == "datastore-load":
            # The series is loaded into the prepared table (before the files go public): its
            # statements show in pg_stat_activity.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not stop.is_set():
                if fk.loading_datastore():
                    break
                time.sleep(0.01)
            else:
                return
            time.sleep(random.uniform(0.0, 0.5))
        killed = fk.kill_gunicorn()
        self.hit = f"{self.phase}: SIGKILL to gunicorn {killed}"


def during_publishing(place: Place, source: Path, fault, *args) -> tuple[Result, float]:
    """Stage the release (nothing sent), then approve it with `fault(place, since, stop, *args)` running
    in a thread: the fault hits the publishing run. The console is the one a data officer sees."""
    staged = place.stage(source, correction=CORRECTION)
    assert staged.exit_code == 5, staged.stdout + staged.stderr
    since, stop = time.time(), threading.Event()
    thread = threading.Thread(target=fault, args=(place, since, stop, *args), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        done = place.approve()
    finally:
        stop.set()
        thread.join(timeout=180)
    return done, time.monotonic() - started


def assert_consistent(place: Place, releases: list[dict[str, str]], what: str) -> fk.PublicState:
    """The public dataset is exactly one of `releases`, and its DataStore holds the series it names."""
    state = fk.public_state(place.name)
    files = public_files(state)
    assert files in releases, (f"{what}: the public dataset is neither release: "
                               f"{ {n: h[:12] for n, h in files.items()} } vs "
                               f"{[{n: h[:12] for n, h in r.items()} for r in releases]}")
    version = json.loads(state.files["datapackage.json"])["version"]
    assert state.version == version and version.startswith("1.0."), version   # one period: 1.0.0, corrections 1.0.n
    fk.file_figures_by_sha(state, place.history)
    return state


def converges(place: Place, source: Path, release_folder: Path) -> dict[str, str]:
    """A rerun completes, and the portal then holds exactly the local release with its DataStore."""
    done = place.run(source, correction=CORRECTION)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert re.search(r": (published|unchanged) —", done.stdout), done.stdout
    console_is_clean(done.stdout + done.stderr)
    release = local_files(release_folder)
    state = fk.public_state(place.name)
    assert public_files(state) == release
    series = state.resource("lottery-fund-all.csv")
    assert state.resource("lottery-fund-datastore")["datastore_sha256"] == series["hash"]
    remember_series(place, release_folder)
    assert state.datastore is not None
    count, total = place.history[series["hash"]]
    assert state.datastore[0] == count == ROWS and abs(state.datastore[1] - total) < 0.5
    return release


# ------------------------------------------------------------------------------ scans ---------------

def assert_nothing_leaked(name: str, out: Path, *tokens: str) -> None:
    """Test 6: every resource and the metadata of the dataset on the portal, and every file under out,
    hold no personal data (the PII gate finds nothing, no footer name or phone of the samples) and no
    API token (the portal's, from portal/var/ckan.env, and any token the test used)."""
    from gongkai.anonymize import scan_text
    from gongkai.problems import Problems, Where

    personal = [*fk.load_personal()]
    needles = [needle for token in (fk.admin_token(), *tokens) for needle in token_needles(token)]
    texts: list[tuple[str, str]] = []
    raw: list[tuple[str, bytes]] = []
    try:
        dataset = fk.admin().action.package_show(id=name)
    except ckanapi.NotFound:
        dataset = None
    if dataset:
        texts.append(("portal metadata", json.dumps(dataset, ensure_ascii=False)))
        for resource in dataset["resources"]:
            content = fk.download(resource["url"])
            raw.append((resource["url"], content))
            texts.append((resource["name"], fk.as_text(resource["name"], content)))
    for path in sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []:
        content = path.read_bytes()
        raw.append((str(path), content))
        texts.append((str(path), fk.as_text(path.name, content)))
    problems = Problems()
    for where, text in texts:
        scan_text(text, Where(field=where), problems)
        for item in personal:
            assert item not in text, f"{item} in {where}"
    assert not problems, [(p.where.field, p.params) for p in problems][:10]
    for where, content in raw:
        assert not any(needle in content for needle in needles), f"an API token in {where}"


# ------------------------------------------------------------------------------ 1. CKAN killed -----

PHASES = ["request-in-flight", "datastore-load", "files-written-before-commit"]


@pytest.mark.parametrize("phase", PHASES)
def test_ckan_killed_mid_publish_leaves_one_release_and_a_rerun_converges(big, phase):
    # Why it takes its time: four CLI processes of a release big enough to catch mid-publish (stage,
    # approve while CKAN is killed, then the rerun's stage and approve), CKAN's restart, and a scan of
    # every file on the portal and under GONGKAI_OUT. The retries themselves wait 0.1 s here.
    place = big.place
    release_a = big.published
    source = big.next_release()
    fault = Fault(phase)
    before = fk.admin().action.package_show(id=place.name)
    done, seconds = during_publishing(place, source, fault.run, before)
    print(f"{phase}: {fault.hit}; the run took {seconds:.0f} s, exit {done.exit_code}")
    assert fault.hit != "not triggered", done.stdout + done.stderr
    # CKAN is dead: the flow retries (2/10/30 s), then stops with the portal's message, no traceback.
    assert done.exit_code == 3, done.stdout + done.stderr
    assert "make portal" in done.stdout and "unreachable" in done.stdout, done.stdout
    console_is_clean(done.stdout + done.stderr)
    staging = place.dataset_out / "staging" / PERIOD
    # Release B: A's files with the new revision added and the series, datapackage.json, changelog replaced.
    release_b = {**release_a, **local_files(staging)}
    remember_series(place, staging)
    assert release_b != release_a

    fk.restore_portal()
    # No torn file in any phase: a new file is a new resource, invisible until the commit.
    assert_consistent(place, [release_a, release_b], fault.hit)
    big.published = converges(place, source, place.dataset_out / "releases" / PERIOD)
    assert big.published == release_b
    assert_nothing_leaked(place.name, place.out)


# ------------------------------------------------------------------------------ 2. portal down -----

def test_portal_down_before_publishing_fails_fast_and_stages_nothing(isolated_specs, prefect_api, family_samples,
                                                                     tmp_path):
    """The CLI checks the portal before starting the flow: exit 3 in seconds (the flow's own retries of
    an unreachable portal are tested in tests/flows/test_retries.py and, for real, in test 1)."""
    place = isolate(isolated_specs, prefect_api, tmp_path)
    fk.portalctl("down")
    assert not fk.api_ready()
    started = time.monotonic()
    done = place.run(family_samples[0] / "lottery", timeout=300)
    seconds = time.monotonic() - started
    print(f"portal down: exit {done.exit_code} after {seconds:.1f} s")
    output = done.stdout + done.stderr
    assert done.exit_code == 3, output
    assert seconds < 60
    assert "门户无法访问" in done.stdout and "unreachable" in done.stdout and "make portal" in done.stdout
    console_is_clean(output)
    for folder in ("releases", "staging"):
        assert not [p for p in (place.dataset_out / folder).rglob("*")], folder
    fk.restore_portal()
    with pytest.raises(ckanapi.NotFound):
        fk.anonymous().action.package_show(id=place.name)
    assert_nothing_leaked(place.name, place.out)


# ------------------------------------------------------------------------------ 3. token revoked ---

def test_a_revoked_token_is_refused_at_once_and_never_printed(isolated_specs, prefect_api, family_samples, tmp_path):
    place = isolate(isolated_specs, prefect_api, tmp_path)
    admin = fk.admin()
    token = admin.action.api_token_create(user="gongkai_admin", name=f"fault-test-{place.name}")["token"]
    assert ckanapi.RemoteCKAN(fk.PORTAL_URL, apikey=token).action.api_token_list(user_id="gongkai_admin")
    admin.action.api_token_revoke(token=token)
    log = fk.REPO / "portal" / "var" / "log" / "ckan.log"
    offset = log.stat().st_size
    started = time.monotonic()
    done = place.run(family_samples[0] / "lottery", timeout=300, GONGKAI_CKAN_TOKEN=token)
    seconds = time.monotonic() - started
    with log.open("rb") as handle:
        handle.seek(offset)
        requests_made = len(re.findall(rb" /api/3/action/", handle.read()))
    print(f"revoked token: exit {done.exit_code} after {seconds:.1f} s, {requests_made} API requests")
    output = done.stdout + done.stderr
    assert done.exit_code == 3, output
    assert "environment variable GONGKAI_CKAN_TOKEN" in done.stdout, done.stdout
    assert seconds < 30
    assert requests_made < 20                     # no retry storm: a refusal is never retried
    assert not any(needle.decode() in output for needle in token_needles(token))
    console_is_clean(output)
    assert not [p for p in (place.dataset_out / "releases").rglob("*")]
    with pytest.raises(ckanapi.NotFound):
        fk.anonymous().action.package_show(id=place.name)
    assert_nothing_leaked(place.name, place.out, token)


# ------------------------------------------------------------------------------ 4. PostgreSQL ------

def restart_postgres_when_uploading(place: Place, since: float, stop: threading.Event, record: list) -> None:
    if fresh_datapackage(place, since, stop):
        done = subprocess.run(["pg_ctlcluster", "15", "main", "restart"], capture_output=True, text=True,
                              timeout=120)
        record.append(f"pg_ctlcluster restart: exit {done.returncode}")


def test_postgresql_restarted_during_a_run(big):
    # Why it takes its time: PostgreSQL's restart (and CKAN's, when it does not recover alone) between
    # the CLI processes that stage, publish and publish again a release big enough to be mid-upload.
    place = big.place
    release_before = big.published
    source = big.next_release()
    record: list[str] = []
    done, seconds = during_publishing(place, source, restart_postgres_when_uploading, record)
    print(f"PostgreSQL restarted: {record}; exit {done.exit_code} after {seconds:.0f} s")
    print(done.stdout[-3000:])
    assert record, done.stdout + done.stderr
    output = done.stdout + done.stderr
    console_is_clean(output)
    assert done.exit_code in (0, 1, 3, 4), output
    staging = place.dataset_out / "staging" / PERIOD
    release = place.dataset_out / "releases" / PERIOD
    new = local_files(release) if done.exit_code == 0 else {**release_before, **local_files(staging)}
    remember_series(place, release if done.exit_code == 0 else staging)

    fk.wait_for_portal()
    # Does CKAN serve again on its own after PostgreSQL came back (its pool reconnects)?
    reachable_without_restart = True
    try:
        fk.public_state(place.name)
    except Exception as error:  # noqa: BLE001 - recorded for the report, then the portal is restarted
        reachable_without_restart = False
        print(f"after the restart CKAN failed until restarted: {type(error).__name__}: {error}")
        fk.portalctl("down")
        fk.portalctl("up")
    print(f"CKAN served without a restart after PostgreSQL's: {reachable_without_restart}")
    assert_consistent(place, [release_before, new], "PostgreSQL restarted")
    big.published = converges(place, source, release)
    assert big.published == new
    assert_nothing_leaked(place.name, place.out)
    # Published (recovered), or a clear failure (1 data, 3 portal). Exit 4 is the known bug below.
    if done.exit_code == 4:
        pytest.xfail("product bug: a 500 from CKAN while PostgreSQL restarts (package_revise or "
                     "gongkai_datastore_load) is a ckanapi.CKANAPIError that Publisher._call does not "
                     "translate, so the run ends 'internal error: a bug in gongkai' (exit 4), not retried "
                     "as a transient portal failure nor reported as exit 3")
    assert done.exit_code in (0, 1, 3), output


# ------------------------------------------------------------------------------ 5. disk full -------

@pytest.fixture
def tiny_filesystem(tmp_path):
    """A 64 KiB tmpfs (mounting is permitted here, as root). Unmounted afterwards."""
    mount = tmp_path / "full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("room", ["some", "none"])
def test_disk_full_while_packaging_fails_cleanly_and_publishes_nothing(isolated_specs, prefect_api, tmp_path,
                                                                       tiny_filesystem, room):
    """GONGKAI_OUT on a 64 KiB tmpfs and a 3,000-project release (≈400 KB of outputs): packaging runs out
    of space. With room "none" the tmpfs is filled first, so not even the report can be written."""
    out = tiny_filesystem / "out"
    place = isolate(isolated_specs, prefect_api, tmp_path, out=out)
    if room == "none":
        out.mkdir()
        filler = tiny_filesystem / "filler"
        try:
            with filler.open("wb") as handle:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
        except OSError:  # ENOSPC: the filesystem is full
            pass
    source = fk.write_lottery_release(tmp_path / "source", 3_000)
    started = time.monotonic()
    done = place.run(source, timeout=600)
    print(f"disk full ({room}): exit {done.exit_code} after {time.monotonic() - started:.0f} s\n{done.stdout}")
    output = done.stdout + done.stderr
    assert done.exit_code == 1, output
    console_is_clean(output)
    flat = re.sub(r"[\s│]+", "", done.stdout)   # the table folds long cells over lines
    assert "无法写入输出目录" in flat and "cannotwritetotheoutputfolder" in flat, done.stdout
    assert re.sub(r"\s+", "", str(place.dataset_out)) in flat          # where
    assert "GONGKAI_OUT" in done.stdout and "Nospaceleftondevice" in flat   # why, and what to do
    assert ": failed —" in done.stdout
    assert not [p for p in (place.dataset_out / "releases").rglob("*")]
    assert not [p for p in (place.dataset_out / "staging").rglob("*") if p.is_file()]
    for portal in (fk.anonymous(), fk.admin()):
        with pytest.raises(ckanapi.NotFound):
            portal.action.package_show(id=place.name)
    assert_nothing_leaked(place.name, out)
