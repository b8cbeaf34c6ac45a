"""Hostile input is cheap to refuse: bodies are bounded before validation (size, nesting, number of keys), error
answers list a few problems, and every text field follows one rule about invisible characters (hms.domain.text)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

import hms.api.routes
import hms.domain
from hms.config import Settings
from hms.domain.schemas import Command
from hms.domain.text import clean_text, one_line
from hms.domain.validation import MAX_LISTED_PROBLEMS
from hms.runtime.api_guard import MAX_JSON_DEPTH, MAX_JSON_ITEMS

from .api_fixtures import api_over, assert_problem

# --- The text rule ----------------------------------------------------------------------------------------------------

REFUSED_EVERYWHERE = {
    'NUL': '\x00',
    'escape': '\x1b[31m',
    'delete': '\x7f',
    'right-to-left override': '\u202e',
    'left-to-right embedding': '\u202a',
    'first strong isolate': '\u2068',
    'pop directional isolate': '\u2069',
    'interlinear annotation': '\ufff9',
    'language tag': '\U000e0001',
    'lone surrogate': '\ud800',
}
LINE_BREAKS = {'LF': '\n', 'CR LF': '\r\n', 'CR': '\r', 'line separator': '\u2028', 'paragraph separator': '\u2029'}
KEPT = ['Zoë Ñandú', '王秀英', 'محمد', 'Kid 👩\u200d⚕️ Doc', 'می\u200cخواهم', 'Dr\u00a0Grey', 'e\u0301clair']


@pytest.mark.parametrize('character', REFUSED_EVERYWHERE.values(), ids=REFUSED_EVERYWHERE.keys())
@pytest.mark.parametrize('multi_line', [False, True])
def test_control_format_and_bidi_characters_are_refused_naming_the_character(character: str, multi_line: bool) -> None:
    with pytest.raises(ValueError, match=f'U\\+{ord(character[0]):04X}'):
        clean_text(f'Ada{character}Lovelace', multi_line=multi_line)


@pytest.mark.parametrize('line_break', LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_single_line_fields_refuse_every_kind_of_line_break_and_multi_line_ones_keep_it_as_lf(line_break: str) -> None:
    with pytest.raises(ValueError, match='single line'):
        clean_text(f'Ada{line_break}Bcc: x@example.com')
    assert clean_text(f'Nuts{line_break}\tand latex', multi_line=True) == 'Nuts\n\tand latex'
    with pytest.raises(ValueError, match='single line'):
        clean_text('Ada\tLovelace')


def test_invisible_paste_residue_is_stripped_and_real_text_kept_exactly() -> None:
    assert clean_text('\ufeffAda\u200b Love\u00adlace\u200e\u200f\u061c\u2060') == 'Ada Lovelace'
    for text in KEPT:
        assert clean_text(text) == text


def test_output_paths_make_anything_one_line_without_failing() -> None:
    assert one_line('Eve\r\nBcc: x@example.com\u2028\u202e') == 'Eve  Bcc: x@example.com  '
    assert one_line('Kid 👩\u200d⚕️') == 'Kid 👩\u200d⚕️'


def _commands() -> Iterator[type[Command]]:
    for package in (hms.domain, hms.api.routes):
        for module in pkgutil.iter_modules(package.__path__, f'{package.__name__}.'):
            importlib.import_module(module.name)
    pending: list[type[Command]] = [Command]
    while pending:
        command = pending.pop()
        pending.extend(command.__subclasses__())
        if command is not Command:
            yield command


def _text_fields() -> list[tuple[type[Command], str]]:
    found = []
    for command in _commands():
        for name in command.model_fields:
            if 'password' in name:
                continue
            try:
                command.model_validate({name: 'plain'})
            except ValidationError as error:
                if any(item['loc'][:1] == (name,) for item in error.errors()):
                    continue  # not a text field (a date, a number, a choice...)
            found.append((command, name))
    return found


TEXT_FIELDS = _text_fields()


def test_every_text_field_is_found() -> None:
    names = {f'{command.__name__}.{name}' for command, name in TEXT_FIELDS}
    assert {'PatientRegistration.name', 'TreatmentIn.diagnosis', 'MedicineIn.name', 'BookingIn.reason'} <= names
    assert {'DepartmentIn.name', 'DepartmentIn.description', 'ProfilePatch.address', 'BlacklistIn.reason'} <= names


@pytest.mark.parametrize(('command', 'field'), TEXT_FIELDS, ids=[f'{c.__name__}.{f}' for c, f in TEXT_FIELDS])
def test_every_text_field_of_every_command_refuses_a_bidi_override(command: type[Command], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        command.model_validate({field: 'abc\u202edef'})
    messages = [item['msg'] for item in refused.value.errors() if item['loc'][:1] == (field,)]
    assert messages and 'U+202E' in messages[0]


# --- Bounded bodies ---------------------------------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    yield from api_over(settings)


def _post(client: TestClient, body: Any, **headers: str) -> Any:
    raw = json.dumps(body).encode()
    return client.post('/api/register', content=raw, headers={'Content-Type': 'application/json', **headers})


def test_tens_of_thousands_of_unknown_keys_get_one_small_413(client: TestClient) -> None:
    response = _post(client, {f'k{i}': 0 for i in range(50_000)})
    problem = assert_problem(response, 413, 'too many values')
    assert problem['code'] == 'body_too_many_items'
    assert len(response.content) < 1000


def test_many_items_in_arrays_count_too(client: TestClient) -> None:
    response = _post(client, {'name': [[0] * 1000 for _ in range(MAX_JSON_ITEMS // 1000 + 1)]})
    assert assert_problem(response, 413)['code'] == 'body_too_many_items'


@pytest.mark.parametrize('depth', [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_bodies_get_a_small_413(client: TestClient, depth: int) -> None:
    raw = b'{"name": ' + b'[' * depth + b']' * depth + b'}'
    response = client.post('/api/register', content=raw, headers={'Content-Type': 'application/json'})
    problem = assert_problem(response, 413, 'nests too deeply')
    assert problem['code'] == 'body_too_deep' and len(response.content) < 1000


def test_a_body_within_the_bounds_is_judged_on_its_fields_listing_a_few(client: TestClient) -> None:
    response = _post(client, {f'k{i}': 0 for i in range(5_000)})
    problem = assert_problem(response, 422, '(4996 more fields are not listed.)')  # 5000 unknown + 6 missing - 10
    assert len(problem['errors']) == MAX_LISTED_PROBLEMS
    assert len(response.content) < 3000


def test_the_bounds_answer_in_the_clients_language(client: TestClient) -> None:
    response = _post(client, {f'k{i}': 0 for i in range(50_000)}, **{'Accept-Language': 'de'})
    problem = assert_problem(response, 413)
    assert problem['code'] == 'body_too_many_items' and 'Anfrage' in problem['detail']


def test_a_bidi_override_in_a_name_is_a_clear_422(client: TestClient) -> None:
    response = _post(client, {'name': 'Ada \u202eecalevoL', 'email': 'x@example.com'})
    problem = assert_problem(response, 422, 'U+202E')
    assert 'U+202E' in problem['errors']['name']
