"""The waitlist: a patient waits for a doctor or a department between two dates, at preferred times of day.

Entries are served first come, first served: when a slot frees, ``offers`` holds it for the oldest matching entry.
An entry ends when its patient books through an offer (``booked``), removes it (``removed``), or its last day passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hms import clock
from hms.config import Settings
from hms.db.models import WaitlistEntry
from hms.db.uow import UnitOfWork
from hms.db.waitlist import REMOVED, WAITING, WaitlistRepository
from hms.domain.enums import Role
from hms.domain.errors import Conflict, InvalidInput, NotFound
from hms.domain.waitlist import MAX_WAITLIST_DAYS, TimeOfDay, WaitlistIn
from hms.i18n import N_, _, ngettext

from . import audit
from .availability import local_today
from .principal import Principal, require_role

MAX_ENTRIES = 10  # waiting entries per patient at once
ONLY_PATIENTS = N_('Only patients have a waiting list.')


@dataclass(frozen=True)
class WaitlistEntryView:
    id: int
    doctor_id: int | None
    doctor_name: str | None
    department_id: int
    department_name: str
    first_day: date
    last_day: date
    times: list[str]
    state: str
    created_at: datetime


def entry_times(entry: WaitlistEntry) -> list[TimeOfDay]:
    """The entry's preferred times of day (all three when it named none)."""
    named = [TimeOfDay(part) for part in entry.times.split(',') if part]
    return named or list(TimeOfDay)


def _views(uow: UnitOfWork, entries: list[WaitlistEntry]) -> list[WaitlistEntryView]:
    doctor_ids = {entry.doctor_id for entry in entries if entry.doctor_id is not None}
    names = uow.patients_names(doctor_ids)
    doctor_departments = {doctor_id: uow.doctors.get(doctor_id) for doctor_id in doctor_ids}
    found = []
    for entry in entries:
        doctor = doctor_departments.get(entry.doctor_id) if entry.doctor_id is not None else None
        department_id = doctor.department_id if doctor is not None else entry.department_id
        department = uow.departments.get(department_id) if department_id is not None else None
        found.append(
            WaitlistEntryView(
                id=entry.id,
                doctor_id=entry.doctor_id,
                doctor_name=names.get(entry.doctor_id) if entry.doctor_id is not None else None,
                department_id=department.id if department is not None else 0,
                department_name=department.name if department is not None else '',
                first_day=entry.first_day,
                last_day=entry.last_day,
                times=[part for part in entry.times.split(',') if part],
                state=entry.state,
                created_at=entry.created_at,
            )
        )
    return found


def _check(uow: UnitOfWork, settings: Settings, data: WaitlistIn) -> None:
    """Refuse (422, naming the fields) an entry that names neither or both of doctor and department, an unknown or
    inactive one, or dates that are past, out of order or too far apart."""
    errors: dict[str, str] = {}
    if (data.doctor_id is None) == (data.department_id is None):
        message = _('Choose a doctor or a department, not both.')
        errors['doctor_id'] = errors['department_id'] = message
    elif data.doctor_id is not None:
        doctor = uow.doctors.get(data.doctor_id)
        if doctor is None or not doctor.user.is_active:
            errors['doctor_id'] = _('This doctor is not taking bookings.')
    elif data.department_id is not None and uow.departments.get(data.department_id) is None:
        errors['department_id'] = _('No such department.')
    today = local_today(settings)
    if data.first_day < today:
        errors['first_day'] = _('Choose today or a later date.')
    if data.last_day < data.first_day:
        errors['last_day'] = _('The last day must not be before the first day.')
    elif (data.last_day - data.first_day).days >= MAX_WAITLIST_DAYS:
        errors['last_day'] = ngettext(
            'A waiting list entry covers at most {n} day.',
            'A waiting list entry covers at most {n} days.',
            MAX_WAITLIST_DAYS,
        )
    if errors:
        raise InvalidInput(
            _('The waiting list entry is not valid. {problems}', problems=' '.join(dict.fromkeys(errors.values()))),
            field_errors=errors,
        )


def join(uow: UnitOfWork, settings: Settings, actor: Principal, data: WaitlistIn) -> WaitlistEntryView:
    """Put the acting patient on the waiting list; freed slots that match are offered in turn."""
    require_role(actor, Role.PATIENT, refusal=ONLY_PATIENTS)
    _check(uow, settings, data)
    uow.patients.lock(actor.user_id)  # counts the entries of concurrent requests one after the other
    repo = WaitlistRepository(uow.session)
    if repo.count_waiting(actor.user_id, from_day=local_today(settings)) >= MAX_ENTRIES:
        raise Conflict(
            ngettext(
                'You are already on {n} waiting list, the most at once. Remove one to add another.',
                'You are already on {n} waiting lists, the most at once. Remove one to add another.',
                MAX_ENTRIES,
            )
        )
    entry = repo.add_entry(
        WaitlistEntry(
            patient_id=actor.user_id,
            doctor_id=data.doctor_id,
            department_id=data.department_id if data.doctor_id is None else None,
            first_day=data.first_day,
            last_day=data.last_day,
            times=','.join(data.times),
            state=WAITING,
            created_at=clock.now(),
        )
    )
    audit.record(uow, 'waitlist.joined', actor=actor, object_type='waitlist_entry', object_id=entry.id)
    uow.emit('waitlist.joined', entry_id=entry.id, patient_id=actor.user_id)
    view = _views(uow, [entry])[0]
    uow.commit()
    return view


def my_entries(uow: UnitOfWork, settings: Settings, actor: Principal) -> list[WaitlistEntryView]:
    require_role(actor, Role.PATIENT, refusal=ONLY_PATIENTS)
    return _views(uow, list(WaitlistRepository(uow.session).entries_of(actor.user_id, from_day=local_today(settings))))


def own_entry(uow: UnitOfWork, actor: Principal, entry_id: int) -> WaitlistEntry:
    """The acting patient's entry; NotFound for anyone else's (never reveal that it exists)."""
    require_role(actor, Role.PATIENT, refusal=ONLY_PATIENTS)
    entry = WaitlistRepository(uow.session).entry(entry_id)
    if entry is None or entry.patient_id != actor.user_id or entry.state == REMOVED:
        raise NotFound(_('No such waiting list entry.'))
    return entry
