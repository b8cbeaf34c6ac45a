"""Fault injection with real processes: Redis stops under use, the worker and the web server are SIGKILLed mid-work,
the SMTP server is down, the database's disk is read-only or full. Each test states what must hold afterwards.

The processes are ``python main.py web`` and ``python main.py worker`` (what a production deployment runs), in the
test's data folder, with a Redis and an SMTP server that the test controls. Data is arranged in the test process on
the same SQLite file; the children read it through their own connections.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import Celery
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError

from hms import clock as hms_clock
from hms import context
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Appointment, Delivery, JobRun, OutboxMessage
from hms.db.uow import Database
from hms.domain.enums import Channel, DeliveryStatus, Role
from hms.domain.scheduling import AvailabilityIn, BookingIn, DepartmentIn, DoctorIn
from hms.runtime.dispatch import CompositePublisher, TaskPublisher
from hms.runtime.redis_server import EmbeddedRedis
from hms.security.passwords import hash_password
from hms.services import accounts, appointments, availability, deliveries, departments, doctors, reminders
from hms.services.principal import Principal
from jobs.celery_app import create_celery
from pages.ui import status_banner

from . import page_steps
from .api_fixtures import assert_problem
from .factories import ADMIN_EMAIL, DOCTOR_PASSWORD, PATIENT_PASSWORD, make_patient
from .fault_fixtures import *  # noqa: F403 - the fixtures of real processes and Redis
from .fault_fixtures import LIMIT, Stack, deliveries_by_status, free_port, wait_until
from .peers import Mailbox
from .scheduling_fixtures import Clinic, local

pytestmark = pytest.mark.faults

ALL_DAY = {'weekly': [{'weekday': day, 'start': '00:00', 'end': '23:30'} for day in range(7)]}


# --- a clinic on the real clock (the children run on it) ---------------------------------------------------------


@dataclass
class LiveClinic:
    doctor_ids: list[int]
    patients: list[str]  # emails; every patient's password is PATIENT_PASSWORD


def open_clinic(ctx: AppContext, *, doctors_count: int = 1, patients_count: int = 2) -> LiveClinic:
    """Doctors available around the clock every day (so the real 'now' always has slots ahead), and patients."""
    with ctx.uow() as uow:
        admin_user = uow.users.by_email(ADMIN_EMAIL)
        assert admin_user is not None
    admin = Principal(
        user_id=admin_user.id, role=Role.ADMIN, name='Admin', email=ADMIN_EMAIL, must_change_password=False
    )
    with ctx.uow() as uow:
        department = departments.create_department(uow, admin, DepartmentIn(name='General', description='All'))
    doctor_ids = []
    for number in range(doctors_count):
        email = f'doctor{number}@clinic.test'
        with ctx.uow() as uow:
            added = doctors.add_doctor(
                uow,
                admin,
                DoctorIn(
                    name=f'Doctor Number{number}',
                    email=email,
                    department_id=department.id,
                    consultation_minutes=15,
                    experience_years=5,
                    qualifications='MD',
                    bio='',
                ),
            )
        doctor = Principal(
            user_id=added.doctor.id, role=Role.DOCTOR, name='Doctor', email=email, must_change_password=False
        )
        with ctx.uow() as uow:
            availability.set_availability(uow, ctx.settings, doctor, AvailabilityIn.model_validate(ALL_DAY))
            account = uow.users.get(doctor.user_id)
            assert account is not None
            account.password_hash, account.must_change_password = hash_password(DOCTOR_PASSWORD), False
            uow.commit()
        doctor_ids.append(doctor.user_id)
    emails = [f'patient{number}@example.com' for number in range(patients_count)]
    for number, email in enumerate(emails):
        make_patient(ctx, email, name=f'Patient Number{number}')
    return LiveClinic(doctor_ids, emails)


def sign_in(base: str, email: str, password: str = PATIENT_PASSWORD) -> dict[str, str]:
    response = httpx.post(f'{base}/api/login', json={'email': email, 'password': password}, timeout=15)
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


def free_slots(base: str, headers: dict[str, str], doctor_id: int) -> list[str]:
    response = httpx.get(f'{base}/api/doctors/{doctor_id}/slots', headers=headers, timeout=15)
    assert response.status_code == 200, response.text
    return [slot['start'] for slot in response.json()]


def book(base: str, headers: dict[str, str], doctor_id: int, start: str, **options: Any) -> httpx.Response:
    body = {'doctor_id': doctor_id, 'start': start, 'reason': 'Check-up'}
    return httpx.post(f'{base}/api/appointments', json=body, headers=headers, timeout=options.get('timeout', 15))


def producer(settings: Settings, redis_url: str) -> Celery:
    return create_celery(settings.model_copy(update={'redis_url': redis_url}))


def sqlite_checks(path: Path) -> tuple[str, list[Any]]:
    """PRAGMA integrity_check and foreign_key_check, on a connection of its own (it also replays the WAL)."""
    connection = sqlite3.connect(path)
    try:
        integrity = connection.execute('PRAGMA integrity_check').fetchone()[0]
        foreign = connection.execute('PRAGMA foreign_key_check').fetchall()
    finally:
        connection.close()
    return integrity, foreign


# --- 1. Redis stops while the app is in use ---------------------------------------------------------------------


CONFIRMED = 'Booked: your appointment'


def test_redis_outage_keeps_the_app_working_and_loses_no_confirmation(
    ctx: AppContext, stack: Stack, own_redis: EmbeddedRedis, mailbox: Mailbox
) -> None:
    clinic = open_clinic(ctx, patients_count=3)
    doctor = clinic.doctor_ids[0]
    env = {'HMS_REDIS_URL': own_redis.url, **mailbox.smtp_env()}
    stack.env.update(env)
    _, base = stack.web()
    stack.worker(beat=True)
    app = producer(ctx.settings, own_redis.url)
    try:
        assert app.send_task('hms.ping').get(timeout=LIMIT) == 'pong'
        ada = sign_in(base, clinic.patients[0])
        slots = free_slots(base, ada, doctor)
        before = book(base, ada, doctor, slots[0])
        assert before.status_code == 201, before.text
        wait_until(lambda: mailbox.count_by(CONFIRMED).get(clinic.patients[0]) == 1, 'the first confirmation')

        assert own_redis.pid is not None
        os.kill(own_redis.pid, signal.SIGSTOP)  # first it hangs: connections open, no answers
        try:
            hung = book(base, ada, doctor, slots[3])  # answered (the 15 s client timeout is the bound), not frozen
            assert hung.status_code == 201, hung.text
        finally:
            os.kill(own_redis.pid, signal.SIGCONT)

        own_redis.stop()  # then it is gone: the queue, the cache and the live events

        assert httpx.get(f'{base}/login', timeout=15).status_code == 200  # pages are served
        bob = sign_in(base, clinic.patients[1])  # login works
        assert httpx.get(f'{base}/api/doctors', headers=bob, timeout=15).status_code == 200  # cache bypassed
        during = book(base, bob, doctor, slots[1])  # booking works, answered without waiting for Redis
        assert during.status_code == 201, during.text
        mine = httpx.get(f'{base}/api/appointments', headers=bob, timeout=15)
        assert mine.status_code == 200 and [item['id'] for item in mine.json()] == [during.json()['id']]
        history = httpx.get(f'{base}/api/patient/history', headers=bob, timeout=15)
        assert history.status_code == 200, history.text  # records work
        export = httpx.post(f'{base}/api/exports', json={'kind': 'my-history'}, headers=bob, timeout=30)
        assert_problem(export, 503, 'could not be reached')  # a clear refusal, not a 500 and not a hang
        with ctx.uow() as uow:  # the confirmation waits in the outbox, committed with the booking
            waiting = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))).all()
            assert during.json()['id'] in [row.appointment_id for row in waiting]

        own_redis.start()  # same folder: what Redis held comes back with it
        assert app.send_task('hms.ping').get(timeout=LIMIT) == 'pong'  # the worker reconnected by itself
        assert httpx.get(f'{base}/login', timeout=15).status_code == 200

        carol = sign_in(base, clinic.patients[2])
        after = book(base, carol, doctor, slots[2])  # the app in use again: its hand-over also catches up
        assert after.status_code == 201, after.text
        expected = {clinic.patients[0]: 2, clinic.patients[1]: 1, clinic.patients[2]: 1}
        wait_until(lambda: mailbox.count_by(CONFIRMED) == expected, 'every confirmation once, none lost')
        retried = httpx.post(f'{base}/api/exports', json={'kind': 'my-history'}, headers=bob, timeout=30)
        assert retried.status_code == 202, retried.text  # exports are queued again ...
        status_url = f'{base}/api/exports/{retried.json()["id"]}'
        wait_until(
            lambda: httpx.get(status_url, headers=bob, timeout=15).json()['status'] == 'done', 'the export to finish'
        )  # ... and the worker runs them
        wait_until(lambda: len(mailbox.count_by('Your export')) == 1, 'the export email')
        with ctx.uow() as uow:
            assert uow.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dispatched_at.is_(None))) is None

        def all_done() -> bool:  # the worker that ran each task said so (the row's header reached it)
            with ctx.uow() as uow:
                return uow.session.scalar(select(OutboxMessage.id).where(OutboxMessage.done_at.is_(None))) is None

        wait_until(all_done, 'every outbox row marked done by the worker')
        assert mailbox.count_by(CONFIRMED) == expected  # still once each: nothing sent twice
    finally:
        app.close()


async def test_pages_show_a_banner_while_background_jobs_are_delayed(user: User, redis_url: str) -> None:
    ctx = context.get()
    make_patient(ctx, 'ada@example.com')
    await page_steps.sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'Sign out')
    await user.should_not_see(marker='jobs-delayed')  # no Redis configured: no jobs to delay

    ctx.settings = ctx.settings.model_copy(update={'redis_url': f'redis://127.0.0.1:{free_port()}/0'})  # dead
    await user.open('/patient/appointments')
    await user.should_see(status_banner.MESSAGE, marker='jobs-delayed')
    await user.should_see('Upcoming')  # the page itself is all there

    ctx.settings = ctx.settings.model_copy(update={'redis_url': redis_url})  # Redis is back
    await user.open('/patient/appointments')
    await user.should_not_see(marker='jobs-delayed')


# --- 2. The worker is killed in the middle of the daily reminder run ------------------------------------------


TUESDAY = '2026-03-03'
REMINDED = 'Reminder: your appointment'


def tuesday_for_everyone(clinic: Clinic, count: int) -> list[str]:
    """``count`` patients with one appointment each on Tuesday (the clinic's slots), booked without side effects."""
    database = Database(clinic.ctx.settings.effective_database_url)  # no publisher: no confirmations queued
    settings = clinic.ctx.settings
    emails = []
    starts = [local(3, hour, minute) for hour in (9, 10, 11, 12, 14, 15, 16) for minute in (0, 30)]
    try:
        for number in range(count):
            email = f'patient{number}@example.com'
            user = make_patient(clinic.ctx, email, name=f'Patient Number{number}')
            person = Principal(
                user_id=user.id, role=Role.PATIENT, name=user.name, email=email, must_change_password=False
            )
            doctor = (clinic.doctor, clinic.other_doctor)[number % 2]
            with database.uow() as uow:
                appointments.book(uow, settings, person, BookingIn(doctor_id=doctor.user_id, start=starts[number // 2]))
            emails.append(email)
    finally:
        database.dispose()
    return emails


def settled(ctx: AppContext, mailbox: Mailbox) -> bool:
    sent = deliveries_by_status(ctx, reminders.REMINDER).get(DeliveryStatus.SENT, 0)
    return mailbox.held > 0 and sent == len(mailbox.received())


def test_worker_killed_mid_run_every_patient_gets_exactly_one_reminder(
    clinic: Clinic, stack: Stack, own_redis: EmbeddedRedis, mailbox: Mailbox
) -> None:
    emails = tuesday_for_everyone(clinic, 24)
    stack.env.update({'HMS_REDIS_URL': own_redis.url, 'HMS_TIMEZONE': 'Europe/Berlin', **mailbox.smtp_env()})
    mailbox.hold_after = 8  # from the 9th message on, the SMTP server holds every sender before accepting
    worker = stack.worker()
    app = producer(clinic.ctx.settings, own_redis.url)
    try:
        app.send_task('hms.daily_reminders', kwargs={'day': TUESDAY}, ignore_result=True)
        wait_until(lambda: mailbox.held > 0, 'a sender to wait at the held SMTP server')
        # Killed at a known point: every accepted message recorded as sent (stable for a moment, so no sender is
        # between the server's 250 and its own record), the others claimed, queued or held before sending.
        wait_until(
            lambda: settled(clinic.ctx, mailbox) and (time.sleep(0.3) or settled(clinic.ctx, mailbox)),
            'the accepted reminders to be recorded',
        )
        assert len(mailbox.received()) < len(emails)
        worker.kill()
        with clinic.ctx.uow() as uow:
            pending = uow.session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.PENDING)).all()
            assert pending and all(row.claimed_by for row in pending)  # abandoned claims, held by the dead node
        mailbox.hold_after = None

        stack.worker()  # the same node starts again and takes over what its previous life left
        wait_until(lambda: len(mailbox.count_by(REMINDED)) == len(emails), 'every patient to get a reminder')
        wait_until(
            lambda: deliveries_by_status(clinic.ctx, reminders.REMINDER) == {DeliveryStatus.SENT: 24},
            'every reminder recorded as sent',
        )
        app.send_task('hms.ping').get(timeout=LIMIT)  # the worker has drained what was queued before the ping
        assert mailbox.count_by(REMINDED) == dict.fromkeys(emails, 1)  # exactly one each
        with clinic.ctx.uow() as uow:
            runs = uow.session.scalars(select(JobRun).order_by(JobRun.id)).all()
            assert runs[0].status == 'failed' and 'interrupted' in runs[0].detail['error']  # the killed run
            assert len(runs) >= 2  # and the one its restart started
    finally:
        app.close()


# --- 3. The SMTP server is down for a while ------------------------------------------------------------------


def test_smtp_down_for_a_while_every_reminder_arrives_once_it_is_back(
    clinic: Clinic, stack: Stack, own_redis: EmbeddedRedis
) -> None:
    emails = tuesday_for_everyone(clinic, 3)
    box = Mailbox()  # its port is reserved for the worker's settings, but nothing listens yet
    stack.env.update({'HMS_REDIS_URL': own_redis.url, 'HMS_TIMEZONE': 'Europe/Berlin', **box.smtp_env()})
    stack.worker()
    app = producer(clinic.ctx.settings, own_redis.url)
    try:
        app.send_task('hms.daily_reminders', kwargs={'day': TUESDAY}, ignore_result=True)

        def retried() -> bool:
            with clinic.ctx.uow() as uow:
                rows = uow.session.scalars(select(Delivery)).all()
            return len(rows) == 3 and all(row.attempts >= 2 and row.last_error for row in rows)

        wait_until(retried, 'every delivery to fail and be retried')
        assert deliveries_by_status(clinic.ctx, reminders.REMINDER) == {DeliveryStatus.PENDING: 3}  # not given up
        box.start()
        wait_until(
            lambda: deliveries_by_status(clinic.ctx, reminders.REMINDER) == {DeliveryStatus.SENT: 3},
            'the retries to reach the SMTP server',
        )
        app.send_task('hms.ping').get(timeout=LIMIT)
        assert box.count_by(REMINDED) == dict.fromkeys(emails, 1)
    finally:
        app.close()
        box.stop()


# --- 4. The web process is killed during a burst of bookings ------------------------------------------------


def test_web_killed_during_a_booking_burst_keeps_every_acknowledged_booking(ctx: AppContext, stack: Stack) -> None:
    clinic = open_clinic(ctx, doctors_count=2, patients_count=4)
    stack.env['HMS_MAX_FUTURE_BOOKINGS'] = '200'
    web, base = stack.web()
    people = [sign_in(base, email) for email in clinic.patients]
    queue = [(doctor, start) for doctor in clinic.doctor_ids for start in free_slots(base, people[0], doctor)[:60]]
    lock = threading.Lock()
    acknowledged: list[int] = []
    errors: list[str] = []

    def client(headers: dict[str, str]) -> None:
        while True:
            with lock:
                if not queue:
                    return
                doctor, start = queue.pop()
            try:
                response = book(base, headers, doctor, start, timeout=10)
            except httpx.HTTPError as error:  # the server died under this request: no answer, no promise
                errors.append(type(error).__name__)
                return
            if response.status_code == 201:
                with lock:
                    acknowledged.append(response.json()['id'])

    threads = [threading.Thread(target=client, args=(headers,), daemon=True) for headers in people]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acknowledged) >= 20, 'a burst of acknowledged bookings', every=0.01)
    web.kill()
    for thread in threads:
        thread.join(timeout=LIMIT)
    assert errors, 'the kill landed after the burst'

    sqlite = ctx.db.engine.dialect.name == 'sqlite'  # PostgreSQL's own server keeps its files; nothing to check here
    if sqlite:
        integrity, foreign = sqlite_checks(ctx.settings.data_path / 'hms.db')
        assert integrity == 'ok' and foreign == []
    _, base = stack.web()  # it starts again on the same database
    with ctx.uow() as uow:
        stored = set(uow.session.scalars(select(Appointment.id)).all())
    assert set(acknowledged) <= stored  # every 201 the clients saw is there
    again = book(base, sign_in(base, clinic.patients[0]), *queue_tail(base, clinic))
    assert again.status_code == 201, again.text
    assert not sqlite or sqlite_checks(ctx.settings.data_path / 'hms.db') == ('ok', [])


def queue_tail(base: str, clinic: LiveClinic) -> tuple[int, str]:
    doctor = clinic.doctor_ids[-1]
    return doctor, free_slots(base, sign_in(base, clinic.patients[1]), doctor)[-1]


# --- 5. The database's disk is read-only or full -------------------------------------------------------------


@pytest.fixture
def tiny_disk() -> Any:
    """A 4 MB tmpfs (root only); skipped where mounting is not allowed."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix='hms-disk-', dir='/tmp'))
    mounted = (
        subprocess.run(
            ['mount', '-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', str(folder)], capture_output=True, check=False
        ).returncode
        == 0
    )
    if not mounted:
        folder.rmdir()
        pytest.skip('mounting a tmpfs needs root; the in-process disk-full test covers the behaviour')
    try:
        yield folder
    finally:
        subprocess.run(['umount', '-l', str(folder)], check=False)
        with contextlib.suppress(OSError):
            folder.rmdir()


def fill(folder: Path) -> Path:
    """Take every free byte of the disk."""
    filler = folder / 'filler'
    with filler.open('wb') as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b'\0' * 65536)
            handle.flush()
    return filler


@pytest.mark.sqlite_only(reason='fills the disk under a copy of the SQLite file')
def test_full_disk_answers_503_logs_it_and_corrupts_nothing(ctx: AppContext, stack: Stack, tiny_disk: Path) -> None:
    clinic = open_clinic(ctx, patients_count=1)
    ctx.db.dispose()
    database = tiny_disk / 'hms.db'
    connection = sqlite3.connect(ctx.settings.data_path / 'hms.db')
    connection.execute(f"VACUUM INTO '{database}'")  # a consistent copy on the small disk
    connection.close()
    web, base = stack.web(HMS_DATABASE_URL=f'sqlite:///{database}')
    ada = sign_in(base, clinic.patients[0])
    doctor = clinic.doctor_ids[0]
    slots = free_slots(base, ada, doctor)
    filler = fill(tiny_disk)
    outcomes = [book(base, ada, doctor, start) for start in slots[:30]]  # enough to outgrow the WAL's free pages
    refused = [response for response in outcomes if response.status_code != 201]
    assert refused, 'the disk never filled up'
    for response in refused:
        assert_problem(response, 503, 'out of disk space', 'Nothing was changed')
        assert response.headers['Retry-After']
    assert 'database unavailable during POST /api/appointments: database or disk is full' in web.log()
    filler.unlink()  # space again: the same process books again without a restart
    fresh = [start for start in free_slots(base, ada, doctor) if start not in slots[: len(outcomes)]]
    assert book(base, ada, doctor, fresh[0]).status_code == 201
    assert sqlite_checks(database) == ('ok', [])


@pytest.mark.sqlite_only(reason='opens the SQLite file read-only')
def test_read_only_database_answers_503_and_logs_it(ctx: AppContext, stack: Stack) -> None:
    clinic = open_clinic(ctx, patients_count=1)
    ctx.db.dispose()
    path = ctx.settings.data_path / 'hms.db'
    web, base = stack.web(HMS_DATABASE_URL=f'sqlite:///file:{path}?mode=ro&uri=true')  # a read-only mount, as seen
    login = httpx.post(
        f'{base}/api/login', json={'email': clinic.patients[0], 'password': PATIENT_PASSWORD}, timeout=15
    )
    assert_problem(login, 503, 'read-only', 'Nothing was changed')
    assert httpx.get(f'{base}/login', timeout=15).status_code == 200  # pages that only read still open
    assert 'database unavailable during POST /api/login: attempt to write a readonly database' in web.log()
    assert sqlite_checks(path) == ('ok', [])


# In-process: the NiceGUI side (error page and notification) and the 503 mapping, on any machine.


def read_only(database: Database) -> None:
    """Every new connection of this engine refuses writes, like a database on a read-only disk."""

    def refuse_writes(connection: Any, _record: Any) -> None:
        if database.engine.dialect.name == 'sqlite':
            connection.execute('PRAGMA query_only = ON')
            return
        cursor = connection.cursor()  # PostgreSQL: as on a hot standby
        cursor.execute('SET SESSION default_transaction_read_only = on')
        cursor.close()
        connection.commit()

    event.listen(database.engine, 'connect', refuse_writes)
    database.engine.dispose()


def disk_full(database: Database) -> None:
    """Every new connection may not grow the file by a page, like a database on a full disk (SQLITE_FULL)."""

    def no_room(connection: Any, _record: Any) -> None:
        pages = connection.execute('PRAGMA page_count').fetchone()[0]
        connection.execute(f'PRAGMA max_page_count = {pages}')

    event.listen(database.engine, 'connect', no_room)
    database.engine.dispose()


async def test_pages_show_a_clear_error_when_the_database_is_read_only(user: User, caplog: Any) -> None:
    ctx = context.get()
    make_patient(ctx, 'ada@example.com')
    await user.open('/login')
    user.find('Email').type('ada@example.com')
    user.find('Password').type(PATIENT_PASSWORD)
    read_only(ctx.db)
    user.find(kind=ui.button, content='Sign in').click()
    await page_steps.see(user, 'The database is read-only at the moment')  # a notification, no traceback
    assert any('database unavailable during an action' in record.getMessage() for record in caplog.records)
    assert not any(
        'INSERT' in record.getMessage() and '@example.com' in str(record.exc_info) for record in caplog.records
    )
    caplog.clear()  # the errors above were the point of this test


async def test_a_page_that_cannot_load_shows_the_database_error_page(
    user: User, caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context.get()
    make_patient(ctx, 'ada@example.com')
    await page_steps.sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'Sign out')
    monkeypatch.setattr(accounts, 'LAST_SEEN_GRANULARITY', timedelta(0))
    read_only(ctx.db)  # the next page load must record the session's activity, and cannot
    response = await user.http_client.get('/patient/appointments')  # the page as the browser receives it
    assert response.status_code == 500
    for words in (
        'The clinic system cannot save or load data right now',
        'The database is read-only at the moment',
        'Nothing was changed',
    ):
        assert words in response.text
    assert 'Traceback' not in response.text and 'OperationalError' not in response.text
    assert any('database unavailable during a page' in record.getMessage() for record in caplog.records)
    caplog.clear()  # the errors above were the point of this test


def test_api_maps_a_locked_database_to_503(ctx: AppContext) -> None:
    from fastapi.testclient import TestClient

    from hms.api.app import create_api

    make_patient(ctx, 'ada@example.com')
    read_only(ctx.db)
    with TestClient(create_api(), raise_server_exceptions=False) as client:
        response = client.post('/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    body = assert_problem(response, 503, 'read-only')
    assert body['title'] == 'Database unavailable' and 'INSERT' not in body['detail']


@pytest.mark.sqlite_only(reason="SQLite's page limit and integrity check of the file")
def test_the_database_survives_a_failed_write_intact(ctx: AppContext) -> None:
    make_patient(ctx, 'ada@example.com')
    disk_full(ctx.db)
    with pytest.raises(Exception, match='full'), ctx.uow() as uow:
        uow.session.execute(text("UPDATE users SET name = 'X' WHERE email = 'ada@example.com'"))
        uow.session.execute(
            text(
                "INSERT INTO notices (user_id, created_at, subject, body) SELECT id, '2026-01-01', "
                'hex(randomblob(2000)), hex(randomblob(200000)) FROM users'
            )
        )
        uow.commit()
    ctx.db.dispose()
    assert sqlite_checks(ctx.settings.data_path / 'hms.db') == ('ok', [])
    connection = sqlite3.connect(ctx.settings.data_path / 'hms.db')
    assert connection.execute("SELECT name FROM users WHERE email = 'ada@example.com'").fetchone()[0] != 'X'
    connection.close()


# --- the outbox and the claims, piece by piece (in process) ----------------------------------------------------


def dead_redis(settings: Settings) -> Settings:
    return settings.model_copy(update={'redis_url': f'redis://127.0.0.1:{free_port()}/0'})


def outbox_rows(ctx: AppContext) -> list[OutboxMessage]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_confirmation_commits_with_the_booking_or_not_at_all(clinic: Clinic) -> None:
    settings = dead_redis(clinic.ctx.settings)
    publisher = TaskPublisher(settings)
    database = Database(settings.effective_database_url, CompositePublisher([publisher]))
    try:
        with database.uow() as uow:
            view = appointments.book(
                uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9))
            )
        [row] = outbox_rows(clinic.ctx)
        assert row.kwargs == {'appointment_id': view.id, 'kind': 'booked', 'sequence': 0}
        assert row.dispatched_at is None  # Redis was down: it waits

        with pytest.raises(IntegrityError), database.uow() as uow:  # a change whose commit fails ...
            uow.emit('appointment.cancelled', appointment_id=view.id)
            for _ in range(2):  # the same delivery key twice: the commit fails on the unique index
                now = hms_clock.now()
                uow.session.add(
                    Delivery(
                        key='taken',
                        kind='x',
                        channel=Channel.EMAIL,
                        recipient='r',
                        subject='s',
                        status=DeliveryStatus.PENDING,
                        attempts=1,
                        created_at=now,
                        claimed_at=now,
                    )
                )
            uow.commit()
        assert len(outbox_rows(clinic.ctx)) == 1  # ... leaves no confirmation behind
    finally:
        publisher.close()
        database.dispose()


def test_outbox_rows_are_handed_over_once_and_wait_while_the_broker_fails(ctx: AppContext, clock: Any) -> None:
    from hms.runtime import outbox

    with ctx.uow() as uow:
        for number in range(3):
            outbox.stage(uow.session, 'hms.ping', {'n': number})
        uow.commit()
    sent: list[int] = []

    def broker_fails_on_the_second(task: str, kwargs: dict[str, Any], row_id: int) -> None:
        if kwargs['n'] == 1 and not sent.count(-1):
            sent.append(-1)
            raise ConnectionError('broker down')
        sent.append(kwargs['n'])

    with ctx.uow() as uow:
        first = outbox.dispatch(uow, broker_fails_on_the_second)
    assert (first.dispatched, first.failed, first.left) == (1, 2, 2)
    with ctx.uow() as uow:
        second = outbox.dispatch(uow, broker_fails_on_the_second)
    assert (second.dispatched, second.left) == (2, 0)
    assert [n for n in sent if n >= 0] == [0, 1, 2]  # each once, in order
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, broker_fails_on_the_second).dispatched == 0  # nothing twice
    with ctx.uow() as uow:  # the worker ran those three
        for row in outbox_rows(ctx):
            outbox.mark_done(uow, row.id)

    with ctx.uow() as uow:  # a row claimed by a process that died before handing it over ...
        row = outbox.stage(uow.session, 'hms.ping', {'n': 3})
        uow.commit()
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(claimed_at=clock.now()))
        uow.commit()
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, broker_fails_on_the_second).dispatched == 0  # ... is left alone for a while
    clock.advance(outbox.STALE_DISPATCH + timedelta(seconds=1))
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, broker_fails_on_the_second).dispatched == 1  # ... then taken over
    with ctx.uow() as uow:  # every task ran: nothing is handed over again, however long it waits
        for row in outbox_rows(ctx):
            outbox.mark_done(uow, row.id)
    clock.advance(outbox.LOST_AFTER * 10)
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, broker_fails_on_the_second).dispatched == 0
    clock.advance(outbox.KEEP_DISPATCHED + timedelta(days=1))
    with ctx.uow() as uow:
        assert outbox.purge(uow) == 4 and outbox.pending_count(uow) == 0


def test_a_task_the_broker_lost_is_handed_over_again(ctx: AppContext, clock: Any) -> None:
    """Handed over, but its worker never said it ran (a Redis killed before its append-only file had the task): after
    LOST_AFTER it goes to the broker again, a few times at most; once a worker ran it, never again."""
    from hms.runtime import outbox

    with ctx.uow() as uow:
        lost = outbox.stage(uow.session, 'hms.ping', {'n': 'lost'})
        ran = outbox.stage(uow.session, 'hms.ping', {'n': 'ran'})
        uow.commit()
    sent: list[tuple[object, int]] = []

    def send(task: str, kwargs: dict[str, Any], row_id: int) -> None:
        sent.append((kwargs['n'], row_id))

    with ctx.uow() as uow:
        assert outbox.dispatch(uow, send).dispatched == 2
    assert sent == [('lost', lost.id), ('ran', ran.id)]  # each task names its row (the worker's header)
    with ctx.uow() as uow:
        outbox.mark_done(uow, ran.id)  # the worker ran this one; the other never arrived
    clock.advance(outbox.LOST_AFTER - timedelta(seconds=5))
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, send).dispatched == 0  # a task may be slow: not yet
    clock.advance(timedelta(seconds=10))
    with ctx.uow() as uow:
        assert outbox.dispatch(uow, send).dispatched == 1
    assert sent[-1] == ('lost', lost.id)
    for _again in range(outbox.MOST_HANDOVERS):
        clock.advance(outbox.LOST_AFTER + timedelta(seconds=1))
        with ctx.uow() as uow:
            outbox.dispatch(uow, send)
    assert [n for n, _row in sent].count('lost') == outbox.MOST_HANDOVERS  # then it is left for the admin to see
    assert [n for n, _row in sent].count('ran') == 1


def test_a_restarted_node_releases_only_its_own_earlier_claims(ctx: AppContext, clock: Any) -> None:
    def claim(key: str, node: str) -> deliveries.Claim:
        deliveries.set_owner(node)
        with ctx.uow() as uow:
            made = deliveries.claim(uow, key, kind='reminder', channel=Channel.EMAIL, recipient='a@b.c', subject='s')
        assert made is not None
        return made

    try:
        old = claim('dead-node-claim', 'hms@a')
        other = claim('live-node-claim', 'hms@b')
        clock.advance(timedelta(seconds=5))
        restarted_at = clock.now()
        clock.advance(timedelta(seconds=1))
        new = claim('after-restart', 'hms@a')
        with ctx.uow() as uow:
            released = deliveries.release_claims_of(uow, 'hms@a', restarted_at)
        assert [item.key for item in released] == ['dead-node-claim']
        deliveries.set_owner('hms@a')
        with ctx.uow() as uow:
            taken = deliveries.claim(
                uow, 'dead-node-claim', kind='reminder', channel=Channel.EMAIL, recipient='a@b.c', subject='s'
            )
            assert taken is not None and taken.attempt == 2  # claimable at once, without the stale wait
            assert not deliveries.take(uow, old)  # a copy of the old task, handed back by Redis later: not ours
            assert (
                deliveries.claim(
                    uow, 'live-node-claim', kind='reminder', channel=Channel.EMAIL, recipient='a@b.c', subject='s'
                )
                is None
            )  # another node's claim stays
            assert deliveries.take(uow, other) and deliveries.take(uow, new)
    finally:
        deliveries.set_owner(None)


def test_beat_drains_the_outbox_every_minute(settings: Settings) -> None:
    from jobs.schedule import beat_schedule

    entry = beat_schedule(settings)['outbox-drain']
    assert entry['task'] == 'hms.drain_outbox'
    assert entry['schedule'].minute == set(range(60)) and entry['schedule'].hour == set(range(24))


def test_the_periodic_drain_sends_what_waited_in_the_outbox_once(
    clinic: Clinic, celery_worker: Celery, mailbox: Mailbox
) -> None:
    from jobs.outbox import DRAIN_TASK

    ctx = context.init(
        context.get().settings.model_copy(
            update={
                'smtp_host': '127.0.0.1',
                'smtp_port': mailbox.port,
                'smtp_starttls': False,
                'smtp_timeout_seconds': 5.0,
            }
        )
    )
    down = dead_redis(ctx.settings)
    publisher = TaskPublisher(down)
    database = Database(down.effective_database_url, CompositePublisher([publisher]))
    try:
        for who, hour in ((clinic.patient, 9), (clinic.other_patient, 10)):
            with database.uow() as uow:  # booked while Redis was down: both confirmations wait in the outbox
                appointments.book(
                    uow, ctx.settings, who, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, hour))
                )
        assert len([row for row in outbox_rows(ctx) if row.dispatched_at is None]) == 2
        drain = celery_worker.tasks[DRAIN_TASK]  # the task of the worker's app (a producer made another current)
        assert drain.apply().get()['dispatched'] == 2  # the beat's drain, once Redis is reachable
        expected = {clinic.patient.email: 1, clinic.other_patient.email: 1}
        wait_until(lambda: mailbox.count_by(CONFIRMED) == expected, 'both confirmations')
        assert drain.apply().get()['dispatched'] == 0
        celery_worker.send_task('hms.ping').get(timeout=LIMIT)
        assert mailbox.count_by(CONFIRMED) == expected
    finally:
        publisher.close()
        database.dispose()
        if isinstance(ctx.publisher, CompositePublisher):
            ctx.publisher.close()


@pytest.mark.parametrize(
    ('driver_message', 'said'),
    [
        ('attempt to write a readonly database', 'read-only'),
        ('database or disk is full', 'out of disk space'),
        ('database is locked', 'busy'),
        ('disk I/O error', 'cannot write to its disk'),
        ('could not connect to server: Connection refused', 'cannot be reached'),
    ],
)
def test_each_database_fault_is_explained_in_plain_words(driver_message: str, said: str) -> None:
    from sqlalchemy.exc import OperationalError

    from hms.db import faults

    error = OperationalError('UPDATE users SET name=? WHERE id=?', ('Ada', 1), sqlite3.OperationalError(driver_message))
    assert faults.is_unavailable(error)
    assert said in faults.user_message(error) and 'Nothing was changed' in faults.user_message(error)
    assert faults.reason(error) == driver_message  # the log line: no statement, no parameters
    assert not faults.is_unavailable(IntegrityError('INSERT', {}, sqlite3.IntegrityError('UNIQUE failed')))
