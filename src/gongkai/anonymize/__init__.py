"""Anonymize stage: disclosure control of small cells (disclosure.py) and the PII gate over every output (pii.py)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING

import pandas as pd

from gongkai.anonymize.disclosure import protect
from gongkai.anonymize.pii import scan_for_pii, scan_frame, scan_text
from gongkai.problems import Problems, Where
from gongkai.spec import Spec

if TYPE_CHECKING:
    from gongkai.normalize import SourceTable

__all__ = ["protect_small_cells", "scan_outputs", "scan_for_pii", "scan_frame", "scan_text"]


def protect_small_cells(spec: Spec, table: SourceTable, previous: pd.DataFrame | None, problems: Problems) -> dict:
    """Disclosure control: small cells and their complements suppressed, audited; the frame becomes
    the publishable one (null + `<field>_flag` "C"). `previous` is the last published period's frame.
    Returns the anonymization report; on a failed audit the problems say which cell, and the frame
    is left as it was (nothing will be published)."""
    dropped = [f"{p.where}: {p.message_zh}" for p in problems if p.slug in ("personal-data-dropped", "notes-dropped")]
    report = {"dataset": spec.name, "period": table.period, "dropped": dropped}
    if spec.disclosure_control is None:
        return report
    protected = protect(spec, table.frame, previous, table.where, problems)
    if protected.frame is not None:
        table.frame = protected.frame
    report |= {"disclosure_control": protected.summary}
    # Published as a resource: it passes the same PII gate as every other output.
    scan_text(json.dumps(report, ensure_ascii=False), Where(field="anonymization report"), problems)
    return report


def scan_outputs(table: SourceTable, metadata: dict, problems: Problems, names: Collection[str] = ()) -> None:
    """The PII gate: every output cell, column name and metadata field.

    Fields read from a personal column (姓名, 身份证号码 …) are personal whatever their values;
    `names` (a roster's own) are looked for in every text.
    """
    scan_frame(table.frame, table.where, problems, names, table.personal_fields())
    scan_text(json.dumps(metadata, ensure_ascii=False), Where(field="CKAN metadata"), problems, names)
