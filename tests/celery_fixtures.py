"""A real Celery worker for tests: a worker thread in the test process (celery.contrib.testing) over the real
embedded Redis, running the project's own app and tasks against the test's database and settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from hms import context
from hms.context import AppContext
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
