"""Celery tasks. ``@shared_task`` binds them to whichever app is current, so the module never imports the app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name='hms.ping')
def ping() -> str:
    """Health check: a worker that answers is consuming from the broker and can write results."""
    return 'pong'
