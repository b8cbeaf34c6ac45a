"""Outcomes of actions told on the page the user ends up on.

A notification sent just before ``ui.navigate.to`` is shown, and read out by a screen reader, on the page being left,
which then disappears. Instead the action keeps its message for this browser (``after_navigation``), and the next page
built in the frame shows it in its live region (``live_region``): an empty ``role=status`` element that is in the page
from the start, filled once the browser is connected, so that screen readers announce the text as it arrives.
"""

from __future__ import annotations

from nicegui import app, context, ui
from nicegui.persistence import PersistentDict
from nicegui.storage import request_contextvar

from . import theme

ANNOUNCE_KEY = 'announce'  # this browser's messages for the next page
KINDS = {'positive': theme.SUCCESS_BANNER, 'info': theme.INFO_BANNER, 'negative': theme.ERROR_BANNER}
FILL_AFTER_SECONDS = 0.2  # once the browser shows the (empty) region, so that the arriving text is announced


def after_navigation(message: str, kind: str = 'positive') -> None:
    """Keep ``message`` (translated by the caller) for the next page this browser opens; then navigate."""
    storage = _browser_storage()
    pending = list(storage.get(ANNOUNCE_KEY) or [])
    pending.append({'message': message, 'kind': kind if kind in KINDS else 'info'})
    storage[ANNOUNCE_KEY] = pending


def _browser_storage() -> PersistentDict:
    """This browser's storage as the page's own request names it: a callback that runs in a task (a dialog's
    answer) can carry the request of another moment, whose browser id may be an older one."""
    token = request_contextvar.set(context.client.request)
    try:
        return app.storage.user
    finally:
        request_contextvar.reset(token)


def take() -> list[dict[str, str]]:
    """The messages kept for this page (and forgotten: each is told once)."""
    try:
        return list(app.storage.user.pop(ANNOUNCE_KEY, None) or [])
    except (RuntimeError, AttributeError):  # no browser storage (outside a page)
        return []


def live_region() -> ui.element:
    """The page's polite live region, with the messages kept for it (the frame places it under the heading)."""
    region = ui.element('div').classes(f'w-full flex flex-col gap-2 {theme.LIVE_REGION}').mark('announcements')
    region.props('role=status aria-live=polite aria-atomic=false')
    messages = take()
    if messages:

        def fill() -> None:
            with region:
                for message in messages:
                    ui.label(message['message']).classes(KINDS.get(message['kind'], theme.INFO_BANNER))

        ui.timer(FILL_AFTER_SECONDS, fill, once=True)
    return region
