"""Read models returned by the services: plain data, safe to hand to pages, the API and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from hms.db.models import Appointment, DoctorProfile, PatientProfile
from hms.domain.enums import AppointmentStatus, Gender

T = TypeVar('T')


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class DepartmentView:
    id: int
    name: str
    description: str
    doctor_count: int


@dataclass(frozen=True)
class DoctorView:
    id: int
    name: str
    email: str
    department_id: int
    department_name: str
    experience_years: int
    qualifications: str
    bio: str
    consultation_minutes: int
    is_active: bool

    @classmethod
    def of(cls, profile: DoctorProfile) -> DoctorView:
        return cls(
            id=profile.user_id,
            name=profile.user.name,
            email=profile.user.email or '',  # staff accounts always have an address
            department_id=profile.department_id,
            department_name=profile.department.name,
            experience_years=profile.experience_years,
            qualifications=profile.qualifications,
            bio=profile.bio,
            consultation_minutes=profile.consultation_minutes,
            is_active=profile.user.is_active,
        )


@dataclass(frozen=True)
class PatientView:
    id: int
    name: str
    email: str | None  # None: registered at the desk without an address (no sign-in, no email)
    phone: str
    address: str
    date_of_birth: date
    gender: Gender
    emergency_contact: str | None
    is_active: bool
    blocked_reason: str | None
    # The no-show policy (hms.services.no_shows), for staff: filled in where staff read patients.
    no_shows_12m: int = 0
    late_cancellations_12m: int = 0

    @classmethod
    def of(cls, profile: PatientProfile) -> PatientView:
        return cls(
            id=profile.user_id,
            name=profile.user.name,
            email=profile.user.email,
            phone=profile.phone,
            address=profile.address,
            date_of_birth=profile.date_of_birth,
            gender=Gender(profile.gender),
            emergency_contact=profile.emergency_contact,
            is_active=profile.user.is_active,
            blocked_reason=profile.user.blocked_reason,
        )


@dataclass(frozen=True)
class AppointmentView:
    id: int
    doctor_id: int
    patient_id: int
    start: datetime
    end: datetime
    status: AppointmentStatus
    reason: str
    doctor_name: str = ''
    department_name: str = ''
    patient_name: str = ''
    cancel_reason: str | None = None
    cancelled_by_role: str | None = None
    # The day of the visit (clinic day): checked in, called into consultation, completed; the waiting room's ticket.
    arrived_at: datetime | None = None
    called_at: datetime | None = None
    completed_at: datetime | None = None
    ticket: str | None = None
    overbooked: bool = False  # a front-desk double-booking (override_reason says why)
    override_reason: str | None = None
    walk_in: bool = False
    confirmed_at: datetime | None = None  # the patient confirmed they will come (a one-tap link)

    @classmethod
    def of(
        cls,
        appointment: Appointment,
        names: dict[int, str],
        departments: dict[int, str],
        cancelled_by_role: str | None = None,
    ) -> AppointmentView:
        return cls(
            id=appointment.id,
            doctor_id=appointment.doctor_id,
            patient_id=appointment.patient_id,
            start=appointment.start_at,
            end=appointment.end_at,
            status=AppointmentStatus(appointment.status),
            reason=appointment.reason,
            doctor_name=names.get(appointment.doctor_id, ''),
            department_name=departments.get(appointment.doctor_id, ''),
            patient_name=names.get(appointment.patient_id, ''),
            cancel_reason=appointment.cancel_reason,
            cancelled_by_role=cancelled_by_role,
            arrived_at=appointment.arrived_at,
            called_at=appointment.called_at,
            completed_at=appointment.completed_at,
            ticket=appointment.ticket,
            overbooked=bool(appointment.overbooked),
            override_reason=appointment.override_reason,
            walk_in=bool(appointment.walk_in),
            confirmed_at=appointment.confirmed_at,
        )


@dataclass(frozen=True)
class PatientDetail:
    patient: PatientView
    appointments: list[AppointmentView] = field(default_factory=list)


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
