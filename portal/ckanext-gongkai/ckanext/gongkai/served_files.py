"""Uploaded files are data, never pages: only safe formats are accepted, and downloads are not sniffed.

CKAN's FileStore serves an upload with the type Python guesses from its name, inline: an .html,
.svg or .js uploaded by an organization member would run in the portal's origin. So:

- an upload whose file name is not .csv, .parquet, .json, .png or .md is refused (ValidationError, zh + en),
  whichever action carries it (resource_create/update, package_create/update/revise all build
  their uploader through IUploader);
- every response says `X-Content-Type-Options: nosniff`, and a download of any other kind of file
  (one uploaded before this rule) is sent as `Content-Disposition: attachment`.
"""
from __future__ import annotations

import os
import re
from typing import Any

from ckan.lib.uploader import ResourceUpload
from ckan.plugins import IMiddleware, IUploader, toolkit

# .md: the changelog, served as text/markdown, which no browser renders as a page.
SAFE_EXTENSIONS = {".csv", ".parquet", ".json", ".png", ".md"}
DOWNLOAD = re.compile(r"/dataset/[^/]+/resource/[^/]+/download(/(?P<name>[^/]+))?/?$")


def is_safe(filename: str) -> bool:
    return os.path.splitext(filename or "")[1].lower() in SAFE_EXTENSIONS


class SafeResourceUpload(ResourceUpload):
    """CKAN's resource upload, refusing file types a browser could run."""

    def __init__(self, resource: dict[str, Any]) -> None:
        super().__init__(resource)
        if self.filename and not is_safe(self.filename):
            raise toolkit.ValidationError({"upload": [
                f"不接受此类文件：{self.filename}（只接受 CSV、Parquet、JSON、PNG、Markdown）/ file type not accepted: "
                f"{self.filename} (only CSV, Parquet, JSON, PNG and Markdown files can be uploaded)"]})


def download_headers(response):
    from flask import request

    response.headers["X-Content-Type-Options"] = "nosniff"
    match = DOWNLOAD.search(request.path)
    if match and not is_safe(match.group("name") or ""):
        # CKAN says "inline; filename=…": keep the name, never render.
        disposition = response.headers.get("Content-Disposition", "")
        response.headers["Content-Disposition"] = "attachment" + (disposition[len("inline"):]
                                                                  if disposition.startswith("inline") else "")
    return response


class ServedFiles(IUploader, IMiddleware):
    """Mixed into GongkaiPlugin (plugin.py): the two hooks above."""

    def get_uploader(self, upload_to: str, old_filename: str | None):
        return None      # group and user images: CKAN's own uploader

    def get_resource_uploader(self, resource: dict[str, Any]) -> ResourceUpload:
        return SafeResourceUpload(resource)

    def make_middleware(self, app, config):
        if hasattr(app, "after_request"):     # the Flask app
            app.after_request(download_headers)
        return app
