"""The administrator's patients: search with pages, and one patient's details, appointments, contact, status and
history of visits (read-only)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import PatientContactPatch
from hms.domain.validation import parse
from hms.services import doctors, notices, patients, records
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.views import AppointmentView, Page, PatientDetail, PatientView

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.exports import export_panel
from ..components.history import visit_history
from ..components.sections import Panel, facts, section
from ..components.tables import PagedTable, SearchBox, Sort, columns
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/admin/patients'
PAGE_SIZE = 25
LIST_COLUMNS = columns(
    ('id', 'Patient ID'), ('name', 'Name'), ('email', 'Email'), ('phone', 'Phone'), ('status', 'Status')
)
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/admin/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
APPOINTMENT_COLUMNS = columns(
    ('when', 'When'),
    ('doctor', 'Doctor'),
    ('department', 'Department'),
    ('status', 'Status'),
    ('reason', 'Reason for visit'),
)


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def patients_page(principal: Principal) -> None:
        first = await call(patients.search_patients, principal, '', limit=PAGE_SIZE, offset=0)
        with frame(principal, 'Patients', current_path=PATH):
            _PatientList(first)
            await export_panel(principal, [ExportKind.PATIENTS], title='Export patients')

    @role_page(PATH + '/{patient_id}', Role.ADMIN)
    async def patient_page(principal: Principal, patient_id: str) -> None:
        detail = await find(patient_id, lambda number: call(patients.patient_detail, principal, number))
        # The history view is audited: the patient sees it in the access log.
        history = await call(records.patient_history, principal, detail.patient.id) if detail else None
        with frame(principal, detail.patient.name if detail else 'No such patient', current_path=PATH):
            if detail is None:
                ui.label(f'No such patient: there is no patient with the ID "{patient_id}".').classes(
                    theme.ERROR_BANNER
                ).mark('no-such-patient')
                ui.link('Back to the patient search', PATH)
                return
            _PatientPanel(detail)
            if history is not None:
                visit_history(
                    history.visits,
                    private=True,
                    title='History',
                    empty='No completed visits yet. A visit appears here once the doctor records it.',
                )


def _status(patient: PatientView) -> str:
    return 'Active' if patient.is_active else 'Blacklisted'


def _list_row(patient: PatientView) -> dict[str, Any]:
    return {
        'id': patient.id,
        'name': patient.name,
        'email': patient.email,
        'phone': patient.phone,
        'status': _status(patient),
    }


class _PatientList:
    """The search box and the table of matching patients, a page at a time."""

    def __init__(self, first: Page[PatientView]) -> None:
        self.text = SearchBox('Search patients', self.search, hint='Name, patient ID, email or phone; part is enough')
        self.text.classes('w-full').mark('patient-search')
        empty = self.text.empty(
            'No patient matches this search. Try part of the name, email or phone, or the patient ID.',
            'No patients yet. Patients create their own accounts at the registration page.',
        )
        self.table = PagedTable('patients', LIST_COLUMNS, self._load, _list_row, first=first, empty=empty)
        self.table.add_slot('body-cell-name', NAME_SLOT)

    async def search(self) -> None:
        await self.table.reload()

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[PatientView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        return await call(patients.search_patients, actor, self.text.query, limit=limit, offset=offset)


class _PatientPanel(Panel[PatientDetail]):
    """One patient: summary, contact form, account status and appointments; drawn again after each change."""

    def __init__(self, detail: PatientDetail) -> None:
        self.patient_id = detail.patient.id
        super().__init__(f'{PATH}/{self.patient_id}', detail)

    async def read(self, actor: Principal) -> PatientDetail:
        return await call(patients.patient_detail, actor, self.patient_id)

    def draw(self, data: PatientDetail) -> None:
        _summary(data.patient)
        self._contact_form(data.patient)
        self._account(data)
        _appointments(data.appointments)

    def _contact_form(self, patient: PatientView) -> None:
        with section():
            ui.label('Contact details').classes('text-lg font-medium')
            error = forms.banner()
            fields: dict[str, ui.input | ui.select] = {
                'name': ui.input('Full name', value=patient.name).props('outlined maxlength=120'),
                'email': ui.input('Email', value=patient.email).props('outlined type=email'),
                'phone': ui.input('Phone', value=patient.phone).props('outlined type=tel'),
                'address': ui.input('Address', value=patient.address).props('outlined maxlength=300'),
                'emergency_contact': ui.input('Emergency contact', value=patient.emergency_contact or '').props(
                    'outlined maxlength=300 hint="Name and phone of someone to call; optional."'
                ),
            }
            for element in fields.values():
                element.classes('w-full')

            async def save() -> None:
                data = {name: value or '' for name, value in forms.stripped(fields).items()}
                saved = await forms.attempt(
                    lambda actor: call(
                        patients.update_contact, actor, self.patient_id, parse(PatientContactPatch, data)
                    ),
                    path=self.path,
                    banner=error,
                    fields=fields,
                    required=('name', 'email', 'phone'),
                )
                if saved is not None:
                    await self.done('Contact details saved.')

            ui.button('Save contact details', on_click=save).props('no-caps').mark('save-contact')

    def _account(self, detail: PatientDetail) -> None:
        patient = detail.patient
        with section():
            ui.label('Account').classes('text-lg font-medium')
            if patient.is_active:
                ui.label('The patient can sign in and book appointments.').classes(theme.SUBTLE)
                upcoming = _upcoming(detail.appointments)
                ui.button(
                    'Blacklist patient', icon='block', on_click=lambda: self._open_blacklist(patient, upcoming)
                ).props('color=negative no-caps').mark('blacklist')
            else:
                reason = f' Reason: {patient.blocked_reason}' if patient.blocked_reason else ''
                ui.label(f'Blacklisted: the patient cannot sign in.{reason}').classes(theme.ERROR_BANNER)
                ui.button('Reactivate patient', icon='how_to_reg', on_click=self._reactivate).props(
                    'color=positive no-caps'
                ).mark('reactivate')

    def _open_blacklist(self, patient: PatientView, upcoming: int) -> None:
        dialog = ConfirmDialog(f'Blacklist {patient.name}?', 'Blacklist patient', color='negative')
        with dialog:
            ui.label(
                f'{patient.name} is signed out everywhere at once and can no longer sign in or book. '
                'You can reactivate the account later.'
            )
            if upcoming:
                plural = 's' if upcoming != 1 else ''
                ui.label(
                    f'{upcoming} upcoming appointment{plural} will be cancelled and the patient notified.'
                ).classes('font-medium')
            reason = (
                ui.input('Reason (kept in the record)')
                .props('outlined maxlength=500 autofocus')
                .classes('w-full')
                .mark('blacklist-reason')
            )
            dialog.banner()

        async def blacklist() -> int | None:
            text = (reason.value or '').strip()
            reason.error = None if text else 'Give a reason for the record.'
            if not text:
                return None
            return await dialog.attempt(
                lambda actor: call(doctors.set_active, actor, patient.id, active=False, reason=text), path=self.path
            )

        async def blacklisted(cancelled: int) -> None:
            done = f'{patient.name} is blacklisted and signed out.'
            if cancelled:
                done += f' {cancelled} appointment{"s" if cancelled != 1 else ""} cancelled.'
            await self.done(done)

        dialog.ask(blacklist, then=blacklisted)

    async def _reactivate(self) -> None:
        reactivated = await forms.attempt(
            lambda actor: call(doctors.set_active, actor, self.patient_id, active=True, reason=''), path=self.path
        )
        if reactivated is not None:
            await self.done('The patient is reactivated and can sign in again.')


def _upcoming(appointments: list[AppointmentView]) -> int:
    now = clock.now()
    return sum(1 for a in appointments if a.status is AppointmentStatus.BOOKED and a.start > now)


def _summary(patient: PatientView) -> None:
    with section():
        facts(
            [
                ('Patient ID', str(patient.id)),
                ('Email', patient.email),
                ('Phone', patient.phone),
                ('Address', patient.address or '-'),
                ('Emergency contact', patient.emergency_contact or '-'),
                ('Date of birth', formats.date_only(patient.date_of_birth)),
                ('Gender', theme.GENDER_LABELS.get(patient.gender.value, patient.gender.value)),
                ('Status', _status(patient)),
            ],
            marker='patient-summary',
        )


def _appointments(appointments: list[AppointmentView]) -> None:
    zone = app_context.get().settings.zone
    with section():
        ui.label('Appointments').classes('text-lg font-medium')
        if not appointments:
            ui.label('No appointments yet.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': a.id,
                'when': notices.when(a.start, zone),
                'doctor': a.doctor_name,
                'department': a.department_name,
                'reason': a.reason or '-',
                'status': theme.STATUS_LABELS[a.status] + (f': {a.cancel_reason}' if a.cancel_reason else ''),
            }
            for a in appointments
        ]
        table = ui.table(columns=APPOINTMENT_COLUMNS, rows=rows, row_key='id', pagination=PAGE_SIZE)
        table.classes('w-full').props('flat dense').mark('patient-appointments')
