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


class DoctorSort(StrEnum):
    """The orders the administrator's list of doctors may be read in."""

    NAME = 'name'
    DEPARTMENT = 'department'
    EXPERIENCE = 'experience'
    MINUTES = 'minutes'
    STATUS = 'status'


class DepartmentSort(StrEnum):
    """The orders the administrator's list of departments may be read in."""

    NAME = 'name'
    DOCTORS = 'doctors'


class AuditSort(StrEnum):
    """The orders the audit log may be read in (by time: the order entries were written in)."""

    AT = 'at'
    ACTION = 'action'
    RESULT = 'result'


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None  # an exact action, or a prefix ending in '.' such as 'login.'
    subject_user_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    success: bool | None = None
