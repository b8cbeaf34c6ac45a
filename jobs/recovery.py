"""A worker node's start-up recovery after it died (SIGKILL, power loss): what its previous life left half done is
picked up at once instead of after the ten-minute stale-claim wait or Redis's one-hour visibility timeout.

Celery requires node names to be unique among running workers, so claims held by this node's name and made before
this start belong to its dead previous life: they are released and their deliveries queued again (a new claim bumps
the attempt, so a copy of the old task that Redis hands back later does nothing). A daily reminder run that this node
left 'running' is marked failed and run again (claims skip everything already sent). Waiting outbox rows are drained.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import Celery
from celery.signals import task_prerun, worker_init, worker_ready

from hms import clock
from hms.services import deliveries, job_runs, reminders

logger = logging.getLogger(__name__)

INTERRUPTED = 'interrupted: the worker stopped during the run; run again after its restart'
_started: dict[str, datetime] = {}


@worker_init.connect
def _note_start(sender: Any = None, **_signal: Any) -> None:
    """The worker's start, before its pool and consumer run any task."""
    hostname = getattr(sender, 'hostname', None)
    if hostname:
        _started[hostname] = clock.now()


@task_prerun.connect
def _claim_as_this_node(task: Any = None, **_signal: Any) -> None:
    deliveries.set_owner(getattr(getattr(task, 'request', None), 'hostname', None))


@worker_ready.connect
def _recover_on_ready(sender: Any = None, **_signal: Any) -> None:
    hostname = getattr(sender, 'hostname', None)
    started_at = _started.get(hostname or '')
    if hostname and started_at is not None:
        try:
            recover(sender.app, hostname, started_at)
        except Exception:  # recovery is a shortcut: the stale-claim takeover still catches up later
            logger.exception('recovery of %s failed; abandoned claims are taken over after they go stale', hostname)


def recover(app: Celery, node: str, started_at: datetime) -> dict[str, int]:
    """Release ``node``'s claims from before ``started_at``, queue them again, re-run its interrupted runs."""
    from .outbox import DRAIN_TASK
    from .worker import worker_context

    ctx = worker_context()
    with ctx.uow() as uow:
        released = deliveries.release_claims_of(uow, node, started_at)
        interrupted = job_runs.fail_interrupted(
            uow, reminders.JOB, node=node, started_before=started_at, error=INTERRUPTED
        )
    days = [str(detail.get('day')) for detail in interrupted]
    for item in released:
        if item.kind in (reminders.REMINDER, 'confirmation'):
            app.send_task('hms.redeliver', kwargs={'delivery_id': item.delivery_id}, ignore_result=True)
        elif item.kind == 'export':  # export:{id}:email
            app.send_task('hms.export_email', kwargs={'export_id': int(item.key.split(':')[1])}, ignore_result=True)
        # other kinds (monthly reports) are claimable again now; their run's follow-up or a re-run takes them
    for day in sorted(set(days)):
        app.send_task('hms.daily_reminders', kwargs={'day': day}, ignore_result=True)
    app.send_task(DRAIN_TASK, ignore_result=True)
    if released or days:
        logger.warning(
            'recovery of %s: %d abandoned deliveries queued again, reminder runs resumed for %s',
            node,
            len(released),
            ', '.join(sorted(set(days))) or 'no day',
        )
    return {'released': len(released), 'runs': len(days)}
