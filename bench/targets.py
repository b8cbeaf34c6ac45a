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


def _cpu(name: str, part: str = 'total') -> Callable[[dict[str, Any]], float | None]:
    return lambda result: ((result.get('api') or {}).get(name, {}).get('cpu_ms') or {}).get(part)


def _idle_rss(part: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda result: ((result.get('memory_idle') or {}).get('rss_mb') or {}).get(part)


def _rate(name: str) -> Callable[[dict[str, Any]], float | None]:
    """Requests per second as a value that must stay *under* the limit (its reciprocal: ms between answers)."""

    def pick(result: dict[str, Any]) -> float | None:
        rate = (result.get('api') or {}).get(name, {}).get('per_second')
        return 1000 / rate if rate else None

    return pick


_COLD = _row('dashboard', 'API /admin/stats, cold', 'median_ms')
_WARM = _row('dashboard', 'API /admin/stats, warm', 'median_ms')
_BOOKING = 'booking (distinct free slots)'
_READS = ('departments', 'doctors (list)', 'doctor search', 'free slots of a doctor', 'admin stats (last 30 days)')
TARGETS = [
    *[Target('small', f'{name}: whole-system CPU per request', 1.5, 'ms', _cpu(name)) for name in _READS],
    Target('small', "patient's history: whole-system CPU per request", 3, 'ms', _cpu("patient's history")),
    Target('small', 'GET /api/health: whole-system CPU per request', 0.4, 'ms', _cpu('baseline GET /api/health')),
    *[Target('small', f'{name} p95, 10 clients', 25, 'ms', _api(name, 'p95_ms')) for name in _READS],
    Target('small', 'booking: whole-system CPU per booking (confirmation sent)', 5, 'ms', _cpu(_BOOKING)),
    Target('small', 'booking: web process CPU per booking', 2.5, 'ms', _cpu(_BOOKING, 'web')),
    Target('small', 'booking p95, 10 clients', 50, 'ms', _api(_BOOKING, 'p95_ms')),
    Target('small', 'booking: ms between bookings (≥ 150 bookings/s)', 1000 / 150, 'ms', _rate(_BOOKING)),
    Target('large', 'admin stats cold (API, median)', 300, 'ms', _COLD),
    Target('large', 'admin stats warm (API, median)', 10, 'ms', _WARM),
    Target('any', '5 000 reminders', 60, 's', _row('jobs', 'reminders', 'wall_s')),
    Target('large', 'monthly reports of every doctor', 30, 's', _row('jobs', 'monthly report', 'wall_s')),
    Target('large', '100 000-row CSV export', 5, 's', _row('jobs', 'CSV export', 'wall_s')),
    Target('any', 'admin dashboard usable in the browser (median)', 2000, 'ms', _browser),
    Target('any', 'worker idle RSS', 250, 'MB', _idle_rss('worker')),
    Target('any', 'web idle RSS', 150, 'MB', _idle_rss('web')),
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
