"""Shared pieces of page actions: the acting user at the moment of a click, and dialogs built on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from hms.services.principal import Principal

from .session import current_principal


async def acting(path: str) -> Principal | None:
    """The signed-in user at the moment of an action (the session may have ended since the page was built)."""
    principal = await current_principal()
    if principal is None:
        ui.navigate.to(f'/login?next={path}')
    return principal


@contextmanager
def open_dialog(title: str, *, persistent: bool = False, width: str = 'max-w-xl') -> Iterator[ui.dialog]:
    """A dialog built on demand and removed once closed (so a closed dialog leaves nothing behind)."""
    with ui.dialog() as built, ui.card().classes(f'w-full {width} p-6 gap-4'):
        ui.label(title).classes('text-lg font-semibold').props('role=heading aria-level=2')
        yield built
    if persistent:
        built.props('persistent')
    built.on_value_change(lambda event: None if event.value else built.delete())
    built.open()
