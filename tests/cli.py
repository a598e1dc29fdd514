"""The `gongkai` command for the tests: in this process (click's CliRunner), or as a real subprocess.

Tests run the CLI in-process with `gongkai(...)`: no interpreter, imports and Prefect client to start
per call. `gongkai run` and `gongkai review` run the flow: a test calling them requests the
`prefect_backend` fixture (tests/conftest.py), so the flow uses the session's Prefect server and
Prefect's logging is configured outside the runner's captured streams.

A real process (`gongkai_subprocess`) is started only where a test needs one. One smoke test per
command family proves the installed entry point:
  run/review  tests/test_cli.py::TestAgainstThePortal::test_a_broken_month_prints_the_cell_and_no_traceback
              (a fresh process prints the cell and no traceback)
  validate    tests/test_cli.py::test_validate_a_clean_workbook_exits_zero
  doctor      tests/test_doctor.py::test_against_the_real_portal_every_check_is_ok
              (a fresh process without PREFECT_API_URL would start a local ephemeral server)
  show/list   tests/test_cli.py::TestAgainstThePortal::test_run_then_show_prints_urls_and_a_working_ckanapi_example
              (its `gongkai show`; the runs before it are in-process)
and a process boundary is needed for a real reason by: the fault tests (tests/faults: the portal is
killed under a running CLI, and the run is timed), the review answered on its terminal while its files
change (tests/flows/test_review_gate.py), and the runs whose own PREFECT_HOME is searched for secrets
(tests/portal/test_security.py, tests/roster/test_roster_secrets.py, tests/privacy/test_no_leaks.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

GONGKAI = Path(sys.executable).parent / "gongkai"   # the installed entry point, as a data officer runs it


@dataclass
class Result:
    """What a data officer sees of one CLI run: its exit code and its console."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def environment(env: dict[str, str | None] | None = None) -> dict[str, str]:
    """The test run's environment with env applied; a None value removes that variable."""
    merged = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def gongkai(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """`gongkai ARGS` in this process, with env (None removes a variable) for this call only.

    Whatever the call changes is put back afterwards: the environment (the CLI itself sets Prefect's
    variables before a run), the working directory, and the handlers of the loggers that existed."""
    from gongkai.cli import main   # imported on first use: collecting the tests stays quick

    saved_environ, saved_cwd, saved_handlers = dict(os.environ), os.getcwd(), _handlers()
    try:
        _set_environ(environment(env))
        with _prefect_settings(env or {}):
            result = CliRunner().invoke(main, list(args))
    finally:
        _set_environ(saved_environ)
        os.chdir(saved_cwd)
        _restore(saved_handlers)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What a real process would print on an uncaught exception (the runner only keeps it).
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return Result(result.exit_code, result.stdout, stderr)


def gongkai_subprocess(*args: str, env: dict[str, str | None] | None = None, timeout: float = 600) -> Result:
    """`gongkai ARGS` as a real subprocess, with the test run's environment and env applied."""
    done = subprocess.run([str(GONGKAI), *args], env=environment(env), capture_output=True, text=True,
                          timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


def _set_environ(wanted: dict[str, str]) -> None:
    """Make os.environ exactly `wanted`, touching only the variables that differ."""
    for name in [name for name in os.environ if name not in wanted]:
        del os.environ[name]
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _prefect_settings(env: dict[str, str | None]):
    """Prefect reads its PREFECT_* variables once per process: apply the call's own to its settings too."""
    names = [name for name in env if name.startswith("PREFECT_")]
    if not names:
        return contextlib.nullcontext()
    import prefect.settings

    settings = {name: getattr(prefect.settings, name) for name in names}
    return prefect.settings.temporary_settings(
        updates={settings[name]: env[name] for name in names if env[name] is not None},
        restore_defaults={settings[name] for name in names if env[name] is None})


def _handlers() -> dict[logging.Logger, list[logging.Handler]]:
    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger))]
    return {logger: list(logger.handlers) for logger in loggers}


def _restore(saved: dict[logging.Logger, list[logging.Handler]]) -> None:
    """A handler added during the call would write to the runner's closed streams in later tests."""
    for logger, handlers in saved.items():
        logger.handlers[:] = handlers
