"""The administrator's API: departments, doctors, patients, blacklisting and every appointment."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import Field

from hms.api.deps import AdminUser, Context, from_cache
from hms.api.params import (
    FirstDay,
    IdPath,
    LastDay,
    Limit,
    Offset,
    QueryId,
    ScheduleDay,
    ScheduleDays,
    Statuses,
    day_bounds,
)
from hms.api.problems import ProblemFamily
from hms.api.schemas import (
    AccountStatusOut,
    AdminDoctorOut,
    AppointmentPage,
    AvailabilityOut,
    AvailabilityUpdatedOut,
    ClinicTime,
    DeactivationImpactOut,
    DepartmentOut,
    DoctorDeactivatedOut,
    DoctorScheduleOut,
    HistoryOut,
    NewDoctorOut,
    PageOut,
    PatientDetailOut,
    PatientOut,
    PatientPage,
    TreatmentVersionOut,
    ViewModel,
)
from hms.context import AppContext
from hms.domain.criteria import AppointmentFilter, AuditFilter
from hms.domain.scheduling import (
    AvailabilityIn,
    DepartmentIn,
    DepartmentPatch,
    DoctorIn,
    DoctorPatch,
    PatientContactPatch,
    Reason,
)
from hms.domain.schemas import Command
from hms.services import appointments, audit, departments, doctors, no_shows, patients
from hms.services.principal import Principal

from .doctor import AVAILABILITY_PUT_RESPONSES, ConfirmCancel, availability_of, replace_availability
from .records import history_of, schedule_of, versions_of

router = APIRouter(prefix='/admin', tags=['admin'])

_responses = ProblemFamily(401, 403, described={403: 'Only the administrator'})
_EMAIL_TAKEN = {409: 'The email is already registered'}
SearchText = Annotated[str | None, Query(max_length=120, description='partial, any case')]


class BlacklistIn(Command):
    reason: Reason = Field(default='', description='kept with the account and shown to the administrators')


# --- Departments -----------------------------------------------------------------------------------------------------


@router.get('/departments', summary='List departments', responses=_responses())
def list_departments(principal: AdminUser, ctx: Context, response: Response) -> list[DepartmentOut]:
    """The same list everyone reads, through the cache (`X-Cache: HIT|MISS`)."""
    with ctx.uow() as uow:
        return DepartmentOut.from_views(from_cache(response, departments.list_departments_cached(uow)))


@router.post(
    '/departments',
    status_code=status.HTTP_201_CREATED,
    summary='Create a department',
    responses=_responses(409, 422, described={409: 'A department with this name exists'}),
)
def create_department(body: DepartmentIn, principal: AdminUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.from_view(departments.create_department(uow, principal, body))


@router.get('/departments/{department_id}', summary='One department', responses=_responses(404, 422))
def get_department(department_id: IdPath, principal: AdminUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.from_view(departments.get_department(uow, department_id))


@router.patch(
    '/departments/{department_id}',
    summary='Rename or describe a department',
    responses=_responses(404, 409, 422, described={409: 'A department with this name exists'}),
)
def update_department(
    department_id: IdPath, body: DepartmentPatch, principal: AdminUser, ctx: Context
) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.from_view(departments.update_department(uow, principal, department_id, body))


@router.delete(
    '/departments/{department_id}',
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary='Delete a department',
    responses=_responses(404, 409, 422, described={409: 'Doctors still belong to the department'}),
)
def delete_department(department_id: IdPath, principal: AdminUser, ctx: Context) -> Response:
    """Delete a department no doctor belongs to (move its doctors first)."""
    with ctx.uow() as uow:
        departments.delete_department(uow, principal, department_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Doctors ---------------------------------------------------------------------------------------------------------


@router.get('/doctors', summary='Search doctors', responses=_responses(422))
def search_doctors(
    principal: AdminUser,
    ctx: Context,
    response: Response,
    q: SearchText = None,
    specialization: Annotated[str | None, Query(max_length=120, description='department id or name')] = None,
    include_inactive: Annotated[bool, Query(description='also deactivated doctors')] = False,
) -> list[AdminDoctorOut]:
    """Through the cache (`X-Cache: HIT|MISS`); a search with deactivated doctors is cached apart from the others."""
    with ctx.uow() as uow:
        found = doctors.search_doctors_cached(
            uow, ctx.settings, text=q, specialization=specialization, include_inactive=include_inactive
        )
    return AdminDoctorOut.from_views(from_cache(response, found))


@router.post(
    '/doctors',
    status_code=status.HTTP_201_CREATED,
    summary='Add a doctor',
    responses=_responses(409, 422, described={**_EMAIL_TAKEN, 422: 'Invalid fields or no such department'}),
)
def add_doctor(body: DoctorIn, principal: AdminUser, ctx: Context) -> NewDoctorOut:
    """Create the doctor's account with a one-time password, to be changed at first sign-in."""
    with ctx.uow() as uow:
        return NewDoctorOut.from_view(doctors.add_doctor(uow, principal, body))


@router.get('/doctors/{doctor_id}', summary='One doctor', responses=_responses(404, 422))
def get_doctor(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> AdminDoctorOut:
    with ctx.uow() as uow:
        return AdminDoctorOut.from_view(doctors.get_doctor(uow, doctor_id, include_inactive=True))


@router.patch(
    '/doctors/{doctor_id}', summary='Edit a doctor', responses=_responses(404, 409, 422, described=_EMAIL_TAKEN)
)
def update_doctor(doctor_id: IdPath, body: DoctorPatch, principal: AdminUser, ctx: Context) -> AdminDoctorOut:
    with ctx.uow() as uow:
        return AdminDoctorOut.from_view(doctors.update_doctor(uow, principal, doctor_id, body))


@router.get(
    '/doctors/{doctor_id}/deactivation-impact',
    summary='What deactivating would cancel',
    responses=_responses(404, 422),
)
def deactivation_impact(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> DeactivationImpactOut:
    with ctx.uow() as uow:
        return DeactivationImpactOut(upcoming_appointments=doctors.deactivation_impact(uow, principal, doctor_id))


@router.delete('/doctors/{doctor_id}', summary='Deactivate a doctor', responses=_responses(404, 422))
def deactivate_doctor(
    doctor_id: IdPath,
    principal: AdminUser,
    ctx: Context,
    cancel_upcoming: Annotated[
        bool, Query(description='cancel their upcoming appointments (patients notified)')
    ] = True,
) -> DoctorDeactivatedOut:
    """Deactivate (never delete) a doctor: they can no longer sign in or be booked; records stay. Reactivate with
    `POST /api/admin/users/{id}/reactivate`."""
    with ctx.uow() as uow:
        doctors.get_doctor(uow, doctor_id, include_inactive=True)  # 404 unless the id is a doctor's
        cancelled = doctors.set_active(
            uow, ctx.settings, principal, doctor_id, active=False, cancel_upcoming=cancel_upcoming
        )
        view = doctors.get_doctor(uow, doctor_id, include_inactive=True)
    return DoctorDeactivatedOut(doctor=AdminDoctorOut.from_view(view), cancelled=cancelled)


@router.get('/doctors/{doctor_id}/availability', summary="A doctor's availability", responses=_responses(404, 422))
def get_doctor_availability(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> AvailabilityOut:
    return availability_of(ctx, principal, doctor_id)


@router.put(
    '/doctors/{doctor_id}/availability',
    response_model=AvailabilityUpdatedOut,
    summary="Replace a doctor's availability",
    responses=AVAILABILITY_PUT_RESPONSES,
)
def set_doctor_availability(
    doctor_id: IdPath,
    body: AvailabilityIn,
    principal: AdminUser,
    ctx: Context,
    request: Request,
    confirm_cancel: ConfirmCancel = False,
) -> AvailabilityUpdatedOut | JSONResponse:
    """As `PUT /api/doctor/availability`, for any doctor."""
    return replace_availability(ctx, principal, request, body, confirm_cancel=confirm_cancel, doctor_id=doctor_id)


@router.get('/doctors/{doctor_id}/schedule', summary="A doctor's schedule", responses=_responses(404, 422))
def doctor_schedule(
    doctor_id: IdPath, principal: AdminUser, ctx: Context, first: ScheduleDay = None, days: ScheduleDays = 1
) -> DoctorScheduleOut:
    """As `GET /api/doctor/schedule`, for any doctor (read-only)."""
    return schedule_of(ctx, principal, first, days, doctor_id=doctor_id)


# --- Patients and accounts -------------------------------------------------------------------------------------------


@router.get('/patients', summary='Search patients', responses=_responses(422))
def search_patients(
    principal: AdminUser,
    ctx: Context,
    q: Annotated[str | None, Query(max_length=120, description='name, patient ID, email or phone; partial')] = None,
    limit: Annotated[int, Query(ge=1, le=200, description='page size')] = 50,
    offset: Offset = 0,
) -> PatientPage:
    with ctx.uow() as uow:
        found = patients.search_patients(uow, principal, q, limit=limit, offset=offset)
        return PatientPage.from_view(no_shows.page_with_counts(uow, ctx.settings, found))


@router.get('/patients/{patient_id}', summary='A patient with their appointments', responses=_responses(404, 422))
def patient_detail(patient_id: IdPath, principal: AdminUser, ctx: Context) -> PatientDetailOut:
    with ctx.uow() as uow:
        detail = patients.patient_detail(uow, principal, patient_id)
        detail = replace(detail, patient=no_shows.patient_with_counts(uow, ctx.settings, detail.patient))
        return PatientDetailOut.from_view(detail, ctx.settings.zone)


@router.patch(
    '/patients/{patient_id}',
    summary="Edit a patient's contact details",
    responses=_responses(404, 409, 422, described=_EMAIL_TAKEN),
)
def update_patient(patient_id: IdPath, body: PatientContactPatch, principal: AdminUser, ctx: Context) -> PatientOut:
    with ctx.uow() as uow:
        return PatientOut.from_view(patients.update_contact(uow, principal, patient_id, body))


def _set_active(
    ctx: AppContext, principal: Principal, user_id: int, *, active: bool, reason: str = ''
) -> AccountStatusOut:
    with ctx.uow() as uow:
        cancelled = doctors.set_active(uow, ctx.settings, principal, user_id, active=active, reason=reason)
    return AccountStatusOut(user_id=user_id, is_active=active, cancelled=cancelled)


@router.post(
    '/users/{user_id}/blacklist',
    summary='Blacklist an account',
    responses=_responses(404, 422, described={403: 'Only the administrator, and never their own account'}),
)
def blacklist(
    user_id: IdPath,
    principal: AdminUser,
    ctx: Context,
    body: Annotated[BlacklistIn | None, Body()] = None,
) -> AccountStatusOut:
    """Deactivate any account: its sessions and tokens end at once, and a doctor's or patient's upcoming
    appointments are cancelled (the patients told)."""
    return _set_active(ctx, principal, user_id, active=False, reason=body.reason if body else '')


@router.post('/users/{user_id}/reactivate', summary='Reactivate an account', responses=_responses(404, 422))
def reactivate(user_id: IdPath, principal: AdminUser, ctx: Context) -> AccountStatusOut:
    """Let a blacklisted account sign in again (cancelled appointments stay cancelled)."""
    return _set_active(ctx, principal, user_id, active=True)


@router.get('/patients/{patient_id}/history', summary="A patient's history", responses=_responses(404, 422))
def patient_history(patient_id: IdPath, principal: AdminUser, ctx: Context) -> HistoryOut:
    """Every completed visit of the patient with any doctor (newest first, private notes included) and their
    upcoming appointments. The view is audited and shown in the patient's access log."""
    return history_of(ctx, principal, patient_id)


# --- Appointments ----------------------------------------------------------------------------------------------------


@router.get('/appointments', summary='Every appointment', responses=_responses(422))
def search_appointments(
    principal: AdminUser,
    ctx: Context,
    first: FirstDay = None,
    last: LastDay = None,
    doctor_id: QueryId = None,
    department_id: QueryId = None,
    patient_id: QueryId = None,
    statuses: Statuses = None,
    limit: Limit = 50,
    offset: Offset = 0,
    newest_first: Annotated[bool, Query(description='false: oldest first')] = True,
) -> AppointmentPage:
    """Filtered and paginated; `total` counts every match."""
    start_from, start_to = day_bounds(first, last, ctx.settings.zone)
    criteria = AppointmentFilter(
        start_from=start_from,
        start_to=start_to,
        doctor_id=doctor_id,
        patient_id=patient_id,
        department_id=department_id,
        statuses=tuple(statuses or ()),
    )
    with ctx.uow() as uow:
        page = appointments.search(uow, principal, criteria, limit=limit, offset=offset, newest_first=newest_first)
    return AppointmentPage.from_view(page, ctx.settings.zone)


@router.get(
    '/appointments/{appointment_id}/treatment/versions',
    summary='Earlier versions of a treatment record',
    responses=_responses(404, 422),
)
def treatment_versions(appointment_id: IdPath, principal: AdminUser, ctx: Context) -> list[TreatmentVersionOut]:
    """The versions amendments replaced, oldest first (empty if the record was never amended)."""
    return versions_of(ctx, principal, appointment_id)


# --- Audit log ------------------------------------------------------------------------------------------------------


class AuditEntryOut(ViewModel):
    id: int
    at: ClinicTime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: int | None
    subject_user_id: int | None
    ip: str | None
    success: bool
    detail: dict[str, Any] = Field(description='codes and counts only; never clinical values or secrets')


class AuditPage(PageOut[AuditEntryOut]):
    pass


@router.get('/audit', summary='The audit log, newest first', responses=_responses(422))
def audit_log(
    principal: AdminUser,
    ctx: Context,
    actor_id: QueryId = None,
    subject_user_id: QueryId = None,
    action: Annotated[str | None, Query(max_length=64, description="exact, or a prefix ending in '.'")] = None,
    first: FirstDay = None,
    last: LastDay = None,
    success: Annotated[bool | None, Query(description='only successes (true) or failures (false)')] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    since, until = day_bounds(first, last, ctx.settings.zone)
    where = AuditFilter(
        actor_id=actor_id,
        subject_user_id=subject_user_id,
        action=action or None,
        since=since,
        until=until,
        success=success,
    )
    with ctx.uow() as uow:
        return AuditPage.from_view(audit.browse(uow, principal, where, limit=limit, offset=offset), ctx.settings.zone)
