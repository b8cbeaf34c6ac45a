"""Booking for a patient at the desk (/reception/book?patient=<id>): choose a doctor, a day and one of the doctor's
times (taken ones only as a double-booking, with its reason), always with the reason for the visit; add a walk-in;
move or cancel the patient's appointments from today on."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from hms import clock
from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError
from hms.domain.front_desk import DeskBookingIn, DeskCancelIn, DeskRescheduleIn, WalkInIn
from hms.i18n import N_, _
from hms.services import doctors, front_desk
from hms.services.front_desk import DeskPatient, DeskSlot
from hms.services.principal import Principal
from hms.services.views import AppointmentView, DoctorView

from ..components.clinic_day import MARK_OVERBOOKED, MARK_WALK_IN, marker
from ..components.dialogs import ConfirmDialog
from ..components.forms import banner
from ..components.history import status_badge
from ..components.sections import section
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/reception/book'
REASON_REQUIRED = N_('Give the reason for the visit (or for the move).')
CHANGEABLE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


def create() -> None:
    @role_page(PATH, Role.RECEPTION, Role.ADMIN)
    async def reception_book(principal: Principal, patient: str = '') -> None:
        card = await find(patient, lambda patient_id: call(front_desk.patient_card, principal, patient_id))
        doctor_list = await call(doctors.search_doctors)
        with frame(principal, N_('Book for a patient'), current_path='/reception'):
            if card is None:
                with section(marker='no-patient'):
                    ui.label(_('Choose the patient first.')).classes(theme.INFO_BANNER)
                    ui.link(_('Find or register a patient'), '/reception/patients')
                return
            desk = _BookingDesk(card, doctor_list)
            await desk.reload_appointments()


def _problem(failure: Exception) -> str:
    if isinstance(failure, DomainError):
        return failure.message
    if isinstance(failure, ValidationError):
        return '; '.join(str(error['msg']).removeprefix('Value error, ') for error in failure.errors())
    raise failure


class _BookingDesk:
    def __init__(self, patient: DeskPatient, doctor_list: list[DoctorView]) -> None:
        self.patient = patient
        self.moving: AppointmentView | None = None
        self.slots: list[DeskSlot] = []
        with section(_('Patient'), marker='desk-patient'):
            ui.label(patient.name).classes('text-lg font-medium').mark('patient-name')
            born = formats.date_only(patient.date_of_birth)
            ui.label(_('Born {date} · phone {phone}', date=born, phone=patient.phone)).classes(theme.SUBTLE)
            if not patient.is_active:
                ui.label(_("This patient's account is blocked; reactivate it before booking.")).classes(
                    theme.ERROR_BANNER
                )
        with section(_('Book an appointment'), marker='desk-booking'):
            self.moving_note = ui.label('').classes(theme.INFO_BANNER).mark('moving-note')
            self.moving_note.bind_visibility_from(self.moving_note, 'text', backward=bool)
            options = {d.id: f'{d.name} · {d.department_name}' for d in doctor_list}
            self.doctor = ui.select(options, label=_('Doctor')).props('outlined dense').classes('w-full max-w-md')
            self.doctor.mark('desk-doctor')
            today = clock.now().astimezone(app_context.get().settings.zone).date()
            self.day = dates.date_input(_('Day'), today).props('outlined dense').classes('w-full max-w-xs')
            self.day.mark('desk-day')
            self.doctor.on_value_change(self.load_slots)
            self.day.on_value_change(self.load_slots)
            self.slot_box = ui.column().classes('w-full gap-1')
            self.overbook = ui.checkbox(_('Double-book a taken time')).mark('desk-overbook')
            self.override = ui.input(_('Why double-book? (required to double-book)')).props('outlined dense')
            self.override.classes('w-full').mark('desk-override-reason')
            self.override.bind_visibility_from(self.overbook, 'value')
            self.reason = ui.textarea(_('Reason for the visit (required)')).props('outlined autogrow maxlength=500')
            self.reason.classes('w-full').mark('desk-reason')
            self.error = banner()
            with ui.row().classes('gap-2'):
                self.book_button = ui.button(_('Book'), icon='event_available', on_click=self.book).props('no-caps')
                self.book_button.mark('desk-book')
                self.walk_in_button = ui.button(_('Add as walk-in now'), icon='directions_walk', on_click=self.walk_in)
                self.walk_in_button.props('outline no-caps').mark('desk-walk-in')
                self.stop_button = ui.button(_('Stop moving'), on_click=self.stop_moving).props('flat no-caps')
                self.stop_button.mark('desk-stop-moving')
                self.stop_button.set_visibility(False)
        with section(_('Appointments from today on'), marker='desk-appointments'):
            self.appointment_box = ui.column().classes('w-full gap-0')
        self.show_slots()

    # --- slots ------------------------------------------------------------------------------------------------------

    def _day(self) -> date | None:
        try:
            return dates.parse(self.day.value)
        except ValueError as problem:
            self.day.error = str(problem)
            return None

    async def load_slots(self) -> None:
        self.day.error = None
        day = self._day()
        if self.doctor.value is None or day is None:
            self.slots = []
            self.show_slots()
            return
        principal = await acting(PATH)
        if principal is None:
            return
        try:
            self.slots = await call(front_desk.desk_slots, principal, int(self.doctor.value), day)
        except DomainError as failure:
            self.error.text = failure.message
            self.slots = []
        self.show_slots()

    def show_slots(self) -> None:
        self.slot_box.clear()
        with self.slot_box:
            if self.doctor.value is None:
                ui.label(_('Choose a doctor to see the times.')).classes(theme.SUBTLE)
                return
            if not self.slots:
                ui.label(_('No times left on this day.')).classes(theme.SUBTLE).mark('desk-no-slots')
                return
            options = {
                slot.start.isoformat(): _('{time} (held for the waitlist)', time=formats.time_of_day(slot.start))
                if slot.held
                else _('{time} (taken)', time=formats.time_of_day(slot.start))
                if slot.taken
                else formats.time_of_day(slot.start)
                for slot in self.slots
            }
            ui.label(_('Time')).classes('font-medium').props('id=desk-time-label')
            self.time = ui.radio(options).props('inline aria-labelledby=desk-time-label').mark('desk-times')

    # --- actions ----------------------------------------------------------------------------------------------------

    def _chosen_start(self) -> str | None:
        chosen = getattr(self, 'time', None)
        return str(chosen.value) if chosen is not None and chosen.value else None

    async def book(self) -> None:
        self.error.text = ''
        start = self._chosen_start()
        if self.doctor.value is None or start is None:
            self.error.text = _('Choose a doctor and a time.')
            return
        if not (self.reason.value or '').strip():
            self.error.text = _(REASON_REQUIRED)
            return
        principal = await acting(PATH)
        if principal is None:
            return
        try:
            if self.moving is not None:
                data: Any = DeskRescheduleIn.model_validate({'start': start, 'reason': self.reason.value or ''})
                view = await call(front_desk.reschedule_for, principal, self.moving.id, data)
                message = _('Moved to {when}.', when=formats.moment(view.start))
            else:
                data = DeskBookingIn.model_validate(
                    {
                        'patient_id': self.patient.id,
                        'doctor_id': int(self.doctor.value),
                        'start': start,
                        'reason': self.reason.value or '',
                        'overbook': bool(self.overbook.value),
                        'override_reason': self.override.value or None,
                    }
                )
                view = await call(front_desk.book_for, principal, data)
                message = _('Booked for {when}.', when=formats.moment(view.start))
        except (DomainError, ValidationError) as failure:
            self.error.text = _problem(failure)
            return
        ui.notify(message, type='positive')
        self.reason.value, self.override.value, self.overbook.value = '', '', False
        self.stop_moving()
        await self.load_slots()
        await self.reload_appointments()

    async def walk_in(self) -> None:
        self.error.text = ''
        if self.doctor.value is None:
            self.error.text = _('Choose a doctor.')
            return
        if not (self.reason.value or '').strip():
            self.error.text = _(REASON_REQUIRED)
            return
        principal = await acting(PATH)
        if principal is None:
            return
        try:
            data = WalkInIn.model_validate(
                {'patient_id': self.patient.id, 'doctor_id': int(self.doctor.value), 'reason': self.reason.value or ''}
            )
            view = await call(front_desk.walk_in, principal, data)
        except (DomainError, ValidationError) as failure:
            self.error.text = _problem(failure)
            return
        ui.notify(
            _('Walk-in added at {time}: ticket {ticket}.', time=formats.time_of_day(view.start), ticket=view.ticket),
            type='positive',
        )
        self.reason.value = ''
        await self.load_slots()
        await self.reload_appointments()

    def start_moving(self, view: AppointmentView) -> None:
        self.moving = view
        self.moving_note.text = _(
            'Moving the appointment of {when} with {doctor}: choose the new time and give the reason.',
            when=formats.moment(view.start),
            doctor=view.doctor_name,
        )
        self.doctor.value = view.doctor_id
        self.doctor.disable()
        self.book_button.text = _('Move here')
        self.walk_in_button.set_visibility(False)
        self.overbook.set_visibility(False)
        self.stop_button.set_visibility(True)

    def stop_moving(self) -> None:
        self.moving = None
        self.moving_note.text = ''
        self.doctor.enable()
        self.book_button.text = _('Book')
        self.walk_in_button.set_visibility(True)
        self.overbook.set_visibility(True)
        self.stop_button.set_visibility(False)

    async def cancel(self, view: AppointmentView) -> None:
        dialog = ConfirmDialog(
            _('Cancel the appointment of {when}?', when=formats.moment(view.start)),
            _('Cancel the appointment'),
            dismiss=_('Keep it'),
            color='negative',
            marker='desk-cancel-dialog',
        )
        with dialog.body:
            reason = ui.textarea(_('Reason (the patient reads it)')).props('outlined autogrow maxlength=500')
            reason.classes('w-full').mark('desk-cancel-reason')
            error = banner()

        async def confirm() -> bool | None:
            principal = await acting(PATH)
            if principal is None:
                return None
            try:
                data = DeskCancelIn.model_validate({'reason': reason.value or ''})
                await call(front_desk.cancel_for, principal, view.id, data)
            except (DomainError, ValidationError) as failure:
                error.text = _problem(failure)
                return None
            return True

        if await dialog.ask(confirm):
            ui.notify(_('The appointment is cancelled; the patient is told.'), type='positive')
            await self.load_slots()
            await self.reload_appointments()

    # --- the patient's appointments ---------------------------------------------------------------------------------

    async def reload_appointments(self) -> None:
        principal = await acting(PATH, touch=False)
        if principal is None:
            return
        found = await call(front_desk.patient_appointments, principal, self.patient.id)
        self.appointment_box.clear()
        with self.appointment_box:
            if not found:
                ui.label(_('No appointments from today on.')).classes(theme.SUBTLE).mark('desk-no-appointments')
            for view in found:
                self._appointment_row(view)

    def _appointment_row(self, view: AppointmentView) -> None:
        when = formats.moment(view.start)
        with ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'desk-appointment-{view.id}'):
            with ui.column().classes('gap-0 flex-1 min-w-[12rem]'):
                ui.label(when).classes('font-medium')
                ui.label(f'{view.doctor_name} · {view.department_name}').classes(theme.SUBTLE)
            if view.walk_in:
                marker(_(MARK_WALK_IN), f'walk-in-{view.id}')
            if view.overbooked:
                marker(_(MARK_OVERBOOKED), f'overbooked-{view.id}')
            status_badge(view.status)
            if view.status is AppointmentStatus.BOOKED:
                move = ui.button(_('Move'), on_click=lambda v=view: self.start_moving(v)).props('flat no-caps')
                move.props['aria-label'] = _('Move the appointment of {when}', when=when)
                move.mark(f'desk-move-{view.id}')
            if view.status in CHANGEABLE:
                cancel = ui.button(_('Cancel'), on_click=lambda v=view: self.cancel(v)).props('flat no-caps')
                cancel.props('color=negative')
                cancel.props['aria-label'] = _('Cancel the appointment of {when}', when=when)
                cancel.mark(f'desk-cancel-{view.id}')
