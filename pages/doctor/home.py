"""The doctor's dashboard: today's (or this week's) appointments, today's counts, the next 7 days, own numbers.

``ScheduleView`` (a doctor's day or week, with a Day/Week toggle) is public: the administrator's doctor page shows
it read-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.services import records, stats
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.records import DoctorSchedule, ScheduleEntry

from ..account.exports import export_panel
from ..components import charts
from ..ui import formats, theme
from ..ui.frame import forbidden, frame
from ..ui.session import current_principal, page_access
from .patients import status_badge

PATH = '/doctor'
RANGES = {1: 'Day', 7: 'Week'}
COUNTS = [
    (AppointmentStatus.BOOKED, 'Booked'),
    (AppointmentStatus.COMPLETED, 'Completed'),
    (AppointmentStatus.CANCELLED, 'Cancelled'),
    (AppointmentStatus.NO_SHOW, 'No-show'),
]

Load = Callable[[int], Awaitable[DoctorSchedule | None]]


@dataclass(frozen=True)
class _Dashboard:
    today: DoctorSchedule
    coming: list[ScheduleEntry]
    numbers: dict[str, Any]


def create() -> None:
    @ui.page(PATH)
    async def doctor_home() -> RedirectResponse | None:
        access = await page_access(PATH, Role.DOCTOR)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        data = await run.io_bound(_dashboard, access.principal)
        with frame(access.principal, 'My day', current_path=PATH):
            _welcome(access.principal)
            _counts(data.today)
            ScheduleView(data.today, _load_own, visit_links=True)
            _coming(data.coming)
            _numbers(data.numbers)
            await export_panel(access.principal, [ExportKind.MY_APPOINTMENTS], title='Export my appointments')
        return None


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _dashboard(principal: Principal) -> _Dashboard:
    ctx = app_context.get()
    with ctx.uow() as uow:
        today = records.doctor_schedule(uow, ctx.settings, principal, days=1)
        week = records.doctor_schedule(uow, ctx.settings, principal, days=7)
        numbers = stats.doctor_numbers(uow, ctx.settings, principal)
    now = clock.now()
    coming = [
        entry
        for entry in week.entries
        if entry.appointment.status is AppointmentStatus.BOOKED and entry.appointment.start >= now
    ]
    return _Dashboard(today=today, coming=coming, numbers=numbers)


def _schedule(principal: Principal, days: int) -> DoctorSchedule:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return records.doctor_schedule(uow, ctx.settings, principal, days=days)


async def _load_own(days: int) -> DoctorSchedule | None:
    principal = await current_principal()
    if principal is None:
        ui.navigate.to(f'/login?next={PATH}')
        return None
    return await run.io_bound(_schedule, principal, days)


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _welcome(principal: Principal) -> None:
    with ui.card().classes(theme.CARD):
        ui.label(f'Welcome, {principal.name}').classes('text-lg font-medium')
        ui.label('Open an appointment to record the visit, cancel it or mark a no-show.').classes(theme.SUBTLE)
        with ui.row().classes('gap-4'):
            ui.link('My patients', '/doctor/patients').mark('my-patients-link')
            ui.link('Manage my availability', '/doctor/availability')


def _counts(today: DoctorSchedule) -> None:
    with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-4 gap-3').mark('today-counts'):
        for status, label in COUNTS:
            with ui.card().classes('p-3 gap-0'):
                ui.label(f'{label} today').classes(theme.SUBTLE)
                ui.label(str(today.count(status))).classes('text-2xl font-semibold').mark(f'count-{status.value}')


def _range_text(schedule: DoctorSchedule) -> str:
    first, last = schedule.first, schedule.last
    if first == last:
        return formats.day(first, year=True, long=True)
    return f'{formats.day(first)} – {formats.day(last, year=True)}'


class ScheduleView(ui.card):
    """A doctor's appointments of one day or seven, in time order; Day/Week reloads through ``load``."""

    def __init__(self, first: DoctorSchedule, load: Load, *, visit_links: bool, empty_hint: str = '') -> None:
        super().__init__()
        self.classes(theme.CARD).mark('schedule')
        self.load = load
        self.visit_links = visit_links
        self.empty_hint = empty_hint or 'Check your availability so that patients can book.'
        self.generation = 0
        with self:
            with ui.row().classes('w-full items-center gap-3'):
                ui.label('Schedule').classes('text-lg font-medium').props('role=heading aria-level=2')
                self.range = ui.label('').classes(theme.SUBTLE).mark('schedule-range')
                ui.space()
                self.toggle = ui.toggle(RANGES, value=(first.last - first.first).days + 1)
                self.toggle.props('no-caps aria-label="Show one day or a week"').mark('schedule-days')
                self.toggle.on_value_change(self._changed)
            self.body = ui.column().classes('w-full gap-2')
        self.show(first)

    async def _changed(self) -> None:
        self.generation += 1
        generation = self.generation
        schedule = await self.load(int(self.toggle.value or 1))
        if schedule is not None and generation == self.generation:
            self.show(schedule)

    def show(self, schedule: DoctorSchedule) -> None:
        zone = app_context.get().settings.zone
        week = schedule.first != schedule.last
        self.range.text = _range_text(schedule)
        self.body.clear()
        with self.body:
            if not schedule.entries:
                if week:
                    text = f'No appointments in these seven days. {self.empty_hint}'
                else:
                    text = f'No appointments on this day. Switch to Week to see the coming days. {self.empty_hint}'
                ui.label(text).classes(theme.INFO_BANNER).mark('schedule-empty')
                return
            by_day = groupby(schedule.entries, key=lambda e: e.appointment.start.astimezone(zone).date())
            for day, entries in by_day:
                if week:
                    heading = formats.day(day, long=True)
                    ui.label(heading).classes('font-medium pt-2').props('role=heading aria-level=3')
                for entry in entries:
                    self._row(entry)

    def _row(self, entry: ScheduleEntry) -> None:
        zone = app_context.get().settings.zone
        appointment = entry.appointment
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        with ui.row().classes('w-full items-center gap-3 border-t pt-2').mark(f'schedule-{appointment.id}'):
            ui.label(f'{start:%H:%M}–{end:%H:%M}').classes('font-medium w-28')
            with ui.column().classes('gap-0 flex-1 min-w-[10rem]'):
                name = appointment.patient_name
                ui.label(f'{name}, {entry.patient_age} years' if entry.patient_age is not None else name)
                if appointment.reason:
                    ui.label(appointment.reason).classes(theme.SUBTLE)
            status_badge(appointment.status)
            if self.visit_links:
                ui.button(
                    'Open', icon='chevron_right',
                    on_click=lambda a=appointment.id: ui.navigate.to(f'/doctor/appointments/{a}'),
                ).props(
                    f'flat no-caps aria-label="Open the appointment of {start:%H:%M} with {name}"'
                ).mark(f'open-{appointment.id}')  # fmt: skip


def _coming(coming: list[ScheduleEntry]) -> None:
    zone = app_context.get().settings.zone
    with ui.card().classes(theme.CARD).mark('doctor-week'):
        ui.label('Booked in the next 7 days').classes('text-lg font-medium').props('role=heading aria-level=2')
        if not coming:
            message = 'No appointments booked in the next 7 days. Check your availability so that patients can book.'
            ui.label(message).classes(theme.SUBTLE)
        for day, entries in groupby(coming, key=lambda e: e.appointment.start.astimezone(zone).date()):
            ui.label(formats.day(day, long=True)).classes('font-medium pt-2').props('role=heading aria-level=3')
            for entry in entries:
                appointment = entry.appointment
                with ui.row().classes('w-full gap-3 items-baseline').mark(f'appointment-{appointment.id}'):
                    ui.label(formats.time_of_day(appointment.start)).classes('font-medium w-12')
                    ui.link(appointment.patient_name, f'/doctor/appointments/{appointment.id}')
                    if appointment.reason:
                        ui.label(appointment.reason).classes(theme.SUBTLE)
        ui.link('Manage my availability', '/doctor/availability')


def _percent(value: float | None) -> str:
    return '–' if value is None else f'{value:.0%}'


def _numbers(numbers: dict[str, Any]) -> None:
    with ui.card().classes(theme.CARD).mark('my-numbers'):
        ui.label('My numbers').classes('text-lg font-medium').props('role=heading aria-level=2')
        with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-3 gap-3'):
            for key, label, value in (
                ('month_visits', "This month's visits", str(numbers['month_visits'])),
                ('completion_rate', 'Completion rate', _percent(numbers['completion_rate'])),
                ('no_show_rate', 'No-show rate', _percent(numbers['no_show_rate'])),
            ):
                with ui.column().classes('gap-0'):
                    ui.label(label).classes(theme.SUBTLE)
                    ui.label(value).classes('text-2xl font-semibold').mark(f'number-{key}')
        ui.label(
            'Completion and no-show rates count this month’s appointments that were due: completed or missed.'
        ).classes(theme.SUBTLE)
        total = sum(numbers['visits_per_week'])
        ui.label(f'Visits per week over the last 3 months ({total} in all)').classes('font-medium')
        ui.plotly(charts.visits_per_week(numbers)).classes('w-full h-64').props(
            f'role=img aria-label="Bar chart of completed visits per week, {total} in the last 13 weeks"'
        ).mark('visits-chart')
