"""What every step of the browser tests checks, and the moves they share (signing in, following the navigation)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

Shoot = Callable[[Page, str], Path]
UNNAMED_CONTROLS = (Path(__file__).parent / 'unnamed_controls.js').read_text(encoding='utf-8')
LOW_CONTRAST_CONTROLS = (Path(__file__).parent / 'low_contrast_controls.js').read_text(encoding='utf-8')
DOCTOR_PASSWORD = 'amber-violin-harbour-42'
PATIENT_PASSWORD = 'quiet-lantern-meadow-77'


HEADER_ROW_PX = 72  # one row of the header: 48 px buttons and padding; a second row would take 40 px more


def fits(page: Page) -> None:
    """Nothing sticks out sideways (the page never scrolls horizontally) and the header keeps to one row."""
    width = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1], f'{page.url} is {width[0]} px wide in a {width[1]} px viewport'
    header = page.evaluate("() => document.querySelector('header')?.getBoundingClientRect().height ?? 0")
    assert header <= HEADER_ROW_PX, f'{page.url}: the header wraps ({header} px high)'


def reachable(button: Locator) -> Locator:
    """The control can be scrolled to and lies fully inside the viewport's width (not cut off)."""
    expect(button).to_be_visible()
    box = None
    for _attempt in range(50):  # a live list redrawn between the two steps hides it for a moment: measure again
        button.click(trial=True)  # scrolls it into view, unobscured and enabled (re-found if the page redrew it)
        box = button.bounding_box()
        if box is not None:
            break
        button.page.wait_for_timeout(100)
    width = button.page.evaluate('() => window.innerWidth')
    assert box is not None and box['x'] >= 0 and box['x'] + box['width'] <= width + 0.5, f'cut off: {box}'
    return button


def named(page: Page) -> None:
    """Every visible button and link has a name and every input a label (what a screen reader announces)."""
    problems = page.evaluate(UNNAMED_CONTROLS)
    assert problems == [], f'{page.url}:\n' + '\n'.join(problems)


def legible(page: Page) -> None:
    """Every visible, enabled button and link reads with WCAG AA contrast against what it is drawn on."""
    problems = page.evaluate(LOW_CONTRAST_CONTROLS)
    assert problems == [], f'{page.url}:\n' + '\n'.join(problems)


def usable(page: Page) -> None:
    fits(page)
    named(page)
    legible(page)


def step(page: Page, shoot: Shoot, name: str) -> None:
    usable(page)
    shoot(page, name)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto('/login')
    page.get_by_label('Email', exact=True).fill(email)
    page.get_by_label('Password', exact=True).fill(password)
    reachable(page.get_by_role('button', name='Sign in')).click()
    page.wait_for_url(re.compile(r'/(admin|doctor|reception|patient|change-password)$'))
    page.wait_for_load_state('networkidle')  # what the home page loads after its HTML (a chart's script) is in


def sign_in_by_keyboard(page: Page, email: str, password: str) -> None:
    """The sign-in form without a pointer: the email field has the focus, Tab moves on, Enter submits."""
    page.goto('/login')
    expect(page.get_by_label('Email', exact=True)).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press('Tab')
    expect(page.get_by_label('Password', exact=True)).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(r'/(admin|doctor|reception|patient|change-password)$'))
    page.wait_for_load_state('networkidle')  # what the home page loads after its HTML (a chart's script) is in


def go(page: Page, label: str, heading: str | None = None) -> None:
    """Follow the main navigation (behind the menu button when the screen is narrow) and wait for the page."""
    navigation = page.get_by_role('navigation', name='Main navigation')
    item = navigation.get_by_text(label, exact=True)
    if not item.is_visible():
        page.get_by_role('button', name='Open navigation').click()
    item.click()
    arrived(page, heading or label)


def arrived(page: Page, heading: str) -> None:
    """The new page is there (its main heading), so that checks of the whole page see the page that was opened."""
    expect(page.get_by_role('heading', name=heading, exact=True, level=1)).to_be_visible()
    page.wait_for_load_state()
