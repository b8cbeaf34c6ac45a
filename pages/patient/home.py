"""The patient's home page: book a visit (straight to a doctor if they like), new messages, upcoming appointments."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.i18n import _
from hms.services import appointments, doctors, notices
from hms.services.notices import NoticeView
from hms.services.principal import Principal
from hms.services.views import AppointmentView, DoctorView

from ..components.sections import heading, section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

BOOKING = '/patient/doctors'
QUICK_DOCTORS = 6  # doctors linked from the patient's home (every doctor is in its picker): home → doctor → time


def create() -> None:
    @role_page('/patient', Role.PATIENT)
    async def patient_home(principal: Principal) -> None:
        data = await call(_overview, principal)
        with frame(principal, _('My health'), current_path='/patient'):
            with section():
                ui.label(_('Welcome, {name}', name=principal.name)).classes('text-lg font-medium')
                ui.label(_('Book a visit, and see your upcoming appointments and messages from the clinic.')).classes(
                    theme.SUBTLE
                )
            _panels(data)


@dataclass(frozen=True)
class _Overview:
    upcoming: list[AppointmentView]
    unread: list[NoticeView]
    doctors: list[DoctorView]


def _overview(uow: UnitOfWork, settings: Settings, principal: Principal) -> _Overview:
    upcoming = appointments.my_appointments(uow, principal, upcoming=True)
    unread = [notice for notice in notices.my_notices(uow, principal) if not notice.read]
    found = doctors.search_doctors(uow, settings)
    booked = [a for a in upcoming if a.status is AppointmentStatus.BOOKED]
    return _Overview(upcoming=booked, unread=unread, doctors=found)


def _panels(data: _Overview) -> None:
    with section(marker='book'):
        book = ui.button(_('Book an appointment'), icon='event_available', on_click=lambda: ui.navigate.to(BOOKING))
        book.props('size=lg').mark('book-appointment')
        if data.doctors:
            ui.label(_('Or go straight to a doctor and pick a time:')).classes(theme.SUBTLE)
            picker = ui.select(
                {doctor.id: f'{doctor.name} ({doctor.department_name})' for doctor in data.doctors},
                label=_('Doctor'),
                with_input=True,
                on_change=lambda event: ui.navigate.to(f'{BOOKING}/{event.value}') if event.value else None,
            )
            picker.props('outlined clearable').classes('w-full max-w-md').mark('pick-doctor')
            with ui.row().classes('gap-2'):
                for doctor in data.doctors[:QUICK_DOCTORS]:
                    ui.link(f'{doctor.name} ({doctor.department_name})', f'{BOOKING}/{doctor.id}')
        else:
            ui.label(_('No doctors are taking bookings yet. Please call the clinic.')).classes(theme.SUBTLE)
    if data.unread:
        with ui.card().classes(theme.CARD + ' border-s-4 border-amber-600').mark('unread-notices'):
            heading(_('New messages from the clinic'))
            for notice in data.unread:
                ui.label(notice.subject).classes('font-medium')
                ui.label(notice.body)
            ui.link(_('Open my appointments'), '/patient/appointments')
    with section(_('Upcoming appointments'), marker='upcoming'):
        if not data.upcoming:
            message = _('Nothing booked yet. Use "Book an appointment" to find a doctor and a free time.')
            ui.label(message).classes(theme.SUBTLE)
        for appointment in data.upcoming:
            with ui.row().classes('w-full gap-3 items-baseline').mark(f'appointment-{appointment.id}'):
                ui.label(formats.moment(appointment.start)).classes('font-medium')
                ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
        if data.upcoming:
            ui.link(_('Reschedule or cancel in My appointments'), '/patient/appointments')
