"""What the accessibility tests share: axe-core in the page (through axe-playwright-python, which bundles it), the
app's page registry read from a fresh process, the people and sample objects that open every page, and a check that
a page follows the device's colour scheme.

Failure messages name the rule, the element and the page: ``/admin/doctors (desktop, dark): color-contrast (serious)
at #c42 <button ...>: Elements must meet minimum color contrast ratio thresholds``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .browsing import Clinic
from .checks import DOCTOR_PASSWORD, PATIENT_PASSWORD
from .server import ROOT

# WCAG 2.0, 2.1 and 2.2 A and AA, plus the best-practice rules that the audit asked for.
WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']
BEST_PRACTICE = ['aria-dialog-name', 'landmark-one-main', 'region', 'skip-link', 'heading-order']
AXE_OPTIONS: dict[str, Any] = {
    'runOnly': {'type': 'tag', 'values': WCAG_TAGS},
    'rules': {rule: {'enabled': True} for rule in BEST_PRACTICE},  # rules named here run besides the tags' rules
    'resultTypes': ['violations'],
}
COLOUR_RULES = ['color-contrast', 'link-in-text-block']  # what a light or dark theme changes
RECEPTIONIST_PASSWORD = 'copper-kettle-window-31'
ROLES = ('admin', 'doctor', 'reception', 'patient')
_axe = Axe()


def axe_version() -> str:
    """The axe-core version bundled by axe-playwright-python (its first line: '/*! axe v4.12.1')."""
    found = re.search(r'axe v([\d.]+)', _axe.axe_script[:200])
    return found.group(1) if found else 'unknown'


FINITE_ANIMATIONS_DONE = """() => document.getAnimations()
    .filter(animation => animation.effect?.getTiming().iterations !== Infinity)
    .every(animation => animation.playState !== 'running')"""


def settled(page: Page) -> None:
    """Wait until no transition or finite animation runs (a dialog fading in has its final colours only then; a
    spinner's endless animation does not count)."""
    with contextlib.suppress(PlaywrightTimeout):  # something keeps moving: axe reads the page as it is
        page.wait_for_function(FINITE_ANIMATIONS_DONE, timeout=5000)


def violations(page: Page, where: str, *, colours_only: bool = False) -> list[str]:
    """axe's violations on the page as it is now, each as one line naming the page, the rule and the element.
    ``colours_only``: just the rules a colour theme can change (the page's structure was checked in the other)."""
    settled(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)  # injected once per loaded page
    options = {'runOnly': {'type': 'rule', 'values': COLOUR_RULES}} if colours_only else AXE_OPTIONS
    found = page.evaluate('options => axe.run(document, options)', {**options, 'resultTypes': ['violations']})
    lines = []
    for violation in found['violations']:
        for node in violation['nodes']:
            target = ' '.join(str(part) for part in node['target'])
            snippet = ' '.join(node['html'].split())[:160]
            rule, impact = violation['id'], violation['impact']
            found_by = [check['message'] for check in node['any'] + node['all'] + node['none']][:1]
            detail = f' ({found_by[0]})' if found_by else ''
            lines.append(f'{where}: {rule} ({impact}) at {target} {snippet}: {violation["help"]}{detail}')
    return lines


def follows_colour_scheme(page: Page, scheme: str) -> bool:
    """Emulate the device's colour scheme and wait until the page follows it (signed-in pages default to the
    device's theme); False for a page that keeps its own (the pages before signing in are light)."""
    if not page.evaluate("window.Quasar?.Dark?.mode === 'auto'"):
        return False  # a page without the user's theme (before signing in): light only
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        page.wait_for_function(
            "dark => document.body.classList.contains('body--dark') === dark", arg=scheme == 'dark', timeout=3000
        )
    except PlaywrightTimeout:  # the page keeps its theme
        return False
    page.wait_for_timeout(50)  # Quasar's colour transitions are off for reduced motion; one frame to repaint
    return True


# --- The page registry ----------------------------------------------------------------------------------------------

REGISTRY_SCRIPT = """
import json
from hms import context
from hms.config import Settings
context.init(Settings())
import pages
pages.create()
from pages.ui.access import registered_pages
print(json.dumps([[p.path, None if p.roles is None else [r.value for r in p.roles]] for p in registered_pages()]))
"""


def registered_pages() -> dict[str, list[str] | None]:
    """Every page the app registers (``pages.ui.access.registered_pages``), from a fresh process: path -> the roles
    that may open it (None: anyone, signed in or not; []: every signed-in user)."""
    with tempfile.TemporaryDirectory(prefix='hms-registry-', dir='/tmp') as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
        env['HMS_DATA_DIR'] = data
        done = subprocess.run(
            [sys.executable, '-c', REGISTRY_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f'reading the page registry failed:\n{done.stderr}')
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- People and sample objects --------------------------------------------------------------------------------------


@dataclass
class Cast:
    """The accounts (email, password) by role and a sample value for every path parameter."""

    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # role -> why there is no account of it

    def path(self, template: str) -> str:
        """``template`` with every ``{parameter}`` replaced by its sample (KeyError names a parameter without one)."""
        return re.sub(r'\{(\w+)\}', lambda match: self.samples[match.group(1)], template)


def _bearer(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = client.post('/login', json={'email': email, 'password': password})
    return {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}


def cast(clinic: Clinic, tag: str) -> Cast:
    """Through the API: a department with a doctor (own password chosen, hours every day), a patient with a booking
    today, a receptionist (once the admin API for them exists) and a waiting-room board (likewise)."""
    unknown = 'not-a-valid-link'  # a link's token or code that leads nowhere: the page that says so
    found = Cast(samples={'token': unknown, 'value': unknown, 'code': unknown, 'secret': unknown})
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as client:
        admin = _bearer(client, clinic.admin_email, clinic.admin_password)
        found.accounts['admin'] = (clinic.admin_email, clinic.admin_password)
        department = client.post('/admin/departments', json={'name': f'Access {tag}'}, headers=admin)
        department_id = department.raise_for_status().json()['id']
        doctor_email = f'access.doctor.{tag}@riverside.test'
        added = client.post(
            '/admin/doctors',
            headers=admin,
            json={'name': f'Access Doctor {tag.title()}', 'email': doctor_email, 'department_id': department_id},
        ).raise_for_status()
        found.samples['doctor_id'] = str(added.json()['doctor']['id'])
        initial = added.json()['initial_password']
        doctor = _bearer(client, doctor_email, initial)
        client.post(
            '/me/password', json={'current_password': initial, 'new_password': DOCTOR_PASSWORD}, headers=doctor
        ).raise_for_status()
        doctor = _bearer(client, doctor_email, DOCTOR_PASSWORD)
        weekly = [{'weekday': day, 'start': '06:00', 'end': '20:00'} for day in range(7)]
        client.put('/doctor/availability', json={'weekly': weekly}, headers=doctor).raise_for_status()
        found.accounts['doctor'] = (doctor_email, DOCTOR_PASSWORD)

        patient_email = f'access.patient.{tag}@example.test'
        client.post(
            '/register',
            json={
                'name': f'Access Patient {tag.title()}',
                'email': patient_email,
                'password': PATIENT_PASSWORD,
                'dob': '1988-04-02',
                'phone': '+49 30 1234567',
                'address': '2 Quay',
                'gender': 'male',
            },
        ).raise_for_status()
        patient = _bearer(client, patient_email, PATIENT_PASSWORD)
        found.accounts['patient'] = (patient_email, PATIENT_PASSWORD)
        slots = client.get(f'/doctors/{found.samples["doctor_id"]}/slots', headers=patient).raise_for_status().json()
        booked = client.post(
            '/appointments',
            json={'doctor_id': int(found.samples['doctor_id']), 'start': slots[0]['start'], 'reason': 'Check-up'},
            headers=patient,
        ).raise_for_status()
        found.samples['appointment_id'] = str(booked.json()['id'])
        found.samples['patient_id'] = str(booked.json()['patient_id'])

        desk_email = f'access.desk.{tag}@riverside.test'
        desk = client.post(
            '/admin/receptionists', json={'name': f'Access Desk {tag.title()}', 'email': desk_email}, headers=admin
        )
        if desk.status_code in (404, 405):
            found.missing['reception'] = 'no admin API for receptionists yet (POST /api/admin/receptionists)'
        else:
            initial = desk.raise_for_status().json()['initial_password']
            reception = _bearer(client, desk_email, initial)
            client.post(
                '/me/password',
                json={'current_password': initial, 'new_password': RECEPTIONIST_PASSWORD},
                headers=reception,
            ).raise_for_status()
            found.accounts['reception'] = (desk_email, RECEPTIONIST_PASSWORD)
        board_in = {'name': f'Access {tag}', 'department_id': department_id}
        board = client.post('/admin/boards', json=board_in, headers=admin)
        if board.status_code == 201:
            found.samples['secret'] = board.json()['url'].rstrip('/').rsplit('/', 1)[-1]
    return found


def book(clinic: Clinic, people: Cast) -> int:
    """The cast's patient books the doctor's next free slot through the API; the appointment's id."""
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as client:
        patient = _bearer(client, *people.accounts['patient'])
        doctor_id = int(people.samples['doctor_id'])
        slots = client.get(f'/doctors/{doctor_id}/slots', headers=patient).raise_for_status().json()
        booked = client.post(
            '/appointments', json={'doctor_id': doctor_id, 'start': slots[0]['start']}, headers=patient
        ).raise_for_status()
    return int(booked.json()['id'])
