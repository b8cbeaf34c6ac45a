"""Transactional outbox: a task that a change calls for (the patient's confirmation email) is written as a row in the
change's own transaction, so the two commit or roll back together. Handing rows to the broker comes after: at once
(a dispatcher thread woken by the commit, off the request path: ``hms.runtime.dispatch.OutboxDispatcher``) and again
from a periodic drain (``jobs.outbox``) until the broker took each one. A broker that is down at commit time
therefore delays the task instead of losing it.

A row is claimed before it is handed over (a conditional UPDATE, like the deliveries' claims), so the web process's
dispatcher and the drain, or two drains, never hand the same row over at the same time. A process that dies between
handing a row over and marking it dispatched leaves it to be handed over once more after ``STALE_DISPATCH``: the
tasks fed from here are idempotent (each email is claimed by its delivery key), so that copy sends nothing twice.
The queries are ``hms.db.outbox``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from hms import clock
from hms.db.models import OutboxMessage
from hms.db.outbox import OutboxRepository
from hms.db.uow import UnitOfWork

STALE_DISPATCH = timedelta(minutes=2)  # a row claimed for hand-over longer ago than this was abandoned
# A task handed over this long ago whose worker never said it ran was lost by the broker (a Redis killed before its
# append-only file had the task, a reserved task dropped with the worker's connection): it is handed over again, at
# most MOST_HANDOVERS times in all. A copy of a task that was only slow finds its delivery claimed and sends nothing.
LOST_AFTER = timedelta(seconds=60)
MOST_HANDOVERS = 5
OUTBOX_HEADER = 'hms_outbox_id'  # the message header naming the row, read by the worker that runs the task
KEEP_DISPATCHED = timedelta(days=7)  # dispatched rows are kept this long, for the admin and for debugging
BATCH = 200

Send = Callable[[str, dict[str, Any], int], None]  # (task, kwargs, outbox row id)


@dataclass(frozen=True)
class Drained:
    dispatched: int
    failed: int
    left: int  # rows still waiting (the broker failed, or more than one batch was waiting)


STAGED_FLAG = 'hms.outbox.staged'  # in ``Session.info``: rows wait, wake the dispatcher once the change commits


def stage(session: Session, task: str, kwargs: dict[str, Any], *, appointment_id: int | None = None) -> OutboxMessage:
    """Add a row to the caller's open transaction (committed with it, or not at all)."""
    session.info[STAGED_FLAG] = True
    return OutboxRepository(session).add(task, kwargs, appointment_id=appointment_id, at=clock.now())


def dispatch(
    uow: UnitOfWork, send: Send, *, ids: Iterable[int] | None = None, limit: int = BATCH, count_left: bool = True
) -> Drained:
    """Hand the waiting rows (or only ``ids``) to ``send``; stop at the first broker failure and leave the rest.

    Two write transactions per batch, whatever its size: the claim, then the rows marked as handed over (and those
    the broker refused given back). ``count_left=False`` skips counting what still waits: ``left`` is then 1 when
    the batch was full (there may be more) and 0 otherwise."""
    rows = OutboxRepository(uow.session)
    now = clock.now()
    claimed = rows.claim(
        ids,
        limit=limit,
        at=now,
        stale_before=now - STALE_DISPATCH,
        lost_before=now - LOST_AFTER,
        most_handovers=MOST_HANDOVERS,
    )
    uow.commit()
    if not claimed:
        return Drained(dispatched=0, failed=0, left=rows.pending_count() if count_left else 0)
    done: list[int] = []
    error: Exception | None = None
    for row_id, task, kwargs in claimed:
        try:
            send(task, kwargs, row_id)
        except Exception as failure:  # the broker is down or refuses: every row left waits for the next attempt
            error = failure
            break
        done.append(row_id)
    if done:  # a crash before this commit hands the batch over again after STALE_DISPATCH: the tasks are idempotent
        rows.mark_dispatched(done, at=clock.now())
    if error is not None:
        rows.release([row_id for row_id, _, _ in claimed if row_id not in done], error=type(error).__name__)
    uow.commit()
    failed = len(claimed) - len(done)
    left = rows.pending_count() if count_left else int(failed > 0 or len(claimed) >= limit)
    return Drained(dispatched=len(done), failed=failed, left=left)


def mark_done(uow: UnitOfWork, row_id: int) -> None:
    """The worker ran the task of outbox row ``row_id``: it is not handed over again."""
    OutboxRepository(uow.session).mark_done(row_id, at=clock.now())
    uow.commit()


def pending_count(uow: UnitOfWork) -> int:
    """Rows not handed to the broker yet."""
    return OutboxRepository(uow.session).pending_count()


def purge(uow: UnitOfWork) -> int:
    """Forget rows dispatched more than ``KEEP_DISPATCHED`` ago."""
    purged = OutboxRepository(uow.session).purge_dispatched_before(clock.now() - KEEP_DISPATCHED)
    uow.commit()
    return purged
