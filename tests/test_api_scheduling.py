"""The scheduling API: departments, doctors and slots, booking, the doctor's availability and schedule, admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hms.clock import ManualClock

from .api_fixtures import Headers, People, add_doctor, assert_problem, assert_refused_anonymously, login, openapi_path
from .factories import PATIENT_PASSWORD
from .scheduling_fixtures import Clinic, clinic, local  # noqa: F401

DOCTOR_KEYS = {
    'id',
    'name',
    'department_id',
    'department_name',
    'experience_years',
    'qualifications',
    'bio',
    'consultation_minutes',
}
APPOINTMENT_KEYS = {'id', 'doctor_id', 'patient_id', 'start', 'end', 'status', 'reason'}
WORKING_WEEK = [
    {'weekday': day, 'start': start, 'end': end}
    for day in range(5)
    for start, end in (('09:00', '13:00'), ('14:00', '17:00'))
]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def book(api: TestClient, headers: Headers, doctor_id: int, start: datetime, reason: str = 'Check-up') -> Any:
    return api.post(
        '/api/appointments', headers=headers, json={'doctor_id': doctor_id, 'start': iso(start), 'reason': reason}
    )


def booked(api: TestClient, headers: Headers, doctor_id: int, start: datetime) -> dict[str, Any]:
    response = book(api, headers, doctor_id, start)
    assert response.status_code == 201, response.text
    return response.json()


# --- Access: anonymous, wrong roles, invalid ids ------------------------------------------------------------------

ROUTES = [
    ('GET', '/api/departments'),
    ('GET', '/api/departments/1'),
    ('GET', '/api/doctors'),
    ('GET', '/api/doctors/2'),
    ('GET', '/api/doctors/2/slots'),
    ('POST', '/api/appointments'),
    ('GET', '/api/appointments'),
    ('GET', '/api/appointments/1'),
    ('PATCH', '/api/appointments/1'),
    ('POST', '/api/appointments/1/cancel'),
    ('GET', '/api/doctor/availability'),
    ('PUT', '/api/doctor/availability'),
    ('GET', '/api/doctor/appointments'),
    ('GET', '/api/admin/departments'),
    ('POST', '/api/admin/departments'),
    ('GET', '/api/admin/departments/1'),
    ('PATCH', '/api/admin/departments/1'),
    ('DELETE', '/api/admin/departments/1'),
    ('GET', '/api/admin/doctors'),
    ('POST', '/api/admin/doctors'),
    ('GET', '/api/admin/doctors/2'),
    ('PATCH', '/api/admin/doctors/2'),
    ('DELETE', '/api/admin/doctors/2'),
    ('GET', '/api/admin/doctors/2/deactivation-impact'),
    ('GET', '/api/admin/doctors/2/availability'),
    ('PUT', '/api/admin/doctors/2/availability'),
    ('GET', '/api/admin/patients'),
    ('GET', '/api/admin/patients/4'),
    ('PATCH', '/api/admin/patients/4'),
    ('POST', '/api/admin/users/4/blacklist'),
    ('POST', '/api/admin/users/4/reactivate'),
    ('GET', '/api/admin/appointments'),
]
ADMIN_ROUTES = [(method, path) for method, path in ROUTES if path.startswith('/api/admin/')]


@pytest.mark.parametrize(('method', 'path'), ROUTES)
def test_anonymous_callers_get_401(api: TestClient, method: str, path: str) -> None:
    assert_refused_anonymously(api, method, path)


def test_every_route_is_in_the_openapi_schema(api: TestClient) -> None:
    schema = api.get('/api/openapi.json').json()
    for method, path in ROUTES:
        assert method.lower() in schema['paths'][openapi_path(schema['paths'], path)], path
    booking = schema['paths']['/appointments']['post']
    assert {'201', '401', '403', '409', '422'} <= set(booking['responses'])
    assert 'affected' in schema['components']['schemas']['AvailabilityProblem']['properties']
    assert 'from' in {p['name'] for p in schema['paths']['/doctors/{doctor_id}/slots']['get']['parameters']}


def test_patients_and_doctors_get_403_on_admin_routes(api: TestClient, people: People) -> None:
    for method, path in ADMIN_ROUTES:
        for headers in (people.ada, people.grey):
            assert_problem(api.request(method, path, headers=headers, json={}), 403)


def test_wrong_roles_get_403(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    assert_problem(api.get('/api/doctor/availability', headers=people.ada), 403)
    assert_problem(api.put('/api/doctor/availability', headers=people.ada, json={'weekly': []}), 403)
    assert_problem(api.get('/api/doctor/appointments', headers=people.admin), 403)
    assert_problem(book(api, people.grey, doctor_id, local(3, 9)), 403)
    assert_problem(book(api, people.admin, doctor_id, local(3, 9)), 403)
    assert_problem(api.get('/api/appointments', headers=people.admin), 403, '/api/admin/appointments')


@pytest.mark.parametrize(
    'path',
    [
        '/api/doctors/abc',
        '/api/doctors/0',
        '/api/doctors/-3',
        f'/api/doctors/{2**63}',
        f'/api/doctors/{10**30}',
        '/api/doctors/1.5',
        '/api/appointments/abc',
        '/api/appointments/0',
        '/api/departments/x',
        '/api/admin/doctors/abc',
        '/api/admin/patients/0',
        f'/api/admin/departments/{2**64}',
    ],
)
def test_invalid_ids_are_422_problems(api: TestClient, people: People, path: str) -> None:
    body = assert_problem(api.get(path, headers=people.admin), 422)
    assert body['errors']


def test_large_valid_ids_are_plain_404s(api: TestClient, people: People) -> None:
    big = 2**63 - 1
    for path in (f'/api/doctors/{big}', f'/api/appointments/{big}', f'/api/departments/{big}'):
        assert_problem(api.get(path, headers=people.ada), 404)
    assert_problem(api.get(f'/api/admin/patients/{big}', headers=people.admin), 404)
    assert_problem(api.post(f'/api/admin/users/{big}/blacklist', headers=people.admin), 404)


# --- Departments and doctors ----------------------------------------------------------------------------------------


def test_departments_are_listed_with_doctor_counts(api: TestClient, people: People) -> None:
    response = api.get('/api/departments', headers=people.bob)
    assert response.status_code == 200
    assert response.json() == [
        {'id': people.clinic.department_id, 'name': 'Cardiology', 'description': 'Hearts', 'doctor_count': 2}
    ]
    one = api.get(f'/api/departments/{people.clinic.department_id}', headers=people.grey)
    assert one.json()['name'] == 'Cardiology'
    assert_problem(api.get('/api/departments/999', headers=people.grey), 404)


def test_doctor_search_by_name_department_and_free_date(api: TestClient, people: People) -> None:
    clinic_ = people.clinic

    def names(**params: object) -> list[str]:
        response = api.get('/api/doctors', headers=people.ada, params=params)
        assert response.status_code == 200, response.text
        return [doctor['name'] for doctor in response.json()]

    everyone = api.get('/api/doctors', headers=people.ada).json()
    assert [doctor['name'] for doctor in everyone] == ['Derek Shepherd', 'Meredith Grey']
    assert set(everyone[0]) == DOCTOR_KEYS  # no email or is_active outside the admin API
    grey = next(doctor for doctor in everyone if doctor['id'] == clinic_.doctor.user_id)
    assert grey == {
        'id': clinic_.doctor.user_id,
        'name': 'Meredith Grey',
        'department_id': clinic_.department_id,
        'department_name': 'Cardiology',
        'experience_years': 12,
        'qualifications': 'MD',
        'bio': 'Cardiologist',
        'consultation_minutes': 30,
    }
    assert names(q='GREY') == ['Meredith Grey']
    assert names(q='cardio') == ['Derek Shepherd', 'Meredith Grey']
    assert names(q='nobody') == []
    assert names(q='%') == []  # wildcards are literal
    assert names(specialization=str(clinic_.department_id)) == ['Derek Shepherd', 'Meredith Grey']
    assert names(specialization='cardiology') == ['Derek Shepherd', 'Meredith Grey']
    assert names(specialization='Neurology') == []
    assert names(specialization='999') == []
    assert names(date='2026-03-03') == ['Derek Shepherd', 'Meredith Grey']
    assert names(date='2026-03-07') == []  # a Saturday
    assert names(date='2026-03-01') == []  # yesterday
    assert names(date='2027-03-01') == []  # beyond the booking horizon
    assert names(q='grey', date='2026-03-04') == ['Meredith Grey']
    assert_problem(api.get('/api/doctors', headers=people.ada, params={'date': 'tomorrow'}), 422)
    assert_problem(api.get('/api/doctors', headers=people.ada, params={'date': '0001-01-01'}), 422)
    assert_problem(api.get('/api/doctors', headers=people.ada, params={'q': 'x' * 121}), 422)


@pytest.mark.parametrize('specialization', ['\u00b2', '9' * 30])
def test_odd_numeric_specializations_are_not_500(api: TestClient, people: People, specialization: str) -> None:
    for path, headers in (('/api/doctors', people.ada), ('/api/admin/doctors', people.admin)):
        response = api.get(path, headers=headers, params={'specialization': specialization})
        assert response.status_code in (200, 422), response.text


def test_a_doctor_without_free_slots_that_day_is_left_out(api: TestClient, people: People) -> None:
    day_off = {'weekly': WORKING_WEEK, 'overrides': [{'date': '2026-03-04', 'windows': []}]}
    assert api.put('/api/doctor/availability', headers=people.grey, json=day_off).status_code == 200
    response = api.get('/api/doctors', headers=people.ada, params={'date': '2026-03-04'})
    assert [doctor['name'] for doctor in response.json()] == ['Derek Shepherd']


def test_doctor_profile_and_404s(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    response = api.get(f'/api/doctors/{doctor_id}', headers=people.ada)
    assert response.status_code == 200 and response.json()['name'] == 'Meredith Grey'
    assert_problem(api.get(f'/api/doctors/{people.clinic.patient.user_id}', headers=people.ada), 404)
    assert api.delete(f'/api/admin/doctors/{doctor_id}', headers=people.admin).status_code == 200
    assert_problem(api.get(f'/api/doctors/{doctor_id}', headers=people.ada), 404)
    assert_problem(api.get(f'/api/doctors/{doctor_id}/slots', headers=people.ada), 404)


# --- Slots ----------------------------------------------------------------------------------------------------------


def _local_day(stamp: str) -> date:
    return datetime.fromisoformat(stamp).date()


def test_slots_cover_the_booking_horizon_in_clinic_time(api: TestClient, people: People) -> None:
    response = api.get(f'/api/doctors/{people.clinic.doctor.user_id}/slots', headers=people.ada)
    assert response.status_code == 200
    slots = response.json()
    assert slots[0] == {'start': '2026-03-02T09:00:00+01:00', 'end': '2026-03-02T09:30:00+01:00'}
    assert slots[-1] == {'start': '2026-03-06T16:30:00+01:00', 'end': '2026-03-06T17:00:00+01:00'}
    assert all(slot['start'].endswith('+01:00') and slot['end'].endswith('+01:00') for slot in slots)
    starts = [datetime.fromisoformat(slot['start']) for slot in slots]
    assert starts == sorted(starts)
    per_day: dict[date, int] = {}
    for slot in slots:
        per_day[_local_day(slot['start'])] = per_day.get(_local_day(slot['start']), 0) + 1
    # Monday to Friday, 8 slots in the morning and 6 in the afternoon; no weekend, nothing after the horizon.
    assert per_day == {date(2026, 3, day): 14 for day in range(2, 7)}
    assert '2026-03-02T13:00:00+01:00' not in {slot['start'] for slot in slots}  # the lunch break


def test_slots_between_two_dates(api: TestClient, people: People) -> None:
    path = f'/api/doctors/{people.clinic.doctor.user_id}/slots'
    one_day = api.get(path, headers=people.ada, params={'from': '2026-03-04', 'to': '2026-03-04'}).json()
    assert len(one_day) == 14 and {_local_day(slot['start']) for slot in one_day} == {date(2026, 3, 4)}
    two_days = api.get(path, headers=people.ada, params={'from': '2026-03-05', 'to': '2026-03-06'}).json()
    assert {_local_day(slot['start']) for slot in two_days} == {date(2026, 3, 5), date(2026, 3, 6)}
    from_only = api.get(path, headers=people.ada, params={'from': '2026-03-06'}).json()
    assert {_local_day(slot['start']) for slot in from_only} == {date(2026, 3, 6)}
    to_only = api.get(path, headers=people.ada, params={'to': '2026-03-02'}).json()
    assert {_local_day(slot['start']) for slot in to_only} == {date(2026, 3, 2)}
    assert api.get(path, headers=people.ada, params={'from': '2026-03-07', 'to': '2026-03-08'}).json() == []
    assert api.get(path, headers=people.ada, params={'from': '2026-04-01', 'to': '2026-04-30'}).json() == []
    assert api.get(path, headers=people.ada, params={'from': '2020-01-01', 'to': '2026-03-02'}).json() == to_only
    body = assert_problem(api.get(path, headers=people.ada, params={'from': '2026-03-05', 'to': '2026-03-04'}), 422)
    assert 'to' in body['errors']
    assert_problem(api.get(path, headers=people.ada, params={'from': 'monday'}), 422)
    assert_problem(api.get(path, headers=people.ada, params={'to': '9999-12-31'}), 422)


def test_slots_respect_the_notice_period_and_bookings(api: TestClient, people: People, clock: ManualClock) -> None:
    clock.set(local(2, 10, 15))  # Monday 10:15: slots start at 11:30 at the earliest (60 minutes' notice)
    headers = login(api, people.clinic.patient.email, PATIENT_PASSWORD)
    doctor_id = people.clinic.doctor.user_id
    path = f'/api/doctors/{doctor_id}/slots'
    today = api.get(path, headers=headers, params={'from': '2026-03-02', 'to': '2026-03-02'}).json()
    assert today[0]['start'] == '2026-03-02T11:30:00+01:00'
    booked(api, headers, doctor_id, local(2, 12))
    starts = {slot['start'] for slot in api.get(path, headers=headers, params={'to': '2026-03-02'}).json()}
    assert '2026-03-02T12:00:00+01:00' not in starts and '2026-03-02T12:30:00+01:00' in starts


def test_slots_take_the_summer_offset_after_the_clocks_change(
    api: TestClient, people: People, clock: ManualClock
) -> None:
    clock.set(local(27, 8))  # Friday 27 March; Berlin moves to CEST on Sunday 29 March
    headers = login(api, people.clinic.patient.email, PATIENT_PASSWORD)
    slots = api.get(f'/api/doctors/{people.clinic.doctor.user_id}/slots', headers=headers).json()
    friday = [slot for slot in slots if slot['start'].startswith('2026-03-27')]
    monday = [slot for slot in slots if slot['start'].startswith('2026-03-30')]
    assert friday[0]['start'] == '2026-03-27T09:00:00+01:00'
    assert monday[0]['start'] == '2026-03-30T09:00:00+02:00'  # still 09:00 on the clinic's wall clock
    assert len(friday) == len(monday) == 14


# --- Booking --------------------------------------------------------------------------------------------------------


def test_booking_answers_201_with_the_appointment(api: TestClient, people: People) -> None:
    clinic_ = people.clinic
    response = book(api, people.ada, clinic_.doctor.user_id, local(3, 9, 30), reason='  Chest pain  ')
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert set(appointment) >= APPOINTMENT_KEYS
    assert appointment['doctor_id'] == clinic_.doctor.user_id and appointment['patient_id'] == clinic_.patient.user_id
    assert appointment['start'] == '2026-03-03T09:30:00+01:00' and appointment['end'] == '2026-03-03T10:00:00+01:00'
    assert appointment['status'] == 'booked' and appointment['reason'] == 'Chest pain'
    assert appointment['doctor_name'] == 'Meredith Grey' and appointment['department_name'] == 'Cardiology'
    assert appointment['patient_name'] == 'Ada Lovelace'
    assert response.headers['location'].endswith(f'/api/appointments/{appointment["id"]}')
    # A start given in another offset names the same instant.
    utc = book(api, people.bob, clinic_.doctor.user_id, local(3, 10).astimezone(UTC))
    assert utc.status_code == 201 and utc.json()['start'] == '2026-03-03T10:00:00+01:00'


def test_the_same_slot_twice_is_409_just_taken(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    booked(api, people.ada, doctor_id, local(3, 9))
    assert_problem(book(api, people.bob, doctor_id, local(3, 9)), 409, 'just taken')
    assert_problem(book(api, people.ada, doctor_id, local(3, 9)), 409)


def test_overlapping_bookings_of_one_patient_are_409(api: TestClient, people: People) -> None:
    booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    body = assert_problem(book(api, people.ada, people.clinic.other_doctor.user_id, local(3, 9)), 409)
    assert body['title'] == 'Overlapping appointment'
    booked(api, people.bob, people.clinic.other_doctor.user_id, local(3, 9))  # someone else may


@pytest.mark.parametrize(
    ('start', 'fragment'),
    [
        (local(3, 9, 10), 'not one of the doctor'),  # off the grid
        (local(3, 13), 'not one of the doctor'),  # the lunch break
        (local(7, 10), 'not one of the doctor'),  # Saturday
        (local(2, 7), 'past'),
        (local(1, 10), 'past'),
        (local(2, 8, 30), 'ahead'),  # inside the notice period
        (local(10, 9), 'days ahead'),  # beyond the booking horizon
        (local(2, 9) + timedelta(days=400), 'days ahead'),
    ],
)
def test_unbookable_times_are_422(api: TestClient, people: People, start: datetime, fragment: str) -> None:
    body = assert_problem(book(api, people.ada, people.clinic.doctor.user_id, start), 422, fragment)
    assert body['title'] == 'Not bookable'


@pytest.mark.parametrize(
    'body',
    [
        {'doctor_id': 2, 'start': '2026-03-03T09:00:00'},  # no offset
        {'doctor_id': 2, 'start': 'soon'},
        {'doctor_id': 'x', 'start': '2026-03-03T09:00:00+01:00'},
        {'doctor_id': 2**63, 'start': '2026-03-03T09:00:00+01:00'},
        {'doctor_id': 2, 'start': '2026-03-03T09:00:00+01:00', 'reason': 'x' * 501},
        {'doctor_id': 2, 'start': '2026-03-03T09:00:00+01:00', 'extra': 1},
        {'start': '2026-03-03T09:00:00+01:00'},
    ],
)
def test_malformed_bookings_are_422(api: TestClient, people: People, body: dict[str, object]) -> None:
    assert_problem(api.post('/api/appointments', headers=people.ada, json=body), 422)


def test_booking_an_unknown_or_inactive_doctor_is_422(api: TestClient, people: People) -> None:
    body = assert_problem(book(api, people.ada, 999, local(3, 9)), 422, 'not taking bookings')
    assert 'doctor_id' in body['errors']
    api.delete(f'/api/admin/doctors/{people.clinic.doctor.user_id}', headers=people.admin)
    assert_problem(book(api, people.ada, people.clinic.doctor.user_id, local(3, 9)), 422, 'not taking bookings')


@pytest.mark.parametrize('start', ['0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00'])
def test_extreme_start_times_are_422_not_500(api: TestClient, people: People, start: str) -> None:
    response = api.post('/api/appointments', headers=people.ada, json={'doctor_id': 2, 'start': start})
    assert response.status_code == 422, response.text


def test_extreme_reschedule_times_are_422_not_500(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    response = api.patch(
        f'/api/appointments/{appointment["id"]}', headers=people.ada, json={'start': '0001-01-01T00:30:00+01:00'}
    )
    assert response.status_code == 422, response.text


# --- Reading, rescheduling and cancelling ---------------------------------------------------------------------------


def test_each_caller_lists_their_own_appointments(api: TestClient, people: People) -> None:
    clinic_ = people.clinic
    ada_first = booked(api, people.ada, clinic_.doctor.user_id, local(4, 9))
    ada_second = booked(api, people.ada, clinic_.other_doctor.user_id, local(3, 14))
    bobs = booked(api, people.bob, clinic_.doctor.user_id, local(3, 9))
    mine = api.get('/api/appointments', headers=people.ada).json()
    assert [a['id'] for a in mine] == [ada_second['id'], ada_first['id']]  # in time order
    assert [a['id'] for a in api.get('/api/appointments', headers=people.bob).json()] == [bobs['id']]
    grey = api.get('/api/appointments', headers=people.grey).json()
    assert [a['id'] for a in grey] == [bobs['id'], ada_first['id']]
    shepherd = api.get('/api/appointments', headers=people.shepherd).json()
    assert [a['id'] for a in shepherd] == [ada_second['id']]
    assert api.get('/api/appointments', headers=people.ada, params={'upcoming': 'false'}).json() == []
    assert api.get('/api/appointments', headers=people.ada, params={'upcoming': 'true'}).json() == mine
    assert api.get('/api/appointments', headers=people.grey, params={'upcoming': 'true'}).json() == grey
    assert api.get('/api/appointments', headers=people.grey, params={'upcoming': 'false'}).json() == []
    assert_problem(api.get('/api/appointments', headers=people.grey, params={'upcoming': 'maybe'}), 422)


def test_other_peoples_appointments_are_404(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    path = f'/api/appointments/{appointment["id"]}'
    assert api.get(path, headers=people.ada).json() == appointment
    assert api.get(path, headers=people.grey).json()['id'] == appointment['id']
    assert api.get(path, headers=people.admin).json()['id'] == appointment['id']
    for outsider in (people.bob, people.shepherd):
        assert_problem(api.get(path, headers=outsider), 404)
        assert_problem(api.patch(path, headers=outsider, json={'start': iso(local(3, 10))}), 404)
        assert_problem(api.post(f'{path}/cancel', headers=outsider, json={'reason': 'mine now'}), 404)
    assert api.get(path, headers=people.ada).json()['status'] == 'booked'


def test_reschedule_moves_the_appointment_and_frees_the_old_slot(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    appointment = booked(api, people.ada, doctor_id, local(3, 9))
    path = f'/api/appointments/{appointment["id"]}'
    moved = api.patch(path, headers=people.ada, json={'start': iso(local(4, 11))})
    assert moved.status_code == 200, moved.text
    assert moved.json()['start'] == '2026-03-04T11:00:00+01:00' and moved.json()['id'] == appointment['id']
    slots = api.get(
        f'/api/doctors/{doctor_id}/slots', headers=people.bob, params={'from': '2026-03-03', 'to': '2026-03-04'}
    )
    starts = {slot['start'] for slot in slots.json()}
    assert '2026-03-03T09:00:00+01:00' in starts and '2026-03-04T11:00:00+01:00' not in starts
    booked(api, people.bob, doctor_id, local(3, 9))
    assert_problem(api.patch(path, headers=people.ada, json={'start': iso(local(3, 9))}), 409, 'just taken')
    assert_problem(api.patch(path, headers=people.ada, json={'start': iso(local(4, 11))}), 422, 'different time')
    assert_problem(api.patch(path, headers=people.ada, json={'start': iso(local(4, 11, 5))}), 422)
    assert_problem(api.patch(path, headers=people.ada, json={'start': 'later'}), 422)
    assert_problem(api.patch(path, headers=people.grey, json={'start': iso(local(4, 12))}), 403)
    by_admin = api.patch(path, headers=people.admin, json={'start': iso(local(5, 9))})
    assert by_admin.status_code == 200 and by_admin.json()['start'] == '2026-03-05T09:00:00+01:00'


def test_cancel_by_patient_doctor_and_admin(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    first = booked(api, people.ada, doctor_id, local(3, 9))
    cancelled = api.post(f'/api/appointments/{first["id"]}/cancel', headers=people.ada)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()['status'] == 'cancelled' and cancelled.json()['cancel_reason']
    assert_problem(api.post(f'/api/appointments/{first["id"]}/cancel', headers=people.ada), 409, 'cancelled')
    assert_problem(
        api.patch(f'/api/appointments/{first["id"]}', headers=people.ada, json={'start': iso(local(3, 10))}), 409
    )
    booked(api, people.bob, doctor_id, local(3, 9))  # the cancelled slot is free again

    second = booked(api, people.ada, doctor_id, local(3, 10))
    path = f'/api/appointments/{second["id"]}/cancel'
    body = assert_problem(api.post(path, headers=people.grey, json={}), 422, 'reason')
    assert 'reason' in body['errors']
    by_doctor = api.post(path, headers=people.grey, json={'reason': 'Called away to surgery.'})
    assert by_doctor.json()['cancel_reason'] == 'Called away to surgery.'
    assert by_doctor.json()['cancelled_by_role'] == 'doctor'

    third = booked(api, people.ada, doctor_id, local(3, 11))
    path = f'/api/appointments/{third["id"]}/cancel'
    assert_problem(api.post(path, headers=people.admin, json={'reason': '  '}), 422)
    by_admin = api.post(path, headers=people.admin, json={'reason': 'Clinic closed.'})
    assert by_admin.status_code == 200 and by_admin.json()['cancelled_by_role'] == 'admin'
    assert_problem(api.post(path, headers=people.admin, json={'reason': 'x' * 501}), 422)


def test_patients_cannot_cancel_after_the_cutoff(api: TestClient, people: People, clock: ManualClock) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 11))
    clock.set(local(2, 9, 30))  # 90 minutes before, inside the two-hour cut-off
    headers = login(api, people.clinic.patient.email, PATIENT_PASSWORD)
    assert_problem(api.post(f'/api/appointments/{appointment["id"]}/cancel', headers=headers), 409, 'call the clinic')


# --- The doctor's availability and schedule -------------------------------------------------------------------------


def test_doctor_reads_their_availability(api: TestClient, people: People) -> None:
    response = api.get('/api/doctor/availability', headers=people.grey)
    assert response.status_code == 200
    assert response.json() == {'weekly': WORKING_WEEK, 'overrides': []}


def test_availability_change_that_strands_bookings_needs_confirmation(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    monday = booked(api, people.ada, doctor_id, local(2, 10))
    wednesday = booked(api, people.bob, doctor_id, local(4, 15))
    kept = booked(api, people.bob, doctor_id, local(3, 9))
    mornings_only = {
        'weekly': [{'weekday': day, 'start': '09:00', 'end': '13:00'} for day in range(1, 5)],
        'overrides': [
            {'date': '2026-03-06', 'windows': []},
            {'date': '2026-03-03', 'windows': [{'start': '08:00', 'end': '10:00'}]},
        ],
    }
    refused = api.put('/api/doctor/availability', headers=people.grey, json=mornings_only)
    body = assert_problem(refused, 409, '2 booked appointments')
    assert body['title'] == 'Availability holds bookings'
    assert body['instance'] == '/api/doctor/availability'
    assert body['affected'] == [
        {'id': monday['id'], 'start': '2026-03-02T10:00:00+01:00', 'patient': 'Ada Lovelace'},
        {'id': wednesday['id'], 'start': '2026-03-04T15:00:00+01:00', 'patient': 'Bob Builder'},
    ]
    assert api.get('/api/doctor/availability', headers=people.grey).json()['weekly'] == WORKING_WEEK  # unchanged
    assert api.get(f'/api/appointments/{monday["id"]}', headers=people.ada).json()['status'] == 'booked'

    confirmed = api.put(
        '/api/doctor/availability', headers=people.grey, params={'confirm_cancel': 'true'}, json=mornings_only
    )
    assert confirmed.status_code == 200, confirmed.text
    result = confirmed.json()
    assert sorted(result['cancelled']) == sorted([monday['id'], wednesday['id']])
    assert result['weekly'] == mornings_only['weekly']
    assert result['overrides'] == [
        {'date': '2026-03-03', 'windows': [{'start': '08:00', 'end': '10:00'}]},
        {'date': '2026-03-06', 'windows': []},
    ]
    assert api.get('/api/doctor/availability', headers=people.grey).json() == {
        'weekly': result['weekly'],
        'overrides': result['overrides'],
    }
    cancelled = api.get(f'/api/appointments/{monday["id"]}', headers=people.ada).json()
    assert cancelled['status'] == 'cancelled' and cancelled['cancel_reason']
    assert api.get(f'/api/appointments/{kept["id"]}', headers=people.bob).json()['status'] == 'booked'
    slots = api.get(f'/api/doctors/{doctor_id}/slots', headers=people.ada).json()
    assert {_local_day(slot['start']) for slot in slots} == {date(2026, 3, day) for day in (3, 4, 5)}
    tuesday = [slot['start'] for slot in slots if slot['start'].startswith('2026-03-03')]
    assert tuesday == ['2026-03-03T08:00:00+01:00', '2026-03-03T08:30:00+01:00', '2026-03-03T09:30:00+01:00']


@pytest.mark.parametrize(
    'body',
    [
        {'weekly': [{'weekday': 0, 'start': '13:00', 'end': '09:00'}]},
        {'weekly': [{'weekday': 7, 'start': '09:00', 'end': '10:00'}]},
        {
            'weekly': [
                {'weekday': 0, 'start': '09:00', 'end': '12:00'},
                {'weekday': 0, 'start': '11:00', 'end': '13:00'},
            ]
        },
        {'weekly': [{'weekday': 0, 'start': '9am', 'end': '10:00'}]},
        {'overrides': [{'date': '2026-03-09', 'windows': []}, {'date': '2026-03-09', 'windows': []}]},
        {'overrides': [{'date': 'someday', 'windows': []}]},
        {'weekly': [], 'holidays': []},
    ],
)
def test_invalid_availability_is_422(api: TestClient, people: People, body: dict[str, object]) -> None:
    assert_problem(api.put('/api/doctor/availability', headers=people.grey, json=body), 422)
    assert api.get('/api/doctor/availability', headers=people.grey).json()['weekly'] == WORKING_WEEK


def test_doctor_schedule_filters_by_local_dates_and_status(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    monday = booked(api, people.ada, doctor_id, local(2, 16, 30))  # 15:30 UTC, still Monday in Berlin
    tuesday = booked(api, people.bob, doctor_id, local(3, 9))
    friday = booked(api, people.ada, doctor_id, local(6, 9))
    api.post(f'/api/appointments/{tuesday["id"]}/cancel', headers=people.bob)
    booked(api, people.bob, people.clinic.other_doctor.user_id, local(4, 9))  # not Grey's

    def ids(**params: object) -> list[int]:
        response = api.get('/api/doctor/appointments', headers=people.grey, params=params)
        assert response.status_code == 200, response.text
        return [a['id'] for a in response.json()]

    assert ids() == [monday['id'], tuesday['id'], friday['id']]
    assert ids(**{'from': '2026-03-02', 'to': '2026-03-02'}) == [monday['id']]
    assert ids(**{'from': '2026-03-03'}) == [tuesday['id'], friday['id']]
    assert ids(to='2026-03-05') == [monday['id'], tuesday['id']]
    assert ids(status='cancelled') == [tuesday['id']]
    assert ids(status=['booked', 'cancelled'], to='2026-03-03') == [monday['id'], tuesday['id']]
    assert ids(status='completed') == []
    assert api.get('/api/doctor/appointments', headers=people.shepherd).json()[0]['doctor_id'] != doctor_id
    for params in ({'status': 'done'}, {'from': '2026-03-05', 'to': '2026-03-04'}, {'to': '9999-12-31'}, {'from': 'x'}):
        assert_problem(api.get('/api/doctor/appointments', headers=people.grey, params=params), 422)


# --- Admin: departments and doctors ---------------------------------------------------------------------------------


def test_admin_manages_departments(api: TestClient, people: People) -> None:
    created = api.post(
        '/api/admin/departments', headers=people.admin, json={'name': ' Neurology ', 'description': 'Brains'}
    )
    assert created.status_code == 201, created.text
    neurology = created.json()
    assert neurology == {'id': neurology['id'], 'name': 'Neurology', 'description': 'Brains', 'doctor_count': 0}
    body = assert_problem(api.post('/api/admin/departments', headers=people.admin, json={'name': 'NEUROLOGY'}), 409)
    assert 'name' in body['errors']
    assert_problem(api.post('/api/admin/departments', headers=people.admin, json={'name': ''}), 422)
    path = f'/api/admin/departments/{neurology["id"]}'
    renamed = api.patch(path, headers=people.admin, json={'name': 'Neurosciences'})
    assert renamed.status_code == 200 and renamed.json()['name'] == 'Neurosciences'
    assert renamed.json()['description'] == 'Brains'
    assert_problem(api.patch(path, headers=people.admin, json={'name': 'cardiology'}), 409)
    names = [d['name'] for d in api.get('/api/admin/departments', headers=people.admin).json()]
    assert names == ['Cardiology', 'Neurosciences']
    deleted = api.delete(path, headers=people.admin)
    assert deleted.status_code == 204 and deleted.content == b''
    assert_problem(api.get(path, headers=people.admin), 404)
    assert_problem(api.delete(path, headers=people.admin), 404)
    assert_problem(api.patch(path, headers=people.admin, json={'name': 'Back'}), 404)


def test_a_department_with_doctors_cannot_be_deleted(api: TestClient, people: People) -> None:
    path = f'/api/admin/departments/{people.clinic.department_id}'
    body = assert_problem(api.delete(path, headers=people.admin), 409, 'cannot be deleted', '2 doctors belong')
    assert body['title'] == 'Still in use'
    assert api.get(path, headers=people.admin).json()['doctor_count'] == 2


def test_admin_adds_a_doctor_who_signs_in_with_the_initial_password(api: TestClient, people: People) -> None:
    data = {
        'name': 'Cristina Yang',
        'email': 'Yang@Clinic.test',
        'department_id': people.clinic.department_id,
        'experience_years': 8,
        'qualifications': 'MD, PhD',
        'bio': 'Cardiothoracic surgeon',
        'consultation_minutes': 45,
    }
    created = add_doctor(people, data)
    assert created['initial_password'] and len(created['initial_password']) >= 12
    doctor = created['doctor']
    assert doctor['email'] == 'yang@clinic.test' and doctor['is_active'] is True
    assert doctor['consultation_minutes'] == 45 and doctor['department_name'] == 'Cardiology'
    headers = login(api, 'yang@clinic.test', created['initial_password'])
    me = api.get('/api/me', headers=headers).json()
    assert me['role'] == 'doctor' and me['must_change_password'] is True and me['user_id'] == doctor['id']
    # Until the one-time password is changed the API does nothing else; then the new doctor has no hours yet.
    refused = assert_problem(api.get('/api/doctor/availability', headers=headers), 403)
    assert refused['code'] == 'password_change_required'
    changed = api.post(
        '/api/me/password',
        headers=headers,
        json={'current_password': created['initial_password'], 'new_password': 'Quiet-Harbour-Lantern-42'},
    )
    assert changed.status_code == 200, changed.text
    headers = login(api, 'yang@clinic.test', 'Quiet-Harbour-Lantern-42')
    assert api.get('/api/doctor/availability', headers=headers).json() == {'weekly': [], 'overrides': []}
    assert api.get(f'/api/doctors/{doctor["id"]}/slots', headers=people.ada).json() == []

    body = assert_problem(
        api.post('/api/admin/doctors', headers=people.admin, json=data | {'email': 'YANG@clinic.test'}), 409
    )
    assert 'email' in body['errors']
    body = assert_problem(
        api.post('/api/admin/doctors', headers=people.admin, json=data | {'email': 'z@x.io', 'department_id': 999}), 422
    )
    assert 'department_id' in body['errors']
    body = assert_problem(
        api.post('/api/admin/doctors', headers=people.admin, json=data | {'email': 'nope', 'consultation_minutes': 1}),
        422,
    )
    assert {'email', 'consultation_minutes'} <= set(body['errors'])


def test_admin_lists_reads_and_edits_doctors(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    listed = api.get('/api/admin/doctors', headers=people.admin).json()
    assert [d['name'] for d in listed] == ['Derek Shepherd', 'Meredith Grey']
    assert set(listed[0]) == DOCTOR_KEYS | {'email', 'is_active'}
    assert [d['name'] for d in api.get('/api/admin/doctors', headers=people.admin, params={'q': 'shep'}).json()] == [
        'Derek Shepherd'
    ]
    path = f'/api/admin/doctors/{doctor_id}'
    assert api.get(path, headers=people.admin).json()['email'] == 'grey@clinic.test'
    edited = api.patch(path, headers=people.admin, json={'bio': 'Head of cardiology', 'experience_years': 13})
    assert edited.status_code == 200
    assert edited.json()['bio'] == 'Head of cardiology' and edited.json()['experience_years'] == 13
    assert edited.json()['name'] == 'Meredith Grey'
    assert api.get(f'/api/doctors/{doctor_id}', headers=people.ada).json()['bio'] == 'Head of cardiology'
    assert_problem(api.patch(path, headers=people.admin, json={'email': 'SHEPHERD@clinic.test'}), 409)
    assert_problem(api.patch(path, headers=people.admin, json={'department_id': 999}), 422)
    assert_problem(api.patch(path, headers=people.admin, json={'experience_years': 200}), 422)
    assert_problem(api.patch('/api/admin/doctors/999', headers=people.admin, json={'bio': 'x'}), 404)
    assert_problem(api.get(f'/api/admin/doctors/{people.clinic.patient.user_id}', headers=people.admin), 404)


def test_deactivating_a_doctor_cancels_their_upcoming_appointments(api: TestClient, people: People) -> None:
    clinic_ = people.clinic
    doctor_id = clinic_.doctor.user_id
    first = booked(api, people.ada, doctor_id, local(3, 9))
    booked(api, people.bob, doctor_id, local(3, 9, 30))
    booked(api, people.bob, clinic_.other_doctor.user_id, local(4, 9))
    assert api.get('/api/appointments', headers=people.grey).status_code == 200
    impact = api.get(f'/api/admin/doctors/{doctor_id}/deactivation-impact', headers=people.admin)
    assert impact.json() == {'upcoming_appointments': 2}
    response = api.delete(f'/api/admin/doctors/{doctor_id}', headers=people.admin)
    assert response.status_code == 200, response.text
    assert response.json()['cancelled'] == 2 and response.json()['doctor']['is_active'] is False
    assert api.get(f'/api/appointments/{first["id"]}', headers=people.ada).json()['status'] == 'cancelled'
    assert_problem(api.get('/api/appointments', headers=people.grey), 401)  # their token ended
    assert [d['name'] for d in api.get('/api/doctors', headers=people.ada).json()] == ['Derek Shepherd']
    admin_list = api.get('/api/admin/doctors', headers=people.admin, params={'include_inactive': 'true'}).json()
    assert {d['name']: d['is_active'] for d in admin_list} == {'Derek Shepherd': True, 'Meredith Grey': False}
    assert len(api.get('/api/admin/doctors', headers=people.admin).json()) == 1
    assert api.get(f'/api/admin/doctors/{doctor_id}/deactivation-impact', headers=people.admin).json() == {
        'upcoming_appointments': 0
    }

    reactivated = api.post(f'/api/admin/users/{doctor_id}/reactivate', headers=people.admin)
    assert reactivated.json() == {'user_id': doctor_id, 'is_active': True, 'cancelled': 0}
    assert api.get(f'/api/doctors/{doctor_id}', headers=people.ada).status_code == 200
    assert api.get(f'/api/appointments/{first["id"]}', headers=people.ada).json()['status'] == 'cancelled'


def test_deactivating_a_doctor_can_keep_their_appointments(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    kept = booked(api, people.ada, doctor_id, local(3, 9))
    response = api.delete(f'/api/admin/doctors/{doctor_id}', headers=people.admin, params={'cancel_upcoming': 'false'})
    assert response.json()['cancelled'] == 0
    assert api.get(f'/api/appointments/{kept["id"]}', headers=people.ada).json()['status'] == 'booked'


def test_doctor_routes_refuse_other_people_and_unknown_ids(api: TestClient, people: People) -> None:
    patient_id = people.clinic.patient.user_id
    assert_problem(api.delete(f'/api/admin/doctors/{patient_id}', headers=people.admin), 404)
    assert api.get('/api/me', headers=people.ada).status_code == 200  # the patient was not deactivated
    assert_problem(api.delete('/api/admin/doctors/999', headers=people.admin), 404)
    assert_problem(api.get('/api/admin/doctors/999/deactivation-impact', headers=people.admin), 404)
    assert_problem(api.get('/api/admin/doctors/999/availability', headers=people.admin), 404)


def test_admin_manages_a_doctors_availability(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    path = f'/api/admin/doctors/{doctor_id}/availability'
    assert api.get(path, headers=people.admin).json()['weekly'] == WORKING_WEEK
    appointment = booked(api, people.ada, doctor_id, local(2, 10))
    day_off = {'weekly': WORKING_WEEK, 'overrides': [{'date': '2026-03-02', 'windows': []}]}
    body = assert_problem(api.put(path, headers=people.admin, json=day_off), 409)
    assert [a['id'] for a in body['affected']] == [appointment['id']]
    confirmed = api.put(path, headers=people.admin, json=day_off, params={'confirm_cancel': True})
    assert confirmed.json()['cancelled'] == [appointment['id']]
    assert api.get('/api/doctor/availability', headers=people.grey).json()['overrides'] == [
        {'date': '2026-03-02', 'windows': []}
    ]


# --- Admin: patients and blacklisting -------------------------------------------------------------------------------


def test_admin_searches_patients_with_pagination(api: TestClient, people: People) -> None:
    page = api.get('/api/admin/patients', headers=people.admin).json()
    assert page['total'] == 2 and page['limit'] == 50 and page['offset'] == 0
    assert [p['name'] for p in page['items']] == ['Ada Lovelace', 'Bob Builder']
    assert page['items'][0]['email'] == 'ada@example.com' and page['items'][0]['is_active'] is True
    second = api.get('/api/admin/patients', headers=people.admin, params={'limit': 1, 'offset': 1}).json()
    assert [p['name'] for p in second['items']] == ['Bob Builder'] and second['total'] == 2
    assert second['limit'] == 1 and second['offset'] == 1
    for query, expected in (
        ('BOB', ['Bob Builder']),
        ('1234-5678', ['Bob Builder']),
        ('12345678', ['Bob Builder']),
        ('ada@', ['Ada Lovelace']),
        ('nobody', []),
    ):
        found = api.get('/api/admin/patients', headers=people.admin, params={'q': query}).json()
        assert [p['name'] for p in found['items']] == expected, query
    for params in ({'limit': 0}, {'limit': 201}, {'offset': -1}, {'offset': 2**70}, {'q': 'x' * 121}):
        assert_problem(api.get('/api/admin/patients', headers=people.admin, params=params), 422)


def test_admin_reads_and_edits_a_patient(api: TestClient, people: People) -> None:
    patient_id = people.clinic.patient.user_id
    first = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    second = booked(api, people.ada, people.clinic.doctor.user_id, local(4, 9))
    detail = api.get(f'/api/admin/patients/{patient_id}', headers=people.admin).json()
    assert detail['patient']['name'] == 'Ada Lovelace' and detail['patient']['date_of_birth'] == '1990-12-10'
    assert [a['id'] for a in detail['appointments']] == [second['id'], first['id']]  # newest first
    assert detail['appointments'][0]['start'] == '2026-03-04T09:00:00+01:00'
    patch = {'phone': '+44 20 7946 0001', 'emergency_contact': 'Charles Babbage', 'email': 'ADA@lovelace.org'}
    edited = api.patch(f'/api/admin/patients/{patient_id}', headers=people.admin, json=patch)
    assert edited.status_code == 200, edited.text
    assert edited.json()['phone'] == '+44 20 7946 0001' and edited.json()['email'] == 'ada@lovelace.org'
    assert edited.json()['emergency_contact'] == 'Charles Babbage'
    login(api, 'ada@lovelace.org', PATIENT_PASSWORD)
    taken = {'email': 'bob@example.com'}
    assert_problem(api.patch(f'/api/admin/patients/{patient_id}', headers=people.admin, json=taken), 409)
    assert_problem(api.patch(f'/api/admin/patients/{patient_id}', headers=people.admin, json={'phone': 'abc'}), 422)
    doctor_id = people.clinic.doctor.user_id
    assert_problem(api.get(f'/api/admin/patients/{doctor_id}', headers=people.admin), 404)
    assert_problem(api.patch('/api/admin/patients/999', headers=people.admin, json={'name': 'X'}), 404)


def test_blacklisting_ends_the_patients_tokens_and_bookings(api: TestClient, people: People) -> None:
    patient_id = people.clinic.patient.user_id
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    response = api.post(
        f'/api/admin/users/{patient_id}/blacklist', headers=people.admin, json={'reason': 'Abusive calls'}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {'user_id': patient_id, 'is_active': False, 'cancelled': 1}
    assert_problem(api.get('/api/me', headers=people.ada), 401)
    assert_problem(api.get('/api/appointments', headers=people.ada), 401)
    refused = api.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    assert refused.status_code == 403
    detail = api.get(f'/api/admin/patients/{patient_id}', headers=people.admin).json()
    assert detail['patient']['is_active'] is False and detail['patient']['blocked_reason'] == 'Abusive calls'
    assert detail['appointments'][0]['id'] == appointment['id'] and detail['appointments'][0]['status'] == 'cancelled'

    reactivated = api.post(f'/api/admin/users/{patient_id}/reactivate', headers=people.admin)
    assert reactivated.json() == {'user_id': patient_id, 'is_active': True, 'cancelled': 0}
    headers = login(api, 'ada@example.com', PATIENT_PASSWORD)
    assert api.get('/api/me', headers=headers).status_code == 200
    booked(api, headers, people.clinic.doctor.user_id, local(3, 9))


def test_blacklist_without_a_body_and_refusals(api: TestClient, people: People) -> None:
    bob_id = people.clinic.other_patient.user_id
    assert api.get('/api/me', headers=people.bob).status_code == 200
    response = api.post(f'/api/admin/users/{bob_id}/blacklist', headers=people.admin)
    assert response.status_code == 200 and response.json()['cancelled'] == 0
    assert_problem(api.get('/api/me', headers=people.bob), 401)
    me = api.get('/api/me', headers=people.admin).json()
    assert_problem(api.post(f'/api/admin/users/{me["user_id"]}/blacklist', headers=people.admin), 403, 'your own')
    assert_problem(api.post('/api/admin/users/999/reactivate', headers=people.admin), 404)
    assert_problem(
        api.post(f'/api/admin/users/{bob_id}/blacklist', headers=people.admin, json={'reason': 'x' * 501}), 422
    )


# --- Admin: every appointment ---------------------------------------------------------------------------------------


def test_admin_filters_and_pages_through_appointments(api: TestClient, people: People) -> None:
    clinic_ = people.clinic
    grey, shepherd = clinic_.doctor.user_id, clinic_.other_doctor.user_id
    a1 = booked(api, people.ada, grey, local(2, 16, 30))
    a2 = booked(api, people.bob, grey, local(3, 9))
    a3 = booked(api, people.ada, shepherd, local(4, 9))
    a4 = booked(api, people.bob, shepherd, local(6, 14))
    api.post(f'/api/appointments/{a2["id"]}/cancel', headers=people.bob)

    def page(**params: object) -> dict[str, Any]:
        response = api.get('/api/admin/appointments', headers=people.admin, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(**params: object) -> list[int]:
        return [a['id'] for a in page(**params)['items']]

    everything = page()
    assert everything['total'] == 4 and everything['limit'] == 50 and everything['offset'] == 0
    assert [a['id'] for a in everything['items']] == [a4['id'], a3['id'], a2['id'], a1['id']]  # newest first
    assert everything['items'][0]['patient_name'] == 'Bob Builder' and everything['items'][0]['doctor_name']
    assert ids(newest_first='false') == [a1['id'], a2['id'], a3['id'], a4['id']]
    assert ids(doctor_id=grey) == [a2['id'], a1['id']]
    assert ids(patient_id=clinic_.patient.user_id) == [a3['id'], a1['id']]
    assert ids(department_id=clinic_.department_id) == ids()
    assert ids(department_id=999) == []
    assert ids(status='cancelled') == [a2['id']]
    assert ids(status=['booked', 'cancelled'], doctor_id=grey) == [a2['id'], a1['id']]
    assert ids(**{'from': '2026-03-02', 'to': '2026-03-02'}) == [a1['id']]  # 16:30 local is still Monday
    assert ids(**{'from': '2026-03-03', 'to': '2026-03-04'}) == [a3['id'], a2['id']]
    assert ids(**{'from': '2026-03-05'}) == [a4['id']]
    first = page(limit=2, newest_first='false')
    second = page(limit=2, offset=2, newest_first='false')
    assert first['total'] == second['total'] == 4 and (first['limit'], second['offset']) == (2, 2)
    assert [a['id'] for a in first['items'] + second['items']] == [a1['id'], a2['id'], a3['id'], a4['id']]
    assert page(offset=10)['items'] == []
    for params in (
        {'limit': 0},
        {'limit': 501},
        {'offset': -1},
        {'doctor_id': 0},
        {'patient_id': 'x'},
        {'status': 'gone'},
        {'from': '2026-03-04', 'to': '2026-03-03'},
        {'from': '0001-01-01'},
        {'department_id': 2**63},
    ):
        assert_problem(api.get('/api/admin/appointments', headers=people.admin, params=params), 422)
