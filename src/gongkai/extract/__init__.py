"""Extract: read .xlsx, .xls and CSV sources into plain sheets of raw cells, nothing interpreted.

Every file becomes a list of `Sheet`s whose cells keep their raw value (str, int, float,
date or None) at their real position, so later stages can name the exact cell (D17).
A file that cannot be read is a problem in the run's report, never a traceback.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from gongkai.problems import Problems, Where

__all__ = ["Sheet", "read_file", "read_files", "cell_ref", "column_letter", "decode_text", "ExtractError"]

CALAMINE_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}


class ExtractError(Exception):
    """A source file cannot be read (corrupt, wrong format, unknown encoding): bad data, never retried."""


def column_letter(col: int) -> str:
    """0-based column index -> Excel letters: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """0-based row and column -> an A1 reference as Excel shows it: (16, 3) -> "D17"."""
    return f"{column_letter(col)}{row + 1}"


@dataclass
class Sheet:
    """One sheet (a CSV is one sheet named after its file stem) with raw cells at their real positions."""

    file: Path
    name: str
    rows: list[list]                                   # rows[r][c]; None for an empty cell
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r0, c0, r1, c1), inclusive

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def value(self, row: int, col: int):
        """The raw value of a cell, or None outside the sheet."""
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def merged_range(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        return next(((r0, c0, r1, c1) for r0, c0, r1, c1 in self.merged
                     if r0 <= row <= r1 and c0 <= col <= c1), None)

    def display_value(self, row: int, col: int):
        """The value a reader sees: a cell inside a merged range shows the range's top-left value."""
        span = self.merged_range(row, col)
        return self.value(span[0], span[1]) if span else self.value(row, col)

    def where(self, row: int, col: int, field_name: str = "") -> Where:
        return Where(self.file.name, self.name, cell_ref(row, col), field_name)


def _cell(value):
    # calamine gives "" for empty cells; keep None so "empty" has one spelling.
    return None if value == "" else value


def _read_calamine(path: Path) -> list[Sheet]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheets = []
        for name in workbook.sheet_names:
            raw = workbook.get_sheet_by_name(name)
            # skip_empty_area=False keeps row/column 0 at A1, so positions are real cell positions.
            rows = [[_cell(v) for v in row] for row in raw.to_python(skip_empty_area=False)]
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (raw.merged_cell_ranges or [])]
            sheets.append(Sheet(path, name, rows, merged))
        return sheets
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    """Decode a CSV export: UTF-8 (with or without BOM) or GBK/GB18030, as Chinese offices produce."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ExtractError("unknown text encoding (expected UTF-8 or GBK)")
    return str(best)


def _read_csv(path: Path) -> list[Sheet]:
    text = decode_text(path.read_bytes())
    if "\x00" in text:
        raise ExtractError("binary data in a CSV file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]
    return [Sheet(path, path.stem, rows)]


def read_file(path: Path, problems: Problems) -> list[Sheet]:
    """All sheets of one source file; an unreadable file adds `unreadable-file` and yields no sheets."""
    path = Path(path)
    try:
        if path.suffix.lower() in CSV_SUFFIXES:
            return _read_csv(path)
        return _read_calamine(path)
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's fault, reported, not raised
        message = str(error).strip() or type(error).__name__
        problems.add("unreadable-file", Where(file=path.name), error=message)
        return []


def read_files(paths: list[Path], problems: Problems) -> list[Sheet]:
    return [sheet for path in paths for sheet in read_file(path, problems)]
