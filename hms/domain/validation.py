"""Turning pydantic validation errors into messages a person can act on, per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InvalidInput

ModelT = TypeVar('ModelT', bound=BaseModel)

_PREFIXES = ('Value error, ', 'Assertion failed, ')


def readable_message(error: dict[str, Any]) -> str:
    message = str(error.get('msg', 'Invalid value'))
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    too_short = error.get('type') == 'string_too_short' and (error.get('ctx') or {}).get('min_length') == 1
    if error.get('type') == 'missing' or too_short:
        message = 'This field is required.'
    elif error.get('type') == 'extra_forbidden':
        message = 'This field is not expected here.'
    return message[:1].upper() + message[1:]


def field_name(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get('loc', ()) if part not in ('body', 'query', 'path')]
    return '.'.join(location) or 'body'


def field_errors(error: ValidationError) -> dict[str, str]:
    """The first message for each field, e.g. ``{'email': 'Enter a valid email address.'}``."""
    messages: dict[str, str] = {}
    for item in error.errors():
        messages.setdefault(field_name(dict(item)), readable_message(dict(item)))
    return messages


def parse(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """Validate ``data`` into ``model`` or raise InvalidInput with a message per field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = field_errors(error)
        raise InvalidInput('Please correct the highlighted fields.', field_errors=errors) from error
