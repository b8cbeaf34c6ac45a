"""What the administrator's staff lists share: each row's Edit and Deactivate/Reactivate buttons, and the one-time
password of a new account, shown once."""

from __future__ import annotations

from html import escape

from nicegui import ui

from hms.i18n import _

from ..ui import theme
from .dialogs import ConfirmDialog

ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="edit" label="{edit}"
         @click="() => $parent.$emit('edit', props.row)" />
  <q-btn v-if="props.row.active" flat dense no-caps color="negative" icon="person_off"
         label="{deactivate}" @click="() => $parent.$emit('deactivate', props.row)" />
  <q-btn v-else flat dense no-caps color="positive" icon="person" label="{reactivate}"
         @click="() => $parent.$emit('reactivate', props.row)" />
</q-td>
"""


def actions_slot() -> str:
    """Each row's Edit and Deactivate or Reactivate buttons (a row says ``active``), in the page's language."""
    return ACTIONS_SLOT.format(
        edit=escape(_('Edit')), deactivate=escape(_('Deactivate')), reactivate=escape(_('Reactivate'))
    )


def show_initial_password(title: str, name: str, email: str, password: str, hand_over: str) -> None:
    """The one-time password, shown once: it is kept nowhere else and disappears when the dialog closes."""
    dialog = ConfirmDialog(
        title, _('I have handed it over'), dismiss=None, persistent=True, confirm_marker='password-done'
    )
    with dialog:
        ui.label(_('{name} signs in with {email} and this one-time password:', name=name, email=email))
        ui.label(password).classes(f'font-mono text-xl select-all rounded px-3 py-2 {theme.MUTED_BOX}').props(
            'data-testid=initial-password'
        ).mark('initial-password')
        ui.label(hand_over).classes(theme.INFO_BANNER)
    dialog.ask()
