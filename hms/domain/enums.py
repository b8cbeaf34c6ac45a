"""Enumerations stored in the database as their string values."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = 'admin'
    DOCTOR = 'doctor'
    PATIENT = 'patient'


class Gender(StrEnum):
    FEMALE = 'female'
    MALE = 'male'
    OTHER = 'other'
    UNDISCLOSED = 'undisclosed'


class AppointmentStatus(StrEnum):
    BOOKED = 'booked'
    COMPLETED = 'completed'
    CANCELLED = 'cancelled'
    NO_SHOW = 'no_show'


class SessionKind(StrEnum):
    WEB = 'web'
    API = 'api'
