"""Search criteria that pages and the API fill in, services check, and repositories turn into queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .enums import AppointmentStatus


@dataclass(frozen=True)
class AppointmentFilter:
    start_from: datetime | None = None
    start_to: datetime | None = None
    doctor_id: int | None = None
    patient_id: int | None = None
    department_id: int | None = None
    statuses: tuple[AppointmentStatus, ...] = ()


class AppointmentSort(StrEnum):
    """The orders a list of appointments may be read in: the only sort keys a client can ask for."""

    WHEN = 'when'
    DOCTOR = 'doctor'
    DEPARTMENT = 'department'
    PATIENT = 'patient'
    STATUS = 'status'


class PatientSort(StrEnum):
    """The orders a list of patients may be read in: the only sort keys a client can ask for."""

    NAME = 'name'
    ID = 'id'
    EMAIL = 'email'
    STATUS = 'status'


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None  # an exact action, or a prefix ending in '.' such as 'login.'
    subject_user_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    success: bool | None = None
