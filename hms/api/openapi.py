"""The OpenAPI document says what the API really answers: every error is `application/problem+json`, and a body
that cannot be read at all is a 400.

FastAPI documents error responses as `application/json` and its own 422 body (`HTTPValidationError`), while
hms/api/problems.py answers RFC 9457 problem details; clients and contract tests (schemathesis) read the document, so
it is corrected once here instead of in every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .problems import PROBLEM_JSON, Problem

PROBLEM_REF = '#/components/schemas/Problem'
_FASTAPI_VALIDATION = ('#/components/schemas/HTTPValidationError',)
UNREADABLE_BODY = 'The body could not be read (it is not UTF-8 encoded JSON)'


def _problem_schema() -> dict[str, Any]:
    return Problem.model_json_schema(ref_template='#/components/schemas/{model}')


def problem_content(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the error responses of ``document`` (in place) to problem details; returns it."""
    document.setdefault('components', {}).setdefault('schemas', {}).setdefault('Problem', _problem_schema())
    for path in document.get('paths', {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            if 'requestBody' in operation:  # bytes that are not UTF-8 never reach JSON parsing: FastAPI says 400
                operation.setdefault('responses', {}).setdefault('400', {'description': UNREADABLE_BODY})
            for status, response in operation.get('responses', {}).items():
                if str(status)[:1] not in ('4', '5'):
                    continue
                content = response.setdefault('content', {})
                media = content.pop('application/json', None) or content.get(PROBLEM_JSON) or {}
                schema = media.get('schema') or {}
                if not schema or schema.get('$ref') in _FASTAPI_VALIDATION:
                    media = {**media, 'schema': {'$ref': PROBLEM_REF}}
                content[PROBLEM_JSON] = media
    schemas = document['components']['schemas']
    for name in ('HTTPValidationError', 'ValidationError'):
        schemas.pop(name, None)
    return document


class DocumentedAPI(FastAPI):
    """A FastAPI application whose document (served at its `openapi_url`) says errors are problem details."""

    def openapi(self) -> dict[str, Any]:
        return problem_content(super().openapi())  # FastAPI builds it once; the rewrite is idempotent
