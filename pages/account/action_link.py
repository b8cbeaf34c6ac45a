"""``/a/{token}``: a one-tap link from a message (confirm, cancel or reschedule an appointment; a colleague's actions
plug in through ``hms.services.action_links``). No sign-in: the signed token is the authority. Opening the page
changes nothing (mail scanners open links); one button does the action. A link that no longer works says why and
offers sign-in.

Like the reset links, the token never reaches the access log, and the page takes it out of the address bar."""

from __future__ import annotations

from nicegui import ui

from hms.domain.errors import DomainError
from hms.i18n import N_, _
from hms.services import action_links
from hms.services.action_links import LinkAppointment, LinkState

from ..components import forms
from ..ui import formats, theme
from ..ui.secret_paths import hide_in_access_log
from ..ui.services import call
from .sign_in import public_frame

TITLES = {
    'confirm': N_('Confirm your appointment'),
    'cancel': N_('Cancel your appointment'),
    'reschedule': N_('Move your appointment'),
    'offer': N_('A time has become free for you'),
    'rescue': N_('Take the proposed time'),
}
BUTTONS = {
    'confirm': N_('Confirm'),
    'cancel': N_('Cancel the appointment'),
    'reschedule': N_('Move to this time'),
    'offer': N_('Accept this time'),
    'rescue': N_('Take this time'),
}
GENERIC_TITLE = N_('Your link')
GENERIC_BUTTON = N_('Go ahead')
API_PATH = '/api/links/'


def create() -> None:
    hide_in_access_log(action_links.PATH, API_PATH)  # the page's address and the API's carry the token

    @ui.page(action_links.PATH + '{token}')
    async def action_link_page(token: str) -> None:
        ui.run_javascript(f'history.replaceState(null, "", {action_links.PATH!r} + "…")')
        state = await call(action_links.inspect, token)
        _build(token, state)


def _title(action: str | None) -> str:
    return _(TITLES.get(action or '', GENERIC_TITLE))


def _appointment_card(appointment: LinkAppointment) -> None:
    with ui.column().classes('w-full gap-1').mark('link-appointment'):
        ui.label(formats.span(appointment.start, appointment.end)).classes('text-lg font-medium')
        who = appointment.doctor_name
        if appointment.department_name:
            who = f'{who} · {appointment.department_name}'
        ui.label(who)
        status = _(theme.STATUS_LABELS.get(appointment.status, appointment.status))
        if appointment.confirmed_at is not None and appointment.status == 'booked':
            status = _('Confirmed')
        ui.label(_('Status: {status}', status=status)).classes(theme.SUBTLE).mark('link-status')


def _sign_in_link() -> None:
    with ui.row().classes('w-full justify-center gap-1 text-sm'):
        ui.link(_('Sign in'), '/login').mark('link-sign-in')


def _build(token: str, state: LinkState) -> None:
    with public_frame(_title(state.action)):
        body = ui.column().classes('w-full gap-3 p-0')
    with body:
        if state.description.appointment is not None:
            _appointment_card(state.description.appointment)
        if not state.valid:
            forms.banner(state.message or '', kind='info').mark(f'link-{state.reason}')
            _sign_in_link()
            return
        error = forms.banner()
        choice: ui.radio | None = None
        slots = state.description.slots
        if state.action != 'reschedule' and slots:  # a proposed time (a rescue): the one the button takes
            for start, end in slots:
                ui.label(_('Proposed time: {when}', when=formats.span(start, end))).classes('font-medium').mark(
                    'link-proposed'
                )
        if state.action == 'reschedule':
            if not slots:
                forms.banner(_('There are no free times with this doctor at the moment.'), kind='info')
                _sign_in_link()
                return
            options = {start.isoformat(): formats.span(start, end) for start, end in slots[:60]}
            ui.label(_('Choose a new time')).classes('font-medium').props('id=link-times-label')
            choice = ui.radio(options).props('aria-labelledby=link-times-label').classes('w-full').mark('link-times')

        async def act() -> None:
            error.text = ''
            data: dict[str, object] = {}
            if choice is not None:
                if not choice.value:
                    error.text = _('Choose one of the free times.')
                    return
                data['start'] = choice.value
            button.props('loading')
            try:
                outcome = await call(action_links.perform, token, data)
            except DomainError as failure:
                error.text = failure.message
                return
            finally:
                button.props(remove='loading')
            body.clear()
            with body:
                if outcome.appointment is not None:
                    _appointment_card(outcome.appointment)
                forms.banner(outcome.message, kind='info').mark('link-done')
                _sign_in_link()

        label = _(BUTTONS.get(state.action or '', GENERIC_BUTTON))
        button = ui.button(label, on_click=act).classes('w-full').mark('link-act')
        _sign_in_link()
