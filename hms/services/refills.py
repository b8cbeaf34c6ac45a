"""Slots that free up, and how soon they are booked again.

A cancellation (``cancellation.cancel_appointment``), new availability and a withdrawn leave or closure stage a task in
the change's own transaction (the outbox: it reaches the worker only if the change commits). The worker then offers
the time to the waitlist (``offers.slot_freed`` / ``offers.slots_opened``) and records a cancelled slot that is still
bookable as *freed*; ``refill_summary`` says how many freed slots were booked again, and how fast.

Kept free of the offer rules (it imports no other service), so that the cancellation rule can call it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment
from hms.db.uow import UnitOfWork
from hms.db.waitlist import WaitlistRepository
from hms.runtime import outbox

SLOT_FREED_TASK = 'hms.waitlist_slot_freed'
SLOTS_OPENED_TASK = 'hms.waitlist_slots_opened'


UNBOOKABLE_CAUSES = ('availability', 'rescue', 'doctor_deactivated')  # the time itself is gone, not freed


def slot_freed(uow: UnitOfWork, settings: Settings, appointment: Appointment, cause: str = '') -> None:
    """A booked appointment was just cancelled (caller commits): a time still bookable (ahead of the booking notice,
    not a double-booking, not cancelled because the time itself went) is recorded as freed, for the refill figure,
    and, when someone waits for it, offered to the waitlist once the change commits (the worker checks it is free)."""
    now = clock.now()
    if appointment.overbooked or cause in UNBOOKABLE_CAUSES:
        return
    if appointment.start_at <= now + timedelta(minutes=settings.booking_notice_minutes):
        return
    repo = WaitlistRepository(uow.session)
    repo.add_freed(appointment.doctor_id, appointment.start_at, now)
    doctor = uow.doctors.get(appointment.doctor_id)
    day = appointment.start_at.astimezone(settings.zone).date()
    if doctor is None or not repo.anyone_waiting(doctor.user_id, doctor.department_id, day, day):
        return
    outbox.stage(
        uow.session,
        SLOT_FREED_TASK,
        {'doctor_id': appointment.doctor_id, 'start': appointment.start_at.isoformat(), 'freed_at': now.isoformat()},
    )
    uow.emit('waitlist.slot_freed', doctor_id=appointment.doctor_id)


def slots_opened(uow: UnitOfWork, doctor_id: int | None, first: date, last: date) -> None:
    """Time opened up (new availability, a leave or closure withdrawn): offer the free slots of ``doctor_id`` (None:
    every doctor) between two local dates to the waitlist once the change commits (when anyone waits then)."""
    department_id = None
    if doctor_id is not None:
        doctor = uow.doctors.get(doctor_id)
        department_id = doctor.department_id if doctor is not None else None
    if not WaitlistRepository(uow.session).anyone_waiting(doctor_id, department_id, first, last):
        return
    outbox.stage(
        uow.session,
        SLOTS_OPENED_TASK,
        {'doctor_id': doctor_id, 'first_day': first.isoformat(), 'last_day': last.isoformat()},
    )
    uow.emit('waitlist.slots_opened', **({'doctor_id': doctor_id} if doctor_id is not None else {}))


@dataclass(frozen=True)
class RefillSummary:
    freed: int  # slots freed by cancellations (still bookable at the time) in the period
    refilled: int  # of those, booked again (through the waitlist or otherwise)
    median_minutes: float | None  # from freeing to the new booking, over the refilled ones

    @property
    def rate(self) -> float | None:
        return self.refilled / self.freed if self.freed else None


def refill_summary(uow: UnitOfWork, start: datetime, end: datetime) -> RefillSummary:
    """How many slots freed in [start, end) were booked again, and the median minutes it took."""
    rows = WaitlistRepository(uow.session).refills(start, end)
    waits = [(again - freed).total_seconds() / 60 for freed, again in rows if again is not None]
    return RefillSummary(
        freed=len(rows),
        refilled=len(waits),
        median_minutes=round(statistics.median(waits), 1) if waits else None,
    )


def refill_figure(uow: UnitOfWork, start: datetime, end: datetime) -> dict[str, float | int | None]:
    """The dashboard's refill figure for slots freed in [start, end) (the whole clinic): ``freed``, ``refilled``,
    ``rate`` (refilled / freed) and ``median_minutes`` from freeing to the new booking."""
    summary = refill_summary(uow, start, end)
    return {
        'freed': summary.freed,
        'refilled': summary.refilled,
        'rate': round(summary.rate, 4) if summary.rate is not None else None,
        'median_minutes': summary.median_minutes,
    }
