"""The composition of one running process: its settings and database, set up once by main.py."""

from __future__ import annotations

from dataclasses import dataclass

from hms.cache import Cache
from hms.config import Settings
from hms.db.uow import Database, UnitOfWork
from hms.events import LocalPublisher, Publisher, RedisPublisher


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    publisher: Publisher

    def uow(self) -> UnitOfWork:
        return self.db.uow()


_current: AppContext | None = None


def init(settings: Settings) -> AppContext:
    """Create the process's context (replacing a previous one, as tests do)."""
    global _current  # noqa: PLW0603 - the composition root sets this once per process
    if _current is not None:
        _current.db.dispose()
    publisher: Publisher = RedisPublisher(settings.redis_url) if settings.redis_url else LocalPublisher()
    _current = AppContext(
        settings=settings,
        db=Database(settings.effective_database_url, publisher),
        cache=Cache(settings.redis_url),
        publisher=publisher,
    )
    return _current


def get() -> AppContext:
    if _current is None:
        raise RuntimeError('the application context is not initialised; main.py sets it up')
    return _current
