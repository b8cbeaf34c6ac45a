"""One appointment, for its own doctor: complete the visit with a treatment record, amend it (keeping every earlier
version), cancel the appointment or mark a no-show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
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
from hms.i18n import N_, _, ngettext
from hms.services import appointments, queue, records
from hms.services.principal import Principal
from hms.services.records import TreatmentView, VersionView, VisitRecord, VisitView
from hms.services.views import AppointmentView

from ..components import forms
from ..components.calendar_button import add_to_calendar
from ..components.dialogs import ConfirmDialog
from ..components.documents import document_links
from ..components.history import MEDICINE_KEYS, day_text, prescription_table, status_badge, treatment_details
from ..components.sections import Panel, facts, section
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

UNDER_WAY = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION)
PATH = '/doctor/appointments'
MEDICINE_LABELS = {
    'name': N_('Medicine'),
    'dose': N_('Dose'),
    'frequency': N_('Frequency'),
    'duration': N_('Duration'),
    'instructions': N_('Instructions'),
}
MEDICINE_HINTS = {'dose': N_('e.g. 500 mg'), 'frequency': N_('e.g. twice a day'), 'duration': N_('e.g. 5 days')}
MAX_MEDICINES = 30

Submit = Callable[[dict[str, Any]], Awaitable[DomainError | None]]
Record = Callable[[UnitOfWork, Settings, Principal, int, TreatmentIn], VisitView]  # complete or amend


def create() -> None:
    @role_page(PATH + '/{appointment_id}', Role.DOCTOR)
    async def visit_page(principal: Principal, appointment_id: str) -> None:
        visit = await find(appointment_id, lambda number: call(records.get_visit, principal, number))
        if visit is None:
            title = _('No such appointment')
        else:
            title = _('Visit: {name}', name=visit.visit.appointment.patient_name)
        with frame(principal, title, current_path='/doctor'):
            if visit is None:
                message = _('No such appointment: it does not exist or is not one of yours.')
                ui.label(message).classes(theme.ERROR_BANNER).props('role=alert').mark('no-such-appointment')
                ui.link(_('Back to my day'), '/doctor')
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
                element = ui.input(_(label), value=str(values.get(key) or '')).props('outlined dense')
                if key in MEDICINE_HINTS:
                    element.props['hint'] = _(MEDICINE_HINTS[key])
                element.classes('flex-1 min-w-[8rem]' if key != 'instructions' else 'flex-[2] min-w-[12rem]')
                self.inputs[key] = element.mark(f'medicine-{key}')
            remove = ui.button(icon='delete', on_click=lambda: on_remove(self)).props('flat round color=negative')
            remove.props['aria-label'] = _('Remove medicine {number}', number=number + 1)
            remove.tooltip(_('Remove this medicine')).mark('remove-medicine')

    def values(self) -> dict[str, str]:
        return {key: (element.value or '').strip() for key, element in self.inputs.items()}

    def blank(self) -> bool:
        return not any(self.values().values())


def _area(label: str, value: str, *, maxlength: int, hint: str = '') -> ui.textarea:
    area = ui.textarea(label, value=value).props(f'outlined autogrow maxlength={maxlength}')
    if hint:
        area.props['hint'] = hint
    return area


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
                'diagnosis': _area(_('Diagnosis'), now.diagnosis if now else '', maxlength=2000, hint=_('Required')),
                'treatment': _area(_('Treatment given'), now.treatment if now else '', maxlength=4000),
            }
            ui.label(_('Prescription')).classes('font-medium').props('role=heading aria-level=3')
            self.medicines = ui.column().classes('w-full gap-2').mark('medicines')
            with self.medicines:
                self.no_medicines = ui.label(_('No medicines. Use "Add medicine" to prescribe one.')).classes(
                    theme.SUBTLE
                )
            self.add = ui.button(_('Add medicine'), icon='add', on_click=lambda: self.add_medicine({}))
            self.add.props('outline no-caps').mark('add-medicine')
            suggested = dates.date_input(_('Suggested next visit'), now.next_visit if now else None)
            suggested.props('outlined clearable')
            suggested.props['hint'] = _('Optional')
            self.fields |= {
                'tests': _area(_('Tests advised'), now.tests if now else '', maxlength=2000),
                'notes': _area(
                    _('Notes for the patient'),
                    now.notes if now else '',
                    maxlength=4000,
                    hint=_('The patient sees these.'),
                ),
                'private_notes': _area(
                    _('Private notes'),
                    (now.private_notes or '') if now else '',
                    maxlength=4000,
                    hint=_('For clinicians only; never shown to the patient.'),
                ),
                'next_visit': suggested,
            }
            for name, element in self.fields.items():
                element.classes('w-full').mark(name)
            self.submit_button = ui.button(submit_label, icon='check', on_click=self.submit).props('no-caps')
            self.submit_button.mark('save-treatment')
        for item in treatment.prescription if treatment else []:
            self.add_medicine(item)

    def add_medicine(self, values: dict[str, Any]) -> None:
        if len(self.rows) >= MAX_MEDICINES:
            ui.notify(_('A prescription holds at most {count} medicines.', count=MAX_MEDICINES), type='warning')
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
        try:  # typed as the page's language writes dates (or ISO); the schema takes ISO
            dates.parse(data['next_visit'])
            unreadable = ''
        except ValueError as problem:
            unreadable = str(problem)  # the schema refuses the text too; the field says it the page's way
        data['next_visit'] = dates.iso(data['next_visit'])
        data['prescription'] = [row.values() for row in filled]
        self.submit_button.props('loading')
        try:
            failure = await self.on_submit(data)
        finally:
            if not self.submit_button.is_deleted:  # after a success the panel was rebuilt without this form
                self.submit_button.props(remove='loading')
        if failure is not None:
            self.show_error(failure, filled)
            if unreadable and self.fields['next_visit'].error:
                self.fields['next_visit'].error = unreadable

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
        if appointment.status in UNDER_WAY:
            self._booked(appointment)
        elif appointment.status is AppointmentStatus.COMPLETED:
            self._completed(data)
        elif appointment.status is AppointmentStatus.NO_SHOW:
            ui.label(_('The patient did not come: this appointment is marked as a no-show, which is final.')).classes(
                theme.INFO_BANNER
            ).mark('visit-state')
        else:
            if appointment.cancel_reason:
                cancelled = _(
                    'This appointment was cancelled; no visit can be recorded on it. Reason: {reason}',
                    reason=appointment.cancel_reason,
                )
            else:
                cancelled = _('This appointment was cancelled; no visit can be recorded on it.')
            ui.label(cancelled).classes(theme.INFO_BANNER).mark('visit-state')

    def _booked(self, appointment: AppointmentView) -> None:
        settings = app_context.get().settings
        zone = settings.zone
        now = clock.now()
        day = appointment.start.astimezone(zone).date()
        if appointment.status is not AppointmentStatus.BOOKED:
            self._under_way(appointment)
        with section(marker='visit-actions'):
            if appointment.status is not AppointmentStatus.BOOKED:  # checked in or in consultation: no no-show
                if appointment.status is AppointmentStatus.ARRIVED:
                    cancel = ui.button(
                        _('Cancel appointment'), icon='event_busy', on_click=lambda: self._open_cancel(appointment)
                    )
                    cancel.props('outline no-caps color=negative').mark('cancel-appointment')
            else:
                self._booked_actions(appointment, now, settings.no_show_grace_minutes)
        self._record_form(day, now.astimezone(zone).date())

    def _under_way(self, appointment: AppointmentView) -> None:
        """The day of the visit: when the patient arrived and was called in, and the Call in button."""
        with section(marker='visit-day'):
            arrived = formats.time_of_day(appointment.arrived_at) if appointment.arrived_at else '–'
            if appointment.status is AppointmentStatus.ARRIVED:
                text = _('Checked in at {time}: waiting.', time=arrived)
            else:
                called = formats.time_of_day(appointment.called_at) if appointment.called_at else '–'
                text = _('Checked in at {arrived}, called in at {called}.', arrived=arrived, called=called)
            ui.label(text).classes(theme.INFO_BANNER).mark('visit-state')
            if appointment.status is AppointmentStatus.ARRIVED:
                button = ui.button(_('Call in'), icon='campaign', on_click=lambda: self._call_in(appointment))
                button.props('no-caps').mark('call-in')

    async def _call_in(self, appointment: AppointmentView) -> None:
        actor = await acting(self.path)
        if actor is None:
            return
        try:
            await call(queue.call, actor, appointment.id)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            await self.reload()
            return
        await self.done(_('{name} is called in.', name=appointment.patient_name))

    def _booked_actions(self, appointment: AppointmentView, now: datetime, grace: int) -> None:
        with ui.row().classes('w-full items-center gap-2'):
            cancel = ui.button(
                _('Cancel appointment'), icon='event_busy', on_click=lambda: self._open_cancel(appointment)
            )
            cancel.props('outline no-caps color=negative').mark('cancel-appointment')
            no_show = ui.button(_('Mark no-show'), icon='person_off', on_click=lambda: self._open_no_show(appointment))
            no_show.props('outline no-caps color=warning').mark('mark-no-show')
            if now < appointment.start:  # upcoming
                add_to_calendar(appointment.id, formats.moment(appointment.start))
        if now < appointment.start + timedelta(minutes=grace):
            no_show.disable()
            ui.label(
                ngettext(
                    '"Mark no-show" becomes available {n} minute after the start ({when}).',
                    '"Mark no-show" becomes available {n} minutes after the start ({when}).',
                    grace,
                    when=formats.moment(appointment.start),
                )
            ).classes(theme.SUBTLE).mark('no-show-later')

    def _record_form(self, day: date, today: date) -> None:
        with section(_('Record the visit'), marker='complete-visit'):
            if day > today:
                ui.label(
                    _(
                        'This appointment is on {day}, a future day: the visit cannot be completed yet. '
                        'A visit can be recorded from the day of the appointment on.',
                        day=day_text(day),
                    )
                ).classes(theme.INFO_BANNER).mark('not-yet')
                return
            ui.label(_('Saving completes the appointment; the record can be amended later.')).classes(theme.SUBTLE)
            _TreatmentForm(None, submit_label=_('Complete visit'), on_submit=self._complete)

    def _completed(self, record: VisitRecord) -> None:
        treatment = record.visit.treatment
        with section(_('Treatment record'), marker='treatment-record'):
            if treatment is None:
                ui.label(_('No treatment record was written for this visit.')).classes(theme.SUBTLE)
                return
            written = formats.moment(treatment.recorded_at)
            ui.label(_('Version {version}, written {when}', version=treatment.version, when=written)).classes(
                theme.SUBTLE
            ).mark('treatment-version')
            treatment_details(treatment, private=True, marker='current')
            document_links(self.appointment_id, formats.moment(record.visit.appointment.start))
        with ui.expansion(_('Amend the record'), icon='edit').classes('w-full').mark('amend'):
            ui.label(
                _('Saving an amendment replaces the record shown to the patient; the current version is kept below.')
            ).classes(theme.SUBTLE)
            _TreatmentForm(treatment, submit_label=_('Save amendment'), on_submit=self._amend)
        _versions(record.versions)

    async def _complete(self, data: dict[str, Any]) -> DomainError | None:
        return await self._save(records.complete_visit, data, _('Visit completed and the record saved.'))

    async def _amend(self, data: dict[str, Any]) -> DomainError | None:
        return await self._save(records.amend_treatment, data, _('Amendment saved; the earlier version is kept.'))

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
        dialog = ConfirmDialog(
            _('Cancel this appointment?'),
            _('Cancel appointment'),
            dismiss=_('Keep the appointment'),
            color='negative',
            width='max-w-lg',
            confirm_marker='confirm-cancel',
        )
        with dialog:
            ui.label(_('{when} with {name}', when=formats.moment(appointment.start), name=appointment.patient_name))
            ui.label(_('The patient is told, with your reason.')).classes(theme.SUBTLE)
            dialog.banner()
            fields = {'reason': ui.textarea(_('Reason (the patient will see it)'))}
            fields['reason'].props('outlined autogrow maxlength=500 counter').classes('w-full').mark('cancel-reason')

        async def change(actor: Principal) -> AppointmentView:
            reason = parse(CancelIn, {'reason': (fields['reason'].value or '').strip()}).reason
            return await call(appointments.cancel, actor, appointment.id, reason)

        async def cancel() -> AppointmentView | None:
            return await dialog.attempt(
                change,
                path=self.path,
                fields=fields,
                required=('reason',),
                required_message=_('A reason is required.'),
            )

        dialog.ask(cancel, then=lambda _cancelled: self.done(_('Appointment cancelled; the patient is told.')))

    def _open_no_show(self, appointment: AppointmentView) -> None:
        dialog = ConfirmDialog(
            _('Mark as a no-show?'),
            _('Mark no-show'),
            dismiss=_('Back'),
            color='warning',
            width='max-w-lg',
            confirm_marker='confirm-no-show',
        )
        with dialog:
            when = formats.moment(appointment.start)
            ui.label(
                _(
                    '{name} did not come to the appointment of {when}. This is final.',
                    name=appointment.patient_name,
                    when=when,
                )
            )
            dialog.banner()

        async def mark() -> AppointmentView | None:
            return await dialog.attempt(lambda actor: call(records.mark_no_show, actor, appointment.id), path=self.path)

        dialog.ask(mark, then=lambda _marked: self.done(_('Marked as a no-show.')))


def _summary(appointment: AppointmentView) -> None:
    with section(marker='visit-summary'):
        with ui.row().classes('w-full items-center gap-3'):
            ui.label(formats.span(appointment.start, appointment.end)).classes('text-lg font-medium')
            status_badge(appointment.status)
        facts(
            [
                (_('Patient'), appointment.patient_name),
                (_('Reason for the visit'), appointment.reason or _('Not given')),
                (_('Department'), appointment.department_name),
            ]
        )
        ui.link(_("Open the patient's history"), f'/doctor/patients/{appointment.patient_id}').mark(
            'patient-history-link'
        )


def _versions(versions: list[VersionView]) -> None:
    with section(_('Earlier versions'), marker='versions'):
        if not versions:
            ui.label(_('None: the record has not been amended.')).classes(theme.SUBTLE).mark('no-versions')
            return
        for version in reversed(versions):  # the latest replaced first
            content = version.content
            with ui.column().classes('w-full gap-1 border-t pt-2').mark(f'version-{version.version}'):
                ui.label(_('Version {version}', version=version.version)).classes('font-medium').props(
                    'role=heading aria-level=3'
                )
                written, replaced = formats.moment(version.recorded_at), formats.moment(version.replaced_at)
                if version.replaced_by:
                    history = _(
                        'Written {written}; replaced {replaced} by {name}',
                        written=written,
                        replaced=replaced,
                        name=version.replaced_by,
                    )
                else:
                    history = _(
                        'Written {written}; replaced {replaced} by an unknown user', written=written, replaced=replaced
                    )
                ui.label(history).classes(theme.SUBTLE)
                facts([(_('Diagnosis'), str(content.get('diagnosis') or ''))], wrap=True)
                prescription = [item for item in content.get('prescription') or [] if isinstance(item, dict)]
                prescription_table(
                    [{key: item.get(key, '') for key in MEDICINE_KEYS} for item in prescription],
                    marker=f'version-{version.version}-prescription',
                )
