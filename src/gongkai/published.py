"""What a dataset has published: each period's first release day and the files on the portal.

Read from the portal (`package_show`), which is the record; offline, from this machine's
`out/<dataset>/releases/` (whose dates are when this machine stored each period).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from gongkai.package import SERIES, Layout
from gongkai.settings import output_dir
from gongkai.spec import Spec

BEIJING = ZoneInfo("Asia/Shanghai")   # deadlines are counted in the bureaus' own days


@dataclass
class Published:
    first_release: dict[str, dt.date] = field(default_factory=dict)   # period -> day of its first release
    version: str = ""
    dataset_url: str = ""
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)   # (period, format) -> resource
    source: str = "portal"                                                 # portal | local

    @property
    def last_period(self) -> str | None:
        return max(self.first_release) if self.first_release else None

    def file(self, period: str, fmt: str) -> dict | None:
        return self.resources.get((period, fmt))


def _beijing_day(timestamp: str) -> dt.date:
    """CKAN's timestamps are UTC without a zone (2026-11-23T11:36:59.811917); release_history's carry one."""
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING).date()


def from_portal(dataset: dict, portal_url: str) -> Published:
    """A `package_show` result: the release history when the portal keeps one, else the day each
    period's first resource was created (resources keep their id, so `created` is the first release)."""
    found = Published(version=dataset.get("version") or "", dataset_url=f"{portal_url}/dataset/{dataset['name']}")
    history = json.loads(dataset.get("release_history") or "[]")
    for release in history:
        if release.get("kind", "period") == "period" and release.get("period") and release.get("published_at"):
            day = _beijing_day(release["published_at"])
            found.first_release[release["period"]] = min(day, found.first_release.get(release["period"], day))
    for resource in dataset.get("resources", []):
        period = resource.get("period") or ""
        if not period:
            continue
        found.resources[(period, resource["format"])] = resource
        if period != SERIES and not history and resource.get("created"):
            day = _beijing_day(resource["created"])
            found.first_release[period] = min(day, found.first_release.get(period, day))
    return found


def from_local(spec: Spec) -> Published:
    layout = Layout(output_dir() / spec.name)
    found = Published(source="local")
    for period in layout.published_periods():
        stored = layout.release(period) / f"{spec.name}-{period}.parquet"
        found.first_release[period] = dt.datetime.fromtimestamp(stored.stat().st_mtime, BEIJING).date()
    found.version = found.last_period or ""
    return found


def published(spec: Spec, portal=None, portal_url: str = "") -> Published:
    """From the portal when one is given (nothing yet if the dataset is not there), else local."""
    import ckanapi

    if portal is None:
        return from_local(spec)
    try:
        return from_portal(portal.action.package_show(id=spec.ckan.name), portal_url)
    except ckanapi.NotFound:
        return Published()
