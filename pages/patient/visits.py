"""The patient's visits: upcoming appointments, and past visits with what the doctor found, prescribed and advised."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import Role
from hms.i18n import N_, _
from hms.services import records
from hms.services.exports import ExportKind
from hms.services.principal import Principal

from ..components.exports import export_panel
from ..components.history import upcoming_appointments, visit_history
from ..ui import theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

PATH = '/patient/visits'
INTRO = N_(
    'What your doctors found, prescribed and advised at each visit. To change or cancel an upcoming appointment, '
    'use My appointments.'
)


def create() -> None:
    @role_page(PATH, Role.PATIENT)
    async def visits_page(principal: Principal) -> None:
        history = await call(records.my_history, principal)
        with frame(principal, _('My visits'), current_path=PATH):
            ui.label(_(INTRO)).classes(theme.SUBTLE)
            empty = _('No upcoming appointments. Use "Find a doctor" in the menu to book one.')
            upcoming_appointments(history.upcoming, empty=empty)
            # The service leaves private notes out for the patient (None); they are never shown here either.
            visit_history(
                history.visits,
                private=False,
                title=_('Past visits'),
                empty=_('No completed visits yet. After a visit, the record your doctor writes appears here.'),
                documents=True,  # the visit summary and the prescription, to print or download
            )
            await export_panel(principal, [ExportKind.MY_HISTORY], title=_('Download my treatment history'))
