"""The waiting-room board in a real browser against a real server (`python main.py`): a screen opens the board's
address with no one signed in; the front desk checks a patient in and the doctor calls them, through the clinic day's
services in this process, whose change events reach the server through its Redis; the open board shows the ticket
waiting, then "now calling" with a chime (sound enabled by a click on the screen), without reloading; revoking the
board's link tells the screen at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Appointment
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import DepartmentIn, DoctorIn
from hms.services import boards, departments, doctors, queue
from hms.services.principal import Principal

from ..factories import ADMIN_EMAIL, make_patient
from .browsing import DESKTOP, Clinic

PATIENT_NAME = 'Ilse Waitingroom'
PUSHED_MS = 10_000  # a liveness bound for a loaded machine; the elapsed time is printed, not asserted


@pytest.fixture
def desk(clinic: Clinic) -> Iterator[AppContext]:
    """This process as the front desk of the running server: its database, and its Redis for the change events."""
    data = clinic.server.data_dir
    settings = Settings(
        data_dir=data,
        database_url=f'sqlite:///{data / "hms.db"}',
        redis_url=f'unix://{data / "redis" / "redis.sock"}',
        timezone=clinic.zone,
    )
    ctx = app_context.init(settings)
    yield ctx
    ctx.db.dispose()


def _admin(ctx: AppContext) -> Principal:
    with ctx.uow() as uow:
        user = uow.users.by_email(ADMIN_EMAIL)
        assert user is not None
        return Principal(user.id, Role.ADMIN, user.name, ADMIN_EMAIL, must_change_password=False)


def _today_visit(ctx: AppContext, doctor_id: int, patient_id: int) -> int:
    """A booked visit an hour from now (today in the clinic's zone, which the server's fixture keeps early morning)."""
    start = clock.now().astimezone(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    with ctx.uow() as uow:
        appointment = Appointment(
            doctor_id=doctor_id,
            patient_id=patient_id,
            start_at=start,
            end_at=start + timedelta(minutes=20),
            status=AppointmentStatus.BOOKED,
            reason='Sore throat',
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
            sequence=0,
        )
        uow.session.add(appointment)
        uow.commit()
        return appointment.id


def _reloads(page: Page) -> int:
    return int(page.evaluate('window.hmsTestMark || 0'))


def test_the_board_follows_the_waiting_room_live(
    browser: Browser, clinic: Clinic, desk: AppContext, tmp_path: Path
) -> None:
    admin = _admin(desk)
    with desk.uow() as uow:
        department = departments.create_department(uow, admin, DepartmentIn(name='Otolaryngology'))
    with desk.uow() as uow:
        added = doctors.add_doctor(
            uow, admin, DoctorIn(name='Nadia Board', email='nadia.board@riverside.test', department_id=department.id)
        )
    doctor = Principal(added.doctor.id, Role.DOCTOR, 'Nadia Board', 'nadia.board@riverside.test', False)
    patient = make_patient(desk, 'ilse.waitingroom@example.test', name=PATIENT_NAME)
    appointment_id = _today_visit(desk, doctor.user_id, patient.id)
    with desk.uow() as uow:
        secret = boards.create_board(uow, desk.settings, admin, department.id).url.rsplit('/', 1)[1]

    context = browser.new_context(base_url=clinic.url, **DESKTOP)  # type: ignore[arg-type]
    errors: list[str] = []
    page = context.new_page()
    page.on('console', lambda message: _console(errors, message))
    page.on('pageerror', lambda error: errors.append(str(error)))
    try:
        page.goto(f'/board/{secret}')
        expect(page.get_by_role('heading', level=1)).to_have_text('Otolaryngology')
        doctor_card = page.locator('.hms-card').filter(has=page.get_by_role('heading', name='Nadia Board'))
        expect(doctor_card).to_contain_text('No one waiting.')
        page.get_by_role('button', name='Enable sound').click()
        expect(page.get_by_role('button', name='Sound on')).to_be_visible()
        assert page.evaluate('window.hmsBoard.enabled') is True
        page.evaluate('window.hmsTestMark = 1')  # gone if the page reloads

        with desk.uow() as uow:
            ticket = queue.check_in(uow, desk.settings, admin, appointment_id).ticket
        assert ticket
        began = time.monotonic()
        expect(doctor_card).to_contain_text(ticket, timeout=PUSHED_MS)
        print(f'board: check-in shown after {time.monotonic() - began:.2f} s')
        expect(page.get_by_role('status')).to_contain_text('No one is being called in right now.')
        played = page.evaluate('window.hmsBoard.played')

        with desk.uow() as uow:
            queue.call(uow, desk.settings, doctor, appointment_id)
        began = time.monotonic()
        calling = page.get_by_role('status')
        expect(calling).to_contain_text(ticket, timeout=PUSHED_MS)
        print(f'board: call shown after {time.monotonic() - began:.2f} s')
        expect(calling).to_contain_text('Nadia Board')
        expect(doctor_card).to_contain_text(f'In consultation: {ticket}')
        page.wait_for_function(f'window.hmsBoard.played > {played}')  # the chime for the call
        assert _reloads(page) == 1, 'the board reloaded instead of being updated'
        assert PATIENT_NAME not in page.content() and 'Sore throat' not in page.content()

        with desk.uow() as uow:
            boards.revoke_board(uow, admin, boards.board_for_secret(uow, secret).id)
        expect(page.get_by_role('alert')).to_contain_text("This screen's link was revoked.", timeout=PUSHED_MS)
        assert ticket not in page.locator('main, body').first.inner_text()
        page.screenshot(path=str(tmp_path / 'board-revoked.png'), full_page=True)

        assert errors == [], '\n'.join(errors)

        page.reload()  # the browser logs the 404 of the page itself: that is the answer
        expect(page.get_by_role('heading', level=1)).to_have_text("This board's address is not valid")
    finally:
        context.close()


def _console(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == 'error':
        errors.append(message.text)
