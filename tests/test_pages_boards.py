"""The waiting-room board's pages through NiceGUI's simulated user: the admin creates, copies and revokes a board at
/admin/boards; the board at /board/<secret> opens without anyone signed in, follows check-ins and calls pushed as
change events (no reload), chimes when a ticket is called, and says at once when its link is revoked; an unknown
secret gets the "no page at this address" answer.

``user`` comes first: it runs main.py; ``clinic`` then sets the Berlin clinic and its clock."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from hms.clock import ManualClock
from hms.domain.enums import AppointmentStatus
from hms.services import boards, queue

from .page_steps import as_admin, eventually, row_action, rows, see
from .scheduling_fixtures import Clinic, local
from .test_boards import change, new_board, visit


def texts(user: User, marker: str) -> str:
    """Every label's text inside the element marked ``marker``."""
    found = user.find(marker=marker).elements
    assert found, marker
    return ' '.join(label.text for element in found for label in element.descendants() if isinstance(label, ui.label))


async def test_the_board_opens_without_sign_in_and_shows_tickets_only(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    clock.set(local(2, 9, 40))
    visit(clinic, local(2, 9), status=AppointmentStatus.IN_CONSULTATION, ticket='A-001', called=local(2, 9, 30))
    visit(clinic, local(2, 10), status=AppointmentStatus.ARRIVED, ticket='A-002', arrived=local(2, 9, 35))
    secret = new_board(clinic, clinic.department_id)
    await user.open(f'/board/{secret}')
    await see(user, 'Cardiology')
    await see(user, 'Now calling')
    assert 'A-001' in texts(user, 'board-calling')
    doctor = f'board-doctor-{clinic.doctor.user_id}'
    shown = texts(user, doctor)
    assert 'Meredith Grey' in shown and 'A-002' in shown and 'about 50 minutes' in shown
    for private in (clinic.patient.name, 'Lovelace', clinic.patient.email):
        assert private not in shown and private not in texts(user, 'board-calling')
    await see(user, marker='board-sound')  # sound needs a gesture on the screen


async def test_the_board_follows_check_ins_and_calls_without_reload(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    clock.set(local(2, 9, 40))
    first = visit(clinic, local(2, 10), ticket=None)
    secret = new_board(clinic)
    await user.open(f'/board/{secret}')
    await see(user, 'No one is being called in right now.')
    doctor = f'board-doctor-{clinic.doctor.user_id}'
    assert 'No one waiting.' in texts(user, doctor)
    with clinic.ctx.uow() as uow:  # the front desk checks the patient in
        ticket = queue.check_in(uow, clinic.ctx.settings, clinic.admin, first).ticket
    assert ticket
    waiting = f'board-waiting-{clinic.doctor.user_id}'
    await eventually(lambda: texts(user, waiting).startswith(ticket), 'the check-in', tolerate=(AssertionError,))
    assert ticket not in texts(user, 'board-calling')
    with clinic.ctx.uow() as uow:  # the doctor calls the next patient in
        queue.call_next(uow, clinic.ctx.settings, clinic.doctor)
    await eventually(lambda: ticket in texts(user, 'board-calling'), 'the call')
    assert 'No one waiting.' in texts(user, doctor)


async def test_a_call_chimes_once_and_a_revoked_board_says_so_at_once(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    chimes: list[re.Match[str]] = []  # what the browser was asked to play
    user.javascript_rules[re.compile(r'window\.hmsBoard && window\.hmsBoard\.chime\(\)')] = chimes.append
    clock.set(local(2, 9, 40))
    waiting = visit(clinic, local(2, 10), status=AppointmentStatus.ARRIVED, ticket='A-001', arrived=local(2, 9))
    secret = new_board(clinic)
    await user.open(f'/board/{secret}')
    await see(user, 'A-001')
    assert chimes == []
    change(clinic, waiting, AppointmentStatus.IN_CONSULTATION, 'appointment.called', called_at=local(2, 9, 41))
    await eventually(lambda: len(chimes) == 1, 'the chime')
    with clinic.ctx.uow() as uow:
        board_id = boards.board_for_secret(uow, secret).id
        boards.revoke_board(uow, clinic.admin, board_id)
    await see(user, "This screen's link was revoked.")
    assert user.client is not None
    assert 'A-001' not in ' '.join(
        label.text for label in user.client.layout.descendants() if isinstance(label, ui.label)
    )


async def test_an_unknown_or_revoked_secret_is_no_page(user: User, clinic: Clinic) -> None:
    secret = new_board(clinic)
    with clinic.ctx.uow() as uow:
        boards.revoke_board(uow, clinic.admin, boards.board_for_secret(uow, secret).id)
    for wrong in (secret, 'A' * 43, 'nonsense'):
        response = await user.http_client.get(f'/board/{wrong}')
        assert response.status_code == 404
        assert "This board's address is not valid" in response.text and 'Ask the clinic staff' in response.text


async def test_the_access_log_hides_the_board_secret(user: User, clinic: Clinic) -> None:
    await user.open(f'/board/{new_board(clinic)}')  # the pages are registered
    record = logging.LogRecord('uvicorn.access', logging.INFO, '', 0, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ('127.0.0.1:5000', 'GET', '/board/' + 'A' * 43, '1.1', 200)
    for log_filter in logging.getLogger('uvicorn.access').filters:
        log_filter.filter(record)  # type: ignore[union-attr]
    assert 'A' * 43 not in record.getMessage() and '/board/…' in record.getMessage()


async def test_the_admin_creates_copies_and_revokes_a_board(user: User, clinic: Clinic) -> None:
    await as_admin(user)
    await user.open('/admin/boards')
    await see(user, 'Waiting-room boards')
    user.find(marker='board-name').type('Ground floor')
    user.find(marker='create-board').click()
    await see(user, marker='board-address')
    field = user.find(marker='board-address').elements.pop()
    assert isinstance(field, ui.input)
    address = field.value
    assert address.startswith(clinic.ctx.settings.link('/board/'))
    await eventually(
        lambda: [r['name'] for r in rows(user, 'boards-table')] == ['Ground floor'], 'the new board listed'
    )
    assert address.rsplit('/', 1)[1] not in str(rows(user, 'boards-table'))
    row_action(user, 'boards-table', 'revoke', name='Ground floor')
    await see(user, marker='confirm-revoke-board')
    user.find(marker='confirm-revoke-board').click()
    await eventually(lambda: rows(user, 'boards-table')[0]['active'] is False, 'the board revoked')


async def test_yesterdays_queue_leaves_the_board_after_midnight_without_any_change(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    clock.set(local(2, 23, 59) + timedelta(seconds=57))  # the screen opens three seconds before the clinic's midnight
    visit(clinic, local(2, 23, 30), status=AppointmentStatus.ARRIVED, ticket='A-009', arrived=local(2, 23, 20))
    secret = new_board(clinic)
    await user.open(f'/board/{secret}')
    waiting = f'board-waiting-{clinic.doctor.user_id}'
    await eventually(lambda: 'A-009' in texts(user, waiting), 'the late ticket', tolerate=(AssertionError,))
    # The next day has begun: no change is announced, the board reads itself again.
    clock.set(local(3, 0) + timedelta(seconds=10))
    shown = 'A-009'
    for _ in range(150):  # the screen's own timer fires 8 s after it opened
        try:
            shown = texts(user, waiting)
        except AssertionError:  # the doctor sees no one today: their card is gone
            shown = ''
        if 'A-009' not in shown:
            break
        await asyncio.sleep(0.1)
    assert 'A-009' not in shown
    await see(user, 'No one is being called in right now.')
