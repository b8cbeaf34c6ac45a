"""The read side of the administrator's jobs page: job runs by id, and the delivery log (filtered, newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hms.domain.enums import Channel, DeliveryStatus

from .models import Delivery, JobRun


@dataclass(frozen=True)
class DeliveryCriteria:
    status: DeliveryStatus | None = None
    kind: str | None = None
    channel: Channel | None = None
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive


def _conditions(criteria: DeliveryCriteria) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if criteria.status is not None:
        conditions.append(Delivery.status == criteria.status)
    if criteria.kind:
        conditions.append(Delivery.kind == criteria.kind)
    if criteria.channel is not None:
        conditions.append(Delivery.channel == criteria.channel)
    if criteria.created_from is not None:
        conditions.append(Delivery.created_at >= criteria.created_from)
    if criteria.created_before is not None:
        conditions.append(Delivery.created_at < criteria.created_before)
    return conditions


class JobsLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, run_id: int) -> JobRun | None:
        return self.session.get(JobRun, run_id)

    def delivery(self, delivery_id: int) -> Delivery | None:
        return self.session.get(Delivery, delivery_id)

    def deliveries(self, criteria: DeliveryCriteria, *, limit: int, offset: int) -> tuple[Sequence[Delivery], int]:
        """One page of the matching deliveries (newest first) and the number of all matching ones."""
        rows = self.session.scalars(
            select(Delivery)
            .where(*_conditions(criteria))
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, self.delivery_count(criteria)

    def delivery_count(self, criteria: DeliveryCriteria) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Delivery).where(*_conditions(criteria))) or 0)
