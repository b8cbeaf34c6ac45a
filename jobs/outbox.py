"""The outbox drain: hands the tasks that committed changes left waiting (the broker was down at the time), or that
the broker lost, to the broker. Beat runs it every minute and a worker once at start-up; each row is claimed, so
drains never overlap. Every task handed over from the outbox names its row in a header; the worker that runs it
marks the row done (``acknowledge``), so a task the broker lost is told apart from one that ran."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import task_postrun

from hms.runtime import outbox

from .worker import worker_context

logger = logging.getLogger(__name__)

DRAIN_TASK = 'hms.drain_outbox'
MAX_BATCHES = 10  # a minute's drain hands over at most this many batches; the next minute goes on


@shared_task(name=DRAIN_TASK, bind=True, ignore_result=True)
def drain_outbox(self: Task) -> dict[str, int]:
    """Hand waiting outbox rows to the broker; forget rows dispatched long ago."""
    ctx = worker_context()

    def send(task: str, kwargs: dict[str, Any], row_id: int) -> None:
        self.app.send_task(task, kwargs=kwargs, ignore_result=True, headers={outbox.OUTBOX_HEADER: row_id})

    dispatched = failed = 0
    with ctx.uow() as uow:
        for _batch in range(MAX_BATCHES):
            drained = outbox.dispatch(uow, send)
            dispatched, failed = dispatched + drained.dispatched, failed + drained.failed
            if drained.failed or not drained.dispatched or not drained.left:
                break
        purged = outbox.purge(uow)
    if dispatched or failed:
        logger.info('outbox: %d task(s) handed to the broker, %d failed', dispatched, failed)
    return {'dispatched': dispatched, 'failed': failed, 'purged': purged}


@task_postrun.connect
def acknowledge(task: Task | None = None, **_: Any) -> None:
    """A task handed over from the outbox ran (whatever its outcome): its row is done."""
    row_id = getattr(task.request, outbox.OUTBOX_HEADER, None) if task is not None else None
    if not isinstance(row_id, int):
        return
    try:
        with worker_context().uow() as uow:
            outbox.mark_done(uow, row_id)
    except Exception:  # the row is handed over once more later; its task is idempotent
        logger.warning('outbox: row %s ran but could not be marked done', row_id, exc_info=True)
