"""The doctor's patients: a searchable list, and one patient's history across all doctors."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from hms.db.records import PatientOfDoctor
from hms.domain.enums import Role
from hms.i18n import N_, _
from hms.services import records
from hms.services.principal import Principal

from ..components.history import patient_summary, upcoming_appointments, visit_history
from ..components.tables import ListTable, SearchBox, column
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/doctor/patients'
LIST_COLUMNS = [
    column('name', N_('Patient'), sortable=True),
    column('last_visit', N_('Last visit')),
    column('next_visit', N_('Next appointment')),
    column('appointments', N_('Appointments'), align='right', sortable=True),
]
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/doctor/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""


def create() -> None:
    @role_page(PATH, Role.DOCTOR)
    async def patients_page(principal: Principal) -> None:
        found = await call(records.my_patients, principal, '')
        with frame(principal, N_('My patients'), current_path=PATH):
            _PatientList(found)

    @role_page(PATH + '/{patient_id}', Role.DOCTOR)
    async def history_page(principal: Principal, patient_id: str) -> None:
        history = await find(patient_id, lambda number: call(records.patient_history, principal, number))
        title = history.patient.name if history else _('No such patient')
        with frame(principal, title, current_path=PATH):
            if history is None:
                ui.label(_('No such patient among yours.')).classes(theme.ERROR_BANNER).props('role=alert').mark(
                    'no-such-patient'
                )
            ui.link(_('Back to my patients'), PATH)
            if history is None:
                return
            patient_summary(history.patient)
            upcoming_appointments(history.upcoming, visit_links_for=principal.user_id)
            visit_history(
                history.visits,
                private=True,
                visit_links_for=principal.user_id,
                empty=N_('No completed visits yet. Visits appear here once a doctor completes them.'),
            )


def _row(patient: PatientOfDoctor) -> dict[str, Any]:
    return {
        'id': patient.patient_id,
        'name': patient.name,
        'appointments': patient.appointments,
        'last_visit': formats.moment(patient.last_visit) if patient.last_visit else '-',
        'next_visit': formats.moment(patient.next_visit) if patient.next_visit else '-',
    }


class _PatientList:
    """The search box and the patients who have or had an appointment with the doctor."""

    def __init__(self, found: list[PatientOfDoctor]) -> None:
        self.text = SearchBox(_('Search my patients'), self.search, hint=_('Part of the name is enough'))
        self.text.classes('w-full').mark('patient-search')
        empty = self.text.empty(
            _('None of your patients matches this search. Try part of the first or last name.'),
            _('No patients yet. Patients appear here once they book an appointment with you.'),
        )
        self.table = ListTable(
            'patients', LIST_COLUMNS, _row, empty=empty, load=self._load, pagination=25, marker='my-patients'
        )
        self.table.add_slot('body-cell-name', NAME_SLOT)
        self.table.show_items(found)

    async def _load(self) -> list[PatientOfDoctor] | None:
        principal = await acting(PATH)
        if principal is None:
            return None
        return await call(records.my_patients, principal, self.text.query)

    async def search(self) -> None:
        await self.table.reload()
