"""A doctor's week as a time grid: a real table (days as column headers, start times as row headers, so screen
readers announce both for each cell) with the appointments in their slots and the free slots between them.
Previous/This/Next week reload it in place through ``load``. Used by the doctor's week page and the administrator's
page of a doctor; the front desk's page will use it too.

``open_path`` says where an appointment opens (the doctor's visit page), or None to show it without a link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta

from nicegui import ui

from hms.i18n import _
from hms.i18n.formats import format_time
from hms.services.views import AppointmentView
from hms.services.week import WeekCell, WeekView

from ..ui import formats, theme
from .history import status_badge
from .sections import heading

Load = Callable[[date], Awaitable[WeekView | None]]
OpenPath = Callable[[AppointmentView], str | None]

CELL = 'border border-gray-300 dark:border-gray-600 p-1 align-top min-w-[7rem]'
TODAY = ' bg-amber-50 dark:bg-amber-950'
FREE = 'block rounded border border-dashed border-gray-400 px-1 text-gray-700 dark:text-gray-200'


def cell_marker(day: date, moment: time) -> str:
    return f'week-cell-{day.isoformat()}-{moment.hour:02d}{moment.minute:02d}'  # a test marker, never shown


class WeekGrid(ui.card):
    def __init__(self, first: WeekView, load: Load, *, open_path: OpenPath, title: str = '') -> None:
        super().__init__()
        self.classes(theme.CARD).mark('week')
        self.load = load
        self.open_path = open_path
        self.generation = 0
        self.week = first
        with self:
            with ui.row().classes('w-full items-center gap-3'):
                heading(title or _('Week'))
                self.range = ui.label('').classes(theme.SUBTLE).mark('week-range')
                ui.space()
                with ui.row().classes('gap-1'):
                    self._step(_('Previous week'), 'chevron_left', -7, 'week-previous')
                    self._step(_('This week'), 'today', 0, 'week-this')
                    self._step(_('Next week'), 'chevron_right', 7, 'week-next')
            self.body = ui.column().classes('w-full gap-2')
        self.show(first)

    def _step(self, label: str, icon: str, days: int, marker: str) -> None:
        button = ui.button(label, icon=icon, on_click=lambda: self._go(days)).props('flat no-caps')
        button.mark(marker)

    async def _go(self, days: int) -> None:
        self.generation += 1
        generation = self.generation
        target = self.week.today if days == 0 else self.week.first + timedelta(days=days)
        week = await self.load(target)
        if week is not None and generation == self.generation:
            self.show(week)

    def show(self, week: WeekView) -> None:
        self.week = week
        first, last = week.days[0], week.days[-1]
        self.range.text = f'{formats.day(first)} – {formats.day(last, year=True)}'
        self.body.clear()
        with self.body:
            if not week.times:
                ui.label(_('No appointments and no free slots in this week.')).classes(theme.INFO_BANNER).mark(
                    'week-empty'
                )
                return
            self._table(week)
            ui.label(_('Free: a slot of the availability that nobody has booked yet.')).classes(theme.SUBTLE)

    def _table(self, week: WeekView) -> None:
        # Scrolls sideways on a narrow screen; focusable so that the keyboard can scroll it too.
        scroller = ui.element('div').classes('w-full overflow-x-auto').props('tabindex=0 role=region')
        scroller.props['aria-label'] = self.range.text
        with scroller, ui.element('table').classes('w-full border-collapse text-sm').mark('week-grid'):
            with ui.element('caption').classes('sr-only'):
                ui.label(
                    _(
                        'Appointments and free slots from {first} to {last}',
                        first=formats.day(week.days[0]),
                        last=formats.day(week.days[-1], year=True),
                    )
                )
            with ui.element('thead'), ui.element('tr'):
                with ui.element('th').classes(CELL).props('scope=col'):
                    ui.label(_('Time'))
                for day in week.days:
                    self._day_header(day, today=day == week.today)
            with ui.element('tbody'):
                for moment in week.times:
                    with ui.element('tr'):
                        with ui.element('th').classes(CELL + ' text-start font-medium').props('scope=row'):
                            ui.label(format_time(moment))
                        for day in week.days:
                            self._cell(day, moment, week.cell(day, moment), today=day == week.today)

    @staticmethod
    def _day_header(day: date, *, today: bool) -> None:
        header = ui.element('th').classes(CELL + (TODAY if today else '')).props('scope=col')
        if today:
            header.props('aria-current=date')
        with header:
            ui.label(formats.day(day))
            if today:
                ui.label(_('Today')).classes('text-xs font-semibold').mark('week-today')

    def _cell(self, day: date, moment: time, cell: WeekCell | None, *, today: bool) -> None:
        with ui.element('td').classes(CELL + (TODAY if today else '')).mark(cell_marker(day, moment)):
            if cell is None:
                return
            appointment = cell.appointment
            if appointment is None:
                ui.label(_('Free')).classes(FREE).mark('week-free')
                return
            path = self.open_path(appointment)
            with ui.column().classes('gap-1'):
                if path:
                    link = ui.link(appointment.patient_name, path).mark(f'week-appointment-{appointment.id}')
                    link.props['aria-label'] = _(
                        'Open the appointment of {time} with {name}',
                        time=formats.time_of_day(appointment.start),
                        name=appointment.patient_name,
                    )
                else:
                    ui.label(appointment.patient_name).mark(f'week-appointment-{appointment.id}')
                status_badge(appointment.status)
