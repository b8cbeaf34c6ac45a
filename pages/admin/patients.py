"""The administrator's patients: search with pages, and one patient's details, appointments, contact, status and
history of visits (read-only)."""

from __future__ import annotations

import re
from typing import Any

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, NotFound
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
from ..components.sections import facts, section
from ..components.tables import PagedTable, Sort, columns
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/patients'
PAGE_SIZE = 25
PATIENT_ID = re.compile(r'[0-9]{1,18}')
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
        detail = history = None
        if PATIENT_ID.fullmatch(patient_id):
            try:
                detail = await call(patients.patient_detail, principal, int(patient_id))
                history = await call(
                    records.patient_history, principal, int(patient_id)
                )  # audited: the patient sees it
            except NotFound:
                detail = None
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
        self.text = (
            ui.input('Search patients', on_change=self.search)
            .props(
                'outlined clearable debounce=300 type=search hint="Name, patient ID, email or phone; part is enough"'
            )
            .classes('w-full')
            .mark('patient-search')
        )
        self.table = PagedTable('patients', LIST_COLUMNS, self._load, _list_row, first=first, empty=self._empty_text)
        self.table.add_slot('body-cell-name', NAME_SLOT)

    async def search(self) -> None:
        await self.table.reload()

    def _searching(self) -> str:
        return (self.text.value or '').strip()

    def _empty_text(self) -> str:
        if self._searching():
            return 'No patient matches this search. Try part of the name, email or phone, or the patient ID.'
        return 'No patients yet. Patients create their own accounts at the registration page.'

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[PatientView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        return await call(patients.search_patients, actor, self._searching(), limit=limit, offset=offset)


class _PatientPanel:
    """One patient: summary, contact form, account status and appointments; rebuilt after each change."""

    def __init__(self, detail: PatientDetail) -> None:
        self.patient_id = detail.patient.id
        self.path = f'{PATH}/{self.patient_id}'
        with ui.column().classes('w-full gap-4') as self.anchor:  # stays while the container is rebuilt
            self.container = ui.column().classes('w-full gap-4')
        self.render(detail)

    async def reload(self) -> None:
        with self.anchor:
            actor = await acting(self.path)
            if actor is None:
                return
            try:
                detail = await call(patients.patient_detail, actor, self.patient_id)
            except DomainError as failure:
                ui.notify(failure.message, type='negative')
                return
            self.render(detail)

    def render(self, detail: PatientDetail) -> None:
        self.container.clear()
        with self.container:
            _summary(detail.patient)
            self._contact_form(detail.patient)
            self._account(detail)
            _appointments(detail.appointments)

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
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(self.path)
                if actor is None:
                    return
                data = {name: value or '' for name, value in forms.stripped(fields).items()}
                if forms.missing(fields, data, ('name', 'email', 'phone')):
                    return
                try:
                    await call(patients.update_contact, actor, self.patient_id, parse(PatientContactPatch, data))
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                ui.notify('Contact details saved.', type='positive')
                await self.reload()

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
            error = forms.banner()

        async def blacklist() -> int | None:
            error.text = ''
            reason.error = None
            text = (reason.value or '').strip()
            if not text:
                reason.error = 'Give a reason for the record.'
                return None
            actor = await acting(self.path)
            if actor is None:
                return None
            try:
                return await call(doctors.set_active, actor, patient.id, active=False, reason=text)
            except DomainError as failure:
                error.text = failure.message
                return None

        async def blacklisted(cancelled: int) -> None:
            done = f'{patient.name} is blacklisted and signed out.'
            if cancelled:
                done += f' {cancelled} appointment{"s" if cancelled != 1 else ""} cancelled.'
            with self.anchor:  # the button that opened the dialog is rebuilt: continue in the page
                ui.notify(done, type='positive')
                await self.reload()

        dialog.ask(blacklist, then=blacklisted)

    async def _reactivate(self) -> None:
        actor = await acting(self.path)
        if actor is None:
            return
        try:
            await call(doctors.set_active, actor, self.patient_id, active=True, reason='')
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        ui.notify('The patient is reactivated and can sign in again.', type='positive')
        await self.reload()


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
