"""The one way an existing appointment changes: lock it, read it afresh, check the change is still possible, and,
when it is not, say what happened to it.

Two people acting on one appointment at the same moment (a patient cancelling while the doctor completes the visit)
each read it as booked; only the first to take the lock changes it, the second reads the new state under the lock and
is refused with a 409 that names what happened ("This appointment was cancelled by the doctor a moment ago.").

Lock order, everywhere: the doctor, then the patient, then the appointment(s) (in start order) — never the reverse,
so PostgreSQL never finds two changes waiting on each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from hms import clock
from hms.db.models import Appointment
from hms.db.scheduling import role_of
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidTransition, NotFound
from hms.i18n import N_, _

from .principal import Principal

# A change this recent is news to whoever acted on the state before it: the refusal says what happened.
JUST_CHANGED = timedelta(minutes=10)


class Change(StrEnum):
    RESCHEDULE = 'reschedule'
    CANCEL = 'cancel'
    COMPLETE = 'complete'
    NO_SHOW = 'no_show'
    CHECK_IN = 'check_in'  # booked -> arrived (the front desk)
    CALL = 'call'  # arrived -> in_consultation (the doctor calls the patient in)
    CONFIRM = 'confirm'  # the patient confirms they will come (a one-tap link): booked stays booked, confirmed_at set


_CANCELLED, _COMPLETED, _NO_SHOW = AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW
_BOOKED, _ARRIVED, _IN = AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION

# The states each change starts from: the day of the visit runs booked -> arrived -> in_consultation -> completed;
# cancelling stays possible until the visit starts (in consultation), completing works from any state before it.
ALLOWED_FROM: dict[Change, tuple[AppointmentStatus, ...]] = {
    Change.RESCHEDULE: (_BOOKED,),
    Change.CANCEL: (_BOOKED, _ARRIVED),
    Change.COMPLETE: (_BOOKED, _ARRIVED, _IN),
    Change.NO_SHOW: (_BOOKED,),
    Change.CHECK_IN: (_BOOKED,),
    Change.CALL: (_ARRIVED,),
    Change.CONFIRM: (_BOOKED,),
}

# Why a change is impossible in a state (whole sentences for the translators).
_IMPOSSIBLE = {
    (Change.RESCHEDULE, _COMPLETED): N_('This appointment is completed and can no longer be rescheduled.'),
    (Change.RESCHEDULE, _CANCELLED): N_('This appointment is cancelled and can no longer be rescheduled.'),
    (Change.RESCHEDULE, _NO_SHOW): N_('This appointment was marked as a no-show and can no longer be rescheduled.'),
    (Change.CANCEL, _COMPLETED): N_('This appointment is completed and can no longer be cancelled.'),
    (Change.CANCEL, _CANCELLED): N_('This appointment is cancelled and can no longer be cancelled.'),
    (Change.CANCEL, _NO_SHOW): N_('This appointment was marked as a no-show and can no longer be cancelled.'),
    (Change.COMPLETE, _CANCELLED): N_('This appointment was cancelled; a visit cannot be recorded on it.'),
    (Change.COMPLETE, _COMPLETED): N_('This visit is already completed. Amend its treatment record instead.'),
    (Change.COMPLETE, _NO_SHOW): N_('This appointment was marked as a no-show, which is final; book a new visit.'),
    (Change.NO_SHOW, _COMPLETED): N_('This appointment is completed; only a booked appointment can be marked no-show.'),
    (Change.NO_SHOW, _CANCELLED): N_('This appointment is cancelled; only a booked appointment can be marked no-show.'),
    (Change.NO_SHOW, _NO_SHOW): N_('This appointment is already marked no-show.'),
    (Change.RESCHEDULE, _ARRIVED): N_('The patient has arrived; this appointment can no longer be rescheduled.'),
    (Change.RESCHEDULE, _IN): N_('This visit has started and can no longer be rescheduled.'),
    (Change.CANCEL, _IN): N_('This visit has started and can no longer be cancelled.'),
    (Change.NO_SHOW, _ARRIVED): N_('The patient has arrived; this appointment cannot be marked no-show.'),
    (Change.NO_SHOW, _IN): N_('This visit has started; it cannot be marked no-show.'),
    (Change.CHECK_IN, _ARRIVED): N_('This patient is already checked in.'),
    (Change.CHECK_IN, _IN): N_('This visit has already started.'),
    (Change.CHECK_IN, _COMPLETED): N_('This visit is already completed.'),
    (Change.CHECK_IN, _CANCELLED): N_('This appointment is cancelled; book a new visit or add a walk-in.'),
    (Change.CHECK_IN, _NO_SHOW): N_('This appointment was marked as a no-show; book a new visit or add a walk-in.'),
    (Change.CALL, _BOOKED): N_('This patient has not checked in yet.'),
    (Change.CALL, _IN): N_('This patient has already been called in.'),
    (Change.CALL, _COMPLETED): N_('This visit is already completed.'),
    (Change.CALL, _CANCELLED): N_('This appointment is cancelled.'),
    (Change.CALL, _NO_SHOW): N_('This appointment was marked as a no-show.'),
    (Change.CONFIRM, _ARRIVED): N_('You have already checked in for this visit.'),
    (Change.CONFIRM, _IN): N_('This visit has already started.'),
    (Change.CONFIRM, _COMPLETED): N_('This visit is already completed.'),
    (Change.CONFIRM, _CANCELLED): N_('This appointment is cancelled and can no longer be confirmed.'),
    (Change.CONFIRM, _NO_SHOW): N_('This appointment was marked as a no-show and can no longer be confirmed.'),
}

# What happened a moment ago, by the new state and who made the change.
_CANCELLED_BY = {
    Role.PATIENT: N_('This appointment was cancelled by the patient a moment ago.'),
    Role.DOCTOR: N_('This appointment was cancelled by the doctor a moment ago.'),
    Role.ADMIN: N_('This appointment was cancelled by the clinic a moment ago.'),
}
_JUST_COMPLETED = N_('This visit was completed a moment ago.')
_JUST_NO_SHOW = N_('This appointment was marked as a no-show a moment ago.')
_JUST_ARRIVED = N_('This patient was checked in a moment ago.')
_JUST_CALLED = N_('This patient was called in a moment ago.')
_NOT_MADE = N_('Your change was not made.')


def lock(uow: UnitOfWork, appointment_id: int) -> Appointment:
    """The appointment, locked and read afresh (see the module's lock order)."""
    appointment = uow.appointments.lock(appointment_id)
    if appointment is None:  # deleted with its patient's account
        raise NotFound(_('No such appointment.'))
    return appointment


def require(uow: UnitOfWork, actor: Principal, appointment: Appointment, change: Change) -> None:
    """Refuse ``change`` unless the (locked) appointment is still in a state it starts from (``ALLOWED_FROM``)."""
    status = AppointmentStatus(appointment.status)
    if status not in ALLOWED_FROM[change]:
        raise InvalidTransition(_refusal(uow, actor, appointment, change, status))


def _refusal(
    uow: UnitOfWork, actor: Principal, appointment: Appointment, change: Change, status: AppointmentStatus
) -> str:
    news = _what_just_happened(uow, actor, appointment, status)
    if news is not None:
        return f'{_(news)} {_(_NOT_MADE)}'
    return _(_IMPOSSIBLE[change, status])


def _what_just_happened(
    uow: UnitOfWork, actor: Principal, appointment: Appointment, status: AppointmentStatus
) -> str | None:
    """What someone else did to the appointment moments ago (None when it is old news, or the actor's own doing:
    then why the change is impossible says enough)."""
    if appointment.updated_at < clock.now() - JUST_CHANGED:
        return None
    if status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        if actor.user_id == appointment.doctor_id:
            return None
        return _JUST_COMPLETED if status is AppointmentStatus.COMPLETED else _JUST_NO_SHOW
    if status is AppointmentStatus.ARRIVED:
        return _JUST_ARRIVED
    if status is AppointmentStatus.IN_CONSULTATION:
        return None if actor.user_id == appointment.doctor_id else _JUST_CALLED
    if appointment.cancelled_by_id is None or appointment.cancelled_by_id == actor.user_id:
        return None
    role = role_of(uow.session, appointment.cancelled_by_id)
    return _CANCELLED_BY.get(role) if role is not None else None


def advance(appointment: Appointment, now: datetime | None = None) -> None:
    """Stamp a change: its time, and the next iCalendar sequence number (exactly one more per change)."""
    appointment.updated_at = now or clock.now()
    appointment.sequence = appointment.sequence + 1
