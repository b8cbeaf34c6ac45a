"""The signed-in user's own account: details and password change (also the forced change at first login)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.domain.errors import DomainError
from hms.domain.schemas import PasswordChange
from hms.domain.validation import parse
from hms.services import accounts
from hms.services.principal import Principal

from ..components import forms
from ..ui import theme
from ..ui.frame import frame
from ..ui.session import current_principal, home_of, page_access


def create() -> None:
    @ui.page('/profile')
    async def profile_page() -> RedirectResponse | None:
        access = await page_access('/profile')
        if access.redirect:
            return access.redirect
        principal = access.principal
        assert principal is not None
        with frame(principal, 'My account', current_path='/profile'):
            with ui.card().classes(theme.CARD):
                ui.label('Account').classes('text-lg font-medium')
                with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1'):
                    for label, value in (('Name', principal.name), ('Email', principal.email),
                                         ('Role', principal.role.value.title())):  # fmt: skip
                        ui.label(label).classes(theme.SUBTLE)
                        ui.label(value)
            with ui.card().classes(theme.CARD):
                ui.label('Change password').classes('text-lg font-medium')
                _password_form(after=lambda: ui.notify('Password changed.', type='positive'))
        return None

    @ui.page('/change-password')
    async def forced_change_page() -> RedirectResponse | None:
        access = await page_access('/change-password', allow_password_change_pending=True)
        if access.redirect:
            return access.redirect
        principal = access.principal
        assert principal is not None
        with frame(principal, 'Choose your password'):
            with ui.card().classes(theme.CARD + ' max-w-md'):
                ui.label(
                    'Your account was created with a one-time password. Choose your own password to continue.'
                    if principal.must_change_password
                    else 'Change your password.'
                ).classes(theme.SUBTLE)

                async def done() -> None:
                    refreshed = await current_principal()
                    ui.navigate.to(home_of(refreshed) if refreshed else '/login')

                _password_form(after=done)
        return None


def _change(principal: Principal, data: dict[str, str]) -> None:
    change = parse(PasswordChange, data)
    with app_context.get().uow() as uow:
        accounts.change_password(uow, principal, change)


def _password_form(after: Callable[[], Awaitable[None] | None]) -> None:
    error = forms.banner()
    fields: dict[str, ui.input | ui.select] = {
        'current_password': ui.input('Current password', password=True, password_toggle_button=True)
        .props('autocomplete=current-password outlined')
        .classes('w-full'),
        'new_password': ui.input('New password', password=True, password_toggle_button=True)
        .props('autocomplete=new-password outlined hint="8 to 128 characters; avoid common passwords."')
        .classes('w-full'),
    }
    confirm = ui.input('Repeat the new password', password=True).props('autocomplete=new-password outlined')
    confirm.classes('w-full')

    async def submit() -> None:
        error.text = ''
        forms.clear_errors(fields)
        confirm.error = None
        if fields['new_password'].value != confirm.value:
            confirm.error = 'The two new passwords differ.'
            return
        principal = await current_principal()
        if principal is None:
            ui.navigate.to('/login')
            return
        data = {name: element.value or '' for name, element in fields.items()}
        try:
            await run.io_bound(_change, principal, data)
        except DomainError as failure:
            if not forms.show_field_errors(fields, failure):
                error.text = failure.message
            return
        for element in (*fields.values(), confirm):
            element.value = ''
        result = after()
        if result is not None:
            await result

    ui.button('Change password', on_click=submit)
