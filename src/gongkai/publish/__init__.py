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

from gongkai.package import SERIES, Layout, PackagedFile, read_period
from gongkai.settings import PortalSettings
from gongkai.anonymize.disclosure import published_schema
from gongkai.spec import Spec

DATASTORE_TYPES = {"integer": "int8", "number": "numeric", "string": "text", "date": "date"}
# ckanapi's error for an answer it cannot read: repr([url, status, body]).
SERVER_ERROR = re.compile(r"^\[[^,]*, 5\d\d,")
USER_AGENT = "gongkai/0.1 (+https://github.com/gongkai)"


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
    """The dataset page lists the series first (CSV, Parquet, datapackage.json), then periods newest first."""
    formats = ["CSV", "Parquet", "JSON"]
    series = sorted((r for r in resources if r.get("period") == SERIES),
                    key=lambda r: formats.index(r["format"]) if r["format"] in formats else len(formats))
    periods = sorted((r for r in resources if r.get("period") != SERIES), key=lambda r: r["format"] != "CSV")
    periods.sort(key=lambda r: r.get("period") or "", reverse=True)   # stable: CSV before Parquet
    return series + periods


def _metadata_differs(dataset: dict, metadata: dict) -> bool:
    """True when a metadata field the pipeline sets differs on the portal (a new review time alone does not)."""
    for key, value in metadata.items():
        have = dataset.get(key)
        if key == "reviewed_at":
            continue
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
        """Download published months missing from the local store (a new machine, a lost disk).

        The portal is the record of what was published: without this, the series rebuilt
        here would silently drop earlier months.
        """
        dataset = self._find("package_show", self.spec.ckan.name)
        if not dataset:
            return []
        local = set(layout.published_periods())
        restored = set()
        for resource in dataset["resources"]:
            period = resource.get("period", "")
            if period in (SERIES, "") or period in local or resource["format"] not in ("CSV", "Parquet"):
                continue
            path = layout.release(period) / resource["name"]
            self.progress(f"restoring {resource['name']} from the portal")
            content = self._download(resource["url"])   # nothing is written before the file is whole
            if hashlib.sha256(content).hexdigest() != resource.get("hash"):
                raise PortalRefused(f"{resource['name']} on the portal does not match its recorded sha256")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            restored.add(period)
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
                datapackage: Callable[[dict[str, str]], PackagedFile]) -> Outcome:
        """Every changed file and the metadata in one package_revise call, then the DataStore table.

        CKAN applies one call in one transaction, so the public dataset shows the old release
        or the new one, never a mix: a run stopped midway (the portal killed, the network gone)
        leaves it untouched, and the next run does the whole release again. Each file keeps its
        resource id from release to release (stable URLs); a new file gets an id chosen here,
        so datapackage.json can name every URL before anything is sent.
        """
        org = self.ensure_organization()
        dataset = self.ensure_dataset(org["id"], metadata)
        existing = {r["name"]: r for r in dataset["resources"]}
        ids = {f.name: existing[f.name]["id"] if f.name in existing else str(uuid.uuid4())
               for f in files + [PackagedFile(files[0].path.parent / "datapackage.json", SERIES, "JSON", "")]}
        outcome = Outcome(dataset_url=f"{self.settings.url}/dataset/{dataset['name']}")
        outcome.resource_urls = {name: f"{self.settings.url}/dataset/{dataset['id']}/resource/{rid}/download/{name}"
                                 for name, rid in ids.items()}
        every = files + [datapackage(outcome.resource_urls)]
        changed = [f for f in every if existing.get(f.name, {}).get("hash") != f.sha256]
        outcome.uploaded = [f.name for f in changed]
        outcome.unchanged = [f.name for f in every if f not in changed]
        if changed or _metadata_differs(dataset, metadata):
            self._revise(dataset, existing, ids, changed, metadata)
        series_csv = next(f for f in files if f.period == SERIES and f.format == "CSV")
        outcome.datastore_resource_id = ids[series_csv.name]
        # The DataStore says which series it holds: a run stopped before the load finishes it next time.
        if existing.get(series_csv.name, {}).get("datastore_sha256") != series_csv.sha256 or changed:
            self._load_datastore(outcome.datastore_resource_id, series_csv)
            self._call("resource_patch", id=outcome.datastore_resource_id, datastore_sha256=series_csv.sha256)
        return outcome

    def _revise(self, dataset: dict, existing: dict, ids: dict, changed: list[PackagedFile], metadata: dict) -> None:
        """One package_revise: kept resources as they are, changed ones with their new file, metadata."""
        replaced = {f.name for f in changed}
        resources = [r for r in dataset["resources"] if r["name"] not in replaced]
        uploads = {}
        for file in changed:
            resource = dict(existing.get(file.name, {}), id=ids[file.name], name=file.name, format=file.format,
                            hash=file.sha256, period=file.period, description=self._describe(file),
                            url=file.name, url_type="upload")
            position = next((i for i, r in enumerate(dataset["resources"]) if r["name"] == file.name), None)
            resources.insert(position if position is not None else len(resources), resource)
        resources = _page_order(resources)
        handles = [file.path.open("rb") for file in changed]
        try:
            for file, handle in zip(changed, handles):
                index = next(i for i, r in enumerate(resources) if r["name"] == file.name)
                uploads[f"update__resources__{index}__upload"] = (file.name, handle)
            for file in changed:
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
        if file.format == "JSON":
            return "Frictionless Data Package：各文件的表结构与 sha256 / schema and sha256 of every file"
        what = "全部月份累计序列 / cumulative series, all months" if file.period == SERIES else f"{file.period}"
        return f"{what}（{file.format}）"

    def _load_datastore(self, resource_id: str, series_csv: PackagedFile) -> None:
        """Replace the DataStore table of the series so journalists can query it with SQL.

        Through the portal's gongkai_datastore_load (ckanext-gongkai): the series is sent as
        one CSV, loaded with COPY into a new table and swapped in atomically, so queries see
        the old table or the new one, never none. The CSV is written from the Parquet next to
        the series CSV: raw values (no spreadsheet formula guard), header = field ids, empty
        cell = NULL. A portal without that action (another CKAN) gets the old path: the table
        is deleted and re-created by datastore_create with every record as JSON.
        """
        import json
        import tempfile
        from pathlib import Path

        import pyarrow.csv
        import pyarrow.parquet

        self.progress("loading the DataStore table")
        schema = published_schema(self.spec)
        fields = [{"id": f.name, "type": DATASTORE_TYPES[f.type],
                   "info": {"label": f.title or f.name, "notes": f.description or ""}} for f in schema.fields]
        parquet = series_csv.path.with_suffix(".parquet")
        try:
            self.portal.action.help_show(name="gongkai_datastore_load")
            has_copy_loader = True
        except ckanapi.NotFound:  # a CKAN without ckanext-gongkai
            has_copy_loader = False
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PortalUnreachable(f"the portal at {self.settings.url} stopped answering: "
                                    f"{type(error).__name__}") from None
        if has_copy_loader:
            with tempfile.TemporaryDirectory(prefix="gongkai-datastore-") as folder:
                clean = Path(folder) / series_csv.name
                table = pyarrow.parquet.read_table(parquet, columns=[f.name for f in schema.fields])
                pyarrow.csv.write_csv(table, clean)
                with clean.open("rb") as upload:
                    result = self._call("gongkai_datastore_load", files={"upload": upload},
                                        resource_id=resource_id, fields=json.dumps(fields, ensure_ascii=False),
                                        primary_key=json.dumps(schema.primary_key))
            self.progress(f"DataStore table loaded: {result['rows']} rows in {result['seconds']['total']:.1f} s")
            return
        frame = read_period(parquet)
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        try:
            self._call("datastore_delete", resource_id=resource_id, force=True)
        except ckanapi.NotFound:
            pass
        self._call("datastore_create", resource_id=resource_id, force=True, fields=fields,
                   primary_key=schema.primary_key, records=records)
