"""The "Add to calendar" button of an upcoming appointment, for its patient and its doctor: the .ics comes from a
service call that checks the appointment is the caller's, and reaches the browser as a download (no token in any
address)."""

from __future__ import annotations

from nicegui import ui

from hms.domain.errors import DomainError
from hms.i18n import _
from hms.services import calendars

from ..ui.actions import acting
from ..ui.services import call


async def _download(appointment_id: int) -> None:
    principal = await acting()
    if principal is None:
        return
    try:
        found = await call(calendars.appointment_calendar, principal, appointment_id)
    except DomainError as failure:
        ui.notify(failure.message, type='negative')
        return
    ui.download(found.content, found.filename, found.media_type)


def add_to_calendar(appointment_id: int, when: str) -> ui.button:
    """The button; ``when`` (formatted) names the appointment for screen readers."""
    button = ui.button(_('Add to calendar'), icon='event', on_click=lambda: _download(appointment_id))
    button.props('outline no-caps').mark('add-to-calendar')
    button.props['aria-label'] = _('Add the appointment of {when} to your calendar', when=when)
    return button
