"""Small helpers for forms: error messages shown next to their field, required fields, dates typed into date fields,
message banners, Enter that submits, and the loading state of a slow list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from nicegui import ui

from hms.domain.errors import DomainError
from hms.i18n import N_, _
from hms.services.principal import Principal

from ..ui import actions, dates, theme

T = TypeVar('T')

Fields = Mapping[str, ui.input | ui.select]
REQUIRED = N_('This field is required.')  # under a required field left empty, unless the form says otherwise


def show_field_errors(fields: Fields, error: DomainError) -> bool:
    """Put each field's message under it; returns whether any field got one."""
    clear_errors(fields)
    shown = False
    for name, message in error.field_errors.items():
        element = fields.get(name)
        if element is not None:
            element.error = message
            shown = True
    return shown


def show_error(failure: DomainError, banner: ui.label, fields: Fields | None = None) -> None:
    """A refusal: each message under its field where there is one, else the whole message in ``banner``."""
    if not (fields and show_field_errors(fields, failure)):
        banner.text = failure.message


async def attempt(
    change: Callable[[Principal], Awaitable[T]],
    *,
    path: str | None = None,
    banner: ui.label | None = None,
    fields: Fields | None = None,
    required: tuple[str, ...] = (),
    values: Mapping[str, Any] | None = None,
    required_message: str | None = None,
) -> T | None:
    """``actions.attempt`` for a form: the old messages go, the ``required`` fields of ``fields`` must not be empty
    in ``values`` (the fields' own by default); a refusal is shown under its field, else in ``banner``, else in a
    notification. ``required_message`` (translated by the caller) replaces 'This field is required.'."""
    if banner is not None:
        banner.text = ''
    if fields:
        clear_errors(fields)
        if missing(fields, stripped(fields) if values is None else values, required, required_message):
            return None

    def refused(failure: DomainError) -> None:
        if banner is not None:
            show_error(failure, banner, fields)
        elif not (fields and show_field_errors(fields, failure)):
            ui.notify(failure.message, type='negative')

    return await actions.attempt(change, path=path, refused=refused)


def clear_errors(fields: Fields) -> None:
    for element in fields.values():
        element.error = None


def missing(fields: Fields, data: Mapping[str, Any], names: tuple[str, ...], message: str | None = None) -> bool:
    """Mark required fields left empty (in a change, an empty value would otherwise read as merely too short) with
    ``message`` (translated by the caller; 'This field is required.' by default); the other fields' old messages
    go."""
    clear_errors(fields)
    empty = [name for name in names if data.get(name) in (None, '')]
    text = message or _(REQUIRED)
    for name in empty:
        fields[name].error = text
    return bool(empty)


def stripped(fields: Fields) -> dict[str, Any]:
    """The fields' values, text stripped of surrounding spaces."""
    return {
        name: (element.value.strip() if isinstance(element.value, str) else element.value)
        for name, element in fields.items()
    }


def date_input(label: str, on_change: Callable[..., Any] | None = None) -> ui.input:
    """A date field of a filter in the page's language ('31.12.2026'; ISO too) with a calendar in that language
    (``pages/ui/dates``); read it with ``day``. ``label`` comes translated."""
    field = dates.date_input(label).props('outlined dense clearable')
    if on_change is not None:
        field.on_value_change(on_change)
    return field


def day(element: ui.input) -> tuple[date | None, bool]:
    """The date typed into a date field, as the page's language writes dates or ISO (None when empty), and whether it
    was readable (if not, the field says what to type)."""
    try:
        return dates.parse(element.value), True
    except ValueError as problem:
        element.error = str(problem)
        return None, False


def period(first: ui.input, last: ui.input) -> tuple[date | None, date | None] | None:
    """The days of a From/To pair of date fields, or None (with the reason under a field) when they do not make one."""
    first.error = last.error = None
    (start, start_ok), (end, end_ok) = day(first), day(last)
    if not (start_ok and end_ok):
        return None
    if start and end and end < start:
        last.error = _('The end date is before the start date.')
        return None
    return start, end


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


@contextmanager
def loading(element: ui.element) -> Iterator[None]:
    """Quasar's own loading state (a progress bar over a table) while a slow call for it runs."""
    element.props('loading')
    try:
        yield
    finally:
        element.props(remove='loading')


class PasswordInput(ui.input):
    """A password field whose show/hide control is a real, named button: Tab reaches it, Enter or Space uses it, and
    a screen reader hears whether the password is shown (NiceGUI's ``password_toggle_button`` is a bare icon that only
    a pointer can use)."""

    def __init__(self, label: str, **options: Any) -> None:
        super().__init__(label, password=True, **options)
        with self.add_slot('append'):
            self.toggle = ui.button(icon='visibility_off', on_click=self._toggle).props('flat round dense')
            self.toggle.props['aria-label'] = _('Show password')
            self.toggle.props['aria-pressed'] = 'false'
            self.toggle.mark('show-password')

    def _toggle(self) -> None:
        showing = self.props.get('type') == 'password'
        self.props['type'] = 'text' if showing else 'password'
        self.toggle.props['icon'] = 'visibility' if showing else 'visibility_off'
        self.toggle.props['aria-pressed'] = 'true' if showing else 'false'
