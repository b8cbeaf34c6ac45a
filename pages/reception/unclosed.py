"""``/unclosed``: past appointments nobody closed (still booked, arrived or in consultation after their end), for
the front desk and the administrator (every doctor's) and for a doctor (their own): each closed as a no-show or as
completed, through the same transitions as everywhere (hms.services.unclosed)."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import AppointmentStatus, Role
from hms.i18n import N_, _
from hms.services import unclosed
from hms.services.principal import Principal
from hms.services.views import AppointmentView

from ..components.history import status_badge
from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import attempt
from ..ui.frame import frame
from ..ui.services import call

PATH = '/unclosed'
TITLE = N_('Appointments to close')


def create() -> None:
    @role_page(PATH, Role.RECEPTION, Role.ADMIN, Role.DOCTOR)
    async def unclosed_page(principal: Principal) -> None:
        found = await call(unclosed.unclosed, principal)
        with frame(principal, TITLE, current_path=PATH):
            with section(marker='unclosed-intro'):
                ui.label(
                    _(
                        'These appointments have ended but are still open. Close each one: "No-show" when the '
                        'patient never came, "Completed" when the visit took place.'
                    )
                ).classes(theme.SUBTLE)
            listing = section(_('Still open'), marker='unclosed-list')
            _fill(listing, principal, found)


def _fill(listing: ui.card, principal: Principal, found: list[AppointmentView]) -> None:
    with listing:
        body = ui.column().classes('w-full gap-0 p-0').mark('unclosed-rows')
    with body:
        if not found:
            ui.label(_('Nothing to close: every past appointment is closed.')).mark('unclosed-none')
            return
        for view in found:
            _row(principal, view)


def _row(principal: Principal, view: AppointmentView) -> None:
    with ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'unclosed-{view.id}') as row:
        ui.label(formats.span(view.start, view.end)).classes('font-medium min-w-[14rem]')
        with ui.column().classes('gap-0 flex-1 min-w-[10rem]'):
            ui.label(view.patient_name)
            if principal.role is not Role.DOCTOR:
                ui.label(view.doctor_name).classes(theme.SUBTLE)
        status_badge(view.status)
        who = _('{name} ({time})', name=view.patient_name, time=formats.moment(view.start))

        async def close(outcome: str) -> None:
            async def change(actor: Principal) -> AppointmentView:
                return await call(unclosed.close, actor, view.id, outcome)

            done = await attempt(change, path=PATH)
            if done is not None:
                row.delete()
                ui.notify(_('Closed: {who}.', who=who))

        if view.status is AppointmentStatus.BOOKED:
            missed = ui.button(_('No-show'), on_click=lambda: close('no_show')).props('outline no-caps')
            missed.props['aria-label'] = _('Close as no-show: {who}', who=who)
            missed.mark(f'no-show-{view.id}')
        done = ui.button(_('Completed'), on_click=lambda: close('completed')).props('outline no-caps')
        done.props['aria-label'] = _('Close as completed: {who}', who=who)
        done.mark(f'completed-{view.id}')
        if principal.role is Role.DOCTOR:
            record = ui.link(_('Record the visit'), f'/doctor/appointments/{view.id}')
            record.props['aria-label'] = _('Record the visit: {who}', who=who)
