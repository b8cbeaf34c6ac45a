"""A real Redis for tests: the embedded server on a short unix socket, emptied before each test that uses it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hms.runtime.redis_server import EmbeddedRedis


@pytest.fixture(scope='session')
def redis_server() -> Iterator[EmbeddedRedis]:
    folder = Path(tempfile.mkdtemp(prefix='hms-r-', dir='/tmp'))
    server = EmbeddedRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of an empty Redis, also set as HMS_REDIS_URL for code that reads settings."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    monkeypatch.setenv('HMS_REDIS_URL', redis_server.url)
    return redis_server.url
