"""How dates and times read on every page: always in the clinic's time zone, always in one format.

'Tue 3 Mar 2026, 09:30' for a moment, 'Tue 3 Mar' for a day, '09:30' for a time of day. Date inputs keep ISO
values (what the browser's date picker speaks); everything shown to people comes from here.
"""

from __future__ import annotations

from datetime import date, datetime

from hms import context as app_context
from hms.services import notices

from .i18n import language

# German names (English ones come from strftime in the C locale, which the server runs in)
WEEKDAYS_DE = ('Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa', 'So')
WEEKDAYS_DE_LONG = ('Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag', 'Sonntag')
MONTHS_DE = ('Jan', 'Feb', 'Mär', 'Apr', 'Mai', 'Jun', 'Jul', 'Aug', 'Sep', 'Okt', 'Nov', 'Dez')
MONTHS_DE_LONG = (
    'Januar',
    'Februar',
    'März',
    'April',
    'Mai',
    'Juni',
    'Juli',
    'August',
    'September',
    'Oktober',
    'November',
    'Dezember',
)


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment in the clinic's zone."""
    return moment.astimezone(app_context.get().settings.zone)


def moment(value: datetime | None, *, missing: str = '–') -> str:
    """'Tue 3 Mar 2026, 09:30' in the clinic's zone."""
    if value is None:
        return missing
    if language() == 'de':
        at = local(value)
        return f'{day(at.date(), year=True)}, {at:%H:%M}'
    return notices.when(value, app_context.get().settings.zone)  # the same words as the clinic's messages


def time_of_day(value: datetime) -> str:
    """'09:30' in the clinic's zone."""
    return f'{local(value):%H:%M}'


def day(value: date, *, year: bool = False, long: bool = False) -> str:
    """'Tue 3 Mar' (with year: 'Tue 3 Mar 2026'; long: 'Tuesday 3 March')."""
    if language() == 'de':  # 'Di., 3. März' / 'Dienstag, 3. März'
        weekday = WEEKDAYS_DE_LONG[value.weekday()] if long else WEEKDAYS_DE[value.weekday()] + '.'
        month = (MONTHS_DE_LONG if long else MONTHS_DE)[value.month - 1]
        text = f'{weekday}, {value.day}. {month}'
    else:
        text = f'{value:%A} {value.day} {value:%B}' if long else f'{value:%a} {value.day} {value:%b}'
    return f'{text} {value.year}' if year else text


def date_only(value: date) -> str:
    """'3 Mar 2026': a date without its weekday (birthdays, export periods)."""
    if language() == 'de':
        return f'{value.day}. {MONTHS_DE[value.month - 1]} {value.year}'
    return f'{value.day} {value:%b %Y}'


def span(start: datetime, end: datetime) -> str:
    """'Tue 3 Mar 2026, 09:30' to '10:00', joined by an en dash, in the clinic's zone."""
    return f'{moment(start)}\N{EN DASH}{time_of_day(end)}'


def zone_name() -> str:
    return app_context.get().settings.timezone
