"""Calendars: the "Add to calendar" file of one appointment (its own patient or doctor only), and the doctor's
subscription feed at /calendar/<secret>.ics (initials only, hashed secret, one active feed, revoked -> 404)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import CalendarFeed
from hms.domain.errors import NotAllowed, NotFound
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.services import appointments, calendars, records
from hms.services.principal import Principal

from .api_fixtures import People
from .scheduling_fixtures import Clinic, local

REASON = 'Chest pain when climbing stairs'
DIAGNOSIS = 'Stable angina pectoris'


def book(clinic: Clinic, day: int, hour: int, *, patient: Principal | None = None, reason: str = REASON) -> int:
    with clinic.ctx.uow() as uow:
        view = appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, hour), reason=reason),
        )
    return view.id


def download(clinic: Clinic, actor: Principal, appointment_id: int) -> Calendar:
    with clinic.ctx.uow() as uow:
        found = calendars.appointment_calendar(uow, clinic.ctx.settings, actor, appointment_id)
    assert found.media_type.startswith('text/calendar')
    return Calendar.from_ical(found.content)


def create_feed(clinic: Clinic, doctor: Principal | None = None) -> str:
    with clinic.ctx.uow() as uow:
        return calendars.create_feed(uow, doctor or clinic.doctor).secret


def feed(clinic: Clinic, secret: str) -> Calendar:
    with clinic.ctx.uow() as uow:
        return Calendar.from_ical(calendars.feed_calendar(uow, clinic.ctx.settings, secret).content)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event['uid']): event for event in calendar.walk('VEVENT')}


# --- Add to calendar ------------------------------------------------------------------------------------------------


def test_the_patient_and_the_doctor_download_their_own_appointment(clinic: Clinic) -> None:
    appointment = book(clinic, 3, 10)
    [mine] = download(clinic, clinic.patient, appointment).walk('VEVENT')
    assert str(mine['summary']) == 'Appointment with Meredith Grey'
    assert mine.decoded('dtstart') == local(3, 10)
    assert str(mine['uid']) == f'appointment-{appointment}@hms.local'
    assert str(mine['status']) == 'CONFIRMED'
    assert 'attendee' not in mine and 'organizer' not in mine  # a copy to keep, not an invitation
    doctors_calendar = download(clinic, clinic.doctor, appointment)
    assert str(doctors_calendar['method']) == 'PUBLISH'
    [theirs] = doctors_calendar.walk('VEVENT')
    assert str(theirs['summary']) == 'Appointment: A. L.'
    assert str(theirs['uid']) == str(mine['uid'])
    assert REASON not in doctors_calendar.to_ical().decode()


def test_nobody_downloads_someone_elses_appointment(clinic: Clinic) -> None:
    appointment = book(clinic, 3, 10)
    for stranger in (clinic.other_patient, clinic.other_doctor):
        with pytest.raises(NotFound):
            download(clinic, stranger, appointment)
    with pytest.raises(NotAllowed):
        download(clinic, clinic.admin, appointment)
    with pytest.raises(NotFound):
        download(clinic, clinic.patient, appointment + 1000)


def test_the_download_carries_the_appointments_sequence_and_cancellation(clinic: Clinic) -> None:
    appointment = book(clinic, 3, 10)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, appointment, '')
    [event] = download(clinic, clinic.patient, appointment).walk('VEVENT')
    assert str(event['status']) == 'CANCELLED'
    assert int(event['sequence']) >= 1


# --- The subscription feed --------------------------------------------------------------------------------------------


def test_the_feed_holds_times_initials_and_status_only(clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, 3, 10)
    other = book(clinic, 4, 9, patient=clinic.other_patient, reason='Palpitations')
    cancelled = book(clinic, 5, 11)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, cancelled, '')
    started = book(clinic, 2, 9)
    clock.set(local(2, 9, 10).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        records.complete_visit(
            uow, clinic.ctx.settings, clinic.doctor, started, TreatmentIn.model_validate({'diagnosis': DIAGNOSIS})
        )
    secret = create_feed(clinic)
    calendar = feed(clinic, secret)
    found = events(calendar)
    assert set(found) == {f'appointment-{i}@hms.local' for i in (booked, other, cancelled, started)}
    summaries = {str(event['summary']) for event in calendar.walk('VEVENT')}
    assert summaries == {'Appointment: A. L.', 'Appointment: B. B.'}
    statuses = {int(str(uid).split('-')[1].split('@')[0]): str(e['status']) for uid, e in found.items()}
    assert statuses[cancelled] == 'CANCELLED' and statuses[booked] == 'CONFIRMED'
    text = calendar.to_ical().decode()
    for private in (REASON, 'Palpitations', DIAGNOSIS, 'Ada', 'Lovelace', 'Bob Builder', 'ada@example.com'):
        assert private not in text
    [event] = [e for e in calendar.walk('VEVENT') if str(e['uid']) == f'appointment-{booked}@hms.local']
    assert event.decoded('dtstart') == local(3, 10)
    assert event['dtstart'].to_ical().decode().endswith('Z')  # in UTC


def test_the_secret_is_stored_hashed_and_a_second_feed_revokes_the_first(clinic: Clinic) -> None:
    first = create_feed(clinic)
    assert len(first) == 43  # 256 random bits, URL-safe
    second = create_feed(clinic)
    with clinic.ctx.uow() as uow:
        rows = list(uow.session.scalars(select(CalendarFeed).order_by(CalendarFeed.id)))
    assert [row.secret_hash for row in rows] == [hashlib.sha256(s.encode()).hexdigest() for s in (first, second)]
    assert rows[0].revoked_at is not None and rows[1].revoked_at is None
    assert not any(first in (row.secret_hash or '') for row in rows)
    with pytest.raises(NotFound):
        feed(clinic, first)
    assert feed(clinic, second) is not None
    with clinic.ctx.uow() as uow:
        assert calendars.feed_status(uow, clinic.doctor).active


def test_a_revoked_unknown_or_malformed_secret_finds_nothing(clinic: Clinic) -> None:
    secret = create_feed(clinic)
    with clinic.ctx.uow() as uow:
        assert calendars.revoke_feed(uow, clinic.doctor) is True
    with clinic.ctx.uow() as uow:
        assert calendars.revoke_feed(uow, clinic.doctor) is False
        assert not calendars.feed_status(uow, clinic.doctor).active
    for wrong in (secret, 'A' * 43, 'short', '../../etc/passwd', ''):
        with pytest.raises(NotFound):
            feed(clinic, wrong)


def test_only_doctors_have_a_feed_and_each_their_own(clinic: Clinic) -> None:
    for someone in (clinic.patient, clinic.admin):
        with pytest.raises(NotAllowed), clinic.ctx.uow() as uow:
            calendars.create_feed(uow, someone)
    book(clinic, 3, 10)
    other = create_feed(clinic, clinic.other_doctor)
    assert events(feed(clinic, other)) == {}
    mine = create_feed(clinic)
    assert mine != other and len(events(feed(clinic, mine))) == 1


def test_the_feed_keeps_a_cancellation_for_a_while_only(clinic: Clinic, clock: ManualClock) -> None:
    appointment = book(clinic, 6, 10)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, appointment, '')
    secret = create_feed(clinic)
    assert len(events(feed(clinic, secret))) == 1
    clock.set(datetime(2026, 3, 2, 7, 0, tzinfo=UTC) + calendars.CANCELLED_SHOWN + timedelta(days=1))
    assert events(feed(clinic, secret)) == {}


def test_a_deactivated_doctors_feed_finds_nothing(clinic: Clinic) -> None:
    secret = create_feed(clinic)
    with clinic.ctx.uow() as uow:
        doctor = uow.users.get(clinic.doctor.user_id)
        assert doctor is not None
        doctor.is_active = False
        uow.commit()
    with pytest.raises(NotFound):
        feed(clinic, secret)


# --- Over HTTP --------------------------------------------------------------------------------------------------------


@pytest.fixture
def site(clinic: Clinic) -> Iterator[TestClient]:
    """The web app's own routes (not only /api): the feed lives at /calendar/<secret>.ics."""
    from fastapi import FastAPI

    from pages.account import calendar_feed

    app = FastAPI()
    calendar_feed.register(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_feed_answers_text_calendar_and_404_without_a_hint(clinic: Clinic, site: TestClient) -> None:
    appointment = book(clinic, 3, 10)
    secret = create_feed(clinic)
    response = site.get(f'/calendar/{secret}.ics')
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/calendar')
    assert 'no-store' in response.headers['cache-control']
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk('VEVENT')
    assert str(event['uid']) == f'appointment-{appointment}@hms.local'
    assert str(event['summary']) == 'Appointment: A. L.'
    assert int(event['sequence']) == 0
    with clinic.ctx.uow() as uow:
        calendars.revoke_feed(uow, clinic.doctor)
    answers = [site.get(f'/calendar/{wrong}.ics') for wrong in (secret, 'A' * 43, 'x')]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1  # the same answer: revoked, unknown or malformed


def test_the_api_serves_the_callers_own_appointment_only(clinic: Clinic, people: People, api: TestClient) -> None:
    appointment = book(clinic, 3, 10)
    path = f'/api/appointments/{appointment}/calendar.ics'
    response = api.get(path, headers=people.ada)
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/calendar')
    [event] = Calendar.from_ical(response.content).walk('VEVENT')
    assert str(event['summary']) == 'Appointment with Meredith Grey'
    assert api.get(path, headers=people.grey).status_code == 200
    assert api.get(path, headers=people.bob).status_code == 404
    assert api.get(path, headers=people.shepherd).status_code == 404
    assert api.get(path, headers=people.admin).status_code == 403
    assert api.get(path).status_code == 401


# --- The week grid ----------------------------------------------------------------------------------------------------


def test_the_week_places_appointments_and_free_slots_and_is_the_doctors_own(clinic: Clinic) -> None:
    from datetime import date, time

    from hms.services import week

    appointment = book(clinic, 4, 10)
    with clinic.ctx.uow() as uow:
        shown = week.doctor_week(uow, clinic.ctx.settings, clinic.doctor, first=date(2026, 3, 5))
        others = week.doctor_week(
            uow, clinic.ctx.settings, clinic.other_doctor, first=date(2026, 3, 5), doctor_id=clinic.doctor.user_id
        )
        admins = week.doctor_week(uow, clinic.ctx.settings, clinic.admin, doctor_id=clinic.doctor.user_id)
        with pytest.raises(NotAllowed):
            week.doctor_week(uow, clinic.ctx.settings, clinic.patient, doctor_id=clinic.doctor.user_id)
    assert shown.days[0] == date(2026, 3, 2) and len(shown.days) == 7
    held = shown.cell(date(2026, 3, 4), time(10))
    assert held is not None and held.appointment is not None and held.appointment.id == appointment
    free = shown.cell(date(2026, 3, 3), time(10))
    assert free is not None and free.appointment is None
    assert shown.cell(date(2026, 3, 2), time(7, 30)) is None  # before the clock's 08:00 and outside availability
    assert shown.cell(date(2026, 3, 7), time(10)) is None  # Saturday: no availability
    assert admins.cells.keys() == shown.cells.keys()
    # Another doctor asking for this doctor's week gets their own (empty of this booking).
    assert others.doctor_id == clinic.other_doctor.user_id
    assert all(cell.appointment is None for cell in others.cells.values())
