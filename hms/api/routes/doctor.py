"""The signed-in doctor's own availability and schedule."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hms.api import problems
from hms.api.deps import Context, DoctorUser
from hms.api.schemas import (
    AppointmentOut,
    AvailabilityOut,
    AvailabilityProblem,
    AvailabilityUpdatedOut,
    day_bounds,
    problem_responses,
)
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import AvailabilityConflict
from hms.domain.scheduling import AvailabilityIn
from hms.services import appointments, availability

router = APIRouter(prefix='/doctor', tags=['doctor'])

_DOCTOR_ONLY = {403: 'Only doctors have their own availability and schedule'}
AVAILABILITY_PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
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


def availability_conflict(request: Request, error: AvailabilityConflict) -> JSONResponse:
    """The 409 problem of a refused availability change, with the bookings it would cancel under `affected`."""
    body = json.loads(problems.problem(request, 409, error.message, title=error.title).body)
    body['affected'] = error.affected
    return JSONResponse(body, status_code=409, media_type=problems.PROBLEM_JSON)


@router.get(
    '/availability',
    response_model=AvailabilityOut,
    summary='My availability',
    responses=problem_responses(401, 403, described=_DOCTOR_ONLY),
)
def get_availability(principal: DoctorUser, ctx: Context) -> AvailabilityOut:
    """The weekly template and the date overrides from today on (times HH:MM, clinic time)."""
    with ctx.uow() as uow:
        return AvailabilityOut.of(availability.get_availability(uow, ctx.settings, principal))


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
    try:
        with ctx.uow() as uow:
            cancelled = availability.set_availability(uow, ctx.settings, principal, body, confirm_cancel=confirm_cancel)
    except AvailabilityConflict as error:
        return availability_conflict(request, error)
    with ctx.uow() as uow:
        current = AvailabilityOut.of(availability.get_availability(uow, ctx.settings, principal))
    return AvailabilityUpdatedOut(cancelled=cancelled, weekly=current.weekly, overrides=current.overrides)


@router.get(
    '/appointments',
    response_model=list[AppointmentOut],
    summary='My schedule',
    responses=problem_responses(401, 403, 422, described=_DOCTOR_ONLY),
)
def schedule(
    principal: DoctorUser,
    ctx: Context,
    first: Annotated[date | None, Query(alias='from', description='first local date, YYYY-MM-DD')] = None,
    last: Annotated[date | None, Query(alias='to', description='last local date (included), YYYY-MM-DD')] = None,
    statuses: Annotated[
        list[AppointmentStatus] | None, Query(alias='status', description='repeat to allow several')
    ] = None,
) -> list[AppointmentOut]:
    """The doctor's appointments in time order, optionally between two local dates and of some statuses."""
    start_from, start_to = day_bounds(first, last, ctx.settings.zone)
    with ctx.uow() as uow:
        views = appointments.doctor_appointments(
            uow, principal, start_from=start_from, start_to=start_to, statuses=tuple(statuses or ())
        )
    return [AppointmentOut.of(view, ctx.settings.zone) for view in views]
