"""Dates, times, numbers, percentages and money in the current language's conventions (Babel, CLDR data), and
instants shown in the clinic's time zone. No hand-typed month or weekday name anywhere: they come from here."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Literal

from babel import dates, numbers

from . import locale

Width = Literal['full', 'long', 'medium', 'short']


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None and moment.tzinfo is not None else moment


def format_date(day: date | datetime, width: Width | str = 'medium', zone: tzinfo | None = None) -> str:
    """'8 Nov 2026', '08.11.2026', '8 nov. 2026'; a datetime is first moved into ``zone``."""
    if isinstance(day, datetime):
        day = _local(day, zone).date()
    return dates.format_date(day, format=width, locale=locale())


def format_time(moment: time | datetime, width: Width | str = 'short', zone: tzinfo | None = None) -> str:
    """'2:30 PM', '14:30'; a datetime is shown in ``zone``."""
    if isinstance(moment, datetime):
        moment = _local(moment, zone).timetz().replace(tzinfo=None)
    return dates.format_time(moment, format=width, locale=locale())


def format_datetime(moment: datetime, width: Width | str = 'medium', zone: tzinfo | None = None) -> str:
    """Date and time together in the locale's pattern, in ``zone`` (the clinic's)."""
    local = _local(moment, zone).replace(tzinfo=None)
    return dates.format_datetime(local, format=width, locale=locale())


def format_skeleton(skeleton: str, moment: date | datetime, zone: tzinfo | None = None) -> str:
    """A flexible CLDR pattern such as 'EEEEd MMM' (weekday and day) or 'MMMMy' (month and year)."""
    if isinstance(moment, datetime):
        moment = _local(moment, zone).replace(tzinfo=None)
    return dates.format_skeleton(skeleton, moment, locale=locale())


def format_weekday(day: date, width: Literal['wide', 'abbreviated', 'short', 'narrow'] = 'wide') -> str:
    return str(dates.get_day_names(width, locale=locale())[day.weekday()])


def weekday_names(width: Literal['wide', 'abbreviated', 'short', 'narrow'] = 'wide') -> list[str]:
    """Monday first, as the clinic's week is stored."""
    names = dates.get_day_names(width, locale=locale())
    return [str(names[index]) for index in range(7)]


def month_names(width: Literal['wide', 'abbreviated', 'narrow'] = 'wide') -> list[str]:
    """January first."""
    names = dates.get_month_names(width, locale=locale())
    return [str(names[index]) for index in range(1, 13)]


def format_month(year: int, month: int) -> str:
    """'November 2026', 'November 2026', 'novembre 2026'."""
    return dates.format_skeleton('yMMMM', date(year, month, 1), locale=locale())


def format_number(value: float | Decimal, digits: int | None = None) -> str:
    if digits is None:
        return numbers.format_decimal(value, locale=locale())
    return numbers.format_decimal(value, format=f'#,##0.{"0" * digits}' if digits else '#,##0', locale=locale())


def format_percent(share: float | None, digits: int = 0, empty: str = '–') -> str:
    """A share (0.25) as '25 %' or '25%' by the locale's rule; ``empty`` when there is none."""
    if share is None:
        return empty
    pattern = f'#,##0.{"0" * digits}%' if digits else None
    return numbers.format_percent(share, format=pattern, locale=locale())


def format_currency(amount: float | Decimal, currency: str) -> str:
    return numbers.format_currency(amount, currency, locale=locale())


def date_input_mask() -> str:
    """The locale's short date pattern for inputs (e.g. 'dd.MM.y' in German), in CLDR letters."""
    return str(dates.get_date_format('short', locale=locale()).pattern)
