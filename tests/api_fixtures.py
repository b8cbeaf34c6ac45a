"""Shared by the API tests: a client over the mounted API, everyone of the clinic fixture signed in on demand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache, cached_property
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hms import context
from hms.api.app import mount
from hms.config import Settings
from hms.security.passwords import hash_password
from hms.services.bootstrap import ensure_admin
from hms.services.principal import Principal

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, DOCTOR_PASSWORD, PATIENT_PASSWORD
from .scheduling_fixtures import Clinic

PROBLEM = 'application/problem+json'
Headers = dict[str, str]


def login(api: TestClient, email: str, password: str) -> Headers:
    response = api.post('/api/login', json={'email': email, 'password': password})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


def assert_problem(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers['content-type'].startswith(PROBLEM)
    body = response.json()
    assert body['status'] == status and body['detail']
    for fragment in fragments:
        assert fragment in body['detail'], body['detail']
    return body


class People:
    """Bearer headers of everyone in the clinic fixture, each signed in when first used."""

    def __init__(self, api: TestClient, clinic: Clinic) -> None:
        self.api, self.clinic = api, clinic

    @cached_property
    def admin(self) -> Headers:
        return login(self.api, ADMIN_EMAIL, ADMIN_PASSWORD)

    @cached_property
    def ada(self) -> Headers:
        return login(self.api, self.clinic.patient.email, PATIENT_PASSWORD)

    @cached_property
    def bob(self) -> Headers:
        return login(self.api, self.clinic.other_patient.email, PATIENT_PASSWORD)

    @cached_property
    def grey(self) -> Headers:
        return login(self.api, self.clinic.doctor.email, DOCTOR_PASSWORD)

    @cached_property
    def shepherd(self) -> Headers:
        return login(self.api, self.clinic.other_doctor.email, DOCTOR_PASSWORD)

    def relogin(self) -> None:
        """Sign everyone in again (moving the clock past the idle timeout ends their sessions)."""
        for name in ('admin', 'ada', 'bob', 'grey', 'shepherd'):
            self.__dict__.pop(name, None)


def assert_refused_anonymously(api: TestClient, method: str, path: str) -> None:
    """Without a token the route answers 401, a problem, and says which scheme to use."""
    response = api.request(method, path, json={})
    assert_problem(response, 401)
    assert response.headers['www-authenticate'] == 'Bearer'


def openapi_path(paths: Iterable[str], path: str) -> str:
    """The OpenAPI path that a concrete API path (numbers where its parameters go) is documented under."""
    parts = path.removeprefix('/api').split('/')

    def fits(pattern: str) -> bool:
        documented = pattern.split('/')
        return len(documented) == len(parts) and all(
            a == b or (a.startswith('{') and b.isdigit()) for a, b in zip(documented, parts, strict=True)
        )

    matches = [pattern for pattern in paths if fits(pattern)]
    assert matches, path
    return matches[0]


def add_doctor(people: People, body: dict[str, Any]) -> dict[str, Any]:
    """The administrator adds a doctor through the API: the answer (the doctor and the one-time password)."""
    response = people.api.post('/api/admin/doctors', headers=people.admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@cache
def _doctor_password_hash() -> str:
    return hash_password(DOCTOR_PASSWORD)


def give_password(clinic: Clinic, person: Principal) -> None:
    """The fixture throws the doctors' initial passwords away: set DOCTOR_PASSWORD, as if already changed."""
    with clinic.ctx.uow() as uow:
        user = uow.users.get(person.user_id)
        assert user is not None
        user.password_hash, user.must_change_password = _doctor_password_hash(), False
        uow.commit()


def mounted_api() -> Iterator[TestClient]:
    """A client of the API mounted on a new app, over the current application context."""
    app = FastAPI()
    mount(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def api_over(settings: Settings) -> Iterator[TestClient]:
    """A client of the API over a new application context on ``settings``, with the administrator created."""
    ctx = context.init(settings)
    ensure_admin(ctx.db, ctx.settings)
    yield from mounted_api()
    ctx.db.dispose()


@pytest.fixture
def api(clinic: Clinic) -> Iterator[TestClient]:
    yield from mounted_api()


@pytest.fixture
def people(api: TestClient, clinic: Clinic) -> People:
    for doctor in (clinic.doctor, clinic.other_doctor):
        give_password(clinic, doctor)
    return People(api, clinic)
