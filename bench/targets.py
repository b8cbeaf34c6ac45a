"""The issue's targets, checked against one scale's results (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    scale: str  # the scale it applies to, or 'any'
    what: str
    limit: float
    unit: str
    pick: Callable[[dict[str, Any]], float | None]


def _api(name: str, field: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda result: (result.get('api') or {}).get(name, {}).get(field)


def _row(section: str, prefix: str, field: str, scale: float = 1.0) -> Callable[[dict[str, Any]], float | None]:
    def pick(result: dict[str, Any]) -> float | None:
        for row in result.get(section) or []:
            if row['what'].startswith(prefix) and row.get(field) is not None:
                return float(row[field]) * scale
        return None

    return pick


def _browser(result: dict[str, Any]) -> float | None:
    rows = (result.get('browser') or {}).get('pages') or []
    found = [row['median_ms'] for row in rows if row['what'] == 'admin dashboard']
    return found[0] if found else None


_COLD = _row('dashboard', 'API /admin/stats, cold', 'median_ms')
_WARM = _row('dashboard', 'API /admin/stats, warm', 'median_ms')
TARGETS = [
    Target('small', 'booking p95, 20 clients', 50, 'ms', _api('booking (distinct free slots)', 'p95_ms')),
    Target('small', 'doctor search p95, 20 clients', 50, 'ms', _api('doctor search', 'p95_ms')),
    Target('large', 'admin stats cold (API, median)', 300, 'ms', _COLD),
    Target('large', 'admin stats warm (API, median)', 20, 'ms', _WARM),
    Target('any', '5 000 reminders', 60, 's', _row('jobs', 'reminders', 'wall_s')),
    Target('large', '100 000-row CSV export', 5, 's', _row('jobs', 'CSV export', 'wall_s')),
    Target('any', 'admin dashboard usable in the browser (median)', 2000, 'ms', _browser),
    Target('large', 'web process peak RSS', 400, 'MB', lambda result: (result.get('memory') or {}).get('web_mb')),
]


def check(scale: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target that applies to ``scale``: the value measured and whether it is under the limit."""
    rows = []
    for target in TARGETS:
        if target.scale not in (scale, 'any'):
            continue
        value = target.pick(result)
        met = None if value is None or math.isnan(value) else value < target.limit
        rows.append(
            {
                'target': f'{target.what} < {target.limit:g} {target.unit}',
                'measured': value,
                'unit': target.unit,
                'met': met,
            }
        )
    return rows
