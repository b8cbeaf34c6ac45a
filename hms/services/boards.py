"""Waiting-room boards: screens in the waiting room, each opened by a device link (``/board/<secret>``) that the admin
creates and revokes, so that no personal account is ever signed in on a public screen.

A board is reached by its secret alone, so it says as little as it can: per doctor of the clinic (or of one
department), the ticket codes of the patients waiting, the tickets being called in, and the estimated wait; never a
name, a reason or anything clinical. Only the secret's SHA-256 is kept; the secret is shown once, when the board is
created. Revoking a board announces it (``board.revoked``), so that an open screen says so at once.

The estimated wait of a doctor's queue: each consultation takes the median of the doctor's consultations over the
last two weeks (called in -> completed; the consultation length of the doctor's profile until there are
``MIN_SAMPLES`` of them); the one in progress is counted as what remains of it.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from hms import clock
from hms.config import Settings
from hms.db.boards import BoardDoctor, BoardRepository, BoardRow, BoardVisit
from hms.db.models import WaitingRoomBoard
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidInput, NotFound
from hms.i18n import N_, _
from hms.security.tokens import hash_token, new_token

from . import audit
from .principal import Principal, require_role

BOARD_PREFIX = '/board/'
SECRET_SHAPE = re.compile(r'[A-Za-z0-9_-]{43}')  # new_token(): 32 random bytes, URL-safe base64
NAME_MAX = 120
RECENT_CONSULTATIONS = timedelta(days=14)
MIN_SAMPLES = 3
CALLING_SHOWN = 6  # the newest tickets called in, on the "now calling" panel
REVOKED_EVENT = 'board.revoked'
# The roles that manage boards: the admin only (reception sees the screen like everyone in the waiting room).
MANAGERS = (Role.ADMIN,)
_REFUSAL = N_('Only the clinic administrator manages waiting-room boards.')


@dataclass(frozen=True)
class Board:
    """A board as the admin's list shows it: never its secret."""

    id: int
    name: str
    department_id: int | None
    department: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewBoard:
    """A board just created: its address carries the secret, shown this once and never again."""

    id: int
    url: str
    board: Board


@dataclass(frozen=True)
class Waiting:
    ticket: str
    estimated_minutes: int  # until this ticket is likely called in


@dataclass(frozen=True)
class Calling:
    ticket: str
    doctor_id: int
    doctor: str
    called_at: datetime


@dataclass(frozen=True)
class DoctorQueue:
    doctor_id: int
    doctor: str
    department: str
    in_consultation: list[str]  # tickets
    waiting: list[Waiting]  # in the order they will be called
    estimated_wait_minutes: int  # for someone who checks in now
    consultation_minutes: int  # what one consultation is reckoned to take


@dataclass(frozen=True)
class BoardView:
    """What a board screen shows: ticket codes, doctors and minutes only."""

    board_id: int
    title: str
    calling: list[Calling]  # the newest first
    doctors: list[DoctorQueue]
    updated_at: datetime


def _board(row: BoardRow) -> Board:
    return Board(row.id, row.name, row.department_id, row.department, row.created_at, row.revoked_at)


def board_url(settings: Settings, secret: str) -> str:
    """The board's full address, under the address users reach (HMS_PUBLIC_URL), like every other link."""
    return settings.link(f'{BOARD_PREFIX}{secret}')


# --- Managing boards (the admin) --------------------------------------------------------------------------------------


def list_boards(uow: UnitOfWork, actor: Principal) -> list[Board]:
    """Every board, the newest first, active or revoked; never a secret."""
    require_role(actor, *MANAGERS, refusal=_REFUSAL)
    return [_board(row) for row in BoardRepository(uow.session).rows()]


def create_board(
    uow: UnitOfWork, settings: Settings, actor: Principal, department_id: int | None = None, name: str | None = None
) -> NewBoard:
    """A new board for a department (None: the whole clinic); its address is returned this once."""
    require_role(actor, *MANAGERS, refusal=_REFUSAL)
    repo = BoardRepository(uow.session)
    name = (name or '').strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(field_errors={'name': _('At most {n} characters.', n=NAME_MAX)})
    department = None
    if department_id is not None:
        department = repo.department_name(department_id)
        if department is None:
            raise InvalidInput(field_errors={'department_id': _('No such department.')})
    secret = new_token()
    now = clock.now()
    board = repo.add(
        WaitingRoomBoard(
            department_id=department_id,
            name=name,
            secret_hash=hash_token(secret),
            created_by_id=actor.user_id,
            created_at=now,
        )
    )
    audit.record(
        uow,
        'board.create',
        actor=actor,
        object_type='waiting_room_board',
        object_id=board.id,
        detail={'department_id': department_id},
    )
    uow.emit('board.created', board_id=board.id)
    uow.commit()
    created = Board(board.id, name, department_id, department, now, None)
    return NewBoard(id=board.id, url=board_url(settings, secret), board=created)


def revoke_board(uow: UnitOfWork, actor: Principal, board_id: int) -> Board:
    """Revoke a board: its link stops working, and a screen that shows it says so at once. Revoking a revoked board
    changes nothing."""
    require_role(actor, *MANAGERS, refusal=_REFUSAL)
    repo = BoardRepository(uow.session)
    board = repo.get(board_id)
    if board is None:
        raise NotFound(_('No such waiting-room board.'))
    if repo.revoke(board_id, clock.now()):
        audit.record(uow, 'board.revoke', actor=actor, object_type='waiting_room_board', object_id=board_id)
        uow.emit(REVOKED_EVENT, board_id=board_id)
        uow.commit()
        uow.session.refresh(board)
    department = repo.department_name(board.department_id) if board.department_id is not None else None
    return Board(board.id, board.name, board.department_id, department, board.created_at, board.revoked_at)


# --- The screen (anyone with the link) ----------------------------------------------------------------------------


def board_for_secret(uow: UnitOfWork, secret: str) -> WaitingRoomBoard:
    """The active board of this secret; NotFound, with the same answer, when it is malformed, unknown or revoked."""
    if not SECRET_SHAPE.fullmatch(secret):
        raise NotFound()
    board = BoardRepository(uow.session).active_by_hash(hash_token(secret))
    if board is None:
        raise NotFound()
    return board


def board_view(uow: UnitOfWork, settings: Settings, secret: str) -> BoardView:
    """What the board of this secret shows now (NotFound as ``board_for_secret``)."""
    board = board_for_secret(uow, secret)
    repo = BoardRepository(uow.session)
    title = board.name
    if not title and board.department_id is not None:
        title = repo.department_name(board.department_id) or ''
    now = clock.now()
    zone = settings.zone
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    doctors = repo.doctors(board.department_id)
    ids = [doctor.doctor_id for doctor in doctors]
    visits: dict[int, list[BoardVisit]] = defaultdict(list)
    for visit in repo.visits(ids, start, end):
        visits[visit.doctor_id].append(visit)
    durations: dict[int, list[float]] = defaultdict(list)
    for doctor_id, called, completed in repo.consultations(ids, now - RECENT_CONSULTATIONS):
        if completed > called:
            durations[doctor_id].append((completed - called).total_seconds() / 60)
    queues = [
        _queue(doctor, visits[doctor.doctor_id], durations[doctor.doctor_id], now)
        for doctor in doctors
        if visits[doctor.doctor_id]  # the doctors who see patients today
    ]
    names = {doctor.doctor_id: doctor.name for doctor in doctors}
    calling = sorted(
        (
            Calling(_ticket(visit), visit.doctor_id, names[visit.doctor_id], visit.called_at or visit.start_at)
            for doctor_visits in visits.values()
            for visit in doctor_visits
            if visit.status is AppointmentStatus.IN_CONSULTATION
        ),
        key=lambda item: item.called_at,
        reverse=True,
    )[:CALLING_SHOWN]
    return BoardView(
        board_id=board.id, title=title or settings.clinic_name, calling=calling, doctors=queues, updated_at=now
    )


def _ticket(visit: BoardVisit) -> str:
    return visit.ticket or '—'


def typical_consultation(doctor: BoardDoctor, durations: list[float]) -> float:
    """Minutes one consultation is reckoned to take: the median of recent ones, else the profile's length."""
    if len(durations) >= MIN_SAMPLES:
        return float(statistics.median(durations))
    return float(doctor.consultation_minutes)


def waiting_order(visit: BoardVisit) -> tuple[datetime, datetime, int]:
    """The order a doctor's waiting patients are called in: by appointment time (a walk-in's is when it was added,
    which fits it in), then by arrival."""
    return visit.start_at, visit.arrived_at or visit.start_at, visit.id


def _queue(doctor: BoardDoctor, visits: list[BoardVisit], durations: list[float], now: datetime) -> DoctorQueue:
    minutes = typical_consultation(doctor, durations)
    inside = sorted(
        (v for v in visits if v.status is AppointmentStatus.IN_CONSULTATION), key=lambda v: v.called_at or v.start_at
    )
    waiting = sorted((v for v in visits if v.status is AppointmentStatus.ARRIVED), key=waiting_order)
    # What remains of the consultation in progress (the latest called in), never less than nothing.
    remaining = 0.0
    if inside:
        elapsed = (now - (inside[-1].called_at or now)).total_seconds() / 60
        remaining = max(0.0, minutes - elapsed)
    queue = [
        Waiting(_ticket(visit), math.ceil(remaining + position * minutes)) for position, visit in enumerate(waiting)
    ]
    return DoctorQueue(
        doctor_id=doctor.doctor_id,
        doctor=doctor.name,
        department=doctor.department,
        in_consultation=[_ticket(visit) for visit in inside],
        waiting=queue,
        estimated_wait_minutes=math.ceil(remaining + len(waiting) * minutes),
        consultation_minutes=math.ceil(minutes),
    )


def concerns(event_kind: str, data: dict[str, object], board_id: int) -> bool:
    """Whether a change event may change what a board shows (the board's own revocation included)."""
    namespace = event_kind.split('.', 1)[0]
    if namespace == 'board':
        return event_kind == REVOKED_EVENT and data.get('board_id') == board_id
    return namespace in ('appointment', 'doctor', 'department')
