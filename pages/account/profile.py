"""The signed-in user's own account: details and password change (also the forced change at first login)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from hms.domain.enums import Role
from hms.domain.schemas import PasswordChange
from hms.domain.validation import parse
from hms.i18n import _
from hms.services import accounts
from hms.services.principal import Principal

from ..components import forms
from ..components.sections import facts, section
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call
from ..ui.session import CHANGE_PASSWORD_PATH, home_of
from .calendar_feed import feed_section


def create() -> None:
    @role_page('/profile')
    async def profile_page(principal: Principal) -> None:
        with frame(principal, _('My account'), current_path='/profile'):
            with section(_('Account')):
                facts(
                    [
                        (_('Name'), principal.name),
                        (_('Email'), principal.email),
                        (_('Role'), theme.role_label(principal.role)),
                    ]
                )
            with section(_('Change password')):
                _password_form(after=lambda: ui.notify(_('Password changed.'), type='positive'))
            if principal.role is Role.DOCTOR:
                await feed_section(principal)

    @role_page(CHANGE_PASSWORD_PATH, allow_password_change_pending=True)
    async def forced_change_page(principal: Principal) -> None:
        with frame(principal, _('Choose your password')):
            with ui.card().classes(theme.CARD + ' max-w-md'):
                ui.label(
                    _('Your account was created with a one-time password. Choose your own password to continue.')
                    if principal.must_change_password
                    else _('Change your password.')
                ).classes(theme.SUBTLE)

                async def done() -> None:
                    refreshed = await acting()
                    if refreshed is not None:
                        ui.navigate.to(home_of(refreshed))

                _password_form(after=done)


def _password_form(after: Callable[[], Awaitable[None] | None]) -> None:
    error = forms.banner()
    fields: dict[str, ui.input | ui.select] = {
        'current_password': forms.PasswordInput(_('Current password'))
        .props('autocomplete=current-password outlined')
        .classes('w-full'),
        'new_password': forms.PasswordInput(_('New password'))
        .props('autocomplete=new-password outlined')
        .classes('w-full'),
    }
    fields['new_password'].props['hint'] = _('8 to 128 characters; avoid common passwords.')
    confirm = ui.input(_('Repeat the new password'), password=True).props('autocomplete=new-password outlined')
    confirm.classes('w-full')

    async def submit() -> None:
        error.text = ''
        forms.clear_errors(fields)
        confirm.error = None
        if fields['new_password'].value != confirm.value:
            confirm.error = _('The two new passwords differ.')
            return
        data = {name: element.value or '' for name, element in fields.items()}

        async def change(principal: Principal) -> bool:
            await call(accounts.change_password, principal, parse(PasswordChange, data))
            return True

        if not await forms.attempt(change, banner=error, fields=fields):
            return
        for element in (*fields.values(), confirm):
            element.value = ''
        result = after()
        if result is not None:
            await result

    ui.button(_('Change password'), on_click=submit)
