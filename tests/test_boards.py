"""Waiting-room boards: the admin creates (the address shown once, only the secret's hash kept), lists and revokes
them; the board of a secret shows ticket codes, doctors, who is being called and the estimated wait, never a name or
anything about the patient; an unknown, malformed or revoked secret is refused with one answer.

The clinic fixture: Berlin, Monday 2 March 2026, 08:00; Meredith Grey and Derek Shepherd (30-minute consultations) in
Cardiology; patients Ada Lovelace and Bob Builder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import Appointment, WaitingRoomBoard
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import InvalidInput, NotAllowed, NotFound
from hms.domain.scheduling import DepartmentIn, DoctorIn
from hms.services import boards, departments, doctors
from hms.services.boards import BoardView

from .api_fixtures import People, assert_problem
from .scheduling_fixtures import Clinic, local

REASON = 'Persistent cough since January'


def visit(
    clinic: Clinic,
    start: datetime,
    *,
    doctor_id: int | None = None,
    patient_id: int | None = None,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    ticket: str | None = None,
    arrived: datetime | None = None,
    called: datetime | None = None,
    completed: datetime | None = None,
) -> int:
    """An appointment in the state given, written directly (as the clinic day leaves it), with a reason a board must
    never show."""
    with clinic.ctx.uow() as uow:
        appointment = Appointment(
            doctor_id=doctor_id or clinic.doctor.user_id,
            patient_id=patient_id or clinic.patient.user_id,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            status=status,
            reason=REASON,
            created_at=start - timedelta(days=1),
            updated_at=start,
            sequence=0,
            ticket=ticket,
            arrived_at=arrived,
            called_at=called,
            completed_at=completed,
        )
        uow.session.add(appointment)
        uow.commit()
        return appointment.id


def change(clinic: Clinic, appointment_id: int, status: AppointmentStatus, kind: str, **times: Any) -> None:
    """Move an appointment on (check-in, call) and announce it as the clinic day's services do."""
    with clinic.ctx.uow() as uow:
        appointment = uow.session.get(Appointment, appointment_id)
        assert appointment is not None
        appointment.status = status
        for name, value in times.items():
            setattr(appointment, name, value)
        uow.emit(
            kind, appointment_id=appointment.id, doctor_id=appointment.doctor_id, patient_id=appointment.patient_id
        )
        uow.commit()


def new_board(clinic: Clinic, department_id: int | None = None, name: str | None = None) -> str:
    """A new board's secret (the last part of its address)."""
    with clinic.ctx.uow() as uow:
        created = boards.create_board(uow, clinic.ctx.settings, clinic.admin, department_id, name)
    return created.url.rsplit('/', 1)[1]


def view_of(clinic: Clinic, secret: str) -> BoardView:
    with clinic.ctx.uow() as uow:
        return boards.board_view(uow, clinic.ctx.settings, secret)


def text_of(view: BoardView) -> str:
    return json.dumps(asdict(view), default=str)


# --- Managing boards --------------------------------------------------------------------------------------------------


def test_a_new_board_has_an_address_shown_once_and_only_its_hash_is_kept(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        created = boards.create_board(uow, clinic.ctx.settings, clinic.admin, clinic.department_id, 'Ground floor')
    assert created.url.startswith(clinic.ctx.settings.link('/board/'))
    secret = created.url.rsplit('/', 1)[1]
    assert boards.SECRET_SHAPE.fullmatch(secret)
    with clinic.ctx.uow() as uow:
        stored = uow.session.scalars(select(WaitingRoomBoard)).one()
        assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (stored.secret_hash, stored.name)
        listed = boards.list_boards(uow, clinic.admin)
    assert [(b.name, b.department, b.active) for b in listed] == [('Ground floor', 'Cardiology', True)]
    assert secret not in repr(listed)


def test_only_the_admin_manages_boards(clinic: Clinic) -> None:
    for someone in (clinic.doctor, clinic.patient):
        with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
            boards.create_board(uow, clinic.ctx.settings, someone)
        with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
            boards.list_boards(uow, someone)
        with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
            boards.revoke_board(uow, someone, 1)


def test_a_board_for_a_missing_department_or_with_a_long_name_is_refused(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput) as missing:
        boards.create_board(uow, clinic.ctx.settings, clinic.admin, 999_999)
    assert 'department_id' in missing.value.field_errors
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput):
        boards.create_board(uow, clinic.ctx.settings, clinic.admin, None, 'x' * 121)


def test_unknown_malformed_and_revoked_secrets_get_the_same_refusal(clinic: Clinic) -> None:
    secret = new_board(clinic)
    assert view_of(clinic, secret).title == clinic.ctx.settings.clinic_name
    for wrong in ('', 'short', secret[:-1] + ('A' if secret[-1] != 'A' else 'B'), secret + 'x', '../' + secret[3:]):
        with pytest.raises(NotFound):
            view_of(clinic, wrong)
    with clinic.ctx.uow() as uow:
        board_id = boards.list_boards(uow, clinic.admin)[0].id
        revoked = boards.revoke_board(uow, clinic.admin, board_id)
    assert not revoked.active and revoked.revoked_at is not None
    with pytest.raises(NotFound):
        view_of(clinic, secret)
    with clinic.ctx.uow() as uow:  # revoking again changes nothing
        assert boards.revoke_board(uow, clinic.admin, board_id).revoked_at == revoked.revoked_at
    with clinic.ctx.uow() as uow, pytest.raises(NotFound):
        boards.revoke_board(uow, clinic.admin, board_id + 1)


def test_revoking_announces_it_to_open_screens(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_board(clinic)
    heard: list[Any] = []
    monkeypatch.setattr(clinic.ctx.db.publisher, 'publish', heard.extend)
    with clinic.ctx.uow() as uow:
        board_id = boards.board_for_secret(uow, secret).id
        boards.revoke_board(uow, clinic.admin, board_id)
    assert [(e.kind, e.data) for e in heard] == [('board.revoked', {'board_id': board_id})]
    assert boards.concerns('board.revoked', {'board_id': board_id}, board_id)
    assert not boards.concerns('board.revoked', {'board_id': board_id + 1}, board_id)
    assert boards.concerns('appointment.checked_in', {'appointment_id': 1}, board_id)
    assert not boards.concerns('export.done', {}, board_id)


# --- What a board shows ---------------------------------------------------------------------------------------------


@pytest.fixture
def morning(clinic: Clinic, clock: ManualClock) -> Clinic:
    """09:40 in Berlin: Grey has A-001 inside since 09:30 and A-002, A-003 waiting (A-003 booked earlier than A-002,
    who arrived first); Shepherd has B-001 waiting and another patient booked for later; yesterday's visit of Grey's
    is not on today's board."""
    clock.set(local(2, 9, 40))
    shepherd = clinic.other_doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    arrived, inside = AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION
    visit(clinic, local(2, 9), status=inside, ticket='A-001', arrived=local(2, 8, 50), called=local(2, 9, 30))
    visit(clinic, local(2, 10, 30), patient_id=bob, status=arrived, ticket='A-002', arrived=local(2, 9, 10))
    visit(clinic, local(2, 10), status=arrived, ticket='A-003', arrived=local(2, 9, 35))
    visit(clinic, local(2, 9), doctor_id=shepherd, patient_id=bob, status=arrived, ticket='B-001', arrived=local(2, 9))
    visit(clinic, local(2, 11), doctor_id=shepherd, patient_id=ada)
    visit(clinic, local(1, 9, month=3), status=arrived, ticket='A-009', arrived=local(1, 9, month=3))
    return clinic


def test_the_board_shows_who_is_called_and_who_waits_in_order(morning: Clinic) -> None:
    view = view_of(morning, new_board(morning))
    assert [(c.ticket, c.doctor) for c in view.calling] == [('A-001', 'Meredith Grey')]
    queues = {queue.doctor: queue for queue in view.doctors}
    assert list(queues) == ['Derek Shepherd', 'Meredith Grey']
    grey, shepherd = queues['Meredith Grey'], queues['Derek Shepherd']
    assert grey.in_consultation == ['A-001']
    # By appointment time (10:00 before 10:30), not by arrival.
    assert [w.ticket for w in grey.waiting] == ['A-003', 'A-002']
    assert [w.ticket for w in shepherd.waiting] == ['B-001'] and shepherd.in_consultation == []
    assert 'A-009' not in text_of(view)  # yesterday's


def test_the_newest_call_comes_first(morning: Clinic, clock: ManualClock) -> None:
    secret = new_board(morning)
    with morning.ctx.uow() as uow:
        b001 = uow.session.scalars(select(Appointment).where(Appointment.ticket == 'B-001')).one().id
    change(morning, b001, AppointmentStatus.IN_CONSULTATION, 'appointment.called', called_at=local(2, 9, 41))
    assert [c.ticket for c in view_of(morning, secret).calling] == ['B-001', 'A-001']


def test_the_estimated_wait_counts_the_queue_and_what_remains_of_the_consultation(morning: Clinic) -> None:
    view = view_of(morning, new_board(morning))
    queues = {queue.doctor: queue for queue in view.doctors}
    grey, shepherd = queues['Meredith Grey'], queues['Derek Shepherd']
    # Grey: 30-minute consultations (no history yet); A-001 called in 10 minutes ago leaves 20.
    assert grey.consultation_minutes == 30
    assert [w.estimated_minutes for w in grey.waiting] == [20, 50]
    assert grey.estimated_wait_minutes == 80
    # Shepherd: nobody inside, B-001 is next.
    assert [w.estimated_minutes for w in shepherd.waiting] == [0]
    assert shepherd.estimated_wait_minutes == 30


def test_the_estimated_wait_learns_from_recent_consultations(morning: Clinic) -> None:
    shepherd = morning.other_doctor.user_id
    for day, minutes in ((23, 10), (24, 12), (25, 20), (26, 14)):  # median 13 minutes
        called = local(day, 9, month=2)
        visit(
            morning,
            called,
            doctor_id=shepherd,
            status=AppointmentStatus.COMPLETED,
            ticket='B-001',
            arrived=called - timedelta(minutes=5),
            called=called,
            completed=called + timedelta(minutes=minutes),
        )
    view = view_of(morning, new_board(morning))
    queue = next(q for q in view.doctors if q.doctor == 'Derek Shepherd')
    assert queue.consultation_minutes == 13
    assert queue.estimated_wait_minutes == 13


def test_a_department_board_shows_its_doctors_only(morning: Clinic) -> None:
    with morning.ctx.uow() as uow:
        other = departments.create_department(uow, morning.admin, DepartmentIn(name='Dermatology'))
    with morning.ctx.uow() as uow:
        house = doctors.add_doctor(
            uow, morning.admin, DoctorIn(name='Gregory House', email='house@clinic.test', department_id=other.id)
        ).doctor.id
    visit(morning, local(2, 9, 30), doctor_id=house, status=AppointmentStatus.ARRIVED, ticket='C-001')
    cardiology = view_of(morning, new_board(morning, morning.department_id))
    assert cardiology.title == 'Cardiology'
    assert {q.doctor for q in cardiology.doctors} == {'Meredith Grey', 'Derek Shepherd'}
    assert 'C-001' not in text_of(cardiology)
    dermatology = view_of(morning, new_board(morning, other.id, 'Dermatology, 2nd floor'))
    assert dermatology.title == 'Dermatology, 2nd floor'
    assert [(q.doctor, [w.ticket for w in q.waiting]) for q in dermatology.doctors] == [('Gregory House', ['C-001'])]
    whole = view_of(morning, new_board(morning))
    assert {q.doctor for q in whole.doctors} == {'Meredith Grey', 'Derek Shepherd', 'Gregory House'}


def test_the_board_shows_no_name_and_nothing_about_the_patients(morning: Clinic) -> None:
    view = view_of(morning, new_board(morning))
    shown = text_of(view).lower()
    patient = morning.patient
    for private in (patient.name, patient.email, 'Lovelace', 'Bob Builder', 'bob@example.com', REASON, 'Cough'):
        assert private.lower() not in shown
    # Tickets, doctors and minutes: nothing that leads back to a patient's account or appointment.
    assert set(asdict(view.doctors[0].waiting[0])) == {'ticket', 'estimated_minutes'}
    assert set(asdict(view.calling[0])) == {'ticket', 'doctor_id', 'doctor', 'called_at'}


# --- The API ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def api(clinic: Clinic) -> Iterator[TestClient]:
    from .api_fixtures import mounted_api

    yield from mounted_api()


def test_the_api_creates_lists_and_revokes_boards(api: TestClient, clinic: Clinic) -> None:
    people = People(api, clinic)
    made = api.post('/api/admin/boards', headers=people.admin, json={'department_id': clinic.department_id})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body['url'].startswith(clinic.ctx.settings.link('/board/'))
    assert body['board'] == {
        'id': body['id'],
        'name': '',
        'department_id': clinic.department_id,
        'department': 'Cardiology',
        'active': True,
        'created_at': '2026-03-02T08:00:00+01:00',
        'revoked_at': None,
    }
    secret = body['url'].rsplit('/', 1)[1]
    listed = api.get('/api/admin/boards', headers=people.admin)
    assert listed.status_code == 200
    assert [board['id'] for board in listed.json()] == [body['id']]
    assert secret not in listed.text and 'url' not in listed.json()[0]
    gone = api.delete(f'/api/admin/boards/{body["id"]}', headers=people.admin)
    assert gone.status_code == 200 and gone.json()['active'] is False
    assert api.get('/api/admin/boards', headers=people.admin).json()[0]['revoked_at'] == '2026-03-02T08:00:00+01:00'
    with pytest.raises(NotFound):
        view_of(clinic, secret)
    assert_problem(api.delete('/api/admin/boards/999999', headers=people.admin), 404)


def test_the_api_refuses_everyone_but_the_admin_and_bad_input(api: TestClient, clinic: Clinic) -> None:
    people = People(api, clinic)
    for headers in ({}, people.ada):
        assert api.get('/api/admin/boards', headers=headers).status_code in (401, 403)
        assert api.post('/api/admin/boards', headers=headers, json={}).status_code in (401, 403)
        assert api.delete('/api/admin/boards/1', headers=headers).status_code in (401, 403)
    assert_problem(api.post('/api/admin/boards', headers=people.admin, json={'department_id': 999999}), 422)
    assert_problem(api.post('/api/admin/boards', headers=people.admin, json={'name': 'x' * 500}), 422)
    assert_problem(api.post('/api/admin/boards', headers=people.admin, json={'secret': 'mine'}), 422)
    with clinic.ctx.uow() as uow:
        assert uow.session.scalars(select(WaitingRoomBoard)).all() == []
