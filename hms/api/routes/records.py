"""The signed-in doctor's clinical work: their patients and histories, the day's schedule, completing visits with a
treatment record, amending it (earlier versions kept), cancelling and marking no-shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query

from hms.api.deps import Context, DoctorUser
from hms.api.params import IdPath, ScheduleDay, ScheduleDays, check_days
from hms.api.problems import ProblemFamily
from hms.api.schemas import AppointmentOut, DoctorScheduleOut, HistoryOut, MyPatientOut, TreatmentVersionOut, VisitOut
from hms.context import AppContext
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import CancelIn
from hms.services import doctors, records
from hms.services.principal import Principal

from .appointments import cancel_appointment

router = APIRouter(prefix='/doctor', tags=['doctor'])

_responses = ProblemFamily(401, 403, described={403: 'Only doctors', 404: 'No such appointment among yours'})


def history_of(ctx: AppContext, principal: Principal, patient_id: int) -> HistoryOut:
    """A patient's history as a doctor or the administrator reads it (the read is audited)."""
    with ctx.uow() as uow:
        return HistoryOut.from_view(
            records.patient_history(uow, ctx.settings, principal, patient_id), ctx.settings.zone
        )


def schedule_of(
    ctx: AppContext, principal: Principal, first: date | None, days: int, doctor_id: int | None = None
) -> DoctorScheduleOut:
    """``days`` local days of a doctor's schedule from ``first`` (by default the caller's own, from today)."""
    check_days(first, None, first_name='date')
    with ctx.uow() as uow:
        if doctor_id is not None:
            doctors.get_doctor(uow, doctor_id, include_inactive=True)  # 404 unless the id is a doctor's
        view = records.doctor_schedule(uow, ctx.settings, principal, first=first, days=days, doctor_id=doctor_id)
    return DoctorScheduleOut.from_view(view, ctx.settings.zone)


def versions_of(ctx: AppContext, principal: Principal, appointment_id: int) -> list[TreatmentVersionOut]:
    with ctx.uow() as uow:
        versions = records.treatment_versions(uow, principal, appointment_id)
    return TreatmentVersionOut.from_views(versions, ctx.settings.zone)


@router.get('/patients', summary='My patients', responses=_responses(422))
def my_patients(
    principal: DoctorUser,
    ctx: Context,
    q: Annotated[str | None, Query(max_length=120, description='part of the name, any case')] = None,
) -> list[MyPatientOut]:
    """Everyone who has or had an appointment with you, by name, with their last visit and next appointment."""
    with ctx.uow() as uow:
        return MyPatientOut.from_views(records.my_patients(uow, principal, q), ctx.settings.zone)


@router.get(
    '/patients/{patient_id}/history',
    summary="A patient's history",
    responses=_responses(404, 422, described={404: 'No such patient among yours'}),
)
def patient_history(patient_id: IdPath, principal: DoctorUser, ctx: Context) -> HistoryOut:
    """Every completed visit of one of your patients, with any doctor (newest first), and their upcoming
    appointments. The patient sees in their access log that you looked."""
    return history_of(ctx, principal, patient_id)


@router.get('/schedule', summary='My day', responses=_responses(422))
def schedule(
    principal: DoctorUser, ctx: Context, first: ScheduleDay = None, days: ScheduleDays = 1
) -> DoctorScheduleOut:
    """Your appointments of `days` local days from `date`, in time order, with the patients' ages and counts per
    status."""
    return schedule_of(ctx, principal, first, days)


@router.post(
    '/appointments/{appointment_id}/complete',
    summary='Complete a visit',
    responses=_responses(
        404, 409, 422, described={409: 'The appointment is cancelled, already completed, no-show, or on a future day'}
    ),
)
def complete_visit(appointment_id: IdPath, body: TreatmentIn, principal: DoctorUser, ctx: Context) -> VisitOut:
    """Record the treatment (diagnosis required; a prescription of up to 30 medicines) and mark the appointment
    completed, in one step. Possible from the appointment's day on."""
    with ctx.uow() as uow:
        visit = records.complete_visit(uow, ctx.settings, principal, appointment_id, body)
    return VisitOut.from_view(visit, ctx.settings.zone)


@router.put(
    '/appointments/{appointment_id}/treatment',
    summary='Amend a treatment record',
    responses=_responses(
        404, 409, 422, described={409: 'The visit has no treatment record yet', 422: 'Invalid fields, or no change'}
    ),
)
def amend_treatment(appointment_id: IdPath, body: TreatmentIn, principal: DoctorUser, ctx: Context) -> VisitOut:
    """Replace the treatment record of a completed visit; the previous version is kept (see `/versions`)."""
    with ctx.uow() as uow:
        visit = records.amend_treatment(uow, ctx.settings, principal, appointment_id, body)
    return VisitOut.from_view(visit, ctx.settings.zone)


@router.get(
    '/appointments/{appointment_id}/treatment/versions',
    summary='Earlier versions of a treatment record',
    responses=_responses(404, 422),
)
def treatment_versions(appointment_id: IdPath, principal: DoctorUser, ctx: Context) -> list[TreatmentVersionOut]:
    """The versions amendments replaced, oldest first, with who replaced them and when (empty if never amended)."""
    return versions_of(ctx, principal, appointment_id)


@router.post(
    '/appointments/{appointment_id}/cancel',
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
    return cancel_appointment(ctx, principal, appointment_id, body)


@router.post(
    '/appointments/{appointment_id}/no-show',
    summary='Mark a no-show',
    responses=_responses(404, 409, 422, described={409: 'Not booked, or the appointment has not started yet'}),
)
def no_show(appointment_id: IdPath, principal: DoctorUser, ctx: Context) -> AppointmentOut:
    """Record that the patient did not come (once the appointment has started)."""
    with ctx.uow() as uow:
        return AppointmentOut.from_view(
            records.mark_no_show(uow, ctx.settings, principal, appointment_id), ctx.settings.zone
        )
