"""The two things a raw cell can be besides a value: an Excel error, or a reason the file cannot be read."""

from __future__ import annotations

from dataclasses import dataclass

# What Excel shows in a cell whose formula failed. The first seven are the classic ones; the
# others come from newer Excel versions and can appear in .xlsx files (and CSVs exported from them).
ERROR_CODES = frozenset({"#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!",
                         "#SPILL!", "#CALC!", "#GETTING_DATA"})


@dataclass(frozen=True)
class CellError:
    """A cell with no usable value: an Excel error such as "#DIV/0!", or a formula never calculated.

    Readers would give "" or 0 for these; keeping them distinct means a later stage reports them at
    their cell instead of summing a wrong number. `str()` gives the code as Excel shows it.
    """

    code: str

    def __str__(self) -> str:
        return self.code

    @property
    def formula_without_value(self) -> bool:
        """A formula saved by a tool that never calculated it: open and save the workbook in Excel."""
        return self == FORMULA_WITHOUT_VALUE


FORMULA_WITHOUT_VALUE = CellError("formula-without-value")


class ExtractError(Exception):
    """A source file cannot be read (corrupt, wrong format, unknown encoding): bad data, never retried.

    Carries the reason in Chinese and English, so the report never shows a library's message alone;
    `detail` (the library's own words, if they help) goes in parentheses at the end. `slug` is the
    problem reported: `unreadable-file` unless a more precise kind fits (`encrypted-workbook`, ...).
    """

    def __init__(self, zh: str, en: str, detail: str = "", slug: str = "unreadable-file"):
        self.zh, self.en, self.detail, self.slug = zh, en, detail, slug
        super().__init__(f"{en} ({detail})" if detail else en)

    @property
    def params(self) -> dict:
        suffix_zh, suffix_en = (f"（{self.detail}）", f" ({self.detail})") if self.detail else ("", "")
        return {"reason_zh": self.zh + suffix_zh, "reason_en": self.en + suffix_en}
