"""Response bodies of the API (request bodies are the domain's commands).

A model declares what the API publishes of a service's view, as an allow-list: a field added to a view stays private
until it is added here, and the published document only grows (tests/test_api_contract.py). Nothing is copied by
hand: ``Model.from_view(view, zone)`` reads the view's attributes by name (nested views too) and shows every instant
(`ClinicTime`) with the offset of the clinic's time zone. A model that maps more than that says why, next to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Generic, Literal, Self, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

from hms.domain.enums import AppointmentStatus, ExportStatus, Gender, Role
from hms.services.exports import ExportView
from hms.services.records import DoctorSchedule


def _clinic_time(moment: datetime, info: ValidationInfo) -> datetime:
    """An instant in the clinic's zone (stored instants are UTC; a naive one is read as UTC)."""
    zone = info.context.get('zone') if isinstance(info.context, dict) else None
    if not isinstance(zone, ZoneInfo):
        raise ValueError('an instant is shown in the clinic time zone: read it with from_view(view, zone)')
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def _hour_minute(moment: object) -> object:
    return f'{moment:%H:%M}' if isinstance(moment, time) else moment


ClinicTime = Annotated[datetime, AfterValidator(_clinic_time)]
HourMinute = Annotated[str, BeforeValidator(_hour_minute)]


class ViewModel(BaseModel):
    """A response body read from a service view's attributes."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def from_view(cls, view: object, zone: ZoneInfo | None = None) -> Self:
        return cls.model_validate(view, context={'zone': zone})

    @classmethod
    def from_views(cls, views: Iterable[object], zone: ZoneInfo | None = None) -> list[Self]:
        return [cls.from_view(view, zone) for view in views]


ItemT = TypeVar('ItemT', bound=ViewModel)


class PageOut(ViewModel, Generic[ItemT]):
    """One page of a longer list (each page model names its items)."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


# --- Accounts ---------------------------------------------------------------------------------------------------------


class TokenOut(BaseModel):
    # Differs: the OAuth 2 token response (RFC 6749 names), made of the sign-in's token and principal.
    access_token: str
    token_type: Literal['bearer'] = 'bearer'  # noqa: S105 - the OAuth token type, not a secret
    role: Role
    user_id: int
    expires_at: datetime


class RegisteredOut(ViewModel):
    user_id: int = Field(validation_alias='id')  # read from the new account, whose key is `id`
    email: str
    role: Role
    name: str


class MeOut(RegisteredOut):
    user_id: int  # read from the principal
    must_change_password: bool


class Message(BaseModel):
    detail: str


# --- Scheduling -------------------------------------------------------------------------------------------------------


class DepartmentOut(ViewModel):
    id: int
    name: str
    description: str
    doctor_count: int


class DoctorOut(ViewModel):
    # Differs: the public profile leaves out the view's email and is_active (AdminDoctorOut has them).
    id: int
    name: str
    department_id: int
    department_name: str
    experience_years: int
    qualifications: str
    bio: str
    consultation_minutes: int


class AdminDoctorOut(DoctorOut):
    email: str
    is_active: bool


class NewDoctorOut(ViewModel):
    doctor: AdminDoctorOut
    initial_password: str = Field(description='shown once; the doctor must change it at first sign-in')


class DoctorDeactivatedOut(BaseModel):
    doctor: AdminDoctorOut
    cancelled: int = Field(description='upcoming appointments cancelled (their patients were notified)')


class DeactivationImpactOut(BaseModel):
    upcoming_appointments: int


class SlotOut(ViewModel):
    start: ClinicTime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    end: ClinicTime


class AppointmentOut(ViewModel):
    id: int
    doctor_id: int
    patient_id: int
    start: ClinicTime = Field(description="ISO 8601 with the offset of the clinic's time zone")
    end: ClinicTime
    status: AppointmentStatus
    reason: str
    doctor_name: str = ''
    department_name: str = ''
    patient_name: str = ''
    cancel_reason: str | None = None
    cancelled_by_role: str | None = None
    arrived_at: ClinicTime | None = Field(default=None, description='when the patient was checked in')
    called_at: ClinicTime | None = Field(default=None, description='when the doctor called the patient in')
    completed_at: ClinicTime | None = Field(default=None, description='when the visit was completed')
    ticket: str | None = Field(
        default=None, description="the waiting room's code for this visit (given at check-in), e.g. 'C-007'"
    )
    overbooked: bool = Field(default=False, description='a front-desk double-booking of a taken slot')
    walk_in: bool = Field(default=False, description='a visit added at the desk without a booking')
    confirmed_at: ClinicTime | None = Field(
        default=None, description='when the patient confirmed they will come (a one-tap link), else null'
    )


class AppointmentPage(PageOut[AppointmentOut]):
    pass


class WindowOut(ViewModel):
    start: HourMinute = Field(description='local clinic time, HH:MM', examples=['09:00'])
    end: HourMinute = Field(description='local clinic time, HH:MM', examples=['13:00'])


class WeeklyWindowOut(WindowOut):
    weekday: int = Field(description='0 = Monday … 6 = Sunday')

    @model_validator(mode='before')
    @classmethod
    def _from_pair(cls, item: Any) -> Any:
        # Differs: the view pairs a weekday with a window; the API sends one object.
        if isinstance(item, tuple):
            weekday, window = item
            return {'weekday': weekday, 'start': window.start, 'end': window.end}
        return item


class OverrideOut(ViewModel):
    date: date
    windows: list[WindowOut] = Field(description='none means a day off')

    @model_validator(mode='before')
    @classmethod
    def _from_pair(cls, item: Any) -> Any:
        # Differs: the view pairs a date with its windows; the API names both.
        if isinstance(item, tuple):
            day, windows = item
            return {'date': day, 'windows': windows}
        return item


class AvailabilityOut(ViewModel):
    weekly: list[WeeklyWindowOut]
    overrides: list[OverrideOut]


class AvailabilityUpdatedOut(AvailabilityOut):
    cancelled: list[int] = Field(description='ids of the appointments cancelled because confirm_cancel was given')


class PatientOut(ViewModel):
    id: int
    name: str
    email: str | None = Field(description='null: registered at the front desk without an address (cannot sign in)')
    phone: str
    address: str
    date_of_birth: date
    gender: Gender
    emergency_contact: str | None
    is_active: bool
    blocked_reason: str | None
    no_shows_12m: int = Field(default=0, description='appointments missed in the last 12 months')
    late_cancellations_12m: int = Field(
        default=0, description='cancelled for the patient after the online cut-off, in the last 12 months'
    )


class PatientPage(PageOut[PatientOut]):
    pass


class PatientDetailOut(ViewModel):
    patient: PatientOut
    appointments: list[AppointmentOut] = Field(description='newest first')


class AccountStatusOut(BaseModel):
    user_id: int
    is_active: bool
    cancelled: int = Field(description='upcoming appointments cancelled by this change')


# --- Clinical records -------------------------------------------------------------------------------------------------


class MyPatientOut(ViewModel):
    id: int = Field(validation_alias='patient_id')  # the row's `patient_id`
    name: str
    last_visit: ClinicTime | None = Field(description='start of the latest completed visit with you')
    next_visit: ClinicTime | None = Field(description='start of the next booked appointment with you')
    appointments: int = Field(description='appointments with you, of any status')


class MedicineOut(ViewModel):
    name: str
    dose: str = ''
    frequency: str = ''
    duration: str = ''
    instructions: str = ''

    @model_validator(mode='before')
    @classmethod
    def _lenient(cls, item: Any) -> Any:
        # Differs: a stored prescription is free JSON; a missing or empty entry reads as ''.
        if isinstance(item, Mapping):
            return {name: str(item.get(name) or '') for name in cls.model_fields}
        return item


class TreatmentOut(ViewModel):
    diagnosis: str
    treatment: str
    prescription: list[MedicineOut]
    tests: str
    notes: str = Field(description='notes meant for the patient')
    private_notes: str | None = Field(
        description='read only by the doctor who wrote them; null for everyone else (other doctors, clinic, patient)'
    )
    next_visit: date | None = Field(description='suggested date of the next visit')
    version: int = Field(description='1 for the first record, +1 per amendment')
    recorded_at: ClinicTime = Field(description='when this version was written')


class VisitOut(ViewModel):
    appointment: AppointmentOut
    treatment: TreatmentOut | None


class PatientSummaryOut(ViewModel):
    id: int
    name: str
    age: int
    gender: Gender
    blood_group: str | None
    allergies: str | None


class HistoryOut(ViewModel):
    patient: PatientSummaryOut
    visits: list[VisitOut] = Field(description='completed visits with every doctor, newest first')
    upcoming: list[AppointmentOut] = Field(description='booked appointments from now on, in time order')


class TreatmentVersionOut(ViewModel):
    version: int
    recorded_at: ClinicTime = Field(description='when this version was written')
    replaced_at: ClinicTime = Field(description='when an amendment replaced it')
    replaced_by: str = Field(description='who amended it')
    content: dict[str, Any] = Field(description='the record as it was: the fields of the treatment body')


class ScheduleCountsOut(ViewModel):
    booked: int
    arrived: int = Field(default=0, description='checked in, waiting to be called')
    in_consultation: int = 0
    completed: int
    cancelled: int
    no_show: int


class ScheduleEntryOut(ViewModel):
    appointment: AppointmentOut
    patient_age: int | None = Field(description="the patient's age today")


class DoctorScheduleOut(ViewModel):
    first: date
    last: date
    counts: ScheduleCountsOut
    entries: list[ScheduleEntryOut] = Field(description='in time order')

    @model_validator(mode='before')
    @classmethod
    def _counted(cls, view: Any) -> Any:
        # Differs: the view counts on demand; the API sends the count of each status.
        if isinstance(view, DoctorSchedule):
            counts = {status.value: view.count(status) for status in AppointmentStatus}
            return {'first': view.first, 'last': view.last, 'counts': counts, 'entries': view.entries}
        return view


class ProfileOut(ViewModel):
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
    no_shows_12m: int = Field(default=0, description='appointments you missed in the last 12 months')
    late_cancellations_12m: int = Field(
        default=0, description='appointments cancelled after the online cut-off in the last 12 months'
    )
    no_show_limit: int = Field(
        default=3, description='missed appointments in 12 months after which you book at the desk'
    )
    online_booking_paused: bool = Field(default=False, description='true once the limit is reached')


class AccessEntryOut(ViewModel):
    at: ClinicTime
    who: str = Field(description='"You", or the name of the person')
    role: str
    action: str


class NoticeOut(ViewModel):
    id: int
    created_at: ClinicTime
    subject: str
    body: str
    appointment_id: int | None
    read: bool


# --- Exports ----------------------------------------------------------------------------------------------------------


class ExportCreatedOut(ViewModel):
    id: int
    status: ExportStatus = Field(description='`queued`: follow it with `GET /api/exports/{id}`')


class ExportOut(ViewModel):
    id: int
    kind: str = Field(description='my-history, my-appointments, appointments, doctors or patients')
    status: ExportStatus = Field(description='queued, running, done or failed')
    rows: int | None = Field(description='data rows in the file (the header not counted) once done')
    error: str | None = Field(description='why it failed (never patient data)')
    first: date | None = Field(serialization_alias='from', description='first local date of the period, if any')
    last: date | None = Field(serialization_alias='to', description='last local date of the period, if any')
    created_at: ClinicTime
    finished_at: ClinicTime | None
    expires_at: ClinicTime = Field(description='the file is deleted after this; downloads then answer 410')
    expired: bool
    download: str | None = Field(description='the download path while the file is available')

    @model_validator(mode='before')
    @classmethod
    def _with_link(cls, view: Any) -> Any:
        # Differs: the API gives the download path of the route that serves the file, while there is one.
        if isinstance(view, ExportView):
            return {**vars(view), 'download': f'/api/exports/{view.id}/download' if view.downloadable else None}
        return view


# --- Background jobs (admin) ------------------------------------------------------------------------------------------


class JobRunOut(ViewModel):
    id: int
    job: str
    started_at: ClinicTime
    finished_at: ClinicTime | None
    seconds: float | None = Field(description='how long the run took; null while it runs')
    status: str = Field(description='running, done or failed')
    sent: int
    failed: int
    skipped: int = Field(description='already sent earlier, failed for good earlier, or being sent elsewhere')
    detail: dict[str, Any] = Field(description='e.g. {"month": "2026-03"} or {"day": "2026-03-02"}')
    triggered_by: str | None = Field(description='who ran it by hand; null for the schedule')


class JobOut(BaseModel):
    name: str
    can_run_now: bool = Field(description='`POST /api/admin/jobs/{name}/run` starts it')
    runs: list[JobRunOut] = Field(description='the latest runs, newest first')


class ReachabilityOut(ViewModel):
    redis_configured: bool
    redis_reachable: bool
    worker_reachable: bool
    workers: list[str] = Field(description='the workers that answered a ping')


class ComponentOut(ViewModel):
    name: Literal['redis', 'worker', 'scheduler', 'outbox']
    status: Literal['ok', 'late', 'down']
    seen_at: ClinicTime | None = Field(
        description='scheduler: its last heartbeat; outbox: when the oldest row not handed to the worker was written'
    )
    age_seconds: float | None = Field(description='seconds between seen_at and the check')
    evidence: str = Field(description='what the status rests on, in the language of the request')


class CacheStatsOut(BaseModel):
    hits: int
    misses: int
    available: bool


class JobsOut(BaseModel):
    jobs: list[JobOut]
    reachability: ReachabilityOut
    components: list[ComponentOut] = Field(
        description='each component, ok, late or down, from a real signal: redis (PING), worker (Celery ping), '
        'scheduler (its heartbeat), outbox (its oldest waiting row)'
    )
    failed_deliveries: int = Field(description='deliveries that failed for good (retry them one by one)')
    cache: CacheStatsOut = Field(description="this web process's cache counters")


class JobStartedOut(BaseModel):
    id: int = Field(description='the run; follow it at `GET /api/admin/jobs/runs/{id}`')
    job: str
    task: str
    detail: dict[str, Any]


class DeliveryOut(ViewModel):
    id: int
    key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str = Field(description='pending, sent or failed')
    attempts: int
    last_error: str | None
    created_at: ClinicTime
    sent_at: ClinicTime | None


class DeliveryPage(PageOut[DeliveryOut]):
    pass


class DeliveryRetryOut(BaseModel):
    delivery_id: int
    task: str = Field(description='the task that sends it again')
    run_id: int | None = Field(description='the job run that covers the retry, if any')
