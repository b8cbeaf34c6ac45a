"""The doctor's dashboard: today's (or this week's) appointments, today's counts, the next 7 days, own numbers."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.i18n import N_, _, ngettext
from hms.i18n.formats import format_number, format_percent
from hms.services import queue, records, stats
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.queue import TodayEntry
from hms.services.records import DoctorSchedule, ScheduleEntry

from ..components import charts
from ..components.chart_view import ChartView
from ..components.exports import export_panel
from ..components.schedule import ScheduleView
from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call
from .waiting import waiting_room

PATH = '/doctor'
COUNTS = [
    (AppointmentStatus.BOOKED, N_('Booked today')),
    (AppointmentStatus.COMPLETED, N_('Completed today')),
    (AppointmentStatus.CANCELLED, N_('Cancelled today')),
    (AppointmentStatus.NO_SHOW, N_('No-show today')),
]


@dataclass(frozen=True)
class _Dashboard:
    today: DoctorSchedule
    coming: list[ScheduleEntry]
    numbers: dict[str, Any]
    waiting: list[TodayEntry]


def create() -> None:
    @role_page(PATH, Role.DOCTOR)
    async def doctor_home(principal: Principal) -> None:
        data = await call(_dashboard, principal)
        with frame(principal, N_('My day'), current_path=PATH):
            _welcome(principal)
            _counts(data.today)
            waiting_room(principal, data.waiting)
            ScheduleView(data.today, _load_own, visit_links=True)
            _coming(data.coming)
            _numbers(data.numbers)
            await export_panel(principal, [ExportKind.MY_APPOINTMENTS], title=_('Export my appointments'))


def _dashboard(uow: UnitOfWork, settings: Settings, principal: Principal) -> _Dashboard:
    today = records.doctor_schedule(uow, settings, principal, days=1)
    week = records.doctor_schedule(uow, settings, principal, days=7)
    numbers = stats.doctor_numbers(uow, settings, principal)
    now = clock.now()
    coming = [
        entry
        for entry in week.entries
        if entry.appointment.status is AppointmentStatus.BOOKED and entry.appointment.start >= now
    ]
    waiting = queue.today(uow, settings, principal)
    return _Dashboard(today=today, coming=coming, numbers=numbers, waiting=waiting)


async def _load_own(days: int) -> DoctorSchedule | None:
    principal = await acting(PATH)
    if principal is None:
        return None
    return await call(records.doctor_schedule, principal, days=days)


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _welcome(principal: Principal) -> None:
    with section():
        ui.label(_('Welcome, {name}', name=principal.name)).classes('text-lg font-medium')
        ui.label(_('Open an appointment to record the visit, cancel it or mark a no-show.')).classes(theme.SUBTLE)
        with ui.row().classes('gap-4'):
            ui.link(_('My patients'), '/doctor/patients').mark('my-patients-link')
            ui.link(_('Manage my availability'), '/doctor/availability')


def _counts(today: DoctorSchedule) -> None:
    with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-4 gap-3').mark('today-counts'):
        for status, label in COUNTS:
            with ui.card().classes('p-3 gap-0'):
                ui.label(_(label)).classes(theme.SUBTLE)
                count = format_number(today.count(status))
                ui.label(count).classes('text-2xl font-semibold').mark(f'count-{status.value}')


def _coming(coming: list[ScheduleEntry]) -> None:
    zone = app_context.get().settings.zone
    with section(_('Booked in the next 7 days'), marker='doctor-week'):
        if not coming:
            message = _('No appointments booked in the next 7 days. Check your availability so that patients can book.')
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
        ui.link(_('Manage my availability'), '/doctor/availability')


def _numbers(numbers: dict[str, Any]) -> None:
    with section(_('My numbers'), marker='my-numbers'):
        with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-3 gap-3'):
            for key, label, value in (
                ('month_visits', _("This month's visits"), format_number(numbers['month_visits'])),
                ('completion_rate', _('Completion rate'), format_percent(numbers['completion_rate'])),
                ('no_show_rate', _('No-show rate'), format_percent(numbers['no_show_rate'])),
            ):
                with ui.column().classes('gap-0'):
                    ui.label(label).classes(theme.SUBTLE)
                    ui.label(value).classes('text-2xl font-semibold').mark(f'number-{key}')
        ui.label(
            _('Completion and no-show rates count this month’s appointments that were due: completed or missed.')
        ).classes(theme.SUBTLE)
        total = sum(numbers['visits_per_week'])
        title = ngettext(
            'Visits per week over the last 3 months ({n} in all)',
            'Visits per week over the last 3 months ({n} in all)',
            total,
        )
        summary = ngettext(
            'Bar chart of completed visits per week, {n} in the last 13 weeks',
            'Bar chart of completed visits per week, {n} in the last 13 weeks',
            total,
        )
        # A named figure with its table alternative, never role=img around Plotly's toolbar (components/chart_view)
        view = ChartView(
            title, charts.visits_per_week(numbers), charts.visits_per_week_table(numbers), level=3, height='h-64',
            marker='visits', summary=summary,
        )  # fmt: skip
        view.plot.mark('visits-chart')
