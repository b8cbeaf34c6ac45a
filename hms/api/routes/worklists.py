"""The front desk's worklists: past appointments nobody closed (the desk and the doctor, who sees their own) and the
recall list for phoning patients whose follow-up is due."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from hms.api.deps import Context, require_role
from hms.api.params import IdPath
from hms.api.problems import ProblemFamily
from hms.api.schemas import AppointmentOut, ViewModel
from hms.domain.enums import Role
from hms.domain.schemas import Command
from hms.services import recalls, unclosed
from hms.services.principal import Principal

router = APIRouter(prefix='/reception', tags=['reception'])

DeskUser = Annotated[Principal, Depends(require_role(Role.RECEPTION, Role.ADMIN))]
Closer = Annotated[Principal, Depends(require_role(Role.RECEPTION, Role.ADMIN, Role.DOCTOR))]

_responses = ProblemFamily(
    401, 403, described={403: 'Only the front desk, the administrator (and for their own, doctors)'}
)


class CloseIn(Command):
    outcome: Literal['no_show', 'completed'] = Field(
        description="'no_show': the patient never came (a booked appointment only); 'completed': the visit took place"
    )


class RecallOut(ViewModel):
    treatment_id: int = Field(description='the visit record that asked for the follow-up (its content is not shown)')
    patient_id: int
    patient_name: str
    patient_phone: str
    patient_email: str | None
    doctor_id: int
    doctor_name: str
    due_on: date = Field(description='follow-up due on (the next-visit date the doctor recorded)')
    state: Literal['due', 'overdue', 'booked']


@router.get('/unclosed', summary='Past appointments nobody closed', responses=_responses())
def list_unclosed(principal: Closer, ctx: Context) -> list[AppointmentOut]:
    """Appointments past their end and still booked, arrived or in consultation, newest first (at most 500): every
    doctor's for the front desk and the administrator, a doctor's own for a doctor."""
    with ctx.uow() as uow:
        return AppointmentOut.from_views(unclosed.unclosed(uow, ctx.settings, principal), ctx.settings.zone)


@router.post(
    '/unclosed/{appointment_id}/close',
    summary='Close a past appointment',
    responses=_responses(
        404, 409, 422, described={404: 'No such appointment (a doctor: among theirs)', 409: 'Changed meanwhile'}
    ),
)
def close_unclosed(appointment_id: IdPath, body: CloseIn, principal: Closer, ctx: Context) -> AppointmentOut:
    """Close it as a no-show or as completed (no treatment record is written: the doctor records the visit on its
    page). Of two closings at once, one wins; the other gets 409 saying what happened."""
    with ctx.uow() as uow:
        view = unclosed.close(uow, ctx.settings, principal, appointment_id, body.outcome)
    return AppointmentOut.from_view(view, ctx.settings.zone)


@router.get('/recalls', summary='Follow-up recalls for phoning', responses=_responses(422))
def list_recalls(
    principal: DeskUser,
    ctx: Context,
    state: Annotated[Literal['due', 'overdue', 'booked'], Query(description='which recalls')] = 'due',
) -> list[RecallOut]:
    """Patients whose doctor asked to see them again: `due` (within `HMS_RECALL_DAYS_BEFORE` days), `overdue`
    (passed in the last year, nothing booked) or `booked` (an appointment with that doctor since). Nothing
    clinical: who, which doctor, and the date the follow-up is due."""
    with ctx.uow() as uow:
        return RecallOut.from_views(recalls.recall_list(uow, ctx.settings, principal, state))
