"""One-tap links (hms.services.action_links and the appointment's confirm, cancel and reschedule): signed, single
purpose, single use, expiring at the start and when the appointment changes; reading one changes nothing."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User
from sqlalchemy import func, select

from hms.clock import ManualClock
from hms.db.models import ActionLinkUse, Appointment
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import DomainError
from hms.domain.scheduling import BookingIn
from hms.services import action_links, appointment_actions, appointments, reminders
from hms.services.action_links import Claims, LinkUsed
from pages.ui.secret_paths import HIDE_SECRET_PATHS

from .api_fixtures import assert_problem
from .factories import RECEPTION_PASSWORD, make_receptionist
from .page_steps import see, switch_to
from .scheduling_fixtures import Clinic, local


def book(clinic: Clinic, when: Any, patient: Any = None) -> Appointment:
    with clinic.ctx.uow() as uow:
        view = appointments.book(
            uow, clinic.ctx.settings, patient or clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=when)
        )
    return read(clinic, view.id)


def read(clinic: Clinic, appointment_id: int) -> Appointment:
    with clinic.ctx.uow() as uow:
        found = uow.appointments.get(appointment_id)
        assert found is not None
        return found


def token_of(url: str) -> str:
    return url.rsplit('/a/', 1)[1]


def links(clinic: Clinic, appointment: Appointment) -> dict[str, str]:
    made = appointment_actions.links(clinic.ctx.settings, appointment)
    for url in made.values():
        assert url.startswith(clinic.ctx.settings.base_url + '/a/')
    return {action: token_of(url) for action, url in made.items()}


def uses(clinic: Clinic) -> int:
    with clinic.ctx.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ActionLinkUse)) or 0)


def test_reading_a_link_changes_nothing_and_shows_the_appointment(clinic: Clinic, api: TestClient) -> None:
    appointment = book(clinic, local(3, 10))
    tokens = links(clinic, appointment)
    for action, token in tokens.items():
        for _ in range(2):  # a mail scanner opening it, then the patient
            body = api.get(f'/api/links/{token}').json()
            assert body['action'] == action and body['valid'] is True and body['reason'] is None
            assert body['appointment']['id'] == appointment.id
            assert body['appointment']['doctor_name'] == 'Meredith Grey'
            assert 'reason' not in body['appointment'] and 'patient_name' not in body['appointment']
    after = read(clinic, appointment.id)
    assert (after.status, after.sequence, after.confirmed_at) == (AppointmentStatus.BOOKED, appointment.sequence, None)
    assert uses(clinic) == 0


def test_confirm_works_once_and_keeps_the_other_links(clinic: Clinic, api: TestClient) -> None:
    appointment = book(clinic, local(3, 10))
    tokens = links(clinic, appointment)
    answer = api.post(f'/api/links/{tokens["confirm"]}')
    assert answer.status_code == 200, answer.text
    assert answer.json()['appointment']['confirmed_at'] is not None
    confirmed = read(clinic, appointment.id)
    assert confirmed.confirmed_at is not None and confirmed.sequence == appointment.sequence
    # replayed: refused, and the GET says why
    assert assert_problem(api.post(f'/api/links/{tokens["confirm"]}'), 409)['code'] == 'link_used'
    state = api.get(f'/api/links/{tokens["confirm"]}').json()
    assert (state['valid'], state['reason']) == (False, 'used') and state['message']
    # the confirmation is on the appointment's views
    with clinic.ctx.uow() as uow:
        assert appointments.get_appointment(uow, clinic.doctor, appointment.id).confirmed_at is not None
    # confirming keeps the sequence: the cancel link still works
    assert api.get(f'/api/links/{tokens["cancel"]}').json()['valid'] is True


def test_a_tampered_link_is_refused_and_reveals_nothing(clinic: Clinic, api: TestClient) -> None:
    mine = book(clinic, local(3, 10))
    theirs = book(clinic, local(3, 11), clinic.other_patient)
    token = links(clinic, mine)['cancel']
    payload, signature = token.split('.')
    claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    claims['s'] = theirs.id  # the same link pointed at someone else's appointment
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()
    broken_signature = ('A' if signature[0] != 'A' else 'B') + signature[1:]
    unknown_action = action_links.make_token(clinic.ctx.settings, Claims('explode', mine.id, 0, mine.start_at))
    for bad in (f'{forged_payload}.{signature}', f'{payload}.{broken_signature}', payload, 'x.y.z', unknown_action):
        state = api.get(f'/api/links/{bad}').json()
        assert (state['valid'], state['reason'], state['appointment']) == (False, 'tampered', None)
        assert assert_problem(api.post(f'/api/links/{bad}'), 400)['code'] == 'link_tampered'
    assert read(clinic, theirs.id).status == AppointmentStatus.BOOKED
    assert read(clinic, mine.id).status == AppointmentStatus.BOOKED


def test_a_link_only_acts_on_its_own_appointment(clinic: Clinic, api: TestClient) -> None:
    mine = book(clinic, local(3, 10))
    theirs = book(clinic, local(3, 11), clinic.other_patient)
    assert api.post(f'/api/links/{links(clinic, mine)["cancel"]}').status_code == 200
    assert read(clinic, mine.id).status == AppointmentStatus.CANCELLED
    assert read(clinic, theirs.id).status == AppointmentStatus.BOOKED


def test_a_link_expires_at_the_start(clinic: Clinic, api: TestClient, clock: ManualClock) -> None:
    appointment = book(clinic, local(3, 10))
    tokens = links(clinic, appointment)
    clock.set(appointment.start_at)
    state = api.get(f'/api/links/{tokens["confirm"]}').json()
    assert (state['valid'], state['reason']) == (False, 'expired')
    assert state['appointment']['id'] == appointment.id  # a genuine link still shows what it was for
    assert assert_problem(api.post(f'/api/links/{tokens["confirm"]}'), 410)['code'] == 'link_expired'
    assert read(clinic, appointment.id).confirmed_at is None


def test_a_change_supersedes_the_links(clinic: Clinic, api: TestClient) -> None:
    appointment = book(clinic, local(3, 10))
    tokens = links(clinic, appointment)
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, clinic.ctx.settings, clinic.patient, appointment.id, local(3, 11))
    for token in tokens.values():
        state = api.get(f'/api/links/{token}').json()
        assert (state['valid'], state['reason']) == (False, 'superseded')
        assert assert_problem(api.post(f'/api/links/{token}', json={'start': local(3, 12).isoformat()}), 409)[
            'code'
        ] == ('link_superseded')
    moved = read(clinic, appointment.id)
    assert moved.status == AppointmentStatus.BOOKED and moved.start_at == local(3, 11)
    # the new links of the new time work
    assert api.get(f'/api/links/{links(clinic, moved)["cancel"]}').json()['valid'] is True


def test_reschedule_shows_the_doctors_free_times_and_moves_to_one(clinic: Clinic, api: TestClient) -> None:
    appointment = book(clinic, local(3, 10))
    taken = book(clinic, local(3, 12), clinic.other_patient)
    token = links(clinic, appointment)['reschedule']
    state = api.get(f'/api/links/{token}').json()
    starts = [slot['start'] for slot in state['slots']]
    assert local(3, 10, 30).isoformat() in starts
    assert local(3, 10).isoformat() not in starts and local(3, 12).isoformat() not in starts
    assert assert_problem(api.post(f'/api/links/{token}', json={}), 422)['code'] == 'invalid_input'
    assert api.post(f'/api/links/{token}', json={'start': 'soon'}).status_code == 422
    refused = api.post(f'/api/links/{token}', json={'start': taken.start_at.isoformat()})
    assert 400 <= refused.status_code < 500 and refused.status_code != 404
    # a refused attempt leaves the link usable
    assert api.get(f'/api/links/{token}').json()['valid'] is True
    moved = api.post(f'/api/links/{token}', json={'start': local(3, 10, 30).isoformat()})
    assert moved.status_code == 200, moved.text
    assert read(clinic, appointment.id).start_at == local(3, 10, 30)


def test_cancel_keeps_the_patients_cut_off(clinic: Clinic, api: TestClient, clock: ManualClock) -> None:
    appointment = book(clinic, local(3, 10))
    token = links(clinic, appointment)['cancel']
    clock.set(appointment.start_at - timedelta(minutes=30))  # inside the 2-hour cut-off
    refused = assert_problem(api.post(f'/api/links/{token}'), 409, 'Please call the clinic')
    assert refused['code'] == 'invalid_transition'
    assert read(clinic, appointment.id).status == AppointmentStatus.BOOKED
    assert api.get(f'/api/links/{token}').json()['valid'] is True


def test_two_uses_at_once_one_wins(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    appointment = book(clinic, local(3, 10))
    token = links(clinic, appointment)['cancel']
    barrier = threading.Barrier(2, timeout=20)
    original = action_links._check

    def checked_together(*args: Any) -> Any:
        found = original(*args)
        barrier.wait()  # both have found the link unused and the appointment unchanged
        return found

    monkeypatch.setattr(action_links, '_check', checked_together)
    results: list[object] = []

    def use() -> None:
        try:
            with clinic.ctx.uow() as uow:
                results.append(action_links.perform(uow, clinic.ctx.settings, token))
        except DomainError as error:
            results.append(error)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    errors = [result for result in results if isinstance(result, DomainError)]
    assert len(errors) == 1 and isinstance(errors[0], LinkUsed) and errors[0].status_code == 409
    after = read(clinic, appointment.id)
    assert after.status == AppointmentStatus.CANCELLED and after.sequence == appointment.sequence + 1
    assert uses(clinic) == 1


def test_two_different_links_at_once_one_wins(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancel and reschedule of one appointment at the same moment: the second finds it changed (409)."""
    appointment = book(clinic, local(3, 10))
    tokens = links(clinic, appointment)
    barrier = threading.Barrier(2, timeout=20)
    original = action_links._check

    def checked_together(*args: Any) -> Any:
        found = original(*args)
        barrier.wait()
        return found

    monkeypatch.setattr(action_links, '_check', checked_together)
    results: list[object] = []

    def use(token: str, body: dict[str, Any]) -> None:
        try:
            with clinic.ctx.uow() as uow:
                results.append(action_links.perform(uow, clinic.ctx.settings, token, body))
        except DomainError as error:
            results.append(error)

    threads = [
        threading.Thread(target=use, args=(tokens['cancel'], {})),
        threading.Thread(target=use, args=(tokens['reschedule'], {'start': local(3, 11)})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [result for result in results if isinstance(result, DomainError)]
    assert len(results) == 2 and len(errors) == 1 and errors[0].status_code == 409
    assert read(clinic, appointment.id).sequence == appointment.sequence + 1


# --- the page /a/{token} ---------------------------------------------------------------------------------------------


async def test_the_page_confirms_with_one_click_and_opening_it_changes_nothing(user: User, clinic: Clinic) -> None:
    appointment = book(clinic, local(3, 10))
    token = links(clinic, appointment)['confirm']
    await user.open(f'/a/{token}')
    await see(user, 'Confirm your appointment')
    await see(user, marker='link-appointment')
    assert read(clinic, appointment.id).confirmed_at is None and uses(clinic) == 0
    user.find(marker='link-act').click()
    await see(user, marker='link-done')
    await see(user, 'Thank you: your appointment is confirmed.')
    assert read(clinic, appointment.id).confirmed_at is not None
    await user.open(f'/a/{token}')  # again: used, and it says so, offering sign-in
    await see(user, marker='link-used')
    await see(user, marker='link-sign-in')


async def test_the_page_explains_an_expired_and_a_tampered_link(user: User, clinic: Clinic, clock: ManualClock) -> None:
    appointment = book(clinic, local(3, 10))
    token = links(clinic, appointment)['cancel']
    await user.open(f'/a/{token[:-3]}xyz')
    await see(user, marker='link-tampered')
    await see(user, marker='link-sign-in')
    clock.set(appointment.start_at + timedelta(minutes=1))
    await user.open(f'/a/{token}')
    await see(user, marker='link-expired')
    await see(user, 'This link has expired. Sign in to see where things stand.')


async def test_the_page_moves_an_appointment_to_a_chosen_free_time(user: User, clinic: Clinic) -> None:
    appointment = book(clinic, local(3, 10))
    token = links(clinic, appointment)['reschedule']
    await user.open(f'/a/{token}')
    await see(user, marker='link-times')
    user.find(marker='link-act').click()  # nothing chosen yet
    await see(user, 'Choose one of the free times.')
    with user:
        choice = next(iter(user.find(marker='link-times').elements))
        choice.value = next(key for key in choice.options if datetime.fromisoformat(key) == local(3, 11))
    user.find(marker='link-act').click()
    await see(user, marker='link-done')
    assert read(clinic, appointment.id).start_at == local(3, 11)


# --- the links in messages -------------------------------------------------------------------------------------------


def test_confirmations_and_reminders_carry_the_three_links(clinic: Clinic) -> None:
    settings = clinic.ctx.settings = clinic.ctx.settings.model_copy(update={'public_url': 'https://clinic.example'})
    appointment = book(clinic, local(3, 10))
    with clinic.ctx.uow() as uow:
        facts = reminders.appointment_facts(uow, appointment.id)
        assert facts is not None
        messages = [
            reminders.reminder_message(settings, facts),
            reminders.confirmation_message(settings, facts, 'booked'),
            reminders.confirmation_message(settings, facts, 'rescheduled'),
        ]
        for message in messages:
            found = re.findall(r'https://clinic\.example/a/[A-Za-z0-9_.-]+', message.text)
            assert len(found) == 3, message.text
            for url in found:
                assert f'href="{url}"' in message.html
                assert action_links.inspect(uow, settings, token_of(url)).valid
            claims = [action_links.read_token(settings, token_of(url)) for url in found]
            assert {claim.action for claim in claims if claim is not None} == {'confirm', 'cancel', 'reschedule'}
            assert 'Confirm that you will come' in message.text and 'Choose another time' in message.html
        sms = messages[0].short_text
        assert sms.count('https://clinic.example/a/') == 3 and 'Confirm: ' in sms
        cancelled = reminders.confirmation_message(settings, facts, 'cancelled')
        assert '/a/' not in cancelled.text and '/a/' not in cancelled.html


async def test_the_desk_sees_a_confirmed_appointment_as_confirmed(user: User, clinic: Clinic) -> None:
    confirmed = book(clinic, local(2, 10))
    unconfirmed = book(clinic, local(2, 11), clinic.other_patient)
    with clinic.ctx.uow() as uow:
        action_links.perform(uow, clinic.ctx.settings, links(clinic, confirmed)['confirm'])
    desk = make_receptionist(clinic.ctx, clinic.admin)
    await switch_to(user, desk.email, RECEPTION_PASSWORD, 'Today at the desk')
    await see(user, marker=f'confirmed-{confirmed.id}')
    await see(user, marker=f'today-{unconfirmed.id}')
    assert user.client is not None
    markers = {marker for element in user.client.layout.descendants() for marker in element._markers}
    assert f'confirmed-{unconfirmed.id}' not in markers


async def test_the_access_log_never_writes_a_links_token(user: User, clinic: Clinic) -> None:
    token = links(clinic, book(clinic, local(3, 10)))['cancel']
    for path in (f'/a/{token}', f'/api/links/{token}'):
        record = logging.LogRecord('uvicorn.access', logging.INFO, '', 0, '%s "%s %s HTTP/%s" %d', None, None)
        record.args = ('127.0.0.1:5000', 'GET', path, '1.1', 200)
        HIDE_SECRET_PATHS.filter(record)
        assert token not in record.getMessage() and '…' in record.getMessage()
