"""Transactional outbox: a task that a change calls for (the patient's confirmation email) is written as a row in the
change's own transaction, so the two commit or roll back together. Handing rows to the broker comes after: at once
(right after the commit) and again from a periodic drain until the broker took each one. A broker that is down at
commit time therefore delays the task instead of losing it.

A row is claimed before it is handed over (a conditional UPDATE, like the deliveries' claims), so the immediate
attempt and the drain, or two drains, never hand the same row over at the same time. A process that dies between
handing a row over and marking it dispatched leaves it to be handed over once more after ``STALE_DISPATCH``: the
tasks fed from here are idempotent (each email is claimed by its delivery key), so that copy sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from hms import clock
from hms.db.models import OutboxMessage
from hms.db.uow import UnitOfWork

logger = logging.getLogger(__name__)

STALE_DISPATCH = timedelta(minutes=2)  # a row claimed for hand-over longer ago than this was abandoned
KEEP_DISPATCHED = timedelta(days=7)  # dispatched rows are kept this long, for the admin and for debugging
BATCH = 200

Send = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Drained:
    dispatched: int
    failed: int
    left: int  # rows still waiting (the broker failed, or more than one batch was waiting)


def stage(session: Session, task: str, kwargs: dict[str, Any], *, appointment_id: int | None = None) -> OutboxMessage:
    """Add a row to the caller's open transaction (committed with it, or not at all)."""
    row = OutboxMessage(task=task, kwargs=kwargs, appointment_id=appointment_id, created_at=clock.now(), attempts=0)
    session.add(row)
    return row


def _claim(uow: UnitOfWork, ids: Iterable[int] | None, limit: int) -> list[OutboxMessage]:
    now = clock.now()
    claimable = (OutboxMessage.dispatched_at.is_(None),
                 or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - STALE_DISPATCH))  # fmt: skip
    query = select(OutboxMessage.id).where(*claimable).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(list(ids)))
    claimed = []
    for row_id in uow.session.scalars(query).all():
        result = uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, *claimable)
            .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(row_id)
    uow.commit()
    if not claimed:
        return []
    return list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))).all())


def dispatch(uow: UnitOfWork, send: Send, *, ids: Iterable[int] | None = None, limit: int = BATCH) -> Drained:
    """Hand the waiting rows (or only ``ids``) to ``send``; stop at the first broker failure and leave the rest."""
    rows = _claim(uow, ids, limit)
    done: list[int] = []
    error: Exception | None = None
    for row in rows:
        try:
            send(row.task, dict(row.kwargs or {}))
        except Exception as failure:  # the broker is down or refuses: every row left waits for the next attempt
            error = failure
            break
        done.append(row.id)
        _mark(uow, [row.id])  # one at a time: a crash after sending re-sends as little as possible
    if error is not None:
        left = [row.id for row in rows if row.id not in done]
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(left))
            .values(claimed_at=None, last_error=type(error).__name__[:200])
        )
        uow.commit()
    return Drained(dispatched=len(done), failed=len(rows) - len(done), left=pending_count(uow))


def _mark(uow: UnitOfWork, ids: list[int]) -> None:
    uow.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(dispatched_at=clock.now(), last_error=None)
    )
    uow.commit()


def pending_count(uow: UnitOfWork) -> int:
    """Rows not handed to the broker yet."""
    return int(uow.session.scalar(select(func.count()).where(OutboxMessage.dispatched_at.is_(None))) or 0)


def purge(uow: UnitOfWork) -> int:
    """Forget rows dispatched more than ``KEEP_DISPATCHED`` ago."""
    result = uow.session.execute(
        delete(OutboxMessage).where(OutboxMessage.dispatched_at < clock.now() - KEEP_DISPATCHED)
    )
    uow.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
