"""GET /api/admin/stats: the dashboard's figures as JSON, for admins only, through the cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hms import context
from hms.config import Settings

from .api_fixtures import api_over, login
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD, make_patient


@pytest.fixture
def api(redis_url: str, settings: Settings) -> Iterator[TestClient]:
    yield from api_over(settings.model_copy(update={'redis_url': redis_url}))


def test_stats_are_cached_until_a_change(api: TestClient) -> None:
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    first = api.get('/api/admin/stats', headers=admin, params={'from': '2026-01-01', 'to': '2026-01-31'})
    assert first.status_code == 200 and first.headers['x-cache'] == 'MISS'
    assert set(first.json()) >= {
        'headline',
        'per_day',
        'by_department',
        'by_doctor',
        'utilisation',
        'registrations',
        'heatmap',
        'demographics',
    }
    assert len(first.json()['per_day']['dates']) == 31
    again = api.get('/api/admin/stats', headers=admin, params={'from': '2026-01-01', 'to': '2026-01-31'})
    assert again.headers['x-cache'] == 'HIT' and again.json()['headline'] == first.json()['headline']
    make_patient(context.get())  # a registration: the patient count changes, so the cached figures expire
    fresh = api.get('/api/admin/stats', headers=admin, params={'from': '2026-01-01', 'to': '2026-01-31'})
    assert fresh.headers['x-cache'] == 'MISS' and fresh.json()['headline']['patients'] == 1


def test_stats_are_for_admins_only(api: TestClient) -> None:
    make_patient(context.get())
    patient = login(api, 'ada@example.com', PATIENT_PASSWORD)
    assert api.get('/api/admin/stats', headers=patient).status_code == 403
    assert api.get('/api/admin/stats').status_code == 401


@pytest.mark.parametrize(
    'params', [{'from': '2026-02-01', 'to': '2026-01-01'}, {'from': '0001-01-01'}, {'doctor_id': 0}, {'to': 'soon'}]
)
def test_bad_filters_are_422(api: TestClient, params: dict[str, object]) -> None:
    response = api.get('/api/admin/stats', headers=login(api, ADMIN_EMAIL, ADMIN_PASSWORD), params=params)
    assert response.status_code == 422 and response.json()['detail']


def test_stats_take_the_dashboard_address_parameters_and_compare(api: TestClient) -> None:
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    params = {'from': '2026-01-08', 'to': '2026-01-14', 'status': 'completed', 'weekday': 0, 'hour': 9}
    found = api.get('/api/admin/stats', headers=admin, params={**params, 'compare': 'previous'})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body['query'] | {'first': '2026-01-08', 'last': '2026-01-14'} == body['query']
    assert (body['query']['status'], body['query']['weekday'], body['query']['hour']) == ('completed', 0, 9)
    assert body['previous']['query']['first'] == '2026-01-01' and body['previous']['query']['last'] == '2026-01-07'
    assert set(body['change']) >= {'completed', 'no_show_rate', 'utilisation'}
    assert set(body['measures']) >= {'utilisation', 'late_cancellation_rate', 'follow_up_adherence'}
    assert 'previous' not in api.get('/api/admin/stats', headers=admin, params=params).json()


@pytest.mark.parametrize(
    'params',
    [{'department': 987654}, {'doctor': 987654}, {'status': 'lost'}, {'weekday': 7}, {'hour': 24}, {'compare': 'x'}],
)
def test_unknown_filters_and_foreign_ids_are_422(api: TestClient, params: dict[str, object]) -> None:
    response = api.get('/api/admin/stats', headers=login(api, ADMIN_EMAIL, ADMIN_PASSWORD), params=params)
    assert response.status_code == 422, response.text
