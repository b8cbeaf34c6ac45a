"""Authentication without a database round trip: a verified session is remembered in the process for a few seconds,
and an ended one (sign-out, password change, blacklisting, expiry) is refused by another instance sharing Redis as soon
as the announcement arrives: two instances here are two databases' engines, each with its own cache and listener."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from hms.config import Settings
from hms.db.uow import Database
from hms.domain.enums import SessionKind
from hms.domain.errors import AccountBlocked, NotAuthenticated
from hms.domain.schemas import Credentials, PasswordChange
from hms.runtime.sessions import SessionCache
from hms.services import accounts
from hms.services.principal import Principal

from .factories import PATIENT_PASSWORD
from .fault_fixtures import wait_until
from .scheduling_fixtures import Clinic

API = SessionKind.API


@dataclass
class Instance:
    """One web instance: its own engine and its own session cache, sharing the database and Redis."""

    db: Database
    sessions: SessionCache
    settings: Settings

    def authenticate(self, token: str) -> Principal:
        found = accounts.cached_principal(self.sessions, token, kind=API, ip='10.0.0.1')
        if found is not None:
            return found
        with self.db.uow() as uow:
            return accounts.authenticate(uow, self.settings, token, kind=API, ip='10.0.0.1', sessions=self.sessions)

    def cached(self, token: str) -> Principal | None:
        return accounts.cached_principal(self.sessions, token, kind=API, ip='10.0.0.1')

    def reads(self) -> list[str]:
        """Statements this instance sends to the database from now on."""
        seen: list[str] = []
        event.listen(self.db.engine, 'before_cursor_execute', lambda *args: seen.append(str(args[2])))
        return seen


def instance(settings: Settings) -> Instance:
    db = Database(settings.effective_database_url)
    sessions = SessionCache(settings.redis_url)
    sessions.watch(db.session_factory)
    wait_until(lambda: sessions.version() is not None and sessions.live, 'the instance listening on Redis')
    return Instance(db, sessions, settings)


@pytest.fixture
def two(clinic: Clinic, redis_url: str) -> Iterator[tuple[Instance, Instance]]:
    settings = clinic.ctx.settings.model_copy(update={'redis_url': redis_url})
    first, second = instance(settings), instance(settings)
    try:
        yield first, second
    finally:
        for each in (first, second):
            each.sessions.close()
            each.db.dispose()


def sign_in(one: Instance, email: str = 'ada@example.com', password: str = PATIENT_PASSWORD) -> str:
    with one.db.uow() as uow:
        return accounts.login(
            uow, one.settings, Credentials(email=email, password=password), ip='10.0.0.1', kind=API
        ).token


def warm(one: Instance, token: str) -> Principal:
    """Verify once in the database; the next check is answered from the cache without any statement."""
    principal = one.authenticate(token)
    statements = one.reads()
    assert one.authenticate(token) == principal
    assert statements == []  # no database round trip
    return principal


def test_a_verified_session_is_answered_without_the_database(two: tuple[Instance, Instance]) -> None:
    first, _ = two
    token = sign_in(first)
    principal = warm(first, token)
    assert principal.email == 'ada@example.com' and principal.ip == '10.0.0.1'
    assert first.sessions.stats()['hits'] >= 1
    assert first.cached('not-a-token') is None


def test_sign_out_in_one_instance_is_refused_by_the_other(two: tuple[Instance, Instance]) -> None:
    first, second = two
    token = sign_in(first)
    warm(first, token)
    with second.db.uow() as uow:
        accounts.logout(uow, token)
    wait_until(lambda: first.cached(token) is None, 'the sign-out heard by the other instance')
    with pytest.raises(NotAuthenticated):
        first.authenticate(token)


def test_a_password_change_ends_the_other_sessions_everywhere(two: tuple[Instance, Instance]) -> None:
    first, second = two
    old = sign_in(first)
    warm(first, old)
    current = sign_in(second)
    me = second.authenticate(current)
    with second.db.uow() as uow:
        change = PasswordChange(current_password=PATIENT_PASSWORD, new_password='Granite-Pelican-Harbour-42')
        accounts.change_password(uow, me, change)
    wait_until(lambda: first.cached(old) is None, 'the password change heard by the other instance')
    with pytest.raises(NotAuthenticated):
        first.authenticate(old)
    assert second.authenticate(current).user_id == me.user_id  # the session that changed it stays


def test_blacklisting_is_refused_by_every_instance(clinic: Clinic, two: tuple[Instance, Instance]) -> None:
    first, second = two
    token = sign_in(first)
    warm(first, token)
    warm(second, token)
    with second.db.uow() as uow:
        accounts.set_active(uow, clinic.admin, clinic.patient.user_id, active=False, reason='test')
    assert second.cached(token) is None  # the instance that committed forgets at once, in the committing thread
    wait_until(lambda: first.cached(token) is None, 'the blacklisting heard by the other instance')
    with pytest.raises((NotAuthenticated, AccountBlocked)):
        first.authenticate(token)


def test_expiry_and_idleness_are_honoured_from_the_cache(clock: Any, two: tuple[Instance, Instance]) -> None:
    first, _ = two
    token = sign_in(first)
    warm(first, token)
    clock.advance(timedelta(seconds=61))  # "last seen" is a minute old: the database refreshes it
    assert first.cached(token) is None
    first.authenticate(token)
    assert first.cached(token) is not None
    clock.advance(timedelta(hours=first.settings.session_absolute_hours))
    assert first.cached(token) is None  # past the absolute expiry: never from the cache
    with pytest.raises(NotAuthenticated):
        first.authenticate(token)


def test_without_a_live_subscription_every_check_reads_the_database(clinic: Clinic) -> None:
    alone = Instance(Database(clinic.ctx.settings.effective_database_url), SessionCache(None), clinic.ctx.settings)
    try:
        token = sign_in(alone)
        alone.authenticate(token)
        assert alone.cached(token) is None and not alone.sessions.live
    finally:
        alone.db.dispose()
