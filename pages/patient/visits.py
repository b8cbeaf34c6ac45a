"""The patient's visits: upcoming appointments, and past visits with what the doctor found, prescribed and advised."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.services import records
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.records import HistoryView

from ..account.exports import export_panel
from ..doctor.patients import upcoming_appointments, visit_history
from ..ui import theme
from ..ui.frame import forbidden, frame
from ..ui.i18n import t
from ..ui.session import page_access

PATH = '/patient/visits'
INTRO = (
    'What your doctors found, prescribed and advised at each visit. To change or cancel an upcoming appointment, '
    'use My appointments.'
)


def create() -> None:
    @ui.page(PATH)
    async def visits_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        history = await run.io_bound(_history, access.principal)
        with frame(access.principal, 'My visits', current_path=PATH):
            ui.label(t(INTRO)).classes(theme.SUBTLE)
            empty = 'No upcoming appointments. Use "Find a doctor" in the menu to book one.'
            upcoming_appointments(history.upcoming, empty=empty)
            # The service leaves private notes out for the patient (None); they are never shown here either.
            visit_history(
                history.visits,
                private=False,
                title='Past visits',
                empty='No completed visits yet. After a visit, the record your doctor writes appears here.',
            )
            await export_panel(access.principal, [ExportKind.MY_HISTORY], title='Download my treatment history')
        return None


def _history(principal: Principal) -> HistoryView:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return records.my_history(uow, ctx.settings, principal)
