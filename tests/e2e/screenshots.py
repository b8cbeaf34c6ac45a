"""Screenshots of each role's main screen for the README, taken in Chromium from the demo data.

    .venv/bin/python -m tests.e2e.screenshots --out docs/screenshots

Starts `python main.py` in a temporary data folder seeded with `seed-demo --demo`, signs in as the admin, a doctor
and a patient, saves small PNGs (palette-quantised), and stops every process it started.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .server import BROWSER_ARGS, CHROMIUM, Server

ADMIN_EMAIL = 'admin@demo.hms.test'
DOCTOR_EMAIL = 'doctor1@demo.hms.test'  # the accounts the README names
PASSWORD = 'Demo-Pass-2026'  # demo accounts only, in a throwaway data folder
DESKTOP = {'viewport': {'width': 1280, 'height': 800}}
PHONE = {'viewport': {'width': 390, 'height': 844}, 'is_mobile': True, 'has_touch': True}
COLOURS = 128  # a palette this size keeps the UI's flat colours and text crisp
TIMEOUT_MS = 30_000


def save_small(png: bytes, path: Path) -> int:
    """Quantise to a palette and optimise: a UI screenshot loses nothing visible and shrinks several times."""
    image = Image.open(io.BytesIO(png)).convert('RGB')
    image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def named_doctor(data_dir: Path) -> tuple[str, int]:
    """The doctor the README names and how many appointments they have today (UTC clinic): the demo fills their day."""
    today = datetime.now(UTC).date().isoformat()
    with sqlite3.connect(data_dir / 'hms.db') as db:
        row = db.execute(
            'SELECT u.email, COUNT(a.id) FROM users u LEFT JOIN appointments a ON a.doctor_id = u.id '
            "AND substr(a.start_at, 1, 10) = ? AND a.status != 'cancelled' WHERE u.email = ? GROUP BY u.id",
            (today, DOCTOR_EMAIL),
        ).fetchone()
    return str(row[0]), int(row[1])


def sign_in(page: Page, email: str) -> None:
    page.goto('/login')
    page.get_by_label('Email', exact=True).fill(email)
    page.get_by_label('Password', exact=True).fill(PASSWORD)
    page.get_by_role('button', name='Sign in').click()
    page.wait_for_url(lambda url: not url.endswith('/login'))


def settle(page: Page) -> None:
    """Wait until the page has drawn: network quiet, fonts loaded, charts (if any) rendered, no transition running."""
    page.wait_for_load_state('networkidle')
    page.evaluate('() => document.fonts.ready')
    charts = page.locator('.js-plotly-plot .main-svg')
    if charts.count():
        expect(charts.first).to_be_visible()
    page.wait_for_function('() => !document.querySelector(\'[class*="-enter-active"], [class*="-leave-active"]\')')
    page.mouse.move(0, 0)


def shots(browser: Browser, url: str, out: Path, doctor: tuple[str, int]) -> list[Path]:
    saved: list[Path] = []

    def take(page: Page, name: str) -> None:
        settle(page)
        path = out / f'{name}.png'
        size = save_small(page.screenshot(), path)
        saved.append(path)
        print(f'{path} {size // 1024} KB')

    def context(device: dict[str, object]) -> Page:
        made = browser.new_context(base_url=url, **device)
        made.set_default_timeout(TIMEOUT_MS)
        return made.new_page()

    admin = context(DESKTOP)
    sign_in(admin, ADMIN_EMAIL)
    expect(admin.get_by_role('heading', name='Clinic dashboard')).to_be_visible()
    take(admin, 'admin-dashboard')

    physician = context(DESKTOP)
    email, today_count = doctor
    sign_in(physician, email)
    expect(physician.get_by_role('heading', name='My day')).to_be_visible()
    if today_count < 2:  # a quiet day: the week shows what the schedule looks like
        physician.get_by_role('button', name='Week', exact=True).click()
        expect(physician.get_by_text(re.compile(r'\d+ \w+ – \w+ \d+'))).to_be_visible()
    take(physician, 'doctor-day')

    patient = context(DESKTOP)
    sign_in(patient, 'patient1@demo.hms.test')
    take(patient, 'patient-home')
    patient.locator('a[href^="/patient/doctors/"]').first.click()
    patient.get_by_role('button', name=re.compile(r'\d\d:\d\d$')).first.click()
    expect(patient.get_by_role('button', name='Book this time')).to_be_visible()
    take(patient, 'patient-booking')

    night = context({**DESKTOP, 'color_scheme': 'dark'})  # the users' theme follows the device unless chosen
    sign_in(night, email)
    expect(night.locator('body')).to_have_class(re.compile(r'\bbody--dark\b'))
    take(night, 'doctor-day-dark')

    phone = context(PHONE)
    sign_in(phone, 'patient2@demo.hms.test')
    phone.goto('/patient/doctors')
    expect(phone.get_by_role('heading', name='Find a doctor')).to_be_visible()
    take(phone, 'patient-phone')
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', type=Path, default=Path('docs/screenshots'), help='folder for the PNGs')
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server(
        {
            'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
            'HMS_ADMIN_PASSWORD': PASSWORD,
            'HMS_CLINIC_NAME': 'Riverside Clinic',
            'HMS_TIMEZONE': 'UTC',
            'HMS_LOG_LEVEL': 'WARNING',
        }
    )
    try:
        print(server.run('seed-demo', '--demo', '--password', PASSWORD).strip())
        doctor = named_doctor(server.data_dir)
        server.start()
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
            try:
                shots(browser, server.url, args.out, doctor)
            finally:
                browser.close()
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
