"""The measures clinics steer by, beside the dashboard's counts: utilisation in minutes, no-show and late-cancellation
rates, booking lead time, re-booked cancellations, new and returning patients, follow-up adherence.

Every function here but ``measures`` is pure (rows in, figures out), so each definition is tested on hand-made rows
with known answers, daylight-saving days included. ``DEFINITIONS`` holds the one-line definition the dashboard shows
on hover and focus, and the API documents.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hms.db.stats import Scope, StatsRepository
from hms.domain.enums import AppointmentStatus
from hms.domain.slots import Window, day_slots
from hms.i18n import N_

# key -> the measure's one-line definition (translated where shown)
DEFINITIONS = {
    'utilisation': N_('Booked minutes divided by the minutes the doctors published (weekly hours and date overrides).'),
    'no_show_rate': N_('No-shows divided by the visits that were due (completed plus no-shows).'),
    'late_cancellation_rate': N_('Appointments cancelled less than the cancellation cutoff before their start.'),
    'lead_time_days': N_('Median time from booking to the visit, in days (cancelled bookings left out).'),
    'rebooked_share': N_('Cancelled appointments whose time with the same doctor was booked again by someone.'),
    'new_patients': N_('Patients seen in the period with no completed visit before it (same filters).'),
    'returning_patients': N_('Patients seen in the period who had a completed visit before it (same filters).'),
    'follow_up_adherence': N_('Recommended next visits due in the period that happened by their date.'),
}
# Is a rise good news? (the dashboard colours ▲/▼ by it; None: neither)
GOOD_WHEN_UP: dict[str, bool | None] = {
    'utilisation': True,
    'no_show_rate': False,
    'late_cancellation_rate': False,
    'lead_time_days': None,
    'rebooked_share': True,
    'new_patients': True,
    'returning_patients': True,
    'follow_up_adherence': True,
}

Shape = tuple[Any, Any]
_cached_minutes: dict[tuple[Any, ...], int] = {}


def _shape(day: date, zone: ZoneInfo) -> Shape:
    """The UTC offsets at a local day's start and end: they differ only on daylight-saving change days."""
    return (
        datetime.combine(day, time.min, tzinfo=zone).utcoffset(),
        datetime.combine(day, time(23, 59), tzinfo=zone).utcoffset(),
    )


def minutes_on(day: date, windows: Iterable[Window], minutes: int, zone: ZoneInfo, hour: int | None = None) -> int:
    """The minutes of the slots the windows publish on a local day (a slot of ``minutes`` each, as bookings are
    laid), only those starting in the local ``hour`` when given. A slot in a spring-forward gap does not exist."""
    slots = day_slots(day, list(windows), minutes, zone)
    if hour is not None:
        slots = [slot for slot in slots if slot.start.astimezone(zone).hour == hour]
    return len(slots) * minutes


def published_minutes(
    weekly: Mapping[int, Mapping[int, list[Window]]],
    overrides: Mapping[tuple[int, date], list[Window]],
    doctor_minutes: Mapping[int, int],
    first: date,
    last: date,
    zone: ZoneInfo,
    *,
    weekday: int | None = None,
    hour: int | None = None,
) -> dict[int, int]:
    """Per doctor, the minutes published from ``first`` to ``last``: the weekly template (doctor -> weekday -> windows)
    with the date overrides of the period (an empty list: a day off), on the local ``weekday`` / in the ``hour`` only
    when given. Ordinary days of one kind are counted once; daylight-saving days each for themselves."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [day for day in days if weekday is None or day.weekday() == weekday]
    shapes = {day: _shape(day, zone) for day in days}
    result: dict[int, int] = {}
    for doctor_id, minutes in doctor_minutes.items():
        week = weekly.get(doctor_id, {})
        total = 0
        for day in days:
            windows = overrides.get((doctor_id, day))
            if windows is None:
                windows = week.get(day.weekday(), [])
            if not windows:
                continue
            ordered = tuple(sorted(windows))
            shape = shapes[day]
            if shape[0] != shape[1]:
                total += minutes_on(day, ordered, minutes, zone, hour)
                continue
            key = (ordered, minutes, str(zone), shape, hour)
            if key not in _cached_minutes:
                if len(_cached_minutes) > 10_000:
                    _cached_minutes.clear()
                _cached_minutes[key] = minutes_on(day, ordered, minutes, zone, hour)
            total += _cached_minutes[key]
        result[doctor_id] = total
    return result


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def utilisation(
    booked: Mapping[int, int],
    published: Mapping[int, int],
    doctor_minutes: Mapping[int, int],
    departments: Mapping[int, str],
) -> dict[str, Any]:
    """Booked minutes (``booked``: bookings not cancelled, per doctor, each one slot long) over published minutes, for
    the whole clinic, per department (``departments``: doctor -> department name) and per doctor."""
    by_doctor: dict[int, dict[str, Any]] = {}
    by_department: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doctor_id, minutes in doctor_minutes.items():
        taken = booked.get(doctor_id, 0) * minutes
        offered = published.get(doctor_id, 0)
        by_doctor[doctor_id] = {'booked_minutes': taken, 'published_minutes': offered, 'share': _share(taken, offered)}
        department = by_department[departments.get(doctor_id, '?')]
        department[0] += taken
        department[1] += offered
    taken_all = sum(row['booked_minutes'] for row in by_doctor.values())
    offered_all = sum(row['published_minutes'] for row in by_doctor.values())
    return {
        'share': _share(taken_all, offered_all),
        'booked_minutes': taken_all,
        'published_minutes': offered_all,
        'by_doctor': by_doctor,
        'by_department': [
            {'department': name, 'booked_minutes': taken, 'published_minutes': offered, 'share': _share(taken, offered)}
            for name, (taken, offered) in sorted(by_department.items())
        ],
    }


def booking_figures(rows: Iterable[tuple[str, float, float | None]], cutoff: timedelta) -> dict[str, Any]:
    """From (status, seconds from booking to start, seconds from cancellation to start or None) rows: the
    late-cancellation rate (cancelled less than ``cutoff`` before the start, or after it, of all appointments), the
    median lead time in days (real elapsed time from booking to start, cancelled bookings left out) and the no-show
    rate (no-shows of the visits due)."""
    total = late = no_shows = completed = 0
    leads: list[float] = []
    margin = cutoff.total_seconds()
    for status, lead_seconds, cancelled_before in rows:
        total += 1
        state = AppointmentStatus(status)
        if state is AppointmentStatus.CANCELLED:
            if cancelled_before is not None and cancelled_before < margin:
                late += 1
            continue
        leads.append(max(float(lead_seconds), 0.0) / 86400)
        no_shows += state is AppointmentStatus.NO_SHOW
        completed += state is AppointmentStatus.COMPLETED
    return {
        'late_cancellation_rate': _share(late, total),
        'late_cancellations': late,
        'lead_time_days': round(statistics.median(leads), 1) if leads else None,
        'no_show_rate': _share(no_shows, no_shows + completed),
    }


def follow_up_adherence(rows: Iterable[tuple[date, datetime | None]], today: date, zone: ZoneInfo) -> dict[str, Any]:
    """From (recommended next-visit date, the next completed visit's start or None) rows: of the recommendations due
    by ``today``, the share kept, i.e. a completed visit on or before the recommended local date."""
    due = kept = 0
    for by, visit in rows:
        if by > today:
            continue  # not due yet: neither kept nor missed
        due += 1
        if visit is not None and visit.astimezone(zone).date() <= by:
            kept += 1
    return {'follow_ups_due': due, 'follow_ups_kept': kept, 'follow_up_adherence': _share(kept, due)}


def measures(
    repo: StatsRepository,
    scope: Scope,
    first: date,
    last: date,
    zone: ZoneInfo,
    *,
    doctors: Mapping[int, Mapping[str, Any]],
    booked: Mapping[int, int],
    cutoff: timedelta,
    today: date,
    weekday: int | None = None,
    hour: int | None = None,
) -> dict[str, Any]:
    """Every measure for one filter (``doctors``: id -> {'minutes', 'department'}, ``booked``: bookings held per
    doctor in scope)."""
    ids = list(doctors)
    weekly: dict[int, dict[int, list[Window]]] = defaultdict(lambda: defaultdict(list))
    for doctor_id, day_of_week, start, end in repo.weekly_windows(ids):
        weekly[doctor_id][day_of_week].append(Window(start, end))
    overrides: dict[tuple[int, date], list[Window]] = defaultdict(list)
    for doctor_id, day, start, end in repo.override_windows(ids, first, last):
        windows = overrides[(doctor_id, day)]
        if start is not None and end is not None:
            windows.append(Window(start, end))
    minutes = {doctor_id: int(doctor['minutes']) for doctor_id, doctor in doctors.items()}
    published = published_minutes(weekly, overrides, minutes, first, last, zone, weekday=weekday, hour=hour)
    departments = {doctor_id: str(doctor['department']) for doctor_id, doctor in doctors.items()}
    used = utilisation(booked, published, minutes, departments)
    cancelled, rebooked = repo.cancelled_rebooked(scope)
    seen, returning = repo.patients_new_and_returning(scope)
    follow = follow_up_adherence(repo.follow_ups(scope, first, last), today, zone)
    return {
        'utilisation': used['share'],
        'utilisation_by_department': used['by_department'],
        'utilisation_minutes': {str(key): value for key, value in used['by_doctor'].items()},
        **booking_figures(repo.bookings(scope), cutoff),
        'rebooked_share': _share(rebooked, cancelled),
        'cancelled_rebooked': rebooked,
        'new_patients': seen - returning,
        'returning_patients': returning,
        **follow,
    }


def local_windows(
    first: date, last: date, zone: ZoneInfo, *, weekday: int | None, hour: int | None
) -> tuple[tuple[datetime, datetime], ...] | None:
    """The UTC intervals of the local days from ``first`` to ``last`` that fall on ``weekday`` (0 = Monday) and/or in
    ``hour``; None when neither is given. An hour that a daylight-saving change skips has no interval that day; the
    repeated hour of a fall-back day is one interval of two real hours."""
    if weekday is None and hour is None:
        return None
    found: list[tuple[datetime, datetime]] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if weekday is not None and day.weekday() != weekday:
            continue
        if hour is None:
            start = datetime.combine(day, time.min, tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        else:
            start = datetime.combine(day, time(hour), tzinfo=zone)
            following = (day, time(hour + 1)) if hour < 23 else (day + timedelta(days=1), time.min)
            end = datetime.combine(*following, tzinfo=zone)
            if start.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != start.replace(tzinfo=None):
                continue  # a wall-clock hour that does not exist that day
        low, high = start.astimezone(UTC), end.astimezone(UTC)
        if low < high:
            found.append((low, high))
    return tuple(found)
