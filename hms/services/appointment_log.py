"""What every change of an appointment leaves behind: its audit row, and (for changes of its state) the event that
open pages, caches and the confirmation outbox hear once the change commits. One place, so that booking, moving,
cancelling, completing and reading a record all name the appointment, its doctor and its patient the same way."""

from __future__ import annotations

from typing import Any

from hms.db.models import Appointment
from hms.db.uow import UnitOfWork

from . import audit
from .principal import Principal


def record(
    uow: UnitOfWork, actor: Principal, appointment: Appointment, action: str, detail: dict[str, Any] | None = None
) -> None:
    """An audit row about one appointment (or its record), naming its patient as the subject."""
    audit.record(
        uow,
        action,
        actor=actor,
        object_type='appointment',
        object_id=appointment.id,
        subject_user_id=appointment.patient_id,
        detail=detail,
    )


def changed(
    uow: UnitOfWork, actor: Principal, appointment: Appointment, kind: str, detail: dict[str, Any] | None = None
) -> None:
    """A change of the appointment's state: announced (after commit) and audited under the same name."""
    uow.emit(kind, appointment_id=appointment.id, doctor_id=appointment.doctor_id, patient_id=appointment.patient_id)
    record(uow, actor, appointment, kind, detail)
