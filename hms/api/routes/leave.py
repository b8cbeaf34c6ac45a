"""Doctors' leave and clinic closures (``hms.services.leave``), and the appointments they strand
(``hms.services.rescue``): a doctor manages their own leave; the administrator anyone's, the closures, and sees the
stranded appointments and their rescue."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status
from pydantic import Field

from hms.api.deps import AdminUser, Context, DoctorUser
from hms.api.params import IdPath
from hms.api.problems import ProblemFamily
from hms.api.schemas import ClinicTime, ViewModel
from hms.domain.waitlist import LeaveIn
from hms.services import leave, rescue

router = APIRouter(tags=['leave'])

_doctor = ProblemFamily(401, 403, described={403: 'Only doctors have their own leave'})
_admin = ProblemFamily(401, 403, described={403: 'Only the administrator'})
_INVALID = {422: 'Past or disordered dates, or a range too long'}


class LeaveOut(ViewModel):
    id: int
    doctor_id: int | None = Field(description='null for a clinic closure')
    doctor_name: str | None
    first_day: date
    last_day: date
    reason: str
    created_at: ClinicTime
    stranded: int = Field(description='booked appointments on these days whose patients were asked to rebook')


class StrandedOut(ViewModel):
    case_id: int
    appointment_id: int
    doctor_id: int
    doctor_name: str
    patient_id: int
    patient_name: str
    start: ClinicTime
    state: str = Field(description='open, rebooked, cancelled (at the deadline), withdrawn (the leave was) or gone')
    cause: str = Field(description='leave or closure')
    deadline: ClinicTime
    proposals: int = Field(description='free times proposed to the patient')
    new_appointment_id: int | None
    created_at: ClinicTime


@router.post(
    '/doctor/leave',
    status_code=status.HTTP_201_CREATED,
    summary='Enter my leave',
    responses=_doctor(422, described=_INVALID),
)
def add_my_leave(body: LeaveIn, principal: DoctorUser, ctx: Context) -> LeaveOut:
    """No free slots are published on these days. Booked appointments on them are not cancelled: each patient gets
    the nearest free times to choose from, and what is not rebooked by the deadline (`HMS_RESCUE_DEADLINE_HOURS`, or
    the appointment's start if sooner) is cancelled with notice."""
    with ctx.uow() as uow:
        return LeaveOut.from_view(leave.add_leave(uow, ctx.settings, principal, body), ctx.settings.zone)


@router.get('/doctor/leave', summary='My leave', responses=_doctor())
def my_leave(principal: DoctorUser, ctx: Context) -> list[LeaveOut]:
    """Your leave not over yet, in date order."""
    with ctx.uow() as uow:
        return LeaveOut.from_views(leave.leaves(uow, ctx.settings, principal), ctx.settings.zone)


@router.delete(
    '/doctor/leave/{leave_id}',
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary='Withdraw my leave',
    responses=_doctor(404, 422),
)
def remove_my_leave(leave_id: IdPath, principal: DoctorUser, ctx: Context) -> Response:
    """The days are open again: their rescue ends (appointments keep their time) and free time goes to the
    waitlist."""
    with ctx.uow() as uow:
        leave.remove_leave(uow, ctx.settings, principal, leave_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    '/admin/doctors/{doctor_id}/leave',
    status_code=status.HTTP_201_CREATED,
    summary="Enter a doctor's leave",
    responses=_admin(404, 422, described=_INVALID),
)
def add_leave(doctor_id: IdPath, body: LeaveIn, principal: AdminUser, ctx: Context) -> LeaveOut:
    """As `POST /api/doctor/leave`, for any doctor."""
    with ctx.uow() as uow:
        view = leave.add_leave(uow, ctx.settings, principal, body, doctor_id=doctor_id)
        return LeaveOut.from_view(view, ctx.settings.zone)


@router.get('/admin/leave', summary="Doctors' leave", responses=_admin())
def all_leave(principal: AdminUser, ctx: Context) -> list[LeaveOut]:
    """Every doctor's leave not over yet, in date order."""
    with ctx.uow() as uow:
        return LeaveOut.from_views(leave.leaves(uow, ctx.settings, principal), ctx.settings.zone)


@router.delete(
    '/admin/leave/{leave_id}',
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Withdraw a doctor's leave",
    responses=_admin(404, 422),
)
def remove_leave(leave_id: IdPath, principal: AdminUser, ctx: Context) -> Response:
    with ctx.uow() as uow:
        leave.remove_leave(uow, ctx.settings, principal, leave_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    '/admin/closures',
    status_code=status.HTTP_201_CREATED,
    summary='Close the clinic on some days',
    responses=_admin(422, described=_INVALID),
)
def add_closure(body: LeaveIn, principal: AdminUser, ctx: Context) -> LeaveOut:
    """A holiday: no doctor publishes free slots on these days; booked appointments are rescued as for a leave."""
    with ctx.uow() as uow:
        return LeaveOut.from_view(leave.add_closure(uow, ctx.settings, principal, body), ctx.settings.zone)


@router.get('/admin/closures', summary='Clinic closures', responses=_admin())
def all_closures(principal: AdminUser, ctx: Context) -> list[LeaveOut]:
    with ctx.uow() as uow:
        return LeaveOut.from_views(leave.closures(uow, ctx.settings, principal), ctx.settings.zone)


@router.delete(
    '/admin/closures/{closure_id}',
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary='Withdraw a closure',
    responses=_admin(404, 422),
)
def remove_closure(closure_id: IdPath, principal: AdminUser, ctx: Context) -> Response:
    with ctx.uow() as uow:
        leave.remove_closure(uow, ctx.settings, principal, closure_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get('/admin/stranded', summary='Stranded appointments', responses=_admin())
def stranded(principal: AdminUser, ctx: Context) -> list[StrandedOut]:
    """Appointments a leave or closure stranded and their rescue: every open case, and those of the last 30 days."""
    with ctx.uow() as uow:
        return StrandedOut.from_views(rescue.stranded(uow, principal), ctx.settings.zone)
