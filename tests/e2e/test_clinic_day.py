"""A whole clinic day in a real browser against a real server (`python main.py`): a booked patient and a walk-in
arrive at the front desk, the waiting-room board (a screen with no one signed in) shows their tickets, the doctor
calls both in, in order, with Call next and completes the visits, prints the prescription, and the document's QR page
says it is genuine and current. The accounts, the doctor's hours and the booking are set up through the API; every
step of the day is done in the browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from .browsing import DESKTOP, Browsing, Clinic
from .checks import DOCTOR_PASSWORD, PATIENT_PASSWORD, Shoot, arrived, go, reachable, sign_in, step

DESK_PASSWORD = 'copper-heron-lattice-58'
PUSHED_MS = 10_000  # a liveness bound on a loaded machine (the board is pushed, never polled)


@dataclass(frozen=True)
class Day:
    doctor: str
    doctor_email: str
    desk_email: str
    booked: str
    walk_in: str
    walk_in_id: int
    board_url: str


def _bearer(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = client.post('/login', json={'email': email, 'password': password})
    return {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}


def _take_over(client: httpx.Client, email: str, initial: str, password: str) -> dict[str, str]:
    """A new staff account's first sign-in: the one-time password is replaced."""
    headers = _bearer(client, email, initial)
    changed = client.post('/me/password', json={'current_password': initial, 'new_password': password}, headers=headers)
    changed.raise_for_status()
    return _bearer(client, email, password)


def set_up_the_day(clinic: Clinic) -> Day:
    """Admin: a department, a doctor with hours today from 08:00, a receptionist and a board; a patient who booked
    08:00 online, and one the desk registered without an email address (who walks in)."""
    zone = ZoneInfo(clinic.zone)
    today = datetime.now(UTC).astimezone(zone).date()
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as client:
        admin = _bearer(client, clinic.admin_email, clinic.admin_password)
        department = client.post('/admin/departments', json={'name': 'General practice'}, headers=admin)
        department_id = department.raise_for_status().json()['id']
        added = client.post(
            '/admin/doctors',
            headers=admin,
            json={
                'name': 'Lena Marsh',
                'email': 'lena.marsh@riverside.test',
                'department_id': department_id,
                'consultation_minutes': 30,
            },
        )
        added.raise_for_status()
        doctor = _take_over(client, 'lena.marsh@riverside.test', added.json()['initial_password'], DOCTOR_PASSWORD)
        hours = {'weekly': [{'weekday': today.weekday(), 'start': '08:00', 'end': '12:00'}], 'overrides': []}
        client.put('/doctor/availability', json=hours, headers=doctor).raise_for_status()
        doctor_id = client.get('/me', headers=doctor).raise_for_status().json()['user_id']

        desk = client.post(
            '/admin/receptionists', json={'name': 'Omar Desk', 'email': 'omar.desk@riverside.test'}, headers=admin
        )
        desk.raise_for_status()
        _take_over(client, 'omar.desk@riverside.test', desk.json()['initial_password'], DESK_PASSWORD)
        board = client.post('/admin/boards', json={'department_id': department_id}, headers=admin)
        board_url = board.raise_for_status().json()['url']

        client.post(
            '/register',
            json={
                'name': 'Greta Booked',
                'email': 'greta.booked@example.test',
                'password': PATIENT_PASSWORD,
                'dob': '1979-05-02',
                'phone': '+49 30 5550101',
                'address': '3 Mill Lane',
                'gender': 'female',
            },
        ).raise_for_status()
        patient = _bearer(client, 'greta.booked@example.test', PATIENT_PASSWORD)
        start = datetime.combine(today, time(8, 0), tzinfo=zone).isoformat()
        booking = client.post(
            '/appointments', json={'doctor_id': doctor_id, 'start': start, 'reason': 'Cough'}, headers=patient
        )
        booking.raise_for_status()
        walk_in = client.post(
            '/reception/patients',
            json={'name': 'Walter Walkin', 'dob': '1990-11-23', 'phone': '+49 30 5550199'},
            headers=admin,
        )
        walk_in_id = walk_in.raise_for_status().json()['patient']['id']
    return Day(
        doctor='Lena Marsh',
        doctor_email='lena.marsh@riverside.test',
        desk_email='omar.desk@riverside.test',
        booked='Greta Booked',
        walk_in='Walter Walkin',
        walk_in_id=walk_in_id,
        board_url=board_url,
    )


def ticket_of(message: str) -> str:
    found = re.search(r'ticket ([A-Z]+-\d+)', message)
    assert found, message
    return found.group(1)


def complete_visit(doctor: Page, diagnosis: str, medicine: str | None) -> None:
    doctor.get_by_label('Diagnosis', exact=True).fill(diagnosis)
    doctor.get_by_label('Treatment given', exact=True).fill('Examined')
    if medicine:
        reachable(doctor.get_by_role('button', name='Add medicine')).click()
        doctor.get_by_label('Medicine', exact=True).fill(medicine)
        doctor.get_by_label('Dose', exact=True).fill('1 tablet')
        doctor.get_by_label('Frequency', exact=True).fill('three times a day')
        doctor.get_by_label('Duration', exact=True).fill('5 days')
    reachable(doctor.get_by_role('button', name='Complete visit')).click()
    expect(doctor.get_by_role('heading', name='Treatment record')).to_be_visible()


def test_a_clinic_day_from_the_desk_to_the_prescription(
    browser: Browser, clinic: Clinic, shoot: Shoot, tmp_path: Path
) -> None:
    day = set_up_the_day(clinic)
    people = Browsing(browser=browser, base_url=clinic.url, device=DESKTOP)
    log_offset = clinic.server.log_size()

    # The waiting-room screen: a device link, no one signed in, no names.
    screen = people.page('board')
    screen.goto(day.board_url)
    expect(screen.get_by_role('heading', level=1)).to_have_text('General practice')
    card = screen.locator('.hms-card').filter(has=screen.get_by_role('heading', name=day.doctor))
    expect(card).to_contain_text('No one waiting.')

    # The front desk checks the booked patient in, then adds the walk-in.
    desk = people.page('desk')
    sign_in(desk, day.desk_email, DESK_PASSWORD)
    arrived(desk, 'Today at the desk')
    reachable(desk.get_by_role('button', name=re.compile(rf'^Check in {day.booked}'))).click()
    checked_in = desk.get_by_text(re.compile(rf'{day.booked} is checked in: ticket'))
    expect(checked_in).to_be_visible()
    booked_ticket = ticket_of(checked_in.inner_text())
    step(desk, shoot, 'desk-checked-in')
    expect(card).to_contain_text(booked_ticket, timeout=PUSHED_MS)

    desk.goto(f'/reception/book?patient={day.walk_in_id}')
    arrived(desk, 'Book for a patient')
    desk.get_by_label('Doctor', exact=True).click()
    desk.get_by_role('option', name=re.compile(day.doctor)).click()
    desk.get_by_label('Reason for the visit (required)', exact=True).fill('Sprained ankle')
    reachable(desk.get_by_role('button', name='Add as walk-in now')).click()
    added = desk.get_by_text(re.compile(r'Walk-in added at 08:30: ticket'))
    expect(added).to_be_visible()
    walk_in_ticket = ticket_of(added.inner_text())
    step(desk, shoot, 'desk-walk-in')
    expect(card).to_contain_text(walk_in_ticket, timeout=PUSHED_MS)
    assert day.booked not in screen.content() and day.walk_in not in screen.content()
    step(screen, shoot, 'board-two-waiting')

    # The doctor calls them in, in order of their times, and completes both visits.
    doctor = people.page('doctor')
    sign_in(doctor, day.doctor_email, DOCTOR_PASSWORD)
    arrived(doctor, 'My day')
    expect(doctor.get_by_text('2 patients waiting')).to_be_visible()
    reachable(doctor.get_by_role('button', name='Call next')).click()
    expect(doctor.get_by_text(f'Calling {day.booked} ({booked_ticket}) in.')).to_be_visible()
    expect(screen.get_by_role('status')).to_contain_text(booked_ticket, timeout=PUSHED_MS)
    step(screen, shoot, 'board-now-calling')
    reachable(doctor.get_by_role('link', name=f'Open the appointment of 08:00 with {day.booked}')).click()
    arrived(doctor, f'Visit: {day.booked}')
    complete_visit(doctor, 'Acute bronchitis', 'Ambroxol 30 mg')
    step(doctor, shoot, 'doctor-first-visit-completed')

    go(doctor, 'My day')
    reachable(doctor.get_by_role('button', name='Call next')).click()
    expect(doctor.get_by_text(f'Calling {day.walk_in} ({walk_in_ticket}) in.')).to_be_visible()
    expect(screen.get_by_role('status')).to_contain_text(walk_in_ticket, timeout=PUSHED_MS)
    reachable(doctor.get_by_role('link', name=f'Open the appointment of 08:30 with {day.walk_in}')).click()
    arrived(doctor, f'Visit: {day.walk_in}')
    complete_visit(doctor, 'Ankle sprain', None)
    go(doctor, 'My day')
    expect(doctor.get_by_text('Nobody is waiting.')).to_be_visible()
    expect(card).to_contain_text('No one waiting.', timeout=PUSHED_MS)

    # The prescription of the first visit, printed, and its QR code's page.
    first_visit = doctor.get_by_role('link', name=f'Open the appointment of 08:00 with {day.booked}')
    reachable(first_visit).click()
    arrived(doctor, f'Visit: {day.booked}')
    reachable(doctor.get_by_role('link', name=re.compile(r'^Prescription of the visit of'))).click()
    expect(doctor.get_by_role('cell', name='Ambroxol 30 mg')).to_be_visible()
    expect(doctor.get_by_text('Version 1, written')).to_be_visible()
    step(doctor, shoot, 'prescription')
    told = doctor.get_by_text(re.compile(r'scan the QR code')).inner_text()
    verify_link = re.search(r'/verify/\S+', told)
    assert verify_link, f'the prescription names its verification address: {told}'

    checker = people.page('pharmacist')
    checker.goto(verify_link.group(0))  # the address as HMS_PUBLIC_URL names it, on this server
    expect(checker.get_by_text('Genuine document')).to_be_visible()
    expect(checker.get_by_text('Version 1 of 1: this is the current version.')).to_be_visible()
    assert 'Ambroxol' not in checker.content() and day.booked not in checker.content()
    step(checker, shoot, 'verified')

    people.close(tmp_path)
    assert people.errors == [], '\n'.join(people.errors)
    assert clinic.server.errors_since(log_offset) == []
