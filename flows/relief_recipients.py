"""Monthly flow: the 社会救助科's county spreadsheets become the relief-recipients dataset."""

from prefect import flow

from gongkai.flow import flow_result, last_month, run_dataset


@flow(name="relief-recipients")
def relief_recipients(period: str | None = None, source: str | None = None, reviewer: str | None = None):
    """Publish one month (YYYY-MM, default: last month) of relief-recipient counts.

    `source` overrides the spec's folder of spreadsheets; `reviewer` is recorded in the review record.
    """
    return flow_result(run_dataset("relief-recipients", period or last_month(), source, reviewer))
