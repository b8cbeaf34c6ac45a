"""The clinical-record API: the doctor's patients, schedule, visits and treatments; the patient's own record; the
administrator's read-only views; and every refusal in between."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hms.clock import ManualClock
from hms.domain.enums import Role

from .api_fixtures import Headers, People, add_doctor, assert_problem, assert_refused_anonymously, login, openapi_path
from .factories import PATIENT_PASSWORD
from .scheduling_fixtures import local

PRIVATE = 'Suspect early pneumonia; recheck lungs.'
TREATMENT: dict[str, Any] = {
    'diagnosis': 'Acute bronchitis',
    'treatment': 'Rest, fluids, steam inhalation',
    'prescription': [
        {
            'name': 'Amoxicillin',
            'dose': '500 mg',
            'frequency': 'three times a day',
            'duration': '7 days',
            'instructions': 'with food',
        },
        {
            'name': 'Ibuprofen',
            'dose': '400 mg',
            'frequency': 'as needed',
            'duration': '5 days',
            'instructions': 'not on an empty stomach',
        },
    ],
    'tests': 'Chest X-ray if no better in a week',
    'notes': 'Come back if the fever rises.',
    'private_notes': PRIVATE,
    'next_visit': '2026-03-16',
}
TREATMENT_KEYS = {
    'diagnosis',
    'treatment',
    'prescription',
    'tests',
    'notes',
    'private_notes',
    'next_visit',
    'version',
    'recorded_at',
}


def booked(api: TestClient, headers: Headers, doctor_id: int, start: datetime, reason: str = 'Cough') -> dict[str, Any]:
    response = api.post(
        '/api/appointments',
        headers=headers,
        json={'doctor_id': doctor_id, 'start': start.isoformat(), 'reason': reason},
    )
    assert response.status_code == 201, response.text
    return response.json()


def complete(api: TestClient, headers: Headers, appointment_id: int, **changes: Any) -> Any:
    return api.post(f'/api/doctor/appointments/{appointment_id}/complete', headers=headers, json=TREATMENT | changes)


def completed_visit(people: People, start: datetime | None = None) -> dict[str, Any]:
    """Ada sees Dr Grey today (Monday 2 March) and the visit is recorded."""
    appointment = booked(people.api, people.ada, people.clinic.doctor.user_id, start or local(2, 9))
    response = complete(people.api, people.grey, appointment['id'])
    assert response.status_code == 200, response.text
    return response.json()


# --- The three end-to-end checks ------------------------------------------------------------------------------------


def test_admin_adds_a_doctor_who_then_exists_in_the_database(api: TestClient, people: People) -> None:
    body = {
        'name': 'Miranda Bailey',
        'email': 'Bailey@Clinic.test',
        'department_id': people.clinic.department_id,
        'experience_years': 15,
        'qualifications': 'MD, FACS',
        'bio': 'General surgeon',
        'consultation_minutes': 30,
    }
    created = add_doctor(people, body)
    doctor_id = created['doctor']['id']
    assert created['initial_password']
    with people.clinic.ctx.uow() as uow:
        user = uow.users.get(doctor_id)
        profile = uow.doctors.get(doctor_id)
        assert user is not None and profile is not None
        assert (user.name, user.email, user.role, user.is_active) == (
            'Miranda Bailey',
            'bailey@clinic.test',
            Role.DOCTOR,
            True,
        )
        assert user.must_change_password
        assert (profile.department_id, profile.experience_years, profile.consultation_minutes) == (
            people.clinic.department_id,
            15,
            30,
        )
    # The new doctor signs in with the one-time password, which they must change.
    headers = login(api, 'bailey@clinic.test', created['initial_password'])
    assert api.get('/api/me', headers=headers).json()['must_change_password'] is True


def test_a_booking_shows_in_the_doctors_schedule(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 11), reason='Persistent cough')
    day = api.get('/api/doctor/schedule', headers=people.grey)
    assert day.status_code == 200, day.text
    schedule = day.json()
    assert (schedule['first'], schedule['last']) == ('2026-03-02', '2026-03-02')
    assert schedule['counts'] == {
        'booked': 1, 'arrived': 0, 'in_consultation': 0, 'completed': 0, 'cancelled': 0, 'no_show': 0
    }  # fmt: skip
    [entry] = schedule['entries']
    assert entry['patient_age'] == 35
    assert entry['appointment']['id'] == appointment['id']
    assert entry['appointment']['start'] == '2026-03-02T11:00:00+01:00'
    assert (
        entry['appointment']['patient_name'] == 'Ada Lovelace' and entry['appointment']['reason'] == 'Persistent cough'
    )
    listed = api.get('/api/doctor/appointments', headers=people.grey).json()
    assert [item['id'] for item in listed] == [appointment['id']]
    # Dr Shepherd's schedule does not show it.
    assert api.get('/api/doctor/schedule', headers=people.shepherd).json()['entries'] == []


def test_a_completed_visit_shows_in_the_patients_history_without_private_notes(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    response = complete(api, people.grey, appointment['id'])
    assert response.status_code == 200, response.text
    visit = response.json()
    assert visit['appointment']['status'] == 'completed'
    assert set(visit['treatment']) == TREATMENT_KEYS
    assert visit['treatment']['private_notes'] == PRIVATE  # the doctor sees their own notes
    assert visit['treatment']['version'] == 1 and visit['treatment']['next_visit'] == '2026-03-16'
    assert visit['treatment']['recorded_at'] == '2026-03-02T08:00:00+01:00'

    history = api.get('/api/patient/history', headers=people.ada)
    assert history.status_code == 200, history.text
    assert PRIVATE not in history.text and 'pneumonia' not in history.text
    body = history.json()
    assert body['patient']['id'] == people.clinic.patient.user_id and body['patient']['name'] == 'Ada Lovelace'
    [seen] = body['visits']
    assert seen['appointment']['id'] == appointment['id'] and seen['appointment']['doctor_name'] == 'Meredith Grey'
    treatment = seen['treatment']
    assert 'private_notes' in treatment and treatment['private_notes'] is None
    assert treatment['diagnosis'] == 'Acute bronchitis' and treatment['notes'] == 'Come back if the fever rises.'
    assert treatment['prescription'] == TREATMENT['prescription']
    assert [medicine['name'] for medicine in treatment['prescription']] == ['Amoxicillin', 'Ibuprofen']
    assert body['upcoming'] == []


# --- Access ---------------------------------------------------------------------------------------------------------

DOCTOR_ROUTES = [
    ('GET', '/api/doctor/patients'),
    ('GET', '/api/doctor/patients/4/history'),
    ('GET', '/api/doctor/schedule'),
    ('POST', '/api/doctor/appointments/1/complete'),
    ('PUT', '/api/doctor/appointments/1/treatment'),
    ('GET', '/api/doctor/appointments/1/treatment/versions'),
    ('POST', '/api/doctor/appointments/1/cancel'),
    ('POST', '/api/doctor/appointments/1/no-show'),
]
PATIENT_ROUTES = [
    ('GET', '/api/patient/history'),
    ('GET', '/api/patient/profile'),
    ('PATCH', '/api/patient/profile'),
    ('POST', '/api/patient/profile/email'),
    ('GET', '/api/patient/access-log'),
    ('GET', '/api/patient/notices'),
    ('POST', '/api/patient/notices/read'),
]
ADMIN_ROUTES = [
    ('GET', '/api/admin/patients/4/history'),
    ('GET', '/api/admin/doctors/2/schedule'),
    ('GET', '/api/admin/appointments/1/treatment/versions'),
]
ROUTES = DOCTOR_ROUTES + PATIENT_ROUTES + ADMIN_ROUTES


@pytest.mark.parametrize(('method', 'path'), ROUTES)
def test_anonymous_callers_get_401(api: TestClient, method: str, path: str) -> None:
    assert_refused_anonymously(api, method, path)


def test_every_route_is_in_the_openapi_schema(api: TestClient) -> None:
    paths = api.get('/api/openapi.json').json()['paths']
    for method, path in ROUTES:
        operation = paths[openapi_path(paths, path)][method.lower()]
        assert {'401', '403'} <= set(operation['responses']), path
    complete_responses = paths['/doctor/appointments/{appointment_id}/complete']['post']['responses']
    assert {'200', '404', '409', '422'} <= set(complete_responses)


def test_patients_get_403_on_doctor_and_admin_routes(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    for method, path in DOCTOR_ROUTES + ADMIN_ROUTES:
        assert_problem(api.request(method, path, headers=people.ada, json=TREATMENT), 403)
    own = f'/api/doctor/appointments/{appointment["id"]}'
    assert_problem(api.post(f'{own}/complete', headers=people.ada, json=TREATMENT), 403)
    assert_problem(api.post(f'{own}/no-show', headers=people.ada), 403)
    assert api.get(f'/api/appointments/{appointment["id"]}', headers=people.ada).json()['status'] == 'booked'


def test_doctors_and_the_admin_get_403_on_patient_routes(api: TestClient, people: People) -> None:
    for method, path in PATIENT_ROUTES:
        for headers in (people.grey, people.admin):
            assert_problem(api.request(method, path, headers=headers, json={}), 403)
    for method, path in DOCTOR_ROUTES:
        assert_problem(api.request(method, path, headers=people.admin, json=TREATMENT), 403)
    for method, path in ADMIN_ROUTES:
        assert_problem(api.request(method, path, headers=people.grey, json={}), 403)


@pytest.mark.parametrize(
    'path',
    [
        '/api/doctor/patients/abc/history',
        '/api/doctor/patients/0/history',
        f'/api/doctor/patients/{2**63}/history',
        '/api/doctor/appointments/-1/treatment/versions',
        '/api/admin/patients/1.5/history',
        '/api/admin/doctors/x/schedule',
        f'/api/admin/appointments/{10**30}/treatment/versions',
    ],
)
def test_invalid_ids_are_422_problems(api: TestClient, people: People, path: str) -> None:
    headers = people.admin if path.startswith('/api/admin/') else people.grey
    body = assert_problem(api.get(path, headers=headers), 422)
    assert body['errors']


def test_unknown_ids_are_404(api: TestClient, people: People) -> None:
    big = 2**63 - 1
    assert_problem(api.get(f'/api/doctor/patients/{big}/history', headers=people.grey), 404)
    assert_problem(complete(api, people.grey, big), 404)
    assert_problem(api.post(f'/api/doctor/appointments/{big}/no-show', headers=people.grey), 404)
    assert_problem(api.get(f'/api/admin/patients/{big}/history', headers=people.admin), 404)
    assert_problem(api.get(f'/api/admin/doctors/{big}/schedule', headers=people.admin), 404)
    patient_id = people.clinic.patient.user_id
    assert_problem(api.get(f'/api/admin/doctors/{patient_id}/schedule', headers=people.admin), 404)
    doctor_id = people.clinic.doctor.user_id
    assert_problem(api.get(f'/api/admin/patients/{doctor_id}/history', headers=people.admin), 404)


# --- Completing visits ----------------------------------------------------------------------------------------------


def test_another_doctor_cannot_complete_the_appointment(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    assert_problem(complete(api, people.shepherd, appointment['id']), 404)
    path = f'/api/doctor/appointments/{appointment["id"]}'
    assert_problem(api.post(f'{path}/no-show', headers=people.shepherd), 404)
    assert_problem(api.post(f'{path}/cancel', headers=people.shepherd, json={'reason': 'Mine now'}), 404)
    assert_problem(api.get(f'{path}/treatment/versions', headers=people.shepherd), 404)
    assert api.get(f'/api/appointments/{appointment["id"]}', headers=people.ada).json()['status'] == 'booked'


def test_a_cancelled_appointment_cannot_be_completed(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 14))
    cancelled = api.post(f'/api/appointments/{appointment["id"]}/cancel', headers=people.ada, json={})
    assert cancelled.status_code == 200, cancelled.text
    assert_problem(complete(api, people.grey, appointment['id']), 409, 'cancelled')


def test_a_future_day_appointment_cannot_be_completed(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    body = assert_problem(complete(api, people.grey, appointment['id']), 409, 'future day')
    assert body['title'] == 'Invalid status change'
    assert api.get(f'/api/appointments/{appointment["id"]}', headers=people.ada).json()['status'] == 'booked'


def test_a_completed_visit_cannot_be_completed_again(api: TestClient, people: People) -> None:
    visit = completed_visit(people)
    assert_problem(complete(api, people.grey, visit['appointment']['id']), 409, 'already completed')
    assert_problem(api.post(f'/api/doctor/appointments/{visit["appointment"]["id"]}/no-show', headers=people.grey), 409)


def test_invalid_treatments_are_422_with_field_errors(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    bad = {'diagnosis': '  ', 'next_visit': '2020-01-01', 'prescription': [{'dose': '1 tablet'}], 'surprise': 1}
    body = assert_problem(complete(api, people.grey, appointment['id'], **bad), 422)
    assert {'diagnosis', 'next_visit', 'prescription.0.name', 'surprise'} <= set(body['errors'])
    for changes in (
        {'next_visit': '9999-12-31'},
        {'next_visit': 'soon'},
        {'notes': 'x' * 4001},
        {'prescription': [{'name': 'Aspirin'}] * 31},
        {'prescription': 'aspirin'},
    ):
        assert_problem(complete(api, people.grey, appointment['id'], **changes), 422)
    assert_problem(api.post(f'/api/doctor/appointments/{appointment["id"]}/complete', headers=people.grey), 422)
    assert api.get(f'/api/appointments/{appointment["id"]}', headers=people.ada).json()['status'] == 'booked'
    # A minimal record is enough: a diagnosis.
    minimal = api.post(
        f'/api/doctor/appointments/{appointment["id"]}/complete', headers=people.grey, json={'diagnosis': 'Cold'}
    )
    assert minimal.status_code == 200, minimal.text
    treatment = minimal.json()['treatment']
    assert (treatment['prescription'], treatment['private_notes'], treatment['next_visit']) == ([], '', None)


# --- Amending -------------------------------------------------------------------------------------------------------


def test_amending_keeps_the_earlier_version(api: TestClient, people: People, clock: ManualClock) -> None:
    visit = completed_visit(people)
    path = f'/api/doctor/appointments/{visit["appointment"]["id"]}/treatment'
    assert api.get(f'{path}/versions', headers=people.grey).json() == []
    clock.set(local(2, 8, 20).astimezone(UTC))
    amended = api.put(path, headers=people.grey, json=TREATMENT | {'diagnosis': 'Viral bronchitis'})
    assert amended.status_code == 200, amended.text
    assert amended.json()['treatment']['diagnosis'] == 'Viral bronchitis'
    assert amended.json()['treatment']['version'] == 2
    assert amended.json()['treatment']['recorded_at'] == '2026-03-02T08:20:00+01:00'
    versions = api.get(f'{path}/versions', headers=people.grey)
    assert versions.status_code == 200, versions.text
    [first] = versions.json()
    assert first['version'] == 1 and first['content']['diagnosis'] == 'Acute bronchitis'
    assert first['content']['prescription'] == TREATMENT['prescription']
    assert first['recorded_at'] == '2026-03-02T08:00:00+01:00' and first['replaced_at'] == '2026-03-02T08:20:00+01:00'
    assert first['replaced_by'] == 'Meredith Grey'
    # The administrator reads the same versions but not the author's private notes; the patient's history shows only
    # the current record.
    assert first['content']['private_notes'] == PRIVATE
    as_admin = api.get(
        f'/api/admin/appointments/{visit["appointment"]["id"]}/treatment/versions', headers=people.admin
    ).json()
    assert as_admin == [first | {'content': first['content'] | {'private_notes': None}}]
    history = api.get('/api/patient/history', headers=people.ada).json()
    assert history['visits'][0]['treatment']['diagnosis'] == 'Viral bronchitis'
    assert 'Acute bronchitis' not in str(history)
    # The same content again is refused; another doctor cannot amend; an uncompleted visit has nothing to amend.
    assert_problem(api.put(path, headers=people.grey, json=TREATMENT | {'diagnosis': 'Viral bronchitis'}), 422)
    assert_problem(api.put(path, headers=people.shepherd, json=TREATMENT), 404)
    assert_problem(api.put(path, headers=people.grey, json={'diagnosis': ''}), 422)
    open_ = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 11))
    assert_problem(
        api.put(f'/api/doctor/appointments/{open_["id"]}/treatment', headers=people.grey, json=TREATMENT), 409
    )


# --- No-shows and cancellations -------------------------------------------------------------------------------------


def test_no_show_only_after_the_start(api: TestClient, people: People, clock: ManualClock) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    path = f'/api/doctor/appointments/{appointment["id"]}/no-show'
    assert_problem(api.post(path, headers=people.grey), 409, '15 minutes after the appointment has started')
    clock.set(local(2, 9, 15).astimezone(UTC))  # the no-show grace (HMS_NO_SHOW_GRACE_MINUTES) is over
    people.relogin()
    response = api.post(path, headers=people.grey)
    assert response.status_code == 200, response.text
    assert response.json()['status'] == 'no_show'
    assert_problem(api.post(path, headers=people.grey), 409, 'no-show')
    schedule = api.get('/api/doctor/schedule', headers=people.grey).json()
    assert schedule['counts'] == {
        'booked': 0, 'arrived': 0, 'in_consultation': 0, 'completed': 0, 'cancelled': 0, 'no_show': 1
    }  # fmt: skip


def test_a_no_show_cannot_be_completed(api: TestClient, people: People, clock: ManualClock) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    clock.set(local(2, 9, 15).astimezone(UTC))
    people.relogin()
    assert api.post(f'/api/doctor/appointments/{appointment["id"]}/no-show', headers=people.grey).status_code == 200
    assert_problem(complete(api, people.grey, appointment['id']), 409)


def test_a_doctor_cancels_with_a_reason_and_the_patient_is_told(api: TestClient, people: People) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 10))
    path = f'/api/doctor/appointments/{appointment["id"]}/cancel'

    def about_it(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:  # not the welcome notice
        return [notice for notice in notices if notice['appointment_id'] == appointment['id']]

    assert about_it(api.get('/api/patient/notices', headers=people.ada).json()) == []
    body = assert_problem(api.post(path, headers=people.grey), 422)
    assert 'reason' in body['errors']
    assert_problem(api.post(path, headers=people.grey, json={'reason': '   '}), 422)
    assert_problem(api.post(path, headers=people.grey, json={'reason': 'x' * 10_001}), 422)
    response = api.post(path, headers=people.grey, json={'reason': 'Called away to surgery.'})
    assert response.status_code == 200, response.text
    assert response.json()['status'] == 'cancelled' and response.json()['cancel_reason'] == 'Called away to surgery.'
    assert_problem(api.post(path, headers=people.grey, json={'reason': 'Again'}), 409)

    notices = api.get('/api/patient/notices', headers=people.ada)
    assert notices.status_code == 200, notices.text
    [notice] = about_it(notices.json())
    assert notice['read'] is False
    assert notice['subject'] == 'Your appointment was cancelled'
    assert 'Meredith Grey' in notice['body'] and 'Called away to surgery.' in notice['body']
    assert notice['created_at'] == '2026-03-02T08:00:00+01:00'
    assert about_it(api.get('/api/patient/notices', headers=people.bob).json()) == []  # only Ada's
    assert api.post('/api/patient/notices/read', headers=people.ada).status_code == 200
    assert {n['read'] for n in api.get('/api/patient/notices', headers=people.ada).json()} == {True}
    assert_problem(api.get('/api/patient/notices', headers=people.ada, params={'limit': 0}), 422)


# --- Histories and who may read them --------------------------------------------------------------------------------


def test_a_doctor_reads_only_their_own_patients_histories(api: TestClient, people: People) -> None:
    visit = completed_visit(people)
    later = booked(api, people.ada, people.clinic.doctor.user_id, local(4, 9))
    ada_id = people.clinic.patient.user_id
    assert_problem(api.get(f'/api/doctor/patients/{ada_id}/history', headers=people.shepherd), 404)
    response = api.get(f'/api/doctor/patients/{ada_id}/history', headers=people.grey)
    assert response.status_code == 200, response.text
    history = response.json()
    assert history['patient'] == {
        'id': ada_id,
        'name': 'Ada Lovelace',
        'age': 35,
        'gender': 'female',
        'blood_group': None,
        'allergies': None,
    }
    assert [v['appointment']['id'] for v in history['visits']] == [visit['appointment']['id']]
    assert history['visits'][0]['treatment']['private_notes'] == PRIVATE
    assert [a['id'] for a in history['upcoming']] == [later['id']]
    # Once Ada books with Dr Shepherd she is his patient too, and he sees her visit with Dr Grey.
    booked(api, people.ada, people.clinic.other_doctor.user_id, local(5, 9))
    theirs = api.get(f'/api/doctor/patients/{ada_id}/history', headers=people.shepherd)
    assert theirs.status_code == 200
    assert [v['appointment']['doctor_name'] for v in theirs.json()['visits']] == ['Meredith Grey']
    assert theirs.json()['visits'][0]['treatment']['private_notes'] is None  # Dr Grey's own, not his


def test_one_patient_never_reaches_anothers_history(api: TestClient, people: People) -> None:
    completed_visit(people)
    ada_id, bob_id = people.clinic.patient.user_id, people.clinic.other_patient.user_id
    mine = api.get('/api/patient/history', headers=people.bob)
    assert mine.status_code == 200
    assert mine.json()['patient']['id'] == bob_id and mine.json()['visits'] == []
    assert 'Acute bronchitis' not in mine.text and 'Ada' not in mine.text
    assert api.get('/api/patient/history', headers=people.bob, params={'patient_id': ada_id}).json() == mine.json()
    assert_problem(api.get(f'/api/admin/patients/{ada_id}/history', headers=people.bob), 403)
    assert_problem(api.get(f'/api/doctor/patients/{ada_id}/history', headers=people.bob), 403)
    assert_problem(api.get(f'/api/admin/patients/{ada_id}/history', headers=people.ada), 403)


def test_the_admin_reads_any_history_and_schedule(api: TestClient, people: People) -> None:
    visit = completed_visit(people)
    ada_id = people.clinic.patient.user_id
    response = api.get(f'/api/admin/patients/{ada_id}/history', headers=people.admin)
    assert response.status_code == 200, response.text
    assert response.json()['visits'][0]['treatment']['diagnosis'] == 'Acute bronchitis'
    bob_history = api.get(f'/api/admin/patients/{people.clinic.other_patient.user_id}/history', headers=people.admin)
    assert bob_history.status_code == 200 and bob_history.json()['visits'] == []
    doctor_id = people.clinic.doctor.user_id
    schedule = api.get(f'/api/admin/doctors/{doctor_id}/schedule', headers=people.admin, params={'days': 7})
    assert schedule.status_code == 200, schedule.text
    assert (schedule.json()['first'], schedule.json()['last']) == ('2026-03-02', '2026-03-08')
    assert [e['appointment']['id'] for e in schedule.json()['entries']] == [visit['appointment']['id']]
    assert schedule.json()['counts']['completed'] == 1
    other = api.get(f'/api/admin/doctors/{people.clinic.other_doctor.user_id}/schedule', headers=people.admin)
    assert other.json()['entries'] == []


def test_the_access_log_lists_the_doctors_history_view(api: TestClient, people: People) -> None:
    completed_visit(people)
    assert (
        api.get(f'/api/doctor/patients/{people.clinic.patient.user_id}/history', headers=people.grey).status_code == 200
    )
    response = api.get('/api/patient/access-log', headers=people.ada)
    assert response.status_code == 200, response.text
    entries = response.json()
    assert set(entries[0]) == {'at', 'who', 'role', 'action'}
    seen = [(e['who'], e['role'], e['action']) for e in entries]
    assert seen[0] == ('Meredith Grey', 'doctor', 'Viewed your history')  # newest first
    assert ('Meredith Grey', 'doctor', 'Recorded a visit') in seen
    assert all(e['at'].endswith('+01:00') for e in entries)
    assert 'bronchitis' not in response.text.lower()
    assert api.get('/api/patient/access-log', headers=people.bob).json() == []
    assert_problem(api.get('/api/patient/access-log', headers=people.ada, params={'limit': 501}), 422)


# --- The doctor's patients and schedule -----------------------------------------------------------------------------


def test_my_patients_lists_everyone_with_an_appointment(api: TestClient, people: People, clock: ManualClock) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    clock.set(local(2, 9, 5).astimezone(UTC))
    people.relogin()
    assert complete(api, people.grey, appointment['id']).status_code == 200
    booked(api, people.ada, people.clinic.doctor.user_id, local(4, 9))
    booked(api, people.bob, people.clinic.doctor.user_id, local(3, 9))
    response = api.get('/api/doctor/patients', headers=people.grey)
    assert response.status_code == 200, response.text
    ada, bob = response.json()
    assert ada == {
        'id': people.clinic.patient.user_id,
        'name': 'Ada Lovelace',
        'last_visit': '2026-03-02T09:00:00+01:00',
        'next_visit': '2026-03-04T09:00:00+01:00',
        'appointments': 2,
    }
    assert (bob['name'], bob['last_visit'], bob['appointments']) == ('Bob Builder', None, 1)
    found = api.get('/api/doctor/patients', headers=people.grey, params={'q': 'BUILD'}).json()
    assert [p['name'] for p in found] == ['Bob Builder']
    assert api.get('/api/doctor/patients', headers=people.grey, params={'q': '%'}).json() == []
    assert api.get('/api/doctor/patients', headers=people.shepherd).json() == []
    assert_problem(api.get('/api/doctor/patients', headers=people.grey, params={'q': 'x' * 121}), 422)


def test_the_schedule_over_several_days_and_its_bounds(api: TestClient, people: People) -> None:
    doctor_id = people.clinic.doctor.user_id
    booked(api, people.ada, doctor_id, local(3, 9))
    booked(api, people.bob, doctor_id, local(5, 16))
    path = '/api/doctor/schedule'
    week = api.get(path, headers=people.grey, params={'date': '2026-03-02', 'days': 7}).json()
    assert [e['appointment']['start'] for e in week['entries']] == [
        '2026-03-03T09:00:00+01:00',
        '2026-03-05T16:00:00+01:00',
    ]
    assert week['counts']['booked'] == 2 and week['last'] == '2026-03-08'
    thursday = api.get(path, headers=people.grey, params={'date': '2026-03-05'}).json()
    assert [e['appointment']['patient_name'] for e in thursday['entries']] == ['Bob Builder']
    assert api.get(path, headers=people.grey, params={'date': '2999-12-31', 'days': 31}).status_code == 200
    assert api.get(path, headers=people.grey, params={'date': '1900-01-01'}).json()['entries'] == []
    for params in (
        {'date': '0001-01-01'},
        {'date': '1899-12-31'},
        {'date': '3000-01-01'},
        {'date': '9999-12-31'},
        {'date': 'today'},
        {'date': '2026-02-30'},
        {'days': 0},
        {'days': 32},
        {'days': -1},
        {'days': 'x'},
        {'days': 10**30},
    ):
        assert_problem(api.get(path, headers=people.grey, params=params), 422)
        admin_path = f'/api/admin/doctors/{doctor_id}/schedule'
        assert_problem(api.get(admin_path, headers=people.admin, params=params), 422)


# --- The patient's profile ------------------------------------------------------------------------------------------


def test_profile_read_and_edit(api: TestClient, people: People) -> None:
    response = api.get('/api/patient/profile', headers=people.ada)
    assert response.status_code == 200, response.text
    assert response.json() == {
        'id': people.clinic.patient.user_id,
        'name': 'Ada Lovelace',
        'email': 'ada@example.com',
        'dob': '1990-12-10',
        'gender': 'female',
        'phone': '+44 20 7946 0000',
        'address': '12 St James Square, London',
        'blood_group': None,
        'allergies': None,
        'emergency_contact': None,
        'no_shows_12m': 0,
        'late_cancellations_12m': 0,
        'no_show_limit': 3,
        'online_booking_paused': False,
    }
    patch = {'blood_group': 'o-', 'allergies': 'Penicillin', 'phone': '+44 20 7946 0001'}
    updated = api.patch('/api/patient/profile', headers=people.ada, json=patch)
    assert updated.status_code == 200, updated.text
    assert (updated.json()['blood_group'], updated.json()['allergies'], updated.json()['phone']) == (
        'O-',
        'Penicillin',
        '+44 20 7946 0001',
    )
    assert api.get('/api/patient/profile', headers=people.ada).json()['allergies'] == 'Penicillin'
    cleared = api.patch('/api/patient/profile', headers=people.ada, json={'allergies': None}).json()
    assert cleared['allergies'] is None and cleared['blood_group'] == 'O-'
    # The doctor sees the new blood group in the history summary.
    completed_visit(people)
    history = api.get(f'/api/doctor/patients/{people.clinic.patient.user_id}/history', headers=people.grey).json()
    assert history['patient']['blood_group'] == 'O-'


def test_profile_refuses_a_future_date_of_birth_and_other_bad_fields(api: TestClient, people: People) -> None:
    body = assert_problem(api.patch('/api/patient/profile', headers=people.ada, json={'dob': '2026-03-03'}), 422)
    assert 'future' in body['errors']['dob']
    for patch in (
        {'dob': '1850-01-01'},
        {'dob': '0001-01-01'},
        {'dob': 'yesterday'},
        {'blood_group': 'Z+'},
        {'name': ''},
        {'phone': 'call me'},
        {'gender': 'robot'},
        {'email': 'new@example.com'},
        {'allergies': 'x' * 2001},
    ):
        problem = assert_problem(api.patch('/api/patient/profile', headers=people.ada, json=patch), 422)
        assert set(patch) <= set(problem['errors']), problem
    assert api.get('/api/patient/profile', headers=people.ada).json()['dob'] == '1990-12-10'


def test_email_change_needs_the_password(api: TestClient, people: People) -> None:
    path = '/api/patient/profile/email'
    wrong = assert_problem(
        api.post(path, headers=people.ada, json={'new_email': 'ada@new.example.com', 'password': 'not-my-password'}),
        422,
    )
    assert 'password' in wrong['errors']
    taken = {'new_email': 'BOB@example.com', 'password': PATIENT_PASSWORD}
    assert_problem(api.post(path, headers=people.ada, json=taken), 409)
    for body in ({'new_email': 'not-an-email', 'password': PATIENT_PASSWORD}, {'new_email': 'a@b.example.com'}, {}):
        assert_problem(api.post(path, headers=people.ada, json=body), 422)
    changed = api.post(
        path, headers=people.ada, json={'new_email': 'Ada@New.Example.com', 'password': PATIENT_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()['email'] == 'ada@new.example.com'
    headers = login(api, 'ada@new.example.com', PATIENT_PASSWORD)
    assert api.get('/api/patient/profile', headers=headers).json()['email'] == 'ada@new.example.com'
    old = api.post('/api/login', json={'email': 'ada@example.com', 'password': PATIENT_PASSWORD})
    assert_problem(old, 401)
    log = api.get('/api/patient/access-log', headers=headers).json()
    assert ('You', 'patient', 'Changed your email address') in [(e['who'], e['role'], e['action']) for e in log]


# --- Rules found while writing these tests ---------------------------------------------------------------------


def test_the_next_visit_cannot_be_yesterday_in_clinic_time(api: TestClient, people: People, clock: ManualClock) -> None:
    appointment = booked(api, people.ada, people.clinic.doctor.user_id, local(3, 9))
    clock.set(local(3, 0, 30).astimezone(UTC))  # Tuesday 00:30 in Berlin, still Monday in UTC
    people.relogin()
    body = assert_problem(complete(api, people.grey, appointment['id'], next_visit='2026-03-02'), 422)
    assert 'next_visit' in body['errors']


def test_a_visit_completed_early_is_the_last_visit(api: TestClient, people: People) -> None:
    visit = completed_visit(people)  # 09:00 today, completed at 08:00
    [ada] = api.get('/api/doctor/patients', headers=people.grey).json()
    assert ada['last_visit'] == visit['appointment']['start']
