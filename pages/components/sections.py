"""The building blocks of a page's body: a card with its heading, facts as a grid of labels and values, and a panel
drawn again after each change. Every text given to them comes translated (``_()`` where the page is built)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from nicegui import ui

from hms.services.principal import Principal

from ..ui import theme
from . import forms

T = TypeVar('T')


def heading(text: str, *, level: int = 2) -> ui.label:
    """A section's heading (the page's own, level 1, comes with the frame)."""
    return ui.label(text).classes('text-lg font-medium').props(f'role=heading aria-level={level}')


def section(title: str = '', *, marker: str | None = None) -> ui.card:
    """A card of the page's width, headed by ``title`` (enter it to add the content)."""
    card = ui.card().classes(theme.CARD)
    if marker:
        card.mark(marker)
    if title:
        with card:
            heading(title)
    return card


def facts(pairs: Iterable[tuple[str, str]], *, marker: str | None = None, wrap: bool = False) -> ui.grid:
    """Labels and their values, side by side; ``wrap`` keeps the line breaks of long values."""
    with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1') as grid:
        for label, value in pairs:
            ui.label(label).classes(theme.SUBTLE)
            shown = ui.label(value)
            if wrap:
                shown.classes('whitespace-pre-line')
    if marker:
        grid.mark(marker)
    return grid


class Panel(Generic[T]):
    """A part of a page drawn from what ``read`` finds for the signed-in user, and drawn again after each change.

    What follows a change (a notification, the new drawing) is built in the panel's anchor, which stays while the
    content is drawn again (the button that made the change is gone by then).
    """

    def __init__(self, path: str, first: T) -> None:
        self.path = path
        with ui.column().classes('w-full gap-4') as self.anchor:
            self.container = ui.column().classes('w-full gap-4')
        self.render(first)

    async def read(self, actor: Principal) -> T:
        raise NotImplementedError

    def draw(self, data: T) -> None:
        raise NotImplementedError

    def render(self, data: T) -> None:
        self.container.clear()
        with self.container:
            self.draw(data)

    async def reload(self) -> None:
        with self.anchor:
            data = await forms.attempt(self.read, path=self.path)
            if data is not None:
                self.render(data)

    async def done(self, message: str) -> None:
        """Tell the user that the change is made, and draw the panel again."""
        with self.anchor:
            ui.notify(message, type='positive')
            await self.reload()
