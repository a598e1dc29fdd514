"""CSV sources: decode GBK or UTF-8, read any line ending, keep error codes, notice a cut-off end."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from gongkai.extract.cells import ERROR_CODES, CellError, ExtractError


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
        raise ExtractError("无法识别文字编码（应为 UTF-8 或 GBK）；请在 Excel 中另存为“CSV UTF-8”",
                           "unknown text encoding (expected UTF-8 or GBK); save it from Excel as \"CSV UTF-8\"")
    return str(best)


# Some systems "export to Excel" by saving an HTML table under an .xls name.
WEB_PAGE = re.compile(r"\s*(<!DOCTYPE\s+html|<html|<table|<\?xml[^>]*>\s*<html)", re.IGNORECASE)


def _mostly_unprintable(text: str) -> bool:
    """Random bytes decode as GB18030 more often than not: real text has few control characters."""
    sample = text[:8192]
    controls = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\t\r\n")
    return controls > max(2, len(sample) // 100)


def csv_cell(value: str):
    """None for an empty cell; an Excel error code exported as text (#DIV/0!) stays an error."""
    if value == "":
        return None
    return CellError(value) if value in ERROR_CODES else value


def _dialect(text: str):
    # The sniffer looks at \n-separated lines; show it old-Mac (\r) files the same way.
    sample = text[:4096].replace("\r\n", "\n").replace("\r", "\n")
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        return csv.excel


def _ends_inside_quotes(text: str, dialect) -> bool:
    """True if the text stops in the middle of a quoted field (a file cut off while copying)."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), dialect, strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)  # strict mode's words for "EOF inside quotes"
    return False


def last_complete_row(text: str, rows: list[list], dialect) -> int | None:
    """The 0-based index of the last complete row if the file is cut off at its end, else None.

    Cut off means the text ends inside a quoted field, or its last line (with no line break after
    it, as an export always writes) has fewer cells than the table's widest row.
    """
    if len(rows) < 2:
        return None
    if _ends_inside_quotes(text, dialect):
        return len(rows) - 2
    width = max(len(row) for row in rows[:-1])
    if not text.endswith(("\n", "\r")) and 0 < len(rows[-1]) < width:
        return len(rows) - 2
    return None


def read_csv_rows(data: bytes) -> tuple[list[list], int | None]:
    """The raw cells of a CSV file and, if it is cut off, its last complete row."""
    text = decode_text(data)
    if "\x00" in text or _mostly_unprintable(text):
        raise ExtractError("不是文本表格（含二进制数据）；请提交 .xlsx、.xls 或 CSV 文件",
                           "not a text table (it holds binary data); send an .xlsx, .xls or CSV file")
    if WEB_PAGE.match(text):
        raise ExtractError("这是网页（HTML），不是表格文件；请用 Excel 打开后另存为 .xlsx",
                           "this is a web page (HTML), not a spreadsheet: open it in Excel and save it as .xlsx")
    dialect = _dialect(text)
    # newline="" lets the csv module see \r\n, \n and a lone \r (old Mac) as line ends itself,
    # and keeps line breaks inside quoted cells.
    rows = [[csv_cell(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    return rows, last_complete_row(text, rows, dialect)
