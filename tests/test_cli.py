"""The `gongkai` command as a data officer uses it: exit codes, error tables, messages."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from cli import gongkai, gongkai_subprocess


def test_validate_a_clean_workbook_exits_zero(samples):
    """validate's smoke test of the installed command (tests/cli.py): a real process."""
    directory, _ = samples
    result = gongkai_subprocess("validate", str(directory / "武定县低保月报2024.xlsx"), "--dataset", "relief-recipients")
    assert result.exit_code == 0, result.output
    assert "2024-01, 2024-02, 2024-03: 0 个错误 errors" in result.output


@pytest.mark.parametrize("broken, cell, message", [
    ("text-in-count.xlsx", "text-in-count.xlsx ! 2024年3月 ! C7", "must be a number, found '约120'"),
    ("sum-mismatch.xlsx", "sum-mismatch.xlsx ! 2024年3月 ! F16", "the 合计 row says 8694"),
])
def test_validate_a_broken_workbook_names_the_cell_and_exits_one(samples, broken, cell, message):
    directory, _ = samples
    result = gongkai("validate", str(directory / "broken" / broken), "--dataset", "relief-recipients")
    assert result.exit_code == 1
    assert cell in result.output and message in result.output
    assert "1 个错误 errors" in result.output


def test_unknown_dataset_and_bad_period_are_usage_errors(samples):
    directory, _ = samples
    assert gongkai("validate", str(directory), "--dataset", "no-such").exit_code == 2
    result = gongkai("run", "relief-recipients", "--period", "2024-13")
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def test_run_with_the_portal_down_says_how_to_start_it(tmp_path):
    done = gongkai("run", "relief-recipients", "--period", "2024-03",
                   env={"GONGKAI_CKAN_URL": "http://127.0.0.1:9", "GONGKAI_CKAN_TOKEN": "x", "GONGKAI_OUT": str(tmp_path)})
    assert done.exit_code == 3
    assert "unreachable" in done.stdout and "make portal" in done.stdout
    assert not (tmp_path / "relief-recipients").exists()  # nothing staged, nothing published


def test_list_shows_each_dataset_and_its_last_release(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path))
    release = tmp_path / "relief-recipients" / "releases" / "2024-02"
    release.mkdir(parents=True)
    (release / "relief-recipients-2024-02.parquet").write_bytes(b"PAR1")
    result = gongkai("list")
    assert result.exit_code == 0
    assert "relief-recipients" in result.output and "主动公开" in result.output and "2024-02" in result.output


@pytest.mark.integration
@pytest.mark.portal
@pytest.mark.slow
class TestAgainstThePortal:
    def test_run_then_show_prints_urls_and_a_working_ckanapi_example(self, isolated_dataset, samples,
                                                                     prefect_backend):
        directory, _ = samples
        staged = gongkai("run", "relief-recipients", "--period", "2024-01", "--source", str(directory))
        assert staged.exit_code == 5, staged.output
        first = gongkai("review", "relief-recipients", "2024-01", "--approve", "--reviewer", "测试审查人",
                        "--comment", "测试 / test")
        assert first.exit_code == 0, first.output
        assert "published" in first.stdout and "report" in first.stdout
        # The same content was approved: the rerun needs no new review and uploads nothing.
        again = gongkai("run", "relief-recipients", "--period", "2024-01", "--source", str(directory))
        # unchanged sources, spec and code, and the portal holds the release: skipped before Prefect starts
        assert again.exit_code == 0 and "nothing re-processed" in again.stdout and "uploaded " not in again.stdout

        # show/list's smoke test of the installed command (tests/cli.py): a real process.
        shown = gongkai_subprocess("show", "relief-recipients")
        assert shown.exit_code == 0, shown.stdout
        assert f"/dataset/{isolated_dataset}" in shown.stdout
        assert re.search(r"latest CSV\s+http\S+relief-recipients-2024-01\.csv", shown.stdout)
        assert re.search(r"latest Parquet\s+http\S+relief-recipients-2024-01\.parquet", shown.stdout)
        example = next(line.strip() for line in shown.stdout.splitlines() if "datastore_search_sql" in line)
        answer = subprocess.run(example, shell=True, capture_output=True, text=True, timeout=60)
        assert answer.returncode == 0, answer.stderr
        records = json.loads(answer.stdout)["records"]
        assert {r["county_name"] for r in records} == {"武定县", "元谋县", "禄丰市", "牟定县"}
        search = next(line.strip() for line in shown.stdout.splitlines() if line.strip().startswith("curl"))
        found = json.loads(subprocess.run(search + " -s", shell=True, capture_output=True, text=True).stdout)
        assert found["success"] and found["result"]["facets"]["organization"]["shehui-jiuzhu-ke"] >= 1

    def test_a_refused_token_is_named_with_where_it_came_from(self, isolated_dataset, samples, prefect_backend):
        directory, _ = samples
        # The run checks and stages without writing to the portal; the approved review sends.
        staged = gongkai("run", "relief-recipients", "--period", "2024-02", "--source", str(directory))
        assert staged.exit_code == 5, staged.output
        refused = gongkai("review", "relief-recipients", "2024-02", "--approve", "--reviewer", "测试审查人",
                          env={"GONGKAI_CKAN_TOKEN": "not-a-token"})
        assert refused.exit_code == 3
        assert "environment variable GONGKAI_CKAN_TOKEN" in refused.stdout

    def test_a_broken_month_prints_the_cell_and_no_traceback(self, isolated_dataset, samples):
        """run/review's smoke test of the installed command (tests/cli.py): a fresh process prints no traceback."""
        directory, _ = samples
        broken = gongkai_subprocess("run", "relief-recipients", "--period", "2024-03",
                                    "--source", str(directory / "broken" / "text-in-count.xlsx"))
        assert broken.exit_code == 1
        assert "text-in-count.xlsx ! 2024年3月 ! C7" in broken.stdout and "nothing published" in broken.stdout
        assert "Traceback" not in broken.stdout + broken.stderr


def test_an_internal_error_exits_4_and_keeps_the_traceback_out_of_the_console(samples, tmp_path, monkeypatch):
    """A bug (here: a normalize stage that raises) is not a data problem: exit 4, traceback in the report."""
    from gongkai import stages

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in gongkai")

    monkeypatch.setattr(stages, "normalize", broken)
    directory, _ = samples
    result = gongkai("validate", str(directory / "武定县低保月报2024.xlsx"), "--dataset", "relief-recipients",
                    "--out", str(tmp_path))
    assert result.exit_code == 4
    assert "bug in gongkai" in result.output and "Traceback" not in result.output
    [report] = tmp_path.glob("reports/*.md")
    assert "ZeroDivisionError" in report.read_text(encoding="utf-8")


def test_validate_a_file_of_another_dataset_is_an_error_not_zero_errors(samples):
    directory, _ = samples
    result = gongkai("validate", str(directory / "lottery"), "--dataset", "relief-recipients")
    assert result.exit_code == 1
    assert "nothing in the file reads as dataset relief-recipients" in result.output


def test_validate_out_writes_the_normalized_table_without_a_portal(samples, tmp_path, monkeypatch):
    monkeypatch.delenv("GONGKAI_DATASETS_DIR", raising=False)   # the repo's specs, not an isolated copy
    directory, _ = samples
    result = gongkai("validate", str(directory / "budgets"), "--dataset", "budget-accounts", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "budget-accounts-2023.csv").exists() and (tmp_path / "budget-accounts-2023.parquet").exists()
    assert list(tmp_path.glob("reports/*.json"))


def test_an_annual_dataset_wants_a_year(samples, monkeypatch):
    monkeypatch.delenv("GONGKAI_DATASETS_DIR", raising=False)
    result = gongkai("validate", str(samples[0] / "lottery"), "--dataset", "lottery-fund", "--period", "2023-01")
    assert result.exit_code == 2 and "2023" in result.output


def test_run_with_the_portal_down_still_reports_the_data_errors_first(samples, tmp_path):
    directory, _ = samples
    done = gongkai("run", "relief-recipients", "--period", "2024-03", "--source",
                   str(directory / "broken" / "text-in-count.xlsx"),
                   env={"GONGKAI_CKAN_URL": "http://127.0.0.1:9", "GONGKAI_CKAN_TOKEN": "x",
                        "GONGKAI_OUT": str(tmp_path), "GONGKAI_DATASETS_DIR": None})
    assert done.exit_code == 1
    assert "text-in-count.xlsx ! 2024年3月 ! C7" in done.stdout and "fix the data first" in done.stdout
