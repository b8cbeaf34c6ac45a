"""The patient's home page, and the admin dashboard's security panel (the doctor's is in doctor_home.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.domain.enums import AppointmentStatus, Role
from hms.services import appointments, doctors, notices, overview
from hms.services.notices import NoticeView
from hms.services.principal import Principal
from hms.services.views import AppointmentView, DoctorView

from ..ui import formats, theme
from ..ui.frame import forbidden, frame
from ..ui.i18n import t
from ..ui.session import page_access

ACTION_LABELS = {
    'login.failed': 'Failed sign-in',
    'login.throttled': 'Sign-in throttled',
    'login.refused': 'Blocked account tried to sign in',
    'account.blacklisted': 'Account blacklisted',
    'account.reactivated': 'Account reactivated',
}
BOOKING = '/patient/doctors'
QUICK_DOCTORS = 6  # doctors linked from the patient's home (every doctor is in its picker): home → doctor → time


def create() -> None:
    @ui.page('/patient')
    async def patient_home() -> RedirectResponse | None:
        access = await page_access('/patient', Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        data = await run.io_bound(_patient_overview, access.principal)
        with frame(access.principal, 'My health', current_path='/patient'):
            _welcome(
                access.principal, t('Book a visit, and see your upcoming appointments and messages from the clinic.')
            )
            _patient_panels(data)
        return None


@dataclass(frozen=True)
class _PatientOverview:
    upcoming: list[AppointmentView]
    unread: list[NoticeView]
    doctors: list[DoctorView]


def _patient_overview(principal: Principal) -> _PatientOverview:
    ctx = app_context.get()
    with ctx.uow() as uow:
        upcoming = appointments.my_appointments(uow, principal, upcoming=True)
        unread = [notice for notice in notices.my_notices(uow, principal) if not notice.read]
        found = doctors.search_doctors(uow, ctx.settings)
    booked = [a for a in upcoming if a.status is AppointmentStatus.BOOKED]
    return _PatientOverview(upcoming=booked, unread=unread, doctors=found)


def _welcome(principal: Principal, what_next: str) -> None:
    with ui.card().classes(theme.CARD):
        ui.label(t('Welcome, {name}', name=principal.name)).classes('text-lg font-medium')
        ui.label(what_next).classes(theme.SUBTLE)


def _patient_panels(data: _PatientOverview) -> None:
    with ui.card().classes(theme.CARD).mark('book'):
        book = ui.button(t('Book an appointment'), icon='event_available', on_click=lambda: ui.navigate.to(BOOKING))
        book.props('size=lg').mark('book-appointment')
        if data.doctors:
            ui.label(t('Or go straight to a doctor and pick a time:')).classes(theme.SUBTLE)
            ui.select(
                {doctor.id: f'{doctor.name} ({doctor.department_name})' for doctor in data.doctors},
                label=t('Doctor'), with_input=True,
                on_change=lambda event: ui.navigate.to(f'{BOOKING}/{event.value}') if event.value else None,
            ).props('outlined clearable').classes('w-full max-w-md').mark('pick-doctor')  # fmt: skip
            with ui.row().classes('gap-2'):
                for doctor in data.doctors[:QUICK_DOCTORS]:
                    ui.link(f'{doctor.name} ({doctor.department_name})', f'{BOOKING}/{doctor.id}')
        else:
            ui.label(t('No doctors are taking bookings yet. Please call the clinic.')).classes(theme.SUBTLE)
    if data.unread:
        with ui.card().classes(theme.CARD + ' border-l-4 border-amber-600').mark('unread-notices'):
            ui.label(t('New messages from the clinic')).classes('text-lg font-medium').props(
                'role=heading aria-level=2'
            )
            for notice in data.unread:
                ui.label(notice.subject).classes('font-medium')
                ui.label(notice.body)
            ui.link(t('Open my appointments'), '/patient/appointments')
    with ui.card().classes(theme.CARD).mark('upcoming'):
        ui.label(t('Upcoming appointments')).classes('text-lg font-medium').props('role=heading aria-level=2')
        if not data.upcoming:
            message = t('Nothing booked yet. Use "Book an appointment" to find a doctor and a free time.')
            ui.label(message).classes(theme.SUBTLE)
        for appointment in data.upcoming:
            with ui.row().classes('w-full gap-3 items-baseline').mark(f'appointment-{appointment.id}'):
                ui.label(formats.moment(appointment.start)).classes('font-medium')
                ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
        if data.upcoming:
            ui.link(t('Reschedule or cancel in My appointments'), '/patient/appointments')


def security_events(data: overview.AdminOverview) -> None:
    """Recent failed, throttled and blocked sign-ins, for the admin's dashboard."""
    with ui.card().classes(theme.CARD):
        ui.label('Recent security events').classes('text-lg font-medium')
        if not data.security_events:
            ui.label('No failed or blocked sign-ins recently.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'at': formats.moment(event.at),
                'event': ACTION_LABELS.get(event.action, event.action),
                'role': event.actor_role or '-',
                'ip': event.ip or '-',
            }
            for event in data.security_events
        ]
        columns = [
            {'name': 'at', 'label': 'When', 'field': 'at', 'align': 'left'},
            {'name': 'event', 'label': 'Event', 'field': 'event', 'align': 'left'},
            {'name': 'role', 'label': 'Role', 'field': 'role', 'align': 'left'},
            {'name': 'ip', 'label': 'From', 'field': 'ip', 'align': 'left'},
        ]
        ui.table(columns=columns, rows=rows).classes('w-full').props('flat dense')
