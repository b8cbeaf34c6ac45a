"""Doctors: the administrator adds, edits, deactivates and reactivates them; everyone may browse active ones."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from hms import clock
from hms.config import Settings
from hms.db.models import DoctorProfile, User
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import EmailTaken, InvalidInput, NotFound
from hms.domain.scheduling import DoctorIn, DoctorPatch
from hms.security.passwords import hash_password

from . import accounts, audit
from .appointments import cancel_future, count_future
from .availability import has_free_slot_on
from .principal import Principal, require_role
from .views import DoctorView

DEACTIVATION_REASON = 'The doctor is no longer available at the clinic.'


@dataclass(frozen=True)
class NewDoctor:
    doctor: DoctorView
    initial_password: str  # shown once to the administrator; the doctor must change it at first sign-in


def _department_or_error(uow: UnitOfWork, department_id: int) -> None:
    if uow.departments.get(department_id) is None:
        raise InvalidInput('Choose an existing department.', field_errors={'department_id': 'No such department.'})


def add_doctor(uow: UnitOfWork, actor: Principal, data: DoctorIn) -> NewDoctor:
    require_role(actor, Role.ADMIN, action='add doctors')
    email = str(data.email).lower()
    if uow.users.by_email(email) is not None:
        raise EmailTaken(accounts.EMAIL_TAKEN, field_errors={'email': accounts.EMAIL_TAKEN})
    _department_or_error(uow, data.department_id)
    initial_password = secrets.token_urlsafe(12)
    now = clock.now()
    user = uow.users.add(
        User(
            email=email, password_hash=hash_password(initial_password), role=Role.DOCTOR, name=data.name,
            is_active=True, must_change_password=True, created_at=now, password_changed_at=now,
        )
    )  # fmt: skip
    uow.doctors.add(
        DoctorProfile(
            user_id=user.id, department_id=data.department_id, experience_years=data.experience_years,
            qualifications=data.qualifications, bio=data.bio, consultation_minutes=data.consultation_minutes,
        )
    )  # fmt: skip
    uow.emit('doctor.created', doctor_id=user.id)
    audit.record(uow, 'doctor.created', actor=actor, object_type='user', object_id=user.id, subject_user_id=user.id)
    uow.commit()
    return NewDoctor(doctor=get_doctor(uow, user.id, include_inactive=True), initial_password=initial_password)


def update_doctor(uow: UnitOfWork, actor: Principal, doctor_id: int, patch: DoctorPatch) -> DoctorView:
    require_role(actor, Role.ADMIN, action='edit doctors')
    profile = uow.doctors.get(doctor_id)
    if profile is None:
        raise NotFound('No such doctor.')
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if 'email' in changes:
        email = str(changes['email']).lower()
        other = uow.users.by_email(email)
        if other is not None and other.id != doctor_id:
            raise EmailTaken(accounts.EMAIL_TAKEN, field_errors={'email': accounts.EMAIL_TAKEN})
        profile.user.email = email
    if 'name' in changes:
        profile.user.name = changes['name']
    if 'department_id' in changes:
        department = uow.departments.get(changes['department_id'])
        if department is None:
            raise InvalidInput('Choose an existing department.', field_errors={'department_id': 'No such department.'})
        profile.department = department
    for field in ('experience_years', 'qualifications', 'bio', 'consultation_minutes'):
        if field in changes:
            setattr(profile, field, changes[field])
    uow.emit('doctor.updated', doctor_id=doctor_id)
    audit.record(
        uow, 'doctor.updated', actor=actor, object_type='user', object_id=doctor_id, subject_user_id=doctor_id,
        detail={'fields': sorted(changes)},
    )  # fmt: skip
    uow.commit()
    return get_doctor(uow, doctor_id, include_inactive=True)


def deactivation_impact(uow: UnitOfWork, actor: Principal, doctor_id: int) -> int:
    """How many upcoming appointments deactivating this doctor would cancel (shown before the admin confirms)."""
    require_role(actor, Role.ADMIN, action='deactivate doctors')
    if uow.doctors.get(doctor_id) is None:
        raise NotFound('No such doctor.')
    return count_future(uow, doctor_id=doctor_id)


def get_doctor(uow: UnitOfWork, doctor_id: int, *, include_inactive: bool = False) -> DoctorView:
    profile = uow.doctors.get(doctor_id)
    if profile is None or (not include_inactive and not profile.user.is_active):
        raise NotFound('No such doctor.')
    return DoctorView.of(profile)


def search_doctors(
    uow: UnitOfWork, settings: Settings, *, text: str | None = None, specialization: str | None = None,
    free_on: date | None = None, include_inactive: bool = False,
) -> list[DoctorView]:  # fmt: skip
    """Doctors by name or department (partial, any case); optionally only those with a free slot on ``free_on``."""
    is_id = bool(specialization) and specialization.isascii() and specialization.isdigit() and len(specialization) < 19
    department_id = int(specialization) if is_id and specialization else None
    department_text = specialization if specialization and department_id is None else None
    found = uow.doctors.search(
        text=(text or '').strip() or None, department_id=department_id, department_text=department_text,
        include_inactive=include_inactive,
    )  # fmt: skip
    if free_on is not None:
        found = [profile for profile in found if has_free_slot_on(uow, settings, profile, free_on)]
    return [DoctorView.of(profile) for profile in found]


def set_active(
    uow: UnitOfWork, settings: Settings, actor: Principal, user_id: int, *, active: bool, reason: str = '',
    cancel_upcoming: bool = True,
) -> int:  # fmt: skip
    """Blacklist/deactivate or reactivate anyone; a deactivated doctor's or patient's upcoming bookings are cancelled
    (by default), each patient told. Returns how many appointments were cancelled."""
    require_role(actor, Role.ADMIN, action='change whether an account is active')
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound('No such user.')
    cancelled = 0
    if not active and cancel_upcoming and user.role in (Role.DOCTOR, Role.PATIENT):
        field = 'doctor_id' if user.role is Role.DOCTOR else 'patient_id'
        cause = 'doctor_deactivated' if user.role is Role.DOCTOR else 'patient_blacklisted'
        why = DEACTIVATION_REASON if user.role is Role.DOCTOR else 'The account was deactivated by the clinic.'
        cancelled = cancel_future(uow, settings, actor, reason=why, cause=cause, **{field: user_id})
    if user.role is Role.DOCTOR:
        uow.emit('doctor.updated', doctor_id=user_id)
    accounts.set_active(uow, actor, user_id, active=active, reason=reason)  # commits, with the cancellations
    return cancelled
