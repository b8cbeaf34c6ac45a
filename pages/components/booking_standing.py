"""The no-show policy as the patient reads it (hms.services.no_shows): on the booking pages, a notice once online
booking is paused; on the profile, the limit and where they stand."""

from __future__ import annotations

from nicegui import ui

from hms.i18n import _
from hms.services import no_shows
from hms.services.principal import Principal

from ..ui import theme
from ..ui.services import call
from .forms import banner
from .sections import section


async def paused_notice(principal: Principal) -> bool:
    """On a booking page: when online booking is paused, say why and where to book instead. Whether it is."""
    standing = await call(no_shows.my_standing, principal)
    if standing.booking_paused:
        banner(no_shows.explain(standing), kind='info').mark('booking-paused')
    return standing.booking_paused


async def standing_section(principal: Principal) -> None:
    """On the profile: the limit, the patient's missed and late-cancelled appointments of the last 12 months."""
    standing = await call(no_shows.my_standing, principal)
    with section(_('Missed appointments'), marker='no-show-standing'):
        ui.label(no_shows.explain(standing)).mark('no-show-explained')
        ui.label(
            _(
                'Cancelled after the online cut-off in the last 12 months: {n}',
                n=standing.late_cancellations_12m,
            )
        ).classes(theme.SUBTLE).mark('late-cancellations')
