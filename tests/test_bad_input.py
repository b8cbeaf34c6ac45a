"""Bad input never gives a 500: oversized bodies, wrong types, broken JSON, unicode and control characters, HTML and
script in every text field, CSV formula prefixes. Each is refused with a clear problem detail naming the field, or
stored exactly as typed and shown back as text (JSON values, page labels, formula-safe CSV cells).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nicegui import ui
from nicegui.testing import User

from hms import context
from hms.domain.enums import Role
from hms.runtime.api_guard import MAX_BODY_BYTES
from hms.services import appointments

from .api_fixtures import PROBLEM, People, assert_problem, give_password, login
from .factories import ADMIN_PASSWORD, DOCTOR_PASSWORD, PATIENT_PASSWORD, build_export, patient_data
from .page_steps import see, sign_in
from .scheduling_fixtures import Clinic, local

SCRIPT = '<script>alert("x")</script>'
IMG = '<img src=x onerror=alert(1)>'
MARKUP = [SCRIPT, IMG, '"><svg onload=alert(1)>', "'; DROP TABLE users; --", '{{ 7*7 }} ${7*7}']
UNICODE = [
    'Zoë Ñandú-Łukasiewicz',
    '王秀英',
    'محمد',
    'Ｆｕｌｌｗｉｄｔｈ',
    'e\u0301clair',
    'Kid 👩\u200d⚕️ Doc',
]
# Refused in every text field, single- or multi-line (hms.domain.text): controls and bidirectional overrides.
CONTROL = ['\x00', '\x07', '\x1b[31m', '\x7f', '\u202e', '\u2066']
FORMULAS = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '=cmd|" /C calc"!A0']


def _not_a_crash(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert 'Traceback' not in response.text and 'File "' not in response.text


# --- Oversized bodies ------------------------------------------------------------------------------------------------


def test_an_oversized_body_is_refused_with_413_and_nothing_is_stored(api: TestClient, people: People) -> None:
    body = patient_data('big@example.com', address='x' * (MAX_BODY_BYTES + 10))
    response = api.post('/api/register', json=body)
    problem = assert_problem(response, 413, 'too large', 'KiB')
    assert problem['title'] == 'Content Too Large'
    response = api.post('/api/login', json={'email': 'big@example.com', 'password': PATIENT_PASSWORD})
    assert response.status_code == 401


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(api: TestClient, people: People) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"reason": "'
        for _ in range(MAX_BODY_BYTES // 65_536 + 2):
            yield b'y' * 65_536
        yield b'"}'

    response = api.post(
        f'/api/appointments/{1}/cancel', content=chunks(), headers={**people.ada, 'Content-Type': 'application/json'}
    )
    assert_problem(response, 413, 'too large')


def test_a_large_body_under_the_limit_is_judged_on_its_fields(api: TestClient, people: People) -> None:
    response = api.post('/api/register', json=patient_data('long@example.com', address='x' * 500_000))
    body = assert_problem(response, 422, 'address')
    assert 'address' in body['errors']


# --- Wrong types and broken JSON -------------------------------------------------------------------------------------

WRONG = [
    ('POST', '/api/register', patient_data('t@example.com', dob='yesterday'), 'dob'),
    ('POST', '/api/register', {**patient_data(), 'email': 42}, 'email'),
    ('POST', '/api/register', patient_data('t@example.com', name=['Ada']), 'name'),
    ('POST', '/api/appointments', {'doctor_id': 'abc', 'start': '2026-03-03T09:00:00+01:00'}, 'doctor_id'),
    ('POST', '/api/appointments', {'doctor_id': 1, 'start': ['tomorrow']}, 'start'),
    ('POST', '/api/appointments', {'doctor_id': 2**70, 'start': '2026-03-03T09:00:00+01:00'}, 'doctor_id'),
    ('POST', '/api/appointments', {'doctor_id': 1, 'start': '2026-02-30T09:00:00'}, 'start'),
    ('PATCH', '/api/patient/profile', {'gender': 'robot'}, 'gender'),
    ('PATCH', '/api/patient/profile', {'dob': '1990-13-01'}, 'dob'),
    ('GET', '/api/patient/notices?limit=-1', None, 'limit'),
    ('GET', '/api/patient/notices?limit=1e99', None, 'limit'),
    ('GET', '/api/doctors?date=2026-99-99', None, 'date'),
    ('GET', '/api/appointments/0', None, 'appointment_id'),
    ('GET', '/api/appointments/99999999999999999999999', None, 'appointment_id'),
]


@pytest.mark.parametrize(('method', 'path', 'body', 'field'), WRONG)
def test_wrong_types_are_refused_naming_the_field(
    api: TestClient, people: People, method: str, path: str, body: Any, field: str
) -> None:
    response = api.request(method, path, json=body, headers=people.ada)
    _not_a_crash(response)
    problem = assert_problem(response, 422)
    assert any(field in name for name in problem['errors']), problem


@pytest.mark.parametrize(
    'content', [b'{', b'[]', b'"text"', b'null', b'{"doctor_id": 1,}', b'\xff\xfe\x00', b''], ids=repr
)
def test_a_body_that_is_not_the_expected_json_object_is_a_clear_422(
    api: TestClient, people: People, content: bytes
) -> None:
    headers = {**people.ada, 'Content-Type': 'application/json'}
    response = api.post('/api/appointments', content=content, headers=headers)
    _not_a_crash(response)
    assert_problem(response, 400 if content.startswith(b'\xff') else 422)  # not UTF-8: not JSON at all


def test_a_body_of_another_media_type_is_refused(api: TestClient, people: People) -> None:
    response = api.post(
        '/api/appointments',
        content=b'doctor_id=1',
        headers={**people.ada, 'Content-Type': 'application/x-www-form-urlencoded'},
    )
    _not_a_crash(response)
    assert response.status_code in (415, 422)
    assert response.headers['content-type'].startswith(PROBLEM)


# --- Unicode and control characters ----------------------------------------------------------------------------------


@pytest.mark.parametrize('name', UNICODE)
def test_names_in_any_script_are_kept_exactly(api: TestClient, people: People, name: str) -> None:
    response = api.post('/api/register', json=patient_data('u@example.com', name=name, address=name))
    assert response.status_code == 202, response.text
    headers = login(api, 'u@example.com', PATIENT_PASSWORD)
    assert api.get('/api/me', headers=headers).json()['name'] == name
    profile = api.get('/api/patient/profile', headers=headers).json()
    assert profile['name'] == name and profile['address'] == name


@pytest.mark.parametrize('control', CONTROL, ids=repr)
@pytest.mark.parametrize(
    ('method', 'path', 'field', 'body'),
    [
        ('POST', '/api/register', 'name', lambda text: patient_data('c@example.com', name=f'Ada{text}Lovelace')),
        ('PATCH', '/api/patient/profile', 'allergies', lambda text: {'allergies': f'Nuts{text}and more'}),
        ('PATCH', '/api/patient/profile', 'emergency_contact', lambda text: {'emergency_contact': f'Mum{text}Dad'}),
        ('POST', '/api/appointments', 'reason', lambda text: {'reason': text}),
    ],
)
def test_control_characters_are_refused_in_text_fields(
    api: TestClient, people: People, control: str, method: str, path: str, field: str, body: Any
) -> None:
    payload = body(control)
    if path == '/api/appointments':
        payload = {
            'doctor_id': people.clinic.doctor.user_id,
            'start': local(3, 9).isoformat(),
            'reason': f'Ache{control}here',
        }
    response = api.request(method, path, json=payload, headers=people.ada)
    _not_a_crash(response)
    problem = assert_problem(response, 422)
    assert 'control character' in problem['errors'][field] and f'U+{ord(control[0]):04X}' in problem['errors'][field]


def test_line_breaks_and_tabs_stay_allowed_in_free_text(api: TestClient, people: People) -> None:
    text = 'Penicillin:\n\trash\r\nLatex\u2028Dust'
    response = api.patch('/api/patient/profile', json={'allergies': text}, headers=people.ada)
    assert response.status_code == 200, response.text
    assert response.json()['allergies'] == 'Penicillin:\n\trash\nLatex\nDust'  # every kind of line break: LF


# --- HTML and script in every text field -----------------------------------------------------------------------------


def _text_fields(api: TestClient, people: People, text: str) -> list[tuple[str, Any]]:
    """Every text field a person types, sent with ``text``; returns (what, the JSON that came back)."""
    clinic = people.clinic
    answers: list[tuple[str, Any]] = []

    def send(what: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        response = api.request(method, path, json=body, headers=headers)
        assert response.status_code in (200, 201), (what, response.text)
        assert response.headers['content-type'].startswith('application/json')
        answers.append((what, response.json()))
        return response.json()

    registered = api.post('/api/register', json=patient_data('m@example.com', name=f'M {text}', address=text))
    assert registered.status_code == 202, registered.text  # the same answer for any address: read it back instead
    send('registration', 'GET', '/api/patient/profile', None, login(api, 'm@example.com', PATIENT_PASSWORD))
    send('profile', 'PATCH', '/api/patient/profile', {'allergies': text, 'emergency_contact': text}, people.ada)
    booked = send(
        'booking',
        'POST',
        '/api/appointments',
        {'doctor_id': clinic.doctor.user_id, 'start': local(2, 9).isoformat(), 'reason': text},
        people.ada,
    )
    other = send(
        'booking',
        'POST',
        '/api/appointments',
        {'doctor_id': clinic.doctor.user_id, 'start': local(3, 9).isoformat(), 'reason': text},
        people.ada,
    )
    send('cancel', 'POST', f'/api/appointments/{other["id"]}/cancel', {'reason': text}, people.grey)
    medicine = {'name': text, 'dose': text[:100], 'frequency': text[:100], 'duration': text[:100], 'instructions': text}
    treatment = {
        'diagnosis': text,
        'treatment': text,
        'tests': text,
        'notes': text,
        'private_notes': text,
        'prescription': [medicine],
    }
    send('treatment', 'POST', f'/api/doctor/appointments/{booked["id"]}/complete', treatment, people.grey)
    send('department', 'POST', '/api/admin/departments', {'name': f'D {text}'[:120], 'description': text}, people.admin)
    send(
        'doctor',
        'POST',
        '/api/admin/doctors',
        {
            'name': f'Dr {text}'[:120],
            'email': 'dr@clinic.test',
            'department_id': clinic.department_id,
            'qualifications': text,
            'bio': text,
        },
        people.admin,
    )
    return answers


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize('text', MARKUP)
def test_markup_in_every_text_field_is_stored_and_returned_as_plain_text(
    api: TestClient, people: People, text: str
) -> None:
    for what, answer in _text_fields(api, people, text):
        strings = list(_strings(answer))
        assert any(text in value for value in strings), (what, answer)
        assert not any('&lt;' in value or '&gt;' in value for value in strings), 'stored as typed, not escaped twice'
    visits = api.get('/api/patient/history', headers=people.ada).json()
    assert text in list(_strings(visits))  # and read back from the database unchanged


# --- CSV formula prefixes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize('formula', FORMULAS)
def test_formulas_are_stored_as_typed_and_exported_as_text(api: TestClient, people: People, formula: str) -> None:
    response = api.post('/api/register', json=patient_data('f@example.com', name=f'{formula}'[:120], address=formula))
    assert response.status_code == 202, response.text
    assert api.get('/api/me', headers=login(api, 'f@example.com', PATIENT_PASSWORD)).json()['name'] == formula[:120]
    ctx, admin = people.clinic.ctx, people.clinic.admin
    assert admin.role is Role.ADMIN
    _, content, _ = build_export(ctx, admin, 'patients')
    rows = list(csv.reader(io.StringIO(content.decode('utf-8-sig'))))
    cells = [cell for row in rows for cell in row]
    assert f"'{formula[:120]}" in cells, 'the cell is prefixed so that a spreadsheet shows it as text'
    assert not any(cell.startswith(('=', '+', '@')) for cell in cells)


# --- The main page forms ---------------------------------------------------------------------------------------------


async def _register(user: User, name: str, address: str = '1 Main Street') -> None:
    await user.open('/register')
    user.find('Full name').type(name)
    user.find('Email').type('page@example.com')
    user.find('Password').type(PATIENT_PASSWORD)
    user.find('Date of birth').type('1990-01-01')
    user.find('Phone').type('+44 20 7946 0001')
    user.find('Address').type(address)
    user.find('Gender').click()
    user.find('Female').click()
    user.find(kind=ui.button, content='Create account').click()


async def test_markup_typed_in_the_registration_form_is_shown_as_text(user: User) -> None:
    await _register(user, f'Eve {SCRIPT}', address=IMG)
    await see(user, marker='registered')  # registering does not sign in: signing in is the next step
    await sign_in(user, 'page@example.com', PATIENT_PASSWORD, f'Welcome, Eve {SCRIPT}')  # a label: text, not markup
    await user.open('/patient/profile')
    await see(user, IMG)
    assert user.client is not None
    html = [element for element in user.client.layout.descendants() if isinstance(element, ui.html)]
    assert not any(SCRIPT in str(element.content) or IMG in str(element.content) for element in html)
    with context.get().uow() as uow:
        stored = uow.users.by_email('page@example.com')
        assert stored is not None and stored.name == f'Eve {SCRIPT}'


@pytest.mark.parametrize(
    ('name', 'message'), [('Ada\x07Lovelace', 'control character (U+0007)'), ('A' * 121, '120 characters')], ids=repr
)
async def test_the_registration_form_explains_a_bad_name_under_the_field(user: User, name: str, message: str) -> None:
    await _register(user, name)
    await see(user, message)
    field = user.find('Full name').elements.pop()
    assert isinstance(field, ui.input) and field.error and message in field.error
    with context.get().uow() as uow:
        assert uow.users.by_email('page@example.com') is None


async def test_markup_typed_as_a_booking_reason_is_shown_as_text(user: User, clinic: Clinic) -> None:
    await sign_in(user, clinic.patient.email, PATIENT_PASSWORD, 'My health')
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='slot-2026-03-03T10:00')
    user.find(marker='slot-2026-03-03T10:00').click()
    with user.scope(marker='booking-dialog'):
        await see(user, 'Tue 3 Mar 2026, 10:00')
        user.find('Reason for the visit (optional)').type(IMG)
        user.find(marker='confirm-booking').click()
    await see(user, f'Reason: {IMG}')
    with clinic.ctx.uow() as uow:
        (booked,) = appointments.my_appointments(uow, clinic.patient, upcoming=True)
    assert booked.reason == IMG


ODD_IDS = ['abc', '0', '-1', '99999999999999999999999', '9223372036854775808', '1e3', "1'--", '%00', '%E2%80%AE1', '١٢']
ID_PAGES = [
    '/admin/doctors/{}',
    '/admin/patients/{}',
    '/doctor/patients/{}',
    '/doctor/appointments/{}',
    '/patient/doctors/{}',
    '/exports/{}/download',
]
HOMES = {'admin': '/admin', 'doctor': '/doctor', 'patient': '/patient'}


@pytest.mark.parametrize('role', ['admin', 'doctor', 'patient'])
async def test_odd_ids_in_page_addresses_never_break_a_page(user: User, clinic: Clinic, role: str) -> None:
    """Whoever asks, a page with a malformed, huge or foreign id answers (a refusal, a 'no such' page, a 4xx), never
    a server error."""
    person = {'admin': clinic.admin, 'doctor': clinic.doctor, 'patient': clinic.patient}[role]
    if role == 'doctor':
        give_password(clinic, person)
    password = {'admin': ADMIN_PASSWORD, 'doctor': DOCTOR_PASSWORD, 'patient': PATIENT_PASSWORD}[role]
    await sign_in(user, person.email, password, person.name)
    for template in ID_PAGES:
        for odd in ODD_IDS:
            response = await user.http_client.get(template.format(odd), follow_redirects=False)
            assert response.status_code < 500, (template, odd, response.status_code)
            assert 'Traceback' not in response.text, (template, odd)


async def test_the_registration_form_refuses_an_oversized_field_clearly(user: User) -> None:
    await _register(user, 'Ada Lovelace', address='Flat 1, ' * 5_000)  # 40 000 characters pasted
    await see(user, '300 characters')
    field = user.find('Address').elements.pop()
    assert isinstance(field, ui.input) and field.error and '300 characters' in field.error
    with context.get().uow() as uow:
        assert uow.users.by_email('page@example.com') is None
