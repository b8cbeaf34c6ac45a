"""A doctor's week as a time grid: Monday to Sunday, rows by local start time, each cell an appointment or a free
slot of the doctor's availability. Read by the doctor (their own week) and the administrator (any doctor's), through
the same role check as the doctor's schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hms import clock
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import NotFound
from hms.domain.slots import day_slots
from hms.i18n import _

from . import availability, records
from .principal import Principal
from .views import AppointmentView

DAYS = 7


@dataclass(frozen=True)
class WeekCell:
    """One cell of the grid: an appointment, or (``appointment`` None) a free slot of the doctor's availability."""

    start: datetime
    end: datetime
    appointment: AppointmentView | None = None


@dataclass(frozen=True)
class WeekView:
    doctor_id: int
    days: list[date]  # Monday to Sunday
    today: date
    times: list[time]  # the rows: every local start time of the week's cells, in order
    cells: dict[tuple[date, time], WeekCell]

    @property
    def first(self) -> date:
        return self.days[0]

    def cell(self, day: date, moment: time) -> WeekCell | None:
        return self.cells.get((day, moment))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def doctor_week(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    *,
    first: date | None = None,
    doctor_id: int | None = None,
) -> WeekView:
    """The week holding ``first`` (this week by default): appointments that hold their time (not the cancelled ones)
    and the free slots still ahead."""
    today = availability.local_today(settings)
    monday = monday_of(first or today)
    # The doctor's schedule makes the role and object check: a doctor reads their own, the administrator any doctor's.
    schedule = records.doctor_schedule(uow, settings, actor, first=monday, days=DAYS, doctor_id=doctor_id)
    doctor = uow.doctors.get(actor.user_id if actor.role is Role.DOCTOR else (doctor_id or 0))
    if doctor is None:
        raise NotFound(_('No such doctor.'))
    zone = settings.zone
    cells: dict[tuple[date, time], WeekCell] = {}
    held = [
        entry.appointment for entry in schedule.entries if entry.appointment.status is not AppointmentStatus.CANCELLED
    ]
    for appointment in held:
        local = appointment.start.astimezone(zone)
        cells[(local.date(), local.time())] = WeekCell(appointment.start, appointment.end, appointment)
    now = clock.now()
    windows = availability.effective_windows(uow, doctor.user_id, monday, monday + timedelta(days=DAYS - 1))
    for day, day_windows in windows.items():
        for slot in day_slots(day, day_windows, doctor.consultation_minutes, zone):
            taken = any(a.start < slot.end and slot.start < a.end for a in held)
            if slot.start > now and not taken:
                local = slot.start.astimezone(zone)
                cells.setdefault((local.date(), local.time()), WeekCell(slot.start, slot.end))
    return WeekView(
        doctor_id=doctor.user_id,
        days=[monday + timedelta(days=offset) for offset in range(DAYS)],
        today=today,
        times=sorted({moment for _day, moment in cells}),
        cells=cells,
    )
