"""Looking for secrets in everything a run left behind: console output, files, Prefect's database, the portal.

Reusable after `make demo` (tests/privacy/test_demo_scan.py): `find_secrets(secrets, sources)` takes the
secrets (names, ID numbers, phones, accounts, addresses) and the places to look: texts, `Path`s of files
or folders (searched whole: Parquet through pyarrow, everything else as bytes), or (label, text) pairs,
such as `portal_sources(portal, names)` gives for every resource download, every DataStore table and
every metadata field of some datasets. Each secret is looked for in the spellings it leaks in:
an ID without its check digit, a phone with dashes or spaces, an account in groups of four, and the
\\u escapes JSON writes for Chinese text (Prefect's database stores JSON).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

Source = str | Path | tuple[str, str | bytes]


@dataclass(frozen=True)
class Leak:
    secret: str
    spelling: str
    place: str

    def __str__(self) -> str:
        return f"{self.secret!r} (as {self.spelling!r}) in {self.place}"


def spellings(secret: str) -> set[str]:
    """A secret and the other ways it is written: these must not appear anywhere either."""
    secret = secret.strip()
    found = {secret}
    digits = re.sub(r"\D", "", secret)
    if re.fullmatch(r"\d{17}[\dXx]", secret):
        found.add(secret[:17])                                    # an ID without its check digit
    if re.fullmatch(r"1\d{10}", digits):
        found |= {f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"}
    if 16 <= len(digits) <= 19 and digits == secret:
        groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        found |= {" ".join(groups), "-".join(groups)}             # an account as printed on a card
    if len(digits) >= 7 and digits != secret and re.fullmatch(r"[\d\s()+-]+", secret):
        found.add(digits)                                         # 0878-8212345 as 08788212345
    found |= {json.dumps(s)[1:-1] for s in list(found) if not s.isascii()}   # 高国 as \u9ad8\u56fd
    return found


def file_text(path: Path) -> str:
    """A file as text to search: Parquet's compressed pages through pyarrow, other files as UTF-8 bytes."""
    content = path.read_bytes()
    if path.suffix == ".parquet":
        return _parquet_text(content)
    return content.decode("utf-8", errors="replace")


def texts(sources: Iterable[Source]) -> Iterator[tuple[str, str]]:
    """(place, text) of every source; a folder gives each file under it."""
    for source in sources:
        if isinstance(source, tuple):
            label, content = source
            yield label, content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
        elif isinstance(source, Path):
            files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
            for path in files:
                yield str(path), file_text(path)
        else:
            yield "text", source


def find_secrets(secrets: Iterable[str], sources: Iterable[Source]) -> list[Leak]:
    """Every secret (in any of its spellings) found in the sources."""
    wanted = {spelling: secret for secret in secrets for spelling in spellings(secret)}
    return [Leak(secret, spelling, place) for place, text in texts(sources)
            for spelling, secret in wanted.items() if spelling in text]


def portal_sources(portal, names: Iterable[str], token: str | None = None) -> Iterator[tuple[str, str]]:
    """Everything of these datasets the portal gives out: metadata (package_show), every resource's
    download, every DataStore table (datastore_search, all rows)."""
    import requests

    headers = {"Authorization": token} if token else {}
    for name in names:
        dataset = portal.action.package_show(id=name)
        yield f"{name}: package_show", json.dumps(dataset, ensure_ascii=False)
        for resource in dataset["resources"]:
            response = requests.get(resource["url"], headers=headers, timeout=60)
            response.raise_for_status()
            content = response.content
            if resource["url"].endswith(".parquet"):
                content = _parquet_text(content)
            yield f"{name}: {resource['name']} (download)", content
            if resource.get("datastore_active"):
                yield f"{name}: {resource['name']} (DataStore)", _datastore_text(portal, resource["id"])


def _parquet_text(content: bytes) -> str:
    import pyarrow.parquet

    table = pyarrow.parquet.read_table(io.BytesIO(content))
    return json.dumps(table.to_pylist(), ensure_ascii=False, default=str) + ",".join(table.column_names)


def _datastore_text(portal, resource_id: str, page: int = 10_000) -> str:
    parts, offset = [], 0
    while True:
        found = portal.action.datastore_search(resource_id=resource_id, limit=page, offset=offset)
        parts.append(json.dumps(found["records"], ensure_ascii=False) + json.dumps(found["fields"], ensure_ascii=False))
        offset += page
        if offset >= found.get("total", 0):
            return "\n".join(parts)


def sample_secrets(repo: Path) -> list[str]:
    """The made-up personal data every sample generator declares in its `PERSONAL` list."""
    import ast

    found = []
    for script in sorted((repo / "datasets" / "samples").glob("*.py")):
        match = re.search(r"^PERSONAL\s*=\s*(\[.*?\])", script.read_text(encoding="utf-8"), re.S | re.M)
        if match:
            found += ast.literal_eval(match.group(1))
    return sorted(set(found))
