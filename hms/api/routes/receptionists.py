"""The administrator's receptionist accounts: add (a one-time password shown once), list, edit, deactivate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from hms.api.deps import AdminUser, Context
from hms.api.params import IdPath, Offset
from hms.api.problems import ProblemFamily
from hms.api.schemas import PageOut, ViewModel
from hms.domain.desk import ReceptionistIn, ReceptionistPatch
from hms.services import receptionists

router = APIRouter(prefix='/admin/receptionists', tags=['admin'])

_responses = ProblemFamily(401, 403, described={403: 'Only the administrator'})
_EMAIL_TAKEN = {409: 'The email is already registered'}


class ReceptionistOut(ViewModel):
    id: int
    name: str
    email: str
    is_active: bool
    must_change_password: bool = Field(description='the one-time password has not been changed yet')
    created_at: datetime


class ReceptionistPage(PageOut[ReceptionistOut]):
    pass


class NewReceptionistOut(ViewModel):
    receptionist: ReceptionistOut
    initial_password: str = Field(description='shown once; the receptionist must change it at first sign-in')


@router.get('', summary='List receptionists', responses=_responses(422))
def list_receptionists(
    principal: AdminUser,
    ctx: Context,
    q: Annotated[str | None, Query(max_length=120, description='part of the name or email, any case')] = None,
    include_inactive: Annotated[bool, Query(description='also deactivated receptionists')] = False,
    limit: Annotated[int, Query(ge=1, le=200, description='page size')] = 25,
    offset: Offset = 0,
) -> ReceptionistPage:
    """Receptionists by name, a page at a time."""
    with ctx.uow() as uow:
        found = receptionists.browse_receptionists(
            uow, principal, q, include_inactive=include_inactive, limit=limit, offset=offset
        )
    return ReceptionistPage.from_view(found)


@router.post(
    '',
    status_code=status.HTTP_201_CREATED,
    summary='Add a receptionist',
    responses=_responses(409, 422, described=_EMAIL_TAKEN),
)
def add_receptionist(body: ReceptionistIn, principal: AdminUser, ctx: Context) -> NewReceptionistOut:
    """Create the receptionist's account with a one-time password, to be changed at first sign-in."""
    with ctx.uow() as uow:
        return NewReceptionistOut.from_view(receptionists.add_receptionist(uow, principal, body))


@router.patch(
    '/{receptionist_id}', summary='Edit a receptionist', responses=_responses(404, 409, 422, described=_EMAIL_TAKEN)
)
def update_receptionist(
    receptionist_id: IdPath, body: ReceptionistPatch, principal: AdminUser, ctx: Context
) -> ReceptionistOut:
    with ctx.uow() as uow:
        return ReceptionistOut.from_view(receptionists.update_receptionist(uow, principal, receptionist_id, body))


@router.delete('/{receptionist_id}', summary='Deactivate a receptionist', responses=_responses(404, 422))
def deactivate_receptionist(receptionist_id: IdPath, principal: AdminUser, ctx: Context) -> ReceptionistOut:
    """Deactivate (never delete) a receptionist: their sessions and tokens end at once and they can no longer sign
    in. Reactivate with `POST /api/admin/users/{id}/reactivate`."""
    with ctx.uow() as uow:
        view = receptionists.set_active(uow, principal, receptionist_id, active=False)
    return ReceptionistOut.from_view(view)
