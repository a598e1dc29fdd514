"""The PII gate: every output cell, column name and text about to be published is scanned for personal data.

Any hit is a `pii-detected` error and blocks the publication; what a hit looks like is gongkai.personal's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace

import pandas as pd

from gongkai.personal import KIND_EN, KIND_ZH, Hit, find_pii, find_pii_in_value
from gongkai.problems import Problems, Where


def _add(problems: Problems, where: Where, hit: Hit) -> None:
    problems.add("pii-detected", where, kind=KIND_ZH[hit.kind], kind_en=KIND_EN[hit.kind], masked=hit.masked)


def scan_for_pii(items: Iterable[tuple[Where, object]], problems: Problems, names: Collection[str] = (),
                 column_kind: str | None = None) -> int:
    """Scan (place, value) pairs; each hit is a `pii-detected` error. Returns the number of hits."""
    count = 0
    for where, value in items:
        for hit in find_pii_in_value(value, names, column_kind):
            _add(problems, where, hit)
            count += 1
    return count


def scan_frame(frame: pd.DataFrame, where_for: Callable[[int, str], Where], problems: Problems,
               names: Collection[str] = (), kinds: Mapping[str, str] | None = None) -> int:
    """Every cell of an output table, and its column names.

    `kinds` maps a column to the personal kind its source header said (columns.py): every value
    of such a column is a hit. `names` are a roster's names, looked for in every text cell.
    """
    kinds = kinds or {}
    count = scan_for_pii(((Where(field=f"列名 column name: {column}"), str(column)) for column in frame.columns),
                         problems)
    for column in frame.columns:
        series = frame[column]
        if column not in kinds and pd.api.types.is_numeric_dtype(series.dtype) \
                and not pd.api.types.is_bool_dtype(series.dtype):
            # Numbers below 10^10 hold no identifier (a mobile has 11 digits): skip them fast.
            large = (pd.to_numeric(series, errors="coerce").abs() >= 1e10).fillna(False).astype(bool)
            big = series[large.to_numpy()]
            items = ((where_for(index, column), value) for index, value in big.items())
        else:
            items = ((where_for(index, column), value) for index, value in series.items())
        count += scan_for_pii(items, problems, names, kinds.get(column))
    return count


def scan_text(text: str, where: Where, problems: Problems, names: Collection[str] = ()) -> int:
    """Free text: metadata fields, notes, sheet names, the contents of CSV or JSON files.

    For multi-line text without a cell of its own, the problem names the line.
    """
    count = 0
    normalized = unicodedata.normalize("NFKC", text)   # the positions find_pii reports are in this
    for hit in find_pii(text, names):
        place = where
        if not where.cell and "\n" in normalized:
            place = replace(where, cell=f"第{normalized.count(chr(10), 0, hit.start) + 1}行 line")
        _add(problems, place, hit)
        count += 1
    return count
