"""The admin's long lists in a real browser at a 1280-px laptop and a 390-px phone: every action button of a list's
first row is on screen inside its table (the actions column stays at the end while the rest scrolls sideways), can
be clicked (nothing covers it), and the page itself never scrolls sideways."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from .browsing import Browsing, Clinic
from .checks import PATIENT_PASSWORD, fits, sign_in

# Where the button is against its table's scrolling box (Quasar's .q-table__middle) and the viewport, after the
# page (not the table) is scrolled to it: a button clipped by the table's edge or the screen's is out of reach.
PLACE = """button => {
    if (!button.isConnected) return null;  // the table was drawn again meanwhile: look again
    button.scrollIntoView({block: 'center', inline: 'nearest'});
    const box = button.getBoundingClientRect();
    const scroller = button.closest('.q-table__middle');
    const frame = scroller.getBoundingClientRect();
    return {
        inTable: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5,
        onScreen: box.left >= 0 && box.right <= window.innerWidth + 0.5,
        scrolledSideways: scroller.scrollLeft,
        box: [box.left, box.right], table: [frame.left, frame.right], width: window.innerWidth,
    };
}"""


@pytest.fixture(scope='module')
def patient_id(clinic: Clinic) -> int:
    return a_booked_appointment(clinic, 'lists')


def a_booked_appointment(clinic: Clinic, tag: str) -> int:
    """A department, a doctor available every day and a patient who books the first free slot, made through the API;
    the patient's id (the appointments list is opened filtered to them)."""
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as client:
        login = client.post('/login', json={'email': clinic.admin_email, 'password': clinic.admin_password})
        admin = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        department = client.post('/admin/departments', json={'name': f'Lists {tag}'}, headers=admin)
        doctor_email = f'lists.doctor.{tag}@riverside.test'
        added = client.post(
            '/admin/doctors',
            headers=admin,
            json={
                'name': f'Lists Doctor {tag.title()} With A Rather Long Name',
                'email': doctor_email,
                'department_id': department.raise_for_status().json()['id'],
            },
        )
        doctor = added.raise_for_status().json()
        login = client.post('/login', json={'email': doctor_email, 'password': doctor['initial_password']})
        doctor_auth = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        client.post(
            '/me/password',
            json={'current_password': doctor['initial_password'], 'new_password': f'{PATIENT_PASSWORD}-doctor'},
            headers=doctor_auth,
        ).raise_for_status()
        login = client.post('/login', json={'email': doctor_email, 'password': f'{PATIENT_PASSWORD}-doctor'})
        doctor_auth = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        weekly = [{'weekday': day, 'start': '06:00', 'end': '22:00'} for day in range(7)]
        client.put('/doctor/availability', json={'weekly': weekly}, headers=doctor_auth).raise_for_status()
        patient_email = f'lists.patient.{tag}@example.test'
        client.post(
            '/register',
            json={
                'name': f'Lists Patient {tag.title()}',
                'email': patient_email,
                'password': PATIENT_PASSWORD,
                'dob': '1990-01-01',
                'phone': '+49 30 7654321',
                'address': '1 Quay',
                'gender': 'female',
            },
        ).raise_for_status()
        login = client.post('/login', json={'email': patient_email, 'password': PATIENT_PASSWORD})
        patient = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        doctor_id = doctor['doctor']['id']
        tomorrow, week = date.today() + timedelta(days=1), date.today() + timedelta(days=7)
        days = {'first': str(tomorrow), 'last': str(week)}
        slots = client.get(f'/doctors/{doctor_id}/slots', params=days, headers=patient)
        start = slots.raise_for_status().json()[0]['start']
        booked = client.post(
            '/appointments', json={'doctor_id': doctor_id, 'start': start, 'reason': 'Check-up'}, headers=patient
        )
        return int(booked.raise_for_status().json()['patient_id'])


def first_row_buttons(page: Page) -> Locator:
    row = page.locator('.q-table tbody tr').first
    expect(row).to_be_visible()
    return row.locator('button')


@pytest.mark.parametrize('path', ['/admin/doctors', '/admin/departments', '/admin/appointments'])
def test_the_first_rows_actions_are_on_screen(browsing: Browsing, clinic: Clinic, patient_id: int, path: str) -> None:
    page = browsing.page('admin')
    sign_in(page, clinic.admin_email, clinic.admin_password)
    page.goto(f'{path}?status=booked&patient={patient_id}' if path.endswith('appointments') else path)
    buttons = first_row_buttons(page)
    expect(buttons.first).to_be_visible()
    assert buttons.count() >= 1
    for index in range(buttons.count()):
        button = buttons.nth(index)
        place = None
        for _attempt in range(50):
            place = button.evaluate(PLACE)
            if place is not None:
                break
            page.wait_for_timeout(100)
        assert place is not None, f'{path}: the first row never settled'
        assert place['inTable'] and place['onScreen'], f'{path}: button {index} clipped: {place}'
        assert place['scrolledSideways'] == 0, f'{path}: reached only by scrolling the table sideways: {place}'
        button.click(trial=True)  # enabled and not covered by anything (a sticky cell's neighbours, the header)
    fits(page)
