"""Patients find a doctor (by specialization, name, or a free slot on a date) and book one of their free slots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from nicegui import ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.domain.errors import DomainError, InvalidInput, NotFound, SlotTaken
from hms.domain.scheduling import BookingIn
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext
from hms.services import appointments, availability, departments, doctors
from hms.services.principal import Principal
from hms.services.views import AppointmentView, DepartmentView, DoctorView, SlotView

from ..components import forms
from ..components.booking_standing import paused_notice
from ..components.dialogs import Answer, ConfirmDialog
from ..components.sections import facts, section
from ..components.slots import SlotPicker
from ..ui import announce, dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

SEARCH_PATH = '/patient/doctors'
WAITLIST_PATH = '/patient/waitlist'  # pages/patient/waitlist.py
NO_SUCH_DOCTOR = N_('No such doctor: this doctor does not exist or is not taking bookings.')
Booked = AppointmentView | SlotTaken  # booked, or someone was quicker
NO_MATCH = N_(
    'No doctors match your search. Try another name or specialization, another date, or "All specializations".'
)


def create() -> None:
    @role_page(SEARCH_PATH, Role.PATIENT)
    async def doctors_page(principal: Principal) -> None:
        all_departments = await call(departments.list_departments)
        with frame(principal, _('Find a doctor'), current_path=SEARCH_PATH):
            await paused_notice(principal)
            await _search_panel(all_departments)

    @role_page(SEARCH_PATH + '/{doctor_id}', Role.PATIENT)
    async def doctor_page(principal: Principal, doctor_id: str) -> None:
        doctor = await find(doctor_id, lambda number: call(doctors.get_doctor, number))
        if doctor is None:
            with frame(principal, _('No such doctor'), current_path=SEARCH_PATH):
                forms.banner(_(NO_SUCH_DOCTOR))
                ui.button(_('Find a doctor'), icon='search', on_click=lambda: ui.navigate.to(SEARCH_PATH))
            return
        with frame(principal, doctor.name, current_path=SEARCH_PATH):
            _profile(doctor)
            await paused_notice(principal)  # the no-show policy: booking then goes through the front desk
            await _booking_panel(doctor)


# --- Finding a doctor ------------------------------------------------------------------------------------------------


async def _search_panel(all_departments: list[DepartmentView]) -> None:
    settings = app_context.get().settings
    first, last = availability.booking_days(settings)
    state: dict[str, str | None] = {'department': None}

    with section(_('Specializations')):
        # Real toggle buttons (aria-pressed; Enter and Space; a focus ring), updated in place when one is chosen: the
        # focus stays on the pressed button instead of dropping to the top of the page with a redrawn row.
        options = [(None, _('All specializations'))] + [
            (str(d.id), f'{d.name} ({d.doctor_count})') for d in all_departments
        ]
        toggles: dict[str | None, ui.button] = {}
        with ui.row().classes('gap-2').props('role=group') as group:
            group.props['aria-label'] = _('Specializations')
            for value, label in options:
                toggle = ui.button(label, on_click=lambda v=value: choose(v)).props('rounded no-caps unelevated')
                toggles[value] = toggle.mark(f'department-{value or "all"}')

        def show_chosen() -> None:
            for value, toggle in toggles.items():
                chosen = state['department'] == value
                toggle.props['aria-pressed'] = 'true' if chosen else 'false'
                if chosen:
                    toggle.props['icon'] = 'check'
                else:
                    toggle.props.pop('icon', None)
                toggle.props['color'] = 'primary' if chosen else 'grey-3'
                toggle.props['text-color'] = 'white' if chosen else 'black'

        show_chosen()

        async def search() -> None:
            await results.refresh()

        with ui.row().classes('w-full items-start gap-2'):
            text = ui.input(_('Name or specialization')).props('outlined clearable type=search')
            text.classes('flex-1 min-w-[14rem]')
            day = dates.date_input(_('Has a free slot on'), first=first, last=last).props('outlined clearable')
            day.props['hint'] = ngettext(
                'Any day of the next {n} day', 'Any day of the next {n} days', settings.booking_horizon_days
            )
            day.classes('min-w-[12rem]')
            ui.button(_('Search'), icon='search', on_click=search).classes('mt-2')
        text.on('keydown.enter', search)
        day.on('keydown.enter', search)

    @ui.refreshable
    async def results() -> None:
        day.error = None
        free_on = None
        if day.value:
            try:
                free_on = dates.parse(day.value)
            except ValueError as wrong:
                day.error = str(wrong)
                return
        searching.set_visibility(True)
        try:
            found = await call(
                doctors.search_doctors,
                text=(text.value or '').strip(),
                specialization=state['department'],
                free_on=free_on,
            )
        finally:
            searching.set_visibility(False)
        _doctor_list(found, filtered=bool(text.value or state['department'] or free_on))

    async def choose(value: str | None) -> None:
        state['department'] = value
        show_chosen()
        await results.refresh()

    searching = ui.linear_progress(show_value=False).props('indeterminate')
    searching.props['aria-label'] = _('Searching')
    searching.classes('w-full')
    searching.mark('searching').set_visibility(False)
    with ui.column().classes('w-full gap-3').props('aria-live=polite'):
        await results()


def _doctor_list(found: list[DoctorView], *, filtered: bool) -> None:
    if not found:
        ui.label(_(NO_MATCH) if filtered else _('No doctors are taking bookings yet. Please call the clinic.')).classes(
            theme.SUBTLE
        ).mark('no-doctors')
        return
    ui.label(ngettext('{n} doctor', '{n} doctors', len(found))).classes(theme.SUBTLE)
    for doctor in found:
        with ui.card().classes('w-full p-3 gap-1').mark(f'doctor-{doctor.id}'):
            ui.link(doctor.name, f'{SEARCH_PATH}/{doctor.id}').classes('text-lg font-medium')
            years = ngettext('{n} year of experience', '{n} years of experience', doctor.experience_years)
            ui.label(f'{doctor.department_name} · {years}')
            if doctor.qualifications:
                ui.label(doctor.qualifications).classes(theme.SUBTLE)
            path = f'{SEARCH_PATH}/{doctor.id}'
            see_times = ui.button(_('See free times'), icon='event', on_click=lambda p=path: ui.navigate.to(p))
            see_times.props('outline no-caps')
            see_times.props['aria-label'] = _('See free times of {name}', name=doctor.name)


# --- One doctor: profile and booking ---------------------------------------------------------------------------------


def _profile(doctor: DoctorView) -> None:
    with ui.card().classes(theme.CARD).mark('doctor-profile'):
        ui.label(doctor.department_name).classes('text-lg font-medium')
        facts(
            [
                (_('Qualifications'), doctor.qualifications or '-'),
                (_('Experience'), ngettext('{n} year', '{n} years', doctor.experience_years)),
                (_('Consultation'), ngettext('{n} minute', '{n} minutes', doctor.consultation_minutes)),
            ]
        )
        if doctor.bio:
            ui.label(doctor.bio).classes('whitespace-pre-line')


async def _booking_panel(doctor: DoctorView) -> None:
    horizon = app_context.get().settings.booking_horizon_days
    with section(ngettext('Free times in the next {n} day', 'Free times in the next {n} days', horizon)):
        ui.label(_('Choose a time to book it; you can add a reason before confirming.')).classes(theme.SUBTLE)
        error = forms.banner()

        @ui.refreshable
        async def slots() -> None:
            try:
                found = await call(availability.free_slots, doctor.id)
            except NotFound:
                error.text = _(NO_SUCH_DOCTOR)
                return
            empty = ngettext(
                'No free slots in the next {n} day — try another doctor.',
                'No free slots in the next {n} days — try another doctor.',
                horizon,
            )
            SlotPicker(found, lambda slot: _confirm(doctor, slot, error, slots.refresh), empty=empty)
            if not found:
                ui.link(_('Find another doctor'), SEARCH_PATH)
            with ui.row().classes('items-center gap-2').mark('waitlist-offer'):  # nothing suitable free: wait for it
                ui.label(_('Nothing suitable? A time that frees up can be offered to you.')).classes(theme.SUBTLE)
                ui.link(_('Join the waitlist'), f'{WAITLIST_PATH}?doctor={doctor.id}').mark('join-waitlist-link')

        await slots()


def _confirm(
    doctor: DoctorView, slot: SlotView, page_error: ui.label, refresh_slots: Callable[[], Awaitable[None]]
) -> None:
    """The confirmation dialog: the chosen time, an optional reason, then the booking."""
    page_error.text = ''
    dialog = ConfirmDialog(
        _('Confirm your appointment'),
        _('Book this time'),
        dismiss=_('Back'),
        icon='check',
        width='max-w-lg',
        marker='booking-dialog',
        confirm_marker='confirm-booking',
    )
    with dialog:
        ui.label(formats.moment(slot.start)).classes('text-base font-medium')
        minutes = int((slot.end - slot.start) / timedelta(minutes=1))
        length = ngettext('{n} minute', '{n} minutes', minutes)
        ui.label(f'{doctor.name} · {doctor.department_name} · {length}').classes(theme.SUBTLE)
        error = forms.banner()
        reason = ui.textarea(_('Reason for the visit (optional)')).props('outlined autogrow maxlength=500 counter')
        reason.classes('w-full').mark('reason')

    async def book() -> Booked | None:
        error.text = ''
        reason.error = None
        principal = await acting()
        if principal is None:
            return None
        booking = {'doctor_id': doctor.id, 'start': slot.start, 'reason': reason.value or ''}
        try:
            return await call(appointments.book, principal, parse(BookingIn, booking))
        except SlotTaken as failure:
            return failure  # someone was quicker: the page says so and shows the free times again
        except DomainError as failure:
            if isinstance(failure, InvalidInput) and 'reason' in failure.field_errors:
                reason.error = failure.field_errors['reason']
            else:
                error.text = failure.message
            return None

    async def answered(booked: Booked) -> None:
        if isinstance(booked, SlotTaken):
            page_error.text = booked.message
            await refresh_slots()
            return
        when = formats.moment(booked.start)
        # Told on the page the patient ends up on (its live region), not on this one, which is being left.
        announce.after_navigation(_('Booked: {when} with {doctor}.', when=when, doctor=booked.doctor_name))
        ui.navigate.to('/patient/appointments')

    _booked: Answer[Booked] = dialog.ask(book, then=answered)  # (mypy infers no union)
