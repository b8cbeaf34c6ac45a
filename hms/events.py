"""Change events: services emit them into the unit of work, which publishes them after a successful commit.

Events carry identifiers only (never names or clinical values). With Redis they go out on one pub/sub channel and
also raise a generation counter per namespace (and per doctor within it, when the event names one), which cache
keys include, so a change expires the cached reads that depend on it at once. Without Redis they are dispatched
inside this process only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import redis

logger = logging.getLogger(__name__)

CHANNEL = 'hms:events'
GENERATION_KEY = 'hms:gen:{namespace}'
RETRY_AFTER_SECONDS = 30.0
ANY_DOCTOR = 'any'


def doctor_namespaces(namespace: str, doctor_id: int) -> tuple[str, str]:
    """The counters a read about one doctor depends on within ``namespace``: that doctor's changes, and changes
    that name no doctor (they may concern anyone). A booking with one doctor then leaves the others' slots cached."""
    return f'{namespace}@doctor:{doctor_id}', f'{namespace}@doctor:{ANY_DOCTOR}'


@dataclass(frozen=True)
class Event:
    kind: str  # 'appointment.booked', 'availability.updated', ...
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.kind.split('.', 1)[0]

    @property
    def generations(self) -> set[str]:
        """The counters this change raises: its namespace's, and its doctor's within it (or "any doctor")."""
        doctor_id = self.data.get('doctor_id')
        scoped = doctor_namespaces(self.namespace, doctor_id)[0] if isinstance(doctor_id, int) else None
        return {self.namespace, scoped or f'{self.namespace}@doctor:{ANY_DOCTOR}'}

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(',', ':'))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        payload = json.loads(raw)
        return cls(kind=str(payload['kind']), data=dict(payload.get('data') or {}))


class Publisher(Protocol):
    def publish(self, events: Iterable[Event]) -> None: ...


class LocalPublisher:
    """Hands events to callbacks in this process (a single web process without Redis, and unit tests)."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Event], None]] = []

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for listener in list(self.listeners):
                listener(event)


class RedisPublisher:
    """Publishes on Redis; an outage is logged once and never fails the change that was already committed."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._down_since: float | None = None
        # Namespaces whose generation could not be raised (Redis was down): raised with the next publish that gets
        # through, so that cache entries from before the outage do not outlive a change made during it.
        self._owed: set[str] = set()

    def publish(self, events: Iterable[Event]) -> None:
        events = list(events)
        if not events:
            return
        changed = set().union(*(event.generations for event in events)) | self._owed
        if self._down_since and time.monotonic() - self._down_since < RETRY_AFTER_SECONDS:
            self._owed = changed
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for namespace in sorted(changed):
                pipe.incr(GENERATION_KEY.format(namespace=namespace))
            for event in events:
                pipe.publish(CHANNEL, event.to_json())
            pipe.execute()
            if self._down_since is not None:
                logger.info('events: Redis reachable again')
            self._down_since = None
            self._owed = set()
        except redis.RedisError as error:
            self._owed = changed
            if self._down_since is None:
                logger.warning('events: Redis unreachable (%s); live updates pause until it is back', error)
            self._down_since = time.monotonic()
