"""Validated commands of the clinical record: treatments with prescriptions, and a patient's own profile."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from hms import clock
from hms.domain.emails import Email
from hms.i18n import _

from .enums import Gender
from .schemas import Address, Command, Name, Phone
from .text import MULTI_LINE

# Single-line unless marked MULTI_LINE (hms.domain.text): the multi-line ones are typed in text areas.
Required200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MULTI_LINE]
Text4000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), MULTI_LINE]
BLOOD_GROUPS = ('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-')


class MedicineIn(Command):
    name: Required200
    dose: Text100 = ''
    frequency: Text100 = ''
    duration: Text100 = ''
    instructions: Text500 = ''


class TreatmentIn(Command):
    diagnosis: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MULTI_LINE]
    treatment: Text4000 = ''
    prescription: list[MedicineIn] = Field(default_factory=list, max_length=30)
    tests: Text2000 = ''
    notes: Text4000 = Field(default='', description='notes meant for the patient')
    private_notes: Text4000 = Field(default='', description='clinical notes for clinicians only')
    next_visit: date | None = None

    @field_validator('next_visit')
    @classmethod
    def _plausible_next_visit(cls, value: date | None) -> date | None:
        # 'Not in the past' needs the clinic's calendar, so the service checks it; this only bounds the value.
        now = clock.now().date()
        if value is not None and value < now - timedelta(days=1):
            raise ValueError(_('The suggested next visit cannot be in the past.'))
        if value is not None and value.year > now.year + 5:
            raise ValueError(_('Suggest a next visit within five years.'))
        return value


class ProfilePatch(Command):
    """What a patient may change about themself (the email needs the password: see EmailChange)."""

    name: Name | None = None
    dob: date | None = None
    gender: Gender | None = None
    phone: Phone | None = None
    address: Address | None = None
    blood_group: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)] | None = None
    allergies: Text2000 | None = None
    emergency_contact: Text300 | None = None

    @field_validator('dob')
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        if value is None:
            return value
        today = clock.now().date()
        if value > today:
            raise ValueError(_('The date of birth cannot be in the future.'))
        if value.year < today.year - 130:
            raise ValueError(_('Enter a real date of birth.'))
        return value

    @field_validator('blood_group')
    @classmethod
    def _known_group(cls, value: str | None) -> str | None:
        if value in (None, ''):
            return value
        normalised = value.upper()
        if normalised not in BLOOD_GROUPS:
            raise ValueError(_('Choose one of {groups}.', groups=', '.join(BLOOD_GROUPS)))
        return normalised


class EmailChange(Command):
    new_email: Email
    password: str = Field(min_length=1, max_length=512)
