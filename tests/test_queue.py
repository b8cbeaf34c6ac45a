"""The day of the visit: check-in at the desk, the doctor's call and Call next, the today list with waits, and
completion from every state before it; races with real threads give one winner."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import AuditEntry
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import InvalidTransition, NobodyWaiting, NotAllowed, NotFound
from hms.domain.front_desk import DeskBookingIn, WalkInIn
from hms.domain.records import TreatmentIn
from hms.events import Event, LocalPublisher
from hms.services import front_desk, queue, records
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from .api_fixtures import People, assert_problem, login
from .factories import RECEPTION_PASSWORD, TREATMENT, make_receptionist
from .scheduling_fixtures import Clinic, local
from .test_booking_race import add_patients


@pytest.fixture
def desk(clinic: Clinic) -> Principal:
    return make_receptionist(clinic.ctx, clinic.admin)


def book(clinic: Clinic, desk: Principal, when, patient_id: int | None = None, doctor: Principal | None = None):
    data = DeskBookingIn(
        patient_id=patient_id or clinic.patient.user_id,
        doctor_id=(doctor or clinic.doctor).user_id,
        start=when,
        reason='Check-up',
    )
    with clinic.ctx.uow() as uow:
        return front_desk.book_for(uow, clinic.ctx.settings, desk, data)


def check_in(clinic: Clinic, actor: Principal, appointment_id: int) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return queue.check_in(uow, clinic.ctx.settings, actor, appointment_id)


def call_next(clinic: Clinic, doctor: Principal | None = None) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return queue.call_next(uow, clinic.ctx.settings, doctor or clinic.doctor)


def today(clinic: Clinic, actor: Principal, doctor_id: int | None = None) -> list[queue.TodayEntry]:
    with clinic.ctx.uow() as uow:
        return queue.today(uow, clinic.ctx.settings, actor, doctor_id=doctor_id)


def test_check_in_stamps_the_arrival_gives_a_ticket_and_is_announced(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    published: list[Event] = []
    assert isinstance(clinic.ctx.publisher, LocalPublisher)
    clinic.ctx.publisher.listeners.append(published.append)
    first = book(clinic, desk, local(2, 9))
    second = book(clinic, desk, local(2, 9, 30), clinic.other_patient.user_id)
    clock.set(local(2, 8, 50).astimezone(UTC))
    arrived = check_in(clinic, desk, first.id)
    assert arrived.status is AppointmentStatus.ARRIVED and arrived.arrived_at == clock.now()
    letters = queue.ticket_letters(clinic.doctor.user_id)
    assert arrived.ticket == f'{letters}-001'
    assert check_in(clinic, clinic.admin, second.id).ticket == f'{letters}-002'  # the admin does what the desk does
    assert [e.kind for e in published][-2:] == ['appointment.checked_in', 'appointment.checked_in']
    assert published[-1].data == {
        'appointment_id': second.id,
        'doctor_id': clinic.doctor.user_id,
        'patient_id': clinic.other_patient.user_id,
    }
    with clinic.ctx.uow() as uow:
        rows = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == 'appointment.checked_in')))
    assert [(row.actor_id, row.object_id, row.detail) for row in rows] == [
        (desk.user_id, first.id, {'ticket': f'{letters}-001'}),
        (clinic.admin.user_id, second.id, {'ticket': f'{letters}-002'}),
    ]


def test_ticket_letters_are_distinct_per_doctor() -> None:
    assert [queue.ticket_letters(n) for n in (1, 2, 26, 27, 52, 53, 702, 703)] == [
        'A', 'B', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA',
    ]  # fmt: skip
    assert len({queue.ticket_letters(n) for n in range(1, 5000)}) == 4999


def test_tickets_count_per_doctor_and_day(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    mine = book(clinic, desk, local(2, 9))
    theirs = book(clinic, desk, local(2, 9), clinic.other_patient.user_id, doctor=clinic.other_doctor)
    tomorrow = book(clinic, desk, local(3, 9))
    clock.set(local(2, 8, 55).astimezone(UTC))
    assert check_in(clinic, desk, mine.id).ticket == f'{queue.ticket_letters(clinic.doctor.user_id)}-001'
    assert check_in(clinic, desk, theirs.id).ticket == f'{queue.ticket_letters(clinic.other_doctor.user_id)}-001'
    clock.set(local(3, 8, 55).astimezone(UTC))
    assert check_in(clinic, desk, tomorrow.id).ticket == f'{queue.ticket_letters(clinic.doctor.user_id)}-001'


def test_check_in_only_today_only_once_and_only_at_the_desk(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    later = book(clinic, desk, local(3, 9))
    now = book(clinic, desk, local(2, 9))
    with pytest.raises(InvalidTransition, match="Only today's appointments"):
        check_in(clinic, desk, later.id)
    for role_actor in (clinic.doctor, clinic.patient):
        with pytest.raises(NotAllowed):
            check_in(clinic, role_actor, now.id)
    with pytest.raises(NotFound):
        check_in(clinic, desk, 999_999)
    check_in(clinic, desk, now.id)
    with pytest.raises(InvalidTransition, match='checked in a moment ago'):
        check_in(clinic, desk, now.id)
    clock.set(clock.now() + timedelta(minutes=11))
    with pytest.raises(InvalidTransition, match='already checked in'):
        check_in(clinic, desk, now.id)


def test_two_desks_checking_in_at_once_one_wins(clinic: Clinic, desk: Principal) -> None:
    other_desk = make_receptionist(clinic.ctx, clinic.admin, 'tom@clinic.test', name='Tom Desk')
    booked = book(clinic, desk, local(2, 9))
    start_line = threading.Barrier(4)

    def race(index: int) -> str:
        actor = (desk, other_desk, clinic.admin, desk)[index]
        start_line.wait()
        try:
            check_in(clinic, actor, booked.id)
            return 'checked in'
        except InvalidTransition:
            return 'refused'

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = Counter(pool.map(race, range(4)))
    assert outcomes == {'checked in': 1, 'refused': 3}
    with clinic.ctx.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == 'appointment.checked_in')).all()
    assert len(rows) == 1


def test_call_next_calls_the_arrived_by_appointment_time_with_walk_ins_fitted_in(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    racer = add_patients(clinic, 1)[0]
    at_nine = book(clinic, desk, local(2, 9))
    at_ten = book(clinic, desk, local(2, 10), clinic.other_patient.user_id)
    clock.set(local(2, 9, 5).astimezone(UTC))
    check_in(clinic, desk, at_ten.id)  # early for ten
    with clinic.ctx.uow() as uow:  # a walk-in: the free 09:30 slot
        walk = front_desk.walk_in(
            uow, clinic.ctx.settings, desk, WalkInIn(patient_id=racer, doctor_id=clinic.doctor.user_id, reason='Rash')
        )
    assert walk.start == local(2, 9, 30)
    check_in(clinic, desk, at_nine.id)  # late for nine, still first by appointment time
    with pytest.raises(NotFound):
        with clinic.ctx.uow() as uow:
            queue.call(uow, clinic.ctx.settings, clinic.other_doctor, at_nine.id)  # not theirs
    with pytest.raises(NobodyWaiting):
        call_next(clinic, clinic.other_doctor)
    order = [call_next(clinic) for _ in range(3)]
    assert [view.id for view in order] == [at_nine.id, walk.id, at_ten.id]
    assert all(view.status is AppointmentStatus.IN_CONSULTATION and view.called_at == clock.now() for view in order)
    with pytest.raises(NobodyWaiting) as refused:
        call_next(clinic)
    assert refused.value.code == 'nobody_waiting' and refused.value.status_code == 409


def test_call_only_an_own_arrived_patient_and_only_doctors_call(clinic: Clinic, desk: Principal) -> None:
    booked = book(clinic, desk, local(2, 9))
    with pytest.raises(InvalidTransition, match='not checked in yet'):
        with clinic.ctx.uow() as uow:
            queue.call(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    check_in(clinic, desk, booked.id)
    for actor in (desk, clinic.admin, clinic.patient):
        with pytest.raises(NotAllowed):
            with clinic.ctx.uow() as uow:
                queue.call(uow, clinic.ctx.settings, actor, booked.id)
        with pytest.raises(NotAllowed):
            call_next(clinic, actor)
    with clinic.ctx.uow() as uow:
        called = queue.call(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    assert called.status is AppointmentStatus.IN_CONSULTATION
    with pytest.raises(InvalidTransition, match='already been called in'):
        with clinic.ctx.uow() as uow:
            queue.call(uow, clinic.ctx.settings, clinic.doctor, booked.id)


def test_two_call_nexts_at_once_never_call_the_same_patient(clinic: Clinic, desk: Principal) -> None:
    ids = add_patients(clinic, 3)
    waiting = [book(clinic, desk, local(2, 9 + n), ids[n]) for n in range(3)]
    for view in waiting:
        check_in(clinic, desk, view.id)
    racers = 5
    start_line = threading.Barrier(racers)

    def race(_index: int) -> int | None:
        start_line.wait()
        try:
            return call_next(clinic).id
        except NobodyWaiting:
            return None

    with ThreadPoolExecutor(max_workers=racers) as pool:
        called = list(pool.map(race, range(racers)))
    assert sorted(i for i in called if i is not None) == sorted(view.id for view in waiting)
    assert called.count(None) == racers - 3


def test_today_lists_every_doctor_with_waits_so_far_and_late_arrivals(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    on_time = book(clinic, desk, local(2, 9))
    late = book(clinic, desk, local(2, 9, 30), clinic.other_patient.user_id)
    absent = book(clinic, desk, local(2, 10), add_patients(clinic, 1)[0])
    elsewhere = book(clinic, desk, local(2, 9), clinic.other_patient.user_id, doctor=clinic.other_doctor)
    book(clinic, desk, local(3, 9))  # tomorrow: not listed
    clock.set(local(2, 8, 50).astimezone(UTC))
    check_in(clinic, desk, on_time.id)
    clock.set(local(2, 9, 40).astimezone(UTC))
    check_in(clinic, desk, late.id)
    clock.set(local(2, 10, 5).astimezone(UTC))
    entries = {e.appointment.id: e for e in today(clinic, desk)}
    assert list(entries) == [elsewhere.id, on_time.id, late.id, absent.id]  # by doctor (Derek, Meredith), by time
    assert (entries[on_time.id].waited_minutes, entries[on_time.id].late) == (75, False)
    assert (entries[late.id].waited_minutes, entries[late.id].late) == (25, True)  # arrived after the start
    assert (entries[absent.id].waited_minutes, entries[absent.id].late) == (None, True)  # not here, start passed
    assert (entries[elsewhere.id].waited_minutes, entries[elsewhere.id].late) == (None, True)
    with clinic.ctx.uow() as uow:
        queue.call(uow, clinic.ctx.settings, clinic.doctor, on_time.id)
    clock.set(local(2, 10, 30).astimezone(UTC))
    assert {e.appointment.id: e for e in today(clinic, clinic.admin)}[on_time.id].waited_minutes == 75  # until called
    assert [e.appointment.id for e in today(clinic, desk, clinic.other_doctor.user_id)] == [elsewhere.id]
    assert [e.appointment.id for e in today(clinic, clinic.doctor)] == [on_time.id, late.id, absent.id]
    with pytest.raises(NotFound):
        today(clinic, clinic.doctor, clinic.other_doctor.user_id)
    with pytest.raises(NotAllowed):
        today(clinic, clinic.patient)


def test_completion_works_from_booked_arrived_and_in_consultation_and_is_stamped(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    ids = add_patients(clinic, 3)
    views = [book(clinic, desk, local(2, 9 + n), ids[n]) for n in range(3)]
    clock.set(local(2, 8, 55).astimezone(UTC))
    check_in(clinic, desk, views[1].id)
    check_in(clinic, desk, views[2].id)
    with clinic.ctx.uow() as uow:
        queue.call(uow, clinic.ctx.settings, clinic.doctor, views[2].id)
    for view in views:
        with clinic.ctx.uow() as uow:
            done = records.complete_visit(
                uow, clinic.ctx.settings, clinic.doctor, view.id, TreatmentIn.model_validate(TREATMENT)
            )
        assert done.appointment.status is AppointmentStatus.COMPLETED
        assert done.appointment.completed_at == clock.now()
    assert done.appointment.arrived_at is not None and done.appointment.called_at is not None


def test_a_visit_under_way_is_care_and_never_a_no_show(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    booked = book(clinic, desk, local(2, 9))
    clock.set(local(2, 9, 20).astimezone(UTC))
    check_in(clinic, desk, booked.id)
    with clinic.ctx.uow() as uow:
        history = records.patient_history(uow, clinic.ctx.settings, clinic.doctor, clinic.patient.user_id)
    assert [a.id for a in history.upcoming] == [booked.id]
    with pytest.raises(InvalidTransition, match='checked in a moment ago'):
        with clinic.ctx.uow() as uow:
            records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    with clinic.ctx.uow() as uow:
        queue.call(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    clock.set(local(2, 12).astimezone(UTC))  # long after its end, still upcoming until completed
    with clinic.ctx.uow() as uow:
        history = records.patient_history(uow, clinic.ctx.settings, clinic.doctor, clinic.patient.user_id)
        mine = records.my_patients(uow, clinic.doctor)
    assert [a.id for a in history.upcoming] == [booked.id]
    assert [p.patient_id for p in mine] == [clinic.patient.user_id]


def test_no_show_grace_is_a_setting(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    clinic.ctx.settings = clinic.ctx.settings.model_copy(update={'no_show_grace_minutes': 5})
    booked = book(clinic, desk, local(2, 9))
    clock.set(local(2, 9, 4).astimezone(UTC))
    with pytest.raises(InvalidTransition, match='5 minutes after'):
        with clinic.ctx.uow() as uow:
            records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    clock.set(local(2, 9, 5).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        assert (
            records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id).status is AppointmentStatus.NO_SHOW
        )


# --- the API ---------------------------------------------------------------------------------------------------------


def test_api_today_check_in_and_the_doctors_calls(
    api: TestClient, people: People, clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    first = book(clinic, desk, local(2, 9))
    second = book(clinic, desk, local(2, 9, 30), clinic.other_patient.user_id)
    clock.set(local(2, 9, 5).astimezone(UTC))
    headers = login(api, desk.email, RECEPTION_PASSWORD)
    listed = api.get('/api/reception/today', headers=headers, params={'doctor_id': clinic.doctor.user_id})
    assert listed.status_code == 200
    assert [
        (e['appointment']['id'], e['appointment']['status'], e['waited_minutes'], e['late']) for e in listed.json()
    ] == [
        (first.id, 'booked', None, True),
        (second.id, 'booked', None, False),
    ]
    assert_problem(api.post('/api/doctor/call-next', headers=people.grey), 409, 'Nobody is waiting')
    assert api.post('/api/doctor/call-next', headers=people.grey).json()['code'] == 'nobody_waiting'
    checked = api.post(f'/api/reception/appointments/{second.id}/check-in', headers=headers)
    assert checked.status_code == 200 and checked.json()['status'] == 'arrived'
    assert checked.json()['arrived_at'] == local(2, 9, 5).isoformat() and checked.json()['ticket']
    assert_problem(api.post(f'/api/reception/appointments/{second.id}/check-in', headers=people.admin), 409)
    assert_problem(api.post(f'/api/reception/appointments/{first.id}/check-in', headers=people.grey), 403)
    assert_problem(api.post('/api/reception/appointments/999999/check-in', headers=headers), 404)
    assert api.post(f'/api/reception/appointments/{first.id}/check-in', headers=people.admin).status_code == 200
    clock.set(local(2, 9, 12).astimezone(UTC))
    waits = {
        e['appointment']['id']: e['waited_minutes'] for e in api.get('/api/reception/today', headers=headers).json()
    }
    assert waits == {first.id: 7, second.id: 7}
    assert_problem(api.post(f'/api/doctor/appointments/{second.id}/call', headers=people.shepherd), 404)
    assert_problem(api.post(f'/api/doctor/appointments/{second.id}/call', headers=headers), 403)
    assert_problem(api.post('/api/doctor/call-next', headers=headers), 403)
    called = api.post(f'/api/doctor/appointments/{second.id}/call', headers=people.grey)
    assert called.status_code == 200 and called.json()['status'] == 'in_consultation'
    assert called.json()['called_at'] == local(2, 9, 12).isoformat()
    assert_problem(api.post(f'/api/doctor/appointments/{second.id}/call', headers=people.grey), 409)
    nxt = api.post('/api/doctor/call-next', headers=people.grey)
    assert nxt.status_code == 200 and nxt.json()['id'] == first.id
    cancel = api.post(f'/api/appointments/{second.id}/cancel', headers=people.admin, json={'reason': 'x'})
    assert_problem(cancel, 409)  # the visit has started
    mine = api.get(f'/api/appointments/{second.id}', headers=people.bob).json()
    assert mine['status'] == 'in_consultation' and mine['ticket'] == checked.json()['ticket']
