"""Two changes of one appointment at the same moment: exactly one wins, the other is told what happened (409), the
state is one a serial order explains and the iCalendar sequence rises by exactly one per change.

Each race holds both threads at a barrier right after they have read the appointment as booked (the moment a check
made on that read would pass for both), then lets them go: only the lock taken afterwards keeps them apart."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import func, select

from hms.clock import ManualClock
from hms.db.models import Appointment, Treatment, TreatmentVersion
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import DomainError, InvalidTransition
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.services import appointments, records
from hms.services.principal import Principal

from .api_fixtures import People, assert_problem
from .factories import TREATMENT
from .scheduling_fixtures import Clinic, local

Change = Callable[[], object]


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None


@pytest.fixture
def read_together(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Barrier]:
    """Both racers wait here once they have read the appointment (through the services' own access checks)."""
    barrier = threading.Barrier(2, timeout=20)
    for module, name in ((appointments, '_visible'), (records, '_own_appointment')):
        original = getattr(module, name)

        def held(*args: Any, _original: Callable[..., Any] = original) -> Any:
            found = _original(*args)
            barrier.wait()
            return found

        monkeypatch.setattr(module, name, held)
    yield barrier


def race(first: Change, second: Change) -> tuple[Outcome, Outcome]:
    outcomes = (Outcome(), Outcome())

    def run(change: Change, outcome: Outcome) -> None:
        try:
            outcome.value = change()
        except BaseException as error:  # the test inspects whatever happened
            outcome.error = error

    threads = [threading.Thread(target=run, args=pair) for pair in zip((first, second), outcomes, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def book(clinic: Clinic, when: Any, patient: Principal | None = None) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow, clinic.ctx.settings, patient or clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=when)
        )
    return booked.id


def stored(clinic: Clinic, appointment_id: int) -> Appointment:
    with clinic.ctx.uow() as uow:
        found = uow.session.get(Appointment, appointment_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def treatments_of(clinic: Clinic, appointment_id: int) -> int:
    with clinic.ctx.uow() as uow:
        return int(uow.session.scalar(select(func.count()).where(Treatment.appointment_id == appointment_id)) or 0)


def cancel(clinic: Clinic, actor: Principal, appointment_id: int, reason: str = '') -> Change:
    def change() -> object:
        with clinic.ctx.uow() as uow:
            return appointments.cancel(uow, clinic.ctx.settings, actor, appointment_id, reason)

    return change


def complete(clinic: Clinic, appointment_id: int, **changes: object) -> Change:
    def change() -> object:
        with clinic.ctx.uow() as uow:
            data = TreatmentIn.model_validate(TREATMENT | changes)
            return records.complete_visit(uow, clinic.ctx.settings, clinic.doctor, appointment_id, data)

    return change


def reschedule(clinic: Clinic, actor: Principal, appointment_id: int, when: Any) -> Change:
    def change() -> object:
        with clinic.ctx.uow() as uow:
            return appointments.reschedule(uow, clinic.ctx.settings, actor, appointment_id, when)

    return change


def no_show(clinic: Clinic, appointment_id: int) -> Change:
    def change() -> object:
        with clinic.ctx.uow() as uow:
            return records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, appointment_id)

    return change


def amend(clinic: Clinic, appointment_id: int, diagnosis: str) -> Change:
    def change() -> object:
        with clinic.ctx.uow() as uow:
            data = TreatmentIn.model_validate(TREATMENT | {'diagnosis': diagnosis})
            return records.amend_treatment(uow, clinic.ctx.settings, clinic.doctor, appointment_id, data)

    return change


def one_winner(outcomes: tuple[Outcome, Outcome]) -> tuple[Outcome, Outcome]:
    """The winner and the loser; the loser was refused with a conflict, nobody failed otherwise."""
    won = [outcome for outcome in outcomes if outcome.error is None]
    lost = [outcome for outcome in outcomes if outcome.error is not None]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0].error, InvalidTransition), repr(lost[0].error)
    assert lost[0].error.status_code == 409
    return won[0], lost[0]


def test_a_patients_cancellation_and_the_doctors_completion_have_one_winner(
    clinic: Clinic, read_together: threading.Barrier
) -> None:
    appointment_id = book(clinic, local(2, 11))  # today, after the patients' cancellation cut-off
    _, lost = one_winner(race(cancel(clinic, clinic.patient, appointment_id), complete(clinic, appointment_id)))
    after = stored(clinic, appointment_id)
    assert after.sequence == 1
    if after.status == AppointmentStatus.CANCELLED:  # the patient won: no treatment on a cancelled appointment
        assert treatments_of(clinic, appointment_id) == 0
        assert (
            str(lost.error) == 'This appointment was cancelled by the patient a moment ago. Your change was not made.'
        )
    else:  # the doctor won: a completed visit keeps no cancellation
        assert after.status == AppointmentStatus.COMPLETED
        assert (after.cancelled_at, after.cancelled_by_id, after.cancel_reason) == (None, None, None)
        assert treatments_of(clinic, appointment_id) == 1
        assert str(lost.error) == 'This visit was completed a moment ago. Your change was not made.'


def test_two_completions_of_one_visit_record_one_treatment(clinic: Clinic, read_together: threading.Barrier) -> None:
    appointment_id = book(clinic, local(2, 9))
    _, lost = one_winner(
        race(complete(clinic, appointment_id, diagnosis='First'), complete(clinic, appointment_id, diagnosis='Second'))
    )
    assert treatments_of(clinic, appointment_id) == 1
    assert stored(clinic, appointment_id).sequence == 1
    assert 'already completed' in str(lost.error)  # the doctor's own other tab: no news, the reason


def test_a_reschedule_and_the_doctors_cancellation_never_move_a_cancelled_appointment(
    clinic: Clinic, read_together: threading.Barrier
) -> None:
    appointment_id = book(clinic, local(3, 9))
    moved_to = local(3, 11)
    outcomes = race(
        reschedule(clinic, clinic.patient, appointment_id, moved_to),
        cancel(clinic, clinic.doctor, appointment_id, 'Doctor called away'),
    )
    assert all(outcome.error is None or isinstance(outcome.error, InvalidTransition) for outcome in outcomes)
    after = stored(clinic, appointment_id)
    assert after.status == AppointmentStatus.CANCELLED  # the doctor's cancellation comes first or last: it stands
    rescheduled, cancelled = outcomes
    assert cancelled.error is None
    if rescheduled.error is None:  # moved, then cancelled: two changes
        assert after.start_at == moved_to.astimezone(UTC) and after.sequence == 2
    else:  # cancelled first: the move was refused, with what happened
        assert after.start_at == local(3, 9).astimezone(UTC) and after.sequence == 1
        assert str(rescheduled.error).startswith('This appointment was cancelled by the doctor a moment ago.')


def test_a_no_show_and_the_clinics_cancellation_have_one_winner(
    clinic: Clinic, clock: ManualClock, read_together: threading.Barrier
) -> None:
    appointment_id = book(clinic, local(2, 9))
    clock.set(local(2, 9, 20).astimezone(UTC))
    one_winner(race(no_show(clinic, appointment_id), cancel(clinic, clinic.admin, appointment_id, 'Clinic closed')))
    after = stored(clinic, appointment_id)
    assert after.sequence == 1
    assert (after.status == AppointmentStatus.NO_SHOW) == (after.cancelled_at is None)


def test_two_amendments_keep_every_version(clinic: Clinic) -> None:
    appointment_id = book(clinic, local(2, 9))
    complete(clinic, appointment_id)()
    barrier = threading.Barrier(2, timeout=20)
    original = records._own_appointment  # hold both amendments after their read

    def held(*args: Any) -> Any:
        found = original(*args)
        barrier.wait()
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, '_own_appointment', held)
        outcomes = race(amend(clinic, appointment_id, 'Second'), amend(clinic, appointment_id, 'Third'))
    assert [outcome.error for outcome in outcomes] == [None, None]  # serial amendments are both fine
    with clinic.ctx.uow() as uow:
        treatment = uow.session.scalar(select(Treatment).where(Treatment.appointment_id == appointment_id))
        assert treatment is not None and treatment.version == 3
        versions = uow.session.scalars(
            select(TreatmentVersion.version).where(TreatmentVersion.treatment_id == treatment.id)
        ).all()
    assert sorted(versions) == [1, 2]


def test_every_change_raises_the_sequence_by_one(clinic: Clinic, clock: ManualClock) -> None:
    appointment_id = book(clinic, local(4, 9))
    assert stored(clinic, appointment_id).sequence == 0
    reschedule(clinic, clinic.patient, appointment_id, local(4, 10))()
    assert stored(clinic, appointment_id).sequence == 1
    reschedule(clinic, clinic.admin, appointment_id, local(4, 11))()
    assert stored(clinic, appointment_id).sequence == 2
    cancel(clinic, clinic.doctor, appointment_id, 'Away')()
    assert stored(clinic, appointment_id).sequence == 3
    shown = book(clinic, local(2, 9))
    clock.set(local(2, 9, 30).astimezone(UTC))
    no_show(clinic, shown)()
    assert stored(clinic, shown).sequence == 1


def test_old_news_is_not_called_a_moment_ago(clinic: Clinic, clock: ManualClock) -> None:
    appointment_id = book(clinic, local(4, 9))
    cancel(clinic, clinic.doctor, appointment_id, 'Away')()
    with pytest.raises(InvalidTransition) as fresh:
        cancel(clinic, clinic.patient, appointment_id)()
    assert str(fresh.value) == 'This appointment was cancelled by the doctor a moment ago. Your change was not made.'
    clock.set(local(3, 8).astimezone(UTC))  # a day later it is simply cancelled
    with pytest.raises(InvalidTransition) as stale:
        reschedule(clinic, clinic.patient, appointment_id, local(4, 10))()
    assert str(stale.value) == 'This appointment is cancelled and can no longer be rescheduled.'


def test_a_refusal_names_who_cancelled(clinic: Clinic) -> None:
    by_clinic = book(clinic, local(4, 9))
    cancel(clinic, clinic.admin, by_clinic, 'Closed')()
    with pytest.raises(InvalidTransition, match=r'^This appointment was cancelled by the clinic a moment ago\.'):
        complete(clinic, by_clinic)()
    mine = book(clinic, local(4, 10))
    cancel(clinic, clinic.patient, mine)()
    with pytest.raises(DomainError, match=r'^This appointment is cancelled and can no longer be cancelled\.'):
        cancel(clinic, clinic.patient, mine)()  # one's own second tab: just the state


def test_the_api_answers_the_loser_with_a_409_problem_in_its_language(
    people: People, read_together: threading.Barrier
) -> None:
    api, clinic = people.api, people.clinic
    appointment_id = book(clinic, local(2, 11))
    responses: dict[str, Any] = {}

    def patient_cancels() -> None:
        responses['cancel'] = api.post(f'/api/appointments/{appointment_id}/cancel', headers=people.ada)

    def doctor_completes() -> None:
        responses['complete'] = api.post(
            f'/api/doctor/appointments/{appointment_id}/complete',
            headers=people.grey | {'Accept-Language': 'de'},
            json=TREATMENT,
        )

    race(patient_cancels, doctor_completes)
    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [200, 409], {name: response.text for name, response in responses.items()}
    loser = next(response for response in responses.values() if response.status_code == 409)
    problem = assert_problem(loser, 409)
    assert problem['code'] == 'invalid_transition'
    if responses['complete'].status_code == 409:  # in the doctor's language
        assert problem['detail'] == (
            'Dieser Termin wurde gerade eben von der Patientin oder dem Patienten abgesagt. '
            'Ihre Änderung wurde nicht übernommen.'
        )
    else:
        assert problem['detail'] == 'This visit was completed a moment ago. Your change was not made.'


def test_a_cancellation_reason_from_any_caller_keeps_the_text_rule(clinic: Clinic) -> None:
    appointment_id = book(clinic, local(4, 9))
    with pytest.raises(DomainError, match='U\\+202E'):
        cancel(clinic, clinic.doctor, appointment_id, 'Away \u202eesuoh ym')()
    assert stored(clinic, appointment_id).status == AppointmentStatus.BOOKED
    cancel(clinic, clinic.doctor, appointment_id, 'Away\r\nback Monday')()
    assert stored(clinic, appointment_id).cancel_reason == 'Away\nback Monday'
