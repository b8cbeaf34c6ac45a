"""The doctor's waiting room on their day: who has arrived and how long they have waited (live), walk-ins and
double-bookings marked, and Call next, which calls the next checked-in patient in (by appointment time, walk-ins
fitted in)."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import AppointmentStatus
from hms.domain.errors import DomainError
from hms.i18n import _, ngettext
from hms.services import queue
from hms.services.principal import Principal
from hms.services.queue import TodayEntry
from hms.services.views import AppointmentView

from ..components.clinic_day import DayList, today_loader
from ..components.sections import section
from ..ui import formats
from ..ui.actions import acting
from ..ui.live import keep_focus
from ..ui.services import call
from ..ui.session import session_token

PATH = '/doctor'


def waiting_room(principal: Principal, entries: list[TodayEntry]) -> DayList:
    """The section with Call next and today's list; returns the list (it reloads itself on every change)."""
    day: DayList
    with section(_('Waiting room'), marker='waiting-room'):
        with ui.row().classes('w-full items-center gap-3'):
            button = ui.button(_('Call next'), icon='campaign', on_click=lambda: _call(None, day))
            button.props('no-caps').mark('call-next')
            count = ui.label('').props('aria-live=polite').mark('waiting-count')
        day = DayList(
            today_loader(session_token() or ''),
            entries,
            actions=_actions,
            show_doctor=False,
            doctor_id=principal.user_id,
            on_show=lambda shown: _count(count, shown),
        )
    return day


def _count(label: ui.label, entries: list[TodayEntry]) -> None:
    waiting = sum(1 for entry in entries if entry.appointment.status is AppointmentStatus.ARRIVED)
    label.text = (
        ngettext('{n} patient waiting', '{n} patients waiting', waiting) if waiting else _('Nobody is waiting.')
    )


def _actions(view: AppointmentView, day: DayList) -> None:
    name = view.patient_name
    if view.status is AppointmentStatus.ARRIVED:
        button = ui.button(_('Call in'), on_click=lambda v=view: _call(v, day)).props('outline no-caps')
        button.props['aria-label'] = _('Call in {name}', name=name)
        keep_focus(button.mark(f'call-in-{view.id}'), f'day-action-{view.id}')
    link = ui.link(_('Open'), f'/doctor/appointments/{view.id}').mark(f'open-visit-{view.id}')
    keep_focus(link, f'day-action-{view.id}')  # called in, the row's next control takes the focus
    link.props['aria-label'] = _(
        'Open the appointment of {time} with {name}', time=formats.time_of_day(view.start), name=name
    )


async def _call(view: AppointmentView | None, day: DayList) -> None:
    principal = await acting(PATH)
    if principal is None:
        return
    try:
        if view is None:
            called = await call(queue.call_next, principal)
        else:
            called = await call(queue.call, principal, view.id)
    except DomainError as failure:
        ui.notify(failure.message, type='warning')
        await day.reload()
        return
    ticket = f' ({called.ticket})' if called.ticket else ''
    ui.notify(_('Calling {name}{ticket} in.', name=called.patient_name, ticket=ticket), type='positive')
    await day.reload()
