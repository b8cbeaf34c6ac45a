"""Commands of the front desk and of the administrator's receptionist accounts."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from hms import clock
from hms.domain.emails import Email
from hms.domain.enums import Gender
from hms.domain.schemas import Address, Command, Name, Phone
from hms.i18n import _


class ReceptionistIn(Command):
    name: Name
    email: Email


class ReceptionistPatch(Command):
    name: Name | None = None
    email: Email | None = None


class DeskPatientIn(Command):
    """A patient registered at the desk: no password (an emailed link lets them choose one, when they have an
    address); ``confirm_new`` registers them even though someone like them exists."""

    name: Name
    dob: date
    phone: Phone
    email: Email | None = None
    gender: Gender = Gender.UNDISCLOSED
    address: Address = ''
    confirm_new: bool = Field(
        default=False, description='true: register even though a possible duplicate exists (the desk checked)'
    )

    @field_validator('email', mode='before')
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator('dob')
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        today = clock.now().date()
        if value > today:
            raise ValueError(_('The date of birth cannot be in the future.'))
        if value.year < today.year - 130:
            raise ValueError(_('Enter a real date of birth.'))
        return value
