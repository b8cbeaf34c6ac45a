"""Rules of the clinical record: who may complete and amend, when, what each role sees, and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import AuditEntry
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import EmailTaken, InvalidInput, InvalidTransition, NotAllowed, NotFound
from hms.domain.records import EmailChange, ProfilePatch, TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.domain.validation import parse
from hms.services import appointments, profile, records
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from .factories import PATIENT_PASSWORD, TREATMENT
from .scheduling_fixtures import Clinic, local


def book(clinic: Clinic, when, patient: Principal | None = None, doctor: Principal | None = None) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=(doctor or clinic.doctor).user_id, start=when, reason='Fever'),
        )


def complete(clinic: Clinic, appointment_id: int, doctor: Principal | None = None, **changes: object):
    with clinic.ctx.uow() as uow:
        return records.complete_visit(
            uow,
            clinic.ctx.settings,
            doctor or clinic.doctor,
            appointment_id,
            TreatmentIn.model_validate(TREATMENT | changes),
        )


def test_completing_a_visit_records_the_treatment_and_status_at_once(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 9))
    visit = complete(clinic, booked.id)  # at 08:00, before the 09:00 start: patients are often seen early
    assert visit.appointment.status is AppointmentStatus.COMPLETED
    assert visit.treatment is not None and visit.treatment.prescription[0]['name'] == 'Paracetamol'
    with pytest.raises(InvalidTransition, match='already completed'):
        complete(clinic, booked.id)


def test_only_the_appointments_own_doctor_completes_it(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 9))
    with pytest.raises(NotFound):
        complete(clinic, booked.id, doctor=clinic.other_doctor)
    with pytest.raises(NotAllowed):
        complete(clinic, booked.id, doctor=clinic.admin)
    with pytest.raises(NotAllowed):
        complete(clinic, booked.id, doctor=clinic.patient)


def test_never_on_a_cancelled_appointment_nor_for_a_future_day(clinic: Clinic) -> None:
    tomorrow = book(clinic, local(3, 9))
    with pytest.raises(InvalidTransition, match='future day'):
        complete(clinic, tomorrow.id)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, tomorrow.id)
    with pytest.raises(InvalidTransition, match='cancelled'):
        complete(clinic, tomorrow.id)


def test_completion_needs_a_diagnosis_and_sensible_dates(clinic: Clinic) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(TreatmentIn, TREATMENT | {'diagnosis': '  ', 'next_visit': '2020-01-01', 'prescription': [{'dose': '1'}]})
    assert {'diagnosis', 'next_visit', 'prescription.0.name'} <= set(caught.value.field_errors)
    with pytest.raises(InvalidInput):
        parse(TreatmentIn, TREATMENT | {'notes': 'x' * 4001})


def test_amendments_keep_every_previous_version(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, local(2, 9))
    complete(clinic, booked.id)
    clock.set(local(2, 12).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        amended = records.amend_treatment(
            uow,
            clinic.ctx.settings,
            clinic.doctor,
            booked.id,
            TreatmentIn.model_validate(TREATMENT | {'diagnosis': 'Influenza A'}),
        )
    assert amended.treatment is not None and (amended.treatment.diagnosis, amended.treatment.version) == (
        'Influenza A',
        2,
    )
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput, match='Nothing changed'):
        records.amend_treatment(
            uow,
            clinic.ctx.settings,
            clinic.doctor,
            booked.id,
            TreatmentIn.model_validate(TREATMENT | {'diagnosis': 'Influenza A'}),
        )
    with clinic.ctx.uow() as uow:
        versions = records.treatment_versions(uow, clinic.doctor, booked.id)
    assert [(v.version, v.content['diagnosis'], v.replaced_by) for v in versions] == [
        (1, 'Seasonal influenza', 'Meredith Grey')
    ]
    assert versions[0].replaced_at == clock.now() and versions[0].recorded_at == local(2, 8).astimezone(UTC)
    with clinic.ctx.uow() as uow, pytest.raises(NotFound):
        records.amend_treatment(
            uow, clinic.ctx.settings, clinic.other_doctor, booked.id, TreatmentIn.model_validate(TREATMENT)
        )


def test_no_show_only_after_the_start_and_its_grace(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, local(2, 9))
    assert clinic.ctx.settings.no_show_grace_minutes == 15
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='15 minutes after the appointment has'):
        records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    clock.set(local(2, 9, 14).astimezone(UTC) + timedelta(seconds=59))  # a second before the grace ends
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='15 minutes after'):
        records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id)
    clock.set(local(2, 9, 15).astimezone(UTC))  # the grace period is over: exactly then it may be marked
    with clinic.ctx.uow() as uow:
        assert (
            records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, booked.id).status is AppointmentStatus.NO_SHOW
        )


def test_history_access_is_object_level(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 9))
    complete(clinic, booked.id)
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        mine = records.my_history(uow, settings, clinic.patient)
        as_doctor = records.patient_history(uow, settings, clinic.doctor, clinic.patient.user_id)
        as_admin = records.patient_history(uow, settings, clinic.admin, clinic.patient.user_id)
        with pytest.raises(NotFound):
            records.patient_history(uow, settings, clinic.other_doctor, clinic.patient.user_id)  # never saw her
        with pytest.raises(NotFound):
            records.patient_history(uow, settings, clinic.other_patient, clinic.patient.user_id)
    assert mine.visits[0].treatment is not None and mine.visits[0].treatment.private_notes is None
    assert mine.visits[0].treatment.notes == 'Stay home until the fever is gone.'
    assert as_doctor.visits[0].treatment is not None
    assert as_doctor.visits[0].treatment.private_notes == 'Watch for secondary infection.'
    assert as_admin.patient.name == 'Ada Lovelace' and as_admin.patient.age == 35


def test_a_doctor_sees_visits_with_other_doctors_once_the_patient_is_theirs(clinic: Clinic, clock: ManualClock) -> None:
    first = book(clinic, local(2, 9))
    complete(clinic, first.id)
    later = book(clinic, local(3, 10), doctor=clinic.other_doctor)
    with clinic.ctx.uow() as uow:
        history = records.patient_history(uow, clinic.ctx.settings, clinic.other_doctor, clinic.patient.user_id)
    assert [v.appointment.doctor_name for v in history.visits] == ['Meredith Grey']
    assert [a.id for a in history.upcoming] == [later.id]


def test_every_view_and_change_is_audited_without_clinical_values(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 9))
    complete(clinic, booked.id)
    with clinic.ctx.uow() as uow:
        records.patient_history(uow, clinic.ctx.settings, clinic.doctor, clinic.patient.user_id)
    with clinic.ctx.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.subject_user_id == clinic.patient.user_id)).all()
    actions = [row.action for row in rows]
    assert {'treatment.created', 'appointment.completed', 'history.viewed'} <= set(actions)
    dumped = repr([(row.detail, row.action, row.object_type) for row in rows])
    for value in ('influenza', 'Paracetamol', 'fever', 'infection'):
        assert value.lower() not in dumped.lower()
    with clinic.ctx.uow() as uow:
        log = records.access_log(uow, clinic.patient)
    assert ('Meredith Grey', 'doctor', 'Viewed your history') in [(e.who, e.role, e.action) for e in log]


def test_doctor_schedule_and_patients(clinic: Clinic) -> None:
    book(clinic, local(2, 11))
    book(clinic, local(2, 9), patient=clinic.other_patient)
    book(clinic, local(4, 9))
    with clinic.ctx.uow() as uow:
        today = records.doctor_schedule(uow, clinic.ctx.settings, clinic.doctor)
        week = records.doctor_schedule(uow, clinic.ctx.settings, clinic.doctor, days=7)
        patients = records.my_patients(uow, clinic.doctor)
        found = records.my_patients(uow, clinic.doctor, 'LOVE')
        with pytest.raises(NotAllowed):
            records.my_patients(uow, clinic.patient)
    assert [e.appointment.patient_name for e in today.entries] == ['Bob Builder', 'Ada Lovelace']  # time order
    assert today.entries[1].patient_age == 35 and today.count(AppointmentStatus.BOOKED) == 2
    assert len(week.entries) == 3 and week.last == date(2026, 3, 8)
    assert [p.name for p in patients] == ['Ada Lovelace', 'Bob Builder']
    assert [p.name for p in found] == ['Ada Lovelace'] and found[0].next_visit == local(2, 11)


def test_patient_profile_edit_and_email_change(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        updated = profile.update_profile(
            uow, clinic.patient, ProfilePatch(blood_group='ab+', allergies='Penicillin', emergency_contact='Babbage')
        )
    assert (updated.blood_group, updated.allergies) == ('AB+', 'Penicillin')
    with pytest.raises(InvalidInput):
        parse(ProfilePatch, {'dob': '2999-01-01', 'blood_group': 'Z'})
    with clinic.ctx.uow() as uow, pytest.raises(InvalidInput, match='password'):
        profile.change_email(uow, clinic.patient, EmailChange(new_email='ada@new.example.com', password='wrong'))
    with clinic.ctx.uow() as uow, pytest.raises(EmailTaken):
        profile.change_email(uow, clinic.patient, EmailChange(new_email='BOB@example.com', password=PATIENT_PASSWORD))
    with clinic.ctx.uow() as uow:
        changed = profile.change_email(
            uow, clinic.patient, EmailChange(new_email='ada@new.example.com', password=PATIENT_PASSWORD)
        )
    assert changed.email == 'ada@new.example.com'
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        profile.get_profile(uow, clinic.doctor)


def test_a_visit_record_is_read_with_its_versions_and_audited(clinic: Clinic) -> None:
    booked = book(clinic, local(2, 9))
    complete(clinic, booked.id)
    with clinic.ctx.uow() as uow:
        record = records.get_visit(uow, clinic.doctor, booked.id)
        with pytest.raises(NotFound):
            records.get_visit(uow, clinic.other_doctor, booked.id)
        with pytest.raises(NotFound):
            records.get_visit(uow, clinic.patient, booked.id)
    assert record.visit.treatment is not None and record.visit.treatment.diagnosis == 'Seasonal influenza'
    assert record.versions == []
    with clinic.ctx.uow() as uow:
        log = records.access_log(uow, clinic.patient)
    assert ('Meredith Grey', 'Viewed a visit record') in [(entry.who, entry.action) for entry in log]


def test_a_visit_under_way_is_still_upcoming(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, local(2, 9))
    clock.set(local(2, 9, 10).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        history = records.patient_history(uow, clinic.ctx.settings, clinic.doctor, clinic.patient.user_id)
    assert [a.id for a in history.upcoming] == [booked.id]
