"""The front desk (and the administrator) acting for a patient: booking, moving and cancelling on their behalf, and
walk-ins.

Unlike a patient booking online, the desk is not bound by the booking horizon, the notice period or the limit of
upcoming bookings per patient; it always gives a reason. A time must still be one of the doctor's slots and not over;
a patient is never in two places at once. A taken slot is refused (409) unless the desk double-books it on purpose
(``overbook`` with an ``override_reason``): that appointment is marked ``overbooked``, stands outside the one-booking-
per-slot index, and says so on the doctor's day and in the audit trail. Every ordinary booking still goes through the
index, under the doctor's lock, like a patient's.

Walk-ins: a visit without a booking, for a patient who is at the desk now. It takes the doctor's next free slot today
(the one under way counts while it is free); when the day has no free slot left it is added now as an overbooked visit.
Either way the patient is checked in at once (arrived, with a ticket) and waits for the doctor's Call next, which
fits the walk-in in by its time. A doctor with no hours at all today takes no walk-ins.

The patient gets the usual messages: the booking, moving and cancelling confirmations by email (the events below), and
a notice in the app when the clinic moved or cancelled their appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import Appointment, DoctorProfile, PatientProfile
from hms.db.uow import UnitOfWork
from hms.db.waitlist import WaitlistRepository
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus
from hms.domain.errors import NotBookable, NotFound, OverlappingBooking, SlotTaken
from hms.domain.front_desk import DeskBookingIn, DeskCancelIn, DeskRescheduleIn, WalkInIn
from hms.domain.slots import Slot, day_slots
from hms.i18n import N_, _

from . import appointment_log, notices, queue, transitions
from .appointments import views
from .availability import effective_windows
from .cancellation import cancel_appointment
from .principal import Principal, require_role
from .queue import DESK_REFUSAL, DESK_ROLES
from .views import AppointmentView

SLOT_TAKEN_AT_DESK = N_('This slot is taken. Choose another time, or double-book it with a reason.')
WALK_IN_OVERBOOKED = N_('Walk-in: no free time left today.')


@dataclass(frozen=True)
class DeskSlot:
    start: datetime
    end: datetime
    taken: bool  # an active appointment holds it: bookable only as a double-booking
    held: bool = False  # held for a patient on the waitlist (an offer): taken too until the offer ends


@dataclass(frozen=True)
class DeskPatient:
    """Who the desk is acting for: enough to recognise them (contact details, never clinical content)."""

    id: int
    name: str
    date_of_birth: date
    phone: str
    email: str | None  # a patient registered at the desk may have none
    is_active: bool


def _desk(actor: Principal) -> None:
    require_role(actor, *DESK_ROLES, refusal=DESK_REFUSAL)


def _patient(uow: UnitOfWork, patient_id: int) -> PatientProfile:
    patient = uow.patients.get(patient_id)
    if patient is None:
        raise NotFound(_('No such patient.'))
    if not patient.user.is_active:
        message = _("This patient's account is blocked; reactivate it before booking.")
        raise NotBookable(message, field_errors={'patient_id': message})
    return patient


def _doctor(uow: UnitOfWork, doctor_id: int) -> DoctorProfile:
    doctor = uow.doctors.get(doctor_id)
    if doctor is None or not doctor.user.is_active:
        message = _('This doctor is not taking bookings.')
        raise NotBookable(message, field_errors={'doctor_id': message})
    return doctor


def _grid(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile, day: date) -> list[Slot]:
    windows = effective_windows(uow, doctor.user_id, day, day)[day]
    return day_slots(day, windows, doctor.consultation_minutes, settings.zone)


def _slot_at(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile, start: datetime) -> Slot:
    """The doctor's slot starting at ``start`` and not over yet (no notice period or horizon at the desk)."""
    day = start.astimezone(settings.zone).date()
    slot = next((slot for slot in _grid(uow, settings, doctor, day) if slot.start == start), None)
    if slot is None:
        message = _("This time is not one of the doctor's slots.")
        raise NotBookable(message, field_errors={'start': message})
    if slot.end <= clock.now():
        message = _('This time is in the past.')
        raise NotBookable(message, field_errors={'start': message})
    return slot


def _not_elsewhere(uow: UnitOfWork, patient_id: int, slot: Slot, *, moving: int | None = None) -> None:
    if uow.appointments.overlapping_for_patient(patient_id, slot.start, slot.end, exclude_id=moving):
        raise OverlappingBooking(_('This patient already has an appointment at this time.'))


def _add(uow: UnitOfWork, appointment: Appointment) -> None:
    try:
        uow.appointments.add(appointment)
    except CONSTRAINT_VIOLATION as error:  # the one-per-slot index caught an ordinary booking that raced us
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN_AT_DESK)) from error


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN_AT_DESK)) from error


def patient_card(uow: UnitOfWork, actor: Principal, patient_id: int) -> DeskPatient:
    _desk(actor)
    patient = uow.patients.get(patient_id)
    if patient is None:
        raise NotFound(_('No such patient.'))
    return DeskPatient(
        id=patient.user_id,
        name=patient.user.name,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
        email=patient.user.email,
        is_active=patient.user.is_active,
    )


def patient_appointments(
    uow: UnitOfWork, settings: Settings, actor: Principal, patient_id: int
) -> list[AppointmentView]:
    """The patient's appointments from today on (the desk moves or cancels them from this list)."""
    _desk(actor)
    if uow.patients.get(patient_id) is None:
        raise NotFound(_('No such patient.'))
    start = queue.day_bounds(queue.local_today(settings), settings)[0]
    return views(uow, uow.appointments.find(AppointmentFilter(start_from=start, patient_id=patient_id)))


def desk_slots(uow: UnitOfWork, settings: Settings, actor: Principal, doctor_id: int, day: date) -> list[DeskSlot]:
    """The doctor's slots on ``day`` that are not over, each free or taken."""
    _desk(actor)
    doctor = _doctor(uow, doctor_id)
    slots = [slot for slot in _grid(uow, settings, doctor, day) if slot.end > clock.now()]
    if not slots:
        return []
    busy = [
        (a.start_at, a.end_at)
        for a in uow.appointments.find(
            AppointmentFilter(
                start_from=slots[0].start - timedelta(days=1), start_to=slots[-1].end, doctor_id=doctor.user_id
            )
        )
        if a.status is not AppointmentStatus.CANCELLED
    ]
    offers = WaitlistRepository(uow.session).held(doctor.user_id, slots[0].start, slots[-1].end)
    held = [(offer.start_at, offer.end_at) for offer in offers]

    def overlaps(slot: Slot, spans: list[tuple[datetime, datetime]]) -> bool:
        return any(start < slot.end and slot.start < end for start, end in spans)

    return [
        DeskSlot(slot.start, slot.end, overlaps(slot, busy) or overlaps(slot, held), overlaps(slot, held))
        for slot in slots
    ]


def book_for(uow: UnitOfWork, settings: Settings, actor: Principal, data: DeskBookingIn) -> AppointmentView:
    """Book for a patient; a taken slot only as an explicit double-booking (``overbook`` with its reason)."""
    _desk(actor)
    patient = _patient(uow, data.patient_id)
    doctor = _doctor(uow, data.doctor_id)
    uow.doctors.lock(doctor.user_id)  # the lock order of every booking: the doctor, then the patient
    uow.patients.lock(patient.user_id)
    slot = _slot_at(uow, settings, doctor, data.start.astimezone(UTC))
    _not_elsewhere(uow, patient.user_id, slot)
    taken = uow.appointments.overlapping_for_doctor(doctor.user_id, slot.start, slot.end, None)
    taken = taken or bool(WaitlistRepository(uow.session).held(doctor.user_id, slot.start, slot.end))  # an offer
    if taken and not data.overbook:
        raise SlotTaken(_(SLOT_TAKEN_AT_DESK))
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
        overbooked=taken,
        override_reason=data.override_reason if taken else None,
        walk_in=False,
    )
    _add(uow, appointment)
    detail: dict[str, object] = {'on_behalf': True, 'overbooked': taken}
    if taken:
        detail['override_reason'] = data.override_reason
    appointment_log.changed(uow, actor, appointment, 'appointment.booked', detail)
    view = views(uow, [appointment])[0]
    _commit(uow)
    return view


def reschedule_for(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, data: DeskRescheduleIn
) -> AppointmentView:
    """Move a booked appointment to another free slot of its doctor, with a reason (kept in the audit trail and told
    to the patient). A double-booking moved to a free slot is an ordinary booking again."""
    _desk(actor)
    seen = uow.appointments.get(appointment_id)
    if seen is None:
        raise NotFound(_('No such appointment.'))
    uow.doctors.lock(seen.doctor_id)
    uow.patients.lock(seen.patient_id)
    appointment = transitions.lock(uow, seen.id)
    transitions.require(uow, actor, appointment, transitions.Change.RESCHEDULE)
    doctor = _doctor(uow, appointment.doctor_id)
    start = data.start.astimezone(UTC)
    if start == appointment.start_at:
        raise NotBookable(_('Choose a different time from the current one.'), field_errors={'start': _('Same time.')})
    slot = _slot_at(uow, settings, doctor, start)
    if uow.appointments.overlapping_for_doctor(doctor.user_id, slot.start, slot.end, appointment.id):
        raise SlotTaken(_(SLOT_TAKEN_AT_DESK))
    _not_elsewhere(uow, appointment.patient_id, slot, moving=appointment.id)
    previous = appointment.start_at
    appointment.start_at, appointment.end_at = slot.start, slot.end
    appointment.overbooked, appointment.override_reason = False, None
    transitions.advance(appointment)
    appointment_log.changed(
        uow, actor, appointment, 'appointment.rescheduled', {'on_behalf': True, 'reason': data.reason}
    )
    notices.moved_by_the_clinic(
        uow,
        settings.zone,
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        doctor_name=doctor.user.name,
        before=previous,
        after=slot.start,
        reason=data.reason,
    )
    try:
        uow.session.flush()
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        raise SlotTaken(_(SLOT_TAKEN_AT_DESK)) from error
    view = views(uow, [appointment])[0]
    _commit(uow)
    return view


def cancel_for(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, data: DeskCancelIn
) -> AppointmentView:
    """Cancel for the patient, with the reason they will read; possible until the visit starts (in consultation)."""
    _desk(actor)
    if uow.appointments.get(appointment_id) is None:
        raise NotFound(_('No such appointment.'))
    appointment = transitions.lock(uow, appointment_id)
    transitions.require(uow, actor, appointment, transitions.Change.CANCEL)
    cancel_appointment(uow, settings, actor, appointment, data.reason)
    view = views(uow, [appointment])[0]
    uow.commit()
    return view


def walk_in(uow: UnitOfWork, settings: Settings, actor: Principal, data: WalkInIn) -> AppointmentView:
    """A patient at the desk without a booking: the doctor's next free slot today, or now as a double-booking when
    the day is full; checked in at once, with a ticket."""
    _desk(actor)
    patient = _patient(uow, data.patient_id)
    doctor = _doctor(uow, data.doctor_id)
    uow.doctors.lock(doctor.user_id)
    uow.patients.lock(patient.user_id)
    day = queue.local_today(settings)
    grid = _grid(uow, settings, doctor, day)
    if not grid:
        message = _('This doctor has no hours today; choose another doctor.')
        raise NotBookable(message, field_errors={'doctor_id': message})
    now = clock.now()
    taken = uow.appointments.overlapping_for_doctor
    free = next(
        (slot for slot in grid if slot.end > now and not taken(doctor.user_id, slot.start, slot.end, None)), None
    )
    if free is not None:
        slot, overbooked = free, False
    else:
        start = now.replace(second=0, microsecond=0)
        slot, overbooked = Slot(start, start + timedelta(minutes=doctor.consultation_minutes)), True
    _not_elsewhere(uow, patient.user_id, slot)
    appointment = Appointment(
        doctor_id=doctor.user_id,
        patient_id=patient.user_id,
        start_at=slot.start,
        end_at=slot.end,
        status=AppointmentStatus.ARRIVED,
        reason=data.reason,
        created_at=now,
        updated_at=now,
        booked_by_id=actor.user_id,
        sequence=0,
        arrived_at=now,
        overbooked=overbooked,
        override_reason=_(WALK_IN_OVERBOOKED) if overbooked else None,
        walk_in=True,
    )
    _add(uow, appointment)
    queue.give_ticket(uow, settings, appointment)
    appointment_log.changed(
        uow, actor, appointment, 'appointment.walk_in', {'overbooked': overbooked, 'ticket': appointment.ticket}
    )
    view = views(uow, [appointment])[0]
    _commit(uow)
    return view
