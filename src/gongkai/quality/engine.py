"""Great Expectations as the check engine: one ephemeral context per process, frames in, failing rows out."""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass

import pandas as pd

# Set before great_expectations is imported: no usage analytics leave the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from gongkai.suite import QualityError, Rule  # noqa: E402


@dataclass(frozen=True)
class Failure:
    """One expectation that failed, with the frame index labels of the rows that broke it."""

    config: object               # the failed expectation's configuration (type, kwargs)
    index: list                  # frame index labels of unexpected rows


def expectation_class(snake_name: str):
    """expect_column_values_to_be_between -> gx.expectations.ExpectColumnValuesToBeBetween."""
    camel = "".join(part[:1].upper() + part[1:] for part in snake_name.split("_"))
    cls = getattr(gx.expectations, camel, None)
    if cls is None:
        raise QualityError(f"unknown Great Expectations expectation {snake_name!r} (looked for gx.expectations.{camel})")
    return cls


def expectation_of(rule: Rule):
    """A suite rule as a Great Expectations expectation; a rule GE refuses names its file and number."""
    try:
        return make_expectation(rule.expectation_name, rule.kwargs)
    except QualityError as error:
        raise QualityError(f"{rule.origin}: {error}") from None


def make_expectation(snake_name: str, kwargs: dict):
    _batch_definition()  # GE wants an active context before any expectation or suite exists
    try:
        return expectation_class(snake_name)(**kwargs)
    except QualityError:
        raise
    except Exception as error:  # pydantic rejects unknown or missing arguments
        raise QualityError(f"{snake_name}: invalid arguments {kwargs}: {error}") from None


@functools.cache
def _batch_definition():
    """The context is built once per process: creating it is the slow part."""
    # GE sets INFO on some of its own module loggers, so the parents' level is not enough.
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context",
                 "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    # tqdm bars ("Calculating Metrics") would clutter the CLI and Prefect logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("gongkai").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole frame")


def _engine_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes (Int64 with pd.NA) break GE's pandas metrics: use float with NaN."""
    safe = frame.copy()
    for column in safe.columns:
        dtype = safe[column].dtype
        if pd.api.types.is_extension_array_dtype(dtype) and pd.api.types.is_numeric_dtype(dtype):
            safe[column] = safe[column].astype("float64")
        elif pd.api.types.is_bool_dtype(dtype):
            safe[column] = safe[column].astype(object)
    return safe


def _raised(result) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message") or "unknown error"
    for nested in info.values():  # keyed by metric id when a metric failed
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return nested.get("exception_message") or "unknown error"
    return None


def run_expectations(frame: pd.DataFrame, expectations: list, name: str = "checks") -> list[Failure]:
    """Validate frame against the expectations; return one Failure per failed expectation, in order."""
    if frame.empty or not expectations:
        return []
    batch_definition = _batch_definition()
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _engine_safe(frame)})
    results = batch.validate(suite, result_format="COMPLETE")
    failures = []
    for result in results.results:
        message = _raised(result)
        if message:
            raise QualityError(f"{name}: {result.expectation_config.type} {result.expectation_config.kwargs} "
                               f"could not run: {message}")
        if not result.success:
            failures.append(Failure(result.expectation_config, list(result.result.get("unexpected_index_list") or [])))
    return failures
