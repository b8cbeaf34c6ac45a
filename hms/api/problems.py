"""Errors as RFC 9457 problem details; a bad input is a 4xx with a clear ``detail``, never a traceback.

Languages: ``detail`` and the field messages in ``errors`` are for people and follow the request's
``Accept-Language`` (set by hms.api.language; the messages are translated where they are raised). ``type``,
``status`` and ``code`` are for programs and never change with the language. ``title`` stays in English too:
RFC 9457 allows a localised title, but every problem here has the type ``about:blank``, and clients (and our own
tests) have told problems of one status apart by their title ('Slot taken' or 'Overlapping appointment', both 409);
a title that changed with the language would break them. ``code`` names the same thing explicitly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hms import i18n
from hms.db import faults
from hms.domain.errors import DomainError, InvalidInput, NotAuthenticated, TooManyAttempts
from hms.domain.validation import first_problems
from hms.i18n import N_, _, ngettext

logger = logging.getLogger(__name__)

PROBLEM_JSON = 'application/problem+json'
Responses = dict[int | str, dict[str, Any]]


# --- The documentation of the error bodies every route may answer -----------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: `detail` is meant for people, `errors` names the invalid fields."""

    type: str = 'about:blank'
    title: str
    status: int
    detail: str = Field(
        description='For people, in the language asked for with `Accept-Language` (English, German or French; '
        "otherwise the clinic's default)"
    )
    instance: str | None = None
    errors: dict[str, str] | None = Field(
        default=None, description='A message for each invalid field, in the language of `detail`'
    )
    code: str | None = Field(
        default=None,
        description='What went wrong, for programs: e.g. `slot_taken`, `invalid_input`, `not_found`; the same in '
        'every language',
    )


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

# What to tell people when an HTTP error carries nothing but its status phrase (no such route, a wrong method...).
_HTTP_DETAILS = {
    400: N_('The request is not valid.'),
    401: N_('Please sign in.'),
    403: N_('You are not allowed to do this.'),
    404: N_('There is nothing at this address.'),
    405: N_('This method is not allowed at this address.'),
    406: N_('This resource cannot answer in the requested format.'),
    413: N_('The request body is too large.'),
    415: N_('This type of request body is not accepted here.'),
    429: N_('Too many requests. Please wait a little and try again.'),
}


# FastAPI's own English details, as people should read them.
_FRAMEWORK_DETAILS = {
    'There was an error parsing the body': N_('The request body could not be read: send JSON encoded as UTF-8.'),
}


def _code(status: int) -> str:
    """The machine-readable code of an HTTP status: 'not_found', 'method_not_allowed'..."""
    try:
        return HTTPStatus(status).name.lower()
    except ValueError:
        return f'http_{status}'


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    code: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem answer; ``extra`` adds members of the problem type (e.g. `affected` of an AvailabilityProblem).
    ``detail`` and ``errors`` come translated; ``title`` and ``code`` are the stable English ones."""
    body: dict[str, Any] = {
        'type': 'about:blank',
        'title': title or HTTPStatus(status).phrase,
        'status': status,
        'detail': detail,
        'instance': request.url.path,
        'code': code or _code(status),
    }
    if errors:
        body['errors'] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(
    request: Request, error: DomainError, *, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """The problem of a domain error: its message (translated when raised), its stable title and code."""
    return problem(
        request,
        error.status_code,
        error.message,
        title=error.title,
        code=error.code,
        errors=error.field_errors,
        headers=headers,
        extra=extra,
    )


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    headers = {}
    if isinstance(error, NotAuthenticated):
        headers['WWW-Authenticate'] = 'Bearer'
    if isinstance(error, TooManyAttempts):
        headers['Retry-After'] = str(error.retry_after_seconds)
    return domain_problem(request, error, headers=headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = first_problems(error.errors())  # at most a few fields, however many were wrong
    summary = '; '.join(
        _('{field}: {problem}', field=field, problem=message) for field, message in found.listed.items()
    )
    detail = _('The request is not valid. {problems}', problems=summary)
    if found.unlisted:
        detail = ngettext(
            'The request is not valid. {problems} ({n} more field is not listed.)',
            'The request is not valid. {problems} ({n} more fields are not listed.)',
            found.unlisted,
            problems=summary,
        )
    return problem(request, 422, detail, title=InvalidInput.title, code=InvalidInput.code, errors=found.listed)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ''
    if isinstance(error.detail, str) and error.detail in _FRAMEWORK_DETAILS:
        detail = _(_FRAMEWORK_DETAILS[error.detail])
    elif isinstance(error.detail, str) and error.detail and error.detail != phrase:
        detail = error.detail  # a message of its own, written (and translated) where it was raised
    elif status in _HTTP_DETAILS:
        detail = _(_HTTP_DETAILS[status])
    else:
        detail = _('The request could not be carried out (HTTP {status}).', status=status)
    return problem(request, status, detail, headers=dict(error.headers or {}))


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A read-only or full disk, a database locked too long, a database server down: 503, never a traceback."""
    if not faults.is_unavailable(error):
        return await _unexpected_error(request, error)
    faults.log(error, f'{request.method} {request.url.path}')
    headers = {'Retry-After': str(faults.RETRY_AFTER_SECONDS)}
    return problem(
        request,
        503,
        faults.user_message(error),
        title='Database unavailable',
        code='database_unavailable',
        headers=headers,
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception('unexpected error on %s %s', request.method, request.url.path)
    # Starlette answers a 500 outside the middleware that set the request's language: find it again here.
    with i18n.use_language(i18n.negotiate(request.headers.get('accept-language'))):
        detail = _('Something went wrong on our side. The error has been logged.')
    return problem(request, 500, detail)


def install(api: FastAPI) -> None:
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(faults.DRIVER_ERROR, _database_error)
    api.add_exception_handler(Exception, _unexpected_error)
