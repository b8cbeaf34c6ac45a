"""Exploring the admin dashboard in a real browser: a click on a department's bar filters every chart and changes the
address, the back button restores the previous view, selecting days on the time axis sets the period, and a click
on a day opens that day's appointments. One server (the package's), desktop size, data made through the API."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from .accessibility import violations
from .browsing import DESKTOP, PHONE, Browsing, Clinic
from .checks import PATIENT_PASSWORD, sign_in, usable

PLOT = 'figure:has(div[role=heading]:text-is("{title}")) .js-plotly-plot'


def _api(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = client.post('/login', json={'email': email, 'password': password})
    return {'Authorization': f'Bearer {login.raise_for_status().json()["access_token"]}'}


def _doctor(client: httpx.Client, admin: dict[str, str], department_id: int, name: str, email: str) -> int:
    added = client.post(
        '/admin/doctors', headers=admin, json={'name': name, 'email': email, 'department_id': department_id}
    ).raise_for_status()
    doctor = added.json()
    auth = _api(client, email, doctor['initial_password'])
    new_password = f'{PATIENT_PASSWORD}-doctor'
    client.post(
        '/me/password',
        json={'current_password': doctor['initial_password'], 'new_password': new_password},
        headers=auth,
    ).raise_for_status()
    auth = _api(client, email, new_password)
    weekly = [{'weekday': day, 'start': '06:00', 'end': '22:00'} for day in range(7)]
    client.put('/doctor/availability', json={'weekly': weekly}, headers=auth).raise_for_status()
    return int(doctor['doctor']['id'])


@pytest.fixture(scope='module')
def explored(clinic: Clinic) -> dict[str, int]:
    """Two departments with a doctor each; today, two bookings with the first and one with the second."""
    with httpx.Client(base_url=f'{clinic.url}/api', timeout=30) as client:
        admin = _api(client, clinic.admin_email, clinic.admin_password)
        ids: dict[str, int] = {}
        for key, name in (('north', 'Explore North'), ('south', 'Explore South')):
            department = client.post('/admin/departments', json={'name': name}, headers=admin).raise_for_status()
            ids[key] = int(department.json()['id'])
            ids[f'{key}_doctor'] = _doctor(
                client, admin, ids[key], f'Explorer {name.split()[1]}', f'explore.{key}@riverside.test'
            )
        today = date.today()
        for number, doctor in enumerate((ids['north_doctor'], ids['north_doctor'], ids['south_doctor'])):
            email = f'explore.patient.{number}@example.test'
            client.post(
                '/register',
                json={
                    'name': f'Explore Patient {number}',
                    'email': email,
                    'password': PATIENT_PASSWORD,
                    'dob': '1990-01-01',
                    'phone': '+49 30 7654321',
                    'address': '1 Quay',
                    'gender': 'female',
                },
            ).raise_for_status()
            patient = _api(client, email, PATIENT_PASSWORD)
            days = {'first': str(today), 'last': str(today + timedelta(days=1))}
            slots = client.get(f'/doctors/{doctor}/slots', params=days, headers=patient).raise_for_status().json()
            todays = [slot for slot in slots if slot['start'][:10] == str(today)] or slots
            client.post(
                '/appointments',
                json={'doctor_id': doctor, 'start': todays[number]['start'], 'reason': 'Check-up'},
                headers=patient,
            ).raise_for_status()
    return ids


@pytest.fixture(scope='module')
def desktop(browser: Browser, clinic: Clinic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsing]:
    session = Browsing(browser=browser, base_url=clinic.url, device=DESKTOP)
    log_offset = clinic.server.log_size()
    yield session
    session.close(tmp_path_factory.mktemp('dashboard'))
    assert session.errors == [], '\n'.join(session.errors)
    assert clinic.server.errors_since(log_offset) == []


@pytest.fixture(scope='module')
def admin_page(desktop: Browsing, clinic: Clinic, explored: dict[str, int]) -> Page:
    page = desktop.page('admin')
    sign_in(page, clinic.admin_email, clinic.admin_password)
    return page


def _trace_values(page: Page, title: str, axis: str) -> list[str]:
    """The labels on one axis of a chart's bars with a value (what the chart draws now)."""
    plot = page.locator(PLOT.format(title=title))
    return plot.evaluate(
        f"""el => [...new Set((el.data || []).flatMap(t => (t.{axis} || []).filter((_, i) =>
            (t.orientation === 'h' ? t.x : t.y)[i])))].map(String)"""
    )


def _click_point(page: Page, title: str, trace: int, point: int) -> None:
    """A real mouse click in the middle of one bar (Plotly listens on the layer above its bars)."""
    plot = page.locator(PLOT.format(title=title))
    bar = plot.locator('g.trace.bars').nth(trace).locator('g.point').nth(point)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None and box['width'] > 0 and box['height'] > 0
    page.mouse.click(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _fresh(page: Page) -> None:
    page.goto('/admin')
    expect(page.locator(PLOT.format(title='By department')).locator('g.trace.bars').first).to_be_attached()


def test_a_click_on_a_department_filters_every_chart_and_back_restores_the_view(
    admin_page: Page, explored: dict[str, int], tmp_path: Path
) -> None:
    page = admin_page
    _fresh(page)
    departments = _trace_values(page, 'By department', 'x')
    assert {'Explore North', 'Explore South'} <= set(departments)
    assert {'Explorer North', 'Explorer South'} <= set(_trace_values(page, 'By doctor', 'y'))
    _click_point(page, 'By department', 0, departments.index('Explore North'))
    page.wait_for_url(re.compile(rf'department={explored["north"]}'))
    expect(page.get_by_text('Department: Explore North')).to_be_visible()
    _until(lambda: _trace_values(page, 'By doctor', 'y') == ['Explorer North'])
    _until(lambda: _trace_values(page, 'By department', 'x') == ['Explore North'])
    per_day = page.locator(PLOT.format(title='Appointments per day'))
    _until(lambda: per_day.evaluate('el => el.data.reduce((n, t) => n + t.y.reduce((a, b) => a + b, 0), 0)') == 2)

    page.go_back()
    page.wait_for_url(lambda url: 'department=' not in url)
    _until(lambda: {'Explorer North', 'Explorer South'} <= set(_trace_values(page, 'By doctor', 'y')))
    expect(page.get_by_text('Department: Explore North')).to_have_count(0)


def test_selecting_days_on_the_time_axis_sets_the_period(admin_page: Page) -> None:
    page = admin_page
    _fresh(page)
    plot = page.locator(PLOT.format(title='Appointments per day'))
    drag = plot.locator('rect.nsewdrag').first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    assert box is not None
    y = box['y'] + box['height'] / 2
    page.mouse.move(box['x'] + box['width'] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box['x'] + box['width'] * 0.5, y + 2, steps=8)
    page.mouse.move(box['x'] + box['width'] * 0.7, y + 2, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r'from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}'))
    params = _params(page)
    first, last = date.fromisoformat(params['from'][0]), date.fromisoformat(params['to'][0])
    assert 5 <= (last - first).days <= 15  # about 40 % of the 30 days
    page.get_by_role('button', name='Show as table: Appointments per day').click()
    table = page.get_by_role('region', name='Appointments per day: table')
    expect(table.locator('tbody tr')).to_have_count((last - first).days + 1)  # one row a day of the new period
    expect(page.get_by_label('Period')).to_have_value('Custom range')


def test_a_click_on_a_day_lists_its_appointments(admin_page: Page, explored: dict[str, int]) -> None:
    page = admin_page
    page.goto(f'/admin?department={explored["north"]}')
    plot = page.locator(PLOT.format(title='Appointments per day'))
    expect(plot.locator('g.trace.bars').first).to_be_attached()
    days = plot.evaluate('el => el.data[0].x.length')
    _click_point(page, 'Appointments per day', 0, days - 1)  # today (the clinic's): the booked ones
    page.wait_for_url(re.compile(r'day=\d{4}-\d{2}-\d{2}'))
    dialog = page.get_by_role('dialog')
    expect(dialog.get_by_text(re.compile('Appointments on'))).to_be_visible()
    rows = dialog.locator('tbody tr')
    expect(rows).to_have_count(2)  # the department's two, not the other department's one: every filter holds
    expect(dialog.get_by_text('Explore Patient 0')).to_be_visible()
    expect(dialog.get_by_role('link', name='Patient').first).to_have_attribute('href', re.compile(r'/admin/patients/'))
    page.reload()  # the address keeps the open list
    expect(page.get_by_role('dialog').locator('tbody tr')).to_have_count(2)


def _until(check: Callable[[], bool], attempts: int = 100) -> None:
    """Wait (at most 20 s) until ``check()`` is true: the page redraws after the server answers."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.2)
    assert check()


EMPTY_TEXT = 'Nothing to show for this period yet. Try a longer period, or other filters.'


def test_empty_charts_at_phone_width_read_whole_and_pass_axe(
    browser: Browser, clinic: Clinic, explored: dict[str, int], tmp_path: Path
) -> None:
    """A period without appointments at 390 px: every chart card says so in text that wraps inside the card (never
    cut off), the busiest-hours heat map draws no block and no colour scale, and the page passes axe with its list
    dialog open."""
    session = Browsing(browser=browser, base_url=clinic.url, device=PHONE)
    try:
        page = session.page('admin')
        sign_in(page, clinic.admin_email, clinic.admin_password)
        page.goto('/admin?from=2001-01-01&to=2001-01-31')
        expect(page.get_by_text(EMPTY_TEXT, exact=True).first).to_be_visible()
        boxes = page.evaluate(
            """text => [...document.querySelectorAll('figure div')]
                .filter(el => el.textContent === text && el.children.length === 0 && el.offsetParent !== null)
                .map(el => [el.getBoundingClientRect(), el.closest('figure').getBoundingClientRect()])
                .map(([box, card]) => [box.left, box.right, card.left, card.right, box.height])""",
            EMPTY_TEXT,
        )
        assert len(boxes) >= 7, boxes  # utilisation may show 0 % of the published hours: that is news, not empty
        for left, right, card_left, card_right, height in boxes:
            assert card_left - 0.5 <= left and right <= card_right + 0.5 and left >= 0 and right <= 390, boxes
            assert height > 20, boxes  # wrapped onto several lines rather than cut
        heat = page.locator(PLOT.format(title='Busiest hours of the week'))
        assert heat.evaluate('el => el.data.length') == 0
        assert heat.locator('.colorbar').count() == 0
        usable(page)
        assert violations(page, '/admin, empty, phone') == []
        page.get_by_role('button', name='List these appointments').click()
        expect(page.get_by_role('dialog').get_by_text('No appointments under these filters.')).to_be_visible()
        assert violations(page, '/admin, list dialog, phone') == []
    finally:
        session.close(tmp_path)
    assert session.errors == [], '\n'.join(session.errors)
