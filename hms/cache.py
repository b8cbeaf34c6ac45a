"""Read-through caching in Redis: keys carry the generation of the data they depend on, so any change event in that
namespace makes them unreachable at once (and they expire on their own). Without Redis, or while it is down, every
read goes to the database; the outage is logged once, never shown to a user."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from .events import GENERATION_KEY, RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)
T = TypeVar('T')
PREFIX = 'hms:cache:'


class Cache:
    def __init__(self, url: str | None) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) if url else None
        self._down_since: float | None = None
        self.hits = 0
        self.misses = 0

    @property
    def available(self) -> bool:
        if self.client is None:
            return False
        return self._down_since is None or time.monotonic() - self._down_since >= RETRY_AFTER_SECONDS

    def _failed(self, error: Exception) -> None:
        if self._down_since is None:
            logger.warning('cache: Redis unreachable (%s); reading from the database until it is back', error)
        self._down_since = time.monotonic()

    def key(self, name: str, *, namespaces: tuple[str, ...], scope: str = '') -> str | None:
        """The cache key of ``name`` for ``scope`` at the current generations of ``namespaces`` (None if no cache)."""
        if not self.available:
            return None
        assert self.client is not None
        try:
            generations = (
                self.client.mget([GENERATION_KEY.format(namespace=n) for n in namespaces]) if namespaces else []
            )
        except redis.RedisError as error:
            self._failed(error)
            return None
        self._down_since = None
        versions = '.'.join((value or b'0').decode() for value in generations)
        return f'{PREFIX}{name}:{versions}:{scope}'

    def get_or_compute(
        self, name: str, compute: Callable[[], T], *, namespaces: tuple[str, ...], scope: str = '', ttl: int = 600
    ) -> tuple[T, bool]:
        """The cached value, or ``compute()`` stored for next time; the flag says whether it was a hit."""
        key = self.key(name, namespaces=namespaces, scope=scope)
        if key is not None:
            assert self.client is not None
            try:
                raw = self.client.get(key)
                if raw is not None:
                    self.hits += 1
                    return json.loads(raw), True
            except redis.RedisError as error:
                self._failed(error)
                key = None
        self.misses += 1
        value = compute()
        if key is not None:
            assert self.client is not None
            try:
                self.client.set(key, json.dumps(value, default=str, separators=(',', ':')), ex=ttl)
            except (redis.RedisError, TypeError) as error:
                if isinstance(error, redis.RedisError):
                    self._failed(error)
        return value, False

    def stats(self) -> dict[str, Any]:
        return {'hits': self.hits, 'misses': self.misses, 'available': self.available}
