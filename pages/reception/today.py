"""The front desk's today page: every doctor's list for today with arrival state, the minutes waited so far (live),
late arrivals marked in words, a search box for the patient in front of the desk, and Check in."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import AppointmentStatus, Role
from hms.i18n import N_, _
from hms.services import queue
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from ..components.clinic_day import DayList, today_loader
from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import attempt
from ..ui.frame import frame
from ..ui.live import keep_focus
from ..ui.services import call
from ..ui.session import session_token

PATH = '/reception'
BOOK_PATH = '/reception/book'


def create() -> None:
    @role_page(PATH, Role.RECEPTION, Role.ADMIN)
    async def reception_today(principal: Principal) -> None:
        entries = await call(queue.today, principal)
        with frame(principal, N_('Today at the desk'), current_path=PATH):
            with section(marker='today-intro'):
                ui.label(
                    _('Check patients in as they arrive. Late arrivals are marked "Late"; waits count from check-in.')
                ).classes(theme.SUBTLE)
                search = ui.input(_('Find the patient at the desk: name, ticket, doctor or number'))
                search.props('outlined dense clearable type=search').classes('w-full max-w-xl').mark('today-search')
                ui.link(_('Find or register a patient to book or add a walk-in'), '/reception/patients')
            with section(_("Today's appointments"), marker='today-list'):
                day = DayList(today_loader(session_token() or ''), entries, actions=_actions, show_doctor=True)
            search.on_value_change(lambda event: day.filter(event.value or ''))


def _actions(view: AppointmentView, _day: DayList) -> None:
    name, time = view.patient_name, formats.time_of_day(view.start)
    if view.status is AppointmentStatus.BOOKED:
        button = ui.button(_('Check in'), icon='how_to_reg', on_click=lambda v=view: _check_in(v)).props('no-caps')
        button.props['aria-label'] = _('Check in {name} ({time})', name=name, time=time)
        keep_focus(button.mark(f'check-in-{view.id}'), f'day-action-{view.id}')
    link = ui.link(_('Appointments'), f'{BOOK_PATH}?patient={view.patient_id}').mark(f'manage-{view.id}')
    keep_focus(link, f'day-action-{view.id}')  # checked in, the row's next control takes the focus
    link.props['aria-label'] = _("{name}'s appointments", name=name)


async def _check_in(view: AppointmentView) -> None:
    async def change(actor: Principal) -> AppointmentView:
        return await call(queue.check_in, actor, view.id)

    done = await attempt(change, path=PATH)
    if done is not None:
        ui.notify(_('{name} is checked in: ticket {ticket}.', name=done.patient_name, ticket=done.ticket or '–'))
