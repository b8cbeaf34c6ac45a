"""Appointments: patients book, reschedule and cancel; everyone reads the ones they may see.

The administrator cancels and reschedules through the same routes and lists everything at /api/admin/appointments.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from hms import clock
from hms.api.deps import Context, CurrentUser, PatientUser
from hms.api.params import IdPath
from hms.api.problems import problem_responses
from hms.api.schemas import AppointmentOut
from hms.context import AppContext
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.domain.scheduling import BookingIn, CancelIn, RescheduleIn
from hms.i18n import N_, _
from hms.services import appointments, calendars
from hms.services.principal import Principal

router = APIRouter(prefix='/appointments', tags=['appointments'])

ADMIN_LISTS_ELSEWHERE = N_('Administrators list appointments at /api/admin/appointments.')


def cancel_appointment(
    ctx: AppContext, principal: Principal, appointment_id: int, body: CancelIn | None
) -> AppointmentOut:
    """Cancel with the body's reason (none: an empty one, which only a patient may give)."""
    with ctx.uow() as uow:
        view = appointments.cancel(uow, ctx.settings, principal, appointment_id, body.reason if body else '')
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.post(
    '',
    status_code=status.HTTP_201_CREATED,
    summary='Book a slot',
    responses=problem_responses(
        401,
        403,
        409,
        422,
        described={
            403: 'Only patients book',
            409: 'The slot was just taken, or you already have an appointment at that time',
            422: 'Not bookable: past, too soon, beyond the booking horizon, not one of the slots, too many bookings',
        },
    ),
)
def book(body: BookingIn, principal: PatientUser, ctx: Context, request: Request, response: Response) -> AppointmentOut:
    """Book one of the doctor's free slots (`start` as listed by `GET /api/doctors/{id}/slots`)."""
    with ctx.uow() as uow:
        view = appointments.book(uow, ctx.settings, principal, body)
    response.headers['Location'] = str(request.url_for('get_appointment', appointment_id=view.id))
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.get(
    '',
    summary='My appointments',
    responses=problem_responses(401, 403, described={403: 'Administrators use /api/admin/appointments'}),
)
def my_appointments(
    principal: CurrentUser,
    ctx: Context,
    upcoming: Annotated[
        bool | None, Query(description='true: only from now on; false: only past ones (newest first)')
    ] = None,
) -> list[AppointmentOut]:
    """The caller's appointments: a patient's own bookings, or a doctor's schedule, in time order."""
    if principal.role is Role.ADMIN:
        raise NotAllowed(_(ADMIN_LISTS_ELSEWHERE))
    with ctx.uow() as uow:
        if principal.role is Role.PATIENT:
            views = appointments.my_appointments(uow, principal, upcoming=upcoming)
        else:
            now = clock.now()
            views = appointments.doctor_appointments(
                uow, principal, start_from=now if upcoming else None, start_to=now if upcoming is False else None
            )
            if upcoming is False:
                views.reverse()
    return AppointmentOut.from_views(views, ctx.settings.zone)


@router.get('/{appointment_id}', summary='One appointment', responses=problem_responses(401, 404, 422))
def get_appointment(appointment_id: IdPath, principal: CurrentUser, ctx: Context) -> AppointmentOut:
    """An appointment of the caller's (the admin sees all); someone else's answers 404."""
    with ctx.uow() as uow:
        view = appointments.get_appointment(uow, principal, appointment_id)
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.get(
    '/{appointment_id}/calendar.ics',
    response_class=Response,
    summary='Add to calendar',
    responses={
        200: {'content': {'text/calendar': {}}, 'description': 'iCalendar (METHOD PUBLISH): UID stable, SEQUENCE'},
        **problem_responses(401, 403, 404, 422, described={403: 'Only the patient and the doctor download it'}),
    },
)
def appointment_calendar(appointment_id: IdPath, principal: CurrentUser, ctx: Context) -> Response:
    """The caller's own appointment as a calendar file (the doctor's names the patient by initials only)."""
    with ctx.uow() as uow:
        found = calendars.appointment_calendar(uow, ctx.settings, principal, appointment_id)
    headers = {
        'Content-Disposition': f'attachment; filename="{found.filename}"',
        'Cache-Control': 'private, no-store',
    }
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.patch(
    '/{appointment_id}',
    summary='Reschedule',
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        described={
            403: 'Only the patient or the administrator reschedules',
            409: 'The slot was just taken, the appointment is no longer booked, or it is past the cut-off',
            422: 'The new time is not bookable',
        },
    ),
)
def reschedule(appointment_id: IdPath, body: RescheduleIn, principal: CurrentUser, ctx: Context) -> AppointmentOut:
    """Move a booked appointment to another free slot of the same doctor."""
    with ctx.uow() as uow:
        view = appointments.reschedule(uow, ctx.settings, principal, appointment_id, body.start)
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.post(
    '/{appointment_id}/cancel',
    summary='Cancel',
    responses=problem_responses(
        401,
        404,
        409,
        422,
        described={
            409: 'The appointment is no longer booked, or it is past the cut-off for patients',
            422: 'Doctors and the administrator must give a reason',
        },
    ),
)
def cancel(
    appointment_id: IdPath,
    principal: CurrentUser,
    ctx: Context,
    body: Annotated[CancelIn | None, Body(description='optional for patients; the reason the patient will see')] = None,
) -> AppointmentOut:
    """Cancel a booked appointment: the patient until the cut-off, the doctor or the administrator with a reason."""
    return cancel_appointment(ctx, principal, appointment_id, body)
