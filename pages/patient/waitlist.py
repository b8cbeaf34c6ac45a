"""The patient's waiting lists: times offered to them (accept or decline, live as offers arrive), the lists they are
on, and joining one for a doctor or a department (from a doctor's page when nothing suitable is free)."""

from __future__ import annotations

from nicegui import background_tasks, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.validation import parse
from hms.domain.waitlist import TimeOfDay, WaitlistIn
from hms.events import Event
from hms.i18n import N_, _
from hms.services import departments, doctors, offers, waitlist
from hms.services.availability import local_today
from hms.services.principal import Principal

from ..components import forms
from ..components.sections import section
from ..ui import announce, dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.live import follow_changes, left
from ..ui.services import call

PATH = '/patient/waitlist'
INTRO = N_(
    'When a time you are waiting for becomes free, it is held for you alone for a short while and offered here and '
    'by email. Accept it to book it, or decline it so the next patient gets it.'
)
TIMES = {
    TimeOfDay.MORNING: N_('Morning (before 12:00)'),
    TimeOfDay.AFTERNOON: N_('Afternoon (12:00 to 17:00)'),
    TimeOfDay.EVENING: N_('Evening (from 17:00)'),
}


def create() -> None:
    @role_page(PATH, Role.PATIENT)
    async def waitlist_page(principal: Principal, doctor: str | None = None) -> None:
        with frame(principal, _('My waiting list'), current_path=PATH):
            ui.label(_(INTRO)).classes(theme.SUBTLE)
            page = _WaitlistPage(principal)
            await page.build(doctor)


class _WaitlistPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.reloading = False
        self.acting = False  # an action of this page is under way: it reloads (or leaves) by itself afterwards

    async def build(self, doctor: str | None) -> None:
        with section(_('Times offered to you'), marker='offers'):
            self.error = forms.banner()
            self.offers_box = ui.column().classes('w-full gap-2').props('aria-live=polite')
        with section(_('Waiting lists I am on'), marker='entries'):
            self.entries_box = ui.column().classes('w-full gap-2')
        await self._join_form(doctor)
        await self.reload()
        follow_changes(self.on_event)

    def on_event(self, event: Event) -> None:
        """Offers of this patient arriving, ending or changing: read them again."""
        mine = event.namespace in ('offer', 'waitlist') and event.data.get('patient_id') == self.principal.user_id
        if mine and not self.reloading and not self.acting:
            self.reloading = True
            background_tasks.create(self.reload(), name='waitlist-refresh')

    async def reload(self) -> None:
        if left(self.offers_box):
            return
        try:
            found = await call(offers.my_offers, self.principal)
            entries = await call(waitlist.my_entries, self.principal)
        finally:
            self.reloading = False
        if left(self.offers_box):  # while the offers were read
            return
        self._show_offers(found)
        self._show_entries(entries)

    def _show_offers(self, found: list[offers.OfferView]) -> None:
        self.offers_box.clear()
        now = clock.now()
        held = [offer for offer in found if offer.state == 'held' and offer.expires_at > now]
        with self.offers_box:
            if not held:
                ui.label(_('No time is offered to you right now.')).classes(theme.SUBTLE).mark('no-offers')
            for offer in held:
                with ui.card().classes('w-full p-3 gap-1').mark(f'offer-{offer.id}'):
                    ui.label(formats.moment(offer.start)).classes('text-lg font-medium')
                    ui.label(f'{offer.doctor_name} · {offer.department_name}')
                    ui.label(_('Held for you until {until}.', until=formats.moment(offer.expires_at))).classes(
                        theme.SUBTLE
                    )
                    with ui.row().classes('gap-2'):
                        accept = ui.button(_('Accept'), icon='check', on_click=lambda o=offer: self.accept(o))
                        accept.props['aria-label'] = _('Accept {when}', when=formats.moment(offer.start))
                        accept.mark(f'accept-{offer.id}')
                        decline = ui.button(_('Decline'), on_click=lambda o=offer: self.decline(o))
                        decline.props('outline')
                        decline.props['aria-label'] = _('Decline {when}', when=formats.moment(offer.start))
                        decline.mark(f'decline-{offer.id}')

    def _show_entries(self, entries: list[waitlist.WaitlistEntryView]) -> None:
        self.entries_box.clear()
        with self.entries_box:
            if not entries:
                ui.label(_('You are not on any waiting list.')).classes(theme.SUBTLE).mark('no-entries')
            for entry in entries:
                who = entry.doctor_name or _('Any doctor of {department}', department=entry.department_name)
                span = f'{formats.day(entry.first_day)} – {formats.day(entry.last_day)}'
                times = ', '.join(_(TIMES[TimeOfDay(part)]) for part in entry.times) or _('Any time of day')
                with ui.row().classes('w-full items-center gap-3').mark(f'entry-{entry.id}'):
                    ui.label(f'{who} · {span} · {times}').classes('flex-1')
                    remove = ui.button(_('Remove'), icon='delete', on_click=lambda e=entry: self.remove(e.id))
                    remove.props('flat no-caps')
                    remove.props['aria-label'] = _('Remove the waiting list entry for {who}', who=who)

    async def accept(self, offer: offers.OfferView) -> None:
        self.error.text = ''
        principal = await acting()
        if principal is None:
            return
        self.acting = True  # the live update must not redraw the button whose click this is
        try:
            booked = await call(offers.accept, principal, offer.id)
        except DomainError as failure:
            self.error.text = failure.message
            self.acting = False
            await self.reload()
            return
        announce.after_navigation(
            _('Booked: {when} with {doctor}.', when=formats.moment(booked.start), doctor=booked.doctor_name)
        )
        ui.navigate.to('/patient/appointments')

    async def decline(self, offer: offers.OfferView) -> None:
        self.error.text = ''
        principal = await acting()
        if principal is None:
            return
        self.acting = True
        try:
            await call(offers.decline, principal, offer.id)
        except DomainError as failure:
            self.error.text = failure.message
        self.acting = False
        await self.reload()

    async def remove(self, entry_id: int) -> None:
        principal = await acting()
        if principal is None:
            return
        self.acting = True
        try:
            await call(offers.leave_waitlist, principal, entry_id)
        except DomainError as failure:
            self.error.text = failure.message
        self.acting = False
        await self.reload()

    async def _join_form(self, doctor: str | None) -> None:
        all_doctors = await call(doctors.search_doctors, text='', specialization=None, free_on=None)
        all_departments = await call(departments.list_departments)
        today = local_today(app_context.get().settings)
        doctor_options = {f'doctor:{d.id}': f'{d.name} ({d.department_name})' for d in all_doctors}
        department_options = {
            f'department:{d.id}': _('Any doctor of {department}', department=d.name) for d in all_departments
        }
        chosen = f'doctor:{doctor}' if doctor and f'doctor:{doctor}' in doctor_options else None
        with section(_('Join a waiting list'), marker='join'):
            error = forms.banner()
            who = ui.select({**doctor_options, **department_options}, label=_('Doctor or department'), value=chosen)
            who.props('outlined').classes('w-full').mark('waitlist-who')
            with ui.row().classes('w-full gap-2'):
                first = dates.date_input(_('From'), today, first=today).props('outlined').classes('min-w-[12rem]')
                last = dates.date_input(_('Until'), today, first=today).props('outlined').classes('min-w-[12rem]')
            boxes = {time: ui.checkbox(_(label)) for time, label in TIMES.items()}
            ui.label(_('Tick none for any time of day.')).classes(theme.SUBTLE)

            async def join() -> None:
                error.text = ''
                first.error = last.error = who.error = None
                try:
                    first_day, last_day = dates.parse(first.value), dates.parse(last.value)
                except ValueError as wrong:
                    error.text = str(wrong)
                    return
                if not who.value:
                    who.error = _('Choose a doctor or a department.')
                    return
                kind, number = str(who.value).split(':')
                data = {
                    f'{kind}_id': int(number),
                    'first_day': first_day,
                    'last_day': last_day,
                    'times': [time.value for time, box in boxes.items() if box.value],
                }
                principal = await acting()
                if principal is None:
                    return
                try:
                    await call(waitlist.join, principal, parse(WaitlistIn, data))
                except DomainError as failure:
                    fields = getattr(failure, 'field_errors', {}) or {}
                    first.error, last.error = fields.get('first_day'), fields.get('last_day')
                    who.error = fields.get('doctor_id') or fields.get('department_id')
                    error.text = failure.message
                    return
                ui.notify(_('You are on the waiting list.'), type='positive')
                await self.reload()

            ui.button(_('Join the waiting list'), icon='playlist_add', on_click=join).mark('join-waitlist')
