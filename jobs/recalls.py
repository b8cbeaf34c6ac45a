"""The daily recall run: one reminder with a booking link to each patient whose follow-up is due within
``HMS_RECALL_DAYS_BEFORE`` days (hms.services.recalls).

Exactly once, across overlapping runs and worker restarts: each reminder is claimed by its unique delivery key before
it is sent (``hms.services.deliveries.claim``); a later run skips what was claimed, and takes over only a claim a
dead worker left pending. Its runs are on the admin's Jobs page like the other jobs.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import Task, shared_task

from hms.domain.enums import Channel
from hms.services import deliveries, job_runs, recalls

from .sending import send_once
from .worker import worker_context

logger = logging.getLogger(__name__)

RECALLS_TASK = 'hms.recalls'


@shared_task(name=RECALLS_TASK, bind=True)
def recall_run(self: Task, run_id: int | None = None, day: str | None = None) -> dict[str, Any]:
    """Send the recall reminders due on ``day`` (ISO date; default today in the clinic's zone)."""
    ctx = worker_context()
    settings = ctx.settings
    the_day = date.fromisoformat(day) if day else recalls.today(settings)
    detail: dict[str, Any] = {'day': the_day.isoformat()}
    if self.request.hostname:
        detail['node'] = self.request.hostname
    with ctx.uow() as uow:
        run_id = job_runs.get_or_start(uow, recalls.JOB, run_id, detail=detail)
    sent = failed = skipped = 0
    try:
        with ctx.uow() as uow:
            due = recalls.due_recalls(uow, settings, the_day)
        for item in due:
            with ctx.uow() as uow:
                claim = deliveries.claim(
                    uow,
                    item.key,
                    kind=recalls.KIND,
                    channel=Channel.EMAIL,
                    recipient=item.recipient,
                    subject=item.subject,
                    user_id=item.patient_id,
                )
                if claim is None:
                    skipped += 1
                    continue
                message = recalls.compose(uow, settings, item.treatment_id, item.due_on)
            if message is None:  # booked a moment ago
                with ctx.uow() as uow:
                    deliveries.mark_failed(uow, claim.delivery_id, 'not sent: booked before sending', permanent=True)
                skipped += 1
                continue
            error = send_once(ctx, claim.delivery_id, Channel.EMAIL, message)
            if error is not None:
                with ctx.uow() as uow:
                    deliveries.mark_failed(uow, claim.delivery_id, str(error), permanent=error.permanent)
                failed += 1
                continue
            with ctx.uow() as uow:
                deliveries.mark_sent(uow, claim.delivery_id)
            sent += 1
    except Exception as error:
        logger.exception('recalls %s: the run failed after %s sent', the_day, sent)
        with ctx.uow() as uow:
            job_runs.finish_run(
                uow,
                run_id,
                sent=sent,
                failed=failed,
                skipped=skipped,
                status='failed',
                detail={'error': type(error).__name__},
            )
        raise
    with ctx.uow() as uow:
        job_runs.finish_run(uow, run_id, sent=sent, failed=failed, skipped=skipped)
    logger.info('recalls %s: %s sent, %s failed, %s skipped', the_day, sent, failed, skipped)
    return {'run_id': run_id, 'day': the_day.isoformat(), 'sent': sent, 'failed': failed, 'skipped': skipped}
