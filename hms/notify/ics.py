"""iCalendar (.ics) for appointments: a stable UID per appointment and SEQUENCE raised on each change; SUMMARY and
DESCRIPTION come composed in the reader's language (and say which with the LANGUAGE parameter).

One event builder serves every calendar file: the emailed invitation (METHOD REQUEST or CANCEL, with organizer and
attendee), the "Add to calendar" download and the doctor's subscription feed (METHOD PUBLISH, nobody's address)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from hms.domain.text import one_line

PRODID = '-//HMS//Clinic appointments//EN'
PUBLISH = 'PUBLISH'  # a copy to keep (download, feed); not an invitation to answer


@dataclass(frozen=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True)
class AppointmentEvent:
    """What one VEVENT says. ``summary`` and ``description`` never carry the reason or clinical detail."""

    appointment_id: int
    sequence: int
    start: datetime
    end: datetime
    summary: str
    cancelled: bool
    stamp: datetime
    location: str = ''
    description: str = ''
    language: str = ''
    organizer: Person | None = None
    attendee: Person | None = None


def event_uid(appointment_id: int, domain: str = 'hms.local') -> str:
    """The same UID in every file about one appointment, so that calendars update the event instead of adding one."""
    return f'appointment-{appointment_id}@{domain}'


def appointment_event(facts: AppointmentEvent, *, domain: str = 'hms.local') -> Event:
    event = Event()
    event.add('uid', event_uid(facts.appointment_id, domain))
    event.add('sequence', facts.sequence)
    event.add('dtstamp', facts.stamp)
    event.add('dtstart', facts.start)
    event.add('dtend', facts.end)
    text = {'LANGUAGE': facts.language} if facts.language else {}  # the language of SUMMARY and DESCRIPTION
    event.add('summary', facts.summary, parameters=text)
    if facts.description:
        event.add('description', facts.description, parameters=text)
    if facts.location:
        event.add('location', vText(facts.location))
    event.add('status', 'CANCELLED' if facts.cancelled else 'CONFIRMED')
    if facts.organizer is not None:
        organizer = vCalAddress(f'mailto:{facts.organizer.email}')
        organizer.params['cn'] = vText(one_line(facts.organizer.name))  # a parameter is one line; icalendar quotes
        event['organizer'] = organizer
    if facts.attendee is not None:
        attendee = vCalAddress(f'mailto:{facts.attendee.email}')
        attendee.params['cn'] = vText(one_line(facts.attendee.name))
        attendee.params['role'] = vText('REQ-PARTICIPANT')
        event.add('attendee', attendee, encode=False)
    return event


def calendar_file(events: Iterable[Event], *, method: str, name: str = '') -> bytes:
    """A VCALENDAR of ``events``; ``name`` is what subscribing clients show for the calendar."""
    calendar = Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('method', method)
    if name:
        calendar.add('x-wr-calname', one_line(name))
    for event in events:
        calendar.add_component(event)
    content: bytes = calendar.to_ical()  # icalendar leaves it untyped
    return content


def appointment_ics(
    *,
    appointment_id: int,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str = '',
    language: str = '',
    location: str,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
    cancelled: bool,
    domain: str = 'hms.local',
    stamp: datetime,
) -> bytes:
    """The emailed invitation: METHOD REQUEST (CANCEL once cancelled), from the clinic to the patient."""
    facts = AppointmentEvent(
        appointment_id=appointment_id,
        sequence=sequence,
        start=start,
        end=end,
        summary=summary,  # 'Appointment with Dr X' - never the reason or clinical detail
        cancelled=cancelled,
        stamp=stamp,
        location=location,
        description=description,
        language=language,
        organizer=Person(organizer_email, organizer_name),
        attendee=Person(attendee_email, attendee_name),
    )
    method = 'CANCEL' if cancelled else 'REQUEST'
    return calendar_file([appointment_event(facts, domain=domain)], method=method)
