"""The read side of reminders and confirmations: what a message says about an appointment, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from hms.domain.enums import AppointmentStatus

from .models import Appointment, Department, DoctorProfile, PatientProfile, User


@dataclass(frozen=True)
class AppointmentFacts:
    """What a message says about one appointment (read in one query)."""

    id: int
    sequence: int
    status: AppointmentStatus
    start: datetime
    end: datetime
    patient_id: int
    patient_name: str
    patient_email: str | None  # None: registered at the desk without an address (no email reaches them)
    patient_phone: str
    doctor_name: str
    department: str


def _facts_query() -> Select[Appointment, str, str | None, str, str, str]:
    patient, doctor = aliased(User), aliased(User)
    return (
        select(Appointment, patient.name, patient.email, PatientProfile.phone, doctor.name, Department.name)
        .join(patient, patient.id == Appointment.patient_id)
        .join(PatientProfile, PatientProfile.user_id == Appointment.patient_id)
        .join(doctor, doctor.id == Appointment.doctor_id)
        .join(DoctorProfile, DoctorProfile.user_id == Appointment.doctor_id)
        .join(Department, Department.id == DoctorProfile.department_id)
    )


def _facts(row: Any) -> AppointmentFacts:
    appointment, patient_name, patient_email, phone, doctor_name, department = row
    return AppointmentFacts(
        id=appointment.id,
        sequence=appointment.sequence,
        status=AppointmentStatus(appointment.status),
        start=appointment.start_at,
        end=appointment.end_at,
        patient_id=appointment.patient_id,
        patient_name=patient_name,
        patient_email=patient_email,
        patient_phone=(phone or '').strip(),
        doctor_name=doctor_name,
        department=department,
    )


class AppointmentFactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, appointment_id: int) -> AppointmentFacts | None:
        row = self.session.execute(_facts_query().where(Appointment.id == appointment_id)).first()
        return _facts(row) if row is not None else None

    def booked_between(self, start: datetime, end: datetime) -> list[AppointmentFacts]:
        """Booked appointments starting in [``start``, ``end``), in time order."""
        query = _facts_query().where(
            Appointment.status == AppointmentStatus.BOOKED, Appointment.start_at >= start, Appointment.start_at < end
        )
        return [_facts(row) for row in self.session.execute(query.order_by(Appointment.start_at, Appointment.id))]
