"""How dates and times read on every page: always in the clinic's time zone, always in one format.

'Tue 3 Mar 2026, 09:30' for a moment, 'Tue 3 Mar' for a day, '09:30' for a time of day. Date inputs keep ISO
values (what the browser's date picker speaks); everything shown to people comes from here.
"""

from __future__ import annotations

from datetime import date, datetime

from hms import context as app_context
from hms.services import notices


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment in the clinic's zone."""
    return moment.astimezone(app_context.get().settings.zone)


def moment(value: datetime | None, *, missing: str = '–') -> str:
    """'Tue 3 Mar 2026, 09:30' in the clinic's zone."""
    if value is None:
        return missing
    return notices.when(value, app_context.get().settings.zone)  # the same words as the clinic's messages


def time_of_day(value: datetime) -> str:
    """'09:30' in the clinic's zone."""
    return f'{local(value):%H:%M}'


def day(value: date, *, year: bool = False, long: bool = False) -> str:
    """'Tue 3 Mar' (with year: 'Tue 3 Mar 2026'; long: 'Tuesday 3 March')."""
    text = f'{value:%A} {value.day} {value:%B}' if long else f'{value:%a} {value.day} {value:%b}'
    return f'{text} {value.year}' if year else text


def date_only(value: date) -> str:
    """'3 Mar 2026': a date without its weekday (birthdays, export periods)."""
    return f'{value.day} {value:%b %Y}'


def span(start: datetime, end: datetime) -> str:
    """'Tue 3 Mar 2026, 09:30' to '10:00', joined by an en dash, in the clinic's zone."""
    return f'{moment(start)}\N{EN DASH}{time_of_day(end)}'


def zone_name() -> str:
    return app_context.get().settings.timezone
