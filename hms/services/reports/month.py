"""The month a report covers: parsing 'YYYY-MM', its bounds in the clinic's zone, and the month an admin asked for.

A month is the clinic's local calendar month, from local midnight of the 1st to local midnight of the next 1st."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hms import clock
from hms.config import Settings
from hms.domain.errors import InvalidInput
from hms.i18n import _
from hms.i18n.formats import format_month

_MONTH = re.compile(r'^(\d{4})-(0[1-9]|1[0-2])$')


@dataclass(frozen=True, order=True)
class Month:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if match is None or not 2000 <= int(match.group(1)) <= 2999:
            message = _('Give the month as YYYY-MM, e.g. {example}.', example='2026-03')
            raise InvalidInput(message, field_errors={'month': message})
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def parse_or_none(cls, text: str) -> Month | None:
        try:
            return cls.parse(text)
        except InvalidInput:
            return None

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def previous(cls, now: datetime, zone: ZoneInfo) -> Month:
        """The month before the one ``now`` falls in, in the clinic's zone."""
        return cls.of(now.astimezone(zone).date().replace(day=1) - timedelta(days=1))

    @property
    def first(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def next_first(self) -> date:
        return date(self.year + self.number // 12, self.number % 12 + 1, 1)

    @property
    def last(self) -> date:
        return self.next_first - timedelta(days=1)

    @property
    def key(self) -> str:
        return f'{self.year:04d}-{self.number:02d}'

    @property
    def label(self) -> str:
        """'February 2026', 'Februar 2026', 'février 2026': in the language in force."""
        return format_month(self.year, self.number)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The month as UTC instants [local midnight of the 1st, local midnight of the next 1st)."""
        return _midnight(self.first, zone), _midnight(self.next_first, zone)


def requested_month(text: str | None, settings: Settings) -> Month:
    """The month an admin asked for (default: the previous one); a month that has not begun yet is refused."""
    now = clock.now()
    if not text:
        return Month.previous(now, settings.zone)
    month = Month.parse(text)
    if month > Month.of(now.astimezone(settings.zone).date()):
        message = _('That month has not begun yet.')
        raise InvalidInput(message, field_errors={'month': message})
    return month


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
