"""A list page's filters, page and order kept in its address, so a link or a reload shows the same list.

``Address`` reads the query once when the page opens: a value that cannot be read (an unknown status, a date that is
no date, a page that is no number) falls back to its default and the page says so in a notice, never an error page.
``keep`` writes the current state back without adding a history entry per keystroke.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from urllib.parse import urlencode

from nicegui import ui

from hms.i18n import _


class Address:
    """The query of the address the page was opened with; each reader returns the value or its default."""

    def __init__(self, query: Mapping[str, str] | None = None) -> None:
        self.query = dict(ui.context.client.request.query_params) if query is None else dict(query)
        self.unreadable: list[str] = []

    def _raw(self, name: str) -> str:
        return (self.query.get(name) or '').strip()

    def _refuse(self, name: str) -> None:
        self.unreadable.append(name)

    def text(self, name: str, *, max_length: int = 200) -> str:
        value = self._raw(name)
        if len(value) > max_length:
            self._refuse(name)
            return ''
        return value

    def choice(self, name: str, allowed: Collection[str], default: str | None = None) -> str | None:
        value = self._raw(name)
        if not value:
            return default
        if value not in allowed:
            self._refuse(name)
            return default
        return value

    def number(self, name: str, default: int | None = None, *, allowed: Collection[int] | None = None) -> int | None:
        value = self._raw(name)
        if not value:
            return default
        unreadable = not value.isdecimal() or len(value) > 9 or int(value) < 1
        if unreadable or (allowed is not None and int(value) not in allowed):
            self._refuse(name)
            return default
        return int(value)

    def day(self, name: str) -> date | None:
        value = self._raw(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self._refuse(name)
            return None

    def flag(self, name: str) -> bool:
        return self.choice(name, ('0', '1'), '0') == '1'

    def tell(self) -> None:
        """A notice naming what in the address could not be read (once, when the page opens)."""
        if self.unreadable:
            names = ', '.join(self.unreadable)
            ui.notify(
                _('Some of the address could not be read ({names}); the list shows the default instead.', names=names),
                type='warning',
            )


def keep(path: str, state: Mapping[str, object]) -> None:
    """Put ``state`` (empty and None values left out) into the address of the page at ``path``."""
    kept = {name: _written(value) for name, value in state.items() if value not in (None, '', False)}
    ui.navigate.history.replace(f'{path}?{urlencode(kept)}' if kept else path)


def _written(value: object) -> str:
    if value is True:
        return '1'
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
