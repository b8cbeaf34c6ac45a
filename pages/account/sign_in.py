"""Sign in, register (patients only), sign out, and the start page that sends each visitor where they belong."""

from __future__ import annotations

from datetime import date

from fastapi.responses import RedirectResponse
from nicegui import ui

from hms import context as app_context
from hms.domain.errors import DomainError
from hms.domain.schemas import PatientRegistration
from hms.domain.validation import parse
from hms.services import accounts
from hms.services.two_factor import SecondFactorRequired

from ..components import forms
from ..ui import theme
from ..ui.services import call
from ..ui.session import client_ip, current_principal, home_of, safe_next, sign_in, sign_out, take_flash


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
    async def logout_page() -> RedirectResponse:
        await sign_out()
        return RedirectResponse('/login', status_code=303)


def _public_frame(title: str) -> ui.card:
    theme.apply()
    clinic = app_context.get().settings.clinic_name
    ui.page_title(f'{title} · {clinic}')
    with ui.column().classes('w-full items-center pt-8 px-3 gap-2'):
        ui.label(clinic).classes('text-3xl font-semibold text-primary text-center')
        card = ui.card().classes(theme.FORM_CARD)
    with card:
        ui.label(title).classes('text-xl font-semibold').props('role=heading aria-level=1')
    return card


def _login_form(next_path: str | None, flash: str | None) -> None:
    with _public_frame('Sign in'):
        if flash:
            forms.banner(flash, kind='info')
        error = forms.banner()
        credentials = ui.column().classes('w-full gap-4 p-0')
        with credentials:
            email = ui.input('Email').props('type=email autocomplete=username outlined autofocus').classes('w-full')
            password = (
                ui.input('Password', password=True, password_toggle_button=True)
                .props('autocomplete=current-password outlined')
                .classes('w-full')
            )
        # The second step, for accounts with two-step verification: shown once the password was right.
        second = ui.column().classes('w-full gap-2 p-0').mark('second-factor')
        second.set_visibility(False)
        with second:
            prompt = ui.label('Enter the 6-digit code from your authenticator app.').classes(theme.SUBTLE)
            code = (
                ui.input('Verification code')
                .props('autocomplete=one-time-code inputmode=numeric outlined maxlength=64')
                .classes('w-full')
                .mark('totp-code')
            )
            use_recovery = ui.checkbox('Use a recovery code instead').mark('use-recovery')

            def switch_kind() -> None:
                recovery = bool(use_recovery.value)
                code.label = 'Recovery code' if recovery else 'Verification code'
                code.props(f'inputmode={"text" if recovery else "numeric"}')
                prompt.text = (
                    'Enter one of the recovery codes you saved when you set up two-step verification.'
                    if recovery
                    else 'Enter the 6-digit code from your authenticator app.'
                )

            use_recovery.on_value_change(switch_kind)

        async def submit() -> None:
            error.text = ''
            if not email.value or not password.value:
                error.text = 'Enter your email and password.'
                return
            in_second_step = second.visible
            if in_second_step and not (code.value or '').strip():
                error.text = 'Enter the code, or tick "Use a recovery code instead".'
                return
            button.props('loading')
            try:
                entered = (code.value or None) if in_second_step else None
                recovery = bool(use_recovery.value)
                principal = await sign_in(
                    email.value,
                    password.value,
                    totp_code=None if recovery else entered,
                    recovery_code=entered if recovery else None,
                )
            except SecondFactorRequired:
                credentials.set_visibility(False)
                second.set_visibility(True)
                button.text = 'Verify'
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
            ui.navigate.to(next_path if next_path and not principal.must_change_password else home_of(principal))

        password.on('keydown.enter', submit)
        email.on('keydown.enter', submit)
        code.on('keydown.enter', submit)
        button = ui.button('Sign in', on_click=submit).classes('w-full').mark('sign-in')
        with ui.row().classes('w-full justify-center gap-1 text-sm'):
            ui.label('New patient?')
            ui.link('Create an account', '/register')


def _registration_form() -> None:
    with _public_frame('Create your patient account'):
        ui.label('Clinic staff accounts are created by the clinic; this form is for patients.').classes(theme.SUBTLE)
        error = forms.banner()
        fields: dict[str, ui.input | ui.select] = {}
        fields['name'] = ui.input('Full name').props('autocomplete=name outlined').classes('w-full')
        fields['email'] = ui.input('Email').props('type=email autocomplete=email outlined').classes('w-full')
        fields['password'] = (
            ui.input('Password', password=True, password_toggle_button=True)
            .props('autocomplete=new-password outlined hint="At least 8 characters; a phrase is easy to remember."')
            .classes('w-full')
        )
        fields['dob'] = (
            ui.input('Date of birth')
            .props(f'type=date outlined autocomplete=bday max={date.today().isoformat()}')
            .classes('w-full')
        )
        fields['phone'] = ui.input('Phone').props('type=tel autocomplete=tel outlined').classes('w-full')
        fields['address'] = ui.input('Address').props('autocomplete=street-address outlined').classes('w-full')
        fields['gender'] = ui.select(theme.GENDER_LABELS, label='Gender').props('outlined').classes('w-full')

        async def submit() -> None:
            error.text = ''
            forms.clear_errors(fields)
            data = {name: value for name, value in forms.stripped(fields).items() if value not in (None, '')}
            button.props('loading')
            try:
                await call(accounts.register_patient, parse(PatientRegistration, data), ip=client_ip())
                await sign_in(str(data['email']), str(data['password']))
            except DomainError as failure:
                forms.show_error(failure, error, fields)
                return
            finally:
                button.props(remove='loading')
            ui.notify('Welcome! Your account is ready.', type='positive')
            ui.navigate.to('/patient')

        button = ui.button('Create account', on_click=submit).classes('w-full')
        with ui.row().classes('w-full justify-center gap-1 text-sm'):
            ui.label('Already registered?')
            ui.link('Sign in', '/login')
