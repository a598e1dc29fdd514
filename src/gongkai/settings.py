"""Where Gongkai finds the portal and writes its outputs: environment first, then local files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gongkai.spec import ROOT

# Written by `portal/portalctl up` for the local portal; never committed.
LOCAL_PORTAL_ENV = ROOT / "portal" / "var" / "ckan.env"


class SettingsError(Exception):
    """A setting is missing; the message lists every place that was looked at."""


@dataclass(frozen=True)
class PortalSettings:
    url: str
    token: str
    token_source: str  # where the token came from, for error messages (never the token itself)


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def portal_settings() -> PortalSettings:
    local = _read_env_file(LOCAL_PORTAL_ENV)
    url = os.environ.get("GONGKAI_CKAN_URL") or local.get("GONGKAI_CKAN_URL")
    if os.environ.get("GONGKAI_CKAN_TOKEN"):
        token, source = os.environ["GONGKAI_CKAN_TOKEN"], "environment variable GONGKAI_CKAN_TOKEN"
    else:
        token, source = local.get("GONGKAI_CKAN_TOKEN"), str(LOCAL_PORTAL_ENV)
    if not url or not token:
        raise SettingsError(
            "未找到门户地址或 API 令牌 / no portal URL or API token found.\n"
            "Looked in: environment variables GONGKAI_CKAN_URL and GONGKAI_CKAN_TOKEN, "
            f"then {LOCAL_PORTAL_ENV}.\n"
            "Run `make portal` for the local portal, or set both variables for an existing CKAN.")
    return PortalSettings(url.rstrip("/"), token, source)


def output_dir() -> Path:
    """Releases (one folder per period) and run reports live here."""
    return Path(os.environ.get("GONGKAI_OUT", ROOT / "out"))


def normalize_workers() -> int:
    """How many county files a run normalizes at once (GONGKAI_WORKERS): 1, the default, reads them one
    after another in the run's own process; N > 1 maps them over N worker processes."""
    raw = os.environ.get("GONGKAI_WORKERS", "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(
            f"GONGKAI_WORKERS 应为正整数，现为 {raw!r} / GONGKAI_WORKERS must be a whole number of at least 1, "
            f"found {raw!r}.\nLooked in: environment variable GONGKAI_WORKERS (unset means 1).")
    return int(raw)


# How long a run waits before each retry of a stage that talks to the portal (restore, publish,
# catalog) when the portal did not answer: 2 s, then 10 s, then 30 s, then it gives up.
RETRY_DELAYS = (2, 10, 30)


def retry_delays() -> list[float]:
    """Seconds before each retry (GONGKAI_RETRY_DELAYS, comma-separated; default 2,10,30). Tests set
    tiny delays; the number of retries is the number of delays."""
    raw = os.environ.get("GONGKAI_RETRY_DELAYS", "").strip()
    if not raw:
        return list(RETRY_DELAYS)
    try:
        delays = [float(part) for part in raw.split(",")]
    except ValueError:
        delays = []
    if not delays or any(d < 0 for d in delays):
        raise SettingsError(
            f"GONGKAI_RETRY_DELAYS 应为逗号分隔的秒数，如 2,10,30，现为 {raw!r} / GONGKAI_RETRY_DELAYS must be "
            f"seconds separated by commas, e.g. 2,10,30; found {raw!r}.\nLooked in: environment variable "
            "GONGKAI_RETRY_DELAYS (unset means 2,10,30).")
    return delays
