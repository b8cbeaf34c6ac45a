"""Celery tasks of the rescue of appointments a leave or closure strands (the rules are ``hms.services.rescue``).

``hms.rescue_email`` sends the patient the nearest free times as one-tap links, exactly once (a delivery claimed by
key); ``hms.rescue_deadlines`` (every five minutes, from beat) cancels, with notice, what was not rebooked by its
deadline; a run that changed something is a run of the 'rescue-deadlines' job.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from hms.services import job_runs, rescue

from .sending import claim_email, send_email
from .worker import worker_context

DEADLINES_TASK = 'hms.rescue_deadlines'
JOB = 'rescue-deadlines'


@shared_task(name=rescue.RESCUE_EMAIL_TASK, bind=True, acks_late=True, max_retries=5)
def rescue_email(self: Any, case_id: int, delivery_id: int | None = None) -> str:
    ctx = worker_context()
    with ctx.uow() as uow:
        found = rescue.rescue_message(uow, ctx.settings, case_id)
        if found is None:
            return 'nothing to send'
        user_id, message = found
        key = f'rescue:{case_id}:email'
        claim = claim_email(uow, key, kind='waitlist', user_id=user_id, message=message, delivery_id=delivery_id)
    if claim is None:
        return 'already sent'
    return send_email(self, claim.delivery_id, message, {'case_id': case_id}, what=f'rescue {case_id}')


@shared_task(name=DEADLINES_TASK, acks_late=True, ignore_result=True)
def rescue_deadlines() -> dict[str, int]:
    """Cancel the stranded appointments not rebooked by their deadline (their patients are told)."""
    ctx = worker_context()
    with ctx.uow() as uow:
        cancelled, closed = rescue.cancel_overdue(uow, ctx.settings)
    if cancelled or closed:
        with ctx.uow() as uow:
            run_id = job_runs.start_run(uow, JOB)
            job_runs.finish_run(
                uow, run_id, sent=cancelled, failed=0, skipped=closed, detail={'cancelled': cancelled, 'closed': closed}
            )
    return {'cancelled': cancelled, 'closed': closed}
