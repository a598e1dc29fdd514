"""Quality suites: quality/<dataset>.yaml, row-level expectations in GE's own vocabulary, each naming its problem.

Read here, below the stages (a spec names its suite); the quality stage turns the rules into Great
Expectations expectations and runs them (gongkai.quality.engine).

A rule reads like this (any GE expectation, by its snake_case name):

    - expect_column_values_to_be_between: {column: urban_amount, min_value: 0}
      problem: negative-value            # slug in gongkai.problems; its severity applies
      at: urban_amount                   # optional: the column whose source cell is blamed
      params: {value: "{value}"}         # optional: template parameters, see Rule.params

A new dataset needs only a suite file, no code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gongkai.problems import KINDS


class QualityError(Exception):
    """A suite or check is broken (a mistake in the repo, not in the data): never retried."""


@dataclass(frozen=True)
class Rule:
    expectation_name: str        # snake_case GE name
    kwargs: dict
    problem: str                 # slug
    at: str | None = None        # column whose source cell the problem points to
    # Template parameters: str.format patterns over the failing row. Available names: every
    # column of the row ({region_name}), {column}/{value} or {A}/{B} for the checked column(s),
    # and {label[...]}/{label_A}/{label_B}: the column's source header (城市低保/人数).
    params: dict = field(default_factory=dict)
    origin: str = ""             # file and rule number, for errors: quality/relief-recipients.yaml: rule 3

    @property
    def columns(self) -> list[str]:
        if "column" in self.kwargs:
            return [self.kwargs["column"]]
        if "column_A" in self.kwargs:
            return [self.kwargs["column_A"], self.kwargs["column_B"]]
        return list(self.kwargs.get("column_list", []))


@dataclass(frozen=True)
class Suite:
    rules: list[Rule]
    # Cross-row and cross-table checks with their parameters (see gongkai.quality.checks):
    # sums, period_over_period, ratios, compare, history, within_standard.
    checks: dict = field(default_factory=dict)


CHECKS = {"sums", "period_over_period", "ratios", "compare", "history", "within_standard"}
SUMS_PARAMETERS = {"require_total"}


def load_suite(path: Path) -> Suite:
    if not Path(path).exists():
        raise QualityError(f"no quality suite {path}")
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    checks = raw.get("checks") or {}
    unknown = set(checks) - CHECKS
    if unknown:
        raise QualityError(f"{path}: unknown checks {sorted(unknown)}; known: {sorted(CHECKS)}")
    if "tolerance" in (checks.get("sums") or {}):
        raise QualityError(f"{path}: sums.tolerance is gone: a sum is compared within the rounding of the "
                           "figures as the sheet states them (README, Quality suites); remove the key")
    unknown = set(checks.get("sums") or {}) - SUMS_PARAMETERS
    if unknown:
        raise QualityError(f"{path}: unknown sums parameters {sorted(unknown)}; known: {sorted(SUMS_PARAMETERS)}")
    return Suite(_rules(path, raw), checks)


def _rules(path: Path, raw: dict) -> list[Rule]:
    rules = []
    for number, entry in enumerate(raw.get("expectations", []), start=1):
        entry = dict(entry)
        problem = entry.pop("problem", None)
        at = entry.pop("at", None)
        params = entry.pop("params", None) or {}
        names = [key for key in entry if key.startswith("expect_")]
        if len(names) != 1 or len(entry) != 1:
            raise QualityError(f"{path}: rule {number} must hold exactly one expect_* key "
                               f"plus problem/at/params, found {sorted(entry)}")
        if problem not in KINDS:
            raise QualityError(f"{path}: rule {number} names unknown problem {problem!r}")
        rules.append(Rule(names[0], dict(entry[names[0]] or {}), problem, at, params, f"{path}: rule {number}"))
    return rules
