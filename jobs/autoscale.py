"""The worker's pool size: one process while the clinic is quiet, a second while tasks queue behind a busy one.

Celery's own autoscaler grows the pool as soon as two tasks are held at once — every minute, when the beat sends its
sweeps together — and shrinks it only after 30 s without any task, so a worker idled with both processes. This one
grows only when work has waited ``GROW_AFTER_SECONDS`` (a long task blocking a short one, the month's reports and
their helpers) and shrinks after ``IDLE_SECONDS`` in which nothing waited.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from celery.worker.autoscale import Autoscaler

MIN_PROCESSES, MAX_PROCESSES = 1, 2  # pool processes of a worker (each holds ~100 MB when fresh)
WORKER_MEMORY_LIMIT_KIB = 180_000  # a pool process above this after a task is replaced by a fresh one
CHECK_SECONDS = 1.0  # how often the worker's event loop asks (Celery calls it the keepalive)
GROW_AFTER_SECONDS = 1.0
IDLE_SECONDS = 60.0


class PatientAutoscaler(Autoscaler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, 'keepalive': CHECK_SECONDS})
        self._waiting_since: float | None = None
        self._busy_at = monotonic()

    def _maybe_scale(self, req: Any = None) -> bool | None:
        wanted = self.decide(self.qty, self.processes, monotonic())
        if wanted > 0:
            self.scale_up(wanted)
            return True
        if wanted < 0:
            self.scale_down(-wanted)  # Celery shrinks only processes that are idle
            return True
        return None

    def decide(self, held: int, processes: int, now: float) -> int:
        """Processes to add (> 0) or stop (< 0) with ``held`` tasks reserved or running on ``processes``."""
        if held >= processes:
            self._busy_at = now
        if held > processes:
            if self._waiting_since is None:
                self._waiting_since = now
            if now - self._waiting_since >= GROW_AFTER_SECONDS and processes < self.max_concurrency:
                self._waiting_since = None
                return min(held, self.max_concurrency) - processes
            return 0
        self._waiting_since = None
        if processes > self.min_concurrency and now - self._busy_at >= IDLE_SECONDS:
            return max(held, self.min_concurrency) - processes
        return 0
