"""Sign in, register (patients only), sign out, and the start page that sends each visitor where they belong. Before
signing in, the language menu keeps a choice for this browser; a new account starts in the language it was made in."""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import RedirectResponse
from nicegui import app, ui

from hms import clock
from hms import context as app_context
from hms.domain.errors import DomainError
from hms.domain.schemas import PatientRegistration
from hms.domain.validation import parse
from hms.i18n import _
from hms.services import accounts, preferences
from hms.services.two_factor import SecondFactorRequired

from ..components import forms
from ..ui import dates, session, theme
from ..ui.footer import version_footer
from ..ui.i18n import language, language_menu
from ..ui.services import call
from ..ui.session import FORGOT_PATH, client_ip, current_principal, home_of, safe_next, sign_in, sign_out, take_flash


def create() -> None:
    @ui.page('/')
    async def index() -> RedirectResponse:
        principal = await current_principal()
        return RedirectResponse(home_of(principal) if principal else '/login', status_code=303)

    @ui.page('/login')
    async def login_page(next: str | None = None) -> RedirectResponse | None:
        principal = await current_principal()
        if principal is not None:
            return RedirectResponse(home_of(principal), status_code=303)
        _login_form(safe_next(next), take_flash())
        return None

    @ui.page('/register')
    async def register_page() -> RedirectResponse | None:
        principal = await current_principal()
        if principal is not None:
            return RedirectResponse(home_of(principal), status_code=303)
        _registration_form()
        return None

    @ui.page('/logout')
    async def logout_page() -> RedirectResponse | None:
        """A link (or another site's image) only asks: signing out takes the button, a socket event."""
        principal = await current_principal(touch=False)
        if principal is None:
            return RedirectResponse('/login', status_code=303)
        with public_frame(_('Sign out')):
            ui.label(_('Do you want to sign out, {name}?', name=principal.name))
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Stay signed in'), on_click=lambda: ui.navigate.to(home_of(principal))).props('flat')
                ui.button(_('Sign out'), on_click=sign_out).mark('confirm-sign-out')
        return None

    @app.get(session.BEGIN_PATH, include_in_schema=False)
    async def begin_session(
        request: Request, code: str = '', next_path: str = Query('/', alias='next')
    ) -> RedirectResponse:
        return await session.begin(request, code, next_path)

    @app.get(session.END_PATH, include_in_schema=False)
    async def end_session(request: Request) -> RedirectResponse:
        return await session.end(request)


def public_frame(title: str) -> ui.card:
    """The frame of the pages before signing in: the clinic's name, the language menu, a card with the form."""
    theme.apply()
    clinic = app_context.get().settings.clinic_name
    ui.page_title(f'{title} · {clinic}')
    with ui.row().classes('w-full justify-end px-3 pt-2'):
        language_menu(color='primary')
    version_footer()
    with ui.column().classes('w-full items-center pt-2 px-3 gap-2'):
        ui.label(clinic).classes('text-3xl font-semibold text-primary text-center')
        card = ui.card().classes(theme.FORM_CARD)
    with card:
        ui.label(title).classes('text-xl font-semibold').props('role=heading aria-level=1')
    return card


def _login_form(next_path: str | None, flash: str | None) -> None:
    with public_frame(_('Sign in')):
        if flash:
            forms.banner(flash, kind='info')
        error = forms.banner()
        credentials = ui.column().classes('w-full gap-4 p-0')
        with credentials:
            email = ui.input(_('Email')).props('type=email autocomplete=username outlined autofocus').classes('w-full')
            password = (
                forms.PasswordInput(_('Password')).props('autocomplete=current-password outlined').classes('w-full')
            )
        # The second step, for accounts with two-step verification: shown once the password was right.
        second = ui.column().classes('w-full gap-2 p-0').mark('second-factor')
        second.set_visibility(False)
        with second:
            prompt = ui.label(_('Enter the 6-digit code from your authenticator app.')).classes(theme.SUBTLE)
            code = (
                ui.input(_('Verification code'))
                .props('autocomplete=one-time-code inputmode=numeric outlined maxlength=64')
                .classes('w-full')
                .mark('totp-code')
            )
            use_recovery = ui.checkbox(_('Use a recovery code instead')).mark('use-recovery')

            def switch_kind() -> None:
                recovery = bool(use_recovery.value)
                code.label = _('Recovery code') if recovery else _('Verification code')
                code.props(f'inputmode={"text" if recovery else "numeric"}')
                prompt.text = (
                    _('Enter one of the recovery codes you saved when you set up two-step verification.')
                    if recovery
                    else _('Enter the 6-digit code from your authenticator app.')
                )

            use_recovery.on_value_change(switch_kind)

        async def submit() -> None:
            error.text = ''
            if not email.value or not password.value:
                error.text = _('Enter your email and password.')
                return
            in_second_step = second.visible
            if in_second_step and not (code.value or '').strip():
                error.text = _('Enter the code, or tick "Use a recovery code instead".')
                return
            button.props('loading')
            try:
                entered = (code.value or None) if in_second_step else None
                recovery = bool(use_recovery.value)
                signed_in = await sign_in(
                    email.value,
                    password.value,
                    totp_code=None if recovery else entered,
                    recovery_code=entered if recovery else None,
                    next_path=next_path,
                )
            except SecondFactorRequired:
                credentials.set_visibility(False)
                second.set_visibility(True)
                button.text = _('Verify')
                code.run_method('focus')
                return
            except DomainError as failure:
                error.text = failure.message
                if in_second_step:
                    code.value = ''
                else:
                    password.value = ''
                return
            finally:
                button.props(remove='loading')
            ui.navigate.to(signed_in.handover_path)

        password.on('keydown.enter', submit)
        email.on('keydown.enter', submit)
        code.on('keydown.enter', submit)
        button = ui.button(_('Sign in'), on_click=submit).classes('w-full').mark('sign-in')
        with ui.row().classes('w-full justify-center text-sm'):
            ui.link(_('Forgot password?'), FORGOT_PATH).mark('forgot-password')
        with ui.row().classes('w-full justify-center gap-1 text-sm'):
            ui.label(_('New patient?'))
            ui.link(_('Create an account'), '/register')


def _registration_form() -> None:
    with public_frame(_('Create your patient account')) as form:
        ui.label(_('Clinic staff accounts are created by the clinic; this form is for patients.')).classes(theme.SUBTLE)
        error = forms.banner()
        password_hint = _('At least 8 characters; a phrase is easy to remember.')
        fields: dict[str, ui.input | ui.select] = {}
        fields['name'] = ui.input(_('Full name')).props('autocomplete=name outlined').classes('w-full')
        fields['email'] = ui.input(_('Email')).props('type=email autocomplete=email outlined').classes('w-full')
        fields['password'] = (
            forms.PasswordInput(_('Password'))
            .props(f'autocomplete=new-password outlined hint="{password_hint}"')
            .classes('w-full')
        )
        fields['dob'] = (
            dates.date_input(_('Date of birth'), last=clock.now().date(), years_first=True)
            .props('outlined autocomplete=bday')
            .classes('w-full')
        )
        fields['phone'] = ui.input(_('Phone')).props('type=tel autocomplete=tel outlined').classes('w-full')
        fields['address'] = ui.input(_('Address')).props('autocomplete=street-address outlined').classes('w-full')
        fields['gender'] = ui.select(theme.gender_options(), label=_('Gender')).props('outlined').classes('w-full')

        async def submit() -> None:
            error.text = ''
            forms.clear_errors(fields)
            data = {name: value for name, value in forms.stripped(fields).items() if value not in (None, '')}
            try:
                dates.parse(data.get('dob'))
            except ValueError as wrong:  # said in the words of the field's format, not the schema's
                fields['dob'].error = str(wrong)
                return
            if 'dob' in data:
                data['dob'] = dates.iso(data['dob'])
            chosen = language()  # the new account keeps the language it was made in
            button.props('loading')
            try:
                registration = parse(PatientRegistration, data)
                kept = chosen if chosen in preferences.LANGUAGES else None
                tasks = app_context.get().tasks
                await call(accounts.register_patient, registration, ip=client_ip(), language=kept, tasks=tasks)
            except DomainError as failure:
                forms.show_error(failure, error, fields)
                return
            finally:
                button.props(remove='loading')
            # The same answer whether or not the address had an account: signing in is the next step either way.
            form.clear()
            with form:
                message = accounts.registered_message(app_context.get().settings)
                forms.banner(message, kind='info').mark('registered')
                go_on = ui.button(_('Sign in'), on_click=lambda: ui.navigate.to('/login')).classes('w-full')
            # The form (and the button that had the focus) is gone: the focus goes to the next step, not the page top.
            ui.run_javascript(f'document.getElementById("{go_on.html_id}")?.focus()')

        button = ui.button(_('Create account'), on_click=submit).classes('w-full')
        with ui.row().classes('w-full justify-center gap-1 text-sm'):
            ui.label(_('Already registered?'))
            ui.link(_('Sign in'), '/login')
