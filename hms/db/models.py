"""The schema. Each profile shares its user's id as primary key, so one id names a person everywhere."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from hms.domain.emails import look_alike_key
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus, ExportStatus, Gender, Role, SessionKind

from .types import UTCDateTime

NAMING_CONVENTION = {
    'ix': 'ix_%(column_0_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}


def _enum(enum_class: type, name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration on every backend.
    return Enum(enum_class, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = 'users'
    __table_args__ = (Index('ix_users_role_created', 'role', 'created_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored in its normal form (hms.domain.emails); None for a patient registered at the desk without an address,
    # who cannot sign in until one is set.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # How a non-ASCII address looks (hms.domain.emails.look_alike_key), None when that is the address itself: a new
    # address is refused when its look is another's address or look.
    email_look_alike: Mapped[str | None] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, 'role'), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Optional second factor (admins and doctors): the base32 secret, set once enrolment is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Display preferences, remembered per user rather than per browser.
    theme: Mapped[str] = mapped_column(String(8), default='auto', server_default='auto')  # auto | light | dark
    language: Mapped[str | None] = mapped_column(String(8), default=None)  # None: no choice, follow the browser
    # Self-registered with HMS_VERIFY_EMAIL on and the emailed link not opened yet: no sign-in until it is.
    verification_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text('false'))

    patient: Mapped[PatientProfile | None] = relationship(back_populates='user', uselist=False)
    doctor: Mapped[DoctorProfile | None] = relationship(back_populates='user', uselist=False)

    @validates('email')
    def _keep_the_look(self, _key: str, email: str | None) -> str | None:
        look = look_alike_key(email) if email is not None else None
        self.email_look_alike = look if look != email else None
        return email


class AdminProfile(Base):
    __tablename__ = 'admin_profiles'

    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32))


class Department(Base):
    __tablename__ = 'departments'
    __table_args__ = (Index('uq_departments_name_lower', text('lower(name)'), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default='')
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DoctorProfile(Base):
    __tablename__ = 'doctor_profiles'
    __table_args__ = (
        CheckConstraint('consultation_minutes BETWEEN 5 AND 240', name='consultation_minutes_range'),
        CheckConstraint('experience_years BETWEEN 0 AND 80', name='experience_years_range'),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey('departments.id', ondelete='RESTRICT'), index=True)
    experience_years: Mapped[int] = mapped_column(Integer, default=0)
    qualifications: Mapped[str] = mapped_column(String(500), default='')
    bio: Mapped[str] = mapped_column(Text, default='')
    consultation_minutes: Mapped[int] = mapped_column(Integer, default=20)

    user: Mapped[User] = relationship(back_populates='doctor')
    department: Mapped[Department] = relationship()


class PatientProfile(Base):
    __tablename__ = 'patient_profiles'

    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(_enum(Gender, 'gender'))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(300), default='')
    blood_group: Mapped[str | None] = mapped_column(String(8))
    allergies: Mapped[str | None] = mapped_column(Text)
    emergency_contact: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(back_populates='patient')


class WeeklyWindow(Base):
    """A recurring working window of a doctor, in the clinic's local time."""

    __tablename__ = 'weekly_windows'
    __table_args__ = (
        CheckConstraint('weekday BETWEEN 0 AND 6', name='weekday_range'),
        CheckConstraint('start_time < end_time', name='start_before_end'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class DateOverride(Base):
    """Replaces the weekly template on one date; no windows means a day off."""

    __tablename__ = 'date_overrides'
    __table_args__ = (UniqueConstraint('doctor_id', 'date', name='uq_date_overrides_doctor_date'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    date: Mapped[date] = mapped_column(Date)

    windows: Mapped[list[OverrideWindow]] = relationship(
        cascade='all, delete-orphan', order_by='OverrideWindow.start_time'
    )


class OverrideWindow(Base):
    __tablename__ = 'override_windows'
    __table_args__ = (CheckConstraint('start_time < end_time', name='start_before_end'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    override_id: Mapped[int] = mapped_column(ForeignKey('date_overrides.id', ondelete='CASCADE'), index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class Appointment(Base):
    __tablename__ = 'appointments'
    __table_args__ = (
        # One active booking per doctor and start; a cancelled slot can be booked again, and the front desk's
        # explicit double-bookings (overbooked) are a separate kind outside the guarantee.
        Index(
            'uq_appointments_doctor_start_active',
            'doctor_id',
            'start_at',
            unique=True,
            sqlite_where=text("status != 'cancelled' AND overbooked = false"),
            postgresql_where=text("status != 'cancelled' AND overbooked = false"),
        ),
        Index('ix_appointments_patient_start', 'patient_id', 'start_at'),
        # Covers the dashboard's GROUP BYs over a period (status, doctor, patient) without touching the table.
        Index('ix_appointments_start_cover', 'start_at', 'status', 'doctor_id', 'patient_id'),
        CheckConstraint('start_at < end_at', name='start_before_end'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='RESTRICT'))
    patient_id: Mapped[int] = mapped_column(ForeignKey('patient_profiles.user_id', ondelete='RESTRICT'))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, 'appointment_status'), default=AppointmentStatus.BOOKED
    )
    reason: Mapped[str] = mapped_column(String(500), default='')
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey('users.id'))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey('users.id'))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, raised on each change
    # The day of the visit: when the patient was checked in, called into consultation, and the visit completed.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ticket: Mapped[str | None] = mapped_column(String(12))  # the waiting room's code for this visit: no names shown
    overbooked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text('false'))
    override_reason: Mapped[str | None] = mapped_column(String(500))  # why the front desk double-booked
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text('false'))
    # When the patient confirmed they will come (a one-tap link); shown to the doctor and the front desk.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Treatment(Base):
    __tablename__ = 'treatments'

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey('appointments.id', ondelete='RESTRICT'), unique=True)
    diagnosis: Mapped[str] = mapped_column(Text)
    treatment_given: Mapped[str] = mapped_column(Text, default='')
    prescription: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tests_advised: Mapped[str] = mapped_column(Text, default='')
    notes: Mapped[str] = mapped_column(Text, default='')  # meant for the patient, shown in their history
    private_notes: Mapped[str] = mapped_column(Text, default='', server_default='')  # clinicians only
    next_visit_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey('users.id'))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class TreatmentVersion(Base):
    """A treatment record as it was before an amendment: amendments never overwrite history."""

    __tablename__ = 'treatment_versions'
    __table_args__ = (UniqueConstraint('treatment_id', 'version', name='uq_treatment_versions_treatment_version'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey('treatments.id', ondelete='RESTRICT'), index=True)
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when this version was written
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey('users.id'))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the amendment replaced it
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey('users.id'))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """Who did what, when and from where. Never passwords or clinical values."""

    __tablename__ = 'audit_log'
    __table_args__ = (
        Index('ix_audit_log_at', 'at'),
        Index('ix_audit_log_subject', 'subject_user_id', 'at'),
        Index('ix_audit_log_actor', 'actor_id', 'at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives any row it mentions
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    subject_user_id: Mapped[int | None] = mapped_column(Integer)  # whose record it concerns
    ip: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Tamper evidence: each row's hash covers its content and the previous row's hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class RecoveryCode(Base):
    """One-time codes that stand in for a lost authenticator; only their hashes are kept."""

    __tablename__ = 'recovery_codes'

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthSession(Base):
    """A server-side login: a web session or an API token. Only the token's hash is stored."""

    __tablename__ = 'auth_sessions'

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, 'session_kind'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Recent login attempts, keyed by a hash of the email so that throttling never stores addresses."""

    __tablename__ = 'login_attempts'
    __table_args__ = (
        Index('ix_login_attempts_email_at', 'email_key', 'at'),
        Index('ix_login_attempts_ip_at', 'ip', 'at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    email_key: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)


class Notice(Base):
    """A message to a user shown in the app (and, where configured, also sent by email by the jobs)."""

    __tablename__ = 'notices'
    __table_args__ = (Index('ix_notices_user_created', 'user_id', 'created_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default='')
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey('appointments.id', ondelete='SET NULL'))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One message on one channel, claimed by its unique key before it is sent: exactly once, even if a job re-runs
    or overlaps with itself. The subject never carries clinical detail; errors are technical, never message text."""

    __tablename__ = 'deliveries'
    __table_args__ = (Index('ix_deliveries_created', 'created_at'), Index('ix_deliveries_status', 'status'))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. 'reminder:2026-03-02:appointment:17:email'
    kind: Mapped[str] = mapped_column(String(30))  # reminder, confirmation, report, export
    channel: Mapped[Channel] = mapped_column(_enum(Channel, 'channel'))
    user_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey('appointments.id', ondelete='SET NULL'))
    recipient: Mapped[str] = mapped_column(String(254))  # email address, phone number or 'webhook'
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, 'delivery_status'))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The Celery node holding the claim: when that node starts again, its earlier claims are known to be abandoned.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobRun(Base):
    """A run of a scheduled job (when, how long, how many sent, failures), for the admin's Jobs page."""

    __tablename__ = 'job_runs'
    __table_args__ = (Index('ix_job_runs_job_started', 'job', 'started_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))  # daily-reminders, monthly-reports, export-cleanup
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default='running')  # running, done, failed
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. {"day": "2026-03-02"}
    triggered_by_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))


class Export(Base):
    """A user-triggered CSV export: the row the worker updates and the page reads when it opens later."""

    __tablename__ = 'exports'
    __table_args__ = (Index('ix_exports_owner_created', 'owner_id', 'created_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'))
    kind: Mapped[str] = mapped_column(String(30))  # my-history, my-appointments, appointments, doctors, patients
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ExportStatus] = mapped_column(_enum(ExportStatus, 'export_status'))
    rows: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(200))  # inside the exports folder; random, never guessable
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A task a committed change calls for (the patient's confirmation), written in that change's own transaction and
    handed to the broker afterwards: a broker that is down at commit time delays the task, it never loses it."""

    __tablename__ = 'outbox'
    __table_args__ = (
        Index('ix_outbox_pending', 'dispatched_at', 'id'),
        Index('ix_outbox_unfinished', 'done_at', 'dispatched_at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))  # the Celery task name, e.g. 'hms.appointment_email'
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids only, never personal data
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey('appointments.id', ondelete='CASCADE'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # being handed over right now (or abandoned)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the worker that ran the task: a row handed over but never done (the broker lost it) is handed over again.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CalendarFeed(Base):
    """A doctor's calendar subscription (/calendar/<secret>.ics). Only the secret's SHA-256 is kept; at most one
    feed per doctor is active (revoked_at unset), which the partial unique index enforces."""

    __tablename__ = 'calendar_feeds'
    __table_args__ = (
        Index(
            'uq_calendar_feeds_doctor_active',
            'doctor_id',
            unique=True,
            sqlite_where=text('revoked_at IS NULL'),
            postgresql_where=text('revoked_at IS NULL'),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountToken(Base):
    """A single-use link sent by email: a password reset or an address verification. Only the token's SHA-256 is
    kept; ``used_at`` is set once, by a conditional UPDATE, so of two uses at the same moment one wins."""

    __tablename__ = 'account_tokens'
    __table_args__ = (Index('ix_account_tokens_user_created', 'user_id', 'created_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'))
    purpose: Mapped[str] = mapped_column(String(20))  # 'reset' | 'verify'
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ActionLinkUse(Base):
    """A one-tap link (hms.services.action_links) that was used: its token's SHA-256, inserted once, so a link
    works once and of two uses at the same moment one wins (the primary key refuses the second)."""

    __tablename__ = 'action_link_uses'

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WaitingRoomBoard(Base):
    """A screen in the waiting room, opened by a device link (/board/<secret>) staff create and revoke: no personal
    account is signed in on a public screen. Only the secret's SHA-256 is kept; no department means the whole
    clinic."""

    __tablename__ = 'waiting_room_boards'

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey('departments.id', ondelete='CASCADE'), index=True)
    name: Mapped[str] = mapped_column(String(120), default='')
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey('users.id'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WaitlistEntry(Base):
    """A patient waiting for a doctor's or a department's free time between two dates (times of day optional).
    Exactly one of doctor and department; offered freed slots in the order entries were made (FIFO)."""

    __tablename__ = 'waitlist_entries'
    __table_args__ = (
        CheckConstraint('(doctor_id IS NULL) <> (department_id IS NULL)', name='doctor_or_department'),
        CheckConstraint('first_day <= last_day', name='days_in_order'),
        Index('ix_waitlist_entries_state_created', 'state', 'created_at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey('patient_profiles.user_id', ondelete='CASCADE'), index=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    department_id: Mapped[int | None] = mapped_column(ForeignKey('departments.id', ondelete='CASCADE'))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    times: Mapped[str] = mapped_column(String(40), default='')  # 'morning,afternoon' (empty: any time of day)
    state: Mapped[str] = mapped_column(String(12), default='waiting')  # waiting | booked | removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlotOffer(Base):
    """A free slot held for one waiting patient until ``expires_at``. At most one held offer per doctor and start
    (the partial unique index), so a slot is never offered to two patients at once."""

    __tablename__ = 'slot_offers'
    __table_args__ = (
        Index(
            'uq_slot_offers_doctor_start_held',
            'doctor_id',
            'start_at',
            unique=True,
            sqlite_where=text("state = 'held'"),
            postgresql_where=text("state = 'held'"),
        ),
        Index(
            'uq_slot_offers_entry_held',
            'entry_id',
            unique=True,
            sqlite_where=text("state = 'held'"),
            postgresql_where=text("state = 'held'"),
        ),
        Index('ix_slot_offers_state_expires', 'state', 'expires_at'),
        Index('ix_slot_offers_patient', 'patient_id', 'offered_at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey('waitlist_entries.id', ondelete='CASCADE'))
    patient_id: Mapped[int] = mapped_column(ForeignKey('patient_profiles.user_id', ondelete='CASCADE'))
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default='held')  # held | accepted | declined | expired | withdrawn
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey('appointments.id', ondelete='SET NULL'))


class FreedSlot(Base):
    """A booked slot that a cancellation gave back while it was still bookable: the dashboard's refill figure counts
    how many of them were booked again, and how soon."""

    __tablename__ = 'freed_slots'
    __table_args__ = (
        UniqueConstraint('doctor_id', 'start_at', 'freed_at', name='uq_freed_slots_doctor_start_freed'),
        Index('ix_freed_slots_freed_at', 'freed_at'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    freed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DoctorLeave(Base):
    """Days a doctor does not work (local dates, both included): no free slots are published on them."""

    __tablename__ = 'doctor_leaves'
    __table_args__ = (
        CheckConstraint('first_day <= last_day', name='days_in_order'),
        Index('ix_doctor_leaves_doctor_days', 'doctor_id', 'first_day', 'last_day'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey('doctor_profiles.user_id', ondelete='CASCADE'))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default='')
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))


class ClinicClosure(Base):
    """Days the whole clinic is closed (holidays; local dates, both included)."""

    __tablename__ = 'clinic_closures'
    __table_args__ = (
        CheckConstraint('first_day <= last_day', name='days_in_order'),
        Index('ix_clinic_closures_days', 'first_day', 'last_day'),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default='')
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))


class RescueCase(Base):
    """A booked appointment that a new leave or closure stranded: its patient was offered the nearest free slots
    (``proposals``: [{"start": iso, "doctor_id": n}]) until ``deadline_at``; unrebooked by then, it is cancelled."""

    __tablename__ = 'rescue_cases'
    __table_args__ = (Index('ix_rescue_cases_state_deadline', 'state', 'deadline_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey('appointments.id', ondelete='CASCADE'), unique=True)
    leave_id: Mapped[int | None] = mapped_column(ForeignKey('doctor_leaves.id', ondelete='SET NULL'))
    closure_id: Mapped[int | None] = mapped_column(ForeignKey('clinic_closures.id', ondelete='SET NULL'))
    state: Mapped[str] = mapped_column(String(12), default='open')  # open | rebooked | cancelled | withdrawn | gone
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_appointment_id: Mapped[int | None] = mapped_column(ForeignKey('appointments.id', ondelete='SET NULL'))
