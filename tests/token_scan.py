"""Test helper: is an API token written anywhere? Used by the security and the fault tests."""

from __future__ import annotations

from pathlib import Path


def needles(token: str) -> list[bytes]:
    """The token and, for a CKAN API token (a JWT), its signature alone: neither may be written anywhere."""
    found = [token.encode()]
    parts = token.split(".")
    if len(parts) == 3 and len(parts[2]) >= 16:
        found.append(parts[2].encode())
    return found


def files_holding(folder: Path, token: str) -> list[str]:
    """Every file under folder holding the token (or its signature)."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        if any(needle in content for needle in needles(token)):
            hits.append(str(path))
    return hits
