"""The first part of the JSON API: register, login, logout, me, password; errors as problem details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hms.clock import ManualClock
from hms.context import AppContext
from hms.services import accounts

from .api_fixtures import PROBLEM, login, mounted_api
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .factories import DOCTOR_PASSWORD, PATIENT_PASSWORD, make_doctor, patient_data


@pytest.fixture
def api(ctx: AppContext) -> Iterator[TestClient]:
    yield from mounted_api()  # as main.py does: the API lives under /api


def test_register_then_login_then_me(api: TestClient, clock: ManualClock) -> None:
    response = api.post('/api/register', json=patient_data())
    assert response.status_code == 202
    login = api.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    assert login.status_code == 200
    body = login.json()
    assert body['token_type'] == 'bearer' and body['role'] == 'patient'
    registered = {'user_id': body['user_id']}
    assert body['expires_at']
    me = api.get('/api/me', headers={'Authorization': f'Bearer {body["access_token"]}'})
    assert me.json() == {
        'user_id': registered['user_id'],
        'email': 'ada@example.com',
        'role': 'patient',
        'name': 'Ada Lovelace',
        'must_change_password': False,
    }


def test_registering_a_taken_address_answers_as_for_a_new_one(api: TestClient) -> None:
    first = api.post('/api/register', json=patient_data())
    again = api.post('/api/register', json=patient_data(email='ADA@Example.COM', name='Mallory'))
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()


def test_register_invalid_fields_are_422_with_field_errors(api: TestClient) -> None:
    response = api.post('/api/register', json=patient_data(email='nope', password='123', dob='2999-01-01', extra='x'))
    assert response.status_code == 422
    problem = response.json()
    assert response.headers['content-type'].startswith(PROBLEM)
    assert problem['status'] == 422 and problem['title'] == 'Invalid input'
    assert {'email', 'password', 'dob', 'extra'} <= set(problem['errors'])
    assert 'at least 8' in problem['errors']['password']


@pytest.mark.parametrize('body', ['not json', '[]', '{"email": 5}', '{}'])
def test_malformed_bodies_are_4xx_problems(api: TestClient, body: str) -> None:
    response = api.post('/api/login', content=body, headers={'content-type': 'application/json'})
    assert response.status_code == 422
    assert response.json()['detail']


def test_wrong_credentials_are_one_generic_401(api: TestClient) -> None:
    api.post('/api/register', json=patient_data())
    wrong = api.post('/api/login', json={'email': 'ada@example.com', 'password': 'wrong-password'})
    unknown = api.post('/api/login', json={'email': 'who@example.com', 'password': 'wrong-password'})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()['detail'] == unknown.json()['detail'] == 'Wrong email or password.'


def test_throttled_login_is_429_with_retry_after(api: TestClient, ctx: AppContext) -> None:
    api.post('/api/register', json=patient_data())
    for _ in range(ctx.settings.login_max_failures):
        api.post('/api/login', json={'email': 'ada@example.com', 'password': 'wrong-password'})
    response = api.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    assert response.status_code == 429
    assert int(response.headers['retry-after']) > 0
    assert 'Try again in' in response.json()['detail']


def test_blacklisted_user_gets_403_and_loses_tokens(api: TestClient, ctx: AppContext) -> None:
    api.post('/api/register', json=patient_data())
    headers = login(api, 'ada@example.com', PATIENT_PASSWORD)
    user_id = api.get('/api/me', headers=headers).json()['user_id']
    admin_login = api.post('/api/login', json={'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD}).json()
    with ctx.uow() as uow:
        admin = accounts.authenticate(uow, ctx.settings, admin_login['access_token'], kind=accounts.SessionKind.API)
        accounts.set_active(uow, admin, user_id, active=False)
    assert api.get('/api/me', headers=headers).status_code == 401
    refused = api.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    assert refused.status_code == 403
    assert 'deactivated' in refused.json()['detail']


def test_logout_revokes_the_token(api: TestClient) -> None:
    api.post('/api/register', json=patient_data())
    headers = login(api, 'ada@example.com', PATIENT_PASSWORD)
    assert api.post('/api/logout', headers=headers).status_code == 200
    response = api.get('/api/me', headers=headers)
    assert response.status_code == 401
    assert response.headers['www-authenticate'] == 'Bearer'


@pytest.mark.parametrize('header', [None, 'Bearer', 'Bearer not-a-token', 'Basic YWRhOnB3'])
def test_me_requires_a_valid_token(api: TestClient, header: str | None) -> None:
    response = api.get('/api/me', headers={'Authorization': header} if header else {})
    assert response.status_code == 401
    assert response.headers['content-type'].startswith(PROBLEM)


def test_token_expires_when_idle(api: TestClient, clock: ManualClock) -> None:
    api.post('/api/register', json=patient_data())
    headers = login(api, 'ada@example.com', PATIENT_PASSWORD)
    clock.advance(timedelta(minutes=31))
    assert api.get('/api/me', headers=headers).status_code == 401


def test_password_change(api: TestClient) -> None:
    api.post('/api/register', json=patient_data())
    headers = login(api, 'ada@example.com', PATIENT_PASSWORD)
    wrong = api.post(
        '/api/me/password', headers=headers, json={'current_password': 'nope', 'new_password': 'Fresh-Pine-88'}
    )
    assert wrong.status_code == 422 and 'current_password' in wrong.json()['errors']
    weak = api.post(
        '/api/me/password', headers=headers, json={'current_password': PATIENT_PASSWORD, 'new_password': 'abc'}
    )
    assert weak.status_code == 422 and 'new_password' in weak.json()['errors']
    ok = api.post(
        '/api/me/password',
        headers=headers,
        json={'current_password': PATIENT_PASSWORD, 'new_password': 'Fresh-Pine-88'},
    )
    assert ok.status_code == 200
    login(api, 'ada@example.com', 'Fresh-Pine-88')


def test_doctor_with_initial_password_is_flagged(api: TestClient, ctx: AppContext) -> None:
    make_doctor(ctx, must_change_password=True)

    me = api.get('/api/me', headers=login(api, 'house@clinic.test', DOCTOR_PASSWORD)).json()
    assert me['role'] == 'doctor' and me['must_change_password'] is True


def test_openapi_and_docs_are_served(api: TestClient) -> None:
    schema = api.get('/api/openapi.json').json()
    assert {'/register', '/login', '/logout', '/me', '/me/password'} <= set(schema['paths'])
    assert schema['servers'] == [{'url': '/api'}]
    assert api.get('/api/docs').status_code == 200


def test_unknown_route_is_a_json_404(api: TestClient) -> None:
    response = api.get('/api/no-such-thing')
    assert response.status_code == 404
    assert response.headers['content-type'].startswith(PROBLEM)
