"""The front desk's patients: find the person in front of the desk, register a new patient (with the possible
duplicates answered as a 409 unless the desk confirms), and read one patient's contact details and appointments.
Reception and the administrator; never clinical content."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import Field

from hms.api.deps import Context, require_role
from hms.api.params import IdPath, Offset
from hms.api.problems import Problem, ProblemFamily, domain_problem
from hms.api.schemas import AppointmentOut, PatientOut, PatientPage, ViewModel
from hms.domain.desk import DeskPatientIn
from hms.domain.enums import Role
from hms.services import desk_patients, no_shows
from hms.services.principal import Principal

router = APIRouter(prefix='/reception/patients', tags=['reception'])

FrontDesk = Annotated[Principal, Depends(require_role(Role.RECEPTION, Role.ADMIN))]
_responses = ProblemFamily(401, 403, described={403: 'Only reception and the administrator'})


class DuplicateProblem(Problem):
    """409 `possible_duplicate`: patients with the same name, date of birth and phone or email exist; repeat with
    `confirm_new: true` to register the patient anyway."""

    duplicates: list[PatientOut]


class DeskPatientOut(ViewModel):
    patient: PatientOut
    welcome_sent: bool = Field(description='an email with a link to choose a password went to the patient')


class DeskPatientDetailOut(ViewModel):
    patient: PatientOut
    upcoming: list[AppointmentOut] = Field(description='soonest first')
    past: list[AppointmentOut] = Field(description='newest first')


@router.get('', summary='Find patients at the desk', responses=_responses(422))
def search_patients(
    principal: FrontDesk,
    ctx: Context,
    q: Annotated[
        str | None, Query(max_length=120, description='name, patient ID, email or phone (digits); partial')
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description='page size')] = 20,
    offset: Offset = 0,
) -> PatientPage:
    """By name, patient ID, email or phone (partial, any case), ordered by name, a page at a time."""
    with ctx.uow() as uow:
        found = desk_patients.search(uow, principal, q, limit=limit, offset=offset)
        return PatientPage.from_view(no_shows.page_with_counts(uow, ctx.settings, found))


@router.post(
    '',
    status_code=status.HTTP_201_CREATED,
    response_model=DeskPatientOut,
    summary='Register a patient at the desk',
    responses={
        **_responses(422),
        409: {
            'model': DuplicateProblem,
            'description': '`possible_duplicate`: `duplicates` lists who the patient may be (repeat with '
            '`confirm_new: true` to register anyway); or `email_taken`: the address belongs to an account',
        },
    },
)
def register_patient(
    body: DeskPatientIn, principal: FrontDesk, ctx: Context, request: Request
) -> DeskPatientOut | JSONResponse:
    """Create the patient's account without a password. With an email address the patient is sent a link to choose
    one and take the account over; without one the patient exists without sign-in and is sent nothing."""
    try:
        with ctx.uow() as uow:
            created = desk_patients.register(uow, principal, body, tasks=ctx.tasks)
    except desk_patients.PossibleDuplicate as error:
        listed = [PatientOut.from_view(view).model_dump(mode='json') for view in error.duplicates]
        return domain_problem(request, error, extra={'duplicates': listed})
    return DeskPatientOut.from_view(created)


@router.get('/{patient_id}', summary="A patient's contact details and appointments", responses=_responses(404, 422))
def patient_detail(patient_id: IdPath, principal: FrontDesk, ctx: Context) -> DeskPatientDetailOut:
    """Contact details and appointments, upcoming and past; never clinical content."""
    with ctx.uow() as uow:
        detail = desk_patients.patient_detail(uow, principal, patient_id)
        detail = replace(detail, patient=no_shows.patient_with_counts(uow, ctx.settings, detail.patient))
    return DeskPatientDetailOut.from_view(detail, ctx.settings.zone)
