"""Validators for the Gongkai dataset schema (referenced by name in schemas/dataset.yaml)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ckan.common import asbool
from ckan.lib.navl.dictization_functions import Invalid, missing

from . import periods

DISCLOSURE_PUBLIC = "proactive"
DISCLOSURE_CHOICES = ("proactive", "on_request", "not_disclosed")


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == ""


def gongkai_year_month(value: Any) -> Any:
    """A period: a year (2023), a quarter (2024-Q1) or a month (2024-03).

    The name is from when only months were accepted; the schema now says gongkai_period.
    """
    if _empty(value):
        return value
    error = periods.period_error(str(value))
    if error:
        raise Invalid(error)
    return str(value)


def gongkai_period(value: Any) -> Any:
    """A period: YYYY, YYYY-Qn or YYYY-MM (the schema's name for it)."""
    return gongkai_year_month(value)


def gongkai_resource_period(value: Any) -> Any:
    """A resource covers one period (YYYY, YYYY-Qn or YYYY-MM) or the whole series (all)."""
    if _empty(value) or value == periods.SERIES:
        return value
    return gongkai_year_month(value)


def gongkai_iso_date(value: Any) -> Any:
    """A calendar date as YYYY-MM-DD."""
    if _empty(value):
        return value
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise Invalid(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD, got {value!r}")


def gongkai_iso_date_or_datetime(value: Any) -> Any:
    """An ISO 8601 date or date-time, kept as given."""
    if _empty(value):
        return value
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"应为 ISO 日期或时间 / must be an ISO date or date-time, got {value!r}")
    return str(value)


def gongkai_period_order(key: Any, data: dict, errors: dict, context: dict) -> None:
    """period_start and period_end have the same granularity, and the end is not before the start."""
    start, end = data.get(("period_start",)), data.get(("period_end",))
    if _empty(start) or _empty(end):
        return
    error = periods.order_error(str(start), str(end))
    if error:
        errors[key].append(error)


def gongkai_only_proactive_public(key: Any, data: dict, errors: dict, context: dict) -> None:
    """Only 主动公开 (proactive) datasets may be public; others must say private=true.

    CKAN makes a dataset public when `private` is left out, so anything not
    proactive must ask for private explicitly.
    """
    disclosure = data.get(key)
    if disclosure not in DISCLOSURE_CHOICES or disclosure == DISCLOSURE_PUBLIC:
        return  # an unknown value is already refused by scheming_choices
    private = data.get(("private",))
    if _empty(private) or not asbool(private):
        errors[key].append(
            "只有主动公开的数据集可以公开，请设置 private=true / only proactive (主动公开) "
            "datasets may be public: set private=true")


def all_validators() -> dict[str, Any]:
    return {
        "gongkai_period": gongkai_period,
        "gongkai_year_month": gongkai_year_month,  # the earlier name, kept for schemas using it
        "gongkai_resource_period": gongkai_resource_period,
        "gongkai_iso_date": gongkai_iso_date,
        "gongkai_iso_date_or_datetime": gongkai_iso_date_or_datetime,
        "gongkai_period_order": gongkai_period_order,
        "gongkai_only_proactive_public": gongkai_only_proactive_public,
    }
