"""The composition of one running process: its settings and database, set up once by main.py."""

from __future__ import annotations

from dataclasses import dataclass

from hms.cache import Cache
from hms.config import Settings
from hms.db.uow import Database, UnitOfWork
from hms.events import LocalPublisher, Publisher, RedisPublisher
from hms.runtime.dispatch import CompositePublisher, TaskPublisher
from hms.runtime.listener import EventHub, hub


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    publisher: Publisher
    hub: EventHub

    def uow(self) -> UnitOfWork:
        return self.db.uow()


_current: AppContext | None = None


def init(settings: Settings) -> AppContext:
    """Create the process's context (replacing a previous one, as tests do)."""
    global _current  # noqa: PLW0603 - the composition root sets this once per process
    if _current is not None:
        _current.db.dispose()
        if isinstance(_current.publisher, CompositePublisher):
            _current.publisher.close()
    publisher: Publisher
    if settings.redis_url:
        # The hub hears events back through Redis, as every process does; the worker gets confirmation tasks.
        publisher = CompositePublisher([RedisPublisher(settings.redis_url), TaskPublisher(settings)])
    else:  # no worker can run without Redis, so nothing is queued
        publisher = LocalPublisher()  # one process, no Redis: hand events straight to this process's hub
        publisher.listeners.append(hub.deliver_threadsafe)
    cache = Cache(settings.redis_url)
    _current = AppContext(
        settings=settings,
        db=Database(settings.effective_database_url, publisher, cache),
        cache=cache,
        publisher=publisher,
        hub=hub,
    )
    return _current


def get() -> AppContext:
    if _current is None:
        raise RuntimeError('the application context is not initialised; main.py sets it up')
    return _current
