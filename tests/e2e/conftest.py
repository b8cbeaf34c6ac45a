"""Fixtures of the browser journeys: one real server per module, Chromium, and pages that fail on JS errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from ..factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .server import BROWSER_ARGS, CHROMIUM, Server, early_morning_zone

# The phone prefers a dark colour scheme: its journey also runs the pages in dark mode (the users' theme is 'auto').
PHONE = {
    'viewport': {'width': 390, 'height': 844}, 'is_mobile': True, 'has_touch': True, 'device_scale_factor': 2,
    'color_scheme': 'dark',
}  # fmt: skip
DESKTOP = {'viewport': {'width': 1280, 'height': 800}}
TIMEOUT_MS = 20_000  # auto-waiting limit per step: generous for a shared 2-core machine


@dataclass
class Clinic:
    """The running server and what the journeys need to know about it."""

    server: Server
    zone: str
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class Browsing:
    """New browser contexts (one per person) whose pages record every JavaScript error."""

    browser: Browser
    base_url: str
    device: dict[str, object]
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def page(self, who: str, **options: object) -> Page:
        context = self.browser.new_context(base_url=self.base_url, accept_downloads=True, **{**self.device, **options})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()

        def console(message: ConsoleMessage) -> None:
            if message.type == 'error':
                self.errors.append(f'{who} console: {message.text} ({page.url})')

        page.on('console', console)
        page.on('pageerror', lambda error: self.errors.append(f'{who} page error: {error} ({page.url})'))
        return page

    def close(self, folder: Path) -> None:
        """Keep a last look at every open page (what each person saw when the journey ended), then close."""
        for number, context in enumerate(self.contexts):
            for page in context.pages:
                page.screenshot(path=str(folder / f'last-{number}.png'), full_page=True)
            context.close()


@pytest.fixture(scope='module')
def clinic() -> Iterator[Clinic]:
    """`python main.py` as an operator starts it, with settings that let a journey book and complete a visit today."""
    zone = early_morning_zone()
    server = Server({
        'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
        'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
        'HMS_CLINIC_NAME': 'Riverside Clinic',
        'HMS_TIMEZONE': zone,
        'HMS_BOOKING_NOTICE_MINUTES': '0',
        'HMS_CANCEL_CUTOFF_HOURS': '0',
        'HMS_LOG_LEVEL': 'WARNING',
    })  # fmt: skip
    try:
        server.start()
        yield Clinic(server=server, zone=zone)
    finally:
        server.stop()


@pytest.fixture(scope='module')
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope='module')
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():  # .ci/run installs Debian's Chromium; browsers are never downloaded
        pytest.skip(f'no Chromium at {CHROMIUM}')
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture(params=['desktop', 'phone'])
def browsing(request: pytest.FixtureRequest, browser: Browser, clinic: Clinic, tmp_path: Path) -> Iterator[Browsing]:
    """Browser contexts at the journey's device; the test fails if any page logged a JavaScript error."""
    device = PHONE if request.param == 'phone' else DESKTOP
    session = Browsing(browser=browser, base_url=clinic.url, device=device)
    yield session
    session.close(tmp_path)
    assert session.errors == [], '\n'.join(session.errors)


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
