"""One appointment, for its own doctor: complete the visit with a treatment record, amend it (keeping every earlier
version), cancel the appointment or mark a no-show."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, NotFound
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import CancelIn
from hms.domain.validation import parse
from hms.services import appointments, notices, records
from hms.services.principal import Principal
from hms.services.records import TreatmentView, VersionView
from hms.services.views import AppointmentView

from ..components import forms
from ..ui import theme
from ..ui.actions import open_dialog
from ..ui.frame import forbidden, frame
from ..ui.session import current_principal, page_access
from .patients import MEDICINE_KEYS, day_text, prescription_table, status_badge, treatment_details

PATH = '/doctor/appointments'
APPOINTMENT_ID = re.compile(r'[0-9]{1,18}')
NO_SUCH_APPOINTMENT = 'No such appointment: it does not exist or is not one of yours.'
MEDICINE_LABELS = {
    'name': 'Medicine',
    'dose': 'Dose',
    'frequency': 'Frequency',
    'duration': 'Duration',
    'instructions': 'Instructions',
}
MEDICINE_HINTS = {'dose': 'e.g. 500 mg', 'frequency': 'e.g. twice a day', 'duration': 'e.g. 5 days'}
MAX_MEDICINES = 30

Submit = Callable[[dict[str, Any]], Awaitable[DomainError | None]]


@dataclass(frozen=True)
class _Visit:
    appointment: AppointmentView
    treatment: TreatmentView | None = None
    versions: list[VersionView] = field(default_factory=list)


def create() -> None:
    @ui.page(PATH + '/{appointment_id}')
    async def visit_page(appointment_id: str) -> RedirectResponse | None:
        access = await page_access(f'{PATH}/{appointment_id}', Role.DOCTOR)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        visit = None
        if APPOINTMENT_ID.fullmatch(appointment_id):
            try:
                visit = await run.io_bound(_load, access.principal, int(appointment_id))
            except NotFound:
                visit = None
        title = f'Visit: {visit.appointment.patient_name}' if visit else 'No such appointment'
        with frame(access.principal, title, current_path='/doctor'):
            if visit is None:
                ui.label(NO_SUCH_APPOINTMENT).classes(theme.ERROR_BANNER).props('role=alert').mark(
                    'no-such-appointment'
                )
                ui.link('Back to my day', '/doctor')
            else:
                _VisitPanel(visit)
        return None


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _load(actor: Principal, appointment_id: int) -> _Visit:
    """The appointment (NotFound unless it is the doctor's own); for a completed one, its record and versions."""
    ctx = app_context.get()
    with ctx.uow() as uow:
        record = records.get_visit(uow, actor, appointment_id)
    return _Visit(record.visit.appointment, record.visit.treatment, record.versions)


def _complete(actor: Principal, appointment_id: int, data: dict[str, Any]) -> None:
    command = parse(TreatmentIn, data)
    ctx = app_context.get()
    with ctx.uow() as uow:
        records.complete_visit(uow, ctx.settings, actor, appointment_id, command)


def _amend(actor: Principal, appointment_id: int, data: dict[str, Any]) -> None:
    command = parse(TreatmentIn, data)
    ctx = app_context.get()
    with ctx.uow() as uow:
        records.amend_treatment(uow, ctx.settings, actor, appointment_id, command)


def _cancel(actor: Principal, appointment_id: int, reason: str) -> None:
    data = parse(CancelIn, {'reason': reason})
    ctx = app_context.get()
    with ctx.uow() as uow:
        appointments.cancel(uow, ctx.settings, actor, appointment_id, data.reason)


def _no_show(actor: Principal, appointment_id: int) -> None:
    ctx = app_context.get()
    with ctx.uow() as uow:
        records.mark_no_show(uow, ctx.settings, actor, appointment_id)


# --- The treatment form -----------------------------------------------------------------------------------------------


class _MedicineRow(ui.row):
    def __init__(self, number: int, values: dict[str, Any], on_remove: Callable[[_MedicineRow], None]) -> None:
        super().__init__()
        self.classes('w-full items-start gap-2 border rounded p-2').mark(f'medicine-{number}')
        self.inputs: dict[str, ui.input] = {}
        with self:
            for key, label in MEDICINE_LABELS.items():
                element = ui.input(label, value=str(values.get(key) or '')).props('outlined dense')
                if key in MEDICINE_HINTS:
                    element.props(f'hint="{MEDICINE_HINTS[key]}"')
                element.classes('flex-1 min-w-[8rem]' if key != 'instructions' else 'flex-[2] min-w-[12rem]')
                self.inputs[key] = element.mark(f'medicine-{key}')
            ui.button(icon='delete', on_click=lambda: on_remove(self)).props(
                f'flat round color=negative aria-label="Remove medicine {number + 1}"'
            ).tooltip('Remove this medicine').mark('remove-medicine')

    def values(self) -> dict[str, str]:
        return {key: (element.value or '').strip() for key, element in self.inputs.items()}

    def blank(self) -> bool:
        return not any(self.values().values())


class _TreatmentForm(ui.column):
    """Diagnosis, treatment, prescription rows (added and removed), tests, notes, private notes, next visit."""

    def __init__(self, treatment: TreatmentView | None, *, submit_label: str, on_submit: Submit) -> None:
        super().__init__()
        self.classes('w-full gap-3')
        self.on_submit = on_submit
        self.rows: list[_MedicineRow] = []
        self.counter = 0
        with self:
            self.error = forms.banner()
            self.fields: dict[str, ui.input] = {
                'diagnosis': ui.textarea('Diagnosis', value=treatment.diagnosis if treatment else '')
                .props('outlined autogrow maxlength=2000 hint="Required"').mark('diagnosis'),
                'treatment': ui.textarea('Treatment given', value=treatment.treatment if treatment else '')
                .props('outlined autogrow maxlength=4000').mark('treatment'),
            }  # fmt: skip
            ui.label('Prescription').classes('font-medium').props('role=heading aria-level=3')
            self.medicines = ui.column().classes('w-full gap-2').mark('medicines')
            with self.medicines:
                self.no_medicines = ui.label('No medicines. Use "Add medicine" to prescribe one.').classes(theme.SUBTLE)
            self.add = ui.button('Add medicine', icon='add', on_click=lambda: self.add_medicine({}))
            self.add.props('outline no-caps').mark('add-medicine')
            self.fields |= {
                'tests': ui.textarea('Tests advised', value=treatment.tests if treatment else '')
                .props('outlined autogrow maxlength=2000').mark('tests'),
                'notes': ui.textarea('Notes for the patient', value=treatment.notes if treatment else '')
                .props('outlined autogrow maxlength=4000 hint="The patient sees these."').mark('notes'),
                'private_notes': ui.textarea(
                    'Private notes', value=(treatment.private_notes or '') if treatment else ''
                ).props('outlined autogrow maxlength=4000 hint="For clinicians only; never shown to the patient."')
                .mark('private_notes'),
                'next_visit': ui.input(
                    'Suggested next visit',
                    value=treatment.next_visit.isoformat() if treatment and treatment.next_visit else '',
                ).props('outlined type=date clearable hint="Optional"').mark('next_visit'),
            }  # fmt: skip
            for element in self.fields.values():
                element.classes('w-full')
            self.submit_button = ui.button(submit_label, icon='check', on_click=self.submit).props('no-caps')
            self.submit_button.mark('save-treatment')
        for item in treatment.prescription if treatment else []:
            self.add_medicine(item)

    def add_medicine(self, values: dict[str, Any]) -> None:
        if len(self.rows) >= MAX_MEDICINES:
            ui.notify(f'A prescription holds at most {MAX_MEDICINES} medicines.', type='warning')
            return
        with self.medicines:
            self.rows.append(_MedicineRow(self.counter, values, self.remove_medicine))
        self.counter += 1
        self.no_medicines.set_visibility(False)

    def remove_medicine(self, row: _MedicineRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            row.delete()
        self.no_medicines.set_visibility(not self.rows)

    def _clear_errors(self) -> None:
        self.error.text = ''
        forms.clear_errors(dict(self.fields))
        for row in self.rows:
            forms.clear_errors(dict(row.inputs))

    async def submit(self) -> None:
        self._clear_errors()
        filled = [row for row in self.rows if not row.blank()]  # rows left empty are dropped, not refused
        data: dict[str, Any] = {name: (element.value or '').strip() for name, element in self.fields.items()}
        data['next_visit'] = data['next_visit'] or None
        data['prescription'] = [row.values() for row in filled]
        self.submit_button.props('loading')
        try:
            failure = await self.on_submit(data)
        finally:
            if not self.submit_button.is_deleted:  # after a success the panel was rebuilt without this form
                self.submit_button.props(remove='loading')
        if failure is not None:
            self.show_error(failure, filled)

    def show_error(self, failure: DomainError, filled: list[_MedicineRow]) -> None:
        """Each message under its field ('prescription.1.name' is the second filled row's name); others above."""
        targets: dict[str, ui.input] = dict(self.fields)
        for index, row in enumerate(filled):
            targets |= {f'prescription.{index}.{key}': element for key, element in row.inputs.items()}
        unplaced = []
        for name, message in failure.field_errors.items():
            if name in targets:
                targets[name].error = message
            else:
                unplaced.append(message)
        self.error.text = ' '.join([failure.message, *unplaced])


# --- The page ---------------------------------------------------------------------------------------------------------


class _VisitPanel:
    """The appointment and what can be done with it; rebuilt after each change."""

    def __init__(self, visit: _Visit) -> None:
        self.appointment_id = visit.appointment.id
        self.path = f'{PATH}/{self.appointment_id}'
        with ui.column().classes('w-full gap-4') as self.anchor:  # stays while the container is rebuilt
            self.container = ui.column().classes('w-full gap-4')
        self.render(visit)

    async def actor(self) -> Principal | None:
        """The signed-in user at the moment of an action (the session may have ended since the page was built)."""
        principal = await current_principal()
        if principal is None:
            ui.navigate.to(f'/login?next={self.path}')
        return principal

    async def reload(self) -> None:
        with self.anchor:
            actor = await self.actor()
            if actor is None:
                return
            try:
                visit = await run.io_bound(_load, actor, self.appointment_id)
            except DomainError as failure:
                ui.notify(failure.message, type='negative')
                return
            self.render(visit)

    def render(self, visit: _Visit) -> None:
        self.container.clear()
        appointment = visit.appointment
        with self.container:
            _summary(appointment)
            if appointment.status is AppointmentStatus.BOOKED:
                self._booked(appointment)
            elif appointment.status is AppointmentStatus.COMPLETED:
                self._completed(visit)
            elif appointment.status is AppointmentStatus.NO_SHOW:
                ui.label('The patient did not come: this appointment is marked as a no-show, which is final.').classes(
                    theme.INFO_BANNER
                ).mark('visit-state')
            else:
                reason = f' Reason: {appointment.cancel_reason}' if appointment.cancel_reason else ''
                ui.label(f'This appointment was cancelled; no visit can be recorded on it.{reason}').classes(
                    theme.INFO_BANNER
                ).mark('visit-state')

    def _booked(self, appointment: AppointmentView) -> None:
        zone = app_context.get().settings.zone
        now = clock.now()
        day = appointment.start.astimezone(zone).date()
        with ui.card().classes(theme.CARD).mark('visit-actions'):
            with ui.row().classes('w-full items-center gap-2'):
                cancel = ui.button(
                    'Cancel appointment', icon='event_busy', on_click=lambda: self._open_cancel(appointment)
                )
                cancel.props('outline no-caps color=negative').mark('cancel-appointment')
                no_show = ui.button('Mark no-show', icon='person_off', on_click=lambda: self._open_no_show(appointment))
                no_show.props('outline no-caps color=warning').mark('mark-no-show')
            if now < appointment.start:
                no_show.disable()
                ui.label(
                    f'"Mark no-show" becomes available once the appointment has started '
                    f'({notices.when(appointment.start, zone)}).'
                ).classes(theme.SUBTLE).mark('no-show-later')
        with ui.card().classes(theme.CARD).mark('complete-visit'):
            ui.label('Record the visit').classes('text-lg font-medium').props('role=heading aria-level=2')
            if day > now.astimezone(zone).date():
                ui.label(
                    f'This appointment is on {day_text(day)}, a future day: the visit cannot be completed yet. '
                    'A visit can be recorded from the day of the appointment on.'
                ).classes(theme.INFO_BANNER).mark('not-yet')
                return
            ui.label('Saving completes the appointment; the record can be amended later.').classes(theme.SUBTLE)
            _TreatmentForm(None, submit_label='Complete visit', on_submit=self._complete)

    def _completed(self, visit: _Visit) -> None:
        with ui.card().classes(theme.CARD).mark('treatment-record'):
            ui.label('Treatment record').classes('text-lg font-medium').props('role=heading aria-level=2')
            if visit.treatment is None:
                ui.label('No treatment record was written for this visit.').classes(theme.SUBTLE)
                return
            zone = app_context.get().settings.zone
            ui.label(
                f'Version {visit.treatment.version}, written {notices.when(visit.treatment.recorded_at, zone)}'
            ).classes(theme.SUBTLE).mark('treatment-version')
            treatment_details(visit.treatment, private=True, marker='current')
        with ui.expansion('Amend the record', icon='edit').classes('w-full').mark('amend'):
            ui.label(
                'Saving an amendment replaces the record shown to the patient; the current version is kept below.'
            ).classes(theme.SUBTLE)
            _TreatmentForm(visit.treatment, submit_label='Save amendment', on_submit=self._amend)
        _versions(visit.versions)

    async def _complete(self, data: dict[str, Any]) -> DomainError | None:
        actor = await self.actor()
        if actor is None:
            return None
        try:
            await run.io_bound(_complete, actor, self.appointment_id, data)
        except DomainError as failure:
            return failure
        ui.notify('Visit completed and the record saved.', type='positive')
        await self.reload()
        return None

    async def _amend(self, data: dict[str, Any]) -> DomainError | None:
        actor = await self.actor()
        if actor is None:
            return None
        try:
            await run.io_bound(_amend, actor, self.appointment_id, data)
        except DomainError as failure:
            return failure
        ui.notify('Amendment saved; the earlier version is kept.', type='positive')
        await self.reload()
        return None

    def _open_cancel(self, appointment: AppointmentView) -> None:
        zone = app_context.get().settings.zone
        with open_dialog('Cancel this appointment?', width='max-w-lg') as dialog:
            ui.label(f'{notices.when(appointment.start, zone)} with {appointment.patient_name}')
            ui.label('The patient is told, with your reason.').classes(theme.SUBTLE)
            error = forms.banner()
            reason = ui.textarea('Reason (the patient will see it)').props('outlined autogrow maxlength=500 counter')
            reason.classes('w-full').mark('cancel-reason')

            async def confirm() -> None:
                error.text = ''
                reason.error = None
                text = (reason.value or '').strip()
                if not text:
                    reason.error = 'A reason is required.'
                    return
                actor = await self.actor()
                if actor is None:
                    return
                try:
                    await run.io_bound(_cancel, actor, appointment.id, text)
                except DomainError as failure:
                    if not forms.show_field_errors({'reason': reason}, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:  # the closed dialog is gone: continue in the page
                    ui.notify('Appointment cancelled; the patient is told.', type='positive')
                    await self.reload()

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Keep the appointment', on_click=dialog.close).props('flat no-caps')
                ui.button('Cancel appointment', on_click=confirm).props('color=negative no-caps').mark('confirm-cancel')

    def _open_no_show(self, appointment: AppointmentView) -> None:
        zone = app_context.get().settings.zone
        with open_dialog('Mark as a no-show?', width='max-w-lg') as dialog:
            when = notices.when(appointment.start, zone)
            ui.label(f'{appointment.patient_name} did not come to the appointment of {when}. This is final.')
            error = forms.banner()

            async def confirm() -> None:
                error.text = ''
                actor = await self.actor()
                if actor is None:
                    return
                try:
                    await run.io_bound(_no_show, actor, appointment.id)
                except DomainError as failure:
                    error.text = failure.message
                    return
                dialog.close()
                with self.anchor:
                    ui.notify('Marked as a no-show.', type='positive')
                    await self.reload()

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Back', on_click=dialog.close).props('flat no-caps')
                ui.button('Mark no-show', on_click=confirm).props('color=warning no-caps').mark('confirm-no-show')


def _summary(appointment: AppointmentView) -> None:
    zone = app_context.get().settings.zone
    with ui.card().classes(theme.CARD).mark('visit-summary'):
        with ui.row().classes('w-full items-center gap-3'):
            end = appointment.end.astimezone(zone)
            ui.label(f'{notices.when(appointment.start, zone)}–{end:%H:%M}').classes('text-lg font-medium')
            status_badge(appointment.status)
        with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1'):
            for label, value in (
                ('Patient', appointment.patient_name),
                ('Reason for the visit', appointment.reason or 'Not given'),
                ('Department', appointment.department_name),
            ):
                ui.label(label).classes(theme.SUBTLE)
                ui.label(value)
        ui.link("Open the patient's history", f'/doctor/patients/{appointment.patient_id}').mark('patient-history-link')


def _versions(versions: list[VersionView]) -> None:
    zone = app_context.get().settings.zone
    with ui.card().classes(theme.CARD).mark('versions'):
        ui.label('Earlier versions').classes('text-lg font-medium').props('role=heading aria-level=2')
        if not versions:
            ui.label('None: the record has not been amended.').classes(theme.SUBTLE).mark('no-versions')
            return
        for version in reversed(versions):  # the latest replaced first
            content = version.content
            with ui.column().classes('w-full gap-1 border-t pt-2').mark(f'version-{version.version}'):
                ui.label(f'Version {version.version}').classes('font-medium').props('role=heading aria-level=3')
                ui.label(
                    f'Written {notices.when(version.recorded_at, zone)}; replaced '
                    f'{notices.when(version.replaced_at, zone)} by {version.replaced_by or "an unknown user"}'
                ).classes(theme.SUBTLE)
                with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1'):
                    ui.label('Diagnosis').classes(theme.SUBTLE)
                    ui.label(str(content.get('diagnosis') or '')).classes('whitespace-pre-line')
                prescription = [item for item in content.get('prescription') or [] if isinstance(item, dict)]
                prescription_table(
                    [{key: item.get(key, '') for key in MEDICINE_KEYS} for item in prescription],
                    marker=f'version-{version.version}-prescription',
                )
