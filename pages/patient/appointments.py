"""The patient's appointments: messages from the clinic, upcoming visits (reschedule, cancel) and past visits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, InvalidTransition, NotFound, SlotTaken
from hms.domain.scheduling import CancelIn, RescheduleIn
from hms.domain.validation import parse
from hms.services import appointments, availability, notices
from hms.services.notices import NoticeView
from hms.services.principal import Principal
from hms.services.views import AppointmentView, SlotView

from ..components import forms
from ..ui import formats, theme
from ..ui.frame import forbidden, frame
from ..ui.i18n import t
from ..ui.session import current_principal, page_access
from .booking import SEARCH_PATH, SlotPicker

PATH = '/patient/appointments'
PAST_SHOWN = 20
STATUS = {
    AppointmentStatus.BOOKED: ('Booked', 'positive'),
    AppointmentStatus.COMPLETED: ('Completed', 'grey-7'),
    AppointmentStatus.CANCELLED: ('Cancelled', 'negative'),
    AppointmentStatus.NO_SHOW: ('Missed', 'warning'),
}

Refresh = Callable[[], Awaitable[None]]
CUTOFF_ONE = (
    'Appointments can be changed or cancelled online until 1 hour before they start. Please call the clinic to '
    'change this one.'
)
CUTOFF_MANY = (
    'Appointments can be changed or cancelled online until {hours} hours before they start. Please call the clinic '
    'to change this one.'
)
NO_OTHER_TIMES = 'No other free times in the next days. Keep this appointment, or cancel it and book another doctor.'
CANCEL_EXPLAINED = (
    'The time is given back for other patients and the doctor sees the cancellation. This cannot be undone; you can '
    'book a new time afterwards.'
)


@dataclass(frozen=True)
class _Lists:
    upcoming: list[AppointmentView]
    past: list[AppointmentView]


def create() -> None:
    @ui.page(PATH)
    async def appointments_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        principal = access.principal
        messages = await run.io_bound(_read_notices, principal)
        with frame(principal, 'My appointments', current_path=PATH):
            _notices(messages)

            @ui.refreshable
            async def lists() -> None:
                data = await run.io_bound(_lists, principal)
                _upcoming(data.upcoming, error=error, refresh=lists.refresh)
                _past(data.past)

            with ui.row().classes('w-full justify-end'):
                ui.button(t('Book an appointment'), icon='add', on_click=lambda: ui.navigate.to(SEARCH_PATH))
            error = forms.banner()
            await lists()
        return None


async def _signed_in() -> Principal | None:
    principal = await current_principal()
    if principal is None:
        ui.navigate.to('/login')
    return principal


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _read_notices(principal: Principal) -> list[NoticeView]:
    """The patient's recent notices as they were before this visit; then they are marked read."""
    with app_context.get().uow() as uow:
        found = notices.my_notices(uow, principal)
        if any(not notice.read for notice in found):
            notices.mark_all_read(uow, principal)
        return found


def _lists(principal: Principal) -> _Lists:
    with app_context.get().uow() as uow:
        upcoming = appointments.my_appointments(uow, principal, upcoming=True)
        past = appointments.my_appointments(uow, principal, upcoming=False)
    return _Lists(upcoming=upcoming, past=past)


def _free_slots(doctor_id: int) -> list[SlotView]:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return availability.free_slots(uow, ctx.settings, doctor_id)


def _reschedule(principal: Principal, appointment_id: int, start: datetime) -> AppointmentView:
    data = parse(RescheduleIn, {'start': start})
    ctx = app_context.get()
    with ctx.uow() as uow:
        return appointments.reschedule(uow, ctx.settings, principal, appointment_id, data.start)


def _cancel(principal: Principal, appointment_id: int, reason: str) -> AppointmentView:
    data = parse(CancelIn, {'reason': reason})
    ctx = app_context.get()
    with ctx.uow() as uow:
        return appointments.cancel(uow, ctx.settings, principal, appointment_id, data.reason)


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _notices(messages: list[NoticeView]) -> None:
    if not messages:
        return
    zone = app_context.get().settings.zone
    new = [notice for notice in messages if not notice.read]
    earlier = [notice for notice in messages if notice.read]
    if new:
        with ui.card().classes(theme.CARD + ' border-l-4 border-amber-600').mark('new-notices'):
            ui.label(t('New messages from the clinic')).classes('text-lg font-medium').props(
                'role=heading aria-level=2'
            )
            for notice in new:
                _notice(notice, zone)
    if earlier:
        with (
            ui.expansion(t('Earlier messages ({count})', count=len(earlier)), icon='mail')
            .classes('w-full')
            .mark('old-notices')
        ):
            for notice in earlier:
                _notice(notice, zone)


def _notice(notice: NoticeView, zone: ZoneInfo) -> None:
    with ui.column().classes('w-full gap-0 py-1'):
        ui.label(notice.subject).classes('font-medium')
        ui.label(formats.moment(notice.created_at)).classes(theme.SUBTLE)
        ui.label(notice.body)


def _cutoff_passed(appointment: AppointmentView) -> bool:
    hours = app_context.get().settings.cancel_cutoff_hours
    return clock.now() > appointment.start - timedelta(hours=hours)


def _upcoming(found: list[AppointmentView], *, error: ui.label, refresh: Refresh) -> None:
    with ui.card().classes(theme.CARD).mark('upcoming'):
        ui.label(t('Upcoming')).classes('text-lg font-medium').props('role=heading aria-level=2')
        if not found:
            ui.label(t('No upcoming appointments. Use "Book an appointment" to find a doctor and a time.')).classes(
                theme.SUBTLE
            ).mark('no-upcoming')
            return
        hours = app_context.get().settings.cancel_cutoff_hours
        for appointment in found:
            with _appointment_card(appointment):
                if appointment.status is not AppointmentStatus.BOOKED:
                    continue
                if _cutoff_passed(appointment):
                    ui.label(t(CUTOFF_ONE) if hours == 1 else t(CUTOFF_MANY, hours=hours)).classes(theme.SUBTLE).mark(
                        'too-late'
                    )
                    continue
                when = formats.moment(appointment.start)
                with ui.row().classes('gap-2'):
                    move = ui.button(t('Reschedule'), icon='schedule',
                                     on_click=lambda a=appointment: _reschedule_dialog(a, error, refresh))  # fmt: skip
                    move.props(
                        f'outline no-caps aria-label="{t("Reschedule the appointment of {when}", when=when)}"'
                    ).mark('reschedule')
                    cancel = ui.button(t('Cancel'), icon='event_busy',
                                       on_click=lambda a=appointment: _cancel_dialog(a, error, refresh))  # fmt: skip
                    cancel.props(
                        f'flat no-caps color=negative aria-label="{t("Cancel the appointment of {when}", when=when)}"'
                    )
                    cancel.mark('cancel')


def _past(found: list[AppointmentView]) -> None:
    with ui.card().classes(theme.CARD).mark('past'):
        ui.label(t('Past appointments')).classes('text-lg font-medium').props('role=heading aria-level=2')
        if not found:
            ui.label(t('No past appointments yet.')).classes(theme.SUBTLE)
            return
        for appointment in found[:PAST_SHOWN]:
            _appointment_card(appointment)
        if len(found) > PAST_SHOWN:
            ui.label(t('Showing the latest {shown} of {total}.', shown=PAST_SHOWN, total=len(found))).classes(
                theme.SUBTLE
            )


def _appointment_card(appointment: AppointmentView) -> ui.column:
    label, color = STATUS[appointment.status]
    with ui.column().classes('w-full gap-1 border-t pt-2').mark(f'appointment-{appointment.id}') as card:
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(formats.moment(appointment.start)).classes('font-medium')
            ui.badge(t(label), color=color).mark('status')
        ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
        if appointment.reason:
            ui.label(t('Reason: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
        if appointment.status is AppointmentStatus.CANCELLED and appointment.cancel_reason:
            ui.label(t('Cancelled: {reason}', reason=appointment.cancel_reason)).classes(theme.SUBTLE)
    return card


async def _reschedule_dialog(appointment: AppointmentView, page_error: ui.label, refresh: Refresh) -> None:
    page_error.text = ''
    chosen: dict[str, SlotView | None] = {'slot': None}
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl p-4 gap-3').mark('reschedule-dialog'):
        ui.label(t('Choose a new time')).classes('text-lg font-medium').props('role=heading aria-level=2')
        ui.label(
            t('Now: {when} with {doctor}', when=formats.moment(appointment.start), doctor=appointment.doctor_name)
        ).classes(theme.SUBTLE)
        error = forms.banner()

        @ui.refreshable
        async def picker() -> None:
            chosen['slot'] = None
            choice.text = t('No new time chosen yet.')
            move.disable()
            loading = ui.spinner(size='lg').props(f'aria-label="{t("Loading free times")}"').mark('loading-slots')
            try:
                slots = await run.io_bound(_free_slots, appointment.doctor_id)
            except NotFound as failure:
                error.text = failure.message
                return
            finally:
                loading.delete()
            empty = t(NO_OTHER_TIMES)
            SlotPicker(slots, choose, empty=empty)

        def choose(slot: SlotView) -> None:
            chosen['slot'] = slot
            choice.text = t('New time: {when}', when=formats.moment(slot.start))
            move.enable()

        async def submit() -> None:
            slot = chosen['slot']
            principal = await _signed_in()
            if slot is None or principal is None:
                return
            error.text = ''
            try:
                moved = await run.io_bound(_reschedule, principal, appointment.id, slot.start)
            except SlotTaken as failure:
                error.text = failure.message
                await picker.refresh()
                return
            except InvalidTransition as failure:  # e.g. the cut-off passed while the page was open
                _discard(dialog)
                page_error.text = failure.message
                await refresh()
                return
            except DomainError as failure:
                error.text = failure.message
                return
            ui.notify(
                t('Moved to {when}.', when=formats.moment(moved.start)), type='positive'
            )  # while the dialog exists
            _discard(dialog)
            await refresh()

        choice = ui.label().classes('font-medium').mark('new-time')
        slots_area = ui.scroll_area().classes('w-full h-72')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(t('Keep the current time'), on_click=lambda: _discard(dialog)).props('flat no-caps')
            move = ui.button(t('Move appointment'), icon='check', on_click=submit).mark('confirm-reschedule')
    dialog.on('hide', lambda: _discard(dialog))
    dialog.open()
    with slots_area:
        await picker()


def _cancel_dialog(appointment: AppointmentView, page_error: ui.label, refresh: Refresh) -> None:
    page_error.text = ''
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg p-4 gap-3').mark('cancel-dialog'):
        ui.label(t('Cancel this appointment?')).classes('text-lg font-medium').props('role=heading aria-level=2')
        ui.label(t('{when} with {doctor}', when=formats.moment(appointment.start), doctor=appointment.doctor_name))
        ui.label(t(CANCEL_EXPLAINED)).classes(theme.SUBTLE).mark('cancel-explanation')
        error = forms.banner()
        reason = ui.textarea(t('Reason (optional)')).props('outlined autogrow maxlength=500 counter').classes('w-full')

        async def submit() -> None:
            principal = await _signed_in()
            if principal is None:
                return
            error.text = ''
            try:
                await run.io_bound(_cancel, principal, appointment.id, reason.value or '')
            except InvalidTransition as failure:  # e.g. the cut-off passed while the page was open
                _discard(dialog)
                page_error.text = failure.message
                await refresh()  # the list now says why next to the appointment, and offers no action
                return
            except DomainError as failure:
                error.text = failure.message
                return
            ui.notify(t('Appointment cancelled.'), type='positive')  # while the dialog (its context) exists
            _discard(dialog)
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(t('Keep the appointment'), on_click=lambda: _discard(dialog)).props('flat no-caps')
            ui.button(t('Yes, cancel it'), color='negative', on_click=submit).props('no-caps').mark('confirm-cancel')
    dialog.on('hide', lambda: _discard(dialog))
    dialog.open()


def _discard(dialog: ui.dialog) -> None:
    if not dialog.is_deleted:
        dialog.delete()
