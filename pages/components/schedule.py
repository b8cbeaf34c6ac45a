"""A doctor's appointments of one day or seven, in time order, with a Day/Week toggle: the doctor's own day (with
links to each visit) and, read-only, the administrator's page of one doctor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import groupby

from nicegui import ui

from hms import context as app_context
from hms.i18n import N_, _, ngettext
from hms.services.records import DoctorSchedule, ScheduleEntry

from ..ui import formats, theme
from .history import status_badge
from .sections import heading

RANGES = {1: N_('Day'), 7: N_('Week')}
EMPTY_HINT = N_('Check your availability so that patients can book.')

Load = Callable[[int], Awaitable[DoctorSchedule | None]]


def _range_text(schedule: DoctorSchedule) -> str:
    first, last = schedule.first, schedule.last
    if first == last:
        return formats.day(first, year=True, long=True)
    return f'{formats.day(first)} – {formats.day(last, year=True)}'


def _hours(entry: ScheduleEntry) -> str:
    """From start to end of the appointment, in the clinic's zone ('09:00' to '09:30', joined by an en dash)."""
    appointment = entry.appointment
    return f'{formats.time_of_day(appointment.start)}\N{EN DASH}{formats.time_of_day(appointment.end)}'


class ScheduleView(ui.card):
    """A doctor's appointments of one day or seven, in time order; Day/Week reloads through ``load``. ``empty_hint``
    (translated by the caller) follows the empty state; by default, to check the availability."""

    def __init__(self, first: DoctorSchedule, load: Load, *, visit_links: bool, empty_hint: str = '') -> None:
        super().__init__()
        self.classes(theme.CARD).mark('schedule')
        self.load = load
        self.visit_links = visit_links
        self.empty_hint = empty_hint or _(EMPTY_HINT)
        self.generation = 0
        with self:
            with ui.row().classes('w-full items-center gap-3'):
                heading(_('Schedule'))
                self.range = ui.label('').classes(theme.SUBTLE).mark('schedule-range')
                ui.space()
                ranges = {days: _(label) for days, label in RANGES.items()}
                self.toggle = ui.toggle(ranges, value=(first.last - first.first).days + 1).props('no-caps')
                self.toggle.props['aria-label'] = _('Show one day or a week')
                self.toggle.mark('schedule-days')
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
                    text = _('No appointments in these seven days. {hint}', hint=self.empty_hint)
                else:
                    text = _(
                        'No appointments on this day. Switch to Week to see the coming days. {hint}',
                        hint=self.empty_hint,
                    )
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
        appointment = entry.appointment
        with ui.row().classes('w-full items-center gap-3 border-t pt-2').mark(f'schedule-{appointment.id}'):
            ui.label(_hours(entry)).classes('font-medium w-28')
            with ui.column().classes('gap-0 flex-1 min-w-[10rem]'):
                name = appointment.patient_name
                age = entry.patient_age
                ui.label(name if age is None else ngettext('{name}, {n} year', '{name}, {n} years', age, name=name))
                if appointment.reason:
                    ui.label(appointment.reason).classes(theme.SUBTLE)
            status_badge(appointment.status)
            if self.visit_links:
                link = ui.button(
                    _('Open'),
                    icon='chevron_right',
                    on_click=lambda a=appointment.id: ui.navigate.to(f'/doctor/appointments/{a}'),
                ).props('flat no-caps')
                time = formats.time_of_day(appointment.start)
                link.props['aria-label'] = _('Open the appointment of {time} with {name}', time=time, name=name)
                link.mark(f'open-{appointment.id}')
