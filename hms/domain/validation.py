"""Turning pydantic validation errors into messages a person can act on, per field, in the language in force.

Pydantic's own messages are English only, so each error *type* is mapped to a sentence of ours (with its limits
filled in from the error's context); the messages our validators raise (``ValueError(_('...'))``) were translated
when they were raised and are passed on as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from babel.lists import format_list
from pydantic import BaseModel, ValidationError

from hms.i18n import N_, _, locale, ngettext
from hms.i18n.formats import format_number

from .errors import InvalidInput

ModelT = TypeVar('ModelT', bound=BaseModel)

MAX_LISTED_PROBLEMS = 10  # fields named in one answer: enough to act on, never a megabyte of errors
REQUIRED = N_('This field is required.')
INVALID = N_('This value is not valid.')
_QUOTED = re.compile(r"'([^']*)'")

# Error types whose message needs nothing from the error's context.
_FIXED = {
    'missing': REQUIRED,
    'extra_forbidden': N_('This field is not expected here.'),
    'string_type': N_('Enter text.'),
    'string_pattern_mismatch': N_('This value does not have the expected form.'),
    'int_type': N_('Enter a whole number.'),
    'int_parsing': N_('Enter a whole number.'),
    'int_from_float': N_('Enter a whole number.'),
    'int_parsing_size': N_('This number is too large.'),
    'float_type': N_('Enter a number.'),
    'float_parsing': N_('Enter a number.'),
    'decimal_type': N_('Enter a number.'),
    'decimal_parsing': N_('Enter a number.'),
    'finite_number': N_('Enter a finite number.'),
    'bool_type': N_('Enter true or false.'),
    'bool_parsing': N_('Enter true or false.'),
    'date_type': N_('Enter a date as YYYY-MM-DD.'),
    'date_parsing': N_('Enter a date as YYYY-MM-DD.'),
    'date_from_datetime_parsing': N_('Enter a date as YYYY-MM-DD.'),
    'date_from_datetime_inexact': N_('Enter a date without a time, as YYYY-MM-DD.'),
    'datetime_type': N_('Enter a date and time with its offset from UTC, e.g. 2026-12-01T09:00:00+01:00.'),
    'datetime_parsing': N_('Enter a date and time with its offset from UTC, e.g. 2026-12-01T09:00:00+01:00.'),
    'datetime_from_date_parsing': N_('Enter a date and time with its offset from UTC, e.g. 2026-12-01T09:00:00+01:00.'),
    'datetime_object_invalid': N_('Enter a date and time with its offset from UTC, e.g. 2026-12-01T09:00:00+01:00.'),
    'timezone_aware': N_('Give the time with its offset from UTC, e.g. 2026-12-01T09:00:00+01:00.'),
    'timezone_naive': N_('Give the time without an offset from UTC.'),
    'time_type': N_('Enter a time as HH:MM.'),
    'time_parsing': N_('Enter a time as HH:MM.'),
    'list_type': N_('Send a list here.'),
    'tuple_type': N_('Send a list here.'),
    'set_type': N_('Send a list here.'),
    'dict_type': N_('Send a JSON object here.'),
    'model_type': N_('Send a JSON object here.'),
    'model_attributes_type': N_('Send a JSON object here.'),
    'json_invalid': N_('The request body is not valid JSON.'),
    'json_type': N_('The request body is not valid JSON.'),
}


def _number(value: Any) -> str:
    return format_number(value) if isinstance(value, int | float) else str(value)


def _choices(expected: str) -> str:
    """ "'female', 'male' or 'other'" (pydantic's English) as the same choices listed in the current language."""
    values = [f"'{value}'" for value in _QUOTED.findall(expected)] or [expected]
    return format_list(values, style='or', locale=locale())


def _own_message(ctx: dict[str, Any]) -> str | None:
    """The message of a ValueError (or assertion) raised by one of our validators: translated when raised."""
    error = ctx.get('error')
    if error is None:
        return None
    return str(error) or None


# Error types whose message takes a limit or the choices from the error's context.
_WITH_CONTEXT: dict[str, Callable[[dict[str, Any]], str | None]] = {
    'string_too_short': lambda ctx: (
        _(REQUIRED)
        if ctx.get('min_length', 1) <= 1
        else ngettext('Use at least {n} character.', 'Use at least {n} characters.', int(ctx['min_length']))
    ),
    'string_too_long': lambda ctx: ngettext(
        'Use at most {n} character.', 'Use at most {n} characters.', int(ctx.get('max_length', 0))
    ),
    'too_short': lambda ctx: ngettext(
        'Give at least {n} item.', 'Give at least {n} items.', int(ctx.get('min_length', 0))
    ),
    'too_long': lambda ctx: ngettext(
        'Give at most {n} item.', 'Give at most {n} items.', int(ctx.get('max_length', 0))
    ),
    'greater_than': lambda ctx: _('Enter a number greater than {limit}.', limit=_number(ctx.get('gt'))),
    'greater_than_equal': lambda ctx: _('Enter a number of at least {limit}.', limit=_number(ctx.get('ge'))),
    'less_than': lambda ctx: _('Enter a number less than {limit}.', limit=_number(ctx.get('lt'))),
    'less_than_equal': lambda ctx: _('Enter a number of at most {limit}.', limit=_number(ctx.get('le'))),
    'enum': lambda ctx: _('Choose one of {choices}.', choices=_choices(str(ctx.get('expected', '')))),
    'literal_error': lambda ctx: _('Choose one of {choices}.', choices=_choices(str(ctx.get('expected', '')))),
    'value_error': _own_message,
    'assertion_error': _own_message,
}


def _email_problem(error: dict[str, Any]) -> bool:
    """EmailStr's refusal: a ``value_error`` of pydantic's own, in English, carrying a ``reason``."""
    return error.get('type') == 'value_error' and 'valid email address' in str(error.get('msg', ''))


def readable_message(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence in the language in force."""
    kind = str(error.get('type', ''))
    ctx = error.get('ctx') or {}
    if _email_problem(error):
        message: str | None = _('Enter a valid email address.')
    elif kind in _FIXED:
        message = _(_FIXED[kind])
    elif kind in _WITH_CONTEXT:
        message = _WITH_CONTEXT[kind](ctx)
    else:
        message = None
    message = message or _(INVALID)
    return message[:1].upper() + message[1:]


def field_name(error: Mapping[str, Any]) -> str:
    location = [str(part) for part in error.get('loc', ()) if part not in ('body', 'query', 'path')]
    return '.'.join(location) or 'body'


@dataclass(frozen=True)
class Problems:
    """The first problem of each of the first ``MAX_LISTED_PROBLEMS`` fields, and how many more fields had one."""

    listed: dict[str, str]
    unlisted: int


def first_problems(errors: Iterable[Mapping[str, Any]], limit: int = MAX_LISTED_PROBLEMS) -> Problems:
    """At most ``limit`` fields, each with its first message; the rest only counted (no message is composed for
    them: a body of thousands of bad fields costs a count, and its answer stays small)."""
    listed: dict[str, str] = {}
    others: set[str] = set()
    for item in errors:
        name = field_name(item)
        if name in listed or name in others:
            continue
        if len(listed) < limit:
            listed[name] = readable_message(dict(item))
        else:
            others.add(name)
    return Problems(listed, len(others))


def field_errors(error: ValidationError) -> dict[str, str]:
    """The first message for each field (the first ``MAX_LISTED_PROBLEMS`` fields), e.g.
    ``{'email': 'Enter a valid email address.'}``."""
    return first_problems(error.errors(include_url=False, include_input=False)).listed


def parse(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """Validate ``data`` into ``model`` or raise InvalidInput with a message per field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = field_errors(error)
        raise InvalidInput(_('Please correct the highlighted fields.'), field_errors=errors) from error
