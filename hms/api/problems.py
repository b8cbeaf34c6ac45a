"""Errors as RFC 9457 problem details; a bad input is a 4xx with a clear ``detail``, never a traceback."""

from __future__ import annotations

import logging
from datetime import datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hms.db import faults
from hms.domain.errors import DomainError, NotAuthenticated, TooManyAttempts
from hms.domain.validation import field_name, readable_message

logger = logging.getLogger(__name__)

PROBLEM_JSON = 'application/problem+json'
Responses = dict[int | str, dict[str, Any]]


# --- The documentation of the error bodies every route may answer -----------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: `detail` is meant for people, `errors` names the invalid fields."""

    type: str = 'about:blank'
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: dict[str, str] | None = None


class AffectedAppointment(BaseModel):
    id: int
    start: datetime
    patient: str


class AvailabilityProblem(Problem):
    """409 when new availability would strand bookings; repeat with `confirm_cancel=true` to cancel them."""

    affected: list[AffectedAppointment]


_PROBLEM_DESCRIPTIONS = {
    401: 'Not signed in, or the session ended',
    403: 'Your role does not give access to this resource',
    404: 'No such resource (or not yours to see)',
    409: 'Conflict with the current state',
    422: 'Invalid input; `errors` names the fields',
}


def problem_responses(*codes: int, described: dict[int, str] | None = None) -> Responses:
    """The `responses=` of a route: a problem body for each status code, with the usual or the given description."""
    descriptions = {**_PROBLEM_DESCRIPTIONS, **(described or {})}
    return {code: {'model': Problem, 'description': descriptions.get(code, 'Error')} for code in codes}


class ProblemFamily:
    """The `problem_responses` of a group of routes: the codes they all answer, with the group's descriptions; a call
    adds a route's own codes and descriptions."""

    def __init__(self, *always: int, described: dict[int, str]) -> None:
        self.always, self.described = always, described

    def __call__(self, *codes: int, described: dict[int, str] | None = None) -> Responses:
        return problem_responses(*self.always, *codes, described={**self.described, **(described or {})})


# --- Answering errors -------------------------------------------------------------------------------------------------


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem answer; ``extra`` adds members of the problem type (e.g. `affected` of an AvailabilityProblem)."""
    body: dict[str, Any] = {
        'type': 'about:blank',
        'title': title or HTTPStatus(status).phrase,
        'status': status,
        'detail': detail,
        'instance': request.url.path,
    }
    if errors:
        body['errors'] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    headers = {}
    if isinstance(error, NotAuthenticated):
        headers['WWW-Authenticate'] = 'Bearer'
    if isinstance(error, TooManyAttempts):
        headers['Retry-After'] = str(error.retry_after_seconds)
    return problem(
        request, error.status_code, error.message, title=error.title, errors=error.field_errors, headers=headers
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors: dict[str, str] = {}
    for item in error.errors():
        errors.setdefault(field_name(dict(item)), readable_message(dict(item)))
    summary = '; '.join(f'{field}: {message}' for field, message in errors.items())
    return problem(request, 422, f'The request is not valid. {summary}', title='Invalid input', errors=errors)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem(request, error.status_code, detail, headers=dict(error.headers or {}))


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A read-only or full disk, a database locked too long, a database server down: 503, never a traceback."""
    if not faults.is_unavailable(error):
        return await _unexpected_error(request, error)
    faults.log(error, f'{request.method} {request.url.path}')
    headers = {'Retry-After': str(faults.RETRY_AFTER_SECONDS)}
    return problem(request, 503, faults.user_message(error), title='Database unavailable', headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception('unexpected error on %s %s', request.method, request.url.path)
    return problem(request, 500, 'Something went wrong on our side. The error has been logged.')


def install(api: FastAPI) -> None:
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(faults.DRIVER_ERROR, _database_error)
    api.add_exception_handler(Exception, _unexpected_error)
