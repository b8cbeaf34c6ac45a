"""The administrator's doctors: search, add (with a one-time password), edit, deactivate and reactivate; one doctor's
profile, schedule (day or week) and recent activity, read-only."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, NotFound
from hms.domain.scheduling import DoctorIn, DoctorPatch
from hms.domain.validation import parse
from hms.services import departments, doctors, notices, records
from hms.services.doctors import NewDoctor
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.records import DoctorSchedule
from hms.services.views import DepartmentView, DoctorView

from ..account.exports import export_panel
from ..components import forms
from ..doctor.home import ScheduleView
from ..doctor.patients import STATUS_LABELS
from ..ui import theme
from ..ui.actions import acting, open_dialog
from ..ui.frame import forbidden, frame
from ..ui.session import page_access

PATH = '/admin/doctors'
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'department', 'label': 'Department', 'field': 'department', 'align': 'left', 'sortable': True},
    {'name': 'experience', 'label': 'Experience', 'field': 'experience', 'align': 'right'},
    {'name': 'minutes', 'label': 'Consultation', 'field': 'minutes', 'align': 'right'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'actions', 'label': 'Actions', 'field': 'id', 'align': 'right'},
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="edit" label="Edit"
         @click="() => $parent.$emit('edit', props.row)" />
  <q-btn v-if="props.row.active" flat dense no-caps color="negative" icon="person_off" label="Deactivate"
         @click="() => $parent.$emit('deactivate', props.row)" />
  <q-btn v-else flat dense no-caps color="positive" icon="person" label="Reactivate"
         @click="() => $parent.$emit('reactivate', props.row)" />
</q-td>
"""
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/admin/doctors/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
CLEARABLE = ('qualifications', 'bio')  # may be emptied when editing
DOCTOR_ID = re.compile(r'[0-9]{1,18}')
RECENT_DAYS = 7
ACTIVITY_COLUMNS = [
    {'name': 'when', 'label': 'When', 'field': 'when', 'align': 'left'},
    {'name': 'patient', 'label': 'Patient', 'field': 'patient', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'reason', 'label': 'Reason for visit', 'field': 'reason', 'align': 'left'},
]


@dataclass(frozen=True)
class _DoctorPage:
    doctor: DoctorView
    today: DoctorSchedule
    recent: DoctorSchedule


def create() -> None:
    @ui.page(PATH)
    async def doctors_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        listed = await run.io_bound(_search, '', False)
        with frame(access.principal, 'Doctors', current_path=PATH):
            _DoctorsPanel(listed)
            await export_panel(access.principal, [ExportKind.DOCTORS], title='Export doctors')
        return None

    @ui.page(PATH + '/{doctor_id}')
    async def doctor_page(doctor_id: str) -> RedirectResponse | None:
        access = await page_access(f'{PATH}/{doctor_id}', Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        found = None
        if DOCTOR_ID.fullmatch(doctor_id):
            try:
                found = await run.io_bound(_doctor_page, access.principal, int(doctor_id))
            except NotFound:
                found = None
        with frame(access.principal, found.doctor.name if found else 'No such doctor', current_path=PATH):
            ui.link('Back to the doctors', PATH)
            if found is None:
                ui.label(f'No such doctor: there is no doctor with the ID "{doctor_id}".').classes(
                    theme.ERROR_BANNER
                ).mark('no-such-doctor')
                return None
            _doctor_profile(found.doctor)
            ScheduleView(
                found.today,
                lambda days: _load_schedule(found.doctor.id, days),
                visit_links=False,
                empty_hint='The doctor sets their own availability.',
            )
            _recent_activity(found.recent)
        return None


def _search(text: str, include_inactive: bool) -> list[DoctorView]:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return doctors.search_doctors(uow, ctx.settings, text=text, include_inactive=include_inactive)


def _departments() -> list[DepartmentView]:
    with app_context.get().uow() as uow:
        return departments.list_departments(uow)


def _add(actor: Principal, data: dict[str, Any]) -> NewDoctor:
    command = parse(DoctorIn, data)
    with app_context.get().uow() as uow:
        return doctors.add_doctor(uow, actor, command)


def _update(actor: Principal, doctor_id: int, data: dict[str, Any]) -> DoctorView:
    patch = parse(DoctorPatch, data)
    with app_context.get().uow() as uow:
        return doctors.update_doctor(uow, actor, doctor_id, patch)


def _impact(actor: Principal, doctor_id: int) -> int:
    with app_context.get().uow() as uow:
        return doctors.deactivation_impact(uow, actor, doctor_id)


def _doctor_page(actor: Principal, doctor_id: int) -> _DoctorPage:
    ctx = app_context.get()
    today = clock.now().astimezone(ctx.settings.zone).date()
    with ctx.uow() as uow:
        doctor = doctors.get_doctor(uow, doctor_id, include_inactive=True)
        schedule = records.doctor_schedule(uow, ctx.settings, actor, days=1, doctor_id=doctor_id)
        recent = records.doctor_schedule(
            uow, ctx.settings, actor, first=today - timedelta(days=RECENT_DAYS), days=RECENT_DAYS, doctor_id=doctor_id
        )
    return _DoctorPage(doctor=doctor, today=schedule, recent=recent)


def _schedule(actor: Principal, doctor_id: int, days: int) -> DoctorSchedule:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return records.doctor_schedule(uow, ctx.settings, actor, days=days, doctor_id=doctor_id)


async def _load_schedule(doctor_id: int, days: int) -> DoctorSchedule | None:
    actor = await acting(f'{PATH}/{doctor_id}')
    if actor is None:
        return None
    return await run.io_bound(_schedule, actor, doctor_id, days)


def _set_active(actor: Principal, doctor_id: int, active: bool, cancel_upcoming: bool) -> int:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return doctors.set_active(uow, ctx.settings, actor, doctor_id, active=active, cancel_upcoming=cancel_upcoming)


def _impact_text(count: int) -> str:
    if count == 0:
        return 'No upcoming appointments are affected.'
    if count == 1:
        return '1 upcoming appointment will be cancelled and the patient notified.'
    return f'{count} upcoming appointments will be cancelled and each patient notified.'


class _DoctorsPanel:
    """Search, table and the dialogs that change doctors."""

    def __init__(self, listed: list[DoctorView]) -> None:
        self.by_id: dict[int, DoctorView] = {}
        self.generation = 0
        self.anchor = ui.column().classes('w-full gap-4')  # a stable place for what follows a closed dialog
        with self.anchor:
            with ui.row().classes('w-full items-end gap-3'):
                self.text = (
                    ui.input('Search by name or department', on_change=self.reload)
                    .props('outlined dense clearable debounce=300 type=search')
                    .classes('min-w-[16rem] flex-1')
                    .mark('doctor-search')
                )
                self.inactive = ui.switch('Include deactivated', on_change=self.reload).mark('include-inactive')
                ui.button('Add doctor', icon='person_add', on_click=self.open_add).mark('add-doctor')
            self.empty = ui.label('').classes(theme.INFO_BANNER).mark('doctors-empty')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full').props('flat bordered')
            self.table.mark('doctors-table')
            self.table.add_slot('body-cell-name', NAME_SLOT)
            self.table.add_slot('body-cell-actions', ACTIONS_SLOT)
            self.table.on('edit', self.open_edit)
            self.table.on('deactivate', self.open_deactivate)
            self.table.on('reactivate', self.reactivate)
            self.show(listed)

    def show(self, listed: list[DoctorView]) -> None:
        self.by_id = {doctor.id: doctor for doctor in listed}
        self.table.rows = [
            {
                'id': d.id, 'name': d.name, 'email': d.email, 'department': d.department_name,
                'experience': f'{d.experience_years} yr', 'minutes': f'{d.consultation_minutes} min',
                'status': 'Active' if d.is_active else 'Deactivated', 'active': d.is_active,
            }
            for d in listed
        ]  # fmt: skip
        self.table.update()
        self.table.set_visibility(bool(listed))
        searching = bool((self.text.value or '').strip())
        self.empty.text = (
            'No doctor matches this search. Try part of a name or a department.'
            if searching
            else 'No doctors yet. Add the first one with "Add doctor" (create a department first).'
        )
        self.empty.set_visibility(not listed)

    async def reload(self) -> None:
        self.generation += 1
        generation = self.generation
        with forms.loading(self.table):
            listed = await run.io_bound(_search, (self.text.value or '').strip(), bool(self.inactive.value))
        if generation == self.generation:  # a later search superseded this one
            self.show(listed)

    def _picked(self, event: events.GenericEventArguments) -> DoctorView | None:
        row = event.args if isinstance(event.args, dict) else {}
        doctor = self.by_id.get(int(row.get('id') or 0))
        if doctor is None:
            ui.notify('This doctor is no longer listed; search again.', type='warning')
        return doctor

    async def open_add(self) -> None:
        options = {department.id: department.name for department in await run.io_bound(_departments)}
        with open_dialog('Add doctor') as dialog:
            if not options:
                ui.label('There are no departments yet. Every doctor belongs to one: add a department first.')
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button('Close', on_click=dialog.close).props('flat no-caps')
                    ui.button('Go to departments', on_click=lambda: ui.navigate.to('/admin/departments'))
                return
            ui.label(
                'The doctor gets a one-time password, shown to you once after saving; they choose their own at '
                'first sign-in.'
            ).classes(theme.SUBTLE)
            error = forms.banner()
            fields = _doctor_fields(options, None)

            async def save() -> None:
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(PATH)
                if actor is None:
                    return
                try:
                    new = await run.io_bound(_add, actor, _values(fields))
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:  # the closed dialog is gone: build what follows in the page
                    ui.notify(f'{new.doctor.name} added.', type='positive')
                    _show_initial_password(new)
                    await self.reload()

            _buttons(dialog, 'Add doctor', save)

    async def open_edit(self, event: events.GenericEventArguments) -> None:
        doctor = self._picked(event)
        if doctor is None:
            return
        options = {department.id: department.name for department in await run.io_bound(_departments)}
        with open_dialog(f'Edit {doctor.name}') as dialog:
            error = forms.banner()
            fields = _doctor_fields(options, doctor)

            async def save() -> None:
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(PATH)
                if actor is None:
                    return
                data = _values(fields, clearable=CLEARABLE)
                if _missing(fields, data, ('name', 'email', 'department_id')):
                    return
                try:
                    updated = await run.io_bound(_update, actor, doctor.id, data)
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:
                    ui.notify(f'{updated.name} saved.', type='positive')
                    await self.reload()

            _buttons(dialog, 'Save changes', save)

    async def open_deactivate(self, event: events.GenericEventArguments) -> None:
        doctor = self._picked(event)
        actor = await acting(PATH)
        if doctor is None or actor is None:
            return
        try:
            impact = await run.io_bound(_impact, actor, doctor.id)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        with open_dialog(f'Deactivate {doctor.name}?') as dialog:
            ui.label(
                f'{doctor.name} will be signed out at once, can no longer sign in, and is no longer offered to '
                'patients for booking. You can reactivate the account later.'
            )
            ui.label(_impact_text(impact)).classes('font-medium').mark('deactivation-impact')
            keep = ui.checkbox('Keep the upcoming appointments (the patients are not told)', value=False)
            keep.set_visibility(impact > 0)
            error = forms.banner()

            async def confirm() -> None:
                error.text = ''
                current = await acting(PATH)
                if current is None:
                    return
                try:
                    cancelled = await run.io_bound(_set_active, current, doctor.id, False, not keep.value)
                except DomainError as failure:
                    error.text = failure.message
                    return
                dialog.close()
                done = f'{doctor.name} deactivated.'
                if cancelled:
                    done += f' {cancelled} appointment{"s" if cancelled != 1 else ""} cancelled; patients notified.'
                with self.anchor:
                    ui.notify(done, type='positive')
                    await self.reload()

            _buttons(dialog, 'Deactivate doctor', confirm, color='negative')

    async def reactivate(self, event: events.GenericEventArguments) -> None:
        doctor = self._picked(event)
        actor = await acting(PATH)
        if doctor is None or actor is None:
            return
        try:
            await run.io_bound(_set_active, actor, doctor.id, True, False)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        ui.notify(f'{doctor.name} reactivated and can sign in again.', type='positive')
        await self.reload()


def _doctor_profile(doctor: DoctorView) -> None:
    with ui.card().classes(theme.CARD):
        ui.label('Profile').classes('text-lg font-medium').props('role=heading aria-level=2')
        with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1').mark('doctor-profile'):
            for label, value in (
                ('Doctor ID', str(doctor.id)),
                ('Email', doctor.email),
                ('Department', doctor.department_name),
                ('Experience', f'{doctor.experience_years} years'),
                ('Qualifications', doctor.qualifications or '-'),
                ('Consultation length', f'{doctor.consultation_minutes} minutes'),
                ('Status', 'Active' if doctor.is_active else 'Deactivated'),
                ('Biography', doctor.bio or '-'),
            ):
                ui.label(label).classes(theme.SUBTLE)
                ui.label(value).classes('whitespace-pre-line')
        ui.label('Edit, deactivate or reactivate the doctor from the doctors table.').classes(theme.SUBTLE)


def _recent_activity(recent: DoctorSchedule) -> None:
    """The appointments of the last days, newest first, with how each ended."""
    zone = app_context.get().settings.zone
    with ui.card().classes(theme.CARD).mark('recent-activity'):
        ui.label(f'Recent activity: the last {RECENT_DAYS} days').classes('text-lg font-medium').props(
            'role=heading aria-level=2'
        )
        counts = ', '.join(
            f'{recent.count(status)} {STATUS_LABELS[status][0].lower()}'
            for status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED)
        )
        ui.label(f'{len(recent.entries)} appointments: {counts}.').classes(theme.SUBTLE).mark('recent-counts')
        if not recent.entries:
            ui.label('No appointments in these days.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': e.appointment.id, 'when': notices.when(e.appointment.start, zone),
                'patient': e.appointment.patient_name, 'status': STATUS_LABELS[e.appointment.status][0],
                'reason': e.appointment.reason or '-',
            }
            for e in reversed(recent.entries)
        ]  # fmt: skip
        ui.table(columns=ACTIVITY_COLUMNS, rows=rows, row_key='id', pagination=25).classes('w-full').props(
            'flat dense'
        ).mark('doctor-activity')


def _doctor_fields(options: dict[int, str], doctor: DoctorView | None) -> dict[str, ui.input | ui.select]:
    fields: dict[str, ui.input | ui.select] = {
        'name': ui.input('Full name', value=doctor.name if doctor else '').props('outlined maxlength=120'),
        'email': ui.input('Email', value=doctor.email if doctor else '').props('outlined type=email'),
        'department_id': ui.select(options, label='Department', value=doctor.department_id if doctor else None)
        .props('outlined'),
        'experience_years': ui.input('Years of experience', value=str(doctor.experience_years) if doctor else '0')
        .props('outlined type=number min=0 max=80'),
        'qualifications': ui.input('Qualifications', value=doctor.qualifications if doctor else '')
        .props('outlined maxlength=500 hint="e.g. MD, board-certified cardiologist"'),
        'bio': ui.textarea('Short biography', value=doctor.bio if doctor else '')
        .props('outlined autogrow maxlength=4000 hint="Shown to patients choosing a doctor."'),
        'consultation_minutes': ui.input(
            'Consultation length (minutes)', value=str(doctor.consultation_minutes) if doctor else '20'
        ).props('outlined type=number min=5 max=240 hint="The length of each bookable slot, 5 to 240 minutes."'),
    }  # fmt: skip
    for element in fields.values():
        element.classes('w-full')
    return fields


def _values(fields: dict[str, ui.input | ui.select], *, clearable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's values for the command: text stripped, empty fields left out (required ones are then named)."""
    data: dict[str, Any] = {}
    for name, element in fields.items():
        value = element.value
        if isinstance(value, str):
            value = value.strip()
        if value is None or (value == '' and name not in clearable):
            continue
        data[name] = value
    return data


def _show_initial_password(new: NewDoctor) -> None:
    """The one-time password, shown once: it is kept nowhere else and disappears when the dialog closes."""
    with open_dialog('Doctor account created', persistent=True) as dialog:
        ui.label(f'{new.doctor.name} signs in with {new.doctor.email} and this one-time password:')
        ui.label(new.initial_password).classes(
            f'font-mono text-xl select-all rounded px-3 py-2 {theme.MUTED_BOX}'
        ).props('data-testid=initial-password').mark('initial-password')
        ui.label(
            'It is shown only this once: give it to the doctor now, in person or through a secure channel. '
            'The doctor must change it at first sign-in.'
        ).classes(theme.INFO_BANNER)
        with ui.row().classes('w-full justify-end'):
            ui.button('I have handed it over', on_click=dialog.close).props('no-caps').mark('password-done')


def _buttons(dialog: ui.dialog, label: str, action: Callable[[], Awaitable[None]], *, color: str = 'primary') -> None:
    forms.dialog_buttons(dialog, label, action, color=color)


def _missing(fields: dict[str, ui.input | ui.select], data: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Mark required fields left empty (in a change, an empty value would otherwise read as merely too short)."""
    missing = [name for name in names if data.get(name) in (None, '')]
    for name in missing:
        fields[name].error = 'This field is required.'
    return bool(missing)
