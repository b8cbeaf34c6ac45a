"""iCalendar (.ics) for appointments: a stable UID per appointment and SEQUENCE raised on each change; SUMMARY and
DESCRIPTION come composed in the reader's language (and say which with the LANGUAGE parameter).

One event builder serves every calendar file: the emailed invitation (METHOD REQUEST or CANCEL, with organizer and
attendee), the "Add to calendar" download and the doctor's subscription feed (METHOD PUBLISH, nobody's address)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

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


@dataclass(frozen=True)
class VEvent:
    """One VEVENT, its content lines already written (``calendar_file`` puts them in a VCALENDAR)."""

    lines: tuple[str, ...]


def appointment_event(facts: AppointmentEvent, *, domain: str = 'hms.local') -> VEvent:
    language = f';LANGUAGE={_parameter(facts.language)}' if facts.language else ''  # of SUMMARY and DESCRIPTION
    lines = [
        'BEGIN:VEVENT',
        f'UID:{_text(event_uid(facts.appointment_id, domain))}',
        f'SEQUENCE:{int(facts.sequence)}',
        f'DTSTAMP:{_moment(facts.stamp)}',
        f'DTSTART:{_moment(facts.start)}',
        f'DTEND:{_moment(facts.end)}',
        f'SUMMARY{language}:{_text(facts.summary)}',
    ]
    if facts.description:
        lines.append(f'DESCRIPTION{language}:{_text(facts.description)}')
    if facts.location:
        lines.append(f'LOCATION:{_text(facts.location)}')
    lines.append(f'STATUS:{"CANCELLED" if facts.cancelled else "CONFIRMED"}')
    if facts.organizer is not None:  # a parameter is one line, quoted
        lines.append(f'ORGANIZER;CN={_parameter(one_line(facts.organizer.name))}:{_address(facts.organizer.email)}')
    if facts.attendee is not None:
        name = _parameter(one_line(facts.attendee.name))
        lines.append(f'ATTENDEE;CN={name};ROLE=REQ-PARTICIPANT:{_address(facts.attendee.email)}')
    lines.append('END:VEVENT')
    return VEvent(tuple(lines))


def calendar_file(events: Iterable[VEvent], *, method: str, name: str = '') -> bytes:
    """A VCALENDAR of ``events``; ``name`` is what subscribing clients show for the calendar."""
    lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', f'PRODID:{_text(PRODID)}', f'METHOD:{_text(method)}']
    if name:
        lines.append(f'X-WR-CALNAME:{_text(one_line(name))}')
    for event in events:
        lines.extend(event.lines)
    lines.append('END:VCALENDAR')
    return b''.join(_fold(line) for line in lines)


# --- RFC 5545 content lines, written directly (building icalendar's objects cost more than the rest of an email) --

_CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f]')  # not allowed in a value; line breaks are escaped instead
_LINE_BREAK = re.compile('\r\n|\r|\n')
_SAFE_PARAMETER = re.compile('[A-Za-z0-9-]*')


def _text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = _CONTROL.sub('', value.replace('\\', '\\\\').replace(';', '\\;').replace(',', '\\,'))
    return _LINE_BREAK.sub('\\\\n', value)


def _parameter(value: str) -> str:
    """A parameter value, quoted unless plain; a double quote, a caret and a line break as RFC 6868 writes them."""
    if _SAFE_PARAMETER.fullmatch(value):
        return value
    value = _LINE_BREAK.sub('^n', value.replace('^', '^^').replace('"', "^'"))
    return f'"{_CONTROL.sub("", value)}"'


def _address(email: str) -> str:
    """A CAL-ADDRESS (a URI: never escaped as text, but one line)."""
    return 'mailto:' + _CONTROL.sub('', _LINE_BREAK.sub('', email))


def _moment(value: datetime) -> str:
    """A DATE-TIME in UTC ('20260302T070000Z'); a naive one is written as it is (floating time)."""
    if value.tzinfo is None:
        return value.strftime('%Y%m%dT%H%M%S')
    return value.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')


def _fold(line: str) -> bytes:
    """The line ended by CRLF, folded after 75 octets (continuations start with a space), never inside a UTF-8
    character."""
    data = line.encode()
    if len(data) <= 75:
        return data + b'\r\n'
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74
    return b'\r\n '.join(parts) + b'\r\n'


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
