"""How dates and times read on every page: always in the clinic's time zone, in the page's language (CLDR patterns
through Babel, ``hms.i18n.formats``).

English: 'Tue 3 Mar 2026, 09:30' for a moment, 'Tue 3 Mar' for a day, '09:30' for a time of day; German
'Di., 3. März 2026, 09:30', French 'mar. 3 mars 2026, 09:30'. Date inputs are in ``dates``.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel import dates as cldr

from hms import context as app_context
from hms import i18n
from hms.i18n import formats

# CLDR's British English puts a comma after the weekday once a year follows ('Tue, 3 Mar 2026'); the clinic's English
# has always read 'Tue 3 Mar 2026' (as its messages do), so English keeps these two patterns. Everything else,
# and every other language, is CLDR's.
ENGLISH_STYLE = {'yMMMEd': 'EEE d MMM y', 'yMMMMEd': 'EEEE d MMMM y'}
_QUOTED = re.compile(r"'([^']*)'")


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment in the clinic's zone."""
    return moment.astimezone(app_context.get().settings.zone)


def _pattern(skeleton: str, *, long: bool = False) -> str:
    """The page language's pattern for a CLDR skeleton; ``long`` spells the weekday out ('Tuesday', 'Dienstag')."""
    locale = i18n.locale()
    if locale.language == 'en' and skeleton in ENGLISH_STYLE:
        return ENGLISH_STYLE[skeleton]
    pattern = str(locale.datetime_skeletons[skeleton].pattern)
    return re.sub(r'E+', 'EEEE', pattern) if long else pattern


def moment(value: datetime | None, *, missing: str = '–') -> str:
    """'Tue 3 Mar 2026, 09:30' in the clinic's zone (the date and the time joined as the language joins them)."""
    if value is None:
        return missing
    at = local(value)
    joined = str(cldr.get_datetime_format('medium', locale=i18n.locale()))
    joined = _QUOTED.sub(lambda quoted: quoted.group(1) or "'", joined)
    return joined.replace('{1}', day(at.date(), year=True)).replace('{0}', time_of_day(at))


def time_of_day(value: datetime) -> str:
    """'09:30' in the clinic's zone."""
    return formats.format_time(local(value), 'short')


def day(value: date, *, year: bool = False, long: bool = False) -> str:
    """'Tue 3 Mar' (with year: 'Tue 3 Mar 2026'; long: 'Tuesday 3 March'); 'Di., 3. März', 'mar. 3 mars'."""
    skeleton = ('yMMMMEd' if year else 'MMMMEd') if long else ('yMMMEd' if year else 'MMMEd')
    return formats.format_date(value, _pattern(skeleton, long=long))


def date_only(value: date) -> str:
    """'3 Mar 2026': a date without its weekday (birthdays, export periods); '3. März 2026', '3 mars 2026'."""
    return formats.format_date(value, _pattern('yMMMd'))


def span(start: datetime, end: datetime) -> str:
    """'Tue 3 Mar 2026, 09:30' to '10:00', joined by an en dash, in the clinic's zone."""
    return f'{moment(start)}\N{EN DASH}{time_of_day(end)}'


def zone_name() -> str:
    return app_context.get().settings.timezone
