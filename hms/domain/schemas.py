"""Validated commands, shared by pages and the API so that a rule about input is written once."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hms import clock
from hms.domain.enums import Gender
from hms.domain.passwords import MAX_LENGTH, password_problem
from hms.i18n import _

# Clinics run staff mail on internal domains (clinic.local) and test on .test: accept those, refuse the rest of
# the special-use names (invalid, onion, arpa, localhost) as email-validator does.
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name not in {'local', 'test'}
]

_CONTROL_CHARS = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
_PHONE = re.compile(r'^\+?[0-9 ()\-.]{6,24}$')


def no_control_chars(value: str) -> str:
    """A validator for names and addresses: refuses control characters other than tabs and line breaks."""
    if _CONTROL_CHARS.search(value):
        raise ValueError(_('This field must not contain control characters.'))
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6:
        raise ValueError(_('Enter a phone number of digits, optionally starting with +.'))
    return value


def _strong_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), AfterValidator(no_control_chars)
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), AfterValidator(no_control_chars)]
NewPassword = Annotated[str, Field(max_length=MAX_LENGTH), AfterValidator(_strong_password)]


class Command(BaseModel):
    model_config = ConfigDict(extra='forbid', str_max_length=10_000)

    @field_validator('*', mode='after')
    @classmethod
    def _no_control_characters(cls, value: object, info: ValidationInfo) -> object:
        """Free text keeps line breaks and tabs, never other control characters (NUL breaks PostgreSQL, escape
        codes garble terminals and logs). Passwords are exempt: they are only ever hashed."""
        if isinstance(value, str) and 'password' not in (info.field_name or '') and _CONTROL_CHARS.search(value):
            raise ValueError(_('This field must not contain control characters (line breaks and tabs are fine).'))
        return value


class PatientRegistration(Command):
    name: Name
    email: EmailStr = Field(max_length=254)
    password: NewPassword
    dob: date
    phone: Phone
    address: Address = ''
    gender: Gender

    @field_validator('dob')
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        today = clock.now().date()
        if value > today:
            raise ValueError(_('The date of birth cannot be in the future.'))
        if value.year < today.year - 130:
            raise ValueError(_('Enter a real date of birth.'))
        return value

    @field_validator('password')
    @classmethod
    def _not_the_email(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, email=str(info.data.get('email') or ''))
        if problem:
            raise ValueError(problem)
        return value


class Credentials(Command):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=MAX_LENGTH * 4)


class PasswordChange(Command):
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH * 4)
    new_password: NewPassword
