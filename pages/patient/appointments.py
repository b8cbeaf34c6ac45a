"""The patient's appointments: messages from the clinic, upcoming visits (reschedule, cancel) and past visits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, InvalidTransition, NotFound, SlotTaken
from hms.domain.scheduling import CancelIn, RescheduleIn
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext
from hms.services import appointments, availability, notices
from hms.services.notices import NoticeView
from hms.services.principal import Principal
from hms.services.views import AppointmentView, SlotView

from ..components import forms
from ..components.calendar_button import add_to_calendar
from ..components.dialogs import Answer, ConfirmDialog
from ..components.sections import heading, section
from ..components.slots import SlotPicker
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call
from .booking import SEARCH_PATH

PATH = '/patient/appointments'
PAST_SHOWN = 20
STATUS = {  # the patient's words for each status (marked here, translated where shown), and its badge colour
    AppointmentStatus.BOOKED: (N_('Booked'), 'positive'),
    AppointmentStatus.ARRIVED: (N_('Checked in'), 'positive'),
    AppointmentStatus.IN_CONSULTATION: (N_('In consultation'), 'positive'),
    AppointmentStatus.COMPLETED: (N_('Completed'), 'grey-7'),
    AppointmentStatus.CANCELLED: (N_('Cancelled'), 'negative'),
    AppointmentStatus.NO_SHOW: (N_('Missed'), 'warning'),
}

Refresh = Callable[[], Awaitable[None]]
Moved = AppointmentView | InvalidTransition  # moved, or refused (the cut-off passed meanwhile)
NO_OTHER_TIMES = N_(
    'No other free times in the next days. Keep this appointment, or cancel it and book another doctor.'
)
CANCEL_EXPLAINED = N_(
    'The time is given back for other patients and the doctor sees the cancellation. This cannot be undone; you can '
    'book a new time afterwards.'
)


@dataclass(frozen=True)
class _Lists:
    upcoming: list[AppointmentView]
    past: list[AppointmentView]


def create() -> None:
    @role_page(PATH, Role.PATIENT)
    async def appointments_page(principal: Principal) -> None:
        messages = await call(_read_notices, principal)
        with frame(principal, _('My appointments'), current_path=PATH):
            _notices(messages)

            @ui.refreshable
            async def lists() -> None:
                data = await call(_lists, principal)
                _upcoming(data.upcoming, error=error, refresh=lists.refresh)
                _past(data.past)

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Book an appointment'), icon='add', on_click=lambda: ui.navigate.to(SEARCH_PATH))
            error = forms.banner()
            await lists()


def _read_notices(uow: UnitOfWork, principal: Principal) -> list[NoticeView]:
    """The patient's recent notices as they were before this visit; then they are marked read."""
    found = notices.my_notices(uow, principal)
    if any(not notice.read for notice in found):
        notices.mark_all_read(uow, principal)
    return found


def _lists(uow: UnitOfWork, principal: Principal) -> _Lists:
    upcoming = appointments.my_appointments(uow, principal, upcoming=True)
    past = appointments.my_appointments(uow, principal, upcoming=False)
    return _Lists(upcoming=upcoming, past=past)


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _notices(messages: list[NoticeView]) -> None:
    new = [notice for notice in messages if not notice.read]
    earlier = [notice for notice in messages if notice.read]
    if new:
        with ui.card().classes(theme.CARD + ' border-s-4 border-amber-600').mark('new-notices'):
            heading(_('New messages from the clinic'))
            for notice in new:
                _notice(notice)
    if earlier:
        title = _('Earlier messages ({count})', count=len(earlier))
        with ui.expansion(title, icon='mail').classes('w-full').mark('old-notices'):
            for notice in earlier:
                _notice(notice)


def _notice(notice: NoticeView) -> None:
    with ui.column().classes('w-full gap-0 py-1'):
        ui.label(notice.subject).classes('font-medium')
        ui.label(formats.moment(notice.created_at)).classes(theme.SUBTLE)
        ui.label(notice.body)


def _cutoff_passed(appointment: AppointmentView) -> bool:
    hours = app_context.get().settings.cancel_cutoff_hours
    return clock.now() > appointment.start - timedelta(hours=hours)


def _upcoming(found: list[AppointmentView], *, error: ui.label, refresh: Refresh) -> None:
    with section(_('Upcoming'), marker='upcoming'):
        if not found:
            ui.label(_('No upcoming appointments. Use "Book an appointment" to find a doctor and a time.')).classes(
                theme.SUBTLE
            ).mark('no-upcoming')
            return
        hours = app_context.get().settings.cancel_cutoff_hours
        for appointment in found:
            with _appointment_card(appointment):
                if appointment.status is not AppointmentStatus.BOOKED:
                    continue
                if clock.now() < appointment.start:  # upcoming
                    add_to_calendar(appointment.id, formats.moment(appointment.start))
                if _cutoff_passed(appointment):
                    too_late = ngettext(
                        'Appointments can be changed or cancelled online until {n} hour before they start. Please '
                        'call the clinic to change this one.',
                        'Appointments can be changed or cancelled online until {n} hours before they start. Please '
                        'call the clinic to change this one.',
                        hours,
                    )
                    ui.label(too_late).classes(theme.SUBTLE).mark('too-late')
                    continue
                when = formats.moment(appointment.start)
                move_label = _('Reschedule the appointment of {when}', when=when)
                cancel_label = _('Cancel the appointment of {when}', when=when)
                with ui.row().classes('gap-2'):
                    move = ui.button(
                        _('Reschedule'),
                        icon='schedule',
                        on_click=lambda a=appointment: _reschedule_dialog(a, error, refresh),
                    )
                    move.props('outline no-caps').mark('reschedule')
                    move.props['aria-label'] = move_label
                    cancel = ui.button(
                        _('Cancel appointment'),
                        icon='event_busy',
                        on_click=lambda a=appointment: _cancel_dialog(a, error, refresh),
                    )
                    cancel.props('flat no-caps color=negative').mark('cancel')
                    cancel.props['aria-label'] = cancel_label


def _past(found: list[AppointmentView]) -> None:
    with section(_('Past appointments'), marker='past'):
        if not found:
            ui.label(_('No past appointments yet.')).classes(theme.SUBTLE)
            return
        for appointment in found[:PAST_SHOWN]:
            _appointment_card(appointment)
        if len(found) > PAST_SHOWN:
            ui.label(_('Showing the latest {shown} of {total}.', shown=PAST_SHOWN, total=len(found))).classes(
                theme.SUBTLE
            )


def _appointment_card(appointment: AppointmentView) -> ui.column:
    label, color = STATUS[appointment.status]
    with ui.column().classes('w-full gap-1 border-t pt-2').mark(f'appointment-{appointment.id}') as card:
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(formats.moment(appointment.start)).classes('font-medium')
            ui.badge(_(label), color=color).mark('status')
        ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
        if appointment.ticket and appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION):
            # What the waiting-room board shows instead of the patient's name.
            ui.label(_('Your ticket: {ticket}', ticket=appointment.ticket)).classes('text-lg font-semibold').mark(
                'ticket'
            )
        if appointment.reason:
            ui.label(_('Reason: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
        if appointment.status is AppointmentStatus.CANCELLED and appointment.cancel_reason:
            ui.label(_('Cancelled: {reason}', reason=appointment.cancel_reason)).classes(theme.SUBTLE)
    return card


async def _reschedule_dialog(appointment: AppointmentView, page_error: ui.label, refresh: Refresh) -> None:
    page_error.text = ''
    chosen: dict[str, SlotView | None] = {'slot': None}
    dialog = ConfirmDialog(
        _('Choose a new time'),
        _('Move appointment'),
        dismiss=_('Keep the current time'),
        icon='check',
        width='max-w-2xl',
        marker='reschedule-dialog',
        confirm_marker='confirm-reschedule',
    )
    with dialog:
        ui.label(
            _('Now: {when} with {doctor}', when=formats.moment(appointment.start), doctor=appointment.doctor_name)
        ).classes(theme.SUBTLE)
        error = forms.banner()
        choice = ui.label().classes('font-medium').mark('new-time')
        slots_area = ui.scroll_area().classes('w-full h-72')

    @ui.refreshable
    async def picker() -> None:
        chosen['slot'] = None
        choice.text = _('No new time chosen yet.')
        dialog.confirm_button.disable()
        loading = ui.spinner(size='lg').mark('loading-slots')
        loading.props['aria-label'] = _('Loading free times')
        try:
            slots = await call(availability.free_slots, appointment.doctor_id)
        except NotFound as failure:
            error.text = failure.message
            return
        finally:
            loading.delete()
        SlotPicker(slots, choose, empty=_(NO_OTHER_TIMES))

    def choose(slot: SlotView) -> None:
        chosen['slot'] = slot
        choice.text = _('New time: {when}', when=formats.moment(slot.start))
        dialog.confirm_button.enable()

    async def move() -> Moved | None:
        slot = chosen['slot']
        principal = await acting()
        if slot is None or principal is None:
            return None
        error.text = ''
        try:
            start = parse(RescheduleIn, {'start': slot.start}).start
            return await call(appointments.reschedule, principal, appointment.id, start)
        except SlotTaken as failure:
            error.text = failure.message
            await picker.refresh()
            return None
        except InvalidTransition as failure:  # e.g. the cut-off passed while the page was open
            return failure
        except DomainError as failure:
            error.text = failure.message
            return None

    async def answered(moved: Moved) -> None:
        if isinstance(moved, InvalidTransition):
            page_error.text = moved.message
        else:
            ui.notify(_('Moved to {when}.', when=formats.moment(moved.start)), type='positive')
        await refresh()

    _moved: Answer[Moved] = dialog.ask(move, then=answered)  # (mypy infers no union)
    with slots_area:
        await picker()


def _cancel_dialog(appointment: AppointmentView, page_error: ui.label, refresh: Refresh) -> None:
    page_error.text = ''
    dialog = ConfirmDialog(
        _('Cancel this appointment?'),
        _('Yes, cancel it'),
        dismiss=_('Keep the appointment'),
        color='negative',
        width='max-w-lg',
        marker='cancel-dialog',
        confirm_marker='confirm-cancel',
    )
    with dialog:
        ui.label(_('{when} with {doctor}', when=formats.moment(appointment.start), doctor=appointment.doctor_name))
        ui.label(_(CANCEL_EXPLAINED)).classes(theme.SUBTLE).mark('cancel-explanation')
        error = forms.banner()
        reason = ui.textarea(_('Reason (optional)')).props('outlined autogrow maxlength=500 counter').classes('w-full')

    async def cancel() -> bool | None:
        principal = await acting()
        if principal is None:
            return None
        error.text = ''
        try:
            text = parse(CancelIn, {'reason': reason.value or ''}).reason
            await call(appointments.cancel, principal, appointment.id, text)
        except InvalidTransition as failure:  # e.g. the cut-off passed while the page was open
            page_error.text = failure.message
            return False  # the list now says why next to the appointment, and offers no action
        except DomainError as failure:
            error.text = failure.message
            return None
        return True

    async def answered(cancelled: bool) -> None:
        if cancelled:
            ui.notify(_('Appointment cancelled.'), type='positive')
        await refresh()

    dialog.ask(cancel, then=answered)
