"""Every scheduling rule on the service layer, with Berlin time and a clock that moves only when told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import AuditEntry
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role, SessionKind
from hms.domain.errors import (
    AvailabilityConflict,
    Conflict,
    EmailTaken,
    InUse,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotAuthenticated,
    NotBookable,
    NotFound,
    OverlappingBooking,
    SlotTaken,
)
from hms.domain.scheduling import (
    AvailabilityIn,
    BookingIn,
    DepartmentIn,
    DepartmentPatch,
    DoctorIn,
    DoctorPatch,
    WindowIn,
)
from hms.domain.schemas import Credentials
from hms.services import accounts, appointments, availability, departments, doctors, notices, patients
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from .scheduling_fixtures import WORKING_WEEK, Clinic, local


def book(
    clinic: Clinic,
    when: datetime,
    patient: Principal | None = None,
    doctor: Principal | None = None,
    reason: str = 'Check-up',
) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=(doctor or clinic.doctor).user_id, start=when, reason=reason),
        )


def slots(clinic: Clinic, doctor: Principal | None = None, first: date | None = None, last: date | None = None):
    with clinic.ctx.uow() as uow:
        return availability.free_slots(uow, clinic.ctx.settings, (doctor or clinic.doctor).user_id, first, last)


def audit_actions(clinic: Clinic) -> list[str]:
    with clinic.ctx.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Departments ----------------------------------------------------------------------------------------------------


def test_departments_are_unique_in_any_case_and_count_doctors(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(Conflict):
        departments.create_department(uow, clinic.admin, DepartmentIn(name='CARDIOLOGY'))
    with clinic.ctx.uow() as uow:
        listed = departments.list_departments(uow)
    assert [(d.name, d.doctor_count) for d in listed] == [('Cardiology', 2)]


def test_department_rename_and_describe(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        view = departments.update_department(
            uow, clinic.admin, clinic.department_id, DepartmentPatch(name='Heart Centre', description='Cardiac care')
        )
    assert (view.name, view.description, view.doctor_count) == ('Heart Centre', 'Cardiac care', 2)


def test_department_with_doctors_cannot_be_deleted_but_an_empty_one_can(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(InUse, match='2 doctors belong'):
        departments.delete_department(uow, clinic.admin, clinic.department_id)
    with clinic.ctx.uow() as uow:
        empty = departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology'))
    with clinic.ctx.uow() as uow:
        departments.delete_department(uow, clinic.admin, empty.id)
    with clinic.ctx.uow() as uow:
        assert [d.name for d in departments.list_departments(uow)] == ['Cardiology']


def test_only_the_admin_manages_departments(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        departments.create_department(uow, clinic.doctor, DepartmentIn(name='Neurology'))


# Doctors ---------------------------------------------------------------------------------------------------------


def test_new_doctor_gets_a_one_time_password_to_change(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        new = doctors.add_doctor(
            uow,
            clinic.admin,
            DoctorIn(name='Cristina Yang', email='Yang@Clinic.test', department_id=clinic.department_id),
        )
    assert new.doctor.email == 'yang@clinic.test' and len(new.initial_password) >= 12
    with clinic.ctx.uow() as uow:
        result = accounts.login(
            uow,
            clinic.ctx.settings,
            Credentials(email='yang@clinic.test', password=new.initial_password),
            ip='127.0.0.1',
            kind=SessionKind.WEB,
        )
    assert result.principal.role is Role.DOCTOR and result.principal.must_change_password


def test_doctor_email_must_be_free_and_department_must_exist(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(EmailTaken):
        doctors.add_doctor(
            uow, clinic.admin, DoctorIn(name='X', email='ADA@example.com', department_id=clinic.department_id)
        )
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput) as caught:
        doctors.add_doctor(uow, clinic.admin, DoctorIn(name='X', email='x@clinic.test', department_id=999))
    assert 'department_id' in caught.value.field_errors


def test_admin_edits_every_doctor_field(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        other = departments.create_department(uow, clinic.admin, DepartmentIn(name='Surgery'))
    patch = DoctorPatch(
        name='Dr. M. Grey',
        email='mgrey@clinic.test',
        department_id=other.id,
        experience_years=15,
        qualifications='MD, FACS',
        bio='General surgeon',
        consultation_minutes=45,
    )
    with clinic.ctx.uow() as uow:
        view = doctors.update_doctor(uow, clinic.admin, clinic.doctor.user_id, patch)
    assert (
        view.name,
        view.email,
        view.department_name,
        view.experience_years,
        view.qualifications,
        view.bio,
        view.consultation_minutes,
    ) == ('Dr. M. Grey', 'mgrey@clinic.test', 'Surgery', 15, 'MD, FACS', 'General surgeon', 45)


def test_doctor_search_by_name_or_specialization_and_free_date(clinic: Clinic) -> None:
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        assert [d.name for d in doctors.search_doctors(uow, settings, text='grey')] == ['Meredith Grey']
        assert len(doctors.search_doctors(uow, settings, text='cardio')) == 2
        assert len(doctors.search_doctors(uow, settings, specialization='CARDIO')) == 2
        assert len(doctors.search_doctors(uow, settings, specialization=str(clinic.department_id))) == 2
        assert doctors.search_doctors(uow, settings, free_on=date(2026, 3, 7)) == []  # a Saturday
        assert len(doctors.search_doctors(uow, settings, free_on=date(2026, 3, 3))) == 2
    with clinic.ctx.uow() as uow:
        availability.set_day(uow, settings, clinic.doctor, date(2026, 3, 3), [])  # day off
    with clinic.ctx.uow() as uow:
        assert [d.name for d in doctors.search_doctors(uow, settings, free_on=date(2026, 3, 3))] == ['Derek Shepherd']


def test_deactivating_a_doctor_hides_them_and_cancels_upcoming_with_notices(clinic: Clinic) -> None:
    booked = book(clinic, local(3, 10))
    with clinic.ctx.uow() as uow:
        assert doctors.deactivation_impact(uow, clinic.admin, clinic.doctor.user_id) == 1
    with clinic.ctx.uow() as uow:
        cancelled = doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.doctor.user_id, active=False)
    assert cancelled == 1
    with clinic.ctx.uow() as uow:
        assert appointments.get_appointment(uow, clinic.admin, booked.id).status is AppointmentStatus.CANCELLED
        assert [d.name for d in doctors.search_doctors(uow, clinic.ctx.settings)] == ['Derek Shepherd']
        assert len(doctors.search_doctors(uow, clinic.ctx.settings, include_inactive=True)) == 2
        inbox = notices.my_notices(uow, clinic.patient)
        with pytest.raises(NotFound):
            doctors.get_doctor(uow, clinic.doctor.user_id)
    assert inbox[0].subject == 'Your appointment was cancelled' and 'Meredith Grey' in inbox[0].body
    with pytest.raises(NotBookable):
        book(clinic, local(3, 11))
    with clinic.ctx.uow() as uow:
        doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.doctor.user_id, active=True)
    assert book(clinic, local(3, 11)).status is AppointmentStatus.BOOKED


# Free slots ------------------------------------------------------------------------------------------------------


def test_free_slots_cover_the_next_7_days_on_the_grid(clinic: Clinic) -> None:
    found = slots(clinic)
    assert len(found) == 5 * 14  # Mon-Fri, 8 + 6 half-hour slots, nothing at the weekend
    assert found[0].start == local(2, 9)  # exactly the 1-hour booking notice after 08:00
    assert found[-1].start == local(6, 16, 30)
    assert {slot.start.astimezone(local(2, 9).tzinfo).date() for slot in found} == {
        date(2026, 3, d) for d in range(2, 7)
    }


def test_free_slots_exclude_the_past_and_the_notice_period(clinic: Clinic, clock: ManualClock) -> None:
    clock.set(local(2, 10, 10).astimezone(UTC))
    monday = [s.start for s in slots(clinic, first=date(2026, 3, 2), last=date(2026, 3, 2))]
    assert monday[0] == local(2, 11, 30)  # 11:10 + 60 min notice, rounded up to the grid


def test_free_slots_stop_at_the_horizon(clinic: Clinic) -> None:
    assert slots(clinic, first=date(2026, 3, 9), last=date(2026, 3, 13)) == []


def test_booked_slots_are_not_free(clinic: Clinic) -> None:
    book(clinic, local(3, 9))
    starts = {s.start for s in slots(clinic)}
    assert local(3, 9) not in starts and local(3, 9, 30) in starts


def test_slots_follow_daylight_saving(clinic: Clinic, clock: ManualClock) -> None:
    clock.set(datetime(2026, 3, 27, 6, 0, tzinfo=UTC))  # Friday 27 March, 07:00 CET
    found = slots(clinic)
    friday = [s for s in found if s.start.date() == date(2026, 3, 27)]
    monday = [s for s in found if s.start.astimezone(local(2, 9).tzinfo).date() == date(2026, 3, 30)]
    assert friday[0].start == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert monday[0].start == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert book(clinic, monday[0].start).start == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


# Booking ---------------------------------------------------------------------------------------------------------


def test_a_slot_is_booked_once_and_freed_by_cancellation(clinic: Clinic) -> None:
    first = book(clinic, local(3, 9))
    assert (first.status, first.start, first.end) == (AppointmentStatus.BOOKED, local(3, 9), local(3, 9, 30))
    with pytest.raises(SlotTaken, match='just taken'):
        book(clinic, local(3, 9), patient=clinic.other_patient)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, first.id)
    again = book(clinic, local(3, 9), patient=clinic.other_patient)  # the partial unique index allows it again
    assert again.patient_id == clinic.other_patient.user_id


@pytest.mark.parametrize(
    ('when', 'message'),
    [
        (local(2, 7), 'in the past'),
        (local(2, 8, 30), 'at least 60 minutes'),
        (local(3, 9, 10), 'not one of the doctor'),
        (local(3, 13, 0), 'not one of the doctor'),  # lunch break
        (local(7, 10), 'not one of the doctor'),  # Saturday
        (local(9, 9), 'days ahead'),  # beyond the 7-day horizon
    ],
)
def test_only_free_slots_of_the_published_grid_can_be_booked(clinic: Clinic, when: datetime, message: str) -> None:
    with pytest.raises(NotBookable, match=message):
        book(clinic, when)


def test_no_overlapping_bookings_for_one_patient(clinic: Clinic) -> None:
    book(clinic, local(3, 9))
    with pytest.raises(OverlappingBooking):
        book(clinic, local(3, 9), doctor=clinic.other_doctor)
    book(clinic, local(3, 9, 30), doctor=clinic.other_doctor)  # back to back is fine


def test_future_bookings_are_limited(clinic: Clinic) -> None:
    for day in range(2, 7):
        book(clinic, local(day, 10))
    with pytest.raises(NotBookable, match='5 upcoming appointments'):
        book(clinic, local(6, 11))


def test_inactive_patient_cannot_book(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.patient.user_id, active=False)
    with pytest.raises(NotAllowed):
        book(clinic, local(3, 9))


def test_only_patients_book(clinic: Clinic) -> None:
    with pytest.raises(NotAllowed):
        book(clinic, local(3, 9), patient=clinic.doctor)


# Rescheduling and cancelling -------------------------------------------------------------------------------------


def test_reschedule_to_another_free_slot_of_the_same_doctor(clinic: Clinic) -> None:
    first = book(clinic, local(3, 9))
    book(clinic, local(3, 10), patient=clinic.other_patient)
    with clinic.ctx.uow() as uow, pytest.raises(SlotTaken):
        appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, first.id, local(3, 10))
    with clinic.ctx.uow() as uow:
        moved = appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, first.id, local(4, 14))
    assert (moved.id, moved.start, moved.status) == (first.id, local(4, 14), AppointmentStatus.BOOKED)
    assert local(3, 9) in {s.start for s in slots(clinic)}
    assert 'appointment.rescheduled' in audit_actions(clinic)


def test_patients_act_only_on_their_own_appointments(clinic: Clinic) -> None:
    mine = book(clinic, local(3, 9))
    with clinic.ctx.uow() as uow:
        for action in (
            lambda: appointments.get_appointment(uow, clinic.other_patient, mine.id),
            lambda: appointments.cancel(uow, clinic.ctx.settings, clinic.other_patient, mine.id),
            lambda: appointments.reschedule(uow, clinic.ctx.settings, clinic.other_patient, mine.id, local(4, 9)),
            lambda: appointments.get_appointment(uow, clinic.other_doctor, mine.id),
        ):
            with pytest.raises(NotFound):
                action()


def test_patient_cancels_until_the_cutoff_then_is_told_why_not(clinic: Clinic, clock: ManualClock) -> None:
    early = book(clinic, local(3, 11))
    late = book(clinic, local(3, 15))
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, early.id)
    clock.set(local(3, 13, 30).astimezone(UTC))  # 90 minutes before the 15:00 visit
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='until 2 hours before'):
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, late.id)
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='until 2 hours before'):
        appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, late.id, local(4, 9))


def test_admin_cancels_with_a_reason_and_the_patient_is_told(clinic: Clinic) -> None:
    booked = book(clinic, local(3, 11))
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput):
        appointments.cancel(uow, clinic.ctx.settings, clinic.admin, booked.id, '')
    with clinic.ctx.uow() as uow:
        cancelled = appointments.cancel(uow, clinic.ctx.settings, clinic.admin, booked.id, 'Doctor ill')
    assert cancelled.cancel_reason == 'Doctor ill' and cancelled.cancelled_by_role == 'admin'
    with clinic.ctx.uow() as uow:
        assert 'Reason: Doctor ill' in notices.my_notices(uow, clinic.patient)[0].body


def test_cancelled_is_final(clinic: Clinic) -> None:
    booked = book(clinic, local(3, 11))
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, booked.id, 'Feeling better')
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='cancelled'):
        appointments.cancel(uow, clinic.ctx.settings, clinic.admin, booked.id, 'again')
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition):
        appointments.reschedule(uow, clinic.ctx.settings, clinic.admin, booked.id, local(4, 9))


def test_every_change_is_audited_with_who_and_when(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, local(3, 11))
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, clinic.ctx.settings, clinic.admin, booked.id, local(3, 12))
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, booked.id)
    with clinic.ctx.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == 'appointment', AuditEntry.object_id == booked.id)
        ).all()
    assert [(r.action, r.actor_id, r.subject_user_id) for r in rows] == [
        ('appointment.booked', clinic.patient.user_id, clinic.patient.user_id),
        ('appointment.rescheduled', clinic.admin.user_id, clinic.patient.user_id),
        ('appointment.cancelled', clinic.patient.user_id, clinic.patient.user_id),
    ]
    assert all(r.at == clock.now() for r in rows)


# Availability ----------------------------------------------------------------------------------------------------


def test_availability_round_trip(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        view = availability.get_availability(uow, clinic.ctx.settings, clinic.doctor)
    assert len(view.weekly) == 10 and view.overrides == []


def test_override_day_off_and_extra_window(clinic: Clinic) -> None:
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        availability.set_day(uow, settings, clinic.doctor, date(2026, 3, 3), [])
    with clinic.ctx.uow() as uow:
        availability.set_day(uow, settings, clinic.doctor, date(2026, 3, 7), [WindowIn(start='10:00', end='11:00')])
    found = {s.start for s in slots(clinic)}
    assert not any(s.date() == date(2026, 3, 3) for s in found)
    assert {local(7, 10), local(7, 10, 30)} <= found
    with clinic.ctx.uow() as uow:
        plan = availability.week_plan(uow, settings, clinic.doctor)
    assert [(p.date.day, p.source, len(p.windows)) for p in plan][:2] == [(2, 'template', 2), (3, 'override', 0)]
    with clinic.ctx.uow() as uow:
        availability.apply_template(uow, settings, clinic.doctor)
    assert len(slots(clinic)) == 70


def test_removing_booked_availability_is_refused_then_confirmed(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 14))  # Monday afternoon
    mornings = AvailabilityIn.model_validate(
        {'weekly': [{'weekday': day, 'start': '09:00', 'end': '13:00'} for day in range(5)]}
    )
    with clinic.ctx.uow() as uow, pytest.raises(AvailabilityConflict) as caught:
        availability.set_availability(uow, clinic.ctx.settings, clinic.doctor, mornings)
    assert [a['id'] for a in caught.value.affected] == [booked.id]
    assert caught.value.affected[0]['patient'] == 'Ada Lovelace'
    assert len(slots(clinic)) == 5 * 14 - 1  # nothing changed
    with clinic.ctx.uow() as uow:
        cancelled = availability.set_availability(
            uow, clinic.ctx.settings, clinic.doctor, mornings, confirm_cancel=True
        )
    assert cancelled == [booked.id]
    with clinic.ctx.uow() as uow:
        assert appointments.get_appointment(uow, clinic.patient, booked.id).status is AppointmentStatus.CANCELLED
        assert 'no longer available' in notices.my_notices(uow, clinic.patient)[0].body
    assert len(slots(clinic)) == 5 * 8


def test_doctors_manage_only_their_own_availability(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        availability.set_availability(
            uow,
            clinic.ctx.settings,
            clinic.doctor,
            AvailabilityIn.model_validate(WORKING_WEEK),
            doctor_id=clinic.other_doctor.user_id,
        )
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        availability.get_availability(uow, clinic.ctx.settings, clinic.patient)


def test_invalid_availability_is_refused_with_a_reason() -> None:
    from hms.domain.validation import parse

    with pytest.raises(InvalidInput):
        parse(AvailabilityIn, {'weekly': [{'weekday': 7, 'start': '09:00', 'end': '10:00'}]})
    with pytest.raises(InvalidInput):
        parse(AvailabilityIn, {'weekly': [{'weekday': 0, 'start': '11:00', 'end': '10:00'}]})
    with pytest.raises(InvalidInput):
        parse(AvailabilityIn, {'overrides': [{'date': '2026-03-03'}, {'date': '2026-03-03'}]})


# Patients and the admin's view -----------------------------------------------------------------------------------


@pytest.mark.parametrize('text', ['ADA', 'lovelace', 'ada@EXAMPLE', '7946', '+44 20', 'Lace'])
def test_patient_search_is_partial_and_case_insensitive(clinic: Clinic, text: str) -> None:
    with clinic.ctx.uow() as uow:
        found = patients.search_patients(uow, clinic.admin, text)
    assert [p.email for p in found.items] == ['ada@example.com']


def test_patient_search_by_id_and_phone_digits(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        by_id = patients.search_patients(uow, clinic.admin, str(clinic.other_patient.user_id))
        by_digits = patients.search_patients(uow, clinic.admin, '12345678')
        everyone = patients.search_patients(uow, clinic.admin, None, limit=1)
    assert clinic.other_patient.user_id in [p.id for p in by_id.items]
    assert [p.email for p in by_digits.items] == ['bob@example.com']
    assert (everyone.total, len(everyone.items)) == (2, 1)


def test_patient_detail_and_contact_edit(clinic: Clinic) -> None:
    from hms.domain.scheduling import PatientContactPatch

    book(clinic, local(3, 9))
    with clinic.ctx.uow() as uow:
        detail = patients.patient_detail(uow, clinic.admin, clinic.patient.user_id)
    assert detail.patient.name == 'Ada Lovelace' and [a.start for a in detail.appointments] == [local(3, 9)]
    with clinic.ctx.uow() as uow:
        updated = patients.update_contact(
            uow,
            clinic.admin,
            clinic.patient.user_id,
            PatientContactPatch(phone='+44 1234 567890', emergency_contact='Charles Babbage'),
        )
    assert (updated.phone, updated.emergency_contact, updated.name) == (
        '+44 1234 567890',
        'Charles Babbage',
        'Ada Lovelace',
    )
    with clinic.ctx.uow() as uow, pytest.raises(EmailTaken):
        patients.update_contact(uow, clinic.admin, clinic.patient.user_id, PatientContactPatch(email='bob@example.com'))
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        patients.patient_detail(uow, clinic.patient, clinic.patient.user_id)


def test_blacklisting_a_patient_ends_sessions_and_frees_their_slots(clinic: Clinic) -> None:
    from .factories import PATIENT_PASSWORD

    booked = book(clinic, local(3, 9))
    with clinic.ctx.uow() as uow:
        token = accounts.login(
            uow,
            clinic.ctx.settings,
            Credentials(email='ada@example.com', password=PATIENT_PASSWORD),
            ip='1.2.3.4',
            kind=SessionKind.API,
        ).token
    with clinic.ctx.uow() as uow:
        assert doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.patient.user_id, active=False) == 1
    with clinic.ctx.uow() as uow, pytest.raises(NotAuthenticated):
        accounts.authenticate(uow, clinic.ctx.settings, token, kind=SessionKind.API)
    with clinic.ctx.uow() as uow:
        assert appointments.get_appointment(uow, clinic.admin, booked.id).status is AppointmentStatus.CANCELLED


def test_admin_lists_every_appointment_with_filters_and_pages(clinic: Clinic) -> None:
    first = book(clinic, local(3, 9))
    second = book(clinic, local(4, 9), patient=clinic.other_patient, doctor=clinic.other_doctor)
    third = book(clinic, local(5, 9))
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, third.id)

    def ids(**criteria: object) -> list[int]:
        with clinic.ctx.uow() as uow:
            page = appointments.search(uow, clinic.admin, AppointmentFilter(**criteria), newest_first=False)
        return [a.id for a in page.items]

    assert ids() == [first.id, second.id, third.id]
    assert ids(doctor_id=clinic.other_doctor.user_id) == [second.id]
    assert ids(patient_id=clinic.patient.user_id) == [first.id, third.id]
    assert ids(department_id=clinic.department_id) == [first.id, second.id, third.id]
    assert ids(statuses=(AppointmentStatus.CANCELLED,)) == [third.id]
    assert ids(start_from=local(4, 0), start_to=local(5, 0)) == [second.id]
    with clinic.ctx.uow() as uow:
        page = appointments.search(uow, clinic.admin, AppointmentFilter(), limit=2, offset=2)
    assert (page.total, [a.id for a in page.items]) == (3, [first.id])
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        appointments.search(uow, clinic.patient, AppointmentFilter())


def test_patient_and_doctor_lists(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, local(3, 9))
    with clinic.ctx.uow() as uow:
        mine = appointments.my_appointments(uow, clinic.patient, upcoming=True)
        schedule = appointments.doctor_appointments(uow, clinic.doctor, start_from=local(3, 0), start_to=local(4, 0))
        other = appointments.doctor_appointments(uow, clinic.other_doctor)
    assert [a.id for a in mine] == [booked.id] and mine[0].doctor_name == 'Meredith Grey'
    assert mine[0].department_name == 'Cardiology'
    assert [a.patient_name for a in schedule] == ['Ada Lovelace'] and other == []
    clock.set(local(3, 12).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        assert appointments.my_appointments(uow, clinic.patient, upcoming=True) == []
        assert [a.id for a in appointments.my_appointments(uow, clinic.patient, upcoming=False)] == [booked.id]


def test_horizon_and_limits_are_settings(clinic: Clinic) -> None:
    clinic.ctx.settings = clinic.ctx.settings.model_copy(update={'booking_horizon_days': 14, 'max_future_bookings': 1})
    book(clinic, local(12, 9))  # the following week is now bookable
    with pytest.raises(NotBookable, match='1 upcoming'):
        book(clinic, local(12, 10))
    assert timedelta(days=14) > timedelta(days=7)
