"""Response bodies of the API (request bodies are the domain's commands)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from fastapi import Path
from pydantic import BaseModel, Field

from hms.db.records import PatientOfDoctor
from hms.domain.enums import AppointmentStatus, ExportStatus, Gender, Role
from hms.domain.errors import InvalidInput
from hms.services.availability import AvailabilityView
from hms.services.exports import ExportView
from hms.services.jobs_admin import DeliveryView, Health, RunView
from hms.services.notices import NoticeView
from hms.services.profile import ProfileView
from hms.services.records import (
    AccessEntry,
    DoctorSchedule,
    HistoryView,
    PatientSummary,
    TreatmentView,
    VersionView,
    VisitView,
)
from hms.services.views import AppointmentView, DepartmentView, DoctorView, Page, PatientView, SlotView


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal['bearer'] = 'bearer'  # noqa: S105 - the OAuth token type, not a secret
    role: Role
    user_id: int
    expires_at: datetime


class MeOut(BaseModel):
    user_id: int
    email: str
    role: Role
    name: str
    must_change_password: bool


class RegisteredOut(BaseModel):
    user_id: int
    email: str
    role: Role
    name: str


class Message(BaseModel):
    detail: str


# --- Problems (documentation of the error bodies every route may answer) ---------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: `detail` is meant for people, `errors` names the invalid fields."""

    type: str = 'about:blank'
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: dict[str, str] | None = None


class AffectedAppointment(BaseModel):
    id: int
    start: datetime
    patient: str


class AvailabilityProblem(Problem):
    """409 when new availability would strand bookings; repeat with `confirm_cancel=true` to cancel them."""

    affected: list[AffectedAppointment]


_PROBLEM_DESCRIPTIONS = {
    401: 'Not signed in, or the session ended',
    403: 'Your role does not give access to this resource',
    404: 'No such resource (or not yours to see)',
    409: 'Conflict with the current state',
    422: 'Invalid input; `errors` names the fields',
}


def problem_responses(*codes: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: a problem body for each status code, with the usual or the given description."""
    descriptions = {**_PROBLEM_DESCRIPTIONS, **(described or {})}
    return {code: {'model': Problem, 'description': descriptions.get(code, 'Error')} for code in codes}


# --- Parameters shared by the routes ---------------------------------------------------------------------------------

IdPath = Annotated[int, Path(gt=0, lt=2**63, description='a positive integer id')]
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def check_days(first: date | None, last: date | None, *, first_name: str = 'from', last_name: str = 'to') -> None:
    """Refuse (422) dates outside 1900-2999 and a range that ends before it starts."""
    errors = {
        name: f'Choose a date between {EARLIEST_DAY} and {LATEST_DAY}.'
        for name, day in ((first_name, first), (last_name, last))
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY
    }
    if not errors and first is not None and last is not None and last < first:
        errors[last_name] = f'`{last_name}` must not be before `{first_name}`.'
    if errors:
        raise InvalidInput('The date range is not valid. ' + ' '.join(errors.values()), field_errors=errors)


def day_bounds(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Local dates (both included) as the instants [start of ``first``, start of the day after ``last``)."""
    check_days(first, last)
    start = datetime.combine(first, time.min, tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone) if last else None
    return start, end


# --- Scheduling -----------------------------------------------------------------------------------------------------


class DepartmentOut(BaseModel):
    id: int
    name: str
    description: str
    doctor_count: int

    @classmethod
    def of(cls, view: DepartmentView) -> DepartmentOut:
        return cls(id=view.id, name=view.name, description=view.description, doctor_count=view.doctor_count)


class DoctorOut(BaseModel):
    id: int
    name: str
    department_id: int
    department_name: str
    experience_years: int
    qualifications: str
    bio: str
    consultation_minutes: int

    @classmethod
    def of(cls, view: DoctorView) -> Self:
        fields = {name: getattr(view, name) for name in cls.model_fields}
        return cls(**fields)


class AdminDoctorOut(DoctorOut):
    email: str
    is_active: bool


class NewDoctorOut(BaseModel):
    doctor: AdminDoctorOut
    initial_password: str = Field(description='shown once; the doctor must change it at first sign-in')


class DoctorDeactivatedOut(BaseModel):
    doctor: AdminDoctorOut
    cancelled: int = Field(description='upcoming appointments cancelled (their patients were notified)')


class DeactivationImpactOut(BaseModel):
    upcoming_appointments: int


class SlotOut(BaseModel):
    start: datetime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    end: datetime

    @classmethod
    def of(cls, view: SlotView, zone: ZoneInfo) -> SlotOut:
        return cls(start=view.start.astimezone(zone), end=view.end.astimezone(zone))


class AppointmentOut(BaseModel):
    id: int
    doctor_id: int
    patient_id: int
    start: datetime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    end: datetime
    status: AppointmentStatus
    reason: str
    doctor_name: str = ''
    department_name: str = ''
    patient_name: str = ''
    cancel_reason: str | None = None
    cancelled_by_role: str | None = None

    @classmethod
    def of(cls, view: AppointmentView, zone: ZoneInfo) -> AppointmentOut:
        return cls(
            id=view.id, doctor_id=view.doctor_id, patient_id=view.patient_id, start=view.start.astimezone(zone),
            end=view.end.astimezone(zone), status=view.status, reason=view.reason, doctor_name=view.doctor_name,
            department_name=view.department_name, patient_name=view.patient_name, cancel_reason=view.cancel_reason,
            cancelled_by_role=view.cancelled_by_role,
        )  # fmt: skip


class AppointmentPage(BaseModel):
    items: list[AppointmentOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[AppointmentView], zone: ZoneInfo) -> AppointmentPage:
        items = [AppointmentOut.of(view, zone) for view in page.items]
        return cls(items=items, total=page.total, limit=page.limit, offset=page.offset)


class WindowOut(BaseModel):
    start: str = Field(description='local clinic time, HH:MM', examples=['09:00'])
    end: str = Field(description='local clinic time, HH:MM', examples=['13:00'])


class WeeklyWindowOut(WindowOut):
    weekday: int = Field(description='0 = Monday … 6 = Sunday')


class OverrideOut(BaseModel):
    date: date
    windows: list[WindowOut] = Field(description='none means a day off')


class AvailabilityOut(BaseModel):
    weekly: list[WeeklyWindowOut]
    overrides: list[OverrideOut]

    @classmethod
    def of(cls, view: AvailabilityView) -> AvailabilityOut:
        return cls(
            weekly=[WeeklyWindowOut(weekday=day, start=_hhmm(w.start), end=_hhmm(w.end)) for day, w in view.weekly],
            overrides=[
                OverrideOut(date=day, windows=[WindowOut(start=_hhmm(w.start), end=_hhmm(w.end)) for w in windows])
                for day, windows in view.overrides
            ],
        )


class AvailabilityUpdatedOut(AvailabilityOut):
    cancelled: list[int] = Field(description='ids of the appointments cancelled because confirm_cancel was given')


def _hhmm(moment: time) -> str:
    return f'{moment:%H:%M}'


class PatientOut(BaseModel):
    id: int
    name: str
    email: str
    phone: str
    address: str
    date_of_birth: date
    gender: Gender
    emergency_contact: str | None
    is_active: bool
    blocked_reason: str | None

    @classmethod
    def of(cls, view: PatientView) -> PatientOut:
        return cls(**{name: getattr(view, name) for name in cls.model_fields})


class PatientPage(BaseModel):
    items: list[PatientOut]
    total: int
    limit: int
    offset: int


class PatientDetailOut(BaseModel):
    patient: PatientOut
    appointments: list[AppointmentOut] = Field(description='newest first')


class AccountStatusOut(BaseModel):
    user_id: int
    is_active: bool
    cancelled: int = Field(description='upcoming appointments cancelled by this change')


# --- Clinical records -----------------------------------------------------------------------------------------------


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """An instant in the clinic's zone (stored instants are UTC; a naive one is read as UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


class MyPatientOut(BaseModel):
    id: int
    name: str
    last_visit: datetime | None = Field(description='start of the latest completed visit with you')
    next_visit: datetime | None = Field(description='start of the next booked appointment with you')
    appointments: int = Field(description='appointments with you, of any status')

    @classmethod
    def of(cls, row: PatientOfDoctor, zone: ZoneInfo) -> MyPatientOut:
        return cls(
            id=row.patient_id, name=row.name, appointments=row.appointments,
            last_visit=_in_zone(row.last_visit, zone) if row.last_visit else None,
            next_visit=_in_zone(row.next_visit, zone) if row.next_visit else None,
        )  # fmt: skip


class MedicineOut(BaseModel):
    name: str
    dose: str = ''
    frequency: str = ''
    duration: str = ''
    instructions: str = ''

    @classmethod
    def of(cls, item: dict[str, Any]) -> MedicineOut:
        return cls(**{name: str(item.get(name) or '') for name in cls.model_fields})


class TreatmentOut(BaseModel):
    diagnosis: str
    treatment: str
    prescription: list[MedicineOut]
    tests: str
    notes: str = Field(description='notes meant for the patient')
    private_notes: str | None = Field(description='for clinicians only; always null when the patient reads it')
    next_visit: date | None = Field(description='suggested date of the next visit')
    version: int = Field(description='1 for the first record, +1 per amendment')
    recorded_at: datetime = Field(description='when this version was written')

    @classmethod
    def of(cls, view: TreatmentView, zone: ZoneInfo, *, for_patient: bool = False) -> TreatmentOut:
        return cls(
            diagnosis=view.diagnosis, treatment=view.treatment,
            prescription=[MedicineOut.of(item) for item in view.prescription], tests=view.tests, notes=view.notes,
            private_notes=None if for_patient else view.private_notes, next_visit=view.next_visit,
            version=view.version, recorded_at=_in_zone(view.recorded_at, zone),
        )  # fmt: skip


class VisitOut(BaseModel):
    appointment: AppointmentOut
    treatment: TreatmentOut | None

    @classmethod
    def of(cls, view: VisitView, zone: ZoneInfo, *, for_patient: bool = False) -> VisitOut:
        treatment = TreatmentOut.of(view.treatment, zone, for_patient=for_patient) if view.treatment else None
        return cls(appointment=AppointmentOut.of(view.appointment, zone), treatment=treatment)


class PatientSummaryOut(BaseModel):
    id: int
    name: str
    age: int
    gender: Gender
    blood_group: str | None
    allergies: str | None

    @classmethod
    def of(cls, view: PatientSummary) -> PatientSummaryOut:
        return cls(**{name: getattr(view, name) for name in cls.model_fields})


class HistoryOut(BaseModel):
    patient: PatientSummaryOut
    visits: list[VisitOut] = Field(description='completed visits with every doctor, newest first')
    upcoming: list[AppointmentOut] = Field(description='booked appointments from now on, in time order')

    @classmethod
    def of(cls, view: HistoryView, zone: ZoneInfo, *, for_patient: bool = False) -> HistoryOut:
        return cls(
            patient=PatientSummaryOut.of(view.patient),
            visits=[VisitOut.of(visit, zone, for_patient=for_patient) for visit in view.visits],
            upcoming=[AppointmentOut.of(appointment, zone) for appointment in view.upcoming],
        )


class TreatmentVersionOut(BaseModel):
    version: int
    recorded_at: datetime = Field(description='when this version was written')
    replaced_at: datetime = Field(description='when an amendment replaced it')
    replaced_by: str = Field(description='who amended it')
    content: dict[str, Any] = Field(description='the record as it was: the fields of the treatment body')

    @classmethod
    def of(cls, view: VersionView, zone: ZoneInfo) -> TreatmentVersionOut:
        return cls(
            version=view.version, recorded_at=_in_zone(view.recorded_at, zone),
            replaced_at=_in_zone(view.replaced_at, zone), replaced_by=view.replaced_by, content=dict(view.content),
        )  # fmt: skip


class ScheduleCountsOut(BaseModel):
    booked: int
    completed: int
    cancelled: int
    no_show: int


class ScheduleEntryOut(BaseModel):
    appointment: AppointmentOut
    patient_age: int | None = Field(description="the patient's age today")


class DoctorScheduleOut(BaseModel):
    first: date
    last: date
    counts: ScheduleCountsOut
    entries: list[ScheduleEntryOut] = Field(description='in time order')

    @classmethod
    def of(cls, view: DoctorSchedule, zone: ZoneInfo) -> DoctorScheduleOut:
        counts = ScheduleCountsOut(**{status.value: view.count(status) for status in AppointmentStatus})
        entries = [
            ScheduleEntryOut(appointment=AppointmentOut.of(entry.appointment, zone), patient_age=entry.patient_age)
            for entry in view.entries
        ]
        return cls(first=view.first, last=view.last, counts=counts, entries=entries)


class ProfileOut(BaseModel):
    id: int
    name: str
    email: str
    dob: date
    gender: Gender
    phone: str
    address: str
    blood_group: str | None
    allergies: str | None
    emergency_contact: str | None

    @classmethod
    def of(cls, view: ProfileView) -> ProfileOut:
        return cls(**{name: getattr(view, name) for name in cls.model_fields})


class AccessEntryOut(BaseModel):
    at: datetime
    who: str = Field(description='"You", or the name of the person')
    role: str
    action: str

    @classmethod
    def of(cls, view: AccessEntry, zone: ZoneInfo) -> AccessEntryOut:
        return cls(at=_in_zone(view.at, zone), who=view.who, role=view.role, action=view.action)


class NoticeOut(BaseModel):
    id: int
    created_at: datetime
    subject: str
    body: str
    appointment_id: int | None
    read: bool

    @classmethod
    def of(cls, view: NoticeView, zone: ZoneInfo) -> NoticeOut:
        return cls(
            id=view.id, created_at=_in_zone(view.created_at, zone), subject=view.subject, body=view.body,
            appointment_id=view.appointment_id, read=view.read,
        )  # fmt: skip


# --- Exports ----------------------------------------------------------------------------------------------------------


class ExportCreatedOut(BaseModel):
    id: int
    status: ExportStatus = Field(description='`queued`: follow it with `GET /api/exports/{id}`')


class ExportOut(BaseModel):
    id: int
    kind: str = Field(description='my-history, my-appointments, appointments, doctors or patients')
    status: ExportStatus = Field(description='queued, running, done or failed')
    rows: int | None = Field(description='data rows in the file (the header not counted) once done')
    error: str | None = Field(description='why it failed (never patient data)')
    first: date | None = Field(serialization_alias='from', description='first local date of the period, if any')
    last: date | None = Field(serialization_alias='to', description='last local date of the period, if any')
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime = Field(description='the file is deleted after this; downloads then answer 410')
    expired: bool
    download: str | None = Field(description='the download path while the file is available')

    @classmethod
    def of(cls, view: ExportView, zone: ZoneInfo) -> ExportOut:
        return cls(
            id=view.id, kind=view.kind, status=view.status, rows=view.rows, error=view.error, first=view.first,
            last=view.last, created_at=_in_zone(view.created_at, zone),
            finished_at=_in_zone(view.finished_at, zone) if view.finished_at else None,
            expires_at=_in_zone(view.expires_at, zone), expired=view.expired,
            download=f'/api/exports/{view.id}/download' if view.downloadable else None,
        )  # fmt: skip


# --- Background jobs (admin) -----------------------------------------------------------------------------------------


class JobRunOut(BaseModel):
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None = Field(description='how long the run took; null while it runs')
    status: str = Field(description='running, done or failed')
    sent: int
    failed: int
    skipped: int = Field(description='already sent earlier, failed for good earlier, or being sent elsewhere')
    detail: dict[str, Any] = Field(description='e.g. {"month": "2026-03"} or {"day": "2026-03-02"}')
    triggered_by: str | None = Field(description='who ran it by hand; null for the schedule')

    @classmethod
    def of(cls, view: RunView, zone: ZoneInfo) -> JobRunOut:
        return cls(
            id=view.id, job=view.job, started_at=_in_zone(view.started_at, zone),
            finished_at=_in_zone(view.finished_at, zone) if view.finished_at else None, seconds=view.seconds,
            status=view.status, sent=view.sent, failed=view.failed, skipped=view.skipped, detail=view.detail,
            triggered_by=view.triggered_by,
        )  # fmt: skip


class JobOut(BaseModel):
    name: str
    can_run_now: bool = Field(description='`POST /api/admin/jobs/{name}/run` starts it')
    runs: list[JobRunOut] = Field(description='the latest runs, newest first')


class ReachabilityOut(BaseModel):
    redis_configured: bool
    redis_reachable: bool
    worker_reachable: bool
    workers: list[str] = Field(description='the workers that answered a ping')

    @classmethod
    def of(cls, health: Health) -> ReachabilityOut:
        return cls(**{name: getattr(health, name) for name in cls.model_fields})


class CacheStatsOut(BaseModel):
    hits: int
    misses: int
    available: bool


class JobsOut(BaseModel):
    jobs: list[JobOut]
    reachability: ReachabilityOut
    failed_deliveries: int = Field(description='deliveries that failed for good (retry them one by one)')
    cache: CacheStatsOut = Field(description="this web process's cache counters")


class JobStartedOut(BaseModel):
    id: int = Field(description='the run; follow it at `GET /api/admin/jobs/runs/{id}`')
    job: str
    task: str
    detail: dict[str, Any]


class DeliveryOut(BaseModel):
    id: int
    key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str = Field(description='pending, sent or failed')
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView, zone: ZoneInfo) -> DeliveryOut:
        values = {name: getattr(view, name) for name in cls.model_fields}
        values['created_at'] = _in_zone(view.created_at, zone)
        values['sent_at'] = _in_zone(view.sent_at, zone) if view.sent_at else None
        return cls(**values)


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int


class DeliveryRetryOut(BaseModel):
    delivery_id: int
    task: str = Field(description='the task that sends it again')
    run_id: int | None = Field(description='the job run that covers the retry, if any')
