"""Calendar pages through NiceGUI's simulated user: "Add to calendar" on the patient's and the doctor's upcoming
appointment, the doctor's calendar subscription on their account page, and the week grid (the doctor's, and the
administrator's page of a doctor).

``user`` comes first: it runs main.py; ``clinic`` then sets the Berlin clinic and its clock (Monday 2 March 2026,
08:00 in Berlin)."""

from __future__ import annotations

from icalendar import Calendar
from nicegui import ui
from nicegui.testing import User

from hms.domain.scheduling import BookingIn
from hms.services import appointments, calendars
from hms.services.principal import Principal

from .page_steps import as_admin, as_doctor, as_patient, element, see
from .scheduling_fixtures import Clinic, local


def book(clinic: Clinic, day: int, hour: int, minute: int = 0, *, patient: Principal | None = None) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, hour, minute), reason='Fever'),
        )
    return booked.id


async def downloaded_event(user: User) -> object:
    response = await user.download.next(timeout=30)  # a busy machine is slow, not wrong
    [event] = Calendar.from_ical(response.content).walk('VEVENT')
    return event


async def test_the_patient_adds_an_upcoming_appointment_to_the_calendar(user: User, clinic: Clinic) -> None:
    appointment = book(clinic, 3, 10)
    await as_patient(user)
    await user.open('/patient/appointments')
    with user.scope(marker=f'appointment-{appointment}'):
        await see(user, marker='add-to-calendar')
        user.find(marker='add-to-calendar').click()
    event = await downloaded_event(user)
    assert str(event['uid']) == f'appointment-{appointment}@hms.local'
    assert str(event['summary']) == 'Appointment with Meredith Grey'


async def test_the_doctor_adds_an_upcoming_visit_to_the_calendar(user: User, clinic: Clinic) -> None:
    appointment = book(clinic, 3, 10)
    await as_doctor(user, clinic)
    await user.open(f'/doctor/appointments/{appointment}')
    await see(user, marker='add-to-calendar')
    user.find(marker='add-to-calendar').click()
    event = await downloaded_event(user)
    assert str(event['summary']) == 'Appointment: A. L.'


async def test_the_doctor_creates_copies_and_revokes_the_subscription(user: User, clinic: Clinic) -> None:
    await as_doctor(user, clinic)
    await user.open('/profile')
    await see(user, 'Calendar subscription')
    await see(user, marker='feed-none')
    user.find(marker='create-feed').click()
    await see(user, marker='feed-address')
    address = element(user, marker='feed-address').value
    assert address.startswith('http') and '/calendar/' in address and address.endswith('.ics')
    secret = address.rsplit('/', 1)[1].removesuffix('.ics')
    response = await user.http_client.get(f'/calendar/{secret}.ics')
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/calendar')
    await see(user, marker='copy-feed')
    user.find(marker='revoke-feed').click()
    await see(user, marker='confirm-revoke-feed')
    user.find(marker='confirm-revoke-feed').click()
    await see(user, marker='feed-none')
    assert (await user.http_client.get(f'/calendar/{secret}.ics')).status_code == 404
    with clinic.ctx.uow() as uow:
        assert not calendars.feed_status(uow, clinic.doctor).active


async def test_a_patient_has_no_subscription_section(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await user.open('/profile')
    await see(user, 'Change password')
    await user.should_not_see(marker='calendar-feed')


async def test_the_week_grid_places_appointments_shows_free_slots_and_opens_the_visit(
    user: User, clinic: Clinic
) -> None:
    appointment = book(clinic, 4, 10)  # Wednesday 4 March, 10:00
    await as_doctor(user, clinic)
    await user.open('/doctor/week')
    await see(user, marker='week-grid')
    with user.scope(marker='week-cell-2026-03-04-1000'):
        await see(user, 'Ada Lovelace')
        await see(user, 'Booked')
    with user.scope(marker='week-cell-2026-03-03-1000'):  # Tuesday 10:00: nobody booked it
        await see(user, 'Free')
    with user.scope(marker='week-cell-2026-03-07-1000'):  # Saturday: no availability, an empty cell
        await user.should_not_see('Free', retries=1)
    await see(user, marker='week-today')
    user.find(marker='week-next').click()
    await see(user, marker='week-cell-2026-03-09-0900')
    await user.should_not_see(marker=f'week-appointment-{appointment}')
    user.find(marker='week-previous').click()
    await see(user, marker=f'week-appointment-{appointment}')
    user.find(marker=f'week-appointment-{appointment}').click()
    await see(user, 'Visit: Ada Lovelace')


async def test_the_administrator_sees_a_doctors_week_without_links(user: User, clinic: Clinic) -> None:
    appointment = book(clinic, 4, 10)
    await as_admin(user)
    await user.open(f'/admin/doctors/{clinic.doctor.user_id}')
    await see(user, marker='week-grid')
    with user.scope(marker='week-cell-2026-03-04-1000'):
        await see(user, 'Ada Lovelace')
    assert not [e for e in user.find(marker=f'week-appointment-{appointment}').elements if isinstance(e, ui.link)]


async def test_a_patient_cannot_open_the_week(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await user.open('/doctor/week')
    await see(user, 'You do not have access to this page.')
