"""The one flow every dataset runs: its spec under datasets/ says what to read, check and publish."""

from prefect import flow

from gongkai.flow import REVIEW_TIMEOUT_SECONDS, flow_result, run_dataset, scheduled_period
from gongkai.spec import load_spec


@flow(name="publish-dataset", flow_run_name="{dataset}")
def publish_dataset(dataset: str, period: str | None = None, source: str | None = None,
                    correction: str | None = None, review_timeout_seconds: int = REVIEW_TIMEOUT_SECONDS):
    """Check and stage one period of `dataset` (default: the last period that has ended) for review.

    `dataset` is a spec's name (datasets/<name>.yaml) or the path of a spec kept elsewhere; `period`
    is 2024-03 (monthly), 2024-Q1 (quarterly) or 2023 (annual, irregular); `source` overrides the
    spec's folder of spreadsheets; `correction` (更正理由) is required to publish a changed period
    again, as its next revision. Run as a deployment, the flow pauses for the reviewer's decision
    (保密审查) for up to `review_timeout_seconds`, then publishes what was approved; run by hand, it
    stops at "awaiting review" for `gongkai review`.
    """
    spec = load_spec(dataset)
    return flow_result(run_dataset(spec, period or scheduled_period(spec), source, correction,
                                   review_timeout_seconds))
