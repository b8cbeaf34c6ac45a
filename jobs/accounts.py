"""Celery task of the account links: ``hms.account_email`` sends a password-reset or address-confirmation link, or
the "your password was changed" email, exactly once (a delivery claimed by key). The raw token travels in the task's
arguments only (never stored); the task returns no token and logs none."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from hms.services import account_links

from .sending import EMAIL_RETRIES, claim_email, send_email
from .worker import worker_context


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
        key = account_links.delivery_key(kind, token_id)
        claim = claim_email(uow, key, kind='account', user_id=user_id, message=message, delivery_id=delivery_id)
    if claim is None:
        return 'already sent'
    kwargs = {'kind': kind, 'token_id': token_id, 'token': token}
    return send_email(self, claim.delivery_id, message, kwargs, what=f'account email {kind} (link {token_id})')
