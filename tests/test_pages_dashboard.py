"""The admin dashboard page: every chart drawn from the data, filters, CSV, and live updates over Redis."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from .factories import PATIENT_PASSWORD
from .page_steps import eventually, label_text, sign_in_admin
from .scheduling_fixtures import Clinic, insert_appointment, local

# Waiting ends when the figure shows; the ceiling is generous so that a loaded two-core machine never fails it;
# how fast it really is belongs to bench/, not to a test.
PATIENCE_SECONDS = 30.0


def figure(user: User, key: str) -> str:
    return label_text(user, f'figure-{key}')


async def shows(user: User, key: str, expected: str) -> None:
    for _ in range(int(PATIENCE_SECONDS / 0.05)):
        try:
            if figure(user, key) == expected:
                return
        except AssertionError:  # the figures are shown once the first ones are in
            pass
        await asyncio.sleep(0.05)
    assert figure(user, key) == expected


def chart(user: User, stem: str) -> dict:
    plot = user.find(marker=f'chart-{stem}').elements.pop()
    assert isinstance(plot, ui.plotly)
    return plot.figure


def add_completed(clinic: Clinic, days_ago: int) -> None:
    start = local(2, 10) - timedelta(days=days_ago)
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, start)


async def test_every_chart_is_drawn_from_the_data(user: User, clinic: Clinic) -> None:
    add_completed(clinic, 3)
    await sign_in_admin(user)
    await shows(user, 'completed', '1')  # the figures are read once the page is on screen
    assert figure(user, 'patients') == '2'
    per_day = chart(user, 'appointments-per-day')
    completed = next(trace for trace in per_day['data'] if trace['name'] == 'Completed')
    assert len(completed['x']) == 30 and sum(completed['y']) == 1
    assert per_day['layout']['barmode'] == 'stack'
    assert chart(user, 'appointments-by-doctor')['data'][1]['y'] == ['Meredith Grey']
    assert chart(user, 'busiest-hours')['data'][0]['type'] == 'heatmap'
    assert {trace['name'] for trace in chart(user, 'patients-seen')['data']} >= {'Female', 'Male'}
    utilisation = chart(user, 'doctor-utilisation')['data'][0]
    assert set(utilisation['y']) == {'Meredith Grey', 'Derek Shepherd'}
    assert chart(user, 'registrations-per-week')['data'][0]['type'] == 'bar'
    assert all(chart(user, stem)['config']['displaylogo'] is False for _, _, _, stem in _charts())


def _charts() -> list:
    from pages.components.charts import CHARTS

    return CHARTS


async def test_filters_apply_to_every_chart(user: User, clinic: Clinic) -> None:
    add_completed(clinic, 3)
    add_completed(clinic, 20)
    await sign_in_admin(user)
    await shows(user, 'completed', '2')
    user.find(marker='filter-period').elements.pop().set_value('last7')
    await shows(user, 'completed', '1')
    await eventually(  # the labels and each chart arrive as separate updates
        lambda: len(chart(user, 'appointments-per-day')['data'][0]['x']) == 7,
        'seven days on the per-day chart',
        tolerate=(KeyError, IndexError),
    )
    user.find(marker='filter-doctor').elements.pop().set_value(clinic.other_doctor.user_id)
    await shows(user, 'completed', '0')
    await eventually(lambda: figure(user, 'doctors_active') == '1', 'one doctor in the filter')


async def test_chart_data_downloads_as_csv(user: User, clinic: Clinic) -> None:
    add_completed(clinic, 3)
    await sign_in_admin(user)
    await shows(user, 'completed', '1')
    user.find(marker='csv-appointments-by-doctor').click()
    response = await user.download.next()
    text = response.content.decode('utf-8-sig')
    assert text.splitlines()[0] == 'doctor,booked,completed,cancelled,no_show,total'
    assert 'Meredith Grey,0,1,0,0,1' in text


async def test_an_open_dashboard_follows_bookings_made_elsewhere(redis_url: str, user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await shows(user, 'appointments_today', '0')
    login = await user.http_client.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    headers = {'Authorization': f'Bearer {login.json()["access_token"]}'}
    response = await user.http_client.post(
        '/api/appointments',
        headers=headers,
        json={'doctor_id': clinic.doctor.user_id, 'start': local(2, 11).isoformat(), 'reason': 'Check-up'},
    )
    assert response.status_code == 201, response.text
    await shows(user, 'appointments_today', '1')  # no reload: pushed through Redis to the open page
    appointment_id = response.json()['id']
    await user.http_client.post(f'/api/appointments/{appointment_id}/cancel', headers=headers, json={})
    await shows(user, 'cancellation_rate', '100.0%')
