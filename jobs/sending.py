"""Sending a claimed delivery: the one way the tasks send a message and record what became of it.

A delivery is claimed by its unique key before anything is sent (``hms.services.deliveries``), so a repeated task
finds the claim and sends nothing. Every attempt at one delivery carries the same Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from hms.context import AppContext
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel
from hms.notify.message import DeliveryError, Message
from hms.services import deliveries, reminders

from .worker import worker_context

logger = logging.getLogger(__name__)

EMAIL_RETRIES = deliveries.MAX_ATTEMPTS - 1
EMAIL_BACKOFF_SECONDS = 15


def claim_email(
    uow: UnitOfWork, key: str, *, kind: str, user_id: int | None, message: Message, delivery_id: int | None
) -> deliveries.Claim | None:
    """Claim an email's delivery by its key (None: sent, failed for good, or being sent right now); a retry of the
    task (``delivery_id`` given) takes its own claim again."""
    if delivery_id is not None:
        return deliveries.reclaim_for_retry(uow, delivery_id)
    return deliveries.claim(
        uow,
        key,
        kind=kind,
        channel=Channel.EMAIL,
        recipient=message.to_email,
        subject=message.subject,
        user_id=user_id,
    )


def send_once(ctx: AppContext, delivery_id: int, channel: Channel, message: Message) -> DeliveryError | None:
    """Send the message of a claimed delivery once; the failure, or None when it went out (nothing is recorded)."""
    message = replace(message, reference=deliveries.message_reference(ctx.settings, delivery_id))
    try:
        reminders.send_on(channel, message, ctx.settings)
    except DeliveryError as error:
        return error
    except Exception as unexpected:  # a bug or a passing fault: retried like an outage, never lost silently
        logger.exception('delivery %s (%s): unexpected error while sending', delivery_id, channel.value)
        return DeliveryError(f'unexpected {type(unexpected).__name__}', permanent=False)
    return None


def send_email(
    task: Any,
    delivery_id: int,
    message: Message,
    kwargs: dict[str, Any],
    *,
    what: str,
    backoff_seconds: int = EMAIL_BACKOFF_SECONDS,
) -> str:
    """Send a claimed email and record the outcome; after a temporary failure the task runs again (with ``kwargs``
    and the delivery's id) after an exponential back-off, up to ``EMAIL_RETRIES`` times."""
    ctx = worker_context()
    error = send_once(ctx, delivery_id, Channel.EMAIL, message)
    if error is None:
        with ctx.uow() as uow:
            deliveries.mark_sent(uow, delivery_id)
        return 'sent'
    with ctx.uow() as uow:
        deliveries.mark_failed(uow, delivery_id, str(error), permanent=error.permanent)
    if error.permanent or task.request.retries >= EMAIL_RETRIES:
        logger.warning('%s: email failed for good (%s)', what, error)
        return 'failed'
    raise task.retry(
        kwargs={**kwargs, 'delivery_id': delivery_id},
        countdown=backoff_seconds * 2**task.request.retries,
        exc=error,
    ) from error
