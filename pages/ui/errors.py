"""What a user sees when the server, not their input, is at fault: a database that is read-only, full, locked too
long or unreachable gets a plain explanation (page or notification) and a log entry; other errors a short apology;
an address that leads nowhere a page that says so. Never a traceback; always in the visitor's language, with the
language menu."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from nicegui import Client, app, ui
from nicegui.page import page
from starlette.exceptions import HTTPException

from hms import context as app_context
from hms.db import faults
from hms.i18n import N_, _

from . import theme
from .footer import version_footer
from .i18n import language_menu

logger = logging.getLogger(__name__)

UNEXPECTED = N_('Something went wrong on our side. The error has been logged; please try again.')


def create() -> None:
    """Register the handlers (again after NiceGUI resets the app, as tests do)."""
    app.on_page_exception(_error_page)
    app.on_exception(_notify)
    app.add_exception_handler(404, _not_found)


def _error_page(error: Exception) -> None:
    """A page could not be built: say why in plain words (NiceGUI logs the exception itself)."""
    if faults.is_unavailable(error):
        faults.log(error, 'a page')
        title = _('The clinic system cannot save or load data right now')
        message = faults.user_message(error)
    else:
        title, message = _('This page failed to load'), _(UNEXPECTED)
    with _error_frame(title):
        ui.label(message).classes(theme.ERROR_BANNER).props('role=alert').mark('error-message')
        ui.link(_('Try again'), '/')


async def _not_found(request: Request, exception: Exception) -> Response:
    """No page at this address: our own page (in the visitor's language) instead of NiceGUI's. What is no page
    (a download, a JSON endpoint) answers as FastAPI would."""
    endpoint = request.scope.get('endpoint')
    page_or_none = endpoint is None or endpoint is app or request.scope.get('nicegui_page_path')
    if not page_or_none and isinstance(exception, HTTPException):
        return await http_exception_handler(request, exception)
    with Client(page(''), request=request) as client:
        with _error_frame(_('There is no page at this address')):
            ui.label(_('The link may be old, or the address mistyped.')).classes(theme.SUBTLE).mark('not-found')
            ui.link(_('Go to my home page'), '/')
    return client.build_response(request, 404)


@contextlib.contextmanager
def _error_frame(title: str) -> Iterator[None]:
    theme.apply()
    ui.page_title(f'{title} · {app_context.get().settings.clinic_name}')
    version_footer()
    with ui.column().classes(f'{theme.PAGE_WIDTH} p-6 gap-4'):
        with ui.row().classes('w-full items-start justify-between gap-2 no-wrap'):
            ui.label(title).classes(theme.HEADING).props('role=heading aria-level=1')
            language_menu(color='primary')  # kept for this browser; a signed-in account's choice wins on its pages
        yield


def _notify(error: Exception) -> None:
    """An action failed (a click, a form): tell the user on their page; the log has the detail."""
    if faults.is_unavailable(error):
        faults.log(error, 'an action')
        message = faults.user_message(error)
    else:
        message = _(UNEXPECTED)
    with contextlib.suppress(RuntimeError):  # no page to tell (a background task): the log is enough
        ui.notify(message, type='negative', multi_line=True, timeout=10_000)
