"""Small helpers for forms: labelled inputs and error messages shown next to their field."""

from __future__ import annotations

from nicegui import ui

from hms.domain.errors import DomainError


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
    classes = 'w-full rounded p-3 text-sm ' + (
        'bg-red-50 text-red-800' if kind == 'error' else 'bg-sky-50 text-sky-900'
    )
    label = ui.label(text).classes(classes).props('role=alert aria-live=polite')
    label.bind_visibility_from(label, 'text', backward=bool)
    return label
