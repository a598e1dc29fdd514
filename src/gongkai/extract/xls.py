"""Error cells of a legacy .xls (BIFF8), which calamine returns as empty cells.

Walks the records of the workbook stream: BOUNDSHEET names each sheet and where it starts,
BOOLERR holds a typed error (#N/A), FORMULA holds the cached result of a formula that failed (=1/0).
"""

from __future__ import annotations

import struct

from gongkai.extract.cells import CellError

FORMULA, FILEPASS, BOUNDSHEET, BOOLERR, BOF = 0x0006, 0x002F, 0x0085, 0x0205, 0x0809
XLS_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
              0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


class EncryptedXls(Exception):
    """The workbook stream starts with FILEPASS: everything after it is encrypted."""


def error_cells(stream: bytes) -> dict[str, dict[tuple[int, int], CellError]]:
    """{sheet name: {(row, col): CellError}} for every error cell of a BIFF8 workbook stream."""
    sheet_at: dict[int, str] = {}   # stream offset of a sheet's BOF -> its name
    found: dict[str, dict[tuple[int, int], CellError]] = {}
    sheet = None
    pos = 0
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + size]
        if kind == FILEPASS and sheet is None:
            raise EncryptedXls()
        if kind == BOUNDSHEET and len(body) >= 8:
            sheet_at[struct.unpack_from("<I", body)[0]] = _sheet_name(body)
        elif kind == BOF:
            sheet = sheet_at.get(pos)
        elif sheet is not None and (code := _error_code(kind, body)) is not None:
            row, col = struct.unpack_from("<HH", body)
            found.setdefault(sheet, {})[(row, col)] = CellError(XLS_ERRORS.get(code, "#VALUE!"))
        pos += 4 + size
    return found


def _sheet_name(body: bytes) -> str:
    length, high_byte = body[6], body[7] & 1  # BIFF8 short unicode string: compressed or UTF-16
    text = body[8:8 + length * (2 if high_byte else 1)]
    return text.decode("utf-16-le" if high_byte else "latin-1")


def _error_code(kind: int, body: bytes) -> int | None:
    if kind == BOOLERR and len(body) >= 8 and body[7] == 1:        # fError set: body[6] is the code
        return body[6]
    if kind == FORMULA and len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:
        return body[8]                                             # cached result of type "error"
    return None
