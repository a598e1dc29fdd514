"""`gongkai doctor`: is this machine ready to publish? One line per check, and what to do when not.

Checks, in order: the portal (reachable, CKAN version), its plugins and the `gongkai_datastore_load`
action, the API token (valid, sysadmin or allowed to create datasets in every spec's organization),
the DataStore (`datastore_search_sql` answers `SELECT 1`), Prefect's API, free disk space under the
output folder and the portal's FileStore, the national division code list (its year and source, and
which specs use which year and own regions file), and the versions of the libraries that matter.

The token is never printed: only where it came from (`PortalSettings.token_source`).
Exit status: 0 when nothing is wrong (warnings allowed), 3 when the portal or the token fails,
1 when something else fails (Prefect's API, a library missing).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Iterator

import requests

from gongkai.settings import LOCAL_PORTAL_ENV, PortalSettings, SettingsError, _read_env_file, output_dir, portal_settings

EXIT_OK, EXIT_OTHER, EXIT_PORTAL = 0, 1, 3
OK, WARN, PROBLEM, SKIPPED = "ok", "warning", "problem", "skipped"
LOW_DISK_BYTES = 1 << 30  # warn under 1 GB free
TIMEOUT = 10
USER_AGENT = "gongkai-doctor/0.1"
REQUIRED_PLUGINS = ("gongkai", "datastore", "scheming_datasets")
LIBRARIES = ("gongkai", "prefect", "frictionless", "great-expectations", "python-calamine", "pandas", "pyarrow",
             "ckanapi")
LOCAL_CKAN_INI = LOCAL_PORTAL_ENV.parent / "ckan.ini"


@dataclass
class Check:
    name: str
    status: str          # ok | warning | problem | skipped
    detail: str          # what was found (zh / en)
    fix: str = ""        # what to do (zh / en), for a warning or a problem
    portal: bool = False  # a portal or token failure: exit 3 rather than 1

    def lines(self) -> list[str]:
        lines = [f"{self.status:<8} {self.name:<12} {self.detail}"]
        if self.fix and self.status in (WARN, PROBLEM):
            lines.append(f"{'':<8} {'':<12} → {self.fix}")
        return lines


class Portal:
    """Plain HTTP calls to CKAN's action API, with a timeout; errors become (None, message)."""

    def __init__(self, settings: PortalSettings):
        self.settings = settings
        self.session = requests.Session()
        self.session.headers.update({"Authorization": settings.token, "User-Agent": USER_AGENT})

    def call(self, action: str, anonymous: bool = False, **params) -> tuple[object, str | None]:
        headers = {"Authorization": ""} if anonymous else None
        try:
            answer = self.session.get(f"{self.settings.url}/api/3/action/{action}", params=params,
                                      headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            return None, type(error).__name__
        try:
            body = answer.json()
        except ValueError:
            return None, f"HTTP {answer.status_code}, not a CKAN API answer"
        if body.get("success"):
            return body["result"], None
        error = body.get("error") or {}
        return None, str(error.get("__type") or f"HTTP {answer.status_code}")


def run_checks() -> list[Check]:
    return (list(_portal_checks()) + [_prefect_check()] + list(_disk_checks()) + [_divisions_check()]
            + [_versions_check()])


def exit_code(checks: list[Check]) -> int:
    failed = [c for c in checks if c.status == PROBLEM]
    if any(c.portal for c in failed):
        return EXIT_PORTAL
    return EXIT_OTHER if failed else EXIT_OK


def _portal_checks() -> Iterator[Check]:
    later = ("plugins", "token", "datastore")
    try:
        settings = portal_settings()
    except SettingsError as error:
        yield Check("portal", PROBLEM, "未配置门户 / no portal configured", str(error), portal=True)
        yield from (Check(name, SKIPPED, "门户未配置 / no portal", portal=True) for name in later)
        return
    portal = Portal(settings)
    status, error = portal.call("status_show", anonymous=True)
    if status is None:
        yield Check("portal", PROBLEM,
                    f"门户无法访问 / the portal at {settings.url} is unreachable ({error})",
                    "本地门户请运行 `make portal`（portal/portalctl up）；否则检查 GONGKAI_CKAN_URL / "
                    "for the local portal run `make portal` (portal/portalctl up); otherwise check GONGKAI_CKAN_URL",
                    portal=True)
        yield from (Check(name, SKIPPED, "门户无法访问 / portal unreachable", portal=True) for name in later)
        return
    yield Check("portal", OK, f"门户可访问 / {settings.url} answers, CKAN {status.get('ckan_version', '?')}")
    yield from _plugin_checks(portal, status.get("extensions") or [])
    yield _token_check(portal)
    yield _datastore_check(portal)


def _plugin_checks(portal: Portal, extensions: list[str]) -> Iterator[Check]:
    missing = [p for p in REQUIRED_PLUGINS if p not in extensions]
    if missing:
        yield Check("plugins", PROBLEM, f"缺少插件 / plugins missing: {', '.join(missing)}",
                    "在 ckan.ini 的 ckan.plugins 中启用并安装 ckanext-scheming 与 portal/ckanext-gongkai，然后重启 CKAN / "
                    "install ckanext-scheming and `pip install -e portal/ckanext-gongkai`, add them to ckan.plugins "
                    "in ckan.ini and restart CKAN (see portal/README.md)", portal=True)
    elif "gongkai_search" not in extensions:
        yield Check("plugins", WARN, f"插件 / plugins: {', '.join(REQUIRED_PLUGINS)}; gongkai_search 未启用 / "
                    "not enabled", "若门户使用 Solr 则无需处理；否则在 ckan.plugins 中加入 gongkai_search / "
                    "fine if the portal has Solr; otherwise add gongkai_search to ckan.plugins")
    else:
        yield Check("plugins", OK, f"插件齐全 / plugins present: {', '.join(REQUIRED_PLUGINS)}, gongkai_search")
    found, _ = portal.call("help_show", anonymous=True, name="gongkai_datastore_load")
    if found is None:
        yield Check("action", WARN, "门户没有 gongkai_datastore_load / the portal lacks gongkai_datastore_load",
                    "升级门户上的 ckanext-gongkai；在此之前 DataStore 用 datastore_create 逐行加载（较慢，重载期间表为空）/ "
                    "upgrade ckanext-gongkai on the portal; until then the DataStore is loaded with "
                    "datastore_create (slower, the table is empty while it reloads)")
    else:
        yield Check("action", OK, "gongkai_datastore_load 可用 / available")


def _token_check(portal: Portal) -> Check:
    source = portal.settings.token_source
    fix_token = ("本地门户运行 `portal/portalctl up`（会替换被拒绝的令牌）；否则在门户上新建 API 令牌并设置 "
                 "GONGKAI_CKAN_TOKEN / for the local portal run `portal/portalctl up` (it replaces a refused token "
                 "in portal/var/ckan.env); otherwise create an API token on the portal and set GONGKAI_CKAN_TOKEN")
    # CKAN treats an unknown token as anonymous; the dashboard is for logged-in users only.
    _, anonymous = portal.call("dashboard_activity_list", limit=1)
    if anonymous:
        return Check("token", PROBLEM, f"API 令牌无效 / the API token from {source} is not valid "
                     "(the portal treats it as anonymous)", fix_token, portal=True)
    _, not_sysadmin = portal.call("config_option_list")
    if not not_sysadmin:
        return Check("token", OK, f"令牌有效，系统管理员 / the token from {source} is a sysadmin's")
    allowed, error = portal.call("organization_list_for_user", permission="create_dataset")
    allowed_names = {org["name"] for org in allowed or []}
    needed = _spec_organizations()
    missing = sorted(needed - allowed_names)
    if error or missing:
        return Check("token", PROBLEM,
                     f"令牌有效，但无权在这些机构创建数据集 / the token from {source} is valid but may not create "
                     f"datasets in: {', '.join(missing) or error}",
                     "请门户系统管理员把该用户设为这些机构的编辑（editor）或管理员，或改用系统管理员的令牌 / ask a portal "
                     "sysadmin to make the token's user an editor of these organizations (create them if missing), "
                     "or use a sysadmin's token", portal=True)
    return Check("token", OK, f"令牌有效，可在 {len(needed)} 个机构创建数据集 / the token from {source} may create "
                 f"datasets in {', '.join(sorted(needed))}")


def _spec_organizations() -> set[str]:
    from gongkai.spec import available, load_spec

    names = set()
    for dataset in available():
        try:
            names.add(load_spec(dataset).ckan.organization.name)
        except Exception:  # noqa: BLE001 - a broken spec is `gongkai spec check`'s business, not the doctor's
            continue
    return names


def _datastore_check(portal: Portal) -> Check:
    answer, error = portal.call("datastore_search_sql", sql="SELECT 1 AS one")
    if answer is not None and answer.get("records") == [{"one": 1}]:
        return Check("datastore", OK, "DataStore SQL 可用 / datastore_search_sql answers SELECT 1")
    return Check("datastore", PROBLEM, f"DataStore 不可用 / datastore_search_sql failed ({error or answer})",
                 "启用 datastore 插件并检查 ckan.datastore.write_url 与 read_url（本地门户：`make portal-status`）/ "
                 "enable the datastore plugin and check ckan.datastore.write_url and read_url "
                 "(local portal: `make portal-status`)", portal=True)


def _prefect_check() -> Check:
    try:
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
    except Exception as error:  # noqa: BLE001 - a broken Prefect install is itself the finding
        return Check("prefect", PROBLEM, f"无法读取 Prefect 设置 / cannot read Prefect's settings "
                     f"({type(error).__name__})", "重新安装 / reinstall: `make install`")
    if not url:
        return Check("prefect", OK, "未设置 PREFECT_API_URL：将使用本地临时服务器 / PREFECT_API_URL not set: "
                     "a local ephemeral server will be used")
    try:
        healthy = requests.get(f"{url.rstrip('/')}/health", timeout=TIMEOUT).ok
    except requests.RequestException as error:
        healthy, reason = False, type(error).__name__
    else:
        reason = "unhealthy"
    if healthy:
        return Check("prefect", OK, f"Prefect API 可访问 / Prefect API at {url} answers")
    return Check("prefect", PROBLEM, f"Prefect API 无法访问 / Prefect API at {url} is unreachable ({reason})",
                 "启动服务器（`.venv/bin/prefect server start`），或取消 PREFECT_API_URL 以使用本地临时服务器 / "
                 "start the server (`.venv/bin/prefect server start`) or unset PREFECT_API_URL to use a local "
                 "ephemeral server")


def _existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk_check(name: str, what: str, path: Path) -> Check:
    free = shutil.disk_usage(_existing(path)).free
    detail = f"{what} {path}: {free / (1 << 30):.1f} GB 可用 / free"
    if free < LOW_DISK_BYTES:
        return Check(name, WARN, detail, "可用空间不足 1 GB，请清理磁盘 / less than 1 GB free: make room on this disk")
    return Check(name, OK, detail)


def _disk_checks() -> Iterator[Check]:
    yield _disk_check("disk out", "输出目录 / output", output_dir())
    storage = _local_storage_path()
    if storage is None:
        yield Check("disk portal", SKIPPED, "门户不在本机，无法查看其存储 / the portal's FileStore is not on this machine")
    else:
        yield _disk_check("disk portal", "门户存储 / portal FileStore", storage)


def _local_storage_path() -> Path | None:
    """The FileStore of the local portal, when the portal in use is the one portal/var describes."""
    try:
        url = portal_settings().url
    except SettingsError:
        return None
    local_url = (_read_env_file(LOCAL_PORTAL_ENV).get("GONGKAI_CKAN_URL") or "").rstrip("/")
    if url != local_url or not LOCAL_CKAN_INI.exists():
        return None
    for line in LOCAL_CKAN_INI.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "ckan.storage_path" and value.strip():
            return Path(value.strip())
    return None


def _divisions_check() -> Check:
    """The national division code list the specs resolve names against: its year and where it came from."""
    from gongkai import divisions
    from gongkai.spec import available, load_spec

    years = divisions.shipped_years()
    if not years or not divisions.table_path(years[-1]).is_file():
        return Check("divisions", PROBLEM, "没有全国区划代码表 / no national division code list in datasets/divisions/",
                     "从仓库恢复 datasets/divisions/ / restore datasets/divisions/ from the repository")
    used = {}
    for name in available():
        try:
            spec = load_spec(name)
        except Exception:  # noqa: BLE001 - a broken spec is `gongkai spec check`'s business
            continue
        used.setdefault(spec.divisions, []).append(name + (f" (+ {spec.regions})" if spec.regions else ""))
    counts = divisions.metadata(years[-1])["counts"]
    detail = (f"{divisions.describe(years[-1])}; {counts['county']} 县级 counties, {counts['township']} 乡级 "
              f"townships, {counts['village']} 村级 villages; "
              + "; ".join(f"{year}: {', '.join(names)}" for year, names in sorted(used.items())))
    return Check("divisions", OK, "区划代码 / division codes: " + detail)


def _versions_check() -> Check:
    found, missing = [], []
    for library in LIBRARIES:
        try:
            found.append(f"{library} {metadata.version(library)}")
        except metadata.PackageNotFoundError:
            missing.append(library)
    if missing:
        return Check("versions", PROBLEM, f"缺少 / missing: {', '.join(missing)}; {', '.join(found)}",
                     "安装依赖 / install the dependencies: `make install`")
    return Check("versions", OK, ", ".join(found))
