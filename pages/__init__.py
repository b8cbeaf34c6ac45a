"""The NiceGUI pages, by role: ``admin/``, ``doctor/``, ``patient/`` and ``account/`` (signing in, the own account
and exports, for every role); ``components/`` holds the reusable pieces and ``ui/`` the frame, theme, navigation,
formats, translations, session, access and service calls. Each page module has one public ``create()`` that
registers its pages.

Imports point one way: the role folders use ``components/`` and ``ui/``, ``components/`` uses ``ui/``, and ``ui/``
uses neither (import-linter refuses cycles between these folders)."""

from hms import context as app_context

from .account import action_link, calendar_feed, exports, profile, recovery, security, sign_in
from .account import documents as visit_documents
from .admin import appointments as admin_appointments
from .admin import audit, dashboard, departments, doctors, jobs, outbox
from .admin import boards as admin_boards
from .admin import leave as admin_leave
from .admin import patients as admin_patients
from .admin import receptionists as admin_receptionists
from .board import screen as board_screen
from .doctor import availability, visit, week
from .doctor import home as doctor_home
from .doctor import patients as doctor_patients
from .patient import appointments as patient_appointments
from .patient import booking, visits
from .patient import home as patient_home
from .patient import profile as patient_profile
from .patient import waitlist as patient_waitlist
from .reception import book as reception_book
from .reception import patients as reception_patients
from .reception import recalls as reception_recalls
from .reception import today as reception_today
from .reception import unclosed as reception_unclosed
from .ui import errors, i18n, pwa


def create() -> None:
    """Register every page (called by main.py; safe to call again after NiceGUI resets, as tests do)."""
    i18n.install(app_context.get().settings.default_language)
    errors.create()
    pwa.create()
    sign_in.create()
    recovery.create()
    action_link.create()
    visit_documents.create()
    patient_home.create()
    doctor_home.create()
    dashboard.create()
    profile.create()
    departments.create()
    doctors.create()
    admin_patients.create()
    admin_appointments.create()
    availability.create()
    booking.create()
    patient_appointments.create()
    patient_waitlist.create()
    admin_leave.create()
    visit.create()
    doctor_patients.create()
    visits.create()
    patient_profile.create()
    exports.create()
    jobs.create()
    outbox.create()
    security.create()
    audit.create()
    calendar_feed.create()
    week.create()
    reception_today.create()
    reception_book.create()
    reception_patients.create()
    reception_unclosed.create()
    reception_recalls.create()
    admin_receptionists.create()
    admin_boards.create()
    board_screen.create()
