"""Patients find a doctor (by specialization, name, or a free slot on a date) and book one of their free slots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.domain.errors import DomainError, InvalidInput, NotFound, SlotTaken
from hms.domain.scheduling import BookingIn
from hms.domain.validation import parse
from hms.services import appointments, availability, departments, doctors
from hms.services.principal import Principal
from hms.services.views import AppointmentView, DepartmentView, DoctorView, SlotView

from ..components import forms
from ..ui import formats, theme
from ..ui.frame import forbidden, frame
from ..ui.i18n import t
from ..ui.session import current_principal, page_access

SEARCH_PATH = '/patient/doctors'
NO_SUCH_DOCTOR = 'No such doctor: this doctor does not exist or is not taking bookings.'
NO_MATCH = 'No doctors match your search. Try another name or specialization, another date, or "All specializations".'


def create() -> None:
    @ui.page(SEARCH_PATH)
    async def doctors_page() -> RedirectResponse | None:
        access = await page_access(SEARCH_PATH, Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        all_departments = await run.io_bound(_departments)
        with frame(access.principal, 'Find a doctor', current_path=SEARCH_PATH):
            await _search_panel(all_departments)
        return None

    @ui.page(SEARCH_PATH + '/{doctor_id}')
    async def doctor_page(doctor_id: str) -> RedirectResponse | None:
        access = await page_access(f'{SEARCH_PATH}/{doctor_id}', Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        doctor = await run.io_bound(_doctor, doctor_id)
        if doctor is None:
            with frame(access.principal, 'No such doctor', current_path=SEARCH_PATH):
                forms.banner(t(NO_SUCH_DOCTOR))
                ui.button(t('Find a doctor'), icon='search', on_click=lambda: ui.navigate.to(SEARCH_PATH))
            return None
        with frame(access.principal, doctor.name, current_path=SEARCH_PATH):
            _profile(doctor)
            await _booking_panel(doctor)
        return None


class SlotPicker(ui.column):
    """Free slots grouped by day in the clinic's zone: a heading per day ('Tue 3 Mar'), a button per start time."""

    def __init__(
        self, slots: list[SlotView], on_pick: Callable[[SlotView], Awaitable[None] | None], *, empty: str
    ) -> None:
        super().__init__()
        self.classes('w-full gap-3')
        zone = app_context.get().settings.zone
        with self:
            if not slots:
                ui.label(empty).classes(theme.SUBTLE).mark('no-slots')
                return
            for day, day_slots in groupby(sorted(slots, key=lambda s: s.start), key=lambda s: _local_day(s, zone)):
                heading = formats.day(day)
                with ui.column().classes('w-full gap-1').mark(f'slots-{day.isoformat()}'):
                    ui.label(heading).classes('font-medium').props('role=heading aria-level=3')
                    with ui.row().classes('gap-2'):
                        for slot in day_slots:
                            local = slot.start.astimezone(zone)
                            ui.button(formats.time_of_day(slot.start), on_click=lambda s=slot: on_pick(s)).props(
                                f'outline no-caps aria-label="{heading}, {formats.time_of_day(slot.start)}"'
                            ).mark(f'slot-{local:%Y-%m-%dT%H:%M}')


def _local_day(slot: SlotView, zone: ZoneInfo) -> date:
    return slot.start.astimezone(zone).date()


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _departments() -> list[DepartmentView]:
    with app_context.get().uow() as uow:
        return departments.list_departments(uow)


def _search(text: str, specialization: str | None, free_on: date | None) -> list[DoctorView]:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return doctors.search_doctors(uow, ctx.settings, text=text, specialization=specialization, free_on=free_on)


def _doctor(doctor_id: str) -> DoctorView | None:
    if not (doctor_id.isascii() and doctor_id.isdigit()) or len(doctor_id) > 18:  # e.g. '²' is a digit too
        return None
    with app_context.get().uow() as uow:
        try:
            return doctors.get_doctor(uow, int(doctor_id))
        except NotFound:
            return None


def _free_slots(doctor_id: int) -> list[SlotView]:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return availability.free_slots(uow, ctx.settings, doctor_id)


def _book(principal: Principal, doctor_id: int, start: datetime, reason: str) -> AppointmentView:
    booking = parse(BookingIn, {'doctor_id': doctor_id, 'start': start, 'reason': reason})
    ctx = app_context.get()
    with ctx.uow() as uow:
        return appointments.book(uow, ctx.settings, principal, booking)


# --- Finding a doctor ------------------------------------------------------------------------------------------------


async def _search_panel(all_departments: list[DepartmentView]) -> None:
    settings = app_context.get().settings
    first, last = availability.booking_days(settings)
    state: dict[str, str | None] = {'department': None}

    with ui.card().classes(theme.CARD):
        ui.label(t('Specializations')).classes('text-lg font-medium').props('role=heading aria-level=2')

        @ui.refreshable
        def chips() -> None:
            with ui.row().classes('gap-2'):
                options = [(None, t('All specializations'))] + [
                    (str(d.id), f'{d.name} ({d.doctor_count})') for d in all_departments
                ]
                for value, label in options:
                    chosen = state['department'] == value
                    chip = ui.chip(
                        label,
                        icon='check' if chosen else None,
                        on_click=lambda v=value: choose(v),
                        color='primary' if chosen else 'grey-3',
                        text_color='white' if chosen else 'black',
                    )
                    chip.props(f'aria-pressed={str(chosen).lower()}').mark(f'department-{value or "all"}')

        async def search() -> None:
            await results.refresh()

        chips()
        with ui.row().classes('w-full items-start gap-2'):
            text = ui.input(t('Name or specialization')).props('outlined clearable type=search')
            text.classes('flex-1 min-w-[14rem]')
            day = (
                ui.input(t('Has a free slot on'))
                .props(
                    f'type=date outlined clearable min={first.isoformat()} max={last.isoformat()} '
                    f'hint="{t("Any day of the next {days} days", days=settings.booking_horizon_days)}"'
                )
                .classes('min-w-[12rem]')
            )
            ui.button(t('Search'), icon='search', on_click=search).classes('mt-2')
        text.on('keydown.enter', search)
        day.on('keydown.enter', search)

    @ui.refreshable
    async def results() -> None:
        day.error = None
        free_on = None
        if day.value:
            try:
                free_on = date.fromisoformat(day.value)
            except ValueError:
                day.error = t('Enter a date like 2026-03-03.')
                return
        searching.set_visibility(True)
        try:
            found = await run.io_bound(_search, (text.value or '').strip(), state['department'], free_on)
        finally:
            searching.set_visibility(False)
        _doctor_list(found, filtered=bool(text.value or state['department'] or free_on))

    async def choose(value: str | None) -> None:
        state['department'] = value
        chips.refresh()
        await results.refresh()

    searching = ui.linear_progress(show_value=False).props(f'indeterminate aria-label="{t("Searching")}"')
    searching.classes('w-full')
    searching.mark('searching').set_visibility(False)
    with ui.column().classes('w-full gap-3').props('aria-live=polite'):
        await results()


def _doctor_list(found: list[DoctorView], *, filtered: bool) -> None:
    if not found:
        ui.label(t(NO_MATCH) if filtered else t('No doctors are taking bookings yet. Please call the clinic.')).classes(
            theme.SUBTLE
        ).mark('no-doctors')
        return
    ui.label(t('1 doctor') if len(found) == 1 else t('{count} doctors', count=len(found))).classes(theme.SUBTLE)
    for doctor in found:
        with ui.card().classes('w-full p-3 gap-1').mark(f'doctor-{doctor.id}'):
            ui.link(doctor.name, f'{SEARCH_PATH}/{doctor.id}').classes('text-lg font-medium')
            years = t('{years} years of experience', years=doctor.experience_years)
            ui.label(f'{doctor.department_name} · {years}')
            if doctor.qualifications:
                ui.label(doctor.qualifications).classes(theme.SUBTLE)
            path = f'{SEARCH_PATH}/{doctor.id}'
            ui.button(t('See free times'), icon='event', on_click=lambda p=path: ui.navigate.to(p)).props(
                f'outline no-caps aria-label="{t("See free times of {name}", name=doctor.name)}"'
            )


# --- One doctor: profile and booking ---------------------------------------------------------------------------------


def _profile(doctor: DoctorView) -> None:
    with ui.card().classes(theme.CARD).mark('doctor-profile'):
        ui.label(doctor.department_name).classes('text-lg font-medium')
        with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1'):
            years = t('{years} years', years=doctor.experience_years)
            facts = (
                (t('Qualifications'), doctor.qualifications or '-'),
                (t('Experience'), years),
                (t('Consultation'), t('{minutes} minutes', minutes=doctor.consultation_minutes)),
            )
            for label, value in facts:
                ui.label(label).classes(theme.SUBTLE)
                ui.label(value)
        if doctor.bio:
            ui.label(doctor.bio).classes('whitespace-pre-line')


async def _booking_panel(doctor: DoctorView) -> None:
    horizon = app_context.get().settings.booking_horizon_days
    with ui.card().classes(theme.CARD):
        ui.label(t('Free times in the next {days} days', days=horizon)).classes('text-lg font-medium').props(
            'role=heading aria-level=2'
        )
        ui.label(t('Choose a time to book it; you can add a reason before confirming.')).classes(theme.SUBTLE)
        error = forms.banner()

        @ui.refreshable
        async def slots() -> None:
            try:
                found = await run.io_bound(_free_slots, doctor.id)
            except NotFound:
                error.text = t(NO_SUCH_DOCTOR)
                return
            empty = t('No free slots in the next {days} days — try another doctor.', days=horizon)
            SlotPicker(found, lambda slot: _confirm(doctor, slot, error, slots.refresh), empty=empty)
            if not found:
                ui.link(t('Find another doctor'), SEARCH_PATH)

        await slots()


def _confirm(
    doctor: DoctorView, slot: SlotView, page_error: ui.label, refresh_slots: Callable[[], Awaitable[None]]
) -> None:
    """The confirmation dialog: the chosen time, an optional reason, then the booking."""
    page_error.text = ''
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg p-4 gap-3').mark('booking-dialog'):
        ui.label(t('Confirm your appointment')).classes('text-lg font-medium').props('role=heading aria-level=2')
        ui.label(formats.moment(slot.start)).classes('text-base font-medium')
        minutes = int((slot.end - slot.start) / timedelta(minutes=1))
        length = t('{minutes} minutes', minutes=minutes)
        ui.label(f'{doctor.name} · {doctor.department_name} · {length}').classes(theme.SUBTLE)
        error = forms.banner()
        reason = ui.textarea(t('Reason for the visit (optional)')).props('outlined autogrow maxlength=500 counter')
        reason.classes('w-full').mark('reason')

        async def book() -> None:
            error.text = ''
            reason.error = None
            principal = await current_principal()
            if principal is None:
                ui.navigate.to('/login')
                return
            button.props('loading')
            try:
                booked = await run.io_bound(_book, principal, doctor.id, slot.start, reason.value or '')
            except SlotTaken as failure:
                _discard(dialog)
                page_error.text = failure.message
                await refresh_slots()
                return
            except DomainError as failure:
                button.props(remove='loading')
                if isinstance(failure, InvalidInput) and 'reason' in failure.field_errors:
                    reason.error = failure.field_errors['reason']
                else:
                    error.text = failure.message
                return
            # Tell and move on before the dialog goes: this handler runs in the dialog's context.
            when = formats.moment(booked.start)
            ui.notify(t('Booked: {when} with {doctor}.', when=when, doctor=booked.doctor_name), type='positive')
            ui.navigate.to('/patient/appointments')
            _discard(dialog)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(t('Back'), on_click=lambda: _discard(dialog)).props('flat no-caps')
            button = ui.button(t('Book this time'), icon='check', on_click=book).mark('confirm-booking')
    dialog.on('hide', lambda: _discard(dialog))
    dialog.open()


def _discard(dialog: ui.dialog) -> None:
    if not dialog.is_deleted:
        dialog.delete()
