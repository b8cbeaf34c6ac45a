"""Small helpers for forms: error messages shown next to their field, message banners, and dialog buttons that
Enter presses too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import ui

from hms.domain.errors import DomainError

from ..ui import theme


def show_field_errors(fields: dict[str, ui.input | ui.select], error: DomainError) -> bool:
    """Put each field's message under it; returns whether any field got one."""
    for element in fields.values():
        element.error = None
    shown = False
    for name, message in error.field_errors.items():
        element = fields.get(name)
        if element is not None:
            element.error = message
            shown = True
    return shown


def clear_errors(fields: dict[str, ui.input | ui.select]) -> None:
    for element in fields.values():
        element.error = None


def banner(text: str = '', *, kind: str = 'error') -> ui.label:
    """A message area announced to screen readers; hidden while empty."""
    label = ui.label(text).classes(theme.ERROR_BANNER if kind == 'error' else theme.INFO_BANNER)
    label.props('role=alert aria-live=polite')
    label.bind_visibility_from(label, 'text', backward=bool)
    return label


def enter_submits(container: ui.element, action: Callable[[], Any]) -> None:
    """Enter in any one-line field of ``container`` runs ``action`` (text areas keep Enter for new lines; selects
    keep it for choosing)."""
    for element in container.descendants():
        if isinstance(element, ui.number) or (isinstance(element, ui.input) and not isinstance(element, ui.textarea)):
            element.on('keydown.enter', action)


def dialog_buttons(
    dialog: ui.dialog, label: str, action: Callable[[], Awaitable[None]], *, dismiss: str = 'Cancel',
    color: str = 'primary',
) -> ui.button:  # fmt: skip
    """A dialog's dismiss and confirm buttons, at its end; Enter in the dialog's one-line fields confirms too."""
    with ui.row().classes('w-full justify-end gap-2'):
        ui.button(dismiss, on_click=dialog.close).props('flat no-caps')
        confirm = ui.button(label, on_click=action).props(f'color={color} no-caps').mark('dialog-confirm')
    enter_submits(dialog, action)
    return confirm


@contextmanager
def loading(element: ui.element) -> Iterator[None]:
    """Quasar's own loading state (a progress bar over a table) while a slow call for it runs."""
    element.props('loading')
    try:
        yield
    finally:
        element.props(remove='loading')
