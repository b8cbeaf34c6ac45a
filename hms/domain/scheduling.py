"""Validated commands of scheduling: departments, doctors, patients' contact details, availability, bookings."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from hms.domain.emails import Email
from hms.i18n import _
from hms.i18n.formats import format_date, format_time

from .schemas import Address, Command, Name, Phone
from .slots import Window, validate_day
from .text import MULTI_LINE

# Far enough to never limit a clinic, near enough that time-zone arithmetic cannot overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999

# Single-line unless marked MULTI_LINE (hms.domain.text): the multi-line ones are typed in text areas.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text4000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), MULTI_LINE]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), MULTI_LINE]
Id = Annotated[int, Field(gt=0, lt=2**63)]
Minutes = Annotated[int, Field(ge=5, le=240, description='consultation length in minutes')]
Years = Annotated[int, Field(ge=0, le=80)]


class DepartmentIn(Command):
    name: ShortText
    description: Text4000 = ''


class DepartmentPatch(Command):
    name: ShortText | None = None
    description: Text4000 | None = None


class DoctorIn(Command):
    name: Name
    email: Email
    department_id: Id
    experience_years: Years = 0
    qualifications: Text500 = ''
    bio: Text4000 = ''
    consultation_minutes: Minutes = 20


class DoctorPatch(Command):
    name: Name | None = None
    email: Email | None = None
    department_id: Id | None = None
    experience_years: Years | None = None
    qualifications: Text500 | None = None
    bio: Text4000 | None = None
    consultation_minutes: Minutes | None = None


class PatientContactPatch(Command):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None
    emergency_contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class WindowIn(Command):
    start: time = Field(description='local clinic time, HH:MM')
    end: time = Field(description='local clinic time, HH:MM')

    @model_validator(mode='after')
    def _ordered(self) -> WindowIn:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(_('Give times as HH:MM in the clinic time zone, without an offset.'))
        if not self.start < self.end:
            raise ValueError(
                _(
                    'The window {start}-{end} must start before it ends.',
                    start=format_time(self.start),
                    end=format_time(self.end),
                )
            )
        return self

    def window(self) -> Window:
        return Window(self.start, self.end)


class WeeklyWindowIn(WindowIn):
    weekday: int = Field(ge=0, le=6, description='0 = Monday … 6 = Sunday')


class OverrideIn(Command):
    date: Day
    windows: list[WindowIn] = Field(default_factory=list, max_length=24, description='none means a day off')

    @model_validator(mode='after')
    def _no_overlap(self) -> OverrideIn:
        validate_day(window.window() for window in self.windows)
        return self


class AvailabilityIn(Command):
    weekly: list[WeeklyWindowIn] = Field(default_factory=list, max_length=7 * 24)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=400)

    @model_validator(mode='after')
    def _consistent(self) -> AvailabilityIn:
        for weekday in range(7):
            validate_day(window.window() for window in self.weekly if window.weekday == weekday)
        dates = [override.date for override in self.overrides]
        duplicates = sorted({day for day in dates if dates.count(day) > 1})
        if duplicates:
            repeated = ', '.join(format_date(day) for day in duplicates)
            raise ValueError(_('Each date may have one override; repeated: {dates}.', dates=repeated))
        return self


def _plausible_moment(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(_('Give a time between the years {first} and {last}.', first=MIN_YEAR, last=MAX_YEAR))
    return value


def _plausible_day(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(_('Give a date between the years {first} and {last}.', first=MIN_YEAR, last=MAX_YEAR))
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]
Day = Annotated[date, AfterValidator(_plausible_day)]


class BookingIn(Command):
    doctor_id: Id
    start: Moment = Field(description='ISO 8601 with offset, e.g. 2026-12-01T09:00:00+01:00')
    reason: Reason = ''


class RescheduleIn(Command):
    start: Moment


class CancelIn(Command):
    reason: Reason = ''
