"""A real Redis for tests: the embedded server on a short unix socket, emptied before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from hms.runtime.redis_server import EmbeddedRedis

from .processes import short_folder


@contextmanager
def embedded_redis(prefix: str) -> Iterator[EmbeddedRedis]:
    """An embedded Redis in a new short folder (for the unix socket path limit), stopped and removed afterwards."""
    with short_folder(prefix) as folder:
        server = EmbeddedRedis(folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope='session')
def redis_server() -> Iterator[EmbeddedRedis]:
    with embedded_redis('hms-r-') as server:
        yield server


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of an empty Redis, also set as HMS_REDIS_URL for code that reads settings."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    monkeypatch.setenv('HMS_REDIS_URL', redis_server.url)
    return redis_server.url
