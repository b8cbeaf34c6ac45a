"""Recalls: a doctor who records a next-visit date on a treatment asks to see the patient again. The patient gets
one reminder with a booking link ``HMS_RECALL_DAYS_BEFORE`` days before that date (exactly once: its delivery is
claimed by a unique key, so a run that repeats, overlaps or follows a dead worker sends nothing twice), and the
front desk sees the recall list for phoning: due (the date is near), overdue (passed, nothing booked), booked.

A recall is booked once the patient has an appointment with the same doctor after the visit that asked for it
(not cancelled, not missed). The list and the message say "follow-up due on" and nothing clinical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from hms import clock
from hms.config import Settings
from hms.db import recalls as db
from hms.db.recalls import RecallRow
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import InvalidInput
from hms.i18n import N_, _
from hms.notify import moments, render
from hms.notify.message import Message

from . import notices
from .principal import Principal, require_role

JOB = 'recalls'
KIND = 'recall'
BOOKING_PATH = '/patient/doctors/{doctor_id}'
LOOK_BACK = timedelta(days=365)  # overdue and booked recalls listed this far back
REFUSAL = N_('Your role does not allow you to read the recall list.')


class State(StrEnum):
    DUE = 'due'
    OVERDUE = 'overdue'
    BOOKED = 'booked'


@dataclass(frozen=True)
class RecallView:
    """One recall for the desk: who, which doctor, when the follow-up is due, and its state (nothing clinical)."""

    treatment_id: int
    patient_id: int
    patient_name: str
    patient_phone: str
    patient_email: str | None
    doctor_id: int
    doctor_name: str
    due_on: date
    state: State


@dataclass(frozen=True)
class DueRecall:
    """One recall reminder to send: its delivery key and what the delivery row records."""

    treatment_id: int
    patient_id: int
    recipient: str
    subject: str
    due_on: date

    @property
    def key(self) -> str:
        return recall_key(self.treatment_id, self.due_on)


def recall_key(treatment_id: int, due_on: date) -> str:
    # The date is in the key: a doctor who changes the next-visit date asks for a new recall.
    return f'recall:treatment:{treatment_id}:due:{due_on.isoformat()}:email'


def today(settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def _state(row: RecallRow, day: date) -> State:
    if row.booked:
        return State.BOOKED
    return State.OVERDUE if row.next_visit_date < day else State.DUE


def recall_list(uow: UnitOfWork, settings: Settings, actor: Principal, state: str = State.DUE) -> list[RecallView]:
    """The desk's list for phoning: ``due`` (the date within ``HMS_RECALL_DAYS_BEFORE``), ``overdue`` (passed in the
    last year, nothing booked) or ``booked``, soonest due first."""
    require_role(actor, Role.RECEPTION, Role.ADMIN, refusal=REFUSAL)
    try:
        wanted = State(state)
    except ValueError:
        message = _('Choose due, overdue or booked.')
        raise InvalidInput(message, field_errors={'state': message}) from None
    day = today(settings)
    last = day + timedelta(days=settings.recall_days_before)
    rows = db.recalls(uow.session, day - LOOK_BACK, last)
    return [
        RecallView(
            treatment_id=row.treatment_id,
            patient_id=row.patient_id,
            patient_name=row.patient_name,
            patient_phone=row.patient_phone,
            patient_email=row.patient_email,
            doctor_id=row.doctor_id,
            doctor_name=row.doctor_name,
            due_on=row.next_visit_date,
            state=_state(row, day),
        )
        for row in rows
        if _state(row, day) is wanted
    ]


def due_recalls(uow: UnitOfWork, settings: Settings, day: date | None = None) -> list[DueRecall]:
    """The reminders to send on ``day``: follow-ups due within ``HMS_RECALL_DAYS_BEFORE`` days from it (not passed),
    not booked, for active patients with an email address."""
    day = day or today(settings)
    due = []
    for row in db.recalls(uow.session, day, day + timedelta(days=settings.recall_days_before)):
        if row.booked or not row.patient_email or not row.patient_active:
            continue
        with notices.speaking(uow, row.patient_id):
            subject = recall_subject(settings)
        due.append(DueRecall(row.treatment_id, row.patient_id, row.patient_email, subject, row.next_visit_date))
    return due


def recall_subject(settings: Settings) -> str:
    return _('Time to book your follow-up at {clinic}', clinic=settings.clinic_name)


def compose(uow: UnitOfWork, settings: Settings, treatment_id: int, due_on: date) -> Message | None:
    """The reminder of one recall, in the patient's language; None when it no longer applies (booked meanwhile, the
    date changed, or the patient can no longer be reached)."""
    found = next(
        (row for row in db.recalls(uow.session, due_on, due_on) if row.treatment_id == treatment_id),
        None,
    )
    if found is None or found.booked or not found.patient_email:
        return None
    with notices.speaking(uow, found.patient_id):
        return recall_message(settings, found)


def recall_message(settings: Settings, row: RecallRow) -> Message:
    """The recall email (HTML and text) in the language in force: the doctor, the date, a booking link."""
    return render.email(
        'recall',
        to_email=row.patient_email or '',
        to_name=row.patient_name,
        subject=recall_subject(settings),
        patient_name=row.patient_name,
        doctor=row.doctor_name,
        due_on=moments.day_with_year(row.next_visit_date),
        clinic=settings.clinic_name,
        link=settings.link(BOOKING_PATH.format(doctor_id=row.doctor_id)),
    )
