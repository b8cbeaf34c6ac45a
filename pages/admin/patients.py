"""The administrator's patients: search with pages, and one patient's details, appointments, contact, status and
history of visits (read-only)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, NotFound
from hms.domain.scheduling import PatientContactPatch
from hms.domain.validation import parse
from hms.services import doctors, notices, patients, records
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.records import HistoryView
from hms.services.views import AppointmentView, Page, PatientDetail, PatientView

from ..account.exports import export_panel
from ..account.sign_in import GENDER_LABELS
from ..components import forms
from ..doctor.patients import visit_history
from ..ui import formats, theme
from ..ui.actions import acting, open_dialog
from ..ui.frame import forbidden, frame
from ..ui.session import page_access

PATH = '/admin/patients'
PAGE_SIZE = 25
PATIENT_ID = re.compile(r'[0-9]{1,18}')
STATUS_LABELS = theme.STATUS_LABELS
LIST_COLUMNS = [
    {'name': 'id', 'label': 'Patient ID', 'field': 'id', 'align': 'left'},
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left'},
    {'name': 'email', 'label': 'Email', 'field': 'email', 'align': 'left'},
    {'name': 'phone', 'label': 'Phone', 'field': 'phone', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
]
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/admin/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
APPOINTMENT_COLUMNS = [
    {'name': 'when', 'label': 'When', 'field': 'when', 'align': 'left'},
    {'name': 'doctor', 'label': 'Doctor', 'field': 'doctor', 'align': 'left'},
    {'name': 'department', 'label': 'Department', 'field': 'department', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'reason', 'label': 'Reason for visit', 'field': 'reason', 'align': 'left'},
]


def create() -> None:
    @ui.page(PATH)
    async def patients_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        first = await run.io_bound(_search, access.principal, '', 0)
        with frame(access.principal, 'Patients', current_path=PATH):
            _PatientList(first)
            await export_panel(access.principal, [ExportKind.PATIENTS], title='Export patients')
        return None

    @ui.page(PATH + '/{patient_id}')
    async def patient_page(patient_id: str) -> RedirectResponse | None:
        access = await page_access(f'{PATH}/{patient_id}', Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        detail = history = None
        if PATIENT_ID.fullmatch(patient_id):
            try:
                detail = await run.io_bound(_detail, access.principal, int(patient_id))
                history = await run.io_bound(_history, access.principal, int(patient_id))
            except NotFound:
                detail = None
        with frame(access.principal, detail.patient.name if detail else 'No such patient', current_path=PATH):
            if detail is None:
                ui.label(f'No such patient: there is no patient with the ID "{patient_id}".').classes(
                    theme.ERROR_BANNER
                ).mark('no-such-patient')
                ui.link('Back to the patient search', PATH)
            else:
                _PatientPanel(detail)
                if history is not None:
                    _history_section(history)
        return None


def _search(actor: Principal, text: str, offset: int) -> Page[PatientView]:
    with app_context.get().uow() as uow:
        return patients.search_patients(uow, actor, text, limit=PAGE_SIZE, offset=offset)


def _detail(actor: Principal, patient_id: int) -> PatientDetail:
    with app_context.get().uow() as uow:
        return patients.patient_detail(uow, actor, patient_id)


def _history(actor: Principal, patient_id: int) -> HistoryView:
    """Every completed visit with its treatment record (the view is audited: the patient sees it in the access log)."""
    ctx = app_context.get()
    with ctx.uow() as uow:
        return records.patient_history(uow, ctx.settings, actor, patient_id)


def _update_contact(actor: Principal, patient_id: int, data: dict[str, Any]) -> PatientView:
    patch = parse(PatientContactPatch, data)
    with app_context.get().uow() as uow:
        return patients.update_contact(uow, actor, patient_id, patch)


def _set_active(actor: Principal, patient_id: int, active: bool, reason: str) -> int:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return doctors.set_active(uow, ctx.settings, actor, patient_id, active=active, reason=reason)


def _status(patient: PatientView) -> str:
    return 'Active' if patient.is_active else 'Blacklisted'


class _PatientList:
    """The search box, one page of results, and previous/next."""

    def __init__(self, first: Page[PatientView]) -> None:
        self.offset = 0
        self.generation = 0
        self.text = (
            ui.input('Search patients', on_change=self.search)
            .props(
                'outlined clearable debounce=300 type=search hint="Name, patient ID, email or phone; part is enough"'
            )
            .classes('w-full')
            .mark('patient-search')
        )
        self.empty = ui.label('').classes(theme.INFO_BANNER).mark('patients-empty')
        self.table = ui.table(columns=LIST_COLUMNS, rows=[], row_key='id').classes('w-full').props('flat bordered')
        self.table.mark('patients-table')
        self.table.add_slot('body-cell-name', NAME_SLOT)
        with ui.row().classes('w-full items-center justify-end gap-2'):
            self.summary = ui.label('').classes(theme.SUBTLE).mark('patients-summary')
            self.previous = ui.button('Previous', icon='chevron_left', on_click=lambda: self.turn(-1))
            self.previous.props('flat no-caps').mark('patients-previous')
            self.next = ui.button('Next', icon='chevron_right', on_click=lambda: self.turn(1))
            self.next.props('flat no-caps').mark('patients-next')
        self.show(first)

    def show(self, page: Page[PatientView]) -> None:
        self.offset = page.offset
        self.table.rows = [
            {'id': p.id, 'name': p.name, 'email': p.email, 'phone': p.phone, 'status': _status(p)} for p in page.items
        ]
        self.table.update()
        self.table.set_visibility(bool(page.items))
        searching = bool((self.text.value or '').strip())
        self.empty.text = (
            'No patient matches this search. Try part of the name, email or phone, or the patient ID.'
            if searching
            else 'No patients yet. Patients create their own accounts at the registration page.'
        )
        self.empty.set_visibility(not page.items)
        last = page.offset + len(page.items)
        self.summary.text = f'{page.offset + 1} to {last} of {page.total}' if page.items else ''
        self.previous.set_enabled(page.offset > 0)
        self.next.set_enabled(last < page.total)

    async def load(self, offset: int) -> None:
        actor = await acting(PATH)
        if actor is None:
            return
        self.generation += 1
        generation = self.generation
        with forms.loading(self.table):
            page = await run.io_bound(_search, actor, (self.text.value or '').strip(), offset)
        if generation == self.generation:  # a later search superseded this one
            self.show(page)

    async def search(self) -> None:
        await self.load(0)

    async def turn(self, step: int) -> None:
        await self.load(max(0, self.offset + step * PAGE_SIZE))


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
                detail = await run.io_bound(_detail, actor, self.patient_id)
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
        with ui.card().classes(theme.CARD):
            ui.label('Contact details').classes('text-lg font-medium')
            error = forms.banner()
            fields: dict[str, ui.input | ui.select] = {
                'name': ui.input('Full name', value=patient.name).props('outlined maxlength=120'),
                'email': ui.input('Email', value=patient.email).props('outlined type=email'),
                'phone': ui.input('Phone', value=patient.phone).props('outlined type=tel'),
                'address': ui.input('Address', value=patient.address).props('outlined maxlength=300'),
                'emergency_contact': ui.input('Emergency contact', value=patient.emergency_contact or '')
                .props('outlined maxlength=300 hint="Name and phone of someone to call; optional."'),
            }  # fmt: skip
            for element in fields.values():
                element.classes('w-full')

            async def save() -> None:
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(self.path)
                if actor is None:
                    return
                data = {name: (element.value or '').strip() for name, element in fields.items()}
                if _missing(fields, data, ('name', 'email', 'phone')):
                    return
                try:
                    await run.io_bound(_update_contact, actor, self.patient_id, data)
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                ui.notify('Contact details saved.', type='positive')
                await self.reload()

            ui.button('Save contact details', on_click=save).props('no-caps').mark('save-contact')

    def _account(self, detail: PatientDetail) -> None:
        patient = detail.patient
        with ui.card().classes(theme.CARD):
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
        with open_dialog(f'Blacklist {patient.name}?') as dialog:
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

            async def confirm() -> None:
                error.text = ''
                reason.error = None
                text = (reason.value or '').strip()
                if not text:
                    reason.error = 'Give a reason for the record.'
                    return
                actor = await acting(self.path)
                if actor is None:
                    return
                try:
                    cancelled = await run.io_bound(_set_active, actor, patient.id, False, text)
                except DomainError as failure:
                    error.text = failure.message
                    return
                dialog.close()
                done = f'{patient.name} is blacklisted and signed out.'
                if cancelled:
                    done += f' {cancelled} appointment{"s" if cancelled != 1 else ""} cancelled.'
                with self.anchor:  # the closed dialog is gone: continue in the page
                    ui.notify(done, type='positive')
                    await self.reload()

            _buttons(dialog, 'Blacklist patient', confirm, color='negative')

    async def _reactivate(self) -> None:
        actor = await acting(self.path)
        if actor is None:
            return
        try:
            await run.io_bound(_set_active, actor, self.patient_id, True, '')
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        ui.notify('The patient is reactivated and can sign in again.', type='positive')
        await self.reload()


def _upcoming(appointments: list[AppointmentView]) -> int:
    now = clock.now()
    return sum(1 for a in appointments if a.status is AppointmentStatus.BOOKED and a.start > now)


def _summary(patient: PatientView) -> None:
    born = patient.date_of_birth
    with ui.card().classes(theme.CARD):
        with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1').mark('patient-summary'):
            for label, value in (
                ('Patient ID', str(patient.id)),
                ('Email', patient.email),
                ('Phone', patient.phone),
                ('Address', patient.address or '-'),
                ('Emergency contact', patient.emergency_contact or '-'),
                ('Date of birth', formats.date_only(born)),
                ('Gender', GENDER_LABELS.get(patient.gender.value, patient.gender.value)),
                ('Status', _status(patient)),
            ):
                ui.label(label).classes(theme.SUBTLE)
                ui.label(value)


def _appointments(appointments: list[AppointmentView]) -> None:
    zone = app_context.get().settings.zone
    with ui.card().classes(theme.CARD):
        ui.label('Appointments').classes('text-lg font-medium')
        if not appointments:
            ui.label('No appointments yet.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': a.id, 'when': notices.when(a.start, zone), 'doctor': a.doctor_name,
                'department': a.department_name, 'reason': a.reason or '-',
                'status': STATUS_LABELS[a.status] + (f': {a.cancel_reason}' if a.cancel_reason else ''),
            }
            for a in appointments
        ]  # fmt: skip
        table = ui.table(columns=APPOINTMENT_COLUMNS, rows=rows, row_key='id', pagination=PAGE_SIZE)
        table.classes('w-full').props('flat dense').mark('patient-appointments')


def _history_section(history: HistoryView) -> None:
    """The patient's completed visits across all doctors, newest first, read-only."""
    visit_history(
        history.visits,
        private=True,
        title='History',
        empty='No completed visits yet. A visit appears here once the doctor records it.',
    )


def _buttons(dialog: ui.dialog, label: str, action: Callable[[], Awaitable[None]], *, color: str = 'primary') -> None:
    forms.dialog_buttons(dialog, label, action, color=color)


def _missing(fields: dict[str, ui.input | ui.select], data: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Mark required fields left empty (in a change, an empty value would otherwise read as merely too short)."""
    missing = [name for name in names if data.get(name) in (None, '')]
    for name in missing:
        fields[name].error = 'This field is required.'
    return bool(missing)
