"""Verified sessions kept in this process for a few seconds, so that a request authenticates without a database
round trip; any change that could end or alter a session is heard at once by every process through Redis pub/sub.

What forgets entries: a commit (in any process using a watched ``sessionmaker``) that revokes a session (sign-out,
expiry, idleness, password change, blacklisting: ``auth_sessions.revoked_at``), deletes one, or changes what a
principal carries or whether the account may sign in (``users``: active, role, name, email, password, one-time
password); a bulk UPDATE or DELETE of either table forgets everything. The committing process forgets at once, in the
committing thread; the others when the message arrives on ``CHANNEL``.

The cache is used only while this process is subscribed to that channel: before its listener is subscribed, after
the connection is lost (until it is subscribed again, when everything is forgotten), and without Redis at all, every
request reads the database as before. A lookup that raced with an invalidation is not remembered (``version``).
Entries live at most ``TTL_SECONDS``, and the caller (``hms.services.accounts``) also goes to the database once its
"last seen" is a minute old, which keeps the idle and absolute expiry exact.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from hms.db.models import AuthSession, User

logger = logging.getLogger(__name__)

CHANNEL = 'hms:sessions'
EVERYONE = 'all'
TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000
# What a principal carries, or whether the account may sign in at all: a change to any of these forgets the user.
USER_FIELDS = ('is_active', 'role', 'name', 'email', 'password_hash', 'must_change_password')
_FORGET = 'hms_forget_sessions'  # Session.info key: user ids (or EVERYONE) to forget once the transaction commits


@dataclass(frozen=True)
class Verified:
    """A session the database said was valid, and when that was read."""

    principal: Any  # hms.services.principal.Principal (the layer above owns the type)
    user_id: int
    kind: str
    expires_at: datetime
    last_seen_at: datetime
    stored: float  # time.monotonic()


class SessionCache:
    def __init__(self, redis_url: str | None) -> None:
        self._url = redis_url
        self._entries: dict[str, Verified] = {}
        self._lock = threading.Lock()
        self._version = 0  # raised by every invalidation: a lookup that raced with one is not remembered
        self._live = False  # subscribed right now: the only state in which entries are used
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._publisher: redis.Redis | None = None
        self.hits = 0
        self.misses = 0

    # --- lookups ----------------------------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self._live

    def version(self) -> int:
        """Read before a database lookup; hand it to ``remember`` afterwards."""
        self._start()
        return self._version

    def get(self, token_hash: str) -> Verified | None:
        if not self._live:
            self._start()
            return None
        found = self._entries.get(token_hash)
        if found is None or time.monotonic() - found.stored > TTL_SECONDS:
            self.misses += 1
            return None
        self.hits += 1
        return found

    def remember(self, token_hash: str, verified: Verified, version: int) -> None:
        with self._lock:
            if not self._live or version != self._version:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_hash] = verified

    # --- invalidation -----------------------------------------------------------------------------------------------

    def forget(self, users: Iterable[int | str]) -> None:
        """Forget the sessions of ``users`` (user ids, or ``EVERYONE``) in this process."""
        users = set(users)
        with self._lock:
            self._version += 1
            if EVERYONE in users:
                self._entries.clear()
                return
            for key in [key for key, found in self._entries.items() if found.user_id in users]:
                del self._entries[key]

    def announce(self, users: Iterable[int | str]) -> None:
        """Forget here at once, and tell every other process."""
        users = set(users)
        self.forget(users)
        if self._url is None:
            return
        payload = EVERYONE if EVERYONE in users else ','.join(str(user) for user in sorted(users, key=str))
        try:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(self._url, socket_timeout=2, socket_connect_timeout=2)
            self._publisher.publish(CHANNEL, payload)
        except (redis.RedisError, OSError) as error:  # the others' listeners lost Redis too: they read the database
            logger.warning('sessions: could not announce an ended session (%s)', type(error).__name__)

    def _heard(self, payload: bytes | str) -> None:
        text = payload.decode() if isinstance(payload, bytes) else payload
        users: set[int | str] = set()
        for part in text.split(','):
            if part.isdigit():
                users.add(int(part))
            else:
                users.add(EVERYONE)  # anything else (or unreadable): forget everything, never too little
        self.forget(users)

    # --- the ORM hooks: what a commit changed -----------------------------------------------------------------------

    def watch(self, factory: sessionmaker[Session]) -> None:
        """Forget (and announce) the sessions whose rows a commit through ``factory`` changed."""
        event.listen(factory, 'after_flush', _after_flush)
        event.listen(factory, 'do_orm_execute', _on_execute)
        event.listen(factory, 'after_commit', self._after_commit)
        event.listen(factory, 'after_rollback', _after_rollback)

    def _after_commit(self, session: Session) -> None:
        users = session.info.pop(_FORGET, None)
        if users:
            self.announce(users)

    # --- the listener -----------------------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._url is None or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name='session-invalidation', daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        delay = 0.5
        assert self._url is not None
        while not self._stop.is_set():
            client = redis.Redis.from_url(self._url, socket_connect_timeout=2, health_check_interval=5)
            try:
                pubsub = client.pubsub()
                pubsub.subscribe(CHANNEL)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message.get('type') == 'subscribe':
                        self.forget([EVERYONE])  # whatever was said while we were not listening
                        self._live, delay = True, 0.5
                    elif message.get('type') == 'message':
                        self._heard(message['data'])
            except (redis.RedisError, OSError) as error:
                if self._live:
                    logger.warning('sessions: lost Redis (%s); verifying every session in the database', error)
                self._set_down()
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    client.close()
        self._set_down()

    def _set_down(self) -> None:
        self._live = False
        self.forget([EVERYONE])

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=0.05)  # it sees the stop within its 1 s poll; a closing context need not wait
        self._set_down()
        if self._publisher is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                self._publisher.close()
            self._publisher = None

    def stats(self) -> dict[str, Any]:
        return {'live': self._live, 'entries': len(self._entries), 'hits': self.hits, 'misses': self.misses}


def _note(session: Session, users: Iterable[int | str]) -> None:
    session.info.setdefault(_FORGET, set()).update(users)


def _after_flush(session: Session, _context: Any) -> None:
    users: set[int | str] = set()
    for instance in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(instance, AuthSession):
            if instance in session.deleted or inspect(instance).attrs.revoked_at.history.has_changes():
                users.add(instance.user_id)
        elif isinstance(instance, User) and instance not in session.new:
            state = inspect(instance)
            if instance in session.deleted or any(state.attrs[name].history.has_changes() for name in USER_FIELDS):
                users.add(instance.id)
    if users:
        _note(session, users)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in (AuthSession, User):
        _note(state.session, [EVERYONE])


def _after_rollback(session: Session) -> None:
    session.info.pop(_FORGET, None)
