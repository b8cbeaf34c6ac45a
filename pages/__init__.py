"""The NiceGUI pages. Each module has one public ``create()`` that registers its pages."""

from . import (
    account,
    account_security,
    admin_appointments,
    admin_audit,
    admin_dashboard,
    admin_departments,
    admin_doctors,
    admin_jobs,
    admin_outbox,
    admin_patients,
    auth,
    doctor_availability,
    doctor_home,
    doctor_patients,
    doctor_visit,
    errors,
    exports,
    homes,
    patient_appointments,
    patient_booking,
    patient_profile,
    patient_visits,
    pwa,
)


def create() -> None:
    """Register every page (called by main.py; safe to call again after NiceGUI resets, as tests do)."""
    errors.create()
    pwa.create()
    auth.create()
    homes.create()
    doctor_home.create()
    admin_dashboard.create()
    account.create()
    admin_departments.create()
    admin_doctors.create()
    admin_patients.create()
    admin_appointments.create()
    doctor_availability.create()
    patient_booking.create()
    patient_appointments.create()
    doctor_visit.create()
    doctor_patients.create()
    patient_visits.create()
    patient_profile.create()
    exports.create()
    admin_jobs.create()
    admin_outbox.create()
    account_security.create()
    admin_audit.create()
