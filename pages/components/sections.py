"""The building blocks of a page's body: a card with its heading, and facts as a grid of labels and values."""

from __future__ import annotations

from collections.abc import Iterable

from nicegui import ui

from ..ui import theme


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
