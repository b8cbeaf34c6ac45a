"""CSV exports end to end: a real Celery worker thread over the real embedded Redis builds the files; the API and the
pages request, follow and download them; the worker's result is pushed to an open page over Redis pub/sub.

The clinic (``clinic`` fixture) is the Berlin clinic on Monday 2 March 2026, 08:00, with a frozen clock.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from celery import Celery
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nicegui.testing import User
from sqlalchemy import func, select

from hms import context
from hms.clock import ManualClock
from hms.db.models import Delivery, Export, JobRun
from hms.domain.enums import DeliveryStatus, ExportStatus
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.events import Event
from hms.notify.sink import SmtpSink, read_outbox
from hms.services import appointments, exports, records
from hms.services.exports import ExportKind
from hms.services.principal import Principal

from . import api_fixtures, page_steps
from .api_fixtures import Headers, assert_problem, give_password, login, mounted_api
from .factories import ADMIN_PASSWORD, PATIENT_PASSWORD, finished_export, make_patient
from .scheduling_fixtures import Clinic, local

PATIENCE_SECONDS = 30.0  # an export takes a fraction of a second; slack for a loaded machine
TREATMENT: dict[str, Any] = {
    'diagnosis': 'Grippe saisonnière',
    'treatment': 'Rest and fluids',
    'prescription': [
        {
            'name': 'Paracetamol',
            'dose': '500 mg',
            'frequency': 'every 6 hours',
            'duration': '5 days',
            'instructions': 'after meals',
        },
        {'name': 'Ibuprofen', 'dose': '400 mg', 'frequency': 'as needed'},
    ],
    'tests': '+ chest X-ray if no better',
    'notes': 'Stay home until the fever is gone.',
    'private_notes': 'PRIVATE-CLINICIANS-ONLY',
    'next_visit': '2026-03-16',
}
HISTORY_HEADER = [
    'Patient ID',
    'Patient name',
    'Consulting doctor',
    'Department',
    'Appointment date',
    'Diagnosis',
    'Treatment',
    'Prescription',
    'Tests advised',
    'Next visit suggested',
    'Notes from the doctor',
]
PRESCRIPTION = 'Paracetamol 500 mg, every 6 hours, 5 days (after meals); Ibuprofen 400 mg, as needed'


# --- Data and helpers -------------------------------------------------------------------------------------------------


def book(clinic: Clinic, patient: Principal, doctor: Principal, day: int, hour: int) -> int:
    with clinic.ctx.uow() as uow:
        data = BookingIn(doctor_id=doctor.user_id, start=local(day, hour), reason='Fever')
        booked = appointments.book(uow, clinic.ctx.settings, patient, data)
    return booked.id


def visit(clinic: Clinic) -> int:
    """Ada's completed visit with Dr Grey today at 09:00 (and her treatment record)."""
    appointment_id = book(clinic, clinic.patient, clinic.doctor, 2, 9)
    with clinic.ctx.uow() as uow:
        records.complete_visit(
            uow, clinic.ctx.settings, clinic.doctor, appointment_id, TreatmentIn.model_validate(TREATMENT)
        )
    return appointment_id


def parse_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b'\xef\xbb\xbf'), 'UTF-8 byte order mark first'
    text = content.decode('utf-8')[1:]
    assert '\r\n' in text and '\n' not in text.replace('\r\n', ''), 'RFC 4180 line ends'
    return list(csv.reader(io.StringIO(text, newline='')))


def export_row(clinic: Clinic, export_id: int) -> Export:
    with clinic.ctx.uow() as uow:
        found = uow.session.get(Export, export_id)
        assert found is not None
        return found


def eventually(check: Callable[[], Any], what: str, timeout: float = PATIENCE_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.05)


class People(api_fixtures.People):
    """Ada, Bob, Dr Grey and the administrator signed in at once (and again by ``relogin``), and the export steps."""

    def __init__(self, api: TestClient, clinic: Clinic) -> None:
        give_password(clinic, clinic.doctor)
        give_password(clinic, clinic.other_doctor)
        super().__init__(api, clinic)
        self.relogin()

    def relogin(self) -> None:
        """Sign everyone in (again: moving the clock past the idle timeout ends their sessions)."""
        super().relogin()
        for name in ('ada', 'bob', 'grey', 'admin'):
            getattr(self, name)

    def request(self, headers: Headers, kind: str, first: str | None = None, last: str | None = None) -> int:
        body: dict[str, Any] = {'kind': kind}
        if first or last:
            body |= {'from': first, 'to': last}
        response = self.api.post('/api/exports', headers=headers, json=body)
        assert response.status_code == 202, response.text
        assert response.json()['status'] == 'queued'
        assert response.headers['location'] == f'/api/exports/{response.json()["id"]}'
        return int(response.json()['id'])

    def finished(self, headers: Headers, export_id: int) -> dict[str, Any]:
        def state() -> dict[str, Any] | None:
            body = self.api.get(f'/api/exports/{export_id}', headers=headers).json()
            return body if body['status'] in ('done', 'failed') else None

        return eventually(state, f'export {export_id} to finish')

    def csv(self, headers: Headers, kind: str, first: str | None = None, last: str | None = None) -> list[list[str]]:
        export_id = self.request(headers, kind, first, last)
        body = self.finished(headers, export_id)
        assert body['status'] == 'done', body
        response = self.api.get(f'/api/exports/{export_id}/download', headers=headers)
        assert response.status_code == 200, response.text
        table = parse_csv(response.content)
        assert body['rows'] == len(table) - 1
        return table


@pytest.fixture
def api(clinic: Clinic, celery_worker: Celery) -> Iterator[TestClient]:
    """The API over the worker's context (real Redis); the worker thread runs the export tasks."""
    yield from mounted_api()


@pytest.fixture
def people(api: TestClient, clinic: Clinic) -> People:
    return People(api, clinic)


# --- The API with the real worker -------------------------------------------------------------------------------------


def test_a_patient_exports_their_treatment_history(
    people: People, clinic: Clinic, mail_sink: SmtpSink, celery_worker: Celery
) -> None:
    visit(clinic)
    book(clinic, clinic.patient, clinic.other_doctor, 3, 10)  # booked, not a visit yet: not in the history
    export_id = people.request(people.ada, 'my-history')
    body = people.finished(people.ada, export_id)
    assert {key: body[key] for key in ('id', 'kind', 'status', 'rows', 'error')} == {
        'id': export_id,
        'kind': 'my-history',
        'status': 'done',
        'rows': 1,
        'error': None,
    }
    assert body['download'] == f'/api/exports/{export_id}/download' and body['expired'] is False

    response = people.api.get(f'/api/exports/{export_id}/download', headers=people.ada)
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/csv')
    assert response.headers['content-disposition'].startswith('attachment')
    assert f'hms-my-history-2026-03-02-{export_id}.csv' in response.headers['content-disposition']
    assert response.headers['cache-control'] == 'no-store'
    header, row = parse_csv(response.content)
    assert header == HISTORY_HEADER
    assert row == [
        str(clinic.patient.user_id),
        'Ada Lovelace',
        'Meredith Grey',
        'Cardiology',
        '2026-03-02 09:00',
        'Grippe saisonnière',
        'Rest and fluids',
        PRESCRIPTION,
        "'+ chest X-ray if no better",
        '2026-03-16',
        'Stay home until the fever is gone.',
    ]
    assert b'PRIVATE-CLINICIANS-ONLY' not in response.content

    # The file: in the exports folder, under a random name, readable by its owner only, no temporary left behind.
    stored = export_row(clinic, export_id).file_name
    assert stored and re.fullmatch(r'[A-Za-z0-9_-]{32}\.csv', stored)  # 192 random bits, nothing about its owner
    folder = clinic.ctx.settings.exports_path
    assert sorted(path.name for path in folder.iterdir()) == [stored]
    assert stat.S_IMODE((folder / stored).stat().st_mode) == 0o600

    # "Your export is ready": one email, in the clinic's name, with no clinical detail.
    messages = eventually(lambda: read_outbox(clinic.ctx.settings.outbox_path), 'the ready email')
    assert [(m.to, m.subject) for m in messages] == [('Ada Lovelace <ada@example.com>', 'Your export is ready')]
    assert '/exports' in messages[0].text and 'Grippe' not in messages[0].text + messages[0].html
    assert not messages[0].attachments

    # Running the task again redoes nothing and sends nothing more (the delivery was claimed once).
    assert celery_worker.send_task('hms.run_export', kwargs={'export_id': export_id}).get(timeout=30) == 'done'
    assert celery_worker.send_task('hms.export_email', kwargs={'export_id': export_id}).get(timeout=30) == (
        'already sent'
    )
    assert export_row(clinic, export_id).file_name == stored
    with clinic.ctx.uow() as uow:
        sent = uow.session.scalars(select(Delivery).where(Delivery.key == f'export:{export_id}:email')).all()
    assert [(d.status, d.kind) for d in sent] == [(DeliveryStatus.SENT, 'export')]
    assert len(read_outbox(clinic.ctx.settings.outbox_path)) == 1


def test_the_administrators_and_doctors_exports(people: People, clinic: Clinic) -> None:
    visit(clinic)
    book(clinic, clinic.other_patient, clinic.other_doctor, 3, 10)
    make_patient(clinic.ctx, 'cmd@example.com', name='=cmd()')
    make_patient(clinic.ctx, 'zoe@example.com', name='Zoë Brontë-Ñúñez')

    appointments_csv = people.csv(people.admin, 'appointments', '2026-03-01', '2026-03-31')
    assert appointments_csv[0] == [
        'Appointment ID',
        'Date',
        'Start',
        'End',
        'Doctor ID',
        'Doctor',
        'Department',
        'Patient ID',
        'Patient name',
        'Status',
        'Reason for visit',
        'Cancellation reason',
    ]
    body = [row[1:4] + row[5:7] + row[8:11] for row in appointments_csv[1:]]
    assert body == [
        ['2026-03-02', '09:00', '09:30', 'Meredith Grey', 'Cardiology', 'Ada Lovelace', 'Completed', 'Fever'],
        ['2026-03-03', '10:00', '10:30', 'Derek Shepherd', 'Cardiology', 'Bob Builder', 'Booked', 'Fever'],
    ]
    assert len(people.csv(people.admin, 'appointments', '2026-03-03', '2026-03-03')) == 2  # the period applies

    patients_csv = people.csv(people.admin, 'patients')
    assert patients_csv[0] == [
        'Patient ID',
        'Name',
        'Email',
        'Phone',
        'Date of birth',
        'Gender',
        'Address',
        'Emergency contact',
        'Status',
        'Registered',
    ]
    names = [row[1] for row in patients_csv[1:]]
    assert names == ["'=cmd()", 'Ada Lovelace', 'Bob Builder', 'Zoë Brontë-Ñúñez']  # formula escaped, accents kept
    bob = next(row for row in patients_csv if row[1] == 'Bob Builder')
    assert bob[2:] == [
        'bob@example.com',
        "'+49 30 1234-5678",
        '1990-12-10',
        'Female',
        '12 St James Square, London',
        '',
        'Active',
        '2026-03-02',
    ]

    doctors_csv = people.csv(people.admin, 'doctors')
    assert [row[1:4] + row[5:] for row in doctors_csv[1:]] == [
        ['Derek Shepherd', 'shepherd@clinic.test', 'Cardiology', '12', '30', 'Active', '2026-03-02'],
        ['Meredith Grey', 'grey@clinic.test', 'Cardiology', '12', '30', 'Active', '2026-03-02'],
    ]
    # For doctors and patients the period is the registration date: nobody registered after today.
    assert len(people.csv(people.admin, 'doctors', '2026-03-03', '2026-03-31')) == 1

    mine = people.csv(people.grey, 'my-appointments', '2026-03-01', '2026-03-31')
    assert mine[0] == [
        'Appointment ID',
        'Date',
        'Start',
        'End',
        'Patient ID',
        'Patient name',
        'Status',
        'Reason for visit',
        'Cancellation reason',
    ]
    assert [row[1:] for row in mine[1:]] == [
        ['2026-03-02', '09:00', '09:30', str(clinic.patient.user_id), 'Ada Lovelace', 'Completed', 'Fever', '']
    ]


def test_only_the_owner_sees_and_downloads_an_export(people: People, clinic: Clinic) -> None:
    visit(clinic)
    export_id = people.request(people.ada, 'my-history')
    assert people.finished(people.ada, export_id)['status'] == 'done'
    api = people.api
    for other in (people.bob, people.grey, people.admin):  # the administrator too: an export is its owner's
        assert_problem(api.get(f'/api/exports/{export_id}', headers=other), 404)
        assert_problem(api.get(f'/api/exports/{export_id}/download', headers=other), 404)
    assert_problem(api.get(f'/api/exports/{export_id}/download'), 401)
    assert [item['id'] for item in api.get('/api/exports', headers=people.ada).json()] == [export_id]
    assert api.get('/api/exports', headers=people.admin).json() == []
    assert api.get(f'/api/exports/{export_id}/download', headers=people.ada).status_code == 200


def test_an_expired_export_answers_gone_and_cleanup_removes_its_file(
    people: People, clinic: Clinic, clock: ManualClock, celery_worker: Celery
) -> None:
    visit(clinic)
    export_id = people.request(people.ada, 'my-history')
    assert people.finished(people.ada, export_id)['status'] == 'done'
    folder = clinic.ctx.settings.exports_path
    stored = folder / str(export_row(clinic, export_id).file_name)
    assert stored.is_file()
    orphan = folder / '.left-by-a-dead-worker.part'
    orphan.write_bytes(b'half a file')
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))

    clock.advance(timedelta(days=clinic.ctx.settings.export_retention_days, minutes=1))
    people.relogin()
    response = people.api.get(f'/api/exports/{export_id}/download', headers=people.ada)
    assert_problem(response, 410, 'expired')  # already expired, even before the cleanup ran

    counts = celery_worker.send_task('hms.cleanup_exports').get(timeout=30)
    assert counts == {'expired': 1, 'orphans': 1, 'abandoned': 0, 'errors': 0}
    assert not stored.exists() and not orphan.exists()
    row = export_row(clinic, export_id)
    assert (row.status, row.file_name) == (ExportStatus.DONE, None)
    body = people.api.get(f'/api/exports/{export_id}', headers=people.ada).json()
    assert (body['status'], body['expired'], body['download']) == ('done', True, None)
    assert_problem(people.api.get(f'/api/exports/{export_id}/download', headers=people.ada), 410, 'expired')
    with clinic.ctx.uow() as uow:
        run = uow.session.scalars(select(JobRun).where(JobRun.job == 'export-cleanup')).one()
    assert (run.status, run.sent, run.failed, run.detail['expired']) == ('done', 2, 0, 1)


def test_roles_and_periods_are_checked(people: People) -> None:
    api = people.api
    for headers, kind in (
        (people.ada, 'appointments'),
        (people.ada, 'my-appointments'),
        (people.grey, 'my-history'),
        (people.grey, 'patients'),
        (people.admin, 'my-history'),
    ):
        body = {'kind': kind, 'from': '2026-03-01', 'to': '2026-03-31'}
        assert_problem(api.post('/api/exports', headers=headers, json=body), 403, kind)
    assert_problem(api.post('/api/exports', headers=people.ada, json={'kind': 'everything'}), 422)
    problem = assert_problem(api.post('/api/exports', headers=people.grey, json={'kind': 'my-appointments'}), 422)
    assert set(problem['errors']) == {'from', 'to'}
    backwards = {'kind': 'appointments', 'from': '2026-03-31', 'to': '2026-03-01'}
    assert set(assert_problem(api.post('/api/exports', headers=people.admin, json=backwards), 422)['errors']) == {'to'}
    too_long = {'kind': 'appointments', 'from': '2025-01-01', 'to': '2026-03-01'}
    assert_problem(api.post('/api/exports', headers=people.admin, json=too_long), 422, '366 days')
    assert_problem(api.post('/api/exports', json={'kind': 'my-history'}), 401)
    with people.clinic.ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Export)) == 0


def test_without_redis_the_api_says_no_worker_can_run_it(clinic: Clinic) -> None:
    """No HMS_REDIS_URL: no worker can exist, so the request is refused at once (503), nothing is queued."""
    from hms.api.app import mount

    assert context.get().settings.redis_url is None
    app = FastAPI()
    mount(app)
    with TestClient(app, raise_server_exceptions=False) as api:
        ada = login(api, clinic.patient.email, PATIENT_PASSWORD)
        assert_problem(api.post('/api/exports', headers=ada, json={'kind': 'my-history'}), 503, 'HMS_REDIS_URL')
        assert_problem(api.post('/api/exports', headers=ada, json={'kind': 'patients'}), 403)  # refusals still say why
    with clinic.ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Export)) == 0


def test_a_build_error_is_recorded_without_patient_data(people: People, clinic: Clinic, monkeypatch: Any) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError('Ada Lovelace: Grippe saisonnière')  # whatever the cause, its text is not shown

    monkeypatch.setitem(exports._TABLES, ExportKind.MY_HISTORY, broken)
    export_id = people.request(people.ada, 'my-history')
    body = people.finished(people.ada, export_id)
    assert (body['status'], body['error'], body['download']) == ('failed', exports.BUILD_FAILED, None)
    assert_problem(people.api.get(f'/api/exports/{export_id}/download', headers=people.ada), 409, 'failed')
    assert not clinic.ctx.settings.exports_path.exists() or not any(clinic.ctx.settings.exports_path.iterdir())


# --- Pages ------------------------------------------------------------------------------------------------------------


# The page steps, waiting as long as an export may take (NiceGUI looks again every 0.1 s).
see = partial(page_steps.see, retries=int(PATIENCE_SECONDS * 10))
switch_to = partial(page_steps.switch_to, retries=int(PATIENCE_SECONDS * 10))


async def wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(check)
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def latest_export(clinic: Clinic) -> Export | None:
    with clinic.ctx.uow() as uow:
        return uow.session.scalars(select(Export).order_by(Export.id.desc()).limit(1)).first()


async def test_the_finished_export_is_pushed_to_the_open_page(
    redis_url: str, user: User, clinic: Clinic, celery_worker: Celery
) -> None:
    visit(clinic)
    await switch_to(user, clinic.patient.email, PATIENT_PASSWORD, 'My health')
    await user.open('/patient/visits')
    await see(user, 'Download my treatment history')
    await see(user, 'No exports yet.')
    user.find(marker='export-start').click()

    # The worker finishes; its 'export.done' reaches this page over Redis: the Download button appears, no reload.
    await see(user, marker='export-ready-download')
    export = latest_export(clinic)
    assert export is not None and export.status is ExportStatus.DONE
    assert user.notify.contains('is ready')
    user.find(marker='export-ready-download').click()
    response = await user.download.next(timeout=30)  # a busy machine is slow, not wrong
    assert response.status_code == 200
    assert response.headers['cache-control'] == 'no-store'
    assert response.headers['content-disposition'].startswith('attachment')
    header, row = parse_csv(response.content)
    assert header == HISTORY_HEADER and row[5] == 'Grippe saisonnière' and row[7] == PRESCRIPTION

    # An export requested elsewhere (the API) shows up on the open page through the push alone.
    tokens = await user.http_client.post(
        '/api/login', json={'email': clinic.patient.email, 'password': PATIENT_PASSWORD}
    )
    headers = {'Authorization': f'Bearer {tokens.json()["access_token"]}'}
    created = await user.http_client.post('/api/exports', headers=headers, json={'kind': 'my-history'})
    assert created.status_code == 202, created.text
    await see(user, marker=f'export-download-{created.json()["id"]}')

    # A page opened later reads the finished exports from the database.
    await user.open('/exports')
    await see(user, marker=f'export-download-{export.id}')
    await see(user, marker=f'export-download-{created.json()["id"]}')


async def test_a_page_ignores_other_peoples_export_events(user: User, clinic: Clinic) -> None:
    await switch_to(user, clinic.patient.email, PATIENT_PASSWORD, 'My health')
    await user.open('/patient/visits')
    await see(user, 'No exports yet.')
    panel = next(iter(user.find(marker='export-panel').elements))
    reloads: list[int] = []
    panel.refresh = lambda: reloads.append(1)
    hub = context.get().hub
    hub.deliver(Event('export.done', {'export_id': 1, 'owner_id': clinic.other_patient.user_id}))
    hub.deliver(Event('appointment.booked', {'appointment_id': 1, 'patient_id': clinic.patient.user_id}))
    assert reloads == []
    hub.deliver(Event('export.done', {'export_id': 1, 'owner_id': clinic.patient.user_id}))
    assert reloads == [1]


async def test_the_page_says_when_no_worker_can_run_exports(user: User, clinic: Clinic) -> None:
    visit(clinic)
    await switch_to(user, clinic.admin.email, ADMIN_PASSWORD, 'Clinic dashboard')
    await user.open('/admin/appointments')
    await see(user, 'Export appointments')
    user.find(marker='export-start').click()
    await see(user, 'not configured on this server')
    assert latest_export(clinic) is None


async def test_the_page_download_route_checks_the_session_and_the_owner(user: User, clinic: Clinic) -> None:
    visit(clinic)
    export_id = finished_export(clinic.ctx, clinic.patient)
    path = f'/exports/{export_id}/download'

    anonymous = await user.http_client.get(path)
    assert anonymous.status_code == 303 and anonymous.headers['location'].startswith('/login')
    await switch_to(user, clinic.other_patient.email, PATIENT_PASSWORD, 'My health')
    assert (await user.http_client.get(path)).status_code == 404  # Bob: not his
    await switch_to(user, clinic.admin.email, ADMIN_PASSWORD, 'Clinic dashboard')
    assert (await user.http_client.get(path)).status_code == 404  # the administrator: not theirs either
    await switch_to(user, clinic.patient.email, PATIENT_PASSWORD, 'My health')
    owned = await user.http_client.get(path)
    assert owned.status_code == 200 and owned.headers['cache-control'] == 'no-store'
    assert parse_csv(owned.content)[1][1] == 'Ada Lovelace'

    await user.open('/patient/visits')  # opened later: the finished export is listed with its Download button
    await see(user, marker=f'export-download-{export_id}')
    await see(user, 'Ready · 1 row')
