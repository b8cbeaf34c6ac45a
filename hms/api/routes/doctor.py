"""The signed-in doctor's own availability and schedule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hms.api.deps import Context, DoctorUser
from hms.api.params import FirstDay, IdPath, LastDay, Statuses, day_bounds
from hms.api.problems import AvailabilityProblem, Responses, domain_problem, problem_responses
from hms.api.schemas import AppointmentOut, AvailabilityOut, AvailabilityUpdatedOut
from hms.context import AppContext
from hms.domain.errors import AvailabilityConflict
from hms.domain.scheduling import AvailabilityIn
from hms.services import appointments, availability, queue
from hms.services.principal import Principal

router = APIRouter(prefix='/doctor', tags=['doctor'])

_DOCTOR_ONLY = {403: 'Only doctors have their own availability and schedule'}
AVAILABILITY_PUT_RESPONSES: Responses = {
    **problem_responses(401, 403, 404, 422, described=_DOCTOR_ONLY),
    409: {
        'model': AvailabilityProblem,
        'description': 'Bookings fall outside the new availability; `affected` lists them. Repeat with '
        '`confirm_cancel=true` to cancel them (their patients are notified).',
    },
}
ConfirmCancel = Annotated[
    bool, Query(description='cancel the bookings the new availability no longer covers (patients are notified)')
]


def availability_of(ctx: AppContext, principal: Principal, doctor_id: int | None = None) -> AvailabilityOut:
    """The availability of ``doctor_id`` (by default the caller's own)."""
    with ctx.uow() as uow:
        return AvailabilityOut.from_view(availability.get_availability(uow, ctx.settings, principal, doctor_id))


def replace_availability(
    ctx: AppContext,
    principal: Principal,
    request: Request,
    body: AvailabilityIn,
    *,
    confirm_cancel: bool,
    doctor_id: int | None = None,
) -> AvailabilityUpdatedOut | JSONResponse:
    """Replace the availability, or answer the 409 AvailabilityProblem whose `affected` lists the bookings it would
    cancel without ``confirm_cancel``."""
    try:
        with ctx.uow() as uow:
            cancelled = availability.set_availability(
                uow, ctx.settings, principal, body, doctor_id=doctor_id, confirm_cancel=confirm_cancel
            )
    except AvailabilityConflict as error:
        return domain_problem(request, error, extra={'affected': error.affected})
    current = availability_of(ctx, principal, doctor_id)
    return AvailabilityUpdatedOut(cancelled=cancelled, weekly=current.weekly, overrides=current.overrides)


@router.get('/availability', summary='My availability', responses=problem_responses(401, 403, described=_DOCTOR_ONLY))
def get_availability(principal: DoctorUser, ctx: Context) -> AvailabilityOut:
    """The weekly template and the date overrides from today on (times HH:MM, clinic time)."""
    return availability_of(ctx, principal)


@router.put(
    '/availability',
    response_model=AvailabilityUpdatedOut,
    summary='Replace my availability',
    responses=AVAILABILITY_PUT_RESPONSES,
)
def set_availability(
    body: AvailabilityIn, principal: DoctorUser, ctx: Context, request: Request, confirm_cancel: ConfirmCancel = False
) -> AvailabilityUpdatedOut | JSONResponse:
    """Replace the weekly template (weekday 0 = Monday) and every override from today on; an override without
    windows is a day off. Bookings the new availability no longer covers are refused (409) unless confirmed."""
    return replace_availability(ctx, principal, request, body, confirm_cancel=confirm_cancel)


@router.get('/appointments', summary='My schedule', responses=problem_responses(401, 403, 422, described=_DOCTOR_ONLY))
def schedule(
    principal: DoctorUser, ctx: Context, first: FirstDay = None, last: LastDay = None, statuses: Statuses = None
) -> list[AppointmentOut]:
    """The doctor's appointments in time order, optionally between two local dates and of some statuses."""
    start_from, start_to = day_bounds(first, last, ctx.settings.zone)
    with ctx.uow() as uow:
        views = appointments.doctor_appointments(
            uow, principal, start_from=start_from, start_to=start_to, statuses=tuple(statuses or ())
        )
    return AppointmentOut.from_views(views, ctx.settings.zone)


_CALL_RESPONSES = {403: 'Only doctors call their patients in'}


@router.post(
    '/call-next',
    summary='Call the next patient in',
    responses=problem_responses(
        401, 403, 409, described={**_CALL_RESPONSES, 409: '`nobody_waiting`: no checked-in patient of yours today'}
    ),
)
def call_next(principal: DoctorUser, ctx: Context) -> AppointmentOut:
    """Call the next checked-in patient of today into consultation (by appointment time; walk-ins hold the time they
    were fitted in at): the appointment called in, now `in_consultation` with `called_at`. Two calls at once never
    call the same patient."""
    with ctx.uow() as uow:
        view = queue.call_next(uow, ctx.settings, principal)
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.post(
    '/appointments/{appointment_id}/call',
    summary='Call a patient in',
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        described={**_CALL_RESPONSES, 404: 'Not one of your appointments', 409: 'The patient is not waiting'},
    ),
)
def call(appointment_id: IdPath, principal: DoctorUser, ctx: Context) -> AppointmentOut:
    """Call one of your checked-in patients into consultation, out of the queue's order."""
    with ctx.uow() as uow:
        view = queue.call(uow, ctx.settings, principal, appointment_id)
    return AppointmentOut.from_view(view, ctx.settings.zone)
