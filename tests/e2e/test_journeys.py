"""The whole clinic in a real browser against a real server (`python main.py`): the admin sets up a department and
a doctor, the doctor takes over the account and publishes hours, a patient registers, books and reschedules, the
doctor records the visit with a prescription, the patient reads and exports it, and an admin dashboard open in a
second browser the whole time follows along live. Once at a desktop size and once at a phone's (in dark mode); at
each key step the page must fit the screen's width, name every control and keep AA contrast (checks.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .browsing import Browsing, Clinic
from .checks import DOCTOR_PASSWORD, PATIENT_PASSWORD, Shoot, arrived, go, reachable, sign_in, sign_in_by_keyboard, step

EXPORT_LIMIT_MS = 60_000  # the worker writes the file; generous on a busy machine


@dataclass(frozen=True)
class People:
    department: str
    doctor: str
    doctor_email: str
    patient: str
    patient_email: str


PEOPLE = {
    'desktop': People(
        'Dermatology', 'Ada Whitfield', 'ada.whitfield@riverside.test', 'Noor Haddad', 'noor.haddad@example.test'
    ),
    'phone': People('Neurology', 'Iris Okafor', 'iris.okafor@riverside.test', 'Tomas Berg', 'tomas.berg@example.test'),
}


# --- Helpers ------------------------------------------------------------------------------------------------------


def dialog(page: Page) -> Locator:
    return page.get_by_role('dialog')


def figure(page: Page, label: str) -> Locator:
    """A headline figure of the admin dashboard (the card that holds its label)."""
    return page.locator('.q-card').filter(has=page.get_by_text(label, exact=True))


def figure_value(page: Page, label: str) -> int:
    card = figure(page, label)
    expect(card).to_have_text(re.compile(rf'{re.escape(label)}\s*[\d,]+'))
    return int(card.inner_text().replace(label, '').strip().replace(',', ''))


# --- The journey ----------------------------------------------------------------------------------------------------


def test_clinic_journey(browsing: Browsing, clinic: Clinic, shoot: Shoot, request: pytest.FixtureRequest) -> None:
    people = PEOPLE[request.node.callspec.params['browsing']]
    today = datetime.now(UTC).astimezone(ZoneInfo(clinic.zone)).date()
    day_name = f'{today:%a} {today.day} {today:%b}'

    # The admin's dashboard stays open in its own browser for the whole journey.
    dashboard = browsing.page('dashboard')
    sign_in(dashboard, clinic.admin_email, clinic.admin_password)
    expect(dashboard.get_by_role('heading', name='Clinic dashboard')).to_be_visible()
    dark = browsing.device.get('color_scheme') == 'dark'
    expect(dashboard.locator('body')).to_have_class(re.compile(r'\bbody--dark\b' if dark else r'\bbody--light\b'))
    today_before = figure_value(dashboard, 'Appointments today')
    completed_before = figure_value(dashboard, 'Completed (period)')
    step(dashboard, shoot, 'dashboard-before')

    # The admin adds a department and a doctor, and reads the doctor's one-time password.
    admin = browsing.page('admin')
    sign_in(admin, clinic.admin_email, clinic.admin_password)
    go(admin, 'Departments')
    reachable(admin.get_by_role('button', name='Add department')).click()
    dialog(admin).get_by_label('Name', exact=True).fill(people.department)
    dialog(admin).get_by_label('Description', exact=True).fill('Skin, hair and nails.')
    dialog(admin).get_by_role('button', name='Add department').click()
    row = admin.get_by_role('row').filter(has=admin.get_by_role('cell', name=people.department, exact=True))
    reachable(row.get_by_role('button', name='Edit'))  # the row's actions can be scrolled to on a phone, too
    step(admin, shoot, 'admin-department-added')

    go(admin, 'Doctors')
    reachable(admin.get_by_role('button', name='Add doctor')).click()
    form = dialog(admin)
    form.get_by_label('Full name', exact=True).fill(people.doctor)
    form.get_by_label('Email', exact=True).fill(people.doctor_email)
    form.get_by_label('Department', exact=True).click()
    admin.get_by_role('option', name=people.department, exact=True).click()
    form.get_by_label('Years of experience', exact=True).fill('12')
    form.get_by_label('Qualifications', exact=True).fill('MD')
    form.get_by_label('Consultation length (minutes)', exact=True).fill('30')
    step(admin, shoot, 'admin-doctor-form')
    reachable(form.get_by_role('button', name='Add doctor')).click()
    password = admin.get_by_test_id('initial-password')
    expect(password).to_have_text(re.compile(r'\S{8,}'))
    initial_password = password.inner_text().strip()
    step(admin, shoot, 'admin-initial-password')
    reachable(admin.get_by_role('button', name='I have handed it over')).click()
    expect(admin.get_by_role('link', name=people.doctor)).to_be_visible()

    # The doctor signs in with it, must choose their own password, and publishes today's hours.
    doctor = browsing.page('doctor')
    sign_in_by_keyboard(doctor, people.doctor_email, initial_password)
    expect(doctor).to_have_url(re.compile(r'/change-password$'))
    doctor.get_by_label('Current password', exact=True).fill(initial_password)
    doctor.get_by_label('New password', exact=True).fill(DOCTOR_PASSWORD)
    doctor.get_by_label('Repeat the new password', exact=True).fill(DOCTOR_PASSWORD)
    step(doctor, shoot, 'doctor-change-password')
    reachable(doctor.get_by_role('button', name='Change password')).click()
    doctor.wait_for_url(re.compile(r'/doctor$'))
    go(doctor, 'Availability', 'My availability')
    reachable(doctor.get_by_role('button', name=f'Edit hours of {day_name}')).click()
    hours = dialog(doctor)
    hours.get_by_role('button', name=f'Add hours on {day_name}').click()
    hours.get_by_label('From', exact=True).fill('08:00')
    hours.get_by_label('Until', exact=True).fill('11:00')
    reachable(hours.get_by_role('button', name='Save hours')).click()
    expect(doctor.get_by_text('Availability saved.')).to_be_visible()
    expect(hours).to_be_hidden()
    step(doctor, shoot, 'doctor-availability')

    # A patient registers, finds the doctor and books the first time of the morning.
    patient = browsing.page('patient')
    patient.goto('/register')
    patient.get_by_label('Full name', exact=True).fill(people.patient)
    patient.get_by_label('Email', exact=True).fill(people.patient_email)
    patient.get_by_label('Password', exact=True).fill(PATIENT_PASSWORD)
    patient.get_by_label('Date of birth', exact=True).fill('1988-04-17')
    patient.get_by_label('Phone', exact=True).fill('+49 30 1234567')
    patient.get_by_label('Address', exact=True).fill('12 Harbour Street')
    patient.get_by_label('Gender', exact=True).click()
    patient.get_by_role('option', name='Prefer not to say').click()
    step(patient, shoot, 'patient-register')
    reachable(patient.get_by_role('button', name='Create account')).click()
    # The same answer whether or not the address had an account: the new patient signs in next.
    expect(patient.get_by_text('you can sign in now', exact=False)).to_be_visible()
    sign_in(patient, people.patient_email, PATIENT_PASSWORD)
    patient.wait_for_url(re.compile(r'/patient$'))
    reachable(patient.get_by_role('button', name='Book an appointment')).click()
    arrived(patient, 'Find a doctor')
    patient.get_by_label('Name or specialization', exact=True).fill(people.doctor)
    patient.get_by_role('button', name='Search').click()
    expect(patient.get_by_text('1 doctor', exact=True)).to_be_visible()  # the search has answered
    reachable(patient.get_by_role('button', name=f'See free times of {people.doctor}')).click()
    arrived(patient, people.doctor)
    step(patient, shoot, 'patient-free-times')
    reachable(patient.get_by_role('button', name=f'{day_name}, 08:00')).click()
    booking = dialog(patient)
    booking.get_by_label('Reason for the visit (optional)', exact=True).fill('Itchy rash on the forearm')
    reachable(booking.get_by_role('button', name='Book this time')).click()
    patient.wait_for_url(re.compile(r'/patient/appointments$'))
    upcoming = patient.locator('.q-card').filter(has=patient.get_by_role('heading', name='Upcoming'))
    expect(upcoming).to_contain_text(re.compile(r'08:00.*Booked'))
    step(patient, shoot, 'patient-booked')

    # Live: the dashboard counts the booking without a reload.
    expect(figure(dashboard, 'Appointments today')).to_have_text(
        re.compile(rf'Appointments today\s*{today_before + 1}$')
    )

    # The patient moves it to 09:00.
    reachable(patient.get_by_role('button', name=re.compile(r'^Reschedule the appointment of'))).click()
    moving = dialog(patient)
    moving.get_by_role('button', name=f'{day_name}, 09:00').click()
    expect(moving.get_by_text(re.compile(r'New time: .*09:00'))).to_be_visible()
    step(patient, shoot, 'patient-reschedule')
    reachable(moving.get_by_role('button', name='Move appointment')).click()
    expect(patient.get_by_text(re.compile(r'Moved to .*09:00'))).to_be_visible()
    expect(upcoming).to_contain_text(re.compile(r'09:00.*Booked'))
    expect(upcoming).not_to_contain_text('08:00')

    # The doctor opens the visit from their day and completes it with a prescription.
    go(doctor, 'My day')
    reachable(doctor.get_by_role('button', name=f'Open the appointment of 09:00 with {people.patient}')).click()
    arrived(doctor, f'Visit: {people.patient}')
    doctor.get_by_label('Diagnosis', exact=True).fill('Contact dermatitis')
    doctor.get_by_label('Treatment given', exact=True).fill('Cleaned and dressed the skin')
    reachable(doctor.get_by_role('button', name='Add medicine')).click()
    doctor.get_by_label('Medicine', exact=True).fill('Hydrocortisone cream 1%')
    doctor.get_by_label('Dose', exact=True).fill('thin layer')
    doctor.get_by_label('Frequency', exact=True).fill('twice a day')
    doctor.get_by_label('Duration', exact=True).fill('7 days')
    doctor.get_by_label('Notes for the patient', exact=True).fill('Avoid the new detergent.')
    step(doctor, shoot, 'doctor-visit-form')
    reachable(doctor.get_by_role('button', name='Complete visit')).click()
    expect(doctor.get_by_role('heading', name='Treatment record')).to_be_visible()
    step(doctor, shoot, 'doctor-visit-completed')

    expect(figure(dashboard, 'Completed (period)')).to_have_text(
        re.compile(rf'Completed \(period\)\s*{completed_before + 1}$')
    )
    step(dashboard, shoot, 'dashboard-after')

    # The patient reads the visit in their history and exports it.
    go(patient, 'My visits')
    expect(patient.get_by_text('Contact dermatitis')).to_be_visible()
    expect(patient.get_by_role('cell', name='Hydrocortisone cream 1%')).to_be_visible()
    step(patient, shoot, 'patient-history')
    reachable(patient.get_by_role('button', name='Export', exact=True)).click()
    ready = patient.get_by_role('status').get_by_role('button', name=re.compile(r'^Download'))
    expect(ready).to_be_visible(timeout=EXPORT_LIMIT_MS)
    step(patient, shoot, 'patient-export-ready')
    with patient.expect_download() as started:
        reachable(ready).click()
    download = started.value
    content = Path(download.path()).read_text(encoding='utf-8-sig')
    assert download.suggested_filename.endswith('.csv')
    assert 'Contact dermatitis' in content and 'Hydrocortisone cream 1%' in content


def test_a_javascript_error_is_caught(browser: Browser, clinic: Clinic) -> None:
    """The journeys' guard works: an error in the page's console or an uncaught exception is recorded."""
    session = Browsing(browser=browser, base_url=clinic.url, device={})
    page = session.page('anyone')
    page.goto('/login')
    with page.expect_event('pageerror'):
        page.evaluate("() => { console.error('broken on purpose'); setTimeout(() => { throw Error('uncaught'); }); }")
    session.contexts.pop().close()
    assert any('broken on purpose' in error for error in session.errors)
    assert any('uncaught' in error for error in session.errors)
