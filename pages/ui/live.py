"""Changes pushed to an open page: the process's event hub calls a page's callback for every change, outside the
page's own request. The callback (and the work it starts: asyncio tasks copy the context they are created in) runs
in the language the page was built in, so a live update never switches an open page to the default language."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import context, ui

from hms import context as app_context
from hms import i18n
from hms.events import Event


def follow_changes(callback: Callable[[Event], None]) -> None:
    """Call ``callback`` for every change while the current page is open, in the page's language."""
    language = i18n.current_language()

    def deliver(event: Event) -> None:
        with i18n.use_language(language):
            callback(event)

    unsubscribe = app_context.get().hub.subscribe(deliver)
    context.client.on_delete(unsubscribe)


def left(element: ui.element) -> bool:
    """Whether the page holding ``element`` was left (the element deleted, or its client gone with it): work that
    ends after an await checks this before drawing."""
    try:
        return element.is_deleted or element.client.is_deleted
    except RuntimeError:  # NiceGUI: "The client this element belongs to has been deleted."
        return True


FOCUS_ATTRIBUTE = 'data-hms-focus'


def keep_focus(element: ui.element, name: str) -> ui.element:
    """Name ``element`` for the focus: when a live redraw replaces it while it (or an element inside it) has the
    focus, the focus goes to the first element of the same name in the new drawing (pages/ui/static/a11y.js), so a
    keyboard user is not sent back to the top of the page."""
    element.props[FOCUS_ATTRIBUTE] = name
    return element
