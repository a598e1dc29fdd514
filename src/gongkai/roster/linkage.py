"""Linking rosters across months by the keyed household id: who is new, who has gone.

This machine keeps, per period, the sorted keyed ids of the households counted
(out/<dataset>/households/<period>.txt): no ID number, no name, and without the bureau's key
no id can be tied back to a person. The register is never packaged or published.
"""

from __future__ import annotations

from pathlib import Path


def register_path(root: Path, period: str) -> Path:
    return root / "households" / f"{period}.txt"


def previous_register(root: Path, period: str) -> tuple[str, set[str]] | None:
    """(period, ids) of the latest register before `period`, if this machine has one."""
    earlier = sorted(p.stem for p in (root / "households").glob("*.txt") if p.stem < period)
    if not earlier:
        return None
    return earlier[-1], set(register_path(root, earlier[-1]).read_text(encoding="ascii").split())


def write_register(root: Path, period: str, ids: set[str]) -> Path:
    path = register_path(root, period)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="ascii")
    return path
