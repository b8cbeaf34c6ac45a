"""Patients at the front desk: finding the person in front of the desk, and registering a new patient on the spot.

Reception (and the administrator, who can do everything reception can) reads contact details and appointments,
never clinical content. A patient registered here has no password: with an email address they get a welcome link to
choose one and take the account over; without one they exist without sign-in and are sent nothing. Before creating
anyone the desk is shown the possible duplicates (same name, ignoring case and accents, and date of birth, and the
same phone or email) and registers anyway only when it confirms (``confirm_new``).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from hms import clock
from hms.db.desk import DeskRepository
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import PatientProfile, User
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter, PatientSort
from hms.domain.desk import DeskPatientIn
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import Conflict, EmailTaken, NotFound
from hms.i18n import N_, _
from hms.runtime.dispatch import Producer
from hms.security.passwords import hash_password

from . import account_links, accounts, audit
from .appointments import views
from .principal import Principal, require_role
from .views import AppointmentView, Page, PatientView

FRONT_DESK = (Role.RECEPTION, Role.ADMIN)
SEARCH_REFUSAL = N_('Your role does not allow you to look up patients at the front desk.')
REGISTER_REFUSAL = N_('Your role does not allow you to register patients at the front desk.')
FINISHED = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)  # past, even before their planned end
PHONE_DIGITS_COMPARED = 9  # '+44 20 7946 0000' and '020 7946 0000' are the same number


class PossibleDuplicate(Conflict):
    """Someone with the same name, date of birth and phone or email is registered already: ``duplicates`` lists them
    for the desk to open one, or to register anyway with ``confirm_new``."""

    title = N_('Possible duplicate')
    code = 'possible_duplicate'
    default_message = N_(
        'This may be the same person as a patient registered already. Open the existing record, or register anyway '
        'if they are someone else.'
    )

    def __init__(self, message: str | None = None, *, duplicates: list[PatientView]) -> None:
        super().__init__(message)
        self.duplicates = duplicates


@dataclass(frozen=True)
class DeskPatient:
    """A patient registered at the desk; ``welcome_sent``: a link to choose a password went to their address."""

    patient: PatientView
    welcome_sent: bool


@dataclass(frozen=True)
class DeskPatientDetail:
    """What the desk sees of a patient: contact details and appointments (no clinical content)."""

    patient: PatientView
    upcoming: list[AppointmentView]
    past: list[AppointmentView]


def search(
    uow: UnitOfWork, actor: Principal, text: str | None = None, *, limit: int = 20, offset: int = 0
) -> Page[PatientView]:
    """By name, patient ID, email or phone (partial, any case; phone digits with or without spaces), by name."""
    require_role(actor, *FRONT_DESK, refusal=SEARCH_REFUSAL)
    limit, offset = max(1, min(limit, 100)), max(0, offset)
    text = (text or '').strip() or None
    rows, total = uow.patients.search(text, limit=limit, offset=offset, sort=PatientSort.NAME)
    return Page(items=[PatientView.of(row) for row in rows], total=total, limit=limit, offset=offset)


def patient_detail(
    uow: UnitOfWork, actor: Principal, patient_id: int, *, now: datetime | None = None
) -> DeskPatientDetail:
    """A patient's contact details and appointments, upcoming (soonest first) and past (newest first); audited as
    a look at the patient (the patient's "who looked at my record" lists it)."""
    require_role(actor, *FRONT_DESK, refusal=SEARCH_REFUSAL)
    profile = uow.patients.get(patient_id)
    if profile is None:
        raise NotFound(_('No such patient.'))
    moment = now or clock.now()
    found = views(uow, uow.appointments.find(AppointmentFilter(patient_id=patient_id), limit=500, newest_first=True))
    ended = [a.end <= moment or a.status in FINISHED for a in found]
    upcoming = sorted((a for a, done in zip(found, ended, strict=True) if not done), key=lambda a: (a.start, a.id))
    past = [a for a, done in zip(found, ended, strict=True) if done]
    audit.record(
        uow, 'patient.viewed', actor=actor, object_type='patient', object_id=patient_id, subject_user_id=patient_id
    )
    uow.commit()
    return DeskPatientDetail(patient=PatientView.of(profile), upcoming=upcoming, past=past)


def register(uow: UnitOfWork, actor: Principal, data: DeskPatientIn, *, tasks: Producer | None = None) -> DeskPatient:
    """Register the patient in front of the desk, or raise ``PossibleDuplicate`` (409) listing who they may be,
    unless ``data.confirm_new``; ``EmailTaken`` (409) when the address belongs to an account already. Desk
    registrations are serialised, so two desks registering the same person at once get one patient and one 409."""
    require_role(actor, *FRONT_DESK, refusal=REGISTER_REFUSAL)
    desk = DeskRepository(uow.session)
    desk.lock_registrations()
    duplicates = [PatientView.of(p) for p in desk.born_on(data.dob) if _same_person(p, data, data.email)]
    if duplicates and not data.confirm_new:
        uow.rollback()  # ends the transaction, and with it the lock
        raise PossibleDuplicate(duplicates=duplicates)
    email = accounts.available_email(uow, data.email) if data.email is not None else None
    now = clock.now()
    user = User(
        email=email,
        # Nobody knows this password: the patient chooses theirs through the welcome link (or "Forgot password?").
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=Role.PATIENT,
        name=data.name,
        is_active=True,
        must_change_password=False,
        created_at=now,
        password_changed_at=now,
        verification_pending=False,  # the welcome link, when used, is what proves the address
    )
    try:
        uow.users.add(user)
        profile = PatientProfile(
            user_id=user.id, date_of_birth=data.dob, gender=data.gender, phone=data.phone, address=data.address
        )
        uow.session.add(profile)
        uow.session.flush()
    except CONSTRAINT_VIOLATION as error:  # the address was taken by a registration elsewhere a moment ago
        uow.rollback()
        message = _(accounts.EMAIL_TAKEN)
        raise EmailTaken(message, field_errors={'email': message}) from error
    uow.emit('patient.registered', patient_id=user.id)
    audit.record(
        uow,
        'patient.registered_at_desk',
        actor=actor,
        object_type='patient',
        object_id=user.id,
        subject_user_id=user.id,
        detail={'email': email is not None, 'possible_duplicates': [d.id for d in duplicates]},
    )
    mail = account_links.issue_welcome(uow, user) if email is not None else None
    view = PatientView.of(profile)
    uow.commit()
    if mail is not None:
        account_links.hand_over(tasks, mail)
    return DeskPatient(patient=view, welcome_sent=mail is not None)


def comparable_name(name: str) -> str:
    """A name as the duplicate check compares it: case, accents and spacing ignored ('José  García' = 'jose garcia')."""
    decomposed = unicodedata.normalize('NFKD', name.casefold())
    return ' '.join(''.join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def comparable_phone(phone: str) -> str:
    """The last digits of a phone number: spaces, dashes and the country or trunk prefix ignored."""
    return ''.join(ch for ch in phone if ch.isdigit())[-PHONE_DIGITS_COMPARED:]


def _same_person(profile: PatientProfile, data: DeskPatientIn, email: str | None) -> bool:
    if comparable_name(profile.user.name) != comparable_name(data.name):
        return False
    same_phone = comparable_phone(profile.phone) == comparable_phone(data.phone)
    return same_phone or (email is not None and profile.user.email == email)
