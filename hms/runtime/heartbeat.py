"""The beat scheduler's heartbeat: a timestamp the scheduler process itself writes to Redis every few seconds.

It proves that the *scheduler* is alive (not only that a worker answers): the Jobs page and ``GET /api/admin/jobs``
read it and call the scheduler late or down when it grows old. Kept without expiry, so an old one still tells when the
scheduler was last seen.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

import redis

from hms import clock

KEY = 'hms:scheduler:heartbeat'
INTERVAL_SECONDS = 10.0  # the scheduler writes at least this often (its loop never sleeps longer)
TIMEOUT_SECONDS = 1.0


def _client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def record(redis_url: str, at: datetime | None = None) -> None:
    """Write the heartbeat (raises redis.RedisError when Redis does not answer)."""
    client = _client(redis_url)
    try:
        client.set(KEY, json.dumps({'at': (at or clock.now()).isoformat(), 'pid': os.getpid()}))
    finally:
        client.close()


def last(redis_url: str) -> datetime | None:
    """When the scheduler last wrote its heartbeat; None when it never did (raises redis.RedisError)."""
    client = _client(redis_url)
    try:
        raw = client.get(KEY)
    finally:
        client.close()
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(json.loads(raw)['at'])
    except (ValueError, KeyError, TypeError):
        return None
