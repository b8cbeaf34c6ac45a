"""Validated commands, shared by pages and the API so that a rule about input is written once."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hms import clock
from hms.domain.emails import Email
from hms.domain.enums import Gender
from hms.domain.passwords import MAX_LENGTH, password_problem
from hms.i18n import _

from .text import clean_text, is_multi_line

_PHONE = re.compile(r'^\+?[0-9 ()\-.]{6,24}$')


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6:
        raise ValueError(_('Enter a phone number of digits, optionally starting with +.'))
    return value


def _strong_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Text fields are single-line unless marked MULTI_LINE; Command applies hms.domain.text's rule to every one.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
NewPassword = Annotated[str, Field(max_length=MAX_LENGTH), AfterValidator(_strong_password)]


class Command(BaseModel):
    model_config = ConfigDict(extra='forbid', str_max_length=10_000)

    @field_validator('*', mode='before')
    @classmethod
    def _clean_text(cls, value: object, info: ValidationInfo) -> object:
        """Every string field follows hms.domain.text's rule, before the length limits and the stripping of spaces
        see it (so a name of invisible characters only is still too short). Passwords are exempt: only ever hashed."""
        name = info.field_name or ''
        if not isinstance(value, str) or 'password' in name:
            return value
        return clean_text(value, multi_line=name in _multi_line_fields(cls))


@cache
def _multi_line_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, info in model.model_fields.items() if is_multi_line(info.annotation, info.metadata))


class PatientRegistration(Command):
    name: Name
    email: Email
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


class PasswordResetRequest(Command):
    email: str = Field(min_length=1, max_length=254)  # any text: the answer is the same for every address


class EmailVerification(Command):
    token: str = Field(min_length=1, max_length=128)


class PasswordReset(Command):
    token: str = Field(min_length=1, max_length=128)
    password: NewPassword
