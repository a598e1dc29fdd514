"""prefect.yaml's deployments, deployed to a real local Prefect server; the monthly one run once by a worker.

No mocks: a `prefect server start` subprocess with its own PREFECT_HOME (SQLite), `prefect deploy --all`
from the repo root, a process worker started with `--run-once`, and the run publishing to the local portal
under the isolated dataset's name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import PREFECT_API_URL, temporary_settings

from gongkai.publish import connect
from gongkai.settings import portal_settings

pytestmark = [pytest.mark.integration, pytest.mark.portal, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PREFECT = Path(sys.executable).parent / "prefect"
DECLARED = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
MONTHLY = DECLARED["deployments"][0]
POOL = MONTHLY["work_pool"]["name"]
DEPLOYMENT = "publish-dataset/relief-recipients"  # flow name / deployment name

SERVER_STARTUP_SECONDS = 60
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
    server.cli("deploy", "--all", timeout=120)
    with server.client() as client:
        return client.read_deployment_by_name(DEPLOYMENT)


def test_prefect_yaml_declares_one_deployment_per_dataset_on_the_generic_flow():
    assert MONTHLY["name"] == "relief-recipients"
    assert MONTHLY["parameters"]["dataset"] == "relief-recipients"
    assert MONTHLY["schedules"] == [{"cron": "0 9 3 * *", "timezone": "Asia/Shanghai"}]
    for declared in DECLARED["deployments"]:
        assert declared["entrypoint"] == "flows/publish_dataset.py:publish_dataset"
        assert declared["enforce_parameter_schema"] is True
        assert declared["work_pool"]["work_queue_name"] == "default"
    monthly = [d for d in DECLARED["deployments"] if d["name"] in ("relief-recipients", "relief-roster")]
    assert all(d["schedules"] == MONTHLY["schedules"] for d in monthly) and len(monthly) == 2
    annual = [d for d in DECLARED["deployments"] if d not in monthly]
    assert {d["name"] for d in annual} == {"subsidy-standards", "lottery-fund", "budget-accounts"}
    assert all(d["schedules"] == [{"cron": "0 9 15 1 *", "timezone": "Asia/Shanghai"}] for d in annual)


def test_deploy_registers_schedule_parameters_and_schema(deployment):
    assert [s.schedule.cron for s in deployment.schedules] == ["0 9 3 * *"]
    assert [s.schedule.timezone for s in deployment.schedules] == ["Asia/Shanghai"]
    assert all(s.active for s in deployment.schedules)
    assert deployment.enforce_parameter_schema is True
    assert deployment.parameters == MONTHLY["parameters"]
    assert set(deployment.parameter_openapi_schema["properties"]) == {"dataset", "period", "source", "reviewer"}
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


def test_a_worker_runs_the_deployment_and_the_month_is_published(server, deployment, samples,
                                                                  isolated_dataset):
    directory, _ = samples
    with server.client() as client:
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"period": "2024-01", "source": str(directory)})
        # The worker inherits GONGKAI_DATASETS_DIR/GONGKAI_OUT, so it publishes the isolated dataset.
        log = server.home / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                [str(PREFECT), "worker", "start", "--pool", POOL, "--run-once", "--limit", "1"],
                cwd=REPO, env=server.env(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            def final_state():
                state = client.read_flow_run(run.id).state
                return state if state and state.is_final() else None

            state = wait_until(final_state, RUN_SECONDS, f"flow run {run.name} (worker log: {log})", interval=1)
            worker.wait(timeout=30)
        finally:
            stop(worker)
    assert state.is_completed(), f"{state.type}: {state.message}\n{log.read_text()}"
    assert worker.returncode == 0, log.read_text()
    assert f"submitting flow run '{run.id}'" in log.read_text()
    dataset = connect(portal_settings()).action.package_show(id=isolated_dataset)
    assert dataset["version"] == "1.0.0"
    assert {"relief-recipients-2024-01.csv", "relief-recipients-2024-01.parquet"} <= {
        r["name"] for r in dataset["resources"]}
