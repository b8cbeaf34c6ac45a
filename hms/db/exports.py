"""The exports' rows (requested, running, done, failed, expired) and the read side that fills their CSV tables.

The table queries stream their rows in batches (``yield_per``): an export of a whole year holds hundreds of thousands
of rows, never all in memory at once. Periods are UTC instants, ``start`` included and ``end`` excluded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from hms.domain.enums import AppointmentStatus, ExportStatus, Gender

from .models import Appointment, Department, DoctorProfile, Export, PatientProfile, Treatment, User

BATCH = 1000  # rows fetched at a time by the table queries
IN_PROGRESS = (ExportStatus.QUEUED, ExportStatus.RUNNING)

Ts = TypeVarTuple('Ts')

# One row of each table, in the order of its columns.
HistoryRow = tuple[
    int,
    str,
    str,
    str,
    datetime,
    str | None,
    str | None,
    list[dict[str, Any]] | None,
    str | None,
    date | None,
    str | None,
]
AppointmentRow = tuple[int, datetime, datetime, AppointmentStatus, str, str | None, int, str, str, int, str]
DoctorRow = tuple[int, str, str | None, str, str, int, int, bool, datetime]
# The email is None for a patient registered at the desk without an address.
PatientRow = tuple[int, str, str | None, str, date, Gender, str, str | None, bool, datetime]


def _within(
    query: Select[*Ts], column: InstrumentedAttribute[datetime], start: datetime | None, end: datetime | None
) -> Select[*Ts]:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def _with_people(query: Select[*Ts], doctor: type[User], patient: type[User]) -> Select[*Ts]:
    """Join an appointment query to its doctor (as ``doctor``), the doctor's department and its patient."""
    return (
        query.join(doctor, doctor.id == Appointment.doctor_id)
        .join(DoctorProfile, DoctorProfile.user_id == Appointment.doctor_id)
        .join(Department, Department.id == DoctorProfile.department_id)
        .join(patient, patient.id == Appointment.patient_id)
    )


class ExportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- The export rows ----------------------------------------------------------------------------------------------

    def get(self, export_id: int) -> Export | None:
        return self.session.get(Export, export_id)

    def add(self, export: Export) -> Export:
        self.session.add(export)
        self.session.flush()
        return export

    def in_progress_count(self, owner_id: int) -> int:
        """How many of the owner's exports are queued or running."""
        query = (
            select(func.count()).select_from(Export).where(Export.owner_id == owner_id, Export.status.in_(IN_PROGRESS))
        )
        return int(self.session.scalar(query) or 0)

    def of_owner(self, owner_id: int, *, kinds: Sequence[str] | None = None, limit: int = 20) -> Sequence[Export]:
        """The owner's most recent exports, newest first (optionally only of ``kinds``)."""
        query = select(Export).where(Export.owner_id == owner_id)
        if kinds:
            query = query.where(Export.kind.in_(list(kinds)))
        return self.session.scalars(query.order_by(Export.created_at.desc(), Export.id.desc()).limit(limit)).all()

    def expired_with_files(self, now: datetime) -> Sequence[Export]:
        """Expired exports whose file is still stored."""
        return self.session.scalars(select(Export).where(Export.expires_at <= now, Export.file_name.is_not(None))).all()

    def expired_in_progress(self, now: datetime) -> Sequence[Export]:
        """Exports that expired while still queued or running (no worker ever finished them)."""
        return self.session.scalars(
            select(Export).where(Export.expires_at <= now, Export.status.in_(IN_PROGRESS))
        ).all()

    def file_names(self) -> set[str]:
        """The names of every stored export file that a row points to."""
        names = self.session.scalars(select(Export.file_name).where(Export.file_name.is_not(None)))
        return {name for name in names if name is not None}

    def recent_with_owners(self, limit: int = 20) -> list[tuple[Export, str]]:
        """Everyone's most recent exports, newest first, with their owner's name."""
        rows = self.session.execute(
            select(Export, User.name)
            .join(User, User.id == Export.owner_id)
            .order_by(Export.created_at.desc(), Export.id.desc())
            .limit(limit)
        )
        return list(rows)

    # --- The tables ---------------------------------------------------------------------------------------------------

    def history_rows(self, patient_id: int, start: datetime | None, end: datetime | None) -> Iterator[HistoryRow]:
        """The patient's completed visits by time, with their doctor, department and treatment.

        Private clinical notes are for clinicians only: never selected, so never exported."""
        doctor, patient = aliased(User), aliased(User)
        query = _with_people(
            select(
                Appointment.patient_id,
                patient.name,
                doctor.name,
                Department.name,
                Appointment.start_at,
                Treatment.diagnosis,
                Treatment.treatment_given,
                Treatment.prescription,
                Treatment.tests_advised,
                Treatment.next_visit_date,
                Treatment.notes,
            ),
            doctor,
            patient,
        ).outerjoin(Treatment, Treatment.appointment_id == Appointment.id)
        query = query.where(
            Appointment.patient_id == patient_id, Appointment.status == AppointmentStatus.COMPLETED
        ).order_by(Appointment.start_at, Appointment.id)
        return self._stream(_within(query, Appointment.start_at, start, end))

    def appointment_rows(
        self, start: datetime | None, end: datetime | None, *, doctor_id: int | None = None
    ) -> Iterator[AppointmentRow]:
        """Appointments by time (only the doctor's with ``doctor_id``), with their doctor, department and patient."""
        doctor, patient = aliased(User), aliased(User)
        query = _with_people(
            select(
                Appointment.id,
                Appointment.start_at,
                Appointment.end_at,
                Appointment.status,
                Appointment.reason,
                Appointment.cancel_reason,
                Appointment.doctor_id,
                doctor.name,
                Department.name,
                Appointment.patient_id,
                patient.name,
            ),
            doctor,
            patient,
        ).order_by(Appointment.start_at, Appointment.id)
        if doctor_id is not None:
            query = query.where(Appointment.doctor_id == doctor_id)
        return self._stream(_within(query, Appointment.start_at, start, end))

    def doctor_rows(self, start: datetime | None, end: datetime | None) -> Iterator[DoctorRow]:
        """Doctors by name, registered within the period."""
        query = (
            select(
                User.id,
                User.name,
                User.email,
                Department.name,
                DoctorProfile.qualifications,
                DoctorProfile.experience_years,
                DoctorProfile.consultation_minutes,
                User.is_active,
                User.created_at,
            )
            .join(DoctorProfile, DoctorProfile.user_id == User.id)
            .join(Department, Department.id == DoctorProfile.department_id)
            .order_by(func.lower(User.name), User.id)
        )
        return self._stream(_within(query, User.created_at, start, end))

    def patient_rows(self, start: datetime | None, end: datetime | None) -> Iterator[PatientRow]:
        """Patients by name, registered within the period."""
        query = (
            select(
                User.id,
                User.name,
                User.email,
                PatientProfile.phone,
                PatientProfile.date_of_birth,
                PatientProfile.gender,
                PatientProfile.address,
                PatientProfile.emergency_contact,
                User.is_active,
                User.created_at,
            )
            .join(PatientProfile, PatientProfile.user_id == User.id)
            .order_by(func.lower(User.name), User.id)
        )
        return self._stream(_within(query, User.created_at, start, end))

    def _stream(self, query: Select[*Ts]) -> Iterator[tuple[*Ts]]:
        return iter(self.session.execute(query).yield_per(BATCH))
