"""iCalendar (.ics) for an appointment: a stable UID per appointment and SEQUENCE raised on each change; SUMMARY and
DESCRIPTION come composed in the recipient's language (and say which with the LANGUAGE parameter)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from hms.domain.text import one_line

PRODID = '-//HMS//Clinic appointments//EN'


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
    calendar = Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('method', 'CANCEL' if cancelled else 'REQUEST')
    event = Event()
    event.add('uid', f'appointment-{appointment_id}@{domain}')
    event.add('sequence', sequence)
    event.add('dtstamp', stamp)
    event.add('dtstart', start)
    event.add('dtend', end)
    text = {'LANGUAGE': language} if language else {}  # the language of SUMMARY and DESCRIPTION (RFC 5545)
    event.add('summary', summary, parameters=text)  # 'Appointment with Dr X' - never the reason or clinical detail
    if description:
        event.add('description', description, parameters=text)
    event.add('location', vText(location))
    event.add('status', 'CANCELLED' if cancelled else 'CONFIRMED')
    organizer = vCalAddress(f'mailto:{organizer_email}')
    organizer.params['cn'] = vText(one_line(organizer_name))  # a parameter is one line; icalendar quotes the rest
    event['organizer'] = organizer
    attendee = vCalAddress(f'mailto:{attendee_email}')
    attendee.params['cn'] = vText(one_line(attendee_name))
    attendee.params['role'] = vText('REQ-PARTICIPANT')
    event.add('attendee', attendee, encode=False)
    calendar.add_component(event)
    content: bytes = calendar.to_ical()  # icalendar leaves it untyped
    return content
