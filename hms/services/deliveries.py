"""Exactly-once delivery: a message is claimed by its unique key before it is sent, so a job that runs twice,
overlaps with itself or dies mid-run never sends it twice; a claim left behind by a dead worker is taken over
after a while, or at once when the Celery node that held it starts again (``release_claims_of``: a node name is unique
among running workers, so its claims from before this start were left by its previous, dead life). Failures are
recorded: temporary ones are retried with back-off, permanent ones shown to the admin."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.deliveries import DeliveryRepository
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import Delivery
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus

STALE_CLAIM = timedelta(minutes=10)  # a 'pending' claim older than this belongs to a worker that died
MAX_ATTEMPTS = 6

_owner: str | None = None  # the Celery node claiming in this process (set as each task starts)


def message_reference(settings: Settings, delivery_id: int) -> str:
    """The same for every attempt at one delivery, different for every delivery of every installation (keyed by its
    own secret), and telling an outsider nothing: the email's Message-ID, see ``Message.reference``."""
    key = settings.effective_storage_secret().encode()
    return 'hms.' + hmac.new(key, f'delivery:{delivery_id}'.encode(), hashlib.sha256).hexdigest()[:32]


def set_owner(node: str | None) -> None:
    """Name the worker node whose claims this process makes from now on (None outside a worker)."""
    global _owner  # noqa: PLW0603 - one worker node per process; a task sets it before it claims anything
    _owner = node


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int


def claim(
    uow: UnitOfWork,
    key: str,
    *,
    kind: str,
    channel: Channel,
    recipient: str,
    subject: str,
    user_id: int | None = None,
    appointment_id: int | None = None,
) -> Claim | None:
    """Claim the right to send ``key``; None when it was sent, failed for good, or is being sent right now."""
    rows = DeliveryRepository(uow.session)
    now = clock.now()
    try:
        delivery = rows.add(
            Delivery(
                key=key,
                kind=kind,
                channel=channel,
                recipient=recipient,
                subject=subject,
                user_id=user_id,
                appointment_id=appointment_id,
                status=DeliveryStatus.PENDING,
                attempts=1,
                created_at=now,
                claimed_at=now,
                claimed_by=_owner,
            )
        )
        uow.commit()
        return Claim(delivery.id, 1)
    except CONSTRAINT_VIOLATION:
        uow.rollback()
    # Someone claimed it before: take it over only if it is a retry of ours or a claim abandoned by a dead worker.
    taken = rows.take_over_stale(key, at=now, stale_before=now - STALE_CLAIM, owner=_owner)
    uow.commit()
    if not taken:
        return None
    current = rows.by_key(key)
    assert current is not None
    return Claim(current.id, current.attempts)


def reclaim_for_retry(uow: UnitOfWork, delivery_id: int) -> Claim | None:
    """The same sender retrying after a temporary failure (its own claim, so no staleness wait)."""
    delivery = DeliveryRepository(uow.session).get(delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    delivery.attempts += 1
    delivery.claimed_at, delivery.claimed_by = clock.now(), _owner
    uow.commit()
    return Claim(delivery.id, delivery.attempts)


def take(uow: UnitOfWork, claim: Claim) -> bool:
    """The sender starting on ``claim``: True if it is still that claim (then held by this node, from now)."""
    taken = DeliveryRepository(uow.session).take(claim.delivery_id, claim.attempt, at=clock.now(), owner=_owner)
    uow.commit()
    return taken


@dataclass(frozen=True)
class Released:
    delivery_id: int
    key: str
    kind: str


def release_claims_of(uow: UnitOfWork, node: str, started_at: datetime) -> list[Released]:
    """Claims ``node`` made before it (re)started at ``started_at``: abandoned by its previous life, so made
    claimable again at once (a new claim bumps the attempt, which turns any copy of the old task into a no-op)."""
    rows = DeliveryRepository(uow.session)
    held = rows.claims_of(node, started_at)
    if held:
        stale = clock.now() - STALE_CLAIM - timedelta(seconds=1)
        rows.release([item.delivery_id for item in held], node, started_at, claimed_at=stale)
    uow.commit()
    return [Released(item.delivery_id, item.key, item.kind) for item in held]


@dataclass(frozen=True)
class DeliveryRecord:
    """What a delivery row says: enough to claim and send it again."""

    id: int
    key: str
    kind: str
    channel: Channel
    recipient: str
    subject: str
    appointment_id: int | None
    status: DeliveryStatus
    attempts: int


def record(uow: UnitOfWork, delivery_id: int) -> DeliveryRecord | None:
    delivery = DeliveryRepository(uow.session).get(delivery_id)
    if delivery is None:
        return None
    return DeliveryRecord(
        id=delivery.id,
        key=delivery.key,
        kind=delivery.kind,
        channel=Channel(delivery.channel),
        recipient=delivery.recipient,
        subject=delivery.subject,
        appointment_id=delivery.appointment_id,
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
    )


def in_flight(uow: UnitOfWork, key: str) -> bool:
    """Whether a claimed delivery has no outcome yet (being sent, retrying, or abandoned by a dead worker)."""
    return DeliveryRepository(uow.session).status_of(key) == DeliveryStatus.PENDING


def mark_sent(uow: UnitOfWork, delivery_id: int) -> None:
    DeliveryRepository(uow.session).mark_sent(delivery_id, at=clock.now())
    uow.commit()


def mark_failed(uow: UnitOfWork, delivery_id: int, error: str, *, permanent: bool) -> None:
    """Record a failure; a temporary one stays pending (to be retried), a permanent one is final."""
    delivery = DeliveryRepository(uow.session).get(delivery_id)
    if delivery is not None:
        delivery.last_error = error[:500]
        if permanent or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        uow.commit()


def reopen(uow: UnitOfWork, delivery_id: int) -> Delivery | None:
    """An admin's explicit retry of a failed delivery: it becomes claimable again at once."""
    delivery = DeliveryRepository(uow.session).get(delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.FAILED:
        return None
    delivery.status = DeliveryStatus.PENDING
    delivery.claimed_at = clock.now() - STALE_CLAIM - timedelta(seconds=1)
    uow.commit()
    return delivery
