"""The bad-input corpus (issue 10): every case through the real `gongkai validate`, in-process.

For each case of make_corpus.cases(): the exit code; every expected (slug, where) among the
errors (or warnings) of the JSON report; 0 errors for a case that only looks odd; no traceback;
nothing personal from the samples' footers in the console, the report or the outputs; the
officer's message as recorded in messages.json (which docs/bad-inputs.md is rendered from).
A case the product does not handle yet keeps what it should do and is a strict xfail.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus  # noqa: E402

ROOT = Path(tempfile.mkdtemp(prefix="gongkai-corpus-"))
atexit.register(shutil.rmtree, ROOT, ignore_errors=True)
CASES = make_corpus.cases(ROOT)
MESSAGES = json.loads(make_corpus.MESSAGES.read_text(encoding="utf-8")) if make_corpus.MESSAGES.exists() else {}


def _param(case: make_corpus.Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(autouse=True)
def isolated_out(tmp_path, monkeypatch):
    """No published series of this machine: history checks see a first release, every run alike."""
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "gongkai-out"))


def _texts(folder: Path) -> str:
    """Every text a run left in folder (reports, CSV, datapackage), and the Parquet cells."""
    parts = []
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if path.suffix in (".json", ".md", ".csv"):
            parts.append(path.read_text(encoding="utf-8-sig", errors="replace"))
        elif path.suffix == ".parquet":
            import pandas as pd

            parts.append(pd.read_parquet(path).astype(str).to_csv())
    return "\n".join(parts)


def test_the_corpus_is_large_and_covers_every_category():
    assert len(CASES) >= 60
    categories = {c.category for c in CASES}
    assert categories == {"file", "layout", "value", "cli"}
    assert sum(c.good for c in CASES) >= 5, "some cases must pass, to guard against false alarms"
    for c in CASES:
        assert c.expected or c.warnings or c.good or c.output, f"{c.name}: says nothing about what must happen"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: make_corpus.Case, tmp_path):
    out = tmp_path / "out"
    result, report = make_corpus.run_case(case, out)
    output = result.output

    assert "Traceback" not in output, output
    assert result.exit_code == case.exit_code, f"exit {result.exit_code}, expected {case.exit_code}\n{output}"
    for text in case.output:
        assert text in output, output

    if case.exit_code in (0, 1):
        assert report is not None, f"validate wrote no report\n{output}"
        assert "traceback" not in report
        problems = report["problems"]
        shown = [(p["severity"], p["slug"], p["where"]) for p in problems if p["severity"] != "info"]
        for severity, wanted in (("error", case.expected), ("warning", case.warnings)):
            for slug, place in wanted:
                assert any(p["severity"] == severity and p["slug"] == slug and make_corpus.matches(place, p["where"])
                           for p in problems), f"missing {severity} {slug} at {place!r}; got {shown}"
        if case.good:
            assert report["errors"] == 0, shown
        if case.exact:
            wanted = sorted([("error", *e) for e in case.expected] + [("warning", *w) for w in case.warnings])
            assert sorted(shown) == wanted, f"expected exactly {wanted}; got {shown}"

    if case.check:
        case.check(out)

    everything = output + "\n" + _texts(out)
    for personal in make_corpus.PERSONAL:
        assert personal not in everything, f"personal data {personal!r} in the output or the report"

    if not case.xfail:
        assert case.name in MESSAGES, "run `python tests/corpus/make_corpus.py --record`"
        seen = make_corpus.officer_message(case, result, report, [ROOT, out])
        assert seen == MESSAGES[case.name], "the message changed: rerun make_corpus.py --record"


def test_docs_table_is_current():
    """docs/bad-inputs.md is the rendering of the corpus and its recorded messages."""
    assert set(MESSAGES) == {c.name for c in CASES if not c.xfail}, "rerun make_corpus.py --record"
    assert make_corpus.DOC.read_text(encoding="utf-8") == make_corpus.render(CASES, MESSAGES), \
        "docs/bad-inputs.md is stale: run `.venv/bin/python tests/corpus/make_corpus.py --record`"
