"""Personal data (个人信息): how it is recognised in a value or by its column's header, and how it is masked.

Below every stage: problems, reports and logs mask through it; the normalize stage reads personal
columns by it; the anonymize stage's PII gate (gongkai.anonymize.pii) scans outputs with it.
"""

from gongkai.personal.columns import (is_person_level, looks_like_name, personal_columns, personal_header,
                                      personal_kind, quote)
from gongkai.personal.values import (KIND_EN, KIND_LABELS, KIND_ZH, SURNAMES, Hit, by_length, find_pii,
                                     find_pii_in_value, id18_check_char, is_bank_card, is_resident_id15,
                                     is_resident_id18, mask_as, mask_name, mask_text)

__all__ = ["Hit", "KIND_EN", "KIND_LABELS", "KIND_ZH", "SURNAMES", "by_length", "find_pii", "find_pii_in_value",
           "id18_check_char", "is_bank_card", "is_person_level", "is_resident_id15", "is_resident_id18",
           "looks_like_name", "mask_as", "mask_name", "mask_text", "personal_columns", "personal_header",
           "personal_kind", "quote"]
