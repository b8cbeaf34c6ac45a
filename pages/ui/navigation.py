"""The navigation of each role (later features add their entries here)."""

from __future__ import annotations

from dataclasses import dataclass

from hms.domain.enums import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    icon: str


NAVIGATION: dict[Role, list[NavItem]] = {
    Role.ADMIN: [
        NavItem('Dashboard', '/admin', 'dashboard'),
        NavItem('Departments', '/admin/departments', 'apartment'),
        NavItem('Doctors', '/admin/doctors', 'medical_services'),
        NavItem('Patients', '/admin/patients', 'groups'),
        NavItem('Appointments', '/admin/appointments', 'event'),
        NavItem('Jobs', '/admin/jobs', 'schedule'),
        NavItem('Outbox', '/admin/outbox', 'outbox'),
        NavItem('Audit log', '/admin/audit', 'policy'),
        NavItem('Exports', '/exports', 'download'),
        NavItem('My account', '/profile', 'person'),
        NavItem('Sign-in security', '/account/security', 'security'),
    ],
    Role.DOCTOR: [
        NavItem('My day', '/doctor', 'today'),
        NavItem('My patients', '/doctor/patients', 'groups'),
        NavItem('Availability', '/doctor/availability', 'event_available'),
        NavItem('Exports', '/exports', 'download'),
        NavItem('My account', '/profile', 'person'),
        NavItem('Sign-in security', '/account/security', 'security'),
    ],
    Role.PATIENT: [
        NavItem('Home', '/patient', 'home'),
        NavItem('Find a doctor', '/patient/doctors', 'search'),
        NavItem('My appointments', '/patient/appointments', 'event'),
        NavItem('My visits', '/patient/visits', 'medical_information'),
        NavItem('Profile', '/patient/profile', 'badge'),
        NavItem('Who looked at my record', '/patient/access-log', 'visibility'),
        NavItem('Exports', '/exports', 'download'),
        NavItem('My account', '/profile', 'person'),
    ],
}
