"""Repositories of the clinical record: treatments, their earlier versions, and who is whose patient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hms.domain.enums import AppointmentStatus

from .models import Appointment, AuditEntry, PatientProfile, Treatment, TreatmentVersion, User


@dataclass(frozen=True)
class PatientOfDoctor:
    patient_id: int
    name: str
    last_visit: datetime | None
    next_visit: datetime | None
    appointments: int


class TreatmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_appointment(self, appointment_id: int, *, fresh: bool = False) -> Treatment | None:
        """The visit's treatment record; ``fresh`` re-reads one the session already holds (after taking a lock)."""
        query = select(Treatment).where(Treatment.appointment_id == appointment_id)
        return self.session.scalar(query.execution_options(populate_existing=True) if fresh else query)

    def get(self, treatment_id: int) -> Treatment | None:
        return self.session.get(Treatment, treatment_id)

    def version(self, treatment_id: int, version: int) -> TreatmentVersion | None:
        """One earlier version of a treatment record (the row an amendment kept), if there is one."""
        return self.session.scalar(
            select(TreatmentVersion).where(
                TreatmentVersion.treatment_id == treatment_id, TreatmentVersion.version == version
            )
        )

    def for_appointments(self, appointment_ids: Sequence[int]) -> dict[int, Treatment]:
        if not appointment_ids:
            return {}
        rows = self.session.scalars(select(Treatment).where(Treatment.appointment_id.in_(appointment_ids)))
        return {row.appointment_id: row for row in rows}

    def add(self, treatment: Treatment) -> Treatment:
        self.session.add(treatment)
        self.session.flush()
        return treatment

    def add_version(self, version: TreatmentVersion) -> None:
        self.session.add(version)

    def versions(self, treatment_id: int) -> Sequence[TreatmentVersion]:
        return self.session.scalars(
            select(TreatmentVersion)
            .where(TreatmentVersion.treatment_id == treatment_id)
            .order_by(TreatmentVersion.version)
        ).all()

    def any_appointment(self, doctor_id: int, patient_id: int, statuses: Sequence[AppointmentStatus]) -> bool:
        """Whether the patient has an appointment with the doctor in one of ``statuses``."""
        found = self.session.scalar(
            select(Appointment.id)
            .where(
                Appointment.doctor_id == doctor_id,
                Appointment.patient_id == patient_id,
                Appointment.status.in_(statuses),
            )
            .limit(1)
        )
        return found is not None

    def patients_of(
        self, doctor_id: int, statuses: Sequence[AppointmentStatus], text: str | None, now: datetime, limit: int = 200
    ) -> list[PatientOfDoctor]:
        """Patients with an appointment of the doctor in one of ``statuses``, with their last and next visit."""
        completed = Appointment.status == AppointmentStatus.COMPLETED
        booked = Appointment.status == AppointmentStatus.BOOKED
        last_visit = func.max(Appointment.start_at).filter(completed)  # visits may be completed a little early
        next_visit = func.min(Appointment.start_at).filter(booked, Appointment.start_at > now)
        query = (
            select(Appointment.patient_id, User.name, last_visit, next_visit, func.count(Appointment.id))
            .join(User, User.id == Appointment.patient_id)
            .where(Appointment.doctor_id == doctor_id, Appointment.status.in_(statuses))
            .group_by(Appointment.patient_id, User.name)
            .order_by(func.lower(User.name))
            .limit(limit)
        )
        if text:
            escaped = text.lower().replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
            query = query.where(func.lower(User.name).like(f'%{escaped}%', escape='\\'))
        return [PatientOfDoctor(*row) for row in self.session.execute(query).all()]

    def patient(self, patient_id: int) -> PatientProfile | None:
        return self.session.get(PatientProfile, patient_id)

    def access_log(self, patient_id: int, actions_prefixes: Sequence[str], limit: int = 200) -> Sequence[AuditEntry]:
        conditions = [AuditEntry.action.like(f'{prefix}%') for prefix in actions_prefixes]
        return self.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_user_id == patient_id, or_(*conditions))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        ).all()
