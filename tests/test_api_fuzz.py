"""schemathesis against /api/openapi.json, in process over ASGI, as a signed-in patient, doctor and administrator.

Every operation of the schema gets EXAMPLES generated requests per role, valid and invalid data (deterministic, so a
failure repeats). No answer may be a server error (a 503 only where the operation documents it: no background worker
in this test), every answer must match the schema (its status code is documented, its content type and body
conform), and a success that needed the token must turn into a refusal when sent again without it or with a wrong one
(schemathesis' ignored_auth). The routes that end the caller's token run last, so the rest is fuzzed signed in.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import Failure, FailureGroup

from hms.api.app import mount

from .api_fixtures import People

# Per operation and role: valid data, then invalid data (wrong types, missing or extra fields, unreadable bodies).
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
LAST = ('POST /logout', 'POST /me/password', 'POST /patient/profile/email')
CHECKS = [
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.ignored_auth,
]


def _settings(mode: GenerationMode) -> settings:
    return settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing request is printed as generated
        suppress_health_check=list(HealthCheck),
    )


examples_run: dict[str, int] = {}


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi('/api/openapi.json', app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: op.label in LAST)


def _fuzz(operation: Any, headers: dict[str, str], role: str, failures: list[str], mode: GenerationMode) -> None:
    documented = set(operation.definition.raw.get('responses', {}))
    checks_for_mode = CHECKS + ([checks.negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @_settings(mode)
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        examples_run[role] = examples_run.get(role, 0) + 1
        response = case.call(headers={**(case.headers or {}), **headers})
        status = response.status_code
        if status >= 500 and not (status == 503 and '503' in documented):
            failures.append(f'{operation.label}: {status} for {case.path_parameters} {case.query} {case.body!r:.200}')
            return
        if status == 404 and _control_characters(case.path_parameters):
            return  # Starlette's Mount pattern stops at a line break: the host application answers, not the API
        try:
            case.validate_response(response, checks=checks_for_mode)
        except (AssertionError, FailureGroup, Failure) as error:  # the checks that failed, grouped
            failures.append(f'{operation.label} ({mode.value}): {status}: {str(error)[:600]}')

    with contextlib.suppress(Unsatisfiable):  # nothing about this operation can be made invalid
        run()


def _control_characters(values: dict[str, Any] | None) -> bool:
    return any(isinstance(value, str) and any(ord(c) < 32 for c in value) for value in (values or {}).values())


@pytest.fixture
def fuzz_app(api: TestClient) -> FastAPI:
    """The application the `api` client drives (the clinic fixture's context is current)."""
    app = FastAPI()
    mount(app)
    return app


@pytest.mark.parametrize('role', ['patient', 'doctor', 'admin'])
def test_no_server_error_and_every_answer_matches_the_schema(fuzz_app: FastAPI, people: People, role: str) -> None:
    headers = {'patient': people.ada, 'doctor': people.grey, 'admin': people.admin}[role]
    failures: list[str] = []
    for operation in _operations(fuzz_app):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, headers, role, failures, mode)
    assert examples_run[role] >= len(_operations(fuzz_app)), 'every operation was exercised'
    unique = sorted(set(failures))
    assert not unique, f'{len(unique)} problems as {role}:\n' + '\n'.join(unique[:40])


def test_the_schema_documents_every_error_as_problem_details(api: TestClient) -> None:
    """What schemathesis holds the answers to: errors are `application/problem+json` with the Problem schema."""
    document = api.get('/api/openapi.json').json()
    errors = [
        (path, method, status, response)
        for path, operations in document['paths'].items()
        for method, operation in operations.items()
        for status, response in operation['responses'].items()
        if status[0] in '45'
    ]
    assert errors
    for path, method, status, response in errors:
        assert list(response['content']) == ['application/problem+json'], (method, path, status)
    assert 'HTTPValidationError' not in document['components']['schemas']
    assert {'title', 'status', 'detail'} <= set(document['components']['schemas']['Problem']['required'])
