"""Celery tasks of the reminders feature: the daily reminder run, confirmations of changes, and the delivery of one
message on one channel with retries.

Exactly once: every message is claimed by its unique delivery key (``hms.services.deliveries.claim``) before it is
queued, so a run that repeats, overlaps with itself or follows a dead worker skips what was claimed already. Only
ids cross the broker (JSON); ``hms.deliver`` composes the message again from them when it sends.

Temporary failures (SMTP unreachable, 4xx answers, HTTP 5xx) are retried with exponential back-off; permanent ones
(SMTP 5xx, HTTP 4xx) are recorded on the delivery row for the admin and not retried.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Any

from celery import Task, shared_task

from hms.context import AppContext
from hms.domain.enums import Channel
from hms.services import deliveries, job_runs, reminders

from .sending import send_once
from .worker import worker_context

logger = logging.getLogger(__name__)

DELIVER_TASK = 'hms.deliver'
BACKOFF_SECONDS = 2.0  # the first retry waits this long, each further one twice as long (2, 4, 8, 16, 32 s)
# A run that found deliveries claimed but unfinished (an overlapping run, or a worker that died after claiming)
# looks again once such a claim would count as abandoned, and takes those over; a few times at most.
FOLLOW_UP_SECONDS = deliveries.STALE_CLAIM.total_seconds() + 60
MAX_FOLLOW_UPS = 3
_context_lock = threading.Lock()


def backoff(attempt: int) -> float:
    """Seconds before the retry that follows failed attempt ``attempt`` (1-based)."""
    return BACKOFF_SECONDS * 2 ** (attempt - 1)


@shared_task(name='hms.daily_reminders', bind=True)
def daily_reminders(
    self: Task, run_id: int | None = None, day: str | None = None, follow_up: int = 0
) -> dict[str, Any]:
    """Remind every patient with a booked appointment on ``day`` (ISO date; default today in the clinic's zone)."""
    ctx = worker_context()
    settings = ctx.settings
    the_day = date.fromisoformat(day) if day else reminders.today(settings)
    detail: dict[str, Any] = {'day': the_day.isoformat()}
    if self.request.hostname:  # the node's restart resumes a run it was killed in (jobs.recovery)
        detail['node'] = self.request.hostname
    if follow_up:
        detail['follow_up'] = follow_up
    with ctx.uow() as uow:
        run_id = job_runs.get_or_start(uow, reminders.JOB, run_id, detail=detail)
    queued = skipped = in_flight = 0
    due: list[reminders.DueReminder] = []
    try:
        with ctx.uow() as uow:
            due = reminders.due_reminders(uow, settings, the_day)
            for item in due:
                claim = deliveries.claim(
                    uow,
                    item.key,
                    kind=reminders.REMINDER,
                    channel=item.channel,
                    recipient=item.recipient,
                    subject=item.subject,
                    user_id=item.patient_id,
                    appointment_id=item.appointment_id,
                )
                if claim is None:
                    skipped += 1
                    in_flight += int(deliveries.in_flight(uow, item.key))
                    continue
                _queue(
                    self,
                    claim,
                    appointment_id=item.appointment_id,
                    channel=item.channel,
                    kind=reminders.REMINDER,
                    run_id=run_id,
                    day=the_day.isoformat(),
                )
                queued += 1
            reminders.settle_run(uow, run_id, queued=queued, skipped=skipped, detail={'in_flight': in_flight})
    except Exception as error:
        logger.exception('reminders %s: the run failed after queueing %s', the_day, queued)
        with ctx.uow() as uow:
            reminders.fail_run(uow, run_id, type(error).__name__)  # the log has the detail; rows never hold data
        raise
    if not due:
        logger.info('reminders %s: nothing due', the_day)
    else:
        logger.info('reminders %s: %s queued, %s already claimed', the_day, queued, skipped)
    if in_flight and follow_up < MAX_FOLLOW_UPS:
        self.app.send_task(
            'hms.daily_reminders',
            kwargs={'day': the_day.isoformat(), 'follow_up': follow_up + 1},
            countdown=FOLLOW_UP_SECONDS,
            ignore_result=True,
        )
    return {'run_id': run_id, 'day': the_day.isoformat(), 'queued': queued, 'skipped': skipped}


@shared_task(name='hms.appointment_email', bind=True)
def appointment_email(self: Task, appointment_id: int, kind: str, sequence: int | None = None) -> str:
    """The patient's confirmation of a booking, a move or a cancellation (with the .ics), once per change.

    ``sequence`` is the appointment's as the change left it (from the outbox): a newer change supersedes this one."""
    ctx = worker_context()
    with ctx.uow() as uow:
        plan = reminders.plan_confirmation(uow, ctx.settings, appointment_id, kind)
        if plan is not None and sequence is not None and plan.sequence != sequence:
            plan = None
        if plan is None:
            logger.info(
                'confirmation: appointment %s changed again before its %s email; not sent', appointment_id, kind
            )
            return 'superseded'
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
    _queue(self, claim, appointment_id=appointment_id, channel=Channel.EMAIL, kind=kind, sequence=plan.sequence)
    return 'queued'


@shared_task(name='hms.redeliver', bind=True)
def redeliver(self: Task, delivery_id: int) -> str:
    """Send a reminder or confirmation again after ``deliveries.reopen`` (the admin's retry of a failed one)."""
    ctx = worker_context()
    with ctx.uow() as uow:
        delivery = deliveries.record(uow, delivery_id)
        if (
            delivery is None
            or delivery.appointment_id is None
            or delivery.kind not in (reminders.REMINDER, 'confirmation')
        ):
            return 'unknown'
        key, channel, appointment_id = delivery.key, delivery.channel, delivery.appointment_id
        claim = deliveries.claim(
            uow, key, kind=delivery.kind, channel=channel, recipient=delivery.recipient, subject=delivery.subject
        )
    if claim is None:
        return 'skipped'
    parts = key.split(':')
    if parts[0] == 'reminder':  # reminder:{day}:appointment:{id}:{channel}
        _queue(self, claim, appointment_id=appointment_id, channel=channel, kind=reminders.REMINDER, day=parts[1])
    else:  # confirmation:appointment:{id}:seq:{sequence}:{kind}:email
        _queue(self, claim, appointment_id=appointment_id, channel=channel, kind=parts[5], sequence=int(parts[4]))
    return 'queued'


def _queue(
    task: Task,
    claim: deliveries.Claim,
    *,
    appointment_id: int,
    channel: Channel,
    kind: str,
    run_id: int | None = None,
    day: str | None = None,
    sequence: int | None = None,
) -> None:
    kwargs = {
        'delivery_id': claim.delivery_id,
        'attempt': claim.attempt,
        'appointment_id': appointment_id,
        'channel': channel.value,
        'kind': kind,
        'run_id': run_id,
        'day': day,
        'sequence': sequence,
    }
    task.app.send_task(DELIVER_TASK, kwargs=kwargs, ignore_result=True)  # outcomes live on the delivery row


@shared_task(name=DELIVER_TASK, bind=True, acks_late=True, max_retries=deliveries.MAX_ATTEMPTS)
def deliver(
    self: Task,
    delivery_id: int,
    attempt: int,
    appointment_id: int,
    channel: str,
    kind: str,
    run_id: int | None = None,
    day: str | None = None,
    sequence: int | None = None,
) -> str:
    """Send one claimed delivery: compose its message from the ids, send it, record the outcome or retry."""
    ctx = worker_context()
    settings = ctx.settings
    on = Channel(channel)
    with ctx.uow() as uow:
        # Held by this node from now on, unless it was sent, failed for good, or taken over after this message was
        # held up too long (then its attempt moved on).
        if not deliveries.take(uow, deliveries.Claim(delivery_id, attempt)):
            return 'not ours'
        message = reminders.compose(
            uow,
            settings,
            appointment_id=appointment_id,
            channel=on,
            kind=kind,
            day=date.fromisoformat(day) if day else None,
            sequence=sequence,
        )
    if message is None:
        return _failed(ctx, delivery_id, run_id, 'not sent: the appointment changed before sending')
    error = send_once(ctx, delivery_id, on, message)
    if error is not None:
        if error.permanent:
            return _failed(ctx, delivery_id, run_id, str(error))
        with ctx.uow() as uow:
            deliveries.mark_failed(uow, delivery_id, str(error), permanent=False)  # final after MAX_ATTEMPTS
            retry = deliveries.reclaim_for_retry(uow, delivery_id)
            if retry is None:
                reminders.count_outcome(uow, run_id, sent=False)
                logger.warning('delivery %s (%s): gave up after %s attempts: %s', delivery_id, on, attempt, error)
                return 'failed'
        logger.info('delivery %s (%s): attempt %s failed (%s); retrying', delivery_id, on, attempt, error)
        raise self.retry(
            kwargs={**(self.request.kwargs or {}), 'attempt': retry.attempt},
            countdown=backoff(attempt),
            max_retries=deliveries.MAX_ATTEMPTS,
        ) from error
    with ctx.uow() as uow:
        deliveries.mark_sent(uow, delivery_id)
        reminders.count_outcome(uow, run_id, sent=True)
    return 'sent'


def _failed(ctx: AppContext, delivery_id: int, run_id: int | None, error: str) -> str:
    with ctx.uow() as uow:
        deliveries.mark_failed(uow, delivery_id, error, permanent=True)
        reminders.count_outcome(uow, run_id, sent=False)
    logger.warning('delivery %s: failed for good: %s', delivery_id, error)
    return 'failed'
