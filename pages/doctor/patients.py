"""The doctor's patients: a searchable list, and one patient's history across all doctors.

The parts that show a history (patient summary, upcoming appointments, completed visits with their treatment and
prescription) are public here: the patient's own visits page and the administrator's patient page show the same.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.db.records import PatientOfDoctor
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import NotFound
from hms.services import notices, records
from hms.services.principal import Principal
from hms.services.records import HistoryView, PatientSummary, TreatmentView, VisitView
from hms.services.views import AppointmentView

from ..account.sign_in import GENDER_LABELS
from ..components import forms
from ..ui import formats, theme
from ..ui.frame import forbidden, frame
from ..ui.i18n import t
from ..ui.session import current_principal, page_access

PATH = '/doctor/patients'
PATIENT_ID = re.compile(r'[0-9]{1,18}')
NO_SUCH_PATIENT = 'No such patient among yours.'
STATUS_LABELS = {
    AppointmentStatus.BOOKED: ('Booked', 'primary'),
    AppointmentStatus.COMPLETED: ('Completed', 'positive'),
    AppointmentStatus.CANCELLED: ('Cancelled', 'grey-7'),
    AppointmentStatus.NO_SHOW: ('No-show', 'warning'),
}
LIST_COLUMNS = [
    {'name': 'name', 'label': 'Patient', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'last_visit', 'label': 'Last visit', 'field': 'last_visit', 'align': 'left'},
    {'name': 'next_visit', 'label': 'Next appointment', 'field': 'next_visit', 'align': 'left'},
    {'name': 'appointments', 'label': 'Appointments', 'field': 'appointments', 'align': 'right', 'sortable': True},
]
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/doctor/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
PRESCRIPTION_COLUMNS = [
    {'name': 'name', 'label': 'Medicine', 'field': 'name', 'align': 'left'},
    {'name': 'dose', 'label': 'Dose', 'field': 'dose', 'align': 'left'},
    {'name': 'frequency', 'label': 'Frequency', 'field': 'frequency', 'align': 'left'},
    {'name': 'duration', 'label': 'Duration', 'field': 'duration', 'align': 'left'},
    {'name': 'instructions', 'label': 'Instructions', 'field': 'instructions', 'align': 'left'},
]
MEDICINE_KEYS = ('name', 'dose', 'frequency', 'duration', 'instructions')


def create() -> None:
    @ui.page(PATH)
    async def patients_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.DOCTOR)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        found = await run.io_bound(_patients, access.principal, '')
        with frame(access.principal, 'My patients', current_path=PATH):
            _PatientList(found)
        return None

    @ui.page(PATH + '/{patient_id}')
    async def history_page(patient_id: str) -> RedirectResponse | None:
        access = await page_access(f'{PATH}/{patient_id}', Role.DOCTOR)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        history = None
        if PATIENT_ID.fullmatch(patient_id):
            try:
                history = await run.io_bound(_history, access.principal, int(patient_id))
            except NotFound:
                history = None
        title = history.patient.name if history else 'No such patient'
        with frame(access.principal, title, current_path=PATH):
            if history is None:
                ui.label(NO_SUCH_PATIENT).classes(theme.ERROR_BANNER).props('role=alert').mark('no-such-patient')
                ui.link('Back to my patients', PATH)
                return None
            ui.link('Back to my patients', PATH)
            patient_summary(history.patient)
            upcoming_appointments(history.upcoming, visit_links_for=access.principal.user_id)
            visit_history(
                history.visits,
                private=True,
                visit_links_for=access.principal.user_id,
                empty='No completed visits yet. Visits appear here once a doctor completes them.',
            )
        return None


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _patients(actor: Principal, text: str) -> list[PatientOfDoctor]:
    with app_context.get().uow() as uow:
        return records.my_patients(uow, actor, text)


def _history(actor: Principal, patient_id: int) -> HistoryView:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return records.patient_history(uow, ctx.settings, actor, patient_id)


# --- The list -----------------------------------------------------------------------------------------------------


class _PatientList:
    """The search box and the patients who have or had an appointment with the doctor."""

    def __init__(self, found: list[PatientOfDoctor]) -> None:
        self.generation = 0
        self.text = (
            ui.input('Search my patients', on_change=self.search)
            .props('outlined clearable debounce=300 type=search hint="Part of the name is enough"')
            .classes('w-full')
            .mark('patient-search')
        )
        self.empty = ui.label('').classes(theme.INFO_BANNER).mark('patients-empty')
        self.table = ui.table(columns=LIST_COLUMNS, rows=[], row_key='id', pagination=25)
        self.table.classes('w-full').props('flat bordered').mark('my-patients')
        self.table.add_slot('body-cell-name', NAME_SLOT)
        self.show(found)

    def show(self, found: list[PatientOfDoctor]) -> None:
        zone = app_context.get().settings.zone
        self.table.rows = [
            {
                'id': p.patient_id, 'name': p.name, 'appointments': p.appointments,
                'last_visit': notices.when(p.last_visit, zone) if p.last_visit else '-',
                'next_visit': notices.when(p.next_visit, zone) if p.next_visit else '-',
            }
            for p in found
        ]  # fmt: skip
        self.table.update()
        self.table.set_visibility(bool(found))
        searching = bool((self.text.value or '').strip())
        self.empty.text = (
            'None of your patients matches this search. Try part of the first or last name.'
            if searching
            else 'No patients yet. Patients appear here once they book an appointment with you.'
        )
        self.empty.set_visibility(not found)

    async def search(self) -> None:
        principal = await current_principal()
        if principal is None:
            ui.navigate.to(f'/login?next={PATH}')
            return
        self.generation += 1
        generation = self.generation
        with forms.loading(self.table):
            found = await run.io_bound(_patients, principal, (self.text.value or '').strip())
        if generation == self.generation:  # a later search superseded this one
            self.show(found)


# --- A history, shared with the patient's and the administrator's pages -------------------------------------------


def day_text(day: date) -> str:
    return formats.day(day, year=True)


def _section_heading(text: str) -> None:
    ui.label(text).classes('text-lg font-medium').props('role=heading aria-level=2')


def _pairs(pairs: list[tuple[str, str]], marker: str | None = None) -> None:
    grid = ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1')
    if marker:
        grid.mark(marker)
    with grid:
        for label, value in pairs:
            ui.label(label).classes(theme.SUBTLE)
            ui.label(value).classes('whitespace-pre-line')


def patient_summary(patient: PatientSummary) -> None:
    with ui.card().classes(theme.CARD):
        _section_heading('Patient')
        _pairs(
            [
                ('Name', patient.name),
                ('Age', f'{patient.age} years'),
                ('Gender', GENDER_LABELS.get(patient.gender.value, patient.gender.value)),
                ('Blood group', patient.blood_group or 'Not recorded'),
                ('Allergies', patient.allergies or 'None recorded'),
            ],
            marker='patient-summary',
        )


def status_badge(status: AppointmentStatus) -> ui.badge:
    label, color = STATUS_LABELS[status]
    return ui.badge(t(label), color=color).mark('status')


def upcoming_appointments(
    found: list[AppointmentView], *, visit_links_for: int | None = None, empty: str = 'No upcoming appointments.'
) -> None:
    """Booked appointments ahead; the signed-in doctor's own link to their visit page."""
    with ui.card().classes(theme.CARD).mark('upcoming'):
        _section_heading(t('Upcoming appointments'))
        if not found:
            ui.label(t(empty)).classes(theme.SUBTLE).mark('no-upcoming')
            return
        for appointment in found:
            with ui.row().classes('w-full items-center gap-3').mark(f'upcoming-{appointment.id}'):
                ui.label(formats.moment(appointment.start)).classes('font-medium')
                ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
                status_badge(appointment.status)
                if appointment.reason:
                    ui.label(t('Reason: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
                if visit_links_for is not None and appointment.doctor_id == visit_links_for:
                    ui.link('Open the visit', f'/doctor/appointments/{appointment.id}')


def prescription_table(prescription: list[dict[str, Any]], *, marker: str) -> None:
    if not prescription:
        ui.label(t('No medicines prescribed.')).classes(theme.SUBTLE).mark(marker)
        return
    rows = [
        {'id': index, **{key: str(item.get(key) or '') for key in MEDICINE_KEYS}}
        for index, item in enumerate(prescription)
    ]
    columns = [{**column, 'label': t(column['label'])} for column in PRESCRIPTION_COLUMNS]
    table = ui.table(columns=columns, rows=rows, row_key='id').classes('w-full')
    table.props('flat dense bordered wrap-cells').mark(marker)


def treatment_details(treatment: TreatmentView, *, private: bool, marker: str = '') -> None:
    """The treatment record: what the doctor found and advised; private notes only for clinicians."""
    pairs = [(t('Diagnosis'), treatment.diagnosis)]
    if treatment.treatment:
        pairs.append((t('Treatment given'), treatment.treatment))
    _pairs(pairs, marker=f'diagnosis-{marker}' if marker else None)
    ui.label(t('Prescription')).classes('font-medium')
    prescription_table(treatment.prescription, marker=f'prescription-{marker}' if marker else 'prescription')
    none = t('None')
    more = [
        (t('Tests advised'), treatment.tests or none),
        (t('Notes for the patient'), treatment.notes or none),
    ]
    if private and treatment.private_notes is not None:
        more.append(('Private notes', treatment.private_notes or none))  # clinicians only: English
    more.append((t('Suggested next visit'), day_text(treatment.next_visit) if treatment.next_visit else none))
    _pairs(more)


def visit_card(visit: VisitView, *, private: bool, visit_links_for: int | None = None) -> None:
    appointment = visit.appointment
    with ui.column().classes('w-full gap-2 border-t pt-3').mark(f'visit-{appointment.id}'):
        with ui.row().classes('w-full items-center gap-3'):
            ui.label(formats.moment(appointment.start)).classes('font-medium').props('role=heading aria-level=3')
            ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
            if visit_links_for is not None and appointment.doctor_id == visit_links_for:
                ui.link('Open the visit', f'/doctor/appointments/{appointment.id}')
        if appointment.reason:
            ui.label(t('Reason for the visit: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
        if visit.treatment is None:
            ui.label(t('No treatment record was written for this visit.')).classes(theme.SUBTLE)
        else:
            treatment_details(visit.treatment, private=private, marker=str(appointment.id))
            if visit.treatment.version > 1:
                ui.label(t('Amended: version {version}', version=visit.treatment.version)).classes(theme.SUBTLE)


def visit_history(
    visits: list[VisitView], *, private: bool, empty: str, visit_links_for: int | None = None, title: str = 'Visits'
) -> None:
    """Completed visits, newest first, each with its treatment record."""
    with ui.card().classes(theme.CARD).mark('visits'):
        _section_heading(t(title))
        if not visits:
            ui.label(t(empty)).classes(theme.SUBTLE).mark('no-visits')
            return
        for visit in visits:
            visit_card(visit, private=private, visit_links_for=visit_links_for)
