"""Celery task of the account links: ``hms.account_email`` sends a password-reset or address-confirmation link, or
the "your password was changed" email, exactly once (a delivery claimed by key). The raw token travels in the task's
arguments only (never stored); the task returns no token and logs none."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from hms.domain.enums import Channel
from hms.notify import email
from hms.notify.message import DeliveryError
from hms.notify.sink import sink_port
from hms.services import account_links, deliveries

from .worker import worker_context

logger = logging.getLogger(__name__)

EMAIL_RETRIES = deliveries.MAX_ATTEMPTS - 1
EMAIL_BACKOFF_SECONDS = 15


@shared_task(name=account_links.EMAIL_TASK, bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def account_email(self: Any, kind: str, token_id: int, token: str, delivery_id: int | None = None) -> str:
    """One account email; temporary failures are retried with exponential back-off."""
    ctx = worker_context()
    settings = ctx.settings
    with ctx.uow() as uow:
        found = account_links.compose(uow, settings, kind, token_id, token)
        if found is None:
            return 'nothing to send'
        user_id, message = found
        if delivery_id is None:
            claim = deliveries.claim(
                uow,
                account_links.delivery_key(kind, token_id),
                kind='account',
                channel=Channel.EMAIL,
                recipient=message.to_email,
                subject=message.subject,
                user_id=user_id,
            )
        else:
            claim = deliveries.reclaim_for_retry(uow, delivery_id)
    if claim is None:
        return 'already sent'
    try:
        email.send(message, settings, sink_port=sink_port(settings.data_path))
    except DeliveryError as error:
        with ctx.uow() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, str(error), permanent=error.permanent)
        if error.permanent or self.request.retries >= EMAIL_RETRIES:
            logger.warning('account email %s (link %s): failed for good (%s)', kind, token_id, error)
            return 'failed'
        raise self.retry(
            kwargs={'kind': kind, 'token_id': token_id, 'token': token, 'delivery_id': claim.delivery_id},
            countdown=EMAIL_BACKOFF_SECONDS * 2**self.request.retries,
            exc=error,
        ) from error
    with ctx.uow() as uow:
        deliveries.mark_sent(uow, claim.delivery_id)
    return 'sent'
