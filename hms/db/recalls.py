"""Recalls: the next-visit dates doctors record on treatments, with whether the patient has booked since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from hms.domain.enums import AppointmentStatus

from .models import Appointment, PatientProfile, Treatment, User


@dataclass(frozen=True)
class RecallRow:
    treatment_id: int
    patient_id: int
    doctor_id: int
    next_visit_date: date
    patient_name: str
    patient_email: str | None
    patient_phone: str
    patient_active: bool
    doctor_name: str
    booked: bool  # an appointment with the same doctor after the visit, not cancelled and not missed


def recalls(session: Session, first: date, last: date) -> list[RecallRow]:
    """Each patient's latest recall per doctor with a next-visit date in [first, last], by date."""
    visit = aliased(Appointment)
    later = aliased(Appointment)
    patient = aliased(User)
    doctor = aliased(User)
    booked = exists().where(
        and_(
            later.patient_id == visit.patient_id,
            later.doctor_id == visit.doctor_id,
            later.start_at > visit.start_at,
            later.status.not_in((AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)),
        )
    )
    rows = session.execute(
        select(
            Treatment.id,
            visit.patient_id,
            visit.doctor_id,
            Treatment.next_visit_date,
            patient.name,
            patient.email,
            PatientProfile.phone,
            patient.is_active,
            doctor.name,
            booked,
            visit.start_at,
        )
        .join(visit, visit.id == Treatment.appointment_id)
        .join(patient, patient.id == visit.patient_id)
        .join(PatientProfile, PatientProfile.user_id == visit.patient_id)
        .join(doctor, doctor.id == visit.doctor_id)
        .where(Treatment.next_visit_date.is_not(None), Treatment.next_visit_date.between(first, last))
        .order_by(Treatment.next_visit_date, visit.start_at.desc(), Treatment.id)
    ).all()
    latest: dict[tuple[int, int], tuple[datetime, RecallRow]] = {}
    for row in rows:
        if row[3] is None:  # excluded by the query: for the type
            continue
        found = RecallRow(
            treatment_id=row[0],
            patient_id=row[1],
            doctor_id=row[2],
            next_visit_date=row[3],
            patient_name=row[4],
            patient_email=row[5],
            patient_phone=row[6],
            patient_active=bool(row[7]),
            doctor_name=row[8],
            booked=bool(row[9]),
        )
        key = (found.patient_id, found.doctor_id)
        if key not in latest or row[10] > latest[key][0]:
            latest[key] = (row[10], found)
    return sorted((found for _, found in latest.values()), key=lambda r: (r.next_visit_date, r.patient_name))
