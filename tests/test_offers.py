"""Offers of freed slots to the waitlist: held for one patient at a time, FIFO, accepted into a booking, declined or
expired to the next; never offered twice at once, never booked twice (real threads against the database)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hms.clock import ManualClock
from hms.db.models import Appointment, FreedSlot, OutboxMessage, SlotOffer
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError, NotFound, SlotTaken
from hms.domain.scheduling import BookingIn
from hms.domain.waitlist import WaitlistIn
from hms.services import action_links, appointments, availability, offers, refills, waitlist
from hms.services.principal import Principal

from .factories import make_patient
from .scheduling_fixtures import Clinic, local, principal

TUESDAY_10 = local(3, 10)


def join(clinic: Clinic, patient: Principal, **fields: Any) -> int:
    data = {'doctor_id': clinic.doctor.user_id, 'first_day': date(2026, 3, 3), 'last_day': date(2026, 3, 4), **fields}
    with clinic.ctx.uow() as uow:
        return waitlist.join(uow, clinic.ctx.settings, patient, WaitlistIn.model_validate(data)).id


def book(clinic: Clinic, patient: Principal, start: datetime = TUESDAY_10) -> int:
    with clinic.ctx.uow() as uow:
        data = BookingIn(doctor_id=clinic.doctor.user_id, start=start)
        return appointments.book(uow, clinic.ctx.settings, patient, data).id


def cancel(clinic: Clinic, patient: Principal, appointment_id: int) -> None:
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, patient, appointment_id)


def run_staged(clinic: Clinic) -> list[str]:
    """What the worker does with the rows the changes staged in the outbox (the waitlist's tasks only)."""
    ran = []
    with clinic.ctx.uow() as uow:
        rows = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dispatched_at.is_(None),
                OutboxMessage.task.in_([refills.SLOT_FREED_TASK, refills.SLOTS_OPENED_TASK]),
            )
        ).all()
        for row in rows:
            row.dispatched_at = row.created_at
        staged = [(row.task, dict(row.kwargs)) for row in rows]
        uow.commit()
    for task, kwargs in staged:
        with clinic.ctx.uow() as uow:
            if task == refills.SLOT_FREED_TASK:
                start, freed = datetime.fromisoformat(kwargs['start']), datetime.fromisoformat(kwargs['freed_at'])
                offers.slot_freed(uow, clinic.ctx.settings, kwargs['doctor_id'], start, freed)
            else:
                first, last = date.fromisoformat(kwargs['first_day']), date.fromisoformat(kwargs['last_day'])
                offers.slots_opened(uow, clinic.ctx.settings, kwargs['doctor_id'], first, last)
        ran.append(task)
    return ran


def held(clinic: Clinic) -> list[SlotOffer]:
    with clinic.ctx.uow() as uow:
        return list(uow.session.scalars(select(SlotOffer).where(SlotOffer.state == 'held')))


def offers_of(clinic: Clinic, patient: Principal) -> list[offers.OfferView]:
    with clinic.ctx.uow() as uow:
        return offers.my_offers(uow, patient)


@pytest.fixture
def third(clinic: Clinic) -> Principal:
    user = make_patient(clinic.ctx, 'cleo@example.com', name='Cleo Third')
    return principal(user.id, Role.PATIENT, user.name, user.email or '')


def freed_slot_offered(clinic: Clinic, waiting: list[Principal]) -> SlotOffer:
    """Ada books Tuesday 10:00, everyone in ``waiting`` joins (in order), Ada cancels: the slot is offered."""
    run_staged(clinic)  # the clinic's hours, set up before anyone waited
    taken = book(clinic, clinic.patient)
    for patient in waiting:
        join(clinic, patient)
    cancel(clinic, clinic.patient, taken)
    assert run_staged(clinic) == [refills.SLOT_FREED_TASK]
    [offer] = held(clinic)
    return offer


def test_a_cancelled_slot_is_held_for_the_first_waiting_patient_alone(clinic: Clinic, third: Principal) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient, third])
    assert offer.patient_id == clinic.other_patient.user_id  # first come, first served
    assert offer.start_at == TUESDAY_10
    assert offer.expires_at - offer.offered_at == timedelta(minutes=30)
    with clinic.ctx.uow() as uow:
        free = availability.free_slots(uow, clinic.ctx.settings, clinic.doctor.user_id)
        assert TUESDAY_10 not in [slot.start for slot in free]  # not free for anyone else
        emails = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.task == offers.OFFER_EMAIL_TASK))
        assert [row.kwargs for row in emails] == [{'offer_id': offer.id}]
        freed = uow.session.scalar(select(func.count()).select_from(FreedSlot))
        assert freed == 1
    with pytest.raises(SlotTaken, match='held for a patient on the waiting list'):
        book(clinic, third)
    with pytest.raises(NotFound):  # someone else's offer does not exist for them
        with clinic.ctx.uow() as uow:
            offers.accept(uow, clinic.ctx.settings, third, offer.id)


def test_accepting_books_the_slot_and_ends_the_entry(clinic: Clinic) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient])
    with clinic.ctx.uow() as uow:
        booked = offers.accept(uow, clinic.ctx.settings, clinic.other_patient, offer.id)
    assert booked.start == TUESDAY_10 and booked.patient_id == clinic.other_patient.user_id
    [view] = offers_of(clinic, clinic.other_patient)
    assert view.state == 'accepted' and view.appointment_id == booked.id
    with clinic.ctx.uow() as uow:
        assert waitlist.my_entries(uow, clinic.ctx.settings, clinic.other_patient) == []  # booked: no longer waiting
    with pytest.raises(DomainError, match='already accepted'):
        with clinic.ctx.uow() as uow:
            offers.accept(uow, clinic.ctx.settings, clinic.other_patient, offer.id)


def test_declined_goes_to_the_next_patient_and_never_back(clinic: Clinic, third: Principal) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient, third])
    with clinic.ctx.uow() as uow:
        assert offers.decline(uow, clinic.ctx.settings, clinic.other_patient, offer.id).state == 'declined'
    [next_offer] = held(clinic)
    assert next_offer.patient_id == third.user_id and next_offer.start_at == TUESDAY_10
    with clinic.ctx.uow() as uow:
        offers.decline(uow, clinic.ctx.settings, third, next_offer.id)
    assert held(clinic) == []  # nobody else waits: the slot is free for everyone again
    with clinic.ctx.uow() as uow:
        free = availability.free_slots(uow, clinic.ctx.settings, clinic.doctor.user_id)
    assert TUESDAY_10 in [slot.start for slot in free]


def test_an_expired_offer_goes_to_the_next_patient(clinic: Clinic, clock: ManualClock, third: Principal) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient, third])
    clock.advance(timedelta(minutes=29))
    with clinic.ctx.uow() as uow:
        assert offers.expire_overdue(uow, clinic.ctx.settings) == (0, 0)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(DomainError, match='expired'):
        with clinic.ctx.uow() as uow:
            offers.accept(uow, clinic.ctx.settings, clinic.other_patient, offer.id)
    with clinic.ctx.uow() as uow:
        assert offers.expire_overdue(uow, clinic.ctx.settings) == (1, 1)
    [next_offer] = held(clinic)
    assert next_offer.patient_id == third.user_id


def test_times_of_day_and_departments_match(clinic: Clinic, third: Principal) -> None:
    run_staged(clinic)
    join(clinic, clinic.other_patient, times=['afternoon'])  # 10:00 is a morning slot: not for Bob
    join(clinic, third, doctor_id=None, department_id=clinic.department_id)
    offer = freed_slot_offered(clinic, [])
    assert offer.patient_id == third.user_id


def test_accept_link_books_once(clinic: Clinic) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient])
    settings = clinic.ctx.settings
    token = offers.offer_link(settings, offer).rsplit('/', 1)[1]
    with clinic.ctx.uow() as uow:
        state = action_links.inspect(uow, settings, token)
    assert state.valid and state.action == 'offer'
    with clinic.ctx.uow() as uow:
        outcome = action_links.perform(uow, settings, token)
    assert outcome.appointment is not None and outcome.appointment.start == TUESDAY_10
    with clinic.ctx.uow() as uow:
        assert not action_links.inspect(uow, settings, token).valid
    with pytest.raises(action_links.LinkNotUsable):
        with clinic.ctx.uow() as uow:
            action_links.perform(uow, settings, token)


def test_offer_email_has_html_and_text_with_the_accept_link(clinic: Clinic) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient])
    with clinic.ctx.uow() as uow:
        found = offers.offer_message(uow, clinic.ctx.settings, offer.id)
    assert found is not None
    _user, message = found
    link = offers.offer_link(clinic.ctx.settings, offer)
    assert message.to_email == clinic.other_patient.email
    for body in (message.text, message.html):
        assert link.replace('&', '&amp;') in body or link in body
        assert 'Meredith Grey' in body and 'held for you alone' in body


# --- races: real threads ------------------------------------------------------------------------------------------


def race(actions: list[Callable[[], object]]) -> list[str]:
    start_line = threading.Barrier(len(actions))
    results: list[str] = [''] * len(actions)

    def run(index: int) -> None:
        start_line.wait()
        try:
            actions[index]()
            results[index] = 'ok'
        except DomainError as error:
            results[index] = type(error).__name__

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def active_at(clinic: Clinic, start: datetime) -> list[Appointment]:
    with clinic.ctx.uow() as uow:
        return list(
            uow.session.scalars(
                select(Appointment).where(
                    Appointment.start_at == start, Appointment.status != AppointmentStatus.CANCELLED
                )
            )
        )


def test_holder_accepting_twice_while_others_book_gives_one_booking(clinic: Clinic, third: Principal) -> None:
    offer = freed_slot_offered(clinic, [clinic.other_patient])
    settings = clinic.ctx.settings

    def accept() -> object:
        with clinic.ctx.uow() as uow:
            return offers.accept(uow, settings, clinic.other_patient, offer.id)

    results = race([accept, accept, lambda: book(clinic, third), lambda: book(clinic, clinic.patient)])
    assert sorted(results[:2]) == ['OfferGone', 'ok']
    assert results[2:] == ['SlotTaken', 'SlotTaken']
    [only] = active_at(clinic, TUESDAY_10)
    assert only.patient_id == clinic.other_patient.user_id


def test_accept_against_expiry_has_one_winner(clinic: Clinic, clock: ManualClock, third: Principal) -> None:
    """At the last moment, the holder's accept and the sweep race: either the booking stands (and the sweep leaves
    it), or the offer expired and went to the next patient (and the late accept is refused) — never both."""
    offer = freed_slot_offered(clinic, [clinic.other_patient, third])
    settings = clinic.ctx.settings
    clock.advance(timedelta(minutes=30))  # due: the sweep may expire it, the accept sees it expired

    def accept() -> object:
        with clinic.ctx.uow() as uow:
            return offers.accept(uow, settings, clinic.other_patient, offer.id)

    def sweep() -> object:
        with clinic.ctx.uow() as uow:
            return offers.expire_overdue(uow, settings)

    results = race([accept, sweep])
    assert results[0] == 'OfferGone' and results[1] == 'ok'
    assert active_at(clinic, TUESDAY_10) == []
    [now_held] = held(clinic)
    assert now_held.patient_id == third.user_id


def test_two_patients_accepting_the_same_slot_one_booking(clinic: Clinic, clock: ManualClock, third: Principal) -> None:
    """Bob's offer expires and goes to Cleo; Bob's late accept and Cleo's accept race: only Cleo books."""
    offer = freed_slot_offered(clinic, [clinic.other_patient, third])
    settings = clinic.ctx.settings
    clock.advance(timedelta(minutes=30))
    with clinic.ctx.uow() as uow:
        offers.expire_overdue(uow, settings)
    [cleos] = held(clinic)

    def accept(patient: Principal, offer_id: int) -> Callable[[], object]:
        def run() -> object:
            with clinic.ctx.uow() as uow:
                return offers.accept(uow, settings, patient, offer_id)

        return run

    results = race([accept(clinic.other_patient, offer.id), accept(third, cleos.id)])
    assert results == ['OfferGone', 'ok']
    [only] = active_at(clinic, TUESDAY_10)
    assert only.patient_id == third.user_id


def test_the_front_desk_sees_a_held_slot_as_held(clinic: Clinic, third: Principal) -> None:
    from hms.domain.front_desk import DeskBookingIn
    from hms.services import front_desk

    offer = freed_slot_offered(clinic, [clinic.other_patient])
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        found = front_desk.desk_slots(uow, settings, clinic.admin, clinic.doctor.user_id, date(2026, 3, 3))
    [slot] = [slot for slot in found if slot.start == offer.start_at]
    assert slot.held and slot.taken
    assert not any(other.held for other in found if other.start != offer.start_at)
    data = DeskBookingIn(patient_id=third.user_id, doctor_id=clinic.doctor.user_id, start=TUESDAY_10, reason='Pain')
    with pytest.raises(SlotTaken):
        with clinic.ctx.uow() as uow:
            front_desk.book_for(uow, settings, clinic.admin, data)


def test_the_database_refuses_a_second_held_offer_of_one_slot(clinic: Clinic, third: Principal) -> None:
    from hms.db.errors import CONSTRAINT_VIOLATION

    offer = freed_slot_offered(clinic, [clinic.other_patient])
    entry = join(clinic, third)
    with clinic.ctx.uow() as uow:
        uow.session.add(
            SlotOffer(
                entry_id=entry,
                patient_id=third.user_id,
                doctor_id=offer.doctor_id,
                start_at=offer.start_at,
                end_at=offer.end_at,
                state='held',
                offered_at=offer.offered_at,
                expires_at=offer.expires_at,
            )
        )
        with pytest.raises(CONSTRAINT_VIOLATION):
            uow.session.flush()
