"""Date ranges with a reason — a doctor's leave, the clinic's closures — listed with a Withdraw button each and an
entry form below (the doctor's availability page and the admin's leave page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from nicegui import ui

from hms import context as app_context
from hms.domain.errors import DomainError
from hms.domain.validation import parse
from hms.domain.waitlist import LeaveIn
from hms.i18n import _, ngettext
from hms.services.availability import local_today
from hms.services.leave import LeaveView

from ..ui import dates, formats, theme
from . import forms

Load = Callable[[], Awaitable[list[LeaveView]]]
Add = Callable[[LeaveIn], Awaitable[LeaveView]]
Remove = Callable[[int], Awaitable[None]]


def span(first: date, last: date) -> str:
    return formats.day(first) if first == last else f'{formats.day(first)} – {formats.day(last)}'


class RangeEditor:
    """The ranges ``load`` reads, each withdrawn by ``remove``; the form enters one with ``add``."""

    def __init__(self, load: Load, add: Add, remove: Remove, *, marker: str, empty: str, add_label: str) -> None:
        self.load, self.add, self.remove = load, add, remove
        self.empty = empty
        today = local_today(app_context.get().settings)
        self.error = forms.banner()
        self.listed = ui.column().classes('w-full gap-1').mark(f'{marker}-list')
        with ui.row().classes('w-full items-start gap-2').mark(f'{marker}-form'):
            self.first = dates.date_input(_('First day'), today, first=today).props('outlined').mark(f'{marker}-first')
            self.last = dates.date_input(_('Last day'), today, first=today).props('outlined').mark(f'{marker}-last')
            self.reason = ui.input(_('Reason')).props('outlined maxlength=300').classes('flex-1 min-w-[12rem]')
            self.reason.mark(f'{marker}-reason')
            ui.button(add_label, icon='add', on_click=self.submit).classes('mt-2').mark(f'{marker}-add')
        self.status = ui.label('').props('role=status aria-live=polite').classes(theme.SUBTLE)

    async def show(self) -> None:
        found = await self.load()
        self.listed.clear()
        with self.listed:
            if not found:
                ui.label(self.empty).classes(theme.SUBTLE)
            for item in found:
                with ui.row().classes('w-full items-center gap-3'):
                    who = f'{item.doctor_name} · ' if item.doctor_name else ''
                    reason = f' · {item.reason}' if item.reason else ''
                    ui.label(f'{who}{span(item.first_day, item.last_day)}{reason}').classes('flex-1')
                    withdraw = ui.button(_('Withdraw'), icon='undo', on_click=lambda i=item: self.withdraw(i))
                    withdraw.props('flat no-caps')
                    withdraw.props['aria-label'] = _('Withdraw {days}', days=span(item.first_day, item.last_day))

    async def submit(self) -> None:
        self.error.text = ''
        self.first.error = self.last.error = None
        try:
            first, last = dates.parse(self.first.value), dates.parse(self.last.value)
        except ValueError as wrong:
            self.error.text = str(wrong)
            return
        try:
            entered = await self.add(
                parse(LeaveIn, {'first_day': first, 'last_day': last, 'reason': self.reason.value or ''})
            )
        except DomainError as failure:
            fields = getattr(failure, 'field_errors', {}) or {}
            self.first.error, self.last.error = fields.get('first_day'), fields.get('last_day')
            self.error.text = failure.message
            return
        self.reason.value = ''
        self.status.text = (
            ngettext(
                'Entered. {n} booked appointment on these days: its patient is asked to choose a new time.',
                'Entered. {n} booked appointments on these days: their patients are asked to choose new times.',
                entered.stranded,
            )
            if entered.stranded
            else _('Entered.')
        )
        await self.show()

    async def withdraw(self, item: LeaveView) -> None:
        self.error.text = ''
        try:
            await self.remove(item.id)
        except DomainError as failure:
            self.error.text = failure.message
            return
        self.status.text = _('Withdrawn.')
        await self.show()
