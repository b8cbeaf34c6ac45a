"""Celery tasks of the waitlist (the rules are ``hms.services.offers``).

``hms.waitlist_slot_freed`` and ``hms.waitlist_slots_opened`` come from the outbox after a cancellation, new hours or
a withdrawn leave committed: they hold the time for the first matching waiting patient (idempotent: a second run
finds the slot held). ``hms.waitlist_offer_email`` sends the offer with its one-tap accept link, exactly once (a
delivery claimed by key). ``hms.waitlist_sweep`` (every minute, from beat) expires offers whose hold ran out and
offers each slot to the next patient; a sweep that changed something is a run of the 'waitlist-offers' job.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from celery import shared_task

from hms.services import job_runs, offers, refills

from .sending import EMAIL_RETRIES, claim_email, send_email
from .worker import worker_context

logger = logging.getLogger(__name__)

SWEEP_TASK = 'hms.waitlist_sweep'
JOB = 'waitlist-offers'


@shared_task(name=refills.SLOT_FREED_TASK, acks_late=True)
def slot_freed(doctor_id: int, start: str, freed_at: str) -> int | None:
    """Offer a slot a cancellation freed; the offer's id, if one was made."""
    ctx = worker_context()
    with ctx.uow() as uow:
        return offers.slot_freed(
            uow, ctx.settings, doctor_id, datetime.fromisoformat(start), datetime.fromisoformat(freed_at)
        )


@shared_task(name=refills.SLOTS_OPENED_TASK, acks_late=True)
def slots_opened(doctor_id: int | None, first_day: str, last_day: str) -> int:
    """Offer the free slots that new hours or a withdrawn leave or closure opened; how many offers were made."""
    ctx = worker_context()
    with ctx.uow() as uow:
        return offers.slots_opened(
            uow, ctx.settings, doctor_id, date.fromisoformat(first_day), date.fromisoformat(last_day)
        )


@shared_task(name=offers.OFFER_EMAIL_TASK, bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def offer_email(self: Any, offer_id: int, delivery_id: int | None = None) -> str:
    """The offer's email while it is held; temporary failures are retried with exponential back-off."""
    ctx = worker_context()
    with ctx.uow() as uow:
        found = offers.offer_message(uow, ctx.settings, offer_id)
        if found is None:
            return 'nothing to send'
        user_id, message = found
        key = f'waitlist-offer:{offer_id}:email'
        claim = claim_email(uow, key, kind='waitlist', user_id=user_id, message=message, delivery_id=delivery_id)
    if claim is None:
        return 'already sent'
    return send_email(self, claim.delivery_id, message, {'offer_id': offer_id}, what=f'offer {offer_id}')


@shared_task(name=SWEEP_TASK, acks_late=True, ignore_result=True)
def waitlist_sweep() -> dict[str, int]:
    """Expire offers whose hold ran out and offer their slots to the next patients (every minute)."""
    ctx = worker_context()
    with ctx.uow() as uow:
        expired, offered = offers.expire_overdue(uow, ctx.settings)
    if expired:
        with ctx.uow() as uow:
            run_id = job_runs.start_run(uow, JOB)
            job_runs.finish_run(
                uow, run_id, sent=offered, failed=0, skipped=0, detail={'expired': expired, 'offered': offered}
            )
    return {'expired': expired, 'offered': offered}
