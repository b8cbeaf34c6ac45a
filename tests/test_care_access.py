"""A doctor reads a patient's history only through care that happened: a booked appointment together, or a visit
the doctor completed. Every way such a relationship starts and ends is here; private notes stay their author's; each
view is in the patient's access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hms.clock import ManualClock
from hms.db.models import AuditEntry
from hms.domain.errors import NotFound
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn, WindowIn
from hms.services import appointments, availability, doctors, records
from hms.services.principal import Principal

from .factories import TREATMENT
from .scheduling_fixtures import Clinic, insert_appointment, local

PRIVATE = 'Suspect the patient under-reports pain'


def book(clinic: Clinic, when: datetime, doctor: Principal | None = None) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            clinic.patient,
            BookingIn(doctor_id=(doctor or clinic.doctor).user_id, start=when),
        )
    return booked.id


def reads_history(clinic: Clinic, doctor: Principal | None = None) -> bool:
    try:
        with clinic.ctx.uow() as uow:
            records.patient_history(uow, clinic.ctx.settings, doctor or clinic.doctor, clinic.patient.user_id)
    except NotFound:
        return False
    return True


def listed(clinic: Clinic, doctor: Principal | None = None) -> bool:
    with clinic.ctx.uow() as uow:
        mine = records.my_patients(uow, doctor or clinic.doctor)
    return clinic.patient.user_id in {row.patient_id for row in mine}


def in_care(clinic: Clinic, doctor: Principal | None = None) -> bool:
    """Whether the doctor reads the history, and the patients list agrees."""
    reading = reads_history(clinic, doctor)
    assert listed(clinic, doctor) == reading
    return reading


def cancel(clinic: Clinic, actor: Principal, appointment_id: int) -> None:
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, actor, appointment_id, 'Reason given')


def test_no_appointment_no_access(clinic: Clinic) -> None:
    assert not in_care(clinic)


def test_a_booking_opens_the_history_while_it_stands(clinic: Clinic) -> None:
    appointment_id = book(clinic, local(4, 9))
    assert in_care(clinic)
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, appointment_id, local(4, 10))
    assert in_care(clinic)  # moved, still booked


@pytest.mark.parametrize('canceller', ['patient', 'doctor', 'admin'])
def test_a_cancelled_booking_gives_nothing(clinic: Clinic, canceller: str) -> None:
    appointment_id = book(clinic, local(4, 9))
    assert in_care(clinic)
    cancel(clinic, getattr(clinic, canceller), appointment_id)
    assert not in_care(clinic)


def test_hours_that_strand_the_booking_end_the_access(clinic: Clinic) -> None:
    book(clinic, local(4, 9))
    with clinic.ctx.uow() as uow:
        availability.set_day(
            uow, clinic.ctx.settings, clinic.doctor, local(4, 9).date(), [WindowIn(start='14:00', end='17:00')],
            confirm_cancel=True,
        )  # fmt: skip
    assert not in_care(clinic)


def test_blacklisting_the_patient_cancels_and_ends_the_access(clinic: Clinic) -> None:
    book(clinic, local(4, 9))
    with clinic.ctx.uow() as uow:
        doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.patient.user_id, active=False, reason='Abuse')
    assert not in_care(clinic)


def test_a_no_show_gives_nothing(clinic: Clinic, clock: ManualClock) -> None:
    appointment_id = book(clinic, local(2, 9))
    clock.set(local(2, 9, 30).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, appointment_id)
    assert not in_care(clinic)


def test_a_completed_visit_keeps_the_access_after_later_bookings_end(clinic: Clinic, clock: ManualClock) -> None:
    visit = book(clinic, local(2, 9))
    with clinic.ctx.uow() as uow:
        records.complete_visit(uow, clinic.ctx.settings, clinic.doctor, visit, TreatmentIn.model_validate(TREATMENT))
    later = book(clinic, local(5, 9))
    cancel(clinic, clinic.patient, later)
    clock.set(clock.now() + timedelta(days=400))
    assert in_care(clinic)


def test_private_notes_are_read_by_their_author_only(clinic: Clinic) -> None:
    visit = book(clinic, local(2, 9))
    data = TreatmentIn.model_validate(TREATMENT | {'private_notes': PRIVATE})
    with clinic.ctx.uow() as uow:
        written = records.complete_visit(uow, clinic.ctx.settings, clinic.doctor, visit, data)
    assert written.treatment is not None and written.treatment.private_notes == PRIVATE
    book(clinic, local(5, 9), doctor=clinic.other_doctor)  # the other doctor now cares for the patient too
    readers = {
        'author': clinic.doctor,
        'other doctor': clinic.other_doctor,
        'admin': clinic.admin,
        'patient': clinic.patient,
    }
    seen = {}
    for who, reader in readers.items():
        with clinic.ctx.uow() as uow:
            history = records.patient_history(uow, clinic.ctx.settings, reader, clinic.patient.user_id)
        [visit_view] = history.visits
        assert visit_view.treatment is not None and visit_view.treatment.diagnosis == TREATMENT['diagnosis']
        seen[who] = visit_view.treatment.private_notes
    assert seen == {'author': PRIVATE, 'other doctor': None, 'admin': None, 'patient': None}
    with clinic.ctx.uow() as uow:
        as_admin = records.get_visit(uow, clinic.admin, visit)
    assert as_admin.visit.treatment is not None and as_admin.visit.treatment.private_notes is None


def test_a_historical_visit_with_another_doctor_is_shown_without_their_notes(clinic: Clinic) -> None:
    insert_appointment(
        clinic, clinic.other_doctor.user_id, clinic.patient.user_id, local(1, 9, month=2), diagnosis='Flu'
    )
    assert not in_care(clinic)
    book(clinic, local(4, 9))
    with clinic.ctx.uow() as uow:
        history = records.patient_history(uow, clinic.ctx.settings, clinic.doctor, clinic.patient.user_id)
    assert [visit.treatment.diagnosis for visit in history.visits if visit.treatment] == ['Flu']


def test_every_view_is_in_the_access_log_and_refusals_are_not_views(clinic: Clinic) -> None:
    def views_logged() -> int:
        with clinic.ctx.uow() as uow:
            return int(
                uow.session.scalar(
                    select(func.count()).where(
                        AuditEntry.action == 'history.viewed',
                        AuditEntry.subject_user_id == clinic.patient.user_id,
                        AuditEntry.actor_id == clinic.doctor.user_id,
                    )
                )
                or 0
            )

    assert not reads_history(clinic)
    assert views_logged() == 0
    book(clinic, local(4, 9))
    assert reads_history(clinic) and reads_history(clinic)
    assert views_logged() == 2
    with clinic.ctx.uow() as uow:
        log = records.access_log(uow, clinic.patient)
    assert [entry.who for entry in log if entry.action == 'Viewed your history'] == ['Meredith Grey'] * 2
