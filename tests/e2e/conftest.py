"""Fixtures of the browser tests: one real server for the whole package, Chromium, pages that fail on JS errors."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from ..factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .browsing import DESKTOP, PHONE, TIMEOUT_MS, Browsing, Clinic
from .server import BROWSER_ARGS, CHROMIUM, NO_CHROMIUM, Server, early_morning_zone


@pytest.fixture(scope='package')
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """`python main.py` as an operator starts it, with settings that let a journey book and complete a visit today;
    its data folder is removed at the end, its log kept among pytest's temporary folders."""
    zone = early_morning_zone()
    server = Server(
        {
            'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
            'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
            'HMS_CLINIC_NAME': 'Riverside Clinic',
            'HMS_TIMEZONE': zone,
            'HMS_BOOKING_NOTICE_MINUTES': '0',
            'HMS_CANCEL_CUTOFF_HOURS': '0',
            # Every journey registers its patients from 127.0.0.1; the per-address limit has tests of its own.
            'HMS_REGISTRATION_PER_HOUR': '500',
            'HMS_LOG_LEVEL': 'WARNING',
        }
    )
    try:
        server.start()
        yield Clinic(server=server, zone=zone)
    finally:
        server.stop()
        if server.log_path.exists():
            shutil.copy(server.log_path, tmp_path_factory.mktemp('server') / 'main.log')
        shutil.rmtree(server.data_dir, ignore_errors=True)


# Assertions wait as long as actions do (Playwright's own default, 5 s, is too short on a loaded 2-core machine: a
# page built while both test suites run side by side took longer once).
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope='package')
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope='package')
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():  # .ci/run installs Debian's Chromium; browsers are never downloaded
        pytest.skip(f'{NO_CHROMIUM} {CHROMIUM}')
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture(params=['desktop', 'phone'])
def browsing(request: pytest.FixtureRequest, browser: Browser, clinic: Clinic, tmp_path: Path) -> Iterator[Browsing]:
    """Browser contexts at the journey's device; the test fails if any page logged a JavaScript error or the server
    logged an error (e.g. an exception in a click handler, which the browser never sees) meanwhile."""
    device = PHONE if request.param == 'phone' else DESKTOP
    session = Browsing(browser=browser, base_url=clinic.url, device=device)
    log_offset = clinic.server.log_size()
    yield session
    session.close(tmp_path)
    assert session.errors == [], '\n'.join(session.errors)
    server_errors = clinic.server.errors_since(log_offset)
    assert server_errors == [], '\n\n'.join(server_errors)


@pytest.fixture
def shoot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """Save a screenshot of a key step into the test's temporary folder (numbered in the order taken)."""
    folder = tmp_path / 'screenshots'
    folder.mkdir()
    taken: list[Path] = []

    def take(page: Page, name: str) -> Path:
        path = folder / f'{len(taken) + 1:02d}-{name}.png'
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take
