"""The worklist of past appointments nobody closed: the desk sees all, a doctor their own; each is closed as a no-show
or as completed through the transitions (one winner when two close it at once)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User

from hms.domain.enums import AppointmentStatus
from hms.domain.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from hms.services import transitions, unclosed
from hms.services.principal import Principal

from .api_fixtures import People, assert_problem, login
from .factories import RECEPTION_PASSWORD, make_receptionist
from .page_steps import as_doctor, eventually, see, switch_to
from .scheduling_fixtures import Clinic, insert_appointment, local

BOOKED, ARRIVED, IN = AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION


def past(clinic: Clinic, day: int, hour: int, status: AppointmentStatus, doctor: Principal | None = None) -> int:
    doctor_id = (doctor or clinic.doctor).user_id
    return insert_appointment(clinic, doctor_id, clinic.patient.user_id, local(day, hour, month=2), status)


def status_of(clinic: Clinic, appointment_id: int) -> tuple[AppointmentStatus, int]:
    with clinic.ctx.uow() as uow:
        found = uow.appointments.get(appointment_id)
        assert found is not None
        return AppointmentStatus(found.status), found.sequence


@pytest.fixture
def desk(clinic: Clinic) -> Principal:
    return make_receptionist(clinic.ctx, clinic.admin)


def test_the_desk_sees_every_unclosed_appointment_and_a_doctor_their_own(clinic: Clinic, desk: Principal) -> None:
    booked = past(clinic, 27, 9, BOOKED)
    arrived = past(clinic, 27, 10, ARRIVED)
    started = past(clinic, 26, 11, IN)
    others = past(clinic, 27, 9, BOOKED, clinic.other_doctor)
    past(clinic, 25, 9, AppointmentStatus.COMPLETED)
    past(clinic, 25, 10, AppointmentStatus.NO_SHOW)
    past(clinic, 25, 11, AppointmentStatus.CANCELLED)
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 10), BOOKED)  # later today
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        assert [a.id for a in unclosed.unclosed(uow, settings, desk)] == [arrived, booked, others, started]
        assert [a.id for a in unclosed.unclosed(uow, settings, clinic.admin)] == [arrived, booked, others, started]
        assert [a.id for a in unclosed.unclosed(uow, settings, clinic.doctor)] == [arrived, booked, started]
        assert [a.id for a in unclosed.unclosed(uow, settings, clinic.other_doctor)] == [others]
        with pytest.raises(NotAllowed):
            unclosed.unclosed(uow, settings, clinic.patient)


def test_closing_goes_through_the_transitions(clinic: Clinic, desk: Principal) -> None:
    booked = past(clinic, 27, 9, BOOKED)
    arrived = past(clinic, 27, 10, ARRIVED)
    started = past(clinic, 26, 11, IN)
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        assert unclosed.close(uow, settings, desk, booked, 'no_show').status is AppointmentStatus.NO_SHOW
    assert status_of(clinic, booked) == (AppointmentStatus.NO_SHOW, 1)
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='arrived'):
        unclosed.close(uow, settings, desk, arrived, 'no_show')  # they came: not a no-show
    with clinic.ctx.uow() as uow, pytest.raises(NotFound):
        unclosed.close(uow, settings, clinic.other_doctor, arrived, 'completed')  # not theirs
    with clinic.ctx.uow() as uow:
        unclosed.close(uow, settings, clinic.doctor, arrived, 'completed')
    with clinic.ctx.uow() as uow:
        unclosed.close(uow, settings, desk, started, 'completed')
    assert status_of(clinic, arrived)[0] is status_of(clinic, started)[0] is AppointmentStatus.COMPLETED
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition):
        unclosed.close(uow, settings, desk, started, 'completed')  # closed already
    later = insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 10), BOOKED)
    with clinic.ctx.uow() as uow, pytest.raises(InvalidTransition, match='not ended'):
        unclosed.close(uow, settings, desk, later, 'no_show')
    with clinic.ctx.uow() as uow:
        assert unclosed.unclosed(uow, settings, desk) == []


def test_two_closings_at_once_one_wins(clinic: Clinic, desk: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    booked = past(clinic, 27, 9, BOOKED)
    barrier = threading.Barrier(2, timeout=20)
    original = transitions.lock

    def read_together(*args: Any) -> Any:
        barrier.wait()  # both found it open
        return original(*args)

    monkeypatch.setattr(transitions, 'lock', read_together)
    results: list[object] = []

    def close(actor: Principal, outcome: str) -> None:
        try:
            with clinic.ctx.uow() as uow:
                results.append(unclosed.close(uow, clinic.ctx.settings, actor, booked, outcome))
        except DomainError as error:
            results.append(error)

    threads = [
        threading.Thread(target=close, args=(desk, 'no_show')),
        threading.Thread(target=close, args=(clinic.doctor, 'completed')),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(results) == 2 and len(errors) == 1 and errors[0].status_code == 409
    assert status_of(clinic, booked)[1] == 1  # exactly one change


def test_the_api_lists_and_closes(clinic: Clinic, api: TestClient, people: People, desk: Principal) -> None:
    booked = past(clinic, 27, 9, BOOKED)
    others = past(clinic, 27, 9, BOOKED, clinic.other_doctor)
    headers = login(api, desk.email, RECEPTION_PASSWORD)
    assert [a['id'] for a in api.get('/api/reception/unclosed', headers=headers).json()] == [booked, others]
    assert [a['id'] for a in api.get('/api/reception/unclosed', headers=people.grey).json()] == [booked]
    assert api.get('/api/reception/unclosed', headers=people.ada).status_code == 403
    path = f'/api/reception/unclosed/{booked}/close'
    assert_problem(api.post(path, headers=headers, json={'outcome': 'gone'}), 422)
    assert_problem(api.post(path, headers=people.shepherd, json={'outcome': 'no_show'}), 404)
    answer = api.post(path, headers=people.grey, json={'outcome': 'no_show'})
    assert answer.status_code == 200 and answer.json()['status'] == 'no_show'
    assert assert_problem(api.post(path, headers=headers, json={'outcome': 'completed'}), 409)['code'] == (
        'invalid_transition'
    )


# --- the page ----------------------------------------------------------------------------------------------------


async def test_the_desk_closes_from_the_page_and_a_doctor_sees_their_own(user: User, clinic: Clinic) -> None:
    booked = past(clinic, 27, 9, BOOKED)
    arrived = past(clinic, 27, 10, ARRIVED)
    others = past(clinic, 27, 9, BOOKED, clinic.other_doctor)
    desk = make_receptionist(clinic.ctx, clinic.admin)
    await switch_to(user, desk.email, RECEPTION_PASSWORD, 'Today at the desk')
    await user.open('/unclosed')
    await see(user, 'Appointments to close')
    await see(user, marker=f'unclosed-{others}')
    assert not present(user, f'no-show-{arrived}')  # they came: only "Completed"
    user.find(marker=f'no-show-{booked}').click()
    await eventually(lambda: status_of(clinic, booked)[0] is AppointmentStatus.NO_SHOW, 'closed as a no-show')
    await eventually(lambda: not present(user, f'unclosed-{booked}'), 'its row gone')
    await as_doctor(user, clinic)
    await user.open('/unclosed')
    await see(user, marker=f'unclosed-{arrived}')
    assert not present(user, f'unclosed-{others}') and not present(user, f'unclosed-{booked}')
    user.find(marker=f'completed-{arrived}').click()
    await eventually(lambda: status_of(clinic, arrived)[0] is AppointmentStatus.COMPLETED, 'closed as completed')


def present(user: User, marker: str) -> bool:
    assert user.client is not None
    return any(marker in element._markers for element in user.client.layout.descendants())
