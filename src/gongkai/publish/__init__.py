"""Publish packaged files to CKAN with ckanapi: organization, dataset, resources, DataStore.

Idempotent: a file whose sha256 matches the resource's `hash` is not uploaded again, and
metadata is only touched when something changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Callable

import ckanapi
import requests

from gongkai.package import SERIES, Layout, PackagedFile, read_period, revision_of
from gongkai.settings import PortalSettings
from gongkai.spec import Spec

DATASTORE_TYPES = {"integer": "int8", "number": "numeric", "string": "text", "date": "date"}
# ckanapi's error for an answer it cannot read: repr([url, status, body]).
SERVER_ERROR = re.compile(r"^\[[^,]*, 5\d\d,")
USER_AGENT = "gongkai/0.1 (+https://github.com/gongkai)"
# Needs the datatables_view and image_view plugins on the portal (portal/ckan.overrides.ini).
VIEW_TITLES = {"datatables_view": "表格预览 / Table preview", "image_view": "趋势图 / Trend chart"}


class PortalUnreachable(Exception):
    """The portal did not answer: transient, worth a retry."""


class PortalRefused(Exception):
    """The portal answered no (bad token, invalid metadata): retrying will not help."""


@dataclass
class Outcome:
    dataset_url: str = ""
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    resource_urls: dict[str, str] = field(default_factory=dict)
    datastore_resource_id: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.uploaded)


def _page_order(resources: list[dict]) -> list[dict]:
    """The dataset page lists the series first (CSV, Parquet, DataStore table, datapackage.json, changelog, charts),
    then periods newest first, each period's current revision before the ones it corrected."""
    formats = ["CSV", "Parquet", "DataStore", "JSON", "Markdown", "PNG"]
    series = sorted((r for r in resources if r.get("period") == SERIES),
                    key=lambda r: (formats.index(r["format"]) if r["format"] in formats else len(formats), r["name"]))
    periods = sorted((r for r in resources if r.get("period") != SERIES),
                     key=lambda r: {"CSV": 0, "Parquet": 1}.get(r["format"], 2))
    # stable sorts: CSV, Parquet, then the rest (anonymization report) within a revision, newest revision first within a period
    periods.sort(key=lambda r: int((r.get("revision") or "r1")[1:]), reverse=True)
    periods.sort(key=lambda r: r.get("period") or "", reverse=True)
    return series + periods


def _metadata_differs(dataset: dict, metadata: dict) -> bool:
    """True when a metadata field the pipeline sets differs on the portal (a new review time alone does not)."""
    for key, value in metadata.items():
        have = dataset.get(key)
        if key == "reviewed_at" or (key == "release_history" and key not in dataset):
            continue   # a portal whose schema predates release_history drops it: not a difference
        if key == "tags":
            have, value = sorted(t["name"] for t in have or []), sorted(t["name"] for t in value)
        if (bool(have) != value) if isinstance(value, bool) else ((have or "") != value):
            return True
    return False


def connect(settings: PortalSettings) -> ckanapi.RemoteCKAN:
    portal = ckanapi.RemoteCKAN(settings.url, apikey=settings.token, user_agent=USER_AGENT)
    try:
        portal.action.status_show()
    except ckanapi.CKANAPIError as error:
        if not SERVER_ERROR.match(str(error)):
            raise
        raise PortalUnreachable(f"门户出错 / the portal at {settings.url} answered HTTP 5xx (e.g. its database "
                                "restarting): try again in a minute; see `make portal-logs`.") from None
    except (requests.ConnectionError, requests.Timeout) as error:
        raise PortalUnreachable(
            f"门户无法访问 / the portal at {settings.url} is unreachable ({type(error).__name__}).\n"
            "For the local portal run `make portal`; otherwise check GONGKAI_CKAN_URL.") from None
    return portal


class Publisher:
    """Publishes one dataset; every CKAN call goes through `_call` for uniform errors."""

    def __init__(self, portal: ckanapi.RemoteCKAN, settings: PortalSettings, spec: Spec,
                 progress: Callable[[str], None] = lambda message: None):
        self.portal, self.settings, self.spec, self.progress = portal, settings, spec, progress

    def _call(self, action: str, files: dict | None = None, **data):
        try:
            return self.portal.call_action(action, data_dict=data, files=files)
        except ckanapi.NotAuthorized:
            raise PortalRefused(
                f"门户拒绝了操作 {action} / the portal refused {action}: the API token from "
                f"{self.settings.token_source} is invalid or lacks rights. "
                "Create a new token (portal/portalctl reset for the local portal) or fix GONGKAI_CKAN_TOKEN.") from None
        except ckanapi.ValidationError as error:
            raise PortalRefused(f"门户拒绝了元数据 / the portal refused {action}: {error.error_dict}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PortalUnreachable(f"the portal at {self.settings.url} stopped answering during {action}: "
                                    f"{type(error).__name__}") from None
        except ckanapi.NotFound:
            raise
        except ckanapi.CKANAPIError as error:
            # CKAN answers 500 while its database restarts: transient, like no answer at all.
            if SERVER_ERROR.match(str(error)):
                raise PortalUnreachable(f"门户出错 / the portal at {self.settings.url} failed during {action} "
                                        "(HTTP 5xx, e.g. its database restarting): try again") from None
            raise

    def _find(self, action: str, name: str):
        try:
            return self._call(action, id=name)
        except ckanapi.NotFound:
            return None

    def restore(self, layout: Layout) -> list[str]:
        """Download published revisions missing from the local store (a new machine, a lost disk).

        The portal is the record of what was published: without this, the series rebuilt
        here would silently drop earlier periods, and a correction would be numbered again.
        Each revision comes back with its release record (the `release` field of its CSV).
        """
        dataset = self._find("package_show", self.spec.ckan.name)
        if not dataset:
            return []
        restored = set()
        for resource in dataset["resources"]:
            period = resource.get("period", "")
            if period in (SERIES, "") or resource["format"] not in ("CSV", "Parquet"):
                continue
            path = layout.release(period) / resource["name"]
            if not path.exists():
                self.progress(f"restoring {resource['name']} from the portal")
                content = self._download(resource["url"])   # nothing is written before the file is whole
                if hashlib.sha256(content).hexdigest() != resource.get("hash"):
                    raise PortalRefused(f"{resource['name']} on the portal does not match its recorded sha256")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                restored.add(period)
            record = layout.release(period) / f"release-r{revision_of(path.stem)}.json"
            if resource.get("release") and not record.exists():
                record.write_text(resource["release"], encoding="utf-8")
        return sorted(restored)

    def _download(self, url: str) -> bytes:
        try:
            response = requests.get(url, timeout=60, headers={"Authorization": self.settings.token})
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PortalUnreachable(f"could not download {url}: {type(error).__name__}") from None
        if not response.ok:
            raise PortalRefused(
                f"门户无法提供已发布的文件 / the portal could not serve a published file "
                f"(HTTP {response.status_code}): {url}. Check the portal's FileStore and log; a local portal "
                "whose files were lost (a new checkout on an old database) is emptied with `make portal-reset`.")
        return response.content

    def ensure_organization(self) -> dict:
        org = self.spec.ckan.organization
        found = self._find("organization_show", org.name)
        return found or self._call("organization_create", name=org.name, title=org.title,
                                   description=org.title_en)

    def ensure_dataset(self, org_id: str, metadata: dict) -> dict:
        found = self._find("package_show", self.spec.ckan.name)
        if found and found["state"] == "active":
            return found
        if found:  # deleted earlier: bring it back rather than fail on the taken name
            return self._call("package_patch", id=found["id"], state="active", **metadata)
        return self._call("package_create", name=self.spec.ckan.name, owner_org=org_id, **metadata)

    def publish(self, files: list[PackagedFile], metadata: dict,
                derive: Callable[[dict[str, str]], tuple[list[PackagedFile], dict]],
                fields: dict[str, dict] | None = None) -> Outcome:
        """Every new file and the metadata in one package_revise call, then the DataStore table.

        CKAN applies one call in one transaction, so the public dataset shows the old release
        or the new one, never a mix: a run stopped midway (the portal killed, the network gone)
        leaves it untouched, and the next run does the whole release again.

        A resource's file is never overwritten: a file whose content changed (the series,
        datapackage.json, the changelog) becomes a new resource with a new id, which replaces
        the old one in the same call. CKAN writes an upload to the FileStore before its
        transaction commits; under a new id that file is invisible until the commit, so a
        crash in between leaves no torn file, only an unreferenced one. A revision's files
        (relief-recipients-2024-03-r2.csv) are added once and kept. The DataStore table lives
        on its own stable resource, so SQL queries keep their table name from release to release.

        `derive(urls)` writes the files that name the others' URLs (datapackage.json, the
        changelog) and returns them with the metadata that names them (release_history).
        `fields` adds resource fields to a new file (its release record on the revision's CSV).
        """
        org = self.ensure_organization()
        dataset = self.ensure_dataset(org["id"], metadata)
        existing = {r["name"]: r for r in dataset["resources"]}
        release = f"{dataset['id']}/{metadata.get('version', '')}"
        ids = {f.name: self._id_for(f, existing, release) for f in files}
        table = existing.get(self._table_name()) or {"id": str(uuid.uuid4())}
        outcome = Outcome(dataset_url=f"{self.settings.url}/dataset/{dataset['name']}")
        url = f"{self.settings.url}/dataset/{dataset['id']}/resource/{{}}/download/{{}}"
        outcome.resource_urls = {name: url.format(rid, name) for name, rid in ids.items()}
        derived, extra = derive(outcome.resource_urls)
        for file in derived:
            ids[file.name] = self._id_for(file, existing, release)
            outcome.resource_urls[file.name] = url.format(ids[file.name], file.name)
        metadata = {**metadata, **extra}
        every = files + derived
        changed = [f for f in every if existing.get(f.name, {}).get("hash") != f.sha256]
        outcome.uploaded = [f.name for f in changed]
        outcome.unchanged = [f.name for f in every if f not in changed]
        series_csv = next(f for f in files if f.period == SERIES and f.format == "CSV")
        outcome.datastore_resource_id = table["id"]
        # The table's resource says which series it holds: a run stopped before the load finishes it next time.
        reload = table.get("datastore_sha256") != series_csv.sha256 or not table.get("datastore_active")
        # An existing table is loaded before the files go public and swapped in right after them.
        prepared = reload and self._table_name() in existing and self._load_datastore(table["id"], series_csv,
                                                                                      swap=False)
        if changed or _metadata_differs(dataset, metadata) or self._table_name() not in existing:
            self._revise(dataset, ids, changed, metadata, table["id"], fields or {})
        if reload:
            if prepared:
                self._call("gongkai_datastore_swap", resource_id=table["id"])
            else:
                self._load_datastore(table["id"], series_csv)
            self._call("resource_patch", id=outcome.datastore_resource_id, datastore_sha256=series_csv.sha256)
        self.ensure_views({outcome.datastore_resource_id: "datatables_view",
                           **{ids[f.name]: "image_view" for f in files if f.format == "PNG"}})
        return outcome

    def ensure_views(self, wanted: dict[str, str]) -> None:
        """The table preview of the DataStore series and the image view of each chart, created when
        missing (CKAN makes default views only on some paths; a rerun adds none twice)."""
        for resource_id, view_type in wanted.items():
            views = self._call("resource_view_list", id=resource_id)
            if any(v["view_type"] == view_type for v in views):
                continue
            title = VIEW_TITLES[view_type]
            self._call("resource_view_create", resource_id=resource_id, view_type=view_type, title=title)

    def _table_name(self) -> str:
        return f"{self.spec.name}-datastore"

    def _id_for(self, file: PackagedFile, existing: dict, release: str) -> str:
        """The resource id of a file: kept when the portal has it with this content, else a new one.

        A new id is derived from the release (dataset id and version) and the file's content, so
        a release retried after a failure gets the same URLs, and so the same datapackage.json,
        as the attempt that was reviewed; another version never reuses an id.
        """
        found = existing.get(file.name)
        if found and found.get("hash") == file.sha256:
            return found["id"]
        if found and file.period != SERIES:   # a revision's file is immutable: never replaced
            raise PortalRefused(
                f"门户上的 {file.name} 与本地同一修订版本的内容不同，未作任何更改 / {file.name} on the portal differs "
                "from the local file of the same revision; nothing was changed. A published revision is never "
                "overwritten: remove the local copy (out/<dataset>/releases/<period>/) so it is restored from the "
                "portal, then publish the new content as a correction (--correction).")
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{release}/{file.name}/{file.sha256}"))

    def _revise(self, dataset: dict, ids: dict, changed: list[PackagedFile], metadata: dict, table_id: str,
                fields: dict[str, dict]) -> None:
        """One package_revise: kept resources as they are, new ones with their file, old copies dropped."""
        replaced = {f.name for f in changed}
        resources = [r for r in dataset["resources"] if r["name"] not in replaced]
        if not any(r["id"] == table_id for r in resources):
            resources.append({"id": table_id, "name": self._table_name(), "format": "DataStore", "period": SERIES,
                              "url": "_datastore_only_resource", "url_type": "datastore",
                              "description": "全部期间累计序列的数据表（可用 SQL 查询）/ the series as a DataStore "
                                             "table: query it with datastore_search or datastore_search_sql"})
        for file in changed:
            resources.append({"id": ids[file.name], "name": file.name, "format": file.format, "hash": file.sha256,
                              "period": file.period, "revision": f"r{revision_of(file.path.stem)}",
                              "description": self._describe(file), "url": file.name, "url_type": "upload",
                              **fields.get(file.name, {})})
        resources = _page_order(resources)
        handles = [file.path.open("rb") for file in changed]
        try:
            uploads = {}
            for file, handle in zip(changed, handles):
                index = next(i for i, r in enumerate(resources) if r["id"] == ids[file.name])
                uploads[f"update__resources__{index}__upload"] = (file.name, handle)
                self.progress(f"uploading {file.name}")
            # A multipart request carries strings only: the structured arguments go as JSON.
            self._call("package_revise", files=uploads, match=json.dumps({"id": dataset["id"]}),
                       filter=json.dumps(["-resources"]),
                       update=json.dumps({**metadata, "resources": resources}, ensure_ascii=False))
        finally:
            for handle in handles:
                handle.close()

    @staticmethod
    def _describe(file: PackagedFile) -> str:
        if file.format == "Markdown":
            return "更新记录：每次发布与更正的内容 / changelog: every release and what each correction changed"
        if file.format == "JSON":
            return "Frictionless Data Package：各文件的表结构与 sha256 / schema and sha256 of every file"
        if file.format == "PNG":
            return "趋势图：各期合计，空缺为有抑制或缺报的期 / trend chart of the totals per period (gaps: suppressed or missing cells)"
        revision = revision_of(file.path.stem)
        what = ("全部期间累计序列（各期间最新修订）/ cumulative series, latest revision of every period"
                if file.period == SERIES else f"{file.period} r{revision}" + (" 更正 correction" if revision > 1 else ""))
        return f"{what}（{file.format}）"

    def _load_datastore(self, resource_id: str, series_csv: PackagedFile, swap: bool = True) -> bool:
        """Replace the DataStore table of the series so journalists can query it with SQL.

        Through the portal's gongkai_datastore_load (ckanext-gongkai): the series is sent as
        one CSV, loaded with COPY into a new table and swapped in atomically, so queries see
        the old table or the new one, never none; with `swap=False` the table is only prepared,
        for gongkai_datastore_swap. The CSV is written from the Parquet next to the series CSV:
        raw values (no spreadsheet formula guard), header = field ids, empty cell = NULL. A
        portal without that action (another CKAN) gets the old path: the table is deleted and
        re-created by datastore_create with every record as JSON (nothing can be prepared).
        Returns whether the COPY loader did the work.
        """
        import json
        import tempfile
        from pathlib import Path

        import pyarrow.csv
        import pyarrow.parquet

        try:
            self.portal.action.help_show(name="gongkai_datastore_load")
            has_copy_loader = True
        except ckanapi.NotFound:  # a CKAN without ckanext-gongkai
            has_copy_loader = False
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PortalUnreachable(f"the portal at {self.settings.url} stopped answering: "
                                    f"{type(error).__name__}") from None
        if not swap and not has_copy_loader:
            return False
        self.progress("loading the DataStore table")
        schema = self.spec.published_schema
        fields = [{"id": f.name, "type": DATASTORE_TYPES[f.type],
                   "info": {"label": f.title or f.name, "notes": f.description or ""}} for f in schema.fields]
        parquet = series_csv.path.with_suffix(".parquet")
        if has_copy_loader:
            with tempfile.TemporaryDirectory(prefix="gongkai-datastore-") as folder:
                clean = Path(folder) / series_csv.name
                table = pyarrow.parquet.read_table(parquet, columns=[f.name for f in schema.fields])
                pyarrow.csv.write_csv(table, clean)
                with clean.open("rb") as upload:
                    result = self._call("gongkai_datastore_load", files={"upload": upload},
                                        resource_id=resource_id, fields=json.dumps(fields, ensure_ascii=False),
                                        primary_key=json.dumps(schema.primary_key), swap=json.dumps(swap))
            self.progress(f"DataStore table loaded: {result['rows']} rows in {result['seconds']['total']:.1f} s")
            return True
        frame = read_period(parquet)
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        try:
            self._call("datastore_delete", resource_id=resource_id, force=True)
        except ckanapi.NotFound:
            pass
        self._call("datastore_create", resource_id=resource_id, force=True, fields=fields,
                   primary_key=schema.primary_key, records=records)
        return False
