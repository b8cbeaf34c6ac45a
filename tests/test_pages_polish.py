"""Polish of the pages: remembered colour theme, confirmations before destructive actions, empty states,
accessible basics and the length of the booking flow, driven through NiceGUI's simulated user.

``user`` comes first in each signature: main.py (run by the fixture) initialises the context, then ``clinic``
re-initialises it over the same database and sets the clock and the Berlin time zone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from hms.domain.errors import InvalidInput
from hms.services import preferences, stats
from hms.services.stats import StatsQuery
from pages import charts, theme

from . import scheduling_fixtures
from .factories import PATIENT_PASSWORD
from .scheduling_fixtures import Clinic

clinic = scheduling_fixtures.clinic  # the fixture
PATIENCE = 50  # handlers run in threads: poll for up to 5 s


async def see(user: User, target: str | None = None, **filters: object) -> None:
    await user.should_see(target, retries=PATIENCE, **filters)  # type: ignore[arg-type]


async def eventually(check: Callable[[], bool], what: str) -> None:
    for _ in range(PATIENCE):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f'timed out waiting for: {what}')


async def sign_in(user: User, email: str, password: str, landing: str) -> None:
    await user.open('/login')
    user.find('Email').type(email)
    user.find('Password').type(password)
    user.find(kind=ui.button, content='Sign in').click()
    await see(user, landing)


def dark_mode(user: User) -> Any:
    return next(iter(user.find(kind=ui.dark_mode).elements)).value


def stored_theme(clinic: Clinic, who: Any) -> str:
    with clinic.ctx.uow() as uow:
        return preferences.get(uow, who).theme


# --- colour theme, remembered per user -----------------------------------------------------------------------------


async def test_dark_mode_is_remembered_per_user_across_browsers(
    user: User, create_user: Callable[[], User], clinic: Clinic
) -> None:
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    assert dark_mode(user) is None  # 'auto': the browser follows the device
    user.find(marker='theme-dark').click()
    await eventually(lambda: dark_mode(user) is True, 'dark mode on')
    await see(user, 'Colour theme: Dark')
    assert stored_theme(clinic, clinic.patient) == 'dark'

    await user.open('/patient/appointments')  # every page of this browser opens dark
    assert dark_mode(user) is True

    elsewhere = create_user()  # another browser: a fresh sign-in reads the choice from the account
    await sign_in(elsewhere, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await eventually(lambda: dark_mode(elsewhere) is True, 'dark mode in the other browser')

    bob = create_user()
    await sign_in(bob, 'bob@example.com', PATIENT_PASSWORD, 'My health')
    await asyncio.sleep(0.3)  # give a wrong theme the chance to arrive
    assert dark_mode(bob) is None
    assert stored_theme(clinic, clinic.other_patient) == 'auto'


async def test_the_same_browser_shows_each_user_their_own_theme(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        preferences.set_theme(uow, clinic.patient, 'light')
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await eventually(lambda: dark_mode(user) is False, 'light mode for Ada')
    await user.open('/logout')
    await sign_in(user, 'bob@example.com', PATIENT_PASSWORD, 'My health')
    await eventually(lambda: dark_mode(user) is None, 'auto mode for Bob')
    user.find(marker='theme-light').click()
    await eventually(lambda: stored_theme(clinic, clinic.other_patient) == 'light', 'saved')
    user.find(marker='theme-auto').click()
    await eventually(lambda: stored_theme(clinic, clinic.other_patient) == 'auto', 'back to auto')
    assert dark_mode(user) is None


def test_only_known_themes_and_languages_are_stored(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        with pytest.raises(InvalidInput) as refused:
            preferences.set_theme(uow, clinic.patient, 'neon')
        assert 'theme' in refused.value.field_errors
        with pytest.raises(InvalidInput):
            preferences.set_language(uow, clinic.patient, 'xx')
        assert preferences.set_language(uow, clinic.patient, 'de').language == 'de'
    assert stored_theme(clinic, clinic.patient) == 'auto'


# --- contrast and charts in both modes -----------------------------------------------------------------------------


def test_text_colours_have_aa_contrast_in_light_and_dark_mode() -> None:
    for ink in (theme.PRIMARY, theme.CHART_INK, theme.SUBTLE_INK[0]):
        assert all(theme.contrast(ink, surface) >= 4.5 for surface in theme.LIGHT_SURFACES), ink
    for ink in (theme.PRIMARY_ON_DARK, theme.CHART_INK_ON_DARK, theme.SUBTLE_INK[1]):
        assert all(theme.contrast(ink, surface) >= 4.5 for surface in theme.DARK_SURFACES), ink
    assert theme.contrast('#ffffff', theme.PRIMARY) >= 4.5  # the header and filled buttons
    assert theme.contrast(theme.PRIMARY, theme.DARK_SURFACES[0]) < 4.5  # why dark mode needs its own primary text
    assert f'.body--dark .text-primary {{ color: {theme.PRIMARY_ON_DARK}' in theme.CSS
    assert f'fill: {theme.CHART_INK_ON_DARK}' in theme.CSS
    assert 'dark:' in theme.SUBTLE and 'dark:' in theme.ERROR_BANNER


def test_charts_draw_on_transparent_backgrounds_with_readable_hover_labels(clinic: Clinic) -> None:
    today = date(2026, 3, 2)
    with clinic.ctx.uow() as uow:
        data = stats.dashboard(uow, clinic.ctx.settings, clinic.admin, StatsQuery.preset('last30', today))
    for title, build, _, _ in charts.CHARTS:
        layout = build(data)['layout']
        assert layout['paper_bgcolor'] == layout['plot_bgcolor'] == 'rgba(0,0,0,0)', title
        assert layout['font']['color'] == theme.CHART_INK, title
        hover = layout['hoverlabel']
        assert theme.contrast(hover['font']['color'], hover['bgcolor']) >= 4.5, title
    empty_cell = charts.HEAT[0][1]
    assert empty_cell.startswith('rgba(') and float(empty_cell.rstrip(')').split(',')[-1]) < 0.2  # no white blocks
