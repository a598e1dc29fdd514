"""Anonymize stage: the PII gate over every output cell, name and text, and name masking for 公示 lists."""

from gongkai.anonymize.pii import (
    find_pii,
    is_bank_card,
    is_resident_id15,
    is_resident_id18,
    mask_name,
    mask_text,
    scan_for_pii,
    scan_frame,
    scan_text,
)

__all__ = ["find_pii", "is_bank_card", "is_resident_id15", "is_resident_id18", "mask_name", "mask_text",
           "scan_for_pii", "scan_frame", "scan_text"]
