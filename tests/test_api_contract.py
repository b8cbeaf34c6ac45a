"""The published API contract only grows: the OpenAPI document still holds everything of a committed snapshot.

``tests/openapi_snapshot.json`` is the document as published. The current one must contain every path and operation,
every parameter, response and media type, every schema (by its name in ``components``) and every property with its
type, format, description, examples and default, and every other value the snapshot has, unchanged. Additions are
allowed: a new path, a new optional parameter or request field, a new response field, a description where there was
none. Removing or changing anything fails, and so does a property whose required-ness changes, a new required
parameter or a new required field of a request body.

After a deliberate addition, take it into the snapshot (refused while something of the snapshot is missing):
``.venv/bin/python -m tests.test_api_contract --update``. A deliberate breaking change (a security fix that changes
an answer) is taken with ``--update --breaking`` and is written down for integrators in CHANGELOG.md, under
"Changed" or "Removed" of the coming release.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hms.api.app import create_api

SNAPSHOT = Path(__file__).with_name('openapi_snapshot.json')
SCHEMAS = '#/components/schemas/'


def current_document() -> dict[str, Any]:
    return create_api().openapi()


def _parameters(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item['name'], item['in']): item for item in items}


def lost(published: Any, current: Any, where: str = '') -> Iterator[str]:
    """What of ``published`` is missing or different in ``current``, each as `where: what`."""
    if isinstance(published, dict):
        if not isinstance(current, dict):
            yield f'{where}: was an object, now {current!r}'
            return
        for key, value in published.items():
            if key not in current:
                yield f'{where}/{key}: removed'
            elif key == 'required' and isinstance(value, list):
                continue  # compared with the properties, in _required_changes
            else:
                yield from lost(value, current[key], f'{where}/{key}')
    elif isinstance(published, list) and where.endswith('/parameters') and isinstance(current, list):
        now = _parameters(current)
        for key, parameter in _parameters(published).items():
            if key not in now:
                yield f'{where}: parameter {key[0]!r} in {key[1]} removed'
            else:
                yield from lost(parameter, now[key], f'{where}/{key[0]}')
    elif published != current:
        yield f'{where}: {published!r} became {current!r}'


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == '$ref' and isinstance(value, str) and value.startswith(SCHEMAS):
                yield value.removeprefix(SCHEMAS)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def request_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas a client sends (request bodies and what they refer to, at any depth)."""
    schemas = document.get('components', {}).get('schemas', {})
    bodies = [
        operation.get('requestBody', {})
        for operations in document.get('paths', {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
    ]
    found: set[str] = set()
    pending = list(_refs(bodies))
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(_refs(schemas.get(name, {})))
    return found


def _required_changes(published: dict[str, Any], current: dict[str, Any]) -> Iterator[str]:
    """Properties whose required-ness changed, and new required request fields and parameters."""
    now_schemas = current.get('components', {}).get('schemas', {})
    sent = request_schemas(current)
    for name, schema in published.get('components', {}).get('schemas', {}).items():
        now = now_schemas.get(name, {})
        was_required, is_required = set(schema.get('required', ())), set(now.get('required', ()))
        for field in sorted(set(schema.get('properties', {})) & set(now.get('properties', {}))):
            if (field in was_required) != (field in is_required):
                yield f'{name}.{field}: required {field in was_required} became {field in is_required}'
        if name in sent:
            for field in sorted(is_required - set(schema.get('properties', {}))):
                yield f'{name}.{field}: a new required field of a request body'
    for path, operations in published.get('paths', {}).items():
        for method, operation in operations.items():
            now_operation = current.get('paths', {}).get(path, {}).get(method, {})
            was = _parameters(operation.get('parameters', []))
            for key, parameter in _parameters(now_operation.get('parameters', [])).items():
                if key in was and bool(was[key].get('required')) != bool(parameter.get('required')):
                    yield f'{method.upper()} {path} {key[0]!r}: required changed'
                elif key not in was and parameter.get('required'):
                    yield f'{method.upper()} {path} {key[0]!r}: a new required parameter'


def _without_release(document: dict[str, Any]) -> dict[str, Any]:
    """The document without info.version: that is the package's release number, which moves on by itself."""
    info = {key: value for key, value in document.get('info', {}).items() if key != 'version'}
    return {**document, 'info': info}


def contract_breaks(published: dict[str, Any], current: dict[str, Any]) -> list[str]:
    published, current = _without_release(published), _without_release(current)
    return [*lost(published, current), *_required_changes(published, current)]


def test_the_document_keeps_everything_it_published() -> None:
    published = json.loads(SNAPSHOT.read_text(encoding='utf-8'))
    breaks = contract_breaks(published, current_document())
    assert not breaks, f'{len(breaks)} changes to the published API:\n' + '\n'.join(breaks[:60])


def test_the_check_sees_a_removed_field_a_changed_type_and_a_new_required_request_field() -> None:
    published = json.loads(SNAPSHOT.read_text(encoding='utf-8'))
    current = json.loads(SNAPSHOT.read_text(encoding='utf-8'))
    schemas = current['components']['schemas']
    del schemas['AppointmentOut']['properties']['reason']
    schemas['SlotOut']['properties']['start']['type'] = 'integer'
    schemas['BookingIn']['properties']['note'] = {'type': 'string'}
    schemas['BookingIn']['required'].append('note')
    schemas['MeOut']['properties']['nickname'] = {'type': 'string'}  # a new response field: allowed
    breaks = contract_breaks(published, current)
    assert any('AppointmentOut/properties/reason: removed' in line for line in breaks), breaks
    assert any('SlotOut/properties/start/type' in line for line in breaks), breaks
    assert any('BookingIn.note: a new required field' in line for line in breaks), breaks
    assert len(breaks) == 3, breaks


def _update(*, breaking: bool) -> None:
    published = json.loads(SNAPSHOT.read_text(encoding='utf-8'))
    current = current_document()
    breaks = contract_breaks(published, current)
    if breaks and not breaking:
        sys.exit('Not updated: the current document drops or changes what was published:\n' + '\n'.join(breaks))
    if breaks:
        print('Taken as deliberate (write them down in CHANGELOG.md):\n' + '\n'.join(breaks))
    SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + '\n', encoding='utf-8')
    print(f'{SNAPSHOT} updated')


if __name__ == '__main__' and sys.argv[1:2] == ['--update']:
    _update(breaking=sys.argv[2:] == ['--breaking'])
