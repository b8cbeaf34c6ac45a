"""The doctor's week as a time grid (Monday to Sunday): appointments in their slots, free slots between them;
each appointment opens its visit page."""

from __future__ import annotations

from datetime import date

from hms.domain.enums import Role
from hms.i18n import N_, _
from hms.services import week
from hms.services.principal import Principal
from hms.services.views import AppointmentView
from hms.services.week import WeekView

from ..components.week_grid import WeekGrid
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call

PATH = '/doctor/week'


def visit_path(appointment: AppointmentView) -> str:
    return f'/doctor/appointments/{appointment.id}'


def create() -> None:
    @role_page(PATH, Role.DOCTOR)
    async def doctor_week(principal: Principal) -> None:
        first = await call(week.doctor_week, principal)
        with frame(principal, N_('My week'), current_path=PATH):
            WeekGrid(first, _load, open_path=visit_path, title=_('My week'))


async def _load(day: date) -> WeekView | None:
    principal = await acting(PATH)
    if principal is None:
        return None
    return await call(week.doctor_week, principal, first=day)
