"""The signed-in patient's waiting lists and the freed slots offered to them (``hms.services.waitlist`` and
``hms.services.offers``). No route takes a patient id: each answers about the caller only; another patient's entry
or offer is a 404."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status
from pydantic import Field

from hms.api.deps import Context, PatientUser
from hms.api.params import IdPath
from hms.api.problems import ProblemFamily
from hms.api.schemas import AppointmentOut, ClinicTime, ViewModel
from hms.domain.waitlist import WaitlistIn
from hms.services import offers, waitlist

router = APIRouter(prefix='/patient', tags=['waitlist'])

_responses = ProblemFamily(401, 403, described={403: 'Only patients have waiting lists'})


class WaitlistEntryOut(ViewModel):
    id: int
    doctor_id: int | None
    doctor_name: str | None
    department_id: int
    department_name: str
    first_day: date
    last_day: date
    times: list[str] = Field(description='morning, afternoon, evening; empty: any time of day')
    state: str = Field(description='waiting (entries that were booked or removed are not listed)')
    created_at: ClinicTime


class OfferOut(ViewModel):
    id: int
    entry_id: int
    doctor_id: int
    doctor_name: str
    department_name: str
    start: ClinicTime
    end: ClinicTime
    state: str = Field(description='held (answer before `expires_at`), accepted, declined, expired or withdrawn')
    offered_at: ClinicTime
    expires_at: ClinicTime
    appointment_id: int | None = Field(description='the booking, once accepted')


@router.post(
    '/waitlist',
    status_code=status.HTTP_201_CREATED,
    summary='Join a waiting list',
    responses=_responses(
        409,
        422,
        described={
            409: 'Already on the most waiting lists at once',
            422: 'Neither or both of doctor and department, an unknown one, or past or disordered dates',
        },
    ),
)
def join(body: WaitlistIn, principal: PatientUser, ctx: Context) -> WaitlistEntryOut:
    """Wait for a doctor (`doctor_id`) or any doctor of a department (`department_id`) between two local dates,
    optionally at some times of day. When a matching slot frees, it is held for you alone for
    `HMS_WAITLIST_HOLD_MINUTES` and offered by email and on your pages (`GET /api/patient/offers`), first come,
    first served."""
    with ctx.uow() as uow:
        return WaitlistEntryOut.from_view(waitlist.join(uow, ctx.settings, principal, body), ctx.settings.zone)


@router.get('/waitlist', summary='My waiting lists', responses=_responses())
def my_waitlist(principal: PatientUser, ctx: Context) -> list[WaitlistEntryOut]:
    """Your entries still waiting, oldest first."""
    with ctx.uow() as uow:
        return WaitlistEntryOut.from_views(waitlist.my_entries(uow, ctx.settings, principal), ctx.settings.zone)


@router.delete(
    '/waitlist/{entry_id}',
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary='Leave a waiting list',
    responses=_responses(404, 422),
)
def leave(entry_id: IdPath, principal: PatientUser, ctx: Context) -> Response:
    """Remove your entry; a slot held for it goes to the next patient."""
    with ctx.uow() as uow:
        offers.leave_waitlist(uow, ctx.settings, principal, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get('/offers', summary='My offers', responses=_responses())
def my_offers(principal: PatientUser, ctx: Context) -> list[OfferOut]:
    """Slots offered to you from your waiting lists, newest first; answer the `held` ones before `expires_at`."""
    with ctx.uow() as uow:
        return OfferOut.from_views(offers.my_offers(uow, principal), ctx.settings.zone)


@router.post(
    '/offers/{offer_id}/accept',
    status_code=status.HTTP_201_CREATED,
    summary='Accept an offer',
    responses=_responses(
        404,
        409,
        422,
        described={
            409: 'The offer is no longer held (accepted, declined, expired), or you have an appointment then',
            422: 'A booking rule refuses it (too many bookings, too soon)',
        },
    ),
)
def accept(offer_id: IdPath, principal: PatientUser, ctx: Context) -> AppointmentOut:
    """Book the held slot: the booking, under every booking rule."""
    with ctx.uow() as uow:
        return AppointmentOut.from_view(offers.accept(uow, ctx.settings, principal, offer_id), ctx.settings.zone)


@router.post(
    '/offers/{offer_id}/decline',
    summary='Decline an offer',
    responses=_responses(404, 409, 422, described={409: 'The offer is no longer held'}),
)
def decline(offer_id: IdPath, principal: PatientUser, ctx: Context) -> OfferOut:
    """Let the slot go to the next patient; your entry keeps waiting for another time."""
    with ctx.uow() as uow:
        return OfferOut.from_view(offers.decline(uow, ctx.settings, principal, offer_id), ctx.settings.zone)
