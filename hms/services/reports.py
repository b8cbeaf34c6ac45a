"""The monthly activity report: each active doctor's month and the clinic's, as figures (a pure function of the
database for that month), an HTML email with inline charts (tables as the fallback), a plain-text part and a PDF.

Definitions (the dashboard's, so both agree): a month is the clinic's local calendar month; 'visits' are completed
appointments; a patient is *new* to a doctor when their first completed visit with that doctor ever falls in the
month (new to the clinic: their first completed visit at all); utilisation = non-cancelled bookings / published
slots, the doctor's current availability template and overrides applied to every date of the month.

Sending is exactly once per recipient and month: each message is claimed by its delivery key before it is sent
(``report:{month}:doctor:{id}:email``, ``report:{month}:clinic:email``); an explicit re-run adds a key suffix.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, case, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, Delivery, DoctorProfile, Treatment, User
from hms.db.stats import Scope, StatsRepository
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus, Role
from hms.domain.errors import InvalidInput
from hms.notify.email import compose
from hms.notify.message import Attachment, DeliveryError, Message

from . import deliveries
from .stats import _buckets_frame, _per_day, _published_slots, _rates

logger = logging.getLogger(__name__)

JOB = 'monthly-reports'
KIND = 'report'
TOP_DIAGNOSES = 5
BUSIEST_DAYS = 3
TOP_DOCTORS_CHART = 15
MONTH_NAMES = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
               'November', 'December')  # fmt: skip
WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
COLOURS = {'completed': '#0f766e', 'no_show': '#b45309', 'cancelled': '#94a3b8'}
_MONTH = re.compile(r'^(\d{4})-(0[1-9]|1[0-2])$')


# --- The month ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if match is None or not 2000 <= int(match.group(1)) <= 2999:
            message = 'Give the month as YYYY-MM, e.g. 2026-03.'
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
        return f'{MONTH_NAMES[self.number - 1]} {self.year}'

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
        message = 'That month has not begun yet.'
        raise InvalidInput(message, field_errors={'month': message})
    return month


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


# --- Figures --------------------------------------------------------------------------------------------------------


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


class _Queries:
    """The report's own read queries (next to the dashboard's StatsRepository, whose queries it reuses)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def seen(
        self, start: datetime, end: datetime, *, doctor_id: int | None = None, per_doctor: bool = False
    ) -> dict[int | None, tuple[int, int]]:
        """(patients seen, of whom returning) per doctor (``per_doctor`` or one ``doctor_id``), else for the whole
        clinic under the key None. Returning: had a completed visit before the month, with that doctor (per doctor)
        or at the clinic at all."""
        per_doctor = per_doctor or doctor_id is not None
        earlier = aliased(Appointment)
        before = [
            earlier.patient_id == Appointment.patient_id,
            earlier.status == AppointmentStatus.COMPLETED,
            earlier.start_at < start,
        ]
        if per_doctor:
            before.append(earlier.doctor_id == Appointment.doctor_id)
        returning = case((exists().where(*before), Appointment.patient_id))
        conditions = [
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.start_at >= start,
            Appointment.start_at < end,
        ]
        if doctor_id is not None:
            conditions.append(Appointment.doctor_id == doctor_id)
        columns = [func.count(distinct(Appointment.patient_id)), func.count(distinct(returning))]
        if not per_doctor:
            row = self.session.execute(select(*columns).where(*conditions)).one()
            return {None: (int(row[0]), int(row[1]))}
        rows = self.session.execute(
            select(Appointment.doctor_id, *columns).where(*conditions).group_by(Appointment.doctor_id)
        ).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    def diagnoses(self, start: datetime, end: datetime, doctor_id: int | None = None) -> list[tuple[str, int]]:
        conditions = [
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.start_at >= start,
            Appointment.start_at < end,
        ]
        if doctor_id is not None:
            conditions.append(Appointment.doctor_id == doctor_id)
        rows = self.session.execute(
            select(Treatment.diagnosis, func.count())
            .join(Appointment, Appointment.id == Treatment.appointment_id)
            .where(*conditions)
            .group_by(Treatment.diagnosis)
        ).all()
        return [(str(text), int(count)) for text, count in rows]

    def visits(self, doctor_id: int, start: datetime, end: datetime) -> Sequence[Row[tuple[datetime, str, Any]]]:
        """(start, patient name, diagnosis or None) of the doctor's completed visits, in order."""
        return self.session.execute(
            select(Appointment.start_at, User.name, Treatment.diagnosis)
            .join(User, User.id == Appointment.patient_id)
            .outerjoin(Treatment, Treatment.appointment_id == Appointment.id)
            .where(
                Appointment.doctor_id == doctor_id,
                Appointment.status == AppointmentStatus.COMPLETED,
                Appointment.start_at >= start,
                Appointment.start_at < end,
            )
            .order_by(Appointment.start_at, Appointment.id)
        ).all()


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


def _period(repo: StatsRepository, scope: Scope, month: Month, zone: ZoneInfo) -> tuple[dict[str, Any], dict]:
    frame = _buckets_frame(list(repo.appointments_by_quarter_hour(scope)), zone)
    return _rates(frame), _per_day(frame, month.first, month.last)['series']


def doctor_report(uow: UnitOfWork, settings: Settings, doctor_id: int, month: Month) -> DoctorFigures:
    """One doctor's month, from the database alone."""
    zone = settings.zone
    start, end = month.bounds(zone)
    repo, queries = StatsRepository(uow.session), _Queries(uow.session)
    scope = Scope(start=start, end=end, doctor_id=doctor_id)
    [(_, name, _, department, _, minutes)] = repo.doctors(scope)
    email = uow.session.scalar(select(User.email).where(User.id == doctor_id)) or ''
    rates, per_day = _period(repo, scope, month, zone)
    seen, returning = queries.seen(start, end, doctor_id=doctor_id).get(doctor_id, (0, 0))
    booked = rates['appointments_period'] - rates['cancelled']
    published = _published_slots(repo, {doctor_id: {'minutes': minutes}}, month.first, month.last, zone)[doctor_id]
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
    repo, queries = StatsRepository(uow.session), _Queries(uow.session)
    scope = Scope(start=start, end=end)
    rates, per_day = _period(repo, scope, month, zone)
    doctors = {
        row[0]: {'name': row[1], 'department': row[3], 'active': row[4], 'minutes': row[5]}
        for row in repo.doctors(scope)
    }
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for doctor_id, status, count in repo.appointments_by_doctor(scope):
        counts[doctor_id][AppointmentStatus(status).value] += int(count)
    published = _published_slots(repo, doctors, month.first, month.last, zone)
    seen_by_doctor = queries.seen(start, end, per_doctor=True)
    lines = []
    for doctor_id, doctor in doctors.items():
        count = counts.get(doctor_id, Counter())
        if not doctor['active'] and not count:
            continue
        booked = count['booked'] + count['completed'] + count['no_show']
        seen, returning = seen_by_doctor.get(doctor_id, (0, 0))
        lines.append(
            DoctorLine(
                doctor_id=doctor_id,
                name=doctor['name'],
                department=doctor['department'],
                active=doctor['active'],
                completed=count['completed'],
                cancelled=count['cancelled'],
                no_shows=count['no_show'],
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


# --- Rendering: charts, HTML, text, PDF -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    cid: str  # Content-ID without angle brackets; the HTML refers to it as cid:...
    filename: str
    title: str
    png: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    charts: tuple[Chart, ...]
    pdf: bytes
    pdf_name: str


def _new_figure(width: float = 7.0, height: float = 2.8) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout='constrained')
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', metadata={'Software': None})
    return buffer.getvalue()


def _per_day_chart(per_day: dict[str, list[int]], month: Month) -> bytes:
    figure = _new_figure()
    axes = figure.add_subplot()
    days = list(range(1, len(per_day['completed']) + 1))
    bottom = [0] * len(days)
    for status, label in (('completed', 'Completed'), ('no_show', 'No-show'), ('cancelled', 'Cancelled')):
        axes.bar(days, per_day[status], bottom=bottom, color=COLOURS[status], label=label, width=0.8)
        bottom = [a + b for a, b in zip(bottom, per_day[status], strict=True)]
    axes.set_xlim(0.4, len(days) + 0.6)
    axes.set_ylim(0, max(*bottom, 1) * 1.25)  # room for the legend
    axes.set_xticks([day for day in days if day == 1 or day % 5 == 0])
    axes.set_xlabel(f'Day of {month.label}')
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc='upper right', fontsize=8, frameon=False, ncols=3)
    axes.spines[['top', 'right']].set_visible(False)
    return _png(figure)


def _bar_chart(labels: list[str], values: list[int], xlabel: str) -> bytes:
    height = max(1.6, 0.35 * len(labels) + 0.8)
    figure = _new_figure(7.0, height)
    axes = figure.add_subplot()
    shown = [label if len(label) <= 40 else label[:39] + '…' for label in labels]
    axes.barh(list(range(len(values)))[::-1], values, color=COLOURS['completed'])
    axes.set_yticks(list(range(len(values)))[::-1], shown, fontsize=8)
    axes.set_xlabel(xlabel)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[['top', 'right']].set_visible(False)
    return _png(figure)


def _headline(figures: DoctorFigures | ClinicFigures) -> list[tuple[str, str]]:
    """The figures that open both the doctor's and the clinic's report."""
    return [
        ('Visits completed', str(figures.completed)),
        ('Cancelled', str(figures.cancelled)),
        ('No-shows', str(figures.no_shows)),
        ('Patients seen', str(figures.patients_seen)),
        ('New patients', str(figures.new_patients)),
        ('Returning patients', str(figures.returning_patients)),
        ('Utilisation', _percent(figures.utilisation)),
        ('Booked of published slots', f'{figures.booked} of {figures.published}'),
    ]


def _percent(value: float | None) -> str:
    return '–' if value is None else f'{value:.1%}'


def _day(day: date) -> str:
    return f'{WEEKDAYS[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1][:3]}'


def _when(moment: datetime) -> str:
    return f'{_day(moment.date())}, {moment:%H:%M}'


def _daily_rows(per_day: dict[str, list[int]], month: Month) -> list[list[str]]:
    rows = []
    for index, completed in enumerate(per_day['completed']):
        no_show, cancelled = per_day['no_show'][index], per_day['cancelled'][index]
        if completed or no_show or cancelled:
            rows.append([_day(month.first + timedelta(days=index)), str(completed), str(no_show), str(cancelled)])
    return rows


@dataclass(frozen=True)
class _Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    empty: str = 'None this month.'
    numeric_from: int = 1  # columns from this index on are right-aligned


@dataclass
class _Document:
    """What every output (HTML, text, PDF) of one report shows, in order."""

    title: str
    intro: str
    figures: list[tuple[str, str]]
    charts: list[Chart] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _doctor_document(figures: DoctorFigures, clinic: str) -> _Document:
    month = figures.month
    charts = [
        Chart(
            f'per-day-{month.key}@hms.report',
            'appointments-per-day.png',
            'Appointments per day',
            _per_day_chart(figures.per_day, month),
        )
    ]
    if figures.top_diagnoses:
        labels, values = zip(*figures.top_diagnoses, strict=True)
        charts.append(
            Chart(
                f'diagnoses-{month.key}@hms.report',
                'top-diagnoses.png',
                'Diagnoses recorded most',
                _bar_chart(list(labels), list(values), 'Visits'),
            )
        )
    return _Document(
        title=f'Your activity in {month.label}',
        intro=f'{figures.name} · {figures.department} · {clinic}',
        figures=_headline(figures),
        charts=charts,
        tables=[
            _Table('Busiest days', ['Day', 'Visits'], [[_day(day), str(n)] for day, n in figures.busiest_days]),
            _Table(
                'Diagnoses recorded most',
                ['Diagnosis', 'Visits'],
                [[text, str(n)] for text, n in figures.top_diagnoses],
            ),
            _Table('Day by day', ['Day', 'Completed', 'No-shows', 'Cancelled'], _daily_rows(figures.per_day, month)),
            _Table(
                'Completed visits',
                ['Date', 'Patient', 'Diagnosis'],
                [[_when(v.start), v.patient, v.diagnosis or '–'] for v in figures.visits],
                numeric_from=3,
            ),
        ],
        notes=[
            'New patients had their first completed visit with you this month; returning ones had seen you before.',
            'Utilisation: appointments not cancelled, over the slots your current availability publishes for the '
            'month.',
            'This report holds patient information: keep it confidential.',
        ],
    )


def _clinic_document(figures: ClinicFigures, clinic: str) -> _Document:
    month = figures.month
    charts = [
        Chart(
            f'per-day-{month.key}@hms.report',
            'appointments-per-day.png',
            'Appointments per day',
            _per_day_chart(figures.per_day, month),
        )
    ]
    busiest = [line for line in figures.doctors if line.completed][:TOP_DOCTORS_CHART]
    if busiest:
        charts.append(
            Chart(
                f'by-doctor-{month.key}@hms.report',
                'visits-by-doctor.png',
                'Visits by doctor',
                _bar_chart([d.name for d in busiest], [d.completed for d in busiest], 'Visits'),
            )
        )
    return _Document(
        title=f'Clinic activity in {month.label}',
        intro=clinic,
        figures=_headline(figures),
        charts=charts,
        tables=[
            _Table(
                'By department',
                ['Department', 'Doctors', 'Completed', 'Cancelled', 'No-shows', 'Utilisation'],
                [
                    [
                        d.department,
                        str(d.doctors),
                        str(d.completed),
                        str(d.cancelled),
                        str(d.no_shows),
                        _percent(d.utilisation),
                    ]
                    for d in figures.departments
                ],
            ),
            _Table(
                'By doctor',
                ['Doctor', 'Department', 'Completed', 'Cancelled', 'No-shows', 'Patients', 'New', 'Utilisation'],
                [
                    [
                        d.name if d.active else f'{d.name} (deactivated)',
                        d.department,
                        str(d.completed),
                        str(d.cancelled),
                        str(d.no_shows),
                        str(d.patients_seen),
                        str(d.new_patients),
                        _percent(d.utilisation),
                    ]
                    for d in figures.doctors
                ],
                numeric_from=2,
            ),
            _Table('Busiest days', ['Day', 'Visits'], [[_day(day), str(n)] for day, n in figures.busiest_days]),
            _Table(
                'Diagnoses recorded most',
                ['Diagnosis', 'Visits'],
                [[text, str(n)] for text, n in figures.top_diagnoses],
            ),
            _Table('Day by day', ['Day', 'Completed', 'No-shows', 'Cancelled'], _daily_rows(figures.per_day, month)),
        ],
        notes=[
            'New patients had their first completed visit at the clinic this month (per doctor: with that doctor).',
            'Utilisation: appointments not cancelled, over the slots the current availability publishes for the month.',
        ],
    )


def _html(document: _Document) -> str:
    """Email-safe HTML (inline styles, tables); every value from the database is escaped."""
    e = html.escape
    cell = 'padding:4px 8px;border-bottom:1px solid #e2e8f0;'
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<title>{e(document.title)}</title></head>',
        '<body style="margin:0;padding:16px;background:#f8fafc;font-family:Arial,Helvetica,sans-serif;color:#0f172a;">',
        '<div style="max-width:680px;margin:0 auto;background:#ffffff;padding:20px;border-radius:8px;">',
        f'<h1 style="font-size:22px;margin:0 0 4px;color:#0f766e;">{e(document.title)}</h1>',
        f'<p style="margin:0 0 16px;color:#475569;">{e(document.intro)}</p>',
        '<table role="presentation" style="border-collapse:collapse;width:100%;margin-bottom:16px;">',
    ]
    for index in range(0, len(document.figures), 4):
        parts.append('<tr>')
        for label, value in document.figures[index : index + 4]:
            parts.append(
                f'<td style="padding:6px;vertical-align:top;width:25%;"><div style="font-size:12px;color:#475569;">'
                f'{e(label)}</div><div style="font-size:20px;font-weight:bold;">{e(value)}</div></td>'
            )
        parts.append('</tr>')
    parts.append('</table>')
    for chart in document.charts:
        parts.append(
            f'<h2 style="font-size:16px;margin:16px 0 6px;">{e(chart.title)}</h2>'
            f'<img src="cid:{e(chart.cid)}" width="640" alt="{e(chart.title)} (the tables below hold the same '
            f'figures)" style="display:block;max-width:100%;height:auto;border:0;">'
        )
    for table in document.tables:
        parts.append(f'<h2 style="font-size:16px;margin:20px 0 6px;">{e(table.title)}</h2>')
        if not table.rows:
            parts.append(f'<p style="color:#475569;margin:0;">{e(table.empty)}</p>')
            continue
        parts.append('<table style="border-collapse:collapse;width:100%;font-size:13px;">')
        parts.append('<thead><tr>')
        for index, name in enumerate(table.header):
            align = 'right' if index >= table.numeric_from else 'left'
            parts.append(f'<th style="{cell}text-align:{align};background:#f1f5f9;">{e(name)}</th>')
        parts.append('</tr></thead><tbody>')
        for row in table.rows:
            parts.append('<tr>')
            for index, value in enumerate(row):
                align = 'right' if index >= table.numeric_from else 'left'
                parts.append(f'<td style="{cell}text-align:{align};">{e(value)}</td>')
            parts.append('</tr>')
        parts.append('</tbody></table>')
    parts.append('<div style="margin-top:20px;font-size:12px;color:#475569;">')
    parts.extend(f'<p style="margin:4px 0;">{e(note)}</p>' for note in document.notes)
    parts.append('<p style="margin:4px 0;">The same report is attached as a PDF.</p></div></div></body></html>')
    return ''.join(parts)


def _text(document: _Document) -> str:
    lines = [document.title, document.intro, '']
    width = max(len(label) for label, _ in document.figures)
    lines += [f'{label.ljust(width)}  {value}' for label, value in document.figures]
    for table in document.tables:
        lines += ['', table.title, '-' * len(table.title)]
        lines += [' | '.join(row) for row in [table.header, *table.rows]] if table.rows else [table.empty]
    lines += ['', *document.notes, 'The same report is attached as a PDF.']
    return '\n'.join(lines) + '\n'


@cache
def _font_files() -> tuple[Path, Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'
    return fonts / 'DejaVuSans.ttf', fonts / 'DejaVuSans-Bold.ttf'


def _pdf(document: _Document) -> bytes:
    """The report as a PDF (fpdf2, pure Python), with a Unicode font so that any name prints."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold = _font_files()
    pdf = FPDF(orientation='portrait', unit='mm', format='A4')
    pdf.set_title(document.title)
    pdf.set_creator('HMS')
    pdf.add_font('DejaVu', '', str(regular))
    pdf.add_font('DejaVu', 'B', str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.set_text_color(15, 118, 110)
    pdf.multi_cell(0, 8, document.title, new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(15, 23, 42)
    pdf.set_font('DejaVu', '', 10)
    pdf.multi_cell(0, 6, document.intro, new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)
    heading = FontFace(emphasis='BOLD', fill_color=(241, 245, 249))
    with pdf.table(col_widths=(3, 2, 3, 2), first_row_as_headings=False, line_height=6) as table:
        for index in range(0, len(document.figures), 2):
            row = table.row()
            for label, value in document.figures[index : index + 2]:
                row.cell(label)
                row.cell(value, style=FontFace(emphasis='BOLD'))
    for chart in document.charts:
        pdf.ln(3)
        pdf.set_font('DejaVu', 'B', 12)
        pdf.cell(0, 8, chart.title, new_x='LMARGIN', new_y='NEXT')
        pdf.image(io.BytesIO(chart.png), w=pdf.epw)
    for section in document.tables:
        pdf.ln(3)
        pdf.set_font('DejaVu', 'B', 12)
        pdf.cell(0, 8, section.title, new_x='LMARGIN', new_y='NEXT')
        pdf.set_font('DejaVu', '', 9)
        if not section.rows:
            pdf.cell(0, 6, section.empty, new_x='LMARGIN', new_y='NEXT')
            continue
        with pdf.table(headings_style=heading, line_height=5, text_align='LEFT') as table:
            for values in [section.header, *section.rows]:
                row = table.row()
                for value in values:
                    row.cell(value)
    pdf.ln(4)
    pdf.set_font('DejaVu', '', 8)
    for note in document.notes:
        pdf.multi_cell(0, 4, note, new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())


def doctor_subject(month: Month) -> str:
    return f'Your activity report for {month.label}'  # never clinical detail: subjects show on lock screens


def clinic_subject(month: Month) -> str:
    return f'Clinic activity report for {month.label}'


def render_doctor(figures: DoctorFigures, clinic: str) -> Rendered:
    document = _doctor_document(figures, clinic)
    return Rendered(
        doctor_subject(figures.month),
        _text(document),
        _html(document),
        tuple(document.charts),
        _pdf(document),
        f'activity-report-{figures.month.key}.pdf',
    )


def render_clinic(figures: ClinicFigures, clinic: str) -> Rendered:
    document = _clinic_document(figures, clinic)
    return Rendered(
        clinic_subject(figures.month),
        _text(document),
        _html(document),
        tuple(document.charts),
        _pdf(document),
        f'clinic-report-{figures.month.key}.pdf',
    )


def email_message(rendered: Rendered, settings: Settings, *, to_email: str, to_name: str) -> EmailMessage:
    """The clinic's usual multipart email, with the charts as inline images of the HTML part (Content-ID) and the
    PDF attached. hms.notify.email composes it; the charts are added to its HTML part as related parts."""
    message = Message(
        to_email=to_email,
        to_name=to_name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=(Attachment(rendered.pdf_name, rendered.pdf, 'application/pdf'),),
    )
    email = compose(message, settings)
    body = email.get_body(preferencelist=('html',))
    assert body is not None
    for chart in rendered.charts:
        body.add_related(
            chart.png,
            maintype='image',
            subtype='png',
            cid=f'<{chart.cid}>',
            filename=chart.filename,
            disposition='inline',
        )
    return email


# --- Sending, exactly once ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    clinic: bool  # the administrator's clinic-wide report, not a doctor's own


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: list[int] = field(default_factory=list)  # deliveries that failed for now: retry them later
    in_flight: int = 0  # of the skipped: claimed but unfinished (elsewhere now, or by a worker that died)

    def merge(self, other: Tally) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.pending.extend(other.pending)
        self.in_flight += other.in_flight


def delivery_key(month: Month, recipient: Recipient, suffix: str = '') -> str:
    who = 'clinic' if recipient.clinic else f'doctor:{recipient.user_id}'
    return f'report:{month.key}:{who}:email{suffix}'


def rerun_suffix(run_id: int) -> str:
    return f':rerun:{run_id}'


def month_of_key(key: str) -> Month | None:
    """The month a report delivery's key names ('report:2026-03:...'), or None for another key."""
    parts = key.split(':')
    return Month.parse_or_none(parts[1]) if len(parts) >= 3 and parts[0] == KIND else None


def recipients(uow: UnitOfWork) -> list[Recipient]:
    """Every active doctor, then the administrator (the first active admin account) for the clinic report."""
    doctors = uow.session.execute(
        select(User.id, User.email, User.name)
        .join(DoctorProfile, DoctorProfile.user_id == User.id)
        .where(User.role == Role.DOCTOR, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    admin = uow.session.execute(
        select(User.id, User.email, User.name)
        .where(User.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).first()
    found = [Recipient(row[0], row[1], row[2], clinic=False) for row in doctors]
    if admin is not None:
        found.append(Recipient(admin[0], admin[1], admin[2], clinic=True))
    return found


def build_email(uow: UnitOfWork, settings: Settings, recipient: Recipient, month: Month) -> EmailMessage:
    if recipient.clinic:
        rendered = render_clinic(clinic_report(uow, settings, month), settings.clinic_name)
    else:
        rendered = render_doctor(doctor_report(uow, settings, recipient.user_id, month), settings.clinic_name)
    return email_message(rendered, settings, to_email=recipient.email, to_name=recipient.name)


Send = Callable[[EmailMessage], None]


def _deliver(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    recipient: Recipient,
    month: Month,
    claim: deliveries.Claim,
    send: Send,
) -> Tally:
    try:
        with uow_factory() as uow:
            email = build_email(uow, settings, recipient, month)
        send(email)  # outside any database session: SMTP may take a while
    except DeliveryError as error:
        with uow_factory() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, str(error), permanent=error.permanent)
            status = uow.session.scalar(select(Delivery.status).where(Delivery.id == claim.delivery_id))
        logger.warning('report %s for user %s: %s', month.key, recipient.user_id, error)
        if status is DeliveryStatus.FAILED:
            return Tally(failed=1)
        return Tally(pending=[claim.delivery_id])
    except Exception as error:  # a bug while building one report must not stop the others
        logger.exception('report %s for user %s could not be built', month.key, recipient.user_id)
        with uow_factory() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, f'report not built: {type(error).__name__}', permanent=True)
        return Tally(failed=1)
    with uow_factory() as uow:
        deliveries.mark_sent(uow, claim.delivery_id)
    return Tally(sent=1)


def send_reports(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    month: Month,
    send: Send,
    *,
    key_suffix: str = '',
) -> Tally:
    """Every active doctor's report and the clinic report, each claimed before it is sent (already sent, failed
    for good, or being sent elsewhere: skipped). A claim left unfinished by a worker that died is taken over once it
    is stale (``deliveries.STALE_CLAIM``); ``in_flight`` counts the fresh ones, for a later look."""
    with uow_factory() as uow:
        everyone = recipients(uow)
    tally = Tally()
    for recipient in everyone:
        subject = clinic_subject(month) if recipient.clinic else doctor_subject(month)
        key = delivery_key(month, recipient, key_suffix)
        with uow_factory() as uow:
            claim = deliveries.claim(
                uow, key, kind=KIND, channel=Channel.EMAIL, recipient=recipient.email, subject=subject,
                user_id=recipient.user_id,
            )  # fmt: skip
            if claim is None:
                status = uow.session.scalar(select(Delivery.status).where(Delivery.key == key))
                tally.merge(Tally(skipped=1, in_flight=int(status is DeliveryStatus.PENDING)))
                continue
        tally.merge(_deliver(uow_factory, settings, recipient, month, claim, send))
    return tally


def resend(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, month: Month, send: Send, delivery_ids: Sequence[int]
) -> Tally:
    """Send these pending report deliveries again: a Celery retry after a temporary failure, or an admin's retry of
    a reopened one. A delivery no longer pending (sent meanwhile, or not a report) is skipped."""
    tally = Tally()
    for delivery_id in delivery_ids:
        with uow_factory() as uow:
            delivery = uow.session.get(Delivery, delivery_id)
            user = uow.session.get(User, delivery.user_id) if delivery and delivery.user_id else None
            if delivery is None or delivery.kind != KIND or user is None:
                claim = None
            else:
                claim = deliveries.reclaim_for_retry(uow, delivery_id)
                recipient = Recipient(user.id, user.email, user.name, clinic=':clinic:' in delivery.key)
        if claim is None:
            tally.skipped += 1
            continue
        tally.merge(_deliver(uow_factory, settings, recipient, month, claim, send))
    return tally


def mark_given_up(uow: UnitOfWork, delivery_ids: Sequence[int], error: str) -> None:
    """Retries exhausted: the still pending deliveries become failed (shown to the admin, retried on request)."""
    for delivery_id in delivery_ids:
        deliveries.mark_failed(uow, delivery_id, error, permanent=True)
