"""Enumerations stored in the database as their string values."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = 'admin'
    DOCTOR = 'doctor'
    PATIENT = 'patient'
    RECEPTION = 'reception'  # the front desk: schedules and contact details, never clinical content


class Gender(StrEnum):
    FEMALE = 'female'
    MALE = 'male'
    OTHER = 'other'
    UNDISCLOSED = 'undisclosed'


class AppointmentStatus(StrEnum):
    # The day of the visit: booked -> arrived (checked in) -> in_consultation (called in) -> completed.
    BOOKED = 'booked'
    ARRIVED = 'arrived'
    IN_CONSULTATION = 'in_consultation'
    COMPLETED = 'completed'
    CANCELLED = 'cancelled'
    NO_SHOW = 'no_show'


class SessionKind(StrEnum):
    WEB = 'web'
    API = 'api'


class Channel(StrEnum):
    EMAIL = 'email'
    CHAT = 'chat'
    SMS = 'sms'


class DeliveryStatus(StrEnum):
    PENDING = 'pending'  # claimed, being sent (or its sender died: a re-run picks it up again)
    SENT = 'sent'
    FAILED = 'failed'  # permanent: shown to the admin, retried only on request


class ExportStatus(StrEnum):
    QUEUED = 'queued'
    RUNNING = 'running'
    DONE = 'done'
    FAILED = 'failed'
