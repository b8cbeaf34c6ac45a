"""Queries of the waitlist, its slot offers and the freed slots the dashboard's refill figure counts
(the rules are ``hms.services.waitlist``, ``hms.services.offers`` and ``hms.services.refills``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .models import Appointment, FreedSlot, SlotOffer, WaitlistEntry

WAITING, BOOKED, REMOVED = 'waiting', 'booked', 'removed'
HELD, ACCEPTED, DECLINED, EXPIRED, WITHDRAWN = 'held', 'accepted', 'declined', 'expired', 'withdrawn'


class WaitlistRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- entries ------------------------------------------------------------------------------------------------

    def add_entry(self, entry: WaitlistEntry) -> WaitlistEntry:
        self.session.add(entry)
        self.session.flush()
        return entry

    def entry(self, entry_id: int) -> WaitlistEntry | None:
        return self.session.get(WaitlistEntry, entry_id)

    def entries_of(self, patient_id: int, *, from_day: date) -> Sequence[WaitlistEntry]:
        """The patient's entries still waiting (and not past their last day), oldest first."""
        return self.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.patient_id == patient_id,
                WaitlistEntry.state == WAITING,
                WaitlistEntry.last_day >= from_day,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        ).all()

    def count_waiting(self, patient_id: int, *, from_day: date) -> int:
        return len(self.entries_of(patient_id, from_day=from_day))

    def candidates(self, doctor_id: int, department_id: int, day: date) -> Sequence[WaitlistEntry]:
        """Entries waiting for this doctor or their department on ``day``, first come first served."""
        return self.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.state == WAITING,
                WaitlistEntry.first_day <= day,
                WaitlistEntry.last_day >= day,
                or_(WaitlistEntry.doctor_id == doctor_id, WaitlistEntry.department_id == department_id),
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        ).all()

    def anyone_waiting(self, doctor_id: int | None, department_id: int | None, first: date, last: date) -> bool:
        """Whether an entry waits for this doctor or department (both None: for anyone) on a day in [first, last]."""
        query = select(WaitlistEntry.id).where(
            WaitlistEntry.state == WAITING, WaitlistEntry.first_day <= last, WaitlistEntry.last_day >= first
        )
        if doctor_id is not None or department_id is not None:
            query = query.where(or_(WaitlistEntry.doctor_id == doctor_id, WaitlistEntry.department_id == department_id))
        return self.session.scalar(query.limit(1)) is not None

    # --- offers -------------------------------------------------------------------------------------------------

    def add_offer(self, offer: SlotOffer) -> SlotOffer:
        self.session.add(offer)
        self.session.flush()
        return offer

    def offer(self, offer_id: int) -> SlotOffer | None:
        return self.session.get(SlotOffer, offer_id)

    def lock_offer(self, offer_id: int) -> SlotOffer | None:
        """The offer, row-locked (PostgreSQL) or under the write lock (SQLite), read afresh."""
        self.session.execute(
            update(SlotOffer)
            .where(SlotOffer.id == offer_id)
            .values(state=SlotOffer.state)
            .execution_options(synchronize_session=False)
        )
        return self.session.scalar(
            select(SlotOffer).where(SlotOffer.id == offer_id).execution_options(populate_existing=True)
        )

    def offers_of(self, patient_id: int, *, limit: int = 50) -> Sequence[SlotOffer]:
        return self.session.scalars(
            select(SlotOffer)
            .where(SlotOffer.patient_id == patient_id)
            .order_by(SlotOffer.offered_at.desc(), SlotOffer.id.desc())
            .limit(limit)
        ).all()

    def held(self, doctor_id: int, start: datetime, end: datetime) -> Sequence[SlotOffer]:
        """Offers held (state 'held', whether or not their time ran out) on the doctor's slots in [start, end)."""
        return self.session.scalars(
            select(SlotOffer).where(
                SlotOffer.doctor_id == doctor_id,
                SlotOffer.state == HELD,
                SlotOffer.start_at >= start - timedelta(days=1),
                SlotOffer.start_at < end,
                SlotOffer.end_at > start,
            )
        ).all()

    def held_of_entry(self, entry_id: int) -> SlotOffer | None:
        return self.session.scalar(select(SlotOffer).where(SlotOffer.entry_id == entry_id, SlotOffer.state == HELD))

    def held_of_entries(self, entry_ids: Sequence[int]) -> set[int]:
        if not entry_ids:
            return set()
        return set(
            self.session.scalars(
                select(SlotOffer.entry_id).where(SlotOffer.entry_id.in_(entry_ids), SlotOffer.state == HELD)
            )
        )

    def offered_before(self, entry_ids: Sequence[int], doctor_id: int, start: datetime) -> set[int]:
        """Which of the entries were offered this very slot already (declined or let expire: not offered again)."""
        if not entry_ids:
            return set()
        return set(
            self.session.scalars(
                select(SlotOffer.entry_id).where(
                    SlotOffer.entry_id.in_(entry_ids), SlotOffer.doctor_id == doctor_id, SlotOffer.start_at == start
                )
            )
        )

    def overdue_ids(self, now: datetime, *, limit: int = 500) -> list[int]:
        """Held offers whose time ran out, oldest first."""
        return list(
            self.session.scalars(
                select(SlotOffer.id)
                .where(SlotOffer.state == HELD, SlotOffer.expires_at <= now)
                .order_by(SlotOffer.expires_at, SlotOffer.id)
                .limit(limit)
            )
        )

    def held_for_patient(self, patient_id: int) -> Sequence[SlotOffer]:
        return self.session.scalars(
            select(SlotOffer).where(SlotOffer.patient_id == patient_id, SlotOffer.state == HELD)
        ).all()

    # --- freed slots and their refills --------------------------------------------------------------------------

    def add_freed(self, doctor_id: int, start: datetime, freed_at: datetime) -> bool:
        """Record a freed slot once (a re-delivered task finds it recorded): whether it was new."""
        found = self.session.scalar(
            select(FreedSlot.id).where(
                FreedSlot.doctor_id == doctor_id, FreedSlot.start_at == start, FreedSlot.freed_at == freed_at
            )
        )
        if found is not None:
            return False
        self.session.add(FreedSlot(doctor_id=doctor_id, start_at=start, freed_at=freed_at))
        self.session.flush()
        return True

    def refills(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime | None]]:
        """Each slot freed in [start, end): when it was freed, and when it was booked again (the first booking of
        that doctor and start made after the freeing, whatever became of it), or None."""
        rebooked = (
            select(func.min(Appointment.created_at))
            .where(
                Appointment.doctor_id == FreedSlot.doctor_id,
                Appointment.start_at == FreedSlot.start_at,
                Appointment.created_at > FreedSlot.freed_at,
            )
            .correlate(FreedSlot)
            .scalar_subquery()
        )
        rows = self.session.execute(
            select(FreedSlot.freed_at, rebooked).where(FreedSlot.freed_at >= start, FreedSlot.freed_at < end)
        ).all()
        return [(freed_at, again) for freed_at, again in rows]
