"""The signed-in doctor's clinical work: their patients and histories, the day's schedule, completing visits with a
treatment record, amending it (earlier versions kept), cancelling and marking no-shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from hms.api.deps import Context, DoctorUser
from hms.api.schemas import (
    AppointmentOut,
    DoctorScheduleOut,
    HistoryOut,
    IdPath,
    MyPatientOut,
    TreatmentVersionOut,
    VisitOut,
    check_days,
    problem_responses,
)
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import CancelIn
from hms.services import appointments, records

router = APIRouter(prefix='/doctor', tags=['doctor'])

_DOCTOR_ONLY = {403: 'Only doctors', 404: 'No such appointment among yours'}
ScheduleDay = Annotated[date | None, Query(alias='date', description='first local date, YYYY-MM-DD (default: today)')]
ScheduleDays = Annotated[int, Query(ge=1, le=31, description='how many days from `date` (1 to 31)')]


def _responses(*codes: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """401 and 403 (not a doctor), plus ``codes``."""
    return problem_responses(401, 403, *codes, described={**_DOCTOR_ONLY, **(described or {})})


@router.get('/patients', response_model=list[MyPatientOut], summary='My patients', responses=_responses(422))
def my_patients(
    principal: DoctorUser,
    ctx: Context,
    q: Annotated[str | None, Query(max_length=120, description='part of the name, any case')] = None,
) -> list[MyPatientOut]:
    """Everyone who has or had an appointment with you, by name, with their last visit and next appointment."""
    with ctx.uow() as uow:
        found = records.my_patients(uow, principal, q)
    return [MyPatientOut.of(row, ctx.settings.zone) for row in found]


@router.get(
    '/patients/{patient_id}/history',
    response_model=HistoryOut,
    summary="A patient's history",
    responses=_responses(404, 422, described={404: 'No such patient among yours'}),
)
def patient_history(patient_id: IdPath, principal: DoctorUser, ctx: Context) -> HistoryOut:
    """Every completed visit of one of your patients, with any doctor (newest first), and their upcoming
    appointments. The patient sees in their access log that you looked."""
    with ctx.uow() as uow:
        view = records.patient_history(uow, ctx.settings, principal, patient_id)
    return HistoryOut.of(view, ctx.settings.zone)


@router.get('/schedule', response_model=DoctorScheduleOut, summary='My day', responses=_responses(422))
def schedule(
    principal: DoctorUser, ctx: Context, first: ScheduleDay = None, days: ScheduleDays = 1
) -> DoctorScheduleOut:
    """Your appointments of `days` local days from `date`, in time order, with the patients' ages and counts per
    status."""
    check_days(first, None, first_name='date')
    with ctx.uow() as uow:
        view = records.doctor_schedule(uow, ctx.settings, principal, first=first, days=days)
    return DoctorScheduleOut.of(view, ctx.settings.zone)


@router.post(
    '/appointments/{appointment_id}/complete',
    response_model=VisitOut,
    summary='Complete a visit',
    responses=_responses(
        404,
        409,
        422,
        described={409: 'The appointment is cancelled, already completed, no-show, or on a future day'},
    ),
)
def complete_visit(appointment_id: IdPath, body: TreatmentIn, principal: DoctorUser, ctx: Context) -> VisitOut:
    """Record the treatment (diagnosis required; a prescription of up to 30 medicines) and mark the appointment
    completed, in one step. Possible from the appointment's day on."""
    with ctx.uow() as uow:
        visit = records.complete_visit(uow, ctx.settings, principal, appointment_id, body)
    return VisitOut.of(visit, ctx.settings.zone)


@router.put(
    '/appointments/{appointment_id}/treatment',
    response_model=VisitOut,
    summary='Amend a treatment record',
    responses=_responses(
        404, 409, 422, described={409: 'The visit has no treatment record yet', 422: 'Invalid fields, or no change'}
    ),
)
def amend_treatment(appointment_id: IdPath, body: TreatmentIn, principal: DoctorUser, ctx: Context) -> VisitOut:
    """Replace the treatment record of a completed visit; the previous version is kept (see `/versions`)."""
    with ctx.uow() as uow:
        visit = records.amend_treatment(uow, ctx.settings, principal, appointment_id, body)
    return VisitOut.of(visit, ctx.settings.zone)


@router.get(
    '/appointments/{appointment_id}/treatment/versions',
    response_model=list[TreatmentVersionOut],
    summary='Earlier versions of a treatment record',
    responses=_responses(404, 422),
)
def treatment_versions(appointment_id: IdPath, principal: DoctorUser, ctx: Context) -> list[TreatmentVersionOut]:
    """The versions amendments replaced, oldest first, with who replaced them and when (empty if never amended)."""
    with ctx.uow() as uow:
        versions = records.treatment_versions(uow, principal, appointment_id)
    return [TreatmentVersionOut.of(version, ctx.settings.zone) for version in versions]


@router.post(
    '/appointments/{appointment_id}/cancel',
    response_model=AppointmentOut,
    summary='Cancel an appointment',
    responses=_responses(
        404, 409, 422, described={409: 'The appointment is no longer booked', 422: 'A reason is required'}
    ),
)
def cancel(
    appointment_id: IdPath,
    principal: DoctorUser,
    ctx: Context,
    body: Annotated[CancelIn | None, Body(description='`reason` is required; the patient will see it')] = None,
) -> AppointmentOut:
    """Cancel one of your booked appointments with a reason; the patient gets a notice."""
    reason = body.reason if body else ''
    with ctx.uow() as uow:
        view = appointments.cancel(uow, ctx.settings, principal, appointment_id, reason)
    return AppointmentOut.of(view, ctx.settings.zone)


@router.post(
    '/appointments/{appointment_id}/no-show',
    response_model=AppointmentOut,
    summary='Mark a no-show',
    responses=_responses(404, 409, 422, described={409: 'Not booked, or the appointment has not started yet'}),
)
def no_show(appointment_id: IdPath, principal: DoctorUser, ctx: Context) -> AppointmentOut:
    """Record that the patient did not come (once the appointment has started)."""
    with ctx.uow() as uow:
        view = records.mark_no_show(uow, ctx.settings, principal, appointment_id)
    return AppointmentOut.of(view, ctx.settings.zone)
