"""Exactly-once delivery: a message is claimed by its unique key before it is sent, so a job that runs twice,
overlaps with itself or dies mid-run never sends it twice; a claim left behind by a dead worker is taken over
after a while. Failures are recorded: temporary ones are retried with back-off, permanent ones shown to the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hms import clock
from hms.db.models import Delivery
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus

STALE_CLAIM = timedelta(minutes=10)  # a 'pending' claim older than this belongs to a worker that died
MAX_ATTEMPTS = 6


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
        .values(claimed_at=now, attempts=Delivery.attempts + 1)
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
    delivery.claimed_at = clock.now()
    uow.commit()
    return Claim(delivery.id, delivery.attempts)


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
