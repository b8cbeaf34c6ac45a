"""One appointment, for its own doctor: complete the visit with a treatment record, amend it (keeping every earlier
version), cancel the appointment or mark a no-show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import CancelIn
from hms.domain.validation import parse
from hms.services import appointments, notices, records
from hms.services.principal import Principal
from hms.services.records import TreatmentView, VersionView, VisitRecord, VisitView
from hms.services.views import AppointmentView

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.history import MEDICINE_KEYS, day_text, prescription_table, status_badge, treatment_details
from ..components.sections import Panel, facts, section
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/doctor/appointments'
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
Record = Callable[[UnitOfWork, Settings, Principal, int, TreatmentIn], VisitView]  # complete or amend


def create() -> None:
    @role_page(PATH + '/{appointment_id}', Role.DOCTOR)
    async def visit_page(principal: Principal, appointment_id: str) -> None:
        visit = await find(appointment_id, lambda number: call(records.get_visit, principal, number))
        title = f'Visit: {visit.visit.appointment.patient_name}' if visit else 'No such appointment'
        with frame(principal, title, current_path='/doctor'):
            if visit is None:
                ui.label(NO_SUCH_APPOINTMENT).classes(theme.ERROR_BANNER).props('role=alert').mark(
                    'no-such-appointment'
                )
                ui.link('Back to my day', '/doctor')
            else:
                _VisitPanel(visit)


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


def _area(label: str, value: str, props: str) -> ui.textarea:
    return ui.textarea(label, value=value).props(f'outlined autogrow {props}')


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
            now = treatment  # the record so far, when amending
            self.fields: dict[str, ui.input] = {
                'diagnosis': _area('Diagnosis', now.diagnosis if now else '', 'maxlength=2000 hint="Required"'),
                'treatment': _area('Treatment given', now.treatment if now else '', 'maxlength=4000'),
            }
            ui.label('Prescription').classes('font-medium').props('role=heading aria-level=3')
            self.medicines = ui.column().classes('w-full gap-2').mark('medicines')
            with self.medicines:
                self.no_medicines = ui.label('No medicines. Use "Add medicine" to prescribe one.').classes(theme.SUBTLE)
            self.add = ui.button('Add medicine', icon='add', on_click=lambda: self.add_medicine({}))
            self.add.props('outline no-caps').mark('add-medicine')
            private_hint = 'For clinicians only; never shown to the patient.'
            next_visit = now.next_visit.isoformat() if now and now.next_visit else ''
            self.fields |= {
                'tests': _area('Tests advised', now.tests if now else '', 'maxlength=2000'),
                'notes': _area(
                    'Notes for the patient', now.notes if now else '', 'maxlength=4000 hint="The patient sees these."'
                ),
                'private_notes': _area(
                    'Private notes', (now.private_notes or '') if now else '', f'maxlength=4000 hint="{private_hint}"'
                ),
                'next_visit': ui.input('Suggested next visit', value=next_visit).props(
                    'outlined type=date clearable hint="Optional"'
                ),
            }
            for name, element in self.fields.items():
                element.classes('w-full').mark(name)
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


class _VisitPanel(Panel[VisitRecord]):
    """The appointment and what can be done with it; drawn again after each change."""

    def __init__(self, visit: VisitRecord) -> None:
        self.appointment_id = visit.visit.appointment.id
        super().__init__(f'{PATH}/{self.appointment_id}', visit)

    async def read(self, actor: Principal) -> VisitRecord:
        return await call(records.get_visit, actor, self.appointment_id)

    def draw(self, data: VisitRecord) -> None:
        appointment = data.visit.appointment
        _summary(appointment)
        if appointment.status is AppointmentStatus.BOOKED:
            self._booked(appointment)
        elif appointment.status is AppointmentStatus.COMPLETED:
            self._completed(data)
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
        with section(marker='visit-actions'):
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
        with section('Record the visit', marker='complete-visit'):
            if day > now.astimezone(zone).date():
                ui.label(
                    f'This appointment is on {day_text(day)}, a future day: the visit cannot be completed yet. '
                    'A visit can be recorded from the day of the appointment on.'
                ).classes(theme.INFO_BANNER).mark('not-yet')
                return
            ui.label('Saving completes the appointment; the record can be amended later.').classes(theme.SUBTLE)
            _TreatmentForm(None, submit_label='Complete visit', on_submit=self._complete)

    def _completed(self, record: VisitRecord) -> None:
        treatment = record.visit.treatment
        with section('Treatment record', marker='treatment-record'):
            if treatment is None:
                ui.label('No treatment record was written for this visit.').classes(theme.SUBTLE)
                return
            zone = app_context.get().settings.zone
            ui.label(f'Version {treatment.version}, written {notices.when(treatment.recorded_at, zone)}').classes(
                theme.SUBTLE
            ).mark('treatment-version')
            treatment_details(treatment, private=True, marker='current')
        with ui.expansion('Amend the record', icon='edit').classes('w-full').mark('amend'):
            ui.label(
                'Saving an amendment replaces the record shown to the patient; the current version is kept below.'
            ).classes(theme.SUBTLE)
            _TreatmentForm(treatment, submit_label='Save amendment', on_submit=self._amend)
        _versions(record.versions)

    async def _complete(self, data: dict[str, Any]) -> DomainError | None:
        return await self._save(records.complete_visit, data, 'Visit completed and the record saved.')

    async def _amend(self, data: dict[str, Any]) -> DomainError | None:
        return await self._save(records.amend_treatment, data, 'Amendment saved; the earlier version is kept.')

    async def _save(self, service: Record, data: dict[str, Any], done: str) -> DomainError | None:
        """Write the treatment record through ``service``; the failure, if any, for the form to show."""
        actor = await acting(self.path)
        if actor is None:
            return None
        try:
            await call(service, actor, self.appointment_id, parse(TreatmentIn, data))
        except DomainError as failure:
            return failure
        await self.done(done)
        return None

    def _open_cancel(self, appointment: AppointmentView) -> None:
        zone = app_context.get().settings.zone
        dialog = ConfirmDialog(
            'Cancel this appointment?',
            'Cancel appointment',
            dismiss='Keep the appointment',
            color='negative',
            width='max-w-lg',
            confirm_marker='confirm-cancel',
        )
        with dialog:
            ui.label(f'{notices.when(appointment.start, zone)} with {appointment.patient_name}')
            ui.label('The patient is told, with your reason.').classes(theme.SUBTLE)
            dialog.banner()
            fields = {'reason': ui.textarea('Reason (the patient will see it)')}
            fields['reason'].props('outlined autogrow maxlength=500 counter').classes('w-full').mark('cancel-reason')

        async def change(actor: Principal) -> AppointmentView:
            reason = parse(CancelIn, {'reason': (fields['reason'].value or '').strip()}).reason
            return await call(appointments.cancel, actor, appointment.id, reason)

        async def cancel() -> AppointmentView | None:
            return await dialog.attempt(
                change, path=self.path, fields=fields, required=('reason',), required_message='A reason is required.'
            )

        dialog.ask(cancel, then=lambda _: self.done('Appointment cancelled; the patient is told.'))

    def _open_no_show(self, appointment: AppointmentView) -> None:
        zone = app_context.get().settings.zone
        dialog = ConfirmDialog(
            'Mark as a no-show?',
            'Mark no-show',
            dismiss='Back',
            color='warning',
            width='max-w-lg',
            confirm_marker='confirm-no-show',
        )
        with dialog:
            when = notices.when(appointment.start, zone)
            ui.label(f'{appointment.patient_name} did not come to the appointment of {when}. This is final.')
            dialog.banner()

        async def mark() -> AppointmentView | None:
            return await dialog.attempt(lambda actor: call(records.mark_no_show, actor, appointment.id), path=self.path)

        dialog.ask(mark, then=lambda _: self.done('Marked as a no-show.'))


def _summary(appointment: AppointmentView) -> None:
    zone = app_context.get().settings.zone
    with section(marker='visit-summary'):
        with ui.row().classes('w-full items-center gap-3'):
            end = appointment.end.astimezone(zone)
            ui.label(f'{notices.when(appointment.start, zone)}–{end:%H:%M}').classes('text-lg font-medium')
            status_badge(appointment.status)
        facts(
            [
                ('Patient', appointment.patient_name),
                ('Reason for the visit', appointment.reason or 'Not given'),
                ('Department', appointment.department_name),
            ]
        )
        ui.link("Open the patient's history", f'/doctor/patients/{appointment.patient_id}').mark('patient-history-link')


def _versions(versions: list[VersionView]) -> None:
    zone = app_context.get().settings.zone
    with section('Earlier versions', marker='versions'):
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
                facts([('Diagnosis', str(content.get('diagnosis') or ''))], wrap=True)
                prescription = [item for item in content.get('prescription') or [] if isinstance(item, dict)]
                prescription_table(
                    [{key: item.get(key, '') for key in MEDICINE_KEYS} for item in prescription],
                    marker=f'version-{version.version}-prescription',
                )
