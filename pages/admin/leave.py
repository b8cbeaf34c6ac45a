"""The administrator's leave page: clinic closures (holidays), every doctor's leave, and the appointments they
stranded with the progress of their rescue (rebooked, still open until the deadline, cancelled at it)."""

from __future__ import annotations

from nicegui import ui

from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.waitlist import LeaveIn
from hms.i18n import N_, _
from hms.services import doctors, leave, rescue
from hms.services.leave import LeaveView
from hms.services.principal import Principal

from ..components.leave import RangeEditor
from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/leave'
STATES = {
    'open': N_('Waiting for the patient'),
    'rebooked': N_('Rebooked'),
    'cancelled': N_('Cancelled at the deadline'),
    'withdrawn': N_('Leave withdrawn'),
    'gone': N_('Changed otherwise'),
}
CAUSES = {'leave': N_('Leave'), 'closure': N_('Closure')}


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def leave_page(principal: Principal) -> None:
        all_doctors = await call(doctors.search_doctors, text='', specialization=None, free_on=None)
        with frame(principal, _('Leave and closures'), current_path=PATH):
            ui.label(
                _(
                    "No free times are published on closed days or a doctor's leave. Booked patients are sent the "
                    'nearest free times to choose from; the table at the end shows how each rescue is going.'
                )
            ).classes(theme.SUBTLE)
            with section(_('Clinic closures'), marker='closures'):
                closures = RangeEditor(
                    lambda: call(leave.closures, principal),
                    lambda data: call(leave.add_closure, principal, data),
                    lambda closure_id: call(leave.remove_closure, principal, closure_id),
                    marker='closure',
                    empty=_('No closures ahead.'),
                    add_label=_('Close the clinic'),
                )
                await closures.show()
            with section(_("Doctors' leave"), marker='doctor-leave'):
                options = {d.id: f'{d.name} ({d.department_name})' for d in all_doctors}
                chosen = ui.select(options, label=_('Doctor'), value=next(iter(options), None))
                chosen.props('outlined').classes('w-full').mark('leave-doctor')

                async def add(data: LeaveIn) -> LeaveView:
                    if chosen.value is None:
                        raise DomainError(_('Choose a doctor.'))
                    return await call(leave.add_leave, principal, data, doctor_id=int(chosen.value))

                leaves = RangeEditor(
                    lambda: call(leave.leaves, principal),
                    add,
                    lambda leave_id: call(leave.remove_leave, principal, leave_id),
                    marker='leave',
                    empty=_('No leave ahead.'),
                    add_label=_('Enter leave'),
                )
                await leaves.show()
            with section(_('Stranded appointments'), marker='stranded'):
                await _stranded(principal)


async def _stranded(principal: Principal) -> None:
    found = await call(rescue.stranded, principal)
    if not found:
        ui.label(_('No appointment is stranded by a leave or closure.')).classes(theme.SUBTLE).mark('no-stranded')
        return
    columns = [
        {'name': 'start', 'label': _('Appointment'), 'field': 'start', 'align': 'left'},
        {'name': 'doctor', 'label': _('Doctor'), 'field': 'doctor', 'align': 'left'},
        {'name': 'patient', 'label': _('Patient'), 'field': 'patient', 'align': 'left'},
        {'name': 'cause', 'label': _('Cause'), 'field': 'cause', 'align': 'left'},
        {'name': 'state', 'label': _('Rescue'), 'field': 'state', 'align': 'left'},
        {'name': 'deadline', 'label': _('Deadline'), 'field': 'deadline', 'align': 'left'},
    ]
    rows = [
        {
            'id': item.case_id,
            'start': formats.moment(item.start),
            'doctor': item.doctor_name,
            'patient': item.patient_name,
            'cause': _(CAUSES.get(item.cause, item.cause)),
            'state': _(STATES.get(item.state, item.state)),
            'deadline': formats.moment(item.deadline),
        }
        for item in found
    ]
    table = ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').mark('stranded-table')
    table.props['aria-label'] = _('Stranded appointments')
