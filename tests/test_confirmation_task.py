"""One task per confirmation (``hms.confirmation``): the booking's outbox row hands it over, it reads, claims, sends
and records in one go; the same task again sends nothing, an overtaken one is superseded, and a temporary SMTP
failure hands the claimed delivery to ``hms.deliver``'s retries, which send it once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from sqlalchemy import select

from hms import context
from hms.context import AppContext
from hms.db.models import Delivery, OutboxMessage
from hms.domain.enums import DeliveryStatus
from hms.domain.scheduling import BookingIn
from hms.notify import email
from hms.runtime.dispatch import CONFIRMATION_TASK
from hms.services import appointments

from .celery_fixtures import current_celery, mailing_context, wait_until
from .peers import Mailbox
from .scheduling_fixtures import Clinic, local


@pytest.fixture
def jobs_context(clinic: Clinic, worker_context: AppContext, mailbox: Mailbox) -> Iterator[AppContext]:
    yield from mailing_context(worker_context, mailbox.port, clinic_address='1 Clinic Road', timezone='Europe/Berlin')


@pytest.fixture
def celery_app(jobs_context: AppContext) -> Iterator[Celery]:
    yield from current_celery(jobs_context.settings)


def deliveries() -> list[Delivery]:
    with context.get().uow() as uow:
        return list(uow.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_a_booking_is_confirmed_by_one_task_once(
    celery_worker: Celery, clinic: Clinic, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    settings = jobs_context.settings
    with jobs_context.uow() as uow:
        booked = appointments.book(
            uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 10))
        )
    with jobs_context.uow() as uow:
        tasks = uow.session.scalars(select(OutboxMessage.task).where(OutboxMessage.appointment_id == booked.id)).all()
    assert CONFIRMATION_TASK in tasks and 'hms.appointment_email' not in tasks
    wait_until(lambda: len(mailbox.received('Booked')) == 1, what='the confirmation')
    wait_until(lambda: [row.status for row in deliveries()] == [DeliveryStatus.SENT], what='recorded as sent')

    again = celery_worker.send_task(
        CONFIRMATION_TASK, kwargs={'appointment_id': booked.id, 'kind': 'booked', 'sequence': 0}
    )
    assert again.get(timeout=30) == 'skipped'  # claimed already: nothing sent twice
    overtaken = celery_worker.send_task(
        CONFIRMATION_TASK, kwargs={'appointment_id': booked.id, 'kind': 'booked', 'sequence': 7}
    )
    assert overtaken.get(timeout=30) == 'superseded'
    assert len(mailbox.received()) == 1 and len(deliveries()) == 1


def test_a_temporary_smtp_failure_is_retried_by_deliver_and_sent_once(
    celery_worker: Celery, clinic: Clinic, mailbox: Mailbox, jobs_context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker runs in this process (threads): the first SMTP conversation fails, the retry goes through."""
    failures = [OSError('connection refused')]
    opened = email._open

    def flaky_open(*args: object) -> email._Connection:
        if failures:
            raise failures.pop()
        return opened(*args)  # type: ignore[arg-type]

    email.close_connections()
    monkeypatch.setattr(email, '_open', flaky_open)
    monkeypatch.setattr('jobs.reminders.BACKOFF_SECONDS', 0.1)
    settings = jobs_context.settings
    with jobs_context.uow() as uow:
        appointments.book(uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 11)))
    wait_until(lambda: len(mailbox.received('Booked')) == 1, what='the confirmation, on the second attempt')
    wait_until(lambda: [row.status for row in deliveries()] == [DeliveryStatus.SENT], what='recorded as sent')
    [row] = deliveries()
    assert row.attempts == 2 and not failures
    assert len(mailbox.received()) == 1
