"""The worklist of appointments nobody closed: past their end and still booked, arrived or in consultation. The front
desk (and the administrator) see all of them, a doctor their own; each is closed as a no-show (only a booked one: the
patient never arrived) or as completed (the visit took place; the doctor records it on the visit page), through
``transitions`` like every change.

Closing as completed here records no treatment (the desk never writes clinical content) and no completion time (the
visit's real end is unknown): a doctor who wants the record writes it on the visit page instead.
"""

from __future__ import annotations

from enum import StrEnum

from hms import clock
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidInput, InvalidTransition, NotFound
from hms.i18n import N_, _

from . import appointment_log, transitions
from .appointments import views
from .principal import Principal, require_role
from .views import AppointmentView

OPEN = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION)
MOST = 500
REFUSAL = N_('Your role does not allow you to close past appointments.')


class Outcome(StrEnum):
    NO_SHOW = 'no_show'
    COMPLETED = 'completed'


def _scope(actor: Principal) -> int | None:
    """The doctor whose appointments the actor may close (None: everyone's, for the front desk)."""
    require_role(actor, Role.RECEPTION, Role.ADMIN, Role.DOCTOR, refusal=REFUSAL)
    return actor.user_id if actor.role is Role.DOCTOR else None


def unclosed(uow: UnitOfWork, settings: Settings, actor: Principal) -> list[AppointmentView]:
    """Appointments past their end and still open, newest first (at most ``MOST``): the doctor's own, or all."""
    doctor_id = _scope(actor)
    now = clock.now()
    found = uow.appointments.find(
        AppointmentFilter(start_to=now, doctor_id=doctor_id, statuses=OPEN), newest_first=True, limit=MOST
    )
    return views(uow, [a for a in found if a.end_at <= now])


def close(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, outcome: Outcome | str
) -> AppointmentView:
    """Close one past appointment as a no-show or as completed; 409 when someone changed it meanwhile."""
    doctor_id = _scope(actor)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        message = _('Close it as a no-show or as completed.')
        raise InvalidInput(message, field_errors={'outcome': message}) from None
    seen = uow.appointments.get(appointment_id)
    if seen is None or (doctor_id is not None and seen.doctor_id != doctor_id):
        raise NotFound(_('No such appointment.'))
    appointment = transitions.lock(uow, seen.id)
    change = transitions.Change.NO_SHOW if outcome is Outcome.NO_SHOW else transitions.Change.COMPLETE
    transitions.require(uow, actor, appointment, change)
    now = clock.now()
    if appointment.end_at > now:
        raise InvalidTransition(_('This appointment has not ended yet; close it from the day list instead.'))
    if outcome is Outcome.NO_SHOW:
        appointment.status = AppointmentStatus.NO_SHOW
        kind = 'appointment.no_show'
    else:
        appointment.status = AppointmentStatus.COMPLETED
        kind = 'appointment.completed'
    transitions.advance(appointment, now)
    appointment_log.changed(uow, actor, appointment, kind, {'closed_from': 'worklist'})
    view = views(uow, [appointment])[0]
    uow.commit()
    return view
