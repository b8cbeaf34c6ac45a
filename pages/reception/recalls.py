"""``/reception/recalls``: patients whose doctor asked to see them again, for phoning: due (soon), overdue (passed,
nothing booked) and booked. Who, which doctor, the phone number and "follow-up due on": nothing clinical."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import Role
from hms.i18n import N_, _
from hms.services import recalls
from hms.services.principal import Principal
from hms.services.recalls import RecallView

from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

PATH = '/reception/recalls'
TITLE = N_('Follow-up recalls')
STATES = {
    'due': N_('Due soon'),
    'overdue': N_('Overdue'),
    'booked': N_('Booked'),
}


def create() -> None:
    @role_page(PATH, Role.RECEPTION, Role.ADMIN)
    async def recalls_page(principal: Principal) -> None:
        found = await call(recalls.recall_list, principal, 'due')
        with frame(principal, TITLE, current_path=PATH):
            with section(marker='recalls-intro'):
                ui.label(
                    _(
                        'Patients whose doctor asked to see them again. Those due soon also get an email with a '
                        'booking link; call the overdue ones.'
                    )
                ).classes(theme.SUBTLE)
                choice = ui.toggle({key: _(label) for key, label in STATES.items()}, value='due')
                choice.props('no-caps').mark('recall-state')
                choice.props['aria-label'] = _('Which recalls')
            listing = section(marker='recall-list')
            _fill(listing, found)

            async def show(state: str) -> None:
                _fill(listing, await call(recalls.recall_list, principal, state))

            choice.on_value_change(lambda event: show(event.value))


def _fill(listing: ui.card, found: list[RecallView]) -> None:
    listing.clear()
    with listing:
        if not found:
            ui.label(_('No recalls here.')).mark('recalls-none')
            return
        for recall in found:
            with ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'recall-{recall.treatment_id}'):
                ui.label(_('Follow-up due on {day}', day=formats.day(recall.due_on, year=True))).classes(
                    'font-medium min-w-[14rem]'
                )
                with ui.column().classes('gap-0 flex-1 min-w-[10rem]'):
                    ui.label(recall.patient_name)
                    ui.label(_('with {doctor}', doctor=recall.doctor_name)).classes(theme.SUBTLE)
                if recall.patient_phone:
                    ui.link(recall.patient_phone, f'tel:{recall.patient_phone.replace(" ", "")}')
                book = ui.link(_('Book'), f'/reception/book?patient={recall.patient_id}')
                book.props['aria-label'] = _('Book a follow-up for {name}', name=recall.patient_name)
