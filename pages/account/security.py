"""/account/security: two-step verification (TOTP) for administrators and doctors; patients are told it is for staff.

Setting up shows a QR code (inline SVG) and the secret once; turning it on shows ten recovery codes once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Literal

from nicegui import ui

from hms.i18n import N_, _
from hms.security.totp import RECOVERY_CODE_COUNT as RECOVERY_CODES
from hms.services import two_factor
from hms.services.principal import Principal
from hms.services.two_factor import Enrolment, TwoFactorStatus

from ..components import forms
from ..components.sections import heading
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

PATH = '/account/security'
STAFF_ONLY = N_(
    'Two-step verification is offered to clinic staff (administrators, doctors and receptionists), whose accounts '
    "reach many patients' details. Your account is protected by your password and signs you out after a period "
    'without activity.'
)


def create() -> None:
    @role_page(PATH)
    async def security_page(principal: Principal) -> None:
        state = await call(two_factor.status, principal)
        with frame(principal, _('Sign-in security'), current_path=PATH):
            _SecurityPanel(principal, state)


class _SecurityPanel:
    def __init__(self, principal: Principal, state: TwoFactorStatus) -> None:
        self.principal = principal
        self.card = ui.card().classes(theme.CARD)
        self.render(state)

    async def _apply(
        self,
        banner: ui.label,
        change: Callable[[Principal], Awaitable[list[str] | None]],
        *,
        notice: str = '',
        kind: Literal['positive', 'info'] = 'positive',
    ) -> None:
        """Make a change of the second factor (refused: the reason in ``banner``), then show the new state and the
        recovery codes the change made, if any."""

        async def changed(principal: Principal) -> tuple[TwoFactorStatus, list[str] | None]:
            codes = await change(principal)
            return await call(two_factor.status, principal), codes

        done = await forms.attempt(changed, path=PATH, banner=banner)
        if done is None:
            return
        if notice:
            ui.notify(notice, type=kind)
        self.render(*done)

    def render(self, state: TwoFactorStatus, recovery_codes: list[str] | None = None) -> None:
        self.card.clear()
        with self.card:
            heading(_('Two-step verification'))
            if not state.eligible:
                ui.label(_(STAFF_ONLY)).classes(theme.INFO_BANNER).mark('staff-only')
                return
            if recovery_codes:
                self._show_codes(recovery_codes)
            if state.enabled:
                self._enabled(state)
            else:
                self._disabled(state)

    def _show_codes(self, codes: list[str]) -> None:
        with ui.column().classes(theme.SUCCESS_BANNER + ' gap-2').mark('recovery-codes'):
            ui.label(_('Your recovery codes: save them now, they are shown only this once.')).classes('font-medium')
            ui.label(_('Each code signs you in once if you lose your phone. Keep them somewhere safe, offline.'))
            with ui.grid(columns=2).classes('gap-x-8 gap-y-1 font-mono text-base'):
                for code in codes:
                    ui.label(code)

    def _enabled(self, state: TwoFactorStatus) -> None:
        if state.enabled_at:
            since = formats.date_only(formats.local(state.enabled_at).date())
            on = _('On since {date}. Signing in asks for a code from your authenticator app.', date=since)
        else:
            on = _('On. Signing in asks for a code from your authenticator app.')
        ui.label(on).mark('totp-on')
        left = _('Recovery codes left: {left} of {total}.', left=state.recovery_codes_left, total=RECOVERY_CODES)
        ui.label(left).classes(theme.SUBTLE)

        ui.separator()
        ui.label(_('New recovery codes')).classes('font-medium')
        ui.label(_('Replaces all your recovery codes; the old ones stop working.')).classes(theme.SUBTLE)
        regen_error = forms.banner()
        regen_code = ui.input(_('Current 6-digit code')).props('autocomplete=one-time-code inputmode=numeric outlined')
        regen_code.classes('max-w-xs').mark('regen-code')

        async def regenerate() -> None:
            await self._apply(
                regen_error,
                lambda principal: call(two_factor.regenerate_recovery_codes, principal, regen_code.value or ''),
            )

        ui.button(_('Make new recovery codes'), on_click=regenerate).props('no-caps outline').mark('regenerate')

        ui.separator()
        ui.label(_('Turn off')).classes('font-medium')
        off_error = forms.banner()
        password = forms.PasswordInput(_('Password'))
        password.props('autocomplete=current-password outlined').classes('max-w-xs').mark('off-password')
        code = ui.input(_('6-digit code or a recovery code')).props('autocomplete=one-time-code outlined')
        code.classes('max-w-xs').mark('off-code')

        async def turn_off() -> None:
            disable = partial(call, two_factor.disable, password=password.value or '', code=code.value or '')
            await self._apply(off_error, disable, notice=_('Two-step verification is off.'), kind='info')

        ui.button(_('Turn off two-step verification'), on_click=turn_off).props('no-caps color=negative outline').mark(
            'turn-off'
        )

    def _disabled(self, state: TwoFactorStatus) -> None:
        ui.label(
            _(
                'Off. With it on, signing in needs your password and a 6-digit code from an authenticator app on '
                'your phone (for example Aegis, Google Authenticator, Microsoft Authenticator or 1Password).'
            )
        ).mark('totp-off')
        area = ui.column().classes('w-full gap-3 p-0')

        async def start() -> None:
            enrolment = await forms.attempt(
                lambda principal: call(two_factor.begin, principal, password.value or ''), path=PATH, banner=setup_error
            )
            if enrolment is None:
                return
            area.clear()
            with area:
                self._enrolment(enrolment)

        with area:
            setup_error = forms.banner()
            password = forms.PasswordInput(_('Your password'))
            password.props('autocomplete=current-password outlined').classes('max-w-xs').mark('setup-password')
            password.on('keydown.enter', start)
            label = _('Continue setting up') if state.pending else _('Set up two-step verification')
            ui.button(label, icon='qr_code_2', on_click=start).props('no-caps').mark('totp-setup')

    def _enrolment(self, enrolment: Enrolment) -> None:
        ui.label(_('1. Scan this QR code with your authenticator app.')).classes('font-medium')
        qr_code = ui.image(enrolment.qr_data_uri).classes('w-56 h-56 bg-white')
        qr_code.props['alt'] = _('QR code to add HMS to your app')
        ui.label(_('Cannot scan it? Enter this key in the app instead:')).classes(theme.SUBTLE)
        grouped = ' '.join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
        ui.label(grouped).classes('font-mono text-base select-all').mark('totp-secret')
        ui.label(_('2. Enter the 6-digit code the app shows.')).classes('font-medium')
        error = forms.banner()
        code = ui.input(_('6-digit code')).props('autocomplete=one-time-code inputmode=numeric outlined autofocus')
        code.classes('max-w-xs').mark('confirm-code')

        async def confirm() -> None:
            turn_on = partial(call, two_factor.confirm, code=code.value or '')
            await self._apply(error, turn_on, notice=_('Two-step verification is on.'))

        code.on('keydown.enter', confirm)
        ui.button(_('Turn on'), on_click=confirm).props('no-caps').mark('totp-confirm')
