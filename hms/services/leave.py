"""Doctors' leave and clinic closures: date ranges (local dates, both included) with a reason. No free slots are
published on them (``availability.effective_windows``). Booked appointments they cover are not cancelled at once:
``rescue`` proposes new times to each patient and cancels only what is not rebooked by the deadline. Withdrawing a
leave or closure ends its rescue cases and offers the time that opens up to the waitlist.

A doctor enters and withdraws their own leave; the administrator anyone's, and the clinic's closures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hms import clock
from hms.config import Settings
from hms.db.leave import LeaveRepository
from hms.db.models import ClinicClosure, DoctorLeave
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidInput, NotAllowed, NotFound
from hms.domain.waitlist import MAX_LEAVE_DAYS, LeaveIn
from hms.i18n import N_, _, ngettext

from . import audit, refills, rescue
from .availability import local_today
from .principal import Principal, require_role

ONLY_ADMIN_CLOSURES = N_('Only the clinic administrator manages closures.')


@dataclass(frozen=True)
class LeaveView:
    id: int
    doctor_id: int | None  # None: a clinic closure
    doctor_name: str | None
    first_day: date
    last_day: date
    reason: str
    created_at: datetime
    stranded: int = 0  # rescue cases this leave opened when it was entered


def _doctor_id(uow: UnitOfWork, actor: Principal, doctor_id: int | None) -> int:
    """Whose leave: the acting doctor's own, or any doctor's for the administrator."""
    if actor.role is Role.DOCTOR:
        if doctor_id not in (None, actor.user_id):
            raise NotAllowed(_('You can only manage your own leave.'))
        return actor.user_id
    if actor.role is not Role.ADMIN:
        raise NotAllowed(_('Only doctors and the clinic administrator manage leave.'))
    doctor = uow.doctors.get(doctor_id) if doctor_id is not None else None
    if doctor is None:
        raise NotFound(_('No such doctor.'))
    return doctor.user_id


def _check_days(settings: Settings, data: LeaveIn) -> None:
    errors: dict[str, str] = {}
    if data.first_day < local_today(settings):
        errors['first_day'] = _('Choose today or a later date.')
    if data.last_day < data.first_day:
        errors['last_day'] = _('The last day must not be before the first day.')
    elif (data.last_day - data.first_day).days >= MAX_LEAVE_DAYS:
        errors['last_day'] = ngettext('At most {n} day at once.', 'At most {n} days at once.', MAX_LEAVE_DAYS)
    if errors:
        problems = ' '.join(dict.fromkeys(errors.values()))
        raise InvalidInput(_('The dates are not valid. {problems}', problems=problems), field_errors=errors)


def _covered(uow: UnitOfWork, settings: Settings, first: date, last: date, doctor_id: int | None) -> list[int]:
    """Ids of the booked, upcoming appointments on those days (of one doctor, or of everyone)."""
    zone = settings.zone
    start = max(datetime.combine(first, time.min, tzinfo=zone), clock.now())
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    found = uow.appointments.find(
        AppointmentFilter(start_from=start, start_to=end, doctor_id=doctor_id, statuses=(AppointmentStatus.BOOKED,))
    )
    return [appointment.id for appointment in found]


def _leave_view(uow: UnitOfWork, leave: DoctorLeave, stranded: int = 0) -> LeaveView:
    return LeaveView(
        id=leave.id,
        doctor_id=leave.doctor_id,
        doctor_name=uow.patients_names({leave.doctor_id}).get(leave.doctor_id),
        first_day=leave.first_day,
        last_day=leave.last_day,
        reason=leave.reason,
        created_at=leave.created_at,
        stranded=stranded,
    )


def _closure_view(closure: ClinicClosure, stranded: int = 0) -> LeaveView:
    return LeaveView(
        id=closure.id,
        doctor_id=None,
        doctor_name=None,
        first_day=closure.first_day,
        last_day=closure.last_day,
        reason=closure.reason,
        created_at=closure.created_at,
        stranded=stranded,
    )


def add_leave(
    uow: UnitOfWork, settings: Settings, actor: Principal, data: LeaveIn, *, doctor_id: int | None = None
) -> LeaveView:
    """Enter a leave; the booked appointments on its days are rescued (see ``rescue``), never silently cancelled."""
    doctor = _doctor_id(uow, actor, doctor_id)
    _check_days(settings, data)
    uow.doctors.lock(doctor)  # bookings under way commit first, so they are found and rescued
    leave = LeaveRepository(uow.session).add_leave(
        DoctorLeave(
            doctor_id=doctor,
            first_day=data.first_day,
            last_day=data.last_day,
            reason=data.reason,
            created_at=clock.now(),
            created_by_id=actor.user_id,
        )
    )
    found = [uow.appointments.get(i) for i in _covered(uow, settings, data.first_day, data.last_day, doctor)]
    stranded = rescue.strand(uow, settings, [a for a in found if a is not None], leave_id=leave.id)
    uow.emit('availability.leave_added', doctor_id=doctor, leave_id=leave.id)
    audit.record(uow, 'leave.added', actor=actor, object_type='doctor', object_id=doctor, detail={'stranded': stranded})
    view = _leave_view(uow, leave, stranded)
    uow.commit()
    return view


def leaves(uow: UnitOfWork, settings: Settings, actor: Principal, *, doctor_id: int | None = None) -> list[LeaveView]:
    """Leave not over yet: the acting doctor's own; for the administrator one doctor's, or everyone's."""
    if actor.role is Role.ADMIN and doctor_id is None:
        found = LeaveRepository(uow.session).leaves(None, from_day=local_today(settings))
    else:
        found = LeaveRepository(uow.session).leaves(_doctor_id(uow, actor, doctor_id), from_day=local_today(settings))
    return [_leave_view(uow, leave) for leave in found]


def remove_leave(uow: UnitOfWork, settings: Settings, actor: Principal, leave_id: int) -> None:
    """Withdraw a leave (the doctor their own, the administrator any): its rescue cases end, its time is offered to
    the waitlist."""
    repo = LeaveRepository(uow.session)
    leave = repo.leave(leave_id)
    if leave is None or (actor.role is Role.DOCTOR and leave.doctor_id != actor.user_id):
        raise NotFound(_('No such leave.'))
    require_role(actor, Role.DOCTOR, Role.ADMIN)
    uow.doctors.lock(leave.doctor_id)
    closed = rescue.close_cases(uow, leave_id=leave.id)
    first, last, doctor = max(leave.first_day, local_today(settings)), leave.last_day, leave.doctor_id
    repo.remove_leave(leave)
    if first <= last:
        refills.slots_opened(uow, doctor, first, last)
    uow.emit('availability.leave_removed', doctor_id=doctor, leave_id=leave_id)
    audit.record(uow, 'leave.removed', actor=actor, object_type='doctor', object_id=doctor, detail={'closed': closed})
    uow.commit()


def add_closure(uow: UnitOfWork, settings: Settings, actor: Principal, data: LeaveIn) -> LeaveView:
    """Close the clinic on some days (a holiday): every doctor's booked appointments on them are rescued."""
    require_role(actor, Role.ADMIN, refusal=ONLY_ADMIN_CLOSURES)
    _check_days(settings, data)
    for doctor in sorted(d.user_id for d in uow.doctors.search(include_inactive=True, limit=100_000)):
        uow.doctors.lock(doctor)  # as for a leave: bookings under way commit first, so they are found and rescued
    closure = LeaveRepository(uow.session).add_closure(
        ClinicClosure(
            first_day=data.first_day,
            last_day=data.last_day,
            reason=data.reason,
            created_at=clock.now(),
            created_by_id=actor.user_id,
        )
    )
    found = [uow.appointments.get(i) for i in _covered(uow, settings, data.first_day, data.last_day, None)]
    stranded = rescue.strand(uow, settings, [a for a in found if a is not None], closure_id=closure.id)
    uow.emit('availability.closure_added', closure_id=closure.id)
    audit.record(
        uow, 'closure.added', actor=actor, object_type='closure', object_id=closure.id, detail={'stranded': stranded}
    )
    view = _closure_view(closure, stranded)
    uow.commit()
    return view


def closures(uow: UnitOfWork, settings: Settings, actor: Principal) -> list[LeaveView]:
    require_role(actor, Role.ADMIN, refusal=ONLY_ADMIN_CLOSURES)
    return [_closure_view(closure) for closure in LeaveRepository(uow.session).closures(from_day=local_today(settings))]


def remove_closure(uow: UnitOfWork, settings: Settings, actor: Principal, closure_id: int) -> None:
    require_role(actor, Role.ADMIN, refusal=ONLY_ADMIN_CLOSURES)
    repo = LeaveRepository(uow.session)
    closure = repo.closure(closure_id)
    if closure is None:
        raise NotFound(_('No such closure.'))
    closed = rescue.close_cases(uow, closure_id=closure.id)
    first, last = max(closure.first_day, local_today(settings)), closure.last_day
    repo.remove_closure(closure)
    if first <= last:
        refills.slots_opened(uow, None, first, last)
    uow.emit('availability.closure_removed', closure_id=closure_id)
    audit.record(
        uow, 'closure.removed', actor=actor, object_type='closure', object_id=closure_id, detail={'closed': closed}
    )
    uow.commit()
