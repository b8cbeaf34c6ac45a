"""The clinic day's pages through NiceGUI's simulated user: the desk's today page (check in, search, late arrivals,
waits counting up), booking for a patient (double-booking with a reason, walk-in, move, cancel), and the doctor's
waiting room with Call next and completion from consultation; live updates through the event hub."""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import partial

from nicegui.testing import User

from hms.clock import ManualClock
from hms.domain.enums import AppointmentStatus
from hms.domain.front_desk import DeskBookingIn
from hms.services import appointments, front_desk, queue
from hms.services.principal import Principal
from pages.components.clinic_day import DayList

from . import page_steps
from .factories import RECEPTION_PASSWORD, make_receptionist
from .page_steps import FORBIDDEN, as_admin, as_doctor, as_patient, element, fill, see, switch_to
from .scheduling_fixtures import Clinic, local

eventually = partial(page_steps.eventually, tolerate=(AssertionError, StopIteration))


def desk_book(clinic: Clinic, desk: Principal, hour: int, minute: int = 0, patient: Principal | None = None) -> int:
    data = DeskBookingIn(
        patient_id=(patient or clinic.patient).user_id,
        doctor_id=clinic.doctor.user_id,
        start=local(2, hour, minute),
        reason='Check-up',
    )
    with clinic.ctx.uow() as uow:
        return front_desk.book_for(uow, clinic.ctx.settings, desk, data).id


def status_of(clinic: Clinic, appointment_id: int) -> AppointmentStatus:
    with clinic.ctx.uow() as uow:
        return appointments.get_appointment(uow, clinic.admin, appointment_id).status


async def as_desk(user: User, clinic: Clinic) -> Principal:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    await switch_to(user, desk.email, RECEPTION_PASSWORD, 'Today at the desk')
    return desk


def present(user: User, marker: str) -> bool:
    """Whether an element with ``marker`` is on the page now (``user.find`` insists on one)."""
    assert user.client is not None
    return any(marker in element._markers for element in user.client.layout.descendants())


async def test_the_desk_checks_patients_in_and_sees_waits_and_late_arrivals(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    late = desk_book(clinic, desk, 9)
    coming = desk_book(clinic, desk, 10, patient=clinic.other_patient)
    clock.set(local(2, 9, 10).astimezone(UTC))
    await switch_to(user, desk.email, RECEPTION_PASSWORD, 'Today at the desk')
    await see(user, marker=f'late-{late}')
    assert not present(user, f'late-{coming}')  # not late yet
    fill(user, 'bob', marker='today-search')  # the patient in front of the desk
    await eventually(lambda: not present(user, f'today-{late}'), 'search leaves Ada out')
    await see(user, marker=f'today-{coming}')
    fill(user, '', marker='today-search')
    await see(user, marker=f'today-{late}')
    user.find(marker=f'check-in-{late}').click()
    await see(user, 'is checked in: ticket')
    assert status_of(clinic, late) is AppointmentStatus.ARRIVED
    await eventually(lambda: element(user, marker=f'wait-{late}').text == 'Waiting 0 minutes', 'wait shown')
    await see(user, marker=f'ticket-{late}')
    assert not present(user, f'check-in-{late}')
    clock.set(clock.now() + timedelta(minutes=7))
    assert user.client is not None
    with user:  # the half-minute recount, without waiting for it
        day_list = next(e for e in user.client.layout.descendants() if isinstance(e, DayList))
        day_list.recount()
    await eventually(lambda: element(user, marker=f'wait-{late}').text == 'Waiting 7 minutes', 'wait counts up')


async def test_the_today_page_follows_changes_made_elsewhere(user: User, clinic: Clinic, clock: ManualClock) -> None:
    clock.set(local(2, 8, 55).astimezone(UTC))
    desk = await as_desk(user, clinic)
    booked = desk_book(clinic, desk, 9)  # booked by another desk while the page is open
    await see(user, marker=f'today-{booked}')
    with clinic.ctx.uow() as uow:
        queue.check_in(uow, clinic.ctx.settings, desk, booked)
    await eventually(lambda: element(user, marker=f'wait-{booked}').text.startswith('Waiting'), 'pushed check-in')


async def test_the_desk_books_double_books_with_a_reason_moves_and_cancels(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    with clinic.ctx.uow() as uow:
        taken = appointments.book(uow, clinic.ctx.settings, clinic.other_patient, _booking(clinic, 11)).id
    await as_desk(user, clinic)
    await user.open(f'/reception/book?patient={clinic.patient.user_id}')
    await see(user, marker='patient-name')
    with user:
        element(user, marker='desk-doctor').value = clinic.doctor.user_id
    await see(user, marker='desk-times')
    times = element(user, marker='desk-times')
    assert times.options[local(2, 11).astimezone(UTC).isoformat()].endswith('(taken)')
    nine = local(2, 9).astimezone(UTC).isoformat()
    assert times.options[nine] == '09:00'  # within the patients' notice period: the desk books it
    with user:
        times.value = nine
    user.find(marker='desk-book').click()
    await see(user, 'Give the reason for the visit (or for the move).')
    fill(user, 'Blood pressure check', marker='desk-reason')
    user.find(marker='desk-book').click()
    await see(user, 'Booked for')
    await eventually(lambda: element(user, marker='desk-times').options[nine].endswith('(taken)'), 'slots reloaded')
    with user:
        element(user, marker='desk-times').value = local(2, 11).astimezone(UTC).isoformat()
    fill(user, 'Pain', marker='desk-reason')
    user.find(marker='desk-book').click()
    await see(user, 'double-book it with a reason')
    with user:
        element(user, marker='desk-overbook').value = True
    user.find(marker='desk-book').click()
    await see(user, 'Give the reason for double-booking this slot.')
    fill(user, 'Doctor agreed', marker='desk-override-reason')
    user.find(marker='desk-book').click()
    await eventually(lambda: len(_patients_appointments(clinic)) == 2, 'the double-booking saved')
    double = next(a for a in _patients_appointments(clinic) if a.start == local(2, 11))
    assert double.overbooked and double.override_reason == 'Doctor agreed' and taken != double.id
    await see(user, marker=f'overbooked-{double.id}')
    user.find(marker=f'desk-move-{double.id}').click()
    await see(user, 'Moving the appointment of')
    with user:
        element(user, marker='desk-times').value = local(2, 14).astimezone(UTC).isoformat()
    fill(user, 'A free time opened', marker='desk-reason')
    user.find(marker='desk-book').click()
    await see(user, 'Moved to')
    moved = next(a for a in _patients_appointments(clinic) if a.id == double.id)
    assert moved.start == local(2, 14) and not moved.overbooked
    user.find(marker=f'desk-cancel-{double.id}').click()
    await see(user, marker='desk-cancel-dialog')
    fill(user, 'Feeling better', marker='desk-cancel-reason')
    user.find(marker='dialog-confirm').click()
    await see(user, 'The appointment is cancelled; the patient is told.')
    assert status_of(clinic, double.id) is AppointmentStatus.CANCELLED


async def test_a_walk_in_from_the_booking_page(user: User, clinic: Clinic, clock: ManualClock) -> None:
    clock.set(local(2, 9, 5).astimezone(UTC))
    await as_desk(user, clinic)
    await user.open(f'/reception/book?patient={clinic.patient.user_id}')
    with user:
        element(user, marker='desk-doctor').value = clinic.doctor.user_id
    fill(user, 'Cough', marker='desk-reason')
    user.find(marker='desk-walk-in').click()
    await see(user, 'Walk-in added at 09:00')
    walk = _patients_appointments(clinic)[0]
    assert walk.walk_in and walk.status is AppointmentStatus.ARRIVED
    await see(user, marker=f'walk-in-{walk.id}')


async def test_the_booking_page_without_a_patient_says_to_choose_one(user: User, clinic: Clinic) -> None:
    await as_desk(user, clinic)
    for address in ('/reception/book', '/reception/book?patient=abc', '/reception/book?patient=999999'):
        await user.open(address)
        await see(user, 'Choose the patient first.')


async def test_the_doctor_calls_the_next_patient_and_completes_from_consultation(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    first = desk_book(clinic, desk, 9)
    second = desk_book(clinic, desk, 9, 30, patient=clinic.other_patient)
    clock.set(local(2, 8, 50).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        queue.check_in(uow, clinic.ctx.settings, desk, second)
    await as_doctor(user, clinic)
    await see(user, marker='waiting-room')
    await see(user, '1 patient waiting')
    with clinic.ctx.uow() as uow:  # the desk checks the first in while the doctor's day is open: pushed
        queue.check_in(uow, clinic.ctx.settings, desk, first)
    await see(user, '2 patients waiting')
    user.find(marker='call-next').click()
    await see(user, 'Calling Ada Lovelace')
    assert status_of(clinic, first) is AppointmentStatus.IN_CONSULTATION
    await see(user, '1 patient waiting')
    user.find(marker=f'call-in-{second}').click()
    await see(user, 'Nobody is waiting.')
    user.find(marker='call-next').click()
    await see(user, 'Nobody is waiting: no checked-in patient of yours today.')
    await user.open(f'/doctor/appointments/{first}')
    await see(user, 'Checked in at 08:50, called in at 08:50.')
    await see(user, 'Complete visit')
    assert not present(user, 'mark-no-show')
    assert not present(user, 'cancel-appointment')  # the visit has started


async def test_front_desk_pages_are_for_the_desk_and_the_admin(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    for address in ('/reception', f'/reception/book?patient={clinic.patient.user_id}'):
        await user.open(address)
        await see(user, FORBIDDEN)
    await as_doctor(user, clinic)
    await user.open('/reception')
    await see(user, FORBIDDEN)
    await as_admin(user)
    await user.open('/reception')
    await see(user, 'Today at the desk')


def _booking(clinic: Clinic, hour: int):
    from hms.domain.scheduling import BookingIn

    return BookingIn(doctor_id=clinic.doctor.user_id, start=local(2, hour))


def _patients_appointments(clinic: Clinic):
    with clinic.ctx.uow() as uow:
        return front_desk.patient_appointments(uow, clinic.ctx.settings, clinic.admin, clinic.patient.user_id)


async def test_the_patient_sees_their_ticket_once_checked_in(user: User, clinic: Clinic, clock: ManualClock) -> None:
    clock.set(local(2, 8, 50).astimezone(UTC))
    desk = make_receptionist(clinic.ctx, clinic.admin)
    booked = desk_book(clinic, desk, 9)
    await as_patient(user)  # Ada, the clinic's first patient
    await user.open('/patient/appointments')
    await see(user, marker=f'appointment-{booked}')
    assert not present(user, 'ticket')  # no ticket before arrival
    with clinic.ctx.uow() as uow:
        ticket = queue.check_in(uow, clinic.ctx.settings, desk, booked).ticket
    await user.open('/patient/appointments')
    await see(user, f'Your ticket: {ticket}')  # what the waiting-room board shows instead of their name


async def test_a_day_list_left_while_it_was_read_draws_nothing(monkeypatch) -> None:
    """A live change read the day while the receptionist left the page: nothing is drawn on the gone page (NiceGUI
    would raise 'The client this element belongs to has been deleted')."""
    from pages.components import clinic_day

    day = DayList.__new__(DayList)
    still_there = [True]

    async def load() -> list:
        still_there[0] = False  # the page is left while the list is read
        return []

    drawn: list[str] = []
    monkeypatch.setattr(clinic_day, 'left', lambda element: not still_there[0])
    day.load, day.entries = load, None  # type: ignore[method-assign]
    monkeypatch.setattr(day, 'show', lambda: drawn.append('day'), raising=False)
    await day.reload()
    assert drawn == [] and day.entries is None
    still_there[0] = True
    monkeypatch.setattr(clinic_day, 'left', lambda element: False)
    await day.reload()
    assert drawn == ['day'] and day.entries == []


def test_a_page_counts_as_left_when_its_element_or_client_is_gone() -> None:
    from types import SimpleNamespace

    from pages.ui.live import left

    class Orphan:  # NiceGUI raises when an element's client was deleted
        is_deleted = False

        @property
        def client(self) -> object:
            raise RuntimeError('The client this element belongs to has been deleted.')

    open_page = SimpleNamespace(is_deleted=False, client=SimpleNamespace(is_deleted=False))
    assert left(open_page) is False  # type: ignore[arg-type]
    assert left(SimpleNamespace(is_deleted=True, client=open_page.client)) is True  # type: ignore[arg-type]
    assert left(SimpleNamespace(is_deleted=False, client=SimpleNamespace(is_deleted=True))) is True  # type: ignore[arg-type]
    assert left(Orphan()) is True  # type: ignore[arg-type]
