"""The booking's one write transaction: the appointment, its audit row and its outbox row commit together; the
request thread then only wakes the process's outbox dispatcher, which hands the confirmation to the broker in batches,
off the request path, and again (once) after a broker outage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from hms.db.models import AuditEntry, OutboxMessage
from hms.db.uow import Database
from hms.domain.scheduling import BookingIn
from hms.runtime.dispatch import CONFIRMATION_TASK, CompositePublisher, Producer, TaskPublisher
from hms.services import appointments

from .fault_fixtures import wait_until
from .scheduling_fixtures import Clinic, local


class Broker:
    """A stand-in for Celery's producer: records what was sent, from which thread, and can refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str]] = []
        self.down = False

    def send_task(self, task: str, kwargs: dict[str, Any], **_: Any) -> None:
        if self.down:
            raise ConnectionError('broker down')
        self.sent.append((task, kwargs, threading.current_thread().name))

    def close(self) -> None:
        pass


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def wired(clinic: Clinic, broker: Broker) -> Iterator[tuple[Database, TaskPublisher]]:
    publisher = TaskPublisher(clinic.ctx.settings, Producer(lambda: broker))
    database = Database(clinic.ctx.settings.effective_database_url, CompositePublisher([publisher]))
    try:
        yield database, publisher
    finally:
        publisher.close()
        database.dispose()


def commits_in_this_thread(database: Database) -> list[str]:
    """Commits made on ``database`` by the calling thread (the dispatcher's own are not the request's)."""
    me, seen = threading.get_ident(), []

    def on_commit(_connection: Any) -> None:
        if threading.get_ident() == me:
            seen.append('commit')

    event.listen(database.engine, 'commit', on_commit)
    return seen


def test_a_booking_is_one_write_transaction_and_its_confirmation_goes_out_off_the_request_thread(
    clinic: Clinic, broker: Broker, wired: tuple[Database, TaskPublisher]
) -> None:
    database, _ = wired
    commits = commits_in_this_thread(database)
    with database.uow() as uow:
        view = appointments.book(
            uow, clinic.ctx.settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9))
        )
    assert commits == ['commit']  # the appointment, its audit row and its outbox row: one transaction
    with database.uow() as uow:
        [row] = uow.session.scalars(select(OutboxMessage)).all()
        assert row.kwargs == {'appointment_id': view.id, 'kind': 'booked', 'sequence': 0}
        assert uow.session.scalars(select(AuditEntry).where(AuditEntry.object_id == view.id)).first() is not None
    wait_until(lambda: len(broker.sent) == 1, 'the confirmation handed to the broker')
    [(task, kwargs, thread)] = broker.sent
    assert (task, kwargs) == (CONFIRMATION_TASK, {'appointment_id': view.id, 'kind': 'booked', 'sequence': 0})
    assert thread == 'outbox-dispatcher'  # never the request's thread
    wait_until(lambda: dispatched(database) == 1, 'the row marked as handed over')


def dispatched(database: Database) -> int:
    with database.uow() as uow:
        return len(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.dispatched_at.is_not(None))).all())


def test_a_broker_outage_delays_the_confirmations_and_each_goes_out_once_when_it_is_back(
    clinic: Clinic, broker: Broker, wired: tuple[Database, TaskPublisher]
) -> None:
    database, publisher = wired
    broker.down = True
    for who, hour in ((clinic.patient, 9), (clinic.other_patient, 10)):
        with database.uow() as uow:  # the bookings succeed while the broker is down
            appointments.book(
                uow, clinic.ctx.settings, who, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, hour))
            )
    dispatcher = publisher.dispatcher(database.engine)
    wait_until(dispatcher.idle.is_set, 'the failed attempt')
    assert broker.sent == [] and dispatched(database) == 0  # both wait in the outbox
    broker.down = False
    dispatcher.wake()  # the retry after the back-off, without waiting for it
    wait_until(lambda: dispatched(database) == 2, 'both handed over')
    wait_until(dispatcher.idle.is_set, 'the dispatcher at rest')
    dispatcher.wake()  # waking again sends nothing twice
    wait_until(dispatcher.idle.is_set, 'the dispatcher at rest')
    assert sorted(kwargs['appointment_id'] for _, kwargs, _ in broker.sent) == sorted(
        {kwargs['appointment_id'] for _, kwargs, _ in broker.sent}
    )
    assert len(broker.sent) == 2
