"""Slot arithmetic: availability windows in the clinic's local time, cut into consultations, as UTC instants.

Pure functions, no database: the rules of the grid are tested here, the services feed them data.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hms.i18n import _
from hms.i18n.formats import format_time


@dataclass(frozen=True, order=True)
class Window:
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(
                _(
                    'The window {start}-{end} must start before it ends.',
                    start=format_time(self.start),
                    end=format_time(self.end),
                )
            )

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime


def local_instant(day: date, moment: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None when that time does not exist (spring-forward gap)."""
    local = datetime.combine(day, moment, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def day_slots(day: date, windows: Iterable[Window], minutes: int, zone: ZoneInfo) -> list[Slot]:
    """Consecutive slots of ``minutes`` from the start of each window, the last one ending by the window's end.

    Slots are laid on local wall-clock times, so a 09:00 window opens at 09:00 local on either side of a DST change;
    a slot whose local start does not exist that day is skipped, and each slot lasts ``minutes`` of real time.
    """
    step = timedelta(minutes=minutes)
    slots: list[Slot] = []
    for window in sorted(windows):
        cursor = datetime.combine(day, window.start)
        window_end = datetime.combine(day, window.end)
        while cursor + step <= window_end:
            start = local_instant(day, cursor.time(), zone)
            if start is not None:
                slots.append(Slot(start, start + step))
            cursor += step
    return slots


def slots_between(
    windows_by_day: Mapping[date, Iterable[Window]],
    minutes: int,
    zone: ZoneInfo,
    *,
    earliest: datetime,
    latest: datetime,
) -> list[Slot]:
    """Every slot of the given days that starts at or after ``earliest`` and no later than ``latest``."""
    found: list[Slot] = []
    for day in sorted(windows_by_day):
        found.extend(
            slot for slot in day_slots(day, windows_by_day[day], minutes, zone) if earliest <= slot.start <= latest
        )
    return found


def validate_day(windows: Iterable[Window]) -> list[Window]:
    """Sorted windows of one day; raises ValueError when two overlap."""
    ordered = sorted(windows)
    for before, after in itertools.pairwise(ordered):
        if before.overlaps(after):
            raise ValueError(
                _(
                    'Windows {first_start}-{first_end} and {second_start}-{second_end} overlap.',
                    first_start=format_time(before.start),
                    first_end=format_time(before.end),
                    second_start=format_time(after.start),
                    second_end=format_time(after.end),
                )
            )
    return ordered
