"""Extract: read .xlsx, .xls and CSV sources into plain sheets of raw cells, nothing interpreted.

The stage first finds the period's source files (`find_sources`). Every file becomes a list of `Sheet`s whose cells keep their raw value (str, int, float, date,
None, or a `CellError` for "#DIV/0!" and formulas never calculated) at their real position, so
later stages can name the exact cell (D17). A file is read by what it holds, not by its name
(a warning says when they differ). A file that cannot be read is a problem in the run's report,
in Chinese and English with what to do, never a traceback.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from gongkai.extract import xls, xlsx
from gongkai.extract.cells import ERROR_CODES, FORMULA_WITHOUT_VALUE, CellError, ExtractError
from gongkai.extract.ole import MAGIC as OLE_MAGIC
from gongkai.extract.ole import CompoundFile
from gongkai.extract.text import decode_text, read_csv_rows
from gongkai.problems import Problems, Where
from gongkai.spec import Spec

__all__ = ["find_sources", "Sheet", "CellError", "FORMULA_WITHOUT_VALUE", "ERROR_CODES", "read_file", "read_files",
           "cell_ref", "column_letter", "decode_text", "ExtractError"]

ZIP_MAGIC = b"PK\x03\x04"
# The extensions each real format may carry without a warning.
SUFFIXES = {"xlsx": {".xlsx", ".xlsm", ".xlsb", ".ods"}, "xls": {".xls"}, "csv": {".csv", ".txt"}}
LABELS = {"xlsx": ".xlsx", "xls": ".xls", "csv": "CSV"}

SheetFilter = Callable[[str], bool]


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
    # A CSV cut off at its end: the 0-based index of its last complete row (rows after it are partial).
    truncated_at: int | None = None

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


# ---- what the file really is ------------------------------------------------------------------

def _encrypted() -> ExtractError:
    return ExtractError("工作簿设有打开密码", "the workbook is protected with a password", slug="encrypted-workbook")


def _load(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExtractError("文件不存在", "the file does not exist") from None
    except OSError as error:
        raise ExtractError("无法打开文件，请检查文件权限", "cannot open the file; check its permissions",
                           error.strerror or "") from None
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise ExtractError("文件是空的", "the file is empty", slug="empty-file")
    return data


def _sniff(data: bytes) -> str:
    """The real format from the first bytes: "xlsx" (a zip), "xls" (an OLE container) or "csv"."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    if data.startswith(b"%PDF"):
        raise ExtractError("这是 PDF 文件，不是表格；请提交原始的 Excel 表", "this is a PDF, not a spreadsheet; "
                           "send the original Excel file")
    return "csv"


def _check_extension(path: Path, real: str, problems: Problems) -> None:
    if path.suffix.lower() not in SUFFIXES[real]:
        problems.add("extension-mismatch", Where(file=path.name),
                     suffix=path.suffix or "—", actual=LABELS[real])


# ---- workbooks ----------------------------------------------------------------------------------

def _empty_as_none(rows: list[list]) -> list[list]:
    """calamine gives "" for empty cells; keep None so "empty" has one spelling. In place: a copy of
    a million-row sheet's lists would double its memory at the peak."""
    for row in rows:
        for i, value in enumerate(row):
            if value == "":
                row[i] = None
    return rows


def _open_container(data: bytes) -> CompoundFile:
    """The OLE container of an .xls; refuses an encrypted .xlsx (also an OLE container) first."""
    try:
        container = CompoundFile(data)
    except Exception as error:  # noqa: BLE001 - any damage to the container
        raise ExtractError("文件已损坏（不是完整的 .xls 文件）；请在 Excel 中打开并重新保存",
                           "the file is damaged (not a complete .xls file); open it in Excel and save it again",
                           str(error)) from None
    if {"encryptioninfo", "encryptedpackage"} & container.names:  # an .xlsx saved with a password
        raise _encrypted()
    if not {"workbook", "book"} & container.names:
        raise ExtractError("这是 Office 文件，但不是 Excel 工作簿（可能是 Word 文档）",
                           "an Office file but not an Excel workbook (a Word document?)")
    return container


def _xls_errors(container: CompoundFile) -> dict[str, dict[tuple[int, int], CellError]]:
    """Error cells of an .xls, per sheet; refuses an encrypted .xls."""
    if "workbook" not in container.names:  # Excel 5/95 (BIFF5): calamine reads it; errors not looked for
        return {}
    try:
        return xls.error_cells(container.read("workbook"))
    except xls.EncryptedXls:
        raise _encrypted() from None


def _translate(error: Exception) -> ExtractError:
    """A library's failure to open a workbook, said in words an officer can act on."""
    if isinstance(error, python_calamine.PasswordError):
        return _encrypted()
    detail = str(error).strip() or type(error).__name__
    if isinstance(error, python_calamine.ZipError):
        return ExtractError("文件已损坏（.xlsx 压缩包不完整，可能未复制完）；请重新导出或在 Excel 中另存",
                            "the file is damaged (its .xlsx zip archive is incomplete, perhaps not fully "
                            "copied); export it again or save it again in Excel", detail)
    return ExtractError("文件已损坏或不是 Excel 能打开的工作簿；请在 Excel 中打开并另存为 .xlsx",
                        "the file is damaged or not a workbook Excel can open; open it in Excel and save "
                        "it as .xlsx", detail)


def _with_special_cells(rows: list[list], special: dict[tuple[int, int], CellError | str]) -> list[list]:
    for (row, col), value in special.items():
        while len(rows) <= row:
            rows.append([])
        rows[row].extend([None] * (col + 1 - len(rows[row])))
        # An uncalculated formula reads as empty; never hide a value calamine did find.
        if value != FORMULA_WITHOUT_VALUE or rows[row][col] is None:
            rows[row][col] = value
    return rows


def _read_sheet(workbook, path: Path, name: str, special) -> Sheet:
    raw = workbook.get_sheet_by_name(name)
    # skip_empty_area=False keeps row/column 0 at A1, so positions are real cell positions.
    rows = _empty_as_none(raw.to_python(skip_empty_area=False))
    merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (raw.merged_cell_ranges or [])]
    return Sheet(path, name, _with_special_cells(rows, special), merged)


def _read_workbook(path: Path, data: bytes, container: CompoundFile | None, problems: Problems,
                   sheets: SheetFilter | None) -> list[Sheet]:
    """The sheets of an .xlsx (container None) or .xls that pass `sheets`, with their error cells."""
    xls_errors = _xls_errors(container) if container else {}
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))  # by content, not name
    except Exception as error:  # noqa: BLE001
        raise _translate(error) from None
    with workbook:
        cells = None if container else xlsx.XlsxCells(data)
        out = []
        for name in workbook.sheet_names:
            if sheets is not None and not sheets(name):
                continue  # never read: a sheet nobody asked for cannot fail the file
            try:
                special = cells.special(name) if cells else xls_errors.get(name, {})
                out.append(_read_sheet(workbook, path, name, special))
            except Exception as error:  # noqa: BLE001 - one damaged sheet; the others still count
                problems.add("unreadable-file", Where(path.name, name), **_translate(error).params)
        return out


# ---- CSV ----------------------------------------------------------------------------------------

def _read_csv(path: Path, data: bytes, problems: Problems) -> Sheet:
    rows, truncated_at = read_csv_rows(data)
    sheet = Sheet(path, path.stem, rows, truncated_at=truncated_at)
    if truncated_at is not None:
        problems.add("truncated-file", sheet.where(truncated_at, 0), row=truncated_at + 1)
    return sheet


# ---- entry points -------------------------------------------------------------------------------

def read_file(path: Path, problems: Problems, sheets: SheetFilter | None = None) -> list[Sheet]:
    """The sheets of one source file whose names pass `sheets` (all if None; a CSV is always read).

    An unreadable file adds a problem (`unreadable-file`, `encrypted-workbook`, `empty-file`) and
    yields no sheets; a file whose extension lies about its format is read anyway, with a warning.
    """
    path = Path(path)
    try:
        data = _load(path)
        real = _sniff(data)
        container = _open_container(data) if real == "xls" else None  # an encrypted .xlsx is no mismatch
        _check_extension(path, real, problems)
        if real == "csv":
            return [_read_csv(path, data, problems)]
        return _read_workbook(path, data, container, problems, sheets)
    except ExtractError as error:
        problems.add(error.slug, Where(file=path.name), **error.params)
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's fault, reported, not raised
        problems.add("unreadable-file", Where(file=path.name), **_translate(error).params)
    return []


def read_files(paths: list[Path], problems: Problems, sheets: SheetFilter | None = None) -> list[Sheet]:
    return [sheet for path in paths for sheet in read_file(path, problems, sheets)]


def find_sources(spec: Spec, source: Path | None, problems: Problems) -> list[Path]:
    """Every source file in the directory (the spec's, or `source`), or the one file given."""
    source = Path(source or spec.source_directory)
    if source.is_file():
        return [source]
    # ~$name.xlsx is the lock file Excel leaves beside an open workbook, not a source.
    files = sorted({f for pattern in spec.source.files for f in source.glob(pattern)
                    if f.is_file() and not f.name.startswith("~$")})
    if not files:
        problems.add("no-source-files", Where(file=str(source)), directory=str(source))
    return files
