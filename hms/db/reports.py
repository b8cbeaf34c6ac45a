"""Read-side queries of the monthly activity report, next to the dashboard's (hms.db.stats, whose queries the report
reuses): who was seen and what was recorded in a month, who gets a report, and where a report's delivery stands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from hms.domain.enums import AppointmentStatus, DeliveryStatus, Role

from .models import Appointment, Delivery, DoctorProfile, Treatment, User


def _completed_between(start: datetime, end: datetime, doctor_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [
        Appointment.status == AppointmentStatus.COMPLETED,
        Appointment.start_at >= start,
        Appointment.start_at < end,
    ]
    if doctor_id is not None:
        conditions.append(Appointment.doctor_id == doctor_id)
    return conditions


class ReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- Figures ----------------------------------------------------------------------------------------------------

    def seen(
        self, start: datetime, end: datetime, *, doctor_id: int | None = None, per_doctor: bool = False
    ) -> dict[int | None, tuple[int, int]]:
        """(patients seen, of whom returning) per doctor (``per_doctor`` or one ``doctor_id``), else for the whole
        clinic under the key None. Returning: had a completed visit before the month, with that doctor (per doctor)
        or at the clinic at all."""
        per_doctor = per_doctor or doctor_id is not None
        earlier = aliased(Appointment)
        before = [
            earlier.patient_id == Appointment.patient_id,
            earlier.status == AppointmentStatus.COMPLETED,
            earlier.start_at < start,
        ]
        if per_doctor:
            before.append(earlier.doctor_id == Appointment.doctor_id)
        returning = case((exists().where(*before), Appointment.patient_id))
        conditions = _completed_between(start, end, doctor_id)
        columns = [func.count(distinct(Appointment.patient_id)), func.count(distinct(returning))]
        if not per_doctor:
            row = self.session.execute(select(*columns).where(*conditions)).one()
            return {None: (int(row[0]), int(row[1]))}
        rows = self.session.execute(
            select(Appointment.doctor_id, *columns).where(*conditions).group_by(Appointment.doctor_id)
        ).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    def diagnoses(self, start: datetime, end: datetime, doctor_id: int | None = None) -> list[tuple[str, int]]:
        """(diagnosis as recorded, visits) of the completed visits in [start, end), of one doctor or all."""
        rows = self.session.execute(
            select(Treatment.diagnosis, func.count())
            .join(Appointment, Appointment.id == Treatment.appointment_id)
            .where(*_completed_between(start, end, doctor_id))
            .group_by(Treatment.diagnosis)
        ).all()
        return [(str(text), int(count)) for text, count in rows]

    def visits(self, doctor_id: int, start: datetime, end: datetime) -> Sequence[tuple[datetime, str, str | None]]:
        """(start, patient name, diagnosis or None) of the doctor's completed visits, in order."""
        return self.session.execute(
            select(Appointment.start_at, User.name, Treatment.diagnosis)
            .join(User, User.id == Appointment.patient_id)
            .outerjoin(Treatment, Treatment.appointment_id == Appointment.id)
            .where(*_completed_between(start, end, doctor_id))
            .order_by(Appointment.start_at, Appointment.id)
        ).all()

    # --- Recipients -------------------------------------------------------------------------------------------------

    def active_doctors(self) -> Sequence[tuple[int, str, str]]:
        """(id, email, name) of every active doctor, by id (staff accounts always have an address)."""
        return self.session.execute(
            select(User.id, func.coalesce(User.email, ''), User.name)
            .join(DoctorProfile, DoctorProfile.user_id == User.id)
            .where(User.role == Role.DOCTOR, User.is_active.is_(True))
            .order_by(User.id)
        ).all()

    def first_active_admin(self) -> tuple[int, str, str] | None:
        """(id, email, name) of the first active administrator account, if any."""
        return self.session.execute(
            select(User.id, func.coalesce(User.email, ''), User.name)
            .where(User.role == Role.ADMIN, User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        ).first()

    # --- Deliveries -------------------------------------------------------------------------------------------------

    def delivery(self, delivery_id: int) -> Delivery | None:
        return self.session.get(Delivery, delivery_id)

    def delivery_status(self, delivery_id: int) -> DeliveryStatus | None:
        return self.session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))

    def delivery_status_of_key(self, key: str) -> DeliveryStatus | None:
        return self.session.scalar(select(Delivery.status).where(Delivery.key == key))
