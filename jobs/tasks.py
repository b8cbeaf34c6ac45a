"""Celery tasks. ``@shared_task`` binds them to whichever app is current, so the module never imports the app."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from hms.context import AppContext
from hms.domain.enums import Channel
from hms.runtime.dispatch import CONFIRMATION_TASK
from hms.services import deliveries, reminders

from .reminders import DELIVER_TASK, backoff
from .sending import send_once
from .worker import worker_context

logger = logging.getLogger(__name__)


@shared_task(name='hms.ping')
def ping() -> str:
    """Health check: a worker that answers is consuming from the broker and can write results."""
    return 'pong'


@shared_task(name=CONFIRMATION_TASK, bind=True)
def confirmation(self: Task, appointment_id: int, kind: str, sequence: int | None = None) -> str:
    """The patient's email about a change (booked, moved, cancelled, or the visit's documents), in one task.

    The outbox hands this task over once per change. It reads the appointment once and composes the email with its
    .ics, claims its delivery key (exactly once, as every delivery: a redelivered or repeated task finds the claim and
    sends nothing), sends it on this process's kept SMTP connection and records the outcome. A temporary failure
    hands the claimed delivery to ``hms.deliver``, which retries with back-off as for every other delivery; a worker
    killed in between leaves a claim that its restart (``jobs.recovery``) or the claim's staleness gives back.

    ``sequence`` is the appointment's as the change left it: a newer change supersedes this one (its own email
    follows)."""
    ctx = worker_context()
    settings = ctx.settings
    with ctx.uow() as uow:
        planned = reminders.confirmation(uow, settings, appointment_id, kind, sequence)
        if planned is None:
            logger.info('confirmation: appointment %s changed again before its %s email', appointment_id, kind)
            return 'superseded'
        plan, message = planned
        claim = deliveries.claim(
            uow,
            plan.key,
            kind='confirmation',
            channel=Channel.EMAIL,
            recipient=plan.recipient,
            subject=plan.subject,
            user_id=plan.patient_id,
            appointment_id=appointment_id,
        )
    if claim is None:
        return 'skipped'
    if message is None:
        return _settle(ctx, claim.delivery_id, 'not sent: the appointment changed before sending', permanent=True)
    error = send_once(ctx, claim.delivery_id, Channel.EMAIL, message)
    if error is not None:
        if error.permanent:
            return _settle(ctx, claim.delivery_id, str(error), permanent=True)
        with ctx.uow() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, str(error), permanent=False)
            retry = deliveries.reclaim_for_retry(uow, claim.delivery_id)
        if retry is None:
            return 'failed'
        logger.info('delivery %s (email): attempt %s failed (%s); retrying', claim.delivery_id, claim.attempt, error)
        self.app.send_task(
            DELIVER_TASK,
            kwargs={
                'delivery_id': retry.delivery_id,
                'attempt': retry.attempt,
                'appointment_id': appointment_id,
                'channel': Channel.EMAIL.value,
                'kind': kind,
                'run_id': None,
                'day': None,
                'sequence': plan.sequence,
            },
            countdown=backoff(claim.attempt),
            ignore_result=True,
        )
        return 'retrying'
    with ctx.uow() as uow:
        deliveries.mark_sent(uow, claim.delivery_id)
    return 'sent'


def _settle(ctx: AppContext, delivery_id: int, error: str, *, permanent: bool) -> str:
    with ctx.uow() as uow:
        deliveries.mark_failed(uow, delivery_id, error, permanent=permanent)
    logger.warning('delivery %s: failed for good: %s', delivery_id, error)
    return 'failed'
