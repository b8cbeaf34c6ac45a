"""The front desk's queries: patients born on a day (the duplicate check), and the lock that serialises desk
registrations so that two desks registering the same person at once see each other."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload

from .models import PatientProfile

# Any constant shared by every process: PostgreSQL advisory lock key for "registering a patient at the desk".
_PG_LOCK_KEY = 0x6465736B  # 'desk'


class DeskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_registrations(self) -> None:
        """Take the lock that serialises desk registrations until this transaction ends (before reading the
        candidates, so the second of two desks reads what the first wrote).

        SQLite has one writer at a time: BEGIN IMMEDIATE takes it now (waiting up to the busy timeout) unless this
        transaction already wrote. PostgreSQL: a transaction-scoped advisory lock."""
        connection = self.session.connection()
        if connection.dialect.name == 'sqlite':
            driver = connection.connection.driver_connection
            # pysqlite opens a transaction only before the first write, so "in a transaction" means "holds the lock".
            if driver is not None and not driver.in_transaction:
                connection.exec_driver_sql('BEGIN IMMEDIATE')
        elif connection.dialect.name == 'postgresql':
            connection.execute(text('SELECT pg_advisory_xact_lock(:key)'), {'key': _PG_LOCK_KEY})

    def born_on(self, day: date) -> Sequence[PatientProfile]:
        """Every patient born on ``day`` (a handful), with their account."""
        return self.session.scalars(
            select(PatientProfile)
            .options(joinedload(PatientProfile.user))
            .where(PatientProfile.date_of_birth == day)
            .order_by(PatientProfile.user_id)
        ).all()
