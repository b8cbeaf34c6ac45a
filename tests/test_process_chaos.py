"""Chaos under a working clinic: ``python main.py`` runs everything under its supervisor while patients book through
the API; the worker, the beat scheduler and the embedded Redis are SIGKILLed in turn. Each comes back with a new PID
(and the Jobs API says so from real signals), bookings keep being answered (201, or a clear 503 — never a 500),
nothing committed is lost, and every committed booking's confirmation arrives exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, select

from hms.cli import RUN_FOLDER
from hms.context import AppContext
from hms.db.models import Appointment, OutboxMessage
from hms.runtime import heartbeat, outbox

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .fault_fixtures import LIMIT, wait_until
from .peers import Mailbox
from .processes import alive, descendants, free_port
from .test_faults import CONFIRMED, book, free_slots, open_clinic, sign_in

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = 6


@dataclass
class System:
    """``python main.py`` in the test's data folder: its children's PIDs are read from the supervisor's PID files."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    base: str
    strays: set[int] = field(default_factory=set)  # pool processes of a killed worker (adopted by init)

    def pid(self, child: str) -> int | None:
        try:
            return int((self.data_dir / RUN_FOLDER / f'{child}.pid').read_text())
        except (OSError, ValueError):
            return None

    def log(self) -> str:
        return (self.data_dir / 'main.log').read_text(errors='replace')

    def running(self) -> bool:
        assert self.process.poll() is None, self.log()[-6000:]
        return True


@pytest.fixture
def system(ctx: AppContext, mailbox: Mailbox) -> Iterator[System]:
    data_dir = ctx.settings.data_path
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
    env.update(
        {
            'HMS_DATA_DIR': str(data_dir),
            'HMS_HOST': '127.0.0.1',
            'HMS_PORT': str(port),
            'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
            'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
            'HMS_CLINIC_NAME': ctx.settings.clinic_name,
            'HMS_MAX_FUTURE_BOOKINGS': '100',
            'HMS_TASK_REDELIVERY_SECONDS': '15',  # a confirmation the killed worker held comes back within the wait
            **mailbox.smtp_env(),
        }
    )
    if ctx.settings.database_url:  # HMS_TEST_POSTGRES=1: the test's PostgreSQL database
        env['HMS_DATABASE_URL'] = ctx.settings.database_url
    with (data_dir / 'main.log').open('wb') as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / 'main.py')],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    found = System(process, data_dir, f'http://127.0.0.1:{port}')
    try:
        yield found
    finally:
        for pid in descendants(process.pid) | found.strays | {process.pid}:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
        print('--- main.log (last lines) ---\n' + '\n'.join(found.log().splitlines()[-80:]))


class Bookings(threading.Thread):
    """Patients booking one slot after another until stopped; every answer is kept."""

    def __init__(self, base: str, people: list[tuple[str, dict[str, str]]], doctor: int, slots: list[str]) -> None:
        super().__init__(daemon=True)
        self.base, self.people, self.doctor, self.slots = base, people, doctor, slots
        self.stop = threading.Event()
        self.answers: list[tuple[str, int, Any]] = []  # (email, status, body)

    def run(self) -> None:
        for number, start in enumerate(self.slots):
            if self.stop.is_set():
                return
            email, headers = self.people[number % len(self.people)]
            try:
                response = book(self.base, headers, self.doctor, start, timeout=30)
                self.answers.append((email, response.status_code, response.json()))
            except httpx.HTTPError as error:  # the web process is never killed here: a transport error is a fault
                self.answers.append((email, 0, repr(error)))
            self.stop.wait(0.2)

    def wait_for_one_more(self, what: str) -> None:
        count = len(self.booked())
        wait_until(lambda: len(self.booked()) > count, what)

    def booked(self) -> list[tuple[str, int]]:
        return [(email, body['id']) for email, status, body in self.answers if status == 201]


def wait_for_component(system: System, admin: dict[str, str], name: str) -> None:
    def ok() -> bool:
        system.running()
        response = httpx.get(f'{system.base}/api/admin/jobs', headers=admin, timeout=30)
        assert response.status_code == 200, response.text
        return any(item['name'] == name and item['status'] == 'ok' for item in response.json()['components'])

    wait_until(ok, f'{name} to be ok again', timeout=2 * LIMIT, every=0.5)


def heartbeat_from(system: System, pid: int | None) -> bool:
    """Whether the latest heartbeat was written by the scheduler process ``pid``."""
    client = redis.Redis(unix_socket_path=str(system.data_dir / 'redis' / 'redis.sock'), socket_timeout=2)
    try:
        raw = client.get(heartbeat.KEY)
    except redis.RedisError:
        return False
    finally:
        client.close()
    return bool(raw) and json.loads(raw)['pid'] == pid


def kill_and_wait_for_the_new_one(system: System, child: str) -> int:
    old = system.pid(child)
    assert old is not None and alive(old), child
    system.strays |= descendants(old)
    os.kill(old, signal.SIGKILL)
    return wait_until(
        lambda: system.running() and (system.pid(child) not in (None, old)) and system.pid(child),
        f'{child} to be restarted',
    )


def test_killing_each_process_loses_nothing(ctx: AppContext, system: System, mailbox: Mailbox) -> None:
    clinic = open_clinic(ctx, patients_count=PATIENTS)
    doctor = clinic.doctor_ids[0]
    wait_until(
        lambda: system.running() and all(system.pid(name) for name in ('redis', 'worker', 'beat', 'web')), 'pids'
    )

    def web_up() -> bool:
        system.running()
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f'{system.base}/login', timeout=2).status_code == 200
        return False

    wait_until(web_up, 'the web server', timeout=2 * LIMIT, every=0.3)
    admin = sign_in(system.base, ADMIN_EMAIL, ADMIN_PASSWORD)
    for component in ('redis', 'worker', 'scheduler'):
        wait_for_component(system, admin, component)
    people = [(email, sign_in(system.base, email)) for email in clinic.patients]
    bookings = Bookings(system.base, people, doctor, free_slots(system.base, people[0][1], doctor))
    bookings.start()
    try:
        for child, component in (('worker', 'worker'), ('beat', 'scheduler'), ('redis', 'redis')):
            bookings.wait_for_one_more(f'a booking before killing {child}')
            new_pid = kill_and_wait_for_the_new_one(system, child)
            assert f'restarted {child} (pid {new_pid}, restart 1)' in system.log()
            wait_for_component(system, admin, component)
            if child == 'beat':  # a fresh heartbeat written by the new scheduler process itself
                wait_until(partial(heartbeat_from, system, new_pid), 'the new scheduler heartbeat')
            if child == 'redis':  # the worker and the scheduler reconnect to the restarted Redis by themselves
                wait_for_component(system, admin, 'worker')
                wait_until(partial(heartbeat_from, system, system.pid('beat')), 'the scheduler heartbeat again')
            bookings.wait_for_one_more(f'a booking after {child} came back')
    finally:
        bookings.stop.set()
        bookings.join(timeout=60)

    statuses = [status for _email, status, _body in bookings.answers]
    print(f'bookings answered: {len(statuses)}, 201: {statuses.count(201)}, 503: {statuses.count(503)}')
    assert set(statuses) <= {201, 503}, [answer for answer in bookings.answers if answer[1] not in (201, 503)]
    for _email, status, body in bookings.answers:
        if status == 503:
            assert body['detail'], body  # a clear, explained refusal
    booked = bookings.booked()
    with ctx.uow() as uow:  # nothing committed is lost, nothing is there that was not acknowledged
        ids = set(uow.session.scalars(select(Appointment.id).where(Appointment.doctor_id == doctor)))
    assert ids == {appointment for _email, appointment in booked}
    expected: dict[str, int] = {}
    for email, _appointment in booked:
        expected[email] = expected.get(email, 0) + 1
    try:
        # A task the broker lost (Redis killed before its append-only file had it) is handed over again after
        # outbox.LOST_AFTER, by the next minute's drain at the latest.
        patience = 2 * LIMIT + outbox.LOST_AFTER.total_seconds() + 60
        wait_until(lambda: mailbox.shown_by(CONFIRMED) == expected, 'every confirmation', timeout=patience, every=0.5)
    except AssertionError:
        got = mailbox.shown_by(CONFIRMED)
        differences = {email: (expected.get(email), got.get(email)) for email in expected | got}
        raise AssertionError(f'confirmations (expected, received): {differences}') from None

    def outbox_empty() -> bool:
        with ctx.uow() as uow:
            return not uow.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))
            )

    wait_until(outbox_empty, 'the outbox to be drained')
    assert mailbox.shown_by(CONFIRMED) == expected  # exactly once each, as the recipients' mailboxes show them

    os.killpg(system.process.pid, signal.SIGINT)  # Ctrl-C still stops everything cleanly
    assert system.process.wait(timeout=90) == 0, system.log()[-4000:]
    assert list((system.data_dir / RUN_FOLDER).glob('*.pid')) == []
