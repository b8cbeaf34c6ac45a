"""The appointment's one-tap links (``confirm``, ``cancel``, ``reschedule``), registered with ``action_links``.

A link acts as the appointment's patient, through the same services and limits as the patient's own pages
(``appointments.cancel`` and ``appointments.reschedule``: the cut-off before the start, free slots only). Its links
expire at the appointment's start and when it changes (its iCalendar ``sequence``, raised by every reschedule and
cancellation). Confirming sets ``confirmed_at`` and keeps the sequence: the other links of the message stay usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidInput
from hms.i18n import N_, _

from . import appointment_log, appointments, availability, transitions
from .action_links import (
    Claims,
    Description,
    LinkAppointment,
    LinkSuperseded,
    Outcome,
    make_link,
    register_action,
    require_version,
)
from .principal import Principal

CONFIRM, CANCEL, RESCHEDULE = 'confirm', 'cancel', 'reschedule'
ACTIONS = (CONFIRM, CANCEL, RESCHEDULE)
CONFIRMED = N_('Thank you: your appointment is confirmed.')
CANCELLED = N_('Your appointment is cancelled.')
MOVED = N_('Your appointment is moved to the new time.')
CONFIRMED_BY_LINK = 'appointment.confirmed'


def links(settings: Settings, appointment: Appointment) -> dict[str, str]:
    """The Confirm, Cancel and Reschedule links of a message about ``appointment`` (by action)."""
    return {
        action: make_link(settings, action, appointment.id, appointment.sequence, appointment.start_at)
        for action in ACTIONS
    }


def link_view(uow: UnitOfWork, appointment: Appointment) -> LinkAppointment:
    names = uow.patients_names({appointment.doctor_id})
    departments = uow.doctors.department_names({appointment.doctor_id})
    return LinkAppointment(
        id=appointment.id,
        doctor_id=appointment.doctor_id,
        doctor_name=names.get(appointment.doctor_id, ''),
        department_name=departments.get(appointment.doctor_id, ''),
        start=appointment.start_at,
        end=appointment.end_at,
        status=str(AppointmentStatus(appointment.status)),
        confirmed_at=appointment.confirmed_at,
    )


def _as_patient(uow: UnitOfWork, appointment: Appointment) -> Principal:
    """The link's holder acts as the appointment's patient (the message went to them)."""
    name = uow.patients_names({appointment.patient_id}).get(appointment.patient_id, '')
    return Principal(user_id=appointment.patient_id, role=Role.PATIENT, name=name, email='', must_change_password=False)


def _locked(uow: UnitOfWork, claims: Claims) -> Appointment:
    """The appointment locked in the order of ``transitions`` (doctor, patient, appointment), still at the link's
    version."""
    seen = uow.appointments.get(claims.subject_id)
    if seen is None:
        raise LinkSuperseded()
    uow.doctors.lock(seen.doctor_id)
    uow.patients.lock(seen.patient_id)
    appointment = transitions.lock(uow, seen.id)
    require_version(claims, appointment.sequence)
    return appointment


class _AppointmentAction:
    def __init__(self, action: str) -> None:
        self.action = action

    def version(self, uow: UnitOfWork, subject_id: int) -> int | None:
        appointment = uow.appointments.get(subject_id)
        return appointment.sequence if appointment is not None else None

    def describe(self, uow: UnitOfWork, settings: Settings, claims: Claims, *, valid: bool) -> Description:
        appointment = uow.appointments.get(claims.subject_id)
        if appointment is None:
            return Description()
        slots = None
        if valid and self.action == RESCHEDULE and appointment.status == AppointmentStatus.BOOKED:
            doctor = uow.doctors.get(appointment.doctor_id)
            if doctor is not None and doctor.user.is_active:
                first, last = availability.booking_days(settings)
                found = availability.open_slots(uow, settings, doctor, first, last, ignore_appointment=appointment.id)
                slots = [(slot.start, slot.end) for slot in found if slot.start != appointment.start_at]
        return Description(appointment=link_view(uow, appointment), slots=slots)

    def perform(self, uow: UnitOfWork, settings: Settings, claims: Claims, body: Mapping[str, Any]) -> Outcome:
        if self.action == CONFIRM:
            return _confirm(uow, claims)
        if self.action == CANCEL:
            appointment = _locked(uow, claims)
            appointments.cancel(uow, settings, _as_patient(uow, appointment), appointment.id)
            return Outcome(_(CANCELLED), link_view(uow, appointment))
        start = _start(body.get('start'), settings)
        appointment = _locked(uow, claims)
        appointments.reschedule(uow, settings, _as_patient(uow, appointment), appointment.id, start)
        return Outcome(_(MOVED), link_view(uow, appointment))


def _start(value: object, settings: Settings) -> datetime:
    """The chosen start: an aware datetime or ISO 8601 text (a time without an offset is the clinic's)."""
    start: datetime | None = None
    if isinstance(value, datetime):
        start = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            start = None
    if start is None:
        message = _('Choose one of the free times.')
        raise InvalidInput(message, field_errors={'start': message})
    if start.tzinfo is None:
        start = start.replace(tzinfo=settings.zone)
    return start.astimezone(UTC)


def _confirm(uow: UnitOfWork, claims: Claims) -> Outcome:
    appointment = _locked(uow, claims)
    patient = _as_patient(uow, appointment)
    transitions.require(uow, patient, appointment, transitions.Change.CONFIRM)
    if appointment.confirmed_at is None:  # confirming twice keeps the first time
        appointment.confirmed_at = clock.now()
        appointment_log.changed(uow, patient, appointment, CONFIRMED_BY_LINK)
    view = link_view(uow, appointment)
    uow.commit()
    return Outcome(_(CONFIRMED), view)


for _action in ACTIONS:
    register_action(_action, _AppointmentAction(_action))
