"""Today's appointments as the desk and the doctor work through them: arrival state, the ticket, minutes waited so
far, and markers for late arrivals, walk-ins and double-bookings, in words (never by colour alone).

The list reloads when an appointment changes (pushed by the event hub: pages/ui/live.py) and recounts the waiting
minutes every half minute from what it already holds (no database read for the clock moving on)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from nicegui import background_tasks, ui

from hms import clock
from hms.domain.enums import AppointmentStatus, SessionKind
from hms.domain.errors import DomainError
from hms.events import Event
from hms.i18n import N_, _, ngettext
from hms.services import accounts, queue
from hms.services.queue import TodayEntry
from hms.services.views import AppointmentView

from ..ui import formats, theme
from ..ui.live import follow_changes, keep_focus, left
from ..ui.services import call
from .history import status_badge

Load = Callable[[], Awaitable[list[TodayEntry] | None]]


def today_loader(token: str) -> Load:
    """Today's list read again when a change is pushed: as the page's session (without touching it, as the
    dashboard does); None once that session has ended (the page's own session check signs it out)."""

    async def load() -> list[TodayEntry] | None:
        try:
            principal = await call(accounts.authenticate, token, kind=SessionKind.WEB, touch=False)
            return await call(queue.today, principal)
        except DomainError:
            return None

    return load


Action = Callable[[AppointmentView], Awaitable[None]]
RECOUNT_SECONDS = 30.0
REFRESH_DELAY = 0.2  # a burst of changes (a walk-in, then its check-in) reloads once
MARK_LATE = N_('Late')
MARK_WALK_IN = N_('Walk-in')
MARK_OVERBOOKED = N_('Double-booked')
MARK_CONFIRMED = N_('Confirmed')  # the patient confirmed they will come (a one-tap link)
WAITING_STATES = (AppointmentStatus.ARRIVED,)


def waited_minutes(view: AppointmentView, now: datetime) -> int | None:
    """Minutes waited so far (checked in, not yet called), or the wait it was (called in); None before arrival."""
    if view.arrived_at is None:
        return None
    until = now if view.status is AppointmentStatus.ARRIVED else view.called_at
    if until is None:
        return None
    return max(0, int((until - view.arrived_at).total_seconds() // 60))


def waited_text(minutes: int, *, still_waiting: bool) -> str:
    if still_waiting:
        return ngettext('Waiting {n} minute', 'Waiting {n} minutes', minutes)
    return ngettext('Waited {n} minute', 'Waited {n} minutes', minutes)


def marker(text: str, name: str) -> ui.label:
    """A marker in words with a border (not colour alone)."""
    return (
        ui.label(text)
        .classes('text-xs font-semibold uppercase tracking-wide border rounded px-1 border-current')
        .mark(name)
    )


class DayList(ui.column):
    """Today's appointments with their state; ``actions`` adds each row's buttons (check in, call in)."""

    def __init__(
        self,
        load: Load,
        entries: list[TodayEntry],
        *,
        actions: Callable[[AppointmentView, DayList], None],
        show_doctor: bool,
        doctor_id: int | None = None,
        empty: str = '',
        on_show: Callable[[list[TodayEntry]], None] | None = None,
    ) -> None:
        super().__init__()
        self.classes('w-full gap-0').mark('day-list')
        self.load, self.actions, self.show_doctor, self.doctor_id = load, actions, show_doctor, doctor_id
        self.empty = empty or _('No appointments today.')
        self.on_show = on_show
        self.entries = entries
        self.query = ''
        self.refresh_pending = False
        self.waits: dict[int, tuple[ui.label, AppointmentView]] = {}
        self.show()
        follow_changes(self.on_event)
        ui.timer(RECOUNT_SECONDS, self.recount)

    def filter(self, text: str) -> None:
        """Show only rows whose patient, ticket, doctor or appointment number contains ``text``."""
        self.query = (text or '').strip().casefold()
        self.show()

    def _matches(self, view: AppointmentView) -> bool:
        if not self.query:
            return True
        haystack = ' '.join(
            (view.patient_name, view.ticket or '', view.doctor_name, str(view.id), str(view.patient_id))
        )
        return self.query in haystack.casefold()

    def show(self) -> None:
        if self.on_show is not None:
            self.on_show(self.entries)
        self.clear()
        self.waits = {}
        shown = [entry for entry in self.entries if self._matches(entry.appointment)]
        with self:
            if not shown:
                ui.label(self.empty if not self.query else _('No appointment today matches.')).classes(
                    theme.INFO_BANNER
                ).mark('day-list-empty')
                return
            doctor = None
            for entry in shown:
                if self.show_doctor and entry.appointment.doctor_name != doctor:
                    doctor = entry.appointment.doctor_name
                    department = entry.appointment.department_name
                    title = f'{doctor} · {department}' if department else doctor
                    ui.label(title).classes('font-medium pt-3').props('role=heading aria-level=3')
                self._row(entry)

    def _row(self, entry: TodayEntry) -> None:
        view = entry.appointment
        row = ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'today-{view.id}')
        with keep_focus(row, f'day-row-{view.id}'):  # a row redrawn keeps the focus it had
            ui.label(formats.time_of_day(view.start)).classes('font-medium w-14')
            with ui.column().classes('gap-0 flex-1 min-w-[10rem]'):
                with ui.row().classes('items-center gap-2'):
                    ui.label(view.patient_name).classes('font-medium')
                    if view.ticket:
                        ui.label(_('Ticket {ticket}', ticket=view.ticket)).classes(theme.SUBTLE).mark(
                            f'ticket-{view.id}'
                        )
                if view.reason:
                    ui.label(view.reason).classes(theme.SUBTLE)
            with ui.row().classes('items-center gap-2'):
                if entry.late:
                    marker(_(MARK_LATE), f'late-{view.id}').classes(theme.ERROR_TEXT)
                if view.walk_in:
                    marker(_(MARK_WALK_IN), f'walk-in-{view.id}')
                if view.overbooked:
                    marker(_(MARK_OVERBOOKED), f'overbooked-{view.id}')
                if view.confirmed_at is not None and view.status is AppointmentStatus.BOOKED:
                    marker(_(MARK_CONFIRMED), f'confirmed-{view.id}')
                status_badge(view.status)
                wait = ui.label('').classes('text-sm w-36').mark(f'wait-{view.id}')
                self.waits[view.id] = (wait, view)
                self._set_wait(wait, view, clock.now())
            self.actions(view, self)

    def _set_wait(self, label: ui.label, view: AppointmentView, now: datetime) -> None:
        minutes = waited_minutes(view, now)
        label.text = '' if minutes is None else waited_text(minutes, still_waiting=view.status in WAITING_STATES)

    def recount(self) -> None:
        now = clock.now()
        for label, view in self.waits.values():
            self._set_wait(label, view, now)

    def on_event(self, event: Event) -> None:
        if event.namespace != 'appointment' or self.refresh_pending:
            return
        if self.doctor_id is not None and event.data.get('doctor_id') not in (None, self.doctor_id):
            return
        self.refresh_pending = True
        background_tasks.create(self._refresh_soon(), name='day-list-refresh')

    async def _refresh_soon(self) -> None:
        await asyncio.sleep(REFRESH_DELAY)
        self.refresh_pending = False
        await self.reload()

    async def reload(self) -> None:
        entries = await self.load()
        if entries is not None and not left(self):  # the page may have been left while the list was read
            self.entries = entries
            self.show()
