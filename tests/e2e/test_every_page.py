"""Every page of every role, as its navigation offers them, in a real browser against the real server: at desktop
and phone size (the phone in dark mode) each opens without a JavaScript error, fits the width, names its controls
and keeps AA contrast, with a new account's empty states."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from .browsing import Browsing, Clinic
from .checks import DOCTOR_PASSWORD, PATIENT_PASSWORD, sign_in, usable


def accounts(clinic: Clinic, tag: str) -> dict[str, tuple[str, str]]:
    """A doctor (own password already chosen) and a patient of their own, made through the API; email and password
    of each role."""
    api = f'{clinic.url}/api'
    with httpx.Client(base_url=api, timeout=30) as client:
        login = client.post('/login', json={'email': clinic.admin_email, 'password': clinic.admin_password})
        admin = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        department = client.post('/admin/departments', json={'name': f'Tour {tag}'}, headers=admin)
        doctor_email = f'tour.doctor.{tag}@riverside.test'
        added = client.post(
            '/admin/doctors',
            headers=admin,
            json={
                'name': f'Tour Doctor {tag.title()}',
                'email': doctor_email,
                'department_id': department.raise_for_status().json()['id'],
            },
        )
        initial = added.raise_for_status().json()['initial_password']
        login = client.post('/login', json={'email': doctor_email, 'password': initial})
        doctor = {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}
        changed = client.post(
            '/me/password', json={'current_password': initial, 'new_password': DOCTOR_PASSWORD}, headers=doctor
        )
        changed.raise_for_status()
        patient_email = f'tour.patient.{tag}@example.test'
        client.post(
            '/register',
            json={
                'name': f'Tour Patient {tag.title()}',
                'email': patient_email,
                'password': PATIENT_PASSWORD,
                'dob': '1990-01-01',
                'phone': '+49 30 7654321',
                'address': '1 Quay',
                'gender': 'female',
            },
        ).raise_for_status()
    return {
        'admin': (clinic.admin_email, clinic.admin_password),
        'doctor': (doctor_email, DOCTOR_PASSWORD),
        'patient': (patient_email, PATIENT_PASSWORD),
    }


def visit(page: Page, label: str) -> None:
    """Open one entry of the main navigation and wait for its page."""
    item = page.get_by_role('navigation', name='Main navigation').get_by_text(label, exact=True)
    if not item.is_visible():
        page.get_by_role('button', name='Open navigation').click()
    with page.expect_navigation():
        item.click()
    expect(page.get_by_role('heading', level=1).first).to_be_visible()
    page.wait_for_load_state()


def test_every_page_of_each_role_opens_cleanly(
    browsing: Browsing, clinic: Clinic, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each role's every page (as the navigation offers them) fits the screen, names its controls, keeps AA
    contrast and logs no JavaScript error, with a new account's empty states."""
    tag = str(request.node.callspec.params['browsing'])
    for role, (email, password) in accounts(clinic, tag).items():
        page = browsing.page(role)
        sign_in(page, email, password)
        navigation = page.get_by_role('navigation', name='Main navigation', include_hidden=True)  # a phone hides it
        labels = navigation.locator('.q-item__section--main').all_text_contents()
        assert labels, f'no navigation for the {role}'
        for label in [text.strip() for text in labels]:
            visit(page, label)
            usable(page)
            page.screenshot(path=str(tmp_path / f'{role}-{label.lower().replace(" ", "-")}.png'))  # the first screen
