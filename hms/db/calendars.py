"""Calendar subscription feeds: found by the hash of their secret, one active per doctor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import CalendarFeed
from .repositories import rowcount


class CalendarFeedRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active_for(self, doctor_id: int) -> CalendarFeed | None:
        return self.session.scalar(
            select(CalendarFeed).where(CalendarFeed.doctor_id == doctor_id, CalendarFeed.revoked_at.is_(None))
        )

    def active_by_hash(self, secret_hash: str) -> CalendarFeed | None:
        return self.session.scalar(
            select(CalendarFeed).where(CalendarFeed.secret_hash == secret_hash, CalendarFeed.revoked_at.is_(None))
        )

    def revoke_active(self, doctor_id: int, at: datetime) -> int:
        result = self.session.execute(
            update(CalendarFeed)
            .where(CalendarFeed.doctor_id == doctor_id, CalendarFeed.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        self.session.flush()
        return rowcount(result)

    def add(self, feed: CalendarFeed) -> CalendarFeed:
        self.session.add(feed)
        self.session.flush()
        return feed
