"""Queries of the transactional outbox (the relay that hands rows to the broker is ``hms.runtime.outbox``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from .models import OutboxMessage
from .repositories import rowcount


def _claimable(stale_before: datetime, lost_before: datetime, most_handovers: int) -> tuple[ColumnElement[bool], ...]:
    """Not dispatched, and not claimed, or claimed before ``stale_before`` (by a process that died since); or handed
    over before ``lost_before`` and never done (the broker lost the task), fewer than ``most_handovers`` times."""
    return (
        or_(
            and_(
                OutboxMessage.dispatched_at.is_(None),
                or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < stale_before),
            ),
            and_(
                OutboxMessage.done_at.is_(None),
                OutboxMessage.dispatched_at < lost_before,
                or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < lost_before),
                OutboxMessage.attempts < most_handovers,
            ),
        ),
    )


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, task: str, kwargs: dict[str, Any], *, appointment_id: int | None, at: datetime) -> OutboxMessage:
        """A row in the session's open transaction (committed with it, or not at all)."""
        row = OutboxMessage(task=task, kwargs=kwargs, appointment_id=appointment_id, created_at=at, attempts=0)
        self.session.add(row)
        return row

    def claim(
        self,
        ids: Iterable[int] | None,
        *,
        limit: int,
        at: datetime,
        stale_before: datetime,
        lost_before: datetime,
        most_handovers: int,
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """Claim up to ``limit`` claimable rows (of ``ids`` only, when given); (id, task, kwargs) of each, oldest
        first.

        One conditional UPDATE … RETURNING over the batch, so two claimers never both get a row. The caller
        commits."""
        chosen = (
            select(OutboxMessage.id)
            .where(*_claimable(stale_before, lost_before, most_handovers))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if ids is not None:
            chosen = chosen.where(OutboxMessage.id.in_(list(ids)))
        claimed = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(chosen.scalar_subquery()), *_claimable(stale_before, lost_before, most_handovers)
            )
            .values(claimed_at=at, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.task, OutboxMessage.kwargs)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted((row_id, task, dict(kwargs or {})) for row_id, task, kwargs in claimed)

    def by_ids(self, ids: Iterable[int]) -> list[OutboxMessage]:
        ids = list(ids)
        if not ids:
            return []
        query = select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        return list(self.session.scalars(query).all())

    def mark_dispatched(self, ids: Iterable[int], *, at: datetime) -> None:
        self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(list(ids))).values(dispatched_at=at, last_error=None)
        )

    def mark_done(self, row_id: int, *, at: datetime) -> None:
        """The worker ran the row's task (once is enough: a repeated hand-over leaves the first time)."""
        self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.done_at.is_(None))
            .values(done_at=at)
            .execution_options(synchronize_session=False)
        )

    def release(self, ids: Iterable[int], *, error: str) -> None:
        """Give claimed rows back (the broker failed), noting why."""
        self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(list(ids))).values(claimed_at=None, last_error=error[:200])
        )

    def pending_count(self) -> int:
        """Rows not handed to the broker yet."""
        return int(self.session.scalar(select(func.count()).where(OutboxMessage.dispatched_at.is_(None))) or 0)

    def oldest_pending_at(self) -> datetime | None:
        """When the oldest row not handed to the broker yet was written; None when nothing waits."""
        return self.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.dispatched_at.is_(None))
        )

    def purge_dispatched_before(self, before: datetime) -> int:
        """Forget rows dispatched before ``before``; how many."""
        return rowcount(self.session.execute(delete(OutboxMessage).where(OutboxMessage.dispatched_at < before)))
