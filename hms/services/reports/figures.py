"""The figures of a month: one doctor's and the whole clinic's, a pure function of the database for that month.

Definitions (the dashboard's, so both agree; the period helpers are hms.services.stats'): 'visits' are completed
appointments; a patient is *new* to a doctor when their first completed visit with that doctor ever falls in the
month (new to the clinic: their first completed visit at all); utilisation = non-cancelled bookings / published
slots, the doctor's current availability template and overrides applied to every date of the month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from hms.config import Settings
from hms.db.reports import ReportRepository
from hms.db.stats import Scope, StatsRepository
from hms.db.uow import UnitOfWork

from .month import Month

TOP_DIAGNOSES = 5
BUSIEST_DAYS = 3


def _stats() -> ModuleType:
    """The dashboard's figures (pandas): imported when a report is computed, not when the worker starts."""
    from hms.services import stats  # keeps pandas out of every idle worker process

    return stats


@dataclass(frozen=True)
class VisitRow:
    start: datetime  # in the clinic's zone
    patient: str
    diagnosis: str


@dataclass(frozen=True)
class DoctorFigures:
    doctor_id: int
    name: str
    email: str
    department: str
    month: Month
    completed: int
    cancelled: int
    no_shows: int
    patients_seen: int
    new_patients: int
    returning_patients: int
    per_day: dict[str, list[int]]  # status -> one count per day of the month
    busiest_days: list[tuple[date, int]]  # completed visits, most first
    top_diagnoses: list[tuple[str, int]]
    booked: int  # non-cancelled appointments
    published: int  # slots published for the month
    utilisation: float | None
    visits: list[VisitRow]


@dataclass(frozen=True)
class DoctorLine:
    doctor_id: int
    name: str
    department: str
    active: bool
    completed: int
    cancelled: int
    no_shows: int
    patients_seen: int
    new_patients: int
    booked: int
    published: int
    utilisation: float | None


@dataclass(frozen=True)
class DepartmentLine:
    department: str
    doctors: int
    completed: int
    cancelled: int
    no_shows: int
    booked: int
    published: int
    utilisation: float | None


@dataclass(frozen=True)
class ClinicFigures:
    month: Month
    completed: int
    cancelled: int
    no_shows: int
    patients_seen: int
    new_patients: int
    returning_patients: int
    per_day: dict[str, list[int]]
    busiest_days: list[tuple[date, int]]
    top_diagnoses: list[tuple[str, int]]
    booked: int
    published: int
    utilisation: float | None
    doctors: list[DoctorLine]
    departments: list[DepartmentLine]


def _top_diagnoses(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The most recorded diagnoses; spellings differing only in case or spacing count as one (shown as the most
    frequent spelling). Ties go alphabetically."""
    totals: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for text, count in rows:
        shown = ' '.join(text.split())
        if not shown:
            continue
        key = shown.casefold()
        totals[key] += count
        spellings[key][shown] += count
    named = [
        (min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0], total) for key, total in totals.items()
    ]
    return sorted(named, key=lambda item: (-item[1], item[0].casefold()))[:TOP_DIAGNOSES]


def _busiest(per_day: dict[str, list[int]], month: Month) -> list[tuple[date, int]]:
    days = [(month.first + timedelta(days=index), count) for index, count in enumerate(per_day['completed'])]
    return sorted((item for item in days if item[1]), key=lambda item: (-item[1], item[0]))[:BUSIEST_DAYS]


def _share(booked: int, published: int) -> float | None:
    return round(booked / published, 4) if published else None


def _period(
    repo: StatsRepository, scope: Scope, month: Month, zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The month's counts and rates, and its appointments per status and day."""
    stats = _stats()
    frame = stats.buckets_frame(list(repo.appointments_by_quarter_hour(scope)), zone)
    series: dict[str, list[int]] = stats.per_day_series(frame, month.first, month.last)['series']
    return stats.status_rates(frame), series


def doctor_report(uow: UnitOfWork, settings: Settings, doctor_id: int, month: Month) -> DoctorFigures:
    """One doctor's month, from the database alone."""
    zone = settings.zone
    start, end = month.bounds(zone)
    repo, queries = StatsRepository(uow.session), ReportRepository(uow.session)
    scope = Scope(start=start, end=end, doctor_id=doctor_id)
    [doctor] = repo.doctors(scope)
    _id, name, _email, department, _active, minutes = doctor
    user = uow.users.get(doctor_id)
    email = (user.email if user is not None else None) or ''  # staff always have an address
    rates, per_day = _period(repo, scope, month, zone)
    seen, returning = queries.seen(start, end, doctor_id=doctor_id).get(doctor_id, (0, 0))
    booked = rates['appointments_period'] - rates['cancelled']
    slots = _stats().published_slots(repo, {doctor_id: {'minutes': minutes}}, month.first, month.last, zone)
    published = slots[doctor_id]
    visits = [
        VisitRow(moment.astimezone(zone), patient, diagnosis or '')
        for moment, patient, diagnosis in queries.visits(doctor_id, start, end)
    ]
    return DoctorFigures(
        doctor_id=doctor_id,
        name=name,
        email=email,
        department=department,
        month=month,
        completed=rates['completed'],
        cancelled=rates['cancelled'],
        no_shows=rates['no_shows'],
        patients_seen=seen,
        new_patients=seen - returning,
        returning_patients=returning,
        per_day=per_day,
        busiest_days=_busiest(per_day, month),
        top_diagnoses=_top_diagnoses(queries.diagnoses(start, end, doctor_id)),
        booked=booked,
        published=published,
        utilisation=_share(booked, published),
        visits=visits,
    )


def clinic_report(uow: UnitOfWork, settings: Settings, month: Month) -> ClinicFigures:
    """The whole clinic's month: totals, and lines per doctor (active, or with appointments) and per department."""
    zone = settings.zone
    start, end = month.bounds(zone)
    repo, queries = StatsRepository(uow.session), ReportRepository(uow.session)
    scope = Scope(start=start, end=end)
    rates, per_day = _period(repo, scope, month, zone)
    doctors: dict[int, dict[str, Any]] = {
        row[0]: {'name': row[1], 'department': row[3], 'active': row[4], 'minutes': row[5]}
        for row in repo.doctors(scope)
    }
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    stats = _stats()
    for doctor_id, status, count in repo.appointments_by_doctor(scope):
        counts[doctor_id][stats.counted_as(status)] += int(count)
    published = stats.published_slots(repo, doctors, month.first, month.last, zone)
    seen_by_doctor = queries.seen(start, end, per_doctor=True)
    lines = []
    for doctor_id, doctor in doctors.items():
        tally = counts.get(doctor_id, Counter())
        if not doctor['active'] and not tally:
            continue
        booked = tally['booked'] + tally['completed'] + tally['no_show']
        seen, returning = seen_by_doctor.get(doctor_id, (0, 0))
        lines.append(
            DoctorLine(
                doctor_id=doctor_id,
                name=doctor['name'],
                department=doctor['department'],
                active=doctor['active'],
                completed=tally['completed'],
                cancelled=tally['cancelled'],
                no_shows=tally['no_show'],
                patients_seen=seen,
                new_patients=seen - returning,
                booked=booked,
                published=published[doctor_id],
                utilisation=_share(booked, published[doctor_id]),
            )
        )
    lines.sort(key=lambda line: (-line.completed, line.name.casefold(), line.doctor_id))
    by_department: dict[str, list[DoctorLine]] = defaultdict(list)
    for line in lines:
        by_department[line.department].append(line)
    departments = [
        DepartmentLine(
            department=name,
            doctors=len(members),
            completed=sum(m.completed for m in members),
            cancelled=sum(m.cancelled for m in members),
            no_shows=sum(m.no_shows for m in members),
            booked=sum(m.booked for m in members),
            published=sum(m.published for m in members),
            utilisation=_share(sum(m.booked for m in members), sum(m.published for m in members)),
        )
        for name, members in by_department.items()
    ]
    departments.sort(key=lambda line: (-line.completed, line.department.casefold()))
    seen, returning = queries.seen(start, end)[None]
    booked, slots = sum(line.booked for line in lines), sum(line.published for line in lines)
    return ClinicFigures(
        month=month,
        completed=rates['completed'],
        cancelled=rates['cancelled'],
        no_shows=rates['no_shows'],
        patients_seen=seen,
        new_patients=seen - returning,
        returning_patients=returning,
        per_day=per_day,
        busiest_days=_busiest(per_day, month),
        top_diagnoses=_top_diagnoses(queries.diagnoses(start, end)),
        booked=booked,
        published=slots,
        utilisation=_share(booked, slots),
        doctors=lines,
        departments=departments,
    )
