"""The composition of one running process: its settings, database, cache, publishers and job-system port.

The composition root (``hms.cli`` for main.py, ``jobs.worker`` for a worker, the tests' fixtures) plugs the job system
in with ``plug_task_queue`` and creates the context with ``init``; pages, API routes and tasks read it with ``get``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial

from hms import i18n
from hms.cache import Cache
from hms.config import Settings
from hms.db.uow import Database, UnitOfWork
from hms.events import LocalPublisher, Publisher, RedisPublisher
from hms.ports import OpenQueue, QueueFactory
from hms.runtime.dispatch import CompositePublisher, Producer, TaskPublisher
from hms.runtime.listener import EventHub, hub
from hms.runtime.sessions import SessionCache


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    publisher: Publisher
    hub: EventHub
    open_queue: OpenQueue | None  # a new connection to the job system (closed after use); None: no jobs can run
    tasks: Producer  # this process's shared connection for sending tasks
    sessions: SessionCache  # verified sessions, for authentication without a database round trip

    def uow(self) -> UnitOfWork:
        return self.db.uow()


_current: AppContext | None = None
_queue_factory: QueueFactory | None = None
_init_lock = threading.Lock()


def plug_task_queue(factory: QueueFactory | None) -> None:
    """Plug the job system in (the composition root does this once, before ``init``)."""
    global _queue_factory  # noqa: PLW0603 - set once per process by the composition root
    _queue_factory = factory


def init(settings: Settings) -> AppContext:
    """Create the process's context (replacing a previous one, as tests do)."""
    global _current  # noqa: PLW0603 - the composition root sets this once per process
    if _current is not None:
        _current.db.dispose()
        _current.tasks.close()
        _current.sessions.close()
        if isinstance(_current.publisher, CompositePublisher):
            _current.publisher.close()
    # No worker can run without Redis, so nothing is queued then.
    open_queue = partial(_queue_factory, settings) if settings.redis_url and _queue_factory is not None else None
    tasks = Producer(open_queue)
    publisher: Publisher
    if settings.redis_url:
        # The hub hears events back through Redis, as every process does; the worker gets confirmation tasks.
        publishers: list[Publisher] = [RedisPublisher(settings.redis_url)]
        if tasks.available:
            publishers.append(TaskPublisher(settings, tasks))
        publisher = CompositePublisher(publishers)
    else:
        publisher = LocalPublisher()  # one process, no Redis: hand events straight to this process's hub
        publisher.listeners.append(hub.deliver_threadsafe)
    cache = Cache(settings.redis_url)
    i18n.configure(settings.default_language)  # what this process speaks when no request or recipient says
    db = Database(settings.effective_database_url, publisher, cache)
    sessions = SessionCache(settings.redis_url)
    sessions.watch(db.session_factory)  # a commit that ends or alters a session is heard by every process
    _current = AppContext(
        settings=settings,
        db=db,
        cache=cache,
        publisher=publisher,
        hub=hub,
        open_queue=open_queue,
        tasks=tasks,
        sessions=sessions,
    )
    return _current


def get() -> AppContext:
    if _current is None:
        raise RuntimeError('the application context is not initialised; main.py sets it up')
    return _current


def get_or_init(settings_factory: type[Settings] = Settings) -> AppContext:
    """The context, created from the environment on first use (a worker started on its own)."""
    if _current is not None:
        return _current
    with _init_lock:
        return _current if _current is not None else init(settings_factory())
