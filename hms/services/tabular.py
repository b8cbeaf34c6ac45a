"""CSV files people open in spreadsheets: RFC 4180, UTF-8 with a BOM, and text cells that cannot run as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)  # all one character: a set lookup of the first one is the same test


def safe_cell(value: Any) -> Any:
    """Numbers pass through; text starting like a formula is prefixed with an apostrophe, shown but never run."""
    kind = type(value)
    if kind is str:  # most cells: checked first and cheaply (an export calls this a million times)
        return f"'{value}" if value[:1] in _FORMULA_STARTS else value
    if kind is int or kind is float:
        return value
    if value is None:
        return ''
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\r\n')
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return '\ufeff'.encode() + buffer.getvalue().encode('utf-8')
