"""The one flow every dataset runs: its spec under datasets/ says what to read, check and publish."""

from prefect import flow

from gongkai.flow import flow_result, run_dataset, scheduled_period


@flow(name="publish-dataset", flow_run_name="{dataset}")
def publish_dataset(dataset: str, period: str | None = None, source: str | None = None,
                    reviewer: str | None = None, correction: str | None = None):
    """Publish one period of `dataset` (default: the last period that has ended).

    `period` is 2024-03 (monthly), 2024-Q1 (quarterly) or 2023 (annual, irregular); `source`
    overrides the spec's folder of spreadsheets; `reviewer` is recorded in the review record;
    `correction` (更正理由) is required to publish a changed period again, as its next revision.
    """
    return flow_result(run_dataset(dataset, period or scheduled_period(dataset), source, reviewer, correction))
