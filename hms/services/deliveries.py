"""Exactly-once delivery: a message is claimed by its unique key before it is sent, so a job that runs twice,
overlaps with itself or dies mid-run never sends it twice; a claim left behind by a dead worker is taken over
after a while, or at once when the Celery node that held it starts again (``release_claims_of``: a node name is unique
among running workers, so its claims from before this start were left by its previous, dead life). Failures are
recorded: temporary ones are retried with back-off, permanent ones shown to the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hms import clock
from hms.db.models import Delivery
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus

STALE_CLAIM = timedelta(minutes=10)  # a 'pending' claim older than this belongs to a worker that died
MAX_ATTEMPTS = 6

_owner: str | None = None  # the Celery node claiming in this process (set as each task starts)


def set_owner(node: str | None) -> None:
    """Name the worker node whose claims this process makes from now on (None outside a worker)."""
    global _owner  # noqa: PLW0603 - one worker node per process; a task sets it before it claims anything
    _owner = node


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int


def claim(
    uow: UnitOfWork, key: str, *, kind: str, channel: Channel, recipient: str, subject: str,
    user_id: int | None = None, appointment_id: int | None = None,
) -> Claim | None:  # fmt: skip
    """Claim the right to send ``key``; None when it was sent, failed for good, or is being sent right now."""
    now = clock.now()
    try:
        delivery = Delivery(
            key=key, kind=kind, channel=channel, recipient=recipient, subject=subject, user_id=user_id,
            appointment_id=appointment_id, status=DeliveryStatus.PENDING, attempts=1, created_at=now, claimed_at=now,
            claimed_by=_owner,
        )  # fmt: skip
        uow.session.add(delivery)
        uow.commit()
        return Claim(delivery.id, 1)
    except IntegrityError:
        uow.rollback()
    # Someone claimed it before: take it over only if it is a retry of ours or a claim abandoned by a dead worker.
    result = uow.session.execute(
        update(Delivery)
        .where(Delivery.key == key, Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_at < now - STALE_CLAIM)
        .values(claimed_at=now, claimed_by=_owner, attempts=Delivery.attempts + 1)
    )
    uow.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    delivery = uow.session.scalar(select(Delivery).where(Delivery.key == key))
    assert delivery is not None
    return Claim(delivery.id, delivery.attempts)


def reclaim_for_retry(uow: UnitOfWork, delivery_id: int) -> Claim | None:
    """The same sender retrying after a temporary failure (its own claim, so no staleness wait)."""
    delivery = uow.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    delivery.attempts += 1
    delivery.claimed_at, delivery.claimed_by = clock.now(), _owner
    uow.commit()
    return Claim(delivery.id, delivery.attempts)


def take(uow: UnitOfWork, claim: Claim) -> bool:
    """The sender starting on ``claim``: True if it is still that claim (then held by this node, from now)."""
    result = uow.session.execute(
        update(Delivery)
        .where(
            Delivery.id == claim.delivery_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.attempts == claim.attempt,
        )
        .values(claimed_at=clock.now(), claimed_by=_owner)
    )
    uow.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Released:
    delivery_id: int
    key: str
    kind: str


def release_claims_of(uow: UnitOfWork, node: str, started_at: datetime) -> list[Released]:
    """Claims ``node`` made before it (re)started at ``started_at``: abandoned by its previous life, so made
    claimable again at once (a new claim bumps the attempt, which turns any copy of the old task into a no-op)."""
    rows = uow.session.execute(
        select(Delivery.id, Delivery.key, Delivery.kind).where(
            Delivery.claimed_by == node, Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_at < started_at
        )
    ).all()
    if rows:
        uow.session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_([row.id for row in rows]), Delivery.claimed_by == node, Delivery.claimed_at < started_at
            )
            .values(claimed_at=clock.now() - STALE_CLAIM - timedelta(seconds=1), claimed_by=None)
        )
    uow.commit()
    return [Released(row.id, row.key, row.kind) for row in rows]


def mark_sent(uow: UnitOfWork, delivery_id: int) -> None:
    delivery = uow.session.get(Delivery, delivery_id)
    if delivery is not None:
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, clock.now(), None
        uow.commit()


def mark_failed(uow: UnitOfWork, delivery_id: int, error: str, *, permanent: bool) -> None:
    """Record a failure; a temporary one stays pending (to be retried), a permanent one is final."""
    delivery = uow.session.get(Delivery, delivery_id)
    if delivery is not None:
        delivery.last_error = error[:500]
        if permanent or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        uow.commit()


def reopen(uow: UnitOfWork, delivery_id: int) -> Delivery | None:
    """An admin's explicit retry of a failed delivery: it becomes claimable again at once."""
    delivery = uow.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.FAILED:
        return None
    delivery.status = DeliveryStatus.PENDING
    delivery.claimed_at = clock.now() - STALE_CLAIM - timedelta(seconds=1)
    uow.commit()
    return delivery
