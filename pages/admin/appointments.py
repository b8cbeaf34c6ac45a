"""The administrator's view of every appointment: filters, pages, and cancelling or moving booked ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from hms import context as app_context
from hms.db.scheduling import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError
from hms.services import appointments, availability, departments, doctors, notices, patients
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.views import AppointmentView, Page, SlotView

from ..account.exports import export_panel
from ..components import forms
from ..ui import formats, theme
from ..ui.actions import acting, open_dialog
from ..ui.frame import forbidden, frame
from ..ui.session import page_access

PATH = '/admin/appointments'
PAGE_SIZE = 25
STATUS_LABELS = theme.STATUS_LABELS
COLUMNS = [
    {'name': 'when', 'label': 'When', 'field': 'when', 'align': 'left'},
    {'name': 'doctor', 'label': 'Doctor', 'field': 'doctor', 'align': 'left'},
    {'name': 'department', 'label': 'Department', 'field': 'department', 'align': 'left'},
    {'name': 'patient', 'label': 'Patient', 'field': 'patient', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'reason', 'label': 'Reason', 'field': 'reason', 'align': 'left'},
    {'name': 'actions', 'label': 'Actions', 'field': 'id', 'align': 'right'},
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <template v-if="props.row.booked">
    <q-btn flat dense no-caps color="primary" icon="schedule" label="Reschedule"
           @click="() => $parent.$emit('reschedule', props.row)" />
    <q-btn flat dense no-caps color="negative" icon="event_busy" label="Cancel"
           @click="() => $parent.$emit('cancel', props.row)" />
  </template>
</q-td>
"""


@dataclass(frozen=True)
class _Criteria:
    """What the filters ask for, before the patient text is resolved to one patient."""

    first: date | None = None
    last: date | None = None
    doctor_id: int | None = None
    department_id: int | None = None
    patient: str = ''
    status: str | None = None


@dataclass(frozen=True)
class _Result:
    page: Page[AppointmentView]
    patient_problem: str = ''


def create() -> None:
    @ui.page(PATH)
    async def appointments_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        choices = await run.io_bound(_choices)
        first = await run.io_bound(_find, access.principal, _Criteria(), 0)
        with frame(access.principal, 'Appointments', current_path=PATH):
            _AppointmentsPanel(choices, first)
            await export_panel(access.principal, [ExportKind.APPOINTMENTS], title='Export appointments')
        return None


def _choices() -> tuple[dict[int, str], dict[int, str]]:
    """The doctors (deactivated ones too) and departments to filter by."""
    ctx = app_context.get()
    with ctx.uow() as uow:
        found = doctors.search_doctors(uow, ctx.settings, include_inactive=True)
        listed = departments.list_departments(uow)
    doctor_options = {d.id: d.name if d.is_active else f'{d.name} (deactivated)' for d in found}
    return doctor_options, {d.id: d.name for d in listed}


def _find(actor: Principal, criteria: _Criteria, offset: int) -> _Result:
    ctx = app_context.get()
    zone = ctx.settings.zone
    empty: Page[AppointmentView] = Page(items=[], total=0, limit=PAGE_SIZE, offset=0)
    with ctx.uow() as uow:
        patient_id = None
        text = criteria.patient.strip()
        if text.isdecimal() and len(text) < 19:
            patient_id = int(text)
        elif text:
            matches = patients.search_patients(uow, actor, text, limit=5)
            if matches.total != 1:
                return _Result(empty, _patient_problem(text, matches))
            patient_id = matches.items[0].id
        statuses = (AppointmentStatus(criteria.status),) if criteria.status else ()
        after_last = criteria.last + timedelta(days=1) if criteria.last else None
        found = AppointmentFilter(
            start_from=datetime.combine(criteria.first, time(), tzinfo=zone) if criteria.first else None,
            start_to=datetime.combine(after_last, time(), tzinfo=zone) if after_last else None,
            doctor_id=criteria.doctor_id, department_id=criteria.department_id, patient_id=patient_id,
            statuses=statuses,
        )  # fmt: skip
        return _Result(appointments.search(uow, actor, found, limit=PAGE_SIZE, offset=offset, newest_first=True))


def _patient_problem(text: str, matches: Page[Any]) -> str:
    if not matches.total:
        return f'No patient matches "{text}".'
    named = ', '.join(f'{p.name} (ID {p.id})' for p in matches.items)
    more = ', …' if matches.total > len(matches.items) else ''
    return f'{matches.total} patients match: {named}{more}. Type more of the name, or the patient ID.'


def _cancel(actor: Principal, appointment_id: int, reason: str) -> AppointmentView:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return appointments.cancel(uow, ctx.settings, actor, appointment_id, reason)


def _free_slots(doctor_id: int) -> list[SlotView]:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return availability.free_slots(uow, ctx.settings, doctor_id)


def _reschedule(actor: Principal, appointment_id: int, start: datetime) -> AppointmentView:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return appointments.reschedule(uow, ctx.settings, actor, appointment_id, start)


def _parse_day(element: ui.input) -> tuple[date | None, bool]:
    """The date typed into a date field (None when empty) and whether it was readable."""
    text = (element.value or '').strip()
    if not text:
        return None, True
    try:
        return date.fromisoformat(text), True
    except ValueError:
        element.error = 'Enter a date as YYYY-MM-DD.'
        return None, False


class _AppointmentsPanel:
    """Filters, one page of appointments, previous/next, and the cancel and reschedule dialogs."""

    def __init__(self, choices: tuple[dict[int, str], dict[int, str]], first: _Result) -> None:
        doctor_options, department_options = choices
        self.by_id: dict[int, AppointmentView] = {}
        self.offset = 0
        self.generation = 0
        self.anchor = ui.column().classes('w-full gap-4')  # a stable place for what follows a closed dialog
        with self.anchor:
            with ui.card().classes(theme.CARD).mark('appointment-filters'):
                ui.label(f'Dates are in the clinic time zone ({app_context.get().settings.timezone}).').classes(
                    theme.SUBTLE
                )
                with ui.row().classes('w-full items-start gap-3'):
                    self.first = ui.input('From date', on_change=self.search).props(
                        'outlined dense type=date clearable'
                    )
                    self.last = ui.input('To date', on_change=self.search).props('outlined dense type=date clearable')
                    self.status = ui.select(STATUS_LABELS, label='Status', clearable=True, on_change=self.search)
                    self.status.props('outlined dense').classes('min-w-[10rem]')
                with ui.row().classes('w-full items-start gap-3'):
                    self.doctor = ui.select(doctor_options, label='Doctor', clearable=True, on_change=self.search)
                    self.doctor.props('outlined dense').classes('min-w-[12rem]')
                    self.department = ui.select(department_options, label='Department', clearable=True,
                                                on_change=self.search)  # fmt: skip
                    self.department.props('outlined dense').classes('min-w-[12rem]')
                    self.patient = ui.input('Patient (name or ID)', on_change=self.search)
                    self.patient.props('outlined dense clearable debounce=300').classes('min-w-[14rem] flex-1')
            self.empty = ui.label('').classes(theme.INFO_BANNER).mark('appointments-empty')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full').props('flat bordered')
            self.table.mark('appointments-table')
            self.table.add_slot('body-cell-actions', ACTIONS_SLOT)
            self.table.on('cancel', self.open_cancel)
            self.table.on('reschedule', self.open_reschedule)
            with ui.row().classes('w-full items-center justify-end gap-2'):
                self.summary = ui.label('').classes(theme.SUBTLE).mark('appointments-summary')
                self.previous = ui.button('Previous', icon='chevron_left', on_click=lambda: self.turn(-1))
                self.previous.props('flat no-caps').mark('appointments-previous')
                self.next = ui.button('Next', icon='chevron_right', on_click=lambda: self.turn(1))
                self.next.props('flat no-caps').mark('appointments-next')
            self.show(first)

    def criteria(self) -> _Criteria | None:
        """The filters as typed, or None (with the errors shown next to the fields) when a date is unreadable."""
        for element in (self.first, self.last, self.patient):
            element.error = None
        first, first_ok = _parse_day(self.first)
        last, last_ok = _parse_day(self.last)
        if not (first_ok and last_ok):
            return None
        if first and last and last < first:
            self.last.error = 'The end date is before the start date.'
            return None
        return _Criteria(
            first=first, last=last, doctor_id=self.doctor.value, department_id=self.department.value,
            patient=(self.patient.value or '').strip(), status=self.status.value,
        )  # fmt: skip

    def show(self, result: _Result) -> None:
        page = result.page
        zone = app_context.get().settings.zone
        self.offset = page.offset
        self.by_id = {a.id: a for a in page.items}
        self.table.rows = [
            {
                'id': a.id, 'when': notices.when(a.start, zone), 'doctor': a.doctor_name,
                'department': a.department_name, 'patient': a.patient_name, 'status': STATUS_LABELS[a.status.value],
                'reason': a.reason or '-', 'booked': a.status is AppointmentStatus.BOOKED,
            }
            for a in page.items
        ]  # fmt: skip
        self.table.update()
        self.table.set_visibility(bool(page.items))
        self.patient.error = result.patient_problem or None
        self.empty.text = 'No appointment matches these filters. Widen the dates or clear a filter.'
        self.empty.set_visibility(not page.items)
        last = page.offset + len(page.items)
        self.summary.text = f'{page.offset + 1} to {last} of {page.total}, newest first' if page.items else ''
        self.previous.set_enabled(page.offset > 0)
        self.next.set_enabled(last < page.total)

    async def load(self, offset: int) -> None:
        criteria = self.criteria()
        actor = await acting(PATH)
        if criteria is None or actor is None:
            return
        self.generation += 1
        generation = self.generation
        with forms.loading(self.table):
            result = await run.io_bound(_find, actor, criteria, offset)
        if generation == self.generation:  # a later search superseded this one
            self.show(result)

    async def search(self) -> None:
        await self.load(0)

    async def turn(self, step: int) -> None:
        await self.load(max(0, self.offset + step * PAGE_SIZE))

    def _picked(self, event: events.GenericEventArguments) -> AppointmentView | None:
        row = event.args if isinstance(event.args, dict) else {}
        appointment = self.by_id.get(int(row.get('id') or 0))
        if appointment is None:
            ui.notify('This appointment is no longer listed; search again.', type='warning')
        return appointment

    def _describe(self, appointment: AppointmentView) -> str:
        zone = app_context.get().settings.zone
        return (
            f'{appointment.patient_name} with {appointment.doctor_name} ({appointment.department_name}) on '
            f'{notices.when(appointment.start, zone)}.'
        )

    def open_cancel(self, event: events.GenericEventArguments) -> None:
        appointment = self._picked(event)
        if appointment is None:
            return
        with open_dialog('Cancel appointment') as dialog:
            ui.label(self._describe(appointment))
            ui.label('The patient is notified with your reason, and the time becomes free for others.').classes(
                theme.SUBTLE
            )
            error = forms.banner()
            fields: dict[str, ui.input | ui.select] = {
                'reason': ui.textarea('Reason (the patient sees it)')
                .props('outlined autogrow maxlength=500 autofocus')
                .classes('w-full')
                .mark('cancel-reason')
            }

            async def confirm() -> None:
                error.text = ''
                forms.clear_errors(fields)
                reason = (fields['reason'].value or '').strip()
                if not reason:
                    fields['reason'].error = 'A reason is required.'
                    return
                actor = await acting(PATH)
                if actor is None:
                    return
                try:
                    await run.io_bound(_cancel, actor, appointment.id, reason)
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:  # the closed dialog is gone: continue in the page
                    ui.notify('Appointment cancelled; the patient is notified.', type='positive')
                    await self.load(self.offset)

            _buttons(dialog, 'Cancel appointment', confirm, dismiss='Keep appointment', color='negative')

    async def open_reschedule(self, event: events.GenericEventArguments) -> None:
        appointment = self._picked(event)
        if appointment is None:
            return
        try:
            slots = await run.io_bound(_free_slots, appointment.doctor_id)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        zone = app_context.get().settings.zone
        chosen: dict[str, datetime] = {}
        with open_dialog('Reschedule appointment') as dialog:
            ui.label(self._describe(appointment))
            error = forms.banner()
            if not slots:
                ui.label(f'{appointment.doctor_name} has no free time in the booking period.').classes(
                    theme.INFO_BANNER
                )
            choice = ui.label('Choose a new time below.').classes('font-medium').mark('new-time')
            buttons: list[ui.button] = []

            def pick(slot: SlotView, button: ui.button) -> None:
                chosen['start'] = slot.start
                choice.text = f'New time: {notices.when(slot.start, zone)}'
                for other in buttons:
                    other.props(remove='unelevated').props('outline')
                button.props(remove='outline').props('unelevated')
                move.enable()

            with ui.column().classes('w-full gap-2 max-h-[50vh] overflow-auto'):
                for day, day_slots in _by_day(slots, zone):
                    ui.label(formats.day(day)).classes('text-sm font-medium')
                    with ui.row().classes('gap-1'):
                        for slot in day_slots:
                            local = slot.start.astimezone(zone)
                            button = ui.button(f'{local:%H:%M}').props('outline dense no-caps')
                            button.on_click(lambda _, slot=slot, button=button: pick(slot, button))
                            button.mark(f'slot slot-{local:%Y-%m-%dT%H:%M}')
                            buttons.append(button)

            async def confirm() -> None:
                error.text = ''
                actor = await acting(PATH)
                if actor is None or 'start' not in chosen:
                    return
                try:
                    await run.io_bound(_reschedule, actor, appointment.id, chosen['start'])
                except DomainError as failure:
                    error.text = failure.message
                    return
                dialog.close()
                with self.anchor:
                    moved = notices.when(chosen['start'], zone)
                    ui.notify(f'Appointment moved to {moved}; the patient is notified.', type='positive')
                    await self.load(self.offset)

            move = _buttons(dialog, 'Move appointment', confirm, dismiss='Keep the time')
            move.disable()


def _by_day(slots: list[SlotView], zone: tzinfo) -> list[tuple[date, list[SlotView]]]:
    days: dict[date, list[SlotView]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    return sorted(days.items())


def _buttons(
    dialog: ui.dialog, label: str, action: Callable[[], Awaitable[None]], *, dismiss: str = 'Cancel',
    color: str = 'primary',
) -> ui.button:  # fmt: skip
    return forms.dialog_buttons(dialog, label, action, dismiss=dismiss, color=color)
