"""The clinic day at the front desk: booking, moving and cancelling for a patient, walk-ins, today's list and
check-in. For the reception role and the administrator (who can do everything reception can)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import Field

from hms.api.deps import Context, require_role
from hms.api.params import IdPath, QueryId
from hms.api.problems import ProblemFamily
from hms.api.schemas import AppointmentOut, ClinicTime, ViewModel
from hms.domain.enums import Role
from hms.domain.front_desk import DeskBookingIn, DeskCancelIn, DeskRescheduleIn, WalkInIn
from hms.domain.scheduling import Day
from hms.services import front_desk, queue
from hms.services.principal import Principal

router = APIRouter(prefix='/reception', tags=['reception'])

DeskUser = Annotated[Principal, Depends(require_role(Role.RECEPTION, Role.ADMIN))]
_problems = ProblemFamily(401, 403, 422, described={403: 'Only the front desk and the administrator'})


class DeskAppointmentOut(AppointmentOut):
    override_reason: str | None = Field(default=None, description='why the front desk double-booked (overbooked)')


class TodayEntryOut(ViewModel):
    appointment: DeskAppointmentOut
    waited_minutes: int | None = Field(
        description='checked in: minutes waited so far (once called in: the wait it was); null before arrival'
    )
    late: bool = Field(description='the start has passed without the patient, or the patient arrived after it')


class DeskSlotOut(ViewModel):
    start: ClinicTime
    end: ClinicTime
    taken: bool = Field(description='held by an appointment: bookable only as a double-booking (overbook)')
    held: bool = Field(default=False, description='held for a patient on the waitlist (an offer): taken until it ends')


def _out(view: object, ctx: Context) -> DeskAppointmentOut:
    return DeskAppointmentOut.from_view(view, ctx.settings.zone)


@router.post(
    '/appointments',
    status_code=status.HTTP_201_CREATED,
    summary='Book for a patient',
    responses=_problems(
        404,
        409,
        described={
            409: 'The slot is taken (repeat with `overbook` and `override_reason` to double-book it), or the patient '
            'already has an appointment at that time',
            422: "Not one of the doctor's slots, over, a blocked patient, or a missing reason",
        },
    ),
)
def book(
    body: DeskBookingIn, principal: DeskUser, ctx: Context, request: Request, response: Response
) -> DeskAppointmentOut:
    """Book one of the doctor's slots for a patient, with a reason; no booking horizon, notice period or limit of
    upcoming bookings applies. A taken slot only with `overbook: true` and an `override_reason`: the appointment is
    then `overbooked`. The patient gets the usual confirmation."""
    with ctx.uow() as uow:
        view = front_desk.book_for(uow, ctx.settings, principal, body)
    response.headers['Location'] = str(request.url_for('get_appointment', appointment_id=view.id))
    return _out(view, ctx)


@router.patch(
    '/appointments/{appointment_id}',
    summary="Move a patient's appointment",
    responses=_problems(
        404, 409, described={409: 'The slot is taken, or the appointment is no longer booked (arrived, cancelled…)'}
    ),
)
def reschedule(appointment_id: IdPath, body: DeskRescheduleIn, principal: DeskUser, ctx: Context) -> DeskAppointmentOut:
    """Move a booked appointment to another free slot of its doctor, with a reason (told to the patient)."""
    with ctx.uow() as uow:
        view = front_desk.reschedule_for(uow, ctx.settings, principal, appointment_id, body)
    return _out(view, ctx)


@router.post(
    '/appointments/{appointment_id}/cancel',
    summary="Cancel a patient's appointment",
    responses=_problems(404, 409, described={409: 'The visit has started (in consultation), or is over'}),
)
def cancel(appointment_id: IdPath, body: DeskCancelIn, principal: DeskUser, ctx: Context) -> DeskAppointmentOut:
    """Cancel until the visit starts (booked or checked in), with the reason the patient reads."""
    with ctx.uow() as uow:
        view = front_desk.cancel_for(uow, ctx.settings, principal, appointment_id, body)
    return _out(view, ctx)


@router.post(
    '/walk-ins',
    status_code=status.HTTP_201_CREATED,
    summary='Add a walk-in',
    responses=_problems(
        404,
        409,
        described={
            409: 'The patient already has an appointment at that time',
            422: 'The doctor has no hours today, a blocked patient, or a missing reason',
        },
    ),
)
def walk_in(
    body: WalkInIn, principal: DeskUser, ctx: Context, request: Request, response: Response
) -> DeskAppointmentOut:
    """A visit without a booking, checked in at once with a ticket: the doctor's next free slot today, or an
    `overbooked` visit starting now when the day has none left. `walk_in` is true."""
    with ctx.uow() as uow:
        view = front_desk.walk_in(uow, ctx.settings, principal, body)
    response.headers['Location'] = str(request.url_for('get_appointment', appointment_id=view.id))
    return _out(view, ctx)


@router.get('/today', summary="Today's appointments", responses=_problems())
def today(principal: DeskUser, ctx: Context, doctor_id: QueryId = None) -> list[TodayEntryOut]:
    """Today's appointments (the clinic's time zone) of every doctor or one, by doctor and time, with their state,
    the minutes waited so far and whether they are late."""
    with ctx.uow() as uow:
        entries = queue.today(uow, ctx.settings, principal, doctor_id=doctor_id)
    return TodayEntryOut.from_views(entries, ctx.settings.zone)


@router.post(
    '/appointments/{appointment_id}/check-in',
    summary='Check a patient in',
    responses=_problems(
        404, 409, described={409: 'Not booked for today, or already checked in (also by another desk a moment ago)'}
    ),
)
def check_in(appointment_id: IdPath, principal: DeskUser, ctx: Context) -> DeskAppointmentOut:
    """The patient has arrived: `arrived_at` is stamped and the waiting room's `ticket` given."""
    with ctx.uow() as uow:
        view = queue.check_in(uow, ctx.settings, principal, appointment_id)
    return _out(view, ctx)


@router.get('/doctors/{doctor_id}/slots', summary="A doctor's slots for the desk", responses=_problems())
def slots(
    doctor_id: IdPath,
    principal: DeskUser,
    ctx: Context,
    day: Annotated[Day, Query(alias='date', description='local date, YYYY-MM-DD')],
) -> list[DeskSlotOut]:
    """The doctor's slots on a day that are not over, free or `taken` (no horizon or notice period at the desk)."""
    with ctx.uow() as uow:
        found = front_desk.desk_slots(uow, ctx.settings, principal, doctor_id, day)
    return DeskSlotOut.from_views(found, ctx.settings.zone)
