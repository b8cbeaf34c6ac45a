"""Calendars: the "Add to calendar" file of one appointment for its own patient or doctor, and each doctor's
subscription feed (``/calendar/<secret>.ics``).

A feed is reached by its secret alone (calendar apps send no credentials), so it says as little as it can: times,
the patient's initials and the status, never names, reasons or clinical content. Only the secret's SHA-256 is kept;
a doctor has at most one active feed, and creating a new one revokes the old."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, CalendarFeed
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import NotFound
from hms.i18n import N_, _, current_language
from hms.notify.ics import PUBLISH, AppointmentEvent, appointment_event, calendar_file
from hms.security.tokens import hash_token, new_token

from . import appointments, audit, notices, reminders
from .principal import Principal, require_role

MEDIA_TYPE = 'text/calendar; charset=utf-8'
FEED_PAST = timedelta(weeks=4)
FEED_AHEAD = timedelta(days=183)
CANCELLED_SHOWN = timedelta(days=30)  # a cancellation stays in the feed this long, so that subscribers drop the event
FEED_LIMIT = 5000
SECRET_SHAPE = re.compile(r'[A-Za-z0-9_-]{43}')  # new_token(): 32 random bytes, URL-safe base64


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    content: bytes
    media_type: str = MEDIA_TYPE


@dataclass(frozen=True)
class FeedStatus:
    active: bool
    created_at: datetime | None = None


@dataclass(frozen=True)
class NewFeed:
    """A feed just created: the secret is shown this once and never again (only its hash is kept)."""

    secret: str
    created_at: datetime


def initials(name: str) -> str:
    """'Ada Lovelace' -> 'A. L.': the first letters of the first and last words."""
    words = name.split()
    if not words:
        return '?'
    chosen = words if len(words) < 2 else [words[0], words[-1]]
    return ' '.join(f'{word[0].upper()}.' for word in chosen)


def _doctor_event(settings: Settings, appointment: Appointment, patient_name: str) -> AppointmentEvent:
    """The doctor's event of an appointment, in the language in force: the patient's initials, nothing clinical."""
    return AppointmentEvent(
        appointment_id=appointment.id,
        sequence=appointment.sequence,
        start=appointment.start_at,
        end=appointment.end_at,
        summary=_('Appointment: {initials}', initials=initials(patient_name)),
        language=current_language(),
        location=reminders.clinic_location(settings),
        cancelled=appointment.status is AppointmentStatus.CANCELLED,
        stamp=clock.now(),
    )


def appointment_calendar(uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int) -> CalendarFile:
    """The .ics of one appointment for its own patient (as the invitation reads) or its own doctor (initials only);
    anyone else's appointment does not exist for the caller."""
    require_role(
        actor,
        Role.PATIENT,
        Role.DOCTOR,
        refusal=N_('Only the patient and the doctor of an appointment can add it to their calendar.'),
    )
    appointments.get_appointment(uow, actor, appointment_id)  # the one ownership rule: NotFound unless one's own
    if actor.role is Role.PATIENT:
        facts = reminders.appointment_facts(uow, appointment_id)
        if facts is None:
            raise NotFound(_('No such appointment.'))
        cancelled = facts.status is AppointmentStatus.CANCELLED
        event = replace(reminders.invitation_event(settings, facts, cancelled=cancelled), organizer=None, attendee=None)
    else:
        appointment = uow.appointments.get(appointment_id)
        if appointment is None:
            raise NotFound(_('No such appointment.'))
        patient_name = uow.patients_names({appointment.patient_id}).get(appointment.patient_id, '')
        event = _doctor_event(settings, appointment, patient_name)
    content = calendar_file([appointment_event(event)], method=PUBLISH)
    return CalendarFile(f'appointment-{appointment_id}.ics', content)


# --- The doctor's subscription feed -----------------------------------------------------------------------------------


def _doctor(actor: Principal) -> None:
    require_role(actor, Role.DOCTOR, refusal=N_('Only doctors have a calendar subscription.'))


def feed_status(uow: UnitOfWork, actor: Principal) -> FeedStatus:
    _doctor(actor)
    feed = uow.calendar_feeds.active_for(actor.user_id)
    return FeedStatus(active=True, created_at=feed.created_at) if feed else FeedStatus(active=False)


def create_feed(uow: UnitOfWork, actor: Principal) -> NewFeed:
    """A new feed for the acting doctor; the active one, if any, stops working at once."""
    _doctor(actor)
    now = clock.now()
    uow.doctors.lock(actor.user_id)  # two creations at once: one waits, then revokes the other's feed
    replaced = uow.calendar_feeds.revoke_active(actor.user_id, now)
    secret = new_token()
    feed = uow.calendar_feeds.add(CalendarFeed(doctor_id=actor.user_id, secret_hash=hash_token(secret), created_at=now))
    audit.record(
        uow,
        'calendar_feed.create',
        actor=actor,
        object_type='calendar_feed',
        object_id=feed.id,
        detail={'replaced': replaced},
    )
    uow.commit()
    return NewFeed(secret=secret, created_at=now)


def revoke_feed(uow: UnitOfWork, actor: Principal) -> bool:
    """Stop the acting doctor's feed; False when there was none."""
    _doctor(actor)
    revoked = uow.calendar_feeds.revoke_active(actor.user_id, clock.now())
    if revoked:
        audit.record(uow, 'calendar_feed.revoke', actor=actor, object_type='calendar_feed')
        uow.commit()
    return revoked > 0


def _feed_holds(appointment_status: AppointmentStatus, cancelled_at: datetime | None, now: datetime) -> bool:
    if appointment_status is not AppointmentStatus.CANCELLED:
        return True
    return cancelled_at is not None and cancelled_at >= now - CANCELLED_SHOWN


def feed_calendar(uow: UnitOfWork, settings: Settings, secret: str) -> CalendarFile:
    """The feed of the doctor whose active feed has this secret: their appointments from some weeks back to some
    months ahead (recent cancellations marked CANCELLED), in the doctor's language. Anything else is NotFound, with
    the same answer whether the secret is malformed, unknown, revoked or the doctor deactivated."""
    if not SECRET_SHAPE.fullmatch(secret):
        raise NotFound()
    feed = uow.calendar_feeds.active_by_hash(hash_token(secret))
    doctor = uow.doctors.get(feed.doctor_id) if feed else None
    if feed is None or doctor is None or not doctor.user.is_active:
        raise NotFound()
    now = clock.now()
    criteria = AppointmentFilter(start_from=now - FEED_PAST, start_to=now + FEED_AHEAD, doctor_id=feed.doctor_id)
    found = [
        a
        for a in uow.appointments.find(criteria, limit=FEED_LIMIT)
        if _feed_holds(AppointmentStatus(a.status), a.cancelled_at, now)
    ]
    names = uow.patients_names({a.patient_id for a in found})
    with notices.speaking(uow, feed.doctor_id):
        events = [appointment_event(_doctor_event(settings, a, names.get(a.patient_id, ''))) for a in found]
        name = _('{clinic}: my appointments', clinic=settings.clinic_name)
    return CalendarFile('appointments.ics', calendar_file(events, method=PUBLISH, name=name))
