"""Queries of the deliveries (one message on one channel, claimed by its unique key before it is sent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hms.domain.enums import DeliveryStatus

from .models import Delivery
from .repositories import rowcount


@dataclass(frozen=True)
class HeldClaim:
    """A pending delivery claimed by a worker node (what its restart releases)."""

    delivery_id: int
    key: str
    kind: str


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, delivery: Delivery) -> Delivery:
        """Add a row (its unique key is checked when the caller commits)."""
        self.session.add(delivery)
        return delivery

    def get(self, delivery_id: int) -> Delivery | None:
        return self.session.get(Delivery, delivery_id)

    def by_key(self, key: str) -> Delivery | None:
        return self.session.scalar(select(Delivery).where(Delivery.key == key))

    def status_of(self, key: str) -> DeliveryStatus | None:
        return self.session.scalar(select(Delivery.status).where(Delivery.key == key))

    def mark_sent(self, delivery_id: int, *, at: datetime) -> None:
        """One UPDATE: the sender knows the id, so the row is not loaded first."""
        self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=DeliveryStatus.SENT, sent_at=at, last_error=None)
            .execution_options(synchronize_session=False)
        )

    def take_over_stale(self, key: str, *, at: datetime, stale_before: datetime, owner: str | None) -> bool:
        """Claim a pending row whose claim is older than ``stale_before`` (a conditional UPDATE: one taker wins)."""
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.key == key, Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_at < stale_before)
            .values(claimed_at=at, claimed_by=owner, attempts=Delivery.attempts + 1)
        )
        return rowcount(result) > 0

    def take(self, delivery_id: int, attempt: int, *, at: datetime, owner: str | None) -> bool:
        """Hold the row for ``owner`` if it is still pending at ``attempt`` (a conditional UPDATE)."""
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING, Delivery.attempts == attempt)
            .values(claimed_at=at, claimed_by=owner)
        )
        return rowcount(result) > 0

    def claims_of(self, node: str, before: datetime) -> list[HeldClaim]:
        """Pending rows ``node`` claimed before ``before``."""
        rows = self.session.execute(
            select(Delivery.id, Delivery.key, Delivery.kind).where(
                Delivery.claimed_by == node, Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_at < before
            )
        ).all()
        return [HeldClaim(row.id, row.key, row.kind) for row in rows]

    def release(self, ids: Sequence[int], node: str, before: datetime, *, claimed_at: datetime) -> None:
        """Give up ``node``'s claims (made before ``before``) on these rows, dated ``claimed_at`` (so: stale)."""
        self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(ids)), Delivery.claimed_by == node, Delivery.claimed_at < before)
            .values(claimed_at=claimed_at, claimed_by=None)
        )
