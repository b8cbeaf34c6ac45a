"""Booking, rescheduling and cancelling appointments, and reading them with object-level access checks.

Never two active appointments for one doctor and start (a partial unique index), never two overlapping active
appointments for one patient, never more than ``max_future_bookings`` ahead, and only on free published slots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

from hms import clock
from hms.config import Settings
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import Appointment, DoctorProfile
from hms.db.scheduling import role_of
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter, AppointmentSort
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotBookable,
    NotFound,
    OverlappingBooking,
    SlotTaken,
)
from hms.domain.scheduling import BookingIn
from hms.domain.text import clean_text
from hms.i18n import N_, _, ngettext

from . import appointment_log, no_shows, notices, transitions
from .availability import require_free_slot
from .cancellation import cancel_appointment, cancel_cutoff, cancel_if_booked
from .principal import Principal, require_role
from .sorting import sort_key
from .views import AppointmentView, Page

SLOT_TAKEN = N_('This slot was just taken. Please choose another time.')
PATIENT_CANCELLED = N_('Cancelled by the patient.')


def views(uow: UnitOfWork, appointments: Sequence[Appointment]) -> list[AppointmentView]:
    """Appointments with the names people read next to them."""
    people = {a.doctor_id for a in appointments} | {a.patient_id for a in appointments}
    cancellers = {a.cancelled_by_id for a in appointments if a.cancelled_by_id}
    names = uow.patients_names(people)
    departments = uow.doctors.department_names({a.doctor_id for a in appointments})
    roles = {user_id: str(role_of(uow.session, user_id) or '') or None for user_id in cancellers}
    return [
        AppointmentView.of(a, names, departments, roles.get(a.cancelled_by_id) if a.cancelled_by_id else None)
        for a in appointments
    ]


def _visible(uow: UnitOfWork, actor: Principal, appointment_id: int) -> Appointment:
    """The appointment if the actor may see it; otherwise NotFound (never reveal that someone else's exists)."""
    appointment = uow.appointments.get(appointment_id)
    if appointment is None:
        raise NotFound(_('No such appointment.'))
    if actor.role is Role.ADMIN:
        return appointment
    if actor.role is Role.PATIENT and appointment.patient_id == actor.user_id:
        return appointment
    if actor.role is Role.DOCTOR and appointment.doctor_id == actor.user_id:
        return appointment
    raise NotFound(_('No such appointment.'))


def get_appointment(uow: UnitOfWork, actor: Principal, appointment_id: int) -> AppointmentView:
    return views(uow, [_visible(uow, actor, appointment_id)])[0]


def _bookable_doctor(uow: UnitOfWork, doctor_id: int) -> DoctorProfile:
    doctor = uow.doctors.get(doctor_id)
    if doctor is None or not doctor.user.is_active:
        message = _('This doctor is not taking bookings.')
        raise NotBookable(message, field_errors={'doctor_id': message})
    return doctor


def _check_patient_limits(
    uow: UnitOfWork, settings: Settings, patient_id: int, start: datetime, end: datetime, *, moving: int | None = None
) -> None:
    if uow.appointments.overlapping_for_patient(patient_id, start, end, exclude_id=moving):
        raise OverlappingBooking(_('You already have an appointment at this time.'))
    if moving is None:
        upcoming = uow.appointments.count(
            AppointmentFilter(start_from=clock.now(), patient_id=patient_id, statuses=(AppointmentStatus.BOOKED,))
        )
        if upcoming >= settings.max_future_bookings:
            raise NotBookable(
                ngettext(
                    'You already have {n} upcoming appointment, the most that can be booked at once. '
                    'Cancel it or wait until after the visit to book another.',
                    'You already have {n} upcoming appointments, the most that can be booked at once. '
                    'Cancel one or wait until after a visit to book another.',
                    upcoming,
                )
            )


def book(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    data: BookingIn,
    *,
    offered: Callable[[Appointment], None] | None = None,
) -> AppointmentView:
    """Book a free slot for the acting patient. ``offered`` books a slot held for them (a waitlist offer): it may book
    the held time, and checks the offer (under the locks, before the commit) given the new appointment."""
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to book appointments.'))
    patient = uow.patients.get(actor.user_id)
    if patient is None or not patient.user.is_active:
        raise NotAllowed(_('This account cannot book appointments.'))
    no_shows.require_online_booking(uow, settings, patient.user_id)  # after too many no-shows: the front desk books
    doctor = _bookable_doctor(uow, data.doctor_id)
    # Lock doctor then patient (always this order): concurrent bookings of either wait here, then see each other.
    uow.doctors.lock(doctor.user_id)
    uow.patients.lock(patient.user_id)
    start = data.start.astimezone(UTC)
    slot = require_free_slot(uow, settings, doctor, start, holder=actor.user_id if offered else None)
    _check_patient_limits(uow, settings, patient.user_id, slot.start, slot.end)
    now = clock.now()
    appointment = Appointment(
        doctor_id=doctor.user_id,
        patient_id=patient.user_id,
        start_at=slot.start,
        end_at=slot.end,
        status=AppointmentStatus.BOOKED,
        reason=data.reason,
        created_at=now,
        updated_at=now,
        booked_by_id=actor.user_id,
        sequence=0,
    )
    try:
        uow.appointments.add(appointment)
    except CONSTRAINT_VIOLATION as error:  # the unique index caught a booking that raced us
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN)) from error
    appointment_log.changed(uow, actor, appointment, 'appointment.booked')
    if offered is not None:
        offered(appointment)
    # The names are loaded already (no query for them, as ``views`` would make).
    names = {doctor.user_id: doctor.user.name, patient.user_id: patient.user.name}
    view = AppointmentView.of(appointment, names, {doctor.user_id: doctor.department.name}, None)
    _commit_or_taken(uow)
    return view


def _commit_or_taken(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN)) from error


def _require_before_cutoff(
    settings: Settings, appointment: Appointment, verb: Literal['rescheduled', 'cancelled']
) -> None:
    if clock.now() > cancel_cutoff(settings, appointment.start_at):
        hours = settings.cancel_cutoff_hours
        if verb == 'rescheduled':
            message = ngettext(
                'Appointments can be rescheduled online until {n} hour before they start. Please call the clinic.',
                'Appointments can be rescheduled online until {n} hours before they start. Please call the clinic.',
                hours,
            )
        else:
            message = ngettext(
                'Appointments can be cancelled online until {n} hour before they start. Please call the clinic.',
                'Appointments can be cancelled online until {n} hours before they start. Please call the clinic.',
                hours,
            )
        raise InvalidTransition(message)


def reschedule(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, new_start: datetime
) -> AppointmentView:
    """Move a booked appointment to another free slot of the same doctor (the patient, or the admin)."""
    seen = _visible(uow, actor, appointment_id)  # its doctor and patient never change: they name the locks
    if actor.role not in (Role.PATIENT, Role.ADMIN):
        raise NotAllowed(_('Only the patient or the clinic administrator can reschedule an appointment.'))
    uow.doctors.lock(seen.doctor_id)
    uow.patients.lock(seen.patient_id)
    appointment = transitions.lock(uow, seen.id)
    transitions.require(uow, actor, appointment, transitions.Change.RESCHEDULE)
    if actor.role is Role.PATIENT:
        _require_before_cutoff(settings, appointment, 'rescheduled')
    doctor = _bookable_doctor(uow, appointment.doctor_id)
    start = new_start.astimezone(UTC)
    if start == appointment.start_at:
        raise NotBookable(_('Choose a different time from the current one.'), field_errors={'start': _('Same time.')})
    slot = require_free_slot(uow, settings, doctor, start, ignore_appointment=appointment.id)
    _check_patient_limits(uow, settings, appointment.patient_id, slot.start, slot.end, moving=appointment.id)
    previous = appointment.start_at
    appointment.start_at, appointment.end_at = slot.start, slot.end
    transitions.advance(appointment)
    appointment_log.changed(uow, actor, appointment, 'appointment.rescheduled')
    if actor.role is Role.ADMIN:
        notices.moved_by_the_clinic(
            uow,
            settings.zone,
            patient_id=appointment.patient_id,
            appointment_id=appointment.id,
            doctor_name=doctor.user.name,
            before=previous,
            after=slot.start,
        )
    try:
        uow.session.flush()
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN)) from error
    view = views(uow, [appointment])[0]
    _commit_or_taken(uow)
    return view


def cancel(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, reason: str = ''
) -> AppointmentView:
    """Cancel a booked appointment: the patient until the cut-off, the doctor and the admin with a reason."""
    appointment = transitions.lock(uow, _visible(uow, actor, appointment_id).id)
    transitions.require(uow, actor, appointment, transitions.Change.CANCEL)
    try:  # callers other than the API's CancelIn (a page, a job) get the same text rule
        reason = clean_text(reason, multi_line=True).strip()
    except ValueError as refused:
        raise InvalidInput(str(refused), field_errors={'reason': str(refused)}) from refused
    if actor.role is Role.PATIENT:
        _require_before_cutoff(settings, appointment, 'cancelled')
    elif not reason:
        raise InvalidInput(
            _('Give a reason; the patient will see it.'), field_errors={'reason': _('A reason is required.')}
        )
    cancel_appointment(uow, settings, actor, appointment, reason or _(PATIENT_CANCELLED))
    view = views(uow, [appointment])[0]
    uow.commit()
    return view


def cancel_future(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    *,
    doctor_id: int | None = None,
    patient_id: int | None = None,
    reason: str,
    cause: str,
) -> int:
    """Cancel every upcoming booked appointment of a doctor or a patient (caller commits). ``reason`` is a message
    marked with ``N_``: each appointment keeps it in its patient's language, who reads it."""
    upcoming = uow.appointments.find(
        AppointmentFilter(
            start_from=clock.now(), doctor_id=doctor_id, patient_id=patient_id, statuses=(AppointmentStatus.BOOKED,)
        )
    )
    cancelled = 0
    for appointment in upcoming:
        with notices.speaking(uow, appointment.patient_id):
            translated = _(reason)
        cancelled += cancel_if_booked(uow, settings, actor, appointment.id, translated, cause=cause)
    return cancelled


def count_future(uow: UnitOfWork, *, doctor_id: int | None = None, patient_id: int | None = None) -> int:
    return uow.appointments.count(
        AppointmentFilter(
            start_from=clock.now(), doctor_id=doctor_id, patient_id=patient_id, statuses=(AppointmentStatus.BOOKED,)
        )
    )


def my_appointments(uow: UnitOfWork, actor: Principal, *, upcoming: bool | None = None) -> list[AppointmentView]:
    """The acting patient's appointments (upcoming ones first in time order, past ones newest first)."""
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to list your appointments.'))
    now = clock.now()
    if upcoming is True:
        found = uow.appointments.find(AppointmentFilter(start_from=now, patient_id=actor.user_id))
    elif upcoming is False:
        found = uow.appointments.find(AppointmentFilter(start_to=now, patient_id=actor.user_id), newest_first=True)
    else:
        found = uow.appointments.find(AppointmentFilter(patient_id=actor.user_id))
    return views(uow, found)


def doctor_appointments(
    uow: UnitOfWork,
    actor: Principal,
    *,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    statuses: tuple[AppointmentStatus, ...] = (),
) -> list[AppointmentView]:
    """The acting doctor's own schedule."""
    require_role(actor, Role.DOCTOR, refusal=N_("Your role does not allow you to read a doctor's schedule."))
    criteria = AppointmentFilter(start_from=start_from, start_to=start_to, doctor_id=actor.user_id, statuses=statuses)
    return views(uow, uow.appointments.find(criteria, limit=1000))


def search(
    uow: UnitOfWork,
    actor: Principal,
    criteria: AppointmentFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = True,
    sort: str = AppointmentSort.WHEN,
) -> Page[AppointmentView]:
    """Every appointment, filtered and paginated (administrator), ordered by one of ``AppointmentSort``
    (descending when ``newest_first``)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to list all appointments.'))
    limit = max(1, min(limit, 500))
    order = sort_key(AppointmentSort, sort)
    found = uow.appointments.find(criteria, limit=limit, offset=max(0, offset), newest_first=newest_first, sort=order)
    return Page(items=views(uow, found), total=uow.appointments.count(criteria), limit=limit, offset=max(0, offset))
