"""A patient's missed and late-cancelled appointments over a period (the no-show policy, hms.services.no_shows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hms.domain.enums import AppointmentStatus, Role

from .models import Appointment, User


@dataclass(frozen=True)
class Cancellation:
    patient_id: int
    start: datetime
    cancelled_at: datetime


def no_show_counts(session: Session, patient_ids: Iterable[int], since: datetime, until: datetime) -> dict[int, int]:
    """No-shows per patient among appointments that started in [since, until)."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Appointment.patient_id, func.count())
        .where(
            Appointment.patient_id.in_(ids),
            Appointment.status == AppointmentStatus.NO_SHOW,
            Appointment.start_at >= since,
            Appointment.start_at < until,
        )
        .group_by(Appointment.patient_id)
    )
    return {patient_id: int(count) for patient_id, count in rows}


def patient_cancellations(
    session: Session, patient_ids: Iterable[int], since: datetime, until: datetime
) -> list[Cancellation]:
    """Appointments in [since, until) cancelled by their patient, or by the front desk for them (a phone call)."""
    ids = list(set(patient_ids))
    if not ids:
        return []
    desk = select(User.id).where(User.role == Role.RECEPTION)
    rows = session.execute(
        select(Appointment.patient_id, Appointment.start_at, Appointment.cancelled_at).where(
            Appointment.patient_id.in_(ids),
            Appointment.status == AppointmentStatus.CANCELLED,
            Appointment.cancelled_at.is_not(None),
            Appointment.start_at >= since,
            Appointment.start_at < until,
            or_(Appointment.cancelled_by_id == Appointment.patient_id, Appointment.cancelled_by_id.in_(desk)),
        )
    )
    return [
        Cancellation(patient_id, start, cancelled_at)
        for patient_id, start, cancelled_at in rows
        if cancelled_at is not None  # never, by the query: for the type
    ]
