"""The navigation of each role (later features add their entries here). Labels are marked for the catalogue and
translated where the frame shows them."""

from __future__ import annotations

from dataclasses import dataclass

from hms.domain.enums import Role
from hms.i18n import N_


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    icon: str


NAVIGATION: dict[Role, list[NavItem]] = {
    Role.ADMIN: [
        NavItem(N_('Dashboard'), '/admin', 'dashboard'),
        NavItem(N_('Departments'), '/admin/departments', 'apartment'),
        NavItem(N_('Doctors'), '/admin/doctors', 'medical_services'),
        NavItem(N_('Patients'), '/admin/patients', 'groups'),
        NavItem(N_('Receptionists'), '/admin/receptionists', 'support_agent'),
        NavItem(N_('Front desk'), '/reception/patients', 'desk'),
        NavItem(N_('Appointments'), '/admin/appointments', 'event'),
        NavItem(N_('Waiting-room boards'), '/admin/boards', 'tv'),
        NavItem(N_('Leave and closures'), '/admin/leave', 'event_busy'),
        NavItem(N_('Jobs'), '/admin/jobs', 'schedule'),
        NavItem(N_('Outbox'), '/admin/outbox', 'outbox'),
        NavItem(N_('Audit log'), '/admin/audit', 'policy'),
        NavItem(N_('Exports'), '/exports', 'download'),
        NavItem(N_('My account'), '/profile', 'person'),
        NavItem(N_('Sign-in security'), '/account/security', 'security'),
    ],
    Role.DOCTOR: [
        NavItem(N_('My day'), '/doctor', 'today'),
        NavItem(N_('My week'), '/doctor/week', 'calendar_view_week'),
        NavItem(N_('My patients'), '/doctor/patients', 'groups'),
        NavItem(N_('Availability'), '/doctor/availability', 'event_available'),
        NavItem(N_('To close'), '/unclosed', 'task_alt'),
        NavItem(N_('Exports'), '/exports', 'download'),
        NavItem(N_('My account'), '/profile', 'person'),
        NavItem(N_('Sign-in security'), '/account/security', 'security'),
    ],
    Role.RECEPTION: [
        NavItem(N_('Today'), '/reception', 'today'),
        NavItem(N_('Patients'), '/reception/patients', 'groups'),
        NavItem(N_('To close'), '/unclosed', 'task_alt'),
        NavItem(N_('Recalls'), '/reception/recalls', 'phone_callback'),
        NavItem(N_('My account'), '/profile', 'person'),
        NavItem(N_('Sign-in security'), '/account/security', 'security'),
    ],
    Role.PATIENT: [
        NavItem(N_('Home'), '/patient', 'home'),
        NavItem(N_('Find a doctor'), '/patient/doctors', 'search'),
        NavItem(N_('My appointments'), '/patient/appointments', 'event'),
        NavItem(N_('My waiting list'), '/patient/waitlist', 'hourglass_empty'),
        NavItem(N_('My visits'), '/patient/visits', 'medical_information'),
        NavItem(N_('Profile'), '/patient/profile', 'badge'),
        NavItem(N_('Who looked at my record'), '/patient/access-log', 'visibility'),
        NavItem(N_('Exports'), '/exports', 'download'),
        NavItem(N_('My account'), '/profile', 'person'),
    ],
}
