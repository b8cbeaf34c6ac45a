"""The day of the visit: checking patients in at the desk, the doctor calling them into consultation, and the
today list with how long each has waited so far.

booked --check in--> arrived --call--> in_consultation --complete (hms.services.records)--> completed

Every step goes through ``transitions`` (lock, read afresh, check) and is stamped (``arrived_at``, ``called_at``),
audited and announced, so the doctor's day, the desk's today page and the waiting-room boards update at once.

Tickets: a patient checked in (or a walk-in added) gets the waiting room's code for the visit, shown on the board
instead of a name: the doctor's letters and a number counted per doctor and day, e.g. 'C-007' (the seventh visit of
that day given a ticket for the doctor whose account number is 3). Letters come from the doctor's account number in
bijective base 26 (1 = A, 26 = Z, 27 = AA), so they are the same every day and never shared by two doctors; the number
is counted under the doctor's lock, so two desks checking in at the same moment never give the same ticket. A ticket is
therefore unique per day and clinic, and says nothing about the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidTransition, NobodyWaiting, NotFound
from hms.i18n import N_, _

from . import appointment_log, transitions
from .appointments import views
from .principal import Principal, require_role
from .views import AppointmentView

DESK_ROLES = (Role.RECEPTION, Role.ADMIN)
DESK_REFUSAL = N_('Only the front desk and the administrator manage the clinic day.')


@dataclass(frozen=True)
class TodayEntry:
    """One of today's appointments as the desk and the doctor see it."""

    appointment: AppointmentView
    waited_minutes: int | None  # checked in: minutes since arrival (until called in: then the wait it was)
    late: bool  # the start has passed and the patient has not arrived, or arrived after the start


def ticket_letters(doctor_id: int) -> str:
    """The doctor's letters on tickets: bijective base 26 of the account number (1 = A, 26 = Z, 27 = AA)."""
    letters = ''
    number = doctor_id
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord('A') + remainder) + letters
    return letters


def day_bounds(day: date, settings: Settings) -> tuple[datetime, datetime]:
    """The UTC instants of the start of ``day`` and of the next day in the clinic's zone."""
    start = datetime.combine(day, time.min, tzinfo=settings.zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=settings.zone).astimezone(UTC)
    return start, end


def local_today(settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def give_ticket(uow: UnitOfWork, settings: Settings, appointment: Appointment) -> None:
    """Give the appointment its waiting-room ticket unless it has one (the caller holds the doctor's lock)."""
    if appointment.ticket:
        return
    day = appointment.start_at.astimezone(settings.zone).date()
    start, end = day_bounds(day, settings)
    uow.session.flush()  # an appointment added in this unit of work counts too
    number = uow.appointments.tickets_given(appointment.doctor_id, start, end) + 1
    appointment.ticket = f'{ticket_letters(appointment.doctor_id)}-{number:03d}'


def _minutes(since: datetime, until: datetime) -> int:
    return max(0, int((until - since).total_seconds() // 60))


def entry(view: AppointmentView, now: datetime) -> TodayEntry:
    """The appointment with its wait so far and whether it is late."""
    waited = None
    if view.arrived_at is not None and view.status is AppointmentStatus.ARRIVED:
        waited = _minutes(view.arrived_at, now)
    elif view.arrived_at is not None and view.called_at is not None:
        waited = _minutes(view.arrived_at, view.called_at)
    late = (view.status is AppointmentStatus.BOOKED and now > view.start) or (
        not view.walk_in and view.arrived_at is not None and view.arrived_at > view.start
    )
    return TodayEntry(appointment=view, waited_minutes=waited, late=late)


def today(uow: UnitOfWork, settings: Settings, actor: Principal, *, doctor_id: int | None = None) -> list[TodayEntry]:
    """Today's appointments (the clinic's day), every doctor's or one's, by doctor and time, with waits so far. The
    desk and the administrator read anyone's; a doctor reads their own."""
    if actor.role is Role.DOCTOR:
        if doctor_id not in (None, actor.user_id):
            raise NotFound(_('No such doctor.'))
        doctor_id = actor.user_id
    else:
        require_role(actor, *DESK_ROLES, refusal=DESK_REFUSAL)
    start, end = day_bounds(local_today(settings), settings)
    found = uow.appointments.find(AppointmentFilter(start_from=start, start_to=end, doctor_id=doctor_id), limit=5000)
    now = clock.now()
    entries = [entry(view, now) for view in views(uow, found)]
    return sorted(entries, key=lambda e: (e.appointment.doctor_name.lower(), e.appointment.start, e.appointment.id))


def check_in(uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int) -> AppointmentView:
    """The patient has arrived for today's booked appointment: stamp the arrival and give the ticket. Two desks at
    once: the first wins, the second is told the patient was checked in a moment ago (409)."""
    require_role(actor, *DESK_ROLES, refusal=DESK_REFUSAL)
    seen = uow.appointments.get(appointment_id)
    if seen is None:
        raise NotFound(_('No such appointment.'))
    uow.doctors.lock(seen.doctor_id)  # lock order: the doctor (whose tickets are counted), then the appointment
    appointment = transitions.lock(uow, seen.id)
    transitions.require(uow, actor, appointment, transitions.Change.CHECK_IN)
    if appointment.start_at.astimezone(settings.zone).date() != local_today(settings):
        raise InvalidTransition(_("Only today's appointments can be checked in."))
    now = clock.now()
    appointment.status = AppointmentStatus.ARRIVED
    appointment.arrived_at = now
    give_ticket(uow, settings, appointment)
    transitions.advance(appointment, now)
    appointment_log.changed(uow, actor, appointment, 'appointment.checked_in', {'ticket': appointment.ticket})
    view = views(uow, [appointment])[0]
    uow.commit()
    return view


def _call(uow: UnitOfWork, actor: Principal, appointment: Appointment) -> AppointmentView:
    transitions.require(uow, actor, appointment, transitions.Change.CALL)
    now = clock.now()
    appointment.status = AppointmentStatus.IN_CONSULTATION
    appointment.called_at = now
    transitions.advance(appointment, now)
    appointment_log.changed(uow, actor, appointment, 'appointment.called', {'ticket': appointment.ticket})
    view = views(uow, [appointment])[0]
    uow.commit()
    return view


def call_next(uow: UnitOfWork, settings: Settings, actor: Principal) -> AppointmentView:
    """Call the acting doctor's next checked-in patient of today into consultation: by appointment time (walk-ins
    hold the time they were fitted in at), then by arrival. Two calls at once never call the same patient: the
    doctor's lock makes the second wait, and it then finds the next one (or nobody: 409 nobody_waiting)."""
    require_role(actor, Role.DOCTOR, refusal=N_('Only doctors call their patients in.'))
    uow.doctors.lock(actor.user_id)
    start, end = day_bounds(local_today(settings), settings)
    waiting = uow.appointments.next_arrived(actor.user_id, start, end)
    if waiting is None:
        raise NobodyWaiting()
    return _call(uow, actor, transitions.lock(uow, waiting.id))


def call(uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int) -> AppointmentView:
    """Call one of the acting doctor's own checked-in patients in (anyone else's appointment is 'not found')."""
    require_role(actor, Role.DOCTOR, refusal=N_('Only doctors call their patients in.'))
    seen = uow.appointments.get(appointment_id)
    if seen is None or seen.doctor_id != actor.user_id:
        raise NotFound(_('No such appointment among yours.'))
    uow.doctors.lock(actor.user_id)
    return _call(uow, actor, transitions.lock(uow, seen.id))
