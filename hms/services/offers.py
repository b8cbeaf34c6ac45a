"""Offers of freed slots to the waitlist: a free slot is held for the first matching waiting patient (first come,
first served) for ``HMS_WAITLIST_HOLD_MINUTES``; accepted, it becomes their booking (every booking rule applies);
declined or expired, it goes to the next patient.

Never offered to two patients at once: every offer is made, accepted, declined or expired under the doctor's lock
(the lock every booking takes first), and the database holds at most one offer per doctor and start in state
``held`` (a partial unique index). A held slot is taken for everyone but its patient: the free-slot lists and
``availability.require_free_slot`` leave it out. Only slots starting after the notice period *and* the hold are
offered, so an offer accepted at its last minute still meets the booking notice.

The work runs in the worker (``jobs.waitlist``): a cancellation or new availability stages a task in its own
transaction (``refills``), the task offers the slot and stages the offer's email the same way; the beat's sweep
expires offers whose time ran out and offers the slot to the next patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, DoctorProfile, SlotOffer, WaitlistEntry
from hms.db.uow import UnitOfWork
from hms.db.waitlist import ACCEPTED, BOOKED, DECLINED, EXPIRED, HELD, REMOVED, WAITING, WITHDRAWN, WaitlistRepository
from hms.domain.enums import Role
from hms.domain.errors import Conflict, NotAllowed, NotFound
from hms.domain.scheduling import BookingIn
from hms.domain.slots import Slot
from hms.domain.waitlist import time_of_day
from hms.i18n import N_, _
from hms.notify import moments, render
from hms.notify.message import Message
from hms.runtime import outbox

from . import appointments, audit, availability, notices
from .action_links import Claims, Description, LinkAppointment, Outcome, make_link, register_action, require_version
from .principal import Principal, require_role
from .views import AppointmentView
from .waitlist import entry_times, own_entry

OFFER_EMAIL_TASK = 'hms.waitlist_offer_email'
OFFER_ACTION = 'offer'
EMAIL_SUBJECT = N_('A time has become free for you')
ONLY_PATIENTS = N_('Only patients receive offers from the waiting list.')
_GONE = {
    ACCEPTED: N_('You have already accepted this offer.'),
    DECLINED: N_('You declined this offer.'),
    EXPIRED: N_('This offer has expired; the time was offered to the next patient on the waiting list.'),
    WITHDRAWN: N_('This offer was withdrawn.'),
}


class OfferGone(Conflict):
    """The offer is no longer held (accepted, declined, expired or withdrawn)."""


@dataclass(frozen=True)
class OfferView:
    id: int
    entry_id: int
    doctor_id: int
    doctor_name: str
    department_name: str
    start: datetime
    end: datetime
    state: str
    offered_at: datetime
    expires_at: datetime
    appointment_id: int | None


def _views(uow: UnitOfWork, offers: list[SlotOffer]) -> list[OfferView]:
    doctors = {offer.doctor_id for offer in offers}
    names, departments = uow.patients_names(doctors), uow.doctors.department_names(doctors)
    return [
        OfferView(
            id=offer.id,
            entry_id=offer.entry_id,
            doctor_id=offer.doctor_id,
            doctor_name=names.get(offer.doctor_id, ''),
            department_name=departments.get(offer.doctor_id, ''),
            start=offer.start_at,
            end=offer.end_at,
            state=offer.state,
            offered_at=offer.offered_at,
            expires_at=offer.expires_at,
            appointment_id=offer.appointment_id,
        )
        for offer in offers
    ]


# --- making offers (the worker) -------------------------------------------------------------------------------------


def _earliest(settings: Settings) -> datetime:
    """Slots starting before this are not offered: accepted at the hold's last minute, they must still meet the
    booking notice."""
    return clock.now() + timedelta(minutes=settings.booking_notice_minutes + settings.waitlist_hold_minutes)


def _free_slot(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile, start: datetime) -> Slot | None:
    """The doctor's slot at ``start`` if it is free (not booked, not held), published and far enough ahead."""
    if start < _earliest(settings):
        return None
    day = start.astimezone(settings.zone).date()
    return next(
        (slot for slot in availability.open_slots(uow, settings, doctor, day, day) if slot.start == start), None
    )


def _wants(uow: UnitOfWork, settings: Settings, entry: WaitlistEntry, slot: Slot, held_entries: set[int]) -> bool:
    """Whether the entry's patient can be offered the slot: at a time of day they asked for, free then, not offered
    this slot before, active, and not holding another offer for this entry."""
    if entry.id in held_entries:
        return False
    if time_of_day(slot.start.astimezone(settings.zone).time()) not in entry_times(entry):
        return False
    patient = uow.patients.get(entry.patient_id)
    if patient is None or not patient.user.is_active:
        return False
    if uow.appointments.overlapping_for_patient(entry.patient_id, slot.start, slot.end, exclude_id=None):
        return False
    holding = WaitlistRepository(uow.session).held_for_patient(entry.patient_id)
    return not any(offer.start_at < slot.end and slot.start < offer.end_at for offer in holding)


def _offer_next(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile, slot: Slot) -> SlotOffer | None:
    """Hold ``slot`` (free, checked under the doctor's lock) for the first matching waiting patient; stage the
    offer's email. None when nobody matches (the slot stays free for everyone)."""
    repo = WaitlistRepository(uow.session)
    entries = list(repo.candidates(doctor.user_id, doctor.department_id, slot.start.astimezone(settings.zone).date()))
    if not entries:
        return None
    ids = [entry.id for entry in entries]
    held_entries = repo.held_of_entries(ids) | repo.offered_before(ids, doctor.user_id, slot.start)
    entry = next((entry for entry in entries if _wants(uow, settings, entry, slot, held_entries)), None)
    if entry is None:
        return None
    now = clock.now()
    offer = repo.add_offer(
        SlotOffer(
            entry_id=entry.id,
            patient_id=entry.patient_id,
            doctor_id=doctor.user_id,
            start_at=slot.start,
            end_at=slot.end,
            state=HELD,
            offered_at=now,
            expires_at=now + timedelta(minutes=settings.waitlist_hold_minutes),
        )
    )
    outbox.stage(uow.session, OFFER_EMAIL_TASK, {'offer_id': offer.id})
    _announce(uow, offer, 'offer.held')
    doctor_name = doctor.user.name

    def compose() -> tuple[str, str]:  # in the patient's language: the notice on their pages
        when = notices.when(slot.start, settings.zone)
        until = notices.when(offer.expires_at, settings.zone)
        body = _(
            'A time with {doctor} on {when} has become free and is held for you until {until}. '
            'Accept it on your waiting list page, or it goes to the next patient.',
            doctor=doctor_name,
            when=when,
            until=until,
        )
        return _(EMAIL_SUBJECT), body

    notices.notify(uow, entry.patient_id, compose)
    return offer


def _announce(uow: UnitOfWork, offer: SlotOffer, kind: str) -> None:
    """Open pages (the patient's waiting list, every free-slot list of the doctor) hear of it after the commit."""
    uow.emit(kind, offer_id=offer.id, doctor_id=offer.doctor_id, patient_id=offer.patient_id)
    audit.record(
        uow,
        kind,
        actor_role='system' if kind in ('offer.held', 'offer.expired') else None,
        object_type='slot_offer',
        object_id=offer.id,
        subject_user_id=offer.patient_id,
    )


def _active_doctor(uow: UnitOfWork, doctor_id: int) -> DoctorProfile | None:
    doctor = uow.doctors.get(doctor_id)
    return doctor if doctor is not None and doctor.user.is_active else None


def slot_freed(uow: UnitOfWork, settings: Settings, doctor_id: int, start: datetime, freed_at: datetime) -> int | None:
    """A cancellation gave back the doctor's slot at ``start`` (``refills`` recorded it as freed): if it is still
    free and bookable, offer it to the waitlist. The id of the offer made, if any (idempotent: a second run finds
    the slot held)."""
    doctor = _active_doctor(uow, doctor_id)
    if doctor is None:
        return None
    uow.doctors.lock(doctor_id)
    start = start.astimezone(UTC)
    slot = _free_slot(uow, settings, doctor, start)
    if slot is None:
        uow.rollback()
        return None
    offer = _offer_next(uow, settings, doctor, slot)
    uow.commit()
    return offer.id if offer is not None else None


def slots_opened(uow: UnitOfWork, settings: Settings, doctor_id: int | None, first: date, last: date) -> int:
    """Time opened up (new hours, a withdrawn leave or closure, a new waitlist entry): offer each free slot of the
    doctor (None: of every doctor) between two local dates to the waitlist. How many offers were made."""
    doctor_ids = (
        [doctor_id] if doctor_id is not None else [doctor.user_id for doctor in uow.doctors.search(limit=10_000)]
    )
    made = 0
    for one in doctor_ids:
        doctor = _active_doctor(uow, one)
        if doctor is None:
            continue
        uow.doctors.lock(one)
        for slot in availability.open_slots(uow, settings, doctor, first, last):
            if slot.start >= _earliest(settings) and _offer_next(uow, settings, doctor, slot) is not None:
                made += 1
        uow.commit()
    return made


# --- the patient's side ---------------------------------------------------------------------------------------------


def my_offers(uow: UnitOfWork, actor: Principal, *, limit: int = 50) -> list[OfferView]:
    """The acting patient's offers, newest first (held ones are the ones to answer)."""
    require_role(actor, Role.PATIENT, refusal=ONLY_PATIENTS)
    return _views(uow, list(WaitlistRepository(uow.session).offers_of(actor.user_id, limit=limit)))


def _own_offer(uow: UnitOfWork, actor: Principal, offer_id: int) -> SlotOffer:
    require_role(actor, Role.PATIENT, refusal=ONLY_PATIENTS)
    offer = WaitlistRepository(uow.session).offer(offer_id)
    if offer is None or offer.patient_id != actor.user_id:
        raise NotFound(_('No such offer.'))
    return offer


def _require_held(offer: SlotOffer | None) -> SlotOffer:
    """The (locked) offer, still held and within its time."""
    if offer is None:
        raise NotFound(_('No such offer.'))
    if offer.state != HELD:
        raise OfferGone(_(_GONE.get(offer.state, _GONE[WITHDRAWN])))
    if offer.expires_at <= clock.now():
        raise OfferGone(_(_GONE[EXPIRED]))
    return offer


def accept(uow: UnitOfWork, settings: Settings, actor: Principal, offer_id: int) -> AppointmentView:
    """Book the held slot for its patient: every booking rule applies (limits, overlaps, notice); the offer and its
    waitlist entry end with the booking, in one transaction."""
    seen = _own_offer(uow, actor, offer_id)
    repo = WaitlistRepository(uow.session)

    def check(appointment: Appointment) -> None:  # under the doctor's and the patient's locks, before the commit
        offer = _require_held(repo.lock_offer(seen.id))
        offer.state, offer.decided_at, offer.appointment_id = ACCEPTED, clock.now(), appointment.id
        entry = repo.entry(offer.entry_id)
        if entry is not None and entry.state == WAITING:
            entry.state, entry.closed_at = BOOKED, clock.now()
        _announce(uow, offer, 'offer.accepted')

    uow.doctors.lock(seen.doctor_id)  # the lock every booking takes first: the offer's state is settled under it
    _require_held(repo.lock_offer(seen.id))
    data = BookingIn(doctor_id=seen.doctor_id, start=seen.start_at, reason='')
    return appointments.book(uow, settings, actor, data, offered=check)


def _release(uow: UnitOfWork, settings: Settings, offer: SlotOffer, state: str) -> SlotOffer | None:
    """End a held offer (under the doctor's lock) and offer the slot to the next patient; the next offer, if any."""
    offer.state, offer.decided_at = state, clock.now()
    uow.session.flush()  # the partial unique index sees the slot released before the next offer is added
    _announce(uow, offer, f'offer.{state}')
    doctor = _active_doctor(uow, offer.doctor_id)
    slot = _free_slot(uow, settings, doctor, offer.start_at) if doctor is not None else None
    if doctor is None or slot is None:
        return None
    return _offer_next(uow, settings, doctor, slot)


def decline(uow: UnitOfWork, settings: Settings, actor: Principal, offer_id: int) -> OfferView:
    """Let the held slot go to the next patient (the entry keeps waiting for another time)."""
    seen = _own_offer(uow, actor, offer_id)
    uow.doctors.lock(seen.doctor_id)
    offer = _require_held(WaitlistRepository(uow.session).lock_offer(seen.id))
    _release(uow, settings, offer, DECLINED)
    view = _views(uow, [offer])[0]
    uow.commit()
    return view


def leave_waitlist(uow: UnitOfWork, settings: Settings, actor: Principal, entry_id: int) -> None:
    """Remove the acting patient's entry; a slot held for it goes to the next patient."""
    entry = own_entry(uow, actor, entry_id)
    repo = WaitlistRepository(uow.session)
    held = repo.held_of_entry(entry.id)
    if held is not None:
        uow.doctors.lock(held.doctor_id)
        offer = repo.lock_offer(held.id)
        if offer is not None and offer.state == HELD:
            _release(uow, settings, offer, WITHDRAWN)
    entry.state, entry.closed_at = REMOVED, clock.now()
    audit.record(uow, 'waitlist.left', actor=actor, object_type='waitlist_entry', object_id=entry.id)
    uow.emit('waitlist.left', entry_id=entry.id, patient_id=actor.user_id)
    uow.commit()


# --- the sweep (beat) -----------------------------------------------------------------------------------------------


def expire_overdue(uow: UnitOfWork, settings: Settings) -> tuple[int, int]:
    """Expire the held offers whose time ran out, each in its own transaction, and offer each slot to the next
    patient: (expired, offered again)."""
    repo = WaitlistRepository(uow.session)
    expired = offered = 0
    for offer_id in repo.overdue_ids(clock.now()):
        seen = repo.offer(offer_id)
        if seen is None:
            continue
        uow.doctors.lock(seen.doctor_id)
        offer = repo.lock_offer(offer_id)
        if offer is None or offer.state != HELD or offer.expires_at > clock.now():  # accepted or declined meanwhile
            uow.rollback()
            continue
        expired += 1
        offered += _release(uow, settings, offer, EXPIRED) is not None
        uow.commit()
    return expired, offered


# --- the offer's email ----------------------------------------------------------------------------------------------


def offer_link(settings: Settings, offer: SlotOffer) -> str:
    """The one-tap accept link of an offer: works once, while the offer is held, until it expires."""
    return make_link(settings, OFFER_ACTION, offer.id, 0, offer.expires_at)


def offer_message(uow: UnitOfWork, settings: Settings, offer_id: int) -> tuple[int, Message] | None:
    """The offer's email (templates waitlist_offer.html and .txt) in the patient's language, while it is held."""
    offer = WaitlistRepository(uow.session).offer(offer_id)
    if offer is None or offer.state != HELD or offer.expires_at <= clock.now():
        return None
    patient = uow.users.get(offer.patient_id)
    if patient is None or not patient.is_active or patient.email is None:
        return None
    doctor_name = uow.patients_names({offer.doctor_id}).get(offer.doctor_id, '')
    department = uow.doctors.department_names({offer.doctor_id}).get(offer.doctor_id, '')
    with notices.speaking(uow, patient.id):
        message = render.email(
            'waitlist_offer',
            to_email=patient.email,
            to_name=patient.name,
            subject=_(EMAIL_SUBJECT),
            name=patient.name,
            doctor=doctor_name,
            department=department,
            when=moments.long_moment(offer.start_at, settings.zone),
            until=moments.moment(offer.expires_at, settings.zone),
            accept=offer_link(settings, offer),
            page=settings.link('/patient/waitlist'),
            clinic=settings.clinic_name,
        )
    return patient.id, message


# --- the one-tap link -----------------------------------------------------------------------------------------------


class _OfferAction:
    """``offer``: accept a held waitlist offer (subject: the offer's id; version 0 while it is held)."""

    def version(self, uow: UnitOfWork, subject_id: int) -> int | None:
        offer = WaitlistRepository(uow.session).offer(subject_id)
        if offer is None:
            return None
        return 0 if offer.state == HELD else 1

    def describe(self, uow: UnitOfWork, settings: Settings, claims: Claims, *, valid: bool) -> Description:
        offer = WaitlistRepository(uow.session).offer(claims.subject_id)
        if offer is None:
            return Description()
        view = _views(uow, [offer])[0]
        shown = LinkAppointment(
            id=offer.appointment_id,
            doctor_id=view.doctor_id,
            doctor_name=view.doctor_name,
            department_name=view.department_name,
            start=view.start,
            end=view.end,
            status='offered' if offer.state == HELD else offer.state,
        )
        return Description(appointment=shown, extra={'offer_id': offer.id, 'expires_at': offer.expires_at.isoformat()})

    def perform(self, uow: UnitOfWork, settings: Settings, claims: Claims, body: Mapping[str, Any]) -> Outcome:
        offer = WaitlistRepository(uow.session).offer(claims.subject_id)
        require_version(claims, self.version(uow, claims.subject_id))
        assert offer is not None
        user = uow.users.get(offer.patient_id)
        if user is None or user.role is not Role.PATIENT:
            raise NotAllowed(_('This account cannot book appointments.'))
        holder = Principal(user_id=user.id, role=Role.PATIENT, name=user.name, email='', must_change_password=False)
        booked = accept(uow, settings, holder, offer.id)
        shown = LinkAppointment(
            id=booked.id,
            doctor_id=booked.doctor_id,
            doctor_name=booked.doctor_name,
            department_name=booked.department_name or '',
            start=booked.start,
            end=booked.end,
            status=str(booked.status),
        )
        return Outcome(message=_('The time is yours: your appointment is booked.'), appointment=shown)


register_action(OFFER_ACTION, _OfferAction())
