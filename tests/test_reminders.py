"""Reminders and confirmations end to end: a real Redis, a real Celery worker thread, a real SMTP server (aiosmtpd)
and a local HTTP server for the chat webhook and the SMS gateway, all in the test process and all stopped after.

The worker reads the process's context (``hms.context``) when a task runs, so the tests point it at their SMTP
server before the Celery app is created (``celery_app`` below replaces the shared one for this module).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from celery import Celery, current_app
from icalendar import Calendar
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Appointment, Delivery, JobRun
from hms.db.uow import Database
from hms.domain.enums import Channel, DeliveryStatus
from hms.domain.scheduling import BookingIn
from hms.events import Event, LocalPublisher, RedisPublisher
from hms.runtime.dispatch import CompositePublisher, TaskPublisher
from hms.services import appointments, deliveries, job_runs
from hms.services.reminders import confirmation_key, reminder_key
from jobs import reminders as reminder_jobs
from jobs.celery_app import create_celery
from jobs.schedule import beat_schedule

from .celery_fixtures import current_celery, mailing_context, wait_until
from .peers import HttpPeer, Mailbox
from .scheduling_fixtures import Clinic, local

ADDRESS = '1 River Road, 10115 Berlin'
REASON = 'Recurring chest pain'  # must never reach a subject, a chat message or an SMS
MONDAY, TUESDAY = '2026-03-02', '2026-03-03'


# --- the worker's context ---------------------------------------------------------------------------------------


@pytest.fixture
def jobs_context(clinic: Clinic, worker_context: AppContext, mailbox: Mailbox) -> Iterator[AppContext]:
    """The clinic (Berlin time, built first) over the real Redis, mailing through the test's SMTP server."""
    yield from mailing_context(worker_context, mailbox.port, clinic_address=ADDRESS, timezone='Europe/Berlin')


@pytest.fixture
def celery_app(jobs_context: AppContext) -> Iterator[Celery]:
    """This module's Celery app: created only once the context points at the test's SMTP server."""
    yield from current_celery(jobs_context.settings)


@pytest.fixture
def quiet_db(jobs_context: AppContext) -> Iterator[Database]:
    """The same database without a publisher: arranging appointments here queues no confirmation emails."""
    database = Database(jobs_context.settings.effective_database_url)
    yield database
    database.dispose()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reminder_jobs, 'BACKOFF_SECONDS', 0.2)  # 0.2, 0.4, 0.8, 1.6, 3.2 s instead of 2 .. 32 s


def reconfigure(**changes: Any) -> AppContext:
    """Change the worker's settings between runs (tasks read the context when they run)."""
    current = context.get()
    if isinstance(current.publisher, CompositePublisher):
        current.publisher.close()
    return context.init(current.settings.model_copy(update=changes))


# --- helpers ----------------------------------------------------------------------------------------------------


@dataclass
class Week:
    ada_monday: int
    bob_monday: int
    bob_cancelled: int
    ada_tuesday: int


def book(db: Database, settings: Settings, clinic: Clinic, who: str, doctor: str, start: datetime) -> int:
    patient = clinic.patient if who == 'ada' else clinic.other_patient
    doctor_id = (clinic.doctor if doctor == 'grey' else clinic.other_doctor).user_id
    with db.uow() as uow:
        view = appointments.book(uow, settings, patient, BookingIn(doctor_id=doctor_id, start=start, reason=REASON))
    return view.id


@pytest.fixture
def week(quiet_db: Database, jobs_context: AppContext, clinic: Clinic) -> Week:
    """Monday: Ada 09:00 with Grey, Bob 10:00 with Shepherd, Bob 11:00 cancelled; Tuesday: Ada 09:00."""
    settings = jobs_context.settings
    ada_monday = book(quiet_db, settings, clinic, 'ada', 'grey', local(2, 9))
    bob_monday = book(quiet_db, settings, clinic, 'bob', 'shepherd', local(2, 10))
    bob_cancelled = book(quiet_db, settings, clinic, 'bob', 'grey', local(2, 11))
    with quiet_db.uow() as uow:
        appointments.cancel(uow, settings, clinic.other_patient, bob_cancelled)
    ada_tuesday = book(quiet_db, settings, clinic, 'ada', 'grey', local(3, 9))
    return Week(ada_monday, bob_monday, bob_cancelled, ada_tuesday)


def run_reminders(app: Celery, **kwargs: Any) -> dict[str, Any]:
    return app.send_task('hms.daily_reminders', kwargs=kwargs).get(timeout=30)


def finished_run(run_id: int) -> JobRun:
    def done() -> JobRun | None:
        with context.get().uow() as uow:
            run = uow.session.get(JobRun, run_id)
            return run if run is not None and run.status != 'running' else None

    return wait_until(done, what=f'run {run_id} to finish')


def all_deliveries() -> list[Delivery]:
    with context.get().uow() as uow:
        return list(uow.session.scalars(select(Delivery).order_by(Delivery.id)))


def subject(message: EmailMessage) -> str:
    """The subject as a mail client shows it (a long one is folded onto a continuation line)."""
    return str(message['Subject']).strip()


def recipients(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(m['To']) for m in messages)


def calendar_of(message: EmailMessage) -> Calendar:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == 'appointment.ics'
    assert attachment.get_content_type() == 'text/calendar'
    content = attachment.get_content()
    return Calendar.from_ical(content.encode() if isinstance(content, str) else content)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=('plain',))
    assert body is not None
    return str(body.get_content())


# --- daily reminders ------------------------------------------------------------------------------------------


def test_reminders_reach_the_days_booked_patients_once(
    celery_worker: Celery, week: Week, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    with jobs_context.uow() as uow:
        run_id = job_runs.start_run(uow, 'daily-reminders', detail={})  # as 'run now' on the Jobs page creates it
    result = run_reminders(celery_worker, run_id=run_id, day=MONDAY)
    assert result == {'run_id': run_id, 'day': MONDAY, 'queued': 2, 'skipped': 0}
    run = finished_run(run_id)
    assert (run.status, run.sent, run.failed, run.skipped, run.detail['day']) == ('done', 2, 0, 0, MONDAY)
    messages = mailbox.received()
    assert recipients(messages) == ['Ada Lovelace <ada@example.com>', 'Bob Builder <bob@example.com>']

    ada = next(m for m in messages if 'ada@' in str(m['To']))
    assert str(ada['From']) == 'Riverside Clinic <no-reply@hms.local>'  # the clinic's name by default
    assert subject(ada) == 'Reminder: your appointment at Riverside Clinic on Mon 2 Mar 2026, 09:00'
    text = text_of(ada)
    for expected in ('09:00–09:30 (CET)', 'Meredith Grey', 'Cardiology', ADDRESS):
        assert expected in text
    html_body = ada.get_body(preferencelist=('html',))
    assert html_body is not None and 'Meredith Grey' in str(html_body.get_content())
    for message in messages:
        assert REASON not in subject(message) and REASON not in text_of(message)
    calendar = calendar_of(ada)
    [event] = calendar.walk('VEVENT')
    assert calendar['METHOD'] == 'REQUEST'
    assert str(event['UID']) == f'appointment-{week.ada_monday}@hms.local'
    assert int(event['SEQUENCE']) == 0
    assert event.decoded('DTSTART') == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert ADDRESS in str(event['LOCATION']) and REASON not in str(event['SUMMARY'])

    rows = all_deliveries()
    assert sorted(row.key for row in rows) == sorted(
        f'reminder:{MONDAY}:appointment:{appointment_id}:email' for appointment_id in (week.ada_monday, week.bob_monday)
    )
    assert {(row.status, row.kind, row.channel, row.attempts) for row in rows} == {
        (DeliveryStatus.SENT, 'reminder', Channel.EMAIL, 1)
    }

    # A second run the same day (here without a day: today in Berlin) sends nothing and counts what it skipped.
    again = run_reminders(celery_worker)
    assert (again['day'], again['queued'], again['skipped']) == (MONDAY, 0, 2)
    second = finished_run(again['run_id'])
    assert (second.status, second.sent, second.failed, second.skipped) == ('done', 0, 0, 2)
    time.sleep(0.3)  # nothing is queued; give a stray delivery the chance to show up if there were one
    assert len(mailbox.received()) == 2


def test_overlapping_runs_send_each_reminder_once(
    celery_worker: Celery, week: Week, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminder_jobs, 'MAX_FOLLOW_UPS', 0)  # the follow-up look (after 11 minutes) is not awaited
    results: list[dict[str, Any]] = []

    def eager_run() -> None:  # a second and third run in this process, racing the worker's
        results.append(reminder_jobs.daily_reminders.apply(kwargs={'day': MONDAY}).get())

    threads = [threading.Thread(target=eager_run) for _ in range(2)]
    pending = celery_worker.send_task('hms.daily_reminders', kwargs={'day': MONDAY})
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.append(pending.get(timeout=30))
    assert sum(result['queued'] for result in results) == 2
    assert sum(result['skipped'] for result in results) == 4
    wait_until(lambda: len(mailbox.received()) >= 2, what='two reminders')
    time.sleep(0.3)
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>', 'Bob Builder <bob@example.com>']


def test_nothing_due_is_a_quiet_run(celery_worker: Celery, week: Week, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger='jobs.reminders'):
        result = run_reminders(celery_worker, day='2026-03-07')
    assert (result['queued'], result['skipped']) == (0, 0)
    run = finished_run(result['run_id'])
    assert (run.status, run.sent, run.failed, run.skipped) == ('done', 0, 0, 0)
    records = [r for r in caplog.records if r.name == 'jobs.reminders']
    assert any('nothing due' in r.getMessage() and r.levelno == logging.INFO for r in records)
    assert not any(r.levelno >= logging.WARNING for r in records)


@pytest.mark.usefixtures('fast_backoff')
def test_an_smtp_outage_then_recovery_delivers_everything_once(
    celery_worker: Celery, week: Week, mailbox: Mailbox
) -> None:
    mailbox.stop()
    result = run_reminders(celery_worker, day=MONDAY)
    assert result['queued'] == 2

    def all_retrying() -> bool:
        rows = all_deliveries()
        return len(rows) == 2 and all(r.attempts >= 2 and r.status == DeliveryStatus.PENDING for r in rows)

    wait_until(all_retrying, what='both deliveries to fail once and wait for their retry')
    assert all('SMTP unreachable' in (row.last_error or '') for row in all_deliveries())
    mailbox.start()  # the same port again

    run = finished_run(result['run_id'])
    assert (run.status, run.sent, run.failed) == ('done', 2, 0)
    time.sleep(0.3)
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>', 'Bob Builder <bob@example.com>']
    rows = all_deliveries()
    assert all(row.status == DeliveryStatus.SENT and row.attempts >= 2 and row.last_error is None for row in rows)


def test_backoff_doubles_from_the_base() -> None:
    assert [reminder_jobs.backoff(attempt) for attempt in range(1, 6)] == [2, 4, 8, 16, 32]


def test_an_smtp_5xx_is_recorded_as_failed(celery_worker: Celery, week: Week, mailbox: Mailbox) -> None:
    mailbox.unknown_recipients = True
    result = run_reminders(celery_worker, day=MONDAY)
    run = finished_run(result['run_id'])
    assert (run.status, run.sent, run.failed) == ('done', 0, 2)
    rows = all_deliveries()
    assert {(row.status, row.attempts, row.last_error) for row in rows} == {
        (DeliveryStatus.FAILED, 1, 'recipient refused ([550])')
    }
    assert mailbox.received() == []

    # The admin's retry once the server accepts the address again: reopened, then sent by hms.redeliver.
    mailbox.unknown_recipients = False
    ada = next(row for row in rows if row.appointment_id == week.ada_monday)
    with context.get().uow() as uow:
        assert deliveries.reopen(uow, ada.id) is not None
    assert celery_worker.send_task('hms.redeliver', kwargs={'delivery_id': ada.id}).get(timeout=30) == 'queued'

    def retried() -> Delivery | None:
        row = next(row for row in all_deliveries() if row.id == ada.id)
        return row if row.status == DeliveryStatus.SENT else None

    assert wait_until(retried, what='the retried reminder').attempts == 2
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>']


def test_a_worker_that_died_after_claiming_is_taken_over_once_its_claims_are_stale(
    celery_worker: Celery,
    week: Week,
    mailbox: Mailbox,
    quiet_db: Database,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminder_jobs, 'FOLLOW_UP_SECONDS', 1.0)
    with quiet_db.uow() as uow:  # a run claimed Monday's reminders, then its worker died before queueing them
        for appointment_id, address in ((week.ada_monday, 'ada@example.com'), (week.bob_monday, 'bob@example.com')):
            claimed = deliveries.claim(
                uow,
                reminder_key(date(2026, 3, 2), appointment_id, Channel.EMAIL),
                kind='reminder',
                channel=Channel.EMAIL,
                recipient=address,
                subject='Reminder',
                appointment_id=appointment_id,
            )
            assert claimed is not None
    first = run_reminders(celery_worker, day=MONDAY)  # the claims are fresh: they may still be being sent
    clock.advance(deliveries.STALE_CLAIM + timedelta(minutes=1))  # ...but nobody sends them: now abandoned
    assert (first['queued'], first['skipped']) == (0, 2)
    assert finished_run(first['run_id']).detail['in_flight'] == 2

    # The run looks again once such claims count as abandoned, takes them over and sends each once.
    wait_until(lambda: len(mailbox.received()) >= 2, what='the reminders left behind')
    time.sleep(0.3)
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>', 'Bob Builder <bob@example.com>']
    assert {(row.status, row.attempts) for row in all_deliveries()} == {(DeliveryStatus.SENT, 2)}
    with context.get().uow() as uow:
        runs = job_runs.recent_runs(uow, 'daily-reminders')
    follow_up = next(run for run in runs if run.detail.get('follow_up') == 1)
    assert (follow_up.sent, follow_up.skipped, follow_up.detail['in_flight']) == (2, 0, 0)


def test_chat_and_sms_each_get_one_message(
    celery_worker: Celery, week: Week, mailbox: Mailbox, http_peer: HttpPeer
) -> None:
    reconfigure(
        chat_webhook_url=f'{http_peer.base}/chat', sms_gateway_url=f'{http_peer.base}/sms?to={{phone}}&text={{text}}'
    )
    result = run_reminders(celery_worker, day=TUESDAY)  # Ada only
    assert result['queued'] == 3
    run = finished_run(result['run_id'])
    assert (run.sent, run.failed) == (3, 0)
    [chat] = http_peer.paths('/chat')
    [sms] = http_peer.paths('/sms')
    chat_text = json.loads(chat[2])['text']
    assert chat[0] == 'POST' and 'Tue 3 Mar 2026, 09:00' in chat_text and 'Meredith Grey' in chat_text
    query = parse_qs(urlsplit(sms[1]).query)
    assert sms[0] == 'GET' and query['to'] == ['+44 20 7946 0000']
    [sms_text] = query['text']
    assert 'Tue 3 Mar 2026, 09:00' in sms_text and 'Meredith Grey' in sms_text and ADDRESS in sms_text
    for text in (chat_text, sms_text):
        assert REASON not in text and 'chest' not in text.lower() and 'Cardiology' not in text
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>']
    assert {(row.channel, row.recipient) for row in all_deliveries()} == {
        (Channel.EMAIL, 'ada@example.com'),
        (Channel.CHAT, 'webhook'),
        (Channel.SMS, '+44 20 7946 0000'),
    }


def test_a_failing_chat_channel_does_not_block_email(
    celery_worker: Celery, week: Week, mailbox: Mailbox, http_peer: HttpPeer
) -> None:
    reconfigure(chat_webhook_url=f'{http_peer.base}/broken-chat')
    result = run_reminders(celery_worker, day=TUESDAY)
    run = finished_run(result['run_id'])
    assert (run.sent, run.failed) == (1, 1)
    assert recipients(mailbox.received()) == ['Ada Lovelace <ada@example.com>']
    by_channel = {row.channel: row for row in all_deliveries()}
    assert by_channel[Channel.EMAIL].status == DeliveryStatus.SENT
    chat = by_channel[Channel.CHAT]
    assert (chat.status, chat.last_error) == (DeliveryStatus.FAILED, 'chat webhook answered HTTP 404')


# --- confirmations --------------------------------------------------------------------------------------------


def test_booking_moving_and_cancelling_send_confirmations_with_the_ics(
    celery_worker: Celery, clinic: Clinic, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    settings = jobs_context.settings
    with jobs_context.uow() as uow:  # the context's own publisher: Redis events and the confirmation task
        booked = appointments.book(
            uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 10), reason=REASON)
        )
    [first] = wait_until(lambda: mailbox.received('Booked'), what='the booking confirmation')
    assert subject(first) == 'Booked: your appointment at Riverside Clinic on Tue 3 Mar 2026, 10:00'
    assert str(first['To']) == 'Ada Lovelace <ada@example.com>'
    calendar = calendar_of(first)
    [event] = calendar.walk('VEVENT')
    assert (calendar['METHOD'], int(event['SEQUENCE'])) == ('REQUEST', 0)
    uid = str(event['UID'])
    assert uid == f'appointment-{booked.id}@hms.local'

    with jobs_context.uow() as uow:
        appointments.reschedule(uow, settings, clinic.patient, booked.id, local(3, 11))
    [moved] = wait_until(lambda: mailbox.received('Moved'), what='the move confirmation')
    calendar = calendar_of(moved)
    [event] = calendar.walk('VEVENT')
    assert (calendar['METHOD'], int(event['SEQUENCE']), str(event['UID'])) == ('REQUEST', 1, uid)
    assert event.decoded('DTSTART') == local(3, 11).astimezone(UTC)

    with jobs_context.uow() as uow:
        appointments.cancel(uow, settings, clinic.patient, booked.id)
    [cancelled] = wait_until(lambda: mailbox.received('Cancelled'), what='the cancellation')
    calendar = calendar_of(cancelled)
    [event] = calendar.walk('VEVENT')
    assert (calendar['METHOD'], int(event['SEQUENCE']), str(event['UID'])) == ('CANCEL', 2, uid)
    assert str(event['STATUS']) == 'CANCELLED'
    for message in (first, moved, cancelled):
        assert REASON not in subject(message) and REASON not in text_of(message)

    keys = [row.key for row in all_deliveries()]
    assert keys == [
        f'confirmation:appointment:{booked.id}:seq:0:booked:email',
        f'confirmation:appointment:{booked.id}:seq:1:rescheduled:email',
        f'confirmation:appointment:{booked.id}:seq:2:cancelled:email',
    ]
    # Exactly once per change: the task queued again for the same change sends nothing.
    assert (
        celery_worker.send_task('hms.appointment_email', kwargs={'appointment_id': booked.id, 'kind': 'cancelled'}).get(
            timeout=30
        )
        == 'skipped'
    )
    # A confirmation overtaken by a later change is not sent (that change confirms itself).
    assert (
        celery_worker.send_task(
            'hms.appointment_email', kwargs={'appointment_id': booked.id, 'kind': 'rescheduled'}
        ).get(timeout=30)
        == 'superseded'
    )
    wait_until(lambda: all(row.status == DeliveryStatus.SENT for row in all_deliveries()), what='all sent')
    assert len(mailbox.received()) == 3


def test_a_reminder_is_not_sent_for_an_appointment_cancelled_after_its_claim(
    celery_worker: Celery,
    week: Week,
    mailbox: Mailbox,
    quiet_db: Database,
    jobs_context: AppContext,
    clinic: Clinic,
) -> None:
    with quiet_db.uow() as uow:  # claimed, then cancelled before the delivery task ran
        appointment = uow.session.get(Appointment, week.ada_tuesday)
        assert appointment is not None
        claim = deliveries.claim(
            uow,
            f'reminder:{TUESDAY}:appointment:{week.ada_tuesday}:email',
            kind='reminder',
            channel=Channel.EMAIL,
            recipient='ada@example.com',
            subject='Reminder',
            appointment_id=week.ada_tuesday,
        )
        assert claim is not None
        appointments.cancel(uow, jobs_context.settings, clinic.patient, week.ada_tuesday)
    outcome = celery_worker.send_task(
        'hms.deliver',
        kwargs={
            'delivery_id': claim.delivery_id,
            'attempt': 1,
            'appointment_id': week.ada_tuesday,
            'channel': 'email',
            'kind': 'reminder',
            'day': TUESDAY,
        },
    ).get(timeout=30)
    assert outcome == 'failed'
    [row] = all_deliveries()
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, 'not sent: the appointment changed before sending')
    assert mailbox.received() == []


# --- the publisher chain ---------------------------------------------------------------------------------------


def test_context_wires_the_task_publisher_only_with_redis(settings: Settings, redis_url: str) -> None:
    without = context.init(settings)
    assert isinstance(without.publisher, LocalPublisher)
    with_redis = context.init(settings.model_copy(update={'redis_url': redis_url}))
    assert isinstance(with_redis.publisher, CompositePublisher)
    assert [type(p) for p in with_redis.publisher.publishers] == [RedisPublisher, TaskPublisher]
    with_redis.publisher.close()
    context.init(settings)


def test_one_failing_publisher_never_stops_the_others(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def publish(self, events: Any) -> None:
            raise ConnectionError('broker down')

    seen = LocalPublisher()
    received: list[Event] = []
    seen.listeners.append(received.append)
    composite = CompositePublisher([Broken(), seen])
    with caplog.at_level(logging.INFO, logger='hms.runtime.dispatch'):
        composite.publish([Event('appointment.booked', {'appointment_id': 1})])
        composite.publish([Event('appointment.cancelled', {'appointment_id': 1})])
    assert [event.kind for event in received] == ['appointment.booked', 'appointment.cancelled']
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1  # logged once, not per event


def test_only_appointment_changes_queue_confirmations() -> None:
    events = [
        Event('appointment.booked', {'appointment_id': 4, 'doctor_id': 2, 'patient_id': 3}),
        Event('appointment.completed', {'appointment_id': 4}),
        Event('doctor.updated', {'doctor_id': 2}),
        Event('appointment.cancelled', {'appointment_id': 5}),
    ]
    assert TaskPublisher.confirmations(events) == [
        {'appointment_id': 4, 'kind': 'booked'},
        {'appointment_id': 4, 'kind': 'completed'},  # the visit-completed email with the documents
        {'appointment_id': 5, 'kind': 'cancelled'},
    ]


# --- the beat schedule ------------------------------------------------------------------------------------------


def test_the_daily_reminder_fires_at_eight_in_berlin_across_the_dst_change(settings: Settings) -> None:
    berlin = settings.model_copy(update={'timezone': 'Europe/Berlin'})
    previous = current_app._get_current_object()
    app = create_celery(berlin)
    previous.set_current()  # creating an app makes it current; leave this thread as it was
    try:
        schedule = beat_schedule(berlin)['daily-reminders']['schedule']
        schedule.app = app  # Celery's timezone is the clinic's
        last_run = datetime(2026, 3, 28, 8, 0, tzinfo=berlin.zone)  # Saturday 08:00 CET (07:00 UTC)
        assert last_run.astimezone(UTC) == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)

        now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
        schedule.nowfun = lambda: now
        next_run = now + schedule.remaining_estimate(last_run)
        assert next_run == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # Sunday 08:00 CEST: the clocks went forward
        assert next_run.astimezone(berlin.zone).hour == 8

        for moment, due in (
            (datetime(2026, 3, 29, 5, 59, tzinfo=UTC), False),
            (datetime(2026, 3, 29, 6, 0, tzinfo=UTC), True),
            (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), True),
        ):
            schedule.nowfun = lambda moment=moment: moment
            assert schedule.is_due(last_run).is_due is due, moment
        # Once it ran at 08:00 CEST, the next run is Monday 08:00 CEST, 24 h later.
        ran = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
        schedule.nowfun = lambda: ran
        assert schedule.is_due(ran) == (False, timedelta(days=1).total_seconds())
    finally:
        app.close()


def test_reminder_keys_are_per_day_appointment_and_channel() -> None:
    assert reminder_key(date(2026, 3, 2), 17, Channel.SMS) == 'reminder:2026-03-02:appointment:17:sms'
    assert confirmation_key(17, 3, 'cancelled') == 'confirmation:appointment:17:seq:3:cancelled:email'
