"""A real Celery worker for tests: a worker thread in the test process (celery.contrib.testing) over the real
embedded Redis, running the project's own app and tasks against the test's database and settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from hms import context
from hms.config import Settings
from hms.context import AppContext
from hms.runtime.dispatch import CompositePublisher
from jobs.celery_app import create_celery


@pytest.fixture
def worker_context(ctx: AppContext, redis_url: str) -> AppContext:
    """The test's context, switched to the real Redis (events and cache included)."""
    return context.init(ctx.settings.model_copy(update={'redis_url': redis_url}))


@pytest.fixture
def celery_app(worker_context: AppContext) -> Celery:
    app = create_celery(worker_context.settings)
    app.set_current()
    app.set_default()
    return app


@pytest.fixture
def celery_worker(celery_app: Celery) -> Iterator[Celery]:
    """A started worker thread (solo pool); stopped, and its thread joined, when the test ends."""
    with start_worker(celery_app, pool='solo', perform_ping_check=False, loglevel='WARNING', shutdown_timeout=30):
        yield celery_app


def mailing_context(worker_context: AppContext, smtp_port: int, **settings: object) -> Iterator[AppContext]:
    """For a fixture: the worker's context mailing through the test's SMTP server on ``smtp_port``, with ``settings``
    changed too; its publishers are closed afterwards."""
    update = {'smtp_host': '127.0.0.1', 'smtp_port': smtp_port, 'smtp_starttls': False, 'smtp_timeout_seconds': 5.0}
    ctx = context.init(worker_context.settings.model_copy(update={**update, **settings}))
    yield ctx
    if isinstance(ctx.publisher, CompositePublisher):
        ctx.publisher.close()


def current_celery(settings: Settings) -> Iterator[Celery]:
    """For a fixture: the project's Celery app for ``settings``, current and default while the test runs."""
    app = create_celery(settings)
    app.set_current()
    app.set_default()
    yield app
    app.close()


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = 'condition') -> Any:
    """Poll ``condition`` (from the test's thread, while the worker thread runs) until it gives something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')
