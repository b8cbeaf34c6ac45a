"""The people of a journey: browser contexts at one device size whose pages record every JavaScript error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from ..factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .server import Server

# The phone prefers a dark colour scheme: its journey also runs the pages in dark mode (the users' theme is 'auto').
PHONE = {
    'viewport': {'width': 390, 'height': 844},
    'is_mobile': True,
    'has_touch': True,
    'device_scale_factor': 2,
    'color_scheme': 'dark',
}
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
