"""What a user sees when the server, not their input, is at fault: a database that is read-only, full, locked too
long or unreachable gets a plain explanation (page or notification) and a log entry; other errors a short apology.
Never a traceback."""

from __future__ import annotations

import contextlib
import logging

from nicegui import app, ui

from hms.db import faults

from . import theme

logger = logging.getLogger(__name__)

UNEXPECTED = 'Something went wrong on our side. The error has been logged; please try again.'


def create() -> None:
    """Register the handlers (again after NiceGUI resets the app, as tests do)."""
    app.on_page_exception(_error_page)
    app.on_exception(_notify)


def _error_page(error: Exception) -> None:
    """A page could not be built: say why in plain words (NiceGUI logs the exception itself)."""
    unavailable = faults.is_unavailable(error)
    if unavailable:
        faults.log(error, 'a page')
    theme.apply()
    with ui.column().classes(f'{theme.PAGE_WIDTH} p-6 gap-4'):
        title = 'The clinic system cannot save or load data right now' if unavailable else 'This page failed to load'
        ui.label(title).classes(theme.HEADING).props('role=heading aria-level=1')
        message = faults.user_message(error) if unavailable else UNEXPECTED
        ui.label(message).classes(theme.ERROR_BANNER).props('role=alert').mark('error-message')
        ui.link('Try again', '/')


def _notify(error: Exception) -> None:
    """An action failed (a click, a form): tell the user on their page; the log has the detail."""
    if faults.is_unavailable(error):
        faults.log(error, 'an action')
        message = faults.user_message(error)
    else:
        message = UNEXPECTED
    with contextlib.suppress(RuntimeError):  # no page to tell (a background task): the log is enough
        ui.notify(message, type='negative', multi_line=True, timeout=10_000)
