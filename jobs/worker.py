"""The worker process's one application context: the job system plugged in, created on first use from the
environment (``python main.py worker``), or the one the process already has (tests, an embedded worker)."""

from __future__ import annotations

from hms import context
from hms.context import AppContext


def worker_context() -> AppContext:
    """The context every task works in; the first task of a worker process creates it."""
    try:
        return context.get()
    except RuntimeError:
        from .celery_app import open_queue  # the worker sends follow-up tasks through the same app

        context.plug_task_queue(open_queue)
        return context.get_or_init()
