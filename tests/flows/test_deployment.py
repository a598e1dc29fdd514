"""prefect.yaml's deployments, deployed to a real local Prefect server and each run once by a worker.

No mocks: a `prefect server start` subprocess with its own PREFECT_HOME (SQLite), `prefect deploy --all`
from the repo root, process workers started with `--run-once`. relief-recipients' runs go through the
review (approve, reject, no answer) and publish to the local portal under the isolated dataset's name;
then every deployment runs a sample period side by side up to its review, which no one answers.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import ckanapi
import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import PREFECT_API_URL, temporary_settings

from cli import gongkai_subprocess
from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PREFECT = Path(sys.executable).parent / "prefect"
DECLARED = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
MONTHLY = DECLARED["deployments"][0]
POOL = MONTHLY["work_pool"]["name"]
DEPLOYMENT = "publish-dataset/relief-recipients"  # flow name / deployment name

SERVER_STARTUP_SECONDS = 180  # a shared 2-core machine under load takes more than a minute
RUN_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.5):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, with everything it spawned."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class PrefectServer:
    """A `prefect server start` subprocess on a free loopback port, with its own home and SQLite db."""

    def __init__(self, home: Path):
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = home / "server.log"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        """The current environment (GONGKAI_* included) pointed at this server instead of any other."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        return env | {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
        }

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.healthy, SERVER_STARTUP_SECONDS, f"the Prefect server (log: {self.log})")

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the Prefect server exited with {self.process.returncode}:\n{self.log.read_text()}")
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def cli(self, *args: str, timeout: float = 60) -> str:
        """Run `prefect <args>` from the repo root against this server; fail with its output if it fails."""
        done = subprocess.run([str(PREFECT), "--no-prompt", *args], cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"prefect {' '.join(args)} exited with {done.returncode}:\n{output}"
        return output

    def client(self):
        """A sync client for this server, even inside another test's Prefect test harness."""
        with temporary_settings(updates={PREFECT_API_URL: self.url}):
            return get_client(sync_client=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = PrefectServer(tmp_path_factory.mktemp("prefect-home"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployment(server):
    """The pool declared in prefect.yaml, then `prefect deploy --all` from the repo root."""
    server.cli("work-pool", "create", POOL, "--type", "process")
    server.cli("deploy", "--all", timeout=300)  # slow on a loaded shared machine
    with server.client() as client:
        return client.read_deployment_by_name(DEPLOYMENT)


def test_deploy_registers_schedule_parameters_and_schema(deployment):
    assert [s.schedule.cron for s in deployment.schedules] == ["0 9 3 * *"]
    assert [s.schedule.timezone for s in deployment.schedules] == ["Asia/Shanghai"]
    assert all(s.active for s in deployment.schedules)
    assert deployment.enforce_parameter_schema is True
    assert deployment.parameters == MONTHLY["parameters"]
    assert set(deployment.parameter_openapi_schema["properties"]) == {"dataset", "period", "source", "correction",
                                                                       "review_timeout_seconds"}
    assert (deployment.work_pool_name, deployment.work_queue_name) == (POOL, "default")
    # The worker runs the flow from this checkout, not from a copy.
    assert deployment.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]


# Only types are enforced: Prefect's generated schema allows additional properties, so the server
# accepts an unknown parameter and the run crashes later in the worker (SignatureMismatchError).
@pytest.mark.parametrize("parameters", [{"period": 123}, {"period": "2024-01", "source": ["a", "b"]}],
                         ids=["period-int", "source-list"])
def test_enforced_schema_refuses_parameters_of_the_wrong_type(server, deployment, parameters):
    with server.client() as client:
        try:
            accepted = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        except PrefectHTTPStatusError as refused:
            assert refused.response.status_code == 409
            assert "Validation failed" in refused.response.text
        else:
            client.delete_flow_run(accepted.id)  # keep it from the worker in the next test
            pytest.fail(f"the server accepted a run with {parameters}")
        assert not any(run.parameters == parameters for run in client.read_flow_runs())


class Worker:
    """A process worker that picks up the flow runs waiting (at most `limit`, run side by side) and exits
    when they end (`--run-once`); `env` is added to the environment it and its runs inherit."""

    def __init__(self, server: PrefectServer, name: str, limit: int = 1, env: dict[str, str] | None = None):
        self.log = server.home / f"worker-{name}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(PREFECT), "worker", "start", "--pool", POOL, "--run-once", "--limit", str(limit)],
                cwd=REPO, env=server.env() | (env or {}), stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def run_until(client, run, worker: Worker, state_is: str, seconds: float = RUN_SECONDS):
    """Wait for the flow run to be Paused (awaiting its review) or final; fail with the worker's log."""
    def reached():
        state = client.read_flow_run(run.id).state
        if state and state.is_final() and state_is == "paused":
            pytest.fail(f"the run ended ({state.type}: {state.message}) instead of pausing:\n{worker.output()}")
        return state if state and (state.is_paused() if state_is == "paused" else state.is_final()) else None

    return wait_until(reached, seconds, f"flow run {run.name} to be {state_is} (worker log: {worker.log})",
                      interval=1)


def review_through_prefect(server, deployment, period: str, source: Path, decision: str, comment: str):
    """Trigger a run, wait for its review pause, answer it through the API; (paused state, final state, worker)."""
    with server.client() as client:
        run = client.create_flow_run_from_deployment(deployment.id, parameters={"period": period, "source": str(source)})
        # The worker inherits GONGKAI_DATASETS_DIR/GONGKAI_OUT, so it publishes the isolated dataset.
        worker = Worker(server, period)
        try:
            paused = run_until(client, run, worker, "paused")
            # What Prefect's UI shows: a form for ReviewDecision under a description of the release.
            description = client.read_flow_run_input(run.id, f"{paused.state_details.run_input_keyset['description']}")
            assert f"{period}" in description and "rows" in description, description
            client.resume_flow_run(run.id, run_input={"reviewer": "审查人 / deployment reviewer",
                                                      "decision": decision, "comment": comment})
            final = run_until(client, run, worker, "final")
            worker.process.wait(timeout=30)
        finally:
            stop(worker.process)
    return paused, final, worker


def test_a_deployment_run_waits_for_the_review_and_publishes_what_was_approved(server, deployment, samples,
                                                                                isolated_dataset):
    directory, _ = samples
    portal = connect(portal_settings())
    paused, final, worker = review_through_prefect(server, deployment, "2024-01", directory, "approve",
                                                   "已核对 / checked")
    assert paused.is_paused() and paused.state_details.pause_timeout is not None
    assert final.is_completed(), f"{final.type}: {final.message}\n{worker.output()}"
    assert worker.process.returncode == 0, worker.output()
    dataset = portal.action.package_show(id=isolated_dataset)
    assert dataset["version"] == "1.0.0"
    assert {"relief-recipients-2024-01.csv", "relief-recipients-2024-01.parquet"} <= {
        r["name"] for r in dataset["resources"]}
    assert dataset["reviewed_by"] == "审查人 / deployment reviewer" and "PII scan" in dataset["review_checks"]
    release = Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "releases" / "2024-01"
    record = json.loads((release / "review.json").read_text(encoding="utf-8"))
    assert (record["decision"], record["comment"], record["at"]) == ("approve", "已核对 / checked",
                                                                     dataset["reviewed_at"])


def test_a_rejection_through_prefect_publishes_nothing(server, deployment, samples, isolated_dataset):
    directory, _ = samples
    portal = connect(portal_settings())
    before = portal.action.package_show(id=isolated_dataset)
    _, final, worker = review_through_prefect(server, deployment, "2024-02", directory, "reject",
                                              "数字待核实 / figures to be checked")
    assert final.is_completed(), f"{final.type}: {final.message}\n{worker.output()}"
    after = portal.action.package_show(id=isolated_dataset)
    assert after["version"] == "1.0.0" and after["metadata_modified"] == before["metadata_modified"]
    assert "relief-recipients-2024-02.csv" not in {r["name"] for r in after["resources"]}
    staging = Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "staging" / "2024-02"
    assert json.loads((staging / "review.json").read_text(encoding="utf-8"))["decision"] == "reject"


def test_a_review_not_given_in_time_leaves_the_release_staged_for_gongkai_review(server, deployment, samples,
                                                                                isolated_dataset):
    directory, _ = samples
    portal = connect(portal_settings())
    with server.client() as client:
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"period": "2024-03", "source": str(directory), "review_timeout_seconds": 3})
        worker = Worker(server, "timeout")
        try:
            run_until(client, run, worker, "final")
            worker.process.wait(timeout=30)
            final = client.read_flow_run(run.id).state   # the flow's own last word, once its process ended
        finally:
            stop(worker.process)
    # The run ends (Prefect may record it Completed, or Failed "never resumed": the two race, so the
    # state type is not asserted); the log says why, nothing was sent, the staging stays.
    assert final.is_final() and "no review decision in 3 s: the release stays staged" in worker.output(), \
        (final, worker.output())
    assert portal.action.package_show(id=isolated_dataset)["version"] == "1.0.0"
    staging = Path(os.environ["GONGKAI_OUT"]) / "relief-recipients" / "staging" / "2024-03"
    assert (staging / "stage.json").exists() and not (staging / "review.json").exists()
    done = gongkai_subprocess("review", "relief-recipients", "2024-03", "--approve", "--reviewer", "审查人 / later reviewer",
                              timeout=300)
    assert done.exit_code == 0, done.output
    assert portal.action.package_show(id=isolated_dataset)["version"] == "1.1.0"   # a new period: +minor


# Acceptance 4 of issue 16: every deployment of prefect.yaml runs once on this server, on a sample period.
SAMPLE_RUNS = {  # deployment -> (fixture of generated samples, folder in it, a period they hold)
    "relief-recipients": ("samples", ".", "2024-03"),
    "relief-roster": ("rosters", ".", "2024-03"),
    "subsidy-standards": ("family_samples", "standards", "2024"),
    "lottery-fund": ("family_samples", "lottery", "2023"),
    "budget-accounts": ("family_samples", "budgets", "2023"),
}
REVIEW_SECONDS = 3   # no one answers: the runs end this long after pausing for the review


@pytest.fixture(scope="module")
def every_deployment_run(server, deployment, isolated_specs, request):
    """A flow run of each deployment on its sample period, created on the server and run side by side
    by one worker: ({dataset: CKAN name}, {deployment: flow run})."""
    declared = [d["name"] for d in DECLARED["deployments"]]
    if missing := set(declared) - set(SAMPLE_RUNS):
        pytest.fail(f"no sample period to run the deployments {sorted(missing)} on: add them to SAMPLE_RUNS")
    # Fresh copies of every spec under unique CKAN names; the worker inherits GONGKAI_DATASETS_DIR and
    # GONGKAI_OUT pointing at them, so nothing touches the other tests' datasets.
    names = isolated_specs()
    runs = {}
    with server.client() as client:
        for name in declared:
            fixture, folder, period = SAMPLE_RUNS[name]
            source = request.getfixturevalue(fixture)[0] / folder
            registered = client.read_deployment_by_name(f"publish-dataset/{name}")
            runs[name] = client.create_flow_run_from_deployment(registered.id, parameters={
                "period": period, "source": str(source), "review_timeout_seconds": REVIEW_SECONDS})
        # The roster's household-id key, for this worker's runs only.
        worker = Worker(server, "every-deployment", limit=len(runs), env={"GONGKAI_HMAC_KEY": secrets.token_hex(32)})
        try:
            def all_final():
                if worker.process.poll() is not None and worker.process.returncode != 0:
                    pytest.fail(f"the worker exited with {worker.process.returncode}:\n{worker.output()}")
                return all(client.read_flow_run(run.id).state.is_final() for run in runs.values())

            wait_until(all_final, RUN_SECONDS * 2, f"every deployment's run to end (worker log: {worker.log})", 1)
            worker.process.wait(timeout=30)
        finally:
            stop(worker.process)
    return names, runs


@pytest.mark.parametrize("name", [d["name"] for d in DECLARED["deployments"]])
def test_every_deployment_runs_its_sample_period_up_to_the_review_and_publishes_nothing(server, every_deployment_run,
                                                                                      name):
    names, runs = every_deployment_run
    period = SAMPLE_RUNS[name][2]
    with server.client() as client:
        states = client.read_flow_run_states(runs[name].id)
        logs = "\n".join(log.message for log in client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[runs[name].id]))))
    assert any(state.is_paused() for state in states), (states, logs)   # every stage ran up to the review
    assert f"no review decision in {REVIEW_SECONDS} s: the release stays staged; run `gongkai review {name} {period}`" \
        in logs, logs
    assert states[-1].is_final(), states
    out = Path(os.environ["GONGKAI_OUT"]) / name
    report, = (json.loads(path.read_text(encoding="utf-8")) for path in (out / "reports").glob(f"{period}-*.json"))
    assert (report["dataset"], report["period"], report["status"]) == (name, period, "awaiting-review"), report
    assert (out / "staging" / period / "stage.json").exists() and not (out / "staging" / period / "review.json").exists()
    with pytest.raises(ckanapi.NotFound):
        connect(portal_settings()).action.package_show(id=names[name])
