"""Queries of doctors' leave, clinic closures and the rescue of the appointments they strand
(the rules are ``hms.services.leave`` and ``hms.services.rescue``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .models import ClinicClosure, DoctorLeave, RescueCase

OPEN, REBOOKED, CANCELLED, WITHDRAWN, GONE = 'open', 'rebooked', 'cancelled', 'withdrawn', 'gone'


def _days(first: date, last: date, start: date, end: date) -> set[date]:
    """The dates of [first, last] that fall within [start, end]."""
    day, stop, found = max(first, start), min(last, end), set()
    while day <= stop:
        found.add(day)
        day += timedelta(days=1)
    return found


class LeaveRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- leave and closures -------------------------------------------------------------------------------------

    def days_off(self, doctor_id: int, first: date, last: date) -> set[date]:
        """The dates in [first, last] the doctor is on leave or the clinic is closed."""
        leaves = self.session.execute(
            select(DoctorLeave.first_day, DoctorLeave.last_day).where(
                DoctorLeave.doctor_id == doctor_id, DoctorLeave.first_day <= last, DoctorLeave.last_day >= first
            )
        ).all()
        closures = self.session.execute(
            select(ClinicClosure.first_day, ClinicClosure.last_day).where(
                ClinicClosure.first_day <= last, ClinicClosure.last_day >= first
            )
        ).all()
        off: set[date] = set()
        for start, end in [*leaves, *closures]:
            off |= _days(start, end, first, last)
        return off

    def add_leave(self, leave: DoctorLeave) -> DoctorLeave:
        self.session.add(leave)
        self.session.flush()
        return leave

    def leave(self, leave_id: int) -> DoctorLeave | None:
        return self.session.get(DoctorLeave, leave_id)

    def leaves(self, doctor_id: int | None, *, from_day: date) -> Sequence[DoctorLeave]:
        query = select(DoctorLeave).where(DoctorLeave.last_day >= from_day)
        if doctor_id is not None:
            query = query.where(DoctorLeave.doctor_id == doctor_id)
        return self.session.scalars(query.order_by(DoctorLeave.first_day, DoctorLeave.id)).all()

    def remove_leave(self, leave: DoctorLeave) -> None:
        self.session.delete(leave)
        self.session.flush()

    def add_closure(self, closure: ClinicClosure) -> ClinicClosure:
        self.session.add(closure)
        self.session.flush()
        return closure

    def closure(self, closure_id: int) -> ClinicClosure | None:
        return self.session.get(ClinicClosure, closure_id)

    def closures(self, *, from_day: date) -> Sequence[ClinicClosure]:
        return self.session.scalars(
            select(ClinicClosure)
            .where(ClinicClosure.last_day >= from_day)
            .order_by(ClinicClosure.first_day, ClinicClosure.id)
        ).all()

    def remove_closure(self, closure: ClinicClosure) -> None:
        self.session.delete(closure)
        self.session.flush()

    # --- rescue cases -------------------------------------------------------------------------------------------

    def add_case(self, case: RescueCase) -> RescueCase:
        self.session.add(case)
        self.session.flush()
        return case

    def case_of(self, appointment_id: int) -> RescueCase | None:
        return self.session.scalar(select(RescueCase).where(RescueCase.appointment_id == appointment_id))

    def lock_case(self, case_id: int) -> RescueCase | None:
        self.session.execute(
            update(RescueCase)
            .where(RescueCase.id == case_id)
            .values(state=RescueCase.state)
            .execution_options(synchronize_session=False)
        )
        return self.session.scalar(
            select(RescueCase).where(RescueCase.id == case_id).execution_options(populate_existing=True)
        )

    def overdue_ids(self, now: datetime, *, limit: int = 500) -> list[int]:
        return list(
            self.session.scalars(
                select(RescueCase.id)
                .where(RescueCase.state == OPEN, RescueCase.deadline_at <= now)
                .order_by(RescueCase.deadline_at, RescueCase.id)
                .limit(limit)
            )
        )

    def open_cases_of(self, *, leave_id: int | None = None, closure_id: int | None = None) -> Sequence[RescueCase]:
        conditions = []
        if leave_id is not None:
            conditions.append(RescueCase.leave_id == leave_id)
        if closure_id is not None:
            conditions.append(RescueCase.closure_id == closure_id)
        if not conditions:
            return []
        return self.session.scalars(select(RescueCase).where(RescueCase.state == OPEN, or_(*conditions))).all()

    def cases(self, *, since: datetime, limit: int = 500) -> Sequence[RescueCase]:
        """Cases still open, and those created since ``since`` (newest deadline last)."""
        return self.session.scalars(
            select(RescueCase)
            .where(or_(RescueCase.state == OPEN, RescueCase.created_at >= since))
            .order_by(RescueCase.deadline_at, RescueCase.id)
            .limit(limit)
        ).all()

    def forget_cases_of_leave(self, leave_id: int) -> None:
        self.session.execute(delete(RescueCase).where(RescueCase.leave_id == leave_id, RescueCase.state == OPEN))
