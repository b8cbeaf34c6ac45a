"""Password recovery and address confirmation, before signing in: ``/forgot`` asks for a reset link (the same answer
for any address), ``/reset/{token}`` sets a new password with it, ``/verify/{token}`` confirms a new account's
address (with ``HMS_VERIFY_EMAIL``). The same address checks a visit document's code (``/verify/{code}``): a code's
shape is never a token's (``hms.services.documents.looks_like_code``), so one page serves both.

The token sits in the address: the access log writes these paths without it, the Referrer-Policy (same-origin) keeps
it from other sites, and the page replaces its address in the browser's history as soon as it has read it."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import app, ui

from hms import context as app_context
from hms.domain.errors import DomainError, LinkNotValid
from hms.domain.schemas import PasswordReset, PasswordResetRequest
from hms.domain.validation import parse
from hms.i18n import _
from hms.services import account_links, documents

from ..components import forms
from ..ui import theme
from ..ui.secret_paths import hide_in_access_log
from ..ui.services import call, in_thread
from ..ui.session import FLASH_KEY, FORGOT_PATH, client_ip, current_principal, home_of
from .documents import verification as document_check
from .sign_in import public_frame

RESET_PREFIX = account_links.PATHS[account_links.RESET]
VERIFY_PREFIX = account_links.PATHS[account_links.VERIFY]


def create() -> None:
    hide_in_access_log(RESET_PREFIX, VERIFY_PREFIX)

    @ui.page(FORGOT_PATH)
    async def forgot_page() -> RedirectResponse | None:
        principal = await current_principal()
        if principal is not None:
            return RedirectResponse(home_of(principal), status_code=303)
        _forgot_form()
        return None

    @ui.page(RESET_PREFIX + '{token}')
    async def reset_page(token: str) -> None:
        _forget_address(RESET_PREFIX)
        usable = await call(account_links.check_reset_link, token)
        _reset_form(token if usable else None)

    @ui.page(VERIFY_PREFIX + '{value}')
    async def verify_page(value: str) -> None:
        if documents.looks_like_code(value):  # a visit document's code: no secret, the address may stay
            await document_check(value)
            return
        _forget_address(VERIFY_PREFIX)
        _verify_form(value)


def _forget_address(prefix: str) -> None:
    """Keep the token out of the browser's history: the address bar shows the prefix only from now on."""
    ui.run_javascript(f'history.replaceState(null, "", {prefix!r} + "…")')


def _back_to_sign_in() -> None:
    with ui.row().classes('w-full justify-center gap-1 text-sm'):
        ui.link(_('Back to sign in'), '/login')


def _forgot_form() -> None:
    with public_frame(_('Forgot password?')) as form:
        ui.label(
            _('Enter the email address of your account. We will send you a link to choose a new password.')
        ).classes(theme.SUBTLE)
        error = forms.banner()
        email = (
            ui.input(_('Email'))
            .props('type=email autocomplete=username outlined autofocus')
            .classes('w-full')
            .mark('forgot-email')
        )

        async def submit() -> None:
            error.text = ''
            email.error = None
            try:
                data = parse(PasswordResetRequest, {'email': (email.value or '').strip()})
            except DomainError as failure:
                email.error = _('Enter your email address.')
                error.text = failure.message
                return
            button.props('loading')
            try:
                ctx = app_context.get()
                await in_thread(
                    account_links.request_reset, ctx.uow, ctx.settings, ctx.tasks, data.email, ip=client_ip()
                )
            finally:
                button.props(remove='loading')
            form.clear()
            with form:  # the same answer for every address
                ui.label(_('Check your email')).classes('text-xl font-semibold').props('role=heading aria-level=1')
                forms.banner(_(account_links.RESET_SENT), kind='info').mark('reset-sent')
                _back_to_sign_in()

        email.on('keydown.enter', submit)
        button = ui.button(_('Send the link'), on_click=submit).classes('w-full').mark('send-reset')
        _back_to_sign_in()


def _reset_form(token: str | None) -> None:
    with public_frame(_('Choose a new password')):
        if token is None:
            forms.banner(_(LinkNotValid.default_message)).mark('link-not-valid')
            with ui.row().classes('w-full justify-center gap-1 text-sm'):
                ui.link(_('Ask for a new link'), FORGOT_PATH)
            return
        error = forms.banner()
        hint = _('At least 8 characters; a phrase is easy to remember.')
        fields: dict[str, ui.input | ui.select] = {
            'password': forms.PasswordInput(_('New password'))
            .props(f'autocomplete=new-password outlined autofocus hint="{hint}"')
            .classes('w-full')
            .mark('new-password'),
        }
        repeat = (
            forms.PasswordInput(_('New password again'))
            .props('autocomplete=new-password outlined')
            .classes('w-full')
            .mark('repeat-password')
        )

        async def submit() -> None:
            error.text = ''
            forms.clear_errors(fields)
            repeat.error = None
            password = fields['password'].value or ''
            if password != (repeat.value or ''):
                repeat.error = _('The two passwords differ.')
                return
            button.props('loading')
            try:
                data = parse(PasswordReset, {'token': token, 'password': password})
                ctx = app_context.get()
                await in_thread(account_links.confirm_reset, ctx.uow, ctx.settings, ctx.tasks, data, ip=client_ip())
            except DomainError as failure:
                forms.show_error(failure, error, fields)
                return
            finally:
                button.props(remove='loading')
            app.storage.user[FLASH_KEY] = _(account_links.PASSWORD_RESET)
            ui.navigate.to('/login')

        repeat.on('keydown.enter', submit)
        button = ui.button(_('Change password'), on_click=submit).classes('w-full').mark('reset-password')
        _back_to_sign_in()


def _verify_form(token: str) -> None:
    with public_frame(_('Confirm your email address')) as form:
        ui.label(_('Confirm that this email address is yours to finish creating your account.')).classes(theme.SUBTLE)
        error = forms.banner()

        async def submit() -> None:
            error.text = ''
            try:
                await call(account_links.verify_email, token, ip=client_ip())
            except DomainError as failure:
                error.text = failure.message
                return
            form.clear()
            with form:
                forms.banner(_(account_links.ADDRESS_CONFIRMED), kind='info').mark('verified')
                ui.button(_('Sign in'), on_click=lambda: ui.navigate.to('/login')).classes('w-full')

        # A button, not the visit itself: mail scanners that open links must not use them up.
        ui.button(_('Confirm my address'), on_click=submit).classes('w-full').mark('confirm-address')
        _back_to_sign_in()
