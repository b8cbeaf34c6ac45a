"""The administrator's API: departments, doctors, patients, blacklisting and every appointment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hms.api.deps import AdminUser, Context
from hms.api.schemas import (
    AccountStatusOut,
    AdminDoctorOut,
    AppointmentOut,
    AppointmentPage,
    AvailabilityOut,
    AvailabilityUpdatedOut,
    DeactivationImpactOut,
    DepartmentOut,
    DoctorDeactivatedOut,
    DoctorScheduleOut,
    HistoryOut,
    IdPath,
    NewDoctorOut,
    PatientDetailOut,
    PatientOut,
    PatientPage,
    TreatmentVersionOut,
    check_days,
    day_bounds,
    problem_responses,
)
from hms.db.audit_log import AuditFilter
from hms.db.scheduling import AppointmentFilter
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import AvailabilityConflict
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
from hms.services import appointments, audit, availability, departments, doctors, patients, records

from .doctor import AVAILABILITY_PUT_RESPONSES, ConfirmCancel, availability_conflict
from .records import ScheduleDay, ScheduleDays

router = APIRouter(prefix='/admin', tags=['admin'])

_ADMIN = {403: 'Only the administrator'}
QueryId = Annotated[int | None, Query(gt=0, lt=2**63)]
Limit = Annotated[int, Query(ge=1, le=500, description='page size')]
Offset = Annotated[int, Query(ge=0, le=10**9, description='items to skip')]
SearchText = Annotated[str | None, Query(max_length=120, description='partial, any case')]


def _responses(*codes: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """401 and 403 (not the administrator), plus ``codes``."""
    return problem_responses(401, 403, *codes, described={**_ADMIN, **(described or {})})


class BlacklistIn(Command):
    reason: Reason = Field(default='', description='kept with the account and shown to the administrators')


# --- Departments -----------------------------------------------------------------------------------------------------


@router.get('/departments', response_model=list[DepartmentOut], summary='List departments', responses=_responses())
def list_departments(principal: AdminUser, ctx: Context, response: Response) -> list[DepartmentOut]:
    """The same list everyone reads, through the cache (`X-Cache: HIT|MISS`)."""
    with ctx.uow() as uow:
        found, hit = departments.list_departments_cached(uow)
    response.headers['X-Cache'] = 'HIT' if hit else 'MISS'
    return [DepartmentOut.of(view) for view in found]


@router.post(
    '/departments',
    status_code=status.HTTP_201_CREATED,
    response_model=DepartmentOut,
    summary='Create a department',
    responses=_responses(409, 422, described={409: 'A department with this name exists'}),
)
def create_department(body: DepartmentIn, principal: AdminUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.of(departments.create_department(uow, principal, body))


@router.get(
    '/departments/{department_id}',
    response_model=DepartmentOut,
    summary='One department',
    responses=_responses(404, 422),
)
def get_department(department_id: IdPath, principal: AdminUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.of(departments.get_department(uow, department_id))


@router.patch(
    '/departments/{department_id}',
    response_model=DepartmentOut,
    summary='Rename or describe a department',
    responses=_responses(404, 409, 422, described={409: 'A department with this name exists'}),
)
def update_department(
    department_id: IdPath, body: DepartmentPatch, principal: AdminUser, ctx: Context
) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.of(departments.update_department(uow, principal, department_id, body))


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


@router.get('/doctors', response_model=list[AdminDoctorOut], summary='Search doctors', responses=_responses(422))
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
        found, hit = doctors.search_doctors_cached(
            uow, ctx.settings, text=q, specialization=specialization, include_inactive=include_inactive
        )
    response.headers['X-Cache'] = 'HIT' if hit else 'MISS'
    return [AdminDoctorOut.of(view) for view in found]


@router.post(
    '/doctors',
    status_code=status.HTTP_201_CREATED,
    response_model=NewDoctorOut,
    summary='Add a doctor',
    responses=_responses(
        409, 422, described={409: 'The email is already registered', 422: 'Invalid fields or no such department'}
    ),
)
def add_doctor(body: DoctorIn, principal: AdminUser, ctx: Context) -> NewDoctorOut:
    """Create the doctor's account with a one-time password, to be changed at first sign-in."""
    with ctx.uow() as uow:
        new = doctors.add_doctor(uow, principal, body)
    return NewDoctorOut(doctor=AdminDoctorOut.of(new.doctor), initial_password=new.initial_password)


@router.get('/doctors/{doctor_id}', response_model=AdminDoctorOut, summary='One doctor', responses=_responses(404, 422))
def get_doctor(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> AdminDoctorOut:
    with ctx.uow() as uow:
        return AdminDoctorOut.of(doctors.get_doctor(uow, doctor_id, include_inactive=True))


@router.patch(
    '/doctors/{doctor_id}',
    response_model=AdminDoctorOut,
    summary='Edit a doctor',
    responses=_responses(404, 409, 422, described={409: 'The email is already registered'}),
)
def update_doctor(doctor_id: IdPath, body: DoctorPatch, principal: AdminUser, ctx: Context) -> AdminDoctorOut:
    with ctx.uow() as uow:
        return AdminDoctorOut.of(doctors.update_doctor(uow, principal, doctor_id, body))


@router.get(
    '/doctors/{doctor_id}/deactivation-impact',
    response_model=DeactivationImpactOut,
    summary='What deactivating would cancel',
    responses=_responses(404, 422),
)
def deactivation_impact(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> DeactivationImpactOut:
    with ctx.uow() as uow:
        return DeactivationImpactOut(upcoming_appointments=doctors.deactivation_impact(uow, principal, doctor_id))


@router.delete(
    '/doctors/{doctor_id}',
    response_model=DoctorDeactivatedOut,
    summary='Deactivate a doctor',
    responses=_responses(404, 422),
)
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
    return DoctorDeactivatedOut(doctor=AdminDoctorOut.of(view), cancelled=cancelled)


@router.get(
    '/doctors/{doctor_id}/availability',
    response_model=AvailabilityOut,
    summary="A doctor's availability",
    responses=_responses(404, 422),
)
def get_doctor_availability(doctor_id: IdPath, principal: AdminUser, ctx: Context) -> AvailabilityOut:
    with ctx.uow() as uow:
        return AvailabilityOut.of(availability.get_availability(uow, ctx.settings, principal, doctor_id))


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
    try:
        with ctx.uow() as uow:
            cancelled = availability.set_availability(
                uow, ctx.settings, principal, body, doctor_id=doctor_id, confirm_cancel=confirm_cancel
            )
    except AvailabilityConflict as error:
        return availability_conflict(request, error)
    with ctx.uow() as uow:
        current = AvailabilityOut.of(availability.get_availability(uow, ctx.settings, principal, doctor_id))
    return AvailabilityUpdatedOut(cancelled=cancelled, weekly=current.weekly, overrides=current.overrides)


@router.get(
    '/doctors/{doctor_id}/schedule',
    response_model=DoctorScheduleOut,
    summary="A doctor's schedule",
    responses=_responses(404, 422),
)
def doctor_schedule(
    doctor_id: IdPath, principal: AdminUser, ctx: Context, first: ScheduleDay = None, days: ScheduleDays = 1
) -> DoctorScheduleOut:
    """As `GET /api/doctor/schedule`, for any doctor (read-only)."""
    check_days(first, None, first_name='date')
    with ctx.uow() as uow:
        doctors.get_doctor(uow, doctor_id, include_inactive=True)  # 404 unless the id is a doctor's
        view = records.doctor_schedule(uow, ctx.settings, principal, first=first, days=days, doctor_id=doctor_id)
    return DoctorScheduleOut.of(view, ctx.settings.zone)


# --- Patients and accounts -------------------------------------------------------------------------------------------


@router.get('/patients', response_model=PatientPage, summary='Search patients', responses=_responses(422))
def search_patients(
    principal: AdminUser,
    ctx: Context,
    q: Annotated[str | None, Query(max_length=120, description='name, patient ID, email or phone; partial')] = None,
    limit: Annotated[int, Query(ge=1, le=200, description='page size')] = 50,
    offset: Offset = 0,
) -> PatientPage:
    with ctx.uow() as uow:
        page = patients.search_patients(uow, principal, q, limit=limit, offset=offset)
    return PatientPage(
        items=[PatientOut.of(view) for view in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.get(
    '/patients/{patient_id}',
    response_model=PatientDetailOut,
    summary='A patient with their appointments',
    responses=_responses(404, 422),
)
def patient_detail(patient_id: IdPath, principal: AdminUser, ctx: Context) -> PatientDetailOut:
    with ctx.uow() as uow:
        detail = patients.patient_detail(uow, principal, patient_id)
    zone = ctx.settings.zone
    return PatientDetailOut(
        patient=PatientOut.of(detail.patient), appointments=[AppointmentOut.of(a, zone) for a in detail.appointments]
    )


@router.patch(
    '/patients/{patient_id}',
    response_model=PatientOut,
    summary="Edit a patient's contact details",
    responses=_responses(404, 409, 422, described={409: 'The email is already registered'}),
)
def update_patient(patient_id: IdPath, body: PatientContactPatch, principal: AdminUser, ctx: Context) -> PatientOut:
    with ctx.uow() as uow:
        return PatientOut.of(patients.update_contact(uow, principal, patient_id, body))


@router.post(
    '/users/{user_id}/blacklist',
    response_model=AccountStatusOut,
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
    reason = body.reason if body else ''
    with ctx.uow() as uow:
        cancelled = doctors.set_active(uow, ctx.settings, principal, user_id, active=False, reason=reason)
    return AccountStatusOut(user_id=user_id, is_active=False, cancelled=cancelled)


@router.post(
    '/users/{user_id}/reactivate',
    response_model=AccountStatusOut,
    summary='Reactivate an account',
    responses=_responses(404, 422),
)
def reactivate(user_id: IdPath, principal: AdminUser, ctx: Context) -> AccountStatusOut:
    """Let a blacklisted account sign in again (cancelled appointments stay cancelled)."""
    with ctx.uow() as uow:
        cancelled = doctors.set_active(uow, ctx.settings, principal, user_id, active=True)
    return AccountStatusOut(user_id=user_id, is_active=True, cancelled=cancelled)


@router.get(
    '/patients/{patient_id}/history',
    response_model=HistoryOut,
    summary="A patient's history",
    responses=_responses(404, 422),
)
def patient_history(patient_id: IdPath, principal: AdminUser, ctx: Context) -> HistoryOut:
    """Every completed visit of the patient with any doctor (newest first, private notes included) and their
    upcoming appointments. The view is audited and shown in the patient's access log."""
    with ctx.uow() as uow:
        view = records.patient_history(uow, ctx.settings, principal, patient_id)
    return HistoryOut.of(view, ctx.settings.zone)


# --- Appointments ----------------------------------------------------------------------------------------------------


@router.get('/appointments', response_model=AppointmentPage, summary='Every appointment', responses=_responses(422))
def search_appointments(
    principal: AdminUser,
    ctx: Context,
    first: Annotated[date | None, Query(alias='from', description='first local date, YYYY-MM-DD')] = None,
    last: Annotated[date | None, Query(alias='to', description='last local date (included), YYYY-MM-DD')] = None,
    doctor_id: QueryId = None,
    department_id: QueryId = None,
    patient_id: QueryId = None,
    statuses: Annotated[
        list[AppointmentStatus] | None, Query(alias='status', description='repeat to allow several')
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    newest_first: Annotated[bool, Query(description='false: oldest first')] = True,
) -> AppointmentPage:
    """Filtered and paginated; `total` counts every match."""
    start_from, start_to = day_bounds(first, last, ctx.settings.zone)
    criteria = AppointmentFilter(
        start_from=start_from, start_to=start_to, doctor_id=doctor_id, patient_id=patient_id,
        department_id=department_id, statuses=tuple(statuses or ()),
    )  # fmt: skip
    with ctx.uow() as uow:
        page = appointments.search(uow, principal, criteria, limit=limit, offset=offset, newest_first=newest_first)
    return AppointmentPage.of(page, ctx.settings.zone)


@router.get(
    '/appointments/{appointment_id}/treatment/versions',
    response_model=list[TreatmentVersionOut],
    summary='Earlier versions of a treatment record',
    responses=_responses(404, 422),
)
def treatment_versions(appointment_id: IdPath, principal: AdminUser, ctx: Context) -> list[TreatmentVersionOut]:
    """The versions amendments replaced, oldest first (empty if the record was never amended)."""
    with ctx.uow() as uow:
        versions = records.treatment_versions(uow, principal, appointment_id)
    return [TreatmentVersionOut.of(version, ctx.settings.zone) for version in versions]


# --- Audit log ------------------------------------------------------------------------------------------------------


class AuditEntryOut(BaseModel):
    id: int
    at: datetime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: int | None
    subject_user_id: int | None
    ip: str | None
    success: bool
    detail: dict[str, Any] = Field(description='codes and counts only; never clinical values or secrets')


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


@router.get('/audit', response_model=AuditPage, summary='The audit log, newest first', responses=_responses(422))
def audit_log(
    principal: AdminUser,
    ctx: Context,
    actor_id: QueryId = None,
    subject_user_id: QueryId = None,
    action: Annotated[str | None, Query(max_length=64, description="exact, or a prefix ending in '.'")] = None,
    first: Annotated[date | None, Query(alias='from', description='first local date, YYYY-MM-DD')] = None,
    last: Annotated[date | None, Query(alias='to', description='last local date (included), YYYY-MM-DD')] = None,
    success: Annotated[bool | None, Query(description='only successes (true) or failures (false)')] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    since, until = day_bounds(first, last, ctx.settings.zone)
    where = AuditFilter(
        actor_id=actor_id, subject_user_id=subject_user_id, action=action or None, since=since, until=until,
        success=success,
    )  # fmt: skip
    with ctx.uow() as uow:
        page = audit.browse(uow, principal, where, limit=limit, offset=offset)
    zone = ctx.settings.zone
    items = [AuditEntryOut(**{**item.__dict__, 'at': item.at.astimezone(zone)}) for item in page.items]
    return AuditPage(items=items, total=page.total, limit=page.limit, offset=page.offset)
