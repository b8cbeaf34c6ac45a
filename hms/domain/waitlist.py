"""Validated commands of the waitlist, doctors' leave and clinic closures (their rules against today's date and the
clinic's data are the services': ``hms.services.waitlist`` and ``hms.services.leave``)."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from .scheduling import Day, Id
from .schemas import Command

LeaveReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
MAX_WAITLIST_DAYS = 92  # an entry covers at most about three months
MAX_LEAVE_DAYS = 366


class TimeOfDay(StrEnum):
    MORNING = 'morning'  # starts before 12:00
    AFTERNOON = 'afternoon'  # 12:00 to 16:59
    EVENING = 'evening'  # 17:00 and later


def time_of_day(moment: time) -> TimeOfDay:
    """When a slot starting at local ``moment`` falls."""
    if moment.hour < 12:
        return TimeOfDay.MORNING
    return TimeOfDay.AFTERNOON if moment.hour < 17 else TimeOfDay.EVENING


class WaitlistIn(Command):
    doctor_id: Id | None = Field(default=None, description='wait for this doctor (or give `department_id`)')
    department_id: Id | None = Field(default=None, description='wait for any doctor of this department')
    first_day: Day = Field(description='first local date, YYYY-MM-DD')
    last_day: Day = Field(description='last local date (included), YYYY-MM-DD')
    times: list[TimeOfDay] = Field(
        default_factory=list, max_length=3, description='preferred times of day; empty or absent: any time'
    )

    @field_validator('times')
    @classmethod
    def _unique(cls, times: list[TimeOfDay]) -> list[TimeOfDay]:
        return sorted(set(times), key=list(TimeOfDay).index)


class LeaveIn(Command):
    first_day: Day = Field(description='first local date, YYYY-MM-DD')
    last_day: Day = Field(description='last local date (included), YYYY-MM-DD')
    reason: LeaveReason = ''
