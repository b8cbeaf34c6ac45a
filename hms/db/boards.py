"""Waiting-room boards: the device links (found by the hash of their secret) and the read side a board shows, today's
visits of its doctors as ticket codes and times only (the query never reads a patient column)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hms.domain.enums import AppointmentStatus

from .models import Appointment, Department, DoctorProfile, User, WaitingRoomBoard
from .repositories import rowcount

# The visits a board shows for the day: the ones still to come, waiting, inside, and done (the doctor works today).
_ON_THE_DAY = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.IN_CONSULTATION,
    AppointmentStatus.COMPLETED,
)


@dataclass(frozen=True)
class BoardRow:
    """A board as the admin's list shows it (never its secret)."""

    id: int
    name: str
    department_id: int | None
    department: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class BoardDoctor:
    doctor_id: int
    name: str
    department: str
    consultation_minutes: int


@dataclass(frozen=True)
class BoardVisit:
    """One visit of the day as a board may know it: no patient, no reason."""

    id: int
    doctor_id: int
    status: AppointmentStatus
    start_at: datetime
    arrived_at: datetime | None
    called_at: datetime | None
    ticket: str | None


class BoardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, board: WaitingRoomBoard) -> WaitingRoomBoard:
        self.session.add(board)
        self.session.flush()
        return board

    def get(self, board_id: int) -> WaitingRoomBoard | None:
        return self.session.get(WaitingRoomBoard, board_id)

    def active_by_hash(self, secret_hash: str) -> WaitingRoomBoard | None:
        return self.session.scalar(
            select(WaitingRoomBoard).where(
                WaitingRoomBoard.secret_hash == secret_hash, WaitingRoomBoard.revoked_at.is_(None)
            )
        )

    def revoke(self, board_id: int, at: datetime) -> int:
        """Revoke the board if it is still active; the number of boards revoked (0 or 1)."""
        result = self.session.execute(
            update(WaitingRoomBoard)
            .where(WaitingRoomBoard.id == board_id, WaitingRoomBoard.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        self.session.flush()
        return rowcount(result)

    def rows(self) -> list[BoardRow]:
        """Every board, the newest first, with its department's name."""
        found = self.session.execute(
            select(
                WaitingRoomBoard.id,
                WaitingRoomBoard.name,
                WaitingRoomBoard.department_id,
                Department.name,
                WaitingRoomBoard.created_at,
                WaitingRoomBoard.revoked_at,
            )
            .outerjoin(Department, Department.id == WaitingRoomBoard.department_id)
            .order_by(WaitingRoomBoard.created_at.desc(), WaitingRoomBoard.id.desc())
        ).all()
        return [BoardRow(*row) for row in found]

    def department_name(self, department_id: int) -> str | None:
        return self.session.scalar(select(Department.name).where(Department.id == department_id))

    def doctors(self, department_id: int | None) -> list[BoardDoctor]:
        """The active doctors of a department (None: of the clinic), by name."""
        query = (
            select(DoctorProfile.user_id, User.name, Department.name, DoctorProfile.consultation_minutes)
            .join(User, User.id == DoctorProfile.user_id)
            .join(Department, Department.id == DoctorProfile.department_id)
            .where(User.is_active.is_(True))
            .order_by(User.name, DoctorProfile.user_id)
        )
        if department_id is not None:
            query = query.where(DoctorProfile.department_id == department_id)
        return [BoardDoctor(*row) for row in self.session.execute(query).all()]

    def visits(self, doctor_ids: Sequence[int], start: datetime, end: datetime) -> list[BoardVisit]:
        """The day's visits of these doctors that start (or arrived) within [start, end), not cancelled."""
        if not doctor_ids:
            return []
        found = self.session.execute(
            select(
                Appointment.id,
                Appointment.doctor_id,
                Appointment.status,
                Appointment.start_at,
                Appointment.arrived_at,
                Appointment.called_at,
                Appointment.ticket,
            ).where(
                Appointment.doctor_id.in_(doctor_ids),
                Appointment.status.in_(_ON_THE_DAY),
                Appointment.start_at >= start,
                Appointment.start_at < end,
            )
        ).all()
        return [
            BoardVisit(key, doctor, AppointmentStatus(status), start_at, arrived_at, called_at, ticket)
            for key, doctor, status, start_at, arrived_at, called_at, ticket in found
        ]

    def consultations(self, doctor_ids: Sequence[int], since: datetime) -> list[tuple[int, datetime, datetime]]:
        """(doctor id, called at, completed at) of the visits completed since ``since``: how long consultations take."""
        if not doctor_ids:
            return []
        found = self.session.execute(
            select(Appointment.doctor_id, Appointment.called_at, Appointment.completed_at).where(
                Appointment.doctor_id.in_(doctor_ids),
                Appointment.status == AppointmentStatus.COMPLETED,
                Appointment.called_at.is_not(None),
                Appointment.completed_at.is_not(None),
                Appointment.completed_at >= since,
            )
        ).all()
        return [
            (doctor_id, called, completed)
            for doctor_id, called, completed in found
            if called is not None and completed is not None
        ]
