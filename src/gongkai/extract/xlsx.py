"""Cells of an .xlsx that calamine returns wrong: error cells, formulas without a saved value, long digit runs.

Excel saves each formula's result next to it (<f>1/0</f><v>#DIV/0!</v>); tools that write formulas
without calculating them (openpyxl, some report generators) save no result, and every reader sees an
empty cell. A number cell whose saved value has 16 or more digits (an ID number or bank account a
system exported as a number) comes back as a float that has lost its last digits; its saved text is
kept instead, so a text field publishes it exactly and the PII gate sees the real number. All are
found by reading the sheet's XML, only when it holds a formula, an error or such a number.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from gongkai.extract.cells import FORMULA_WITHOUT_VALUE, CellError

# A cheap test on the raw XML before parsing it: a formula element or an error-typed cell.
MAY_HOLD_SPECIAL = re.compile(rb"<(?:\w+:)?f[\s/>]|\st=[\"']e[\"']|<(?:\w+:)?v>-?\d{16,}<")
LONG_DIGITS = re.compile(r"-?\d{16,}")
CHUNK, OVERLAP = 1 << 22, 4096   # the overlap: longer than any cell MAY_HOLD_SPECIAL can match
OFFICE_DOCUMENT = "/officeDocument"  # end of the relationship type of the workbook part


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """{relationship id: (type, target part)} of a part, targets resolved to paths in the zip."""
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_path not in archive.namelist():
        return {}
    out = {}
    for rel in ElementTree.fromstring(archive.read(rels_path)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = (rel.get("Type", ""), path)
    return out


def _cell_position(ref: str) -> tuple[int, int]:
    letters, digits = re.fullmatch(r"([A-Za-z]+)(\d+)", ref).groups()
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - ord("A") + 1
    return int(digits) - 1, col - 1


class XlsxCells:
    """The special cells of each sheet of one .xlsx, found sheet by sheet on demand."""

    def __init__(self, data: bytes):
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        self.parts = self._sheet_parts()

    def _sheet_parts(self) -> dict[str, str]:
        """{sheet name: path of its XML in the zip}."""
        workbook = next((path for kind, path in _rels(self.archive, "").values() if kind.endswith(OFFICE_DOCUMENT)), None)
        if workbook is None or not workbook.endswith(".xml"):  # .xlsb and .ods keep their sheets otherwise
            return {}
        targets = _rels(self.archive, workbook)
        parts = {}
        for element in ElementTree.fromstring(self.archive.read(workbook)).iter():
            if _local(element.tag) == "sheet":
                rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                if rel_id in targets:
                    parts[element.get("name")] = targets[rel_id][1]
        return parts

    def special(self, sheet: str) -> dict[tuple[int, int], CellError | str]:
        """{(row, col): CellError or digits} for the error cells, uncalculated formulas and long numbers of a sheet."""
        part = self.parts.get(sheet)
        if part is None or part not in self.archive.namelist():
            return {}
        # Streamed: a million-row sheet's XML is hundreds of MB, never held whole.
        if not self._may_hold_special(part):
            return {}
        with self.archive.open(part) as xml:
            return _scan(xml)

    def _may_hold_special(self, part: str) -> bool:
        """Whether the sheet's XML has a formula, an error cell or a long number, searched chunk by chunk."""
        tail = b""
        with self.archive.open(part) as xml:
            while chunk := xml.read(CHUNK):
                if MAY_HOLD_SPECIAL.search(tail + chunk):
                    return True
                tail = chunk[-OVERLAP:]   # a match cut by a chunk boundary is found in the next
        return False


def _scan(xml) -> dict[tuple[int, int], CellError | str]:
    found = {}
    row, col = -1, -1
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start" and tag == "row":
            # r= may be omitted; then rows and cells simply follow each other
            row, col = (int(element.get("r")) - 1 if element.get("r") else row + 1), -1
        elif event == "end" and tag == "c":
            row, col = _cell_position(element.get("r")) if element.get("r") else (row, col + 1)
            if (value := _special(element)) is not None:
                found[(row, col)] = value
            element.clear()
    return found


def _special(cell) -> CellError | str | None:
    children = {_local(child.tag): child for child in cell}
    value = children.get("v")
    text = None if value is None else (value.text or "")
    if cell.get("t") == "e" and text:
        return CellError(text.strip())
    if cell.get("t") in (None, "n") and "f" not in children and text and LONG_DIGITS.fullmatch(text.strip()):
        return text.strip()
    # A formula with no saved result. An empty <v></v> is a real result only for a text formula
    # that returned "" (t="str"); openpyxl writes <v/> for every formula it cannot calculate.
    if "f" in children and (text is None or (text == "" and cell.get("t") != "str")):
        return FORMULA_WITHOUT_VALUE
    return None
