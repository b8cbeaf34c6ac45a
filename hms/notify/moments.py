"""Dates and times as the clinic's messages and documents write them, in the language in force (Babel, CLDR) and in
the clinic's zone: 'Mon 2 Mar 2026, 09:00', 'Mo., 2. März 2026, 09:00', 'lun. 2 mars 2026, 09:00'."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from babel import dates

from hms.i18n import locale
from hms.i18n.formats import format_date, format_skeleton, format_time

# English keeps the clinic's established style (no comma after the weekday); other languages use CLDR's pattern.
_DAY_WITH_YEAR = {'en': 'EEE d MMM y'}


def _join(day: str, clock_time: str) -> str:
    """A date and a time joined by the locale's pattern ('{1}, {0}')."""
    pattern = str(dates.get_datetime_format('medium', locale=locale()))
    return pattern.replace('{1}', day).replace('{0}', clock_time)


def day_with_year(day: date | datetime, zone: tzinfo | None = None) -> str:
    """'Mon 2 Mar 2026', 'Mo., 2. März 2026', 'lun. 2 mars 2026'; a datetime is first moved into ``zone``."""
    if isinstance(day, datetime):
        day = (day.astimezone(zone) if zone is not None and day.tzinfo is not None else day).date()
    pattern = _DAY_WITH_YEAR.get(locale().language)
    if pattern is not None:
        return dates.format_date(day, pattern, locale=locale())
    return format_skeleton('yMMMEd', day)


def moment(instant: datetime, zone: tzinfo | None = None) -> str:
    """'Mon 2 Mar 2026, 09:00' in ``zone``."""
    return _join(day_with_year(instant, zone), format_time(instant, 'short', zone=zone))


def span(start: datetime, end: datetime, zone: tzinfo | None = None) -> str:
    """'Mon 2 Mar 2026, 09:00-09:30 (CET)' (with the locale's dash): the day, the times from and to, and the zone's
    abbreviation."""
    local_start = start.astimezone(zone) if zone is not None else start
    local_end = end.astimezone(zone) if zone is not None else end
    times = dates.format_interval(
        local_start.replace(tzinfo=None), local_end.replace(tzinfo=None), 'Hm', locale=locale()
    )
    when = _join(day_with_year(local_start), times)
    abbreviation = local_end.tzname()
    return f'{when} ({abbreviation})' if abbreviation else when


def day(of: date) -> str:
    """'Tue 3 Feb', 'Di., 3. Feb.', 'mar. 3 févr.' (a day of a month the reader knows)."""
    return format_skeleton('MMMEd', of)


def day_and_time(instant: datetime) -> str:
    """'Tue 3 Feb, 09:00' (``instant`` already in the clinic's zone)."""
    return _join(day(instant.date()), format_time(instant, 'short'))


def short_day(of: date) -> str:
    """'3 Feb', '3. Feb.', '3 févr.' (a chart's axis)."""
    return format_skeleton('MMMd', of)


def long_moment(instant: datetime, zone: tzinfo | None = None) -> str:
    """'Tuesday, 10 March 2026, 09:00', 'Dienstag, 10. März 2026, 09:00', 'mardi 10 mars 2026, 09:00' in ``zone``."""
    return _join(format_date(instant, 'full', zone=zone), format_time(instant, 'short', zone=zone))
