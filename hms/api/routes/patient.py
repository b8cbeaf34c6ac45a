"""The signed-in patient's own record: visit history, profile, who looked at the record, and notices.

No route here takes a patient id: each answers about the caller only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hms.api.deps import Context, PatientUser
from hms.api.problems import ProblemFamily
from hms.api.schemas import AccessEntryOut, HistoryOut, Message, NoticeOut, ProfileOut
from hms.domain.records import EmailChange, ProfilePatch
from hms.i18n import _
from hms.services import no_shows, notices, profile, records

router = APIRouter(prefix='/patient', tags=['patient'])

_responses = ProblemFamily(401, 403, described={403: 'Only patients have their own record'})


@router.get('/history', summary='My visits', responses=_responses())
def my_history(principal: PatientUser, ctx: Context) -> HistoryOut:
    """Your completed visits with every doctor, newest first (diagnosis, treatment, prescription, tests and the
    doctor's notes for you), and your upcoming appointments. `private_notes` is always null here."""
    with ctx.uow() as uow:
        return HistoryOut.from_view(records.my_history(uow, ctx.settings, principal), ctx.settings.zone)


@router.get('/profile', summary='My profile', responses=_responses())
def get_profile(principal: PatientUser, ctx: Context) -> ProfileOut:
    """Your details, and where you stand with the no-show policy: after `no_show_limit` missed appointments in 12
    months, online booking is paused and the front desk books for you."""
    with ctx.uow() as uow:
        view = profile.get_profile(uow, principal)
        standing = no_shows.my_standing(uow, ctx.settings, principal)
    return ProfileOut.from_view(view).model_copy(
        update={
            'no_shows_12m': standing.no_shows_12m,
            'late_cancellations_12m': standing.late_cancellations_12m,
            'no_show_limit': standing.limit,
            'online_booking_paused': standing.booking_paused,
        }
    )


@router.patch('/profile', summary='Edit my profile', responses=_responses(422))
def update_profile(body: ProfilePatch, principal: PatientUser, ctx: Context) -> ProfileOut:
    """Change any of the given fields; `null` or an empty text clears blood group, allergies and emergency contact.
    The email is changed with `POST /api/patient/profile/email`."""
    with ctx.uow() as uow:
        return ProfileOut.from_view(profile.update_profile(uow, principal, body))


@router.post(
    '/profile/email',
    summary='Change my email',
    responses=_responses(
        409, 422, described={409: 'The email is already registered', 422: 'Invalid email, or a wrong password'}
    ),
)
def change_email(body: EmailChange, principal: PatientUser, ctx: Context) -> ProfileOut:
    """Change the email you sign in with; your current password is asked again."""
    with ctx.uow() as uow:
        return ProfileOut.from_view(profile.change_email(uow, principal, body))


@router.get('/access-log', summary='Who looked at my record', responses=_responses(422))
def access_log(
    principal: PatientUser,
    ctx: Context,
    limit: Annotated[int, Query(ge=1, le=500, description='most recent entries')] = 200,
) -> list[AccessEntryOut]:
    """Every view or change of your record (history, details, treatments), newest first, with who and their role."""
    with ctx.uow() as uow:
        return AccessEntryOut.from_views(records.access_log(uow, principal, limit=limit), ctx.settings.zone)


@router.get('/notices', summary='My notices', responses=_responses(422))
def my_notices(
    principal: PatientUser,
    ctx: Context,
    limit: Annotated[int, Query(ge=1, le=200, description='most recent notices')] = 20,
) -> list[NoticeOut]:
    """Messages from the clinic (e.g. an appointment the doctor cancelled), newest first."""
    with ctx.uow() as uow:
        return NoticeOut.from_views(notices.my_notices(uow, principal, limit), ctx.settings.zone)


@router.post('/notices/read', summary='Mark my notices read', responses=_responses())
def mark_notices_read(principal: PatientUser, ctx: Context) -> Message:
    with ctx.uow() as uow:
        notices.mark_all_read(uow, principal)
    return Message(detail=_('All notices marked read.'))
