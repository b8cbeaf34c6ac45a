"""The outbox drain: hands the tasks that committed changes left waiting (the broker was down at the time) to the
broker. Beat runs it every minute and a worker once at start-up; each row is claimed, so drains never overlap."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from hms.runtime import outbox

from .worker import worker_context

logger = logging.getLogger(__name__)

DRAIN_TASK = 'hms.drain_outbox'
MAX_BATCHES = 10  # a minute's drain hands over at most this many batches; the next minute goes on


@shared_task(name=DRAIN_TASK, bind=True, ignore_result=True)
def drain_outbox(self: Task) -> dict[str, int]:
    """Hand waiting outbox rows to the broker; forget rows dispatched long ago."""
    ctx = worker_context()

    def send(task: str, kwargs: dict[str, Any]) -> None:
        self.app.send_task(task, kwargs=kwargs, ignore_result=True)

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
