"""Path and query parameters shared by the routes, and the checks of a date range."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path, Query

from hms.domain.enums import AppointmentStatus
from hms.domain.errors import InvalidInput
from hms.i18n import _
from hms.i18n.formats import format_date

IdPath = Annotated[int, Path(gt=0, lt=2**63, description='a positive integer id')]
QueryId = Annotated[int | None, Query(gt=0, lt=2**63)]
FirstDay = Annotated[date | None, Query(alias='from', description='first local date, YYYY-MM-DD')]
LastDay = Annotated[date | None, Query(alias='to', description='last local date (included), YYYY-MM-DD')]
Statuses = Annotated[list[AppointmentStatus] | None, Query(alias='status', description='repeat to allow several')]
Limit = Annotated[int, Query(ge=1, le=500, description='page size')]
Offset = Annotated[int, Query(ge=0, le=10**9, description='items to skip')]
ScheduleDay = Annotated[date | None, Query(alias='date', description='first local date, YYYY-MM-DD (default: today)')]
ScheduleDays = Annotated[int, Query(ge=1, le=31, description='how many days from `date` (1 to 31)')]

EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def check_days(first: date | None, last: date | None, *, first_name: str = 'from', last_name: str = 'to') -> None:
    """Refuse (422) dates outside 1900-2999 and a range that ends before it starts."""
    errors = {
        name: _(
            'Choose a date between {first} and {last}.', first=format_date(EARLIEST_DAY), last=format_date(LATEST_DAY)
        )
        for name, day in ((first_name, first), (last_name, last))
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY
    }
    if not errors and first is not None and last is not None and last < first:
        errors[last_name] = _('`{last}` must not be before `{first}`.', last=last_name, first=first_name)
    if errors:
        problems = ' '.join(errors.values())
        raise InvalidInput(_('The date range is not valid. {problems}', problems=problems), field_errors=errors)


def day_bounds(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Local dates (both included) as the instants [start of ``first``, start of the day after ``last``)."""
    check_days(first, last)
    start = datetime.combine(first, time.min, tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone) if last else None
    return start, end
