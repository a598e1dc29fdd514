"""Rosters (花名册): person-level sources in, aggregates out; roster rows never reach the portal.

read.py reads households through the layout engine, household_id.py keys them (HMAC),
aggregate.py builds the published county/township/village frame, linkage.py compares months,
notice.py writes the local village notice (公示).
"""

from __future__ import annotations

from pathlib import Path

from gongkai.problems import Problems, Where
from gongkai.roster.aggregate import aggregate
from gongkai.roster.household_id import KeyMissing, household_ids, load_key
from gongkai.roster.linkage import previous_register, write_register
from gongkai.roster.read import Household, read_roster
from gongkai.spec import Spec

__all__ = ["Household", "read_roster", "roster_table", "aggregate"]

PERSONAL_LABELS = {"name": "姓名", "id_number": "证件号码", "sex": "性别", "phone": "联系电话",
                   "bank_account": "银行账号", "address": "家庭住址"}


def roster_table(spec: Spec, files: list[Path], period: str, problems: Problems, root: Path,
                 keep_register: bool = True):
    """The period's aggregates as a SourceTable (the normalize stage of a roster dataset).

    `root` is the dataset's output folder, where the keyed household register is kept; a check
    that publishes nothing (`gongkai validate`) compares with it but does not write it.
    """
    from gongkai.normalize import SourceTable

    households = read_roster(spec, files, period, problems)
    table = SourceTable(period, aggregate(spec, households, period), [],
                        sorted({h.place[0].file.name for h in households}))   # the files, without a Where each
    if households:
        _note_read(spec, households, problems)
        _link(households, period, problems, root, keep_register)
    return table


def _note_read(spec: Spec, households: list[Household], problems: Problems) -> None:
    declared = {c.field for _, c in spec.source.column_specs}
    personal = "、".join(label for f, label in PERSONAL_LABELS.items() if f in declared)
    problems.add("roster-read", Where(), households=len(households), persons=sum(h.size for h in households),
                 personal=personal or "—")


def _link(households: list[Household], period: str, problems: Problems, root: Path, keep: bool) -> None:
    """Key every household; say who is new and who has gone since the last register."""
    try:
        key = load_key()
    except KeyMissing as missing:
        problems.add("hmac-key-missing", Where(field="GONGKAI_HMAC_KEY"), reason_zh=missing.reason_zh,
                     reason_en=missing.reason_en)
        return
    ids = household_ids((h.id18 for h in households if h.id18), key)
    if problems.errors:
        return      # a roster with errors is no register to compare against next month
    previous = previous_register(root, period)
    if previous:
        earlier, before = previous
        problems.add("roster-linkage", Where(), previous=earlier, new=len(ids - before), gone=len(before - ids),
                     kept=len(ids & before))
    if keep:
        write_register(root, period, ids)
