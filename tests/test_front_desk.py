"""The front desk acting for a patient: booking, moving and cancelling on their behalf (no patient-facing limits,
always a reason, double-booking only on purpose), and walk-ins; the one-booking-per-slot guarantee under threads."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from hms.clock import ManualClock
from hms.db.models import Appointment, AuditEntry, Notice
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidTransition, NotAllowed, NotBookable, OverlappingBooking, SlotTaken
from hms.domain.front_desk import DeskBookingIn, DeskCancelIn, DeskRescheduleIn, WalkInIn
from hms.domain.scheduling import BookingIn
from hms.events import Event, LocalPublisher
from hms.runtime.dispatch import CONFIRMED_EVENTS
from hms.services import appointments, front_desk, queue, records
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from .api_fixtures import Headers, People, assert_problem, login
from .factories import RECEPTION_PASSWORD, make_receptionist
from .scheduling_fixtures import Clinic, local, principal
from .test_booking_race import add_patients


@pytest.fixture
def desk(clinic: Clinic) -> Principal:
    return make_receptionist(clinic.ctx, clinic.admin)


def desk_book(
    clinic: Clinic, actor: Principal, when: datetime, *, patient: Principal | None = None, **extra: object
) -> AppointmentView:
    data = DeskBookingIn.model_validate(
        {
            'patient_id': (patient or clinic.patient).user_id,
            'doctor_id': clinic.doctor.user_id,
            'start': when,
            'reason': 'Follow-up on the phone',
            **extra,
        }
    )
    with clinic.ctx.uow() as uow:
        return front_desk.book_for(uow, clinic.ctx.settings, actor, data)


def patient_book(clinic: Clinic, when: datetime, patient: Principal | None = None) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return appointments.book(
            uow, clinic.ctx.settings, patient or clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=when)
        )


def walk_in(clinic: Clinic, actor: Principal, patient: Principal | None = None) -> AppointmentView:
    data = WalkInIn(patient_id=(patient or clinic.patient).user_id, doctor_id=clinic.doctor.user_id, reason='Cough')
    with clinic.ctx.uow() as uow:
        return front_desk.walk_in(uow, clinic.ctx.settings, actor, data)


def audit_rows(clinic: Clinic, action: str) -> list[AuditEntry]:
    with clinic.ctx.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def notices_of(clinic: Clinic, user_id: int) -> list[Notice]:
    with clinic.ctx.uow() as uow:
        return list(uow.session.scalars(select(Notice).where(Notice.user_id == user_id).order_by(Notice.id)))


# --- booking on a patient's behalf ---------------------------------------------------------------------------------


def test_the_desk_and_the_admin_book_for_a_patient_with_the_confirmation_going_out(
    clinic: Clinic, desk: Principal
) -> None:
    published: list[Event] = []
    assert isinstance(clinic.ctx.publisher, LocalPublisher)
    clinic.ctx.publisher.listeners.append(published.append)
    by_desk = desk_book(clinic, desk, local(3, 9))
    by_admin = desk_book(clinic, clinic.admin, local(3, 10))
    for view in (by_desk, by_admin):
        assert view.status is AppointmentStatus.BOOKED and view.patient_id == clinic.patient.user_id
        assert view.reason == 'Follow-up on the phone' and not view.overbooked and not view.walk_in
    booked = [event for event in published if event.kind == 'appointment.booked']
    assert [event.data['appointment_id'] for event in booked] == [by_desk.id, by_admin.id]
    assert CONFIRMED_EVENTS['appointment.booked'] == 'booked'  # the patient's usual confirmation email
    rows = audit_rows(clinic, 'appointment.booked')
    assert [(row.actor_id, row.detail['on_behalf'], row.detail['overbooked']) for row in rows] == [
        (desk.user_id, True, False),
        (clinic.admin.user_id, True, False),
    ]


@pytest.mark.parametrize('role', [Role.PATIENT, Role.DOCTOR])
def test_only_the_desk_and_the_admin_act_for_patients(clinic: Clinic, role: Role) -> None:
    actor = clinic.patient if role is Role.PATIENT else clinic.doctor
    with pytest.raises(NotAllowed):
        desk_book(clinic, actor, local(3, 9))
    with pytest.raises(NotAllowed):
        walk_in(clinic, actor)
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        front_desk.desk_slots(uow, clinic.ctx.settings, actor, clinic.doctor.user_id, local(3, 9).date())


def test_the_patient_facing_limits_bind_patients_but_not_the_desk(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    # Horizon (7 days) and notice (60 minutes): at 08:30, 09:00 is too soon and the 20th too far for the patient.
    clock.set(local(2, 8, 30).astimezone(UTC))
    with pytest.raises(NotBookable, match='at least 60 minutes ahead'):
        patient_book(clinic, local(2, 9))
    with pytest.raises(NotBookable, match='days ahead'):
        patient_book(clinic, local(20, 9))
    assert desk_book(clinic, desk, local(2, 9)).start == local(2, 9)
    assert desk_book(clinic, desk, local(20, 9)).start == local(20, 9)
    # Upcoming bookings per patient (5): the patient is at the limit now; the desk books a sixth and a seventh.
    for hour in (9, 10, 11):
        patient_book(clinic, local(4, hour))
    with pytest.raises(NotBookable, match='5 upcoming appointments'):
        patient_book(clinic, local(5, 9))
    assert desk_book(clinic, desk, local(5, 9)).status is AppointmentStatus.BOOKED
    assert desk_book(clinic, desk, local(5, 10)).status is AppointmentStatus.BOOKED


def test_the_desk_still_books_only_the_doctors_slots_not_over_and_no_patient_twice(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    with pytest.raises(NotBookable, match="not one of the doctor's slots"):
        desk_book(clinic, desk, local(3, 9, 10))
    with pytest.raises(NotBookable, match="not one of the doctor's slots"):
        desk_book(clinic, desk, local(7, 9))  # a Saturday: no hours
    clock.set(local(3, 9, 40).astimezone(UTC))
    with pytest.raises(NotBookable, match='in the past'):
        desk_book(clinic, desk, local(3, 9))
    assert desk_book(clinic, desk, local(3, 9, 30)).start == local(3, 9, 30)  # under way and free: bookable
    with pytest.raises(OverlappingBooking):
        desk_book(clinic, desk, local(3, 9, 30), overbook=True, override_reason='Urgent')
    with clinic.ctx.uow() as uow, pytest.raises(NotBookable, match='blocked'):
        front_desk.book_for(
            uow,
            clinic.ctx.settings,
            desk,
            DeskBookingIn(patient_id=_blocked(clinic), doctor_id=clinic.doctor.user_id, start=local(3, 11), reason='x'),
        )


def _blocked(clinic: Clinic) -> int:
    with clinic.ctx.uow() as uow:
        user = uow.users.get(clinic.other_patient.user_id)
        assert user is not None
        user.is_active = False
        uow.commit()
    return clinic.other_patient.user_id


@pytest.mark.parametrize('reason', ['', '   ', '\u200b', 'Bad\u202eReason'])
def test_a_reason_is_always_required_under_the_shared_text_rule(clinic: Clinic, reason: str) -> None:
    base = {'patient_id': 1, 'doctor_id': 2, 'start': local(3, 9)}
    with pytest.raises(ValidationError):
        DeskBookingIn.model_validate(base | {'reason': reason})
    with pytest.raises(ValidationError):
        WalkInIn.model_validate({'patient_id': 1, 'doctor_id': 2, 'reason': reason})
    with pytest.raises(ValidationError):
        DeskCancelIn.model_validate({'reason': reason})
    with pytest.raises(ValidationError):
        DeskRescheduleIn.model_validate({'start': local(3, 9), 'reason': reason})
    assert DeskCancelIn(reason='Two\nlines').reason == 'Two\nlines'  # typed in a text area


def test_a_taken_slot_is_refused_unless_double_booked_with_a_reason(clinic: Clinic, desk: Principal) -> None:
    first = patient_book(clinic, local(3, 9))
    with pytest.raises(SlotTaken, match='double-book it with a reason'):
        desk_book(clinic, desk, local(3, 9), patient=clinic.other_patient)
    with pytest.raises(ValidationError, match='reason for double-booking'):
        DeskBookingIn(
            patient_id=clinic.other_patient.user_id, doctor_id=clinic.doctor.user_id, start=local(3, 9), reason='x',
            overbook=True,
        )  # fmt: skip
    with pytest.raises(ValidationError, match='reason for double-booking'):
        DeskBookingIn(
            patient_id=clinic.other_patient.user_id, doctor_id=clinic.doctor.user_id, start=local(3, 9), reason='x',
            overbook=True, override_reason='   ',
        )  # fmt: skip
    double = desk_book(
        clinic, desk, local(3, 9), patient=clinic.other_patient, overbook=True, override_reason='In pain, doctor agreed'
    )
    assert double.overbooked and double.override_reason == 'In pain, doctor agreed'
    assert double.start == first.start and double.status is AppointmentStatus.BOOKED
    # Shown as such on the doctor's day and in the audit trail.
    with clinic.ctx.uow() as uow:
        day = records.doctor_schedule(uow, clinic.ctx.settings, clinic.doctor, first=local(3, 9).date())
    assert [(e.appointment.id, e.appointment.overbooked) for e in day.entries] == [(first.id, False), (double.id, True)]
    row = audit_rows(clinic, 'appointment.booked')[-1]
    assert row.object_id == double.id
    assert row.detail == {'on_behalf': True, 'overbooked': True, 'override_reason': 'In pain, doctor agreed'}
    # A free slot asked for with overbook is an ordinary booking (nothing to override).
    plain = desk_book(clinic, desk, local(3, 10), overbook=True, override_reason='Just in case')
    assert not plain.overbooked and plain.override_reason is None


def test_a_double_booking_leaves_the_slot_guarantee_for_ordinary_bookings(clinic: Clinic, desk: Principal) -> None:
    first = desk_book(clinic, desk, local(3, 9))
    desk_book(clinic, desk, local(3, 9), patient=clinic.other_patient, overbook=True, override_reason='Urgent')
    with clinic.ctx.uow() as uow:  # straight at the database: a second ordinary booking of the slot is refused
        uow.session.add(
            Appointment(
                doctor_id=clinic.doctor.user_id,
                patient_id=clinic.other_patient.user_id,
                start_at=first.start,
                end_at=first.end,
                status=AppointmentStatus.BOOKED,
                reason='',
                created_at=first.start,
                updated_at=first.start,
                sequence=0,
            )
        )
        with pytest.raises(Exception, match=r'(?i)unique'):
            uow.session.flush()


def test_racing_ordinary_desk_and_patient_bookings_of_one_slot_give_exactly_one(
    clinic: Clinic, desk: Principal
) -> None:
    racers = 12
    patient_ids = add_patients(clinic, racers)
    start_line = threading.Barrier(racers)

    def race(index: int) -> str:
        start_line.wait()
        try:
            if index % 2:
                with clinic.ctx.uow() as uow:
                    appointments.book(
                        uow,
                        clinic.ctx.settings,
                        principal(patient_ids[index], Role.PATIENT),
                        BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9)),
                    )
            else:
                desk_book(clinic, desk, local(3, 9), patient=principal(patient_ids[index], Role.PATIENT))
            return 'booked'
        except SlotTaken:
            return 'taken'

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = Counter(pool.map(race, range(racers)))
    assert outcomes == {'booked': 1, 'taken': racers - 1}
    with clinic.ctx.uow() as uow:
        held = uow.session.scalar(
            select(func.count()).where(
                Appointment.start_at == local(3, 9), Appointment.doctor_id == clinic.doctor.user_id
            )
        )
    assert held == 1


def test_desk_slots_show_free_and_taken_times_without_the_patient_limits(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    patient_book(clinic, local(3, 9, 30))
    with clinic.ctx.uow() as uow:
        slots = front_desk.desk_slots(uow, clinic.ctx.settings, desk, clinic.doctor.user_id, local(3, 9).date())
    assert [(s.start, s.taken) for s in slots[:3]] == [
        (local(3, 9), False),
        (local(3, 9, 30), True),
        (local(3, 10), False),
    ]
    assert len(slots) == 14  # 09-13 and 14-17 by half hours
    clock.set(local(3, 10, 5).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        later = front_desk.desk_slots(uow, clinic.ctx.settings, desk, clinic.doctor.user_id, local(3, 9).date())
    assert later[0].start == local(3, 10)  # the slot under way is still offered
    with clinic.ctx.uow() as uow:
        far = front_desk.desk_slots(uow, clinic.ctx.settings, desk, clinic.doctor.user_id, local(30, 9).date())
    assert len(far) == 14  # beyond the patients' horizon


# --- moving and cancelling on a patient's behalf -------------------------------------------------------------------


def test_the_desk_moves_an_appointment_with_a_reason_the_patient_reads(clinic: Clinic, desk: Principal) -> None:
    booked = patient_book(clinic, local(3, 9))
    data = DeskRescheduleIn(start=local(25, 14), reason='Doctor at a conference')  # beyond the horizon: fine
    with clinic.ctx.uow() as uow:
        moved = front_desk.reschedule_for(uow, clinic.ctx.settings, desk, booked.id, data)
    assert moved.start == local(25, 14) and moved.status is AppointmentStatus.BOOKED
    notice = notices_of(clinic, clinic.patient.user_id)[-1]
    assert notice.appointment_id == booked.id and 'Reason: Doctor at a conference' in notice.body
    row = audit_rows(clinic, 'appointment.rescheduled')[-1]
    assert row.actor_id == desk.user_id and row.detail == {'on_behalf': True, 'reason': 'Doctor at a conference'}
    other = patient_book(clinic, local(3, 10))
    with clinic.ctx.uow() as uow, pytest.raises(SlotTaken):
        front_desk.reschedule_for(
            uow, clinic.ctx.settings, desk, other.id, DeskRescheduleIn(start=local(25, 14), reason='x')
        )


def test_a_move_by_the_admin_is_told_to_the_patient_and_their_own_is_not(clinic: Clinic) -> None:
    booked = patient_book(clinic, local(3, 9))
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, booked.id, local(3, 10))
    about = lambda: [notice for notice in notices_of(clinic, clinic.patient.user_id) if notice.appointment_id]  # noqa: E731
    assert about() == []  # the patient moved it themself
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, clinic.ctx.settings, clinic.admin, booked.id, local(3, 11))
    [notice] = about()
    assert notice.subject == 'Your appointment was moved' and notice.appointment_id == booked.id
    assert notice.body.startswith('The clinic moved your appointment with ') and notice.body.endswith('11:00.')
    assert 'Reason' not in notice.body and '10:00' in notice.body


def test_a_double_booking_moved_to_a_free_slot_is_ordinary_again(clinic: Clinic, desk: Principal) -> None:
    patient_book(clinic, local(3, 9))
    double = desk_book(clinic, desk, local(3, 9), patient=clinic.other_patient, overbook=True, override_reason='Urgent')
    with clinic.ctx.uow() as uow:
        moved = front_desk.reschedule_for(
            uow, clinic.ctx.settings, desk, double.id, DeskRescheduleIn(start=local(3, 11), reason='A slot opened')
        )
    assert not moved.overbooked and moved.override_reason is None


def test_the_desk_cancels_until_the_visit_starts(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    booked = patient_book(clinic, local(2, 9, 30))
    arrived = patient_book(clinic, local(2, 10), patient=clinic.other_patient)
    clock.set(local(2, 9, 20).astimezone(UTC))
    with clinic.ctx.uow() as uow:  # after the patients' cut-off: the desk still cancels, with the reason they read
        cancelled = front_desk.cancel_for(uow, clinic.ctx.settings, desk, booked.id, DeskCancelIn(reason='Called in'))
    assert cancelled.status is AppointmentStatus.CANCELLED and cancelled.cancel_reason == 'Called in'
    assert 'Reason: Called in' in notices_of(clinic, clinic.patient.user_id)[-1].body
    with clinic.ctx.uow() as uow:
        queue.check_in(uow, clinic.ctx.settings, desk, arrived.id)
    with clinic.ctx.uow() as uow:  # checked in: still cancellable
        front_desk.cancel_for(uow, clinic.ctx.settings, desk, arrived.id, DeskCancelIn(reason='Had to leave'))
    third = desk_book(clinic, desk, local(2, 11))
    with clinic.ctx.uow() as uow:
        queue.check_in(uow, clinic.ctx.settings, desk, third.id)
    with clinic.ctx.uow() as uow:
        queue.call(uow, clinic.ctx.settings, clinic.doctor, third.id)
    with (
        clinic.ctx.uow() as uow,
        pytest.raises(InvalidTransition, match=r'called in a moment ago\. Your change was not'),
    ):
        front_desk.cancel_for(uow, clinic.ctx.settings, desk, third.id, DeskCancelIn(reason='Too late'))
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='started and can no longer be cancelled'):
        appointments.cancel(uow, clinic.ctx.settings, clinic.doctor, third.id, 'Too late')
    clock.set(clock.now() + timedelta(minutes=11))  # old news: the refusal says why
    for actor in (desk, clinic.admin):
        with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='started and can no longer be cancelled'):
            front_desk.cancel_for(uow, clinic.ctx.settings, actor, third.id, DeskCancelIn(reason='Too late'))
    fourth = desk_book(clinic, desk, local(2, 11, 30))
    with clinic.ctx.uow() as uow:
        queue.check_in(uow, clinic.ctx.settings, desk, fourth.id)
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='checked in a moment ago'):
        front_desk.reschedule_for(
            uow, clinic.ctx.settings, desk, fourth.id, DeskRescheduleIn(start=local(2, 12), reason='x')
        )


# --- walk-ins --------------------------------------------------------------------------------------------------------


def test_a_walk_in_takes_the_next_free_time_today_and_is_checked_in_with_a_ticket(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    patient_book(clinic, local(2, 9, 30), patient=clinic.other_patient)
    clock.set(local(2, 9, 10).astimezone(UTC))
    first = walk_in(clinic, desk)
    assert first.start == local(2, 9) and first.walk_in and not first.overbooked  # the free slot under way
    assert first.status is AppointmentStatus.ARRIVED and first.arrived_at == clock.now()
    assert first.ticket == f'{queue.ticket_letters(clinic.doctor.user_id)}-001'
    assert first.reason == 'Cough'
    second = walk_in(clinic, clinic.admin, patient=principal(add_patients(clinic, 1)[0], Role.PATIENT))
    assert second.start == local(2, 10)  # 09:30 is booked: the next free slot
    assert second.ticket == f'{queue.ticket_letters(clinic.doctor.user_id)}-002'
    row = audit_rows(clinic, 'appointment.walk_in')[0]
    assert row.object_id == first.id and row.detail == {'overbooked': False, 'ticket': first.ticket}


def test_a_walk_in_on_a_full_day_is_an_overbooked_visit_now(
    clinic: Clinic, desk: Principal, clock: ManualClock
) -> None:
    clock.set(local(2, 16, 7).astimezone(UTC))
    patient_book_at_desk = [desk_book(clinic, desk, local(2, 16)), desk_book(clinic, desk, local(2, 16, 30))]
    assert len(patient_book_at_desk) == 2
    late = walk_in(clinic, desk, patient=clinic.other_patient)
    assert late.overbooked and late.walk_in and late.status is AppointmentStatus.ARRIVED
    assert late.start == local(2, 16, 7) and late.end == local(2, 16, 37)
    assert late.override_reason == 'Walk-in: no free time left today.'
    clock.set(local(2, 18).astimezone(UTC))  # after hours: the day is over, still a visit now
    assert walk_in(clinic, desk, patient=principal(add_patients(clinic, 1)[0], Role.PATIENT)).overbooked


def test_no_walk_ins_for_a_doctor_without_hours_today(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    clock.set(local(7, 10).astimezone(UTC))  # Saturday
    with pytest.raises(NotBookable, match='no hours today'):
        walk_in(clinic, desk)


def test_a_patient_is_never_walked_in_over_their_own_visit(clinic: Clinic, desk: Principal, clock: ManualClock) -> None:
    clock.set(local(2, 8, 50).astimezone(UTC))
    desk_book(clinic, desk, local(2, 9), patient=clinic.patient)
    with clinic.ctx.uow() as uow:  # same patient at the same time with the other doctor: refused
        with pytest.raises(OverlappingBooking):
            front_desk.walk_in(
                uow,
                clinic.ctx.settings,
                desk,
                WalkInIn(patient_id=clinic.patient.user_id, doctor_id=clinic.other_doctor.user_id, reason='x'),
            )


# --- the API ---------------------------------------------------------------------------------------------------------


def desk_headers(api: TestClient, clinic: Clinic) -> Headers:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    return login(api, desk.email, RECEPTION_PASSWORD)


def test_api_books_moves_and_cancels_for_a_patient(api: TestClient, people: People, clinic: Clinic) -> None:
    desk = desk_headers(api, clinic)
    body = {'patient_id': clinic.patient.user_id, 'doctor_id': clinic.doctor.user_id, 'start': local(20, 9).isoformat()}
    assert_problem(api.post('/api/reception/appointments', headers=desk, json=body), 422)  # no reason
    created = api.post('/api/reception/appointments', headers=desk, json=body | {'reason': 'Referral'})
    assert created.status_code == 201, created.text
    view = created.json()
    assert created.headers['location'].endswith(f'/api/appointments/{view["id"]}')
    assert view['status'] == 'booked' and view['overbooked'] is False and view['walk_in'] is False
    assert {'arrived_at', 'called_at', 'completed_at', 'ticket', 'override_reason'} <= set(view)
    other = body | {'patient_id': clinic.other_patient.user_id, 'reason': 'Pain'}
    assert_problem(api.post('/api/reception/appointments', headers=desk, json=other), 409, 'double-book')
    assert_problem(api.post('/api/reception/appointments', headers=desk, json=other | {'overbook': True}), 422)
    double = api.post(
        '/api/reception/appointments',
        headers=people.admin,
        json=other | {'overbook': True, 'override_reason': 'Urgent'},
    )
    assert double.status_code == 201 and double.json()['overbooked'] is True
    assert double.json()['override_reason'] == 'Urgent'
    seen_by_patient = api.get(f'/api/appointments/{double.json()["id"]}', headers=people.bob).json()
    assert seen_by_patient['overbooked'] is True and 'override_reason' not in seen_by_patient
    moved = api.patch(
        f'/api/reception/appointments/{view["id"]}', headers=desk, json={'start': local(19, 9).isoformat()}
    )
    assert_problem(moved, 422)  # no reason
    moved = api.patch(
        f'/api/reception/appointments/{view["id"]}',
        headers=desk,
        json={'start': local(19, 9).isoformat(), 'reason': 'Doctor away'},
    )
    assert moved.status_code == 200 and moved.json()['start'] == local(19, 9).isoformat()
    cancel = api.post(f'/api/reception/appointments/{view["id"]}/cancel', headers=desk, json={'reason': ''})
    assert_problem(cancel, 422)
    cancel = api.post(f'/api/reception/appointments/{view["id"]}/cancel', headers=desk, json={'reason': 'Better'})
    assert cancel.status_code == 200 and cancel.json()['status'] == 'cancelled'
    assert_problem(
        api.post(f'/api/reception/appointments/{view["id"]}/cancel', headers=desk, json={'reason': 'Again'}), 409
    )
    assert_problem(api.post('/api/reception/appointments/999999/cancel', headers=desk, json={'reason': 'x'}), 404)


def test_api_walk_in_and_the_desk_slots(api: TestClient, people: People, clinic: Clinic, clock: ManualClock) -> None:
    clock.set(local(2, 9, 10).astimezone(UTC))
    desk = desk_headers(api, clinic)
    body = {'patient_id': clinic.patient.user_id, 'doctor_id': clinic.doctor.user_id, 'reason': 'Cough'}
    created = api.post('/api/reception/walk-ins', headers=desk, json=body)
    assert created.status_code == 201, created.text
    walk = created.json()
    assert walk['walk_in'] is True and walk['status'] == 'arrived' and walk['ticket']
    assert walk['start'] == local(2, 9).isoformat() and walk['arrived_at'] == local(2, 9, 10).isoformat()
    assert_problem(api.post('/api/reception/walk-ins', headers=desk, json=body | {'reason': ''}), 422)
    slots = api.get(
        f'/api/reception/doctors/{clinic.doctor.user_id}/slots', headers=desk, params={'date': '2026-03-02'}
    )
    assert slots.status_code == 200
    first = {'start': local(2, 9).isoformat(), 'end': local(2, 9, 30).isoformat(), 'taken': True, 'held': False}
    assert slots.json()[0] == first
    assert_problem(
        api.get(f'/api/reception/doctors/{clinic.doctor.user_id}/slots', headers=desk, params={'date': '9999-12-31'}),
        422,
    )
    for headers in (people.ada, people.grey):
        assert_problem(api.post('/api/reception/walk-ins', headers=headers, json=body), 403)
        assert_problem(api.get('/api/reception/today', headers=headers), 403)
