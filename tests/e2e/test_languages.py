"""Languages in a real browser against a real server: a French browser's sign-in page before anyone signs in, and a
doctor whose account speaks German sees their day, its dates and the export period's date fields as German writes
them, whatever the browser asks for."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from .browsing import Browsing, Clinic
from .checks import DOCTOR_PASSWORD, arrived, sign_in

# Written out here rather than taken from the app's formats: what a German reader expects to see.
WEEKDAYS = ('Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag', 'Sonntag')
MONTHS = (
    'Januar',
    'Februar',
    'März',
    'April',
    'Mai',
    'Juni',
    'Juli',
    'August',
    'September',
    'Oktober',
    'November',
    'Dezember',
)
DOCTOR_EMAIL = 'lena.vogel@riverside.test'

desktop = pytest.mark.parametrize('browsing', ['desktop'], indirect=True)


@desktop
def test_a_french_browser_signs_in_in_french(browsing: Browsing) -> None:
    page = browsing.page('visitor', locale='fr-FR')  # Chromium asks for 'fr-FR,fr' (Accept-Language)
    page.goto('/login')
    expect(page.locator('html')).to_have_attribute('lang', 'fr')
    expect(page.get_by_role('heading', name='Se connecter', exact=True, level=1)).to_be_visible()
    expect(page.get_by_label('E-mail', exact=True)).to_be_visible()
    expect(page.get_by_label('Mot de passe', exact=True)).to_be_visible()
    expect(page.get_by_role('button', name='Se connecter', exact=True)).to_be_visible()
    expect(page.get_by_role('button', name='Langue : Français. Modifier')).to_be_visible()


def _german_speaking_doctor(clinic: Clinic) -> None:
    """Through the API: a department, a doctor in it, and the doctor's own password in place of the initial one."""
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as api:
        admin = _bearer(api, clinic.admin_email, clinic.admin_password)
        department = api.post('/admin/departments', headers=admin, json={'name': 'Endocrinology'})
        assert department.status_code == 201, department.text
        doctor = {'name': 'Lena Vogel', 'email': DOCTOR_EMAIL, 'department_id': department.json()['id']}
        created = api.post('/admin/doctors', headers=admin, json=doctor)
        assert created.status_code == 201, created.text
        initial = created.json()['initial_password']
        changed = api.post(
            '/me/password',
            headers=_bearer(api, DOCTOR_EMAIL, initial),
            json={'current_password': initial, 'new_password': DOCTOR_PASSWORD},
        )
        assert changed.status_code == 200, changed.text


def _bearer(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    answer = api.post('/login', json={'email': email, 'password': password})
    assert answer.status_code == 200, answer.text
    return {'Authorization': f'Bearer {answer.json()["access_token"]}'}


@desktop
def test_a_german_speaking_doctor_reads_the_day_in_german(browsing: Browsing, clinic: Clinic) -> None:
    _german_speaking_doctor(clinic)
    today = datetime.now(UTC).astimezone(ZoneInfo(clinic.zone)).date()

    # The doctor picks Deutsch in the language menu once: it is saved on the account.
    first = browsing.page('doctor', locale='en-GB')
    sign_in(first, DOCTOR_EMAIL, DOCTOR_PASSWORD)
    arrived(first, 'My day')
    first.get_by_role('button', name='Language: English. Change').click()
    first.get_by_text('Deutsch', exact=True).click()
    arrived(first, 'Mein Tag')

    # Another (English) browser: the account's language rules once the doctor signs in.
    page = browsing.page('doctor elsewhere', locale='en-GB')
    sign_in(page, DOCTOR_EMAIL, DOCTOR_PASSWORD)
    arrived(page, 'Mein Tag')
    expect(page.locator('html')).to_have_attribute('lang', 'de')
    expect(page.get_by_role('button', name=re.compile(r'^Sprache: Deutsch'))).to_be_visible()
    long_day = f'{WEEKDAYS[today.weekday()]}, {today.day}. {MONTHS[today.month - 1]} {today.year}'
    schedule = page.locator('.q-card').filter(has=page.get_by_role('heading', name='Terminplan', exact=True))
    expect(schedule.get_by_text(long_day, exact=True)).to_be_visible()  # 'Montag, 7. Dezember 2026'
    # The period of 'Export my appointments': this month so far, as German writes dates ('01.12.2026').
    expect(page.get_by_label('Exportieren ab', exact=True)).to_have_value(f'01.{today:%m.%Y}')
    expect(page.get_by_label('Exportieren bis', exact=True)).to_have_value(f'{today:%d.%m.%Y}')
