"""Latency statistics of one measured scenario: percentiles, throughput and error counts (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks, as numpy's default does."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError('q must be between 0 and 100')
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """What one scenario measured: requests, median, p95 and p99 in ms, requests per second, failures, and the CPU
    milliseconds per request of each process of the system (``cpu_ms``: main, web, worker, beat, redis, total)."""

    requests: int
    median_ms: float
    p95_ms: float
    max_ms: float
    per_second: float
    errors: int  # server errors (5xx) and transport failures
    rejected: int = 0  # 4xx answers (e.g. 409 for a slot taken in between), counted apart from errors
    # CPU the web process spent per request: unlike latency, hardly moved by other load on a shared machine
    server_cpu_ms: float = math.nan
    p99_ms: float = math.nan
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(latencies_s: Sequence[float], wall_s: float, *, errors: int = 0, rejected: int = 0) -> Summary:
    """Summarise latencies (seconds) of requests that ran for ``wall_s`` seconds in all."""
    ms = [value * 1000 for value in latencies_s]
    count = len(ms)
    return Summary(
        requests=count,
        median_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms) if ms else math.nan,
        per_second=count / wall_s if wall_s > 0 else math.nan,
        errors=errors,
        rejected=rejected,
    )


def ratio(value: float, baseline: float) -> float:
    """value / baseline, NaN when the baseline is zero or missing."""
    if not baseline or math.isnan(baseline):
        return math.nan
    return value / baseline


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request of each part, from process CPU totals read before and after the timed phase."""
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / max(1, requests) for name in after}
