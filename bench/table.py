"""Markdown tables of results (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def cell(value: Any) -> str:
    """Numbers rounded for reading (ms to 0.1 below 10, else whole), None/NaN as a dash, text escaped for tables."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '–'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, int):
        return f'{value:,}'
    if isinstance(value, float):
        if abs(value) < 10:
            return f'{value:.1f}' if abs(value) >= 0.05 or value == 0 else f'{value:.2g}'
        return f'{value:,.0f}'
    return str(value).replace('|', '\\|').replace('\n', ' ')


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: Sequence[bool] | None = None
) -> str:
    """A GitHub markdown table; numeric columns (default: guessed from the first row) are right-aligned."""
    if numeric is None:
        first = rows[0] if rows else []
        numeric = [isinstance(value, int | float) and not isinstance(value, bool) for value in first]
        numeric = [*numeric, *[False] * (len(headers) - len(numeric))]
    align = ['---:' if right else '---' for right in numeric]
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join(align) + '|']
    for row in rows:
        lines.append('| ' + ' | '.join(cell(value) for value in row) + ' |')
    return '\n'.join(lines)
