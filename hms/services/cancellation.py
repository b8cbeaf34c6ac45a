"""Cancelling one appointment: the one rule behind every cancellation (by the patient, the doctor or the clinic, one
at a time or in bulk, or because the doctor's availability no longer covers it). Its callers check who may cancel and
when; this marks it cancelled, announces and audits the change, and tells the patient when someone else cancelled.

Its own module because both ``appointments`` (which books on ``availability``'s slots) and ``availability`` (which
cancels what a change of hours strands) need it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus
from hms.i18n import N_, _

from . import appointment_log, notices, refills, transitions
from .principal import Principal

AVAILABILITY_CAUSE = 'availability'  # the doctor's hours changed: the reason then says it all
CANCELLED_SUBJECT = N_('Your appointment was cancelled')


def cancel_cutoff(settings: Settings, start: datetime) -> datetime:
    """The end of online cancelling and rescheduling for the patient (``HMS_CANCEL_CUTOFF_HOURS`` before the start):
    a cancellation for the patient after it is a late one (hms.services.no_shows)."""
    return start - timedelta(hours=settings.cancel_cutoff_hours)


def cancel_appointment(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment: Appointment, reason: str, *, cause: str = ''
) -> None:
    """Mark the (locked, booked: see ``transitions``) appointment cancelled, audit, and tell the patient when someone
    else cancelled (caller commits)."""
    now = clock.now()
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at, appointment.cancelled_by_id, appointment.cancel_reason = now, actor.user_id, reason
    transitions.advance(appointment, now)
    appointment_log.changed(uow, actor, appointment, 'appointment.cancelled', {'cause': cause} if cause else None)
    refills.slot_freed(uow, settings, appointment, cause)  # its time goes to the waitlist once this commits
    if actor.user_id != appointment.patient_id:
        doctor_name = uow.patients_names({appointment.doctor_id}).get(appointment.doctor_id)

        def compose() -> tuple[str, str]:  # in the patient's language, whoever cancelled
            when = notices.when(appointment.start_at, settings.zone)
            return _(CANCELLED_SUBJECT), _notice_text(doctor_name or _('your doctor'), when, reason, cause)

        notices.notify(uow, appointment.patient_id, compose, appointment_id=appointment.id)


def cancel_if_booked(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, reason: str, *, cause: str
) -> bool:
    """Cancel one of many (a doctor's stranded hours, a deactivated account's bookings) unless someone changed it
    since it was listed: whether it was cancelled here (caller commits)."""
    appointment = transitions.lock(uow, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        return False
    cancel_appointment(uow, settings, actor, appointment, reason, cause=cause)
    return True


def _notice_text(doctor_name: str, when: str, reason: str, cause: str) -> str:
    if cause == AVAILABILITY_CAUSE:
        return _(
            'Your appointment with {doctor} on {when} was cancelled: {reason} Please book another time.',
            doctor=doctor_name,
            when=when,
            reason=reason,
        )
    return _(
        'Your appointment with {doctor} on {when} was cancelled. Reason: {reason} '
        'Please book another time if you still need a visit.',
        doctor=doctor_name,
        when=when,
        reason=reason,
    )
