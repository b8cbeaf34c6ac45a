"""Doctors: the administrator adds, edits, deactivates and reactivates them; everyone may browse active ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hms.cache import Codec, digest, read_through
from hms.config import Settings
from hms.db.models import Department, DoctorProfile
from hms.db.uow import UnitOfWork
from hms.domain.criteria import DoctorSort
from hms.domain.enums import Role
from hms.domain.errors import InvalidInput, NotFound
from hms.domain.scheduling import DoctorIn, DoctorPatch
from hms.events import doctor_namespaces
from hms.i18n import N_, _

from . import accounts, audit, staff
from .appointments import cancel_future, count_future
from .availability import first_free_slot, slot_rules
from .principal import Principal, require_role
from .sorting import sort_key
from .views import DoctorView, Page

DEACTIVATION_REASON = N_('The doctor is no longer available at the clinic.')
BLACKLISTED_REASON = N_('The account was deactivated by the clinic.')
# Doctor views show the department's name; a search for free slots on a day also depends on bookings and availability.
CACHE_NAMESPACES = ('doctor', 'department')
FREE_ON_NAMESPACES = (*CACHE_NAMESPACES, 'appointment', 'availability')
CACHE_SECONDS = 600
_DOCTORS: Codec[list[DoctorView]] = Codec(list[DoctorView])
_DOCTOR: Codec[DoctorView] = Codec(DoctorView)


@dataclass(frozen=True)
class NewDoctor:
    doctor: DoctorView
    initial_password: str  # shown once to the administrator; the doctor must change it at first sign-in


def _department_or_error(uow: UnitOfWork, department_id: int) -> Department:
    department = uow.departments.get(department_id)
    if department is None:
        raise InvalidInput(
            _('Choose an existing department.'), field_errors={'department_id': _('No such department.')}
        )
    return department


def add_doctor(uow: UnitOfWork, actor: Principal, data: DoctorIn) -> NewDoctor:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to add doctors.'))
    accounts.available_email(uow, data.email)  # the address is checked before the department, as the form reads
    _department_or_error(uow, data.department_id)
    user, initial_password = staff.new_staff_user(uow, role=Role.DOCTOR, name=data.name, email=data.email)
    uow.doctors.add(
        DoctorProfile(
            user_id=user.id,
            department_id=data.department_id,
            experience_years=data.experience_years,
            qualifications=data.qualifications,
            bio=data.bio,
            consultation_minutes=data.consultation_minutes,
        )
    )
    uow.emit('doctor.created', doctor_id=user.id)
    audit.record(uow, 'doctor.created', actor=actor, object_type='user', object_id=user.id, subject_user_id=user.id)
    uow.commit()
    return NewDoctor(doctor=get_doctor(uow, user.id, include_inactive=True), initial_password=initial_password)


def update_doctor(uow: UnitOfWork, actor: Principal, doctor_id: int, patch: DoctorPatch) -> DoctorView:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to edit doctors.'))
    profile = uow.doctors.get(doctor_id)
    if profile is None:
        raise NotFound(_('No such doctor.'))
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if 'email' in changes:
        profile.user.email = accounts.available_email(uow, changes['email'], owner_id=doctor_id)
    if 'name' in changes:
        profile.user.name = changes['name']
    if 'department_id' in changes:
        profile.department = _department_or_error(uow, changes['department_id'])
    for field in ('experience_years', 'qualifications', 'bio', 'consultation_minutes'):
        if field in changes:
            setattr(profile, field, changes[field])
    uow.emit('doctor.updated', doctor_id=doctor_id)
    audit.record(
        uow,
        'doctor.updated',
        actor=actor,
        object_type='user',
        object_id=doctor_id,
        subject_user_id=doctor_id,
        detail={'fields': sorted(changes)},
    )
    uow.commit()
    return get_doctor(uow, doctor_id, include_inactive=True)


def deactivation_impact(uow: UnitOfWork, actor: Principal, doctor_id: int) -> int:
    """How many upcoming appointments deactivating this doctor would cancel (shown before the admin confirms)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to deactivate doctors.'))
    if uow.doctors.get(doctor_id) is None:
        raise NotFound(_('No such doctor.'))
    return count_future(uow, doctor_id=doctor_id)


def get_doctor(uow: UnitOfWork, doctor_id: int, *, include_inactive: bool = False) -> DoctorView:
    if not include_inactive:  # the administrator's reads (any doctor, right after a change) go to the database
        return get_doctor_cached(uow, doctor_id)[0]
    return _doctor(uow, doctor_id, include_inactive=True)


def get_doctor_cached(uow: UnitOfWork, doctor_id: int) -> tuple[DoctorView, bool]:
    """An active doctor's profile through the cache (NotFound is never cached); with a hit flag."""
    return read_through(
        uow.read_cache,
        'doctor',
        lambda: _doctor(uow, doctor_id, include_inactive=False),
        namespaces=(*doctor_namespaces('doctor', doctor_id), 'department'),
        scope=str(doctor_id),
        ttl=CACHE_SECONDS,
        codec=_DOCTOR,
    )


def _doctor(uow: UnitOfWork, doctor_id: int, *, include_inactive: bool) -> DoctorView:
    profile = uow.doctors.get(doctor_id)
    if profile is None or (not include_inactive and not profile.user.is_active):
        raise NotFound(_('No such doctor.'))
    return DoctorView.of(profile)


def search_doctors(
    uow: UnitOfWork,
    settings: Settings,
    *,
    text: str | None = None,
    specialization: str | None = None,
    free_on: date | None = None,
    include_inactive: bool = False,
) -> list[DoctorView]:
    """Doctors by name or department (partial, any case); optionally only those with a free slot on ``free_on``."""
    return search_doctors_cached(
        uow, settings, text=text, specialization=specialization, free_on=free_on, include_inactive=include_inactive
    )[0]


def search_doctors_cached(
    uow: UnitOfWork,
    settings: Settings,
    *,
    text: str | None = None,
    specialization: str | None = None,
    free_on: date | None = None,
    include_inactive: bool = False,
) -> tuple[list[DoctorView], bool]:
    """``search_doctors`` through the cache, with a hit flag. The result is the same for every reader; the search
    words are hashed into the key. With ``free_on`` it lasts only until the earliest first free slot among the
    doctors found stops being bookable, and today's date is in the key (the booking horizon moves with it)."""
    text = (text or '').strip() or None
    firsts: list[datetime] = []

    def compute() -> list[DoctorView]:
        firsts.clear()
        found = _search(uow, text, specialization, include_inactive)
        if free_on is None:
            return [DoctorView.of(profile) for profile in found]
        views = []
        for profile in found:
            slot = first_free_slot(uow, settings, profile, free_on)
            if slot is not None:
                views.append(DoctorView.of(profile))
                firsts.append(slot.start)
        return views

    def valid_until(_found: list[DoctorView]) -> datetime | None:
        return min(firsts) - timedelta(minutes=settings.booking_notice_minutes) if firsts else None

    day_part = '' if free_on is None else slot_rules(settings)
    return read_through(
        uow.read_cache,
        'doctors',
        compute,
        namespaces=CACHE_NAMESPACES if free_on is None else FREE_ON_NAMESPACES,
        scope=digest(text, specialization, include_inactive, free_on, day_part),
        ttl=CACHE_SECONDS,
        codec=_DOCTORS,
        valid_until=valid_until,
    )


def browse_doctors(
    uow: UnitOfWork,
    actor: Principal,
    text: str | None = None,
    *,
    include_inactive: bool = False,
    limit: int = 25,
    offset: int = 0,
    sort: str = DoctorSort.NAME,
    descending: bool = False,
) -> Page[DoctorView]:
    """The administrator's list: doctors by name or department (partial, any case), deactivated ones on request,
    ordered by one of ``DoctorSort``, a page at a time (read from the database: it follows each change at once)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to manage doctors.'))
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    order = sort_key(DoctorSort, sort)
    text = (text or '').strip() or None
    rows, total = uow.doctors.page(
        text, include_inactive=include_inactive, limit=limit, offset=offset, sort=order, descending=descending
    )
    return Page(items=[DoctorView.of(row) for row in rows], total=total, limit=limit, offset=offset)


def _search(
    uow: UnitOfWork, text: str | None, specialization: str | None, include_inactive: bool
) -> Sequence[DoctorProfile]:
    is_id = (
        specialization is not None
        and specialization.isascii()
        and specialization.isdigit()
        and len(specialization) < 19
    )
    department_id = int(specialization) if is_id and specialization else None
    department_text = specialization if specialization and department_id is None else None
    return uow.doctors.search(
        text=text, department_id=department_id, department_text=department_text, include_inactive=include_inactive
    )


def set_active(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    user_id: int,
    *,
    active: bool,
    reason: str = '',
    cancel_upcoming: bool = True,
) -> int:
    """Blacklist/deactivate or reactivate anyone; a deactivated doctor's or patient's upcoming bookings are cancelled
    (by default), each patient told. Returns how many appointments were cancelled."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to change whether an account is active.'))
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound(_('No such user.'))
    cancelled = 0
    if not active and cancel_upcoming and user.role in (Role.DOCTOR, Role.PATIENT):
        field = 'doctor_id' if user.role is Role.DOCTOR else 'patient_id'
        cause = 'doctor_deactivated' if user.role is Role.DOCTOR else 'patient_blacklisted'
        why = DEACTIVATION_REASON if user.role is Role.DOCTOR else BLACKLISTED_REASON  # each patient reads it in theirs
        cancelled = cancel_future(uow, settings, actor, reason=why, cause=cause, **{field: user_id})
    if user.role is Role.DOCTOR:
        uow.emit('doctor.updated', doctor_id=user_id)
    accounts.set_active(uow, actor, user_id, active=active, reason=reason)  # commits, with the cancellations
    return cancelled
