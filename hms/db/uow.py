"""Unit of work: one database session and its repositories for one use case, committed explicitly."""

from __future__ import annotations

from datetime import date
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hms.cache import Cache
from hms.events import Event, Publisher

from .account_tokens import AccountTokenRepository
from .calendars import CalendarFeedRepository
from .engine import make_engine, make_session_factory
from .exports import ExportRepository
from .jobs import JobsLog
from .records import TreatmentRepository
from .repositories import AuditRepository, LoginAttemptRepository, SessionRepository, UserRepository
from .scheduling import (
    AppointmentRepository,
    AvailabilityRepository,
    DepartmentRepository,
    DoctorRepository,
    NoticeRepository,
    PatientRepository,
    birth_dates,
    people_names,
)


class UnitOfWork:
    """Use as ``with db.uow() as uow: ...; uow.commit()``; anything not committed is rolled back."""

    def __init__(
        self, session_factory: sessionmaker[Session], publisher: Publisher | None = None, cache: Cache | None = None
    ) -> None:
        self._session_factory = session_factory
        self._publisher = publisher
        self._cache = cache
        self._pending: list[Event] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.users = UserRepository(self.session)
        self.sessions = SessionRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.login_attempts = LoginAttemptRepository(self.session)
        self.departments = DepartmentRepository(self.session)
        self.doctors = DoctorRepository(self.session)
        self.patients = PatientRepository(self.session)
        self.availability = AvailabilityRepository(self.session)
        self.appointments = AppointmentRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.treatments = TreatmentRepository(self.session)
        self.exports = ExportRepository(self.session)
        self.jobs = JobsLog(self.session)
        self.calendar_feeds = CalendarFeedRepository(self.session)
        self.account_tokens = AccountTokenRepository(self.session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed without expiring loaded objects, so results stay readable.
        self.session.close()

    def patients_names(self, user_ids: set[int]) -> dict[int, str]:
        return people_names(self.session, user_ids)

    def patients_birth_dates(self, user_ids: set[int]) -> dict[int, date]:
        return birth_dates(self.session, user_ids)

    @property
    def read_cache(self) -> Cache | None:
        """The read-through cache, or None while this unit of work holds changes not yet committed (never cached)."""
        session = self.session
        if self._pending or session.new or session.dirty or session.deleted:
            return None
        return self._cache

    def emit(self, kind: str, **data: Any) -> None:
        """Announce a change; it is published only if and when the unit of work commits."""
        self._pending.append(Event(kind, data))

    def commit(self) -> None:
        stage = getattr(self._publisher, 'stage', None)
        if self._pending and stage is not None:
            stage(self.session, self._pending)  # a transactional outbox commits with the change, or not at all
        self.session.commit()
        pending, self._pending = self._pending, []
        if pending and self._publisher is not None:
            self._publisher.publish(pending)

    def rollback(self) -> None:
        self.session.rollback()
        self._pending.clear()


class Database:
    """The engine and session factory of one database URL."""

    def __init__(self, url: str, publisher: Publisher | None = None, cache: Cache | None = None) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._session_factory = make_session_factory(self.engine)
        self.publisher = publisher
        self.cache = cache

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._session_factory, self.publisher, self.cache)

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The factory of this database's sessions (for ORM event hooks: ``hms.runtime.sessions``)."""
        return self._session_factory

    def dispose(self) -> None:
        self.engine.dispose()
