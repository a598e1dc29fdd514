"""The keyed pseudonymous household id: HMAC-SHA256 of the household's normalised ID number.

Rosters of different months are linked by it (households new this month, gone since last
month) without keeping an ID number anywhere. The key is the bureau's: it comes from the
environment or a Prefect Secret block, never from the repository, and without the key the
id cannot be recomputed from an ID number. It is never published.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable

from gongkai.personal import id18_check_char, is_resident_id15, is_resident_id18

KEY_ENV = "GONGKAI_HMAC_KEY"
SECRET_BLOCK = "gongkai-hmac-key"
MIN_KEY_LENGTH = 32      # characters: 32 hex digits are 128 bits, the least worth keeping secret
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")


class KeyMissing(Exception):
    """No usable key; `reason_zh` / `reason_en` say which way it is missing."""

    def __init__(self, reason_zh: str, reason_en: str):
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


def normalise_id(raw) -> tuple[str | None, str]:
    """(the 18-character ID, "") or (None, why not): full-width digits folded, x upper-cased,
    a 15-digit ID upgraded to 18. Excel keeps 15 significant digits of a number, so an 18-digit ID
    stored as a number is lost; a 15-digit one survives."""
    if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= 1e15):
        return None, "mangled"
    if isinstance(raw, (int, float)):
        raw = str(int(raw))
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().lstrip("'").replace(" ", "").upper()
    if not text:
        return None, "empty"
    if _SCIENTIFIC.match(text):
        return None, "mangled"
    if len(text) == 15 and is_resident_id15(text):
        first17 = text[:6] + "19" + text[6:]
        return first17 + id18_check_char(first17), ""
    if is_resident_id18(text):
        return text, ""
    return None, "invalid"


def load_key() -> bytes:
    """The bureau's key: GONGKAI_HMAC_KEY, else the Prefect Secret block gongkai-hmac-key."""
    key = os.environ.get(KEY_ENV) or _secret_block()
    if not key:
        raise KeyMissing("未设置", "it is not set")
    if len(key.strip()) < MIN_KEY_LENGTH:
        raise KeyMissing(f"密钥太短（少于 {MIN_KEY_LENGTH} 个字符）", f"the key is shorter than {MIN_KEY_LENGTH} characters")
    return key.strip().encode("utf-8")


def _secret_block() -> str | None:
    """The key from Prefect's Secret block, when running inside a flow (Prefect's API is there)."""
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        return None     # outside a flow (gongkai validate, notice) there is no API to ask
    from prefect.blocks.system import Secret

    try:
        return Secret.load(SECRET_BLOCK).get()
    except ValueError:  # no such block
        return None


def household_id(id18: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised ID, hex: the same household gives the same id every month."""
    return hmac.new(key, id18.encode("ascii"), hashlib.sha256).hexdigest()


def household_ids(id18s: Iterable[str], key: bytes) -> set[str]:
    """`household_id` of every ID of a roster: the keyed state is built once and copied per ID
    (half the time of a new HMAC each, at a million households)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    ids = set()
    for id18 in id18s:
        state = keyed.copy()
        state.update(id18.encode("ascii"))
        ids.add(state.hexdigest())
    return ids
