"""Each role's home page."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.services import overview
from hms.services.principal import Principal

from . import theme
from .frame import forbidden, frame
from .session import page_access

ACTION_LABELS = {
    'login.failed': 'Failed sign-in',
    'login.throttled': 'Sign-in throttled',
    'login.refused': 'Blocked account tried to sign in',
    'account.blacklisted': 'Account blacklisted',
    'account.reactivated': 'Account reactivated',
}


def create() -> None:
    @ui.page('/admin')
    async def admin_home() -> RedirectResponse | None:
        access = await page_access('/admin', Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        data = await run.io_bound(_admin_overview, access.principal)
        with frame(access.principal, 'Clinic overview', current_path='/admin'):
            _admin_panels(data)
        return None

    @ui.page('/doctor')
    async def doctor_home() -> RedirectResponse | None:
        access = await page_access('/doctor', Role.DOCTOR)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        with frame(access.principal, 'My day', current_path='/doctor'):
            _welcome(access.principal, 'Your appointments for today and this week will be listed here.')
        return None

    @ui.page('/patient')
    async def patient_home() -> RedirectResponse | None:
        access = await page_access('/patient', Role.PATIENT)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        with frame(access.principal, 'My health', current_path='/patient'):
            _welcome(access.principal, 'Your upcoming appointments and past visits will be listed here.')
        return None


def _admin_overview(principal: Principal) -> overview.AdminOverview:
    with app_context.get().uow() as uow:
        return overview.admin_overview(uow, principal)


def _welcome(principal: Principal, what_next: str) -> None:
    with ui.card().classes(theme.CARD):
        ui.label(f'Welcome, {principal.name}').classes('text-lg font-medium')
        ui.label(what_next).classes(theme.SUBTLE)


def _admin_panels(data: overview.AdminOverview) -> None:
    zone = app_context.get().settings.zone
    with ui.row().classes('w-full gap-4'):
        for role, label in ((Role.PATIENT, 'Patients'), (Role.DOCTOR, 'Doctors'), (Role.ADMIN, 'Administrators')):
            with ui.card().classes('min-w-[10rem] flex-1 p-4'):
                ui.label(label).classes(theme.SUBTLE)
                ui.label(str(data.accounts_by_role[role])).classes('text-3xl font-semibold').mark(f'count-{role.value}')
    with ui.card().classes(theme.CARD):
        ui.label('Recent security events').classes('text-lg font-medium')
        if not data.security_events:
            ui.label('No failed or blocked sign-ins recently.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'at': event.at.astimezone(zone).strftime('%d %b %Y %H:%M'),
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
